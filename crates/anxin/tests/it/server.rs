//! The real binary as an operator runs it: `anxin serve`, killed with SIGKILL in the middle of a burst of
//! customer messages, restarted: every acknowledged message is there, none twice (20 cycles). And a graceful
//! stop (SIGTERM) that finishes what it accepted.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const DEMO_PASSWORD: &str = "anxin-demo-2026";

struct Server {
    child: Child,
    base: String,
    metrics: Option<String>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let config = dir.join("anxin.toml");
        // Generous limits: this is a durability test, not a rate-limit test.
        std::fs::write(&config, "visitor_messages_per_minute = 1000000\nvisitor_burst = 1000000\nip_requests_per_minute = 100000000\n").unwrap();
        Server::start_with(dir, &["--config", config.to_str().unwrap()])
    }

    fn kill9(mut self) {
        // Child::kill sends SIGKILL: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(10))).build().into()
}

fn post(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)], body: &Value) -> Result<(u16, Value), ureq::Error> {
    let mut req = agent.post(url).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body.to_string())?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().expect("GET");
    let status = resp.status().as_u16();
    (status, serde_json::from_str(&resp.body_mut().read_to_string().unwrap_or_default()).unwrap_or(Value::Null))
}

/// Signs in as the demo admin; returns the cookie header.
fn sign_in(agent: &ureq::Agent, base: &str) -> String {
    let mut resp = agent
        .post(format!("{base}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .send(json!({"username": "admin", "password": DEMO_PASSWORD}).to_string())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let _ = resp.body_mut().read_to_string();
    cookie
}

fn web_channel(agent: &ureq::Agent, base: &str, cookie: &str) -> String {
    let (_, channels) = get(agent, &format!("{base}/api/v1/channels"), &[("cookie", cookie)]);
    channels["channels"].as_array().unwrap().iter().find(|c| c["kind"] == "web_chat").unwrap()["public_key"].as_str().unwrap().to_owned()
}

/// Every stored customer message of the visitor's conversations, by client id.
fn stored_client_ids(agent: &ureq::Agent, base: &str, cookie: &str, conversations: &[i64]) -> Vec<String> {
    let mut ids = Vec::new();
    for id in conversations {
        let mut after = 0;
        loop {
            let url = format!("{base}/api/v1/conversations/{id}/messages?after={after}&limit=500");
            let (status, body) = get(agent, &url, &[("cookie", cookie)]);
            assert_eq!(status, 200);
            let page = body["messages"].as_array().unwrap();
            for m in page {
                after = m["id"].as_i64().unwrap();
                if let Some(c) = m["client_message_id"].as_str() {
                    ids.push(c.to_owned());
                }
            }
            if page.len() < 500 {
                break;
            }
        }
    }
    ids
}

#[test]
fn kill_9_during_a_burst_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let http = agent();
    let mut acknowledged: Vec<String> = Vec::new();
    let mut attempted: Vec<(String, String, String)> = Vec::new(); // (visitor token, client id, text)
    let mut conversations: Vec<i64> = Vec::new();
    let mut key = String::new();
    for cycle in 0..20 {
        let server = Server::start(dir.path());
        let base = server.base.clone();
        if key.is_empty() {
            let cookie = sign_in(&http, &base);
            key = web_channel(&http, &base, &cookie);
        }
        let (_, session) = post(&http, &format!("{base}/api/v1/widget/{key}/session"), &[], &json!({})).unwrap();
        let token = session["token"].as_str().unwrap().to_owned();
        let acked = Arc::new(Mutex::new(Vec::<(String, i64)>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut senders = Vec::new();
        for worker in 0..4 {
            let (acked, stop, base, key, token) = (acked.clone(), stop.clone(), base.clone(), key.clone(), token.clone());
            senders.push(std::thread::spawn(move || {
                let http = agent();
                let mut sent = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let client_id = format!("c{cycle}-w{worker}-{n}");
                    let text = format!("第{cycle}轮第{n}条：快递怎么还没到？");
                    sent.push((client_id.clone(), text.clone()));
                    let auth = format!("Bearer {token}");
                    match post(&http, &format!("{base}/api/v1/widget/{key}/messages"), &[("authorization", &auth)], &json!({"client_message_id": client_id, "text": text})) {
                        Ok((201, body)) => acked.lock().unwrap().push((client_id, body["conversation_id"].as_i64().unwrap())),
                        _ => break, // the server died mid-request: this one was not acknowledged
                    }
                }
                sent
            }));
        }
        // Kill at a different point of the burst each cycle.
        std::thread::sleep(Duration::from_millis(150 + (cycle as u64 * 37) % 300));
        server.kill9();
        stop.store(true, Ordering::Relaxed);
        for s in senders {
            for (id, text) in s.join().unwrap() {
                attempted.push((token.clone(), id, text));
            }
        }
        let acked = acked.lock().unwrap().clone();
        assert!(!acked.is_empty(), "cycle {cycle}: the burst got going before the kill");
        for (id, conversation) in acked {
            acknowledged.push(id);
            if !conversations.contains(&conversation) {
                conversations.push(conversation);
            }
        }
    }
    // Restart once more and check: everything acknowledged is there, nothing twice.
    let server = Server::start(dir.path());
    let cookie = sign_in(&http, &server.base);
    let stored = stored_client_ids(&http, &server.base, &cookie, &conversations);
    let mut unique = stored.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged but lost, e.g. {:?}", missing.len(), &missing[..missing.len().min(10)]);
    // Retrying every attempt (as a client whose request died would) adds nothing twice.
    for (token, id, text) in attempted.iter().filter(|(_, id, _)| !acknowledged.contains(id)).take(50) {
        let auth = format!("Bearer {token}");
        let (status, _) = post(&http, &format!("{}/api/v1/widget/{key}/messages", server.base), &[("authorization", &auth)], &json!({"client_message_id": id, "text": text})).unwrap();
        assert_eq!(status, 201);
    }
    let after_retry = stored_client_ids(&http, &server.base, &cookie, &conversations);
    let mut unique = after_retry.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), after_retry.len(), "retries never duplicate");
    println!("{} acknowledged messages over 20 kill -9 cycles, all present", acknowledged.len());
}

#[test]
fn sigterm_finishes_in_flight_work_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let http = agent();
    let (status, _) = get(&http, &format!("{}/readyz", server.base), &[]);
    assert_eq!(status, 200);
    let pid = server.child.id();
    let started = Instant::now();
    assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?} after {:?}", started.elapsed());
}

/// A fresh schema in the test PostgreSQL database; `None` when `ANXIN_TEST_POSTGRES_URL` is not set.
fn postgres_schema_url() -> Option<String> {
    let url = std::env::var("ANXIN_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("ANXIN_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let schema = format!("anxin_nodes_{}", hex::encode(suffix));
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-csearch_path%3D{schema}"))
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

fn ws_connect(url: &str, cookie: Option<&str>) -> Socket {
    use tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    let (socket, _) = tungstenite::connect(request).expect("WebSocket");
    if let tungstenite::stream::MaybeTlsStream::Plain(s) = socket.get_ref() {
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    }
    socket
}

fn ws_next(socket: &mut Socket) -> Value {
    loop {
        if let tungstenite::Message::Text(t) = socket.read().expect("a frame before the timeout") {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

fn ws_wait(socket: &mut Socket, mut matches: impl FnMut(&Value) -> bool) -> Value {
    loop {
        let f = ws_next(socket);
        if matches(&f) {
            return f;
        }
    }
}

impl Server {
    fn start_on(dir: &Path, database_url: &str) -> Server {
        Server::start_with(dir, &["--database-url", database_url])
    }

    fn start_with(dir: &Path, extra: &[&str]) -> Server {
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_anxin"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .args(extra)
            .env("ANXIN_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start anxin serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let (metrics_tx, metrics_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
                if let Some(addr) = line.strip_prefix("metrics on ") {
                    let _ = metrics_tx.send(addr.to_owned());
                }
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(120)).expect("server prints its address");
        // The metrics line, when there is one, comes before the listening line.
        let metrics = metrics_rx.try_recv().ok();
        Server { child, base, metrics }
    }
}

/// Two nodes on one PostgreSQL: a customer on node A and an agent on node B talk in real time; node B is killed,
/// the agent reconnects to A with the last event id it saw and misses nothing.
#[test]
fn two_nodes_share_real_time_events_and_survive_a_node_kill() {
    let Some(url) = postgres_schema_url() else {
        eprintln!("ANXIN_TEST_POSTGRES_URL not set: the two-node test needs PostgreSQL (CI sets it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let node_a = Server::start_on(&dir.path().join("a"), &url);
    let node_b = Server::start_on(&dir.path().join("b"), &url);
    let http = agent();

    // The agent signs in on node B and follows events there.
    let mut login = http
        .post(format!("{}/api/v1/auth/login", node_b.base))
        .header("content-type", "application/json")
        .send(json!({"username": "agent2", "password": DEMO_PASSWORD}).to_string())
        .unwrap();
    let cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let csrf = serde_json::from_str::<Value>(&login.body_mut().read_to_string().unwrap()).unwrap()["csrf_token"].as_str().unwrap().to_owned();
    let ws_b = |base: &str, after: i64| ws_connect(&format!("{}/api/v1/ws?after={after}", base.replacen("http", "ws", 1)), Some(&cookie));
    let mut agent_ws = ws_b(&node_b.base, 0);
    ws_wait(&mut agent_ws, |f| f["type"] == "hello");

    // The customer is on node A.
    let key = web_channel(&http, &node_a.base, &cookie);
    let (_, session) = post(&http, &format!("{}/api/v1/widget/{key}/session", node_a.base), &[], &json!({})).unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let mut customer_ws = ws_connect(&format!("{}/api/v1/widget/{key}/ws?token={token}", node_a.base.replacen("http", "ws", 1)), None);
    ws_wait(&mut customer_ws, |f| f["type"] == "hello");
    let send = |ws: &mut Socket, id: &str, text: &str| {
        ws.send(tungstenite::Message::Text(json!({"type": "send", "client_message_id": id, "text": text}).to_string().into())).unwrap();
        ws_wait(ws, |f| f["type"] == "ack" && f["client_message_id"] == id)
    };
    let ack = send(&mut customer_ws, "n-1", "你好，我的订单三天了还没发货，能帮我查一下吗？");
    let conversation = ack["conversation_id"].as_i64().unwrap();

    // Node B's agent sees it in real time, and answers through node B.
    let seen = ws_wait(&mut agent_ws, |f| f["type"] == "event" && f["event"]["kind"] == "message_created");
    assert_eq!(seen["event"]["data"]["message"]["client_message_id"], "n-1", "the first live event is the customer's");
    let reply = post(
        &http,
        &format!("{}/api/v1/conversations/{conversation}/messages", node_b.base),
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        &json!({"text": "您好，我马上帮您查询，10分钟内给您答复"}),
    )
    .unwrap();
    assert_eq!(reply.0, 201, "{}", reply.1);
    let got = ws_wait(&mut customer_ws, |f| f["type"] == "event" && f["event"]["data"]["message"]["kind"] == "agent");
    assert_eq!(got["event"]["data"]["message"]["text"], "您好，我马上帮您查询，10分钟内给您答复");
    let last_seen = ws_wait(&mut agent_ws, |f| f["type"] == "event" && f["event"]["data"]["message"]["kind"] == "agent")["event"]["id"].as_i64().unwrap();

    // Node B dies; the customer keeps writing on node A; the agent reconnects to A and gets exactly what it missed.
    node_b.kill9();
    drop(agent_ws);
    for i in 2..=4 {
        send(&mut customer_ws, &format!("n-{i}"), &format!("第{i}条：还在吗？"));
    }
    let mut resumed = ws_b(&node_a.base, last_seen);
    let mut missed = Vec::new();
    loop {
        let f = ws_next(&mut resumed);
        if f["type"] == "hello" {
            break;
        }
        missed.push(f["event"].clone());
    }
    let ids: Vec<i64> = missed.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.iter().all(|&id| id > last_seen), "nothing old repeated: {ids:?}");
    assert_eq!(ids, (last_seen + 1..=last_seen + ids.len() as i64).collect::<Vec<_>>(), "no gap");
    let texts: Vec<&str> = missed.iter().filter(|e| e["kind"] == "message_created").map(|e| e["data"]["message"]["client_message_id"].as_str().unwrap()).collect();
    assert_eq!(texts, ["n-2", "n-3", "n-4"]);
    drop(node_a);
}

/// The first admin of a fresh installation comes from `anxin user create`; configuration is read from the file,
/// then the environment, then flags; metrics are served on their own listener.
#[test]
fn user_create_config_precedence_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = Command::new(env!("CARGO_BIN_EXE_anxin"))
        .args(["user", "create", "--username", "boss", "--role", "admin", "--organization", "shop", "--data-dir"])
        .arg(&data)
        .env("ANXIN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("created boss (admin)"));
    let weak = Command::new(env!("CARGO_BIN_EXE_anxin"))
        .args(["user", "create", "--username", "weak", "--password", "short", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("password"), "{}", String::from_utf8_lossy(&weak.stderr));

    // The file says one port, the environment another, the flag a third: the flag wins. The metrics listener
    // comes from the environment.
    let config = dir.path().join("anxin.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:1\"\nmax_message_bytes = 2048\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anxin"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .env("ANXIN_LISTEN", "127.0.0.1:2")
        .env("ANXIN_METRICS_LISTEN", "127.0.0.1:0")
        .env("ANXIN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let metrics = lines.next().and_then(|l| l.strip_prefix("metrics on ").map(str::to_owned)).expect("metrics line");
    let base = lines.next().and_then(|l| l.strip_prefix("listening on ").map(str::to_owned)).expect("listening line");
    let mut server = Server { child, base, metrics: Some(metrics) };
    let http = agent();
    let resp = post(&http, &format!("{}/api/v1/auth/login", server.base), &[], &json!({"username": "boss", "password": "a long enough password"})).unwrap();
    assert_eq!(resp.0, 200, "{}", resp.1);
    let cookie_resp = http
        .post(format!("{}/api/v1/auth/login", server.base))
        .header("content-type", "application/json")
        .send(json!({"username": "boss", "password": "a long enough password"}).to_string())
        .unwrap();
    let cookie = cookie_resp.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_owned();
    let (status, _) = get(&http, &format!("{}/api/v1/settings", server.base), &[("cookie", &cookie)]);
    assert_eq!(status, 200);
    let mut resp = http.get(server.metrics.clone().unwrap()).call().unwrap();
    let text = resp.body_mut().read_to_string().unwrap();
    assert!(text.contains("anxin_http_responses_total{class=\"2xx\"}"), "{text}");
    assert!(text.contains("# TYPE anxin_websocket_connections gauge"));
    assert!(!http.get(format!("{}/metrics", server.base)).call().map(|r| r.status().as_u16() == 200).unwrap_or(false), "not on the API listener");
    server.child.kill().unwrap();
}

/// `anxin reindex` reads the database a server wrote (the demo's starter content) and rebuilds the index from it;
/// an unknown organisation is an error.
#[test]
fn reindex_rebuilds_the_search_index_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[]);
    let http = agent();
    let cookie = sign_in(&http, &server.base);
    let (status, hits) = get(&http, &format!("{}/api/v1/knowledge/search?q=%E9%80%80%E8%B4%A7%E8%BF%90%E8%B4%B9&kind=faq", server.base), &[("cookie", &cookie)]);
    assert_eq!(status, 200, "{hits}");
    assert_eq!(hits["hits"][0]["id"], "return-shipping-fee", "the demo's starter content is searchable: {hits}");
    drop(server);

    let reindex = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_anxin")).arg("reindex").arg("--data-dir").arg(dir.path().join("data")).args(extra).output().unwrap()
    };
    let done = reindex(&[]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let report = String::from_utf8_lossy(&done.stdout).to_string();
    let count: usize = report
        .strip_prefix("demo: ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(count >= 190, "{report}");
    let unknown = reindex(&["--organization", "nosuch"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no organisation nosuch"));
}
