//! Where SQL runs: one writer thread that groups concurrent writes into one transaction (group commit: one
//! fsync for many messages) and answers each caller only after the commit, and a pool of reader threads.
//! Async callers hand closures over and await a oneshot reply.

use std::sync::Arc;
use std::thread::JoinHandle;

use anxin_domain::events::{Event, EventKind};
use crossbeam_channel::{Receiver, Sender};
use tokio::sync::oneshot;

use crate::conn::{Conn, Dialect, Result, StoreError};
use crate::params;

pub(crate) type ConnFactory = Arc<dyn Fn() -> Result<Box<dyn Conn>> + Send + Sync>;
pub(crate) type CommitHook = Arc<dyn Fn(Vec<Event>) + Send + Sync>;

/// Most writes grouped in one transaction; bounds the latency a batch adds to its first caller.
const MAX_BATCH: usize = 512;

/// A write transaction in progress, shared by the jobs of one batch. Events emitted here are stored with the
/// change and published only after the commit.
pub struct Tx<'a> {
    pub conn: &'a mut dyn Conn,
    events: Vec<Event>,
    pub now: i64,
}

impl Tx<'_> {
    pub fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    /// Records an event of this change. It is stored with the batch, numbered at the end of the batch with the
    /// organisation's next sequence numbers: the counter row is locked only from then until the commit, so on
    /// PostgreSQL numbers become visible in order across nodes (no gaps to skip) without serialising whole batches.
    pub fn emit(
        &mut self,
        org_id: i64,
        kind: EventKind,
        conversation_id: Option<i64>,
        customer_visible: bool,
        data: serde_json::Value,
    ) -> Result<()> {
        self.events.push(Event { id: 0, org_id, kind, conversation_id, customer_visible, at: self.now, data });
        Ok(())
    }
}

/// Numbers and stores the batch's events: one counter update per organisation, multi-row inserts.
fn store_events(conn: &mut dyn Conn, events: &mut [Event], now: i64) -> Result<()> {
    let mut orgs: Vec<i64> = events.iter().map(|e| e.org_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        let count = events.iter().filter(|e| e.org_id == org).count() as i64;
        let last = conn
            .query_one("UPDATE organizations SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq", params![org, count])?
            .int(0);
        for (id, e) in (last - count + 1..).zip(events.iter_mut().filter(|e| e.org_id == org)) {
            e.id = id;
        }
    }
    for chunk in events.chunks(200) {
        let mut sql = String::from("INSERT INTO events (org_id, seq, kind, conversation_id, customer_visible, data, created_at) VALUES ");
        let mut values = Vec::with_capacity(chunk.len() * 7);
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let k = i * 7;
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7));
            values.extend([
                e.org_id.into(),
                e.id.into(),
                e.kind.as_str().into(),
                e.conversation_id.into(),
                e.customer_visible.into(),
                e.data.to_string().into(),
                now.into(),
            ]);
        }
        conn.execute(&sql, &values)?;
    }
    Ok(())
}

trait WriteJob: Send {
    /// Runs inside the batch's transaction; `false` when the job failed (its savepoint is rolled back).
    fn run(&mut self, tx: &mut Tx<'_>) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn finish(self: Box<Self>, commit: Result<()>);
}

struct TypedJob<T, F> {
    f: Option<F>,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send, F: FnOnce(&mut Tx<'_>) -> Result<T> + Send> WriteJob for TypedJob<T, F> {
    fn run(&mut self, tx: &mut Tx<'_>) -> bool {
        let f = self.f.take().expect("a job runs once");
        let result = f(tx);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<()>) {
        let answer = match (commit, self.result) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Internal("write job did not run".into())),
            (Err(e), _) => Err(e),
        };
        let _ = self.reply.send(answer);
    }
}

/// Runs a read; returns `true` when the connection turned out to be unusable. The flag says whether this is the
/// last try: a read that fails on a reused connection (say, one the database dropped while it sat idle) is tried
/// once more on a fresh one before the caller hears of it.
type ReadJob = Box<dyn FnMut(Result<&mut dyn Conn>, bool) -> bool + Send>;

pub(crate) struct Executor {
    /// One queue per writer: jobs with the same key (a customer, a conversation) always meet the same writer, so
    /// two writers never fight over one conversation's rows.
    writes: Option<Vec<Sender<Box<dyn WriteJob>>>>,
    next: std::sync::atomic::AtomicUsize,
    reads: Option<Sender<ReadJob>>,
    threads: Vec<JoinHandle<()>>,
}

impl Executor {
    /// `writers`: 1 for SQLite (one writer at a time anyway); several for PostgreSQL, whose batches then
    /// overlap their network round trips.
    pub fn start(writer: ConnFactory, reader: ConnFactory, writers: usize, readers: usize, clock: crate::Clock, on_commit: CommitHook) -> Self {
        let (read_tx, read_rx) = crossbeam_channel::unbounded::<ReadJob>();
        let mut threads = Vec::new();
        let mut queues = Vec::new();
        for i in 0..writers.max(1) {
            let (tx, rx) = crossbeam_channel::unbounded::<Box<dyn WriteJob>>();
            queues.push(tx);
            let (factory, hook) = (writer.clone(), on_commit.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("anxin-writer-{i}"))
                    .spawn({
                        let clock = clock.clone();
                        move || write_loop(rx, factory, clock, hook)
                    })
                    .expect("spawn writer"),
            );
        }
        for i in 0..readers.max(1) {
            let rx = read_rx.clone();
            let factory = reader.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("anxin-reader-{i}"))
                    .spawn(move || read_loop(rx, factory))
                    .expect("spawn reader"),
            );
        }
        Self { writes: Some(queues), next: Default::default(), reads: Some(read_tx), threads }
    }

    /// Runs `f` on the writer for `key` (`None`: any writer, in turn).
    pub async fn write<T, F>(&self, key: Option<u64>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn WriteJob> = Box::new(TypedJob { f: Some(f), result: None, reply });
        let queues = self.writes.as_ref().ok_or_else(|| StoreError::Unavailable("store is shut down".into()))?;
        let index = match key {
            Some(k) => (k % queues.len() as u64) as usize,
            None => self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % queues.len(),
        };
        let sender = &queues[index];
        sender.send(job).map_err(|_| StoreError::Unavailable("writer stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("writer stopped".into()))?
    }

    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let mut reply = Some(reply);
        let job: ReadJob = Box::new(move |conn, last_try| {
            let result = conn.and_then(&f);
            let broken = matches!(result, Err(StoreError::Unavailable(_)));
            if !broken || last_try {
                if let Some(reply) = reply.take() {
                    let _ = reply.send(result);
                }
            }
            broken
        });
        let sender = self.reads.as_ref().ok_or_else(|| StoreError::Unavailable("store is shut down".into()))?;
        sender.send(job).map_err(|_| StoreError::Unavailable("readers stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("reader stopped".into()))?
    }

    /// Stops accepting work, lets the writer commit what it already has, and waits for every thread.
    pub fn shutdown(&mut self) {
        self.writes = None;
        self.reads = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn connect(slot: &mut Option<Box<dyn Conn>>, factory: &ConnFactory) -> Result<()> {
    if slot.is_none() {
        *slot = Some(factory()?);
    }
    Ok(())
}

fn write_loop(jobs: Receiver<Box<dyn WriteJob>>, factory: ConnFactory, clock: crate::Clock, on_commit: CommitHook) {
    let mut conn: Option<Box<dyn Conn>> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = begin(&mut conn, &factory) {
            tracing::warn!(error = %e, "writer cannot reach the database");
            for job in batch {
                job.finish(Err(e.clone()));
            }
            continue;
        }
        let c = conn.as_mut().expect("connected").as_mut();
        match run_batch(c, &mut batch, clock.now()) {
            Ok(events) => {
                for job in batch {
                    job.finish(Ok(()));
                }
                if !events.is_empty() {
                    on_commit(events);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "write batch failed; nothing in it was acknowledged");
                let _ = c.batch("ROLLBACK");
                if matches!(e, StoreError::Unavailable(_)) {
                    conn = None;
                }
                let e = match e {
                    StoreError::Unavailable(_) => e,
                    other => StoreError::Unavailable(other.to_string()),
                };
                for job in batch {
                    job.finish(Err(e.clone()));
                }
            }
        }
    }
}

/// Opens the batch's transaction. A connection the database dropped while it sat idle fails here, before any job
/// ran, so the batch is simply retried once on a fresh connection instead of failing its callers.
fn begin(slot: &mut Option<Box<dyn Conn>>, factory: &ConnFactory) -> Result<()> {
    let reused = slot.is_some();
    connect(slot, factory)?;
    let conn = slot.as_mut().expect("connected");
    let sql = match conn.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
    };
    match conn.batch(sql) {
        Err(StoreError::Unavailable(_)) if reused => {
            *slot = None;
            connect(slot, factory)?;
            let result = slot.as_mut().expect("connected").batch(sql);
            if matches!(result, Err(StoreError::Unavailable(_))) {
                *slot = None;
            }
            result
        }
        Err(e) => {
            if matches!(e, StoreError::Unavailable(_)) {
                *slot = None;
            }
            Err(e)
        }
        Ok(()) => Ok(()),
    }
}

/// Runs the batch inside the transaction `begin` opened, and commits it.
fn run_batch(conn: &mut dyn Conn, batch: &mut [Box<dyn WriteJob>], now: i64) -> Result<Vec<Event>> {
    let dialect = conn.dialect();
    let mut tx = Tx { conn, events: Vec::new(), now };
    for job in batch.iter_mut() {
        tx.conn.batch("SAVEPOINT job")?;
        let mark = tx.events.len();
        if job.run(&mut tx) {
            tx.conn.batch("RELEASE SAVEPOINT job")?;
        } else {
            tx.conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job")?;
            tx.events.truncate(mark);
        }
    }
    let Tx { conn, mut events, .. } = tx;
    if !events.is_empty() {
        store_events(conn, &mut events, now)?;
    }
    if dialect == Dialect::Postgres && !events.is_empty() {
        // Other nodes learn "org N reached seq S" when (and only when) this transaction commits.
        let mut last: Vec<(i64, i64)> = Vec::new();
        for e in &events {
            match last.iter_mut().find(|(org, _)| *org == e.org_id) {
                Some(entry) => entry.1 = entry.1.max(e.id),
                None => last.push((e.org_id, e.id)),
            }
        }
        for (org, seq) in last {
            conn.execute("SELECT pg_notify('anxin_events', $1)", params![format!("{org}:{seq}")])?;
        }
    }
    conn.batch("COMMIT")?;
    Ok(events)
}

fn read_loop(jobs: Receiver<ReadJob>, factory: ConnFactory) {
    let mut conn: Option<Box<dyn Conn>> = None;
    while let Ok(mut job) = jobs.recv() {
        let mut reused = conn.is_some();
        loop {
            match connect(&mut conn, &factory) {
                Ok(()) => {
                    if !job(Ok(conn.as_mut().expect("connected").as_mut()), !reused) {
                        break;
                    }
                    conn = None;
                    if !reused {
                        break;
                    }
                    reused = false; // once more, on a fresh connection
                }
                Err(e) => {
                    job(Err(e), true);
                    break;
                }
            }
        }
    }
}
