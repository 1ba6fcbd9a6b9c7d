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
