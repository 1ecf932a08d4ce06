//! argon2id password hashes. Hashing is deliberately slow, so it runs off the async threads.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use pitlane_domain::ServiceError;
use rand::{Rng, distr::Alphanumeric};

/// Hashes with argon2id and the crate's defaults (19 MiB, 2 passes: OWASP's recommendation).
pub async fn hash_password(password: String) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ServiceError::internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| ServiceError::internal(format!("hashing task: {e}")))?
}

/// A hash of a password nobody knows: verified against when the user does not exist,
/// so that answer takes as long as a wrong password.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Y1K1SMSxEZ8sLkJ1Lh8cCtJRGSEVr4a6Nq5ZXUnc6Yw";

pub async fn verify_password(hash: Option<String>, password: String) -> bool {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DECOY_HASH.to_owned());
    let verified = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    known && verified
}

/// A random password for generated accounts (the demo owner), shown once.
pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("correct horse battery".into()).await.unwrap();
        let b = hash_password("correct horse battery".into()).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password(Some(a.clone()), "correct horse battery".into()).await);
        assert!(!verify_password(Some(a), "wrong".into()).await);
        assert!(!verify_password(None, "anything".into()).await);
        assert_eq!(generate_password().len(), 20);
    }
}
