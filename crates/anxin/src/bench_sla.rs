//! `anxin bench sla`: the SLA sweeper at scale. Opens N complaint tickets through the real store (each starts its
//! first-response, resolution and step clocks), then times the sweeper's find query — the work every pass does —
//! with nothing due and with a backlog due, and the full passes that fire a backlog (one transaction per pass of up
//! to `SWEEP_BATCH` timers, with their escalations, alerts, audit entries and events).

use std::time::Instant;

use anxin_domain::complaint::TicketState;
use anxin_domain::input::{MessageBody, Name, Username};
use anxin_domain::sla::TicketSeverity;
use anxin_domain::{ChannelKind, ComplaintType, ContactKind, Role};
use anxin_store::complaints::NewTicket;
use anxin_store::sla::SWEEP_BATCH;
use anxin_store::{Backend, InboundMessage, NewUser, Principal, Store};
use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct SlaArgs {
    /// Open tickets to create.
    #[arg(long, default_value_t = 100_000)]
    tickets: usize,
    /// Tickets per conversation.
    #[arg(long, default_value_t = 50)]
    per_conversation: usize,
    /// Database URL (default: a fresh SQLite file in the temp directory, removed afterwards).
    #[arg(long)]
    database: Option<String>,
    /// Timed repetitions of the find query.
    #[arg(long, default_value_t = 200)]
    passes: usize,
    #[arg(long)]
    json: bool,
}

pub fn run(args: SlaArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let temp = std::env::temp_dir().join(format!("anxin-bench-sla-{}", std::process::id()));
    let backend = match &args.database {
        Some(url) => Backend::from_url(url),
        None => Backend::Sqlite(temp.join("anxin.db")),
    };
    let result = runtime.block_on(bench(&args, backend));
    if args.database.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    result
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    sorted_ms[((sorted_ms.len() - 1) as f64 * p).round() as usize]
}

async fn time_find(store: &Store, at: i64, passes: usize) -> Result<(Vec<f64>, usize)> {
    let mut times = Vec::with_capacity(passes);
    let mut found = 0;
    for _ in 0..passes {
        let t0 = Instant::now();
        found = store.due_timer_ids(at, SWEEP_BATCH).await?.len();
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok((times, found))
}

async fn bench(args: &SlaArgs, backend: Backend) -> Result<()> {
    let store = Store::open(backend).await.context("open the store")?;
    let slug = format!("bench-sla-{}", std::process::id());
    let org = store.create_organization(Name::parse("name", "压测店铺").unwrap(), &slug, "Asia/Shanghai").await?;
    let user = NewUser {
        org_id: org.id,
        username: Username::parse(&format!("{slug}-agent")).unwrap(),
        display_name: Name::parse("n", "客服").unwrap(),
        role: Role::Agent,
        department: None,
        password_hash: "-".into(),
    };
    let agent_id = store.create_user(user, None).await?.id;
    let agent = Principal { org_id: org.id, role: Role::Agent, user_id: Some(agent_id), name: "客服".into(), csrf_token: None };
    let channel = store.create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "bench".into()).await?;
    let analyzer = anxin_text::Analyzer::embedded()?;

    let conversations = args.tickets.div_ceil(args.per_conversation.max(1));
    let setup = Instant::now();
    let mut conversation_ids = Vec::with_capacity(conversations);
    for i in 0..conversations {
        let text = "快递一周了还没到，再不处理我就投诉";
        let message = InboundMessage {
            org_id: org.id,
            channel_id: channel.id,
            contact: (ContactKind::WebVisitor, format!("bench-{i}")),
            customer_name: None,
            client_message_id: None,
            body: MessageBody::parse(text.into(), 65_536).unwrap(),
            analysis: analyzer.analyze_customer_message(text),
        };
        conversation_ids.push(store.post_inbound(message).await?.conversation.id);
    }
    // Concurrent opens so the writer commits them in groups, as a busy server would.
    const TYPES: [ComplaintType; 4] = [ComplaintType::Logistics, ComplaintType::Quality, ComplaintType::RefundReturn, ComplaintType::Payment];
    let mut opened = 0usize;
    while opened < args.tickets {
        let chunk = (args.tickets - opened).min(256);
        let mut tasks = tokio::task::JoinSet::new();
        for i in opened..opened + chunk {
            let (store, agent) = (store.clone(), agent.clone());
            let new = NewTicket {
                conversation_id: conversation_ids[i / args.per_conversation.max(1)],
                complaint_type: Some(TYPES[i % TYPES.len()]),
                severity: TicketSeverity::ALL[i % TicketSeverity::ALL.len()],
                order_ref: None,
                product: None,
                comment: None,
            };
            tasks.spawn(async move { store.open_ticket(agent, new).await });
        }
        while let Some(done) = tasks.join_next().await {
            let detail = done??;
            debug_assert_eq!(detail.ticket.state, TicketState::AwaitingLead);
        }
        opened += chunk;
    }
    let setup_s = setup.elapsed().as_secs_f64();

    // Steady state: nothing due now (every clock runs at least 15 business minutes).
    let now = store.now();
    let (idle, idle_found) = time_find(&store, now, args.passes).await?;
    // A backlog: a week later everything is due; the query still returns one batch.
    let week = 7 * 86_400_000;
    let (backlog, backlog_found) = time_find(&store, now + week, args.passes).await?;
    // Full passes firing a batch each (escalations, alerts, audit entries, events in one transaction per pass).
    store.clock().advance(week);
    let mut passes_ms = Vec::new();
    let mut fired = 0;
    for _ in 0..5 {
        let t0 = Instant::now();
        let report = store.sweep_sla().await?;
        passes_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        fired += report.breaches + report.warnings;
    }
    passes_ms.sort_by(f64::total_cmp);
    store.close().await;

    let report = serde_json::json!({
        "tickets": args.tickets,
        "timers": args.tickets * 3,
        "setup_seconds": (setup_s * 10.0).round() / 10.0,
        "find_idle_ms": {"p50": percentile(&idle, 0.5), "p99": percentile(&idle, 0.99), "max": percentile(&idle, 1.0), "found": idle_found},
        "find_backlog_ms": {"p50": percentile(&backlog, 0.5), "p99": percentile(&backlog, 0.99), "max": percentile(&backlog, 1.0), "found": backlog_found},
        "full_pass_ms": {"p50": percentile(&passes_ms, 0.5), "max": percentile(&passes_ms, 1.0), "batch": SWEEP_BATCH, "fired": fired},
    });
    if args.json {
        println!("{report}");
    } else {
        println!("SLA sweeper, {} open tickets ({} running clocks), set up in {:.1} s", args.tickets, args.tickets * 3, setup_s);
        let line = |name: &str, t: &[f64], found: usize| {
            println!("  {name:<28} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  ({found} due found)", percentile(t, 0.5), percentile(t, 0.99), percentile(t, 1.0))
        };
        line("find, nothing due", &idle, idle_found);
        line("find, backlog due", &backlog, backlog_found);
        println!("  {:<28} p50 {:>7.2} ms  max {:>7.2} ms  ({fired} fired in 5 passes of ≤ {SWEEP_BATCH})", "full pass firing a batch", percentile(&passes_ms, 0.5), percentile(&passes_ms, 1.0));
    }
    Ok(())
}
