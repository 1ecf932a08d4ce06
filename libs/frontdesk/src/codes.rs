//! A guest's one-time code: what proves, without an account, that someone asking on the
//! workshop's site holds the e-mail address or mobile number they gave. The online booking
//! and the roadside request both hold their request here until the code comes back.
//!
//! A code is six digits, good for 15 minutes and 5 guesses; it is stored hashed with its row's
//! id, and each destination gets at most 5 codes an hour (on top of the deployment's caps on
//! anonymous sends).

use chrono::{Duration, Utc};
use pitlane_domain::{
    FieldErrors, ServiceError, messages::MessageKind, phone::PhoneE164, text::Email,
};
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::booking_code,
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, QueryFilter,
        sea_query::{Expr, ExprTrait},
    },
};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::{FrontDesk, customers::tenant_country};

const CODE_MINUTES: i64 = 15;
const CODE_ATTEMPTS: i32 = 5;

/// What a code confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Booking,
    Roadside,
}

impl CodePurpose {
    fn key(self) -> &'static str {
        match self {
            CodePurpose::Booking => "booking",
            CodePurpose::Roadside => "roadside",
        }
    }

    fn message(self) -> MessageKind {
        match self {
            CodePurpose::Booking => MessageKind::BookingCode,
            CodePurpose::Roadside => MessageKind::RoadsideCode,
        }
    }
}

/// Where a guest asked for their code: `email` or `sms`, with what they typed.
pub struct CodeDestination<'a> {
    pub by: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    /// Why the number may be texted, recorded as its consent when the code goes by SMS.
    pub consent_source: &'a str,
}

/// A code on its way: the row to confirm against, and where it went as the guest is told.
#[derive(Debug, Clone)]
pub struct SentCode {
    pub id: Uuid,
    pub sent_to: String,
}

fn hash_code(id: Uuid, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    h.update(code.trim().as_bytes());
    format!("{:x}", h.finalize())
}

/// Sends a one-time code for `request` (kept until the code comes back), in the caller's
/// transaction.
pub async fn send(
    fd: &FrontDesk,
    tx: &TenantTx,
    purpose: CodePurpose,
    to: CodeDestination<'_>,
    request: serde_json::Value,
    ip: Option<&str>,
) -> Result<SentCode, ServiceError> {
    let country = tenant_country(tx).await?;
    let to = match to.by {
        "sms" => {
            let phone = to
                .phone
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| FieldErrors::single("phone", "give a mobile number for the code"))?;
            let phone = PhoneE164::parse(phone, country.as_deref())
                .map_err(|e| FieldErrors::single("phone", e.to_string()))?;
            // Asking for the code by SMS is consent to this request's texts.
            pitlane_notify::consent::record_consent(tx, &phone, to.consent_source).await?;
            Recipient::Sms {
                phone: phone.into_inner(),
            }
        }
        _ => {
            let email = to.email.filter(|e| !e.trim().is_empty()).ok_or_else(|| {
                FieldErrors::single("email", "give an e-mail address for the code")
            })?;
            Recipient::Email {
                address: Email::parse(email)
                    .map_err(|e| FieldErrors::single("email", e.to_string()))?,
                name: Some(to.name.to_owned()),
            }
        }
    };
    let destination = match &to {
        Recipient::Email { address, .. } => address.as_str().to_owned(),
        Recipient::Sms { phone } => phone.clone(),
    };
    let sent_to = sent_to(&destination);
    if let Err(reason) = fd.send_limits.allow(tx.tenant_id(), ip, &destination).await {
        return Err(FieldErrors::single("code_by", reason).into());
    }
    let recent = tx
        .count(
            tx.select::<booking_code::Entity>()
                .filter(booking_code::Column::Destination.eq(destination.clone()))
                .filter(booking_code::Column::CreatedAt.gt(Utc::now() - Duration::hours(1))),
        )
        .await?;
    if recent >= 5 {
        return Err(FieldErrors::single(
            "code_by",
            "too many codes were sent there in the last hour; try again later or call the workshop",
        )
        .into());
    }
    let id = Uuid::now_v7();
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    tx.insert(booking_code::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(id),
        purpose: Set(purpose.key().to_owned()),
        destination: Set(destination),
        code_hash: Set(hash_code(id, &code)),
        request: Set(request),
        attempts: Set(0),
        expires_at: Set(Utc::now() + Duration::minutes(CODE_MINUTES)),
        used_at: Set(None),
        created_at: Set(Utc::now()),
    })
    .await?;
    fd.outbox
        .enqueue(
            tx,
            OutgoingMessage {
                kind: purpose.message(),
                to,
                vars: [("code".to_owned(), code)].into_iter().collect(),
                attachments: Vec::new(),
                send_at: None,
                idempotency_key: format!("booking-code:{id}"),
            },
        )
        .await?;
    Ok(SentCode { id, sent_to })
}

/// Where a code went, as the guest is told: the address, or the last digits of the number.
pub fn sent_to(destination: &str) -> String {
    if destination.starts_with('+') {
        let digits: String = destination.chars().filter(char::is_ascii_digit).collect();
        format!(
            "the mobile number ending {}",
            &digits[digits.len().saturating_sub(3)..]
        )
    } else {
        destination.to_owned()
    }
}

/// The row of a code sent for `purpose` (a code for one purpose is "not found" for another).
pub async fn pending(
    tx: &TenantTx,
    purpose: CodePurpose,
    id: Uuid,
) -> Result<booking_code::Model, ServiceError> {
    tx.first(
        tx.select::<booking_code::Entity>()
            .filter(booking_code::Column::Id.eq(id))
            .filter(booking_code::Column::Purpose.eq(purpose.key())),
    )
    .await?
    .ok_or(ServiceError::NotFound)
}

/// Spends one guess at a guest's code, in a transaction of its own so a wrong guess counts
/// whatever the caller does next. Right: the row, still unused (the caller acts on it and
/// marks it with [`mark_used`]). Wrong or stale: an error naming `code`; `again` says what to
/// do for a new code.
pub async fn guess(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    purpose: CodePurpose,
    id: Uuid,
    code: &str,
    again: &str,
) -> Result<booking_code::Model, ServiceError> {
    let wrong = |m: &str| -> ServiceError { FieldErrors::single("code", m).into() };
    let tx = fd.store.tx(tenant).await?;
    let row = pending(&tx, purpose, id).await?;
    if row.used_at.is_some() {
        return Err(wrong("this code was already used; see the message we sent"));
    }
    // Every guess spends one attempt in one conditional update, so guesses made at the same
    // moment cannot together try more than CODE_ATTEMPTS codes.
    let counted = tx
        .update_all(
            booking_code::Entity::update_many()
                .col_expr(
                    booking_code::Column::Attempts,
                    Expr::col(booking_code::Column::Attempts).add(1),
                )
                .filter(booking_code::Column::Id.eq(id))
                .filter(booking_code::Column::UsedAt.is_null())
                .filter(booking_code::Column::Attempts.lt(CODE_ATTEMPTS))
                .filter(booking_code::Column::ExpiresAt.gt(Utc::now())),
        )
        .await?;
    if counted == 0 {
        tx.commit().await?;
        return Err(wrong(&format!(
            "this code has expired; {again} for a new one"
        )));
    }
    let attempts = tx.get::<booking_code::Entity>(id).await?.attempts;
    tx.commit().await?;
    let given = hash_code(id, code);
    if given.as_bytes().ct_eq(row.code_hash.as_bytes()).unwrap_u8() != 1 {
        let left = CODE_ATTEMPTS - attempts;
        return Err(wrong(&if left > 0 {
            format!("that is not the code we sent; {left} tries left")
        } else {
            format!("that is not the code we sent; {again} for a new one")
        }));
    }
    Ok(row)
}

/// Marks a code spent, in the transaction that acted on it; of two confirmations at once only
/// one gets here (the other is told the code was used).
pub async fn mark_used(tx: &TenantTx, id: Uuid) -> Result<(), ServiceError> {
    let spent = tx
        .update_all(
            booking_code::Entity::update_many()
                .col_expr(booking_code::Column::UsedAt, Expr::value(Utc::now()))
                .filter(booking_code::Column::Id.eq(id))
                .filter(booking_code::Column::UsedAt.is_null()),
        )
        .await?;
    if spent == 0 {
        return Err(FieldErrors::single(
            "code",
            "this code was already used; see the message we sent",
        )
        .into());
    }
    Ok(())
}
