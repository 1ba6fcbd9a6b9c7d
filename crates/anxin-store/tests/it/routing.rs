//! Automatic assignment and agent protection against both backends: the streak cap moves the fourth hostile
//! customer to someone else, a hostile resolution starts a cool-down, the supervisor's alert grants a break in one
//! step, an escalation mid-way counts in the streak, and alerts stay between the person and their supervisors.

use anxin_domain::input::{Name, Username};
use anxin_domain::{ConversationStatus, Role};
use anxin_store::routing::{AlertAction, RoutingProfile};
use anxin_store::{Availability, ConversationPatch, NewUser, Principal, Store, StoreError};

use super::{backends, inbound};

const ANGRY: [&str; 4] = [
    "你们这是什么垃圾服务！！！气死我了，马上给我退款！！！",
    "太过分了！！！我要投诉你们！！！",
    "骗子公司！！！东西是坏的还不给退！！！",
    "气死我了！三天了还没发货，你们到底干什么吃的！！！",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

fn person(org_id: i64, username: &str, role: Role) -> NewUser {
    NewUser {
        org_id,
        username: Username::parse(username).unwrap(),
        display_name: Name::parse("n", username).unwrap(),
        role,
        department: None,
        password_hash: "hash".into(),
    }
}

fn principal(org_id: i64, user_id: i64, role: Role) -> Principal {
    Principal { org_id, role, user_id: Some(user_id), name: format!("user{user_id}"), csrf_token: None }
}

async fn story(store: &Store) -> Result<(), StoreError> {
    let org = store.create_organization(Name::parse("name", "安心优品").unwrap(), "shop", "Asia/Shanghai").await?;
    let amy = store.create_user(person(org.id, "amy", Role::Agent), None).await?.id;
    let ben = store.create_user(person(org.id, "ben", Role::Agent), None).await?.id;
    let lead = store.create_user(person(org.id, "lead", Role::Supervisor), None).await?.id;
    let other_lead = store.create_user(person(org.id, "otherlead", Role::Supervisor), None).await?.id;
    let admin = principal(org.id, 0, Role::Admin);
    let team = store.create_team(org.id, Name::parse("n", "售后一组").unwrap(), "system".into()).await?;
    for member in [amy, ben, lead] {
        store.add_team_member(org.id, team.id, member, "system".into()).await?;
    }
    let channel = store
        .create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into())
        .await?;
    let profile = |capacity| RoutingProfile { capacity, ..RoutingProfile::default() };
    store.set_routing_profile(admin.clone(), amy, profile(5)).await?;
    store.set_routing_profile(admin.clone(), ben, profile(1)).await?;
    store.set_availability(org.id, amy, Availability::Online).await?;
    store.set_availability(org.id, ben, Availability::Online).await?;

    // Ben is busy with a calm customer he claimed himself (capacity 1).
    let calm = store.post_inbound(inbound(org.id, channel.id, "v0", None, "你好，请问这件衣服有M码吗？")).await?.conversation;
    let ben_principal = principal(org.id, ben, Role::Agent);
    let claim = ConversationPatch { assignee_id: Some(Some(ben)), ..Default::default() };
    store.update_conversation(ben_principal.clone(), calm.id, claim).await?;
    assert!(store.dispatch(org.id, false).await?.is_empty(), "nobody waits");

    // Three hostile customers in a row: Amy is the only one free, so she takes them.
    let mut hostile = Vec::new();
    for (i, text) in ANGRY.iter().enumerate() {
        let c = store.post_inbound(inbound(org.id, channel.id, &format!("v{}", i + 1), None, text)).await?.conversation;
        store.dispatch(org.id, false).await?;
        hostile.push(store.conversation(org.id, c.id).await?);
    }
    for c in &hostile[..3] {
        assert_eq!(c.assignee_id, Some(amy), "conversation {}", c.id);
    }
    // The fourth waits for someone else rather than make it four in a row for Amy …
    assert_eq!(hostile[3].assignee_id, None, "the streak cap kept the fourth from Amy");
    let state = store.protection_state(principal(org.id, amy, Role::Agent), amy).await?;
    assert_eq!((state.hostile_streak, state.streak_cap, state.active), (3, 3, 3));
    assert!(state.load > 2.0, "three very angry customers weigh: {}", state.load);
    // … and goes to Ben as soon as he is free.
    let resolve = ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(ben_principal.clone(), calm.id, resolve.clone()).await?;
    let made = store.dispatch(org.id, false).await?;
    assert_eq!(made.len(), 1);
    assert_eq!(store.conversation(org.id, hostile[3].id).await?.assignee_id, Some(ben));

    // Amy resolves a hostile conversation at the cap: a long cool-down starts.
    let amy_principal = principal(org.id, amy, Role::Agent);
    store.update_conversation(amy_principal.clone(), hostile[0].id, resolve.clone()).await?;
    let state = store.protection_state(amy_principal.clone(), amy).await?;
    let left = state.cooldown_until - anxin_store::now_ms();
    assert!(left > 590_000 && left <= 600_000, "ten minutes after reaching the cap, {left} ms left");

    // The supervisor sees the streak alert and grants a break in one step; others cannot see or act on it.
    let lead_principal = principal(org.id, lead, Role::Supervisor);
    let alerts = store.alerts(lead_principal.clone(), false).await?;
    let streak = alerts.iter().find(|a| a.kind == "streak_cap" && a.user_id == amy).expect("streak alert");
    assert!(store.alerts(ben_principal.clone(), false).await?.iter().all(|a| a.user_id == ben), "Ben sees only his own");
    assert!(store.alerts(principal(org.id, other_lead, Role::Supervisor), false).await?.is_empty(), "not their team");
    assert_eq!(store.alerts(amy_principal.clone(), false).await?.len(), alerts.iter().filter(|a| a.user_id == amy).count());
    let own = store.act_on_alert(amy_principal.clone(), streak.id, AlertAction::GrantBreak).await;
    assert!(matches!(own, Err(StoreError::Forbidden(_))), "{own:?}");
    let outsider = store.act_on_alert(principal(org.id, other_lead, Role::Supervisor), streak.id, AlertAction::GrantBreak).await;
    assert_eq!(outsider.err(), Some(StoreError::NotFound));
    let acted = store.act_on_alert(lead_principal.clone(), streak.id, AlertAction::GrantBreak).await?;
    assert_eq!((acted.action.as_deref(), acted.acknowledged_by), (Some("grant_break"), Some(lead)));
    assert_eq!(store.availability(org.id, amy).await?.state, Availability::Break);
    let again = store.act_on_alert(lead_principal.clone(), streak.id, AlertAction::Acknowledge).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert!(store.alerts(lead_principal.clone(), false).await?.iter().all(|a| a.id != streak.id));
    assert!(store.alerts(lead_principal.clone(), true).await?.iter().any(|a| a.id == streak.id));

    // A calm customer goes to Ben (Amy is on a break) and then turns hostile: it joins Ben's streak.
    store.update_conversation(ben_principal.clone(), hostile[3].id, resolve.clone()).await?;
    let ben_state = store.protection_state(ben_principal.clone(), ben).await?;
    assert!(ben_state.cooldown_until > anxin_store::now_ms(), "Ben cools down after his hostile conversation");
    let late = store.post_inbound(inbound(org.id, channel.id, "v9", None, "快递到哪了？")).await?.conversation;
    store.dispatch(org.id, false).await?;
    assert_eq!(store.conversation(org.id, late.id).await?.assignee_id, None, "Ben is cooling down, Amy on a break");
    store.set_availability(org.id, amy, Availability::Online).await?;
    store.dispatch(org.id, false).await?;
    assert_eq!(store.conversation(org.id, late.id).await?.assignee_id, None, "Amy is cooling down too");
    // Unassigned conversations rejoin the line; a claimed one leaves it.
    store.update_conversation(amy_principal.clone(), late.id, ConversationPatch { assignee_id: Some(Some(amy)), ..Default::default() }).await?;
    let before = store.protection_state(amy_principal.clone(), amy).await?.hostile_streak;
    assert_eq!(before, 0, "a calm conversation ends the streak");
    store.post_inbound(inbound(org.id, channel.id, "v9", None, ANGRY[1])).await?;
    let after = store.protection_state(amy_principal.clone(), amy).await?;
    assert_eq!(after.hostile_streak, 1, "the escalation counted once");
    store.post_inbound(inbound(org.id, channel.id, "v9", None, ANGRY[2])).await?;
    assert_eq!(store.protection_state(amy_principal.clone(), amy).await?.hostile_streak, 1, "and only once");

    // A sharp drop in a check-in Ben chose to share alerts his supervisor (an unshared one never does).
    let ben_me = anxin_store::wellbeing::Me::of(&ben_principal).unwrap();
    let checkin = |mood, shared| anxin_domain::wellbeing::CheckIn::parse(mood, &[] as &[&str], "", shared).unwrap();
    store.record_checkin(ben_me, checkin(4, true)).await?;
    store.record_checkin(ben_me, checkin(1, false)).await?;
    assert!(store.alerts(lead_principal.clone(), false).await?.iter().all(|a| a.kind != "mood_drop"), "not shared");
    store.record_checkin(ben_me, checkin(1, true)).await?;
    let drop = store.alerts(lead_principal.clone(), false).await?;
    let drop = drop.iter().find(|a| a.kind == "mood_drop").expect("mood drop alert");
    assert_eq!((drop.user_id, drop.details["mood"].as_i64()), (ben, Some(1)));
    assert!(drop.details.get("note").is_none());

    // Watching someone's protection state: themselves, their supervisor, an admin — nobody else.
    assert!(store.protection_state(lead_principal.clone(), amy).await.is_ok());
    assert_eq!(store.protection_state(ben_principal.clone(), amy).await.err(), Some(StoreError::NotFound));
    assert_eq!(
        store.protection_state(principal(org.id, other_lead, Role::Supervisor), amy).await.err(),
        Some(StoreError::NotFound)
    );
    Ok(())
}

/// Two nodes on one PostgreSQL database dispatch at the same time: every conversation is assigned once and no
/// agent gets more than their capacity (the routing lock serialises the decisions).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_never_double_assign() {
    let Some(url) = super::postgres_url() else { return };
    let node1 = Store::open(anxin_store::Backend::Postgres(url.clone())).await.expect("node 1");
    let node2 = Store::open(anxin_store::Backend::Postgres(url)).await.expect("node 2");
    let org = node1.create_organization(Name::parse("name", "双节点").unwrap(), "two", "Asia/Shanghai").await.unwrap();
    let admin = principal(org.id, 0, Role::Admin);
    let mut agents = Vec::new();
    for name in ["n1", "n2", "n3"] {
        let id = node1.create_user(person(org.id, name, Role::Agent), None).await.unwrap().id;
        node1.set_routing_profile(admin.clone(), id, RoutingProfile { capacity: 2, ..RoutingProfile::default() }).await.unwrap();
        node1.set_availability(org.id, id, Availability::Online).await.unwrap();
        agents.push(id);
    }
    let channel = node1
        .create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into())
        .await
        .unwrap();
    let mut conversations = Vec::new();
    for i in 0..12 {
        let node = if i % 2 == 0 { &node1 } else { &node2 };
        let posted = node.post_inbound(inbound(org.id, channel.id, &format!("visitor{i}"), None, "快递到哪了？")).await.unwrap();
        conversations.push(posted.conversation.id);
    }
    for _ in 0..5 {
        let (a, b) = tokio::join!(node1.dispatch(org.id, false), node2.dispatch(org.id, false));
        a.unwrap();
        b.unwrap();
    }
    let mut per_agent = std::collections::HashMap::new();
    for id in &conversations {
        if let Some(agent) = node1.conversation(org.id, *id).await.unwrap().assignee_id {
            *per_agent.entry(agent).or_insert(0) += 1;
        }
    }
    assert_eq!(per_agent.values().sum::<i32>(), 6, "three agents × capacity 2: {per_agent:?}");
    assert!(per_agent.values().all(|n| *n == 2), "{per_agent:?}");
    let log = node1.audit_log(org.id, None, 500).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "conversation.auto_assign").count(), 6, "each assignment made once");
    node1.close().await;
    node2.close().await;
}

/// A conversation labelled `skill:<name>` goes only to someone with that skill, and nobody gets a channel they do
/// not serve — on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skills_and_channels_decide_who_qualifies() {
    for (name, store, _dir) in backends().await {
        skills_story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

async fn skills_story(store: &Store) -> Result<(), StoreError> {
    let org = store.create_organization(Name::parse("name", "技能店").unwrap(), "skills", "Asia/Shanghai").await?;
    let admin = principal(org.id, 0, Role::Admin);
    let mut ids = Vec::new();
    for name in ["vip", "web", "mail"] {
        ids.push(store.create_user(person(org.id, name, Role::Agent), None).await?.id);
    }
    let (vip, web, mail) = (ids[0], ids[1], ids[2]);
    let profile = |skills: &[&str], channels: Vec<anxin_domain::ChannelKind>| RoutingProfile {
        capacity: 10,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        channels,
        ..RoutingProfile::default()
    };
    use anxin_domain::ChannelKind::{Email, WebChat};
    store.set_routing_profile(admin.clone(), vip, profile(&[" 大客户 "], vec![WebChat, Email])).await?;
    store.set_routing_profile(admin.clone(), web, profile(&[], vec![WebChat])).await?;
    store.set_routing_profile(admin.clone(), mail, profile(&[], vec![Email])).await?;
    let channel = store
        .create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into())
        .await?;
    // The VIP agent carries load, so plain routing would prefer the web agent.
    let warmup = store.post_inbound(inbound(org.id, channel.id, "w", None, ANGRY[0])).await?.conversation;
    store.update_conversation(admin.clone(), warmup.id, ConversationPatch { assignee_id: Some(Some(vip)), ..Default::default() }).await?;
    for id in [vip, web, mail] {
        store.set_availability(org.id, id, Availability::Online).await?;
    }
    let plain = store.post_inbound(inbound(org.id, channel.id, "p", None, "快递到哪了？")).await?.conversation;
    store.dispatch(org.id, false).await?;
    assert_eq!(store.conversation(org.id, plain.id).await?.assignee_id, Some(web), "web chat: not the email-only agent");
    let big = store.post_inbound(inbound(org.id, channel.id, "b", None, "我想批量采购两百件，能优惠吗？")).await?.conversation;
    let labels = anxin_domain::input::Labels::parse(&["skill:大客户".to_owned()]).unwrap();
    store.update_conversation(admin.clone(), big.id, ConversationPatch { labels: Some(labels), ..Default::default() }).await?;
    store.dispatch(org.id, false).await?;
    assert_eq!(store.conversation(org.id, big.id).await?.assignee_id, Some(vip), "only the agent with the skill");
    let state = store.protection_state(admin.clone(), vip).await?;
    assert_eq!(state.profile.skills, vec![" 大客户 ".to_owned()]);
    assert_eq!(state.profile.channels, vec![WebChat, Email]);
    Ok(())
}
