//! A server-sent-events reader for tests: what a browser's `EventSource` receives.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::Client;

/// How long a test waits for an event before failing.
const WAIT: Duration = Duration::from_secs(20);

/// A server-sent-events reader.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: String,
    pub kind: String,
    pub data: Value,
}

impl EventStream {
    pub async fn open(client: &Client, path: &str, last_event_id: Option<&str>) -> Self {
        let mut request = client
            .http
            .get(client.url(path))
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("events");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        // A browser leaving the page must drop the connection, not keep it for reuse: an
        // endless stream held for reuse blocks later pages (browsers allow ~6 per host).
        assert_eq!(
            response
                .headers()
                .get("connection")
                .and_then(|v| v.to_str().ok()),
            Some("close"),
            "{path}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// Events until one satisfies `until`, or the time is up.
    pub async fn read_until(&mut self, until: impl Fn(&SseEvent) -> bool) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut events = Vec::new();
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: String::new(),
                    kind: "message".into(),
                    data: Value::Null,
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.kind = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data = serde_json::from_str(v.trim()).unwrap_or(Value::Null);
                    }
                }
                if event.data.is_null() {
                    continue;
                }
                let done = until(&event);
                events.push(event);
                if done {
                    return events;
                }
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => panic!("the awaited event did not come; got {events:?}"),
            }
        }
    }
}
