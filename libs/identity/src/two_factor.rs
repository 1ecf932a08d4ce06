//! Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238: SHA-1, 6 digits, 30 s,
//! one step of clock skew either way), and ten single-use recovery codes for a lost phone.
//! Recovery codes are stored as SHA-256 hashes (they are random, so a slow hash adds nothing).
//! The TOTP secret itself must be readable to check codes, so it is stored sealed with
//! AES-256-GCM under a key derived from `PITLANE_SECRET_KEY`: a copy of the database alone
//! does not give anyone the codes.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use pitlane_domain::{Actor, FieldErrors, ServiceError};
use pitlane_store::{
    TenantCtx,
    entity::{recovery_code, user},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, sea_query::Expr,
    },
};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::{
    Identity,
    audit::{self, By, Event},
    keys::KeyUse,
};

pub const RECOVERY_CODES: usize = 10;

fn totp(secret_base32: &str) -> Result<TOTP, ServiceError> {
    let raw = base32_decode(secret_base32)
        .ok_or_else(|| ServiceError::internal("a stored TOTP secret is not base32"))?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, raw)
        .map_err(|e| ServiceError::internal(format!("TOTP: {e}")))
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
fn base32_encode(bytes: &[u8]) -> String {
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => String::new(),
    }
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    Secret::Encoded(text.trim().to_ascii_uppercase())
        .to_bytes()
        .ok()
}

/// A new secret for someone setting up an authenticator: its base32 text and the
/// `otpauth://` address authenticator apps read.
pub fn new_secret(issuer: &str, account: &str) -> (String, String) {
    let raw: [u8; 20] = rand::random();
    let secret = base32_encode(&raw);
    let label = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let uri = format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        label(issuer),
        label(account),
        label(issuer)
    );
    (secret, uri)
}

/// The code an authenticator shows now for this secret (for tests and the set-up check).
pub fn current_code(secret_base32: &str) -> Result<String, ServiceError> {
    totp(secret_base32)?
        .generate_current()
        .map_err(ServiceError::internal)
}

/// Sealed under the key derived for TOTP sealing alone (see [`crate::keys`]).
/// The code the authenticator will show in the next 30-second step (accepted now, since one
/// step of clock skew is allowed): for tests that need a second, unused code at once.
pub fn next_code(secret_base32: &str) -> Result<String, ServiceError> {
    let totp = totp(secret_base32)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(ServiceError::internal)?
        .as_secs();
    Ok(totp.generate(now + totp.step))
}

const SEALED: &str = "v2:";
/// Sealed before keys were derived with HKDF: readable for now, sealed again as `v2:` the next
/// time the code is checked.
const SEALED_LEGACY: &str = "v1:";

/// Seals a base32 secret for storage.
fn seal(identity: &Identity, secret_base32: &str) -> Result<String, ServiceError> {
    use aes_gcm::{Aes256Gcm, KeyInit, Nonce, aead::Aead};
    let key = identity.signer.keyring().key(KeyUse::TotpSealing);
    let cipher = Aes256Gcm::new(&key.into());
    let nonce: [u8; 12] = rand::random();
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), secret_base32.as_bytes())
        .map_err(|_| ServiceError::internal("sealing a TOTP secret"))?;
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    Ok(format!("{SEALED}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The key the first sealed secrets used (an HMAC of a label under the raw secret).
fn legacy_key(secret: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(b"pitlane derived key: totp secrets");
    mac.finalize().into_bytes().into()
}

/// The base32 secret of a stored one, and whether it should be sealed again (it was sealed
/// the old way, or under the previous secret key).
fn unseal(identity: &Identity, stored: &str) -> Result<(String, bool), ServiceError> {
    use aes_gcm::{Aes256Gcm, KeyInit, Nonce, aead::Aead};
    let (sealed, keys) = if let Some(sealed) = stored.strip_prefix(SEALED) {
        (
            sealed,
            identity
                .signer
                .keyring()
                .verifying_keys(KeyUse::TotpSealing),
        )
    } else if let Some(sealed) = stored.strip_prefix(SEALED_LEGACY) {
        let legacy = identity.signer.keyring().legacy_secrets();
        (sealed, legacy.iter().map(|s| legacy_key(s)).collect())
    } else {
        return Err(ServiceError::internal("a TOTP secret is not sealed"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(sealed)
        .map_err(|_| ServiceError::internal("a sealed TOTP secret is not base64"))?;
    if bytes.len() < 12 {
        return Err(ServiceError::internal("a sealed TOTP secret is too short"));
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    for (index, key) in keys.iter().enumerate() {
        let cipher = Aes256Gcm::new(&(*key).into());
        if let Ok(plain) = cipher.decrypt(Nonce::from_slice(nonce), ciphertext) {
            let text = String::from_utf8(plain)
                .map_err(|_| ServiceError::internal("a TOTP secret is not text"))?;
            let reseal = index > 0 || !stored.starts_with(SEALED);
            return Ok((text, reseal));
        }
    }
    Err(ServiceError::internal(
        "a TOTP secret does not open with this secret key (nor PITLANE_SECRET_KEY_PREVIOUS)",
    ))
}

/// The 30-second time step whose code this is (one step of clock skew either way), if any.
fn matching_step(secret_base32: &str, code: &str) -> Result<Option<i64>, ServiceError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp(secret_base32)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(ServiceError::internal)?
        .as_secs();
    let current = now / totp.step;
    Ok([current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * totp.step);
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
        })
        .and_then(|step| i64::try_from(step).ok()))
}

/// Spends an authenticator code's time step: true only the first time a step (or an earlier
/// one) is offered, so a code seen over a shoulder or in a log cannot be used again.
async fn spend_step(
    people: &pitlane_store::People<'_>,
    user_id: Uuid,
    step: i64,
) -> Result<bool, ServiceError> {
    let spent = people
        .update_all(
            user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, Expr::value(step))
                .filter(user::Column::Id.eq(user_id))
                .filter(
                    pitlane_store::sea_orm::Condition::any()
                        .add(user::Column::TotpLastStep.is_null())
                        .add(user::Column::TotpLastStep.lt(step)),
                ),
        )
        .await?;
    Ok(spent == 1)
}

/// Whether `code` is a current, unused code of the person's stored secret; spends it if so.
async fn accept_code(
    identity: &Identity,
    people: &pitlane_store::People<'_>,
    person: &user::Model,
    code: &str,
) -> Result<bool, ServiceError> {
    let Some(stored) = &person.totp_secret else {
        return Ok(false);
    };
    let (secret, reseal) = unseal(identity, stored)?;
    let Some(step) = matching_step(&secret, code)? else {
        return Ok(false);
    };
    if !spend_step(people, person.id, step).await? {
        return Ok(false);
    }
    if reseal {
        // Sealed the old way or under the previous secret: seal it under today's key.
        people
            .update_all(
                user::Entity::update_many()
                    .col_expr(
                        user::Column::TotpSecret,
                        Expr::value(seal(identity, &secret)?),
                    )
                    .filter(user::Column::Id.eq(person.id)),
            )
            .await?;
    }
    Ok(true)
}

fn digest(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    Sha256::digest(normalized.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Turns two-factor sign-in on once the person proved their authenticator shows `code` for
/// `secret`; returns the recovery codes, shown this once.
pub async fn enable(
    identity: &Identity,
    actor: &Actor,
    secret: &str,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let Some(step) = matching_step(secret, code)? else {
        return Err(FieldErrors::single(
            "code",
            "that code does not match; check the time on your phone and try the current code",
        )
        .into());
    };
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    let mut row = person.into_active_model();
    row.totp_secret = Set(Some(seal(identity, secret)?));
    row.totp_enabled_at = Set(Some(Utc::now()));
    row.totp_last_step = Set(Some(step));
    row.updated_at = Set(Utc::now());
    tx.people().update(row).await?;
    let codes = replace_recovery_codes(&tx.people(), actor.user_id.0).await?;
    audit::record(&tx, By::Member(actor), Event::new("two_factor.enabled")).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    people: &pitlane_store::People<'_>,
    user_id: Uuid,
) -> Result<Vec<String>, ServiceError> {
    people
        .update_all(
            recovery_code::Entity::update_many()
                .col_expr(recovery_code::Column::UsedAt, Expr::value(Utc::now()))
                .filter(recovery_code::Column::UserId.eq(user_id))
                .filter(recovery_code::Column::UsedAt.is_null()),
        )
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: [u8; 8] = rand::random();
        let text = URL_SAFE_NO_PAD
            .encode(raw)
            .to_lowercase()
            .replace(['-', '_'], "x");
        let code = format!("{}-{}", &text[..5], &text[5..10]);
        people
            .insert(recovery_code::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user_id),
                code_hash: Set(digest(&code)),
                used_at: Set(None),
            })
            .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Turns two-factor sign-in off (the current code proves the person still holds it).
pub async fn disable(identity: &Identity, actor: &Actor, code: &str) -> Result<(), ServiceError> {
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    if person.totp_secret.is_none() {
        return Ok(());
    }
    if !accept_code(identity, &tx.people(), &person, code).await? {
        return Err(FieldErrors::single(
            "code",
            "that code does not match (each code works once: wait for the next one)",
        )
        .into());
    }
    let mut row = person.into_active_model();
    row.totp_secret = Set(None);
    row.totp_enabled_at = Set(None);
    row.updated_at = Set(Utc::now());
    tx.people().update(row).await?;
    audit::record(&tx, By::Member(actor), Event::new("two_factor.disabled")).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether this person uses two-factor sign-in.
pub async fn is_enabled(identity: &Identity, user_id: Uuid) -> Result<bool, ServiceError> {
    let tx = identity.store.people_tx().await?;
    let person = tx.people().first(user::Entity::find_by_id(user_id)).await?;
    tx.commit().await?;
    Ok(person.is_some_and(|p| p.totp_enabled_at.is_some()))
}

/// Checks the second step of a sign-in: a current code or an unused recovery code (which is
/// then spent). Wrong codes count towards the same lockout as wrong passwords.
pub async fn verify(
    identity: &Identity,
    actor: &Actor,
    code: &str,
    ip: Option<&str>,
) -> Result<Result<(), crate::Refusal>, ServiceError> {
    let scope = actor.tenant_id.to_string();
    let account = format!("2fa:{}", actor.user_id);
    if let Err(locked) = identity.throttle.check(&scope, &account, ip).await {
        return Ok(Err(crate::Refusal::Locked(locked)));
    }
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    let by_app = accept_code(identity, &tx.people(), &person, code).await?;
    let by_recovery = !by_app
        && tx
            .people()
            .update_all(
                recovery_code::Entity::update_many()
                    .col_expr(recovery_code::Column::UsedAt, Expr::value(Utc::now()))
                    .filter(recovery_code::Column::UserId.eq(person.id))
                    .filter(recovery_code::Column::CodeHash.eq(digest(code)))
                    .filter(recovery_code::Column::UsedAt.is_null()),
            )
            .await?
            == 1;
    if !(by_app || by_recovery) {
        let locked = identity.throttle.failed(&scope, &account, ip).await;
        audit::record(
            &tx,
            By::Member(actor),
            Event::new("sign_in.second_factor_failed").ip(ip),
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(
            locked.map_or(crate::Refusal::WrongCredentials, crate::Refusal::Locked)
        ));
    }
    let via = if by_app {
        "authenticator"
    } else {
        "recovery code"
    };
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("sign_in.succeeded")
            .ip(ip)
            .detail(serde_json::json!({ "second_factor": via })),
    )
    .await?;
    tx.commit().await?;
    identity.throttle.succeeded(&scope, &account).await;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_matches_the_rfc_alphabet() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
        let (secret, uri) = new_secret("Alpha Motors", "ada@example.com");
        assert_eq!(base32_decode(&secret).map(|b| b.len()), Some(20));
        assert!(uri.starts_with("otpauth://totp/Alpha+Motors:ada%40example.com?secret="));
        let code = current_code(&secret).unwrap();
        assert!(matching_step(&secret, &code).unwrap().is_some());
        assert_eq!(matching_step(&secret, "000000x").unwrap(), None);
    }
}
