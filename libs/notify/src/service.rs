//! What the portal and API offer tenants about their messages: the sender settings, a test
//! send, the list of messages with their delivery state, and retrying a dead letter.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    live::Topic,
    messages::{Channel, MessageKind},
    permissions::Permission,
    phone::PhoneE164,
    text::{DisplayName, Email},
};
use pitlane_store::{
    Page, Store, StoreError, TenantCtx, TenantTx,
    entity::{branch, outbox, sms_inbound, tenant},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    },
};
use serde_json::json;
use uuid::Uuid;

use crate::{Live, Outbox, OutgoingMessage, Recipient, consent};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderSettings {
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// The number the workshop's SMS come from (E.164), and customers reply to.
    pub sms_sender: Option<String>,
    /// The workshop's name: what recipients see when no sender name is set.
    pub workshop_name: String,
}

pub async fn sender_settings(store: &Store, actor: &Actor) -> Result<SenderSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    tx.commit().await?;
    Ok(settings_of(row))
}

fn settings_of(row: tenant::Model) -> SenderSettings {
    SenderSettings {
        sender_name: row.email_sender_name,
        reply_to: row.email_reply_to,
        sms_sender: row.sms_sender,
        workshop_name: row.name,
    }
}

/// The country the tenant's numbers are read in when typed without `+`: its first branch's.
async fn home_region(tx: &TenantTx) -> Result<Option<String>, StoreError> {
    Ok(tx
        .first(
            tx.select::<branch::Entity>()
                .filter(branch::Column::Country.is_not_null())
                .order_by_asc(branch::Column::Id),
        )
        .await?
        .and_then(|b| b.country))
}

fn optional(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// What the sender settings form or API sends; empty fields clear a setting.
#[derive(Debug, Clone, Default)]
pub struct SenderInput<'a> {
    pub sender_name: &'a str,
    pub reply_to: &'a str,
    pub sms_sender: &'a str,
}

/// Sets the name recipients see, where their replies go, and the SMS number.
///
/// An SMS number must be proven: it can never be the deployment's shared number, and with an
/// SMS provider configured, the provider's account must hold it (so a workshop cannot send
/// as a number that is someone else's). Without a provider SMS are only written to files.
pub async fn update_sender(
    store: &Store,
    config: &crate::NotifyConfig,
    actor: &Actor,
    input: SenderInput<'_>,
) -> Result<SenderSettings, ServiceError> {
    let SenderInput {
        sender_name,
        reply_to,
        sms_sender,
    } = input;
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let name = match optional(sender_name) {
        Some(raw) if raw.contains(['<', '>', '"', '@', '\r', '\n']) => {
            errors.add("sender_name", "use a plain name, without < > \" or @");
            None
        }
        Some(raw) => errors
            .check("sender_name", DisplayName::parse(raw, 80))
            .map(|n| Some(n.into_inner())),
        None => Some(None),
    };
    let reply = match optional(reply_to) {
        Some(raw) => errors
            .check("reply_to", Email::parse(raw))
            .map(|e| Some(e.into_inner())),
        None => Some(None),
    };
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let region = home_region(&tx).await?;
    let sms = match optional(sms_sender) {
        Some(raw) => errors
            .check("sms_sender", PhoneE164::parse(raw, region.as_deref()))
            .map(|p| Some(p.into_inner())),
        None => Some(None),
    };
    if let Some(Some(number)) = &sms {
        let shared = config
            .sms_from
            .as_deref()
            .and_then(|f| PhoneE164::parse(f, None).ok())
            .is_some_and(|f| f.as_str() == number);
        if shared {
            errors.add(
                "sms_sender",
                "this is the platform's shared number, which every workshop without its own number sends from; it cannot be one workshop's",
            );
        } else if store
            .tenant_by_sms_number(number)
            .await?
            .is_some_and(|t| t.id != actor.tenant_id.0)
        {
            errors.add(
                "sms_sender",
                "this number already sends for another workshop on this platform",
            );
        } else if let Some(provider) = &config.sms_provider {
            match crate::sms::account_owns_number(provider, number).await {
                Ok(true) => {}
                Ok(false) => errors.add(
                    "sms_sender",
                    "this number is not on the platform's SMS account; ask the platform for a number of your own",
                ),
                Err(err) => {
                    tracing::warn!(error = %err, "checking an SMS sender number");
                    errors.add(
                        "sms_sender",
                        "the SMS provider could not confirm this number just now; try again in a moment",
                    );
                }
            }
        }
    }
    let (Some(name), Some(reply), Some(sms)) = (name, reply, sms) else {
        return Err(ServiceError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let mut row = tx
        .get::<tenant::Entity>(actor.tenant_id.0)
        .await?
        .into_active_model();
    row.email_sender_name = Set(name);
    row.email_reply_to = Set(reply);
    row.sms_sender = Set(sms);
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await?;
    pitlane_store::audit::record(&tx, pitlane_store::audit::By::Member(actor), pitlane_store::audit::Event::new("settings.sender_changed").detail(serde_json::json!({
        "sender_name": updated.email_sender_name, "reply_to": updated.email_reply_to, "sms_sender": updated.sms_sender,
    }))).await?;
    tx.commit().await?;
    tracing::info!(tenant = %actor.tenant_id, "sender settings updated");
    Ok(settings_of(updated))
}

/// Sends the test message to `to` (an e-mail address, or a phone number for
/// [`Channel::Sms`]), so the owner sees what customers will get.
pub async fn send_test(
    store: &Store,
    outbox: &Outbox,
    live: &Live,
    actor: &Actor,
    channel: Channel,
    sent_by: &str,
    to: &str,
) -> Result<Uuid, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let recipient = match channel {
        Channel::Email => Recipient::Email {
            address: Email::parse(to)
                .map_err(|e| ServiceError::Invalid(FieldErrors::single("to", e.to_string())))?,
            name: None,
        },
        Channel::Sms => {
            let region = home_region(&tx).await?;
            let phone = PhoneE164::parse(to, region.as_deref())
                .map_err(|e| ServiceError::Invalid(FieldErrors::single("to", e.to_string())))?;
            // The owner typing a number to test with is consent for this one message's kind
            // of contact; a number that replied STOP stays opted out all the same.
            consent::record_consent(&tx, &phone, &format!("test SMS sent by {sent_by}")).await?;
            Recipient::Sms {
                phone: phone.into_inner(),
            }
        }
    };
    let vars = BTreeMap::from([("sent_by".to_owned(), sent_by.to_owned())]);
    let enqueued = outbox
        .enqueue(
            &tx,
            OutgoingMessage {
                kind: MessageKind::TestMessage,
                to: recipient,
                vars,
                attachments: Vec::new(),
                send_at: None,
                // Every click is a new test.
                idempotency_key: format!("test:{}", Uuid::now_v7()),
            },
        )
        .await?;
    tx.commit().await?;
    announce(live, actor.tenant_id.0, enqueued.id(), "pending").await;
    Ok(enqueued.id())
}

/// Tells the tenant's open message pages that a message changed state.
async fn announce(live: &Live, tenant: Uuid, id: Uuid, status: &str) {
    live.publish(
        tenant,
        Topic::Messages,
        None,
        "messages.updated",
        json!({ "messages": [{ "id": id, "status": status }] }),
    )
    .await;
}

/// A message as its tenant sees it in lists: what, to whom, and how delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: Uuid,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// What the SMS provider reported after accepting it: delivered, undelivered, failed.
    pub delivery_status: Option<String>,
    pub not_before: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<outbox::Model> for MessageSummary {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            recipient: m.recipient,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            delivery_status: m.delivery_status,
            not_before: m.not_before,
            sent_at: m.sent_at,
            created_at: m.created_at,
        }
    }
}

pub const STATUSES: [&str; 7] = [
    "pending",
    "queued",
    "sending",
    "sent",
    "dead",
    "suppressed",
    "cancelled",
];

/// The tenant's messages, oldest first from the cursor, optionally of one status.
pub async fn list_messages(
    store: &Store,
    actor: &Actor,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<MessageSummary>, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    if let Some(status) = status
        && !STATUSES.contains(&status)
    {
        return Err(ServiceError::Invalid(FieldErrors::single(
            "status",
            format!("must be one of {}", STATUSES.join(", ")),
        )));
    }
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<outbox::Entity>();
    if let Some(status) = status {
        query = query.filter(outbox::Column::Status.eq(status));
    }
    let page = tx.page(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(Page {
        items: page.items.into_iter().map(MessageSummary::from).collect(),
        next: page.next,
    })
}

pub async fn get_message(
    store: &Store,
    actor: &Actor,
    id: Uuid,
) -> Result<MessageSummary, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<outbox::Entity>(id).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Sends a dead letter again, with a fresh set of attempts.
pub async fn retry_message(
    store: &Store,
    live: &Live,
    actor: &Actor,
    id: Uuid,
) -> Result<(), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<outbox::Entity>(id).await?;
    if row.status != "dead" {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            format!(
                "only a dead message can be retried; this one is {}",
                row.status
            ),
        )));
    }
    tx.retry_message(id).await?;
    tx.commit().await?;
    announce(live, actor.tenant_id.0, id, "pending").await;
    tracing::info!(tenant = %actor.tenant_id, message = %id, "dead letter retried");
    Ok(())
}

/// The provider's report on an SMS it accepted (its status callback). `reference` is the
/// `tenant:message` we gave it; an unknown reference is `NotFound`.
pub async fn record_delivery_report(
    store: &Store,
    live: &Live,
    reference: &str,
    status: &str,
    error_code: Option<&str>,
) -> Result<(), ServiceError> {
    let (tenant, id) = reference
        .split_once(':')
        .and_then(|(t, m)| Some((Uuid::parse_str(t).ok()?, Uuid::parse_str(m).ok()?)))
        .ok_or(ServiceError::NotFound)?;
    let status: String = status
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    let tx = store
        .tx(&TenantCtx::new(pitlane_domain::ids::TenantId(tenant)))
        .await?;
    let row = tx.get::<outbox::Entity>(id).await?;
    let failed = matches!(status.as_str(), "failed" | "undelivered");
    let mut row = row.into_active_model();
    row.delivery_status = Set(Some(status.clone()));
    if failed {
        row.last_error = Set(Some(match error_code {
            Some(code) => format!("the carrier reported the SMS {status} (error {code})"),
            None => format!("the carrier reported the SMS {status}"),
        }));
    }
    row.updated_at = Set(Utc::now());
    tx.update(row).await?;
    tx.commit().await?;
    live.publish(
        tenant,
        Topic::Messages,
        None,
        "messages.updated",
        json!({ "messages": [{ "id": id, "delivery_status": status }] }),
    )
    .await;
    Ok(())
}

/// An SMS a customer sent the workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    pub id: Uuid,
    pub from: String,
    pub body: String,
    pub keyword: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// The SMS customers sent, newest first.
pub async fn received_sms(
    store: &Store,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<ReceivedSms>, ServiceError> {
    Ok(received_sms_page(store, actor, None, limit).await?.items)
}

/// A page of the SMS received, newest first (by id): `after` is the last id of the page before.
pub async fn received_sms_page(
    store: &Store,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<ReceivedSms>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let page = tx
        .page_newest(
            tx.select::<sms_inbound::Entity>(),
            after,
            limit.clamp(1, 200),
        )
        .await?;
    tx.commit().await?;
    Ok(page.map(|r| ReceivedSms {
        id: r.id,
        from: r.from_phone,
        body: r.body,
        keyword: r.keyword,
        received_at: r.received_at,
    }))
}

/// Checks a workshop's SMS number again (the maintenance round, hourly): a number saved
/// before numbers had to be proven, or one since released from the provider's account, is
/// dropped, so the workshop sends from the shared number until it proves one. Returns
/// whether it dropped one. A provider that cannot answer just now changes nothing.
pub async fn recheck_sms_sender(
    store: &Store,
    config: &crate::NotifyConfig,
    ctx: &TenantCtx,
) -> Result<bool, ServiceError> {
    // Read, then ask the provider outside any transaction (it may take seconds), then drop
    // the number only if it is still the one checked.
    let number = {
        let tx = store.tx(ctx).await?;
        let workshop = tx.get::<tenant::Entity>(ctx.tenant_id.0).await?;
        tx.commit().await?;
        match workshop.sms_sender {
            Some(number) => number,
            None => return Ok(false),
        }
    };
    let shared = config
        .sms_from
        .as_deref()
        .and_then(|f| PhoneE164::parse(f, None).ok())
        .is_some_and(|f| f.as_str() == number);
    let owned = match (&config.sms_provider, shared) {
        (_, true) => false,
        (Some(provider), false) => match crate::sms::account_owns_number(provider, &number).await {
            Ok(owned) => owned,
            Err(err) => {
                tracing::warn!(tenant = %ctx.tenant_id, error = %err, "re-checking an SMS sender number");
                true
            }
        },
        // Without a provider, SMS are only written to files: there is nothing to prove.
        (None, false) => true,
    };
    if owned {
        return Ok(false);
    }
    let tx = store.tx(ctx).await?;
    let dropped = tx
        .update_all(
            tenant::Entity::update_many()
                .col_expr(
                    tenant::Column::SmsSender,
                    pitlane_store::sea_orm::sea_query::Expr::value(Option::<String>::None),
                )
                .col_expr(
                    tenant::Column::UpdatedAt,
                    pitlane_store::sea_orm::sea_query::Expr::value(Utc::now()),
                )
                .filter(tenant::Column::Id.eq(ctx.tenant_id.0))
                .filter(tenant::Column::SmsSender.eq(number.as_str())),
        )
        .await?;
    if dropped == 0 {
        // Changed meanwhile: the new number was proven when it was saved.
        return Ok(false);
    }
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Operator,
        pitlane_store::audit::Event::new("settings.sms_sender_dropped")
            .detail(serde_json::json!({ "sms_sender": number, "shared": shared })),
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(tenant = %ctx.tenant_id, "an SMS sender number not proven was dropped");
    Ok(true)
}
