//! `anxin bench analyze`: throughput on one thread and on all threads, and per-message latency percentiles.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anxin_text::Analyzer;
use anyhow::{Result, bail};
use clap::Subcommand;
use rayon::prelude::*;

use crate::labelled;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Analyse every `text` of a CSV file repeatedly and report messages/s and latency.
    Analyze {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
        /// Minimum measuring time per phase, in seconds.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// End-to-end ingest against a running server: widget WebSocket in → stored → analysed → pushed to an agent.
    Ingest(crate::load::IngestArgs),
    /// Hold many idle widget WebSockets open against a running server.
    Sockets(crate::load::SocketsArgs),
    /// Latency of one routing decision with thousands of agents and tens of thousands waiting.
    Routing(crate::bench_routing::RoutingArgs),
    /// The SLA sweeper with 100,000 open tickets: the find query per pass, idle and with a backlog, and full passes.
    Sla(crate::bench_sla::SlaArgs),
    /// One reply suggestion end to end in the server (store reads, strategy, scripts, answers) over 100,000 entries.
    Assist(crate::bench_assist::AssistArgs),
}

pub fn run(command: BenchCommand) -> Result<()> {
    let (data, json, seconds) = match command {
        BenchCommand::Analyze { data, json, seconds } => (data, json, seconds),
        BenchCommand::Ingest(args) => return crate::load::ingest(args),
        BenchCommand::Sockets(args) => return crate::load::sockets(args),
        BenchCommand::Routing(args) => return crate::bench_routing::run(args),
        BenchCommand::Sla(args) => return crate::bench_sla::run(args),
        BenchCommand::Assist(args) => return crate::bench_assist::run(args),
    };
    let rows = labelled::read_texts(&data)?;
    if rows.is_empty() {
        bail!("{} has no rows to analyse", data.display());
    }
    let analyzer = Analyzer::embedded()?;
    let budget = Duration::from_secs_f64(seconds.max(0.1));
    // Warm up caches and lazy tables.
    for t in rows.iter().take(1000) {
        std::hint::black_box(analyzer.analyze(t));
    }
    // Single thread: time every call (latency) and the whole loop (throughput).
    let mut latencies_ns: Vec<u64> = Vec::new();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < budget {
        for t in &rows {
            let t0 = Instant::now();
            std::hint::black_box(analyzer.analyze(t));
            latencies_ns.push(t0.elapsed().as_nanos() as u64);
        }
        done += rows.len();
    }
    let single = done as f64 / start.elapsed().as_secs_f64();
    latencies_ns.sort_unstable();
    let pct = |p: f64| latencies_ns[((latencies_ns.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    // All threads.
    let start = Instant::now();
    let mut done_all = 0usize;
    while start.elapsed() < budget {
        rows.par_iter().for_each(|t| {
            std::hint::black_box(analyzer.analyze(t));
        });
        done_all += rows.len();
    }
    let all = done_all as f64 / start.elapsed().as_secs_f64();
    let mean_chars = rows.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / rows.len() as f64;
    let threads = rayon::current_num_threads();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "msgs_per_s_single": single.round(),
                "msgs_per_s_all": all.round(),
                "p50_us": (pct(0.50) * 100.0).round() / 100.0,
                "p99_us": (pct(0.99) * 100.0).round() / 100.0,
                "threads": threads,
                "messages": rows.len(),
                "mean_chars": (mean_chars * 10.0).round() / 10.0,
            })
        );
    } else {
        println!("messages: {} (mean {:.1} chars)", rows.len(), mean_chars);
        println!("single thread: {single:>12.0} msgs/s");
        println!("{threads} threads: {all:>12.0} msgs/s");
        println!("latency p50: {:>8.2} µs   p99: {:>8.2} µs", pct(0.5), pct(0.99));
    }
    Ok(())
}
