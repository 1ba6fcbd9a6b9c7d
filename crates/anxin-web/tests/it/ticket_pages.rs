//! The complaint ticket pages against a real server (both backends): an angry customer threatens 12315, the
//! workspace suggests a ticket and the agent opens it with one click; the lead approves it on the ticket page, the
//! logistics handler records the outcome, the agent offers remedies (one above the limit, approved by the lead),
//! records the customer's choice, informs and resolves; the follow-up shows as due after 48 hours and as overdue for
//! the lead a day later. Someone acting on a stale page gets the current state back with what they typed; hostile
//! ids and form values are refused with nothing lost; each role sees only its pages; the root-cause view counts a
//! small known set.

use serde_json::{Value, json};

use crate::support::*;

const HOUR: i64 = 3_600_000;

fn create_user(admin: &mut Client, username: &str, role: &str) -> i64 {
    let (status, body) = admin.post("/api/v1/users", &json!({"username": username, "display_name": username, "role": role, "password": PASSWORD}));
    assert_eq!(status, 201, "{body}");
    body["user"]["id"].as_i64().unwrap()
}

/// A new conversation from a new visitor; returns its id.
fn conversation(app: &TestApp, text: &str) -> i64 {
    let mut customer = app.visitor();
    let (status, sent) = customer.send("m1", text);
    assert_eq!(status, 201, "{sent}");
    sent["conversation_id"].as_i64().or(sent["message"]["conversation_id"].as_i64()).expect("conversation id")
}

fn page(client: &mut Client, path: &str) -> (u16, String) {
    let (status, body) = client.get(path);
    (status, html(&body).to_owned())
}

fn ticket_json(client: &mut Client, id: i64) -> Value {
    let (status, body) = client.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

fn version(client: &mut Client, id: i64) -> String {
    ticket_json(client, id)["ticket"]["version"].as_i64().unwrap().to_string()
}

/// Takes a workflow step through the ticket page's form; returns (status, page, Location).
fn act(client: &mut Client, id: i64, action: &str, version: &str, comment: &str) -> (u16, String, String) {
    let csrf = csrf(client);
    submit(client, &format!("/tickets/{id}/act"), &[("csrf", &csrf), ("action", action), ("version", version), ("comment", comment)])
}

fn act_ok(client: &mut Client, id: i64, action: &str, comment: &str) {
    let v = version(client, id);
    let (status, body, location) = act(client, id, action, &v, comment);
    assert_eq!(status, 303, "{action}: {body}");
    assert_eq!(location, format!("/tickets/{id}?ok=acted&a={action}"));
}

/// The part of a page from an element's id to the end of its list or table.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[start..];
    let end = [rest.find("</ul>"), rest.find("</table>")].into_iter().flatten().min().unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn a_suggested_ticket_goes_through_its_pages_to_the_follow_up() {
    for backend in backends() {
        story(TestApp::spawn(backend));
    }
}

fn story(app: TestApp) {
    let mut admin = app.login("admin");
    let handler_id = create_user(&mut admin, "wuliu", "handler");
    let mut agent = app.login("agent");
    let mut lead = app.login("lead");
    let mut handler = app.login("wuliu");

    // The workspace suggests a ticket for a customer who threatens the regulator; a handler (who cannot open one)
    // does not see the card.
    let conv = conversation(&app, "快递五天了还没到！！！气死我了，再不处理我就打12315投诉");
    let inbox = format!("/inbox?view=all&status=any&c={conv}");
    let (status, workspace) = page(&mut agent, &inbox);
    assert_eq!(status, 200);
    assert!(workspace.contains("id=\"suggest-ticket\"") && workspace.contains("建议立案"), "{workspace}");
    let found = agent.get(&format!("/api/v1/conversations/{conv}")).1;
    let found = found["conversation"]["complaint_type"].as_str().or(found["complaint_type"].as_str()).unwrap_or("other").to_owned();
    assert!(workspace.contains(&format!("<option value=\"{found}\" selected>")), "the type found is pre-filled ({found})");
    assert!(workspace.contains("<option value=\"high\" selected>"), "a threat makes it high severity");
    assert!(!page(&mut handler, &inbox).1.contains("id=\"suggest-ticket\""));

    // One click opens it and lands on the ticket page.
    let token = csrf(&agent);
    let conv_text = conv.to_string();
    let (status, body, location) = submit(
        &mut agent,
        "/tickets/new",
        &[("csrf", &token), ("conversation_id", &conv_text), ("complaint_type", "logistics"), ("severity", "high"), ("order_ref", "SO-1")],
    );
    assert_eq!(status, 303, "{body}");
    let id: i64 = location.strip_prefix("/tickets/").and_then(|l| l.strip_suffix("?ok=opened")).and_then(|n| n.parse().ok()).expect(&location);
    let (status, ticket) = page(&mut agent, &location);
    assert_eq!(status, 200);
    assert!(ticket.contains("工单已创建") && ticket.contains("物流问题") && ticket.contains("SO-1") && ticket.contains("待班长审批"), "{ticket}");
    let link = &ticket[ticket.rfind("<a href=\"/inbox?view=all").expect("conversation link")..];
    let link = &link[..link.find("</a>").unwrap()];
    assert!(link.contains("id=\"ticket-conversation\"") && link.contains(&format!("c={conv}\"")), "conversation link: {link}");
    assert!(ticket.contains("button type=\"submit\" name=\"action\" value=\"cancel\""), "the agent may cancel: {ticket}");
    assert!(!ticket.contains("value=\"approve\""), "only the lead approves");
    assert!(!page(&mut agent, &inbox).1.contains("id=\"suggest-ticket\""), "no suggestion while a ticket is open");

    // Lists: mine for the agent, everything open for the lead, with SLA badges in words.
    let (_, mine) = page(&mut agent, "/tickets");
    assert!(section(&mine, "ticket-list").contains(&format!("href=\"/tickets/{id}\"")), "{mine}");
    assert!(mine.contains("data-sla=\"") && (mine.contains("正常") || mine.contains("即将超时") || mine.contains("已超时")));
    let (status, open) = page(&mut lead, "/tickets?view=open");
    assert_eq!(status, 200);
    assert!(section(&open, "ticket-list").contains(&format!("href=\"/tickets/{id}\"")));

    // The lead's page has the approve button and the departments; a return without a comment keeps the page.
    let (_, lead_page) = page(&mut lead, &format!("/tickets/{id}"));
    assert!(lead_page.contains("name=\"action\" value=\"approve\"") && lead_page.contains("name=\"department_team_id\""), "{lead_page}");
    let (status, body, _) = act(&mut lead, id, "return_to_agent", "1", "   ");
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("这一步需要填写说明") && body.contains("id=\"comment-error\""));

    // Two people on version 1: the lead approves first; the agent's cancel comes back with the current state and
    // the comment typed.
    act_ok(&mut lead, id, "approve", "转物流部核实");
    let (status, body, _) = act(&mut agent, id, "cancel", "1", "顾客撤诉 TYPED-<b>");
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("工单刚刚被其他人更新"), "{body}");
    assert!(body.contains(">顾客撤诉 TYPED-&#60;b&#62;</textarea>") || body.contains(">顾客撤诉 TYPED-&lt;b&gt;</textarea>"), "typed comment kept, escaped: {body}");
    assert!(body.contains("部门处理中"), "the current state is shown");
    assert_eq!(ticket_json(&mut agent, id)["ticket"]["state"], "with_department");

    // The handler joins 物流部 (created by the approval) and finds it in the department queue.
    let teams = admin.get("/api/v1/teams").1;
    let team = teams["teams"].as_array().unwrap().iter().find(|t| t["name"] == "物流部").expect("物流部")["id"].as_i64().unwrap();
    let (status, body) = admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": handler_id}));
    assert!(status < 300, "{body}");
    let (status, queue) = page(&mut handler, "/tickets?view=department");
    assert_eq!(status, 200);
    assert!(section(&queue, "ticket-list").contains(&format!("href=\"/tickets/{id}\"")), "{queue}");
    let (_, handler_page) = page(&mut handler, &format!("/tickets/{id}"));
    assert!(handler_page.contains("name=\"action\" value=\"record_outcome\""), "{handler_page}");
    act_ok(&mut handler, id, "record_outcome", "仓库漏发，已安排补发");

    // Remedies: a coupon above the agent's ¥20 needs the lead; a negative amount is refused with what was typed.
    let remedies = format!("/tickets/{id}/remedies");
    let (_, agent_page) = page(&mut agent, &format!("/tickets/{id}"));
    assert!(agent_page.contains("¥20.00"), "the agent's limit is shown: {agent_page}");
    let token = csrf(&agent);
    let (status, body, _) = submit(&mut agent, &remedies, &[("csrf", &token), ("kind", "coupon"), ("amount", "-5"), ("note", "NOTE-KEPT")]);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"amount-error\"") && body.contains("value=\"-5\"") && body.contains("NOTE-KEPT"));
    let (status, body, _) = submit(&mut agent, &remedies, &[("csrf", &token), ("kind", "reshipment"), ("amount", "3")]);
    assert_eq!(status, 422, "a reshipment carries no amount: {body}");
    let (status, body, _) = submit(&mut agent, &remedies, &[("csrf", &token), ("kind", "voucher_of_doom"), ("amount", "")]);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("id=\"kind-error\""));
    let (status, _, location) = submit(&mut agent, &remedies, &[("csrf", &token), ("kind", "coupon"), ("amount", "50"), ("note", "运费补偿")]);
    assert_eq!((status, location.as_str()), (303, format!("/tickets/{id}?ok=remedy_lead#remedies").as_str()));
    assert!(page(&mut agent, &location).1.contains("需班长审批"));
    let (status, _, location) = submit(&mut agent, &remedies, &[("csrf", &token), ("kind", "reshipment"), ("amount", "")]);
    assert_eq!((status, location.as_str()), (303, format!("/tickets/{id}?ok=remedy_allowed#remedies").as_str()));
    let listed = ticket_json(&mut agent, id)["remedies"].clone();
    let coupon = listed.as_array().unwrap().iter().find(|r| r["kind"] == "coupon").unwrap()["id"].as_i64().unwrap();
    let reship = listed.as_array().unwrap().iter().find(|r| r["kind"] == "reshipment").unwrap()["id"].as_i64().unwrap();
    assert_eq!(listed.as_array().unwrap().iter().find(|r| r["kind"] == "coupon").unwrap()["amount_fen"], 5000);

    // The agent cannot approve it; the lead can; the customer's choice is recorded once.
    let (_, agent_page) = page(&mut agent, &format!("/tickets/{id}"));
    assert!(!agent_page.contains(&format!("id=\"approve-remedy-{coupon}\"")));
    let (status, body, _) = submit(&mut agent, &format!("/tickets/{id}/remedies/{coupon}/approve"), &[("csrf", &token)]);
    assert_eq!(status, 403, "{body}");
    let (_, lead_page) = page(&mut lead, &format!("/tickets/{id}"));
    assert!(lead_page.contains(&format!("id=\"approve-remedy-{coupon}\"")), "{lead_page}");
    let lead_token = csrf(&lead);
    let (status, _, location) = submit(&mut lead, &format!("/tickets/{id}/remedies/{coupon}/approve"), &[("csrf", &lead_token)]);
    assert_eq!((status, location.as_str()), (303, format!("/tickets/{id}?ok=remedy_approved#remedies").as_str()));
    let (_, agent_page) = page(&mut agent, &format!("/tickets/{id}"));
    assert!(agent_page.contains(&format!("id=\"choose-remedy-{coupon}\"")), "{agent_page}");
    let (status, _, location) = submit(&mut agent, &format!("/tickets/{id}/remedies/{coupon}/choose"), &[("csrf", &token)]);
    assert_eq!((status, location.as_str()), (303, format!("/tickets/{id}?ok=remedy_chosen#remedies").as_str()));
    let (status, body, _) = submit(&mut agent, &format!("/tickets/{id}/remedies/{reship}/choose"), &[("csrf", &token)]);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("顾客已经选择了一个方案"));
    assert_eq!(submit(&mut agent, &format!("/tickets/{id}/remedies/{reship}/explode"), &[("csrf", &token)]).0, 404);

    // Informed, resolved: no follow-up yet; 49 hours later it is due for the agent, a day more and it is overdue
    // on the lead's list.
    act_ok(&mut agent, id, "inform_customer", "");
    act_ok(&mut agent, id, "resolve", "");
    let due = |client: &mut Client| {
        let (_, list) = page(client, "/tickets");
        section(&list, "follow-ups-due").contains(&format!("href=\"/tickets/{id}\""))
    };
    let overdue = |client: &mut Client| {
        let (_, list) = page(client, "/tickets");
        list.contains("id=\"follow-ups-overdue\"") && section(&list, "follow-ups-overdue").contains(&format!("href=\"/tickets/{id}\""))
    };
    assert!(!due(&mut agent));
    app.store.clock().advance(49 * HOUR);
    assert!(due(&mut agent), "due after 48 hours");
    assert!(!overdue(&mut lead), "not overdue within the grace period");
    assert!(!overdue(&mut agent), "agents have no overdue list");
    app.store.clock().advance(24 * HOUR);
    assert!(overdue(&mut lead), "overdue after the grace period");
    let (_, resolved) = page(&mut agent, &format!("/tickets/{id}"));
    assert!(resolved.contains("name=\"action\" value=\"confirm_fixed\""), "{resolved}");
    act_ok(&mut agent, id, "confirm_fixed", "顾客确认已收到");
    assert!(!due(&mut agent), "closed: nothing left to follow up");
    let (_, closed) = page(&mut agent, &format!("/tickets/{id}"));
    assert!(closed.contains("已关闭") && closed.contains("id=\"ticket-no-actions\""));
    for step in ["转物流部核实", "仓库漏发，已安排补发", "顾客确认已收到"] {
        assert!(closed.contains(step), "history has {step}");
    }
}

#[test]
fn hostile_ids_and_form_values_are_refused_and_nothing_typed_is_lost() {
    for backend in backends() {
        let app = TestApp::spawn(backend);
        let mut agent = app.login("agent");
        let conv = conversation(&app, "衣服质量太差了，洗一次就破了");
        let (status, opened) = agent.post(&format!("/api/v1/conversations/{conv}/tickets"), &json!({"complaint_type": "quality"}));
        assert_eq!(status, 201, "{opened}");
        let id = opened["ticket"]["id"].as_i64().unwrap();
        let token = csrf(&agent);

        // Ids.
        assert_eq!(page(&mut agent, "/tickets/abc").0, 400);
        assert_eq!(page(&mut agent, "/tickets/99999999999999999999").0, 400);
        assert_eq!(page(&mut agent, "/tickets/-1").0, 404);
        assert_eq!(page(&mut agent, "/tickets/999999").0, 404);
        assert_eq!(submit(&mut agent, "/tickets/abc/act", &[("csrf", &token), ("action", "cancel"), ("version", "1")]).0, 400);
        assert_eq!(submit(&mut agent, "/tickets/999999/act", &[("csrf", &token), ("action", "cancel"), ("version", "1"), ("comment", "x")]).0, 404);
        assert_eq!(submit(&mut agent, &format!("/tickets/{id}/remedies/x/choose"), &[("csrf", &token)]).0, 400);

        // Forms: unknown action, bad version, a huge comment, a wrong CSRF token, no form at all.
        let path = format!("/tickets/{id}/act");
        let (status, body, _) = submit(&mut agent, &path, &[("csrf", &token), ("action", "drop_table"), ("version", "1"), ("comment", "KEEP-ME")]);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("无法识别的操作") && body.contains(">KEEP-ME</textarea>"), "{body}");
        let (status, body, _) = submit(&mut agent, &path, &[("csrf", &token), ("action", "cancel"), ("version", "one"), ("comment", "KEEP-ME")]);
        assert_eq!(status, 422);
        assert!(body.contains(">KEEP-ME</textarea>"));
        let huge = "长".repeat(5000);
        let (status, body, _) = submit(&mut agent, &path, &[("csrf", &token), ("action", "cancel"), ("version", "1"), ("comment", &huge)]);
        assert_eq!(status, 422);
        assert!(body.contains("id=\"comment-error\"") && body.contains(&"长".repeat(4000)) && !body.contains(&"长".repeat(4001)), "kept, bounded");
        let (status, body, _) = submit(&mut agent, &path, &[("csrf", "forged"), ("action", "cancel"), ("version", "1"), ("comment", "x")]);
        assert_eq!(status, 403, "{body}");
        assert_eq!(agent.request("POST", &path, Some(("application/json", b"{\"action\":\"cancel\"}".to_vec()))).0, 403, "not a form: no CSRF token");
        let (status, body, _) = submit(&mut agent, &format!("/tickets/{id}/remedies"), &[("csrf", &token), ("kind", "coupon"), ("amount", "99999999999")]);
        assert_eq!(status, 422, "{body}");
        assert_eq!(ticket_json(&mut agent, id)["ticket"]["version"], 1, "nothing was applied");

        // Opening from a bad form.
        for bad in [vec![("conversation_id", "abc")], vec![("conversation_id", "1"), ("complaint_type", "<script>")], vec![("conversation_id", "1"), ("severity", "apocalyptic")]] {
            let mut pairs = vec![("csrf", token.as_str())];
            pairs.extend(bad.iter().copied());
            assert_eq!(submit(&mut agent, "/tickets/new", &pairs).0, 422, "{bad:?}");
        }
        let other = app.other_org_conversation.to_string();
        assert_eq!(submit(&mut agent, "/tickets/new", &[("csrf", &token), ("conversation_id", &other)]).0, 404, "another organisation's");

        // A cancel with its comment works, and the page says so.
        let (status, _, location) = submit(&mut agent, &path, &[("csrf", &token), ("action", "cancel"), ("version", "1"), ("comment", "重复立案")]);
        assert_eq!(status, 303);
        assert!(page(&mut agent, &location).1.contains("已完成：撤销工单"));
    }
}

#[test]
fn each_role_sees_only_its_ticket_pages() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    create_user(&mut admin, "shouhou", "handler");
    let mut anonymous = Client::new(&app);
    let (status, _) = anonymous.get("/tickets");
    assert_eq!(status, 303, "to the sign-in page");
    let cases: &[(&str, &[(&str, u16)])] = &[
        ("agent", &[("/tickets", 200), ("/tickets?view=department", 200), ("/tickets?view=open", 403), ("/tickets/risk", 403), ("/tickets/root-causes", 403)]),
        ("shouhou", &[("/tickets", 200), ("/tickets?view=department", 200), ("/tickets?view=open", 403), ("/tickets/risk", 403), ("/tickets/root-causes", 403)]),
        ("trainer", &[("/tickets", 403), ("/tickets/risk", 403), ("/tickets/root-causes", 403)]),
        ("lead", &[("/tickets", 200), ("/tickets?view=open", 200), ("/tickets/risk", 200), ("/tickets/root-causes", 200), ("/tickets/root-causes?weeks=26", 200)]),
        ("admin", &[("/tickets?view=open", 200), ("/tickets/risk", 200), ("/tickets/root-causes?weeks=bogus", 200)]),
    ];
    for (who, paths) in cases {
        let mut client = app.login(who);
        for (path, expected) in *paths {
            let (status, body) = page(&mut client, path);
            assert_eq!(status, *expected, "{who} {path}: {body}");
            if *expected == 200 {
                assert!(body.contains("id=\"nav-tickets\""), "the header links the tickets");
                for lang in ["zh-Hant", "en"] {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    assert_eq!(page(&mut client, &format!("{path}{sep}lang={lang}")).0, 200, "{who} {path} {lang}");
                }
            }
        }
        let (_, list) = page(&mut client, "/tickets");
        let lead = matches!(*who, "lead" | "admin");
        assert_eq!(list.contains("id=\"nav-tickets-risk\""), lead, "{who}");
    }
}

#[test]
fn the_risk_board_and_root_causes_count_a_known_set() {
    for backend in backends() {
        let app = TestApp::spawn(backend);
        let mut agent = app.login("agent");
        let mut lead = app.login("lead");
        let mut open = |kind: &str, product: &str, text: &str| {
            let conv = conversation(&app, text);
            let (status, body) = agent.post(&format!("/api/v1/conversations/{conv}/tickets"), &json!({"complaint_type": kind, "product": product}));
            assert_eq!(status, 201, "{body}");
            body["ticket"]["id"].as_i64().unwrap()
        };
        let a = open("logistics", "SKU-A", "快递太慢了");
        let b = open("logistics", "SKU-A", "物流一直不更新");
        let c = open("quality", "SKU-<B>", "质量太差了");
        // One logistics ticket goes the whole way and is resolved at once (within its target).
        let mut lead_act = |id: i64, action: &str, comment: &str| {
            let v = version(&mut lead, id);
            let (status, body, _) = act(&mut lead, id, action, &v, comment);
            assert_eq!(status, 303, "{action}: {body}");
        };
        lead_act(a, "approve", "");
        let mut admin = app.login("admin");
        let handler = create_user(&mut admin, "wl", "handler");
        let teams = admin.get("/api/v1/teams").1;
        let team = teams["teams"].as_array().unwrap().iter().find(|t| t["name"] == "物流部").unwrap()["id"].as_i64().unwrap();
        admin.post(&format!("/api/v1/teams/{team}/members"), &json!({"user_id": handler}));
        let mut wl = app.login("wl");
        act_ok(&mut wl, a, "record_outcome", "已补发");
        act_ok(&mut agent, a, "inform_customer", "");
        act_ok(&mut agent, a, "resolve", "");

        // Root causes: 3 tickets, logistics 2 (1 resolved within target: 100%), quality 1 (nothing resolved: —).
        let (status, causes) = page(&mut lead, "/tickets/root-causes?weeks=4");
        assert_eq!(status, 200);
        assert!(causes.contains("data-total=\"3\""), "{causes}");
        let types = section(&causes, "causes-types");
        let row = |table: &str, name: &str| -> String {
            let start = table.find(&format!("<th scope=\"row\">{name}</th>")).unwrap_or_else(|| panic!("no row {name} in {table}"));
            table[start..table[start..].find("</tr>").unwrap() + start].to_owned()
        };
        let logistics = row(types, "物流问题");
        assert!(logistics.contains("data-col=\"tickets\">2<") && logistics.contains("data-col=\"resolved\">1<") && logistics.contains("data-col=\"recovery\">100%<"), "{logistics}");
        let quality = row(types, "质量问题");
        assert!(quality.contains("data-col=\"tickets\">1<") && quality.contains("data-col=\"recovery\">—<"), "{quality}");
        let products = section(&causes, "causes-products");
        assert!(row(products, "SKU-A").contains("data-col=\"tickets\">2<"));
        assert!(row(products, "SKU-&#60;B&#62;").contains("data-col=\"tickets\">1<") || row(products, "SKU-&lt;B&gt;").contains("data-col=\"tickets\">1<"), "escaped: {products}");
        let departments = section(&causes, "causes-departments");
        assert!(row(departments, "物流部").contains("data-col=\"tickets\">1<"), "{departments}");
        assert!(row(departments, "尚未转部门").contains("data-col=\"tickets\">2<"));
        let emotions: usize = types.matches("data-emotion=").count();
        assert!(emotions >= 2, "each type shows the emotions it caused: {types}");
        assert!(causes.contains("<svg") && causes.contains("<title id=\"causes-title\">"));

        // The risk board: the two open ones, nothing breached yet; once their deadlines pass, both are breached.
        let (status, risk) = page(&mut lead, "/tickets/risk");
        assert_eq!(status, 200);
        let board_ids = |risk: &str, group: &str| -> Vec<i64> {
            [a, b, c].into_iter().filter(|id| section(risk, &format!("risk-{group}-table")).contains(&format!("href=\"/tickets/{id}\""))).collect()
        };
        assert!(board_ids(&risk, "breached").is_empty(), "{risk}");
        let mut open_now: Vec<i64> = board_ids(&risk, "ok");
        open_now.extend(board_ids(&risk, "warning"));
        open_now.sort();
        assert_eq!(open_now, vec![b, c]);
        // (Ten days: past every default target, within the sessions' fourteen.)
        app.store.clock().advance(10 * 24 * HOUR);
        let (_, risk) = page(&mut lead, "/tickets/risk");
        assert_eq!(board_ids(&risk, "breached"), vec![b, c], "{risk}");
        assert!(section(&risk, "risk-breached-table").contains("已超时 "), "time words: {risk}");
        assert!(risk.contains("id=\"risk-departments\""));
    }
}
