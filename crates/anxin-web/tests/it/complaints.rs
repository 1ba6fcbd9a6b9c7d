//! Complaint tickets over HTTP against a real server: the agent opens a logistics ticket from an angry
//! conversation, the supervisor approves it (the default path creates 物流部), the department's handler records the
//! outcome, the agent offers remedies (one above the limit, approved by the lead), records the customer's choice,
//! informs and resolves, and the follow-up closes it. Refusals and version conflicts answer 409 with what to do;
//! bad input 400/422 naming the field; other organisations' ids 404.

use serde_json::{Value, json};

use crate::support::*;

fn act(client: &mut Client, ticket: i64, body: Value) -> (u16, Value) {
    client.post(&format!("/api/v1/tickets/{ticket}/actions"), &body)
}

fn version(ticket: &Value) -> i64 {
    ticket["ticket"]["version"].as_i64().expect("version")
}

fn field(reply: &(u16, Value)) -> (u16, Option<&str>) {
    (reply.0, reply.1["error"]["details"]["field"].as_str())
}

#[test]
fn a_logistics_complaint_goes_through_lead_department_and_follow_up() {
    for backend in backends() {
        story(TestApp::spawn(backend));
    }
}

fn story(app: TestApp) {
    let mut admin = app.login("admin");
    let (status, body) = admin.post("/api/v1/users", &json!({"username": "wuliu", "display_name": "物流小王", "role": "handler", "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    let handler_id = body["user"]["id"].as_i64().unwrap();
    let mut agent = app.login("agent");
    let mut lead = app.login("lead");
    let mut handler = app.login("wuliu");
    let mut trainer = app.login("trainer");

    let mut customer = app.visitor();
    let (status, sent) = customer.send("c1", "快递五天了还没到！！！气死我了，再不处理我就投诉");
    assert_eq!(status, 201, "{sent}");
    let conversation = sent["conversation_id"].as_i64().or(sent["message"]["conversation_id"].as_i64()).expect("conversation id");

    // Bad input when opening: the field is named; another organisation's conversation does not exist.
    let path = format!("/api/v1/conversations/{conversation}/tickets");
    assert_eq!(agent.raw("POST", &path, b"{not json".to_vec()).0, 400);
    assert_eq!(field(&agent.post(&path, &json!({"severity": "apocalyptic"}))), (422, Some("severity")));
    assert_eq!(field(&agent.post(&path, &json!({"complaint_type": 7}))), (422, Some("complaint_type")));
    assert_eq!(field(&agent.post(&path, &json!({"order_ref": "单".repeat(65)}))), (422, Some("order_ref")));
    let unknown = agent.post(&path, &json!({"owner_id": 1}));
    assert_eq!(unknown.0, 422, "{}", unknown.1);
    assert!(unknown.1["error"]["message"].as_str().unwrap().contains("owner_id"), "{}", unknown.1);
    assert_eq!(agent.post(&format!("/api/v1/conversations/{}/tickets", app.other_org_conversation), &json!({})).0, 404);
    assert_eq!(trainer.post(&path, &json!({})).0, 403);

    // The agent opens it.
    let (status, opened) =
        agent.post(&path, &json!({"complaint_type": "logistics", "severity": "high", "order_ref": "SO-20240601-01", "comment": "客户催了三次"}));
    assert_eq!(status, 201, "{opened}");
    let id = opened["ticket"]["id"].as_i64().unwrap();
    assert_eq!(opened["ticket"]["state"], "awaiting_lead");
    assert_eq!(opened["ticket"]["holder"], "lead");
    assert!(opened["ticket"]["emotion"].is_string(), "the customer's emotion at this moment: {opened}");
    assert_eq!(opened["allowed"], json!(["cancel"]));
    let mine = agent.get("/api/v1/tickets?view=mine").1;
    assert_eq!(mine["tickets"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(agent.get("/api/v1/tickets").1["view"], "mine");
    assert_eq!(field(&agent.get("/api/v1/tickets?view=everything")), (422, Some("query")));
    assert_eq!(agent.get("/api/v1/tickets?view=open").0, 403);
    assert_eq!(lead.get("/api/v1/tickets?view=open").1["tickets"].as_array().unwrap().len(), 1);

    // Hostile action bodies.
    assert_eq!(agent.raw("POST", &format!("/api/v1/tickets/{id}/actions"), b"[".to_vec()).0, 400);
    assert_eq!(field(&act(&mut agent, id, json!({"action": "explode", "expected_version": 1}))), (422, Some("action")));
    assert_eq!(field(&act(&mut agent, id, json!({"action": "cancel", "expected_version": "1"}))), (422, Some("expected_version")));
    assert_eq!(field(&act(&mut agent, id, json!({"action": "cancel", "expected_version": 0}))), (422, Some("expected_version")));
    assert_eq!(field(&act(&mut agent, id, json!({"action": "cancel"}))).0, 422);
    assert_eq!(field(&act(&mut lead, id, json!({"action": "return_to_agent", "comment": "x", "expected_version": 1, "department_team_id": 1}))), (422, Some("department_team_id")));
    assert_eq!(act(&mut agent, id, json!({"action": "cancel", "expected_version": 1, "why": "x"})).0, 422);

    // A refused transition: 409 with what is allowed.
    let (status, refused) = act(&mut agent, id, json!({"action": "resolve", "expected_version": 1}));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "transition_refused");
    assert_eq!(refused["error"]["details"]["allowed"], json!(["cancel"]));
    assert_eq!(refused["error"]["details"]["reason"], "not_from_this_state");
    let (status, bare) = act(&mut lead, id, json!({"action": "return_to_agent", "expected_version": 1}));
    assert_eq!((status, bare["error"]["details"]["reason"].as_str()), (409, Some("comment_required")), "{bare}");

    // The lead returns it with a comment; the agent submits again; an approval on the old version is a conflict.
    let (status, returned) = act(&mut lead, id, json!({"action": "return_to_agent", "comment": "请补充快递单号", "expected_version": 1}));
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["ticket"]["state"], "returned_to_agent");
    let (status, submitted) = act(&mut agent, id, json!({"action": "submit", "expected_version": version(&returned)}));
    assert_eq!(status, 200, "{submitted}");
    let (status, stale) = act(&mut lead, id, json!({"action": "approve", "expected_version": version(&returned)}));
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["code"], "ticket_changed");
    assert_eq!(stale["error"]["details"]["version"], version(&submitted));

    // The lead approves: the default escalation path sends it to a new 物流部 team.
    let (status, approved) = act(&mut lead, id, json!({"action": "approve", "expected_version": version(&submitted)}));
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["ticket"]["state"], "with_department");
    assert_eq!(approved["ticket"]["department_name"], "物流部");
    let department = approved["ticket"]["department_team_id"].as_i64().unwrap();
    let paths = lead.get("/api/v1/escalation-paths").1;
    let logistics = paths["paths"].as_array().unwrap().iter().find(|p| p["complaint_type"] == "logistics").unwrap().clone();
    assert_eq!((logistics["team_id"].as_i64(), logistics["configured"].as_bool()), (Some(department), Some(true)));

    // The handler is not in the department yet: the ticket is not theirs to see.
    assert_eq!(handler.get(&format!("/api/v1/tickets/{id}")).0, 404);
    let (status, body) = admin.post(&format!("/api/v1/teams/{department}/members"), &json!({"user_id": handler_id}));
    assert!(status == 200 || status == 201, "{body}");
    let queue = handler.get("/api/v1/tickets?view=department").1;
    assert_eq!(queue["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>(), [id], "{queue}");
    let seen = handler.get(&format!("/api/v1/tickets/{id}")).1;
    assert_eq!(seen["allowed"], json!(["record_outcome", "hand_back"]));
    // Closing while the department holds it is refused, and the lead has nothing to do now.
    let (status, early) = act(&mut lead, id, json!({"action": "confirm_fixed", "expected_version": version(&seen)}));
    assert_eq!((status, early["error"]["details"]["allowed"].clone()), (409, json!([])), "{early}");
    let (status, outcome) = act(&mut handler, id, json!({"action": "record_outcome", "comment": "快递丢件，已加急补发", "expected_version": version(&seen)}));
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["ticket"]["state"], "outcome_ready");
    assert_eq!(outcome["ticket"]["holder"], "agent");

    // Remedies: a coupon within the agent's limit, compensation above it (the lead approves), bad amounts refused.
    let remedies = format!("/api/v1/tickets/{id}/remedies");
    assert_eq!(field(&agent.post(&remedies, &json!({"kind": "coupon"}))), (422, Some("amount_fen")));
    assert_eq!(field(&agent.post(&remedies, &json!({"kind": "coupon", "amount_fen": -5}))), (422, Some("amount_fen")));
    assert_eq!(field(&agent.post(&remedies, &json!({"kind": "reshipment", "amount_fen": 100}))), (422, Some("amount_fen")));
    assert_eq!(field(&agent.post(&remedies, &json!({"kind": "cash", "amount_fen": 100}))), (422, Some("kind")));
    let (status, coupon) = agent.post(&remedies, &json!({"kind": "coupon", "amount_fen": 2000, "note": "下次购物可用"}));
    assert_eq!((status, coupon["remedy"]["state"].as_str()), (201, Some("approved")), "{coupon}");
    let (status, big) = agent.post(&remedies, &json!({"kind": "compensation", "amount_fen": 5000}));
    assert_eq!(status, 201, "{big}");
    assert_eq!(big["remedy"]["state"], "offered");
    assert_eq!(big["decision"], json!({"decision": "needs_approval", "by": "lead", "limit_fen": 2000}));
    let (status, reship) = agent.post(&remedies, &json!({"kind": "reshipment"}));
    assert_eq!(status, 201, "{reship}");
    let big_id = big["remedy"]["id"].as_i64().unwrap();
    let (status, unapproved) = agent.post(&format!("{remedies}/{big_id}/choose"), &json!({}));
    assert_eq!((status, unapproved["error"]["code"].as_str()), (409, Some("remedy_not_approved")), "{unapproved}");
    assert_eq!(agent.post(&format!("{remedies}/{big_id}/approve"), &json!({})).0, 403);
    let (status, approved) = lead.post(&format!("{remedies}/{big_id}/approve"), &json!({}));
    assert_eq!((status, approved["remedy"]["state"].as_str()), (200, Some("approved")), "{approved}");
    let (status, chosen) = agent.post(&format!("{remedies}/{big_id}/choose"), &json!({}));
    assert_eq!((status, chosen["remedy"]["state"].as_str()), (200, Some("chosen")), "{chosen}");
    let reship_id = reship["remedy"]["id"].as_i64().unwrap();
    let (status, second) = agent.post(&format!("{remedies}/{reship_id}/choose"), &json!({}));
    assert_eq!((status, second["error"]["code"].as_str()), (409, Some("remedy_already_chosen")), "{second}");
    assert_eq!(agent.post(&format!("{remedies}/999999/choose"), &json!({})).0, 404);

    // The agent tells the customer and resolves; the follow-up confirms the fix.
    let (status, informed) = act(&mut agent, id, json!({"action": "inform_customer", "expected_version": version(&outcome)}));
    assert_eq!(status, 200, "{informed}");
    let (status, resolved) = act(&mut agent, id, json!({"action": "resolve", "expected_version": version(&informed)}));
    assert_eq!(status, 200, "{resolved}");
    assert!(resolved["ticket"]["resolved_at"].is_i64());
    let (status, closed) = act(&mut agent, id, json!({"action": "confirm_fixed", "expected_version": version(&resolved)}));
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["ticket"]["state"], "closed");
    let steps: Vec<&str> = closed["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(steps, ["open", "return_to_agent", "submit", "approve", "record_outcome", "inform_customer", "resolve", "confirm_fixed"]);
    assert_eq!(closed["remedies"].as_array().unwrap().len(), 3);
    assert_eq!(closed["steps"][1]["comment"], "请补充快递单号");

    // Escalation paths: bad input named; supervisors set them, agents may not.
    let put = |client: &mut Client, body: Value| client.request("PUT", "/api/v1/escalation-paths", Some(("application/json", body.to_string().into_bytes())));
    assert_eq!(field(&put(&mut lead, json!({"paths": {"nonsense": null}}))), (422, Some("paths.nonsense")));
    assert_eq!(field(&put(&mut lead, json!({"paths": {"quality": 999999}}))), (422, Some("paths.quality")));
    assert_eq!(field(&put(&mut lead, json!({"paths": {"quality": "品控部"}}))).0, 422);
    assert_eq!(put(&mut agent, json!({"paths": {"quality": null}})).0, 403);
    let (status, set) = put(&mut lead, json!({"paths": {"quality": department, "price": null}}));
    assert_eq!(status, 200, "{set}");
    let quality = set["paths"].as_array().unwrap().iter().find(|p| p["complaint_type"] == "quality").unwrap().clone();
    assert_eq!(quality["team_id"], department);

    // Other organisations' and unknown ids are 404; a trainer's role does not read tickets.
    assert_eq!(lead.get("/api/v1/tickets/999999").0, 404);
    assert_eq!(act(&mut lead, 999_999, json!({"action": "approve", "expected_version": 1})).0, 404);
    assert_eq!(trainer.get(&format!("/api/v1/tickets/{id}")).0, 403);
    let audit = admin.get("/api/v1/audit").1;
    let entries = audit["entries"].as_array().or(audit["audit"].as_array()).unwrap().clone();
    assert!(entries.iter().any(|e| e["action"] == "ticket.remedy_approve" && e["target"] == format!("ticket:{id}")), "approvals are audited");
}
