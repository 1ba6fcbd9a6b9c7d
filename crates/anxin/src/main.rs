//! `anxin`: the command-line entry point: the server (`serve`, `user create`), text analysis, evaluation,
//! training and benchmarks.

mod bench;
mod bench_routing;
mod bench_assist;
mod bench_sla;
mod labelled;
mod load;
mod server;
mod simulate;
mod train;

use std::io::{BufRead, Write};

/// A faster, lower-contention allocator than glibc's for the server's many small, cross-thread allocations
/// (JSON values, events): measured in docs/PERFORMANCE.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;

use anxin_text::metrics;
use anxin_text::{Analyzer, ComplaintType, Emotion, Polarity};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "anxin", version, about = "Anxin (安心): emotion-aware customer service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse customer messages (arguments, or one message per line on stdin); prints JSON Lines.
    Analyze {
        /// Messages to analyse; without any, reads one message per line from stdin.
        text: Vec<String>,
        /// Pretty-print each JSON object.
        #[arg(long)]
        pretty: bool,
        /// Treat the messages as one conversation and print its trajectory and complaint risk after them.
        #[arg(long)]
        conversation: bool,
        /// Read each message as a customer's message to the shop's service, as the inbox does (the shopping emotion
        /// head then counts for at least 80%); without it the text's words decide (reviews, posts, any chat).
        #[arg(long)]
        inbox: bool,
        /// A model file written by `anxin train` instead of the one built into this binary.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Check the tone of an agent's draft reply before it is sent.
    CheckReply {
        /// The agent's draft.
        draft: String,
        /// The customer's last message (context for what the reply needs).
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        pretty: bool,
    },
    /// Evaluate a model task on a labelled CSV file (header with `label` and `text`).
    Eval {
        #[arg(long, value_enum)]
        task: Task,
        #[arg(long)]
        data: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Column holding the gold label.
        #[arg(long, default_value = "label")]
        label_column: String,
        /// A model file written by `anxin train` instead of the one built into this binary.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Read each text as a customer's message to the shop's service, as the inbox does (see `analyze --inbox`).
        #[arg(long)]
        inbox: bool,
    },
    /// Train the models from the public data and our written texts; writes models/anxin-text.model.
    Train(train::TrainArgs),
    /// Run the server: API, WebSocket, widget and web UI (SQLite under ./data unless --database-url).
    Serve(server::ServeArgs),
    /// Rebuild the knowledge search index from the database and tell running servers to rebuild theirs.
    Reindex(server::ReindexArgs),
    /// Manage users.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Simulate a contact-centre day under each routing policy (waits, hostile streaks, load spread).
    Simulate(simulate::SimulateArgs),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (the first admin of a fresh installation, for example).
    Create(server::UserCreateArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Task {
    Sentiment,
    Emotion,
    Complaint,
    /// Whether the analysis finds a complaint at all: gold `none` (or `no`) is not a complaint, any complaint type
    /// (or `yes`) is one. Use with `--label-column complaint` on our written files.
    IsComplaint,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Analyze { text, pretty, conversation, inbox, model } => {
            analyze(text, pretty, conversation, inbox, model.as_deref())
        }
        Command::CheckReply { draft, customer, pretty } => {
            let analyzer = Analyzer::embedded()?;
            print_json(&analyzer.check_reply(&draft, customer.as_deref()), pretty)
        }
        Command::Eval { task, data, json, label_column, model, inbox } => eval(task, &data, json, &label_column, model.as_deref(), inbox),
        Command::Train(args) => train::run(args),
        Command::Serve(args) => server::serve(args),
        Command::Reindex(args) => server::reindex(args),
        Command::User { what: UserCommand::Create(args) } => server::user_create(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Bench { what } => bench::run(what),
    }
}

fn print_json<T: serde::Serialize>(value: &T, pretty: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if pretty {
        serde_json::to_writer_pretty(&mut out, value)?;
    } else {
        serde_json::to_writer(&mut out, value)?;
    }
    writeln!(out)?;
    Ok(())
}

/// The analyser of a model file, or the one built into this binary.
fn load_analyzer(model: Option<&std::path::Path>) -> Result<&'static Analyzer> {
    match model {
        Some(file) => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let analyzer = Analyzer::from_bytes(&bytes).with_context(|| format!("{} is not a usable model", file.display()))?;
            // One model per command run: it lives as long as the process, like the embedded one.
            Ok(Box::leak(Box::new(analyzer)))
        }
        None => Ok(Analyzer::embedded()?),
    }
}

fn analyze(texts: Vec<String>, pretty: bool, conversation: bool, inbox: bool, model: Option<&std::path::Path>) -> Result<()> {
    let analyzer = load_analyzer(model)?;
    let mut analyses = Vec::new();
    let mut handle = |text: &str| -> Result<()> {
        let analysis = if inbox { analyzer.analyze_customer_message(text) } else { analyzer.analyze(text) };
        print_json(&analysis, pretty)?;
        if conversation {
            analyses.push(analysis);
        }
        Ok(())
    };
    if texts.is_empty() {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).context("cannot read stdin")? == 0 {
                break;
            }
            number += 1;
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            match std::str::from_utf8(&line) {
                Ok(text) => handle(text)?,
                // One bad line must not lose the others: report it and go on.
                Err(e) => {
                    eprintln!("error: stdin line {number} is not valid UTF-8 (byte {}); skipped", e.valid_up_to());
                    print_json(&serde_json::json!({"error": "invalid_utf8", "line": number}), pretty)?;
                }
            }
        }
    } else {
        for text in &texts {
            handle(text)?;
        }
    }
    if conversation {
        print_json(&serde_json::json!({"conversation": analyzer.conversation(&analyses)}), pretty)?;
    }
    Ok(())
}

fn eval(task: Task, path: &std::path::Path, json: bool, label_column: &str, model: Option<&std::path::Path>, inbox: bool) -> Result<()> {
    let analyzer = load_analyzer(model)?;
    let rows = labelled::read(path, label_column)?;
    let (name, labels): (&str, Vec<&str>) = match task {
        Task::Sentiment => ("sentiment", Polarity::ALL.iter().map(|p| p.as_str()).collect()),
        Task::Emotion => ("emotion", Emotion::ALL.iter().map(|p| p.as_str()).collect()),
        Task::Complaint => ("complaint", ComplaintType::ALL.iter().map(|p| p.as_str()).collect()),
        Task::IsComplaint => ("is_complaint", vec!["no", "yes"]),
    };
    let mut pairs = Vec::with_capacity(rows.len());
    for row in &rows {
        let gold = match task {
            Task::IsComplaint if row.label == "none" => Some(0),
            Task::IsComplaint if ComplaintType::ALL.iter().any(|c| c.as_str() == row.label) => Some(1),
            _ => labels.iter().position(|l| *l == row.label),
        };
        let Some(gold) = gold else {
            bail!(
                "{}: line {}: unknown {name} label `{}` (expected one of: {})",
                path.display(),
                row.line,
                row.label,
                match task {
                    Task::IsComplaint => "none, no, yes or a complaint type".to_string(),
                    _ => labels.join(", "),
                }
            );
        };
        let predicted = match task {
            Task::Sentiment => analyzer.predict_sentiment(&row.text).index(),
            Task::Emotion if inbox => analyzer.predict_customer_message_emotion(&row.text).index(),
            Task::Emotion => analyzer.predict_emotion(&row.text).index(),
            Task::Complaint => analyzer.predict_complaint(&row.text).index(),
            Task::IsComplaint => {
                let analysis = if inbox { analyzer.analyze_customer_message(&row.text) } else { analyzer.analyze(&row.text) };
                usize::from(analysis.complaint.is_some())
            }
        };
        pairs.push((gold, predicted));
    }
    let report = metrics::report(&labels, &pairs);
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["task"] = serde_json::json!(name);
        print_json(&value, false)
    } else {
        println!("task = {name}\n{}", report.to_text());
        Ok(())
    }
}
