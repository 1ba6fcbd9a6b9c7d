//! The event bus: delivers committed events to this node's subscribers in sequence order per organisation,
//! with no gaps, whichever node committed them. A single pump task owns the order: events committed here arrive
//! directly from the writer; on PostgreSQL a listener thread reports "org N reached seq S" from other nodes
//! (LISTEN/NOTIFY), and the pump reads the missing events from the table. A periodic check covers a
//! notification lost while the listener reconnected.
//!
//! Staff subscribe per organisation; widget customers per conversation, so 10,000 idle widgets cost nothing when
//! another conversation gets a message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anxin_domain::events::{Event, EventKind};
use postgres::fallible_iterator::FallibleIterator;
use tokio::sync::{broadcast, mpsc};

use crate::conn::{Conn, Dialect, Result};
use crate::{Backend, Store, params};

// A broadcast channel keeps its last `capacity` events alive, so these stay small; a subscriber that falls
// behind reads what it skipped from the events table.
const ORG_CAPACITY: usize = 512;
const CONVERSATION_CAPACITY: usize = 8;

pub(crate) enum Input {
    Committed(Vec<Event>),
    Reached { org_id: i64, seq: i64 },
    Ephemeral(Event),
    CheckAll,
}

/// Feeds the pump (cheap to clone; usable from any thread).
#[derive(Clone)]
pub(crate) struct Feed(mpsc::UnboundedSender<Input>);

impl Feed {
    pub fn committed(&self, events: Vec<Event>) {
        let _ = self.0.send(Input::Committed(events));
    }
}

pub struct EventBus {
    topics: Mutex<Topics>,
    feed_rx: Mutex<Option<mpsc::UnboundedReceiver<Input>>>,
    feed: Feed,
    node: String,
}

#[derive(Default)]
struct Topics {
    orgs: HashMap<i64, broadcast::Sender<Arc<Event>>>,
    conversations: HashMap<i64, broadcast::Sender<Arc<Event>>>,
}

impl EventBus {
    pub(crate) fn new() -> (Self, Feed) {
        let (tx, rx) = mpsc::unbounded_channel();
        let feed = Feed(tx);
        let mut node = [0u8; 8];
        getrandom::fill(&mut node).expect("system randomness");
        let bus = Self { topics: Mutex::default(), feed_rx: Mutex::new(Some(rx)), feed: feed.clone(), node: hex::encode(node) };
        (bus, feed)
    }

    /// Every event of the organisation, in order. Subscribe first, then read the backlog from the store
    /// ([`Store::events_after`]), then skip live events already seen: nothing is lost or repeated.
    pub fn subscribe_org(&self, org_id: i64) -> broadcast::Receiver<Arc<Event>> {
        let mut topics = self.topics.lock().expect("bus lock");
        topics.orgs.entry(org_id).or_insert_with(|| broadcast::channel(ORG_CAPACITY).0).subscribe()
    }

    /// The events of one conversation (what a widget customer follows).
    pub fn subscribe_conversation(&self, conversation_id: i64) -> broadcast::Receiver<Arc<Event>> {
        let mut topics = self.topics.lock().expect("bus lock");
        topics.conversations.entry(conversation_id).or_insert_with(|| broadcast::channel(CONVERSATION_CAPACITY).0).subscribe()
    }

    /// Publishes a typing indicator here and (on PostgreSQL, via the pump) on the other nodes.
    pub fn typing(&self, event: Event) {
        debug_assert_eq!(event.kind, EventKind::Typing);
        let _ = self.feed.0.send(Input::Ephemeral(event));
    }

    fn deliver(&self, event: Arc<Event>) {
        let mut topics = self.topics.lock().expect("bus lock");
        if let Some(tx) = topics.orgs.get(&event.org_id) {
            if tx.send(event.clone()).is_err() {
                topics.orgs.remove(&event.org_id);
            }
        }
        if let Some(id) = event.conversation_id {
            if let Some(tx) = topics.conversations.get(&id) {
                if tx.send(event).is_err() {
                    topics.conversations.remove(&id);
                }
            }
        }
    }
}

/// Starts the pump (and, on PostgreSQL, the cross-node listener).
pub(crate) async fn start(store: Store, feed: Feed) -> Result<()> {
    let rx = store.bus().feed_rx.lock().expect("bus lock").take().expect("the bus starts once");
    let published: HashMap<i64, i64> = store
        .read(|c| Ok(c.query("SELECT id, event_seq FROM organizations", &[])?.iter().map(|r| (r.int(0), r.int(1))).collect()))
        .await?;
    if let Backend::Postgres(url) = store.backend().clone() {
        let node = store.bus().node.clone();
        let listener_feed = feed.clone();
        std::thread::Builder::new()
            .name("anxin-listener".into())
            .spawn(move || listen(&url, &node, &listener_feed))
            .expect("spawn listener");
        let ticker = feed.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(2));
            loop {
                every.tick().await;
                if ticker.0.send(Input::CheckAll).is_err() {
                    break;
                }
            }
        });
    }
    let weak = Arc::downgrade(&store.inner);
    drop(store);
    tokio::spawn(pump(weak, rx, published));
    Ok(())
}

async fn pump(store: std::sync::Weak<crate::Inner>, mut rx: mpsc::UnboundedReceiver<Input>, mut published: HashMap<i64, i64>) {
    while let Some(input) = rx.recv().await {
        let Some(inner) = store.upgrade() else { break };
        let store = Store { inner };
        match input {
            Input::Committed(events) => {
                let mut by_org: Vec<(i64, Vec<Event>)> = Vec::new();
                for e in events {
                    match by_org.iter_mut().find(|(org, _)| *org == e.org_id) {
                        Some((_, list)) => list.push(e),
                        None => by_org.push((e.org_id, vec![e])),
                    }
                }
                for (org, mut list) in by_org {
                    list.sort_by_key(|e| e.id);
                    let last = published.get(&org).copied().unwrap_or(0);
                    let first = list[0].id;
                    if first > last + 1 {
                        catch_up(&store, &mut published, org, first - 1).await;
                    }
                    let last = published.get(&org).copied().unwrap_or(0);
                    for e in list.into_iter().filter(|e| e.id > last) {
                        published.insert(org, e.id);
                        store.bus().deliver(Arc::new(e));
                    }
                }
            }
            Input::Reached { org_id, seq } => {
                if seq > published.get(&org_id).copied().unwrap_or(0) {
                    catch_up(&store, &mut published, org_id, seq).await;
                }
            }
            Input::Ephemeral(event) => {
                if store.backend().dialect() == Dialect::Postgres {
                    let payload = serde_json::json!({"node": store.bus().node, "org": event.org_id, "event": event}).to_string();
                    let _ = store.read(move |c| c.execute("SELECT pg_notify('anxin_ephemeral', $1)", params![&payload]).map(|_| ())).await;
                }
                store.bus().deliver(Arc::new(event));
            }
            Input::CheckAll => {
                let heads: Result<Vec<(i64, i64)>> = store
                    .read(|c| Ok(c.query("SELECT id, event_seq FROM organizations", &[])?.iter().map(|r| (r.int(0), r.int(1))).collect()))
                    .await;
                for (org, seq) in heads.unwrap_or_default() {
                    if seq > published.get(&org).copied().unwrap_or(0) {
                        catch_up(&store, &mut published, org, seq).await;
                    }
                }
            }
        }
    }
}

/// Reads and delivers the organisation's events after the last published one, up to `seq`.
async fn catch_up(store: &Store, published: &mut HashMap<i64, i64>, org: i64, seq: i64) {
    loop {
        let after = published.get(&org).copied().unwrap_or(0);
        if after >= seq {
            return;
        }
        match store.events_after(org, after, 1000).await {
            Ok(events) if !events.is_empty() => {
                for e in events {
                    published.insert(org, e.id);
                    store.bus().deliver(Arc::new(e));
                }
            }
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, org, "cannot read events to publish; will retry on the next notification");
                return;
            }
        }
    }
}

/// Cross-node listener (PostgreSQL): turns notifications into pump inputs; reconnects with backoff and asks for a
/// full check after every reconnect, since notifications sent meanwhile are gone.
fn listen(url: &str, node: &str, feed: &Feed) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match crate::pg::PgConn::connect(url) {
            Ok(mut conn) => {
                backoff = Duration::from_millis(100);
                if conn.batch("LISTEN anxin_events; LISTEN anxin_ephemeral").is_err() {
                    continue;
                }
                if feed.0.send(Input::CheckAll).is_err() {
                    return;
                }
                let mut notifications = conn.client().notifications();
                let mut iter = notifications.timeout_iter(Duration::from_secs(5));
                loop {
                    match iter.next() {
                        Ok(Some(n)) => {
                            let input = match n.channel() {
                                "anxin_events" => parse_reached(n.payload()),
                                _ => parse_ephemeral(n.payload(), node),
                            };
                            if let Some(input) = input {
                                if feed.0.send(input).is_err() {
                                    return;
                                }
                            }
                        }
                        Ok(None) => {
                            if feed.0.is_closed() {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                if feed.0.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "event listener cannot connect; retrying");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

fn parse_reached(payload: &str) -> Option<Input> {
    let (org, seq) = payload.split_once(':')?;
    Some(Input::Reached { org_id: org.parse().ok()?, seq: seq.parse().ok()? })
}

fn parse_ephemeral(payload: &str, own_node: &str) -> Option<Input> {
    let value: serde_json::Value = serde_json::from_str(payload).ok()?;
    if value.get("node")?.as_str()? == own_node {
        return None;
    }
    let org = value.get("org")?.as_i64()?;
    let mut event: Event = serde_json::from_value(value.get("event")?.clone()).ok()?;
    event.org_id = org;
    event.customer_visible = true;
    Some(Input::Ephemeral(event))
}

impl Store {
    /// The id of the organisation's latest committed event (0 when none).
    pub async fn latest_event_id(&self, org_id: i64) -> Result<i64> {
        self.read(move |c| Ok(c.query_one("SELECT event_seq FROM organizations WHERE id = $1", params![org_id])?.int(0))).await
    }

    /// Committed events of the organisation after `after`, oldest first.
    pub async fn events_after(&self, org_id: i64, after: i64, limit: i64) -> Result<Vec<Event>> {
        self.read(move |c| events_after(c, org_id, after, None, limit)).await
    }

    /// Committed events of one conversation after `after` (what a reconnecting widget missed).
    pub async fn conversation_events_after(&self, org_id: i64, conversation_id: i64, after: i64, limit: i64) -> Result<Vec<Event>> {
        self.read(move |c| events_after(c, org_id, after, Some(conversation_id), limit)).await
    }
}

fn events_after(c: &mut dyn Conn, org_id: i64, after: i64, conversation: Option<i64>, limit: i64) -> Result<Vec<Event>> {
    let rows = match conversation {
        None => c.query(
            "SELECT seq, kind, conversation_id, customer_visible, data, created_at FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            params![org_id, after, limit],
        )?,
        Some(id) => c.query(
            "SELECT seq, kind, conversation_id, customer_visible, data, created_at FROM events WHERE org_id = $1 AND seq > $2 AND conversation_id = $3 ORDER BY seq LIMIT $4",
            params![org_id, after, id, limit],
        )?,
    };
    Ok(rows
        .iter()
        .map(|r| Event {
            id: r.int(0),
            org_id,
            kind: EventKind::parse(&r.text(1)).unwrap_or(EventKind::ConversationUpdated),
            conversation_id: r.opt_int(2),
            customer_visible: r.int(3) != 0,
            data: serde_json::from_str(&r.text(4)).unwrap_or_default(),
            at: r.int(5),
        })
        .collect())
}
