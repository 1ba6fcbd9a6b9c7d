//! `TestApp::spawn()`: a fresh database, an organisation with an admin, an agent and a web channel, and the server
//! on 127.0.0.1:0 in a background runtime; stopped when the `TestApp` drops. Clients are blocking (ureq,
//! tungstenite) so the stories read top to bottom.

use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use anxin_domain::input::{Name, Username};
use anxin_domain::{ChannelKind, Role};
use anxin_store::Store;
use anxin_web::{AppState, Config};

pub const PASSWORD: &str = "a long test password";
pub const SHOP: &str = "https://shop.example.com";

pub struct TestApp {
    pub base: String,
    pub channel_key: String,
    pub other_org_conversation: i64,
    /// The server's counters (e.g. open WebSocket connections, for a test that must wait for a page's socket).
    pub metrics: std::sync::Arc<anxin_web::metrics::Metrics>,
    /// The server's store (e.g. `app.store.clock().advance(ms)` to reach a deadline without waiting).
    pub store: Store,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

pub fn backends() -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Ok(url) = std::env::var("ANXIN_TEST_POSTGRES_URL")
        && !url.is_empty() {
            out.push(Some(fresh_schema(&url)));
        }
    out
}

/// A schema of its own per test, so tests never see each other's rows.
pub fn fresh_schema(url: &str) -> String {
    let mut admin = postgres::Client::connect(url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("ANXIN_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let schema = format!("anxin_web_{}", hex::encode(suffix));
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

impl TestApp {
    pub fn spawn(database_url: Option<String>) -> TestApp {
        Self::spawn_with(database_url, |_| {})
    }

    pub fn spawn_with(database_url: Option<String>, tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::start(database_url, tweak, true)
    }

    /// Another node on the database of a running `TestApp` (PostgreSQL): nothing seeded, so `channel_key` and
    /// `other_org_conversation` are empty.
    pub fn spawn_second(database_url: Option<String>) -> TestApp {
        Self::start(database_url, |_| {}, false)
    }

    fn start(database_url: Option<String>, tweak: impl FnOnce(&mut Config), seeding: bool) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config { data_dir: dir.path().to_owned(), database_url, ..Config::default() };
        tweak(&mut config);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let store = Store::open(config.backend()).await.expect("open store");
                let seeded = if seeding { seed(&store).await } else { (String::new(), 0) };
                let state = AppState::new(store.clone(), config).await.expect("state");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready_tx.send((listener.local_addr().unwrap(), seeded, state.metrics.clone(), store)).unwrap();
                anxin_web::serve(listener, state, async {
                    let _ = shutdown_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let (addr, (channel_key, other_org_conversation), metrics, store) =
            ready_rx.recv_timeout(Duration::from_secs(60)).expect("server started");
        TestApp {
            base: format!("http://{addr}"),
            channel_key,
            other_org_conversation,
            metrics,
            store,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.base.replacen("http", "ws", 1))
    }

    /// A signed-in staff member.
    pub fn login(&self, username: &str) -> Client {
        let mut client = Client::new(self);
        let (status, body) = client.post("/api/v1/auth/login", &json!({"username": username, "password": PASSWORD}));
        assert_eq!(status, 200, "login {username}: {body}");
        client.csrf = body["csrf_token"].as_str().map(str::to_owned);
        client
    }

    pub fn visitor(&self) -> Visitor {
        let mut client = Client::new(self);
        client.origin = Some(SHOP.into());
        let (status, body) = client.post(&format!("/api/v1/widget/{}/session", self.channel_key), &json!({}));
        assert_eq!(status, 200, "{body}");
        Visitor { token: body["token"].as_str().unwrap().to_owned(), client, key: self.channel_key.clone() }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Organisation "shop" (admin, supervisor, agent, trainer; a web channel for SHOP) and another organisation
/// with one conversation of its own.
async fn seed(store: &Store) -> (String, i64) {
    let hash = anxin_web::auth::hash_password(PASSWORD);
    let org = store.create_organization(Name::parse("n", "测试店").unwrap(), "shop", "Asia/Shanghai").await.unwrap();
    for (username, role) in [("admin", Role::Admin), ("lead", Role::Supervisor), ("agent", Role::Agent), ("trainer", Role::Trainer)] {
        let new = anxin_store::NewUser {
            org_id: org.id,
            username: Username::parse(username).unwrap(),
            display_name: Name::parse("n", username).unwrap(),
            role,
            department: None,
            password_hash: hash.clone(),
        };
        store.create_user(new, None).await.unwrap();
    }
    let channel = store
        .create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![SHOP.into()], "test".into())
        .await
        .unwrap();
    let other = store.create_organization(Name::parse("n", "别家").unwrap(), "other", "UTC").await.unwrap();
    let other_channel =
        store.create_channel(other.id, ChannelKind::Api, Name::parse("n", "api").unwrap(), vec![], "test".into()).await.unwrap();
    let analyzer = anxin_text::Analyzer::embedded().unwrap();
    let posted = store
        .post_inbound(anxin_store::InboundMessage {
            org_id: other.id,
            channel_id: other_channel.id,
            contact: (anxin_domain::ContactKind::External, "x".into()),
            customer_name: None,
            client_message_id: None,
            body: anxin_domain::input::MessageBody::parse("别家的秘密".into(), 1000).unwrap(),
            analysis: analyzer.analyze("别家的秘密"),
        })
        .await
        .unwrap();
    (channel.public_key, posted.conversation.id)
}

/// A blocking HTTP client that keeps the session cookie and sends the CSRF token.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub bearer: Option<String>,
    pub origin: Option<String>,
    pub extra_headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(app: &TestApp) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Client { agent, base: app.base.clone(), cookie: None, csrf: None, bearer: None, origin: None, extra_headers: Vec::new() }
    }

    fn finish(&mut self, response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut response = response.expect("HTTP exchange");
        if let Some(set) = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or("").to_owned();
            self.cookie = if pair.ends_with('=') { None } else { Some(pair) };
        }
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<(&str, Vec<u8>)>) -> (u16, Value) {
        self.request_full(method, path, body).0
    }

    /// Also returns the response headers.
    pub fn request_full(&mut self, method: &str, path: &str, body: Option<(&str, Vec<u8>)>) -> ((u16, Value), ureq::http::HeaderMap) {
        let uri = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&uri);
        if let Some(c) = &self.cookie {
            builder = builder.header("cookie", c);
        }
        if let Some(c) = &self.csrf {
            builder = builder.header("x-csrf-token", c);
        }
        if let Some(b) = &self.bearer {
            builder = builder.header("authorization", format!("Bearer {b}"));
        }
        if let Some(o) = &self.origin {
            builder = builder.header("origin", o);
        }
        for (k, v) in &self.extra_headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let (content_type, bytes) = body.unwrap_or(("application/json", Vec::new()));
        let request = builder.header("content-type", content_type).body(bytes).unwrap();
        let response = self.agent.run(request);
        let headers = response.as_ref().map(|r| r.headers().clone()).unwrap_or_default();
        (self.finish(response), headers)
    }

    pub fn get(&mut self, path: &str) -> (u16, Value) {
        self.request("GET", path, None)
    }

    pub fn post(&mut self, path: &str, body: &Value) -> (u16, Value) {
        self.request("POST", path, Some(("application/json", body.to_string().into_bytes())))
    }

    pub fn patch(&mut self, path: &str, body: &Value) -> (u16, Value) {
        self.request("PATCH", path, Some(("application/json", body.to_string().into_bytes())))
    }

    pub fn raw(&mut self, method: &str, path: &str, bytes: Vec<u8>) -> (u16, Value) {
        self.request(method, path, Some(("application/json", bytes)))
    }
}

pub struct Visitor {
    pub token: String,
    pub client: Client,
    pub key: String,
}

impl Visitor {
    pub fn send(&mut self, client_message_id: &str, text: &str) -> (u16, Value) {
        self.client.bearer = Some(self.token.clone());
        let path = format!("/api/v1/widget/{}/messages", self.key);
        self.client.post(&path, &json!({"client_message_id": client_message_id, "text": text}))
    }
}

pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket with optional cookie and origin headers; frames time out after 10 s so a missing event fails.
pub fn connect(url: &str, cookie: Option<&str>, origin: Option<&str>) -> Result<Socket, Box<tungstenite::Error>> {
    let mut request = url.into_client_request().map_err(Box::new)?;
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    let (socket, _) = tungstenite::connect(request).map_err(Box::new)?;
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    }
    Ok(socket)
}

/// The next JSON frame (pings and pongs skipped).
pub fn next_frame(socket: &mut Socket) -> Value {
    loop {
        match socket.read().expect("a frame before the timeout") {
            Message::Text(t) => return serde_json::from_str(&t).expect("JSON frame"),
            Message::Close(c) => return json!({"type": "closed", "reason": c.map(|c| c.reason.to_string())}),
            _ => continue,
        }
    }
}

/// Reads frames until one matches; panics (after the read timeout) if none does.
pub fn wait_for(socket: &mut Socket, mut matches: impl FnMut(&Value) -> bool) -> Value {
    for _ in 0..1000 {
        let f = next_frame(socket);
        if matches(&f) {
            return f;
        }
    }
    panic!("no matching frame");
}

pub fn send_frame(socket: &mut Socket, value: &Value) {
    socket.send(Message::Text(value.to_string().into())).unwrap();
}

/// The content type of page forms.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A page's HTML from a response body.
pub fn html(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// `application/x-www-form-urlencoded` from pairs.
pub fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&").into_bytes()
}

/// Posts a page form; returns (status, body, Location).
pub fn submit(client: &mut Client, path: &str, pairs: &[(&str, &str)]) -> (u16, String, String) {
    let ((status, body), headers) = client.request_full("POST", path, Some((FORM, form(pairs))));
    let location = headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_owned();
    (status, html(&body).to_owned(), location)
}

/// The session's CSRF token.
pub fn csrf(client: &Client) -> String {
    client.csrf.clone().expect("a session with a CSRF token")
}

/// A person's id by username (through the admin API).
pub fn user_id(admin: &mut Client, username: &str) -> i64 {
    let (_, users) = admin.get("/api/v1/users");
    users["users"].as_array().unwrap().iter().find(|u| u["username"] == username).map(|u| u["id"].as_i64().unwrap()).expect(username)
}
