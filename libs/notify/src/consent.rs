//! Who may be texted, and what customers text back. A number gets SMS only with consent on
//! record and no STOP since; STOP and START arrive as inbound SMS and are honoured per number
//! and tenant, the way carriers expect.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use pitlane_domain::{ServiceError, permissions::Permission, phone::PhoneE164};
use pitlane_store::{
    Store, StoreError, TenantCtx, TenantTx,
    entity::{sms_consent, sms_inbound},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use uuid::Uuid;

use crate::{
    live::Live,
    staff::{NewNotification, Notified, notify_members_with},
};

/// The keywords carriers and providers treat specially (CTIA / Twilio's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

impl Keyword {
    pub fn of(body: &str) -> Option<Self> {
        let word = body
            .trim()
            .trim_end_matches(['.', '!'])
            .to_ascii_uppercase();
        match word.as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" => {
                Some(Self::Stop)
            }
            "START" | "YES" | "UNSTOP" | "OPTIN" => Some(Self::Start),
            "HELP" | "INFO" => Some(Self::Help),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Stop => "stop",
            Keyword::Start => "start",
            Keyword::Help => "help",
        }
    }
}

/// Records that `phone` agreed to SMS from this tenant (how, in `source`). A number that
/// replied STOP stays opted out until it sends START itself.
pub async fn record_consent(
    tx: &TenantTx,
    phone: &PhoneE164,
    source: &str,
) -> Result<(), StoreError> {
    upsert(tx, phone.as_str(), |row| {
        row.consented_at = Set(Some(Utc::now()));
        row.consent_source = Set(Some(source.to_owned()));
    })
    .await
}

/// Records that `phone` no longer wants SMS from this tenant (withdrawn at the front desk, say).
pub async fn record_opt_out(tx: &TenantTx, phone: &PhoneE164) -> Result<(), StoreError> {
    upsert(tx, phone.as_str(), |row| {
        row.opted_out_at = Set(Some(Utc::now()));
    })
    .await
}

async fn upsert(
    tx: &TenantTx,
    phone: &str,
    change: impl FnOnce(&mut sms_consent::ActiveModel),
) -> Result<(), StoreError> {
    let existing = tx
        .first(
            tx.select::<sms_consent::Entity>()
                .filter(sms_consent::Column::Phone.eq(phone)),
        )
        .await?;
    match existing {
        Some(row) => {
            let mut row = row.into_active_model();
            change(&mut row);
            row.updated_at = Set(Utc::now());
            tx.update(row).await?;
        }
        None => {
            let mut row = sms_consent::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                phone: Set(phone.to_owned()),
                consented_at: Set(None),
                consent_source: Set(None),
                opted_out_at: Set(None),
                updated_at: Set(Utc::now()),
            };
            change(&mut row);
            tx.insert(row).await?;
        }
    }
    Ok(())
}

/// Why a number may not be texted, if it may not.
pub fn refusal(row: Option<&sms_consent::Model>) -> Option<String> {
    match row {
        Some(row) if row.opted_out_at.is_some() => Some(format!(
            "the recipient replied STOP on {}; they can reply START to receive SMS again",
            row.opted_out_at
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        )),
        Some(row) if row.consented_at.is_some() => None,
        _ => Some("no consent to SMS is on record for this number".into()),
    }
}

/// The consent rows of these numbers.
pub async fn consent_of(
    tx: &TenantTx,
    phones: &HashSet<String>,
) -> Result<HashMap<String, sms_consent::Model>, StoreError> {
    if phones.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .all(
            tx.select::<sms_consent::Entity>()
                .filter(sms_consent::Column::Phone.is_in(phones.iter().cloned())),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.phone.clone(), r)).collect())
}

/// An SMS a customer sent to a tenant's number, as the provider's webhook delivered it.
#[derive(Debug, Clone)]
pub struct InboundSms {
    pub provider_ref: String,
    pub from: String,
    pub to: String,
    pub body: String,
}

/// What to text back, if anything (the webhook answers with it), and the message itself when
/// it is new and not a keyword, for the customer's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundReply {
    pub reply: Option<String>,
    pub message: Option<NewInbound>,
}

/// A new text from someone, to thread into their conversation with the workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    pub tenant_id: pitlane_domain::ids::TenantId,
    pub from: String,
    pub body: String,
}

/// Records an inbound SMS for the tenant that owns the number it was sent to, honours STOP /
/// START, and tells the staff about a reply. A repeated delivery of the same message changes
/// nothing.
pub async fn receive(
    store: &Store,
    live: &Live,
    sms: InboundSms,
) -> Result<InboundReply, ServiceError> {
    let to = PhoneE164::parse(&sms.to, None)
        .map_err(|_| ServiceError::NotFound)?
        .into_inner();
    let tenant = store
        .tenant_by_sms_number(&to)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let from = PhoneE164::parse(&sms.from, None)
        .map(PhoneE164::into_inner)
        .unwrap_or_else(|_| sms.from.trim().to_owned());
    let keyword = Keyword::of(&sms.body);
    let tx = store
        .tx(&TenantCtx::new(pitlane_domain::ids::TenantId(tenant.id)))
        .await?;
    let already = tx
        .first(
            tx.select::<sms_inbound::Entity>()
                .filter(sms_inbound::Column::ProviderRef.eq(&sms.provider_ref)),
        )
        .await?;
    let mut notified = Notified::default();
    let mut message = None;
    if already.is_none() {
        tx.insert(sms_inbound::ActiveModel {
            tenant_id: Set(tenant.id),
            id: Set(Uuid::now_v7()),
            from_phone: Set(from.clone()),
            to_phone: Set(to),
            body: Set(sms.body.chars().take(1600).collect()),
            keyword: Set(keyword.map(|k| k.as_str().to_owned())),
            provider_ref: Set(sms.provider_ref.clone()),
            received_at: Set(Utc::now()),
        })
        .await?;
        match keyword {
            Some(Keyword::Stop) => {
                upsert(&tx, &from, |row| row.opted_out_at = Set(Some(Utc::now()))).await?;
                tracing::info!(tenant = %tenant.id, "SMS opt-out (STOP) recorded");
            }
            Some(Keyword::Start) => {
                upsert(&tx, &from, |row| {
                    row.opted_out_at = Set(None);
                    row.consented_at = Set(Some(Utc::now()));
                    row.consent_source = Set(Some("replied START".into()));
                })
                .await?;
                tracing::info!(tenant = %tenant.id, "SMS opt-in (START) recorded");
            }
            Some(Keyword::Help) => {}
            None => {
                message = Some(NewInbound {
                    tenant_id: pitlane_domain::ids::TenantId(tenant.id),
                    from: from.clone(),
                    body: sms.body.chars().take(1600).collect(),
                });
                let preview: String = sms.body.chars().take(140).collect();
                notified = notify_members_with(
                    &tx,
                    Permission::CustomersWrite,
                    &NewNotification {
                        title: format!("SMS from {from}"),
                        body: preview,
                        link: Some("/portal/messages?view=received".into()),
                    },
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    notified.publish(live).await;
    let name = tenant.email_sender_name.unwrap_or(tenant.name);
    let reply = match keyword {
        Some(Keyword::Stop) => Some(format!(
            "{name}: you will get no more SMS from us. Reply START to receive them again."
        )),
        Some(Keyword::Start) => Some(format!(
            "{name}: you will receive SMS from us again. Reply STOP to opt out."
        )),
        Some(Keyword::Help) => Some(format!(
            "{name}: reply STOP to opt out of SMS, START to opt back in."
        )),
        None => None,
    };
    Ok(InboundReply { reply, message })
}
