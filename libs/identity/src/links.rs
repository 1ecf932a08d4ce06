//! Signed, single-use links: e-mail verification (3 days), password reset (30 minutes), a
//! customer's magic link, a staff invitation (7 days), a new workshop's confirmation by the
//! owner of the address it was signed up with (3 days).
//!
//! A token is `{id}.{expiry}.{signature}`: the signature (HMAC-SHA256 under a key derived for
//! that purpose alone, see [`crate::keys`]) covers the id and expiry, so a token cannot be made
//! up, stretched or used for another purpose; the row named by the id makes it single use, and
//! where the row has an expiry of its own, that one is checked too.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pitlane_domain::ServiceError;
use pitlane_store::{
    People,
    entity::auth_link,
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use sha2::Sha256;
use uuid::Uuid;

use crate::keys::{KeyUse, Keyring};
pub use crate::purpose::Purpose;

/// Why a link was not accepted; each gets a page that offers a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
    #[error("this link has already been used")]
    Used,
}

#[derive(Clone)]
pub struct LinkSigner {
    keys: Keyring,
}

impl LinkSigner {
    pub fn new(keys: Keyring) -> Self {
        Self { keys }
    }

    /// The deployment's keys, for the other uses that derive their own.
    pub fn keyring(&self) -> &Keyring {
        &self.keys
    }

    fn signature(key: &[u8], id: Uuid, expires: i64) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(format!("{}|{expires}", id.simple()).as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    pub fn sign(&self, purpose: Purpose, id: Uuid, expires: DateTime<Utc>) -> String {
        let expires = expires.timestamp();
        let key = self.keys.key(KeyUse::Link(purpose));
        let signature = URL_SAFE_NO_PAD.encode(Self::signature(&key, id, expires));
        format!("{}.{expires}.{signature}", id.simple())
    }

    /// The id a genuine, unexpired token names.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Result<Uuid, LinkError> {
        let mut parts = token.trim().splitn(3, '.');
        let (Some(id), Some(expires), Some(signature)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Invalid);
        };
        let id = Uuid::try_parse(id).map_err(|_| LinkError::Invalid)?;
        let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Invalid)?;
        let genuine = self
            .keys
            .verifying_keys(KeyUse::Link(purpose))
            .iter()
            .any(|key| {
                let expected = Self::signature(key, id, expires);
                subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice()).into()
            });
        if !genuine {
            return Err(LinkError::Invalid);
        }
        if Utc::now().timestamp() >= expires {
            return Err(LinkError::Expired);
        }
        Ok(id)
    }
}

/// Creates a link for a person; returns its token.
pub async fn issue(
    people: &People<'_>,
    signer: &LinkSigner,
    user_id: Uuid,
    purpose: Purpose,
) -> Result<String, ServiceError> {
    insert(people, signer, Some(user_id), None, None, purpose).await
}

/// Creates the link that lets a person confirm a workshop made for them by a sign-up with
/// their address ([`Purpose::ConfirmWorkshop`]); returns its token.
pub async fn issue_for_workshop(
    people: &People<'_>,
    signer: &LinkSigner,
    user_id: Uuid,
    tenant_id: Uuid,
) -> Result<String, ServiceError> {
    insert(
        people,
        signer,
        Some(user_id),
        None,
        Some(tenant_id),
        Purpose::ConfirmWorkshop,
    )
    .await
}

/// Creates a link for an address that has no login yet (a customer's first magic link): the
/// person is made only when the link is used, so asking for one creates nobody.
pub async fn issue_to_address(
    people: &People<'_>,
    signer: &LinkSigner,
    email: &str,
    name: Option<&str>,
    purpose: Purpose,
) -> Result<String, ServiceError> {
    let row = (email.to_owned(), name.map(str::to_owned));
    insert(people, signer, None, Some(row), None, purpose).await
}

async fn insert(
    people: &People<'_>,
    signer: &LinkSigner,
    user_id: Option<Uuid>,
    address: Option<(String, Option<String>)>,
    tenant_id: Option<Uuid>,
    purpose: Purpose,
) -> Result<String, ServiceError> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let expires = now + purpose.lifetime();
    let (email, name) = address.unzip();
    people
        .insert(auth_link::ActiveModel {
            id: Set(id),
            user_id: Set(user_id),
            email: Set(email),
            name: Set(name.flatten()),
            workshop_id: Set(tenant_id),
            purpose: Set(purpose.key().to_owned()),
            expires_at: Set(expires),
            used_at: Set(None),
            created_at: Set(now),
        })
        .await?;
    Ok(signer.sign(purpose, id, expires))
}

/// Spends a link: the person it was for, or why it cannot be used.
pub async fn spend(
    people: &People<'_>,
    signer: &LinkSigner,
    purpose: Purpose,
    token: &str,
) -> Result<Result<Uuid, LinkError>, ServiceError> {
    Ok(spend_row(people, signer, purpose, token)
        .await?
        .and_then(|row| row.user_id.ok_or(LinkError::Invalid)))
}

/// Spends a link and returns its row (whom it was for). Spending is one conditional update
/// (unused, unexpired by the row's own expiry), so two clicks at once cannot both succeed.
pub async fn spend_row(
    people: &People<'_>,
    signer: &LinkSigner,
    purpose: Purpose,
    token: &str,
) -> Result<Result<auth_link::Model, LinkError>, ServiceError> {
    let id = match signer.verify(purpose, token) {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let spent = people
        .update_all(
            auth_link::Entity::update_many()
                .col_expr(auth_link::Column::UsedAt, Expr::value(Utc::now()))
                .filter(auth_link::Column::Id.eq(id))
                .filter(auth_link::Column::Purpose.eq(purpose.key()))
                .filter(auth_link::Column::UsedAt.is_null())
                .filter(auth_link::Column::ExpiresAt.gt(Utc::now())),
        )
        .await?;
    let row = people.first(auth_link::Entity::find_by_id(id)).await?;
    if spent == 0 {
        // Say why: the row decides, not the token.
        return Ok(Err(match row {
            Some(row) if row.purpose != purpose.key() => LinkError::Invalid,
            Some(row) if row.used_at.is_some() => LinkError::Used,
            Some(_) => LinkError::Expired,
            None => LinkError::Invalid,
        }));
    }
    row.map(Ok)
        .ok_or_else(|| ServiceError::internal("a spent link vanished"))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn tokens_verify_only_for_their_purpose_and_until_they_expire() {
        let signer = LinkSigner::new(Keyring::new(b"a test secret key of some length", None));
        let id = Uuid::now_v7();
        let token = signer.sign(
            Purpose::ResetPassword,
            id,
            Utc::now() + Duration::minutes(30),
        );
        assert_eq!(signer.verify(Purpose::ResetPassword, &token), Ok(id));
        assert_eq!(
            signer.verify(Purpose::VerifyEmail, &token),
            Err(LinkError::Invalid)
        );
        let other = LinkSigner::new(Keyring::new(b"another key entirely, not ours!!", None));
        assert_eq!(
            other.verify(Purpose::ResetPassword, &token),
            Err(LinkError::Invalid)
        );
        let stretched = token.replacen('.', ".9", 1);
        assert_eq!(
            signer.verify(Purpose::ResetPassword, &stretched),
            Err(LinkError::Invalid)
        );
        let old = signer.sign(
            Purpose::ResetPassword,
            id,
            Utc::now() - Duration::seconds(1),
        );
        assert_eq!(
            signer.verify(Purpose::ResetPassword, &old),
            Err(LinkError::Expired)
        );
        assert_eq!(
            signer.verify(Purpose::ResetPassword, "garbage"),
            Err(LinkError::Invalid)
        );
    }
}
