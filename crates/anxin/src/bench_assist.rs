//! `anxin bench assist`: one reply suggestion as the workspace gets it, end to end inside the server — the
//! conversation and its messages read from the store, the strategy, `anxin_search::assist` over the organisation's
//! index, the script variables filled — over a knowledge base of N entries stored in the real store (the starter
//! content, then numbered copies of it), for each question of `content/eval/search-queries.csv` posted as a
//! customer message in a conversation of its own. What `cargo bench -p anxin-search --bench assist` times without
//! the store.

use std::path::PathBuf;
use std::time::Instant;

use anxin_domain::input::{MessageBody, Name, Username};
use anxin_domain::knowledge::{Entry, EntryFields};
use anxin_domain::{ChannelKind, ContactKind, Role};
use anxin_store::{Backend, InboundMessage, NewUser, Principal, Store};
use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct AssistArgs {
    /// Knowledge entries (language variants) to store: the starter content, then numbered copies of it.
    #[arg(long, default_value_t = 100_000)]
    entries: usize,
    /// The questions (CSV with a `query` column).
    #[arg(long, default_value = "content/eval/search-queries.csv")]
    queries: PathBuf,
    /// Timed rounds over all questions.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Database URL (default: a fresh SQLite file in the temp directory, removed afterwards).
    #[arg(long)]
    database: Option<String>,
}

pub fn run(args: AssistArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let temp = std::env::temp_dir().join(format!("anxin-bench-assist-{}", std::process::id()));
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

fn questions(path: &PathBuf) -> Result<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("read {}", path.display()))?;
    let column = reader.headers()?.iter().position(|h| h == "query").context("a `query` column")?;
    let mut out = Vec::new();
    for row in reader.records() {
        out.push(row?.get(column).unwrap_or_default().to_owned());
    }
    Ok(out)
}

/// The starter content, then copies with numbered ids until there are `n` entries.
fn library(n: usize) -> Result<Vec<Entry>> {
    let starter = anxin_web::demo::starter_entries()?;
    let mut out = starter.clone();
    let mut copy = 1;
    while out.len() < n {
        for entry in &starter {
            if out.len() == n {
                break;
            }
            let mut fields = EntryFields::from(entry.clone());
            fields.id = Some(format!("{}-c{copy}", entry.id()));
            out.push(Entry::try_from(fields).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        copy += 1;
    }
    out.truncate(n);
    Ok(out)
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    sorted_ms.get(((sorted_ms.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0)
}

async fn bench(args: &AssistArgs, backend: Backend) -> Result<()> {
    let questions = questions(&args.queries)?;
    let store = Store::open(backend).await.context("open the store")?;
    let slug = format!("bench-assist-{}", std::process::id());
    let org = store.create_organization(Name::parse("name", "压测店铺").unwrap(), &slug, "Asia/Shanghai").await?;
    let new = |name: &str, role| NewUser {
        org_id: org.id,
        username: Username::parse(&format!("{slug}-{name}")).unwrap(),
        display_name: Name::parse("n", name).unwrap(),
        role,
        department: None,
        password_hash: "-".into(),
    };
    let agent = store.create_user(new("agent", Role::Agent), None).await?;
    let lead = Principal { org_id: org.id, role: Role::Admin, user_id: None, name: "bench".into(), csrf_token: None };
    let me = Principal { org_id: org.id, role: Role::Agent, user_id: Some(agent.id), name: "小安".into(), csrf_token: None };

    let started = Instant::now();
    let entries = library(args.entries)?;
    for chunk in entries.chunks(anxin_store::knowledge::MAX_IMPORT) {
        store.import_knowledge(lead.clone(), chunk.to_vec()).await?;
    }
    let stored = started.elapsed();
    let state = anxin_web::AppState::new(store.clone(), anxin_web::Config::default()).await?;
    let started = Instant::now();
    let index = state.library.index(&store, org.id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let built = started.elapsed();

    let analyzer = anxin_text::Analyzer::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
    let channel = store.create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "bench".into()).await?;
    let mut conversations = Vec::new();
    for (i, question) in questions.iter().enumerate() {
        let posted = store
            .post_inbound(InboundMessage {
                org_id: org.id,
                channel_id: channel.id,
                contact: (ContactKind::WebVisitor, format!("bench-visitor-{i}")),
                customer_name: None,
                client_message_id: None,
                body: MessageBody::parse(question.clone(), 65_536)?,
                analysis: analyzer.analyze_customer_message(question),
            })
            .await?;
        conversations.push(posted.conversation.id);
    }
    // One warm-up round, then the timed ones.
    for &id in &conversations {
        anxin_web::assist::suggestions_for(&state, &me, id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    }
    let mut times = Vec::with_capacity(conversations.len() * args.rounds);
    let (mut scripts, mut answers) = (0usize, 0usize);
    for _ in 0..args.rounds {
        for &id in &conversations {
            let t0 = Instant::now();
            let s = anxin_web::assist::suggestions_for(&state, &me, id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            times.push(t0.elapsed().as_secs_f64() * 1e3);
            scripts += s.scripts.len();
            answers += s.answers.len();
        }
    }
    times.sort_by(f64::total_cmp);
    let n = times.len().max(1) as f64;
    println!(
        "entries {} (stored in {:.1} s, index built in {:.1} s, {} indexed) · {} questions × {} rounds",
        entries.len(),
        stored.as_secs_f64(),
        built.as_secs_f64(),
        index.len(),
        conversations.len(),
        args.rounds
    );
    println!(
        "suggestion end to end: p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms · {:.2} scripts and {:.2} answers on average",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0),
        scripts as f64 / n,
        answers as f64 / n
    );
    store.close().await;
    Ok(())
}
