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
///
/// A text to the deployment's shared number (`shared`, `SMS_FROM`) belongs to the
/// conversation it answers: the workshop (without a number of its own) that last texted that
/// phone. STOP and START there apply to every workshop that texted the phone from it.
pub async fn receive(
    store: &Store,
    live: &Live,
    shared: Option<&str>,
    sms: InboundSms,
) -> Result<InboundReply, ServiceError> {
    let to = PhoneE164::parse(&sms.to, None)
        .map_err(|_| ServiceError::NotFound)?
        .into_inner();
    let shared = shared
        .and_then(|s| PhoneE164::parse(s, None).ok())
        .map(PhoneE164::into_inner);
    if shared.as_deref() == Some(to.as_str()) {
        let from = PhoneE164::parse(&sms.from, None)
            .map(PhoneE164::into_inner)
            .unwrap_or_else(|_| sms.from.trim().to_owned());
        let tenants = store.tenants_texting(&from).await?;
        let Some(latest) = tenants.first() else {
            return Err(ServiceError::NotFound);
        };
        let latest = store
            .tenant_by_id(pitlane_domain::ids::TenantId(*latest))
            .await?
            .ok_or(ServiceError::NotFound)?;
        let keyword = Keyword::of(&sms.body);
        if matches!(keyword, Some(Keyword::Stop | Keyword::Start)) {
            let mut names = Vec::new();
            for id in &tenants {
                let Some(tenant) = store
                    .tenant_by_id(pitlane_domain::ids::TenantId(*id))
                    .await?
                else {
                    continue;
                };
                names.push(
                    tenant
                        .email_sender_name
                        .clone()
                        .unwrap_or(tenant.name.clone()),
                );
                receive_for(store, live, tenant, &to, sms.clone()).await?;
            }
            let list = names.join(", ");
            let reply = if keyword == Some(Keyword::Stop) {
                format!("You will get no more SMS from {list}. Reply START to receive them again.")
            } else {
                format!("You will receive SMS from {list} again. Reply STOP to opt out.")
            };
            return Ok(InboundReply {
                reply: Some(reply),
                message: None,
            });
        }
        return receive_for(store, live, latest, &to, sms).await;
    }
    let tenant = store
        .tenant_by_sms_number(&to)
        .await?
        .ok_or(ServiceError::NotFound)?;
    receive_for(store, live, tenant, &to, sms).await
}

/// An inbound SMS for one workshop.
async fn receive_for(
    store: &Store,
    live: &Live,
    tenant: pitlane_store::entity::tenant::Model,
    to: &str,
    sms: InboundSms,
) -> Result<InboundReply, ServiceError> {
    let to = to.to_owned();
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
