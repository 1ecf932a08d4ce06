//! Conversations with customers: the inbox (unread first), a thread, replies, read state and
//! assignment. Customers write from the workshop's site; their SMS replies thread in.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::conversations;
use pitlane_store::entity::{conversation, conversation_message};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit, site};
use crate::{problem::Problem, state::AppState};

/// A conversation as the inbox lists it.
#[derive(Object)]
pub struct Conversation {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The membership of the member of staff looking after it.
    pub assigned_to: Option<Uuid>,
    /// Messages from the customer that staff have not read.
    pub unread: i32,
    pub last_message_at: DateTime<Utc>,
    pub last_message_preview: String,
}

fn conversation_api(c: conversation::Model, customer_name: String) -> Conversation {
    Conversation {
        id: c.id,
        customer_id: c.customer_id,
        customer_name,
        assigned_to: c.assigned_to,
        unread: c.unread_for_staff,
        last_message_at: c.last_message_at,
        last_message_preview: c.last_message_preview,
    }
}

/// One message.
#[derive(Object)]
pub struct ConversationMessage {
    pub id: Uuid,
    /// `in` (from the customer) or `out` (from the workshop).
    pub direction: String,
    /// `web` or `sms`.
    pub channel: String,
    pub body: String,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn message_api(m: conversation_message::Model) -> ConversationMessage {
    ConversationMessage {
        id: m.id,
        direction: m.direction,
        channel: m.channel,
        body: m.body,
        author: m.author_name,
        created_at: m.created_at,
    }
}

#[derive(Object)]
pub struct ConversationThread {
    pub conversation: Conversation,
    /// The latest 200 messages, oldest first.
    pub messages: Vec<ConversationMessage>,
}

#[derive(Object)]
pub struct Inbox {
    pub items: Vec<Conversation>,
    /// How many conversations have unread messages.
    pub unread_conversations: u64,
}

#[derive(Object)]
#[oai(example)]
pub struct ReplyWrite {
    /// Up to 2,000 characters.
    pub body: String,
}

impl Example for ReplyWrite {
    fn example() -> Self {
        Self {
            body: "Your car is ready for collection from 16:00.".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct AssignWrite {
    /// A membership of staff; `null` unassigns.
    pub assigned_to: Option<Uuid>,
}

impl Example for AssignWrite {
    fn example() -> Self {
        Self { assigned_to: None }
    }
}

#[derive(ApiResponse)]
pub enum ReplySent {
    /// Sent: shown on the customer's page and delivered by SMS or e-mail.
    #[oai(status = 201)]
    Created(Json<ConversationMessage>),
}

#[derive(ApiResponse)]
pub enum MarkedRead {
    /// Marked read.
    #[oai(status = 204)]
    Done,
}

pub struct ConversationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl ConversationsApi {
    /// The inbox
    ///
    /// Needs `customers.read`. Latest first; `unread=true` lists only conversations with
    /// messages staff have not read.
    #[oai(
        path = "/conversations",
        method = "get",
        operation_id = "list_conversations"
    )]
    async fn inbox(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        unread: Query<Option<bool>>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Inbox>, Problem> {
        let fd = &state.frontdesk;
        let rows = conversations::inbox(
            fd,
            &auth.actor,
            unread.0.unwrap_or(false),
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(Inbox {
            items: rows
                .into_iter()
                .map(|r| conversation_api(r.conversation, r.customer_name))
                .collect(),
            unread_conversations: conversations::unread_count(fd, &auth.actor).await?,
        }))
    }

    /// A conversation with its messages
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/conversations/:conversation_id",
        method = "get",
        operation_id = "get_conversation"
    )]
    async fn thread(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        conversation_id: Path<Uuid>,
    ) -> Result<Json<ConversationThread>, Problem> {
        let t = conversations::thread(&state.frontdesk, &auth.actor, conversation_id.0).await?;
        Ok(Json(ConversationThread {
            conversation: conversation_api(t.conversation, t.customer.name),
            messages: t.messages.into_iter().map(message_api).collect(),
        }))
    }

    /// Reply to the customer
    ///
    /// Needs `customers.write`. The customer sees it live on the workshop's site and gets it
    /// by SMS (when they agreed to texts) or e-mail.
    #[oai(
        path = "/conversations/:conversation_id/messages",
        method = "post",
        operation_id = "reply_to_conversation"
    )]
    async fn reply(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        conversation_id: Path<Uuid>,
        body: Json<ReplyWrite>,
    ) -> Result<ReplySent, Problem> {
        let site = site(&state, req)?;
        let m = conversations::reply(
            &state.frontdesk,
            &auth.actor,
            conversation_id.0,
            &body.0.body,
            &site,
        )
        .await?;
        Ok(ReplySent::Created(Json(message_api(m))))
    }

    /// Mark a conversation read
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/conversations/:conversation_id/read",
        method = "post",
        operation_id = "mark_conversation_read"
    )]
    async fn read(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        conversation_id: Path<Uuid>,
    ) -> Result<MarkedRead, Problem> {
        conversations::mark_read(&state.frontdesk, &auth.actor, conversation_id.0).await?;
        Ok(MarkedRead::Done)
    }

    /// Assign a conversation
    ///
    /// Needs `customers.write`. To an active member of staff, or nobody.
    #[oai(
        path = "/conversations/:conversation_id/assignee",
        method = "put",
        operation_id = "assign_conversation"
    )]
    async fn assign(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        conversation_id: Path<Uuid>,
        body: Json<AssignWrite>,
    ) -> Result<Json<Conversation>, Problem> {
        let fd = &state.frontdesk;
        let c =
            conversations::assign(fd, &auth.actor, conversation_id.0, body.0.assigned_to).await?;
        let t = conversations::thread(fd, &auth.actor, c.id).await?;
        Ok(Json(conversation_api(c, t.customer.name)))
    }
}
