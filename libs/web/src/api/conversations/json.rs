//! Conversations with customers as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::conversations::Thread;
use pitlane_store::entity::{conversation, conversation_message};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A conversation as the inbox lists it.
#[derive(Object)]
pub struct Conversation {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The membership of the member of staff looking after it.
    #[oai(nullable)]
    pub assigned_to: Option<Uuid>,
    /// Messages from the customer that staff have not read.
    pub unread: i32,
    pub last_message_at: DateTime<Utc>,
    pub last_message_preview: String,
}

impl Conversation {
    /// The conversation `c` with the customer named `customer_name`.
    pub fn new(c: conversation::Model, customer_name: String) -> Self {
        Self {
            id: c.id,
            customer_id: c.customer_id,
            customer_name,
            assigned_to: c.assigned_to,
            unread: c.unread_for_staff,
            last_message_at: c.last_message_at,
            last_message_preview: c.last_message_preview,
        }
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
    #[oai(nullable)]
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Written in this roadside request's chat.
    #[oai(nullable)]
    pub roadside_request_id: Option<Uuid>,
}

impl From<conversation_message::Model> for ConversationMessage {
    fn from(m: conversation_message::Model) -> Self {
        Self {
            id: m.id,
            direction: m.direction,
            channel: m.channel,
            body: m.body,
            author: m.author_name,
            created_at: m.created_at,
            roadside_request_id: m.roadside_request_id,
        }
    }
}

#[derive(Object)]
pub struct ConversationThread {
    pub conversation: Conversation,
    /// The latest 200 messages, oldest first.
    pub messages: Vec<ConversationMessage>,
}

impl From<Thread> for ConversationThread {
    fn from(t: Thread) -> Self {
        Self {
            conversation: Conversation::new(t.conversation, t.customer.name),
            messages: t
                .messages
                .into_iter()
                .map(ConversationMessage::from)
                .collect(),
        }
    }
}

/// How many conversations have messages staff have not read.
#[derive(Object)]
pub struct UnreadConversations {
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
