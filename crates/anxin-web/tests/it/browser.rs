//! Browser stories in a real headless Chromium (through [`crate::webdriver`]): the customer widget on a shop's
//! page served from another origin, the agent workspace, the tone check, hostile text, languages and roles.
//! The run leaves screenshots under `target/test-output/screenshots/`.
//!
//! nextest runs at most two of these at a time (`.config/nextest.toml`, group `browser`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;
use crate::webdriver::*;

const WIDGET: &str = "#anxin-widget";
const ANGRY: &str = "快递三天了还没到，怎么回事？！";
const XSS: &str = r#"<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>"#;

/// A shop's page on its own origin (`http://127.0.0.1:<port>`), embedding the widget for a web-chat channel
/// that allows that origin. Served by a small thread until dropped.
struct Shop {
    url: String,
    origin: String,
    key: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    addr: std::net::SocketAddr,
}

impl Shop {
    fn start(app: &TestApp) -> Shop {
        Self::start_with(app, &app.base)
    }

    /// The page's script tag names `server` as Anxin's address (e.g. a [`Proxy`] in front of it).
    fn start_with(app: &TestApp, server: &str) -> Shop {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let origin = format!("http://{addr}");
        let mut admin = app.login("admin");
        let (status, body) = admin.post("/api/v1/channels", &json!({"kind": "web_chat", "name": "安心优品官网", "allowed_origins": [origin]}));
        assert_eq!(status, 201, "{body}");
        let key = body["channel"]["public_key"].as_str().unwrap().to_owned();
        let page = format!(
            "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>安心优品</title><style>body{{font-family:sans-serif;margin:2rem;color:#1f2937}}</style></head>\
             <body><h1>安心优品旗舰店</h1><p>纯棉短袖T恤 ¥79 · 轻量跑步鞋 ¥299 · 保温杯 ¥89</p>\n{}\n</body></html>",
            anxin_web::widget::snippet(server, &key)
        );
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve_page(stream, &page);
                }
            }
        });
        Shop { url: format!("{origin}/"), origin, key, stop, thread: Some(thread), addr }
    }
}

fn serve_page(mut stream: TcpStream, page: &str) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut request = Vec::new();
    let mut buf = [0u8; 2048];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&request);
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = if path == "/" || path.starts_with("/?") { ("200 OK", page) } else { ("404 Not Found", "not found") };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A TCP proxy in front of the server whose connections the test can cut (and refuse until restored): a network
/// outage as the browser sees it.
struct Proxy {
    base: String,
    addr: std::net::SocketAddr,
    down: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    open: Arc<std::sync::Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(app: &TestApp) -> Proxy {
        let upstream: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (down, stop) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (down2, stop2, open2) = (down.clone(), stop.clone(), open.clone());
        let thread = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if down2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let mut list = open2.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (mut from, mut to) in [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { base: format!("http://{addr}"), addr, down, stop, open, thread: Some(thread) }
    }

    /// Cuts every open connection and refuses new ones.
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.cut();
    }
}

/// Signs in through the `/login` form and lands on the inbox (all conversations).
fn sign_in(b: &Browser, app: &TestApp, username: &str) {
    sign_in_to(b, app, username, "/inbox?view=all");
}

/// Signs in through the `/login` form and lands on `next` (a workspace page).
fn sign_in_to(b: &Browser, app: &TestApp, username: &str, next: &str) {
    let next: String = next.bytes().map(|c| if c.is_ascii_alphanumeric() || c == b'/' { (c as char).to_string() } else { format!("%{c:02X}") }).collect();
    b.goto(&format!("{}/login?next={next}", app.base));
    let name = b.wait_for("input[name=username]");
    b.clear(&name);
    b.send_keys(&name, username);
    b.send_keys(&b.find("input[name=password]"), PASSWORD);
    b.click(&b.find("form[action='/login'] button[type=submit]"));
    b.wait_for(".workspace");
}

/// Waits until the server has `n` open WebSocket connections (a page's live stream is up).
fn wait_sockets(app: &TestApp, b: &Browser, n: i64) {
    b.wait_until(&format!("{n} open WebSocket connection(s) on the server"), |_| {
        (app.metrics.ws_connections.load(Ordering::SeqCst) >= n).then_some(())
    });
}

/// An element inside the widget's shadow root.
fn widget(b: &Browser, css: &str) -> Element {
    b.wait_until(&format!("`{css}` in the widget"), |b| b.find_all_in_shadow(WIDGET, css).into_iter().next())
}

/// Opens the widget from its button and waits until it is connected.
fn open_widget(b: &Browser) {
    b.click(&widget(b, "[data-anxin=open]"));
    let panel = widget(b, "[data-anxin=panel]");
    b.wait_until("the widget's panel to be visible", |b| b.displayed(&panel).then_some(()));
    b.wait_until("the panel's opening animation to end", |b| {
        (b.execute("return arguments[0].getAnimations().length;", vec![panel.arg()]) == 0).then_some(())
    });
    b.wait_until("the widget to be connected", |b| {
        widget_state(b).and_then(|s| (s["state"] == "online").then_some(()))
    });
}

/// What the widget shows: connection state, message rows (kind, server id, text, classes), error, input.
fn widget_state(b: &Browser) -> Option<Value> {
    let state = b.execute(
        "const root = document.querySelector(arguments[0])?.shadowRoot;
         if (!root) return null;
         const q = (s) => root.querySelector(s);
         return {
           state: q('[data-anxin=state]').dataset.state,
           stateText: q('[data-anxin=state]').textContent,
           rows: [...root.querySelectorAll('[data-anxin-kind]')].map((r) => ({
             kind: r.dataset.anxinKind, id: r.dataset.id || null, text: r.querySelector('.ax-bubble').textContent,
             className: r.className, markup: r.querySelector('.ax-bubble').children.length })),
           error: q('[data-anxin=error]').hidden ? null : q('[data-anxin=error]').textContent,
           input: q('[data-anxin=input]').value,
           typing: q('[data-anxin=typing]').textContent,
           rating: !q('[data-anxin=rating]').hidden,
         };",
        vec![json!(WIDGET)],
    );
    (!state.is_null()).then_some(state)
}

fn rows(state: &Value) -> Vec<(String, Option<i64>, String)> {
    state["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap().to_owned(), r["id"].as_str().and_then(|i| i.parse().ok()), r["text"].as_str().unwrap().to_owned()))
        .collect()
}

/// Types into the widget and sends with Enter; waits until the server acknowledged it (the row has an id).
fn widget_send(b: &Browser, text: &str) -> i64 {
    let input = widget(b, "[data-anxin=input]");
    b.send_keys(&input, &format!("{text}{ENTER}"));
    widget_wait_stored(b, text)
}

fn widget_wait_stored(b: &Browser, text: &str) -> i64 {
    b.wait_until(&format!("the widget to show {text:?} as stored"), |b| {
        let state = widget_state(b)?;
        rows(&state).into_iter().find(|(kind, id, t)| kind == "customer" && id.is_some() && t == text).and_then(|r| r.1)
    })
}

fn xss_flag(b: &Browser) -> Value {
    b.execute("return typeof window.__xss === 'undefined' ? null : window.__xss;", vec![])
}

/// Sets a text field's value as a paste would (for texts WebDriver cannot type quickly or at all).
fn paste(b: &Browser, field: &Element, text: &str) {
    b.execute(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        vec![field.arg(), json!(text)],
    );
}

/// The status of a same-origin GET from the page (with its cookies), after redirects.
fn fetch_status(b: &Browser, path: &str) -> i64 {
    let status = b.execute_async(
        "const done = arguments[arguments.length - 1];
         fetch(arguments[0], {credentials: 'same-origin'}).then((r) => done(r.status), (e) => done(String(e)));",
        vec![json!(path)],
    );
    status.as_i64().unwrap_or_else(|| panic!("fetch {path} failed: {status}"))
}

fn body_text(b: &Browser) -> String {
    b.text(&b.find("body"))
}

fn conversation_of(app: &TestApp, text: &str) -> i64 {
    let mut agent = app.login("agent");
    let (status, list) = agent.get("/api/v1/conversations");
    assert_eq!(status, 200, "{list}");
    list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["preview"].as_str().is_some_and(|p| p.contains(text)))
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no conversation with {text:?}: {list}"))
}

/// (1) A customer on the shop's page (another origin) writes; the agent sees the conversation arrive live with an
/// emotion badge, opens it (strategy card), replies from the reply box; the customer sees the reply live, and a
/// reload of the shop's page shows the conversation once, with nothing duplicated.
#[test]
fn customer_and_agent_talk_live() {
    let app = TestApp::spawn(None);
    let shop = Shop::start(&app);
    let agent = Browser::start("zh-CN");
    sign_in(&agent, &app, "agent");
    wait_sockets(&app, &agent, 1);
    agent.execute("window.__loaded = 'once';", vec![]);

    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    let state = widget_state(&customer).expect("the widget is on the shop's page");
    assert_eq!(state["rows"], json!([]), "{state}");
    open_widget(&customer);
    let message_id = widget_send(&customer, ANGRY);

    // Live in the agent's list, without a reload, with the emotion the engine found.
    let row = agent.wait_for_text("#rows .row[data-id]", "快递三天了");
    let conversation = agent.attribute(&row, "data-id").unwrap();
    let badge = agent.wait_until("an anger or anxiety badge on the new row", |b| {
        b.find_all(&format!("#rows .row[data-id='{conversation}'] .badge")).into_iter().find(|e| {
            let class = b.attribute(e, "class").unwrap_or_default();
            class.contains("emo-anger") || class.contains("emo-anxiety")
        })
    });
    assert!(!agent.text(&badge).trim().is_empty(), "the badge names the emotion");
    assert_eq!(agent.execute("return window.__loaded;", vec![]), "once", "the list updated without a reload");

    // The conversation: the message, its badge, the strategy card.
    agent.goto(&format!("{}/inbox?view=all&c={conversation}", app.base));
    agent.wait_for_text(&format!("#messages .msg[data-id='{message_id}']"), ANGRY);
    let strategy = agent.wait_for(".strategy");
    assert!(agent.text(&strategy).lines().filter(|l| !l.trim().is_empty()).count() >= 2, "a strategy card: {}", agent.text(&strategy));
    assert!(!agent.find_all(".badge.emo-anger, .badge.emo-anxiety").is_empty(), "the emotion badge in the conversation");

    // The agent replies through the reply box.
    // While the agent types, the customer sees it (once the reopened page's socket is up, the next keystroke
    // tells the server).
    let draft = agent.find("#draft");
    customer.wait_until("the widget to show that the agent is typing", |c| {
        if widget_state(c)?["typing"] == "客服正在输入…" {
            return Some(());
        }
        agent.send_keys(&draft, "…");
        None
    });
    agent.clear(&draft);
    let reply = "非常抱歉让您久等了！我马上联系快递核实包裹位置，今天18点前给您回复。";
    agent.send_keys(&draft, reply);
    agent.click(&agent.find("#reply button[type=submit]"));
    let sent = agent.wait_until("the reply in the conversation (or the tone check)", |b| {
        if b.try_find("#tone").is_some_and(|t| b.displayed(&t)) {
            // A careful reply may still be flagged for something missing; the agent sends it as written.
            b.click(&b.find("#tone-send"));
            return None;
        }
        b.find_all("#messages .msg[data-id]").into_iter().find(|e| b.text(e).contains("我马上联系快递"))
    });
    let reply_id: i64 = agent.attribute(&sent, "data-id").unwrap().parse().unwrap();

    // The customer sees it live.
    customer.wait_until("the agent's reply in the widget", |b| {
        let state = widget_state(b)?;
        rows(&state).iter().any(|(kind, id, text)| kind == "agent" && *id == Some(reply_id) && text == reply).then_some(())
    });
    let dir = screenshot_dir();
    agent.screenshot(&dir.join("workspace.png"));
    customer.screenshot(&dir.join("widget.png"));

    // A reload: history and the resumed stream show each message exactly once, in order.
    customer.goto(&shop.url);
    open_widget(&customer);
    let state = widget_state(&customer).unwrap();
    assert_eq!(
        rows(&state),
        vec![("customer".to_owned(), Some(message_id), ANGRY.to_owned()), ("agent".to_owned(), Some(reply_id), reply.to_owned())],
        "{state}"
    );
    assert_eq!(state["stateText"], "在线", "the widget speaks the visitor's language: {state}");

    // Keyboard: Escape closes the panel and gives the focus back to the button, which opens it again.
    customer.send_keys(&widget(&customer, "[data-anxin=input]"), ESCAPE);
    let panel = widget(&customer, "[data-anxin=panel]");
    customer.wait_until("Escape to close the widget", |b| (!b.displayed(&panel)).then_some(()));
    let focused = customer.execute("return document.querySelector(arguments[0]).shadowRoot.activeElement?.dataset.anxin ?? null;", vec![json!(WIDGET)]);
    assert_eq!(focused, "open", "the focus is back on the button");

    // On a phone the open widget fills the screen.
    customer.set_window_size(390, 844);
    open_widget(&customer);
    let (panel_width, page_width) = {
        let v = customer.execute(
            "return [document.querySelector(arguments[0]).shadowRoot.querySelector('[data-anxin=panel]').getBoundingClientRect().width, window.innerWidth];",
            vec![json!(WIDGET)],
        );
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    };
    assert!(page_width < 480.0 && (panel_width - page_width).abs() < 1.0, "full width on a phone: {panel_width} of {page_width}");
    customer.screenshot(&dir.join("widget-mobile.png"));
}

/// (2) The tone check flags 不是跟你说了吗 before sending; the suggested rewrite is sent instead, and stored as the
/// agent's reply.
#[test]
fn tone_check_offers_a_rewrite_that_is_sent() {
    let app = TestApp::spawn(None);
    let mut visitor = app.visitor();
    let (status, sent) = visitor.send("tone-1", ANGRY);
    assert_eq!(status, 201, "{sent}");
    let conversation = sent["conversation_id"].as_i64().unwrap();

    let agent = Browser::start("zh-CN");
    sign_in(&agent, &app, "agent");
    agent.goto(&format!("{}/inbox?view=all&c={conversation}", app.base));
    let tone = agent.find("#tone");
    assert!(!agent.displayed(&tone), "the tone panel is hidden before a check");
    agent.send_keys(&agent.wait_for("#draft"), "不是跟你说了吗，自己看订单详情");
    agent.click(&agent.find("#reply button[type=submit]"));

    agent.wait_until("the tone check panel", |b| b.displayed(&tone).then_some(()));
    agent.wait_for_text("#tone-problems li", "不是跟你说了吗");
    let suggestion = agent.property(&agent.find("#tone-suggestion"), "textContent").as_str().unwrap_or("").trim().to_owned();
    assert!(!suggestion.is_empty() && !suggestion.contains("不是跟你说了吗"), "a rewrite without the phrase: {suggestion:?}");
    assert!(agent.find_all("#messages .msg.agent").is_empty(), "nothing was sent yet");

    agent.click(&agent.find("#tone-use"));
    agent.wait_until("the rewrite in the conversation", |b| {
        b.find_all("#messages .msg[data-id]").into_iter().find(|e| b.property(e, "textContent").as_str().is_some_and(|t| t.contains(&suggestion)))
    });

    let mut api = app.login("agent");
    let (status, list) = api.get(&format!("/api/v1/conversations/{conversation}/messages"));
    assert_eq!(status, 200);
    let messages = list["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!((last["kind"].as_str(), last["text"].as_str()), (Some("agent"), Some(suggestion.as_str())), "{list}");
    assert!(messages.iter().all(|m| !m["text"].as_str().unwrap().contains("不是跟你说了吗")), "the flagged draft was never sent");

    // An agent working in English reads the advice in English, whatever the language of the draft.
    let english = Browser::start("en-US");
    sign_in(&english, &app, "agent");
    english.goto(&format!("{}/inbox?view=all&c={conversation}", app.base));
    english.send_keys(&english.wait_for("#draft"), "As I already told you, read it yourself.");
    english.click(&english.find("#reply button[type=submit]"));
    english.wait_for_text("#tone-problems li", "explain it once more, patiently");
    let problems = english.text(&english.find("#tone-problems"));
    assert!(!problems.contains("耐心"), "no Chinese advice in the English workspace: {problems}");
}

/// (3) Markup, script, right-to-left overrides and zero-width characters from a customer are text in the widget
/// and in the workspace (at page load and live); an agent's markup is text in the widget; a message over the
/// server's limit is refused in the widget in the visitor's language, and the draft is kept.
#[test]
fn hostile_text_is_shown_as_text() {
    let app = TestApp::spawn(None);
    let shop = Shop::start(&app);
    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    open_widget(&customer);
    widget_send(&customer, XSS);
    assert_eq!(xss_flag(&customer), Value::Null, "no script ran on the shop's page");

    let conversation = conversation_of(&app, "<img");
    let agent = Browser::start("zh-CN");
    sign_in_to(&agent, &app, "agent", &format!("/inbox?view=all&c={conversation}"));
    let shown = agent.wait_until("the payload as text in the conversation", |b| {
        b.find_all("#messages .msg[data-id]").into_iter().find(|e| b.text(e).contains(XSS))
    });
    assert!(agent.displayed(&shown));
    assert_eq!(xss_flag(&agent), Value::Null, "no script ran in the workspace");
    assert_eq!(agent.execute("return document.querySelectorAll('#messages img, #messages script').length;", vec![]), 0);
    wait_sockets(&app, &agent, 2);

    // Live: bidirectional overrides, zero-width characters and tags arrive as the characters they are.
    let tricky = "\u{202E}gnp.exe\u{200B}<b>粗体</b>\u{2066}טקסט\u{2069} &amp; 完";
    let input = widget(&customer, "[data-anxin=input]");
    paste(&customer, &input, tricky);
    customer.send_keys(&input, ENTER);
    let tricky_id = widget_wait_stored(&customer, tricky);
    let live = agent.wait_for(&format!("#messages .msg[data-id='{tricky_id}']"));
    let bubble_text = agent.execute("return arguments[0].querySelector('.bubble').textContent;", vec![live.arg()]);
    assert_eq!(bubble_text, tricky, "the workspace shows the exact characters");
    assert_eq!(agent.execute("return document.querySelectorAll('#messages b').length;", vec![]), 0);
    let state = widget_state(&customer).unwrap();
    assert!(state["rows"].as_array().unwrap().iter().all(|r| r["markup"] == 0), "widget bubbles hold text only: {state}");

    // An agent's markup is text for the customer.
    let mut api = app.login("agent");
    let agent_markup = "<img src=x onerror=\"window.__xss=2\">您好，<i>已为您查询</i>";
    let (status, _) = api.post(&format!("/api/v1/conversations/{conversation}/messages"), &json!({"text": agent_markup}));
    assert_eq!(status, 201);
    customer.wait_until("the agent's reply as text in the widget", |b| {
        rows(&widget_state(b)?).iter().any(|(kind, _, text)| kind == "agent" && text == agent_markup).then_some(())
    });
    assert_eq!(xss_flag(&customer), Value::Null);
    assert_eq!(xss_flag(&agent), Value::Null);

    // Over 64 KiB: refused in the widget (in Chinese), the draft stays, nothing is sent.
    let before = rows(&widget_state(&customer).unwrap()).len();
    let long = "长".repeat(22_000); // 66,000 bytes in UTF-8
    paste(&customer, &input, &long);
    customer.send_keys(&input, ENTER);
    let state = customer.wait_until("the widget's too-long message", |b| widget_state(b).filter(|s| s["error"].is_string()));
    assert!(state["error"].as_str().unwrap().contains("消息太长"), "{}", state["error"]);
    assert_eq!(state["input"].as_str().unwrap().chars().count(), 22_000, "the draft is kept");
    assert_eq!(rows(&state).len(), before, "nothing was added");
    let (_, list) = api.get(&format!("/api/v1/conversations/{conversation}/messages"));
    assert!(list["messages"].as_array().unwrap().iter().all(|m| m["text"].as_str().unwrap().len() < 60_000));
}

/// (4) The language switch changes the workspace and the sign-in page: English, 繁體中文, and back.
#[test]
fn language_switch_changes_the_interface() {
    let app = TestApp::spawn(None);
    let b = Browser::start("zh-CN");
    sign_in(&b, &app, "agent");
    let lang = |b: &Browser| b.execute("return document.documentElement.lang;", vec![]);
    assert_eq!(lang(&b), "zh-Hans", "Simplified Chinese for a zh-CN browser");
    assert!(body_text(&b).contains("会话"), "{}", body_text(&b));

    b.click(&b.find(".langs a[lang=en]"));
    b.wait_until("the workspace in English", |b| (lang(b) == "en").then_some(()));
    b.wait_for(".workspace");
    let text = body_text(&b);
    assert!(text.contains("Inbox") && text.contains("Sign out"), "{text}");
    assert!(!text.contains("会话"), "{text}");

    b.click(&b.find(".langs a[lang=zh-Hant]"));
    b.wait_until("the workspace in Traditional Chinese", |b| (lang(b) == "zh-Hant").then_some(()));
    let text = body_text(&b);
    assert!(text.contains("會話") && text.contains("登出"), "{text}");

    // The sign-in page follows the choice, and switches too.
    b.goto(&format!("{}/login", app.base));
    let submit = |b: &Browser| b.text(&b.find("form[action='/login'] button[type=submit]"));
    assert_eq!(submit(&b), "登入");
    b.click(&b.find(".langs a[lang=en]"));
    b.wait_until("the sign-in page in English", |b| (submit(b) == "Sign in").then_some(()));
    assert!(body_text(&b).contains("Username"));
    b.click(&b.find(".langs a[lang=zh-Hans]"));
    b.wait_until("the sign-in page in Simplified Chinese", |b| (submit(b) == "登录").then_some(()));

    // The widget follows the visitor's browser: English here, also for its size-limit message.
    let shop = Shop::start(&app);
    let visitor = Browser::start("en-US");
    visitor.goto(&shop.url);
    open_widget(&visitor);
    assert_eq!(widget_state(&visitor).unwrap()["stateText"], "Online");
    let input = widget(&visitor, "[data-anxin=input]");
    assert_eq!(visitor.attribute(&input, "placeholder").as_deref(), Some("Type a message…"));
    paste(&visitor, &input, &"x".repeat(64 * 1024 + 1));
    visitor.send_keys(&input, ENTER);
    let state = visitor.wait_until("the widget's too-long message", |b| widget_state(b).filter(|s| s["error"].is_string()));
    assert!(state["error"].as_str().unwrap().starts_with("This message is too long"), "{}", state["error"]);
    assert_eq!(state["input"].as_str().unwrap().len(), 64 * 1024 + 1, "the draft is kept");
}

/// (5) An agent cannot open the admin pages: the forbidden page, and 403 from the server. The admin can, and
/// sees the supervisor board.
#[test]
fn agents_cannot_open_admin_pages() {
    let app = TestApp::spawn(None);
    let agent = Browser::start("zh-CN");
    sign_in(&agent, &app, "agent");
    agent.goto(&format!("{}/admin", app.base));
    agent.wait_until("the forbidden page", |b| body_text(b).contains("你的角色无权访问此页面").then_some(()));
    assert!(agent.try_find(".workspace").is_none());
    assert_eq!(fetch_status(&agent, "/admin"), 403);

    // The admin's pages and the supervisor board (with a conversation on it).
    let mut visitor = app.visitor();
    assert_eq!(visitor.send("b-1", ANGRY).0, 201);
    let admin = Browser::start("zh-CN");
    sign_in(&admin, &app, "admin");
    assert_eq!(fetch_status(&admin, "/admin"), 200);
    assert_eq!(fetch_status(&admin, "/board"), 200);
    admin.goto(&format!("{}/board", app.base));
    admin.wait_until("the board to load", |b| (b.execute("return document.readyState;", vec![]) == "complete").then_some(()));
    assert!(!body_text(&admin).contains("你的角色无权访问此页面"));
    admin.screenshot(&screenshot_dir().join("board.png"));
}

/// The widget keeps what was not acknowledged: after a reload, a message whose ack was lost and one that never
/// left are sent again with their client ids; each is stored and shown exactly once, and the unsent draft is back.
#[test]
fn widget_resends_unacknowledged_messages_once() {
    let app = TestApp::spawn(None);
    let shop = Shop::start(&app);
    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    open_widget(&customer);
    let first = widget_send(&customer, "你好，我想问一下订单的情况");

    // Stored by the server while the page never heard back (as if the connection dropped before the ack).
    let saved_key = format!("anxin:{}", shop.key);
    let saved = customer.execute("return JSON.parse(localStorage.getItem(arguments[0]));", vec![json!(saved_key)]);
    let token = saved["token"].as_str().expect("the widget keeps its visitor token").to_owned();
    let mut http = Client::new(&app);
    http.origin = Some(shop.origin.clone());
    http.bearer = Some(token);
    let lost = "订单号是多少来着，我查一下";
    let (status, body) = http.post(&format!("/api/v1/widget/{}/messages", shop.key), &json!({"client_message_id": "lost-ack-1", "text": lost}));
    assert_eq!(status, 201, "{body}");
    let never = "麻烦尽快帮我看看";
    let mut state = saved.clone();
    state["pending"] = json!([{"client_message_id": "lost-ack-1", "text": lost}, {"client_message_id": "never-sent-1", "text": never}]);
    state["draft"] = json!("还没写完的话");
    customer.execute("localStorage.setItem(arguments[0], JSON.stringify(arguments[1]));", vec![json!(saved_key), state]);

    customer.goto(&shop.url);
    open_widget(&customer);
    let state = customer.wait_until("both pending messages stored", |b| {
        let s = widget_state(b)?;
        (rows(&s).iter().filter(|r| r.1.is_some()).count() == 3).then_some(s)
    });
    let shown = rows(&state);
    assert_eq!(shown.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(), ["你好，我想问一下订单的情况", lost, never], "{state}");
    assert_eq!(shown[0].1, Some(first));
    assert_eq!(state["input"], "还没写完的话", "the draft is back");

    let conversation = conversation_of(&app, never);
    let mut agent = app.login("agent");
    let (_, list) = agent.get(&format!("/api/v1/conversations/{conversation}/messages"));
    let texts: Vec<&str> = list["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["你好，我想问一下订单的情况", lost, never], "each stored once");
    let saved = customer.execute("return JSON.parse(localStorage.getItem(arguments[0]));", vec![json!(saved_key)]);
    assert_eq!(saved["pending"], json!([]), "nothing left to send: {saved}");

    // Resolved: the satisfaction survey appears live; four stars, then send.
    assert_eq!(widget_state(&customer).unwrap()["rating"], false);
    let (status, body) = agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"}));
    assert_eq!(status, 200, "{body}");
    customer.wait_until("the rating prompt", |b| (widget_state(b)?["rating"] == true).then_some(()));
    customer.click(&widget(&customer, "[data-stars='4']"));
    let pressed = customer.execute(
        "return [...document.querySelector(arguments[0]).shadowRoot.querySelectorAll('[data-stars]')].map((s) => s.getAttribute('aria-pressed'));",
        vec![json!(WIDGET)],
    );
    assert_eq!(pressed, json!(["true", "true", "true", "true", "false"]), "four stars");
    customer.click(&widget(&customer, "#anxin-csat-send"));
    widget_text_shown(&customer, "[data-anxin=rating]", "感谢您的评价");
}

fn widget_text_shown(b: &Browser, css: &str, needle: &str) {
    let e = widget(b, css);
    b.wait_until(&format!("{needle:?} in the widget's `{css}`"), |b| b.text(&e).contains(needle).then_some(()));
}

/// The network drops: the widget says so, keeps a message written meanwhile, and on reconnecting gets the reply
/// it missed and delivers the waiting message, each exactly once.
#[test]
fn widget_reconnects_without_losing_or_duplicating() {
    let app = TestApp::spawn(None);
    let proxy = Proxy::start(&app);
    let shop = Shop::start_with(&app, &proxy.base);
    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    open_widget(&customer);
    let first = widget_send(&customer, "我的快递到哪里了？");
    let conversation = conversation_of(&app, "我的快递");

    proxy.cut();
    let state = customer.wait_until("the widget to show it is disconnected", |b| widget_state(b).filter(|s| s["state"] == "offline"));
    assert_eq!(state["stateText"], "连接中断，正在重连…");
    let mut agent = app.login("agent");
    let missed = "您好，包裹已到达本地网点，今天送达。";
    let (status, body) = agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &json!({"text": missed}));
    assert_eq!(status, 201, "{body}");
    let input = widget(&customer, "[data-anxin=input]");
    let waiting = "好的，谢谢！";
    customer.send_keys(&input, &format!("{waiting}{ENTER}"));
    let state = customer.wait_until("the message written offline to wait", |b| {
        widget_state(b).filter(|s| rows(s).iter().any(|(kind, id, text)| kind == "customer" && id.is_none() && text == waiting))
    });
    assert_eq!(state["state"], "offline", "{state}");

    proxy.restore();
    let state = customer.wait_until("the widget back online with the missed reply and the waiting message stored", |b| {
        let s = widget_state(b)?;
        (s["state"] == "online" && rows(&s).iter().all(|r| r.1.is_some()) && rows(&s).len() >= 3).then_some(s)
    });
    let shown: Vec<(String, String)> = rows(&state).into_iter().map(|(kind, _, text)| (kind, text)).collect();
    let expected: Vec<(String, String)> = [("customer", "我的快递到哪里了？"), ("agent", missed), ("customer", waiting)]
        .iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect();
    assert_eq!(shown, expected, "{state}");
    assert_eq!(rows(&state)[0].1, Some(first));
    let (_, list) = agent.get(&format!("/api/v1/conversations/{conversation}/messages"));
    let texts: Vec<&str> = list["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["我的快递到哪里了？", missed, waiting], "stored once each");
}

/// Agent protection end to end: three hostile customers in a row to one agent, the fourth goes to someone else;
/// the agent resolves one in the workspace and sees the cool-down (countdown, breathing, reframing); the supervisor
/// sees the streak alert on the board and grants a break in one click.
#[test]
fn hostile_streak_cool_down_and_a_break_in_one_click() {
    const HOSTILE: [&str; 4] = [
        "你们这是什么垃圾服务！！！气死我了，马上给我退款！！！",
        "太过分了！！！我要投诉你们！！！",
        "骗子公司！！！东西是坏的还不给退！！！",
        "气死我了！三天了还没发货，你们到底干什么吃的！！！",
    ];
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let (status, body) =
        admin.post("/api/v1/users", &json!({"username": "agent2", "display_name": "小林", "role": "agent", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    let users = admin.get("/api/v1/users").1;
    let id_of = |name: &str| users["users"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_i64().unwrap();
    let (agent, agent2, lead) = (id_of("agent"), id_of("agent2"), id_of("lead"));
    let team = admin.post("/api/v1/teams", &json!({"name": "售后一组"})).1["team"]["id"].as_i64().unwrap();
    for (user, capacity) in [(agent, 5), (agent2, 1), (lead, 1)] {
        admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": user}));
        let profile = json!({"capacity": capacity, "experience": 2, "languages": ["zh-Hans", "zh-Hant", "en"], "triggers": []});
        let (status, reply) =
            admin.request("PUT", &format!("/api/v1/users/{user}/routing"), Some(("application/json", profile.to_string().into_bytes())));
        assert_eq!(status, 200, "{reply}");
    }
    let mut other = app.login("agent2");
    let mut me_api = app.login("agent");
    for client in [&mut me_api, &mut other] {
        let (status, body) = client.request("PUT", "/api/v1/me/availability", Some(("application/json", br#"{"state":"online"}"#.to_vec())));
        assert_eq!(status, 200, "{body}");
    }
    let assignee = |admin: &mut Client, id: i64| admin.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["assignee_id"].clone();

    // 小林 is busy with a calm customer (one conversation at a time).
    let mut calm = app.visitor();
    let calm_id = calm.send("calm", "你好，请问这件衣服有M码吗？").1["conversation_id"].as_i64().expect("conversation id");
    assert_eq!(other.patch(&format!("/api/v1/conversations/{calm_id}"), &json!({"assignee_id": agent2})).0, 200);

    // The agent works in the browser while three hostile customers arrive.
    let b = Browser::start("zh-CN");
    sign_in_to(&b, &app, "agent", "/inbox?view=mine");
    // Shift start: no check-in yet, so a quiet prompt offers one (and "later" puts it away for the session).
    let nudge = b.wait_for(".nudge[data-nudge=checkin]");
    assert!(b.text(&nudge).contains("记录一下今天的心情"), "{}", b.text(&nudge));
    b.click(&b.find(".nudge[data-nudge=checkin] button"));
    b.wait_until("the prompt to go away", |b| b.try_find(".nudge[data-nudge=checkin]").is_none().then_some(()));
    let mut hostile = Vec::new();
    for (i, text) in HOSTILE.iter().enumerate() {
        let mut visitor = app.visitor();
        let (status, body) = visitor.send(&format!("h{i}"), text);
        assert_eq!(status, 201, "{body}");
        let id = body["conversation_id"].as_i64().expect("conversation id");
        if i < 3 {
            b.wait_until("the hostile customer to be assigned to the agent", |_| (assignee(&mut admin, id) == agent).then_some(()));
        }
        hostile.push(id);
    }
    // The fourth is not given to the agent: it waits for 小林, and goes to them when they are free.
    std::thread::sleep(Duration::from_millis(600));
    assert!(assignee(&mut admin, hostile[3]).is_null(), "the streak cap kept the fourth from the agent");
    assert_eq!(other.patch(&format!("/api/v1/conversations/{calm_id}"), &json!({"status": "resolved"})).0, 200);
    b.wait_until("the fourth to go to 小林", |_| (assignee(&mut admin, hostile[3]) == agent2).then_some(()));

    // The agent resolves one of theirs in the workspace: the cool-down appears with its countdown.
    b.goto(&format!("{}/inbox?view=mine&c={}", app.base, hostile[0]));
    b.click(&b.wait_for("#act-status"));
    // The form posts and the page comes back with a notice; the banner may already show on the page being left
    // (the event is that fast), so look for it only on the new one.
    b.wait_for("p.notice");
    let banner = b.wait_for("#cooldown");
    b.wait_until("the countdown", |b| b.text(&banner).contains("剩余").then_some(()));
    let text = b.text(&banner);
    assert!(text.contains("休息片刻") && text.contains("换个角度想"), "{text}");
    assert!(text.contains("吸气") || text.contains("屏住") || text.contains("呼气"), "a breathing step: {text}");
    let left: i64 = b.attribute(&banner, "data-left").and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!((500..=600).contains(&left), "about ten minutes after reaching the cap: {left} s");
    b.screenshot(&screenshot_dir().join("cool-down.png"));

    // The supervisor sees the streak alert on the board and grants a break in one click.
    let s = Browser::start("zh-CN");
    sign_in_to(&s, &app, "lead", "/inbox?view=all");
    s.goto(&format!("{}/board", app.base));
    // The board refreshes its live part every few seconds (replacing these elements), so read and click in single
    // script calls rather than through element references that may go stale.
    s.wait_for(".alerts li.alert-streak_cap");
    let alert = s.execute("return document.querySelector('.alerts li.alert-streak_cap')?.textContent ?? '';", vec![]);
    assert!(alert.as_str().unwrap_or("").contains("agent"), "{alert}");
    s.screenshot(&screenshot_dir().join("board-alert.png"));
    s.execute("document.querySelector('.alerts li.alert-streak_cap button[value=grant_break]').click();", vec![]);
    s.wait_until("the alert to be handled", |b| b.try_find(".alerts li.alert-streak_cap").is_none().then_some(()));
    assert_eq!(me_api.get("/api/v1/me/availability").1["availability"]["state"], "break");
    let handled = admin.get("/api/v1/alerts?include_acknowledged=true").1;
    assert!(
        handled["alerts"].as_array().unwrap().iter().any(|a| a["kind"] == "streak_cap" && a["action"] == "grant_break"),
        "{handled}"
    );
}

/// Signs in through the `/login` form and waits for `ready` on `next` (a page other than the workspace).
fn sign_in_at(b: &Browser, app: &TestApp, username: &str, next: &str, ready: &str) {
    let encoded: String = next.bytes().map(|c| if c.is_ascii_alphanumeric() || c == b'/' { (c as char).to_string() } else { format!("%{c:02X}") }).collect();
    b.goto(&format!("{}/login?next={encoded}", app.base));
    let name = b.wait_for("input[name=username]");
    b.clear(&name);
    b.send_keys(&name, username);
    b.send_keys(&b.find("input[name=password]"), PASSWORD);
    b.click(&b.find("form[action='/login'] button[type=submit]"));
    b.wait_for(ready);
}

/// Clicks a form's submit button and waits for the page that comes back with its notice (the old page is marked,
/// so nothing of it is read by mistake); returns the notice's text.
fn submit_and_wait(b: &Browser, button: &str) -> String {
    b.execute("window.__leaving = true;", vec![]);
    b.click(&b.find(button));
    b.wait_until(&format!("the page after {button}"), |b| {
        let text = b.execute(
            "if (window.__leaving || document.readyState !== 'complete') return null;
             return document.querySelector('p.notice')?.textContent ?? null;",
            vec![],
        );
        text.as_str().map(str::to_owned)
    })
}

/// (Complaints) An angry customer writes about a late parcel; the agent opens a logistics ticket from the
/// workspace's suggestion; the lead approves it to 物流部; the department's handler records the outcome; the agent
/// is told live, offers three remedies, puts them to the customer and informs them; the customer picks one in the
/// widget; the agent resolves; the customer rates 4/5; two days later (the store's clock moved forward) the
/// follow-up is on the agent's list.
#[test]
fn logistics_complaint_escalated_remedied_rated_and_followed_up() {
    let app = TestApp::spawn(None);
    let shop = Shop::start(&app);
    let mut admin = app.login("admin");
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "wuliu", "display_name": "物流小王", "role": "handler", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    let handler = body["user"]["id"].as_i64().unwrap();
    let team = admin.post("/api/v1/teams", &json!({"name": "物流部"})).1["team"]["id"].as_i64().unwrap();
    assert_eq!(admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": handler})).0, 200);

    // The customer, angry, on the shop's page.
    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    open_widget(&customer);
    let angry = "快递一周了还没到！！！再不给我处理我就去12315投诉你们！";
    widget_send(&customer, angry);
    let conversation = conversation_of(&app, "快递一周了还没到");

    // The agent opens the conversation: the suggestion card proposes a logistics ticket; one click opens it.
    let agent = Browser::start("zh-CN");
    sign_in_to(&agent, &app, "agent", &format!("/inbox?view=all&c={conversation}"));
    let card = agent.wait_for("#suggest-ticket-form");
    assert!(agent.text(&card).contains("物流"), "{}", agent.text(&card));
    agent.click(&agent.find("#suggest-ticket-submit"));
    agent.wait_for("#ticket-act");
    let ticket: i64 = agent.current_url().rsplit('/').next().and_then(|s| s.split(['?', '#']).next()?.parse().ok()).expect("ticket id in the URL");

    // The lead approves it for the department (物流部, the logistics path's default).
    let lead = Browser::start("zh-CN");
    sign_in_at(&lead, &app, "lead", &format!("/tickets/{ticket}"), "#act-approve");
    submit_and_wait(&lead, "#act-approve");
    assert!(body_text(&lead).contains("物流部"), "the department holds it now");
    drop(lead);

    // The agent goes back to the conversation; the department's handler records the outcome.
    agent.goto(&format!("{}/inbox?view=all&c={conversation}", app.base));
    agent.wait_for(".workspace");
    let handler_browser = Browser::start("zh-CN");
    sign_in_at(&handler_browser, &app, "wuliu", &format!("/tickets/{ticket}"), "#act-record_outcome");
    let comment = handler_browser.find("#ticket-comment");
    handler_browser.send_keys(&comment, "包裹在转运中心滞留，已加急补发，今天发出");
    submit_and_wait(&handler_browser, "#act-record_outcome");
    drop(handler_browser);

    // The agent is told live, and follows the notice to the ticket.
    let notice = agent.wait_for("#ticket-notices .ticket-notice-outcome_ready a");
    assert!(agent.text(&agent.find("#ticket-notices")).contains("部门已给出处理结果"));
    agent.click(&notice);
    agent.wait_for("#remedy-offer");
    assert!(body_text(&agent).contains("包裹在转运中心滞留"), "the outcome is on the ticket");

    // Three choices for the customer: reshipment, a ¥20 coupon, a ¥15 partial refund (all within the agent's limit).
    for (kind, amount) in [("reshipment", ""), ("coupon", "20"), ("partial_refund", "15")] {
        agent.execute("document.querySelector('#remedy-kind').value = arguments[0];", vec![json!(kind)]);
        let field = agent.find("#remedy-amount");
        agent.clear(&field);
        if !amount.is_empty() {
            agent.send_keys(&field, amount);
        }
        submit_and_wait(&agent, "#remedy-offer-submit");
    }
    submit_and_wait(&agent, "#remedies-present");
    submit_and_wait(&agent, "#act-inform_customer");

    // The customer sees three cards and picks the reshipment.
    customer.wait_until("three remedies in the widget", |b| (b.find_all_in_shadow(WIDGET, ".anxin-remedy").len() == 3).then_some(()));
    let reship = customer
        .find_all_in_shadow(WIDGET, ".anxin-remedy")
        .into_iter()
        .find(|e| customer.text(e).contains("补发"))
        .expect("a reshipment card");
    customer.screenshot(&screenshot_dir().join("widget-remedies.png"));
    customer.click(&reship);
    widget_text_shown(&customer, ".anxin-remedy-chosen", "补发");

    // The agent resolves; the customer is asked to rate and gives 4 of 5 with a comment.
    agent.goto(&format!("{}/tickets/{ticket}", app.base));
    agent.wait_for("#remedy-list tr[data-state=chosen]");
    submit_and_wait(&agent, "#act-resolve");
    let four = widget(&customer, ".anxin-csat button[data-rating='4']");
    customer.wait_until("the rating to be shown", |b| b.displayed(&four).then_some(()));
    customer.click(&four);
    customer.send_keys(&widget(&customer, "#anxin-csat-comment"), "补发很快，谢谢");
    customer.click(&widget(&customer, "#anxin-csat-send"));
    widget_text_shown(&customer, "[data-anxin=rating]", "感谢您的评价");
    let mut lead_api = app.login("lead");
    let csat = lead_api.get("/api/v1/csat?group_by=complaint_type").1;
    assert!(csat.to_string().contains("\"logistics\""), "{csat}");

    // Two days later the follow-up is due and on the agent's list.
    agent.goto(&format!("{}/tickets", app.base));
    assert!(agent.find_all(&format!("#follow-ups-due li[data-ticket='{ticket}']")).is_empty(), "not due yet");
    app.store.clock().advance(49 * 3_600_000);
    agent.goto(&format!("{}/tickets", app.base));
    let due = agent.wait_for(&format!("#follow-ups-due li[data-ticket='{ticket}']"));
    assert!(agent.text(&due).contains(&format!("#{ticket}")));
    agent.screenshot(&screenshot_dir().join("follow-up-due.png"));
    let state = admin.get(&format!("/api/v1/tickets/{ticket}")).1;
    assert_eq!(state["ticket"]["state"], "resolved");
    assert!(state["remedies"].as_array().unwrap().iter().any(|r| r["kind"] == "reshipment" && r["state"] == "chosen"), "{state}");
}

/// (Knowledge) An anxious customer asks who pays the return shipping; the agent sees the anxiety strategy, a
/// matching script and the returns FAQ, reads the FAQ, inserts the script (the customer's order number filled in,
/// the blanks selected for typing), and sends; the customer gets it. The lead edits the FAQ in the knowledge base;
/// the agent, who used it, is told live. The script's use is in the lead's statistics.
#[test]
fn anxious_return_question_answered_with_a_script_and_the_faq_update_reaches_the_agent() {
    let app = TestApp::spawn(None);
    let shop = Shop::start(&app);
    let mut lead_api = app.login("lead");
    let (status, body) = lead_api.post("/api/v1/knowledge/import", &json!({"files": super::knowledge::starter_files()}));
    assert_eq!(status, 200, "{body}");

    let customer = Browser::start("zh-CN");
    customer.goto(&shop.url);
    open_widget(&customer);
    let question = "急死了，退货运费谁出？订单号 E20261120123456，明天就过七天了";
    widget_send(&customer, question);
    let conversation = conversation_of(&app, "退货运费谁出");

    // The workspace: the anxiety strategy, three scripts, the returns FAQ among the answers.
    let agent = Browser::start("zh-CN");
    sign_in_to(&agent, &app, "agent", &format!("/inbox?view=all&c={conversation}"));
    wait_sockets(&app, &agent, 2);
    let strategy = agent.text(&agent.find("aside.strategy"));
    assert!(strategy.contains("给准确的信息"), "the anxiety strategy: {strategy}");
    agent.wait_for("#assist");
    assert_eq!(agent.find_all("#assist .assist-script").len(), 3);
    let faq = agent.wait_for("#assist details.assist-answer[data-id='return-shipping-fee'] summary");
    agent.click(&faq);
    let faq_text = agent.text(&agent.find("#assist details.assist-answer[data-id='return-shipping-fee'] p.assist-text"));
    assert!(faq_text.contains("运费"), "{faq_text}");

    // Insert the first script that uses the order number: it arrives filled in; any blank left is selected for the
    // agent to type over, and sending is refused while one remains.
    let scripts = agent.find_all("#assist .assist-script");
    let with_order = scripts
        .iter()
        .position(|s| agent.text(s).contains("E20261120123456"))
        .unwrap_or_else(|| panic!("a script with the order number filled in: {}", agent.text(&agent.find("#assist"))));
    let script_id = agent.attribute(&scripts[with_order], "data-id");
    agent.click(&agent.find(&format!("#insert-script-{with_order}")));
    let draft = agent.find("#draft");
    let inserted = agent.execute("return document.querySelector('#draft').value;", vec![]).as_str().unwrap().to_owned();
    assert!(inserted.contains("E20261120123456"), "{inserted}");
    if inserted.contains('{') {
        let selected = agent.execute("const d = document.querySelector('#draft'); return d.value.slice(d.selectionStart, d.selectionEnd);", vec![]);
        assert!(selected.as_str().is_some_and(|s| s.starts_with('{') && s.ends_with('}')), "the first blank is selected: {selected}");
        agent.click(&agent.find("#reply button[type=submit]"));
        agent.wait_for_text("#reply-status", "请先填写");
        let filled = inserted.replace("{customer_name}", "您好").replace("{date}", "11月30日").replace("{time}", "18:00").replace("{amount}", "12").replace("{product}", "连衣裙");
        paste(&agent, &draft, &filled);
    }
    let sent = agent.execute("return document.querySelector('#draft').value;", vec![]).as_str().unwrap().trim().to_owned();
    agent.click(&agent.find("#reply button[type=submit]"));
    agent.wait_until("the reply in the conversation", |b| {
        b.find_all("#messages .msg.agent .bubble").iter().any(|m| b.text(m).contains("E20261120123456")).then_some(())
    });
    agent.execute("document.getElementById('assist').scrollIntoView();", vec![]);
    agent.screenshot(&screenshot_dir().join("reply-assistant.png"));
    widget_text_shown(&customer, "[data-anxin-kind=agent] .ax-bubble", "E20261120123456");

    // The lead edits the returns FAQ in the knowledge base.
    let lead = Browser::start("zh-CN");
    sign_in_at(&lead, &app, "lead", "/knowledge/return-shipping-fee/zh-Hans/edit", "#kb-body");
    let body = lead.find("#kb-body");
    let old = lead.execute("return document.querySelector('#kb-body').value;", vec![]).as_str().unwrap().to_owned();
    paste(&lead, &body, &format!("{old}\n\n补充：七天无理由退货的运费，买了运费险的由保险公司赔付。"));
    lead.send_keys(&lead.find("#kb-change-note"), "补充运费险赔付说明");
    submit_and_wait(&lead, "#kb-save");
    drop(lead);

    // The agent, who read that FAQ for this customer, is told live what changed.
    let notice = agent.wait_for("#ticket-notices .knowledge-notice");
    let text = agent.text(&notice);
    assert!(text.contains("你用过的知识已更新") && text.contains("v2") && text.contains("补充运费险赔付说明"), "{text}");

    // The script's use and outcome are counted for the lead.
    let (_, stats) = lead_api.get("/api/v1/knowledge/stats");
    let row = stats["scripts"].as_array().unwrap().iter().find(|s| Some(s["id"].as_str().unwrap().to_owned()) == script_id);
    let row = row.unwrap_or_else(|| panic!("{script_id:?} in {stats}"));
    assert_eq!((row["sent"].as_i64(), row["edited"].as_i64()), (Some(1), Some(i64::from(sent != inserted.trim()))), "{row}");
}
