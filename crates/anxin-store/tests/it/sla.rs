//! SLA clocks against both backends: the clocks a ticket runs and when they stop, warnings and breaches fired once
//! each, automatic escalation, the follow-up, durability across a restart, and two PostgreSQL nodes sweeping at
//! once. Time moves by the store's clock (`Clock::advance`), never by sleeping.

use anxin_domain::calendar::WeeklySpec;
use anxin_domain::complaint::{TicketAction, TicketState};
use anxin_domain::input::{MessageBody, Name, Username};
use anxin_domain::sla::{SlaPolicy, SlaSettings, SlaStatus, SlaTargets, TicketSeverity, TimerKind};
use anxin_domain::{ChannelKind, ComplaintType, MessageKind, Role};
use anxin_store::complaints::{NewTicket, TicketAct, TicketDetail};
use anxin_store::sla::SweepReport;
use anxin_store::{Backend, Clock, NewUser, Principal, Store, StoreError};

use super::{backends, inbound, postgres_url};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// Round-the-clock hours, so deadlines are plain arithmetic whatever time the test runs; logistics complaints get
/// 10-minute responses, an hour to resolve and half-hour steps.
fn always_open() -> SlaSettings {
    let day = || vec!["00:00-24:00".to_owned()];
    let mut settings = SlaSettings::default();
    settings.calendar.hours = WeeklySpec {
        monday: day(),
        tuesday: day(),
        wednesday: day(),
        thursday: day(),
        friday: day(),
        saturday: day(),
        sunday: day(),
    };
    settings.policies.push(SlaPolicy {
        name: "物流投诉".into(),
        complaint_type: Some(ComplaintType::Logistics),
        priority: None,
        channel: None,
        targets: SlaTargets {
            first_response_minutes: 10,
            next_response_minutes: 10,
            resolution_minutes: 60,
            lead_step_minutes: 30,
            department_step_minutes: 30,
            agent_step_minutes: 30,
        },
    });
    settings
}

struct Shop {
    org_id: i64,
    channel_id: i64,
    admin: Principal,
    agent: Principal,
    lead: Principal,
    handler: Principal,
}

fn principal(org_id: i64, user_id: i64, role: Role) -> Principal {
    Principal { org_id, role, user_id: Some(user_id), name: format!("user{user_id}"), csrf_token: None }
}

async fn shop(store: &Store, slug: &str) -> Result<Shop, StoreError> {
    let org = store.create_organization(Name::parse("name", "安心优品").unwrap(), slug, "Asia/Shanghai").await?;
    let mut people = Vec::new();
    for (name, role) in [("admin", Role::Admin), ("agent", Role::Agent), ("lead", Role::Supervisor), ("handler", Role::Handler)] {
        let user = NewUser {
            org_id: org.id,
            username: Username::parse(&format!("{slug}-{name}")).unwrap(),
            display_name: Name::parse("n", name).unwrap(),
            role,
            department: None,
            password_hash: "hash".into(),
        };
        people.push(principal(org.id, store.create_user(user, None).await?.id, role));
    }
    let channel = store.create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    let mut people = people.into_iter();
    let mut next = || people.next().unwrap();
    let (admin, agent, lead, handler) = (next(), next(), next(), next());
    store.set_sla_settings(admin.clone(), always_open().validate().unwrap()).await?;
    // The agent's lead watches them through their team.
    let team = store.create_team(org.id, Name::parse("n", "一组").unwrap(), "system".into()).await?;
    for person in [&agent, &lead] {
        store.add_team_member(org.id, team.id, person.user_id.unwrap(), "system".into()).await?;
    }
    Ok(Shop { org_id: org.id, channel_id: channel.id, admin, agent, lead, handler })
}

async fn angry_ticket(store: &Store, shop: &Shop, visitor: &str) -> Result<TicketDetail, StoreError> {
    let conversation = store
        .post_inbound(inbound(shop.org_id, shop.channel_id, visitor, None, "快递一周了还没到！！！再不处理我就投诉到12315"))
        .await?
        .conversation;
    let new = NewTicket {
        conversation_id: conversation.id,
        complaint_type: Some(ComplaintType::Logistics),
        severity: TicketSeverity::High,
        order_ref: None,
        product: None,
        comment: None,
    };
    store.open_ticket(shop.agent.clone(), new).await
}

async fn step(store: &Store, who: &Principal, ticket: &TicketDetail, action: TicketAction, comment: Option<&str>) -> Result<TicketDetail, StoreError> {
    let act = TicketAct { action, comment: comment.map(str::to_owned), expected_version: ticket.ticket.version, department_team_id: None };
    Ok(store.act_on_ticket(who.clone(), ticket.ticket.id, act).await?.unwrap_or_else(|r| panic!("{action:?} refused: {r:?}")))
}

fn running(timers: &[anxin_store::sla::TimerRecord]) -> Vec<TimerKind> {
    timers.iter().filter(|t| t.stopped_at.is_none()).map(|t| t.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_warn_breach_escalate_and_follow_up_once_each() {
    for (name, store, _dir) in backends().await {
        clocks_story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

async fn clocks_story(store: &Store) -> Result<(), StoreError> {
    let shop = shop(store, "sla").await?;
    // Bad settings never reach the store: the domain refuses them; a zone no tz database knows is refused here.
    let mut nowhere = always_open();
    nowhere.calendar.time_zone = "Mars/Olympus_Mons".into();
    let refused = store.set_sla_settings(shop.admin.clone(), nowhere.validate().unwrap()).await;
    assert_eq!(refused.unwrap_err(), StoreError::Conflict("time_zone_unsupported".into()));
    let by_agent = store.set_sla_settings(shop.agent.clone(), always_open().validate().unwrap()).await;
    assert!(matches!(by_agent, Err(StoreError::Forbidden(_))));
    assert_eq!(store.sla_settings(shop.org_id).await?.policies[0].name, "物流投诉");

    let opened = angry_ticket(store, &shop, "v-sla").await?;
    let t = &opened.ticket;
    let start = t.created_at;
    assert_eq!(t.sla_status, SlaStatus::Ok);
    assert_eq!(t.first_response_due_at, Some(start + 10 * MINUTE));
    assert_eq!(t.resolution_due_at, Some(start + HOUR));
    assert_eq!(t.step_due_at, Some(start + 30 * MINUTE), "the lead's step");
    let timers = store.ticket_timers(shop.agent.clone(), t.id).await?;
    assert_eq!(running(&timers), [TimerKind::FirstResponse, TimerKind::Resolution, TimerKind::Step]);
    assert_eq!(store.sweep_sla().await?, SweepReport::default(), "nothing is due yet");
    assert_eq!(store.next_timer_at().await?, Some(start + 7 * MINUTE + 30_000), "the first response's warning (75% of 10 min) is next");

    // The agent answers: the first-response clock stops; the customer writes again: a next-response clock starts.
    let body = |t: &str| MessageBody::parse(t.into(), 65536).unwrap();
    store.post_staff_message(shop.agent.clone(), t.conversation_id, MessageKind::Note, None, body("内部备注不算回复")).await?;
    assert!(running(&store.ticket_timers(shop.agent.clone(), t.id).await?).contains(&TimerKind::FirstResponse));
    store.post_staff_message(shop.agent.clone(), t.conversation_id, MessageKind::Agent, None, body("非常抱歉，我马上为您加急处理")).await?;
    store.post_inbound(inbound(shop.org_id, shop.channel_id, "v-sla", None, "到底什么时候能到？")).await?;
    store.post_inbound(inbound(shop.org_id, shop.channel_id, "v-sla", None, "快点！")).await?;
    let timers = store.ticket_timers(shop.agent.clone(), t.id).await?;
    assert_eq!(running(&timers), [TimerKind::Resolution, TimerKind::Step, TimerKind::NextResponse], "one next-response clock");
    let next_due = store.ticket(shop.agent.clone(), t.id).await?.ticket.next_response_due_at.expect("next response due");

    // Past 75% of the next response: one warning, once.
    store.clock().advance(next_due - store.now() - 2 * MINUTE);
    let swept = store.sweep_sla().await?;
    assert_eq!((swept.warnings, swept.breaches), (1, 0), "{swept:?}");
    assert_eq!(store.sweep_sla().await?.warnings, 0, "a warning fires once");
    assert_eq!(store.ticket(shop.agent.clone(), t.id).await?.ticket.sla_status, SlaStatus::Warning);

    // Past the deadline: the breach escalates the ticket (high → critical) and alerts; the lead's step warns too.
    store.clock().advance(3 * MINUTE);
    let swept = store.sweep_sla().await?;
    assert_eq!((swept.breaches, swept.escalations), (1, 1), "{swept:?}");
    let after = store.ticket(shop.agent.clone(), t.id).await?.ticket;
    assert_eq!((after.severity, after.sla_status), (TicketSeverity::Critical, SlaStatus::Breached));
    assert!(after.escalated_at.is_some());
    let alerts = store.alerts(shop.lead.clone(), false).await?;
    let breach = alerts.iter().find(|a| a.kind == "sla_breach").expect("the lead sees the breach");
    assert_eq!(breach.details["ticket_id"], t.id);
    let audit = store.audit_log(shop.org_id, None, 100).await?;
    assert_eq!(audit.iter().filter(|e| e.action == "ticket.sla_breach").count(), 1);
    assert_eq!(store.sweep_sla().await?.breaches, 0, "a breach fires once");

    // The workflow to resolution: the step clock follows the holder; resolution stops the clocks and schedules the
    // follow-up; the answer stops the breached response clock.
    store.post_staff_message(shop.agent.clone(), t.conversation_id, MessageKind::Agent, None, body("已联系物流，今天内给您答复")).await?;
    let approved = step(store, &shop.lead, &opened_now(store, &shop, t.id).await?, TicketAction::Approve, None).await?;
    assert_eq!(approved.ticket.state, TicketState::WithDepartment);
    let department = approved.ticket.department_team_id.unwrap();
    store.add_team_member(shop.org_id, department, shop.handler.user_id.unwrap(), "system".into()).await?;
    let outcome = step(store, &shop.handler, &approved, TicketAction::RecordOutcome, Some("快递丢件，补发")).await?;
    let informed = step(store, &shop.agent, &outcome, TicketAction::InformCustomer, None).await?;
    let resolved = step(store, &shop.agent, &informed, TicketAction::Resolve, None).await?;
    let r = &resolved.ticket;
    assert_eq!(r.resolved_within_target, Some(true), "resolved within the hour");
    assert_eq!((r.sla_status, r.step_due_at, r.resolution_due_at), (SlaStatus::None, None, None), "no clock runs but the follow-up");
    let follow_up_due = r.follow_up_due_at.expect("follow-up scheduled");
    assert_eq!(follow_up_due, r.resolved_at.unwrap() + 48 * HOUR);
    assert_eq!(running(&store.ticket_timers(shop.agent.clone(), t.id).await?), [TimerKind::FollowUp]);

    store.clock().advance(48 * HOUR + MINUTE);
    assert_eq!(store.sweep_sla().await?.follow_ups_due, 1);
    store.clock().advance(24 * HOUR);
    let swept = store.sweep_sla().await?;
    assert_eq!((swept.follow_ups_overdue, swept.escalations), (1, 0), "a late follow-up is listed, not escalated");
    assert!(store.alerts(shop.lead.clone(), false).await?.iter().any(|a| a.kind == "follow_up_overdue"));
    let closed = step(store, &shop.agent, &opened_now(store, &shop, t.id).await?, TicketAction::ConfirmFixed, None).await?;
    assert!(running(&store.ticket_timers(shop.agent.clone(), closed.ticket.id).await?).is_empty());
    assert_eq!(store.sweep_sla().await?, SweepReport::default());
    Ok(())
}

async fn opened_now(store: &Store, shop: &Shop, id: i64) -> Result<TicketDetail, StoreError> {
    store.ticket(shop.admin.clone(), id).await
}

/// The server stops before the deadlines and starts again after them: each breach fires once, on the first sweep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_the_deadline_fires_the_breach_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("anxin.db");
    let store = Store::open(Backend::Sqlite(path.clone())).await.unwrap();
    let shop = shop(&store, "restart").await.unwrap();
    let ticket = angry_ticket(&store, &shop, "v-restart").await.unwrap().ticket;
    assert_eq!(store.sweep_sla().await.unwrap().found, 0);
    store.close().await;

    // Two hours later: first response (10 min), step (30 min) and resolution (1 h) have all passed.
    let later = Store::open_with_clock(Backend::Sqlite(path.clone()), Clock::shifted(2 * HOUR)).await.unwrap();
    let swept = later.sweep_sla().await.unwrap();
    assert_eq!((swept.breaches, swept.warnings), (3, 0), "late sweeps fire breaches, not stale warnings: {swept:?}");
    assert_eq!(later.sweep_sla().await.unwrap(), SweepReport::default());
    later.close().await;

    // And once more after another restart: nothing fires twice.
    let again = Store::open_with_clock(Backend::Sqlite(path), Clock::shifted(3 * HOUR)).await.unwrap();
    assert_eq!(again.sweep_sla().await.unwrap(), SweepReport::default());
    let breaches = again.audit_log(shop.org_id, None, 200).await.unwrap();
    assert_eq!(breaches.iter().filter(|e| e.action == "ticket.sla_breach" && e.target == format!("ticket:{}", ticket.id)).count(), 3);
    let t = again.ticket(shop.agent.clone(), ticket.id).await.unwrap().ticket;
    assert_eq!((t.severity, t.sla_status), (TicketSeverity::Critical, SlaStatus::Breached));
    again.close().await;
}

/// Two nodes on one PostgreSQL database sweep the same due timers at the same moment, many times over: every
/// breach fires exactly once between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_fire_each_breach_exactly_once() {
    let Some(url) = postgres_url() else { return };
    let first = Store::open(Backend::Postgres(url.clone())).await.unwrap();
    let shop = shop(&first, "twonodes").await.unwrap();
    const TICKETS: usize = 30;
    for i in 0..TICKETS {
        angry_ticket(&first, &shop, &format!("v-{i}")).await.unwrap();
    }
    first.clock().advance(2 * HOUR);
    let second = Store::open_with_clock(Backend::Postgres(url), Clock::shifted(2 * HOUR)).await.unwrap();
    let mut total = SweepReport::default();
    for _ in 0..5 {
        let (a, b) = tokio::join!(first.sweep_sla(), second.sweep_sla());
        for report in [a.unwrap(), b.unwrap()] {
            total.breaches += report.breaches;
            total.warnings += report.warnings;
            total.escalations += report.escalations;
        }
    }
    assert_eq!(total.breaches, 3 * TICKETS, "{total:?}");
    assert_eq!(total.warnings, 0);
    assert_eq!(total.escalations, TICKETS, "high → critical once per ticket; critical stays critical");
    let audit = first.audit_log(shop.org_id, None, 500).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "ticket.sla_breach").count(), 3 * TICKETS);
    first.close().await;
    second.close().await;
}
