//! The knowledge API over a real server: the starter content imported through the API, Chinese search with
//! highlights, sanitised article HTML, synonyms, publication and the index following every change (on another
//! node too, over PostgreSQL), reply assistance for an anxious customer with the script's variables filled, and
//! script outcome statistics — plus hostile input (malformed imports, paths, filters, roles).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::support::{Client, TestApp, backends};

/// Every starter file under `content/knowledge` and `content/scripts` as `{name, text}`.
pub fn starter_files() -> Vec<Value> {
    fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = item.unwrap().path();
            if path.is_dir() {
                collect(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "md" || ext == "json") {
                found.push(path);
            }
        }
    }
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let mut paths = Vec::new();
    collect(&content.join("knowledge"), &mut paths);
    collect(&content.join("scripts"), &mut paths);
    paths.sort();
    paths
        .iter()
        .map(|p| json!({"name": p.file_name().unwrap().to_string_lossy(), "text": std::fs::read_to_string(p).unwrap()}))
        .collect()
}

fn put(client: &mut Client, path: &str, body: &Value) -> (u16, Value) {
    client.request("PUT", path, Some(("application/json", body.to_string().into_bytes())))
}

fn ids(hits: &Value) -> Vec<String> {
    hits["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

const ARTICLE: &str = "+++\nid = \"gift-card\"\nkind = \"faq\"\nlang = \"zh-Hans\"\ntitle = \"礼品卡怎么用？\"\ncategory = \"支付\"\n+++\n\n在结算页选择**礼品卡**即可。\n\n<script>alert(1)</script>\n\n<iframe src=\"https://evil.example\"></iframe>\n\n[点这里](javascript:alert(1))\n";

#[test]
fn knowledge_is_imported_searched_sanitised_and_kept_in_step() {
    for url in backends() {
        let app = TestApp::spawn(url);
        let mut lead = app.login("lead");
        let mut agent = app.login("agent");
        let mut trainer = app.login("trainer");

        // Only leads import; a malformed second file names its line and nothing of the first is stored.
        let files = starter_files();
        assert!(files.len() >= 90);
        assert_eq!(agent.post("/api/v1/knowledge/import", &json!({"files": files})).0, 403);
        let broken = "+++\nid = \"broken\"\nkind = \"faq\"\nlang = \"zh-Hans\"\ntitle = 未加引号\n+++\n正文\n";
        let (status, body) = lead.post(
            "/api/v1/knowledge/import",
            &json!({"files": [{"name": "gift-card.zh-Hans.md", "text": ARTICLE}, {"name": "broken.zh-Hans.md", "text": broken}]}),
        );
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("import_invalid")), "{body}");
        let first = &body["error"]["details"]["errors"][0];
        assert_eq!((first["file"].as_str(), first["line"].as_i64()), (Some("broken.zh-Hans.md"), Some(5)), "{body}");
        assert_eq!(lead.get("/api/v1/knowledge").1["entries"].as_array().unwrap().len(), 0, "nothing imported");
        for hostile in [json!({"files": []}), json!({"files": [{"name": "x.md"}]}), json!({"files": "x"}), json!([1])] {
            let (status, _) = lead.post("/api/v1/knowledge/import", &hostile);
            assert!(status == 400 || status == 422, "{hostile} → {status}");
        }

        // The starter content and the article come in whole.
        let mut all = files.clone();
        all.push(json!({"name": "gift-card.zh-Hans.md", "text": ARTICLE}));
        let (status, body) = lead.post("/api/v1/knowledge/import", &json!({"files": all}));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["report"]["created"].as_u64(), Some(all.len() as u64));

        // Search: Traditional, colloquial; highlights are escaped HTML with <mark>; the trainer may search too.
        let (status, hits) = agent.get("/api/v1/knowledge/search?q=%E9%80%80%E8%B2%A8%E9%81%8B%E8%B2%BB%E8%AA%B0%E5%87%BA&kind=faq");
        assert_eq!(status, 200, "{hits}");
        assert_eq!(ids(&hits)[0], "return-shipping-fee", "{hits}");
        let top = &hits["hits"][0];
        assert!(top["snippet_html"].as_str().unwrap().contains("<mark>"), "{top}");
        assert_eq!(trainer.get("/api/v1/knowledge/search?q=%E5%8F%91%E7%A5%A8").0, 200);
        for bad in ["kind=recipe", "emotion=rage", "limit=0", "limit=51", "lang=fr", "unknown=1", "channel=fax"] {
            let (status, body) = agent.get(&format!("/api/v1/knowledge/search?q=x&{bad}"));
            assert!(status == 400 || status == 422, "{bad} → {status} {body}");
        }

        // The article's HTML shows the markup as text and drops the javascript: link.
        let (status, article) = agent.get("/api/v1/knowledge/gift-card/zh-Hans");
        assert_eq!(status, 200, "{article}");
        let html = article["html"].as_str().unwrap();
        assert!(html.contains("<strong>礼品卡</strong>"), "{html}");
        assert!(!html.contains("<script") && !html.contains("<iframe") && !html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        for bad in ["/api/v1/knowledge/Gift_Card/zh-Hans", "/api/v1/knowledge/gift-card/fr", "/api/v1/knowledge/%00/zh-Hans/versions"] {
            assert_eq!(agent.get(bad).1["error"]["code"], "invalid_path", "{bad}");
        }
        assert_eq!(agent.get("/api/v1/knowledge/gift-card/zh-Hans/diff?from=x&to=1").0, 422);
        assert_eq!(agent.get("/api/v1/knowledge/gift-card/zh-Hans/diff?from=1&to=9").0, 404);
        assert_eq!(agent.get("/api/v1/knowledge/no-such-entry/zh-Hans").0, 404);

        // Withdrawn, it leaves the search; republished, it is back.
        let gift = "/api/v1/knowledge/search?q=%E7%A4%BC%E5%93%81%E5%8D%A1";
        assert_eq!(ids(&agent.get(gift).1)[0], "gift-card");
        assert_eq!(agent.post("/api/v1/knowledge/gift-card/zh-Hans/unpublish", &json!({})).0, 403);
        assert_eq!(lead.post("/api/v1/knowledge/gift-card/zh-Hans/unpublish", &json!({})).0, 200);
        assert!(!ids(&agent.get(gift).1).contains(&"gift-card".to_owned()));
        assert_eq!(lead.post("/api/v1/knowledge/gift-card/zh-Hans/publish", &json!({})).0, 200);
        assert_eq!(ids(&agent.get(gift).1)[0], "gift-card");

        // An edit is a version with a diff and is found by its new words at once.
        let (_, current) = lead.get("/api/v1/knowledge/gift-card/zh-Hans");
        let mut fields = current["entry"].clone();
        fields["body"] = json!("在结算页选择**礼品卡**即可，余额也能兑换星辰积分。");
        let (status, saved) = put(&mut lead, "/api/v1/knowledge/gift-card/zh-Hans", &json!({"entry": fields, "change_note": "可叠加优惠券"}));
        assert_eq!((status, saved["version"].as_i64()), (200, Some(2)), "{saved}");
        assert_eq!(ids(&agent.get("/api/v1/knowledge/search?q=%E6%98%9F%E8%BE%B0&kind=faq").1)[0], "gift-card");
        let (_, diff) = agent.get("/api/v1/knowledge/gift-card/zh-Hans/diff?from=1&to=2");
        assert!(diff["diff"]["lines"].as_array().unwrap().iter().any(|l| l["op"] == "added" && l["text"].as_str().unwrap().contains("星辰积分")), "{diff}");
        // A body that contradicts the path, a broken field, an over-long note: 422 naming the field, nothing saved.
        let mut other = fields.clone();
        other["id"] = json!("another-id");
        assert_eq!(put(&mut lead, "/api/v1/knowledge/gift-card/zh-Hans", &json!({"entry": other})).1["error"]["details"]["field"], "entry.id");
        let mut empty = fields.clone();
        empty["title"] = json!("  ");
        assert_eq!(put(&mut lead, "/api/v1/knowledge/gift-card/zh-Hans", &json!({"entry": empty})).1["error"]["details"]["field"], "title");
        let note = "长".repeat(501);
        assert_eq!(put(&mut lead, "/api/v1/knowledge/gift-card/zh-Hans", &json!({"entry": fields, "change_note": note})).0, 422);
        assert_eq!(agent.get("/api/v1/knowledge/gift-card/zh-Hans/versions").1["versions"].as_array().unwrap().len(), 2);
        // Agents do not edit articles.
        assert_eq!(put(&mut agent, "/api/v1/knowledge/gift-card/zh-Hans", &json!({"entry": fields})).0, 403);

        // Synonyms: a lead adds 储值卡 to the 礼品卡 group and the next search uses it; bad lists are refused.
        let stored_card = "/api/v1/knowledge/search?q=%E5%82%A8%E5%80%BC%E5%8D%A1";
        assert!(!ids(&agent.get(stored_card).1).contains(&"gift-card".to_owned()));
        let (_, current) = agent.get("/api/v1/knowledge/synonyms");
        assert_eq!(current["custom"], false);
        let list = format!("{}\n礼品卡 储值卡\n", current["synonyms"].as_str().unwrap());
        assert_eq!(put(&mut agent, "/api/v1/knowledge/synonyms", &json!({"synonyms": list})).0, 403);
        assert_eq!(put(&mut lead, "/api/v1/knowledge/synonyms", &json!({"synonyms": list})).0, 200);
        assert_eq!(ids(&agent.get(stored_card).1)[0], "gift-card");
        assert_eq!(put(&mut lead, "/api/v1/knowledge/synonyms", &json!({"synonyms": "a b\u{0}"})).0, 422);
        assert_eq!(put(&mut lead, "/api/v1/knowledge/synonyms", &json!({"synonyms": "ab ".repeat(23_000)})).0, 422);
        assert_eq!(agent.get("/api/v1/knowledge/synonyms").1["custom"], true);

        // Export: every entry, importable again without a change.
        let (status, exported) = lead.get("/api/v1/knowledge/export");
        assert_eq!(status, 200);
        assert_eq!(agent.get("/api/v1/knowledge/export").0, 403);
        let again = json!({"files": [{"name": "anxin-knowledge.json", "text": exported.to_string()}]});
        let (_, report) = lead.post("/api/v1/knowledge/import", &again);
        assert_eq!((report["report"]["created"].as_u64(), report["report"]["updated"].as_u64()), (Some(0), Some(0)), "{report}");

        // A reindex rebuilds from the database and finds the same.
        assert_eq!(agent.post("/api/v1/knowledge/reindex", &json!({})).0, 403);
        let (status, body) = lead.post("/api/v1/knowledge/reindex", &json!({}));
        assert_eq!((status, body["entries"].as_u64()), (200, Some(all.len() as u64)), "{body}");
        assert_eq!(ids(&agent.get(gift).1)[0], "gift-card");
    }
}

#[test]
fn an_anxious_customer_gets_a_strategy_scripts_answers_and_the_script_reports_back() {
    for url in backends() {
        let app = TestApp::spawn(url);
        let mut lead = app.login("lead");
        let mut agent = app.login("agent");
        assert_eq!(lead.post("/api/v1/knowledge/import", &json!({"files": starter_files()})).0, 200);

        let mut visitor = app.visitor();
        let (status, sent) = visitor.send("q-1", "急死了，退货运费谁出？订单号 E20261120123456，明天就过七天了");
        assert_eq!(status, 201, "{sent}");
        let conversation = sent["conversation_id"].as_i64().unwrap();

        let (status, help) = agent.get(&format!("/api/v1/conversations/{conversation}/assist"));
        assert_eq!(status, 200, "{help}");
        assert_eq!(help["emotion"], "anxiety", "{help}");
        assert_eq!(help["strategy"]["key"], "anxiety");
        assert_eq!(help["strategy"]["lines"].as_array().unwrap().len(), 3);
        let scripts = help["scripts"].as_array().unwrap();
        assert_eq!(scripts.len(), 3, "{help}");
        let answers = help["answers"].as_array().unwrap();
        assert!(answers.iter().take(3).any(|a| a["id"] == "return-shipping-fee"), "{help}");
        // The order number the customer gave is filled in wherever a script asks for it.
        let with_order = scripts.iter().find(|s| s["id"].as_str().is_some_and(|id| id.starts_with("anxiety")) && s["text"].as_str().unwrap().contains("E20261120123456"));
        let script = with_order.unwrap_or_else(|| panic!("an anxiety script with the order number: {help}"));
        assert!(!script["unfilled"].as_array().unwrap().iter().any(|v| v == "order_no"), "{script}");

        // Roles and hostile ids.
        assert_eq!(app.login("trainer").get(&format!("/api/v1/conversations/{conversation}/assist")).0, 403);
        assert_eq!(agent.get(&format!("/api/v1/conversations/{}/assist", app.other_org_conversation)).0, 404);
        assert_eq!(agent.get("/api/v1/conversations/abc/assist").0, 400);

        // The agent sends the script unchanged; a second reply from the same script is edited first.
        let (id, lang) = (script["id"].as_str().unwrap(), script["lang"].as_str().unwrap());
        let text = script["text"].as_str().unwrap().replace("{date}", "11月30日").replace("{amount}", "12").replace("{customer_name}", "您");
        let reply = json!({"text": text, "client_message_id": "a-1", "script": {"id": id, "lang": lang}});
        let (status, body) = agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &reply);
        assert_eq!(status, 201, "{body}");
        let edited = json!({"text": format!("{text} 有问题随时找我。"), "client_message_id": "a-2", "script": {"id": id, "lang": lang}});
        assert_eq!(agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &edited).0, 201);
        let bad = json!({"text": "好的", "client_message_id": "a-3", "script": {"id": "../x", "lang": lang}});
        assert_eq!(agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &bad).0, 422);
        let note = json!({"text": "备注", "kind": "note", "script": {"id": id, "lang": lang}});
        assert_eq!(agent.post(&format!("/api/v1/conversations/{conversation}/messages"), &note).0, 422);
        visitor.send("q-2", "好的，谢谢，明白了");

        assert_eq!(agent.get("/api/v1/knowledge/stats").0, 403);
        assert_eq!(lead.get("/api/v1/knowledge/stats?days=0").0, 422);
        let (_, stats) = lead.get("/api/v1/knowledge/stats");
        let row = stats["scripts"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{stats}"));
        let text_changed = i64::from(text != script["text"].as_str().unwrap());
        assert_eq!((row["used"].as_i64(), row["sent"].as_i64(), row["edited"].as_i64()), (Some(2), Some(2), Some(1 + text_changed)), "{row}");
        // Both replies were followed by the customer's thanks.
        assert_eq!((row["answered"].as_i64(), row["negative_after"].as_i64()), (Some(2), Some(0)), "{row}");
    }
}

/// Two nodes on one PostgreSQL database: a lead's edit on one is found by a search on the other.
#[test]
fn an_edit_on_one_node_reaches_the_other_nodes_index() {
    let Some(url) = backends().into_iter().flatten().next() else { return };
    let first = TestApp::spawn(Some(url.clone()));
    let second = TestApp::spawn_second(Some(url));
    let mut lead = first.login("lead");
    let mut agent = second.login("agent");
    let article = ARTICLE.replace("礼品卡怎么用？", "礼品卡怎么用（新版）？");
    assert_eq!(lead.post("/api/v1/knowledge/import", &json!({"files": [{"name": "gift-card.zh-Hans.md", "text": article}]})).0, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, hits) = agent.get("/api/v1/knowledge/search?q=%E6%96%B0%E7%89%88");
        if ids(&hits).first().map(String::as_str) == Some("gift-card") {
            break;
        }
        assert!(Instant::now() < deadline, "the second node never saw the import: {hits}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
