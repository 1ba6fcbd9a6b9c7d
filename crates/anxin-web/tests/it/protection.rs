//! Agent protection over HTTP against a real server: automatic assignment with the streak cap, the cool-down a
//! person sees, the supervisor's alert and its one-click break on the board, and who may see or act on what.

use serde_json::json;

use crate::support::*;

const ANGRY: [&str; 4] = [
    "你们这是什么垃圾服务！！！气死我了，马上给我退款！！！",
    "太过分了！！！我要投诉你们！！！",
    "骗子公司！！！东西是坏的还不给退！！！",
    "气死我了！三天了还没发货，你们到底干什么吃的！！！",
];

fn wait_until(mut ok: impl FnMut() -> bool, what: &str) {
    for _ in 0..100 {
        if ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn the_fourth_hostile_customer_goes_elsewhere_and_the_supervisor_grants_a_break() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let (status, body) = admin.post(
        "/api/v1/users",
        &json!({"username": "agent2", "display_name": "小林", "role": "agent", "password": PASSWORD}),
    );
    assert_eq!(status, 201, "{body}");
    let users = admin.get("/api/v1/users").1;
    let id_of = |name: &str| users["users"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_i64().unwrap();
    let (agent, agent2, lead) = (id_of("agent"), id_of("agent2"), id_of("lead"));
    let team = admin.post("/api/v1/teams", &json!({"name": "售后"})).1["team"]["id"].as_i64().unwrap();
    for user in [agent, agent2, lead] {
        let (status, body) = admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": user}));
        assert!(status == 200 || status == 201, "{body}");
    }
    // Bad routing input is refused with the field named; nothing changes.
    let bad = admin.request("PUT", &format!("/api/v1/users/{agent}/routing"), Some(("application/json", br#"{"capacity":0,"experience":1,"languages":["zh-Hans"],"triggers":[]}"#.to_vec())));
    assert_eq!((bad.0, bad.1["error"]["details"]["field"].as_str()), (422, Some("capacity")), "{}", bad.1);
    let unknown = admin.request("PUT", &format!("/api/v1/teams/{team}/routing"), Some(("application/json", br#"{"policy":"random"}"#.to_vec())));
    assert_eq!(unknown.0, 422, "{}", unknown.1);
    for (user, capacity) in [(agent, 5), (agent2, 1)] {
        let body = json!({"capacity": capacity, "experience": 2, "languages": ["zh-Hans", "zh-Hant", "en"], "triggers": []});
        let (status, reply) = admin.request("PUT", &format!("/api/v1/users/{user}/routing"), Some(("application/json", body.to_string().into_bytes())));
        assert_eq!(status, 200, "{reply}");
    }

    let mut me = app.login("agent");
    let mut other = app.login("agent2");
    let mut supervisor = app.login("lead");
    for client in [&mut me, &mut other] {
        let (status, body) = client.request("PUT", "/api/v1/me/availability", Some(("application/json", br#"{"state":"online"}"#.to_vec())));
        assert_eq!(status, 200, "{body}");
    }
    // agent2 is busy with one calm customer (capacity 1).
    let mut calm = app.visitor();
    calm.send("c0", "你好，请问这件衣服有M码吗？");
    let calm_id = {
        let mut id = 0;
        wait_until(|| {
            let list = admin.get("/api/v1/conversations?limit=10").1;
            id = list["conversations"].as_array().unwrap().first().map_or(0, |c| c["id"].as_i64().unwrap());
            id != 0
        }, "the calm conversation");
        id
    };
    let claim = other.patch(&format!("/api/v1/conversations/{calm_id}"), &json!({"assignee_id": agent2}));
    assert_eq!(claim.0, 200, "{}", claim.1);

    // Three hostile customers in a row: the dispatcher gives them to the only free agent.
    let mut visitors = Vec::new();
    for (i, text) in ANGRY.iter().enumerate() {
        let mut v = app.visitor();
        let (status, body) = v.send(&format!("h{i}"), text);
        assert_eq!(status, 201, "{body}");
        visitors.push((v, body["conversation_id"].as_i64().or(body["message"]["conversation_id"].as_i64()).expect("conversation id")));
        if i < 3 {
            let id = visitors[i].1;
            wait_until(|| admin.get(&format!("/api/v1/conversations/{id}")).1["conversation"]["assignee_id"] == agent, "assignment");
        }
    }
    let fourth = visitors[3].1;
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(admin.get(&format!("/api/v1/conversations/{fourth}")).1["conversation"]["assignee_id"].is_null(), "the fourth waits");
    let mine = me.get("/api/v1/me/protection").1;
    assert_eq!(mine["protection"]["hostile_streak"], 3, "{mine}");
    // agent2 resolves the calm conversation: the fourth hostile customer goes to them.
    other.patch(&format!("/api/v1/conversations/{calm_id}"), &json!({"status": "resolved"}));
    wait_until(|| admin.get(&format!("/api/v1/conversations/{fourth}")).1["conversation"]["assignee_id"] == agent2, "the fourth goes elsewhere");

    // I resolve one: the cool-down starts and I can read it; agent2 cannot read mine.
    let first = visitors[0].1;
    me.patch(&format!("/api/v1/conversations/{first}"), &json!({"status": "resolved"}));
    let state = me.get("/api/v1/me/protection").1;
    let left = state["protection"]["cooldown_until"].as_i64().unwrap() - state["now"].as_i64().unwrap();
    assert!(left > 500_000, "a long cool-down after the cap: {state}");
    assert_eq!(other.get(&format!("/api/v1/users/{agent}/protection")).0, 404);
    assert_eq!(supervisor.get(&format!("/api/v1/users/{agent}/protection")).0, 200);
    let audit = admin.get("/api/v1/audit").1;
    assert!(
        audit["entries"].as_array().or(audit["audit"].as_array()).unwrap().iter().any(|e| e["action"] == "protection.view" && e["target"] == format!("user:{agent}")),
        "the supervisor's look is audit-logged: {audit}"
    );
    // My personal triggers, from the wellbeing page's form.
    let my_csrf = me.csrf.clone().unwrap();
    let form = |body: String| Some(("application/x-www-form-urlencoded", body.into_bytes()));
    let bad = me.request("POST", "/me/triggers", form(format!("csrf={my_csrf}&trigger=nonsense")));
    assert_eq!(bad.0, 422);
    let forged = me.request("POST", "/me/triggers", form("csrf=nope&trigger=refund_return".into()));
    assert_ne!(forged.0, 303);
    let ((status, _), _) = me.request_full("POST", "/me/triggers", form(format!("csrf={my_csrf}&trigger=refund_return&trigger=payment")));
    assert_eq!(status, 303);
    assert_eq!(me.get("/api/v1/me/protection").1["protection"]["profile"]["triggers"], json!(["refund_return", "payment"]));
    let page = me.get("/me/wellbeing").1;
    assert!(page.as_str().unwrap().contains(r#"value="refund_return" checked"#));
    let page = me.get("/inbox").1;
    assert!(page.as_str().unwrap().contains("/assets/protection.js"));

    // The supervisor sees the alert on the board and grants a break with one form post.
    let alerts = supervisor.get("/api/v1/alerts").1;
    let alert = alerts["alerts"].as_array().unwrap().iter().find(|a| a["kind"] == "streak_cap").expect("streak alert").clone();
    assert_eq!(alert["user_id"], agent);
    assert!(other.get("/api/v1/alerts").1["alerts"].as_array().unwrap().iter().all(|a| a["user_id"] == agent2), "agents see only their own");
    let board = supervisor.get("/board").1;
    assert!(board.as_str().unwrap().contains(&format!("/board/alerts/{}", alert["id"])), "the board offers the actions");
    let csrf = supervisor.csrf.clone().unwrap();
    let forged = supervisor.request("POST", &format!("/board/alerts/{}", alert["id"]), Some(("application/x-www-form-urlencoded", b"csrf=wrong&action=grant_break".to_vec())));
    assert_ne!(forged.0, 303);
    let bad = supervisor.request("POST", &format!("/api/v1/alerts/{}/act", alert["id"]), Some(("application/json", br#"{"action":"fire"}"#.to_vec())));
    assert_eq!((bad.0, bad.1["error"]["details"]["field"].as_str()), (422, Some("action")), "{}", bad.1);
    let own = me.post(&format!("/api/v1/alerts/{}/act", alert["id"]), &json!({"action": "grant_break"}));
    assert_eq!(own.0, 403, "{}", own.1);
    let form = format!("csrf={csrf}&action=grant_break");
    let ((status, _), headers) = supervisor.request_full("POST", &format!("/board/alerts/{}", alert["id"]), Some(("application/x-www-form-urlencoded", form.into_bytes())));
    assert_eq!(status, 303);
    assert_eq!(headers.get("location").unwrap(), "/board");
    assert_eq!(me.get("/api/v1/me/availability").1["availability"]["state"], "break");
    let again = supervisor.post(&format!("/api/v1/alerts/{}/act", alert["id"]), &json!({"action": "acknowledge"}));
    assert_eq!(again.0, 409, "{}", again.1);
}

#[test]
fn admins_set_a_teams_routing_on_the_teams_page_and_bad_values_change_nothing() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let team = admin.post("/api/v1/teams", &json!({"name": "售前"})).1["team"]["id"].as_i64().unwrap();
    let page = admin.get("/admin/teams").1;
    assert!(page.as_str().unwrap().contains(&format!("/admin/teams/{team}/routing")));
    let csrf = admin.csrf.clone().unwrap();
    let post = |admin: &mut Client, body: String| {
        let ((status, page), headers) =
            admin.request_full("POST", &format!("/admin/teams/{team}/routing"), Some(("application/x-www-form-urlencoded", body.into_bytes())));
        (status, page.as_str().unwrap_or("").to_owned(), headers.get("location").map(|l| l.to_str().unwrap().to_owned()))
    };
    for bad in ["policy=random&streak_cap=3&cooldown_minutes=3", "policy=least_busy&streak_cap=0&cooldown_minutes=3", "policy=least_busy&streak_cap=3&cooldown_minutes=999"] {
        let (status, page, _) = post(&mut admin, format!("csrf={csrf}&{bad}"));
        assert_eq!(status, 422, "{bad}");
        assert!(page.contains("请选择分配方式"), "the reason is shown: {bad}");
    }
    let (status, _, _) = post(&mut admin, "csrf=wrong&policy=least_busy&streak_cap=2&cooldown_minutes=5".into());
    assert_ne!(status, 303, "a forged form changes nothing");
    assert_eq!(admin.get(&format!("/api/v1/teams/{team}/routing")).1["routing"]["policy"], "emotion_aware");
    let (status, _, location) = post(&mut admin, format!("csrf={csrf}&policy=least_busy&streak_cap=2&cooldown_minutes=5"));
    assert_eq!((status, location.as_deref()), (303, Some("/admin/teams?ok=routing_saved")));
    let routing = admin.get(&format!("/api/v1/teams/{team}/routing")).1;
    assert_eq!(routing["routing"]["policy"], "least_busy");
    assert_eq!(routing["routing"]["protection"]["streak_cap"], 2);
    assert_eq!(routing["routing"]["protection"]["cooldown_secs"], 300);
    // Agents cannot change it.
    let mut agent = app.login("agent");
    let body = json!({"policy": "round_robin"}).to_string().into_bytes();
    assert_eq!(agent.request("PUT", &format!("/api/v1/teams/{team}/routing"), Some(("application/json", body))).0, 403);
}
