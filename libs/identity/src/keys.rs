//! One secret, many keys. `PITLANE_SECRET_KEY` is never used as a key itself: HKDF-SHA256
//! (RFC 5869) derives one independent key per use, under a label no other use shares. A MAC
//! or ciphertext made for one use therefore proves nothing to any other, and no answer that
//! carries a MAC of input a visitor chose (there are none left) could help forge another's.
//!
//! Rotation: the previous secret (`PITLANE_SECRET_KEY_PREVIOUS`) derives the same set of keys,
//! used only to *verify* and *open* what was made before the rotation; everything new is made
//! under the current secret alone.

use std::sync::Arc;

use hkdf::Hkdf;
use sha2::Sha256;

/// What a derived key is for. Each use has its own label; the labels are part of the
/// protocol (changing one invalidates everything made with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// The MAC that makes the CSRF cookie one the server issued.
    CsrfCookie,
    /// The form token derived from the server-issued CSRF cookie.
    CsrfToken,
    /// Signed links, one key per link purpose.
    Link(crate::purpose::Purpose),
    /// AES-256-GCM sealing of stored TOTP secrets.
    TotpSealing,
}

impl KeyUse {
    fn label(self) -> String {
        match self {
            KeyUse::CsrfCookie => "pitlane/v2/csrf-cookie".to_owned(),
            KeyUse::CsrfToken => "pitlane/v2/csrf-token".to_owned(),
            KeyUse::Link(purpose) => format!("pitlane/v2/link/{}", purpose.key()),
            KeyUse::TotpSealing => "pitlane/v2/totp-sealing".to_owned(),
        }
    }
}

/// A 256-bit key for one use.
pub type Key = [u8; 32];

/// The deployment's secret (and the previous one while rotating), from which every key is
/// derived. Cheap to clone.
#[derive(Clone)]
pub struct Keyring {
    current: Arc<Vec<u8>>,
    previous: Option<Arc<Vec<u8>>>,
}

/// Fixed salt: HKDF's extract step with a public, constant salt is the RFC's recommendation
/// when no per-use salt exists; it domain-separates Pitlane from other users of the secret.
const SALT: &[u8] = b"pitlane key derivation v2";

fn derive(secret: &[u8], purpose: KeyUse) -> Key {
    let mut okm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(SALT), secret)
        .expand(purpose.label().as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    okm
}

impl Keyring {
    pub fn new(current: &[u8], previous: Option<&[u8]>) -> Self {
        Self {
            current: Arc::new(current.to_vec()),
            previous: previous.map(|p| Arc::new(p.to_vec())),
        }
    }

    /// The key to make new MACs and ciphertexts with.
    pub fn key(&self, purpose: KeyUse) -> Key {
        derive(&self.current, purpose)
    }

    /// The keys to verify or open with: the current one first, then the previous secret's.
    pub fn verifying_keys(&self, purpose: KeyUse) -> Vec<Key> {
        let mut keys = vec![derive(&self.current, purpose)];
        if let Some(previous) = &self.previous {
            keys.push(derive(previous, purpose));
        }
        keys
    }

    /// The raw secret, only for reading what was sealed before keys were derived (see
    /// `two_factor`'s `v1:` secrets); nothing new is ever made with it.
    pub(crate) fn legacy_secrets(&self) -> Vec<Arc<Vec<u8>>> {
        std::iter::once(self.current.clone())
            .chain(self.previous.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purpose::Purpose;

    #[test]
    fn every_use_gets_its_own_key() {
        let ring = Keyring::new(b"a test secret key of some length", None);
        let mut uses = vec![KeyUse::CsrfCookie, KeyUse::CsrfToken, KeyUse::TotpSealing];
        uses.extend(Purpose::ALL.iter().map(|p| KeyUse::Link(*p)));
        let keys: std::collections::HashSet<Key> = uses.iter().map(|u| ring.key(*u)).collect();
        assert_eq!(keys.len(), uses.len(), "two uses share a key");
        assert!(
            !keys
                .iter()
                .any(|k| k.as_slice() == b"a test secret key of some length")
        );
    }

    #[test]
    fn the_previous_secret_only_verifies() {
        let old = Keyring::new(b"the old secret key, before rotation", None);
        let ring = Keyring::new(
            b"the new secret key, after rotation!",
            Some(b"the old secret key, before rotation"),
        );
        assert_ne!(ring.key(KeyUse::CsrfToken), old.key(KeyUse::CsrfToken));
        assert_eq!(
            ring.verifying_keys(KeyUse::CsrfToken),
            vec![ring.key(KeyUse::CsrfToken), old.key(KeyUse::CsrfToken)]
        );
    }
}
