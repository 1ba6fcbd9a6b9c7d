//! The wellbeing storage story, against SQLite always and PostgreSQL when `ANXIN_TEST_POSTGRES_URL` is set:
//! private data only ever comes back to its author, team weather only as aggregates of at least three people,
//! shared check-ins only to the person's own supervisor (and admins), each view audited.

use anxin_domain::input::{Name, Username};
use anxin_domain::wellbeing::{CheckIn, DiaryEntry, WHO5};
use anxin_domain::Role;
use anxin_store::wellbeing::{Me, WeatherWindows};
use anxin_store::{NewUser, Principal, Store, StoreError};

use super::backends;


#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wellbeing_story() {
    for (name, store, _dir) in backends().await {
        story(&store).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        store.close().await;
    }
}

fn checkin(mood: i64, shared: bool, note: &str) -> CheckIn {
    CheckIn::parse(mood, &["tired"], note, shared).unwrap()
}

fn windows() -> WeatherWindows {
    let now = anxin_store::now_ms() + 1000;
    WeatherWindows { now, now_since: now - 4 * 3_600_000, hours_start: now - 2 * 3_600_000, hours: 2, days_start: now - 2 * 86_400_000, days: 2 }
}

async fn story(store: &Store) -> Result<(), StoreError> {
    let org = store.create_organization(Name::parse("n", "店").unwrap(), "shop", "Asia/Shanghai").await?;
    let other = store.create_organization(Name::parse("n", "别家").unwrap(), "other", "UTC").await?;
    let mut people = Vec::new();
    for (username, role, org_id) in [
        ("amy", Role::Agent, org.id),
        ("bob", Role::Agent, org.id),
        ("cat", Role::Agent, org.id),
        ("lead", Role::Supervisor, org.id),
        ("lead2", Role::Supervisor, org.id),
        ("boss", Role::Admin, org.id),
        ("zed", Role::Admin, other.id),
    ] {
        let new = NewUser {
            org_id,
            username: Username::parse(username).unwrap(),
            display_name: Name::parse("n", username).unwrap(),
            role,
            department: None,
            password_hash: "x".into(),
        };
        let user = store.create_user(new, None).await?;
        people.push(Principal { org_id, role, user_id: Some(user.id), name: username.into(), csrf_token: None });
    }
    let [amy, bob, cat, lead, lead2, boss, zed] = <[Principal; 7]>::try_from(people).unwrap();
    let me = |p: &Principal| Me::of(p).unwrap();
    let id = |p: &Principal| p.user_id.unwrap();
    let token = Principal { org_id: org.id, role: Role::Admin, user_id: None, name: "ci".into(), csrf_token: None };
    assert_eq!(Me::of(&token), None, "an API token has no wellbeing data");

    let team = store.create_team(org.id, Name::parse("n", "售后").unwrap(), "t".into()).await?;
    for p in [&amy, &bob, &lead] {
        store.add_team_member(org.id, team.id, id(p), "t".into()).await?;
    }

    // Check-ins: a shared sharp drop is flagged; an unshared one never is.
    let first = store.record_checkin(me(&amy), checkin(4, true, "<b>ok</b>")).await?;
    assert!(!first.sharp_drop);
    assert_eq!((first.checkin.mood, first.checkin.weather, first.checkin.note.as_deref()), (4, "partly_cloudy", Some("<b>ok</b>")));
    assert!(store.record_checkin(me(&amy), checkin(2, true, "")).await?.sharp_drop, "4 → 2 shared");
    assert!(!store.record_checkin(me(&amy), checkin(1, false, "private low")).await?.sharp_drop, "not shared: no alert");
    assert!(!store.record_checkin(me(&amy), checkin(3, true, "")).await?.sharp_drop, "2 → 3");
    store.record_checkin(me(&bob), checkin(3, false, "bob private")).await?;
    let mine = store.my_checkins(me(&amy), 50).await?;
    assert_eq!(mine.iter().map(|c| c.mood).collect::<Vec<_>>(), [3, 1, 2, 4], "newest first, all of mine");
    assert_eq!(store.my_checkins(me(&bob), 50).await?.len(), 1);

    // Team weather: two people → everything hidden.
    let report = store.team_weather(lead.clone(), team.id, windows()).await?;
    assert_eq!((report.members, report.min_group), (3, 3));
    assert_eq!(report.now, None);
    assert!(report.hourly.iter().chain(&report.daily).all(|b| b.weather.is_none()), "{report:?}");
    // A third person checks in: the aggregate appears (amy's latest 3, bob 3, cat 5 → 3.7).
    store.add_team_member(org.id, team.id, id(&cat), "t".into()).await?;
    store.record_checkin(me(&cat), checkin(5, false, "")).await?;
    let report = store.team_weather(lead.clone(), team.id, windows()).await?;
    let now = report.now.expect("three people");
    assert_eq!((now.people, now.average), (3, 3.7));
    assert_eq!(report.hourly.last().unwrap().weather.map(|w| w.people), Some(3));
    assert_eq!(store.team_weather(boss.clone(), team.id, windows()).await?.now.map(|w| w.people), Some(3), "admins see any team");
    // Only the team's own supervisor (or an admin): others get NotFound, as for another organisation.
    assert_eq!(store.team_weather(lead2.clone(), team.id, windows()).await, Err(StoreError::NotFound));
    assert_eq!(store.team_weather(amy.clone(), team.id, windows()).await, Err(StoreError::NotFound));
    assert_eq!(store.team_weather(zed.clone(), team.id, windows()).await, Err(StoreError::NotFound));
    assert_eq!(store.wellbeing_teams(lead.clone()).await?, [(team.id, "售后".to_owned())]);
    assert!(store.wellbeing_teams(lead2.clone()).await?.is_empty());
    assert!(store.wellbeing_teams(amy.clone()).await?.is_empty());

    // Shared check-ins: only the shared ones, each person's view audited.
    let audits_before = store.audit_log(org.id, None, 500).await?.len();
    let shared = store.team_shared_checkins(lead.clone(), team.id, 0).await?;
    assert_eq!(shared.iter().map(|s| (s.name.as_str(), s.mood)).collect::<Vec<_>>(), [("amy", 3), ("amy", 2), ("amy", 4)]);
    assert!(shared.iter().all(|s| s.note.as_deref() != Some("private low") && s.note.as_deref() != Some("bob private")));
    let log = store.audit_log(org.id, None, 500).await?;
    assert_eq!(log.len(), audits_before + 1, "one entry: amy (bob and cat shared nothing)");
    assert_eq!((log[0].action.as_str(), log[0].actor.clone(), log[0].target.clone()), ("wellbeing.view", lead.audit_name(), format!("user:{}", id(&amy))));
    assert_eq!(store.member_shared_checkins(lead.clone(), id(&amy), 0).await?.len(), 3);
    assert_eq!(store.audit_log(org.id, None, 500).await?.len(), audits_before + 2);
    assert!(store.member_shared_checkins(lead.clone(), id(&bob), 0).await?.is_empty());
    assert_eq!(store.audit_log(org.id, None, 500).await?.len(), audits_before + 2, "nothing shown, nothing logged");
    assert_eq!(store.member_shared_checkins(lead2.clone(), id(&amy), 0).await, Err(StoreError::NotFound), "not amy's supervisor");
    assert_eq!(store.member_shared_checkins(bob.clone(), id(&amy), 0).await, Err(StoreError::NotFound), "a peer");
    assert_eq!(store.member_shared_checkins(zed.clone(), id(&amy), 0).await, Err(StoreError::NotFound));
    assert_eq!(store.member_shared_checkins(boss.clone(), id(&amy), 0).await?.len(), 3);
    assert_eq!(store.team_shared_checkins(lead2.clone(), team.id, 0).await, Err(StoreError::NotFound));

    // The diary: only its author reads, changes or deletes an entry.
    let entry = DiaryEntry::parse("客户说要投诉我", "我又搞砸了", "很难受", "客户需要帮助").unwrap();
    let written = store.create_diary_entry(me(&amy), entry.clone()).await?;
    assert_eq!(store.my_diary_entry(me(&amy), written.id).await?.event, "客户说要投诉我");
    for other in [&bob, &lead, &boss, &zed] {
        assert_eq!(store.my_diary_entry(me(other), written.id).await, Err(StoreError::NotFound), "{}", other.name);
        assert_eq!(store.update_diary_entry(me(other), written.id, entry.clone()).await, Err(StoreError::NotFound));
        assert_eq!(store.delete_diary_entry(me(other), written.id).await, Err(StoreError::NotFound));
        assert!(store.my_diary(me(other), 100).await?.is_empty());
    }
    let changed = DiaryEntry::parse("客户说要投诉我", "", "", "客户是在向我求助").unwrap();
    let updated = store.update_diary_entry(me(&amy), written.id, changed).await?;
    assert_eq!((updated.belief, updated.reframe.as_deref()), (None, Some("客户是在向我求助")));
    assert!(updated.updated_at >= updated.created_at);

    // Self-tests: only the author reads the answers.
    let scored = WHO5.score(&[3, 3, 2, 2, 2]).unwrap();
    let result = store.record_selftest(me(&amy), &WHO5, scored).await?;
    assert_eq!((result.score, result.answers.clone()), (48, vec![3, 3, 2, 2, 2]));
    assert_eq!(store.my_selftest(me(&amy), result.id).await?, result);
    for other in [&bob, &lead, &boss, &zed] {
        assert_eq!(store.my_selftest(me(other), result.id).await, Err(StoreError::NotFound), "{}", other.name);
        assert!(store.my_selftests(me(other), None, 100).await?.is_empty());
    }
    assert_eq!(store.my_selftests(me(&amy), Some("who5"), 10).await?.len(), 1);
    assert!(store.my_selftests(me(&amy), Some("other"), 10).await?.is_empty());

    // Export: everything of mine, nothing of anyone else's.
    store.create_diary_entry(me(&bob), DiaryEntry::parse("bob's day", "", "", "").unwrap()).await?;
    let export = store.export_my_wellbeing(me(&amy)).await?;
    assert_eq!((export.user_id, export.checkins.len(), export.selftests.len(), export.diary.len()), (id(&amy), 4, 1, 1));
    let text = serde_json::to_string(&export).unwrap();
    assert!(!text.contains("bob private") && !text.contains("bob's day"), "{text}");
    let bobs = store.export_my_wellbeing(me(&bob)).await?;
    assert_eq!((bobs.checkins.len(), bobs.selftests.len(), bobs.diary.len()), (1, 0, 1));
    assert!(!serde_json::to_string(&bobs).unwrap().contains("投诉"));

    // Deleting is for good.
    store.delete_diary_entry(me(&amy), written.id).await?;
    assert_eq!(store.my_diary_entry(me(&amy), written.id).await, Err(StoreError::NotFound));

    // The self-test schedule: 14 days by default, changes audited.
    assert_eq!(store.wellbeing_settings(org.id).await?.selftest_every_days, 14);
    assert_eq!(store.set_selftest_schedule(boss.clone(), 7).await?.selftest_every_days, 7);
    assert_eq!(store.wellbeing_settings(org.id).await?.selftest_every_days, 7);
    assert_eq!(store.wellbeing_settings(other.id).await?.selftest_every_days, 14);
    assert_eq!(store.audit_log(org.id, None, 1).await?[0].action, "wellbeing.settings");
    Ok(())
}
