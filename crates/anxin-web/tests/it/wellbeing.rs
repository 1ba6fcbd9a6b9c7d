//! Agent wellbeing over HTTP against a real server, one story per privacy rule: diary entries and self-test
//! answers only ever reach their author (another agent, a supervisor and an admin get 404 on every endpoint and
//! page, never 403), the export holds only mine, team weather appears only with three people, unshared check-ins
//! never reach the supervisor, shared ones do and each view is audited, and bad input gets a field error with
//! nothing lost.

use serde_json::{Value, json};

use crate::support::*;







fn create_user(admin: &mut Client, username: &str, role: &str) -> i64 {
    let (status, body) = admin.post("/api/v1/users", &json!({"username": username, "display_name": username, "role": role, "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    body["user"]["id"].as_i64().unwrap()
}

/// A team of `members` (usernames); returns its id.
fn team_of(admin: &mut Client, name: &str, members: &[&str]) -> i64 {
    let (status, body) = admin.post("/api/v1/teams", &json!({"name": name}));
    assert_eq!(status, 201, "{body}");
    let team = body["team"]["id"].as_i64().unwrap();
    for m in members {
        let id = user_id(admin, m);
        let (status, body) = admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": id}));
        assert!(status < 300, "{body}");
    }
    team
}

fn check_in(client: &mut Client, mood: i64, note: &str, shared: bool) {
    let (status, body) = client.post("/api/v1/me/wellbeing/checkins", &json!({"mood": mood, "note": note, "shared_with_supervisor": shared}));
    assert_eq!(status, 201, "{body}");
}

fn audit_actions(admin: &mut Client) -> Vec<(String, String, String)> {
    let (status, body) = admin.get("/api/v1/audit?limit=500");
    assert_eq!(status, 200, "{body}");
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["actor"].as_str().unwrap().to_owned(), e["target"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn diary_entries_and_self_test_answers_are_only_their_authors() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut admin = app.login("admin");
        create_user(&mut admin, "agent2", "agent");
        team_of(&mut admin, "售后", &["agent", "agent2", "lead"]);
        let mut agent = app.login("agent");
        let (status, body) = agent.post(
            "/api/v1/me/wellbeing/diary",
            &json!({"event": "顾客骂我是骗子DIARY-SECRET", "belief": "我真没用", "consequence": "想哭", "reframe": "客户需要帮助"}),
        );
        assert_eq!(status, 201, "{body}");
        let entry = body["entry"]["id"].as_i64().unwrap();
        let (status, body) = agent.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [3, 1, 4, 1, 5]}));
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["result"]["score"], 56);
        let result = body["result"]["id"].as_i64().unwrap();

        for who in ["agent2", "lead", "admin"] {
            let mut other = app.login(who);
            // Every API path to the entry and the answers: 404, as if it did not exist.
            assert_eq!(other.get(&format!("/api/v1/me/wellbeing/diary/{entry}")).0, 404, "{who}");
            assert_eq!(other.request("PUT", &format!("/api/v1/me/wellbeing/diary/{entry}"), Some(("application/json", br#"{"event":"x"}"#.to_vec()))).0, 404, "{who}");
            assert_eq!(other.request("PUT", &format!("/api/v1/me/wellbeing/diary/{entry}"), Some(("application/json", br#"{"bad":1}"#.to_vec()))).0, 404, "{who}: a bad body still reveals nothing");
            assert_eq!(other.request("DELETE", &format!("/api/v1/me/wellbeing/diary/{entry}"), None).0, 404, "{who}");
            assert_eq!(other.get(&format!("/api/v1/me/wellbeing/selftests/{result}")).0, 404, "{who}");
            assert_eq!(other.get("/api/v1/me/wellbeing/diary").1["entries"], json!([]), "{who}");
            assert_eq!(other.get("/api/v1/me/wellbeing/selftests").1["selftests"], json!([]), "{who}");
            // And every page path.
            assert_eq!(other.get(&format!("/me/wellbeing?edit={entry}")).0, 404, "{who}");
            let c = csrf(&other);
            assert_eq!(submit(&mut other, &format!("/me/wellbeing/diary/{entry}"), &[("csrf", &c), ("event", "hijack")]).0, 404, "{who}");
            assert_eq!(submit(&mut other, &format!("/me/wellbeing/diary/{entry}/delete"), &[("csrf", &c)]).0, 404, "{who}");
            let (status, page) = other.get("/me/wellbeing");
            assert_eq!(status, 200);
            assert!(!html(&page).contains("DIARY-SECRET"), "{who}");
            let export = other.get("/api/v1/me/wellbeing/export").1.to_string();
            assert!(!export.contains("DIARY-SECRET") && !export.contains("[3,1,4,1,5]"), "{who}: {export}");
        }
        // Supervisor-facing views never carry them either.
        let mut lead = app.login("lead");
        let team_page = lead.get("/team/wellbeing").1;
        assert!(!html(&team_page).contains("DIARY-SECRET") && !html(&team_page).contains("我真没用"));
        assert!(!admin.get("/api/v1/audit?limit=500").1.to_string().contains("DIARY-SECRET"));

        // The author still has everything, untouched.
        let (status, mine) = agent.get(&format!("/api/v1/me/wellbeing/diary/{entry}"));
        assert_eq!((status, mine["entry"]["event"].as_str()), (200, Some("顾客骂我是骗子DIARY-SECRET")));
        assert_eq!(agent.get(&format!("/api/v1/me/wellbeing/selftests/{result}")).1["result"]["answers"], json!([3, 1, 4, 1, 5]));
        let (status, page) = agent.get(&format!("/me/wellbeing?edit={entry}"));
        assert_eq!(status, 200);
        assert!(html(&page).contains("顾客骂我是骗子DIARY-SECRET") && html(&page).contains(&format!("action=\"/me/wellbeing/diary/{entry}\"")));
        // The author edits and deletes through the page.
        let c = csrf(&agent);
        let (status, _, location) = submit(&mut agent, &format!("/me/wellbeing/diary/{entry}"), &[("csrf", &c), ("event", "改过的事件"), ("reframe", "客户是在求助")]);
        assert_eq!((status, location.as_str()), (303, "/me/wellbeing?ok=entry_saved#diary"));
        assert_eq!(agent.get(&format!("/api/v1/me/wellbeing/diary/{entry}")).1["entry"]["reframe"], "客户是在求助");
        let (status, _, _) = submit(&mut agent, &format!("/me/wellbeing/diary/{entry}/delete"), &[("csrf", &c)]);
        assert_eq!(status, 303);
        assert_eq!(agent.get(&format!("/api/v1/me/wellbeing/diary/{entry}")).0, 404);
    }
}

#[test]
fn the_export_holds_all_of_mine_and_nothing_of_anyone_elses() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    create_user(&mut admin, "agent2", "agent");
    let mut agent = app.login("agent");
    let mut other = app.login("agent2");
    check_in(&mut agent, 4, "MINE-NOTE", false);
    agent.post("/api/v1/me/wellbeing/diary", &json!({"event": "MINE-EVENT"}));
    agent.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [5, 5, 5, 5, 5]}));
    check_in(&mut other, 2, "OTHER-NOTE", true);
    other.post("/api/v1/me/wellbeing/diary", &json!({"event": "OTHER-EVENT"}));
    other.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [0, 0, 0, 0, 1]}));

    let ((status, export), headers) = agent.request_full("GET", "/api/v1/me/wellbeing/export", None);
    assert_eq!(status, 200);
    assert!(headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").contains("attachment"));
    let e = &export["export"];
    assert_eq!((e["checkins"].as_array().unwrap().len(), e["selftests"].as_array().unwrap().len(), e["diary"].as_array().unwrap().len()), (1, 1, 1));
    assert_eq!(e["user_id"], user_id(&mut admin, "agent"));
    let text = export.to_string();
    assert!(text.contains("MINE-NOTE") && text.contains("MINE-EVENT") && text.contains("WHO-5 Well-Being Index"));
    assert!(!text.contains("OTHER-NOTE") && !text.contains("OTHER-EVENT") && !text.contains("[0,0,0,0,1]"), "{text}");
    // A token is no person: no wellbeing data at all.
    let mut token = Client::new(&app);
    let (_, created) = admin.post("/api/v1/tokens", &json!({"name": "ci", "role": "admin"}));
    token.bearer = created["token"].as_str().map(str::to_owned);
    assert!(token.bearer.is_some(), "{created}");
    assert_eq!(token.get("/api/v1/me/wellbeing/export").0, 403);
}

#[test]
fn team_weather_shows_nothing_for_two_people_and_the_aggregate_for_three() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut admin = app.login("admin");
        create_user(&mut admin, "agent2", "agent");
        create_user(&mut admin, "agent3", "agent");
        let team = team_of(&mut admin, "售前", &["lead", "agent", "agent2", "agent3"]);
        let mut lead = app.login("lead");
        check_in(&mut app.login("agent"), 5, "", false);
        check_in(&mut app.login("agent2"), 1, "", false);

        let (status, body) = lead.get(&format!("/api/v1/teams/{team}/weather"));
        assert_eq!(status, 200, "{body}");
        let w = &body["weather"];
        assert_eq!(w["now"], Value::Null, "two people: hidden");
        assert!(w["hourly"].as_array().unwrap().iter().chain(w["daily"].as_array().unwrap()).all(|b| b["weather"].is_null()), "{w}");
        assert_eq!(w["min_group"], 3);
        let page = lead.get("/team/wellbeing").1;
        assert!(html(&page).contains("不足 3 人，为保护隐私已隐藏"));
        assert!(!html(&page).contains("平均"), "no aggregate anywhere on the page");
        // The third person: now the aggregate shows ((5 + 1 + 3) / 3 = 3.0, cloudy), never the individuals.
        check_in(&mut app.login("agent3"), 3, "", false);
        let w = lead.get(&format!("/api/v1/teams/{team}/weather")).1["weather"].clone();
        assert_eq!((w["now"]["people"].as_i64(), w["now"]["average"].as_f64(), w["now"]["weather"]["key"].as_str()), (Some(3), Some(3.0), Some("cloudy")));
        assert_eq!(w["hourly"].as_array().unwrap().last().unwrap()["weather"]["people"], 3);
        assert_eq!(w["daily"].as_array().unwrap().last().unwrap()["weather"]["people"], 3);
        assert!(!w.to_string().contains("\"user_id\""), "aggregates carry no person: {w}");
        let page = lead.get("/team/wellbeing?lang=en").1;
        assert!(html(&page).contains("average 3.0") && html(&page).contains("3 people"), "{}", html(&page));
        // Agents do not see team views (role), a supervisor of another team does not find this one.
        assert_eq!(app.login("agent").get(&format!("/api/v1/teams/{team}/weather")).0, 403);
        assert_eq!(app.login("agent").get("/team/wellbeing").0, 403);
        create_user(&mut admin, "lead2", "supervisor");
        assert_eq!(app.login("lead2").get(&format!("/api/v1/teams/{team}/weather")).0, 404);
        assert_eq!(app.login("lead2").get(&format!("/team/wellbeing?team={team}")).0, 404);
    }
}

#[test]
fn a_check_in_that_is_not_shared_never_reaches_the_supervisor() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let team = team_of(&mut admin, "售后", &["lead", "agent"]);
    let mut agent = app.login("agent");
    check_in(&mut agent, 1, "PRIVATE-MOOD-NOTE", false);
    let mut lead = app.login("lead");
    let (status, shared) = lead.get(&format!("/api/v1/teams/{team}/shared-checkins"));
    assert_eq!((status, shared["checkins"].clone()), (200, json!([])));
    let page = lead.get("/team/wellbeing").1;
    assert!(!html(&page).contains("PRIVATE-MOOD-NOTE"));
    assert!(html(&page).contains("近 14 天没有分享的打卡"));
    let page = admin.get(&format!("/team/wellbeing?team={team}")).1;
    assert!(!html(&page).contains("PRIVATE-MOOD-NOTE"), "not even for an admin");
    assert!(!audit_actions(&mut admin).iter().any(|(a, _, _)| a == "wellbeing.view"), "nothing shown, nothing to log");
    // The agent still sees it.
    assert!(html(&agent.get("/me/wellbeing").1).contains("PRIVATE-MOOD-NOTE"));
}

#[test]
fn a_shared_check_in_reaches_the_own_supervisor_and_each_view_is_audited() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut admin = app.login("admin");
        create_user(&mut admin, "lead2", "supervisor");
        let team = team_of(&mut admin, "售后", &["lead", "agent"]);
        let agent_id = user_id(&mut admin, "agent");
        let lead_id = user_id(&mut admin, "lead");
        let mut agent = app.login("agent");
        check_in(&mut agent, 2, "SHARED-<b>NOTE</b>", true);
        check_in(&mut agent, 4, "NOT-SHARED", false);

        let mut lead = app.login("lead");
        let (status, body) = lead.get(&format!("/api/v1/teams/{team}/shared-checkins"));
        assert_eq!(status, 200, "{body}");
        let list = body["checkins"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{body}");
        assert_eq!((list[0]["mood"].as_i64(), list[0]["note"].as_str(), list[0]["user_id"].as_i64()), (Some(2), Some("SHARED-<b>NOTE</b>"), Some(agent_id)));
        let views = |admin: &mut Client| audit_actions(admin).into_iter().filter(|(a, _, _)| a == "wellbeing.view").collect::<Vec<_>>();
        assert_eq!(views(&mut admin), [("wellbeing.view".to_owned(), format!("user:{lead_id}"), format!("user:{agent_id}"))]);
        // The page shows it (escaped) and logs another view.
        let page = lead.get("/team/wellbeing").1;
        assert!(html(&page).contains("SHARED-&#60;b&#62;NOTE&#60;/b&#62;"), "{}", html(&page));
        assert!(!html(&page).contains("NOT-SHARED") && !html(&page).contains("<b>NOTE"));
        assert_eq!(views(&mut admin).len(), 2);
        // Not the agent's supervisor: nothing, and nothing logged for them.
        let mut lead2 = app.login("lead2");
        assert_eq!(lead2.get(&format!("/api/v1/teams/{team}/shared-checkins")).0, 404);
        assert!(!html(&lead2.get("/team/wellbeing").1).contains("SHARED-"));
        assert_eq!(views(&mut admin).len(), 2);
        // Peers never.
        assert_eq!(agent.get(&format!("/api/v1/teams/{team}/shared-checkins")).0, 403);
    }
}

#[test]
fn bad_input_is_refused_with_a_field_error_and_nothing_is_lost() {
    let app = TestApp::spawn(None);
    let mut agent = app.login("agent");
    let field = |v: &Value| v["error"]["details"]["field"].as_str().unwrap_or("").to_owned();
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"{not json".to_vec(), 400, ""),
        (json!({"mood": "abc"}).to_string().into_bytes(), 422, "mood"),
        (json!({"mood": 9}).to_string().into_bytes(), 422, "mood"),
        (json!({"mood": 0}).to_string().into_bytes(), 422, "mood"),
        (json!({"mood": 3.5}).to_string().into_bytes(), 422, "mood"),
        (json!({"mood": 3, "note": "长".repeat(501)}).to_string().into_bytes(), 422, "note"),
        (json!({"mood": 3, "tags": ["boss_is_mean"]}).to_string().into_bytes(), 422, "tags"),
        (json!({"mood": 3, "tags": "tired"}).to_string().into_bytes(), 422, "tags"),
        (json!({"mood": 3, "shared_with_supervisor": "yes"}).to_string().into_bytes(), 422, "shared_with_supervisor"),
        (json!({"mood": 3, "extra": 1}).to_string().into_bytes(), 422, "extra"),
    ];
    for (bytes, status, name) in cases {
        let (got, body) = agent.raw("POST", "/api/v1/me/wellbeing/checkins", bytes.clone());
        assert_eq!(got, status, "{}: {body}", String::from_utf8_lossy(&bytes));
        if !name.is_empty() {
            assert_eq!(field(&body), name, "{body}");
        }
    }
    let huge = json!({"mood": 3, "note": "x".repeat(200_000)}).to_string().into_bytes();
    assert_eq!(agent.raw("POST", "/api/v1/me/wellbeing/checkins", huge).0, 413);
    assert_eq!(agent.get("/api/v1/me/wellbeing/checkins").1["checkins"], json!([]), "nothing stored");
    let (status, body) = agent.post("/api/v1/me/wellbeing/diary", &json!({"event": "   ", "belief": "b"}));
    assert_eq!((status, field(&body)), (422, "event".to_owned()), "{body}");
    let (status, body) = agent.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [5, 5, 5, 5]}));
    assert_eq!((status, field(&body)), (422, "answers".to_owned()), "{body}");
    let (status, body) = agent.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [5, 5, 5, 5, 6]}));
    assert_eq!((status, field(&body)), (422, "answers".to_owned()), "{body}");
    let (status, body) = agent.post("/api/v1/me/wellbeing/selftests", &json!({"instrument": "nope", "answers": [5, 5, 5, 5, 5]}));
    assert_eq!((status, field(&body)), (422, "instrument".to_owned()), "{body}");
    assert_eq!(agent.get("/api/v1/me/wellbeing/diary/abc").0, 404);

    // HTML in a note is stored as typed and escaped when shown.
    check_in(&mut agent, 3, "<script>alert(1)</script>", false);
    let page = html(&agent.get("/me/wellbeing").1).to_owned();
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && !page.contains("<script>alert(1)"));

    // Forms: a mistake comes back with the field's error and everything typed.
    let c = csrf(&agent);
    let (status, page, _) = submit(&mut agent, "/me/wellbeing/checkin", &[("csrf", &c), ("tags", "tired"), ("note", "没选心情<i>但写了</i>"), ("shared", "on")]);
    assert_eq!(status, 422);
    assert!(page.contains("请选择一种心情天气") && page.contains("id=\"mood-error\""), "{page}");
    assert!(page.contains("没选心情&#60;i&#62;但写了&#60;/i&#62;</textarea>"), "the note is kept");
    assert!(page.contains("value=\"tired\" checked") && page.contains("name=\"shared\" value=\"on\" checked"), "tags and sharing kept");
    let long = "好".repeat(501);
    let (status, page, _) = submit(&mut agent, "/me/wellbeing/checkin", &[("csrf", &c), ("mood", "4"), ("note", &long)]);
    assert_eq!(status, 422);
    assert!(page.contains("id=\"note-error\"") && page.contains("name=\"mood\" value=\"4\" checked") && page.contains(&long));
    let (status, page, _) = submit(&mut agent, "/me/wellbeing/selftest", &[("csrf", &c), ("q0", "5"), ("q1", "4"), ("q3", "2")]);
    assert_eq!(status, 422);
    assert!(page.contains("请回答全部 5 个问题") && page.contains("name=\"q1\" value=\"4\" checked") && page.contains("name=\"q3\" value=\"2\" checked"));
    let (status, page, _) = submit(&mut agent, "/me/wellbeing/diary", &[("csrf", &c), ("event", ""), ("belief", "我的想法还在"), ("reframe", &"x".repeat(2001))]);
    assert_eq!(status, 422);
    assert!(page.contains("id=\"event-error\"") && page.contains("id=\"reframe-error\"") && page.contains("我的想法还在</textarea>"));
    // A form without the session's CSRF token is refused.
    let (status, _, _) = submit(&mut agent, "/me/wellbeing/checkin", &[("csrf", "forged"), ("mood", "5")]);
    assert_eq!(status, 403);
    assert_eq!(agent.get("/api/v1/me/wellbeing/checkins").1["checkins"].as_array().unwrap().len(), 1, "only the valid check-in");
    assert_eq!(agent.get("/api/v1/me/wellbeing/selftests").1["selftests"], json!([]));
    assert_eq!(agent.get("/api/v1/me/wellbeing/diary").1["entries"], json!([]));
}

#[test]
fn the_self_test_is_due_scored_interpreted_and_trended_for_me() {
    let app = TestApp::spawn(None);
    let mut agent = app.login("agent");
    let page = html(&agent.get("/me/wellbeing").1).to_owned();
    assert!(page.contains("class=\"due-banner\""), "never taken: due");
    assert!(page.contains("我感到快乐、心情舒畅") && page.contains("从未") && page.contains("WHO-5 Well-Being Index, WHO Regional Office for Europe, 1998"));
    let c = csrf(&agent);
    let answers = [("q0", "3"), ("q1", "3"), ("q2", "2"), ("q3", "2"), ("q4", "2")];
    let mut pairs = vec![("csrf", c.as_str())];
    pairs.extend(answers);
    let (status, _, location) = submit(&mut agent, "/me/wellbeing/selftest", &pairs);
    assert_eq!((status, location.as_str()), (303, "/me/wellbeing?ok=selftest#selftest"));
    let page = html(&agent.get("/me/wellbeing?ok=selftest").1).to_owned();
    assert!(page.contains("测评已保存") && page.contains("你的得分：48 / 100") && page.contains("你的幸福感最近有些偏低"));
    assert!(page.contains("员工援助") && !page.contains("class=\"due-banner\""), "reduced: support shown; not due again yet");
    assert!(page.contains("<svg") && page.contains("score-trend"));
    let (status, body) = agent.post("/api/v1/me/wellbeing/selftests", &json!({"answers": [1, 1, 1, 1, 1]}));
    assert_eq!(status, 201);
    assert_eq!((body["interpretation"]["band"].as_str(), body["interpretation"]["change"].as_str()), (Some("low"), Some("worse")));
    let list = agent.get("/api/v1/me/wellbeing/selftests").1;
    assert_eq!((list["due"].as_bool(), list["every_days"].as_i64()), (Some(false), Some(14)));
    // The schedule is the organisation's (admins), and validated.
    let mut admin = app.login("admin");
    assert_eq!(admin.request("PUT", "/api/v1/wellbeing/settings", Some(("application/json", br#"{"selftest_every_days":0}"#.to_vec()))).0, 422);
    assert_eq!(agent.request("PUT", "/api/v1/wellbeing/settings", Some(("application/json", br#"{"selftest_every_days":7}"#.to_vec()))).0, 403);
    let (status, body) = admin.request("PUT", "/api/v1/wellbeing/settings", Some(("application/json", br#"{"selftest_every_days":7}"#.to_vec())));
    assert_eq!((status, body["settings"]["selftest_every_days"].as_i64()), (200, Some(7)));
}
