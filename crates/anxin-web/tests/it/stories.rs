use serde_json::{Value, json};

use crate::support::*;

/// A visitor on the shop's page writes; the agent sees it live with its analysis, replies, leaves a note; the
/// visitor sees the reply (without analysis) but never the note; retries never duplicate; a reconnect resumes.
#[test]
fn customer_and_agent_talk_in_real_time() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut agent = app.login("agent");
        let cookie = agent.cookie.clone().unwrap();
        let mut staff_ws = connect(&app.ws_url("/api/v1/ws"), Some(&cookie), None).unwrap();
        assert_eq!(next_frame(&mut staff_ws)["type"], "hello");

        let visitor = app.visitor();
        let widget_url = app.ws_url(&format!("/api/v1/widget/{}/ws?token={}", app.channel_key, visitor.token));
        let mut widget = connect(&widget_url, None, Some(SHOP)).unwrap();
        assert_eq!(next_frame(&mut widget)["type"], "hello");

        // The customer's message is acknowledged after it is stored.
        send_frame(&mut widget, &json!({"type": "send", "client_message_id": "c-1", "text": "快递五天了还没到！！！再不处理我就去12315投诉"}));
        let ack = wait_for(&mut widget, |f| f["type"] == "ack");
        assert_eq!(ack["client_message_id"], "c-1");
        let message_id = ack["message"]["id"].as_i64().unwrap();
        assert!(ack["message"].get("analysis").is_none(), "customers never see the analysis: {ack}");
        let conversation_id = ack["conversation_id"].as_i64().unwrap();

        // The agent sees it at once, with the analysis.
        let seen = wait_for(&mut staff_ws, |f| f["type"] == "event" && f["event"]["kind"] == "message_created");
        let message = &seen["event"]["data"]["message"];
        assert_eq!(message["id"], message_id);
        assert!(message["analysis"]["emotion"]["label"].is_string(), "{message}");
        assert!(message["analysis"]["signals"].as_array().unwrap().iter().any(|s| s["kind"] == "regulator"));
        let (status, body) = agent.get(&format!("/api/v1/conversations/{conversation_id}"));
        assert_eq!(status, 200);
        assert!(body["conversation"]["risk"].as_f64().unwrap() > 0.3, "{body}");
        assert!(body["conversation"]["signals"].as_array().unwrap().iter().any(|s| s == "regulator"));

        // A retry of the same message returns the original.
        send_frame(&mut widget, &json!({"type": "send", "client_message_id": "c-1", "text": "快递五天了还没到！！！再不处理我就去12315投诉"}));
        let again = wait_for(&mut widget, |f| f["type"] == "ack");
        assert_eq!(again["message"]["id"], message_id);

        // The agent takes the conversation, replies, and leaves a note.
        let me = agent_id(&mut agent);
        let (status, _) = agent.patch(&format!("/api/v1/conversations/{conversation_id}"), &json!({"assignee_id": me}));
        assert_eq!(status, 200);
        let reply = json!({"text": "非常抱歉让您久等了，我马上联系快递核实，今天18点前给您回复", "client_message_id": "r-1"});
        let (status, body) = agent.post(&format!("/api/v1/conversations/{conversation_id}/messages"), &reply);
        assert_eq!(status, 201, "{body}");
        assert!(body["tone"]["score"].as_i64().unwrap() >= 60, "a good reply scores well: {}", body["tone"]);
        let reply_id = body["message"]["id"].as_i64().unwrap();
        let (status, again) = agent.post(&format!("/api/v1/conversations/{conversation_id}/messages"), &reply);
        assert_eq!((status, again["message"]["id"].as_i64()), (201, Some(reply_id)), "idempotent reply");
        let (status, _) = agent.post(&format!("/api/v1/conversations/{conversation_id}/messages"), &json!({"kind": "note", "text": "内部：顾客提到12315，优先处理"}));
        assert_eq!(status, 201);

        let got = wait_for(&mut widget, |f| f["type"] == "event" && f["event"]["kind"] == "message_created" && f["event"]["data"]["message"]["kind"] == "agent");
        assert_eq!(got["event"]["data"]["message"]["id"], reply_id);
        let last_seen = got["event"]["id"].as_i64().unwrap();

        // The visitor disconnects; meanwhile the agent writes again; on reconnect the visitor gets exactly the
        // missed reply, and never the note.
        drop(widget);
        let (status, body) = agent.post(&format!("/api/v1/conversations/{conversation_id}/messages"), &json!({"text": "已经帮您加急处理了，请问还有其他问题吗？"}));
        assert_eq!(status, 201);
        let missed_id = body["message"]["id"].as_i64().unwrap();
        let mut widget = connect(&format!("{widget_url}&after={last_seen}"), None, Some(SHOP)).unwrap();
        let mut replayed = Vec::new();
        loop {
            let f = next_frame(&mut widget);
            match f["type"].as_str() {
                Some("event") => replayed.push(f["event"].clone()),
                Some("hello") => break,
                other => panic!("unexpected {other:?}: {f}"),
            }
        }
        let messages: Vec<&Value> = replayed.iter().filter(|e| e["kind"] == "message_created").collect();
        assert_eq!(messages.len(), 1, "exactly the missed message: {replayed:?}");
        assert_eq!(messages[0]["data"]["message"]["id"], missed_id);
        assert!(replayed.iter().all(|e| e["id"].as_i64().unwrap() > last_seen));
        assert!(replayed.iter().all(|e| e["data"]["message"]["kind"] != "note"));

        // The customer's history over HTTP has no notes either, and no analysis.
        let mut visitor = visitor;
        visitor.client.bearer = Some(visitor.token.clone());
        let (status, history) = visitor.client.get(&format!("/api/v1/widget/{}/messages", app.channel_key));
        assert_eq!(status, 200);
        let kinds: Vec<&str> = history["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["customer", "agent", "agent"]);
        assert!(history["messages"][0].get("analysis").is_none());

        // The staff stream resumes the same way.
        let (_, events) = agent.get("/api/v1/events?after=0");
        let ids: Vec<i64> = events["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>(), "gap-free sequence");
        let mut resumed = connect(&app.ws_url(&format!("/api/v1/ws?after={}", ids[ids.len() - 2])), Some(&cookie), None).unwrap();
        let first = next_frame(&mut resumed);
        assert_eq!(first["event"]["id"], ids[ids.len() - 1]);
        assert_eq!(next_frame(&mut resumed)["type"], "hello");
    }
}

fn agent_id(client: &mut Client) -> i64 {
    client.get("/api/v1/auth/me").1["user"]["id"].as_i64().unwrap()
}

#[test]
fn bad_input_gets_clear_errors_and_loses_nothing() {
    let app = TestApp::spawn_with(None, |c| {
        c.max_message_bytes = 1024;
        c.visitor_burst = 3;
        c.visitor_messages_per_minute = 1;
    });
    let mut agent = app.login("agent");
    let mut visitor = app.visitor();
    let (status, first) = visitor.send("ok-1", "<script>alert('x')</script><b>你好</b>");
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["message"]["text"], "<script>alert('x')</script><b>你好</b>", "stored verbatim");
    let conversation = first["conversation_id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{conversation}/messages");

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("oversized text", json!({"text": "长".repeat(400)}).to_string().into_bytes(), 413, "payload_too_large"),
        ("oversized body", vec![b' '; 64 * 1024], 413, "payload_too_large"),
        ("malformed JSON", b"{\"text\": ".to_vec(), 400, "malformed_json"),
        ("invalid UTF-8", b"{\"text\": \"\xff\xfe\"}".to_vec(), 400, "invalid_utf8"),
        ("wrong type", br#"{"text": 42}"#.to_vec(), 422, "invalid_field"),
        ("unknown enum value", br#"{"text": "hi", "kind": "shout"}"#.to_vec(), 422, "invalid_field"),
        ("unknown field", br#"{"text": "hi", "admin": true}"#.to_vec(), 422, "invalid_field"),
        ("blank text", br#"{"text": "   "}"#.to_vec(), 422, "invalid_field"),
        ("bad client id", br#"{"text": "hi", "client_message_id": "has space"}"#.to_vec(), 422, "invalid_field"),
    ];
    for (what, body, status, code) in cases {
        let (got, body) = agent.raw("POST", &path, body);
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}");
    }
    let (_, body) = agent.raw("POST", &path, br#"{"text": 42}"#.to_vec());
    assert_eq!(body["error"]["details"]["field"], "text", "the field is named");
    let (_, body) = agent.raw("PATCH", &format!("/api/v1/conversations/{conversation}"), br#"{"status": "deleted"}"#.to_vec());
    assert_eq!(body["error"]["details"]["field"], "status");

    // Nothing was stored by the refused requests.
    let (_, messages) = agent.get(&path);
    assert_eq!(messages["messages"].as_array().unwrap().len(), 1);

    // Who may do what.
    let mut anonymous = Client::new(&app);
    assert_eq!(anonymous.get("/api/v1/conversations").0, 401);
    assert_eq!(anonymous.get("/api/v1/conversations").1["error"]["code"], "unauthenticated");
    let (status, body) = agent.post("/api/v1/users", &json!({"username": "x2", "display_name": "x", "role": "admin", "password": "long enough password"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    let mut trainer = app.login("trainer");
    assert_eq!(trainer.get("/api/v1/conversations").0, 403);
    assert_eq!(agent.get(&format!("/api/v1/conversations/{}", app.other_org_conversation)).0, 404, "another organisation's");
    assert_eq!(agent.get(&format!("/api/v1/conversations/{}/messages", app.other_org_conversation)).0, 404);
    assert_eq!(agent.get("/api/v1/conversations/99999999").0, 404);
    assert_eq!(agent.get("/api/v1/no-such-endpoint").0, 404);

    // CSRF: a cookie without the token cannot change anything.
    let csrf = agent.csrf.take();
    let (status, body) = agent.post(&path, &json!({"text": "hi"}));
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));
    agent.csrf = csrf;

    // Another visitor cannot read this visitor's conversation; a forged token is refused.
    let mut stranger = app.visitor();
    stranger.client.bearer = Some(stranger.token.clone());
    let (_, theirs) = stranger.client.get(&format!("/api/v1/widget/{}/messages", app.channel_key));
    assert_eq!(theirs["messages"].as_array().unwrap().len(), 0);
    stranger.token = format!("{}x", visitor.token);
    assert_eq!(stranger.send("f-1", "hi").0, 401);

    // A page on another origin may not use the channel.
    let mut evil = Client::new(&app);
    evil.origin = Some("https://evil.example.com".into());
    assert_eq!(evil.post(&format!("/api/v1/widget/{}/session", app.channel_key), &json!({})).0, 403);
    assert!(connect(&app.ws_url(&format!("/api/v1/widget/{}/ws?token={}", app.channel_key, visitor.token)), None, Some("https://evil.example.com")).is_err());

    // Rate limit per visitor: the burst is 3 (one already used), then 429 with Retry-After.
    assert_eq!(visitor.send("ok-2", "在吗").0, 201);
    assert_eq!(visitor.send("ok-3", "在吗？").0, 201);
    visitor.client.bearer = Some(visitor.token.clone());
    let path_w = format!("/api/v1/widget/{}/messages", app.channel_key);
    let ((status, body), headers) = visitor.client.request_full("POST", &path_w, Some(("application/json", json!({"client_message_id": "ok-4", "text": "人呢"}).to_string().into_bytes())));
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")));
    assert!(headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()).is_some_and(|s| s >= 1));

    // A WebSocket frame that is not protocol gets an error frame; the connection stays usable.
    let mut ws = connect(&app.ws_url("/api/v1/ws"), agent.cookie.as_deref(), None).unwrap();
    wait_for(&mut ws, |f| f["type"] == "hello");
    for junk in ["not json", "{\"type\": \"drop_tables\"}", "[1,2,3]", "{\"type\": \"typing\", \"conversation_id\": \"x\"}"] {
        send_frame_text(&mut ws, junk);
        let f = next_frame(&mut ws);
        assert_eq!((f["type"].as_str(), f["code"].as_str()), (Some("error"), Some("protocol_error")), "{junk}");
    }
    send_frame(&mut ws, &json!({"type": "ping"}));
    assert_eq!(next_frame(&mut ws)["type"], "pong");
    // A client that keeps sending garbage is closed with a reason.
    for _ in 0..30 {
        if ws.send(tungstenite::Message::Text("garbage".into())).is_err() {
            break;
        }
    }
    let closed = wait_for(&mut ws, |f| f["type"] == "closed");
    assert_eq!(closed["reason"], "too many invalid frames");
    // A cookie-authenticated socket from another site is refused.
    assert!(connect(&app.ws_url("/api/v1/ws"), agent.cookie.as_deref(), Some("https://evil.example.com")).is_err());
}

fn send_frame_text(socket: &mut Socket, text: &str) {
    socket.send(tungstenite::Message::Text(text.to_owned().into())).unwrap();
}

#[test]
fn sign_in_is_throttled_and_sessions_end() {
    let app = TestApp::spawn(None);
    let mut client = Client::new(&app);
    for _ in 0..5 {
        let (status, body) = client.post("/api/v1/auth/login", &json!({"username": "agent", "password": "wrong password"}));
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_credentials")));
    }
    let (status, _) = client.post("/api/v1/auth/login", &json!({"username": "agent", "password": PASSWORD}));
    assert_eq!(status, 429, "locked out after five failures, even with the right password");
    let (status, body) = client.post("/api/v1/auth/login", &json!({"username": "nobody", "password": "x"}));
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "the address is locked too");

    let other_app = TestApp::spawn(None);
    let mut admin = other_app.login("admin");
    assert_eq!(admin.get("/api/v1/auth/me").1["role"], "admin");
    let cookie = admin.cookie.clone();
    assert_eq!(admin.post("/api/v1/auth/logout", &json!({})).0, 200);
    let mut stale = Client::new(&other_app);
    stale.cookie = cookie;
    assert_eq!(stale.get("/api/v1/auth/me").0, 401, "the session is gone after logout");
}

#[test]
fn integrations_use_tokens_and_the_api_is_documented() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let (status, channel) = admin.post("/api/v1/channels", &json!({"kind": "api", "name": "天猫旗舰店"}));
    assert_eq!(status, 201, "{channel}");
    let channel_id = channel["channel"]["id"].as_i64().unwrap();
    let (status, bad) = admin.post("/api/v1/channels", &json!({"kind": "web_chat", "name": "x", "allowed_origins": ["javascript:alert(1)"]}));
    assert_eq!((status, bad["error"]["details"]["field"].as_str()), (422, Some("allowed_origins")));
    let (status, token) = admin.post("/api/v1/tokens", &json!({"name": "tmall-adapter", "role": "supervisor"}));
    assert_eq!(status, 201);
    let mut integration = Client::new(&app);
    integration.bearer = token["token"].as_str().map(str::to_owned);
    let message = json!({"channel_id": channel_id, "customer": {"external_id": "tmall:wang", "name": "王女士"}, "client_message_id": "tm-1", "text": "质量太差了，穿一次就开线，很失望"});
    let (status, first) = integration.post("/api/v1/inbound/messages", &message);
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["conversation"]["customer_name"], "王女士");
    assert_eq!(first["conversation"]["complaint_type"], "quality");
    let (_, again) = integration.post("/api/v1/inbound/messages", &message);
    assert_eq!((again["message"]["id"].clone(), again["replayed"].clone()), (first["message"]["id"].clone(), json!(true)));
    integration.bearer = Some("anx_not_a_token".into());
    assert_eq!(integration.post("/api/v1/inbound/messages", &message).0, 401);

    // Organisation settings: admins change them, agents may not.
    let (status, org) = admin.patch("/api/v1/settings", &json!({"timezone": "Asia/Hong_Kong", "settings": {"default_language": "zh-Hant"}}));
    assert_eq!((status, org["organization"]["settings"]["default_language"].as_str()), (200, Some("zh-Hant")));
    assert_eq!(admin.patch("/api/v1/settings", &json!({"settings": [1, 2]})).0, 422);
    assert_eq!(admin.patch("/api/v1/settings", &json!({"timezone": "'; DROP TABLE x"})).0, 422);
    let mut agent = app.login("agent");
    assert_eq!(agent.patch("/api/v1/settings", &json!({"name": "mine"})).0, 403);
    assert_eq!(agent.get("/api/v1/settings").1["organization"]["timezone"], "Asia/Hong_Kong");

    // The audit log names who did what.
    let (_, audit) = admin.get("/api/v1/audit");
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"api_token.create") && actions.contains(&"channel.create") && actions.contains(&"organization.update"), "{actions:?}");

    // Every route is in the OpenAPI document, and every documented route answers (not with the fallback 404).
    let (status, doc) = Client::new(&app).get("/api/v1/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, _) in anxin_web::openapi::ROUTES {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        let concrete = path.replace("{id}", "1").replace("{rid}", "1").replace("{channel}", &app.channel_key);
        // A fresh connection per route: a request refused before its body is read (a bad path parameter such as
        // the literal `{rid}` here) makes the server close that connection, which a pooled client may be reusing.
        let mut fresh = Client::new(&app);
        (fresh.cookie, fresh.csrf) = (admin.cookie.clone(), admin.csrf.clone());
        let (status, body) = fresh.request(&method.to_uppercase(), &format!("/api/v1{concrete}"), Some(("application/json", b"{}".to_vec())));
        let fallback = status == 404 && body["error"]["code"] == "not_found" && body["error"]["message"] == "no such resource" && !path.contains('{');
        assert!(!fallback && status != 405, "{method} {path} is not routed: {status} {body}");
    }
    assert_eq!(Client::new(&app).get("/healthz").0, 200);
    assert_eq!(Client::new(&app).get("/readyz").0, 200);
    let (status, script) = Client::new(&app).get("/widget.js");
    assert_eq!(status, 200);
    assert!(script.as_str().unwrap().contains("textContent"), "messages are rendered as text");
}

/// `anxin serve --demo` data: a realistic shop with history spread over days, every emotion, open queues.
#[test]
fn the_demo_shop_is_realistic_and_seeds_once() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = anxin_store::Store::open(anxin_store::Backend::Sqlite(dir.path().join("demo.db"))).await.unwrap();
        let analyzer = anxin_text::Analyzer::embedded().unwrap();
        let org = anxin_web::demo::seed(&store, analyzer).await.unwrap();
        assert_eq!(anxin_web::demo::seed(&store, analyzer).await.unwrap(), org, "a second start does not seed again");
        let users = store.users(org).await.unwrap();
        assert!(users.iter().filter(|u| u.role == anxin_domain::Role::Agent).count() >= 8);
        let filter = anxin_store::ConversationFilter { limit: 200, ..Default::default() };
        let conversations = store.conversations(org, filter).await.unwrap();
        assert!(conversations.len() >= 30, "{}", conversations.len());
        let emotions: std::collections::HashSet<_> = conversations.iter().filter_map(|c| c.emotion.clone()).collect();
        for e in ["anger", "anxiety", "disappointment", "satisfied"] {
            assert!(emotions.contains(e), "no {e} conversation in the demo: {emotions:?}");
        }
        assert!(conversations.iter().any(|c| c.assignee_id.is_none() && c.status == anxin_domain::ConversationStatus::Open), "a queue");
        assert!(conversations.iter().any(|c| c.risk > 0.5), "a conversation at risk of a formal complaint");
        let now = anxin_store::now_ms();
        let oldest = conversations.iter().map(|c| c.created_at).min().unwrap();
        assert!(now - oldest > 24 * 3600 * 1000, "history spans days");
        assert!(conversations.iter().all(|c| c.last_message_at <= now && c.created_at <= c.last_message_at));
        // Complaint tickets at several stages, with their departments and clocks.
        let supervisor = users.iter().find(|u| u.username == "supervisor").unwrap();
        let lead = anxin_store::Principal { org_id: org, role: supervisor.role, user_id: Some(supervisor.id), name: "s".into(), csrf_token: None };
        let tickets = store.tickets(lead, anxin_store::complaints::TicketView::Open).await.unwrap();
        let states: std::collections::HashSet<_> = tickets.iter().map(|t| t.state).collect();
        assert!(tickets.len() >= 3 && states.len() >= 3, "{states:?}");
        assert!(tickets.iter().all(|t| t.resolution_due_at.is_some()), "every ticket runs its clocks");
        assert!(tickets.iter().any(|t| t.department_name.is_some()), "a department holds one");
        // The starter knowledge base and script library, published: the files under content/, embedded.
        let published = store.published_entries(org).await.unwrap();
        assert_eq!(published.len(), anxin_web::demo::starter_entries().unwrap().len());
        let scripts = published.iter().filter(|e| e.kind() == anxin_domain::knowledge::Kind::Script).count();
        assert!(scripts >= 60 && published.len() - scripts >= 30, "{scripts} scripts of {}", published.len());
        store.close().await;
    });
}
