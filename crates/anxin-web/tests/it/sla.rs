//! SLA settings over HTTP and in the admin form: defaults until saved, a saved policy applies to the next ticket,
//! and every way to get the settings wrong (no working hours, a share outside (0, 1), zero targets, unknown fields,
//! a zone no tz database knows) is refused naming the field, by the API and by the form, which keeps what was
//! typed. A ticket's clocks are readable; bad ids are JSON 400s.

use serde_json::{Value, json};

use crate::support::*;

fn field(reply: &(u16, Value)) -> (u16, Option<&str>) {
    (reply.0, reply.1["error"]["details"]["field"].as_str())
}

fn always_open_logistics() -> Value {
    let day = json!(["00:00-24:00"]);
    json!({
        "calendar": {"time_zone": "Asia/Shanghai", "hours": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day,
                     "friday": day, "saturday": day, "sunday": day}, "holidays": ["2026-10-01"]},
        "warning_share": 0.8,
        "follow_up_hours": 24,
        "policies": [{"name": "物流加急", "complaint_type": "logistics", "first_response_minutes": 5, "next_response_minutes": 10,
                      "resolution_minutes": 120, "lead_step_minutes": 15, "department_step_minutes": 60, "agent_step_minutes": 15}]
    })
}

#[test]
fn sla_settings_are_validated_and_apply_to_new_tickets() {
    for backend in backends() {
        let app = TestApp::spawn(backend);
        let mut admin = app.login("admin");
        let mut agent = app.login("agent");

        let (status, body) = agent.get("/api/v1/sla");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["settings"]["calendar"]["time_zone"], "Asia/Shanghai");
        assert_eq!(body["settings"]["warning_share"], 0.75);
        assert_eq!(body["settings"]["follow_up_hours"], 48);

        // Only admins change them.
        assert_eq!(agent.raw("PUT", "/api/v1/sla", always_open_logistics().to_string().into_bytes()).0, 403);
        let put = |client: &mut Client, body: &Value| client.raw("PUT", "/api/v1/sla", body.to_string().into_bytes());
        let saved = put(&mut admin, &always_open_logistics());
        assert_eq!(saved.0, 200, "{}", saved.1);
        assert_eq!(agent.get("/api/v1/sla").1["settings"]["policies"][0]["name"], "物流加急");

        // Hostile and mistaken settings: refused with the field, nothing changes.
        let mut no_hours = always_open_logistics();
        no_hours["calendar"]["hours"] = json!({});
        assert_eq!(field(&put(&mut admin, &no_hours)), (422, Some("hours")));
        let mut share = always_open_logistics();
        share["warning_share"] = json!(1.5);
        assert_eq!(field(&put(&mut admin, &share)), (422, Some("warning_share")));
        let mut zero = always_open_logistics();
        zero["policies"][0]["resolution_minutes"] = json!(0);
        assert_eq!(field(&put(&mut admin, &zero)), (422, Some("policies")));
        let mut negative = always_open_logistics();
        negative["policies"][0]["resolution_minutes"] = json!(-5);
        assert_eq!(put(&mut admin, &negative).0, 422);
        let mut nowhere = always_open_logistics();
        nowhere["calendar"]["time_zone"] = json!("Mars/Olympus_Mons");
        assert_eq!(field(&put(&mut admin, &nowhere)), (422, Some("calendar.time_zone")));
        let mut unknown = always_open_logistics();
        unknown["sneaky"] = json!(true);
        assert_eq!(put(&mut admin, &unknown).0, 422);
        let mut bad_window = always_open_logistics();
        bad_window["calendar"]["hours"]["monday"] = json!(["18:00-09:00"]);
        assert_eq!(field(&put(&mut admin, &bad_window)), (422, Some("hours.monday")));
        assert_eq!(admin.raw("PUT", "/api/v1/sla", b"{not json".to_vec()).0, 400);
        assert_eq!(agent.get("/api/v1/sla").1["settings"]["warning_share"], 0.8, "nothing refused was stored");

        // A logistics ticket opened now runs the saved policy's clocks.
        let mut customer = app.visitor();
        let (status, sent) = customer.send("c-1", "快递一周还没到！！！再不给说法我就投诉");
        assert_eq!(status, 201, "{sent}");
        let conversation = sent["conversation_id"].as_i64().or(sent["message"]["conversation_id"].as_i64()).expect("conversation id");
        let (status, opened) = agent.post(&format!("/api/v1/conversations/{conversation}/tickets"), &json!({"complaint_type": "logistics", "severity": "high"}));
        assert_eq!(status, 201, "{opened}");
        let ticket = &opened["ticket"];
        let created = ticket["created_at"].as_i64().unwrap();
        assert_eq!(ticket["first_response_due_at"].as_i64(), Some(created + 5 * 60_000));
        assert_eq!(ticket["resolution_due_at"].as_i64(), Some(created + 120 * 60_000));
        assert_eq!(ticket["sla_status"], "ok");
        let id = ticket["id"].as_i64().unwrap();
        let (status, timers) = agent.get(&format!("/api/v1/tickets/{id}/timers"));
        assert_eq!(status, 200, "{timers}");
        let kinds: Vec<&str> = timers["timers"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["first_response", "resolution", "step"]);
        let (status, bad) = agent.get("/api/v1/tickets/abc/timers");
        assert_eq!((status, bad["error"]["code"].as_str()), (400, Some("invalid_path")));
        assert_eq!(agent.get("/api/v1/tickets/99999999/timers").0, 404);
    }
}

#[test]
fn the_admin_form_saves_settings_and_keeps_what_was_typed_when_refused() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let (status, body) = admin.get("/admin/sla");
    let page = html(&body);
    assert_eq!(status, 200);
    assert!(page.contains("SLA 时限") && page.contains("09:00-12:00, 13:00-18:00"), "the default calendar is shown");

    let token = csrf(&admin);
    let mut pairs = vec![
        ("csrf", token.as_str()),
        ("time_zone", "Asia/Shanghai"),
        ("hours_monday", "09:00-18:00"),
        ("hours_tuesday", "09:00-18:00"),
        ("hours_friday", "09:00-17:00"),
        ("holidays", "2026-10-01\n2026-10-02"),
        ("extra_workdays", "2026-10-10 friday"),
        ("warning_percent", "80"),
        ("follow_up_hours", "48"),
        ("follow_up_grace_hours", "24"),
        ("name_0", "质量投诉"),
        ("type_0", "quality"),
        ("priority_0", ""),
        ("channel_0", "email"),
        ("first_0", "30"),
        ("next_0", "60"),
        ("resolution_0", "960"),
        ("lead_0", "60"),
        ("department_0", "480"),
        ("agent_0", "60"),
    ];
    let (status, _page, location) = submit(&mut admin, "/admin/sla", &pairs);
    assert_eq!((status, location.as_str()), (303, "/admin/sla?ok=sla_saved"), "{}", _page);
    let settings = admin.get("/api/v1/sla").1["settings"].clone();
    assert_eq!(settings["policies"][0]["complaint_type"], "quality");
    assert_eq!(settings["policies"][0]["channel"], "email");
    assert_eq!(settings["calendar"]["extra_workdays"][0]["hours_of"], "friday");
    assert_eq!(settings["calendar"]["hours"]["wednesday"], json!(null), "a day left empty is closed");

    // A week without hours: 422, the page says why and keeps the typed policy.
    pairs.retain(|(k, _)| !k.starts_with("hours_"));
    let (status, page, _) = submit(&mut admin, "/admin/sla", &pairs);
    assert_eq!(status, 422);
    assert!(page.contains("id=\"sla-error\"") && page.contains("质量投诉"), "{page}");
    // Script in a policy name is shown as text, never run.
    pairs.push(("hours_monday", "09:00-18:00"));
    pairs.retain(|(k, _)| *k != "name_0");
    pairs.push(("name_0", "<script>alert(1)</script>"));
    pairs.retain(|(k, _)| *k != "first_0");
    pairs.push(("first_0", "半小时"));
    let (status, page, _) = submit(&mut admin, "/admin/sla", &pairs);
    assert_eq!(status, 422);
    assert!(!page.contains("<script>alert(1)</script>") && page.contains("&#60;script&#62;alert(1)"), "escaped: {}", page.lines().filter(|l| l.contains("alert(1)")).collect::<Vec<_>>().join("\n"));
    // Without the CSRF token nothing is saved.
    pairs.retain(|(k, _)| *k != "csrf");
    assert_eq!(submit(&mut admin, "/admin/sla", &pairs).0, 403);
    let mut agent = app.login("agent");
    assert_eq!(agent.get("/admin/sla").0, 403);
}

#[test]
fn the_admin_sets_escalation_paths_and_remedy_limits() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let team = admin.post("/api/v1/teams", &json!({"name": "快递协调组"})).1["team"]["id"].as_i64().unwrap();
    let (status, body) = admin.get("/admin/complaints");
    assert_eq!(status, 200);
    let page = html(&body);
    assert!(page.contains("默认：物流部") && page.contains("快递协调组"), "defaults and teams are offered");

    let token = csrf(&admin);
    let team_text = team.to_string();
    let mut pairs = vec![
        ("csrf", token.as_str()),
        ("path_logistics", team_text.as_str()),
        ("path_payment", "lead"),
        ("path_quality", "default"),
        ("agent_limit", "30"),
        ("lead_limit", "300.50"),
    ];
    let (status, _, location) = submit(&mut admin, "/admin/complaints", &pairs);
    assert_eq!((status, location.as_str()), (303, "/admin/complaints?ok=complaints_saved"));
    let paths = admin.get("/api/v1/escalation-paths").1;
    let path = |kind: &str| paths["paths"].as_array().unwrap().iter().find(|p| p["complaint_type"] == kind).cloned().unwrap();
    assert_eq!(path("logistics")["team_id"], team);
    assert_eq!((path("payment")["configured"].clone(), path("payment")["team_id"].clone()), (json!(true), json!(null)), "the lead chooses");
    assert_eq!(path("quality")["configured"], false, "left to the default");

    // The new limit holds: an agent's ¥25 coupon needs no approval now.
    let mut customer = app.visitor();
    let (_, sent) = customer.send("c-1", "快递丢了！！！");
    let conversation = sent["conversation_id"].as_i64().or(sent["message"]["conversation_id"].as_i64()).unwrap();
    let mut agent = app.login("agent");
    let ticket = agent.post(&format!("/api/v1/conversations/{conversation}/tickets"), &json!({"complaint_type": "logistics"})).1["ticket"]["id"].as_i64().unwrap();
    let (status, offered) = agent.post(&format!("/api/v1/tickets/{ticket}/remedies"), &json!({"kind": "coupon", "amount_fen": 2_500}));
    assert_eq!(status, 201, "{offered}");
    assert_eq!(offered["remedy"]["state"], "approved", "{offered}");

    // Bad limits and unknown teams: 422, what was typed stays, nothing is saved.
    for (field, value) in [("agent_limit", "-1"), ("agent_limit", "1.234"), ("lead_limit", "10"), ("path_logistics", "99999"), ("path_logistics", "<script>")] {
        let mut bad = pairs.clone();
        bad.retain(|(k, _)| *k != field);
        bad.push((field, value));
        let (status, page, _) = submit(&mut admin, "/admin/complaints", &bad);
        assert_eq!(status, 422, "{field}={value}");
        assert!(page.contains("id=\"complaints-error\""), "{field}={value}");
        assert!(!page.contains("<script>"), "escaped");
    }
    pairs.retain(|(k, _)| *k != "csrf");
    assert_eq!(submit(&mut admin, "/admin/complaints", &pairs).0, 403, "no CSRF token, nothing saved");
    let org = admin.get("/api/v1/settings").1;
    let limits = &org["organization"]["settings"]["remedy_limits"];
    assert_eq!((limits["agent_fen"].as_i64(), limits["lead_fen"].as_i64()), (Some(3_000), Some(30_050)), "{org}");
    assert_eq!(agent.get("/admin/complaints").0, 403);
}

/// Ids in API paths that are not numbers (or overflow) are JSON 400s naming the problem, never plain text.
#[test]
fn malformed_path_ids_are_json_errors() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    for (method, path) in [
        ("GET", "/api/v1/conversations/abc"),
        ("GET", "/api/v1/conversations/99999999999999999999999/messages"),
        ("GET", "/api/v1/tickets/abc"),
        ("POST", "/api/v1/tickets/1/remedies/x/approve"),
        ("GET", "/api/v1/customers/-"),
        ("GET", "/api/v1/users/1.5/protection"),
        ("POST", "/api/v1/teams/%F0%9F%98%80/members"),
        ("GET", "/api/v1/tickets/%27%20OR%201=1/timers"),
    ] {
        let body = (method == "POST").then(|| ("application/json", b"{}".to_vec()));
        let (status, reply) = admin.request(method, path, body);
        assert_eq!((status, reply["error"]["code"].as_str()), (400, Some("invalid_path")), "{method} {path}: {reply}");
    }
}
