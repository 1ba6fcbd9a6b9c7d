//! The server-rendered workspace over HTTP (the browser stories come with the web-workspace issue): sign-in,
//! language choice, escaping, roles.

use serde_json::{Value, json};

use crate::support::*;

fn html(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn sign_in_page_languages_and_redirects() {
    let app = TestApp::spawn(None);
    let mut browser = Client::new(&app);
    let ((status, _), headers) = browser.request_full("GET", "/inbox?view=all", None);
    assert_eq!(status, 303);
    assert_eq!(headers.get("location").unwrap(), "/login?next=/inbox%3Fview%3Dall%26status%3Dopen");

    let (status, page) = browser.get("/login?lang=en");
    assert_eq!(status, 200);
    assert!(html(&page).contains("Sign in") && html(&page).contains("lang=\"en\""));
    browser.extra_headers = vec![("accept-language".into(), "zh-TW,zh;q=0.9".into())];
    assert!(html(&browser.get("/login").1).contains("登入"));
    browser.extra_headers.clear();
    assert!(html(&browser.get("/login").1).contains("登录"), "Simplified Chinese by default");

    let form = |u: &str, p: &str| format!("username={u}&password={}&next=%2Finbox%3Fview%3Dall", p.replace(' ', "+")).into_bytes();
    let (status, page) = browser.request("POST", "/login", Some(("application/x-www-form-urlencoded", form("agent", "nope"))));
    assert_eq!(status, 400);
    assert!(html(&page).contains("用户名或密码错误"));
    let ((status, _), headers) = browser.request_full("POST", "/login", Some(("application/x-www-form-urlencoded", form("agent", PASSWORD))));
    assert_eq!(status, 303);
    assert_eq!(headers.get("location").unwrap(), "/inbox?view=all");
    assert!(browser.cookie.is_some());
    let (status, page) = browser.get("/inbox?view=all");
    assert_eq!(status, 200);
    assert!(html(&page).contains("会话"), "{page}");

    // An open redirect is refused.
    let mut other = Client::new(&app);
    let evil = b"username=agent&password=a+long+test+password&next=%2F%2Fevil.example.com".to_vec();
    let ((status, _), headers) = other.request_full("POST", "/login", Some(("application/x-www-form-urlencoded", evil)));
    assert_eq!((status, headers.get("location").unwrap().to_str().unwrap()), (303, "/inbox"));

    // The language switch remembers the choice.
    let ((status, _), headers) = browser.request_full("GET", "/lang/zh-Hant?next=/inbox", None);
    assert_eq!(status, 303);
    assert!(headers.get("set-cookie").unwrap().to_str().unwrap().starts_with("anxin_lang=zh-Hant"));
}

#[test]
fn workspace_shows_emotion_strategy_and_escapes_markup() {
    let app = TestApp::spawn(None);
    let mut visitor = app.visitor();
    let (status, sent) = visitor.send("x-1", "<script>alert('xss')</script>快递三天了还没到，怎么回事？！再不处理我就去12315投诉");
    assert_eq!(status, 201);
    let conversation = sent["conversation_id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let (status, page) = agent.get(&format!("/inbox?view=all&c={conversation}&lang=en"));
    assert_eq!(status, 200);
    let page = html(&page);
    assert!(!page.contains("<script>alert"), "markup in a message is shown as text");
    assert!(page.contains("&#60;script&#62;alert") || page.contains("&lt;script&gt;alert"), "escaped");
    assert!(page.contains("How to respond"), "strategy card");
    assert!(page.contains("class=\"badge emo-"), "emotion badge");
    assert!(page.contains("<mark class=\"signal\" title=\"Threatens a regulator (12315, consumer association)\">12315</mark>"), "the escalation signal is highlighted and named");

    // The tone check flags an impatient draft, and its rewrite can be sent.
    let (status, checked) = agent.post(&format!("/api/v1/conversations/{conversation}/tone-check"), &json!({"text": "不是跟你说了吗，你自己看物流"}));
    assert_eq!(status, 200);
    assert!(checked["tone"]["problems"].as_array().unwrap().iter().any(|p| p["text"] == "不是跟你说了吗"));
    let rewrite = checked["tone"]["suggestion"].as_str().unwrap().to_owned();
    let (status, _) = agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &json!({"text": rewrite}));
    assert_eq!(status, 201);

    // Roles: an agent cannot open the admin pages.
    let (status, page) = agent.get("/admin");
    assert_eq!(status, 403);
    assert!(html(&page).contains("你的角色无权访问此页面") || html(&page).contains("Your role"));
    let mut admin = app.login("admin");
    let (status, page) = admin.get("/admin");
    assert_eq!(status, 200, "the admin overview");
    assert!(html(&page).contains("href=\"/admin/users\""));
    let mut trainer = app.login("trainer");
    assert_eq!(trainer.get("/inbox").0, 403);
    assert_eq!(Client::new(&app).get("/assets/app.js").0, 200);
}
