//! The knowledge base and script library against both backends: the real starter content imported (and again,
//! unchanged), an edit with its history and diff, publication as agents see it, an agent's script proposal and a
//! lead's approval, the update notice for the agents who used an entry, and hostile input: another organisation,
//! unknown ids, a duplicated import refused whole, an id of two kinds, an over-long change note.

use std::path::{Path, PathBuf};

use anxin_domain::events::EventKind;
use anxin_domain::input::{Name, Username};
use anxin_domain::knowledge::{self, Entry, EntryFields, EntryId, Kind};
use anxin_domain::{Language, Role};
use anxin_store::knowledge::{ChangeNote, DiffOp, EntryFilter, ImportReport, USAGE_WINDOW_MS, Usage};
use anxin_store::{NewUser, Principal, Store, StoreError};

use super::{backends, inbound};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_story() {
    let starter = starter_content();
    assert!(starter.len() >= 90, "the starter content has {} entries", starter.len());
    for (name, store, _dir) in backends().await {
        story(&store, &starter).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

/// Every file under `content/knowledge` and `content/scripts`, through the domain's importer.
fn starter_content() -> Vec<Entry> {
    fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
        for item in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = item.unwrap().path();
            if path.is_dir() {
                collect(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "md" || ext == "json") {
                found.push(path);
            }
        }
    }
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let mut paths = Vec::new();
    collect(&content.join("knowledge"), &mut paths);
    collect(&content.join("scripts"), &mut paths);
    paths.sort();
    let files: Vec<(String, String)> =
        paths.iter().map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect();
    knowledge::import(&files).unwrap_or_else(|errors| panic!("starter content: {errors:?}"))
}

fn principal(org_id: i64, user_id: i64, role: Role) -> Principal {
    Principal { org_id, role, user_id: Some(user_id), name: format!("user{user_id}"), csrf_token: None }
}

fn id(text: &str) -> EntryId {
    EntryId::parse(text).unwrap()
}

/// `entry` with its body extended by `more`.
fn edited(entry: &Entry, more: &str) -> Entry {
    let mut fields = EntryFields::from(entry.clone());
    fields.body = Some(format!("{}\n\n{more}", entry.body()));
    Entry::try_from(fields).unwrap()
}

fn script(id: &str, body: &str) -> Entry {
    Entry::try_from(EntryFields {
        id: Some(id.into()),
        kind: Some(Kind::Script),
        lang: Some(Language::ZhHans),
        title: Some("焦虑客户开场：先确认再查询".into()),
        emotion: Some(anxin_domain::Emotion::Anxiety),
        complaint_type: Some("any".into()),
        situation: Some(knowledge::Situation::Opening),
        channel: Some("any".into()),
        variables: Some(vec![]),
        body: Some(body.into()),
        ..EntryFields::default()
    })
    .unwrap()
}

fn note(text: &str) -> Option<ChangeNote> {
    Some(ChangeNote::parse(text).unwrap())
}

async fn updates(store: &Store, org_id: i64) -> Result<Vec<anxin_domain::events::Event>, StoreError> {
    let events = store.events_after(org_id, 0, 100_000).await?;
    Ok(events.into_iter().filter(|e| e.kind == EventKind::KnowledgeUpdated).collect())
}

async fn story(store: &Store, starter: &[Entry]) -> Result<(), StoreError> {
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
    let lead = principal(org.id, store.create_user(person(org.id, "lead", Role::Supervisor), None).await?.id, Role::Supervisor);
    let agent = principal(org.id, store.create_user(person(org.id, "agent", Role::Agent), None).await?.id, Role::Agent);
    let agent2 = principal(org.id, store.create_user(person(org.id, "agent2", Role::Agent), None).await?.id, Role::Agent);
    let outsider = principal(other.id, store.create_user(person(other.id, "boss", Role::Admin), None).await?.id, Role::Admin);
    let channel = store.create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    let conversation = store.post_inbound(inbound(org.id, channel.id, "v1", None, "退货运费谁出？")).await?.conversation;

    // Only leads import; the starter content comes in whole, published, and a second import changes nothing.
    assert!(matches!(store.import_knowledge(agent.clone(), starter.to_vec()).await, Err(StoreError::Forbidden(_))));
    let report = store.import_knowledge(lead.clone(), starter.to_vec()).await?;
    assert_eq!(report, ImportReport { created: starter.len(), updated: 0, unchanged: 0 });
    let again = store.import_knowledge(lead.clone(), starter.to_vec()).await?;
    assert_eq!(again, ImportReport { created: 0, updated: 0, unchanged: starter.len() });
    let scripts = starter.iter().filter(|e| e.kind() == Kind::Script).count();
    let listed = store.entries(agent.clone(), EntryFilter { kind: Some(Kind::Script), ..EntryFilter::default() }).await?;
    assert_eq!(listed.len(), scripts);
    assert!(listed.iter().all(|kb| kb.published && kb.version == 1 && kb.entry.kind() == Kind::Script));
    let english = store.entries(agent.clone(), EntryFilter { lang: Some(Language::En), ..EntryFilter::default() }).await?;
    assert_eq!(english.len(), starter.iter().filter(|e| e.lang() == Language::En).count());
    assert_eq!(store.export_knowledge(lead.clone()).await?.len(), starter.len());

    // An agent answers with a FAQ entry: the use is recorded with the conversation.
    let faq = starter.iter().find(|e| e.kind() == Kind::Faq && e.lang() == Language::ZhHans).expect("a zh-Hans FAQ");
    let (faq_id, faq_lang) = (faq.id().clone(), faq.lang());
    assert_eq!(store.entry(agent.clone(), faq_id.clone(), faq_lang).await?.entry, *faq);
    store.record_usage(agent.clone(), faq_id.clone(), faq_lang, Usage { conversation_id: Some(conversation.id), ..Usage::default() }).await?;
    assert_eq!(store.record_usage(agent.clone(), faq_id.clone(), faq_lang, Usage { conversation_id: Some(9_999_999), ..Usage::default() }).await, Err(StoreError::NotFound));

    // The lead edits it: version 2, the history and diff show what changed, and the agent who used it is named in
    // one staff-only knowledge_updated event.
    let changed = edited(faq, "补充：质量问题退货的运费由我们承担。");
    let saved = store.save_entry(lead.clone(), changed.clone(), note("补充运费说明")).await?;
    assert_eq!((saved.version, saved.published, saved.entry.clone()), (2, true, changed.clone()));
    let history = store.entry_versions(agent.clone(), faq_id.clone(), faq_lang).await?;
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!((history[0].change_note.as_deref(), history[0].author_id), (Some("补充运费说明"), lead.user_id));
    assert_eq!((history[1].change_note.as_deref(), &history[1].entry), (Some("import"), faq));
    let diff = store.entry_diff(agent.clone(), faq_id.clone(), faq_lang, 1, 2).await?;
    let added: Vec<&str> = diff.lines.iter().filter(|l| l.op == DiffOp::Added).map(|l| l.text.as_str()).collect();
    assert_eq!(added, ["", "补充：质量问题退货的运费由我们承担。"]);
    assert!(diff.lines.iter().all(|l| l.op != DiffOp::Removed), "{diff:?}");
    let notices = updates(store, org.id).await?;
    assert_eq!(notices.len(), 1);
    let notice = &notices[0];
    assert_eq!(notice.data["user_ids"], serde_json::json!([agent.user_id.unwrap()]));
    assert_eq!((notice.data["id"].as_str(), notice.data["version"].as_i64()), (Some(faq_id.as_str()), Some(2)));
    assert_eq!((notice.data["lang"].as_str(), notice.data["change_note"].as_str()), (Some("zh-Hans"), Some("补充运费说明")));
    assert_eq!((notice.conversation_id, notice.for_customer()), (None, None));

    // Saving the same content again writes nothing and tells no one.
    assert_eq!(store.save_entry(lead.clone(), changed.clone(), note("再存一次")).await?.version, 2);
    assert_eq!(store.import_knowledge(lead.clone(), vec![changed.clone()]).await?.unchanged, 1);
    assert_eq!(updates(store, org.id).await?.len(), 1);

    // Unpublished, it disappears for agents (not for the lead) and cannot be used; published again, it is back.
    assert!(!store.set_published(lead.clone(), faq_id.clone(), faq_lang, false).await?.published);
    assert_eq!(store.entry(agent.clone(), faq_id.clone(), faq_lang).await, Err(StoreError::NotFound));
    assert_eq!(store.entry_versions(agent.clone(), faq_id.clone(), faq_lang).await, Err(StoreError::NotFound));
    assert_eq!(store.record_usage(agent.clone(), faq_id.clone(), faq_lang, Usage::default()).await, Err(StoreError::NotFound));
    assert!(!store.entries(agent.clone(), EntryFilter::default()).await?.iter().any(|kb| kb.entry == changed));
    assert!(store.entries(lead.clone(), EntryFilter::default()).await?.iter().any(|kb| kb.entry == changed));
    assert!(!store.entries(lead.clone(), EntryFilter { published_only: true, ..EntryFilter::default() }).await?.iter().any(|kb| kb.entry == changed));
    // An edit while unpublished is not announced.
    let draft = edited(&changed, "草稿：仍在确认。");
    assert_eq!(store.save_entry(lead.clone(), draft.clone(), None).await?.version, 3);
    assert_eq!(updates(store, org.id).await?.len(), 1);
    assert!(store.set_published(lead.clone(), faq_id.clone(), faq_lang, true).await?.published);
    assert_eq!(store.entry(agent.clone(), faq_id.clone(), faq_lang).await?.entry, draft);
    assert!(matches!(store.set_published(agent.clone(), faq_id.clone(), faq_lang, false).await, Err(StoreError::Forbidden(_))));

    // Usage older than 30 days no longer earns a notice.
    store.clock().advance(USAGE_WINDOW_MS + 60_000);
    assert_eq!(store.save_entry(lead.clone(), faq.clone(), note("恢复原文")).await?.version, 4);
    assert_eq!(updates(store, org.id).await?.len(), 1);

    // An agent proposes a script: unpublished, theirs to revise, invisible to other agents until a lead approves.
    let proposal = script("anxiety-any-opening-proposed", "您好，我先帮您确认订单状态，请稍等一分钟。");
    let proposed = store.save_entry(agent.clone(), proposal.clone(), note("常用开场")).await?;
    assert_eq!((proposed.published, proposed.proposed_by, proposed.approved_by), (false, agent.user_id, None));
    let pid = id("anxiety-any-opening-proposed");
    assert_eq!(store.entry(agent2.clone(), pid.clone(), Language::ZhHans).await, Err(StoreError::NotFound));
    assert!(!store.entries(agent2.clone(), EntryFilter::default()).await?.iter().any(|kb| kb.entry.id() == &pid));
    assert!(store.entries(agent.clone(), EntryFilter::default()).await?.iter().any(|kb| kb.entry.id() == &pid));
    let revised = script("anxiety-any-opening-proposed", "您好，别着急，我先帮您确认订单状态，请稍等一分钟。");
    assert_eq!(store.save_entry(agent.clone(), revised.clone(), None).await?.version, 2);
    assert!(matches!(store.save_entry(agent2.clone(), revised.clone(), None).await, Err(StoreError::Forbidden(_))));
    // Agents propose scripts only, and never change published entries.
    assert!(matches!(store.save_entry(agent.clone(), changed.clone(), None).await, Err(StoreError::Forbidden(_))));
    let published_script = starter.iter().find(|e| e.kind() == Kind::Script).unwrap();
    assert!(matches!(store.save_entry(agent.clone(), edited(published_script, "多一句。"), None).await, Err(StoreError::Forbidden(_))));
    let pending = EntryFilter { pending_only: true, ..EntryFilter::default() };
    let queue = store.entries(lead.clone(), pending).await?;
    assert_eq!(queue.iter().map(|kb| &kb.entry).collect::<Vec<_>>(), [&revised]);
    assert_eq!(store.entries(agent2.clone(), pending).await?, [], "another agent's proposal stays theirs");
    let approved = store.set_published(lead.clone(), pid.clone(), Language::ZhHans, true).await?;
    assert_eq!(store.entries(lead.clone(), pending).await?, []);
    assert_eq!((approved.published, approved.proposed_by, approved.approved_by), (true, agent.user_id, lead.user_id));
    assert_eq!(store.entry(agent2.clone(), pid.clone(), Language::ZhHans).await?.entry, revised);
    assert!(matches!(store.save_entry(agent.clone(), proposal.clone(), None).await, Err(StoreError::Forbidden(_))));
    // A lead's new entry starts as a draft.
    let lead_draft = store.save_entry(lead.clone(), script("anxiety-any-opening-lead", "您好，我在的，请讲。"), None).await?;
    assert_eq!((lead_draft.published, lead_draft.proposed_by, lead_draft.version), (false, None, 1));
    assert_eq!(store.entry(agent.clone(), id("anxiety-any-opening-lead"), Language::ZhHans).await, Err(StoreError::NotFound));

    // Export gives back every current entry, which reads back through the file format unchanged.
    let exported = store.export_knowledge(lead.clone()).await?;
    assert_eq!(exported.len(), starter.len() + 2);
    assert!(exported.contains(&revised) && exported.contains(faq));
    assert_eq!(knowledge::parse_json("export.json", &knowledge::to_json(&exported)).as_ref(), Ok(&exported));
    assert!(matches!(store.export_knowledge(agent.clone()).await, Err(StoreError::Forbidden(_))));

    // Another organisation sees nothing of it and cannot touch it.
    assert_eq!(store.entry(outsider.clone(), faq_id.clone(), faq_lang).await, Err(StoreError::NotFound));
    assert_eq!(store.entries(outsider.clone(), EntryFilter::default()).await?, []);
    assert_eq!(store.export_knowledge(outsider.clone()).await?, []);
    assert_eq!(store.set_published(outsider.clone(), faq_id.clone(), faq_lang, false).await, Err(StoreError::NotFound));
    assert_eq!(store.record_usage(outsider.clone(), faq_id.clone(), faq_lang, Usage::default()).await, Err(StoreError::NotFound));
    assert_eq!(store.entry(lead.clone(), faq_id.clone(), faq_lang).await?.version, 4, "untouched");

    // Unknown ids and versions are NotFound.
    let nowhere = id("no-such-entry");
    assert_eq!(store.entry(lead.clone(), nowhere.clone(), Language::ZhHans).await, Err(StoreError::NotFound));
    assert_eq!(store.entry_versions(lead.clone(), nowhere.clone(), Language::ZhHans).await, Err(StoreError::NotFound));
    assert_eq!(store.set_published(lead.clone(), nowhere.clone(), Language::ZhHans, true).await, Err(StoreError::NotFound));
    assert_eq!(store.entry_diff(lead.clone(), faq_id.clone(), faq_lang, 1, 99).await, Err(StoreError::NotFound));

    // An import naming one entry twice is refused whole: neither the new entry nor the edit beside it is stored.
    let fresh = script("anxiety-any-opening-fresh", "您好，马上为您处理。");
    let twice = vec![edited(faq, "不会保存。"), fresh.clone(), fresh.clone()];
    let refused = store.import_knowledge(lead.clone(), twice).await;
    assert!(matches!(&refused, Err(StoreError::Conflict(code)) if code.starts_with("kb_import_duplicate")), "{refused:?}");
    assert_eq!(store.entry(lead.clone(), id("anxiety-any-opening-fresh"), Language::ZhHans).await, Err(StoreError::NotFound));
    assert_eq!(store.entry(lead.clone(), faq_id.clone(), faq_lang).await?.version, 4);
    // So is an id that is a FAQ here and a script there — also when the FAQ is already stored (found in the
    // transaction: the new entry before it is rolled back too).
    let clash = script(faq_id.as_str(), "冒名的话术。");
    let refused = store.import_knowledge(lead.clone(), vec![fresh.clone(), clash]).await;
    assert_eq!(refused, Err(StoreError::Conflict("kb_entry_kind".into())));
    assert_eq!(store.entry(lead.clone(), id("anxiety-any-opening-fresh"), Language::ZhHans).await, Err(StoreError::NotFound));
    assert_eq!(store.export_knowledge(lead.clone()).await?.len(), starter.len() + 2);

    // A change note is one line of at most 500 characters: a longer one never reaches the store.
    assert_eq!(ChangeNote::parse(&"改".repeat(ChangeNote::MAX_CHARS + 1)), Err("too_long"));
    Ok(())
}

/// Every change an index must follow is one staff-only `knowledge_changed` event; synonyms are kept per
/// organisation; a script sent in a reply reports how it fared (edited, the customer's next emotion, the rating).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_announced_and_scripts_report_outcomes() {
    for (name, store, _dir) in backends().await {
        outcomes(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

async fn changes(store: &Store, org_id: i64, after: i64) -> Result<Vec<serde_json::Value>, StoreError> {
    let events = store.events_after(org_id, after, 100_000).await?;
    assert!(events.iter().filter(|e| e.kind == EventKind::KnowledgeChanged).all(|e| e.for_customer().is_none()));
    Ok(events.into_iter().filter(|e| e.kind == EventKind::KnowledgeChanged).map(|e| e.data).collect())
}

async fn outcomes(store: &Store) -> Result<(), StoreError> {
    use anxin_domain::input::{ClientMessageId, MessageBody};
    use anxin_domain::{ConversationStatus, MessageKind};
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
    let lead = principal(org.id, store.create_user(person(org.id, "lead", Role::Supervisor), None).await?.id, Role::Supervisor);
    let agent = principal(org.id, store.create_user(person(org.id, "agent", Role::Agent), None).await?.id, Role::Agent);
    let outsider = principal(other.id, store.create_user(person(other.id, "boss", Role::Admin), None).await?.id, Role::Admin);
    let channel = store.create_channel(org.id, anxin_domain::ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;

    // Import: one event listing what changed; the same import again announces nothing.
    let first = script("calm-first", "您好，我先帮您确认订单状态。");
    let second = script("calm-second", "别着急，我这就帮您查。");
    let head = store.latest_event_id(org.id).await?;
    store.import_knowledge(lead.clone(), vec![first.clone(), second.clone()]).await?;
    let listed = changes(store, org.id, head).await?;
    assert_eq!(listed, [serde_json::json!({"entries": [{"id": "calm-first", "lang": "zh-Hans"}, {"id": "calm-second", "lang": "zh-Hans"}]})]);
    let head = store.latest_event_id(org.id).await?;
    store.import_knowledge(lead.clone(), vec![first.clone(), second.clone()]).await?;
    assert!(changes(store, org.id, head).await?.is_empty());
    assert_eq!(store.published_entries(org.id).await?, [first.clone(), second.clone()]);
    assert!(store.published_entries(other.id).await?.is_empty());

    // A save, a withdrawal (the index must drop it) and a republish are each announced; publishing what is
    // published is not.
    let head = store.latest_event_id(org.id).await?;
    store.save_entry(lead.clone(), edited(&second, "今天内给您答复。"), note("加上时间")).await?;
    store.set_published(lead.clone(), id("calm-second"), Language::ZhHans, false).await?;
    assert_eq!(store.published_entry(org.id, id("calm-second"), Language::ZhHans).await?, None);
    store.set_published(lead.clone(), id("calm-first"), Language::ZhHans, true).await?;
    let entry = serde_json::json!({"entries": [{"id": "calm-second", "lang": "zh-Hans"}]});
    assert_eq!(changes(store, org.id, head).await?, [entry.clone(), entry]);
    assert_eq!(store.published_entries(org.id).await?, std::slice::from_ref(&first));

    // Synonyms: none until an editor writes them; agents may not; each save is announced.
    assert_eq!(store.knowledge_synonyms(org.id).await?, None);
    assert!(matches!(store.set_knowledge_synonyms(agent.clone(), "退款 退钱".into()).await, Err(StoreError::Forbidden(_))));
    let head = store.latest_event_id(org.id).await?;
    store.set_knowledge_synonyms(lead.clone(), "退款 退钱".into()).await?;
    store.set_knowledge_synonyms(lead.clone(), "退款 退钱 返款\n发票 开票".into()).await?;
    assert_eq!(store.knowledge_synonyms(org.id).await?.as_deref(), Some("退款 退钱 返款\n发票 开票"));
    assert_eq!(store.knowledge_synonyms(other.id).await?, None);
    assert_eq!(changes(store, org.id, head).await?.len(), 2);

    // Outcomes. Conversation A: the script is sent unedited, the customer calms down and rates 5. Conversation B:
    // sent after editing, the customer stays angry, no rating. A third use only opened it.
    let a = store.post_inbound(inbound(org.id, channel.id, "va", None, "我的快递到底到哪了，急死了")).await?.conversation;
    let b = store.post_inbound(inbound(org.id, channel.id, "vb", None, "你们这服务太差了")).await?.conversation;
    let reply = |conversation: i64, text: &str, client: &str| {
        let body = MessageBody::parse(text.to_owned(), 65536).unwrap();
        store.post_staff_message(agent.clone(), conversation, MessageKind::Agent, Some(ClientMessageId::parse(client).unwrap()), body)
    };
    let sent_a = reply(a.id, first.body(), "r-a").await?.message;
    let sent_b = reply(b.id, "您好，我先帮您确认订单状态，马上回复您。", "r-b").await?.message;
    let used = |conversation: i64, message: Option<i64>, edited: Option<bool>| Usage { conversation_id: Some(conversation), message_id: message, edited };
    store.record_usage(agent.clone(), id("calm-first"), Language::ZhHans, used(a.id, Some(sent_a.id), Some(false))).await?;
    store.record_usage(agent.clone(), id("calm-first"), Language::ZhHans, used(b.id, Some(sent_b.id), Some(true))).await?;
    store.record_usage(agent.clone(), id("calm-first"), Language::ZhHans, used(b.id, None, None)).await?;
    // A reply of another conversation, or a message without its conversation, is refused.
    assert_eq!(store.record_usage(agent.clone(), id("calm-first"), Language::ZhHans, used(a.id, Some(sent_b.id), None)).await, Err(StoreError::NotFound));
    let orphan = Usage { message_id: Some(sent_a.id), ..Usage::default() };
    assert_eq!(store.record_usage(agent.clone(), id("calm-first"), Language::ZhHans, orphan).await, Err(StoreError::NotFound));
    store.post_inbound(inbound(org.id, channel.id, "va", None, "好的，谢谢你，辛苦了")).await?;
    store.post_inbound(inbound(org.id, channel.id, "vb", None, "你们太过分了！！！我要投诉")).await?;
    let resolve = || anxin_store::ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(lead.clone(), a.id, resolve()).await?;
    let request_id = store.customer_feedback(org.id, a.id).await?.csat[0].request_id;
    store.record_csat(org.id, a.id, request_id, 5, None).await?;

    assert!(matches!(store.script_stats(agent.clone(), 0).await, Err(StoreError::Forbidden(_))));
    let stats = store.script_stats(lead.clone(), 0).await?;
    assert_eq!(stats.len(), 1, "{stats:?}");
    let s = &stats[0];
    assert_eq!((s.id.as_str(), s.used, s.sent, s.edited), ("calm-first", 3, 2, 1));
    assert_eq!((s.answered, s.negative_after), (2, 1), "A calmed down, B did not");
    assert_eq!((s.csat_count, s.csat_average), (1, Some(5.0)));
    assert!(store.script_stats(outsider.clone(), 0).await?.is_empty());
    assert!(store.script_stats(lead.clone(), store.now() + 1).await?.is_empty(), "nothing used since");
    Ok(())
}
