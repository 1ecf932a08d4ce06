//! One conversation per customer between the workshop and the customer: on the branded page
//! (live) and by SMS (replies thread in), in a staff inbox with unread counts and assignment.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::CustomerId, live::Topic, messages::MessageKind,
    permissions::Permission, roadside::RoadsideStatus,
};
use pitlane_notify::OutgoingMessage;
use pitlane_store::{
    Page, TenantCtx, TenantTx, TimeCursor,
    entity::{conversation, conversation_message, customer, membership, roadside_request, user},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, Order, QueryFilter, QueryOrder,
        QuerySelect, Select,
    },
};
use uuid::Uuid;

use crate::{FrontDesk, author_name, booking::signed_in_customer, customers::live_customer};

const MAX_BODY: usize = 2000;

/// A message as it may be written: trimmed, not empty, at most 2,000 characters.
pub fn body(raw: &str) -> Result<String, ServiceError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldErrors::single("body", "write a message first").into());
    }
    if text.chars().count() > MAX_BODY {
        return Err(FieldErrors::single("body", "must be at most 2,000 characters").into());
    }
    Ok(text.to_owned())
}

fn preview(text: &str) -> String {
    let mut p: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        p.push('…');
    }
    p
}

/// The customer's conversation, made when the first message is written.
async fn conversation_of(
    tx: &TenantTx,
    customer_id: Uuid,
) -> Result<conversation::Model, ServiceError> {
    if let Some(c) = tx
        .first(
            tx.select::<conversation::Entity>()
                .filter(conversation::Column::CustomerId.eq(customer_id)),
        )
        .await?
    {
        return Ok(c);
    }
    Ok(tx
        .insert(conversation::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            customer_id: Set(customer_id),
            assigned_to: Set(None),
            unread_for_staff: Set(0),
            last_message_at: Set(Utc::now()),
            last_message_preview: Set(String::new()),
            created_at: Set(Utc::now()),
        })
        .await?)
}

/// A message written in a roadside request's chat, perhaps with a photo (its key and type).
struct InRoadside {
    request_id: Uuid,
    photo: Option<(String, String)>,
}

async fn append(
    tx: &TenantTx,
    conv: conversation::Model,
    direction: &str,
    channel: &str,
    text: &str,
    author: Option<String>,
    roadside: Option<InRoadside>,
) -> Result<conversation_message::Model, ServiceError> {
    let now = Utc::now();
    let roadside_request = roadside.as_ref().map(|r| r.request_id);
    let (photo_key, photo_type) = roadside.and_then(|r| r.photo).unzip();
    let message = tx
        .insert(conversation_message::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            conversation_id: Set(conv.id),
            direction: Set(direction.to_owned()),
            channel: Set(channel.to_owned()),
            body: Set(text.to_owned()),
            author_name: Set(author),
            created_at: Set(now),
            roadside_request_id: Set(roadside_request),
            photo_key: Set(photo_key),
            photo_type: Set(photo_type),
        })
        .await?;
    let unread = conv.unread_for_staff;
    let mut active = conv.into_active_model();
    active.last_message_at = Set(now);
    active.last_message_preview = Set(preview(text));
    // A roadside chat has read marks of its own, on its request: it leaves the inbox's count.
    if roadside_request.is_none() {
        active.unread_for_staff = Set(if direction == "in" { unread + 1 } else { 0 });
    }
    tx.update(active).await?;
    Ok(message)
}

/// Who wrote a message of a roadside request's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatSide {
    /// The driver (the customer): an incoming message.
    Driver,
    /// The request's mechanic or a dispatcher: an outgoing message.
    Crew,
}

/// Writes a message of a roadside request's chat into the customer's conversation, so it joins
/// their history; `text` has been checked with [`body`]; `photo` is a stored photo's key and
/// type. In the caller's transaction.
pub async fn append_roadside(
    tx: &TenantTx,
    customer_id: Uuid,
    request_id: Uuid,
    side: ChatSide,
    text: &str,
    author: Option<String>,
    photo: Option<(String, String)>,
) -> Result<conversation_message::Model, ServiceError> {
    let conv = conversation_of(tx, customer_id).await?;
    let direction = match side {
        ChatSide::Driver => "in",
        ChatSide::Crew => "out",
    };
    let roadside = InRoadside { request_id, photo };
    append(tx, conv, direction, "web", text, author, Some(roadside)).await
}

/// A roadside request's chat, oldest first (its last 500 messages).
pub async fn roadside_messages(
    tx: &TenantTx,
    request_id: Uuid,
) -> Result<Vec<conversation_message::Model>, ServiceError> {
    let mut messages = tx
        .all(
            tx.select::<conversation_message::Entity>()
                .filter(conversation_message::Column::RoadsideRequestId.eq(request_id))
                .order_by_desc(conversation_message::Column::Id)
                .limit(500),
        )
        .await?;
    messages.reverse();
    Ok(messages)
}

/// A line of the staff inbox.
pub struct InboxRow {
    pub conversation: conversation::Model,
    pub customer_name: String,
}

/// The inbox, the conversation with the latest message first.
pub async fn inbox(
    fd: &FrontDesk,
    actor: &Actor,
    unread_only: bool,
    limit: u64,
) -> Result<Vec<InboxRow>, ServiceError> {
    Ok(inbox_page(fd, actor, unread_only, None, limit).await?.items)
}

/// A page of the inbox, the conversation with the latest message first (by the last
/// message's time, then id, both descending): `after` is where the page before ended.
pub async fn inbox_page(
    fd: &FrontDesk,
    actor: &Actor,
    unread_only: bool,
    after: Option<TimeCursor>,
    limit: u64,
) -> Result<Page<InboxRow, TimeCursor>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let limit = limit.clamp(1, 200);
    let (at, id) = (
        conversation::Column::LastMessageAt,
        conversation::Column::Id,
    );
    let mut query = tx
        .select::<conversation::Entity>()
        .order_by_desc(at)
        .order_by_desc(id)
        .limit(limit + 1);
    if unread_only {
        query = query.filter(conversation::Column::UnreadForStaff.gt(0));
    }
    if let Some(after) = after {
        query = query.filter(after.after(at, id, &Order::Desc));
    }
    let rows = Page::cut(tx.all(query).await?, limit, |c| TimeCursor {
        at: c.last_message_at,
        id: c.id,
    });
    let names: HashMap<Uuid, String> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(rows.items.iter().map(|c| c.customer_id))),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    tx.commit().await?;
    Ok(rows.map(|c| InboxRow {
        customer_name: names.get(&c.customer_id).cloned().unwrap_or_default(),
        conversation: c,
    }))
}

/// How many conversations have messages staff have not read.
pub async fn unread_count(fd: &FrontDesk, actor: &Actor) -> Result<u64, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let n = unread_in(&tx).await?;
    tx.commit().await?;
    Ok(n)
}

/// Conversations with messages staff have not read, in an open transaction (the caller has
/// checked `customers.read`).
pub async fn unread_in(tx: &TenantTx) -> Result<u64, ServiceError> {
    Ok(tx.count(unread(tx)).await?)
}

/// The conversations with messages the staff have not read (to count with others).
pub fn unread(tx: &TenantTx) -> Select<conversation::Entity> {
    tx.select::<conversation::Entity>()
        .filter(conversation::Column::UnreadForStaff.gt(0))
}

pub struct Thread {
    pub conversation: conversation::Model,
    pub customer: customer::Model,
    pub messages: Vec<conversation_message::Model>,
}

async fn thread_in(tx: &TenantTx, conv: conversation::Model) -> Result<Thread, ServiceError> {
    let customer = tx.get::<customer::Entity>(conv.customer_id).await?;
    let mut messages = tx
        .all(
            tx.select::<conversation_message::Entity>()
                .filter(conversation_message::Column::ConversationId.eq(conv.id))
                .order_by_desc(conversation_message::Column::Id)
                .limit(200),
        )
        .await?;
    messages.reverse();
    Ok(Thread {
        conversation: conv,
        customer,
        messages,
    })
}

pub async fn thread(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<Thread, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let conv = tx.get::<conversation::Entity>(id).await?;
    let t = thread_in(&tx, conv).await?;
    tx.commit().await?;
    Ok(t)
}

/// The conversation of a customer, for staff starting one from the customer's page.
pub async fn for_customer(
    fd: &FrontDesk,
    actor: &Actor,
    customer_id: CustomerId,
) -> Result<conversation::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    live_customer(&tx, customer_id).await?;
    let c = conversation_of(&tx, customer_id.0).await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn mark_read(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let conv = tx.get::<conversation::Entity>(id).await?;
    let mut active = conv.into_active_model();
    active.unread_for_staff = Set(0);
    let updated = tx.update(active).await?;
    tx.commit().await?;
    publish_staff(fd, &updated, "conversation.read").await;
    Ok(())
}

/// Who a conversation can be assigned to: active staff, by name.
pub async fn assignable(
    fd: &FrontDesk,
    actor: &Actor,
) -> Result<Vec<(Uuid, String)>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active"))
                .filter(membership::Column::Role.ne("customer")),
        )
        .await?;
    let people: HashMap<Uuid, String> = tx
        .people()
        .all(
            <user::Entity as pitlane_store::sea_orm::EntityTrait>::find()
                .filter(user::Column::Id.is_in(members.iter().map(|m| m.user_id))),
        )
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    tx.commit().await?;
    let mut out: Vec<(Uuid, String)> = members
        .into_iter()
        .map(|m| (m.id, people.get(&m.user_id).cloned().unwrap_or_default()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

pub async fn assign(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    to: Option<Uuid>,
) -> Result<conversation::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    if let Some(member) = to {
        match tx.get::<membership::Entity>(member).await {
            Ok(m) if m.status == "active" && m.role != "customer" => {}
            Ok(_) | Err(pitlane_store::StoreError::NotFound) => {
                return Err(
                    FieldErrors::single("assigned_to", "not an active member of staff").into(),
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    let conv = tx.get::<conversation::Entity>(id).await?;
    let mut active = conv.into_active_model();
    active.assigned_to = Set(to);
    let updated = tx.update(active).await?;
    tx.commit().await?;
    publish_staff(fd, &updated, "conversation.assigned").await;
    Ok(updated)
}

/// Staff write to the customer: shown live on their page, and sent by SMS (with consent) or
/// e-mail so they hear of it when they are not looking.
pub async fn reply(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    text: &str,
    site: &str,
) -> Result<conversation_message::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let text = body(text)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let conv = tx.get::<conversation::Entity>(id).await?;
    let customer = tx.get::<customer::Entity>(conv.customer_id).await?;
    let message = write_to_customer_in(fd, &tx, actor, &customer, &text, site).await?;
    tx.commit().await?;
    publish_message(fd, &customer, &message).await;
    Ok(message)
}

/// A member of staff writes `text` (checked with [`body`]) into the customer's conversation
/// and it is sent to them (SMS with consent, else e-mail), in the caller's transaction; call
/// [`publish_message`] after it committed.
pub(crate) async fn write_to_customer_in(
    fd: &FrontDesk,
    tx: &TenantTx,
    actor: &Actor,
    customer: &customer::Model,
    text: &str,
    site: &str,
) -> Result<conversation_message::Model, ServiceError> {
    let conv = conversation_of(tx, customer.id).await?;
    let author = author_name(tx, actor).await?;
    let message = append(tx, conv, "out", "web", text, author.clone(), None).await?;
    let vars: BTreeMap<String, String> = [
        ("customer_name", customer.name.clone()),
        ("body", text.to_owned()),
        ("author", author.unwrap_or_else(|| "The workshop".into())),
        ("link", format!("{site}/account/messages")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(to) = crate::customers::reach(customer) {
        fd.outbox
            .enqueue(
                tx,
                OutgoingMessage {
                    kind: MessageKind::ConversationReply,
                    to,
                    vars,
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key: format!("conversation:{}", message.id),
                },
            )
            .await?;
    }
    Ok(message)
}

/// The signed-in customer's own conversation.
pub async fn mine(fd: &FrontDesk, actor: &Actor) -> Result<Thread, ServiceError> {
    if !actor.role.is(pitlane_domain::permissions::Role::Customer) {
        return Err(ServiceError::Forbidden("a customer account"));
    }
    let tx = fd.store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let me = signed_in_customer(&tx, actor).await?;
    let conv = conversation_of(&tx, me.id).await?;
    let t = thread_in(&tx, conv).await?;
    tx.commit().await?;
    Ok(t)
}

/// The signed-in customer writes to the workshop from its site.
pub async fn customer_writes(
    fd: &FrontDesk,
    actor: &Actor,
    text: &str,
) -> Result<conversation_message::Model, ServiceError> {
    if !actor.role.is(pitlane_domain::permissions::Role::Customer) {
        return Err(ServiceError::Forbidden("a customer account"));
    }
    let text = body(text)?;
    let tx = fd.store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let me = signed_in_customer(&tx, actor).await?;
    let conv = conversation_of(&tx, me.id).await?;
    let message = append(&tx, conv, "in", "web", &text, Some(me.name.clone()), None).await?;
    tx.commit().await?;
    publish_message(fd, &me, &message).await;
    Ok(message)
}

/// An SMS from a customer's number threads into their conversation. Returns whether it
/// belonged to a customer.
pub async fn sms_received(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    from: &str,
    text: &str,
) -> Result<bool, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let Some(customer) = tx
        .first(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Phone.eq(from))
                .filter(customer::Column::MergedInto.is_null())
                .filter(customer::Column::ErasedAt.is_null())
                .order_by_asc(customer::Column::Id),
        )
        .await?
    else {
        tx.commit().await?;
        return Ok(false);
    };
    let conv = conversation_of(&tx, customer.id).await?;
    // A driver waiting for roadside help answers their request's chat by text.
    let roadside = open_roadside_request(&tx, customer.id).await?;
    let message = append(
        &tx,
        conv,
        "in",
        "sms",
        text.trim(),
        Some(customer.name.clone()),
        roadside.map(|request_id| InRoadside {
            request_id,
            photo: None,
        }),
    )
    .await?;
    tx.commit().await?;
    publish_message(fd, &customer, &message).await;
    if let Some(request) = roadside {
        fd.live
            .publish(
                message.tenant_id,
                Topic::Roadside,
                Some(request),
                "roadside.message",
                serde_json::json!({"id": request, "message_id": message.id, "side": "driver", "at": message.created_at}),
            )
            .await;
    }
    Ok(true)
}

/// The customer's newest roadside request that is still open, if any.
async fn open_roadside_request(
    tx: &TenantTx,
    customer_id: Uuid,
) -> Result<Option<Uuid>, ServiceError> {
    let open = RoadsideStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(RoadsideStatus::key);
    Ok(tx
        .first(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::CustomerId.eq(customer_id))
                .filter(roadside_request::Column::Status.is_in(open))
                .order_by_desc(roadside_request::Column::Id),
        )
        .await?
        .map(|r| r.id))
}

pub(crate) async fn publish_message(
    fd: &FrontDesk,
    customer: &customer::Model,
    m: &conversation_message::Model,
) {
    let data = serde_json::json!({
        "conversation_id": m.conversation_id,
        "id": m.id,
        "direction": m.direction,
        "channel": m.channel,
        "body": m.body,
        "author": m.author_name,
        "at": m.created_at,
    });
    // Staff hear every conversation; the customer hears theirs, addressed to their login.
    fd.live
        .publish(
            m.tenant_id,
            Topic::Conversations,
            None,
            "conversation.message",
            data.clone(),
        )
        .await;
    if let Some(user) = customer.user_id {
        fd.live
            .publish(
                m.tenant_id,
                Topic::Conversations,
                Some(user),
                "conversation.message",
                data,
            )
            .await;
    }
}

async fn publish_staff(fd: &FrontDesk, c: &conversation::Model, kind: &str) {
    fd.live
        .publish(
            c.tenant_id,
            Topic::Conversations,
            None,
            kind,
            serde_json::json!({"conversation_id": c.id, "unread": c.unread_for_staff, "assigned_to": c.assigned_to}),
        )
        .await;
}
