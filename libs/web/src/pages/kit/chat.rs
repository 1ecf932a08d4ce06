//! A conversation's messages as a chat, for the staff inbox and the customer's own page.

use maud::{Markup, html};
use pitlane_store::entity::conversation_message;

/// The messages of a conversation, oldest first; `ours` says which direction is the reader's.
pub fn messages(items: &[conversation_message::Model], ours: &str) -> Markup {
    html! {
        ol class="chat" aria-label="Messages" {
            @if items.is_empty() { li class="muted" { "No messages yet." } }
            @for m in items {
                li class=(if m.direction == ours { "bubble ours" } else { "bubble theirs" }) id=(format!("msg-{}", m.id)) {
                    p { (m.body) }
                    p class="muted" {
                        (m.author_name.as_deref().unwrap_or(""))
                        " · " (m.created_at.format("%Y-%m-%d %H:%M UTC"))
                        @if m.channel == "sms" { " · by text" }
                    }
                }
            }
        }
    }
}
