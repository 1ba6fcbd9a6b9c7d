//! A small W3C WebDriver client for the browser stories: starts `/usr/bin/chromedriver` on a free port, opens a
//! headless Chromium session with a fresh profile, and offers the few commands the stories use. Dropping the
//! `Browser` ends the session (which closes Chromium) and stops chromedriver.
//!
//! Missing chromedriver or Chromium is a test failure with the install command, never a silent pass.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long `wait_until` polls before failing.
pub const WAIT: Duration = Duration::from_secs(10);
/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const SHADOW: &str = "shadow-6066-11e4-a52e-4f735466cecf";
/// WebDriver's codes for the Enter and Escape keys.
pub const ENTER: &str = "\u{E007}";
pub const ESCAPE: &str = "\u{E00C}";

pub struct Browser {
    http: ureq::Agent,
    driver: Child,
    url: String,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

/// An element of the current page (or of a shadow root in it).
#[derive(Clone, Debug)]
pub struct Element(String);

impl Element {
    /// The reference to pass as a script argument (the script receives the DOM element).
    pub fn arg(&self) -> Value {
        json!({ ELEMENT: self.0 })
    }
}

fn require_installed() {
    for (path, what) in [(CHROMEDRIVER, "chromedriver"), (CHROMIUM, "Chromium")] {
        assert!(
            Path::new(path).exists(),
            "{what} is missing ({path}): the browser stories need it. Install it with \
             `apt-get install chromium chromium-driver` (Debian), as .ci/run does."
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// A headless Chromium with a fresh profile, its UI language and `Accept-Language` set to `accept_language`
    /// (e.g. "zh-CN").
    pub fn start(accept_language: &str) -> Browser {
        require_installed();
        let profile = tempfile::tempdir().unwrap();
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        // chromedriver may lose the race for a port another test just took: try a few.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut driver = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; install it with `apt-get install chromium chromium-driver`"));
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(30);
            let ready = loop {
                if let Ok(Some(status)) = driver.try_wait() {
                    last_error = format!("chromedriver exited with {status}");
                    break false;
                }
                let answer = http.get(format!("{url}/status")).call().ok().and_then(|mut r| r.body_mut().read_json::<Value>().ok());
                if answer.as_ref().is_some_and(|v| v["value"]["ready"] == true) {
                    break true;
                }
                if Instant::now() > deadline {
                    last_error = "chromedriver did not report ready within 30 s".into();
                    let _ = driver.kill();
                    let _ = driver.wait();
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if !ready {
                continue;
            }
            let mut browser = Browser { http, driver, url, session: None, _profile: profile };
            let args = [
                "--headless".to_owned(),
                "--no-sandbox".into(),
                "--disable-gpu".into(),
                "--no-first-run".into(),
                "--disable-background-networking".into(),
                "--disable-component-update".into(),
                "--disable-sync".into(),
                format!("--user-data-dir={}", browser._profile.path().display()),
                "--window-size=1366,768".into(),
                format!("--lang={accept_language}"),
                format!("--accept-lang={accept_language}"),
            ];
            let capabilities = json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": args, "prefs": {"intl.accept_languages": accept_language}},
            }}});
            let value = browser.command("POST", "/session", Some(capabilities));
            let id = value["sessionId"].as_str().unwrap_or_else(|| panic!("no session id from chromedriver: {value}")).to_owned();
            browser.session = Some(id);
            browser.command("POST", &browser.path("/timeouts"), Some(json!({"script": 30_000, "pageLoad": 60_000})));
            return browser;
        }
        panic!("could not start chromedriver: {last_error}");
    }

    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_deref().expect("a session"))
    }

    /// Sends one command; returns its `value`, or panics with WebDriver's error.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let response = match method {
            "GET" => self.http.get(&url).call(),
            "DELETE" => self.http.delete(&url).call(),
            _ => self.http.post(&url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status().as_u16();
        let answer: Value = response.body_mut().with_config().limit(64 * 1024 * 1024).read_json().unwrap_or(Value::Null);
        if status != 200 {
            let v = &answer["value"];
            panic!("WebDriver {method} {path} failed ({status}): {} — {}", v["error"], v["message"]);
        }
        answer["value"].clone()
    }

    fn try_command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.url);
        let response = match method {
            "GET" => self.http.get(&url).call(),
            _ => self.http.post(&url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let answer: Value = response.body_mut().read_json().unwrap_or(Value::Null);
        if status == 200 { Ok(answer["value"].clone()) } else { Err(format!("{}: {}", answer["value"]["error"], answer["value"]["message"])) }
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", &self.path("/url"), Some(json!({"url": url})));
    }

    pub fn current_url(&self) -> String {
        self.command("GET", &self.path("/url"), None).as_str().unwrap_or("").to_owned()
    }

    fn element_of(value: &Value) -> Element {
        Element(value[ELEMENT].as_str().unwrap_or_else(|| panic!("not an element: {value}")).to_owned())
    }

    /// The first element matching a CSS selector, if any (no waiting).
    pub fn try_find(&self, css: &str) -> Option<Element> {
        self.find_all(css).into_iter().next()
    }

    /// The first element matching a CSS selector; panics when there is none.
    pub fn find(&self, css: &str) -> Element {
        Self::element_of(&self.command("POST", &self.path("/element"), Some(json!({"using": "css selector", "value": css}))))
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.command("POST", &self.path("/elements"), Some(json!({"using": "css selector", "value": css})));
        found.as_array().map(|a| a.iter().map(Self::element_of).collect()).unwrap_or_default()
    }

    /// Elements matching `css` inside the open shadow root of the element matching `host`.
    pub fn find_all_in_shadow(&self, host: &str, css: &str) -> Vec<Element> {
        let Some(host) = self.try_find(host) else { return Vec::new() };
        let Ok(root) = self.try_command("GET", &self.path(&format!("/element/{}/shadow", host.0)), None) else {
            return Vec::new();
        };
        let root = root[SHADOW].as_str().unwrap_or_default().to_owned();
        let found = self.try_command("POST", &self.path(&format!("/shadow/{root}/elements")), Some(json!({"using": "css selector", "value": css})));
        found.ok().and_then(|v| v.as_array().map(|a| a.iter().map(Self::element_of).collect())).unwrap_or_default()
    }

    pub fn click(&self, e: &Element) {
        self.command("POST", &self.path(&format!("/element/{}/click", e.0)), Some(json!({})));
    }

    /// Types `text` into the element (WebDriver key codes such as [`ENTER`] included).
    pub fn send_keys(&self, e: &Element, text: &str) {
        self.command("POST", &self.path(&format!("/element/{}/value", e.0)), Some(json!({"text": text})));
    }

    pub fn clear(&self, e: &Element) {
        self.command("POST", &self.path(&format!("/element/{}/clear", e.0)), Some(json!({})));
    }

    /// The element's rendered text.
    pub fn text(&self, e: &Element) -> String {
        self.command("GET", &self.path(&format!("/element/{}/text", e.0)), None).as_str().unwrap_or("").to_owned()
    }

    pub fn attribute(&self, e: &Element, name: &str) -> Option<String> {
        self.command("GET", &self.path(&format!("/element/{}/attribute/{name}", e.0)), None).as_str().map(str::to_owned)
    }

    pub fn property(&self, e: &Element, name: &str) -> Value {
        self.command("GET", &self.path(&format!("/element/{}/property/{name}", e.0)), None)
    }

    pub fn displayed(&self, e: &Element) -> bool {
        self.command("GET", &self.path(&format!("/element/{}/displayed", e.0)), None) == true
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.command("POST", &self.path("/execute/sync"), Some(json!({"script": script, "args": args})))
    }

    /// Like [`execute`], for a script that calls its last argument (`arguments[arguments.length - 1]`) when done.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.command("POST", &self.path("/execute/async"), Some(json!({"script": script, "args": args})))
    }

    /// Polls `check` until it returns `Some` (every 50 ms, up to [`WAIT`]); panics naming `what` it waited for.
    pub fn wait_until<T>(&self, what: &str, mut check: impl FnMut(&Browser) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = check(self) {
                return v;
            }
            if Instant::now() > deadline {
                let url = self.current_url();
                panic!("timed out after {WAIT:?} waiting for {what} (page: {url})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for an element matching `css` and returns it.
    pub fn wait_for(&self, css: &str) -> Element {
        self.wait_until(&format!("an element matching `{css}`"), |b| b.try_find(css))
    }

    /// Waits until some element matching `css` shows text containing `needle`.
    pub fn wait_for_text(&self, css: &str, needle: &str) -> Element {
        self.wait_until(&format!("`{css}` with the text {needle:?}"), |b| {
            b.find_all(css).into_iter().find(|e| b.text(e).contains(needle))
        })
    }

    /// Resizes the browser window (e.g. to a phone's width).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.command("POST", &self.path("/window/rect"), Some(json!({"width": width, "height": height})));
    }

    /// Saves a PNG of the visible page.
    pub fn screenshot(&self, file: &Path) {
        let data = self.command("GET", &self.path("/screenshot"), None);
        let png = base64_decode(data.as_str().expect("base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            // Ends the session, which closes Chromium; then chromedriver itself.
            let _ = self.http.delete(format!("{}/session/{id}", self.url)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `target/test-output/screenshots/` of this build (from `CARGO_TARGET_DIR`, else from the test binary's path).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        // The test binary lives in <target>/<profile>/deps/.
        let exe = std::env::current_exe().unwrap();
        exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
    });
    let dir = target.join("test-output").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Standard base64 (WebDriver's screenshot encoding).
fn base64_decode(text: &str) -> Vec<u8> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter_map(value) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("5a6J5b+D"), "安心".as_bytes());
    assert_eq!(base64_decode(""), b"");
}
