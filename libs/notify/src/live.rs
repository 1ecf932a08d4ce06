//! Live updates (DESIGN.md, "Live updates"). A change is published after its transaction
//! commits: appended to the tenant's short event history (for readers who reconnect with
//! `Last-Event-ID`) and announced on one pub/sub channel, which every server instance hears
//! (Redis pub/sub in the SaaS shape, a broadcast channel when embedded). Each instance fans the
//! announcements out to the browsers connected to it, filtered by tenant, topic and reader.
//!
//! Live updates are a convenience on top of pages that are right on reload: a publish that
//! fails (Redis away) is logged, never an error for the request that caused it.

use std::{collections::HashSet, sync::Arc, time::Duration};

use futures_util::{StreamExt, stream::BoxStream};
use pitlane_bus::{Bus, entry_order};
use pitlane_domain::{Actor, live::Topic, permissions::Role};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast, mpsc};
use uuid::Uuid;

const CHANNEL: &str = "live";
/// Events kept per tenant for readers who reconnect.
const HISTORY: usize = 1_000;
/// Events a reconnecting reader is sent at most; older ones are gone, the page reloads.
const REPLAY_LIMIT: usize = 500;

/// One change, as readers receive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// Increasing per tenant; what `Last-Event-ID` names.
    #[serde(default)]
    pub id: String,
    pub tenant: Uuid,
    pub topic: String,
    /// Only this user hears it (their own notifications); everyone allowed the topic when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Uuid>,
    /// What happened, e.g. `message.status`; the SSE event name.
    pub kind: String,
    pub data: serde_json::Value,
}

/// Who is listening, and to what.
#[derive(Debug, Clone)]
pub struct Listener {
    pub tenant: Uuid,
    pub user: Uuid,
    pub topics: HashSet<&'static str>,
    /// A customer hears only what is addressed to them, never the workshop-wide events.
    pub own_only: bool,
}

impl Listener {
    /// The listener of a signed-in actor: a customer hears only what is addressed to them.
    pub fn of(actor: &Actor, topics: &[Topic]) -> Self {
        Self {
            tenant: actor.tenant_id.0,
            user: actor.user_id.0,
            topics: topics.iter().map(|t| t.as_str()).collect(),
            own_only: actor.role.is(Role::Customer),
        }
    }

    fn hears(&self, event: &LiveEvent) -> bool {
        event.tenant == self.tenant
            && self.topics.contains(event.topic.as_str())
            && match event.user {
                Some(u) => u == self.user,
                None => !self.own_only,
            }
    }
}

#[derive(Clone)]
pub struct Live {
    inner: Arc<LiveInner>,
}

/// The channels of events addressed to one reader or subject, by (tenant, addressee).
type Addressees = std::collections::HashMap<(Uuid, Uuid), broadcast::Sender<Arc<LiveEvent>>>;

struct LiveInner {
    bus: Bus,
    /// The workshop-wide events (no addressee), which every staff listener filters.
    local: broadcast::Sender<Arc<LiveEvent>>,
    /// Events addressed to one reader or subject (a notification, a customer's conversation,
    /// a repair order or roadside request followed by its link), routed to that addressee's
    /// listeners alone: a position a second for a thousand followed requests wakes a thousand
    /// listeners a second, not every listener a thousand times.
    addressed: std::sync::Mutex<Addressees>,
    listening: OnceCell<()>,
    /// Updates on their way to the bus: requests hand them over and go on (see `publish`).
    outgoing: std::sync::OnceLock<mpsc::Sender<Outgoing>>,
    /// Set while updates are being dropped, so that is logged once, not per request.
    dropping: std::sync::atomic::AtomicBool,
}

/// Updates waiting for the bus at most; beyond that they are dropped (a page that missed
/// one catches up on its next reload or reconnect).
const OUTGOING: usize = 4096;
/// How long one update may take to reach the bus before the publisher gives up on it.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// How many events a listener may fall behind by before it skips ahead.
const ADDRESSED_BACKLOG: usize = 256;

impl LiveInner {
    /// Hands an event from the bus to this instance's listeners: to its addressee's, or to
    /// the workshop-wide channel.
    fn route(&self, event: Arc<LiveEvent>) {
        match event.user {
            Some(user) => {
                let mut addressed = self.addressed.lock().expect("the live routes");
                let key = (event.tenant, user);
                if let Some(sender) = addressed.get(&key)
                    && sender.send(event).is_err()
                {
                    // Nobody listens any more.
                    addressed.remove(&key);
                }
            }
            None => {
                let _ = self.local.send(event);
            }
        }
    }

    /// The channel of events addressed to `user` in `tenant`.
    fn addressee(&self, tenant: Uuid, user: Uuid) -> broadcast::Receiver<Arc<LiveEvent>> {
        let mut addressed = self.addressed.lock().expect("the live routes");
        // Now and then, forget the addressees nobody listens to any more (most go when an
        // event for them finds no listener).
        if addressed.len() % 1024 == 1023 {
            addressed.retain(|_, sender| sender.receiver_count() > 0);
        }
        addressed
            .entry((tenant, user))
            .or_insert_with(|| broadcast::channel(ADDRESSED_BACKLOG).0)
            .subscribe()
    }
}

/// An update on its way to the bus; a passing one is announced but kept in no history.
struct Outgoing {
    event: LiveEvent,
    passing: bool,
}

fn history_key(tenant: Uuid) -> String {
    format!("live:{tenant}")
}

impl Live {
    pub fn new(bus: Bus) -> Self {
        Self {
            inner: Arc::new(LiveInner {
                bus,
                local: broadcast::channel(4096).0,
                addressed: std::sync::Mutex::new(std::collections::HashMap::new()),
                listening: OnceCell::new(),
                outgoing: std::sync::OnceLock::new(),
                dropping: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Publishes a change; call it after the change's transaction committed.
    ///
    /// It never holds the request: the update is handed to this process's publisher and
    /// sent from there. While the bus (Redis) is down or slow, updates wait in a bounded
    /// buffer and then are dropped, which is logged once when it starts and once when
    /// updates flow again; the change itself is committed and pages catch up on reload.
    pub async fn publish(
        &self,
        tenant: Uuid,
        topic: Topic,
        user: Option<Uuid>,
        kind: &str,
        data: serde_json::Value,
    ) {
        self.send(tenant, topic, user, kind, data, false);
    }

    /// Publishes what is only worth hearing now, such as a mechanic's position while they
    /// drive: announced to whoever listens, but kept in no history (a reader who reconnects
    /// reads the latest position from its page instead of a replay of every one), and
    /// without an event id, so it does not move a reader's `Last-Event-ID`.
    pub fn publish_passing(
        &self,
        tenant: Uuid,
        topic: Topic,
        user: Option<Uuid>,
        kind: &str,
        data: serde_json::Value,
    ) {
        self.send(tenant, topic, user, kind, data, true);
    }

    fn send(
        &self,
        tenant: Uuid,
        topic: Topic,
        user: Option<Uuid>,
        kind: &str,
        data: serde_json::Value,
        passing: bool,
    ) {
        let event = LiveEvent {
            id: String::new(),
            tenant,
            topic: topic.as_str().to_owned(),
            user,
            kind: kind.to_owned(),
            data,
        };
        let outgoing = self.inner.outgoing.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(OUTGOING);
            tokio::spawn(publisher(self.inner.clone(), receiver));
            sender
        });
        if outgoing.try_send(Outgoing { event, passing }).is_err()
            && !self
                .inner
                .dropping
                .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!("live updates are not reaching the bus; dropping them until it answers");
        }
    }

    /// Starts this instance's one subscription to the channel, once; it resubscribes if the
    /// connection drops (Redis restarted).
    async fn listen(&self) {
        self.inner
            .listening
            .get_or_init(|| async {
                let (ready, subscribed) = tokio::sync::oneshot::channel();
                let inner = self.inner.clone();
                tokio::spawn(async move {
                    let mut ready = Some(ready);
                    loop {
                        match inner.bus.pubsub.subscribe(CHANNEL).await {
                            Ok(mut messages) => {
                                if let Some(ready) = ready.take() {
                                    let _ = ready.send(());
                                }
                                while let Some(message) = messages.next().await {
                                    if let Ok(event) = serde_json::from_str::<LiveEvent>(&message) {
                                        inner.route(Arc::new(event));
                                    }
                                }
                                tracing::warn!("live updates: subscription ended; resubscribing");
                            }
                            Err(err) => {
                                if let Some(ready) = ready.take() {
                                    let _ = ready.send(());
                                }
                                tracing::warn!(error = %err, "live updates: subscribing");
                            }
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                });
                let _ = tokio::time::timeout(Duration::from_secs(3), subscribed).await;
            })
            .await;
    }

    /// The events `listener` may hear: first those after `last_event_id` (a reconnect), then
    /// new ones as they happen.
    pub async fn subscribe(
        &self,
        listener: Listener,
        last_event_id: Option<String>,
    ) -> BoxStream<'static, Arc<LiveEvent>> {
        self.listen().await;
        // Listen before reading the history, so nothing falls between the two: to what is
        // addressed to the listener, and (staff) to what is workshop-wide.
        let own = self.inner.addressee(listener.tenant, listener.user);
        let workshop_wide = (!listener.own_only).then(|| self.inner.local.subscribe());
        let mut missed = Vec::new();
        let mut seen = (0, 0);
        if let Some(after) = last_event_id.filter(|id| entry_order(id).0 != u64::MAX) {
            seen = entry_order(&after);
            match self
                .inner
                .bus
                .pubsub
                .log_since(&history_key(listener.tenant), &after, REPLAY_LIMIT)
                .await
            {
                Ok(entries) => {
                    for (id, body) in entries {
                        seen = seen.max(entry_order(&id));
                        if let Ok(mut event) = serde_json::from_str::<LiveEvent>(&body) {
                            event.id = id;
                            if listener.hears(&event) {
                                missed.push(Arc::new(event));
                            }
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "live updates: reading the history"),
            }
        }
        let addressed = received(own, listener.clone(), seen);
        let live = match workshop_wide {
            Some(receiver) => {
                futures_util::stream::select(addressed, received(receiver, listener, seen)).boxed()
            }
            None => addressed.boxed(),
        };
        futures_util::stream::iter(missed).chain(live).boxed()
    }
}

/// The events of one channel that `listener` may hear, newer than `seen`.
fn received(
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
    listener: Listener,
    seen: (u64, u64),
) -> BoxStream<'static, Arc<LiveEvent>> {
    futures_util::stream::unfold(
        (receiver, listener, seen),
        |(mut receiver, listener, seen)| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => {
                        if listener.hears(&event) && entry_order(&event.id) > seen {
                            return Some((event, (receiver, listener, seen)));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    )
    .boxed()
}

/// Updates sent to the bus in one round trip at most.
const BATCH: usize = 256;

/// Sends this process's live updates to the bus, in order: whatever has gathered while the
/// last batch was on its way goes in the next, so a busy process (a thousand mechanics'
/// positions a second) does not wait a round trip per update.
async fn publisher(inner: Arc<LiveInner>, mut updates: mpsc::Receiver<Outgoing>) {
    use std::sync::atomic::Ordering;
    let mut batch = Vec::with_capacity(BATCH);
    while updates.recv_many(&mut batch, BATCH).await > 0 {
        let sent = tokio::time::timeout(PUBLISH_TIMEOUT, announce(&inner.bus, &mut batch)).await;
        batch.clear();
        match sent {
            Ok(Ok(())) => {
                if inner.dropping.swap(false, Ordering::Relaxed) {
                    tracing::info!("live updates reach the bus again");
                }
            }
            Ok(Err(err)) => {
                if !inner.dropping.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %err, "live updates are not reaching the bus; dropping them until it answers");
                }
            }
            Err(_) => {
                if !inner.dropping.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "live updates are not reaching the bus in time; dropping them until it answers"
                    );
                }
            }
        }
    }
}

/// Announces a batch in order; an update that is kept is first appended to its tenant's
/// history, whose entry id it carries.
async fn announce(bus: &Bus, batch: &mut [Outgoing]) -> pitlane_bus::BusResult<()> {
    let mut announced = Vec::with_capacity(batch.len());
    for Outgoing { event, passing } in batch.iter_mut() {
        if !*passing {
            let body = serde_json::to_string(&*event).unwrap_or_default();
            event.id = bus
                .pubsub
                .log_append(&history_key(event.tenant), &body, HISTORY)
                .await?;
        }
        announced.push(serde_json::to_string(&*event).unwrap_or_default());
    }
    bus.pubsub.publish_many(CHANNEL, &announced).await
}

#[cfg(test)]
mod tests {
    use pitlane_domain::ids::{MembershipId, TenantId, UserId};

    use super::*;

    fn event(tenant: Uuid, user: Option<Uuid>) -> LiveEvent {
        LiveEvent {
            id: String::new(),
            tenant,
            topic: Topic::Conversations.as_str().to_owned(),
            user,
            kind: "conversation.message".into(),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_customer_hears_only_what_is_addressed_to_them() {
        let tenant = TenantId::new();
        let (me, other) = (UserId::new(), UserId::new());
        let actor = |user, role| Actor::builtin(user, MembershipId::new(), tenant, role);
        let customer = Listener::of(&actor(me, Role::Customer), &[Topic::Conversations]);
        let staff = Listener::of(&actor(other, Role::ServiceAdvisor), &[Topic::Conversations]);
        let workshop_wide = event(tenant.0, None);
        let to_me = event(tenant.0, Some(me.0));
        assert!(!customer.hears(&workshop_wide));
        assert!(customer.hears(&to_me));
        assert!(!customer.hears(&event(tenant.0, Some(other.0))));
        assert!(staff.hears(&workshop_wide));
        assert!(!staff.hears(&to_me));
        assert!(!customer.hears(&event(TenantId::new().0, Some(me.0))));
    }
}
