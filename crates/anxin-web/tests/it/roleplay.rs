//! The role-play simulator against a real server (both backends): the scenarios; a session started, replied to
//! turn by turn until the customer is resolved, its debrief; who may see and write (the owner, a trainer, another
//! agent, another organisation, an API token); hostile input (an empty or over-long reply, a stale turn, a reply
//! to a finished session, a malformed scenario file); a trainer turning a resolved conversation into a scenario
//! with the customer's PII masked, which agents then practise; the pages without JavaScript; and, in headless
//! Chromium, an agent resolving the late-delivery customer and reading the debrief.

use serde_json::{Value, json};

use crate::support::*;
use crate::webdriver::*;

/// Acknowledge, give the tracking fact, a time-bound next step: resolves the anxious late-delivery customer.
const GOOD: [&str; 3] = [
    "理解您的着急，孩子的生日礼物肯定想准时收到，换作是我也会着急。",
    "我刚查了，包裹因为暴雨在武汉转运中心滞留了三天，今天上午已经重新分拣发出，目前在去长沙的路上。",
    "预计明天到长沙岳麓网点，后天上午派送。我已经为您申请加急，明天下午3点前我再查一次，把最新位置发给您。",
];

const LATE: &str = "late-delivery-anxiety";

/// A person of another organisation (created in the store, signed in through the API).
fn outsider(app: &TestApp) -> Client {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let org = app.store.create_organization(anxin_domain::input::Name::parse("n", "外店").unwrap(), "outside", "UTC").await.unwrap();
        let user = anxin_store::NewUser {
            org_id: org.id,
            username: anxin_domain::input::Username::parse("outsider").unwrap(),
            display_name: anxin_domain::input::Name::parse("n", "外人").unwrap(),
            role: anxin_domain::Role::Admin,
            department: None,
            password_hash: anxin_web::auth::hash_password(PASSWORD),
        };
        app.store.create_user(user, None).await.unwrap();
    });
    app.login("outsider")
}

fn agent2(app: &TestApp) -> Client {
    let mut admin = app.login("admin");
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "agent2", "display_name": "小林", "role": "agent", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    app.login("agent2")
}

fn start(client: &mut Client, scenario: &str) -> Value {
    let (status, body) = client.post("/api/v1/roleplay/sessions", &json!({"scenario": scenario}));
    assert_eq!(status, 201, "{body}");
    body["session"].clone()
}

fn say(client: &mut Client, id: i64, turns: i64, text: &str) -> (u16, Value) {
    client.post(&format!("/api/v1/roleplay/sessions/{id}/replies"), &json!({"text": text, "expected_turns": turns}))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn roleplay_api_sessions_roles_and_hostile_input() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut agent = app.login("agent");
        let mut trainer = app.login("trainer");
        let mut other_agent = agent2(&app);
        let mut stranger = outsider(&app);

        // The scenarios: every starter one, with its persona; the files only for coaches.
        let (status, list) = agent.get("/api/v1/roleplay/scenarios");
        assert_eq!(status, 200, "{list}");
        let scenarios = list["scenarios"].as_array().unwrap();
        assert!(scenarios.len() >= 13, "{}", scenarios.len());
        let late = scenarios.iter().find(|s| s["id"] == LATE).expect("the late-delivery scenario");
        assert_eq!((late["source"].as_str(), late["persona"]["emotion"].as_str()), (Some("starter"), Some("anxiety")));
        assert!(late.get("toml").is_none() && late["title"]["zh-Hans"].as_str().unwrap().contains("生日礼物"));
        assert_eq!(agent.get("/api/v1/roleplay/scenarios?toml=true").0, 403);
        let (_, files) = trainer.get("/api/v1/roleplay/scenarios?toml=true");
        assert!(files["scenarios"][0]["toml"].as_str().is_some_and(|t| t.contains("[persona]")), "{}", files["scenarios"][0]);
        assert_eq!(Client::new(&app).get("/api/v1/roleplay/scenarios").0, 401);

        // Starting: a known scenario only; the seed is the server's and JSON-safe.
        let session = start(&mut agent, LATE);
        let id = session["id"].as_i64().unwrap();
        assert_eq!((session["turns"].as_i64(), session["outcome"].as_str()), (Some(0), Some("ongoing")));
        assert!(session["seed"].as_u64().unwrap() < 1 << 53);
        assert_eq!(session["transcript"].as_array().unwrap().len(), 1);
        assert_eq!(session["transcript"][0]["speaker"], "customer");
        assert_eq!(session["customer"]["emotion"], "anxiety");
        assert_eq!(session["customer"]["line"], session["transcript"][0]["text"]);
        let (status, body) = agent.post("/api/v1/roleplay/sessions", &json!({"scenario": "no-such-scenario"}));
        assert_eq!((status, body["error"]["details"]["field"].as_str()), (422, Some("scenario")), "{body}");
        assert_eq!(agent.post("/api/v1/roleplay/sessions", &json!({})).0, 422);
        assert_eq!(agent.raw("POST", "/api/v1/roleplay/sessions", b"{\"scenario\":".to_vec()).0, 400);
        let mut no_csrf = app.login("agent");
        no_csrf.csrf = None;
        assert_eq!(no_csrf.post("/api/v1/roleplay/sessions", &json!({"scenario": LATE})).0, 403);

        // The first reply: scored, the customer reacts.
        let (status, first) = say(&mut agent, id, 0, GOOD[0]);
        assert_eq!(status, 201, "{first}");
        let turn = &first["turn"];
        assert_eq!((turn["number"].as_i64(), turn["reply"].as_str()), (Some(1), Some(GOOD[0])));
        assert!(turn["scores"]["acknowledgement"].as_u64().unwrap() >= 50, "{turn}");
        assert!(turn["customer"].as_str().is_some_and(|c| !c.is_empty()) && turn["emotion"].is_string() && turn["intensity"].is_number());
        assert_eq!((first["session"]["turns"].as_i64(), first["session"]["outcome"].as_str()), (Some(1), Some("ongoing")));
        assert!(first["debrief_url"].is_null());

        // Hostile input: a stale turn (another tab), an empty or over-long reply, a body over the limit.
        let (status, stale) = say(&mut agent, id, 0, GOOD[1]);
        assert_eq!((status, code(&stale), stale["error"]["details"]["turns"].as_i64()), (409, "roleplay_changed", Some(1)), "{stale}");
        let (status, empty) = say(&mut agent, id, 1, "  \n ");
        assert_eq!((status, empty["error"]["details"]["field"].as_str(), empty["error"]["details"]["reason"].as_str()), (422, Some("text"), Some("empty")));
        let (status, long) = say(&mut agent, id, 1, &"好".repeat(2_001));
        assert_eq!((status, long["error"]["details"]["reason"].as_str()), (422, Some("too_long")), "{long}");
        assert_eq!(say(&mut agent, id, 1, &"好".repeat(100_000)).0, 413);
        assert_eq!(agent.post(&format!("/api/v1/roleplay/sessions/{id}/replies"), &json!({"text": "好"})).0, 422, "expected_turns is required");
        let (_, now) = agent.get(&format!("/api/v1/roleplay/sessions/{id}"));
        assert_eq!((now["session"]["turns"].as_i64(), now["session"]["replies"].as_array().unwrap().len()), (Some(1), 1), "nothing refused was stored");
        assert_eq!(now["session"]["transcript"].as_array().unwrap().len(), 3);
        assert_eq!(now["session"]["replay_intact"], true);

        // Who: another agent and another organisation see nothing; a trainer reads but does not write.
        for client in [&mut other_agent, &mut stranger] {
            assert_eq!(client.get(&format!("/api/v1/roleplay/sessions/{id}")).0, 404);
            assert_eq!(client.get(&format!("/api/v1/roleplay/sessions/{id}/debrief")).0, 404);
            assert_eq!(say(client, id, 1, GOOD[1]).0, 404);
            assert_eq!(client.post(&format!("/api/v1/roleplay/sessions/{id}/finish"), &json!({"expected_turns": 1})).0, 404);
        }
        assert_eq!(agent.get("/api/v1/roleplay/sessions/999999").0, 404);
        assert_eq!(agent.get("/api/v1/roleplay/sessions/abc").0, 400);
        assert_eq!(trainer.get(&format!("/api/v1/roleplay/sessions/{id}")).1["session"]["user_name"], "agent");
        let (status, body) = say(&mut trainer, id, 1, GOOD[1]);
        assert_eq!((status, code(&body)), (403, "forbidden"));

        // On to resolution: the debrief quotes every reply; nothing more can be added.
        for (turns, text) in GOOD.iter().enumerate().skip(1) {
            let (status, body) = say(&mut agent, id, turns as i64, text);
            assert_eq!(status, 201, "{body}");
            if turns == 2 {
                assert_eq!(body["session"]["outcome"], "resolved", "{body}");
                assert_eq!(body["debrief_url"], format!("/academy/roleplay/{id}/debrief"));
                assert!(body["session"]["scores"]["overall"].as_u64().unwrap() > 0);
            }
        }
        let (status, late_reply) = say(&mut agent, id, 3, "还有什么可以帮您？");
        assert_eq!((status, code(&late_reply)), (409, "roleplay_finished"));
        let (status, debrief) = agent.get(&format!("/api/v1/roleplay/sessions/{id}/debrief"));
        assert_eq!((status, debrief["finished"].as_bool(), debrief["outcome"].as_str()), (200, Some(true), Some("resolved")), "{debrief}");
        let quoted: Vec<&str> = debrief["debrief"]["turns"].as_array().unwrap().iter().map(|t| t["reply"].as_str().unwrap()).collect();
        assert_eq!(quoted, GOOD);
        assert!(debrief["debrief"]["summary"].as_str().unwrap().contains("解决"), "{debrief}");
        assert!(debrief["debrief"]["needs_unmet"].as_array().unwrap().is_empty());
        assert_eq!(trainer.get(&format!("/api/v1/roleplay/sessions/{id}/debrief")).0, 200);

        // The agent ends another session early: abandoned, with the debrief so far.
        let second = start(&mut agent, "wrong-size-anger")["id"].as_i64().unwrap();
        assert_eq!(say(&mut agent, second, 0, "您好，请问有什么可以帮您？").0, 201);
        assert_eq!(agent.post(&format!("/api/v1/roleplay/sessions/{second}/finish"), &json!({"expected_turns": 0})).1["error"]["code"], "roleplay_changed");
        assert_eq!(trainer.post(&format!("/api/v1/roleplay/sessions/{second}/finish"), &json!({"expected_turns": 1})).0, 403);
        let (status, ended) = agent.post(&format!("/api/v1/roleplay/sessions/{second}/finish"), &json!({"expected_turns": 1}));
        assert_eq!((status, ended["session"]["outcome"].as_str()), (200, Some("abandoned")), "{ended}");
        assert_eq!(agent.post(&format!("/api/v1/roleplay/sessions/{second}/finish"), &json!({"expected_turns": 1})).1["error"]["code"], "roleplay_finished");
        let (_, debrief) = agent.get(&format!("/api/v1/roleplay/sessions/{second}/debrief"));
        assert_eq!(debrief["debrief"]["outcome"], "abandoned");
        assert!(debrief["debrief"]["summary"].as_str().unwrap().starts_with("你在第1轮回复后结束了练习"), "{debrief}");

        // Lists: mine; a person's for coaches (and oneself); not someone else's for an agent.
        let (_, mine) = agent.get("/api/v1/roleplay/sessions");
        let listed: Vec<(i64, &str)> = mine["sessions"].as_array().unwrap().iter().map(|s| (s["id"].as_i64().unwrap(), s["outcome"].as_str().unwrap())).collect();
        assert_eq!(listed, [(second, "abandoned"), (id, "resolved")]);
        let agent_id = user_id(&mut app.login("admin"), "agent");
        let trainer_id = user_id(&mut app.login("admin"), "trainer");
        assert_eq!(trainer.get(&format!("/api/v1/roleplay/sessions?user={agent_id}")).1["sessions"].as_array().unwrap().len(), 2);
        assert_eq!(agent.get(&format!("/api/v1/roleplay/sessions?user={agent_id}")).0, 200);
        assert_eq!(agent.get(&format!("/api/v1/roleplay/sessions?user={trainer_id}")).0, 403);
        assert_eq!(agent.get("/api/v1/roleplay/sessions?limit=0").0, 422);
        assert_eq!(stranger.get(&format!("/api/v1/roleplay/sessions?user={agent_id}")).1["sessions"].as_array().unwrap().len(), 0);
        assert!(other_agent.get("/api/v1/roleplay/sessions").1["sessions"].as_array().unwrap().is_empty());

        // An API token does not practise.
        let (_, token) = app.login("admin").post("/api/v1/tokens", &json!({"name": "bot", "role": "agent"}));
        let mut bot = Client::new(&app);
        bot.bearer = token["token"].as_str().map(str::to_owned);
        assert_eq!(bot.post("/api/v1/roleplay/sessions", &json!({"scenario": LATE})).0, 403);
        assert_eq!(bot.get("/api/v1/roleplay/sessions").0, 403);

        // The documented routes are the served ones.
        let documented: Vec<&str> = anxin_web::openapi::ROUTES.iter().map(|(_, p, _)| *p).filter(|p| p.starts_with("/roleplay")).collect();
        assert_eq!(documented.len(), 9, "{documented:?}");
    }
}

/// A customer writes (with a phone number) and the agent answers; the conversation's id.
fn real_case(app: &TestApp, agent: &mut Client) -> i64 {
    let mut visitor = app.visitor();
    let (status, sent) = visitor.send("c-1", "我的快递三天没动了，电话13812345678，孩子生日要用，急死了");
    assert_eq!(status, 201, "{sent}");
    let id = sent["conversation_id"].as_i64().unwrap();
    let reply = "理解您的着急，我查到包裹目前在武汉转运中心，明天下午3点前我再联系您。";
    let (status, body) = agent.post(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": reply}));
    assert_eq!(status, 201, "{body}");
    id
}

#[test]
fn a_trainer_turns_a_resolved_conversation_into_a_scenario_agents_practise() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut agent = app.login("agent");
        let mut trainer = app.login("trainer");
        let mut lead = app.login("lead");
        let conversation = real_case(&app, &mut agent);
        let draft_path = format!("/api/v1/roleplay/scenario-draft?from={conversation}");

        // Only a resolved conversation, only for coaches, only of this organisation.
        let (status, open) = trainer.get(&draft_path);
        assert_eq!((status, code(&open)), (409, "conversation_not_resolved"), "{open}");
        let (status, _) = agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"}));
        assert_eq!(status, 200);
        assert_eq!(agent.get(&draft_path).0, 403);
        assert_eq!(trainer.get("/api/v1/roleplay/scenario-draft").1["error"]["details"]["field"], "from");
        assert_eq!(trainer.get(&format!("/api/v1/roleplay/scenario-draft?from={}", app.other_org_conversation)).0, 404);

        // The draft: masked, valid, the customer's own words as the opening.
        let (status, draft) = trainer.get(&draft_path);
        assert_eq!(status, 200, "{draft}");
        let toml = draft["toml"].as_str().unwrap().to_owned();
        assert!(!draft.to_string().contains("13812345678"), "the phone number is masked everywhere: {draft}");
        assert!(toml.contains(&format!("id = \"case-{conversation}\"")) && toml.contains("快递三天没动"), "{toml}");
        assert!(draft["source"]["lines"].as_array().unwrap().iter().all(|l| l["masked"] == true));
        assert!(anxin_training::Scenario::parse("scenario", &toml).is_ok(), "the draft parses");

        // A malformed file is refused with its line; nothing is saved.
        let line = toml.lines().position(|l| l.starts_with("intensity")).unwrap() + 1;
        let broken = toml.lines().map(|l| if l.starts_with("intensity") { "intensity = 1.5" } else { l }).collect::<Vec<_>>().join("\n");
        let (status, refused) = trainer.post("/api/v1/roleplay/scenarios", &json!({"toml": broken, "from_conversation": conversation}));
        assert_eq!((status, code(&refused)), (422, "scenario_invalid"), "{refused}");
        assert_eq!(refused["error"]["details"]["line"].as_u64(), Some(line as u64));
        assert!(refused["error"]["message"].as_str().unwrap().starts_with(&format!("scenario:{line}: persona.intensity: is 1.5")), "{refused}");
        let (status, garbage) = trainer.post("/api/v1/roleplay/scenarios", &json!({"toml": "id = \"x\"\n[persona\n"}));
        assert_eq!((status, garbage["error"]["details"]["line"].as_u64()), (422, Some(2)), "{garbage}");
        let starter = toml.replace(&format!("id = \"case-{conversation}\""), "id = \"late-delivery-anxiety\"");
        let (status, taken) = trainer.post("/api/v1/roleplay/scenarios", &json!({"toml": starter}));
        assert_eq!((status, taken["error"]["details"]["field"].as_str()), (422, Some("id")), "{taken}");
        let (status, _) = trainer.post("/api/v1/roleplay/scenarios", &json!({"toml": toml, "from_conversation": app.other_org_conversation}));
        assert_eq!(status, 422);
        assert_eq!(agent.post("/api/v1/roleplay/scenarios", &json!({"toml": toml})).0, 403);
        assert!(agent.get("/api/v1/roleplay/scenarios").1["scenarios"].as_array().unwrap().iter().all(|s| s["source"] == "starter"));

        // Saved (the trainer edits the title first), then a second version by a supervisor.
        let edited = toml.replacen("真实案例", "门店案例", 1);
        let (status, saved) = trainer.post("/api/v1/roleplay/scenarios", &json!({"toml": edited, "from_conversation": conversation}));
        assert_eq!(status, 201, "{saved}");
        assert_eq!((saved["scenario"]["version"].as_i64(), saved["scenario"]["source_conversation_id"].as_i64()), (Some(1), Some(conversation)));
        let (status, again) = lead.post("/api/v1/roleplay/scenarios", &json!({"toml": edited}));
        assert_eq!((status, again["scenario"]["version"].as_i64()), (201, Some(2)));

        // Agents practise it like any other.
        let id = format!("case-{conversation}");
        let listed = agent.get("/api/v1/roleplay/scenarios").1;
        let custom = listed["scenarios"].as_array().unwrap().iter().find(|s| s["id"] == id.as_str()).cloned().expect("the new scenario");
        assert_eq!((custom["source"].as_str(), custom["version"].as_i64()), (Some("custom"), Some(2)));
        assert!(custom["title"]["zh-Hans"].as_str().unwrap().starts_with("门店案例"));
        let session = start(&mut agent, &id);
        assert_eq!((session["scenario"]["source"].as_str(), session["scenario"]["version"].as_i64()), (Some("custom"), Some(2)));
        assert!(session["transcript"][0]["text"].as_str().unwrap().len() > 3);
        let (status, reply) = say(&mut agent, session["id"].as_i64().unwrap(), 0, "非常理解您的心情，换作是我也会着急。");
        assert_eq!(status, 201, "{reply}");
        // Another organisation sees neither the scenario nor can start it.
        let mut stranger = outsider(&app);
        assert!(stranger.get("/api/v1/roleplay/scenarios").1["scenarios"].as_array().unwrap().iter().all(|s| s["id"] != id.as_str()));
        assert_eq!(stranger.post("/api/v1/roleplay/sessions", &json!({"scenario": id})).0, 422);
    }
}

fn page(client: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = client.get(path);
    (status, html(&body).to_owned())
}

/// The session id in a `/academy/roleplay/{id}` Location.
fn session_of(location: &str) -> i64 {
    location.trim_start_matches("/academy/roleplay/").split(['#', '/', '?']).next().unwrap().parse().unwrap_or_else(|_| panic!("{location}"))
}

#[test]
fn roleplay_pages_work_without_javascript() {
    let app = TestApp::spawn(None);
    let mut agent = app.login("agent");
    let token = csrf(&agent);

    // Signed out: to the sign-in page and back.
    let ((status, _), headers) = Client::new(&app).request_full("GET", "/academy/roleplay", None);
    assert_eq!(status, 303);
    assert!(headers.get("location").unwrap().to_str().unwrap().starts_with("/login?next=/academy/roleplay"));

    // The list: a card per scenario with its persona and emotion, a start button each.
    let (status, list) = page(&mut agent, "/academy/roleplay");
    assert_eq!(status, 200);
    for needle in ["id=\"rp-start-late-delivery-anxiety\"", "id=\"rp-scenario-wrong-size-anger\"", "林先生", "◆ 焦虑", "id=\"rp-mine-empty\""] {
        assert!(list.contains(needle), "{needle} in the list page");
    }
    assert!(!list.contains("id=\"rp-new-scenario\""), "agents do not write scenarios");
    assert!(page(&mut agent, "/academy/roleplay?lang=en").1.contains("Role-play practice"));
    assert!(page(&mut agent, "/academy/roleplay?lang=zh-Hant").1.contains("情境演練"));

    // Starting: the CSRF token is checked; an unknown scenario comes back with a message.
    assert_eq!(submit(&mut agent, "/academy/roleplay", &[("scenario", LATE)]).0, 403);
    let (status, body, _) = submit(&mut agent, "/academy/roleplay", &[("csrf", &token), ("scenario", "nope")]);
    assert_eq!(status, 422);
    assert!(body.contains("id=\"rp-error\"") && body.contains("没有这个场景"));
    let (status, _, location) = submit(&mut agent, "/academy/roleplay", &[("csrf", &token), ("scenario", LATE)]);
    assert_eq!(status, 303);
    let id = session_of(&location);
    let chat = format!("/academy/roleplay/{id}");

    // The chat: the customer's opening with the simulated emotion, the reply box.
    let (status, body) = page(&mut agent, &chat);
    assert_eq!(status, 200);
    for needle in ["id=\"rp-reply\"", "id=\"rp-send\"", "data-turns=\"0\"", "class=\"msg customer\"", "◆ 焦虑", "DD20240603287"] {
        assert!(body.contains(needle), "{needle} in the chat");
    }

    // Refused replies come back with the words typed and why.
    let (status, body, _) = submit(&mut agent, &chat, &[("csrf", &token), ("turns", "0"), ("text", "   ")]);
    assert_eq!(status, 422);
    assert!(body.contains("回复不能为空"));
    let long = "好".repeat(2_001);
    let (status, body, _) = submit(&mut agent, &chat, &[("csrf", &token), ("turns", "0"), ("text", &long)]);
    assert_eq!(status, 422);
    assert!(body.contains("回复太长了") && body.contains(&long), "the long reply is kept");
    let hostile = "<script>window.__xss=1</script>理解您";
    let (status, body, _) = submit(&mut agent, &chat, &[("csrf", &token), ("turns", "5"), ("text", hostile)]);
    assert_eq!(status, 409);
    assert!(body.contains("另一个窗口") && body.contains("&#60;script&#62;window.__xss=1&#60;/script&#62;理解您"), "a stale turn keeps the text, escaped");
    assert!(!body.contains("<script>window.__xss"));
    assert_eq!(submit(&mut agent, &chat, &[("turns", "0"), ("text", GOOD[0])]).0, 403, "no CSRF token");

    // The good replies, one form post each, until resolved.
    for (turns, text) in GOOD.iter().enumerate() {
        let (status, _, location) = submit(&mut agent, &chat, &[("csrf", &token), ("turns", &turns.to_string()), ("text", text)]);
        assert_eq!((status, location), (303, format!("{chat}#rp-turn-{}", turns + 1)));
    }
    let (_, body) = page(&mut agent, &chat);
    assert!(body.contains("id=\"rp-turn-3\"") && body.contains("id=\"rp-debrief-link\"") && body.contains("data-outcome=\"resolved\""));
    assert!(!body.contains("id=\"rp-reply\""), "no reply box once it is over");
    assert!(body.contains("class=\"rp-score sc-overall\""), "per-reply scores");
    let (status, body, _) = submit(&mut agent, &chat, &[("csrf", &token), ("turns", "3"), ("text", "还有吗")]);
    assert_eq!(status, 409);
    assert!(body.contains("已经结束"));

    // The debrief: outcome, the chart, every line quoted with its scores.
    let (status, debrief) = page(&mut agent, &format!("{chat}/debrief"));
    assert_eq!(status, 200);
    for needle in ["id=\"rp-debrief\"", "id=\"rp-chart\"", "<svg", "id=\"rp-debrief-outcome\" data-outcome=\"resolved\"", "id=\"rp-debrief-turn-3\"", "✓ 已解决"] {
        assert!(debrief.contains(needle), "{needle} in the debrief");
    }
    for text in GOOD {
        assert!(debrief.contains(text), "the debrief quotes {text}");
    }
    let (_, list) = page(&mut agent, "/academy/roleplay");
    assert!(list.contains(&format!("id=\"rp-mine-{id}\" data-outcome=\"resolved\"")));

    // Others: another agent gets 404; a trainer reads it without a reply box; an unknown id is 404.
    let mut other = agent2(&app);
    assert_eq!(page(&mut other, &chat).0, 404);
    assert_eq!(page(&mut other, &format!("{chat}/debrief")).0, 404);
    let other_token = csrf(&other);
    assert_eq!(submit(&mut other, &chat, &[("csrf", &other_token), ("turns", "3"), ("text", "x")]).0, 404);
    assert_eq!(page(&mut agent, "/academy/roleplay/abc").0, 404);
    assert_eq!(page(&mut agent, "/academy/roleplay/999999/debrief").0, 404);
    let mut trainer = app.login("trainer");
    let (status, seen) = page(&mut trainer, &chat);
    assert_eq!(status, 200);
    assert!(seen.contains("练习人") && !seen.contains("id=\"rp-reply\""));

    // Ending a session from its page.
    let (_, _, location) = submit(&mut agent, "/academy/roleplay", &[("csrf", &token), ("scenario", "price-drop-dispute")]);
    let second = session_of(&location);
    let (status, _, location) = submit(&mut agent, &format!("/academy/roleplay/{second}/finish"), &[("csrf", &token), ("turns", "0")]);
    assert_eq!((status, location.as_str()), (303, format!("/academy/roleplay/{second}/debrief").as_str()));
    assert!(page(&mut agent, &location).1.contains("没有回复就结束了练习"));
}

#[test]
fn roleplay_scenario_page_for_trainers() {
    let app = TestApp::spawn(None);
    let mut agent = app.login("agent");
    let mut trainer = app.login("trainer");
    let token = csrf(&trainer);
    let conversation = real_case(&app, &mut agent);

    assert_eq!(page(&mut agent, "/academy/scenarios/new").0, 403);
    assert!(page(&mut trainer, "/academy/roleplay").1.contains("id=\"rp-new-scenario\""));
    // Not resolved yet: said so; no draft from it.
    let (status, body) = page(&mut trainer, &format!("/academy/scenarios/new?from={conversation}"));
    assert_eq!(status, 409);
    assert!(body.contains("id=\"rp-source-problem\"") && body.contains("还没有解决"));
    agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"}));
    let (status, body) = page(&mut trainer, "/academy/scenarios/new");
    assert_eq!(status, 200);
    assert!(body.contains(&format!("id=\"rp-draft-{conversation}\"")) && !body.contains("13812345678"), "candidates, masked");
    let (status, body) = page(&mut trainer, &format!("/academy/scenarios/new?from={conversation}"));
    assert_eq!(status, 200);
    assert!(body.contains("id=\"rp-toml\"") && body.contains(&format!("case-{conversation}")) && body.contains("id=\"rp-source\""));
    assert!(!body.contains("13812345678"), "the source and the draft are masked");
    assert_eq!(page(&mut trainer, &format!("/academy/scenarios/new?from={}", app.other_org_conversation)).0, 404);

    // A malformed file comes back as typed with the problem and its line.
    let (_, draft) = trainer.get(&format!("/api/v1/roleplay/scenario-draft?from={conversation}"));
    let toml = draft["toml"].as_str().unwrap().to_owned();
    let broken = toml.replacen("patience = 6", "patience = 99", 1);
    let line = broken.lines().position(|l| l == "patience = 99").unwrap() + 1;
    let from = conversation.to_string();
    assert_eq!(submit(&mut trainer, "/academy/scenarios/new", &[("toml", &broken)]).0, 403, "no CSRF token");
    let (status, body, _) = submit(&mut trainer, "/academy/scenarios/new", &[("csrf", &token), ("toml", &broken), ("from", &from)]);
    assert_eq!(status, 422);
    assert!(body.contains("id=\"rp-toml-error\"") && body.contains(&format!("scenario:{line}: persona.patience: is 99")), "{body}");
    assert!(body.contains("id=\"rp-toml-error-line\">patience = 99<") && body.contains("aria-invalid=\"true\""));
    assert!(body.contains(&format!("name=\"from\" value=\"{conversation}\"")), "the source is kept");
    // Saved: back to the list with a notice, the new card there.
    let (status, _, location) = submit(&mut trainer, "/academy/scenarios/new", &[("csrf", &token), ("toml", &toml), ("from", &from)]);
    assert_eq!((status, location.as_str()), (303, format!("/academy/roleplay?ok=scenario_saved#rp-scenario-case-{conversation}").as_str()));
    let (_, list) = page(&mut agent, "/academy/roleplay");
    assert!(list.contains(&format!("id=\"rp-start-case-{conversation}\"")) && list.contains("本店场景"));
    assert!(page(&mut trainer, "/academy/roleplay?ok=scenario_saved").1.contains("id=\"rp-notice\""));
}

/// Signs in through the `/login` form and waits for `ready` on `next`.
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

/// (Academy) An agent opens the role-play simulator, starts the anxious late-delivery customer, acknowledges the
/// worry, gives the tracking fact and a time-bound next step — each reply appended live with its scores and the
/// customer's reaction, no page load — until the customer is resolved; then reads the debrief, which quotes each
/// of the agent's lines.
#[test]
fn an_agent_resolves_the_late_delivery_roleplay_and_reads_the_debrief() {
    let app = TestApp::spawn(None);
    let b = Browser::start("zh-CN");
    sign_in_at(&b, &app, "agent", "/academy/roleplay", "#rp-start-late-delivery-anxiety");
    let card = b.text(&b.find("#rp-scenario-late-delivery-anxiety"));
    assert!(card.contains("林先生") && card.contains("焦虑"), "{card}");
    b.click(&b.find("#rp-start-late-delivery-anxiety"));
    let reply = b.wait_for("#rp-reply");
    let opening = b.text(&b.find("#rp-messages .msg.customer .bubble"));
    assert!(!opening.is_empty());
    assert!(b.text(&b.find("#rp-messages .msg.customer .badge")).contains("焦虑"));

    // The page is never reloaded while the agent types: the replies go through the API.
    b.execute("window.__sameDocument = true;", vec![]);
    let mut sent = Vec::new();
    for text in GOOD {
        if b.try_find("#rp-debrief-link").is_some() {
            break;
        }
        let before = b.find_all("#rp-messages .msg.agent").len();
        b.send_keys(&reply, text);
        b.click(&b.find("#rp-send"));
        b.wait_until("the reply and the customer's reaction", |b| (b.find_all("#rp-messages .msg.agent").len() == before + 1).then_some(()));
        let number = before + 1;
        let overall = b.text(&b.find(&format!("#rp-turn-{number} .rp-score.sc-overall dd")));
        assert!(overall.parse::<u32>().is_ok(), "reply {number} has an overall score: {overall:?}");
        assert_eq!(b.text(&b.find(&format!("#rp-turn-{number} .bubble"))), text);
        sent.push(text);
    }
    let link = b.wait_for("#rp-debrief-link");
    assert_eq!(b.attribute(&b.find("#rp-outcome"), "data-outcome").as_deref(), Some("resolved"));
    assert!(b.text(&b.find("#rp-outcome")).contains("已解决"));
    assert!(b.try_find("#rp-reply").is_none(), "the reply box is gone");
    assert_eq!(b.execute("return window.__sameDocument === true;", vec![]), json!(true));
    assert!(b.text(&b.find("#rp-emotion")).contains("满意"), "{}", b.text(&b.find("#rp-emotion")));
    assert_eq!(sent.len(), 3);
    b.screenshot(&screenshot_dir().join("roleplay-chat.png"));

    // The debrief quotes each of the agent's lines with its scores.
    b.click(&link);
    b.wait_for("#rp-debrief");
    assert!(b.text(&b.find("#rp-debrief-outcome")).contains("已解决"));
    for (i, text) in sent.iter().enumerate() {
        let turn = b.find(&format!("#rp-debrief-turn-{} .rp-quote", i + 1));
        assert!(b.text(&turn).contains(text), "reply {} quoted", i + 1);
    }
    assert_eq!(b.find_all("#rp-chart .rp-bar").len(), 7);
    b.set_window_size(1366, 1500);
    let overflow = b.execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![]);
    assert_eq!(overflow, json!(0), "nothing wider than the window");
    b.screenshot(&screenshot_dir().join("roleplay-debrief.png"));

    // Reloading the chat shows the same conversation, rebuilt from the stored replies.
    b.goto(&format!("{}/academy/roleplay", app.base));
    b.wait_for("#rp-mine");
    assert!(b.text(&b.find("#rp-mine")).contains("已解决"));
}
