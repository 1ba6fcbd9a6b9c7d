//! The agent workspace over HTTP: list filters, conversation actions (with CSRF and roles), the customer profile
//! with past conversations, the strategy card, and replies sent despite a tone warning being recorded.

use serde_json::{Value, json};

use crate::support::*;

fn html(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn form(fields: &[(&str, &str)]) -> Option<(&'static str, Vec<u8>)> {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    Some(("application/x-www-form-urlencoded", body.join("&").into_bytes()))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Conversation ids listed in the page's conversation list, in order.
fn listed(page: &str) -> Vec<i64> {
    page.match_indices("class=\"row")
        .filter_map(|(i, _)| page[i..].split("data-id=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

#[test]
fn filters_narrow_the_list_and_bad_values_fall_back() {
    let app = TestApp::spawn(None);
    let angry = app.visitor().send("a-1", "快递三天了还没到，怎么回事？！你们到底管不管！！！").1["conversation_id"].as_i64().unwrap();
    let calm = app.visitor().send("c-1", "收到了，质量很好，谢谢你们！").1["conversation_id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let (_, state) = agent.get(&format!("/api/v1/conversations/{angry}"));
    let emotion = state["conversation"]["emotion"].as_str().unwrap().to_owned();
    assert_ne!(emotion, "neutral", "{state}");
    let calm_emotion = agent.get(&format!("/api/v1/conversations/{calm}")).1["conversation"]["emotion"].clone();
    assert_ne!(calm_emotion, emotion.as_str(), "the two customers must feel differently for this story");

    let all = agent.get("/inbox?view=all").1;
    let mut both = listed(html(&all));
    both.sort();
    assert_eq!(both, [angry, calm]);
    assert!(listed(html(&agent.get("/inbox").1)).is_empty(), "nothing is assigned to the agent yet");
    assert_eq!(listed(html(&agent.get(&format!("/inbox?view=all&emotion={emotion}")).1)), [angry]);
    assert_eq!(listed(html(&agent.get("/inbox?view=mine&emotion=satisfied").1)), Vec::<i64>::new());
    assert!(listed(html(&agent.get("/inbox?view=all&status=resolved").1)).is_empty());

    // Stale or hostile query strings still open the inbox, with defaults.
    for query in ["view=%3Cscript%3E&status=nope&emotion=%3Cb%3E", "c=abc", "before=x:y&view=all", "complaint=%00"] {
        let (status, page) = agent.get(&format!("/inbox?{query}"));
        assert_eq!(status, 200, "{query}");
        assert!(!html(&page).contains("<script>") && !html(&page).contains("<b>"), "{query}");
    }
    assert_eq!(agent.get(&format!("/inbox?view=all&c={}", app.other_org_conversation)).0, 404);

    // The API takes the same filters and names a bad one.
    let (status, body) = agent.get(&format!("/api/v1/conversations?emotion={emotion}"));
    assert_eq!((status, body["conversations"].as_array().unwrap().len()), (200, 1));
    let (status, body) = agent.get("/api/v1/conversations?emotion=furious");
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (422, Some("emotion")), "{body}");
}

#[test]
fn actions_check_csrf_and_roles_and_come_back() {
    let app = TestApp::spawn(None);
    let id = app.visitor().send("m-1", "我的退款什么时候到账？").1["conversation_id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let csrf = agent.csrf.clone().unwrap();
    let path = format!("/inbox/{id}");
    let back = format!("/inbox?view=all&c={id}");

    let (status, _) = agent.request("POST", &path, form(&[("csrf", "wrong"), ("op", "assign_me"), ("back", &back)]));
    assert_eq!(status, 403, "a wrong CSRF token changes nothing");
    assert!(agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["assignee_id"].is_null());

    let ((status, _), headers) = agent.request_full("POST", &path, form(&[("csrf", &csrf), ("op", "assign_me"), ("back", &back)]));
    assert_eq!((status, headers.get("location").unwrap().to_str().unwrap()), (303, format!("{back}&notice=updated").as_str()));
    let me = agent.get("/api/v1/auth/me").1["user"]["id"].as_i64().unwrap();
    assert_eq!(agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["assignee_id"], me);
    assert_eq!(listed(html(&agent.get("/inbox").1)), [id], "now in the agent's own list");

    // Labels (Chinese commas too), priority, resolve and reopen.
    agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "labels"), ("value", "催发货，退款"), ("back", &back)]));
    agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "priority"), ("value", "high"), ("back", &back)]));
    let c = agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"].clone();
    assert_eq!((c["labels"].clone(), c["priority"].as_str()), (json!(["催发货", "退款"]), Some("high")));
    agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "resolve"), ("back", &back)]));
    assert_eq!(agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["status"], "resolved");
    let page = agent.get(&back).1;
    assert!(html(&page).contains("重新打开"), "a resolved conversation offers to reopen");
    agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "reopen"), ("back", &back)]));
    assert_eq!(agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["status"], "open");

    // Bad values come back as a notice; assigning someone else is a supervisor's call; the redirect stays local.
    let ((status, _), headers) = agent.request_full("POST", &path, form(&[("csrf", &csrf), ("op", "priority"), ("value", "highest"), ("back", &back)]));
    assert_eq!((status, headers.get("location").unwrap().to_str().unwrap()), (303, format!("{back}&notice=failed").as_str()));
    let ((status, _), headers) = agent.request_full("POST", &path, form(&[("csrf", &csrf), ("op", "drop"), ("back", "//evil.example.com")]));
    assert_eq!((status, headers.get("location").unwrap().to_str().unwrap()), (303, "/inbox?notice=failed"));
    let lead_id = app.login("lead").get("/api/v1/auth/me").1["user"]["id"].as_i64().unwrap();
    let (status, _) = agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "assign"), ("value", &lead_id.to_string()), ("back", &back)]));
    assert_eq!(status, 403);
    let (status, _) = agent.request("POST", &path, form(&[("csrf", &csrf), ("op", "transfer"), ("value", ""), ("back", &back)]));
    assert_eq!(status, 403);
    let mut lead = app.login("lead");
    let lead_csrf = lead.csrf.clone().unwrap();
    let (status, _) = lead.request("POST", &path, form(&[("csrf", &lead_csrf), ("op", "assign"), ("value", &lead_id.to_string()), ("back", &back)]));
    assert_eq!(status, 303);
    assert_eq!(agent.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["assignee_id"], lead_id);

    // Another organisation's conversation does not exist here; no session goes to sign-in.
    let other = format!("/inbox/{}", app.other_org_conversation);
    assert_eq!(agent.request("POST", &other, form(&[("csrf", &csrf), ("op", "resolve"), ("back", "/inbox")])).0, 404);
    assert_eq!(Client::new(&app).request("POST", &path, form(&[("csrf", &csrf), ("op", "resolve")])).0, 303);
}

#[test]
fn profile_history_and_strategy_card() {
    let app = TestApp::spawn(None);
    let mut visitor = app.visitor();
    let first = visitor.send("p-1", "衣服质量太差了，洗一次就掉色，很失望").1["conversation_id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let csrf = agent.csrf.clone().unwrap();
    agent.request("POST", &format!("/inbox/{first}"), form(&[("csrf", &csrf), ("op", "resolve"), ("back", "/inbox")]));
    let second = visitor.send("p-2", "你们这什么垃圾客服，再不退款我就找律师起诉，还要去微博曝光！").1["conversation_id"].as_i64().unwrap();
    assert_ne!(first, second, "a message after resolution starts a new conversation");

    let page = agent.get(&format!("/inbox?view=all&c={second}")).1;
    let page = html(&page);
    assert!(page.contains("顾客档案") && page.contains("历史会话"), "profile card");
    assert!(page.contains(&format!("c={first}\"")), "the earlier conversation is linked from the profile");
    assert!(page.contains("非理性投诉"), "insults and threats switch the card to the irrational-complaint strategy");
    assert!(page.contains("开放式提问"));
    assert!(page.contains("<svg class=\"trajectory\""), "emotion trajectory chart");
    let first_page = agent.get(&format!("/inbox?view=all&status=any&c={first}&lang=zh-Hant")).1;
    assert!(html(&first_page).contains("應對策略"), "{}", &html(&first_page)[..200.min(html(&first_page).len())]);
}

#[test]
fn replies_sent_despite_a_tone_warning_are_recorded() {
    let app = TestApp::spawn(None);
    let id = app.visitor().send("t-1", "快递三天了还没到，怎么回事？！").1["conversation_id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let (status, sent) = agent.post(
        &format!("/api/v1/conversations/{id}/messages"),
        &json!({"text": "不是跟你说了吗，你自己看物流", "tone_override": true, "client_message_id": "r-1"}),
    );
    assert_eq!(status, 201, "sending anyway is allowed");
    let message_id = sent["message"]["id"].clone();
    let (status, _) = agent.post(
        &format!("/api/v1/conversations/{id}/messages"),
        &json!({"text": "非常抱歉让您久等了，我马上帮您查询物流，今天下午3点前给您回复。", "client_message_id": "r-2"}),
    );
    assert_eq!(status, 201);
    // A retry of the flagged reply is the same message and is not recorded twice.
    agent.post(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "不是跟你说了吗，你自己看物流", "tone_override": true, "client_message_id": "r-1"}));

    let (status, audit) = app.login("lead").get("/api/v1/audit");
    assert_eq!(status, 200);
    let flagged: Vec<&Value> = audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "reply.tone_flagged").collect();
    assert_eq!(flagged.len(), 1, "{audit}");
    assert_eq!(flagged[0]["details"]["message_id"], message_id);
    assert_eq!(flagged[0]["details"]["sent_anyway"], true);
    assert!(flagged[0]["details"]["problems"].as_array().unwrap().iter().any(|p| p == "impatient"), "{}", flagged[0]);
    let (status, body) = agent.post(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "好的", "tone_override": "yes"}));
    assert_eq!(status, 422, "{body}");
}
