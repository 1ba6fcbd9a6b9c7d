//! The training academy against a real server (both backends): an agent self-assesses through the form (a missing
//! area comes back with what was chosen), gets a plan with its reasons in three languages, reads a lesson, passes
//! one quiz and fails another (the result page explains every question; the plan sends them back to the lessons),
//! and real-work signals (tone-check flags) reach the plan. A trainer who shares a team sees the agent's figures on
//! the team page and adjusts the plan (who and when recorded; a stale form is refused); the curriculum is imported
//! (a broken file named with its line, nothing taken), edited per item through the form (hostile Markdown shown
//! safely), exported and reset. Hostile cases: another agent, a trainer without a shared team, agents on coach pages,
//! API tokens, forms without the CSRF token, unknown ids.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

/// The starter curriculum from `content/training` (for the right answers).
fn curriculum() -> anxin_domain::training::Curriculum {
    fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() { collect(&path, found) } else { found.push(path) }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/training");
    let mut paths = Vec::new();
    collect(&root.join("modules"), &mut paths);
    let files: Vec<(String, String)> =
        paths.iter().map(|p| (p.strip_prefix(&root).unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(p).unwrap())).collect();
    anxin_domain::training::import(&files).unwrap()
}

/// Form pairs answering every question of a module: right, or every one wrong.
fn answers(module: &str, right: bool) -> Vec<(String, String)> {
    let c = curriculum();
    let mut pairs = Vec::new();
    for q in c.module(module).unwrap().questions() {
        let letters: Vec<char> = if right {
            q.answer().iter().map(|a| a.letter()).collect()
        } else {
            let wrong = (0..q.choice_count()).find(|i| !q.answer().iter().any(|a| a.index() == *i)).unwrap();
            vec![(b'A' + wrong as u8) as char]
        };
        for l in letters {
            pairs.push((q.id().to_string(), l.to_string()));
        }
    }
    pairs
}

/// Posts the import form as `multipart/form-data`: (field, file name, content); returns (status, page, Location).
fn upload(client: &mut Client, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, String, String) {
    let boundary = "----anxin-academy-test-boundary";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file {
            Some(f) => format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/markdown\r\n\r\n"),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let ((status, body), headers) = client.request_full("POST", "/academy/admin/import", Some((&content_type, body)));
    let location = headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_owned();
    (status, html(&body).to_owned(), location)
}

fn page(client: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = client.get(path);
    (status, html(&body).to_owned())
}

fn post_form(client: &mut Client, path: &str, pairs: &[(String, String)]) -> (u16, String, String) {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    submit(client, path, &borrowed)
}

/// Every skill area at level 4, `anxious_customers` at 1.
fn assessment(csrf: &str, skip: Option<&str>) -> Vec<(String, String)> {
    let areas = ["listening_empathy", "clear_answers", "anxious_customers", "product_knowledge", "order_exceptions", "stress_coping", "angry_customers", "irrational_complaints", "teamwork"];
    let mut pairs = vec![("csrf".to_owned(), csrf.to_owned())];
    for area in areas.iter().filter(|a| Some(**a) != skip) {
        pairs.push((format!("area.{area}"), if *area == "anxious_customers" { "1" } else { "4" }.to_owned()));
    }
    pairs
}

fn plan_items(plan: &Value) -> Vec<(String, String)> {
    plan["items"].as_array().unwrap().iter().map(|i| (i["kind"].as_str().unwrap().to_owned(), i["target"].as_str().unwrap().to_owned())).collect()
}

fn item<'a>(plan: &'a Value, kind: &str, target: &str) -> &'a Value {
    plan["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind && i["target"] == target).unwrap_or_else(|| panic!("{kind} {target} in {plan}"))
}

#[test]
fn academy_story() {
    for db in backends() {
        story(TestApp::spawn(db));
    }
}

fn story(app: TestApp) {
    let mut admin = app.login("admin");
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "agent2", "display_name": "小林", "role": "agent", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    let agent_id = user_id(&mut admin, "agent");
    let agent2_id = user_id(&mut admin, "agent2");
    let mut agent = app.login("agent");
    let mut agent2 = app.login("agent2");
    let mut trainer = app.login("trainer");
    let csrf = csrf(&agent);

    // ----- the curriculum, read by everyone -----
    let (status, cur) = agent.get("/api/v1/academy/curriculum");
    assert_eq!(status, 200, "{cur}");
    assert_eq!((cur["starter"].as_bool(), cur["modules"].as_array().unwrap().len()), (Some(true), 6));
    let (status, lesson) = agent.get("/api/v1/academy/lessons/comm-listening?lang=en");
    assert_eq!((status, lesson["lang"].as_str()), (200, Some("en")), "{lesson}");
    assert!(lesson["html"].as_str().unwrap().contains("<p>"));
    let (_, quiz) = agent.get("/api/v1/academy/quiz/communication");
    assert!(quiz["questions"].as_array().unwrap().iter().all(|q| q.get("answer").is_none()), "the quiz never carries its answers");
    assert_eq!(agent.get("/api/v1/academy/modules/no-such-module").0, 404);
    assert_eq!(agent.get("/api/v1/academy/modules/..%2Fetc").0, 400);
    assert_eq!(page(&mut agent, "/academy/lessons/no-such-lesson").0, 404);

    // ----- /academy: the self-assessment first -----
    let (status, home) = page(&mut agent, "/academy");
    assert_eq!(status, 200);
    assert!(home.contains("id=\"sa-form\"") && home.contains("id=\"sa-first\"") && !home.contains("id=\"plan\""), "{home}");
    assert!(home.contains("id=\"module-communication\""));
    let (status, refused, _) = post_form(&mut agent, "/academy/self-assessment", &assessment(&csrf, Some("teamwork")));
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"sa-error\"") && refused.contains("id=\"sa-teamwork\" aria-invalid=\"true\""), "{refused}");
    assert!(refused.contains("id=\"sa-anxious_customers-1\" checked"), "what was chosen comes back");
    let (status, _, _) = post_form(&mut agent, "/academy/self-assessment", &assessment("not-the-token", None));
    assert_eq!(status, 403, "no CSRF token, no change");
    let (status, _, location) = post_form(&mut agent, "/academy/self-assessment", &assessment(&csrf, None));
    assert_eq!((status, location.as_str()), (303, "/academy?ok=sa#plan"));
    let (_, home) = page(&mut agent, "/academy?ok=sa");
    assert!(home.contains("id=\"academy-notice\"") && home.contains("id=\"plan\"") && !home.contains("id=\"sa-form\""), "{home}");
    assert!(home.contains("id=\"plan-roleplay-late-delivery-anxiety\"") && home.contains("id=\"plan-start-late-delivery-anxiety\""));
    assert!(home.contains("id=\"plan-quiz-communication\""));
    assert!(home.contains("自评「安抚焦虑的顾客」为 1/5"), "the reason, worded");
    let (_, english) = page(&mut agent, "/academy?lang=en");
    assert!(english.contains("My learning plan") && english.contains("You rated “Reassuring anxious customers” 1 of 5"));
    let (_, traditional) = page(&mut agent, "/academy?lang=zh-Hant");
    assert!(traditional.contains("我的學習計畫") && traditional.contains("自評「安撫焦慮的顧客」為 1/5"));
    let (_, plan) = agent.get("/api/v1/academy/plan");
    let plan = plan["plan"].clone();
    assert!(plan_items(&plan).contains(&("module".into(), "communication".into())), "{plan}");
    assert_eq!(item(&plan, "roleplay", "late-delivery-anxiety")["reasons"][0]["kind"], "self_assessment");

    // ----- a lesson, read to its end -----
    let (status, lesson_page) = page(&mut agent, "/academy/lessons/comm-reading-emotions");
    assert_eq!(status, 200);
    assert!(lesson_page.contains("id=\"lesson-body\"") && lesson_page.contains("id=\"lesson-done\""));
    let (status, _, location) = submit(&mut agent, "/academy/lessons/comm-reading-emotions/done", &[("csrf", &csrf)]);
    assert_eq!((status, location.as_str()), (303, "/academy/lessons/comm-reading-emotions?ok=lesson"));
    let (_, plan) = agent.get("/api/v1/academy/plan");
    assert!(item(&plan["plan"], "lesson", "comm-reading-emotions")["done_at"].is_i64());
    let (_, module_page) = page(&mut agent, "/academy/modules/communication");
    assert!(module_page.contains("id=\"case-comm-case-size-anger\"") && module_page.contains("class=\"turn turn-customer\""), "cases with their conversation");

    // ----- quizzes: a pass through the form, a failure through the API -----
    let (_, quiz_page) = page(&mut agent, "/academy/quiz/communication");
    assert!(quiz_page.contains("id=\"quiz-submit\"") && quiz_page.contains("type=\"checkbox\"") && quiz_page.contains("type=\"radio\""));
    let mut form = vec![("csrf".to_owned(), csrf.clone())];
    form.extend(answers("communication", true));
    let (status, _, location) = post_form(&mut agent, "/academy/quiz/communication", &form);
    assert_eq!(status, 303);
    assert!(location.starts_with("/academy/quiz/communication/attempts/"), "{location}");
    let (status, result) = page(&mut agent, location.split('#').next().unwrap());
    assert_eq!(status, 200);
    assert!(result.contains("id=\"quiz-score\"") && result.contains("100%") && result.contains("class=\"qr right\""), "{result}");
    let (_, plan) = agent.get("/api/v1/academy/plan");
    assert!(item(&plan["plan"], "quiz", "communication")["done_at"].is_i64(), "a pass completes the quiz item");

    let mut wrong = BTreeMap::new();
    for (q, letter) in answers("conflict-management", false) {
        wrong.entry(q).or_insert_with(Vec::new).push(letter);
    }
    let (status, failed) = agent.post("/api/v1/academy/quiz/conflict-management", &json!({"answers": wrong}));
    assert_eq!(status, 201, "{failed}");
    let attempt = &failed["attempt"];
    assert_eq!((attempt["percent"].as_u64(), attempt["passed"].as_bool()), (Some(0), Some(false)));
    assert!(attempt["results"].as_array().unwrap().iter().all(|r| r["correct"] == false && r["explanation_html"].as_str().is_some_and(|h| !h.is_empty())));
    let (_, plan) = agent.get("/api/v1/academy/plan");
    let retake = item(&plan["plan"], "quiz", "conflict-management");
    assert_eq!(retake["reasons"][0]["kind"], "quiz_score");
    assert!(retake["reason_texts"][0].as_str().unwrap().contains("0%"));
    assert!(plan["plan"]["items"].as_array().unwrap().iter().any(|i| i["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "quiz_missed")));
    let (status, bad) = agent.post("/api/v1/academy/quiz/conflict-management", &json!({"answers": {"comm-q-restate": ["A"]}}));
    assert_eq!((status, bad["error"]["details"]["field"].as_str()), (422, Some("answers.comm-q-restate")), "another module's question");
    assert_eq!(agent.post("/api/v1/academy/quiz/conflict-management", &json!({"answers": {"conf-q-type": ["Z"]}})).0, 422);
    assert_eq!(agent.post("/api/v1/academy/quiz/no-such-module", &json!({"answers": {}})).0, 404);

    // ----- real-work signals reach the plan -----
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for _ in 0..3 {
        let details = json!({"message_id": 1, "score": 30, "verdict": "rewrite", "problems": ["impatient"], "sent_anyway": true});
        rt.block_on(app.store.record_audit(1, format!("user:{agent_id}"), "reply.tone_flagged", "conversation:1".into(), details)).unwrap();
    }
    let org = rt.block_on(app.store.user(1, agent_id)).map(|u| u.org_id).unwrap();
    assert_eq!(org, 1);
    let (status, _, _) = submit(&mut agent, "/academy/plan/refresh", &[("csrf", &csrf)]);
    assert_eq!(status, 303);
    let (_, home) = page(&mut agent, "/academy");
    assert!(home.contains("3 次回复被语气检查提示「不耐烦」"), "{home}");

    // ----- privacy: another agent, a trainer without a shared team -----
    assert_eq!(agent2.get(&format!("/api/v1/academy/plan?user_id={agent_id}")).0, 404);
    assert_eq!(agent2.get(&format!("/api/v1/academy/quiz-attempts?user_id={agent_id}")).0, 404);
    assert_eq!(agent2.get(&format!("/api/v1/academy/quiz-attempts/{}", attempt["id"])).0, 404);
    assert_eq!(page(&mut agent2, &format!("/academy/progress?user={agent_id}")).0, 404);
    assert_eq!(page(&mut agent2, &format!("/academy/quiz/conflict-management/attempts/{}", attempt["id"])).0, 404);
    assert_eq!(agent2.get("/api/v1/academy/team").0, 403);
    assert_eq!(page(&mut agent2, "/academy/team").0, 403);
    assert_eq!(page(&mut agent2, "/academy/admin").0, 403);
    assert_eq!(page(&mut agent2, &format!("/academy/people/{agent_id}")).0, 403);
    let add = json!({"user_id": agent_id, "kind": "lesson", "target": "team-handover"});
    assert_eq!(agent2.post("/api/v1/academy/plan/items", &add).0, 404);
    assert_eq!(agent.post("/api/v1/academy/plan/items", &add).0, 403, "an agent does not adjust their own plan");
    let (_, team) = trainer.get("/api/v1/academy/team");
    assert_eq!(team["trainees"], json!([]), "no shared team yet");
    assert!(page(&mut trainer, "/academy/team").1.contains("id=\"team-empty\""));
    assert_eq!(trainer.get(&format!("/api/v1/academy/plan?user_id={agent_id}")).0, 404);
    assert_eq!(page(&mut trainer, &format!("/academy/people/{agent_id}")).0, 404);

    // ----- a trainer who shares a team -----
    let (_, t) = admin.post("/api/v1/teams", &json!({"name": "售后一组"}));
    let team_id = t["team"]["id"].as_i64().unwrap();
    let trainer_id = user_id(&mut admin, "trainer");
    for member in [agent_id, trainer_id] {
        let (status, body) = admin.post(&format!("/api/v1/teams/{team_id}/members"), &json!({"user_id": member}));
        assert!(status == 200 || status == 201, "{status} {body}");
    }
    let (status, team) = trainer.get("/api/v1/academy/team");
    assert_eq!(status, 200, "{team}");
    let trainees = team["trainees"].as_array().unwrap();
    assert_eq!(trainees.len(), 1, "only the agent who shares the team");
    assert_eq!(trainees[0]["person"]["user_id"], agent_id);
    assert_eq!(trainees[0]["latest_quiz"]["percent"], 0);
    assert_eq!(trainees[0]["quiz_scores"], json!([100, 0]));
    let (_, team_page) = page(&mut trainer, "/academy/team");
    assert!(team_page.contains("id=\"team-progress\"") && team_page.contains(&format!("id=\"trainee-{agent_id}\"")), "{team_page}");
    assert!(team_page.contains("冲突管理 0%") && !team_page.contains(&format!("id=\"trainee-{agent2_id}\"")));
    let (_, admin_team) = admin.get("/api/v1/academy/team");
    assert_eq!(admin_team["trainees"].as_array().unwrap().len(), 2, "an admin coaches every agent");

    // The trainer adjusts the plan through the page: an item with a note; a stale form is refused; a removal.
    let (_, person) = page(&mut trainer, &format!("/academy/people/{agent_id}"));
    assert!(person.contains("id=\"coach-add\"") && person.contains("value=\"lesson:team-handover\""));
    let (_, plan) = trainer.get(&format!("/api/v1/academy/plan?user_id={agent_id}"));
    let version = plan["plan"]["version"].as_i64().unwrap().to_string();
    let tcsrf = crate::support::csrf(&trainer);
    let people = format!("/academy/people/{agent_id}");
    let (status, _, location) = submit(&mut trainer, &people, &[("csrf", &tcsrf), ("action", "add"), ("version", &version), ("target", "lesson:team-handover"), ("note", "下周轮岗前看完")]);
    assert_eq!((status, location), (303, format!("{people}?ok=saved#plan")));
    let (status, _, location) = submit(&mut trainer, &people, &[("csrf", &tcsrf), ("action", "add"), ("version", &version), ("target", "lesson:team-feedback-support")]);
    assert_eq!((status, location), (303, format!("{people}?ok=changed#plan")), "the form was made on an older plan");
    let (status, refused, _) = submit(&mut trainer, &people, &[("csrf", &tcsrf), ("action", "add"), ("target", "lesson:team-feedback-support"), ("note", &"长".repeat(301))]);
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"coach-note-error\""));
    let (status, _, _) = submit(&mut trainer, &people, &[("csrf", &tcsrf), ("action", "add"), ("target", "lesson:no-such-lesson")]);
    assert_eq!(status, 422);
    let (_, home) = page(&mut agent, "/academy");
    assert!(home.contains("id=\"plan-lesson-team-handover\"") && home.contains("下周轮岗前看完") && home.contains("trainer 为你添加"), "{home}");
    let (_, plan) = agent.get("/api/v1/academy/plan");
    let added = item(&plan["plan"], "lesson", "team-handover");
    assert_eq!((added["source"].as_str(), added["added_by"].as_i64()), (Some("coach"), Some(trainer_id)));
    let removed = item(&plan["plan"], "roleplay", "late-delivery-anxiety")["id"].as_i64().unwrap();
    let (status, _) = trainer.request("DELETE", &format!("/api/v1/academy/plan/items/{removed}?user_id={agent_id}"), None);
    assert_eq!(status, 200);
    let (_, plan) = agent.get("/api/v1/academy/plan");
    assert!(!plan_items(&plan["plan"]).contains(&("roleplay".into(), "late-delivery-anxiety".into())));
    let changes: Vec<&str> = plan["plan"]["changes"].as_array().unwrap().iter().map(|c| c["action"].as_str().unwrap()).collect();
    assert_eq!(&changes[..2], ["removed", "added"]);
    // The agent marks an item done; a coach's note through the API; an agent cannot note.
    let open = added["id"].as_i64().unwrap();
    let (status, patched) = agent.patch(&format!("/api/v1/academy/plan/items/{open}"), &json!({"done": true}));
    assert_eq!(status, 200, "{patched}");
    assert_eq!(agent.patch(&format!("/api/v1/academy/plan/items/{open}"), &json!({"note": "x"})).0, 403);
    assert_eq!(agent2.patch(&format!("/api/v1/academy/plan/items/{open}"), &json!({"done": false})).0, 404, "agent2's own plan has no such item");
    let (status, _) = trainer.patch(&format!("/api/v1/academy/plan/items/{open}"), &json!({"user_id": agent_id, "note": "做得好"}));
    assert_eq!(status, 200);

    // Progress: the agent's own and the trainer's view; agent2 sees nothing of it.
    let (status, progress) = page(&mut agent, "/academy/progress");
    assert_eq!(status, 200);
    assert!(progress.contains("id=\"quiz-trend-t\"") && progress.contains("id=\"progress-roleplay\"") && progress.contains("id=\"progress-csat\""), "{progress}");
    let (status, theirs) = page(&mut trainer, &format!("/academy/progress?user={agent_id}"));
    assert_eq!(status, 200);
    assert!(theirs.contains("agent 的学习进度"));
    let (_, api) = trainer.get(&format!("/api/v1/academy/progress?user_id={agent_id}"));
    assert_eq!(api["quiz_attempts"].as_array().unwrap().len(), 2);

    // ----- the curriculum, edited by a trainer -----
    assert_eq!(agent.get("/api/v1/academy/curriculum/export").0, 403);
    assert_eq!(agent.post("/api/v1/academy/curriculum/import", &json!({"files": [{"name": "x.md", "text": "x"}]})).0, 403);
    let (status, exported) = trainer.get("/api/v1/academy/curriculum/export");
    assert_eq!(status, 200);
    let files = exported["files"].as_array().unwrap().clone();
    assert!(files.len() >= 186);
    let mut broken = files.clone();
    let at = broken.iter().position(|f| f["name"] == "modules/communication/quiz/comm-q-restate.en.md").unwrap();
    broken[at]["text"] = json!(broken[at]["text"].as_str().unwrap().replace("answer = [\"C\"]", "answer = [\"E\"]"));
    let (status, refused) = trainer.post("/api/v1/academy/curriculum/import", &json!({"files": broken}));
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("import_invalid")), "{refused}");
    let first = refused["error"]["details"]["errors"][0]["text"].as_str().unwrap();
    assert!(first.starts_with("modules/communication/quiz/comm-q-restate.en.md:11: answer:"), "{first}");
    assert_eq!(trainer.get("/api/v1/academy/curriculum").1["starter"], true, "nothing was imported");
    let (status, imported) = trainer.post("/api/v1/academy/curriculum/import", &json!({"files": files, "expected_version": 0}));
    assert_eq!(status, 200, "{imported}");
    assert_eq!((imported["stamp"]["version"].as_i64(), imported["counts"]["modules"].as_u64()), (Some(1), Some(6)));
    let (status, stale) = trainer.post("/api/v1/academy/curriculum/import", &json!({"files": files, "expected_version": 0}));
    assert_eq!((status, stale["error"]["code"].as_str()), (409, Some("conflict")));

    // The lesson form: hostile Markdown saved and shown as text; a bad minute count comes back; a stale form too.
    let (status, form) = page(&mut trainer, "/academy/admin/edit/comm-listening/zh-Hans");
    assert_eq!(status, 200);
    assert!(form.contains("id=\"edit-form\"") && form.contains("name=\"version\" value=\"1\""));
    let body = "先听懂，再回答。\n\n<script>window.__x=1</script> <img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n\n✗ 请耐心等待。\n✓ 您是说 10 号前要用，对吗？";
    let edit = |title: &str, minutes: &str, version: &str| {
        vec![("csrf", tcsrf.as_str()), ("version", version), ("title", title), ("minutes", minutes), ("body", body)].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>()
    };
    let (status, refused, _) = post_form(&mut trainer, "/academy/admin/edit/comm-listening/zh-Hans", &edit("积极倾听（本店版）", "999", "1"));
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"edit-minutes-error\"") && refused.contains("积极倾听（本店版）"), "{refused}");
    let (status, refused, _) = post_form(&mut trainer, "/academy/admin/edit/comm-listening/zh-Hans", &edit("", "12", "1"));
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"edit-title-error\""), "a blank title is named at its field");
    let (status, _, location) = post_form(&mut trainer, "/academy/admin/edit/comm-listening/zh-Hans", &edit("积极倾听（本店版）", "12", "1"));
    assert_eq!((status, location.as_str()), (303, "/academy/admin?ok=edited#item-comm-listening"));
    let (status, stale, _) = post_form(&mut trainer, "/academy/admin/edit/comm-listening/zh-Hans", &edit("再改一次", "12", "1"));
    assert_eq!(status, 409);
    assert!(stale.contains("再改一次"), "what was typed comes back");
    let (_, lesson_page) = page(&mut agent, "/academy/lessons/comm-listening");
    assert!(lesson_page.contains("积极倾听（本店版）"));
    assert!(!lesson_page.contains("<script>window.__x") && !lesson_page.contains("<img src=x") && !lesson_page.contains("href=\"javascript:"), "{lesson_page}");
    assert!(lesson_page.contains("&lt;script&gt;"), "raw HTML shown as text");
    let (_, english) = agent.get("/api/v1/academy/lessons/comm-listening?lang=en");
    assert_ne!(english["title"], "积极倾听（本店版）", "the English variant keeps its own text");
    // The question form, through the API: the answer changed in every language.
    let item_edit = json!({"expected_version": 2, "item": {"kind": "question", "prompt": "哪句复述最好？", "choices": ["甲", "乙", "丙", "丁"], "answer": ["A"], "type": "single", "explanation": "因为甲。"}});
    let (status, saved) = trainer.request("PUT", "/api/v1/academy/curriculum/items/comm-q-restate/zh-Hans", Some(("application/json", item_edit.to_string().into_bytes())));
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["stamp"]["version"], 3);
    let mut right = BTreeMap::new();
    right.insert("comm-q-restate", vec!["A"]);
    let (_, graded) = agent.post("/api/v1/academy/quiz/communication", &json!({"answers": right}));
    assert_eq!(graded["attempt"]["results"].as_array().unwrap().iter().find(|r| r["question"] == "comm-q-restate").unwrap()["correct"], true);
    // The admin page lists the items and the stored version; reset goes back to the starter curriculum.
    let (_, admin_page) = page(&mut trainer, "/academy/admin");
    assert!(admin_page.contains("id=\"curriculum-status\" data-version=\"3\"") && admin_page.contains("id=\"edit-comm-listening-zh-Hant\""));
    let (status, _, location) = submit(&mut trainer, "/academy/admin/reset", &[("csrf", &tcsrf), ("version", "3")]);
    assert_eq!((status, location.as_str()), (303, "/academy/admin?ok=reset"));
    assert_eq!(trainer.get("/api/v1/academy/curriculum").1["starter"], true);

    // The import form: a broken Markdown file is named with its line and nothing is taken; the exported JSON
    // file imports whole.
    let lesson_file = files.iter().find(|f| f["name"] == "modules/communication/lessons/comm-listening.zh-Hans.md").unwrap();
    let broken = lesson_file["text"].as_str().unwrap().replace("minutes = ", "minutes = -");
    let (status, refused, _) = upload(&mut trainer, &[("csrf", None, tcsrf.as_bytes()), ("version", None, b"0"), ("files", Some("comm-listening.zh-Hans.md"), broken.as_bytes())]);
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"import-errors\"") && refused.contains("comm-listening.zh-Hans.md:8: minutes:"), "{refused}");
    assert_eq!(trainer.get("/api/v1/academy/curriculum").1["starter"], true, "nothing was imported");
    let (status, _, _) = upload(&mut trainer, &[("csrf", None, b"wrong"), ("files", Some("x.json"), exported.to_string().as_bytes())]);
    assert_eq!(status, 403);
    let (status, _, location) = upload(&mut trainer, &[("csrf", None, tcsrf.as_bytes()), ("version", None, b"0"), ("files", Some("anxin-curriculum.json"), exported.to_string().as_bytes())]);
    assert_eq!((status, location.as_str()), (303, "/academy/admin?ok=imported&m=6&l=32&q=42"));
    assert!(page(&mut trainer, &location).1.contains("课程已导入：6 个模块、32 节课、42 道题。"));
    assert_eq!(page(&mut agent, "/academy/admin").0, 403);

    // ----- API tokens name the person; they have no plan of their own -----
    let (_, token) = admin.post("/api/v1/tokens", &json!({"name": "lms", "role": "admin"}));
    let mut integration = Client::new(&app);
    integration.bearer = token["token"].as_str().map(str::to_owned);
    assert_eq!(integration.get("/api/v1/academy/plan").0, 422);
    assert_eq!(integration.get(&format!("/api/v1/academy/plan?user_id={agent_id}")).0, 200, "an admin token coaches every agent");
    assert_eq!(integration.post("/api/v1/academy/self-assessment", &json!({"answers": {}})).0, 403);
}
