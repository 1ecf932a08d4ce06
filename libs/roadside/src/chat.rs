//! A request's chat: the driver and the crew (its mechanic and the dispatchers) write to each
//! other inside the request, delivered live both ways through the request's stream, with read
//! marks. A crew message reaches a driver whose page is closed by SMS (or e-mail), and the
//! driver's texted answer comes back into the chat (`frontdesk::conversations::sms_received`).
//! The messages are part of the customer's conversation: the inbox and their account show
//! them in the customer's history.
//!
//! The live events carry no text: the request's stream is also followed by mechanics it is
//! offered to, who are not in the conversation; readers fetch the chat when told.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, live::Topic, messages::MessageKind, permissions::Permission,
};
use pitlane_frontdesk::conversations::{self, ChatSide};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{conversation_message, customer, repair_order, roadside_request},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    Roadside, follow,
    request::{self, status_of},
};

/// How long a driver counts as watching after their page's stream last said so; the stream
/// says so every [`PRESENCE_BEAT`].
const PRESENCE_FOR: Duration = Duration::from_secs(45);
pub const PRESENCE_BEAT: Duration = Duration::from_secs(20);

/// One message of the chat.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub id: Uuid,
    pub side: ChatSide,
    pub author: Option<String>,
    pub body: String,
    /// `web`, or `sms` for a driver's texted answer.
    pub channel: String,
    pub at: DateTime<Utc>,
    /// Whether the other side has read it.
    pub read: bool,
    /// The message is a photo (fetched by its id).
    pub photo: bool,
}

/// The chat of a request, oldest first, and whether it still takes messages.
#[derive(Debug, Clone)]
pub struct Chat {
    pub messages: Vec<ChatMessage>,
    pub open: bool,
}

fn side_of(m: &conversation_message::Model) -> ChatSide {
    if m.direction == "in" {
        ChatSide::Driver
    } else {
        ChatSide::Crew
    }
}

async fn chat_of(tx: &TenantTx, row: &roadside_request::Model) -> Result<Chat, ServiceError> {
    let messages = conversations::roadside_messages(tx, row.id)
        .await?
        .into_iter()
        .map(|m| {
            let side = side_of(&m);
            // Read by the other side: the driver reads the crew's, the crew the driver's.
            let mark = match side {
                ChatSide::Crew => row.driver_read_at,
                ChatSide::Driver => row.crew_read_at,
            };
            let read = mark.is_some_and(|at| at >= m.created_at);
            to_chat_message(m, read)
        })
        .collect();
    Ok(Chat {
        messages,
        open: status_of(row).is_open(),
    })
}

/// The request, if the member is in its chat: its mechanic or a dispatcher. A mechanic it is
/// merely offered to sees the request but not the conversation.
async fn as_crew(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
) -> Result<roadside_request::Model, ServiceError> {
    let row = follow::seen(tx, actor, id).await?;
    if actor.can(Permission::RoadsideDispatch) || row.mechanic_id == Some(actor.membership_id.0) {
        Ok(row)
    } else {
        Err(ServiceError::Forbidden(
            "the request's mechanic or a dispatcher",
        ))
    }
}

/// The chat as the crew reads it.
pub async fn for_crew(rs: &Roadside, actor: &Actor, id: Uuid) -> Result<Chat, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_crew(&tx, actor, id).await?;
    let chat = chat_of(&tx, &row).await?;
    tx.commit().await?;
    Ok(chat)
}

/// The chat as the driver holding the link reads it.
pub async fn for_driver(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
) -> Result<Chat, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = follow::by_token_in(rs, &tx, token).await?;
    let chat = chat_of(&tx, &row).await?;
    tx.commit().await?;
    Ok(chat)
}

/// Moves a side's read mark to now when the other side wrote since it; says whether it moved.
async fn mark_read(
    tx: &TenantTx,
    row: roadside_request::Model,
    reader: ChatSide,
) -> Result<Option<roadside_request::Model>, ServiceError> {
    let mark = match reader {
        ChatSide::Driver => row.driver_read_at,
        ChatSide::Crew => row.crew_read_at,
    };
    let unread = conversations::roadside_messages(tx, row.id)
        .await?
        .iter()
        .any(|m| side_of(m) != reader && mark.is_none_or(|at| at < m.created_at));
    if !unread {
        return Ok(None);
    }
    let mut active = row.into_active_model();
    match reader {
        ChatSide::Driver => active.driver_read_at = Set(Some(Utc::now())),
        ChatSide::Crew => active.crew_read_at = Set(Some(Utc::now())),
    }
    Ok(Some(tx.update(active).await?))
}

/// The crew has read the driver's messages (the request's page shows them).
pub async fn read_by_crew(rs: &Roadside, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_crew(&tx, actor, id).await?;
    let moved = mark_read(&tx, row, ChatSide::Crew).await?;
    tx.commit().await?;
    if let Some(row) = moved {
        announce(rs, &row, "roadside.read", json!({"reader": "crew"})).await;
    }
    Ok(())
}

/// The driver has read the crew's messages (their page shows them).
pub async fn read_by_driver(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
) -> Result<(), ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = follow::by_token_in(rs, &tx, token).await?;
    let moved = mark_read(&tx, row, ChatSide::Driver).await?;
    tx.commit().await?;
    if let Some(row) = moved {
        announce(rs, &row, "roadside.read", json!({"reader": "driver"})).await;
    }
    Ok(())
}

fn still_open(row: &roadside_request::Model) -> Result<(), ServiceError> {
    if status_of(row).is_open() {
        Ok(())
    } else {
        Err(ServiceError::Conflict(FieldErrors::single(
            "body",
            "this request has ended; write to the workshop from your messages instead",
        )))
    }
}

/// What a side posts in the chat: words, or a photo's bytes.
enum Post {
    Text(String),
    Photo(Vec<u8>),
}

/// Writes a post into the request's chat in its transaction: a photo is stored first; the
/// writer's read mark moves to it (whoever answers has read what came before).
async fn post_in(
    rs: &Roadside,
    tx: &TenantTx,
    row: roadside_request::Model,
    side: ChatSide,
    author: Option<String>,
    post: Post,
) -> Result<(roadside_request::Model, conversation_message::Model), ServiceError> {
    still_open(&row)?;
    let (text, photo) = match post {
        Post::Text(text) => (conversations::body(&text)?, None),
        Post::Photo(bytes) => (
            "Sent a photo".to_owned(),
            Some(store_photo(rs, tx.tenant_id().0, &row.id.to_string(), bytes).await?),
        ),
    };
    let message =
        conversations::append_roadside(tx, row.customer_id, row.id, side, &text, author, photo)
            .await?;
    let mut active = row.into_active_model();
    match side {
        ChatSide::Crew => active.crew_read_at = Set(Some(message.created_at)),
        ChatSide::Driver => active.driver_read_at = Set(Some(message.created_at)),
    }
    Ok((tx.update(active).await?, message))
}

/// The request's mechanic or a dispatcher posts to the driver. A driver whose page is closed
/// gets it by SMS (with consent) or e-mail, with their link to answer.
async fn crew_posts(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    post: Post,
    site: &str,
) -> Result<ChatMessage, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_crew(&tx, actor, id).await?;
    let author = tx.actor_name(actor).await?;
    let (row, message) = post_in(rs, &tx, row, ChatSide::Crew, author, post).await?;
    if !driver_watching(rs, &row).await {
        text_driver(rs, &tx, &row, &message, site).await?;
    }
    tx.commit().await?;
    announce(rs, &row, "roadside.message", message_event(&message)).await;
    Ok(to_chat_message(message, false))
}

/// The driver posts to the crew through their link.
async fn driver_posts(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
    post: Post,
) -> Result<ChatMessage, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = follow::by_token_in(rs, &tx, token).await?;
    let name = tx
        .get::<customer::Entity>(row.customer_id)
        .await
        .ok()
        .map(|c| c.name);
    let (row, message) = post_in(rs, &tx, row, ChatSide::Driver, name, post).await?;
    tx.commit().await?;
    announce(rs, &row, "roadside.message", message_event(&message)).await;
    Ok(to_chat_message(message, false))
}

/// The crew writes to the driver (see [`crew_posts`]).
pub async fn crew_writes(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    text: &str,
    site: &str,
) -> Result<ChatMessage, ServiceError> {
    crew_posts(rs, actor, id, Post::Text(text.to_owned()), site).await
}

/// The crew sends a photo (JPEG, PNG, WebP or HEIC, at most 10 MB) in the chat.
pub async fn crew_sends_photo(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    bytes: Vec<u8>,
    site: &str,
) -> Result<ChatMessage, ServiceError> {
    crew_posts(rs, actor, id, Post::Photo(bytes), site).await
}

/// The driver writes to the crew through their link.
pub async fn driver_writes(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
    text: &str,
) -> Result<ChatMessage, ServiceError> {
    driver_posts(rs, tenant, token, Post::Text(text.to_owned())).await
}

/// The driver sends a photo (the car, the place, the damage) through their link.
pub async fn driver_sends_photo(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
    bytes: Vec<u8>,
) -> Result<ChatMessage, ServiceError> {
    driver_posts(rs, tenant, token, Post::Photo(bytes)).await
}

fn to_chat_message(m: conversation_message::Model, read: bool) -> ChatMessage {
    ChatMessage {
        id: m.id,
        side: side_of(&m),
        photo: m.photo_key.is_some(),
        read,
        author: m.author_name,
        body: m.body,
        channel: m.channel,
        at: m.created_at,
    }
}

fn message_event(m: &conversation_message::Model) -> serde_json::Value {
    let side = match side_of(m) {
        ChatSide::Driver => "driver",
        ChatSide::Crew => "crew",
    };
    json!({"message_id": m.id, "side": side, "at": m.created_at})
}

/// Tells the request's stream (its driver, its mechanic, the dispatchers on its page).
pub(crate) async fn announce(
    rs: &Roadside,
    row: &roadside_request::Model,
    kind: &str,
    mut data: serde_json::Value,
) {
    data["id"] = json!(row.id);
    rs.live()
        .publish(row.tenant_id, Topic::Roadside, Some(row.id), kind, data)
        .await;
}

async fn text_driver(
    rs: &Roadside,
    tx: &TenantTx,
    row: &roadside_request::Model,
    message: &conversation_message::Model,
    site: &str,
) -> Result<(), ServiceError> {
    let author = message
        .author_name
        .clone()
        .unwrap_or_else(|| "Your mechanic".to_owned());
    request::message_driver(
        rs,
        tx,
        row,
        site,
        MessageKind::RoadsideMessage,
        [("author", author), ("body", message.body.clone())],
        format!("rsmsg:{}", message.id),
    )
    .await
}

fn watching_key(tenant: Uuid, request: Uuid) -> String {
    format!("roadside:watching:{tenant}:{request}")
}

/// The driver's page is open: its stream says so every [`PRESENCE_BEAT`], and the page when
/// drawn. Shared across instances through the bus.
pub async fn driver_here(rs: &Roadside, tenant: Uuid, request: Uuid) {
    if let Err(err) = rs
        .bus
        .kv
        .set(&watching_key(tenant, request), b"1", Some(PRESENCE_FOR))
        .await
    {
        tracing::warn!(error = %err, "could not note that a driver is watching");
    }
}

/// Whether the driver's page is open now. When the bus cannot tell, they are texted: a message
/// twice is better than none.
async fn driver_watching(rs: &Roadside, row: &roadside_request::Model) -> bool {
    matches!(
        rs.bus.kv.get(&watching_key(row.tenant_id, row.id)).await,
        Ok(Some(_))
    )
}

/// Stores a photo of a request (its type read from its bytes) under a key the application
/// makes, in the tenant's `folder` (the request's id, or `asked` for one chosen on the form
/// before the request was made); the key and type the message keeps.
pub(crate) async fn store_photo(
    rs: &Roadside,
    tenant: Uuid,
    folder: &str,
    bytes: Vec<u8>,
) -> Result<(String, String), ServiceError> {
    let content_type = pitlane_domain::upload::sniff_image(&bytes)
        .map_err(|e| FieldErrors::single("photo", e.to_string()))?;
    let key = format!("{tenant}/roadside/{folder}/{}", Uuid::now_v7());
    rs.billing
        .workshop
        .photos
        .put(
            &key,
            pitlane_workshop::storage::StoredPhoto {
                bytes,
                content_type: content_type.to_owned(),
            },
        )
        .await
        .map_err(ServiceError::internal)?;
    Ok((key, content_type.to_owned()))
}

/// A photo of the request's chat, by its message; another request's is not found.
async fn photo_of(
    rs: &Roadside,
    tx: &TenantTx,
    row: &roadside_request::Model,
    message: Uuid,
) -> Result<pitlane_workshop::storage::StoredPhoto, ServiceError> {
    let m = tx.get::<conversation_message::Entity>(message).await?;
    let Some(key) = m
        .photo_key
        .filter(|_| m.roadside_request_id == Some(row.id))
    else {
        return Err(ServiceError::NotFound);
    };
    rs.billing
        .workshop
        .photos
        .get(&key)
        .await
        .map_err(ServiceError::internal)?
        .ok_or(ServiceError::NotFound)
}

/// A chat photo for the crew.
pub async fn photo_for_crew(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    message: Uuid,
) -> Result<pitlane_workshop::storage::StoredPhoto, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_crew(&tx, actor, id).await?;
    let photo = photo_of(rs, &tx, &row, message).await;
    tx.commit().await?;
    photo
}

/// A chat photo for the driver holding the request's link.
pub async fn photo_for_driver(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
    message: Uuid,
) -> Result<pitlane_workshop::storage::StoredPhoto, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = follow::by_token_in(rs, &tx, token).await?;
    let photo = photo_of(rs, &tx, &row, message).await;
    tx.commit().await?;
    photo
}

/// The roadside request a repair order was opened for (the car towed in), read by whoever may
/// read the order; `None` for any other order. Another workshop's order is not found.
async fn towed_in_for(
    tx: &TenantTx,
    actor: &Actor,
    order: Uuid,
) -> Result<Option<roadside_request::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    tx.get::<repair_order::Entity>(order).await?;
    Ok(tx
        .first(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::RepairOrderId.eq(order)),
        )
        .await?)
}

/// The photos of the roadside chat of a car towed in, for its repair order's page, oldest
/// first; none for an order that came another way.
pub async fn photos_of_order(
    rs: &Roadside,
    actor: &Actor,
    order: Uuid,
) -> Result<Vec<ChatMessage>, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let photos = match towed_in_for(&tx, actor, order).await? {
        Some(request) => conversations::roadside_messages(&tx, request.id)
            .await?
            .into_iter()
            .filter(|m| m.photo_key.is_some())
            .map(|m| to_chat_message(m, true))
            .collect(),
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok(photos)
}

/// One photo of a towed-in car's roadside chat, for its repair order's page.
pub async fn photo_of_order(
    rs: &Roadside,
    actor: &Actor,
    order: Uuid,
    message: Uuid,
) -> Result<pitlane_workshop::storage::StoredPhoto, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let request = towed_in_for(&tx, actor, order)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let photo = photo_of(rs, &tx, &request, message).await;
    tx.commit().await?;
    photo
}
