//! The store's conformance story, run against SQLite always and against PostgreSQL when
//! `ANXIN_TEST_POSTGRES_URL` is set (and then it must be reachable: a set but dead URL fails the test).

use std::sync::Arc;

use anxin_domain::events::EventKind;
use anxin_domain::input::{ClientMessageId, Labels, MessageBody, Name, Username};
use anxin_domain::{ChannelKind, ContactKind, ConversationStatus, MessageKind, Role};
use anxin_store::{Backend, ConversationFilter, ConversationPatch, InboundMessage, NewUser, Reader, Store, StoreError};

fn analyzer() -> &'static anxin_text::Analyzer {
    anxin_text::Analyzer::embedded().expect("embedded model")
}

/// A fresh PostgreSQL schema per test run, so runs never see each other's rows.
fn postgres_url() -> Option<String> {
    let url = std::env::var("ANXIN_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    // The blocking client runs its own runtime, so it gets a thread of its own.
    Some(std::thread::spawn(move || fresh_schema(url)).join().expect("schema setup"))
}

fn fresh_schema(url: String) -> String {
    let mut admin = postgres::Client::connect(&url, postgres::NoTls)
        .unwrap_or_else(|e| panic!("ANXIN_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let schema = format!("anxin_test_{}", hex::encode(suffix));
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

async fn backends() -> Vec<(String, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(Backend::Sqlite(dir.path().join("anxin.db"))).await.expect("open sqlite");
    let mut out = vec![("sqlite".to_owned(), sqlite, Some(dir))];
    if let Some(url) = postgres_url() {
        out.push(("postgres".to_owned(), Store::open(Backend::Postgres(url)).await.expect("open postgres"), None));
    }
    out
}

fn inbound(org: i64, channel: i64, visitor: &str, client_id: Option<&str>, text: &str) -> InboundMessage {
    InboundMessage {
        org_id: org,
        channel_id: channel,
        contact: (ContactKind::WebVisitor, visitor.to_owned()),
        customer_name: None,
        client_message_id: client_id.map(|c| ClientMessageId::parse(c).unwrap()),
        body: MessageBody::parse(text.to_owned(), 65536).unwrap(),
        analysis: analyzer().analyze(text),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

async fn story(store: &Store) -> Result<(), StoreError> {
    // An organisation with an agent and a web channel.
    let org = store.create_organization(Name::parse("name", "安心优品").unwrap(), "demo", "Asia/Shanghai").await?;
    let other = store.create_organization(Name::parse("name", "别家店").unwrap(), "other", "Asia/Shanghai").await?;
    let person = |org_id: i64, name: &str| NewUser {
        org_id,
        username: Username::parse("agent1").unwrap(),
        display_name: Name::parse("n", name).unwrap(),
        role: Role::Agent,
        department: None,
        password_hash: "hash".into(),
    };
    let agent = store.create_user(person(org.id, "小周"), None).await?;
    let duplicate = store.create_user(person(other.id, "x"), None).await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "usernames are unique: {duplicate:?}");
    let channel = store.create_channel(org.id, ChannelKind::WebChat, Name::parse("n", "官网").unwrap(), vec![], "system".into()).await?;
    assert_eq!(store.channel_by_public_key(channel.public_key.clone()).await?.id, channel.id);

    // Staff follow the organisation's events from the start.
    let mut live = store.bus().subscribe_org(org.id);

    // A customer writes twice; the second request is a retry of the first.
    let first = store.post_inbound(inbound(org.id, channel.id, "v1", Some("m-1"), "快递五天了还没到！！！再不处理我就投诉")).await?;
    assert!(!first.replayed);
    assert_eq!(first.conversation.status, ConversationStatus::Open);
    assert_eq!(first.conversation.message_count, 1);
    assert!(first.conversation.emotion.is_some());
    assert!(first.conversation.signals.iter().any(|s| s == "platform_complaint"), "{:?}", first.conversation.signals);
    assert!(first.message.analysis.is_some());
    let retry = store.post_inbound(inbound(org.id, channel.id, "v1", Some("m-1"), "快递五天了还没到！！！再不处理我就投诉")).await?;
    assert!(retry.replayed);
    assert_eq!(retry.message.id, first.message.id);
    let second = store.post_inbound(inbound(org.id, channel.id, "v1", Some("m-2"), "<script>alert(1)</script> 到底什么时候发货")).await?;
    assert_eq!(second.conversation.id, first.conversation.id);
    assert_eq!(second.conversation.message_count, 2);
    assert_eq!(second.message.text, "<script>alert(1)</script> 到底什么时候发货", "stored verbatim");

    // The agent takes it, replies, leaves a note.
    let principal = anxin_store::Principal { org_id: org.id, role: Role::Agent, user_id: Some(agent.id), name: "小周".into(), csrf_token: None };
    let patch = ConversationPatch {
        assignee_id: Some(Some(agent.id)),
        labels: Some(Labels::parse(&["物流".into()]).unwrap()),
        ..Default::default()
    };
    let taken = store.update_conversation(principal.clone(), first.conversation.id, patch).await?;
    assert_eq!(taken.assignee_id, Some(agent.id));
    assert_eq!(taken.labels, ["物流"]);
    let body = |t: &str| MessageBody::parse(t.into(), 65536).unwrap();
    let reply = store
        .post_staff_message(principal.clone(), taken.id, MessageKind::Agent, Some(ClientMessageId::parse("r-1").unwrap()), body("非常抱歉，我马上帮您催促，今天18点前回复您"))
        .await?;
    let reply_again = store
        .post_staff_message(principal.clone(), taken.id, MessageKind::Agent, Some(ClientMessageId::parse("r-1").unwrap()), body("非常抱歉，我马上帮您催促，今天18点前回复您"))
        .await?;
    assert_eq!(reply_again.message.id, reply.message.id);
    store.post_staff_message(principal.clone(), taken.id, MessageKind::Note, None, body("内部：联系仓库")).await?;
    let all = store.messages(org.id, taken.id, 0, 100, false).await?;
    let customer_view = store.messages(org.id, taken.id, 0, 100, true).await?;
    assert_eq!(all.len(), 4);
    assert_eq!(customer_view.len(), 3, "notes are not for the customer");

    // Another organisation sees nothing; unknown references are refused.
    assert_eq!(store.conversation(other.id, taken.id).await, Err(StoreError::NotFound));
    assert_eq!(store.messages(other.id, taken.id, 0, 10, false).await, Err(StoreError::NotFound));
    let bad = ConversationPatch { assignee_id: Some(Some(9_999_999)), ..Default::default() };
    assert!(matches!(store.update_conversation(principal.clone(), taken.id, bad).await, Err(StoreError::Conflict(_))));

    // Read markers move forward only.
    store.mark_read(org.id, taken.id, Reader::Customer, reply.message.id).await?;
    let back = store.mark_read(org.id, taken.id, Reader::Customer, first.message.id).await?;
    assert_eq!(back.customer_read_id, reply.message.id);

    // Resolving closes it: the customer's next message opens a new conversation.
    let resolve = ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(principal.clone(), taken.id, resolve).await?;
    let next = store.post_inbound(inbound(org.id, channel.id, "v1", None, "谢谢，收到了")).await?;
    assert_ne!(next.conversation.id, taken.id);
    assert_eq!(next.conversation.customer_id, taken.customer_id);

    // Inbox filters and paging.
    let open = store.conversations(org.id, ConversationFilter { status: Some(ConversationStatus::Open), limit: 50, ..Default::default() }).await?;
    assert_eq!(open.iter().map(|c| c.id).collect::<Vec<_>>(), [next.conversation.id]);
    let page1 = store.conversations(org.id, ConversationFilter { limit: 1, ..Default::default() }).await?;
    let cursor = page1.last().map(|c| (c.last_message_at, c.id));
    let page2 = store.conversations(org.id, ConversationFilter { limit: 1, before: cursor, ..Default::default() }).await?;
    assert_eq!(page2.len(), 1);
    assert_ne!(page1[0].id, page2[0].id);

    // Events: stored in order with no gaps, and the live subscription saw the same sequence.
    let events = store.events_after(org.id, 0, 1000).await?;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    assert_eq!(events[0].kind, EventKind::ConversationCreated);
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        let e: Arc<_> = tokio::time::timeout(std::time::Duration::from_secs(10), live.recv()).await.expect("live event").expect("open");
        seen.push(e.id);
    }
    assert_eq!(seen, ids);
    let note_events: Vec<_> = events.iter().filter(|e| !e.customer_visible).collect();
    assert_eq!(note_events.len(), 1, "only the note is staff-only");
    let resumed = store.events_after(org.id, ids[3], 1000).await?;
    assert_eq!(resumed.first().map(|e| e.id), Some(ids[4]));

    // Audit trail of what staff did.
    let audit = store.audit_log(org.id, None, 50).await?;
    assert!(audit.iter().any(|a| a.action == "conversation.update" && a.actor == format!("user:{}", agent.id)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_group_committed_and_all_acknowledged() {
    for (name, store, _dir) in backends().await {
        let org = store.create_organization(Name::parse("n", "并发").unwrap(), "c", "UTC").await.unwrap();
        let channel = store.create_channel(org.id, ChannelKind::Api, Name::parse("n", "api").unwrap(), vec![], "t".into()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let m = inbound(org.id, channel.id, &format!("v{}", i % 20), Some(&format!("id-{i}")), "请问什么时候发货");
                store.post_inbound(m).await.map(|p| p.message.id)
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 200, "{name}");
        let (messages, conversations) = store.totals().await.unwrap();
        assert!(messages >= 200 && conversations >= 20, "{name}: {messages} {conversations}");
        store.close().await;
        assert!(matches!(store.ping().await, Err(StoreError::Unavailable(_))), "{name}: closed store refuses work");
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable_not_a_hang() {
    let result = Store::open(Backend::Postgres("postgres://nobody@127.0.0.1:1/none?connect_timeout=2".into())).await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{:?}", result.err());
}
mod routing;
mod privacy;
mod complaints;
mod wellbeing;
mod sla;
mod feedback;
mod knowledge;
mod roleplay;
mod training;
