//! A trainer turning a resolved conversation into a worked case of the curriculum (`/academy/cases/new`): the
//! customer's phone number masked in the draft, the saved file and the module page; coaches only; resolved
//! conversations of the organisation only; a broken file refused naming its line with the text kept; CSRF.

use serde_json::json;

use crate::support::*;

/// A customer writes (with a phone number) and the agent answers; the conversation's id.
fn real_case(app: &TestApp, agent: &mut Client) -> i64 {
    let mut visitor = app.visitor();
    let (status, sent) = visitor.send("c-case", "我的快递三天没动了，电话13812345678，孩子生日要用，急死了");
    assert_eq!(status, 201, "{sent}");
    let id = sent["conversation_id"].as_i64().unwrap();
    let reply = "理解您的着急，我查到包裹目前在武汉转运中心，明天下午3点前我再联系您。";
    let (status, body) = agent.post(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": reply}));
    assert_eq!(status, 201, "{body}");
    id
}

fn page(client: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = client.get(path);
    (status, html(&body).to_owned())
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// The case file draft in the page's textarea.
fn textarea(body: &str) -> String {
    let start = body.find("id=\"case-text\"").expect("the case file field");
    let open = start + body[start..].find('>').unwrap() + 1;
    let close = open + body[open..].find("</textarea>").unwrap();
    unescape(&body[open..close])
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    body[at..at + body[at..].find('"').unwrap()].to_owned()
}

#[test]
fn a_trainer_turns_a_resolved_conversation_into_a_masked_case() {
    let app = TestApp::spawn(None);
    let mut agent = app.login("agent");
    let mut trainer = app.login("trainer");
    let token = csrf(&trainer);
    let conversation = real_case(&app, &mut agent);
    let path = format!("/academy/cases/new?from={conversation}");

    // Coaches only; an open conversation is refused; another organisation's is not there.
    assert_eq!(page(&mut agent, "/academy/cases/new").0, 403);
    assert_eq!(page(&mut agent, &path).0, 403);
    let (status, body) = page(&mut trainer, &path);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("id=\"case-problem\"") && !body.contains("id=\"case-form\""));
    let (status, _, _) = submit(&mut trainer, "/academy/cases/new", &[("csrf", &token), ("from", &conversation.to_string()), ("version", "0"), ("module", "communication"), ("id", "case-x"), ("text", "x")]);
    assert_eq!(status, 409, "an open conversation is refused on save too");
    let (status, _) = agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"}));
    assert_eq!(status, 200);
    assert_eq!(page(&mut trainer, &format!("/academy/cases/new?from={}", app.other_org_conversation)).0, 404);

    // The list, the links from the inbox and the curriculum admin.
    let (status, body) = page(&mut trainer, "/academy/cases/new");
    assert_eq!(status, 200);
    assert!(body.contains(&format!("id=\"case-draft-{conversation}\"")) && !body.contains("13812345678"), "candidates, masked");
    assert!(page(&mut trainer, "/academy/admin").1.contains("id=\"admin-new-case\""));
    let mut lead = app.login("lead");
    let (_, inbox) = page(&mut lead, &format!("/inbox?c={conversation}&view=all"));
    assert!(inbox.contains("id=\"act-make-case\"") && inbox.contains(&format!("/academy/cases/new?from={conversation}")), "{inbox}");

    // The draft: the masked conversation and a case file with the conversation as its first section.
    let (status, body) = page(&mut trainer, &path);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("id=\"case-source\"") && body.contains("id=\"case-form\"") && !body.contains("13812345678"), "masked");
    let draft = textarea(&body);
    let id = format!("case-conv-{conversation}");
    assert!(draft.contains(&format!("id = \"{id}\"")) && draft.contains("kind = \"case\"") && draft.contains("emotion = "), "{draft}");
    assert!(draft.contains("## 对话\n\n**顾客**：我的快递三天没动了") && draft.contains("**客服**：理解您的着急"), "{draft}");
    assert!(draft.contains("## 发生了什么") && draft.contains("## 分析") && draft.contains("## 更好的做法"));
    let version = hidden(&body, "version");
    let from = conversation.to_string();
    let written = draft
        .replace("## 发生了什么\n\n", "## 发生了什么\n\n顾客的快递三天没有更新，孩子生日要用。\n")
        .replace("## 分析\n\n", "## 分析\n\n客服先认可了顾客的着急，再给出事实和下一步。\n")
        .replace("## 更好的做法\n\n", "## 更好的做法\n\n主动给出具体的回复时间，并按时跟进。\n");
    let form = |text: &str| vec![("csrf", token.clone()), ("from", from.clone()), ("version", version.clone()), ("module", "system-operations".to_owned()), ("id", id.clone()), ("text", text.to_owned())];
    let pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();

    // CSRF missing: 403, nothing saved.
    let no_csrf: Vec<(&str, String)> = pairs(&form(&written)).into_iter().filter(|(k, _)| *k != "csrf").collect();
    let no_csrf: Vec<(&str, &str)> = no_csrf.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(submit(&mut trainer, "/academy/cases/new", &no_csrf).0, 403);

    // A broken draft (the emotion line removed): refused naming its line, everything typed kept.
    let broken: String = written.lines().filter(|l| !l.starts_with("emotion = ")).map(|l| format!("{l}\n")).collect();
    let f = form(&broken);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = submit(&mut trainer, "/academy/cases/new", &f);
    assert_eq!(status, 422, "{body}");
    let file = format!("modules/system-operations/cases/{id}.zh-Hans.md:");
    let error = body.split("id=\"case-errors\"").nth(1).expect("the problems").split("</ul>").next().unwrap().to_owned();
    assert!(error.contains(&file) && error.contains("emotion"), "{error}");
    let line: usize = unescape(&error).split(&file).nth(1).unwrap().split(':').next().unwrap().parse().expect("a line number");
    assert!(line >= 1 && line <= broken.lines().count(), "{line}");
    let kept = textarea(&body);
    assert!(kept.contains("顾客的快递三天没有更新") && kept.contains("module = \"system-operations\"") && !kept.contains("emotion = "), "{kept}");
    assert!(body.contains("aria-invalid=\"true\"") && body.contains(&format!("value=\"{id}\"")));

    // A wrong value is refused at its own line.
    let wrong = written.lines().map(|l| if l.starts_with("emotion = ") { "emotion = \"furious\"" } else { l }).collect::<Vec<_>>().join("\n");
    let line = wrong.lines().position(|l| l.starts_with("emotion = ")).unwrap() + 1;
    let f = form(&wrong);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = submit(&mut trainer, "/academy/cases/new", &f);
    assert_eq!(status, 422);
    assert!(unescape(&body).contains(&format!("{file}{line}: emotion: ")), "{body}");
    assert!(textarea(&body).contains("emotion = \"furious\""));

    // A stale curriculum version says so, the text kept.
    let mut stale = form(&written);
    stale[2].1 = "7".into();
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = submit(&mut trainer, "/academy/cases/new", &stale);
    assert_eq!(status, 409);
    assert!(body.contains("id=\"case-changed\"") && textarea(&body).contains("顾客的快递三天没有更新"));

    // Saved: on its module page, and in the curriculum's files; the number nowhere.
    let f = form(&written);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, location) = submit(&mut trainer, "/academy/cases/new", &f);
    assert_eq!((status, location.as_str()), (303, format!("/academy/modules/system-operations#case-{id}").as_str()), "{body}");
    let (status, module) = page(&mut agent, "/academy/modules/system-operations");
    assert_eq!(status, 200);
    assert!(module.contains(&format!("id=\"case-{id}\"")) && module.contains("主动给出具体的回复时间") && !module.contains("13812345678"));
    let (status, export) = trainer.get("/api/v1/academy/curriculum/export");
    assert_eq!(status, 200);
    let files = export["files"].as_array().unwrap();
    let saved = files.iter().find(|f| f["name"] == format!("modules/system-operations/cases/{id}.zh-Hans.md")).expect("the new case file");
    assert!(saved["text"].as_str().unwrap().contains("**顾客**：我的快递三天没动了"));
    assert!(!export.to_string().contains("13812345678"), "the phone number is masked in the stored file");
    // The same id again is refused, not overwritten.
    let (_, body) = page(&mut trainer, &path);
    let mut again = form(&written);
    again[2].1 = hidden(&body, "version");
    let again: Vec<(&str, &str)> = again.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body, _) = submit(&mut trainer, "/academy/cases/new", &again);
    assert!(status == 422 && body.contains("id=\"case-errors\""), "{status} {body}");
}
