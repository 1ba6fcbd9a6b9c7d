//! Role-play sessions and an organisation's own scenarios against both backends: a session started, replied to
//! turn by turn with the optimistic turn check (a stale turn and two tabs at once), finished with its scores and
//! debrief; who sees and who writes (the owner, coaches, another agent, another organisation, an API token);
//! progress reads for a set of people; scenarios saved in versions by coaches only; and a scenario drafted from a
//! resolved conversation, with the customer's PII masked — an open conversation or another organisation's refused.

use anxin_domain::input::{MessageBody, Name, Username};
use anxin_domain::{ConversationStatus, MessageKind, Role};
use anxin_store::roleplay::{
    NewRoleplay, NewScenario, REPLY_MAX_CHARS, RoleplayOutcome, RoleplayResult, RoleplayScores, SourceSpeaker,
};
use anxin_store::{ConversationPatch, NewUser, Principal, Store, StoreError};
use serde_json::json;

use super::{backends, inbound};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roleplay_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

fn principal(org_id: i64, user_id: i64, role: Role) -> Principal {
    Principal { org_id, role, user_id: Some(user_id), name: format!("user{user_id}"), csrf_token: None }
}

fn late_delivery(seed: u64) -> NewRoleplay {
    NewRoleplay { scenario_id: "late-delivery-anxiety".into(), custom_scenario: None, scenario_digest: "d1".into(), seed }
}

fn result(overall: u8) -> RoleplayResult {
    let scores = RoleplayScores { acknowledgement: 80, empathy: 70, clarity: 60, solution: 75, options: 20, tone: 100, overall };
    RoleplayResult { scores, debrief: json!({"outcome": "resolved", "turns": [{"number": 1, "reply": "理解您的着急"}]}) }
}

fn conflict(code: &str) -> StoreError {
    StoreError::Conflict(code.into())
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
    let mut people = Vec::new();
    for (username, role) in [("agent", Role::Agent), ("agent2", Role::Agent), ("trainer", Role::Trainer), ("lead", Role::Supervisor), ("admin", Role::Admin)] {
        people.push(principal(org.id, store.create_user(person(org.id, username, role), None).await?.id, role));
    }
    let [agent, agent2, trainer, lead, admin] = <[Principal; 5]>::try_from(people).unwrap();
    let outsider = principal(other.id, store.create_user(person(other.id, "boss", Role::Admin), None).await?.id, Role::Admin);
    let token = Principal { user_id: None, name: "integration".into(), ..admin.clone() };

    // An agent starts a session; the seed survives the round trip whole (all 64 bits).
    let session = store.start_roleplay(agent.clone(), late_delivery(u64::MAX)).await?;
    let id = session.summary.id;
    assert_eq!((session.summary.turns, session.summary.outcome, session.summary.seed), (0, RoleplayOutcome::Ongoing, u64::MAX));
    assert_eq!((session.replies.len(), session.debrief.is_none(), session.summary.scores), (0, true, None));
    assert_eq!((session.summary.user_name.as_str(), session.scenario_digest.as_str()), ("agent", "d1"));
    assert!(matches!(store.start_roleplay(token.clone(), late_delivery(1)).await, Err(StoreError::Forbidden(_))));
    let bad_id = NewRoleplay { scenario_id: "Late Delivery".into(), ..late_delivery(1) };
    assert_eq!(store.start_roleplay(agent.clone(), bad_id).await.err(), Some(conflict("scenario_id")));

    // Replies go in turn by turn; a stale turn is refused and changes nothing.
    let after = store.append_roleplay_reply(agent.clone(), id, 0, "  理解您的着急。 ".into(), RoleplayOutcome::Ongoing, None).await?;
    assert_eq!((after.summary.turns, after.replies.clone()), (1, vec!["理解您的着急。".to_owned()]));
    let stale = store.append_roleplay_reply(agent.clone(), id, 0, "第二条".into(), RoleplayOutcome::Ongoing, None).await;
    assert_eq!(stale.err(), Some(conflict("roleplay_changed")));
    assert_eq!(store.roleplay_session(agent.clone(), id).await?.replies.len(), 1);

    // Two tabs send turn 2 at once: one wins, the other is told the session changed.
    let (a, b) = tokio::join!(
        store.append_roleplay_reply(agent.clone(), id, 1, "包裹在武汉转运中心".into(), RoleplayOutcome::Ongoing, None),
        store.append_roleplay_reply(agent.clone(), id, 1, "明天下午3点前告诉您".into(), RoleplayOutcome::Ongoing, None),
    );
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(), 1, "{a:?} {b:?}");
    assert_eq!(a.err().or(b.err()), Some(conflict("roleplay_changed")));
    assert_eq!(store.roleplay_session(agent.clone(), id).await?.summary.turns, 2);

    // Hostile replies and inconsistent outcomes are refused.
    for text in ["   ".to_owned(), "好".repeat(REPLY_MAX_CHARS + 1)] {
        let refused = store.append_roleplay_reply(agent.clone(), id, 2, text, RoleplayOutcome::Ongoing, None).await;
        assert_eq!(refused.err(), Some(conflict("roleplay_reply")));
    }
    let no_result = store.append_roleplay_reply(agent.clone(), id, 2, "好的".into(), RoleplayOutcome::Resolved, None).await;
    assert_eq!(no_result.err(), Some(conflict("roleplay_outcome")));
    let early = store.append_roleplay_reply(agent.clone(), id, 2, "好的".into(), RoleplayOutcome::Ongoing, Some(result(70))).await;
    assert_eq!(early.err(), Some(conflict("roleplay_outcome")));

    // Who sees it: the owner and the organisation's coaches; not another agent, another organisation or a token's
    // other organisation. Only the owner writes.
    for viewer in [&trainer, &lead, &admin] {
        assert_eq!(store.roleplay_session(viewer.clone(), id).await?.summary.id, id);
        let write = store.append_roleplay_reply(viewer.clone(), id, 2, "我来替你答".into(), RoleplayOutcome::Ongoing, None).await;
        assert!(matches!(write, Err(StoreError::Forbidden(_))), "{write:?}");
    }
    for viewer in [&agent2, &outsider] {
        assert_eq!(store.roleplay_session(viewer.clone(), id).await.err(), Some(StoreError::NotFound));
        let write = store.append_roleplay_reply(viewer.clone(), id, 2, "偷偷回复".into(), RoleplayOutcome::Ongoing, None).await;
        assert_eq!(write.err(), Some(StoreError::NotFound));
        assert_eq!(store.finish_roleplay(viewer.clone(), id, 2, RoleplayOutcome::Abandoned, result(0)).await.err(), Some(StoreError::NotFound));
    }
    assert_eq!(store.roleplay_session(agent.clone(), id + 1000).await.err(), Some(StoreError::NotFound));

    // The resolving reply stores the means and the debrief; nothing more can be added.
    let done = store.append_roleplay_reply(agent.clone(), id, 2, "万一明天没到，就补发一套顺丰次日达。".into(), RoleplayOutcome::Resolved, Some(result(72))).await?;
    assert_eq!((done.summary.turns, done.summary.outcome), (3, RoleplayOutcome::Resolved));
    assert_eq!(done.summary.scores.map(|s| (s.overall, s.options, s.tone)), Some((72, 20, 100)));
    assert_eq!(done.debrief, Some(result(72).debrief));
    assert!(done.summary.finished_at.is_some());
    let late = store.append_roleplay_reply(agent.clone(), id, 3, "还有吗？".into(), RoleplayOutcome::Ongoing, None).await;
    assert_eq!(late.err(), Some(conflict("roleplay_finished")));
    assert_eq!(store.finish_roleplay(agent.clone(), id, 3, RoleplayOutcome::Abandoned, result(0)).await.err(), Some(conflict("roleplay_finished")));

    // A second session, ended by the agent without replying further.
    let second = store.start_roleplay(agent.clone(), late_delivery(7)).await?.summary.id;
    let ongoing_finish = store.finish_roleplay(agent.clone(), second, 0, RoleplayOutcome::Ongoing, result(0)).await;
    assert_eq!(ongoing_finish.err(), Some(conflict("roleplay_outcome")));
    let abandoned = store.finish_roleplay(agent.clone(), second, 0, RoleplayOutcome::Abandoned, result(0)).await?;
    assert_eq!((abandoned.summary.outcome, abandoned.summary.turns), (RoleplayOutcome::Abandoned, 0));

    // Lists: mine, newest first; progress for a set of people.
    let mine = store.my_roleplays(agent.clone(), 50).await?;
    assert_eq!(mine.iter().map(|s| s.id).collect::<Vec<_>>(), [second, id]);
    assert!(store.my_roleplays(agent2.clone(), 50).await?.is_empty());
    assert!(matches!(store.my_roleplays(token.clone(), 50).await, Err(StoreError::Forbidden(_))));
    let everyone = vec![agent.user_id.unwrap(), agent2.user_id.unwrap(), outsider.user_id.unwrap()];
    let progress = store.roleplays_of(trainer.clone(), everyone.clone(), 0, 100).await?;
    assert_eq!(progress.iter().map(|s| s.id).collect::<Vec<_>>(), [second, id], "another organisation's person has none here");
    assert!(store.roleplays_of(outsider.clone(), everyone.clone(), 0, 100).await?.is_empty());
    assert!(store.roleplays_of(trainer.clone(), everyone.clone(), store.now() + 60_000, 100).await?.is_empty());
    assert!(matches!(store.roleplays_of(agent2.clone(), vec![agent.user_id.unwrap()], 0, 100).await, Err(StoreError::Forbidden(_))));
    assert_eq!(store.roleplays_of(agent.clone(), vec![agent.user_id.unwrap()], 0, 100).await?.len(), 2);
    assert!(store.roleplays_of(trainer.clone(), vec![], 0, 100).await?.is_empty());

    // The organisation's own scenarios: coaches save versions, everyone reads them, other organisations do not.
    let channel = store.create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    let posted = store.post_inbound(inbound(org.id, channel.id, "v1", None, "我的快递三天没动了，电话13812345678，急死了")).await?;
    let conversation = posted.conversation.id;
    let new = |toml: &str| NewScenario {
        scenario_id: "case-late-parcel".into(),
        title: "真实案例：快递三天没动".into(),
        toml: toml.into(),
        source_conversation_id: Some(conversation),
    };
    assert!(matches!(store.save_training_scenario(agent.clone(), new("id = \"x\"")).await, Err(StoreError::Forbidden(_))));
    let v1 = store.save_training_scenario(trainer.clone(), new("# v1")).await?;
    let v2 = store.save_training_scenario(lead.clone(), new("# v2")).await?;
    assert_eq!((v1.version, v2.version, v2.toml.as_str(), v2.created_by), (1, 2, "# v2", lead.user_id));
    let listed = store.training_scenarios(agent.clone()).await?;
    assert_eq!(listed.iter().map(|s| (s.scenario_id.as_str(), s.version)).collect::<Vec<_>>(), [("case-late-parcel", 2)]);
    assert_eq!(store.training_scenario(agent.clone(), "case-late-parcel".into()).await?.id, v2.id);
    assert_eq!(store.training_scenario_version(agent.clone(), v1.id).await?.toml, "# v1");
    assert!(store.training_scenarios(outsider.clone()).await?.is_empty());
    assert_eq!(store.training_scenario_version(outsider.clone(), v1.id).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.training_scenario(outsider.clone(), "case-late-parcel".into()).await.err(), Some(StoreError::NotFound));
    let foreign_source = NewScenario { source_conversation_id: Some(conversation), ..new("# x") };
    assert_eq!(store.save_training_scenario(outsider.clone(), foreign_source).await.err(), Some(StoreError::NotFound));
    let untitled = NewScenario { title: " \n ".into(), ..new("# x") };
    assert_eq!(store.save_training_scenario(trainer.clone(), untitled).await.err(), Some(conflict("scenario_title")));
    let empty = NewScenario { toml: "  ".into(), ..new("") };
    assert_eq!(store.save_training_scenario(trainer.clone(), empty).await.err(), Some(conflict("scenario_toml")));
    let audit = store.audit_log(org.id, None, 50).await?;
    assert_eq!(audit.iter().filter(|a| a.action == "training.scenario.save").count(), 2);

    // A session on the organisation's scenario keeps its version; a row of another id or organisation is refused.
    let custom = NewRoleplay { scenario_id: "case-late-parcel".into(), custom_scenario: Some(v1.id), scenario_digest: "d2".into(), seed: 3 };
    let on_v1 = store.start_roleplay(agent.clone(), custom.clone()).await?;
    assert_eq!(on_v1.summary.custom_scenario, Some(v1.id));
    let mismatched = NewRoleplay { scenario_id: "late-delivery-anxiety".into(), ..custom.clone() };
    assert_eq!(store.start_roleplay(agent.clone(), mismatched).await.err(), Some(StoreError::NotFound));
    assert_eq!(store.start_roleplay(outsider.clone(), custom).await.err(), Some(StoreError::NotFound));

    // A scenario drafted from a conversation: only once resolved, only for coaches, the customer's PII masked.
    assert_eq!(store.scenario_source(trainer.clone(), conversation).await.err(), Some(conflict("roleplay_source_open")));
    let body = MessageBody::parse("理解您的着急，包裹在武汉转运中心，明天下午3点前我再联系您（13812345678）。".into(), 65536).unwrap();
    store.post_staff_message(admin.clone(), conversation, MessageKind::Agent, None, body).await?;
    store.post_staff_message(admin.clone(), conversation, MessageKind::Note, None, MessageBody::parse("内部备注".into(), 100).unwrap()).await?;
    let resolve = ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(admin.clone(), conversation, resolve).await?;
    let source = store.scenario_source(trainer.clone(), conversation).await?;
    assert_eq!(source.lines.iter().map(|l| (l.speaker, l.masked)).collect::<Vec<_>>(), [(SourceSpeaker::Customer, true), (SourceSpeaker::Agent, false)]);
    assert!(!source.lines[0].text.contains("13812345678") && source.lines[0].text.contains("快递三天没动"), "{}", source.lines[0].text);
    assert!(source.lines[0].emotion.is_some() && source.resolved_at.is_some());
    assert!(source.lines.iter().all(|l| l.text != "内部备注"), "notes stay out");
    assert!(matches!(store.scenario_source(agent.clone(), conversation).await, Err(StoreError::Forbidden(_))));
    assert_eq!(store.scenario_source(outsider.clone(), conversation).await.err(), Some(StoreError::NotFound));
    let candidates = store.scenario_source_candidates(trainer.clone(), 10).await?;
    assert_eq!(candidates.iter().map(|c| c.conversation_id).collect::<Vec<_>>(), [conversation]);
    assert!(!candidates[0].preview.contains("13812345678") && candidates[0].preview.contains("快递"), "{}", candidates[0].preview);
    assert!(store.scenario_source_candidates(outsider.clone(), 10).await?.is_empty());
    assert!(matches!(store.scenario_source_candidates(agent.clone(), 10).await, Err(StoreError::Forbidden(_))));
    Ok(())
}
