//! The admin pages, the supervisor board and availability over HTTP against a real server: roles and CSRF on
//! every page and form, field errors in the person's language with what they typed, escaping, the widget tag, the
//! board's numbers and its emotion-mix chart.

use serde_json::json;

use crate::support::*;







fn user_count(admin: &mut Client) -> usize {
    admin.get("/api/v1/users").1["users"].as_array().unwrap().len()
}

/// Checks that every tag of the markup is closed in order.
fn balanced(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        if rest[..start].contains('>') {
            return Err("stray > in text".into());
        }
        let end = rest[start..].find('>').ok_or("unclosed <")? + start;
        let tag = &rest[start + 1..end];
        if tag.contains('<') {
            return Err(format!("'<' inside a tag: {tag}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("stray </{name}>"))?;
            if open != name {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or("").to_owned());
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() { Ok(()) } else { Err(format!("unclosed {stack:?}")) }
}

const ADMIN_PAGES: [&str; 5] = ["/admin", "/admin/users", "/admin/teams", "/admin/channels", "/admin/settings"];

#[test]
fn only_admins_open_admin_pages_and_only_supervisors_and_admins_the_board() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let agent_id = user_id(&mut admin, "agent");
    let team = admin.post("/api/v1/teams", &json!({"name": "售后"})).1["team"]["id"].as_i64().unwrap();
    let before = user_count(&mut admin);

    // An agent: the 403 page on every admin page and form (even with the right CSRF token), and on the board.
    let mut agent = app.login("agent");
    let token = csrf(&agent);
    for page in ADMIN_PAGES.iter().chain(&["/board"]) {
        let (status, body) = agent.get(page);
        assert_eq!(status, 403, "{page}");
        assert!(html(&body).contains("你的角色无权访问此页面"), "{page}: {body}");
    }
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/users".into(), vec![("username", "mallory"), ("display_name", "M"), ("role", "admin"), ("password", PASSWORD)]),
        (format!("/admin/users/{agent_id}/role"), vec![("role", "admin")]),
        (format!("/admin/users/{agent_id}/active"), vec![("active", "0")]),
        ("/admin/teams".into(), vec![("name", "影子团队")]),
        (format!("/admin/teams/{team}/members"), vec![("user_id", "1")]),
        ("/admin/channels".into(), vec![("name", "x"), ("allowed_origins", "https://evil.example")]),
        ("/admin/settings".into(), vec![("name", "被改了"), ("timezone", "UTC")]),
    ];
    for (path, fields) in &forms {
        let mut fields = fields.clone();
        fields.push(("csrf", &token));
        let (status, body, _) = submit(&mut agent, path, &fields);
        assert_eq!(status, 403, "{path}: {body}");
    }
    assert_eq!(agent.get("/board/live").0, 403);
    assert_eq!(user_count(&mut admin), before, "nothing was created");
    let (_, me) = admin.get("/api/v1/users");
    assert!(me["users"].as_array().unwrap().iter().any(|u| u["username"] == "agent" && u["role"] == "agent" && u["active"] == true));
    assert_eq!(admin.get("/api/v1/teams").1["teams"].as_array().unwrap().len(), 1);
    assert_eq!(admin.get("/api/v1/settings").1["organization"]["name"], "测试店");

    // A supervisor sees the board but not the admin pages; the header shows the links their role allows.
    let mut lead = app.login("lead");
    let (status, page) = lead.get("/board");
    assert_eq!(status, 200);
    assert!(html(&page).contains("href=\"/board\"") && !html(&page).contains("href=\"/admin\""), "role links");
    assert_eq!(lead.get("/admin/users").0, 403);
    let (status, page) = admin.get("/board");
    assert_eq!(status, 200);
    assert!(html(&page).contains("href=\"/admin\""));

    // Without a session: the sign-in page, then back here.
    let mut stranger = Client::new(&app);
    for page in ADMIN_PAGES.iter().chain(&["/board"]) {
        let ((status, _), headers) = stranger.request_full("GET", page, None);
        assert_eq!(status, 303, "{page}");
        assert_eq!(headers.get("location").unwrap(), &format!("/login?next={page}"), "{page}");
    }
    let (status, _, location) = submit(&mut stranger, "/admin/users", &[("username", "x1"), ("csrf", "")]);
    assert_eq!((status, location.as_str()), (303, "/login?next=/admin/users"));
    assert_eq!(stranger.get("/board/live").0, 401);
    assert_eq!(user_count(&mut admin), before);
}

#[test]
fn admin_manages_users_with_field_errors_csrf_and_escaping() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let token = csrf(&admin);
    let before = user_count(&mut admin);

    // A bad username and a short password: the errors, in Chinese by default, and what was typed (not the password).
    let bad = [("csrf", token.as_str()), ("username", "no spaces!"), ("display_name", "<b>Eve</b>"), ("role", "supervisor"), ("password", "short-pw"), ("department", "")];
    let (status, page, _) = submit(&mut admin, "/admin/users", &bad);
    assert_eq!(status, 422);
    assert!(page.contains("用户名需为 2–64 个字符"), "{page}");
    assert!(page.contains("密码需为 10–256 个字符"));
    assert!(page.contains("value=\"no spaces!\""), "keeps the username");
    assert!(page.contains("value=\"&#60;b&#62;Eve&#60;/b&#62;\""), "keeps the display name, escaped");
    assert!(page.contains("<option value=\"supervisor\" selected>"), "keeps the role");
    assert!(!page.contains("short-pw"), "never echoes the password");
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(user_count(&mut admin), before, "nothing created");
    // In English for someone who reads English.
    admin.extra_headers = vec![("accept-language".into(), "en".into())];
    let (status, page, _) = submit(&mut admin, "/admin/users", &bad);
    assert_eq!(status, 422);
    assert!(page.contains("2 to 64 letters, digits"), "{page}");
    admin.extra_headers.clear();

    // Without the form's CSRF token (or with another), nothing happens: 403.
    let good = [("username", "eve"), ("display_name", "<b>Eve</b>"), ("role", "agent"), ("password", PASSWORD)];
    let (status, page, _) = submit(&mut admin, "/admin/users", &good);
    assert_eq!(status, 403);
    assert!(page.contains("表单已失效"), "{page}");
    let mut wrong = good.to_vec();
    wrong.push(("csrf", "0123456789abcdef"));
    assert_eq!(submit(&mut admin, "/admin/users", &wrong).0, 403);
    assert_eq!(user_count(&mut admin), before);

    // Created: back to the list, which shows the name as text.
    let mut with_token = good.to_vec();
    with_token.push(("csrf", &token));
    let (status, _, location) = submit(&mut admin, "/admin/users", &with_token);
    assert_eq!((status, location.as_str()), (303, "/admin/users?ok=user_created"));
    let (status, page) = admin.get(&location);
    assert_eq!(status, 200);
    assert!(html(&page).contains("用户已创建"));
    assert!(html(&page).contains("&#60;b&#62;Eve&#60;/b&#62;") && !html(&page).contains("<b>Eve</b>"), "escaped");
    let mut eve = app.login("eve");
    // Taken: a field error, nothing new.
    let (status, page, _) = submit(&mut admin, "/admin/users", &with_token);
    assert_eq!(status, 409);
    assert!(page.contains("该用户名已被使用"));
    assert_eq!(user_count(&mut admin), before + 1);

    // Role changes; nobody changes their own role or deactivates themselves.
    let eve_id = user_id(&mut admin, "eve");
    let admin_id = user_id(&mut admin, "admin");
    let (status, _, location) = submit(&mut admin, &format!("/admin/users/{eve_id}/role"), &[("csrf", &token), ("role", "supervisor")]);
    assert_eq!((status, location.as_str()), (303, "/admin/users?ok=role_changed"));
    assert_eq!(eve.get("/board").0, 200, "a supervisor now");
    let (status, page, _) = submit(&mut admin, &format!("/admin/users/{eve_id}/role"), &[("csrf", &token), ("role", "overlord")]);
    assert_eq!(status, 422);
    assert!(page.contains("请选择一个有效的角色"));
    let (status, page, _) = submit(&mut admin, &format!("/admin/users/{admin_id}/role"), &[("csrf", &token), ("role", "agent")]);
    assert_eq!(status, 409);
    assert!(page.contains("不能修改自己的角色"));
    assert_eq!(submit(&mut admin, &format!("/admin/users/{admin_id}/active"), &[("csrf", &token), ("active", "0")]).0, 409);
    assert_eq!(submit(&mut admin, "/admin/users/999999/role", &[("csrf", &token), ("role", "agent")]).0, 404);

    // Deactivation signs the person out; reactivation lets them sign in again.
    let (status, _, location) = submit(&mut admin, &format!("/admin/users/{eve_id}/active"), &[("csrf", &token), ("active", "0")]);
    assert_eq!((status, location.as_str()), (303, "/admin/users?ok=user_deactivated"));
    assert_eq!(eve.get("/api/v1/auth/me").0, 401);
    let (_, page) = admin.get("/admin/users");
    assert!(html(&page).contains(&format!("<tr id=\"user-{eve_id}\" class=\"inactive\">")));
    assert_eq!(submit(&mut admin, &format!("/admin/users/{eve_id}/active"), &[("csrf", &token), ("active", "1")]).0, 303);
    app.login("eve");
    let entries = admin.get("/api/v1/audit").1["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    for action in ["user.create", "user.role", "user.deactivate", "user.reactivate"] {
        assert!(entries.iter().any(|a| a == action), "{action} audited: {entries:?}");
    }
}

#[test]
fn admin_manages_teams_channels_and_settings() {
    let app = TestApp::spawn(None);
    let mut admin = app.login("admin");
    let token = csrf(&admin);

    // Teams: a name error keeps what was typed; a team with markup in its name is shown as text; members are added.
    let (status, page, _) = submit(&mut admin, "/admin/teams", &[("csrf", &token), ("name", "   ")]);
    assert_eq!(status, 422);
    assert!(page.contains("请填写 1–100 个字符"));
    let (status, _, location) = submit(&mut admin, "/admin/teams", &[("csrf", &token), ("name", "售后<script>x</script>")]);
    assert_eq!((status, location.as_str()), (303, "/admin/teams?ok=team_created"));
    let (status, page, _) = submit(&mut admin, "/admin/teams", &[("csrf", &token), ("name", "售后<script>x</script>")]);
    assert_eq!(status, 409);
    assert!(page.contains("已有同名团队") && page.contains("value=\"售后&#60;script&#62;x&#60;/script&#62;\""));
    let team = admin.get("/api/v1/teams").1["teams"][0]["id"].as_i64().unwrap();
    let agent = user_id(&mut admin, "agent");
    let (status, _, location) = submit(&mut admin, &format!("/admin/teams/{team}/members"), &[("csrf", &token), ("user_id", &agent.to_string())]);
    assert_eq!((status, location.as_str()), (303, "/admin/teams?ok=member_added"));
    let (_, page) = admin.get("/admin/teams");
    let page = html(&page);
    assert!(page.contains("<h2>售后&#60;script&#62;x&#60;/script&#62;</h2>"), "{page}");
    assert!(page.contains("<span class=\"member\">agent</span>"));
    assert_eq!(admin.get("/api/v1/teams").1["teams"][0]["member_ids"], json!([agent]));
    assert_eq!(submit(&mut admin, &format!("/admin/teams/{team}/members"), &[("csrf", &token), ("user_id", "x")]).0, 422);
    assert_eq!(submit(&mut admin, "/admin/teams/999999/members", &[("csrf", &token), ("user_id", &agent.to_string())]).0, 404);

    // Channels: a bad origin names its line and keeps the text; a good channel shows its script tag as text.
    let typed = "https://shop.example.com\nshop2.example.com";
    let (status, page, _) = submit(&mut admin, "/admin/channels", &[("csrf", &token), ("name", "新店铺"), ("allowed_origins", typed)]);
    assert_eq!(status, 422);
    assert!(page.contains("第 2 行不是有效的网站来源"), "{page}");
    assert!(page.contains(">https://shop.example.com\nshop2.example.com</textarea>") && page.contains("value=\"新店铺\""));
    let (status, _, location) = submit(
        &mut admin,
        "/admin/channels",
        &[("csrf", &token), ("name", "新店铺<img src=x onerror=alert(1)>"), ("allowed_origins", "https://new.example.com\n\nhttp://localhost:3000/")],
    );
    assert_eq!(status, 303);
    assert!(location.starts_with("/admin/channels?ok=channel_created#channel-"), "{location}");
    let channels = admin.get("/api/v1/channels").1;
    let created = channels["channels"].as_array().unwrap().iter().find(|c| c["name"].as_str().unwrap().starts_with("新店铺")).unwrap().clone();
    assert_eq!(created["kind"], "web_chat");
    assert_eq!(created["allowed_origins"], json!(["https://new.example.com", "http://localhost:3000"]));
    let key = created["public_key"].as_str().unwrap();
    let (status, page) = admin.get("/admin/channels");
    assert_eq!(status, 200);
    let page = html(&page);
    let tag = format!("&#60;script src=&#34;{}/widget.js&#34; data-channel=&#34;{key}&#34; async&#62;&#60;/script&#62;", app.base);
    assert!(page.contains(&tag), "the script tag as text: {page}");
    assert!(!page.contains(&format!("<script src=\"{}/widget.js\"", app.base)), "never as markup");
    assert!(page.contains("新店铺&#60;img src=x onerror=alert(1)&#62;") && !page.contains("<img src=x"));
    assert!(page.contains("class=\"copy\""), "a copy button");

    // Settings: errors keep what was typed; saved values come back; only changes are audited.
    let (status, page, _) = submit(
        &mut admin,
        "/admin/settings",
        &[("csrf", &token), ("name", "新名字"), ("timezone", "Mars/Base One"), ("default_language", "zh-Hant"), ("hours_start", "09:00"), ("hours_end", "")],
    );
    assert_eq!(status, 422);
    assert!(page.contains("请填写 IANA 时区名称") && page.contains("请同时填写开始和结束时间"));
    assert!(page.contains("value=\"Mars/Base One\"") && page.contains("value=\"新名字\"") && page.contains("<option value=\"zh-Hant\" selected>"));
    assert_eq!(admin.get("/api/v1/settings").1["organization"]["name"], "测试店", "nothing saved");
    let (status, _, location) = submit(
        &mut admin,
        "/admin/settings",
        &[("csrf", &token), ("name", "新名字"), ("timezone", "Asia/Taipei"), ("default_language", "zh-Hant"), ("hours_start", "09:00"), ("hours_end", "21:30")],
    );
    assert_eq!((status, location.as_str()), (303, "/admin/settings?ok=settings_saved"));
    let org = admin.get("/api/v1/settings").1["organization"].clone();
    assert_eq!((org["name"].as_str(), org["timezone"].as_str()), (Some("新名字"), Some("Asia/Taipei")));
    assert_eq!(org["settings"], json!({"default_language": "zh-Hant", "business_hours": {"start": "09:00", "end": "21:30"}}));
    let (_, page) = admin.get("/admin/settings?ok=settings_saved");
    assert!(html(&page).contains("设置已保存") && html(&page).contains("value=\"21:30\""));
    assert_eq!(admin.get("/admin/settings?ok=%3Cscript%3E").0, 200);
}

#[test]
fn availability_shows_on_the_board_with_the_emotion_mix() {
    for db in backends() {
        let app = TestApp::spawn(db);
        let mut admin = app.login("admin");
        let (status, _) = admin.post(
            "/api/v1/users",
            &json!({"username": "eve", "display_name": "<b>Eve</b>", "role": "agent", "password": PASSWORD}),
        );
        assert_eq!(status, 201);
        let mut lead = app.login("lead");
        let cookie = lead.cookie.clone().unwrap();
        let mut staff_ws = connect(&app.ws_url("/api/v1/ws?after=latest"), Some(&cookie), None).unwrap();
        assert_eq!(next_frame(&mut staff_ws)["type"], "hello");

        // The API: only the three states; a JSON body; the CSRF header for a cookie session.
        let mut agent = app.login("agent");
        assert_eq!(agent.get("/api/v1/me/availability").1["availability"]["state"], "offline");
        let (status, body) = agent.request("PUT", "/api/v1/me/availability", Some(("application/json", br#"{"state":"lunch"}"#.to_vec())));
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["details"]["field"], "state");
        assert_eq!(agent.request("PUT", "/api/v1/me/availability", Some(("application/json", b"{state".to_vec()))).0, 400);
        let (status, body) = agent.request("PUT", "/api/v1/me/availability", Some(("application/json", br#"{"state":"online"}"#.to_vec())));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["availability"]["state"], "online");
        let changed = wait_for(&mut staff_ws, |f| f["type"] == "event" && f["event"]["kind"] == "presence_changed");
        assert_eq!(changed["event"]["data"]["presence"]["state"], "online");
        let token = agent.csrf.take();
        assert_eq!(agent.request("PUT", "/api/v1/me/availability", Some(("application/json", br#"{"state":"break"}"#.to_vec()))).0, 403);
        agent.csrf = token;

        // The header form: needs the form's CSRF token, then goes back to the page it came from.
        let (status, _, _) = submit(&mut agent, "/me/availability", &[("state", "break"), ("next", "/inbox")]);
        assert_eq!(status, 403);
        let token = csrf(&agent);
        let (status, body, location) = submit(&mut agent, "/me/availability", &[("csrf", &token), ("state", "nap"), ("next", "/inbox")]);
        assert_eq!(status, 422, "{body}");
        let (status, _, location2) = submit(&mut agent, "/me/availability", &[("csrf", &token), ("state", "break"), ("next", "/inbox%3Fview%3Dall")]);
        assert_eq!((status, location2.as_str()), (303, "/inbox?view=all"), "{location}");
        assert_eq!(submit(&mut agent, "/me/availability", &[("csrf", &token), ("state", "break"), ("next", "//evil.example")]).2, "/inbox");
        assert_eq!(agent.get("/api/v1/me/availability").1["availability"]["state"], "break");

        // Customers write through the widget: an angry one with a regulator threat, a calm one.
        let mut angry = app.visitor();
        let (status, sent) = angry.send("m-1", "气死我了！快递五天还没到，再不处理我就去12315投诉！！");
        assert_eq!(status, 201, "{sent}");
        let hot = sent["conversation_id"].as_i64().unwrap();
        assert_eq!(angry.send("m-2", "你们到底管不管？").0, 201);
        let mut calm = app.visitor();
        let (status, sent) = calm.send("m-3", "谢谢，收到了，质量很好，很满意");
        assert_eq!(status, 201);
        let calm_conversation = sent["conversation_id"].as_i64().unwrap();
        let mut expected = std::collections::HashMap::<String, u32>::new();
        for c in [hot, calm_conversation] {
            for m in lead.get(&format!("/api/v1/conversations/{c}/messages")).1["messages"].as_array().unwrap() {
                if m["kind"] == "customer" {
                    *expected.entry(m["analysis"]["emotion"]["label"].as_str().unwrap().to_owned()).or_default() += 1;
                }
            }
        }
        assert_eq!(expected.values().sum::<u32>(), 3);

        // The board: availability, load, queues, the hot conversation, escaped names, the chart.
        let (status, page) = lead.get("/board");
        assert_eq!(status, 200);
        let page = html(&page);
        assert!(page.contains("<tr data-state=\"break\"><th scope=\"row\">agent</th><td><span class=\"presence p-break\">‖ 小休</span>"), "{page}");
        assert!(page.contains("&#60;b&#62;Eve&#60;/b&#62;") && !page.contains("<b>Eve</b>"), "names are text");
        assert!(page.contains("<span class=\"value\" data-metric=\"unassigned\">2</span>"), "{page}");
        assert!(page.contains(&format!("<a href=\"/inbox?view=all&amp;c={hot}\">")), "the angry conversation needs attention");
        assert!(page.contains("/assets/board.js") && page.contains("id=\"board-conn\""));
        assert!(page.contains("aria-pressed=\"true\">✓ 在线") || page.contains("aria-pressed=\"false\">✓ 在线"), "the header's availability form");

        let (status, live) = lead.get("/board/live");
        assert_eq!(status, 200);
        let live = html(&live);
        assert!(!live.contains("<html") && !live.contains("<header"), "only the live part");
        let start = live.find("<svg").expect("an SVG chart");
        let end = live.find("</svg>").expect("the chart closes") + "</svg>".len();
        let svg = &live[start..end];
        balanced(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        assert!(svg.contains("<title id=\"mix-title\">近一小时情绪分布</title>"));
        assert!(svg.contains("共 3 条顾客消息"), "{svg}");
        for (emotion, name) in [("anger", "愤怒"), ("anxiety", "焦虑"), ("disappointment", "失望"), ("neutral", "平静"), ("satisfied", "满意")] {
            let n = expected.get(emotion).copied().unwrap_or(0);
            assert!(svg.contains(&format!("<g class=\"legend\" data-emotion=\"{emotion}\">")), "{emotion}");
            assert!(svg.contains(&format!(" {name} <tspan font-weight=\"600\">{n}</tspan>")), "{emotion} {n}: {svg}");
            assert_eq!(svg.matches(&format!("<rect class=\"seg\" data-emotion=\"{emotion}\"")).count(), usize::from(n > 0), "{emotion}");
        }
        // A change of availability shows on the next refresh.
        submit(&mut agent, "/me/availability", &[("csrf", &token), ("state", "offline"), ("next", "/inbox")]);
        let live = lead.get("/board/live").1;
        assert!(html(&live).contains("<tr data-state=\"offline\"><th scope=\"row\">agent</th>"));
        // In English when asked.
        let live = lead.get("/board/live?lang=en").1;
        assert!(html(&live).contains("Emotion mix, last hour") && html(&live).contains("3 customer messages in the last hour"));
    }
}
