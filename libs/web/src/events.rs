//! The live-update stream: `GET /events?topics=messages,notifications`, server-sent events
//! for the signed-in member, resumable with `Last-Event-ID`.

use std::time::Duration;

use futures_util::StreamExt;
use pitlane_domain::{ServiceError, live::Topic};
use pitlane_notify::Listener;
use poem::{
    IntoResponse, Request, Response, handler,
    web::{
        Data, Query,
        sse::{Event, SSE},
    },
};
use serde::Deserialize;

use crate::{problem::Problem, session::Auth};
use pitlane_app::state::AppState;

#[derive(Deserialize, Default)]
pub struct EventsQuery {
    /// Comma-separated topics; all the reader may follow when absent.
    #[serde(default)]
    topics: Option<String>,
    /// For clients that cannot set the `Last-Event-ID` header on their first connection.
    #[serde(default)]
    last_event_id: Option<String>,
}

#[handler]
pub async fn events(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<EventsQuery>,
) -> Response {
    let Some(auth) = req.extensions().get::<Auth>() else {
        return Problem::from(ServiceError::Unauthenticated).into_response();
    };
    let topics = match Topic::requested(q.topics.as_deref(), &auth.actor) {
        Ok(topics) => topics,
        Err(err) => return Problem::from(err).into_response(),
    };
    let last_event_id = req
        .header("Last-Event-ID")
        .map(str::to_owned)
        .or(q.last_event_id);
    sse_response(
        &state,
        Listener::of(&auth.actor, &topics),
        last_event_id,
        None,
        None,
    )
    .await
}

/// The stream of a page followed by a signed link rather than a session (a customer's repair
/// order or invoice): only events addressed to that one `subject` on `topic`.
pub async fn link_stream(
    state: &AppState,
    req: &Request,
    tenant: uuid::Uuid,
    subject: uuid::Uuid,
    topic: Topic,
) -> Response {
    let listener = Listener {
        tenant,
        user: subject,
        topics: [topic.as_str()].into_iter().collect(),
        own_only: true,
    };
    let last = req.header("Last-Event-ID").map(str::to_owned);
    sse_response(state, listener, last, None, None).await
}

/// [`link_stream`] of something that ends (a roadside request): the stream closes after the
/// event of kind `last`, so a finished request's followers hear nothing more from it. A
/// subject that has already ended (`None`) answers 204, which tells a browser's
/// `EventSource` not to reconnect. `held` lives as long as the stream: a reader's presence
/// that ends when its stream does (its receiver hears the sender go).
pub async fn stream_until(
    state: &AppState,
    req: &Request,
    tenant: uuid::Uuid,
    subject: Option<uuid::Uuid>,
    topic: Topic,
    last: &'static str,
    held: Option<tokio::sync::oneshot::Sender<()>>,
) -> Response {
    let Some(subject) = subject else {
        return poem::http::StatusCode::NO_CONTENT.into_response();
    };
    let listener = Listener {
        tenant,
        user: subject,
        topics: [topic.as_str()].into_iter().collect(),
        own_only: true,
    };
    let last_id = req.header("Last-Event-ID").map(str::to_owned);
    sse_response(state, listener, last_id, Some(last), held).await
}

async fn sse_response(
    state: &AppState,
    listener: Listener,
    last: Option<String>,
    until: Option<&'static str>,
    held: Option<tokio::sync::oneshot::Sender<()>>,
) -> Response {
    // After the last event comes a `None` that ends the stream at once.
    let followed = state
        .live
        .subscribe(listener, last)
        .await
        .flat_map(move |event| {
            let closing = until.is_some_and(|kind| event.kind == kind);
            let end = closing.then_some(None);
            futures_util::stream::iter(std::iter::once(Some(event)).chain(end))
        })
        .take_while(|event| std::future::ready(event.is_some()))
        .filter_map(std::future::ready);
    let stream = followed.map(move |event| {
        let _held = &held;
        let message = Event::message(event.data.to_string()).event_type(event.kind.clone());
        // A passing update (a position) has no id: it must not move the reader's place.
        if event.id.is_empty() {
            message
        } else {
            message.id(event.id.clone())
        }
    });
    // `Connection: close`: when the reader leaves, the browser drops the connection instead of
    // keeping it to reuse, which for an endless stream would hold one of its few connections
    // to this host until a timeout.
    let mut response = SSE::new(stream)
        .keep_alive(Duration::from_secs(15))
        .into_response();
    response.headers_mut().insert(
        poem::http::header::CONNECTION,
        poem::http::HeaderValue::from_static("close"),
    );
    response
}
