//! The knowledge base and script library pages against a real server (both backends): a lead imports an FAQ, a
//! script and a hostile article through the upload form; an agent searches and reads them (the article's HTML and
//! `javascript:` link neutralised, the script's placeholders marked); the lead edits the FAQ into version 2 and the
//! history shows the changed line; refused edits come back with everything typed; an agent proposes a script that
//! the lead approves from the review list, after which the agent finds it by search. A malformed import names the
//! file and line and stores nothing; forms without the CSRF token change nothing; each role sees only its pages.

use serde_json::json;

use crate::support::*;

const FAQ: &str = "+++
id = \"returns-7-days\"
kind = \"faq\"
lang = \"zh-Hans\"
title = \"七天无理由退货怎么申请？\"
category = \"退换货\"
tags = [\"退货\", \"七天无理由\"]
questions = [\"买的东西不想要了能退吗\"]
+++
签收后 7 天内可以申请七天无理由退货。

运费由买家承担。
";

const SCRIPT: &str = "+++
id = \"anger-logistics-apology-1\"
kind = \"script\"
lang = \"zh-Hans\"
title = \"物流延误致歉（愤怒）\"
emotion = \"anger\"
complaint_type = \"logistics\"
situation = \"apology\"
channel = \"any\"
variables = [\"order_no\"]
+++
非常抱歉，您的订单{order_no}配送延误了，我马上为您催促快递。
";

const HOSTILE: &str = "+++
id = \"hostile-article\"
kind = \"article\"
lang = \"zh-Hans\"
title = \"包装说明\"
category = \"发货\"
+++
<script>alert(1)</script>

<iframe src=\"https://evil.example/\"></iframe>

点击[x](javascript:alert(1))查看详情。
";

fn page(client: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = client.get(path);
    (status, html(&body).to_owned())
}

/// A `multipart/form-data` body: (field name, file name, content) — no file name for a plain field.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----anxin-test-7MA4YWxkTrZu0gW";
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
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts the import form; returns (status, page, Location).
fn upload(client: &mut Client, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, String, String) {
    let (content_type, body) = multipart(parts);
    let ((status, body), headers) = client.request_full("POST", "/knowledge/import", Some((&content_type, body)));
    let location = headers.get("location").and_then(|l| l.to_str().ok()).unwrap_or("").to_owned();
    (status, html(&body).to_owned(), location)
}

/// Imports files through the page as the lead; returns the report page.
fn import_ok(lead: &mut Client, files: &[(&str, &str)]) -> String {
    let token = csrf(lead);
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("csrf", None, token.as_bytes())];
    parts.extend(files.iter().map(|(name, text)| ("files", Some(*name), text.as_bytes())));
    let (status, body, location) = upload(lead, &parts);
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with("/knowledge/import?created="), "{location}");
    let (status, report) = page(lead, &location);
    assert_eq!(status, 200);
    report
}

/// The part of a page from an element's id to the end of its element's list or table.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let end = ["</ol>", "</table>", "</ul>", "</section>"].iter().filter_map(|t| rest.find(t)).min().unwrap_or(rest.len());
    &rest[..end]
}

/// The value of a form's `name` field on a page (`<input … name="x" value="…">`).
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no input {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The FAQ's edit form as the page would post it, with some fields changed.
fn faq_form<'a>(token: &'a str, version: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", token),
        ("kind", "faq"),
        ("version", version),
        ("title", "七天无理由退货怎么申请？"),
        ("category", "退换货"),
        ("tags", "退货\r\n七天无理由"),
        ("questions", "买的东西不想要了能退吗"),
        ("body", "签收后 7 天内可以申请七天无理由退货。\r\n\r\n运费由买家承担。"),
        ("change_note", ""),
    ];
    for (name, value) in changes {
        form.iter_mut().find(|(n, _)| n == name).expect(name).1 = value;
    }
    form
}

#[test]
fn a_lead_and_an_agent_use_the_knowledge_pages() {
    for backend in backends() {
        story(TestApp::spawn(backend));
    }
}

fn story(app: TestApp) {
    let mut lead = app.login("lead");
    let mut agent = app.login("agent");

    // The lead imports three files through the upload form.
    let report = import_ok(&mut lead, &[("returns-7-days.zh-Hans.md", FAQ), ("anger-logistics-apology-1.zh-Hans.md", SCRIPT), ("hostile-article.zh-Hans.md", HOSTILE)]);
    assert!(report.contains("id=\"kb-import-report\" data-created=\"3\" data-updated=\"0\" data-unchanged=\"0\""), "{report}");
    assert!(report.contains("href=\"/api/v1/knowledge/export\""), "the export link");

    // The agent finds them listed by kind and by search, with highlighted snippets.
    let (status, list) = page(&mut agent, "/knowledge");
    assert_eq!(status, 200);
    assert!(list.contains("id=\"nav-knowledge\"") && list.contains("id=\"kb-q\""), "{list}");
    assert!(section(&list, "kb-list-faq").contains("href=\"/knowledge/returns-7-days/zh-Hans\""));
    assert!(section(&list, "kb-list-script").contains("href=\"/knowledge/anger-logistics-apology-1/zh-Hans\""));
    assert!(section(&list, "kb-list-article").contains("data-state=\"published\""));
    let (_, scripts) = page(&mut agent, "/knowledge?kind=script&emotion=anger&complaint_type=logistics");
    assert!(scripts.contains("anger-logistics-apology-1") && !scripts.contains("id=\"kb-list-faq\""), "{scripts}");
    let (status, found) = page(&mut agent, "/knowledge?q=%E9%80%80%E8%B4%A7");
    assert_eq!(status, 200);
    let hits = section(&found, "kb-hits");
    assert!(hits.contains("href=\"/knowledge/returns-7-days/zh-Hans\"") && hits.contains("<mark>"), "{found}");
    let (_, none) = page(&mut agent, "/knowledge?q=%E9%80%80%E8%B4%A7&kind=script");
    assert!(!none.contains("href=\"/knowledge/returns-7-days/zh-Hans\""), "the kind filter applies: {none}");

    // The hostile article is shown as text: no script, no frame, no javascript: link.
    let (status, hostile) = page(&mut agent, "/knowledge/hostile-article/zh-Hans");
    assert_eq!(status, 200);
    let body = section(&hostile, "kb-body");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && body.contains("&lt;iframe"), "{body}");
    assert!(!hostile.contains("<script") && !hostile.contains("<iframe") && !hostile.to_lowercase().contains("href=\"javascript"), "{hostile}");
    assert!(body.contains("点击x查看详情"), "the link's text stays: {body}");
    assert!(!hostile.contains("id=\"kb-edit\"") && !hostile.contains("id=\"kb-publish-form\""), "agents do not edit it");

    // The script: its text with the placeholder marked, its facets.
    let (_, script) = page(&mut agent, "/knowledge/anger-logistics-apology-1/zh-Hans");
    assert!(script.contains("<mark class=\"placeholder\" data-var=\"order_no\" title=\"订单号\">{order_no}</mark>"), "{script}");
    assert!(script.contains("id=\"kb-facet-emotion\">愤怒<") && script.contains("id=\"kb-facet-complaint-type\">物流问题<") && script.contains("id=\"kb-facet-situation\">致歉<"));
    let (_, english) = page(&mut agent, "/knowledge/anger-logistics-apology-1/zh-Hans?lang=en");
    assert!(english.contains("Script text") && english.contains("id=\"kb-facet-emotion\">Angry<"), "{english}");

    // The lead's entry page: edit, publish state, download, history; the edit form has every FAQ field.
    let faq = "/knowledge/returns-7-days/zh-Hans";
    let (_, lead_view) = page(&mut lead, faq);
    for id in ["kb-edit", "kb-unpublish", "kb-download", "kb-history-link", "kb-add-variant-en", "kb-tags", "kb-questions", "kb-category"] {
        assert!(lead_view.contains(&format!("id=\"{id}\"")), "#{id}: {lead_view}");
    }
    assert!(lead_view.contains("href=\"/api/v1/knowledge/returns-7-days/zh-Hans/markdown\""));
    let (status, form) = page(&mut lead, &format!("{faq}/edit"));
    assert_eq!(status, 200);
    for id in ["kb-title", "kb-body", "kb-category", "kb-tags", "kb-questions", "kb-change-note", "kb-save"] {
        assert!(form.contains(&format!("id=\"{id}\"")), "#{id}: {form}");
    }
    assert_eq!(input_value(&form, "version"), "1");
    assert!(form.contains(">签收后 7 天内可以申请七天无理由退货。\n\n运费由买家承担。</textarea>"), "{form}");

    // Refused: an empty title. The page says which field and keeps everything typed.
    let token = csrf(&lead);
    let typed_body = "签收后 7 天内可以申请七天无理由退货。\r\n\r\nTYPED-<b>运费</b>";
    let (status, refused, _) = submit(&mut lead, &format!("{faq}/edit"), &faq_form(&token, "1", &[("title", "  "), ("body", typed_body), ("change_note", "NOTE-KEPT")]));
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("id=\"kb-title-error\"") && refused.contains("标题必填") && refused.contains("id=\"kb-form-alert\""), "{refused}");
    assert!(refused.contains("TYPED-&#60;b&#62;运费&#60;/b&#62;</textarea>") || refused.contains("TYPED-&lt;b&gt;运费&lt;/b&gt;</textarea>"), "typed body kept, escaped: {refused}");
    assert!(refused.contains("value=\"NOTE-KEPT\"") && refused.contains("aria-invalid=\"true\""));

    // Saved: version 2, and the history shows the changed line.
    let (status, body, location) = submit(&mut lead, &format!("{faq}/edit"), &faq_form(&token, "1", &[("body", "签收后 7 天内可以申请七天无理由退货。\r\n\r\n质量问题的运费由我们承担。"), ("change_note", "运费规则更新")]));
    assert_eq!((status, location.as_str()), (303, format!("{faq}?ok=saved").as_str()), "{body}");
    let (_, saved) = page(&mut lead, &location);
    assert!(saved.contains("id=\"kb-version\">v2<") && saved.contains("已保存为新版本") && saved.contains("运费规则更新"), "{saved}");
    let (status, history) = page(&mut agent, &format!("{faq}/history"));
    assert_eq!(status, 200);
    assert!(section(&history, "kb-versions").contains("id=\"kb-version-2\"") && history.contains("运费规则更新") && history.contains("id=\"kb-version-1\""));
    let diff = section(&history, "kb-diff");
    assert!(diff.contains("data-op=\"removed\"><td class=\"op\" aria-hidden=\"true\">−</td><td class=\"text\"><del><span class=\"sr-only\">删除: </span>运费由买家承担。</del>"), "{diff}");
    assert!(diff.contains("data-op=\"added\"><td class=\"op\" aria-hidden=\"true\">+</td><td class=\"text\"><ins><span class=\"sr-only\">新增: </span>质量问题的运费由我们承担。</ins>"), "{diff}");
    assert!(diff.contains("data-op=\"same\"") && history.contains("id=\"kb-diff-summary\" data-from=\"1\" data-to=\"2\""));
    let (_, backwards) = page(&mut agent, &format!("{faq}/history?from=2&to=1"));
    assert!(section(&backwards, "kb-diff").contains("<ins><span class=\"sr-only\">新增: </span>运费由买家承担。</ins>"), "either order");
    assert_eq!(page(&mut agent, &format!("{faq}/history?from=99&to=abc")).0, 200, "unknown versions fall back");

    // A form opened on version 1 after version 2 was saved: the current version is said, what was typed kept.
    let (status, stale, _) = submit(&mut lead, &format!("{faq}/edit"), &faq_form(&token, "1", &[("body", "STALE-TYPED 签收后可退。")]));
    assert_eq!(status, 409, "{stale}");
    assert!(stale.contains("其他人保存了新版本") && stale.contains(">STALE-TYPED 签收后可退。</textarea>") && input_value(&stale, "version") == "2", "{stale}");
    // Saving the same content again makes no new version.
    let (status, _, location) = submit(&mut lead, &format!("{faq}/edit"), &faq_form(&token, "2", &[("body", "签收后 7 天内可以申请七天无理由退货。\n\n质量问题的运费由我们承担。")]));
    assert_eq!((status, location.as_str()), (303, format!("{faq}?ok=unchanged").as_str()));

    // A script using a placeholder it does not declare is refused with the text kept.
    let script_path = "/knowledge/anger-logistics-apology-1/zh-Hans/edit";
    let typed_script = "{customer_name}您好，订单{order_no}延误了，非常抱歉。";
    let script_form = |body: &'static str, variables: &'static [&'static str]| {
        let mut form = vec![
            ("csrf", token.as_str()),
            ("kind", "script"),
            ("version", "1"),
            ("title", "物流延误致歉（愤怒）"),
            ("emotion", "anger"),
            ("complaint_type", "logistics"),
            ("situation", "apology"),
            ("channel", "any"),
            ("competitor", ""),
            ("body", body),
            ("change_note", ""),
        ];
        form.extend(variables.iter().map(|v| ("variables", *v)));
        form
    };
    let (status, refused, _) = submit(&mut lead, script_path, &script_form(typed_script, &["order_no"]));
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("id=\"kb-body-error\"") && refused.contains("{customer_name} is used but not declared"), "{refused}");
    assert!(refused.contains(&format!(">{typed_script}</textarea>")) && refused.contains("id=\"kb-var-order_no\" name=\"variables\" value=\"order_no\" checked"), "{refused}");
    let (status, _, _) = submit(&mut lead, script_path, &script_form(typed_script, &["order_no", "customer_name"]));
    assert_eq!(status, 303, "declared, it saves");

    // The agent proposes a script; it is a draft only they and the leads see, and not searchable yet.
    let (status, new_form) = page(&mut agent, "/knowledge/new");
    assert_eq!(status, 200);
    assert!(new_form.contains("name=\"kind\" value=\"script\"") && new_form.contains("id=\"kb-emotion\"") && !new_form.contains("id=\"kb-new-faq\""), "{new_form}");
    let agent_token = csrf(&agent);
    let proposal = [
        ("csrf", agent_token.as_str()),
        ("kind", "script"),
        ("id", "anxiety-customs-delay-1"),
        ("language", "zh-Hans"),
        ("title", "海关清关延误安抚"),
        ("emotion", "anxiety"),
        ("complaint_type", "logistics"),
        ("situation", "explanation"),
        ("channel", "any"),
        ("variables", "order_no"),
        ("body", "您的订单{order_no}正在海关清关，清关完成后会立即发出。"),
        ("change_note", "新话术"),
    ];
    let (status, body, location) = submit(&mut agent, "/knowledge/new", &proposal);
    assert_eq!((status, location.as_str()), (303, "/knowledge/anxiety-customs-delay-1/zh-Hans?ok=proposed"), "{body}");
    let (_, mine) = page(&mut agent, &location);
    assert!(mine.contains("data-state=\"pending\"") && mine.contains("id=\"kb-edit\""), "the agent may revise their proposal: {mine}");
    let (_, agent_list) = page(&mut agent, "/knowledge");
    assert!(section(&agent_list, "kb-pending").contains("anxiety-customs-delay-1") && !agent_list.contains("id=\"kb-approve-"), "{agent_list}");
    let search = "/knowledge?q=%E6%B8%85%E5%85%B3";
    assert!(!section(&page(&mut agent, search).1, "kb-results").contains("anxiety-customs-delay-1"), "not searchable before approval");
    let (status, twice, _) = submit(&mut agent, "/knowledge/new", &proposal);
    assert_eq!(status, 409, "a second new entry under the same id: {twice}");
    assert!(twice.contains("id=\"kb-id-error\"") && twice.contains("海关清关延误安抚"));

    // Agents do not write FAQs or change published entries.
    let mut faq_proposal = proposal.to_vec();
    faq_proposal[1] = ("kind", "faq");
    assert_eq!(submit(&mut agent, "/knowledge/new", &faq_proposal).0, 403);
    assert_eq!(page(&mut agent, &format!("{faq}/edit")).0, 403);
    assert_eq!(submit(&mut agent, &format!("{faq}/edit"), &faq_form(&agent_token, "2", &[])).0, 403);
    assert_eq!(submit(&mut agent, &format!("{faq}/publish"), &[("csrf", &agent_token), ("action", "unpublish")]).0, 403);

    // The lead sees it waiting, approves it from the list, and now the agent finds it.
    let (_, lead_list) = page(&mut lead, "/knowledge");
    let pending = section(&lead_list, "kb-pending");
    assert!(pending.contains("anxiety-customs-delay-1") && pending.contains("海关清关延误安抚") && pending.contains("agent"), "{pending}");
    assert!(pending.contains("id=\"kb-approve-anxiety-customs-delay-1-zh-Hans\""));
    let (status, _, location) = submit(&mut lead, "/knowledge/anxiety-customs-delay-1/zh-Hans/publish", &[("csrf", &token), ("action", "publish"), ("next", "list")]);
    assert_eq!((status, location.as_str()), (303, "/knowledge?ok=published#kb-pending"));
    let (_, after) = page(&mut lead, "/knowledge?ok=published");
    assert!(after.contains("id=\"kb-notice\"") && section(&after, "kb-pending").contains("没有待审核的话术"), "{after}");
    let (_, found) = page(&mut agent, search);
    assert!(section(&found, "kb-hits").contains("href=\"/knowledge/anxiety-customs-delay-1/zh-Hans\""), "{found}");
    let (_, approved) = page(&mut agent, "/knowledge/anxiety-customs-delay-1/zh-Hans");
    assert!(approved.contains("data-state=\"published\"") && !approved.contains("id=\"kb-edit\""), "approved: no longer the agent's to edit");

    // Unpublishing takes the FAQ away from agents and from search.
    let (status, _, location) = submit(&mut lead, &format!("{faq}/publish"), &[("csrf", &token), ("action", "unpublish")]);
    assert_eq!((status, location.as_str()), (303, format!("{faq}?ok=unpublished").as_str()));
    assert_eq!(page(&mut agent, faq).0, 404);
    assert!(!page(&mut agent, "/knowledge?q=%E9%80%80%E8%B4%A7").1.contains("href=\"/knowledge/returns-7-days/zh-Hans\""));
    let (_, drafts) = page(&mut lead, "/knowledge?kind=faq");
    assert!(section(&drafts, "kb-list-faq").contains("data-state=\"draft\""), "{drafts}");

    // A lead's new entry starts as a draft; a translation starts from the existing variant.
    let (status, translation) = page(&mut lead, "/knowledge/new?id=returns-7-days&language=en&from=zh-Hans");
    assert_eq!(status, 200);
    assert!(translation.contains("value=\"returns-7-days\"") && translation.contains("<option value=\"en\" lang=\"en\" selected>") && translation.contains("退换货"), "{translation}");

    // Statistics: one recorded use of the script.
    let (status, body) = agent.post("/api/v1/knowledge/anger-logistics-apology-1/zh-Hans/use", &json!({}));
    assert_eq!(status, 204, "{body}");
    let (status, stats) = page(&mut lead, "/knowledge/stats");
    assert_eq!(status, 200);
    let row = section(&stats, "kb-stats");
    assert!(row.contains("anger-logistics-apology-1") && row.contains("data-col=\"used\">1<") && row.contains("data-col=\"sent\">0<"), "{stats}");
    assert_eq!(page(&mut lead, "/knowledge/stats?days=7").0, 200);
}

#[test]
fn a_malformed_import_names_the_file_and_line_and_imports_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(backend);
        let mut lead = app.login("lead");
        let token = csrf(&lead);
        let good = "+++\nid = \"good-one\"\nkind = \"faq\"\nlang = \"zh-Hans\"\ntitle = \"好的\"\ncategory = \"其他\"\n+++\n正文\n";
        let bad = "+++\nid = \"bad-two\"\nkind = \"faq\"\ntitle = \"没有结束的引号\ncategory = \"其他\"\n+++\n正文\n";
        let (status, body, _) = upload(
            &mut lead,
            &[("csrf", None, token.as_bytes()), ("files", Some("good-one.zh-Hans.md"), good.as_bytes()), ("files", Some("bad-two.zh-Hans.md"), bad.as_bytes())],
        );
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"kb-import-nothing\"") && body.contains("未导入任何内容"), "{body}");
        let errors = section(&body, "kb-import-errors");
        assert!(errors.contains("bad-two.zh-Hans.md:4: "), "file:line named: {errors}");
        assert!(!errors.contains("good-one"), "{errors}");
        assert_eq!(lead.get("/api/v1/knowledge/good-one/zh-Hans").0, 404, "the valid file was not stored either");

        // Pasted text: the problem named, the text kept.
        let pasted = "+++\nid = \"pasted-one\"\nkind = \"faq\"\nlang = \"zh-Hans\"\ntitle = \"粘贴\"\n+++\nPASTED-BODY\n";
        let (status, body, _) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("name", None, b""), ("text", None, pasted.as_bytes())]);
        assert_eq!(status, 422, "{body}");
        assert!(section(&body, "kb-import-errors").contains("pasted-one.zh-Hans.md:") && body.contains("category"), "{body}");
        assert!(body.contains("PASTED-BODY\n</textarea>"), "the pasted text is kept: {body}");
        // Fixed, it imports (named after its content).
        let fixed = pasted.replace("title = \"粘贴\"\n", "title = \"粘贴\"\ncategory = \"其他\"\n");
        let (status, body, location) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("name", None, b""), ("text", None, fixed.as_bytes())]);
        assert_eq!((status, location.as_str()), (303, "/knowledge/import?created=1&updated=0&unchanged=0#kb-import-report"), "{body}");
        assert_eq!(lead.get("/api/v1/knowledge/pasted-one/zh-Hans").0, 200);

        // Nothing given, not UTF-8, an id of another kind in the store.
        let (status, body, _) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("files", Some(""), b"")]);
        assert_eq!(status, 422);
        assert!(body.contains("请选择文件或粘贴文件内容"), "{body}");
        let (status, body, _) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("files", Some("x.zh-Hans.md"), &[0xff, 0xfe, 0x00])]);
        assert_eq!(status, 422);
        assert!(body.contains("x.zh-Hans.md: 不是 UTF-8"), "{body}");
        let script = "+++\nid = \"pasted-one\"\nkind = \"script\"\nlang = \"en\"\ntitle = \"t\"\nemotion = \"neutral\"\ncomplaint_type = \"any\"\nsituation = \"opening\"\nchannel = \"any\"\n+++\nHello\n";
        let (status, body, _) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("files", Some("pasted-one.en.md"), script.as_bytes())]);
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("另一种类型") && body.contains("id=\"kb-import-nothing\""), "{body}");

        // Over the size limit: a clear refusal.
        let huge = vec![b'a'; 16 * 1024 * 1024 + 10];
        let (status, body, _) = upload(&mut lead, &[("csrf", None, token.as_bytes()), ("files", Some("huge.zh-Hans.md"), &huge)]);
        assert_eq!(status, 413, "{}", &body[..body.len().min(500)]);
        assert!(body.contains("超过 16 MB 上限") && body.contains("id=\"kb-import-nothing\""));

        // Without the CSRF token nothing is imported.
        let (status, _, _) = upload(&mut lead, &[("files", Some("good-one.zh-Hans.md"), good.as_bytes())]);
        assert_eq!(status, 403);
        let (status, _, _) = upload(&mut lead, &[("csrf", None, b"forged"), ("files", Some("good-one.zh-Hans.md"), good.as_bytes())]);
        assert_eq!(status, 403);
        assert_eq!(lead.request("POST", "/knowledge/import", Some((FORM, form(&[("csrf", &token)])))).0, 403, "not multipart: no token read");
        assert_eq!(lead.get("/api/v1/knowledge/good-one/zh-Hans").0, 404);
    }
}

#[test]
fn forms_without_the_csrf_token_change_nothing() {
    let app = TestApp::spawn(None);
    let mut lead = app.login("lead");
    import_ok(&mut lead, &[("returns-7-days.zh-Hans.md", FAQ)]);
    let faq = "/knowledge/returns-7-days/zh-Hans";
    let changed = [("kind", "faq"), ("version", "1"), ("title", "改了"), ("category", "退换货"), ("body", "改了")];
    for (path, pairs) in [
        (format!("{faq}/edit"), changed.to_vec()),
        (format!("{faq}/publish"), vec![("action", "unpublish")]),
        ("/knowledge/new".to_owned(), vec![("kind", "faq"), ("id", "new-one"), ("language", "zh-Hans"), ("title", "t"), ("category", "c"), ("body", "b")]),
        ("/knowledge/synonyms".to_owned(), vec![("synonyms", "退款 退钱")]),
    ] {
        let (status, body, _) = submit(&mut lead, &path, &pairs);
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body.contains("表单已失效"), "{path}");
        let mut forged = pairs.clone();
        forged.push(("csrf", "forged"));
        assert_eq!(submit(&mut lead, &path, &forged).0, 403, "{path}");
    }
    let (_, entry) = lead.get("/api/v1/knowledge/returns-7-days/zh-Hans");
    assert_eq!((entry["version"].as_i64(), entry["published"].as_bool()), (Some(1), Some(true)), "{entry}");
    assert_eq!(lead.get("/api/v1/knowledge/new-one/zh-Hans").0, 404);
    assert_eq!(lead.get("/api/v1/knowledge/synonyms").1["custom"], false);
}

#[test]
fn synonyms_are_edited_by_leads_and_read_by_everyone() {
    let app = TestApp::spawn(None);
    let mut lead = app.login("lead");
    let mut agent = app.login("agent");
    let (status, read_only) = page(&mut agent, "/knowledge/synonyms");
    assert_eq!(status, 200);
    assert!(read_only.contains("id=\"kb-synonyms\"") && read_only.contains("readonly") && !read_only.contains("id=\"kb-synonyms-save\""), "{read_only}");
    assert!(read_only.contains("data-custom=\"false\""));
    let agent_token = csrf(&agent);
    assert_eq!(submit(&mut agent, "/knowledge/synonyms", &[("csrf", &agent_token), ("synonyms", "a b")]).0, 403);

    let token = csrf(&lead);
    let (status, form) = page(&mut lead, "/knowledge/synonyms");
    assert_eq!(status, 200);
    assert!(form.contains("id=\"kb-synonyms-save\""));
    let bad = "# 我们的同义词\n退款 退钱\u{7}\nKEEP-ME";
    let (status, refused, _) = submit(&mut lead, "/knowledge/synonyms", &[("csrf", &token), ("synonyms", bad)]);
    assert_eq!(status, 422, "{refused}");
    assert!(refused.contains("id=\"kb-synonyms-error\"") && refused.contains("KEEP-ME</textarea>"), "{refused}");
    let (status, _, location) = submit(&mut lead, "/knowledge/synonyms", &[("csrf", &token), ("synonyms", "# 我们的同义词\r\n退款 退钱 返款\r\n清关 报关\r\n")]);
    assert_eq!((status, location.as_str()), (303, "/knowledge/synonyms?ok=saved"));
    let (_, saved) = page(&mut lead, &location);
    assert!(saved.contains("data-custom=\"true\" data-groups=\"2\"") && saved.contains("同义词已保存") && saved.contains("清关 报关"), "{saved}");
    assert!(page(&mut agent, "/knowledge/synonyms").1.contains("退款 退钱 返款"));
}

/// Pages and the status each should answer.
type Paths<'a> = &'a [(&'a str, u16)];

#[test]
fn each_role_sees_only_its_knowledge_pages() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "shouhou", "display_name": "shouhou", "role": "handler", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    import_ok(&mut admin, &[("returns-7-days.zh-Hans.md", FAQ)]);
    let mut anonymous = Client::new(&app);
    for path in ["/knowledge", "/knowledge/returns-7-days/zh-Hans", "/knowledge/import", "/knowledge/stats"] {
        assert_eq!(anonymous.get(path).0, 303, "{path}: to the sign-in page");
    }
    let faq = "/knowledge/returns-7-days/zh-Hans";
    let reader: Paths = &[
        ("/knowledge", 200),
        ("/knowledge?q=%E9%80%80%E8%B4%A7", 200),
        (faq, 200),
        ("/knowledge/returns-7-days/zh-Hans/history", 200),
        ("/knowledge/synonyms", 200),
        ("/knowledge/returns-7-days/zh-Hans/edit", 403),
        ("/knowledge/import", 403),
        ("/knowledge/stats", 403),
        ("/knowledge/no-such-entry/zh-Hans", 404),
        ("/knowledge/NOT_AN_ID/zh-Hans", 404),
        ("/knowledge/returns-7-days/klingon", 404),
    ];
    let editor: Paths = &[
        ("/knowledge", 200),
        ("/knowledge?kind=script&language=en&emotion=anger&complaint_type=bogus", 200),
        (faq, 200),
        ("/knowledge/returns-7-days/zh-Hans/edit", 200),
        ("/knowledge/returns-7-days/zh-Hans/history", 200),
        ("/knowledge/new", 200),
        ("/knowledge/new?kind=article", 200),
        ("/knowledge/new?kind=script", 200),
        ("/knowledge/import", 200),
        ("/knowledge/synonyms", 200),
        ("/knowledge/stats", 200),
        ("/knowledge/stats?days=365", 200),
    ];
    let cases: &[(&str, Paths, Paths)] = &[
        ("agent", reader, &[("/knowledge/new", 200)]),
        ("shouhou", reader, &[("/knowledge/new", 403)]),
        ("trainer", reader, &[("/knowledge/new", 403)]),
        ("lead", editor, &[]),
        ("admin", editor, &[]),
    ];
    for (who, paths, extra) in cases {
        let mut client = app.login(who);
        for (path, expected) in paths.iter().chain(extra.iter()) {
            let (status, body) = page(&mut client, path);
            assert_eq!(status, *expected, "{who} {path}: {body}");
            if *expected == 200 {
                assert!(body.contains("id=\"nav-knowledge\"") && body.contains("id=\"nav-kb-list\""), "{who} {path}: the header and the section links");
                for lang in ["zh-Hant", "en"] {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    assert_eq!(page(&mut client, &format!("{path}{sep}lang={lang}")).0, 200, "{who} {path} {lang}");
                }
            }
        }
        let (_, list) = page(&mut client, "/knowledge");
        let lead = matches!(*who, "lead" | "admin");
        assert_eq!(list.contains("id=\"nav-kb-import\""), lead, "{who}");
        assert_eq!(list.contains("id=\"nav-kb-stats\""), lead, "{who}");
        assert_eq!(list.contains("id=\"nav-kb-new\""), lead || *who == "agent", "{who}");
        assert_eq!(list.contains("id=\"kb-pending\""), lead || *who == "agent", "{who}");
        assert!(list.contains("data-state=\"published\""), "{who} sees the published FAQ");
    }
    let (_, english) = page(&mut admin, "/knowledge?lang=en");
    assert!(english.contains("Knowledge and scripts") && english.contains("Search the knowledge base"), "{english}");
    let (_, traditional) = page(&mut admin, "/knowledge?lang=zh-Hant");
    assert!(traditional.contains("知識庫與話術"));
}
