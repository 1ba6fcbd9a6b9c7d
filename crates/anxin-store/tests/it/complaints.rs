//! Complaint tickets against both backends: the seeds' happy path (agent → lead → department → agent → customer →
//! follow-up) with the default escalation path creating 物流部, a return with a comment, a hand-back, refused
//! transitions that list what is allowed, two people acting on the same version (one wins), remedy limits with
//! the lead's approval, and exactly one chosen remedy.

use anxin_domain::ComplaintType;
use anxin_domain::Role;
use anxin_domain::complaint::{RefusedBecause, RemedyDecision, RemedyKind, TicketAction, TicketActor, TicketState};
use anxin_domain::input::{Name, Username};
use anxin_store::complaints::{NewRemedy, NewTicket, OrderRef, RemedyState, TicketAct, TicketDetail, TicketRefusal, TicketSeverity, TicketView};
use anxin_store::{NewUser, Principal, Store, StoreError};

use super::{backends, inbound};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaint_ticket_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

fn principal(org_id: i64, user_id: i64, role: Role) -> Principal {
    Principal { org_id, role, user_id: Some(user_id), name: format!("user{user_id}"), csrf_token: None }
}

fn act(action: TicketAction, comment: Option<&str>, version: i64) -> TicketAct {
    TicketAct { action, comment: comment.map(str::to_owned), expected_version: version, department_team_id: None }
}

/// Takes a step that must succeed.
async fn step(store: &Store, who: &Principal, ticket: &TicketDetail, action: TicketAction, comment: Option<&str>) -> Result<TicketDetail, StoreError> {
    let done = store.act_on_ticket(who.clone(), ticket.ticket.id, act(action, comment, ticket.ticket.version)).await?;
    Ok(done.unwrap_or_else(|refusal| panic!("{action:?} refused: {refusal:?}")))
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
    let agent = principal(org.id, store.create_user(person(org.id, "agent", Role::Agent), None).await?.id, Role::Agent);
    let agent2 = principal(org.id, store.create_user(person(org.id, "agent2", Role::Agent), None).await?.id, Role::Agent);
    let lead = principal(org.id, store.create_user(person(org.id, "lead", Role::Supervisor), None).await?.id, Role::Supervisor);
    let handler = principal(org.id, store.create_user(person(org.id, "wuliu", Role::Handler), None).await?.id, Role::Handler);
    let stranger = principal(org.id, store.create_user(person(org.id, "pinkong", Role::Handler), None).await?.id, Role::Handler);
    let trainer = principal(org.id, store.create_user(person(org.id, "trainer", Role::Trainer), None).await?.id, Role::Trainer);
    let outsider = principal(other.id, store.create_user(person(other.id, "boss", Role::Admin), None).await?.id, Role::Admin);
    let channel = store.create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    let angry = store.post_inbound(inbound(org.id, channel.id, "v1", None, "快递五天了还没到！！！气死我了，再不处理我就投诉")).await?.conversation;
    assert!(angry.emotion.is_some());

    // The agent opens a logistics ticket: it goes to the lead, with the customer's emotion at this moment.
    let new = |kind| NewTicket {
        conversation_id: angry.id,
        complaint_type: Some(kind),
        severity: TicketSeverity::High,
        order_ref: Some(OrderRef::parse("SO-20240601-01").unwrap()),
        product: Some(OrderRef::parse("SKU-电饭煲-3L").unwrap()),
        comment: Some("客户催了三次".into()),
    };
    let opened = store.open_ticket(agent.clone(), new(ComplaintType::Logistics)).await?;
    let t = &opened.ticket;
    assert_eq!((t.state, t.version, t.owner_id, t.holder), (TicketState::AwaitingLead, 1, agent.user_id.unwrap(), Some(TicketActor::Lead)));
    assert_eq!((t.emotion.clone(), t.intensity), (angry.emotion.clone(), angry.intensity));
    assert_eq!(t.order_ref.as_deref(), Some("SO-20240601-01"));
    assert_eq!(opened.steps.len(), 1);
    assert_eq!(opened.steps[0].action, "open");
    assert_eq!(opened.allowed, vec![TicketAction::Cancel], "the agent may only withdraw it while the lead decides");
    // Staff streams hear of it, with the conversation it belongs to; the customer never does.
    let events = store.events_after(org.id, 0, 10_000).await?;
    let created = events.iter().find(|e| e.kind == anxin_domain::events::EventKind::TicketCreated).expect("ticket_created");
    assert_eq!((created.conversation_id, created.data["ticket"]["id"].as_i64()), (Some(angry.id), Some(opened.ticket.id)));
    assert!(created.for_customer().is_none());
    let second = store.open_ticket(agent.clone(), new(ComplaintType::Quality)).await?;
    assert_ne!(second.ticket.id, opened.ticket.id, "several tickets per conversation");
    let missing = NewTicket { conversation_id: 9_999_999, ..new(ComplaintType::Other) };
    assert_eq!(store.open_ticket(agent.clone(), missing).await.err(), Some(StoreError::NotFound));

    // Who sees it: not another organisation, not a trainer; another agent sees it but cannot act.
    let id = opened.ticket.id;
    assert_eq!(store.ticket(outsider.clone(), id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.ticket(trainer.clone(), id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.ticket(agent2.clone(), id).await.err(), Some(StoreError::NotFound), "not their conversation");
    let outside = store.act_on_ticket(outsider.clone(), id, act(TicketAction::Approve, None, 1)).await;
    assert_eq!(outside.err(), Some(StoreError::NotFound));
    let claim = anxin_store::ConversationPatch { assignee_id: Some(agent2.user_id), ..Default::default() };
    store.update_conversation(agent2.clone(), angry.id, claim).await?;
    assert!(store.ticket(agent2.clone(), id).await?.allowed.is_empty(), "the conversation's assignee may look");
    let looker = store.act_on_ticket(agent2.clone(), id, act(TicketAction::Cancel, Some("x"), 1)).await;
    assert!(matches!(looker, Err(StoreError::Forbidden(_))), "{looker:?}");

    // Refused transitions say what is allowed instead; nothing changes.
    let refused = store.act_on_ticket(agent.clone(), id, act(TicketAction::Resolve, None, 1)).await?;
    let Err(TicketRefusal::Workflow(r)) = refused else { panic!("{refused:?}") };
    assert_eq!((r.reason, r.allowed.clone()), (RefusedBecause::NotFromThisState, vec![TicketAction::Cancel]));
    let not_mine = store.act_on_ticket(agent.clone(), id, act(TicketAction::Approve, None, 1)).await?;
    assert!(matches!(not_mine, Err(TicketRefusal::Workflow(ref r)) if r.reason == RefusedBecause::NotYours), "{not_mine:?}");

    // The lead returns it with a comment (without one it is refused); the agent adds facts and submits again.
    let bare = store.act_on_ticket(lead.clone(), id, act(TicketAction::ReturnToAgent, Some("  "), 1)).await?;
    assert!(matches!(bare, Err(TicketRefusal::Workflow(ref r)) if r.reason == RefusedBecause::CommentRequired), "{bare:?}");
    let ticket = store.ticket(lead.clone(), id).await?;
    assert_eq!((ticket.ticket.version, ticket.allowed.clone()), (1, vec![TicketAction::Approve, TicketAction::ReturnToAgent, TicketAction::Cancel]));
    let returned = step(store, &lead, &ticket, TicketAction::ReturnToAgent, Some("请补充快递单号")).await?;
    assert_eq!((returned.ticket.state, returned.ticket.version), (TicketState::ReturnedToAgent, 2));
    assert_eq!(returned.steps.last().unwrap().comment.as_deref(), Some("请补充快递单号"));
    assert_eq!(returned.steps.last().unwrap().acted_as, Some(TicketActor::Lead));
    let resubmitted = step(store, &agent, &returned, TicketAction::Submit, None).await?;
    assert_eq!(resubmitted.ticket.state, TicketState::AwaitingLead);

    // Two leads approve the same version at once: exactly one wins, the other hears that the ticket changed.
    let lead2 = principal(org.id, store.create_user(person(org.id, "lead2", Role::Supervisor), None).await?.id, Role::Supervisor);
    let version = resubmitted.ticket.version;
    let (a, b) = tokio::join!(
        store.act_on_ticket(lead.clone(), id, act(TicketAction::Approve, None, version)),
        store.act_on_ticket(lead2.clone(), id, act(TicketAction::ReturnToAgent, Some("自己处理"), version)),
    );
    let (a, b) = (a?, b?);
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} / {b:?}");
    let loser = if a.is_ok() { b.clone() } else { a.clone() };
    let Err(TicketRefusal::Changed { version: now_at, .. }) = loser else { panic!("{loser:?}") };
    assert_eq!(now_at, version + 1);
    let after = store.ticket(lead.clone(), id).await?;
    assert_eq!(after.ticket.version, version + 1);
    assert_eq!(after.steps.len(), 4, "open, return, submit and one more — nothing half-applied");
    // Whatever happened, bring it to the department.
    let with_department = if after.ticket.state == TicketState::WithDepartment {
        after
    } else {
        let back = step(store, &agent, &after, TicketAction::Submit, None).await?;
        step(store, &lead, &back, TicketAction::Approve, None).await?
    };

    // Approving used the default escalation path: a 物流部 team was created and the path stored.
    assert_eq!(with_department.ticket.state, TicketState::WithDepartment);
    assert_eq!(with_department.ticket.department_name.as_deref(), Some("物流部"));
    let department = with_department.ticket.department_team_id.unwrap();
    let paths = store.escalation_paths(org.id).await?;
    let logistics = paths.iter().find(|p| p.complaint_type == ComplaintType::Logistics).unwrap();
    assert_eq!((logistics.team_id, logistics.configured), (Some(department), true));
    let quality = paths.iter().find(|p| p.complaint_type == ComplaintType::Quality).unwrap();
    assert_eq!((quality.team_id, quality.configured, quality.default_department), (None, false, "品控部"));

    // The department's handler sees it in the queue; a handler of no department neither sees nor lists it.
    store.add_team_member(org.id, department, handler.user_id.unwrap(), "system".into()).await?;
    let queue = store.tickets(handler.clone(), TicketView::Department).await?;
    assert_eq!(queue.iter().map(|t| t.id).collect::<Vec<_>>(), [id]);
    assert!(store.tickets(stranger.clone(), TicketView::Department).await?.is_empty());
    assert_eq!(store.ticket(stranger.clone(), id).await.err(), Some(StoreError::NotFound));
    assert!(matches!(store.tickets(agent.clone(), TicketView::Open).await, Err(StoreError::Forbidden(_))));
    assert_eq!(store.tickets(lead.clone(), TicketView::Open).await?.len(), 2);
    assert_eq!(store.tickets(agent.clone(), TicketView::Mine).await?.len(), 2);

    // Closing a ticket the department still holds is refused; the lead has nothing to do now.
    let early = store.act_on_ticket(lead.clone(), id, act(TicketAction::ConfirmFixed, None, with_department.ticket.version)).await?;
    assert!(matches!(early, Err(TicketRefusal::Workflow(ref r)) if r.allowed.is_empty()), "{early:?}");

    // The handler records the outcome; the agent hands it back (not solved), the handler records again.
    let ticket = store.ticket(handler.clone(), id).await?;
    assert_eq!(ticket.allowed, vec![TicketAction::RecordOutcome, TicketAction::HandBack]);
    let outcome = step(store, &handler, &ticket, TicketAction::RecordOutcome, Some("快递丢件，已补发")).await?;
    assert_eq!(outcome.ticket.state, TicketState::OutcomeReady);
    let handed_back = step(store, &agent, &outcome, TicketAction::HandBack, Some("客户要的是今天送到")).await?;
    assert_eq!(handed_back.ticket.state, TicketState::WithDepartment);
    let outcome = step(store, &handler, &handed_back, TicketAction::RecordOutcome, Some("已加急，今晚送达")).await?;

    // Remedies: within the agent's limit it is approved at once; above it the lead approves; one is chosen.
    let remedy = |kind, amount_fen| NewRemedy { kind, amount_fen, note: None };
    let (coupon, decision) = store.offer_remedy(agent.clone(), id, remedy(RemedyKind::Coupon, Some(2_000))).await?;
    assert_eq!((coupon.state, decision), (RemedyState::Approved, RemedyDecision::Allowed));
    let (big, decision) = store.offer_remedy(agent.clone(), id, remedy(RemedyKind::Compensation, Some(5_000))).await?;
    assert_eq!(decision, RemedyDecision::NeedsApproval { by: TicketActor::Lead, limit_fen: 2_000 });
    assert_eq!((big.state, big.needs_approval_by, big.limit_fen), (RemedyState::Offered, Some(TicketActor::Lead), Some(2_000)));
    let (reship, _) = store.offer_remedy(agent.clone(), id, remedy(RemedyKind::Reshipment, None)).await?;
    let bad = store.offer_remedy(agent.clone(), id, remedy(RemedyKind::Coupon, None)).await;
    assert_eq!(bad.err(), Some(StoreError::Conflict("amount_fen".into())));
    let (huge, decision) = store.offer_remedy(lead.clone(), id, remedy(RemedyKind::PartialRefund, Some(50_000))).await?;
    assert_eq!(decision, RemedyDecision::NeedsApproval { by: TicketActor::Admin, limit_fen: 20_000 });
    let unapproved = store.choose_remedy(agent.clone(), id, big.id).await;
    assert_eq!(unapproved.err(), Some(StoreError::Conflict("remedy_not_approved".into())));
    assert!(matches!(store.approve_remedy(agent.clone(), id, big.id).await, Err(StoreError::Forbidden(_))));
    assert!(matches!(store.approve_remedy(lead.clone(), id, huge.id).await, Err(StoreError::Forbidden(_))), "above the lead's limit");
    let approved = store.approve_remedy(lead.clone(), id, big.id).await?;
    assert_eq!((approved.state, approved.approved_by), (RemedyState::Approved, lead.user_id));
    let again = store.approve_remedy(lead.clone(), id, big.id).await;
    assert_eq!(again.err(), Some(StoreError::Conflict("remedy_not_awaiting_approval".into())));
    assert!(matches!(store.choose_remedy(handler.clone(), id, coupon.id).await, Err(StoreError::Forbidden(_))));
    let chosen = store.choose_remedy(agent.clone(), id, big.id).await?;
    assert_eq!(chosen.state, RemedyState::Chosen);
    assert!(chosen.chosen_at.is_some());
    assert_eq!(store.choose_remedy(agent.clone(), id, big.id).await?.id, big.id, "choosing it again changes nothing");
    let two = store.choose_remedy(agent.clone(), id, reship.id).await;
    assert_eq!(two.err(), Some(StoreError::Conflict("remedy_already_chosen".into())));
    let other_ticket = store.choose_remedy(agent.clone(), second.ticket.id, coupon.id).await;
    assert_eq!(other_ticket.err(), Some(StoreError::NotFound), "a remedy belongs to its ticket");
    assert_eq!(store.offer_remedy(outsider.clone(), id, remedy(RemedyKind::Repair, None)).await.err(), Some(StoreError::NotFound));

    // The agent informs the customer and resolves; the follow-up confirms the fix.
    let informed = step(store, &agent, &outcome, TicketAction::InformCustomer, None).await?;
    let resolved = step(store, &agent, &informed, TicketAction::Resolve, None).await?;
    assert!(resolved.ticket.resolved_at.is_some());
    assert_eq!(resolved.ticket.holder, Some(TicketActor::Agent), "the follow-up is the agent's");
    assert_eq!(store.tickets(agent.clone(), TicketView::Mine).await?.iter().filter(|t| t.id == id).count(), 1, "still on my list");
    let closed = step(store, &agent, &resolved, TicketAction::ConfirmFixed, None).await?;
    assert_eq!(closed.ticket.state, TicketState::Closed);
    assert!(closed.ticket.closed_at.is_some());
    let late = store.offer_remedy(agent.clone(), id, remedy(RemedyKind::Repair, None)).await;
    assert_eq!(late.err(), Some(StoreError::Conflict("ticket_not_open".into())));
    assert!(store.tickets(agent.clone(), TicketView::Mine).await?.iter().all(|t| t.id != id));
    let history: Vec<_> = closed.steps.iter().map(|s| (s.action.as_str(), s.to_state)).collect();
    assert_eq!(history.first(), Some(&("open", TicketState::AwaitingLead)));
    assert_eq!(history.last(), Some(&("confirm_fixed", TicketState::Closed)));
    assert!(closed.steps.windows(2).all(|w| w[0].to_state == w[1].from_state.unwrap()), "every step starts where the last ended");

    // A path configured to "the lead chooses": approving then needs a department of this organisation.
    let quality_team = store.create_team(org.id, Name::parse("n", "质检组").unwrap(), "system".into()).await?.id;
    let other_team = store.create_team(other.id, Name::parse("n", "别家组").unwrap(), "system".into()).await?.id;
    store.set_escalation_paths(lead.clone(), vec![(ComplaintType::Quality, None)]).await?;
    let foreign = store.set_escalation_paths(lead.clone(), vec![(ComplaintType::Quality, Some(other_team))]).await;
    assert_eq!(foreign.err(), Some(StoreError::Conflict("paths.quality".into())));
    let v = second.ticket.version;
    let unchosen = store.act_on_ticket(lead.clone(), second.ticket.id, act(TicketAction::Approve, None, v)).await;
    assert_eq!(unchosen.err(), Some(StoreError::Conflict("department_required".into())));
    let mut choose = act(TicketAction::Approve, None, v);
    choose.department_team_id = Some(other_team);
    let wrong = store.act_on_ticket(lead.clone(), second.ticket.id, choose.clone()).await;
    assert_eq!(wrong.err(), Some(StoreError::Conflict("department_team_id".into())));
    choose.department_team_id = Some(quality_team);
    let approved = store.act_on_ticket(lead.clone(), second.ticket.id, choose).await?.expect("approved");
    assert_eq!(approved.ticket.department_team_id, Some(quality_team));
    assert_eq!(approved.steps.last().unwrap().department_team_id, Some(quality_team));

    // Every change is on the audit trail.
    let audit = store.audit_log(org.id, None, 200).await?;
    let target = format!("ticket:{id}");
    for action in ["ticket.open", "ticket.act", "ticket.remedy_offer", "ticket.remedy_approve", "ticket.remedy_choose"] {
        assert!(audit.iter().any(|a| a.action == action && a.target == target), "{action} audited");
    }
    assert!(audit.iter().any(|a| a.action == "team.create" && a.details["name"] == "物流部"));
    Ok(())
}
