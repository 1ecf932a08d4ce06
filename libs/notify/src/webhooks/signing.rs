//! Standard Webhooks signatures. A delivery carries `webhook-id` (unique per message, the
//! receiver's idempotency key), `webhook-timestamp` (Unix seconds) and `webhook-signature`:
//! `v1,{base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"}` under the endpoint's secret, one
//! entry per secret in use, separated by spaces, so a receiver that still has the previous
//! secret keeps verifying while a rotation settles (both are valid for 24 hours).
//!
//! A secret is 32 random bytes, shown as `whsec_{base64}`. The receiver decides with its own
//! code; the test kit's receiver verifies with an implementation of its own.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every secret is shown with, so people and secret scanners recognise one.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A new random secret.
    pub fn generate() -> Self {
        Self(rand::random::<[u8; SECRET_BYTES]>().to_vec())
    }

    /// A secret as it is shown (`whsec_…`), or `None` for anything else.
    pub fn parse(shown: &str) -> Option<Self> {
        let bytes = STANDARD
            .decode(shown.trim().strip_prefix(SECRET_PREFIX)?)
            .ok()?;
        (24..=64).contains(&bytes.len()).then_some(Self(bytes))
    }

    /// The secret as it is shown once to its owner and kept (sealed) by us.
    pub fn shown(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,{signature}` of one delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header of a delivery: one signature per secret in use (the
/// current one first, then the one being rotated out while it is still valid).
pub fn signature_header(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's own example.
    #[test]
    fn the_specifications_example_signs_the_same() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("secret");
        let body = br#"{"email":"test@example.com","username":"test_user"}"#;
        assert_eq!(
            secret.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn secrets_round_trip_and_both_sign_during_a_rotation() {
        let (old, new) = (Secret::generate(), Secret::generate());
        assert_ne!(old, new);
        assert_eq!(Secret::parse(&new.shown()), Some(new.clone()));
        assert!(new.shown().starts_with("whsec_"));
        assert_eq!(Secret::parse("whsec_short"), None);
        assert_eq!(Secret::parse("not a secret"), None);
        let header = signature_header(&[&new, &old], "msg_1", 1, b"{}");
        let entries: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            entries,
            [new.sign("msg_1", 1, b"{}"), old.sign("msg_1", 1, b"{}")]
        );
        assert_ne!(new.sign("msg_1", 1, b"{}"), new.sign("msg_1", 2, b"{}"));
        assert!(!format!("{new:?}").contains(&new.shown()[6..]));
    }
}
