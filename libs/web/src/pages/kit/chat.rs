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
                        @if m.roadside_request_id.is_some() { " · roadside help" }
                    }
                }
            }
        }
    }
}

/// A roadside request's chat, oldest first; `ours` is the reader's side, whose messages say
/// whether the other side has read them.
pub fn roadside(
    items: &[pitlane_roadside::chat::ChatMessage],
    ours: pitlane_frontdesk::conversations::ChatSide,
    zone: &chrono_tz::Tz,
    photo_src: &dyn Fn(uuid::Uuid) -> String,
) -> Markup {
    html! {
        ol class="chat" aria-label="Messages" {
            @if items.is_empty() { li class="muted" { "No messages yet." } }
            @for m in items {
                li class=(if m.side == ours { "bubble ours" } else { "bubble theirs" }) id=(format!("msg-{}", m.id)) data-read=[(m.side == ours && m.read).then_some("yes")] {
                    @if m.photo {
                        a href=(photo_src(m.id)) {
                            img class="chat-photo" src=(photo_src(m.id)) loading="lazy"
                                alt=(format!("Photo from {}", m.author.as_deref().unwrap_or("the chat")));
                        }
                    } @else {
                        p { (m.body) }
                    }
                    p class="muted" {
                        (m.author.as_deref().unwrap_or(""))
                        " · " time datetime=(m.at.to_rfc3339()) { (m.at.with_timezone(zone).format("%H:%M")) }
                        @if m.channel == "sms" { " · by text" }
                        @if m.side == ours { " · " @if m.read { "Read" } @else { "Sent" } }
                    }
                }
            }
        }
    }
}
