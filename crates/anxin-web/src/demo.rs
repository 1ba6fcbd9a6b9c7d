//! `anxin serve --demo`: seeds a realistic demo shop (teams, people, channels, customers, Chinese conversations
//! with varied emotions) from `demo/demo.json`, and an optional customer simulator that keeps messages coming.

use std::time::Duration;

use serde::Deserialize;

use anxin_domain::input::{ClientMessageId, Labels, MessageBody, Name, Username};
use anxin_domain::{ChannelKind, ContactKind, ConversationStatus, MessageKind, Priority, Role};
use anxin_store::{ConversationPatch, InboundMessage, NewUser, Principal, Store};

use crate::auth::hash_password;

pub const DEMO_JSON: &str = include_str!("../demo/demo.json");
/// Every demo account's password (printed at start-up; demo data is for trying Anxin out).
pub const DEMO_PASSWORD: &str = "anxin-demo-2026";

#[derive(Deserialize)]
pub struct Demo {
    organization: DemoOrg,
    teams: Vec<DemoTeam>,
    users: Vec<DemoUser>,
    channels: Vec<DemoChannel>,
    customers: Vec<DemoCustomer>,
    conversations: Vec<DemoConversation>,
    pub simulator: Vec<DemoScript>,
}

#[derive(Deserialize)]
struct DemoOrg {
    name: String,
    slug: String,
    timezone: String,
}

#[derive(Deserialize)]
struct DemoTeam {
    key: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoUser {
    username: String,
    display_name: String,
    role: Role,
    teams: Vec<String>,
    department: Option<String>,
}

#[derive(Deserialize)]
struct DemoChannel {
    key: String,
    kind: ChannelKind,
    name: String,
    allowed_origins: Vec<String>,
}

#[derive(Deserialize)]
struct DemoCustomer {
    key: String,
    name: String,
    contacts: Vec<DemoContact>,
}

#[derive(Deserialize)]
struct DemoContact {
    kind: ContactKind,
    value: String,
}

#[derive(Deserialize)]
struct DemoConversation {
    customer: String,
    channel: String,
    status: ConversationStatus,
    team: Option<String>,
    assignee: Option<String>,
    priority: Priority,
    labels: Vec<String>,
    started_minutes_ago: i64,
    messages: Vec<DemoMessage>,
}

#[derive(Deserialize)]
struct DemoMessage {
    from: MessageKind,
    author: Option<String>,
    text: String,
    after_seconds: i64,
}

#[derive(Deserialize, Clone)]
pub struct DemoScript {
    pub channel: String,
    pub customer_name: String,
    pub messages: Vec<String>,
}

pub fn parse() -> Result<Demo, serde_json::Error> {
    serde_json::from_str(DEMO_JSON)
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Seeds the demo organisation unless it exists. Returns the organisation id.
pub async fn seed(store: &Store, analyzer: &anxin_text::Analyzer) -> anyhow::Result<i64> {
    let demo = parse()?;
    if let Some(org) = store.organizations().await?.into_iter().find(|o| o.slug == demo.organization.slug) {
        return Ok(org.id);
    }
    let org = store.create_organization(Name::parse("name", &demo.organization.name)?, &demo.organization.slug, &demo.organization.timezone).await?;
    let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await?;
    let mut teams = Vec::new();
    for t in &demo.teams {
        let team = store.create_team(org.id, Name::parse("name", &t.name)?, "system:demo".into()).await?;
        teams.push((t.key.clone(), team.id));
    }
    let team_id = |key: &str| teams.iter().find(|(k, _)| k == key).map(|(_, id)| *id);
    let mut users = Vec::new();
    for u in &demo.users {
        let new = NewUser {
            org_id: org.id,
            username: Username::parse(&u.username)?,
            display_name: Name::parse("display_name", &u.display_name)?,
            role: u.role,
            department: u.department.clone(),
            password_hash: hash.clone(),
        };
        let user = store.create_user(new, Some("system:demo".into())).await?;
        for t in &u.teams {
            if let Some(team) = team_id(t) {
                store.add_team_member(org.id, team, user.id, "system:demo".into()).await?;
            }
        }
        // A believable shift: most agents online, one on a break, the last two off (the board shows all three).
        let availability = match u.username.as_str() {
            "agent6" => Some(anxin_store::Availability::Break),
            "agent7" | "agent8" => None,
            name if name.starts_with("agent") || name == "supervisor" => Some(anxin_store::Availability::Online),
            _ => None,
        };
        if let Some(state) = availability {
            store.set_availability(org.id, user.id, state).await?;
        }
        users.push((u.username.clone(), user));
    }
    let user = |name: &str| users.iter().find(|(k, _)| k == name).map(|(_, u)| u.clone());
    let mut channels = Vec::new();
    for c in &demo.channels {
        let channel = store.create_channel(org.id, c.kind, Name::parse("name", &c.name)?, c.allowed_origins.clone(), "system:demo".into()).await?;
        channels.push((c.key.clone(), channel));
    }
    let mut customers = Vec::new();
    for c in &demo.customers {
        let contacts: Vec<(ContactKind, String)> = c.contacts.iter().map(|p| (p.kind, p.value.clone())).collect();
        let customer = store.create_customer(org.id, Name::parse("name", &c.name)?, contacts.clone(), "system:demo".into()).await?;
        customers.push((c.key.clone(), customer.id, contacts));
    }
    // Oldest first: a customer's earlier conversation on a channel is resolved before the next one starts, so the
    // next one opens a conversation of its own instead of continuing the old one (the store continues the customer's
    // open conversation on that channel, as it should for a live customer).
    let mut order: Vec<usize> = (0..demo.conversations.len()).collect();
    order.sort_by_key(|&n| std::cmp::Reverse(demo.conversations[n].started_minutes_ago));
    let mut seeded = vec![None; demo.conversations.len()];
    for n in order {
        let conv = &demo.conversations[n];
        let (_, channel) = channels.iter().find(|(k, _)| *k == conv.channel).ok_or_else(|| err(format!("unknown channel {}", conv.channel)))?;
        let (_, _, contacts) = customers.iter().find(|(k, _, _)| *k == conv.customer).ok_or_else(|| err(format!("unknown customer {}", conv.customer)))?;
        // The customer's own first contact point (their account on that channel).
        let contact = contacts.first().cloned().unwrap_or((ContactKind::External, format!("demo:{}", conv.customer)));
        let mut conversation_id = None;
        // The demo's clock: conversations started minutes or days ago, messages spaced as written.
        let now = anxin_store::now_ms();
        let mut at = now - conv.started_minutes_ago * 60_000;
        let mut times = Vec::new();
        for (i, m) in conv.messages.iter().enumerate() {
            at = (at + m.after_seconds * 1000).min(now);
            let body = MessageBody::parse(m.text.clone(), 65536)?;
            match m.from {
                MessageKind::Customer => {
                    let posted = store
                        .post_inbound(InboundMessage {
                            org_id: org.id,
                            channel_id: channel.id,
                            contact: contact.clone(),
                            customer_name: None,
                            client_message_id: Some(ClientMessageId::parse(&format!("demo-{n}-{i}"))?),
                            analysis: analyzer.analyze_customer_message(body.as_str()),
                            body,
                        })
                        .await?;
                    conversation_id = Some(posted.conversation.id);
                    times.push((posted.message.id, at));
                }
                kind => {
                    let Some(id) = conversation_id else { continue };
                    let author = m.author.as_deref().and_then(user);
                    let actor = Principal {
                        org_id: org.id,
                        role: author.as_ref().map_or(Role::Admin, |u| u.role),
                        user_id: author.as_ref().map(|u| u.id),
                        name: author.as_ref().map_or("system".into(), |u| u.display_name.clone()),
                        csrf_token: None,
                    };
                    let posted = store.post_staff_message(actor, id, kind, None, body).await?;
                    times.push((posted.message.id, at));
                }
            }
        }
        if let Some(id) = conversation_id {
            let admin = Principal { org_id: org.id, role: Role::Admin, user_id: None, name: "demo".into(), csrf_token: None };
            let patch = ConversationPatch {
                status: Some(conv.status),
                assignee_id: Some(conv.assignee.as_deref().and_then(user).map(|u| u.id)),
                team_id: Some(conv.team.as_deref().and_then(team_id)),
                priority: Some(conv.priority),
                labels: Some(Labels::parse(&conv.labels)?),
            };
            store.update_conversation(admin, id, patch).await?;
            store.set_message_times(org.id, id, std::mem::take(&mut times)).await?;
            seeded[n] = Some((id, conv.assignee.as_deref().and_then(user)));
        }
    }
    let seeded: Vec<_> = seeded.into_iter().flatten().collect();
    seed_tickets(store, org.id, &seeded, &user).await?;
    seed_knowledge(store, org.id).await?;
    Ok(org.id)
}

include!(concat!(env!("OUT_DIR"), "/starter_content.rs"));

/// The starter knowledge base and script library (`content/`), as if a lead had imported the files.
pub fn starter_entries() -> anyhow::Result<Vec<anxin_domain::knowledge::Entry>> {
    let files: Vec<(String, String)> = STARTER_CONTENT.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect();
    anxin_domain::knowledge::import(&files).map_err(|errors| err(format!("starter content: {}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))))
}

async fn seed_knowledge(store: &Store, org_id: i64) -> anyhow::Result<()> {
    let admin = Principal { org_id, role: Role::Admin, user_id: None, name: "demo".into(), csrf_token: None };
    store.import_knowledge(admin, starter_entries()?).await?;
    Ok(())
}

/// Complaint tickets at several stages, so the ticket pages, the risk board and the root-cause view have something
/// to show: the departments with their handlers, then a ticket per complaint conversation with an agent (at most
/// four), moved along the workflow to different points.
async fn seed_tickets(
    store: &Store,
    org_id: i64,
    conversations: &[(i64, Option<anxin_store::User>)],
    user: &dyn Fn(&str) -> Option<anxin_store::User>,
) -> anyhow::Result<()> {
    use anxin_domain::complaint::{RemedyKind, TicketAction};
    use anxin_store::complaints::{NewRemedy, NewTicket, OrderRef, TicketAct, TicketSeverity};
    for (department, handler) in [("物流部", "logistics"), ("仓储部", "warehouse"), ("财务部", "finance")] {
        let team = store.create_team(org_id, Name::parse("name", department)?, "system:demo".into()).await?;
        if let Some(h) = user(handler) {
            store.add_team_member(org_id, team.id, h.id, "system:demo".into()).await?;
        }
    }
    let principal = |u: &anxin_store::User| Principal { org_id, role: u.role, user_id: Some(u.id), name: u.display_name.clone(), csrf_token: None };
    let Some(lead) = user("supervisor").map(|u| principal(&u)) else { return Ok(()) };
    let mut opened = 0;
    for (id, agent) in conversations {
        let Some(agent) = agent.as_ref().filter(|a| a.role == Role::Agent) else { continue };
        let conversation = store.conversation(org_id, *id).await?;
        if conversation.complaint_type.is_none() || conversation.risk < 0.4 {
            continue;
        }
        let agent = principal(agent);
        let new = NewTicket {
            conversation_id: *id,
            complaint_type: None,
            severity: if conversation.signals.is_empty() { TicketSeverity::Normal } else { TicketSeverity::High },
            order_ref: None,
            product: OrderRef::parse(["羽绒服", "保温杯", "跑步鞋", "电饭煲"][opened % 4]).ok(),
            comment: Some("客户情绪激动，需要部门协助".into()),
        };
        let mut detail = store.open_ticket(agent.clone(), new).await?;
        let steps: &[(TicketAction, bool, Option<&str>)] = match opened {
            0 => &[],
            1 => &[(TicketAction::Approve, true, None)],
            2 => &[(TicketAction::Approve, true, None), (TicketAction::RecordOutcome, false, Some("已核实，安排补发并加急"))],
            _ => &[(TicketAction::ReturnToAgent, true, Some("请先补充订单号和照片"))],
        };
        for (action, by_lead, comment) in steps {
            let who = if *by_lead { lead.clone() } else {
                // The department's handler records the outcome.
                let team = detail.ticket.department_team_id;
                let handler = ["logistics", "warehouse", "finance"].iter().filter_map(|h| user(h)).find(|h| {
                    team.is_some() && detail.ticket.department_name.as_deref().is_some_and(|d| matches!((d, h.username.as_str()), ("物流部", "logistics") | ("仓储部", "warehouse") | ("财务部", "finance")))
                });
                match handler {
                    Some(h) => principal(&h),
                    None => break,
                }
            };
            let act = TicketAct { action: *action, comment: comment.map(str::to_owned), expected_version: detail.ticket.version, department_team_id: None };
            match store.act_on_ticket(who, detail.ticket.id, act).await? {
                Ok(next) => detail = next,
                Err(_) => break,
            }
        }
        if opened == 2 {
            for (kind, amount) in [(RemedyKind::Reshipment, None), (RemedyKind::Coupon, Some(1_000))] {
                store.offer_remedy(agent.clone(), detail.ticket.id, NewRemedy { kind, amount_fen: amount, note: None }).await?;
            }
        }
        opened += 1;
        if opened == 4 {
            break;
        }
    }
    Ok(())
}

/// Keeps customer messages coming (one every `every`), as new web and app customers following the demo scripts.
pub async fn simulate(store: Store, analyzer: &'static anxin_text::Analyzer, org_id: i64, every: Duration) -> anyhow::Result<()> {
    let demo = parse()?;
    let channels = store.channels(org_id).await?;
    let mut round = 0usize;
    let mut rng = anxin_store::now_ms() as u64;
    loop {
        for script in &demo.simulator {
            round += 1;
            let Some(channel) = channels.iter().find(|c| c.name.contains(&script.channel) || channel_key_matches(c.kind, &script.channel)) else { continue };
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let contact = (if channel.kind == ChannelKind::WebChat { ContactKind::WebVisitor } else { ContactKind::External }, format!("sim-{round}-{:x}", rng >> 40));
            for (i, text) in script.messages.iter().enumerate() {
                tokio::time::sleep(every).await;
                let body = MessageBody::parse(text.clone(), 65536)?;
                let message = InboundMessage {
                    org_id,
                    channel_id: channel.id,
                    contact: contact.clone(),
                    customer_name: Some(script.customer_name.clone()),
                    client_message_id: Some(ClientMessageId::parse(&format!("sim-{round}-{i}"))?),
                    analysis: analyzer.analyze_customer_message(body.as_str()),
                    body,
                };
                if let Err(e) = store.post_inbound(message).await {
                    tracing::warn!(error = %e, "simulator could not post");
                }
            }
        }
    }
}

fn channel_key_matches(kind: ChannelKind, key: &str) -> bool {
    matches!((kind, key), (ChannelKind::WebChat, "web") | (ChannelKind::Api, "tmall" | "app") | (ChannelKind::Email, "email"))
}
