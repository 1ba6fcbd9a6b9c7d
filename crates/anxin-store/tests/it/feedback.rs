//! The customer's side of a complaint against both backends: the agent puts approved remedies to the customer,
//! withdraws one, the customer chooses one in the widget (once); resolving the conversation asks for a rating,
//! the customer rates once, and the CSAT summary counts it per agent, team, complaint type and conversation.
//! Hostile input: ratings 0 and 6, remedies of another conversation or organisation, choosing twice, rating without
//! a request and rating twice.

use anxin_domain::Role;
use anxin_domain::complaint::RemedyKind;
use anxin_domain::events::EventKind;
use anxin_domain::input::{Name, Username};
use anxin_domain::{ComplaintType, ConversationStatus};
use anxin_store::complaints::{NewRemedy, NewTicket, RemedyState, TicketSeverity};
use anxin_store::feedback::CsatGroupBy;
use anxin_store::{ConversationPatch, NewUser, Principal, Store, StoreError};
use serde_json::json;

use super::{backends, inbound};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remedy_choice_and_csat_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

fn conflict(what: &str) -> Option<StoreError> {
    Some(StoreError::Conflict(what.into()))
}

async fn story(store: &Store) -> Result<(), StoreError> {
    let org = store.create_organization(Name::parse("name", "安心优品").unwrap(), "shop", "Asia/Shanghai").await?;
    let other = store.create_organization(Name::parse("name", "别家店").unwrap(), "other", "UTC").await?;
    let person = |org_id: i64, username: &str, role: Role| NewUser {
        org_id,
        username: Username::parse(username).unwrap(),
        display_name: Name::parse("n", username).unwrap(),
        role,
        department: None,
        password_hash: "hash".into(),
    };
    let principal = |org_id: i64, user_id: i64, role: Role| Principal { org_id, role, user_id: Some(user_id), name: format!("u{user_id}"), csrf_token: None };
    let agent = principal(org.id, store.create_user(person(org.id, "agent", Role::Agent), None).await?.id, Role::Agent);
    let agent2 = principal(org.id, store.create_user(person(org.id, "agent2", Role::Agent), None).await?.id, Role::Agent);
    let lead = principal(org.id, store.create_user(person(org.id, "lead", Role::Supervisor), None).await?.id, Role::Supervisor);
    let trainer = principal(org.id, store.create_user(person(org.id, "trainer", Role::Trainer), None).await?.id, Role::Trainer);
    let outsider = principal(other.id, store.create_user(person(other.id, "boss", Role::Admin), None).await?.id, Role::Admin);
    let team = store.create_team(org.id, Name::parse("n", "售后一组").unwrap(), "system".into()).await?;
    let channel = store.create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    let angry = store.post_inbound(inbound(org.id, channel.id, "v1", None, "收到的电饭煲是坏的！！！太气人了，我要退款")).await?.conversation;
    let calm = store.post_inbound(inbound(org.id, channel.id, "v2", None, "请问发票怎么开")).await?.conversation;
    let take = ConversationPatch { assignee_id: Some(agent.user_id), team_id: Some(Some(team.id)), ..Default::default() };
    store.update_conversation(agent.clone(), angry.id, take).await?;

    // The agent opens a quality ticket and offers remedies: three within the limit, one above it (waits for the lead).
    let new = |conversation_id| NewTicket {
        conversation_id,
        complaint_type: Some(ComplaintType::Quality),
        severity: TicketSeverity::High,
        order_ref: None,
        product: None,
        comment: None,
    };
    let ticket = store.open_ticket(agent.clone(), new(angry.id)).await?.ticket.id;
    let other_ticket = store.open_ticket(agent.clone(), new(calm.id)).await?.ticket.id;
    let remedy = |kind, amount_fen: Option<i64>, note: Option<&str>| NewRemedy { kind, amount_fen, note: note.map(str::to_owned) };
    let (refund, _) = store.offer_remedy(agent.clone(), ticket, remedy(RemedyKind::Refund, None, None)).await?;
    let (coupon, _) = store.offer_remedy(agent.clone(), ticket, remedy(RemedyKind::Coupon, Some(1_500), Some("下次购物可用"))).await?;
    let (replace, _) = store.offer_remedy(agent.clone(), ticket, remedy(RemedyKind::Replacement, None, None)).await?;
    let (big, _) = store.offer_remedy(agent.clone(), ticket, remedy(RemedyKind::Compensation, Some(5_000), None)).await?;
    assert_eq!(big.state, RemedyState::Offered);

    // Nothing approved on the other ticket: nothing to put. Strangers do not see the ticket; the trainer neither.
    assert_eq!(store.present_remedies(agent.clone(), other_ticket).await.err(), conflict("no_approved_remedies"));
    assert_eq!(store.present_remedies(outsider.clone(), ticket).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.present_remedies(agent2.clone(), ticket).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.present_remedies(trainer.clone(), ticket).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.present_remedies(agent.clone(), 9_999_999).await.err(), Some(StoreError::NotFound));

    // Nobody can choose before the remedies are put to the customer.
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, refund.id).await.err(), Some(StoreError::NotFound));

    // The agent puts the approved ones (not the compensation waiting for approval) to the customer.
    let offer = store.present_remedies(agent.clone(), ticket).await?;
    let ids: Vec<i64> = offer.remedies.iter().map(|r| r.id).collect();
    assert_eq!(ids, [refund.id, coupon.id, replace.id]);
    assert_eq!((offer.ticket_id, offer.conversation_id), (ticket, angry.id));
    let events = store.events_after(org.id, 0, 10_000).await?;
    let offered = events.iter().rfind(|e| e.kind == EventKind::RemediesOffered).expect("remedies_offered");
    assert_eq!(offered.conversation_id, Some(angry.id));
    let seen = offered.for_customer().expect("the customer sees it");
    assert_eq!(seen.data["ticket_id"], ticket);
    assert_eq!(seen.data["remedies"][1], json!({"id": coupon.id, "kind": "coupon", "amount_fen": 1500, "note": "下次购物可用"}));
    let text = seen.data.to_string();
    for staff_only in ["offered_by", "approved_by", "limit_fen", "needs_approval_by", "state"] {
        assert!(!text.contains(staff_only), "{staff_only} in {text}");
    }

    // The lead approves the compensation: it is not before the customer until put again.
    store.approve_remedy(lead.clone(), ticket, big.id).await?;
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, big.id).await.err(), Some(StoreError::NotFound), "approved but not presented");

    // The agent withdraws the replacement: the widget hears what remains.
    let withdrawn = store.withdraw_remedy(agent.clone(), ticket, replace.id).await?;
    assert_eq!(withdrawn.state, RemedyState::Withdrawn);
    assert_eq!(store.withdraw_remedy(agent.clone(), ticket, replace.id).await?.state, RemedyState::Withdrawn, "withdrawing again changes nothing");
    let events = store.events_after(org.id, 0, 10_000).await?;
    let remaining = events.iter().rfind(|e| e.kind == EventKind::RemediesOffered).unwrap();
    let left: Vec<i64> = remaining.data["remedies"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(left, [refund.id, coupon.id]);
    assert_eq!(store.withdraw_remedy(agent2.clone(), ticket, coupon.id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.withdraw_remedy(agent.clone(), other_ticket, coupon.id).await.err(), Some(StoreError::NotFound), "a remedy belongs to its ticket");

    // Hostile choices: another conversation, another organisation, an unknown remedy, a withdrawn one.
    assert_eq!(store.customer_choose_remedy(org.id, calm.id, refund.id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.customer_choose_remedy(other.id, angry.id, refund.id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, 9_999_999).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, replace.id).await.err(), conflict("remedy_withdrawn"));

    // The customer chooses the coupon; the same click again changes nothing; another choice is a conflict.
    let chosen = store.customer_choose_remedy(org.id, angry.id, coupon.id).await?;
    assert_eq!(chosen.state, RemedyState::Chosen);
    assert!(chosen.chosen_at.is_some());
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, coupon.id).await?.chosen_at, chosen.chosen_at);
    assert_eq!(store.customer_choose_remedy(org.id, angry.id, refund.id).await.err(), conflict("remedy_already_chosen"));
    let events = store.events_after(org.id, 0, 10_000).await?;
    let choices: Vec<_> = events.iter().filter(|e| e.kind == EventKind::RemedyChosen).collect();
    assert_eq!(choices.len(), 1, "one choice, one event");
    let seen = choices[0].for_customer().expect("customer-visible");
    assert_eq!(seen.data["remedy"]["id"], coupon.id);
    assert_eq!((seen.data["ticket_id"].as_i64(), seen.data["by"].as_str()), (Some(ticket), Some("customer")));
    assert_eq!(store.ticket(agent.clone(), ticket).await?.remedies.iter().find(|r| r.id == coupon.id).unwrap().state, RemedyState::Chosen);

    // After the choice: nothing more to put, the chosen one cannot be withdrawn; the widget's state says so.
    assert_eq!(store.present_remedies(agent.clone(), ticket).await.err(), conflict("remedy_already_chosen"));
    assert_eq!(store.withdraw_remedy(lead.clone(), ticket, coupon.id).await.err(), conflict("remedy_chosen"));
    let state = store.customer_feedback(org.id, angry.id).await?;
    assert_eq!(state.offers.len(), 1);
    assert_eq!(state.offers[0].chosen.as_ref().map(|r| r.id), Some(coupon.id));
    assert!(state.offers[0].remedies.is_empty());
    assert!(state.csat.is_empty(), "nothing asked yet");
    assert_eq!(store.customer_feedback(other.id, angry.id).await.err(), Some(StoreError::NotFound));

    // Rating without a request is refused.
    assert_eq!(store.record_csat(org.id, angry.id, 1, 5, None).await.err(), Some(StoreError::NotFound));

    // Resolving the conversation asks the customer for a rating, once.
    let resolve = || ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(agent.clone(), angry.id, resolve()).await?;
    store.update_conversation(agent.clone(), angry.id, resolve()).await?;
    let events = store.events_after(org.id, 0, 10_000).await?;
    let asked: Vec<_> = events.iter().filter(|e| e.kind == EventKind::CsatRequested && e.conversation_id == Some(angry.id)).collect();
    assert_eq!(asked.len(), 1, "resolving a resolved conversation asks nothing more");
    let request = asked[0].for_customer().expect("customer-visible");
    assert_eq!((request.data["conversation_id"].as_i64(), request.data["ticket_id"].clone()), (Some(angry.id), serde_json::Value::Null));
    let request_id = request.data["request_id"].as_i64().unwrap();
    assert_eq!(store.customer_feedback(org.id, angry.id).await?.csat.iter().map(|r| r.request_id).collect::<Vec<_>>(), [request_id]);

    // Hostile ratings: out of range, control characters, an overlong comment, another conversation or organisation.
    assert_eq!(store.record_csat(org.id, angry.id, request_id, 0, None).await.err(), conflict("rating"));
    assert_eq!(store.record_csat(org.id, angry.id, request_id, 6, None).await.err(), conflict("rating"));
    assert_eq!(store.record_csat(org.id, angry.id, request_id, 4, Some("好\u{0}".into())).await.err(), conflict("comment"));
    assert_eq!(store.record_csat(org.id, angry.id, request_id, 4, Some("好".repeat(1001))).await.err(), conflict("comment"));
    assert_eq!(store.record_csat(org.id, calm.id, request_id, 4, None).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.record_csat(other.id, angry.id, request_id, 4, None).await.err(), Some(StoreError::NotFound));

    // The customer rates 4 with a comment; a second answer is refused.
    let rated = store.record_csat(org.id, angry.id, request_id, 4, Some("  处理很快，谢谢 ".into())).await?;
    assert_eq!((rated.rating, rated.comment.as_deref()), (4, Some("处理很快，谢谢")));
    assert_eq!((rated.agent_user_id, rated.team_id, rated.complaint_type.as_deref()), (agent.user_id, Some(team.id), Some("quality")), "the ticket's type");
    assert_eq!(store.record_csat(org.id, angry.id, request_id, 5, None).await.err(), conflict("csat_already_recorded"));
    let events = store.events_after(org.id, 0, 10_000).await?;
    let recorded = events.iter().find(|e| e.kind == EventKind::CsatRecorded).unwrap().for_customer().unwrap();
    assert_eq!((recorded.data["rating"].as_i64(), recorded.data["request_id"].as_i64()), (Some(4), Some(request_id)));
    assert!(store.customer_feedback(org.id, angry.id).await?.csat.is_empty(), "answered");
    assert_eq!(store.csat_ratings(org.id, angry.id).await?.len(), 1);

    // Reopened and resolved again while the first request still waits: no second request.
    store.update_conversation(agent.clone(), calm.id, resolve()).await?;
    let reopen = ConversationPatch { status: Some(ConversationStatus::Open), ..Default::default() };
    store.update_conversation(agent.clone(), calm.id, reopen).await?;
    store.update_conversation(agent.clone(), calm.id, resolve()).await?;
    let events = store.events_after(org.id, 0, 10_000).await?;
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::CsatRequested && e.conversation_id == Some(calm.id)).count(), 1);
    let calm_request = store.customer_feedback(org.id, calm.id).await?.csat[0].request_id;
    store.record_csat(org.id, calm.id, calm_request, 2, None).await?;

    // The summary: supervisors see everyone, agents themselves, trainers nothing; other organisations see nothing.
    let since = store.now() - 86_400_000;
    let by_agent = store.csat_summary(lead.clone(), CsatGroupBy::Agent, since).await?;
    assert_eq!((by_agent.total.count, by_agent.total.average, by_agent.total.distribution), (2, 3.0, [0, 1, 0, 1, 0]));
    let mine = by_agent.groups.iter().find(|g| g.key == Some(json!(agent.user_id.unwrap()))).expect("the agent's group");
    assert_eq!((mine.count, mine.average, mine.label.as_deref()), (1, 4.0, Some("agent")));
    let unassigned = by_agent.groups.iter().find(|g| g.key.is_none()).expect("the unassigned conversation's rating");
    assert_eq!(unassigned.distribution, [0, 1, 0, 0, 0]);
    let own = store.csat_summary(agent.clone(), CsatGroupBy::Agent, since).await?;
    assert!(own.own_only);
    assert_eq!((own.total.count, own.groups.len()), (1, 1));
    assert_eq!(store.csat_summary(agent2.clone(), CsatGroupBy::Team, since).await?.total.count, 0);
    assert!(matches!(store.csat_summary(trainer.clone(), CsatGroupBy::Agent, since).await, Err(StoreError::Forbidden(_))));
    assert_eq!(store.csat_summary(outsider.clone(), CsatGroupBy::Agent, since).await?.total.count, 0);
    let by_team = store.csat_summary(lead.clone(), CsatGroupBy::Team, since).await?;
    let named = by_team.groups.iter().find(|g| g.key == Some(json!(team.id))).unwrap();
    assert_eq!((named.count, named.label.as_deref()), (1, Some("售后一组")));
    let by_type = store.csat_summary(lead.clone(), CsatGroupBy::ComplaintType, since).await?;
    assert_eq!(by_type.groups.iter().map(|g| g.count).sum::<i64>(), 2);
    let by_conversation = store.csat_summary(lead.clone(), CsatGroupBy::Conversation, since).await?;
    assert_eq!(by_conversation.groups.len(), 2);
    assert_eq!(store.csat_summary(lead.clone(), CsatGroupBy::Agent, store.now() + 1).await?.total.count, 0, "nothing after now");

    // The trail: who presented, withdrew and chose.
    let audit = store.audit_log(org.id, None, 200).await?;
    let target = format!("ticket:{ticket}");
    assert!(audit.iter().any(|a| a.action == "ticket.remedies_present" && a.target == target && a.actor == agent.audit_name()));
    assert!(audit.iter().any(|a| a.action == "ticket.remedy_withdraw" && a.target == target));
    assert!(audit.iter().any(|a| a.action == "ticket.remedy_choose" && a.target == target && a.actor == "customer"));
    Ok(())
}
