//! `/conversations`: conversations with customers: the inbox (latest first), a thread,
//! replies, read state and assignment. Customers write from the workshop's site; their SMS
//! replies thread in.

pub(crate) mod json;

use pitlane_frontdesk::conversations;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    AssignWrite, Conversation, ConversationMessage, ConversationThread, ReplyWrite,
    UnreadConversations,
};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
    site,
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct ConversationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl ConversationsApi {
    /// The inbox
    ///
    /// Needs `customers.read`. The conversation with the latest message first (by the last
    /// message's time, then id); `unread=true` lists only conversations with messages staff
    /// have not read. How many have: `GET /conversations/unread`.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Conversation>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = conversations::inbox_page(
            &state.frontdesk,
            &auth.actor,
            unread.0.unwrap_or(false),
            page.cursor_time()?,
            page.limit,
        )
        .await?;
        let items: Vec<Conversation> = found
            .items
            .into_iter()
            .map(|r| Conversation::new(r.conversation, r.customer_name))
            .collect();
        Ok(Json(Page::of(items, found.next)))
    }

    /// How many conversations are unread
    ///
    /// Needs `customers.read`. Conversations with messages staff have not read.
    #[oai(
        path = "/conversations/unread",
        method = "get",
        operation_id = "count_unread_conversations"
    )]
    async fn unread(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<UnreadConversations>, Problem> {
        let unread_conversations =
            conversations::unread_count(&state.frontdesk, &auth.actor).await?;
        Ok(Json(UnreadConversations {
            unread_conversations,
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
        Ok(Json(t.into()))
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
    ) -> Result<Created<ConversationMessage>, Problem> {
        let site = site(&state, req)?;
        let m = conversations::reply(
            &state.frontdesk,
            &auth.actor,
            conversation_id.0,
            &body.0.body,
            &site,
        )
        .await?;
        Ok(Created::new(m))
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
    ) -> Result<NoContent, Problem> {
        conversations::mark_read(&state.frontdesk, &auth.actor, conversation_id.0).await?;
        Ok(NoContent::Done)
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
        Ok(Json(Conversation::new(c, t.customer.name)))
    }
}
