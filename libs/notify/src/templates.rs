//! Each tenant's own wording of its messages: per kind and channel, over the built-in
//! defaults, checked when saved (an unknown variable is refused then, with the list of known
//! ones, instead of leaving a blank in a customer's inbox) and previewed with sample data.

use std::collections::HashMap;

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    messages::{Channel, MessageKind, Template},
    permissions::Permission,
};
use pitlane_store::{
    Store, StoreError, TenantCtx, TenantTx,
    entity::message_template,
    sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter},
};
use uuid::Uuid;

use crate::{Composed, TenantSender, compose};

/// Subjects are one line; longer ones are cut by mail clients anyway.
pub const SUBJECT_MAX: usize = 200;
/// Ten SMS segments: more is a letter, not a text.
pub const SMS_MAX: usize = 1_600;

/// A kind's template on one channel, as the tenant sends it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    pub kind: MessageKind,
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    /// False while the built-in wording applies.
    pub custom: bool,
}

fn default_of(kind: MessageKind, channel: Channel) -> MessageTemplate {
    let (subject, body) = crate::defaults::template(kind, channel);
    MessageTemplate {
        kind,
        channel,
        subject: subject.map(str::to_owned),
        body: body.to_owned(),
        custom: false,
    }
}

fn of_row(kind: MessageKind, channel: Channel, row: message_template::Model) -> MessageTemplate {
    MessageTemplate {
        kind,
        channel,
        subject: row.subject,
        body: row.body,
        custom: true,
    }
}

/// The tenant's custom templates, by kind and channel: what the workers compose with.
pub async fn custom_templates(
    tx: &TenantTx,
) -> Result<HashMap<(MessageKind, Channel), (Option<String>, String)>, StoreError> {
    let rows = tx.all(tx.select::<message_template::Entity>()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let key = (
                MessageKind::parse(&row.kind)?,
                Channel::parse(&row.channel)?,
            );
            Some((key, (row.subject, row.body)))
        })
        .collect())
}

/// Every kind on every channel, custom or built-in.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<MessageTemplate>, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut custom = custom_templates(&tx).await?;
    tx.commit().await?;
    Ok(MessageKind::ALL
        .into_iter()
        .flat_map(|kind| Channel::ALL.into_iter().map(move |channel| (kind, channel)))
        .map(|(kind, channel)| match custom.remove(&(kind, channel)) {
            Some((subject, body)) => MessageTemplate {
                kind,
                channel,
                subject,
                body,
                custom: true,
            },
            None => default_of(kind, channel),
        })
        .collect())
}

async fn find(
    tx: &TenantTx,
    kind: MessageKind,
    channel: Channel,
) -> Result<Option<message_template::Model>, StoreError> {
    tx.first(
        tx.select::<message_template::Entity>()
            .filter(message_template::Column::Kind.eq(kind.as_str()))
            .filter(message_template::Column::Channel.eq(channel.as_str())),
    )
    .await
}

pub async fn get(
    store: &Store,
    actor: &Actor,
    kind: MessageKind,
    channel: Channel,
) -> Result<MessageTemplate, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = find(&tx, kind, channel).await?;
    tx.commit().await?;
    Ok(match row {
        Some(row) => of_row(kind, channel, row),
        None => default_of(kind, channel),
    })
}

/// A template as typed, checked: every variable known to the kind, the lengths in bounds,
/// a subject for e-mail and none for SMS.
pub fn check(
    kind: MessageKind,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> Result<(Option<String>, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let subject = match channel {
        Channel::Email => {
            let raw = subject.unwrap_or("").trim();
            if raw.contains(['\r', '\n']) {
                errors.add("subject", "must be one line");
                None
            } else if raw.chars().count() > SUBJECT_MAX {
                errors.add(
                    "subject",
                    format!("must be at most {SUBJECT_MAX} characters"),
                );
                None
            } else {
                errors
                    .check("subject", Template::parse(raw, kind))
                    .map(|t| Some(t.source().to_owned()))
            }
        }
        Channel::Sms => {
            if subject.is_some_and(|s| !s.trim().is_empty()) {
                errors.add("subject", "an SMS has no subject");
            }
            Some(None)
        }
    };
    let body = body.replace("\r\n", "\n");
    let body = if channel == Channel::Sms && body.chars().count() > SMS_MAX {
        errors.add(
            "body",
            format!("an SMS must be at most {SMS_MAX} characters"),
        );
        None
    } else {
        errors
            .check("body", Template::parse(&body, kind))
            .map(|t| t.source().trim_end().to_owned())
    };
    match (subject, body) {
        (Some(subject), Some(body)) if errors.is_empty() => Ok((subject, body)),
        _ => Err(errors),
    }
}

/// Saves the tenant's own wording after checking it.
pub async fn save(
    store: &Store,
    actor: &Actor,
    kind: MessageKind,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> Result<MessageTemplate, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let (subject, body) = check(kind, channel, subject, body).map_err(ServiceError::Invalid)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = match find(&tx, kind, channel).await? {
        Some(existing) => {
            let mut row: message_template::ActiveModel = existing.into();
            row.subject = Set(subject);
            row.body = Set(body);
            row.updated_by = Set(Some(actor.user_id.0));
            row.updated_at = Set(Utc::now());
            tx.update(row).await?
        }
        None => {
            tx.insert(message_template::ActiveModel {
                tenant_id: Set(actor.tenant_id.0),
                id: Set(Uuid::now_v7()),
                kind: Set(kind.as_str().to_owned()),
                channel: Set(channel.as_str().to_owned()),
                subject: Set(subject),
                body: Set(body),
                updated_by: Set(Some(actor.user_id.0)),
                updated_at: Set(Utc::now()),
            })
            .await?
        }
    };
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("template.saved").subject(format!(
            "{}.{}",
            kind.as_str(),
            channel.as_str()
        )),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %actor.tenant_id, kind = kind.as_str(), channel = channel.as_str(), "message template saved");
    Ok(of_row(kind, channel, row))
}

/// Goes back to the built-in wording.
pub async fn reset(
    store: &Store,
    actor: &Actor,
    kind: MessageKind,
    channel: Channel,
) -> Result<MessageTemplate, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    if let Some(row) = find(&tx, kind, channel).await? {
        tx.delete::<message_template::Entity>(row.id).await?;
        pitlane_store::audit::record(
            &tx,
            pitlane_store::audit::By::Member(actor),
            pitlane_store::audit::Event::new("template.reset").subject(format!(
                "{}.{}",
                kind.as_str(),
                channel.as_str()
            )),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(default_of(kind, channel))
}

/// What a template (as typed, saved or not) produces with the kind's sample data, in the
/// tenant's brand. Refused with field errors like `save`.
pub async fn preview(
    store: &Store,
    actor: &Actor,
    kind: MessageKind,
    channel: Channel,
    subject: Option<&str>,
    body: &str,
) -> Result<Composed, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let (subject, body) = check(kind, channel, subject, body).map_err(ServiceError::Invalid)?;
    let sender = tenant_sender(store, actor.tenant_id.0).await?;
    compose(
        kind,
        channel,
        &sender,
        &kind.sample(),
        Some((subject.as_deref(), &body)),
    )
    .map_err(|e| ServiceError::Invalid(FieldErrors::single("body", e.to_string())))
}

/// The tenant as its messages present it: name, sender settings, colour, phone.
pub async fn tenant_sender(store: &Store, tenant_id: Uuid) -> Result<TenantSender, StoreError> {
    let tx = store
        .tx(&TenantCtx::new(pitlane_domain::ids::TenantId(tenant_id)))
        .await?;
    let sender = sender_in(&tx).await?;
    tx.commit().await?;
    Ok(sender)
}

/// [`tenant_sender`] inside a transaction the caller holds.
pub async fn sender_in(tx: &TenantTx) -> Result<TenantSender, StoreError> {
    use pitlane_store::{
        entity::{branch, tenant},
        sea_orm::QueryOrder,
    };
    let tenant = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let phone = tx
        .first(
            tx.select::<branch::Entity>()
                .filter(branch::Column::Phone.is_not_null())
                .order_by_asc(branch::Column::Id),
        )
        .await?
        .and_then(|b| b.phone);
    Ok(TenantSender {
        name: tenant.name,
        sender_name: tenant.email_sender_name,
        reply_to: tenant.email_reply_to,
        phone,
        primary_color: tenant.brand_primary,
        sms_sender: tenant.sms_sender,
    })
}
