//! The customer's side of a complaint over HTTP and the widget socket: the agent offers three remedies, puts them
//! to the customer and withdraws one; the visitor sees the offer on their socket and chooses one (once); the
//! conversation is resolved, a rating request reaches the socket, the visitor rates 4 with a comment (once), and the
//! CSAT summary counts it. Hostile input gets 4xx JSON errors naming what was wrong.

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn a_customer_chooses_a_remedy_and_rates_the_service() {
    for backend in backends() {
        story(TestApp::spawn(backend));
    }
}

fn field(reply: &(u16, Value)) -> (u16, Option<&str>) {
    (reply.0, reply.1["error"]["details"]["field"].as_str())
}

fn code(reply: &(u16, Value)) -> (u16, Option<&str>) {
    (reply.0, reply.1["error"]["code"].as_str())
}

/// The next event of this kind on a socket.
fn event(socket: &mut Socket, kind: &str) -> Value {
    wait_for(socket, |f| f["type"] == "event" && f["event"]["kind"] == kind)["event"].clone()
}

fn story(app: TestApp) {
    let mut admin = app.login("admin");
    let agent_id = user_id(&mut admin, "agent");
    let mut agent = app.login("agent");
    let mut lead = app.login("lead");
    let mut trainer = app.login("trainer");

    let mut customer = app.visitor();
    let (status, sent) = customer.send("c1", "收到的电饭煲是坏的！！！太气人了，我要退款");
    assert_eq!(status, 201, "{sent}");
    let conversation = sent["conversation_id"].as_i64().expect("conversation id");
    let (status, body) = agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"assignee_id": agent_id}));
    assert_eq!(status, 200, "{body}");
    let widget = format!("/api/v1/widget/{}", app.channel_key);

    // The customer's widget follows the conversation.
    let mut socket = connect(&app.ws_url(&format!("{widget}/ws?token={}&after=0", customer.token)), None, Some(SHOP)).expect("widget socket");

    // The agent opens a ticket and offers three remedies within the limit.
    let (status, opened) = agent.post(&format!("/api/v1/conversations/{conversation}/tickets"), &json!({"complaint_type": "quality"}));
    assert_eq!(status, 201, "{opened}");
    let ticket = opened["ticket"]["id"].as_i64().unwrap();
    let present = format!("/api/v1/tickets/{ticket}/remedies/present");
    let (status, nothing) = agent.post(&present, &json!({}));
    assert_eq!((status, nothing["error"]["code"].as_str()), (409, Some("no_approved_remedies")), "{nothing}");
    let mut offer = |body: Value| {
        let (status, made) = agent.post(&format!("/api/v1/tickets/{ticket}/remedies"), &body);
        assert_eq!(status, 201, "{made}");
        made["remedy"]["id"].as_i64().unwrap()
    };
    let refund = offer(json!({"kind": "refund"}));
    let partial = offer(json!({"kind": "partial_refund", "amount_fen": 1500, "note": "退回差价"}));
    let replacement = offer(json!({"kind": "replacement"}));

    // Hostile staff requests: ids that are not ids, bodies with fields, roles without the right, other tickets.
    assert_eq!(field(&agent.post("/api/v1/tickets/abc/remedies/present", &json!({}))), (422, Some("id")));
    assert_eq!(field(&agent.post("/api/v1/tickets/-1/remedies/present", &json!({}))), (422, Some("id")));
    assert_eq!(agent.post(&present, &json!({"remedy_ids": [refund]})).0, 422);
    assert_eq!(agent.raw("POST", &present, b"{".to_vec()).0, 400);
    assert_eq!(trainer.post(&present, &json!({})).0, 403);
    assert_eq!(agent.post("/api/v1/tickets/999999/remedies/present", &json!({})).0, 404);
    assert_eq!(field(&agent.post(&format!("/api/v1/tickets/{ticket}/remedies/x/withdraw"), &json!({}))), (422, Some("rid")));

    // The agent puts them to the customer: the widget gets the choices, without anything staff-only.
    let (status, presented) = agent.request("POST", &present, None);
    assert_eq!(status, 200, "{presented}");
    assert_eq!(presented["offer"]["remedies"].as_array().unwrap().len(), 3, "{presented}");
    let offered = event(&mut socket, "remedies_offered");
    assert_eq!(offered["data"]["ticket_id"], ticket);
    assert_eq!(offered["data"]["remedies"][1], json!({"id": partial, "kind": "partial_refund", "amount_fen": 1500, "note": "退回差价"}));
    let text = offered.to_string();
    assert!(!text.contains("offered_by") && !text.contains("limit_fen") && !text.contains("approved_by"), "{text}");

    // The agent withdraws the replacement: the widget hears what remains.
    let (status, withdrawn) = agent.post(&format!("/api/v1/tickets/{ticket}/remedies/{replacement}/withdraw"), &json!({}));
    assert_eq!((status, withdrawn["remedy"]["state"].as_str()), (200, Some("withdrawn")), "{withdrawn}");
    let remaining = event(&mut socket, "remedies_offered");
    let ids: Vec<i64> = remaining["data"]["remedies"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [refund, partial]);

    // Hostile choices: no token, another visitor, not an id, unknown remedy, a withdrawn one, a body with fields.
    let choose = |id: &str| format!("{widget}/remedies/{id}/choose");
    let mut anonymous = Client::new(&app);
    anonymous.origin = Some(SHOP.into());
    assert_eq!(code(&anonymous.post(&choose(&partial.to_string()), &json!({}))), (401, Some("unauthenticated")));
    let mut stranger = app.visitor();
    stranger.send("s1", "你好");
    stranger.client.bearer = Some(stranger.token.clone());
    assert_eq!(code(&stranger.client.post(&choose(&partial.to_string()), &json!({}))), (404, Some("not_found")), "not their conversation");
    customer.client.bearer = Some(customer.token.clone());
    assert_eq!(field(&customer.client.post(&choose("abc"), &json!({}))), (422, Some("id")));
    assert_eq!(code(&customer.client.post(&choose("999999"), &json!({}))), (404, Some("not_found")));
    assert_eq!(code(&customer.client.post(&choose(&replacement.to_string()), &json!({}))), (409, Some("remedy_withdrawn")));
    assert_eq!(customer.client.post(&choose(&partial.to_string()), &json!({"amount_fen": 1})).0, 422);

    // The customer chooses the partial refund; the same click again answers the same; another is a conflict.
    let (status, chosen) = customer.client.post(&choose(&partial.to_string()), &json!({}));
    assert_eq!(status, 200, "{chosen}");
    assert_eq!((chosen["ticket_id"].as_i64(), chosen["remedy"]["id"].as_i64()), (Some(ticket), Some(partial)));
    assert!(chosen["remedy"].get("approved_by").is_none(), "{chosen}");
    let picked = event(&mut socket, "remedy_chosen");
    assert_eq!(picked["data"]["remedy"]["id"], partial);
    assert_eq!(customer.client.request("POST", &choose(&partial.to_string()), None).0, 200);
    assert_eq!(code(&customer.client.post(&choose(&refund.to_string()), &json!({}))), (409, Some("remedy_already_chosen")));
    // Staff see the choice on the ticket and in the event log; nothing more can be put or withdrawn.
    let (_, seen) = agent.get(&format!("/api/v1/tickets/{ticket}"));
    let state = seen["remedies"].as_array().unwrap().iter().find(|r| r["id"] == partial).unwrap()["state"].clone();
    assert_eq!(state, "chosen");
    let (_, log) = lead.get("/api/v1/events?after=0");
    assert!(log["events"].as_array().unwrap().iter().any(|e| e["kind"] == "remedy_chosen"), "staff get the choice too");
    assert_eq!(code(&agent.post(&present, &json!({}))), (409, Some("remedy_already_chosen")));
    assert_eq!(code(&agent.post(&format!("/api/v1/tickets/{ticket}/remedies/{partial}/withdraw"), &json!({}))), (409, Some("remedy_chosen")));

    // Rating without a request: nothing to answer.
    let csat = format!("{widget}/csat");
    assert_eq!(code(&customer.client.post(&csat, &json!({"request_id": 1, "rating": 5}))), (404, Some("not_found")));

    // The agent resolves the conversation: the widget is asked for a rating.
    let (status, body) = agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"}));
    assert_eq!(status, 200, "{body}");
    let asked = event(&mut socket, "csat_requested");
    assert_eq!(asked["data"]["conversation_id"], conversation);
    let request = asked["data"]["request_id"].as_i64().expect("request id");
    // After a reload the widget finds what is still open.
    let (status, open) = customer.client.get(&format!("{widget}/feedback"));
    assert_eq!(status, 200, "{open}");
    assert_eq!(open["csat"][0]["request_id"], request);
    assert_eq!(open["offers"][0]["chosen"]["id"], partial);
    assert_eq!(anonymous.get(&format!("{widget}/feedback")).0, 401);

    // Hostile ratings.
    let rate = |customer: &mut Visitor, body: Value| customer.client.post(&csat, &body);
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": 0}))), (422, Some("rating")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": 6}))), (422, Some("rating")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": "5"}))), (422, Some("rating")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": 4.5}))), (422, Some("rating")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": "x", "rating": 4}))), (422, Some("request_id")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": 4, "comment": "好\u{7}"}))), (422, Some("comment")));
    assert_eq!(field(&rate(&mut customer, json!({"request_id": request, "rating": 4, "comment": "好".repeat(1001)}))), (422, Some("comment")));
    assert_eq!(rate(&mut customer, json!({"request_id": request, "rating": 4, "agent_user_id": 1})).0, 422);
    assert_eq!(rate(&mut customer, json!({"rating": 4})).0, 422);
    assert_eq!(customer.client.raw("POST", &csat, b"{\"rating\":".to_vec()).0, 400);
    assert_eq!(code(&rate(&mut customer, json!({"request_id": 999999, "rating": 4}))), (404, Some("not_found")));
    assert_eq!(code(&stranger.client.post(&csat, &json!({"request_id": request, "rating": 1}))), (404, Some("not_found")));
    assert_eq!(code(&anonymous.post(&csat, &json!({"request_id": request, "rating": 1}))), (401, Some("unauthenticated")));

    // The customer rates 4 with a comment (shown as text, kept verbatim); a second answer is refused.
    let comment = "处理很快，<b>谢谢</b>";
    let (status, rated) = rate(&mut customer, json!({"request_id": request, "rating": 4, "comment": comment}));
    assert_eq!(status, 201, "{rated}");
    assert_eq!((rated["rating"]["rating"].as_i64(), rated["rating"]["comment"].as_str()), (Some(4), Some(comment)));
    assert!(rated["rating"].get("agent_user_id").is_none(), "{rated}");
    let recorded = event(&mut socket, "csat_recorded");
    assert_eq!(recorded["data"]["rating"], 4);
    assert_eq!(code(&rate(&mut customer, json!({"request_id": request, "rating": 5}))), (409, Some("csat_already_recorded")));
    assert!(customer.client.get(&format!("{widget}/feedback")).1["csat"].as_array().unwrap().is_empty());

    // The summary shows it: per agent for the lead, the agent's own for the agent, nothing for the trainer.
    let (status, summary) = lead.get("/api/v1/csat?group_by=agent&days=30");
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["summary"]["total"]["count"], 1);
    assert_eq!(summary["summary"]["total"]["average"], 4.0);
    assert_eq!(summary["summary"]["total"]["distribution"], json!([0, 0, 0, 1, 0]));
    assert_eq!(summary["summary"]["groups"][0]["key"], agent_id);
    assert_eq!(summary["summary"]["groups"][0]["label"], "agent");
    let (_, by_type) = lead.get("/api/v1/csat?group_by=complaint_type");
    assert_eq!(by_type["days"], 30);
    assert_eq!(by_type["summary"]["groups"][0]["key"], "quality", "a ticket's rating counts under the ticket's type: {by_type}");
    let (status, own) = agent.get("/api/v1/csat");
    assert_eq!((status, own["summary"]["own_only"].as_bool(), own["summary"]["total"]["count"].as_i64()), (200, Some(true), Some(1)), "{own}");
    assert_eq!(trainer.get("/api/v1/csat").0, 403);
    assert_eq!(field(&lead.get("/api/v1/csat?group_by=mood")), (422, Some("query")));
    assert_eq!(field(&lead.get("/api/v1/csat?days=0")), (422, Some("days")));
    assert_eq!(field(&lead.get("/api/v1/csat?days=abc")), (422, Some("query")));
    assert_eq!(field(&lead.get("/api/v1/csat?since=0")), (422, Some("query")));
    assert_eq!(Client::new(&app).get("/api/v1/csat").0, 401);
}

/// The same story in a real browser: the widget on a shop's page draws the remedies as buttons, the customer
/// chooses one and rates the service with stars and a comment; after a reload the choice is still confirmed.
#[test]
fn the_widget_shows_remedies_and_the_rating_in_a_browser() {
    use crate::webdriver::{Browser, ENTER};
    const WIDGET: &str = "#anxin-widget";
    let app = TestApp::spawn(None);
    let shop = ShopPage::start(&app);
    let b = Browser::start("zh-CN");
    let in_widget = |b: &Browser, css: &str| b.wait_until(&format!("`{css}` in the widget"), |b| b.find_all_in_shadow(WIDGET, css).into_iter().next());
    let shows = |b: &Browser, css: &str, needle: &str| {
        b.wait_until(&format!("{needle:?} in `{css}`"), |b| {
            b.find_all_in_shadow(WIDGET, css).into_iter().find(|e| b.text(e).contains(needle)).map(|_| ())
        })
    };
    let open = |b: &Browser| {
        b.goto(&shop.url);
        b.click(&in_widget(b, "[data-anxin=open]"));
        b.wait_until("the widget to be online", |b| {
            let state = b.find_all_in_shadow(WIDGET, "[data-anxin=state]").into_iter().next()?;
            (b.attribute(&state, "data-state").as_deref() == Some("online")).then_some(())
        });
    };
    open(&b);
    b.send_keys(&in_widget(&b, "[data-anxin=input]"), &format!("收到的保温杯漏水，太失望了{ENTER}"));

    let mut agent = app.login("agent");
    let conversation = b.wait_until("the message to be stored", |_| {
        let (_, list) = agent.get("/api/v1/conversations");
        list["conversations"].as_array()?.iter().find(|c| c["preview"] == "收到的保温杯漏水，太失望了").and_then(|c| c["id"].as_i64())
    });
    let (status, opened) = agent.post(&format!("/api/v1/conversations/{conversation}/tickets"), &json!({"complaint_type": "quality"}));
    assert_eq!(status, 201, "{opened}");
    let ticket = opened["ticket"]["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for body in [json!({"kind": "replacement"}), json!({"kind": "partial_refund", "amount_fen": 1550, "note": "<b>差价</b>"}), json!({"kind": "coupon", "amount_fen": 2000})] {
        let (status, made) = agent.post(&format!("/api/v1/tickets/{ticket}/remedies"), &body);
        assert_eq!(status, 201, "{made}");
        ids.push(made["remedy"]["id"].as_i64().unwrap());
    }
    assert_eq!(agent.post(&format!("/api/v1/tickets/{ticket}/remedies/present"), &json!({})).0, 200);

    // Three cards of buttons, in Simplified Chinese, the note shown as text.
    shows(&b, ".anxin-offer", "请选择您希望的解决方案");
    let partial = in_widget(&b, &format!(".anxin-remedy[data-remedy-id='{}']", ids[1]));
    assert_eq!(b.text(&partial).lines().collect::<Vec<_>>(), ["部分退款 ¥15.50", "<b>差价</b>"]);
    assert_eq!(b.text(&in_widget(&b, &format!(".anxin-remedy[data-remedy-id='{}']", ids[2]))), "优惠券 ¥20");
    assert_eq!(b.find_all_in_shadow(WIDGET, ".anxin-remedy").len(), 3);

    // The agent withdraws the coupon: its button goes. The customer chooses the partial refund from the keyboard.
    assert_eq!(agent.post(&format!("/api/v1/tickets/{ticket}/remedies/{}/withdraw", ids[2]), &json!({})).0, 200);
    b.wait_until("the withdrawn remedy's button to go", |b| (b.find_all_in_shadow(WIDGET, ".anxin-remedy").len() == 2).then_some(()));
    let partial = in_widget(&b, &format!(".anxin-remedy[data-remedy-id='{}']", ids[1]));
    b.send_keys(&partial, ENTER);
    shows(&b, ".anxin-remedy-chosen", "您已选择：部分退款 ¥15.50");
    let (_, seen) = agent.get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(seen["remedies"].as_array().unwrap().iter().find(|r| r["id"] == ids[1]).unwrap()["state"], "chosen");

    // Resolved: five labelled stars, a comment, send, thanks.
    assert_eq!(agent.patch(&format!("/api/v1/conversations/{conversation}"), &json!({"status": "resolved"})).0, 200);
    let four = in_widget(&b, ".anxin-csat button[data-rating='4']");
    b.wait_until("the rating to be shown", |b| b.displayed(&four).then_some(()));
    assert_eq!(b.attribute(&four, "aria-label").as_deref(), Some("4 星"));
    b.click(&four);
    b.send_keys(&in_widget(&b, "#anxin-csat-comment"), "换得很快");
    b.click(&in_widget(&b, "#anxin-csat-send"));
    shows(&b, "[data-anxin=rating]", "感谢您的评价");
    let mut lead = app.login("lead");
    let summary = b.wait_until("the rating to be counted", |_| {
        let (_, s) = lead.get("/api/v1/csat?group_by=agent");
        (s["summary"]["total"]["count"] == 1).then_some(s)
    });
    assert_eq!(summary["summary"]["total"]["average"], 4.0);

    // A reload: the choice is still confirmed; no buttons come back.
    open(&b);
    shows(&b, ".anxin-remedy-chosen", "您已选择：部分退款 ¥15.50");
    assert!(b.find_all_in_shadow(WIDGET, ".anxin-remedy").is_empty());
}

/// A shop's page on its own origin, embedding the widget for a web-chat channel that allows that origin.
struct ShopPage {
    url: String,
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ShopPage {
    fn start(app: &TestApp) -> ShopPage {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let origin = format!("http://{addr}");
        let mut admin = app.login("admin");
        let (status, body) = admin.post("/api/v1/channels", &json!({"kind": "web_chat", "name": "保温杯旗舰店", "allowed_origins": [origin]}));
        assert_eq!(status, 201, "{body}");
        let key = body["channel"]["public_key"].as_str().unwrap().to_owned();
        let page = format!(
            "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>店</title></head><body><h1>保温杯</h1>{}</body></html>",
            anxin_web::widget::snippet(&app.base, &key)
        );
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).ok();
                let mut request = Vec::new();
                let mut buf = [0u8; 2048];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", page.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(page.as_bytes()));
            }
        });
        ShopPage { url: format!("{origin}/"), addr, stop, thread: Some(thread) }
    }
}

impl Drop for ShopPage {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(self.addr); // wakes the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
