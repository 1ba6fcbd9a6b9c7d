//! A measurement, not a check (ignored by default; numbers go to docs/PERFORMANCE.md): time to first contentful
//! paint of the agent workspace in headless Chromium with 1,000 open conversations in the organisation.
//!
//! `cargo nextest run -p anxin-web --cargo-profile release --run-ignored only first_paint --no-capture`

use serde_json::json;

use crate::support::*;
use crate::webdriver::*;

const OPEN_CONVERSATIONS: usize = 1000;
const RUNS: usize = 7;

#[test]
#[ignore = "measurement: run on demand, see docs/PERFORMANCE.md"]
fn first_paint_with_1000_open_conversations() {
    let app = TestApp::spawn_with(None, |c| {
        c.ip_requests_per_minute = 1_000_000;
        c.visitor_messages_per_minute = 1_000;
    });
    let texts = ["快递三天了还没到，怎么回事？！", "请问这件有红色的吗？", "质量太差了，很失望", "退款什么时候到账？急！", "收到了，很满意，谢谢"];
    let mut last = 0;
    for i in 0..OPEN_CONVERSATIONS {
        let mut visitor = app.visitor();
        let (status, body) = visitor.send(&format!("m{i}"), texts[i % texts.len()]);
        assert_eq!(status, 201, "{body}");
        last = body["conversation_id"].as_i64().unwrap();
    }
    let mut agent = app.login("agent");
    let (_, list) = agent.get("/api/v1/conversations?status=open&limit=200");
    assert_eq!(list["conversations"].as_array().unwrap().len(), 200, "{list}");

    let b = Browser::start("zh-CN");
    b.goto(&format!("{}/login?next=/inbox", app.base));
    b.send_keys(&b.wait_for("input[name=username]"), "agent");
    b.send_keys(&b.find("input[name=password]"), PASSWORD);
    b.click(&b.find("form[action='/login'] button[type=submit]"));
    b.wait_for(".workspace");

    for (name, path) in [("list (view=all)", "/inbox?view=all".to_owned()), ("list + open conversation", format!("/inbox?view=all&c={last}"))] {
        let mut paints = Vec::new();
        let mut responses = Vec::new();
        for _ in 0..RUNS {
            b.goto(&format!("{}{path}", app.base));
            b.wait_for(".workspace");
            let timing = b.wait_until("a first-contentful-paint entry", |b| {
                let t = b.execute(
                    "const p = performance.getEntriesByName('first-contentful-paint')[0]; const n = performance.getEntriesByType('navigation')[0];\
                     return p ? {paint: p.startTime, response: n.responseEnd, rows: document.querySelectorAll('#rows .row').length} : null;",
                    vec![],
                );
                (!t.is_null()).then_some(t)
            });
            assert_eq!(timing["rows"], json!(50), "the first page of the list is rendered");
            paints.push(timing["paint"].as_f64().unwrap());
            responses.push(timing["response"].as_f64().unwrap());
        }
        paints.sort_by(f64::total_cmp);
        responses.sort_by(f64::total_cmp);
        eprintln!(
            "first paint, {name}, {OPEN_CONVERSATIONS} open conversations: median {:.0} ms (min {:.0}, max {:.0}); HTML received at median {:.0} ms",
            paints[RUNS / 2],
            paints[0],
            paints[RUNS - 1],
            responses[RUNS / 2]
        );
    }
}
