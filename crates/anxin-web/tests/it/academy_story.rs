//! The training academy in a real headless Chromium: an agent follows their plan from the self-assessment to a
//! passed quiz and a resolved role-play, and a trainer who shares a team with them sees it on the team page. The
//! run saves the README's screenshots (`academy-plan.png`, `academy-quiz.png`, `academy-team.png`).

use serde_json::json;

use crate::support::*;
use crate::webdriver::*;

/// Acknowledge the worry, give the tracking fact, a time-bound next step (the scenario's model answers, in the
/// agent's words): resolves the anxious late-delivery customer.
const GOOD: [&str; 3] = [
    "理解您的着急，孩子的生日礼物肯定想准时收到，换作是我也会着急。",
    "我刚查了，包裹因为暴雨在武汉转运中心滞留了三天，今天上午已经重新分拣发出，目前在去长沙的路上。",
    "预计明天到长沙岳麓网点，后天上午派送。我已经为您申请加急，明天下午3点前我再查一次，把最新位置发给您。",
];

const AREAS: [&str; 9] =
    ["listening_empathy", "clear_answers", "anxious_customers", "product_knowledge", "order_exceptions", "stress_coping", "angry_customers", "irrational_complaints", "teamwork"];

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

/// Clicks and waits for a new page that has `ready` (the old page is marked, so nothing of it is read by mistake).
fn click_to(b: &Browser, target: &Element, ready: &str) {
    b.execute("window.__leaving = true;", vec![]);
    b.click(target);
    b.wait_until(&format!("the page with {ready}"), |b| {
        let found = b.execute("return !window.__leaving && document.readyState === 'complete' && !!document.querySelector(arguments[0]);", vec![json!(ready)]);
        (found == json!(true)).then_some(())
    });
}

/// The starter curriculum's right answers to a module's quiz: (question id, letters).
fn right_answers(module: &str) -> Vec<(String, Vec<char>)> {
    let files: Vec<(String, String)> = anxin_web::training::STARTER_CURRICULUM.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    let curriculum = anxin_domain::training::import(&files).unwrap();
    curriculum.module(module).unwrap().questions().iter().map(|q| (q.id().to_string(), q.answer().iter().map(|a| a.letter()).collect())).collect()
}

#[test]
fn an_agent_follows_the_plan_passes_a_quiz_resolves_a_roleplay_and_the_trainer_sees_it() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let agent_id = user_id(&mut admin, "agent");
    let trainer_id = user_id(&mut admin, "trainer");

    // The agent signs in, opens the academy and fills the self-assessment: unsure about anxious customers.
    let b = Browser::start("zh-CN");
    sign_in_at(&b, &app, "agent", "/inbox", ".workspace");
    click_to(&b, &b.find("#nav-academy"), "#sa-form");
    for area in AREAS {
        let level = if area == "anxious_customers" { 1 } else { 4 };
        b.click(&b.find(&format!("#sa-{area}-{level}")));
    }
    click_to(&b, &b.find("#sa-submit"), "#plan");
    assert!(b.text(&b.find("#academy-notice")).contains("自评已保存"));

    // The plan says why: the module, its lessons, its quiz and the late-delivery role-play, each with its reason.
    let roleplay = b.text(&b.find("#plan-roleplay-late-delivery-anxiety"));
    assert!(roleplay.contains("生日礼物迟迟不到") && roleplay.contains("自评「安抚焦虑的顾客」为 1/5"), "{roleplay}");
    let quiz = b.text(&b.find("#plan-quiz-communication"));
    assert!(quiz.contains("沟通技巧 测验") && quiz.contains("还没有做过「沟通技巧」的测验"), "{quiz}");
    assert!(b.try_find("#plan-lesson-comm-reading-emotions").is_some());
    b.set_window_size(1366, 1400);
    b.screenshot(&screenshot_dir().join("academy-plan.png"));

    // The module quiz, from the plan: every question answered right.
    click_to(&b, &b.find("#plan-quiz-communication .plan-title"), "#quiz-form");
    for (question, letters) in right_answers("communication") {
        for letter in letters {
            b.click(&b.find(&format!("#q-{question}-{letter}")));
        }
    }
    click_to(&b, &b.find("#quiz-submit"), "#quiz-result");
    assert!(b.text(&b.find("#quiz-score")).contains("100%"), "{}", b.text(&b.find("#quiz-score")));
    assert!(b.find_all(".qr.wrong").is_empty() && !b.find_all(".qr.right .explanation").is_empty());
    b.screenshot(&screenshot_dir().join("academy-quiz.png"));
    click_to(&b, &b.find("#result-plan"), "#plan");
    let done = b.attribute(&b.find("#plan-quiz-communication"), "class").unwrap_or_default();
    assert!(done.contains("done"), "a passed quiz completes its item: {done}");

    // The role-play, started from the plan: acknowledge, the tracking fact, a time-bound next step.
    click_to(&b, &b.find("#plan-start-late-delivery-anxiety"), "#rp-reply");
    for text in GOOD {
        if b.try_find("#rp-debrief-link").is_some() {
            break;
        }
        let before = b.find_all("#rp-messages .msg.agent").len();
        b.send_keys(&b.find("#rp-reply"), text);
        b.click(&b.find("#rp-send"));
        b.wait_until("the reply and the customer's reaction", |b| (b.find_all("#rp-messages .msg.agent").len() == before + 1).then_some(()));
    }
    let link = b.wait_for("#rp-debrief-link");
    assert_eq!(b.attribute(&b.find("#rp-outcome"), "data-outcome").as_deref(), Some("resolved"));
    click_to(&b, &link, "#rp-debrief");
    assert!(b.text(&b.find("#rp-debrief-outcome")).contains("已解决"));

    // Back in the academy, the role-play item is done.
    click_to(&b, &b.find("#nav-academy"), "#plan");
    let item = b.attribute(&b.find("#plan-roleplay-late-delivery-anxiety"), "class").unwrap_or_default();
    assert!(item.contains("done"), "a resolved role-play completes its item: {item}");

    // A trainer who shares a team with the agent sees the quiz score and the role-play on the team page.
    let (status, team) = admin.post("/api/v1/teams", &json!({"name": "售后一组"}));
    assert_eq!(status, 201, "{team}");
    let team_id = team["team"]["id"].as_i64().unwrap();
    for member in [agent_id, trainer_id] {
        let (status, body) = admin.post(&format!("/api/v1/teams/{team_id}/members"), &json!({"user_id": member}));
        assert!(status == 200 || status == 201, "{status} {body}");
    }
    let t = Browser::start("zh-CN");
    sign_in_at(&t, &app, "trainer", "/academy/team", "#team-progress");
    let row = format!("#trainee-{agent_id}");
    let quiz = t.text(&t.find(&format!("{row} .t-quiz")));
    assert!(quiz.contains("沟通技巧 100%"), "{quiz}");
    let played = t.text(&t.find(&format!("{row} .t-roleplay")));
    assert!(played.contains("生日礼物迟迟不到") && played.contains("已解决"), "{played}");
    assert!(t.text(&t.find(&format!("{row} .t-plan"))).contains(" / "));
    t.set_window_size(1366, 900);
    t.screenshot(&screenshot_dir().join("academy-team.png"));

    // The trainer opens the agent's plan from the team page.
    click_to(&t, &t.find(&format!("{row} a.person")), "#coach-add");
    assert!(t.text(&t.find("h1")).contains("agent 的学习计划"));
}
