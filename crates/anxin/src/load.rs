//! `anxin bench ingest` and `anxin bench sockets`: load against a running server, over loopback.
//!
//! ingest: V widget visitors send customer messages over WebSocket; one agent socket follows the organisation.
//! For each message it measures the acknowledgement (sent → `ack`, which the server sends after the commit) and
//! the push (sent → the agent's `message_created` event, i.e. analysed, stored and delivered). `--rate 0` sends as
//! fast as acknowledgements come back (each visitor keeps `--window` messages in flight): sustained throughput.
//! A positive `--rate` is an open-loop schedule: latency at that load.
//!
//! sockets: opens N idle widget WebSockets and holds them for `--hold` seconds (the caller reads the server's RSS).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// The server, e.g. http://127.0.0.1:8080 (loopback only).
    #[arg(long)]
    pub url: String,
    /// Staff account that follows the events (demo defaults).
    #[arg(long, default_value = "admin")]
    pub username: String,
    #[arg(long, default_value = "anxin-demo-2026")]
    pub password: String,
    /// Concurrent widget visitors.
    #[arg(long, default_value_t = 64)]
    pub visitors: usize,
    /// Total messages per second (0 = as fast as acknowledgements return).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// In-flight messages per visitor when --rate is 0.
    #[arg(long, default_value_t = 4)]
    pub window: usize,
    /// Measuring time in seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SocketsArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    /// Seconds to hold the sockets open once all are connected.
    #[arg(long, default_value_t = 10.0)]
    pub hold: f64,
    #[arg(long, default_value = "admin")]
    pub username: String,
    #[arg(long, default_value = "anxin-demo-2026")]
    pub password: String,
}

const TEXTS: &[&str] = &[
    "快递五天了还没到，物流信息也不更新，到底怎么回事",
    "衣服尺码偏小，平时穿M这次L都穿不上，能换货吗？谢谢",
    "你们这是什么垃圾服务！！！再不处理我就去12315投诉你们",
    "質量很好，物流也快，非常滿意，下次還會再來買的，謝謝",
    "Where is my order?? It's been two weeks and no update!",
    "退款申请提交一周了还没到账，麻烦尽快处理一下",
    "请问这款空气炸锅有现货吗，今天下单明天能到吗",
    "收到的水果坏了一半，太失望了",
];

fn loopback(url: &str) -> Result<()> {
    let host = url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        bail!("load tests run against loopback only (got {host})");
    }
    Ok(())
}

struct Setup {
    cookie: String,
    channel: String,
}

fn http() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(30))).build().into()
}

fn setup(url: &str, username: &str, password: &str) -> Result<Setup> {
    let agent = http();
    let mut resp = agent
        .post(format!("{url}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .send(json!({"username": username, "password": password}).to_string())?;
    if resp.status().as_u16() != 200 {
        bail!("sign-in failed ({}): {}", resp.status(), resp.body_mut().read_to_string().unwrap_or_default());
    }
    let cookie = resp.headers().get("set-cookie").context("no session cookie")?.to_str()?.split(';').next().unwrap_or("").to_owned();
    let mut resp = agent.get(format!("{url}/api/v1/channels")).header("cookie", &cookie).call()?;
    let channels: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    let channel = channels["channels"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["kind"] == "web_chat"))
        .and_then(|c| c["public_key"].as_str())
        .context("the organisation has no web chat channel")?
        .to_owned();
    Ok(Setup { cookie, channel })
}

fn visitor_token(agent: &ureq::Agent, url: &str, channel: &str) -> Result<String> {
    let mut resp = agent.post(format!("{url}/api/v1/widget/{channel}/session")).header("content-type", "application/json").send("{}")?;
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    body["token"].as_str().map(str::to_owned).with_context(|| format!("no visitor token: {body}"))
}

fn ws_base(url: &str) -> String {
    url.replacen("http", "ws", 1)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

type Sent = Arc<Mutex<HashMap<String, Instant>>>;

pub fn ingest(args: IngestArgs) -> Result<()> {
    loopback(&args.url)?;
    let setup = setup(&args.url, &args.username, &args.password)?;
    let agent = http();
    let tokens: Vec<String> =
        (0..args.visitors.max(1)).map(|_| visitor_token(&agent, &args.url, &setup.channel)).collect::<Result<_>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = runtime.block_on(run_ingest(&args, &setup, tokens))?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

async fn run_ingest(args: &IngestArgs, setup: &Setup, tokens: Vec<String>) -> Result<Value> {
    let sent: Sent = Arc::default();
    let push_latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let ack_latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(Mutex::new(HashMap::<String, u64>::new()));
    let start = Instant::now();
    let warmup = Duration::from_secs(1);
    let measure = Duration::from_secs_f64(args.seconds.max(1.0));
    let end = warmup + measure;

    // The agent follows the organisation's events from now on.
    let mut request = format!("{}/api/v1/ws?after=latest", ws_base(&args.url)).into_client_request()?;
    request.headers_mut().insert("cookie", setup.cookie.parse()?);
    let (agent_ws, _) = tokio_tungstenite::connect_async(request).await.context("agent WebSocket")?;
    let (_agent_tx, mut agent_rx) = agent_ws.split();
    let pushed_count = Arc::new(std::sync::atomic::AtomicU64::new(0));
    {
        let (sent, push_latencies, pushed_count) = (sent.clone(), push_latencies.clone(), pushed_count.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = agent_rx.next().await {
                let Message::Text(text) = frame else { continue };
                let Ok(f) = serde_json::from_str::<Value>(&text) else { continue };
                if f["type"] != "event" || f["event"]["kind"] != "message_created" {
                    continue;
                }
                let Some(id) = f["event"]["data"]["message"]["client_message_id"].as_str() else { continue };
                let at = sent.lock().unwrap().get(id).copied();
                if let Some(at) = at {
                    let now = Instant::now();
                    if now.duration_since(start) > warmup && now.duration_since(start) <= end + Duration::from_secs(5) {
                        push_latencies.lock().unwrap().push(now.duration_since(at).as_secs_f64() * 1000.0);
                        pushed_count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        });
    }

    let per_visitor_interval = if args.rate > 0.0 { Some(Duration::from_secs_f64(tokens.len() as f64 / args.rate)) } else { None };
    let mut tasks = Vec::new();
    for (v, token) in tokens.into_iter().enumerate() {
        let url = format!("{}/api/v1/widget/{}/ws?token={token}", ws_base(&args.url), setup.channel);
        let (sent, ack_latencies, errors) = (sent.clone(), ack_latencies.clone(), errors.clone());
        let window = args.window.max(1);
        tasks.push(tokio::spawn(async move {
            let (ws, _) = match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok(ws) => ws,
                Err(e) => {
                    *errors.lock().unwrap().entry(format!("connect: {e}")).or_default() += 1;
                    return 0u64;
                }
            };
            let (mut tx, mut rx) = ws.split();
            let mut n = 0u64;
            let mut in_flight = 0usize;
            let mut acked_in_window = 0u64;
            // Spread the visitors' schedules over one interval.
            let mut next_send = Instant::now() + per_visitor_interval.map_or(Duration::ZERO, |i| i.mul_f64(v as f64 / 64.0 % 1.0));
            loop {
                let now = Instant::now();
                if now.duration_since(start) >= end {
                    break;
                }
                let can_send = match per_visitor_interval {
                    Some(_) => now >= next_send,
                    None => in_flight < window,
                };
                if can_send {
                    let id = format!("v{v}-{n}");
                    n += 1;
                    let text = TEXTS[(n as usize + v) % TEXTS.len()];
                    sent.lock().unwrap().insert(id.clone(), Instant::now());
                    let frame = json!({"type": "send", "client_message_id": id, "text": text}).to_string();
                    if tx.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                    in_flight += 1;
                    if let Some(i) = per_visitor_interval {
                        next_send += i;
                    }
                    continue;
                }
                let wait = match per_visitor_interval {
                    Some(_) => next_send.saturating_duration_since(now),
                    None => Duration::from_secs(5),
                };
                match tokio::time::timeout(wait, rx.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let Ok(f) = serde_json::from_str::<Value>(&text) else { continue };
                        match f["type"].as_str() {
                            Some("ack") => {
                                in_flight = in_flight.saturating_sub(1);
                                let id = f["client_message_id"].as_str().unwrap_or("");
                                let at = sent.lock().unwrap().get(id).copied();
                                if let Some(at) = at {
                                    let now = Instant::now();
                                    if now.duration_since(start) > warmup {
                                        ack_latencies.lock().unwrap().push(now.duration_since(at).as_secs_f64() * 1000.0);
                                        acked_in_window += 1;
                                    }
                                }
                            }
                            Some("error") => {
                                in_flight = in_flight.saturating_sub(1);
                                *errors.lock().unwrap().entry(f["code"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
                            }
                            _ => {}
                        }
                    }
                    Ok(Some(Ok(_))) => {}
                    Ok(_) => break,
                    Err(_) => {}
                }
            }
            acked_in_window
        }));
    }
    let mut acked = 0;
    for t in tasks {
        acked += t.await.unwrap_or(0);
    }
    // Let pushes of the last messages arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let elapsed = (start.elapsed().min(end + Duration::from_millis(500)) - warmup).as_secs_f64();
    let mut acks = ack_latencies.lock().unwrap().clone();
    let mut pushes = push_latencies.lock().unwrap().clone();
    acks.sort_by(f64::total_cmp);
    pushes.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Ok(json!({
        "visitors": args.visitors,
        "target_rate": args.rate,
        "seconds": round(elapsed),
        "acked": acked,
        "acked_per_s": round(acked as f64 / measure.as_secs_f64()),
        "pushed_to_agent": pushed_count.load(std::sync::atomic::Ordering::Relaxed),
        "ack_ms": {"p50": round(percentile(&acks, 0.5)), "p99": round(percentile(&acks, 0.99)), "max": round(acks.last().copied().unwrap_or(f64::NAN))},
        "push_ms": {"p50": round(percentile(&pushes, 0.5)), "p99": round(percentile(&pushes, 0.99)), "max": round(pushes.last().copied().unwrap_or(f64::NAN))},
        "errors": *errors.lock().unwrap(),
    }))
}

pub fn sockets(args: SocketsArgs) -> Result<()> {
    loopback(&args.url)?;
    let setup = setup(&args.url, &args.username, &args.password)?;
    let agent = http();
    // One visitor token serves every socket: the server's cost per socket is what is measured.
    let token = visitor_token(&agent, &args.url, &setup.channel)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let url = format!("{}/api/v1/widget/{}/ws?token={token}", ws_base(&args.url), setup.channel);
        let mut sockets = Vec::with_capacity(args.count);
        let started = Instant::now();
        for i in 0..args.count {
            match tokio_tungstenite::connect_async(url.as_str()).await {
                Ok((ws, _)) => sockets.push(ws),
                Err(e) => bail!("socket {i} failed: {e} (raise the open-files limit: ulimit -n)"),
            }
        }
        println!("{{\"open\": {}, \"connect_seconds\": {:.2}}}", sockets.len(), started.elapsed().as_secs_f64());
        tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
        // Still alive: each answers a ping.
        let mut alive = 0;
        for ws in sockets.iter_mut().take(100) {
            if ws.send(Message::Text(r#"{"type":"ping"}"#.into())).await.is_ok() {
                alive += 1;
            }
        }
        println!("{{\"pinged_ok\": {alive}}}");
        Ok(())
    })
}
