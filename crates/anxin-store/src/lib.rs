//! Anxin's storage. Domain-level operations ([`Store`]) written once over a tiny connection boundary
//! ([`conn::Conn`]) with two implementations: SQLite (embedded default) and PostgreSQL (several nodes).
//! Writes go through writer threads (one on SQLite) with group commit; callers are answered only after their transaction
//! committed. Every change a client must see is stored with an event; the [`bus`] publishes committed events in
//! sequence order, across nodes on PostgreSQL.
//!
//! **Invariant:** a write's future resolves `Ok` only after the transaction holding it committed.
//! **Invariant:** every query is scoped by organisation; a row of another organisation is `NotFound`.

pub mod bus;
pub mod complaint_views;
pub mod complaints;
pub mod conn;
mod exec;
pub mod feedback;
pub mod knowledge;
mod migrate;
mod ops;
pub mod people;
pub mod pg;
pub mod records;
pub mod roleplay;
pub mod routing;
pub mod sla;
pub mod sqlite;
pub mod training;
pub mod wellbeing;

use std::path::PathBuf;
use std::sync::Arc;

pub use conn::{Result, StoreError};
pub use exec::Tx;
pub use ops::*;
pub use people::{AgentRow, Availability, BoardSnapshot, EmotionMix, Presence, QueueRow};
pub use records::*;

use crate::conn::{Conn, Dialect};
use crate::exec::{ConnFactory, Executor};

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl Backend {
    /// Picks the backend from a URL's scheme: `postgres://`/`postgresql://`, `sqlite://PATH` or a plain path.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(url.to_owned())
        } else {
            Backend::Sqlite(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    fn factory(&self) -> ConnFactory {
        match self.clone() {
            Backend::Sqlite(path) => Arc::new(move || Ok(Box::new(sqlite::SqliteConn::open(&path)?) as Box<dyn Conn>)),
            Backend::Postgres(url) => Arc::new(move || Ok(Box::new(pg::PgConn::connect(&url)?) as Box<dyn Conn>)),
        }
    }
}

/// Wall-clock time in Unix milliseconds (the store stamps rows and events with it).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The store's time: the wall clock, plus an offset that tests move forward to reach deadlines without waiting
/// (durable timers, follow-ups). Every row and event stamp and every "is it due" question goes through it.
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The wall clock shifted by `offset_ms` (a server restarted "later" in a test).
    pub fn shifted(offset_ms: i64) -> Clock {
        let clock = Clock::default();
        clock.advance(offset_ms);
        clock
    }

    pub fn now(&self) -> i64 {
        now_ms() + self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this clock (and every store sharing it) forward.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    exec: std::sync::Mutex<Option<Arc<Executor>>>,
    backend: Backend,
    bus: bus::EventBus,
    /// Poked when a committed change may make an assignment possible (routing's dispatcher waits on it).
    routing_wake: Arc<tokio::sync::Notify>,
    /// Poked when a committed change stores a timer that may be due soon (the SLA sweeper waits on it).
    timer_wake: Arc<tokio::sync::Notify>,
    clock: Clock,
}

impl Store {
    /// Opens (creating and migrating) the database, starts the writer, the readers and the event bus. Must run
    /// inside a Tokio runtime.
    pub async fn open(backend: Backend) -> Result<Store> {
        Store::open_with_clock(backend, Clock::system()).await
    }

    /// [`Store::open`] with a clock of the caller's (tests move it forward).
    pub async fn open_with_clock(backend: Backend, clock: Clock) -> Result<Store> {
        if let Backend::Sqlite(path) = &backend {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
            }
        }
        let factory = backend.factory();
        let migrate_factory = factory.clone();
        let migrate_now = clock.now();
        tokio::task::spawn_blocking(move || {
            let mut conn = migrate_factory()?;
            migrate::migrate(conn.as_mut(), migrate_now)
        })
        .await
        .map_err(|e| StoreError::Internal(e.to_string()))??;
        let (bus, feed) = bus::EventBus::new();
        let hook_feed = feed.clone();
        let routing_wake = Arc::new(tokio::sync::Notify::new());
        let wake = routing_wake.clone();
        let timer_wake = Arc::new(tokio::sync::Notify::new());
        let timer_poke = timer_wake.clone();
        let on_commit: exec::CommitHook = Arc::new(move |events| {
            if events.iter().any(|e| routing::wakes_routing(e.kind)) {
                wake.notify_one();
            }
            if events.iter().any(|e| sla::wakes_sweeper(e.kind)) {
                timer_poke.notify_one();
            }
            hook_feed.committed(events)
        });
        let (writers, readers) = match backend.dialect() {
            Dialect::Sqlite => (1, 3),
            Dialect::Postgres => (4, 4),
        };
        let exec = Arc::new(Executor::start(factory.clone(), factory, writers, readers, clock.clone(), on_commit));
        let inner = Inner { exec: std::sync::Mutex::new(Some(exec)), backend, bus, routing_wake, timer_wake, clock };
        let store = Store { inner: Arc::new(inner) };
        bus::start(store.clone(), feed).await?;
        Ok(store)
    }

    pub fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    /// The store's time (see [`Clock`]).
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Resolves when a change committed here stored a timer (a new ticket, a step, a customer message waiting
    /// for an answer); other nodes' timers are found by the sweeper's periodic pass.
    pub async fn timer_wakeup(&self) {
        self.inner.timer_wake.notified().await
    }

    pub fn bus(&self) -> &bus::EventBus {
        &self.inner.bus
    }

    /// Resolves when a change committed here may allow an assignment (new or reopened conversation, someone
    /// available, a conversation resolved or handed back). Other nodes' changes are caught by the periodic sweep.
    pub async fn routing_wakeup(&self) {
        self.inner.routing_wake.notified().await
    }

    fn exec(&self) -> Result<Arc<Executor>> {
        self.inner
            .exec
            .lock()
            .expect("executor lock")
            .clone()
            .ok_or_else(|| StoreError::Unavailable("store is shut down".into()))
    }

    /// Runs `f` in a writer's next transaction; resolves after the commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        self.exec()?.write(None, f).await
    }

    /// Like [`Store::write`], on the writer that handles everything with this key (a customer or a
    /// conversation), so concurrent writes to the same rows never meet on two connections.
    pub async fn write_keyed<T, F>(&self, key: u64, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        self.exec()?.write(Some(key), f).await
    }

    /// Runs `f` on a reader connection (sees every committed write). `Fn`, not `FnOnce`: a read is retried once
    /// on a fresh connection when the pooled one turns out to be dead.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T> + Send + 'static,
    {
        self.exec()?.read(f).await
    }

    /// Finishes queued commits and stops the threads. Later calls answer `Unavailable`.
    pub async fn close(&self) {
        let exec = self.inner.exec.lock().expect("executor lock").take();
        if let Some(exec) = exec {
            let _ = tokio::task::spawn_blocking(move || {
                // The last handle drops here, joining the writer after it drained its queue.
                drop(exec);
            })
            .await;
        }
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        self.read(|c| c.query_one("SELECT 1", &[]).map(|_| ())).await
    }
}
