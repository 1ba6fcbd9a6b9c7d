//! The admin pages (`/admin`, admins only): users and roles, teams, channels (with the widget's `<script>` tag),
//! organisation settings. Every page and every form checks the role on the server (the 403 page otherwise) and
//! every form its CSRF token; a form with a mistake comes back with the field's error in the person's language
//! and what they typed (except passwords). Successful forms redirect (303) to their page with a notice.

use std::collections::HashMap;

pub mod complaints;
pub mod sla;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use anxin_domain::input::{AllowedOrigin, InputError, Name, NewPassword, Username};
use anxin_domain::{Action, ChannelKind, Role};
use anxin_store::{Availability, Principal, StoreError};

use crate::AppState;
use crate::board::{MenuUser, PRESENCE, csrf_ok, menu_user};
use crate::i18n::Lang;
use crate::pages::{Viewer, forbidden, percent_encode, render, to_login, viewer};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{id}/role", post(change_role))
        .route("/admin/users/{id}/active", post(change_active))
        .route("/admin/teams", get(teams_page).post(create_team))
        .route("/admin/teams/{id}/members", post(add_member))
        .route("/admin/teams/{id}/routing", post(save_team_routing))
        .route("/admin/channels", get(channels_page).post(create_channel))
        .route("/admin/settings", get(settings_page).post(save_settings))
        .route("/admin/sla", get(sla::page).post(sla::save))
        .route("/admin/complaints", get(complaints::page).post(complaints::save))
        .route(
            "/assets/admin.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], include_str!("../assets/admin.css")) }),
        )
}

/// Most origins one channel lists.
const MAX_ORIGINS: usize = 50;
/// Time zones offered in the settings form (any IANA name is accepted).
const TIMEZONES: [&str; 8] = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London", "America/Los_Angeles", "UTC"];

// ----- the gate, errors, shared page parts -----

/// Field errors of a form, in the person's language.
#[derive(Default)]
pub(crate) struct Errors(Vec<(&'static str, String)>);

impl Errors {
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn add(&mut self, field: &'static str, message: String) {
        if self.get(field).is_none() {
            self.0.push((field, message));
        }
    }

    /// Records an input error under `field` in `lang`.
    fn input(&mut self, lang: Lang, field: &'static str, e: &InputError) {
        self.add(field, field_message(lang, field, e));
    }
}

/// The catalog text for a field that failed to parse.
fn field_message(lang: Lang, field: &str, _e: &InputError) -> String {
    let key = match field {
        "username" => "form.error.username",
        "password" => "form.error.password",
        "role" => "form.error.role",
        "timezone" => "form.error.timezone",
        "hours" => "form.error.hours",
        "default_language" => "form.error.language",
        _ => "form.error.name",
    };
    lang.t(key).to_owned()
}

/// Who may be here: a signed-in admin (and, for a form, with the session's CSRF token). Otherwise the response
/// to send: sign-in (303), the 403 page, or the CSRF page (403).
async fn gate(state: &AppState, headers: &HeaderMap, lang: Option<&str>, here: &str, csrf: Option<&str>) -> Result<(Viewer, Principal), Response> {
    let v = viewer(state, headers, lang).await;
    let Some(p) = v.principal.clone() else { return Err(to_login(here)) };
    if !p.role.can(Action::Administer) {
        return Err(forbidden(&v, here));
    }
    if let Some(sent) = csrf
        && !csrf_ok(&p, sent) {
            return Err(csrf_failed(state, &v, &p, here).await);
        }
    Ok((v, p))
}

#[derive(Template)]
#[template(path = "admin_error.html")]
struct ErrorPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    title: &'static str,
    message: &'static str,
    back: String,
}

/// 403: a form without the session's CSRF token (an old tab, or another site posting with the person's cookie).
pub(crate) async fn csrf_failed(state: &AppState, v: &Viewer, p: &Principal, back: &str) -> Response {
    let page = ErrorPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode(back),
        title: v.lang.t("form.csrf_title"),
        message: v.lang.t("form.csrf_message"),
        back: back.to_owned(),
    };
    render(&page, StatusCode::FORBIDDEN)
}

/// A store failure on an admin page: 503 when the database is away, 404 for something gone, 500 otherwise.
fn store_failed(e: StoreError) -> Response {
    crate::error::ApiError::from(e).into_response()
}

/// A form body as text fields; a body that is not a form counts as empty (and fails validation, not the gate).
type FormBody = Result<Form<HashMap<String, String>>, FormRejection>;

fn fields(form: FormBody) -> HashMap<String, String> {
    form.map(|f| f.0).unwrap_or_default()
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map_or("", String::as_str)
}

#[derive(Deserialize, Default)]
struct PageQuery {
    lang: Option<String>,
    ok: Option<String>,
}

/// The notice after a successful form (only known keys: the query cannot put text on the page).
fn notice(lang: Lang, ok: Option<&str>) -> Option<&'static str> {
    let key = match ok? {
        "user_created" => "admin.ok.user_created",
        "role_changed" => "admin.ok.role_changed",
        "user_deactivated" => "admin.ok.user_deactivated",
        "user_reactivated" => "admin.ok.user_reactivated",
        "team_created" => "admin.ok.team_created",
        "member_added" => "admin.ok.member_added",
        "channel_created" => "admin.ok.channel_created",
        "settings_saved" => "admin.ok.settings_saved",
        "routing_saved" => "admin.ok.routing_saved",
        "sla_saved" => "admin.ok.sla_saved",
        "complaints_saved" => "admin.ok.complaints_saved",
        _ => return None,
    };
    Some(lang.t(key))
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Supervisor => "role.supervisor",
        Role::Agent => "role.agent",
        Role::Handler => "role.handler",
        Role::Trainer => "role.trainer",
    }
}

fn role_options(lang: Lang) -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), lang.t(role_key(*r)))).collect()
}

// ----- overview -----

#[derive(Template)]
#[template(path = "admin_overview.html")]
struct OverviewPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    org_name: String,
    timezone: String,
    users: usize,
    inactive: usize,
    teams: usize,
    channels: usize,
}

async fn overview(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let load = async {
        let org = state.store.organization(p.org_id).await?;
        let users = state.store.users(p.org_id).await?;
        let teams = state.store.teams(p.org_id).await?;
        let channels = state.store.channels(p.org_id).await?;
        Ok::<_, StoreError>((org, users, teams, channels))
    };
    let (org, users, teams, channels) = match load.await {
        Ok(x) => x,
        Err(e) => return store_failed(e),
    };
    let page = OverviewPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(&state, &p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin"),
        section: "overview",
        org_name: org.name,
        timezone: org.timezone,
        users: users.iter().filter(|u| u.active).count(),
        inactive: users.iter().filter(|u| !u.active).count(),
        teams: teams.len(),
        channels: channels.len(),
    };
    render(&page, StatusCode::OK)
}

// ----- users and roles -----

struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    department: String,
    role: &'static str,
    role_text: &'static str,
    active: bool,
    presence: &'static str,
    presence_icon: &'static str,
    presence_text: &'static str,
    is_me: bool,
}

#[derive(Default)]
struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
    department: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    form: NewUserForm,
    errors: Errors,
}

async fn users_view(state: &AppState, v: &Viewer, p: &Principal, form: NewUserForm, errors: Errors) -> Result<UsersPage, StoreError> {
    let lang = v.lang;
    let users = state.store.users(p.org_id).await?;
    let presences = state.store.availabilities(p.org_id).await?;
    let rows = users
        .into_iter()
        .map(|u| {
            let state = presences.iter().find(|a| a.user_id == u.id).map_or(Availability::Offline, |a| a.state);
            let (presence, icon, key) = PRESENCE.into_iter().find(|(s, _, _)| *s == state.as_str()).unwrap_or(PRESENCE[2]);
            UserRow {
                id: u.id,
                is_me: p.user_id == Some(u.id),
                username: u.username,
                display_name: u.display_name,
                department: u.department.unwrap_or_default(),
                role: u.role.as_str(),
                role_text: lang.t(role_key(u.role)),
                active: u.active,
                presence,
                presence_icon: icon,
                presence_text: lang.t(key),
            }
        })
        .collect();
    Ok(UsersPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin/users"),
        section: "users",
        notice: None,
        alert: None,
        users: rows,
        roles: role_options(lang),
        form,
        errors,
    })
}

async fn users_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/users", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let form = NewUserForm { role: Role::Agent.as_str().to_owned(), ..Default::default() };
    match users_view(&state, &v, &p, form, Errors::default()).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, q.ok.as_deref());
            render(&page, StatusCode::OK)
        }
        Err(e) => store_failed(e),
    }
}

/// Re-renders the users page with an alert or field errors.
async fn users_again(state: &AppState, v: &Viewer, p: &Principal, form: NewUserForm, errors: Errors, alert: Option<&'static str>, status: StatusCode) -> Response {
    match users_view(state, v, p, form, errors).await {
        Ok(mut page) => {
            page.alert = alert;
            render(&page, status)
        }
        Err(e) => store_failed(e),
    }
}

async fn create_user(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/users", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let typed = NewUserForm {
        username: field(&f, "username").chars().take(200).collect(),
        display_name: field(&f, "display_name").chars().take(200).collect(),
        role: field(&f, "role").chars().take(20).collect(),
        department: field(&f, "department").chars().take(200).collect(),
    };
    let mut errors = Errors::default();
    let username = Username::parse(&typed.username).map_err(|e| errors.input(lang, "username", &e)).ok();
    let display = Name::parse("display_name", &typed.display_name).map_err(|e| errors.input(lang, "display_name", &e)).ok();
    let role = Role::parse(&typed.role);
    if role.is_none() {
        errors.add("role", lang.t("form.error.role").to_owned());
    }
    let password = NewPassword::parse(field(&f, "password")).map_err(|e| errors.input(lang, "password", &e)).ok();
    let department = match typed.department.trim() {
        "" => None,
        d => Name::parse("department", d).map_err(|e| errors.input(lang, "department", &e)).ok(),
    };
    let (Some(username), Some(display), Some(role), Some(password)) = (username, display, role, password) else {
        return users_again(&state, &v, &p, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if !errors.is_empty() {
        return users_again(&state, &v, &p, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let hash = match tokio::task::spawn_blocking(move || crate::auth::hash_password(password.as_str())).await {
        Ok(hash) => hash,
        Err(e) => return crate::error::ApiError::Internal(e.to_string()).into_response(),
    };
    let new = anxin_store::NewUser {
        org_id: p.org_id,
        username,
        display_name: display,
        role,
        department: department.map(Name::into_string),
        password_hash: hash,
    };
    match state.store.create_user(new, Some(p.audit_name())).await {
        Ok(_) => Redirect::to("/admin/users?ok=user_created").into_response(),
        Err(StoreError::Conflict(_)) => {
            let mut errors = Errors::default();
            errors.add("username", lang.t("form.error.username_taken").to_owned());
            users_again(&state, &v, &p, typed, errors, None, StatusCode::CONFLICT).await
        }
        Err(e) => store_failed(e),
    }
}

/// Role changes and deactivation: the store's answer as an alert on the users page.
async fn user_change_failed(state: &AppState, v: &Viewer, p: &Principal, e: StoreError) -> Response {
    let (alert, status) = match e {
        StoreError::Conflict(what) if what == "self" => ("admin.error.self", StatusCode::CONFLICT),
        StoreError::NotFound => ("admin.error.no_user", StatusCode::NOT_FOUND),
        e => return store_failed(e),
    };
    let form = NewUserForm { role: Role::Agent.as_str().to_owned(), ..Default::default() };
    users_again(state, v, p, form, Errors::default(), Some(v.lang.t(alert)), status).await
}

async fn change_role(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/users", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Some(role) = Role::parse(field(&f, "role")) else {
        let form = NewUserForm { role: Role::Agent.as_str().to_owned(), ..Default::default() };
        return users_again(&state, &v, &p, form, Errors::default(), Some(v.lang.t("form.error.role")), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state.store.set_user_role(p.clone(), id, role).await {
        Ok(_) => Redirect::to("/admin/users?ok=role_changed").into_response(),
        Err(e) => user_change_failed(&state, &v, &p, e).await,
    }
}

async fn change_active(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/users", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let active = match field(&f, "active") {
        "1" => true,
        "0" => false,
        _ => {
            let form = NewUserForm { role: Role::Agent.as_str().to_owned(), ..Default::default() };
            return users_again(&state, &v, &p, form, Errors::default(), Some(v.lang.t("admin.error.bad_form")), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match state.store.set_user_active(p.clone(), id, active).await {
        Ok(_) => Redirect::to(if active { "/admin/users?ok=user_reactivated" } else { "/admin/users?ok=user_deactivated" }).into_response(),
        Err(e) => user_change_failed(&state, &v, &p, e).await,
    }
}

// ----- teams -----

struct TeamRow {
    id: i64,
    name: String,
    members: Vec<String>,
    /// Active people not yet in the team: (id, display name, username).
    candidates: Vec<(i64, String, String)>,
    /// The team's routing: policy spelling, streak cap, cool-down minutes.
    policy: &'static str,
    streak_cap: u16,
    cooldown_minutes: u32,
}

/// The policies a team can choose, with their labels' catalog keys.
const POLICIES: [(&str, &str); 3] =
    [("emotion_aware", "routing.emotion_aware"), ("least_busy", "routing.least_busy"), ("round_robin", "routing.round_robin")];

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    alert: Option<&'static str>,
    teams: Vec<TeamRow>,
    policies: [(&'static str, &'static str); 3],
    name: String,
    errors: Errors,
}

async fn teams_view(state: &AppState, v: &Viewer, p: &Principal, name: String, errors: Errors, alert: Option<&'static str>) -> Result<TeamsPage, StoreError> {
    let users = state.store.users(p.org_id).await?;
    let mut routing = std::collections::HashMap::new();
    for team in state.store.teams(p.org_id).await? {
        routing.insert(team.id, state.store.team_routing(p.org_id, team.id).await?);
    }
    let teams = state
        .store
        .teams(p.org_id)
        .await?
        .into_iter()
        .map(|t| TeamRow {
            policy: routing.get(&t.id).map_or("emotion_aware", |r| r.policy.as_str()),
            streak_cap: routing.get(&t.id).map_or(3, |r| r.protection.streak_cap),
            cooldown_minutes: routing.get(&t.id).map_or(3, |r| r.protection.cooldown_secs / 60),
            id: t.id,
            members: t.member_ids.iter().filter_map(|id| users.iter().find(|u| u.id == *id)).map(|u| u.display_name.clone()).collect(),
            candidates: users
                .iter()
                .filter(|u| u.active && !t.member_ids.contains(&u.id))
                .map(|u| (u.id, u.display_name.clone(), u.username.clone()))
                .collect(),
            name: t.name,
        })
        .collect();
    Ok(TeamsPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin/teams"),
        section: "teams",
        notice: None,
        alert,
        teams,
        policies: POLICIES,
        name,
        errors,
    })
}

async fn teams_again(state: &AppState, v: &Viewer, p: &Principal, name: String, errors: Errors, alert: Option<&'static str>, status: StatusCode) -> Response {
    match teams_view(state, v, p, name, errors, alert).await {
        Ok(page) => render(&page, status),
        Err(e) => store_failed(e),
    }
}

async fn teams_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/teams", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match teams_view(&state, &v, &p, String::new(), Errors::default(), None).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, q.ok.as_deref());
            render(&page, StatusCode::OK)
        }
        Err(e) => store_failed(e),
    }
}

async fn create_team(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/teams", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let typed: String = field(&f, "name").chars().take(200).collect();
    let name = match Name::parse("name", &typed) {
        Ok(name) => name,
        Err(e) => {
            let mut errors = Errors::default();
            errors.input(v.lang, "name", &e);
            return teams_again(&state, &v, &p, typed, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match state.store.create_team(p.org_id, name, p.audit_name()).await {
        Ok(_) => Redirect::to("/admin/teams?ok=team_created").into_response(),
        Err(StoreError::Conflict(_)) => {
            let mut errors = Errors::default();
            errors.add("name", v.lang.t("form.error.team_taken").to_owned());
            teams_again(&state, &v, &p, typed, errors, None, StatusCode::CONFLICT).await
        }
        Err(e) => store_failed(e),
    }
}

async fn add_member(State(state): State<AppState>, headers: HeaderMap, Path(team): Path<i64>, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/teams", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let Ok(user) = field(&f, "user_id").parse::<i64>() else {
        return teams_again(&state, &v, &p, String::new(), Errors::default(), Some(v.lang.t("admin.error.pick_member")), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state.store.add_team_member(p.org_id, team, user, p.audit_name()).await {
        Ok(()) => Redirect::to("/admin/teams?ok=member_added").into_response(),
        Err(StoreError::NotFound) => {
            teams_again(&state, &v, &p, String::new(), Errors::default(), Some(v.lang.t("admin.error.no_team_or_user")), StatusCode::NOT_FOUND).await
        }
        Err(e) => store_failed(e),
    }
}

/// A team's routing policy, streak cap and cool-down, from the teams page.
async fn save_team_routing(State(state): State<AppState>, headers: HeaderMap, Path(team): Path<i64>, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/teams", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let policy = anxin_domain::Policy::parse(field(&f, "policy"));
    let cap = field(&f, "streak_cap").trim().parse::<u16>().ok().filter(|n| (1..=20).contains(n));
    let minutes = field(&f, "cooldown_minutes").trim().parse::<u32>().ok().filter(|n| *n <= 60);
    let (Some(policy), Some(cap), Some(minutes)) = (policy, cap, minutes) else {
        let alert = Some(v.lang.t("admin.error.routing"));
        return teams_again(&state, &v, &p, String::new(), Errors::default(), alert, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let mut settings = match state.store.team_routing(p.org_id, team).await {
        Ok(settings) => settings,
        Err(StoreError::NotFound) => {
            let alert = Some(v.lang.t("admin.error.no_team_or_user"));
            return teams_again(&state, &v, &p, String::new(), Errors::default(), alert, StatusCode::NOT_FOUND).await;
        }
        Err(e) => return store_failed(e),
    };
    settings.policy = policy;
    settings.protection.streak_cap = cap;
    settings.protection.cooldown_secs = minutes * 60;
    settings.protection.cooldown_after_cap_secs = settings.protection.cooldown_after_cap_secs.max(minutes * 60);
    match state.store.set_team_routing(p, team, settings).await {
        Ok(_) => Redirect::to("/admin/teams?ok=routing_saved").into_response(),
        Err(e) => store_failed(e),
    }
}

// ----- channels -----

struct ChannelRow {
    id: i64,
    name: String,
    kind_text: &'static str,
    key: String,
    origins: Vec<String>,
    /// The `<script>` tag a shop adds to its pages (web chat only).
    snippet: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_channels.html")]
struct ChannelsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    channels: Vec<ChannelRow>,
    name: String,
    origins: String,
    errors: Errors,
}

/// This server's address as the person sees it (the `Host` they reached it by): the widget's `src`.
pub(crate) fn server_address(headers: &HeaderMap, https: bool) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let valid = !host.is_empty() && host.len() <= 255 && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    let forwarded = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if !valid {
        return String::new();
    }
    format!("{}://{host}", if https || forwarded { "https" } else { "http" })
}

/// Parses the origins field: one per line, blank lines skipped. Errors name the first bad line (1-based).
pub(crate) fn parse_origins(text: &str) -> Result<Vec<String>, (usize, &'static str)> {
    let mut out: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let origin = AllowedOrigin::parse(line).map_err(|_| (i + 1, "form.error.origin_line"))?;
        if !out.iter().any(|o| o == origin.as_str()) {
            out.push(origin.as_str().to_owned());
        }
        if out.len() > MAX_ORIGINS {
            return Err((i + 1, "form.error.too_many_origins"));
        }
    }
    if out.is_empty() {
        return Err((0, "form.error.no_origins"));
    }
    Ok(out)
}

fn kind_key(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::WebChat => "channel.web_chat",
        ChannelKind::Email => "channel.email",
        ChannelKind::Api => "channel.api",
    }
}

async fn channels_view(state: &AppState, headers: &HeaderMap, v: &Viewer, p: &Principal, name: String, origins: String, errors: Errors) -> Result<ChannelsPage, StoreError> {
    let server = server_address(headers, state.config.secure_cookies);
    let channels = state
        .store
        .channels(p.org_id)
        .await?
        .into_iter()
        .map(|c| ChannelRow {
            id: c.id,
            kind_text: v.lang.t(kind_key(c.kind)),
            snippet: (c.kind == ChannelKind::WebChat).then(|| crate::widget::snippet(&server, &c.public_key)),
            name: c.name,
            key: c.public_key,
            origins: c.allowed_origins,
        })
        .collect();
    Ok(ChannelsPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin/channels"),
        section: "channels",
        notice: None,
        channels,
        name,
        origins,
        errors,
    })
}

async fn channels_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/channels", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match channels_view(&state, &headers, &v, &p, String::new(), String::new(), Errors::default()).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, q.ok.as_deref());
            render(&page, StatusCode::OK)
        }
        Err(e) => store_failed(e),
    }
}

async fn create_channel(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/channels", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let typed_name: String = field(&f, "name").chars().take(200).collect();
    let typed_origins: String = field(&f, "allowed_origins").chars().take(20_000).collect();
    let mut errors = Errors::default();
    let name = Name::parse("name", &typed_name).map_err(|e| errors.input(lang, "name", &e)).ok();
    let origins = parse_origins(&typed_origins)
        .map_err(|(line, key)| errors.add("allowed_origins", lang.t(key).replace("{line}", &line.to_string())))
        .ok();
    let (Some(name), Some(origins)) = (name, origins) else {
        return match channels_view(&state, &headers, &v, &p, typed_name, typed_origins, errors).await {
            Ok(page) => render(&page, StatusCode::UNPROCESSABLE_ENTITY),
            Err(e) => store_failed(e),
        };
    };
    match state.store.create_channel(p.org_id, ChannelKind::WebChat, name, origins, p.audit_name()).await {
        Ok(channel) => Redirect::to(&format!("/admin/channels?ok=channel_created#channel-{}", channel.id)).into_response(),
        Err(e) => store_failed(e),
    }
}

// ----- organisation settings -----

#[derive(Default)]
struct SettingsForm {
    name: String,
    timezone: String,
    default_language: String,
    hours_start: String,
    hours_end: String,
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    form: SettingsForm,
    errors: Errors,
    timezones: [&'static str; 8],
    languages: [Lang; 3],
}

/// `HH:MM` (00:00–23:59).
pub(crate) fn valid_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit())
        && text[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && text[3..].parse::<u32>().is_ok_and(|m| m < 60)
}

/// An IANA-looking time zone name (the API's rule).
pub(crate) fn valid_timezone(tz: &str) -> bool {
    !tz.is_empty() && tz.len() <= 64 && tz.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
}

fn settings_view(v: &Viewer, p: &Principal, form: SettingsForm, errors: Errors, me: MenuUser) -> SettingsPage {
    SettingsPage {
        lang: v.lang,
        langs: Lang::ALL,
        me: Some(me),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin/settings"),
        section: "settings",
        notice: None,
        form,
        errors,
        timezones: TIMEZONES,
        languages: Lang::ALL,
    }
}

async fn settings_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/settings", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let org = match state.store.organization(p.org_id).await {
        Ok(org) => org,
        Err(e) => return store_failed(e),
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let form = SettingsForm {
        name: org.name,
        timezone: org.timezone,
        default_language: text(&org.settings["default_language"]),
        hours_start: text(&org.settings["business_hours"]["start"]),
        hours_end: text(&org.settings["business_hours"]["end"]),
    };
    let me = menu_user(&state, &p).await;
    let mut page = settings_view(&v, &p, form, Errors::default(), me);
    page.notice = notice(v.lang, q.ok.as_deref());
    render(&page, StatusCode::OK)
}

async fn save_settings(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/settings", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let lang = v.lang;
    let take = |name: &str, n: usize| -> String { field(&f, name).trim().chars().take(n).collect() };
    let typed = SettingsForm {
        name: take("name", 200),
        timezone: take("timezone", 100),
        default_language: take("default_language", 20),
        hours_start: take("hours_start", 20),
        hours_end: take("hours_end", 20),
    };
    let mut errors = Errors::default();
    let name = Name::parse("name", &typed.name).map_err(|e| errors.input(lang, "name", &e)).ok();
    if !valid_timezone(&typed.timezone) {
        errors.add("timezone", lang.t("form.error.timezone").to_owned());
    }
    if !typed.default_language.is_empty() && Lang::parse(&typed.default_language).is_none() {
        errors.add("default_language", lang.t("form.error.language").to_owned());
    }
    let hours = match (typed.hours_start.as_str(), typed.hours_end.as_str()) {
        ("", "") => None,
        (start, end) if valid_time(start) && valid_time(end) && start != end => Some(json!({"start": start, "end": end})),
        _ => {
            errors.add("hours", lang.t("form.error.hours").to_owned());
            None
        }
    };
    let org = match state.store.organization(p.org_id).await {
        Ok(org) => org,
        Err(e) => return store_failed(e),
    };
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        let me = menu_user(&state, &p).await;
        return render(&settings_view(&v, &p, typed, errors, me), StatusCode::UNPROCESSABLE_ENTITY);
    };
    // Only what changed is written (and audited); other settings keys are kept.
    let mut settings = org.settings.as_object().cloned().unwrap_or_default();
    match Lang::parse(&typed.default_language) {
        Some(l) => settings.insert("default_language".into(), json!(l.code())),
        None => settings.remove("default_language"),
    };
    match hours {
        Some(h) => settings.insert("business_hours".into(), h),
        None => settings.remove("business_hours"),
    };
    let settings = Value::Object(settings);
    let name = (name.as_str() != org.name).then_some(name);
    let timezone = (typed.timezone != org.timezone).then(|| typed.timezone.clone());
    let settings = (settings != org.settings).then_some(settings);
    if (name.is_some() || timezone.is_some() || settings.is_some())
        && let Err(e) = state.store.update_organization(p.clone(), name, timezone, settings).await {
            return store_failed(e);
        }
    Redirect::to("/admin/settings?ok=settings_saved").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_one_per_line() {
        assert_eq!(
            parse_origins("https://shop.example.com\n\n  http://localhost:3000/ \r\nhttps://SHOP.example.com"),
            Ok(vec!["https://shop.example.com".to_owned(), "http://localhost:3000".to_owned()])
        );
        assert_eq!(parse_origins("https://a.example\nshop.example.com"), Err((2, "form.error.origin_line")));
        assert_eq!(parse_origins("https://a.example/path"), Err((1, "form.error.origin_line")));
        assert_eq!(parse_origins(" \n"), Err((0, "form.error.no_origins")));
        let many: String = (0..=MAX_ORIGINS).map(|i| format!("https://s{i}.example\n")).collect();
        assert_eq!(parse_origins(&many), Err((MAX_ORIGINS + 1, "form.error.too_many_origins")));
    }

    #[test]
    fn times_and_time_zones() {
        for (t, ok) in [("09:00", true), ("23:59", true), ("24:00", false), ("9:00", false), ("09:60", false), ("0a:00", false), ("", false)] {
            assert_eq!(valid_time(t), ok, "{t}");
        }
        for (tz, ok) in [("Asia/Shanghai", true), ("UTC", true), ("Etc/GMT+8", true), ("", false), ("Asia/Shang hai", false), ("<b>", false)] {
            assert_eq!(valid_timezone(tz), ok, "{tz}");
        }
    }

    #[test]
    fn the_widget_address_comes_from_the_host_header() {
        let mut h = HeaderMap::new();
        assert_eq!(server_address(&h, false), "");
        h.insert(header::HOST, "anxin.example.com:8080".parse().unwrap());
        assert_eq!(server_address(&h, false), "http://anxin.example.com:8080");
        assert_eq!(server_address(&h, true), "https://anxin.example.com:8080");
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(server_address(&h, false), "https://anxin.example.com:8080");
        h.insert(header::HOST, "evil\"><script>".parse().unwrap());
        assert_eq!(server_address(&h, false), "", "a host that is not a host name is not used");
    }

    #[test]
    fn notices_only_for_known_keys() {
        assert_eq!(notice(Lang::En, Some("user_created")), Some("User created."));
        assert_eq!(notice(Lang::En, Some("<script>")), None);
        assert_eq!(notice(Lang::En, None), None);
    }

    #[test]
    fn field_errors_keep_the_first_message_per_field() {
        let mut e = Errors::default();
        assert!(e.is_empty());
        e.add("username", "a".into());
        e.add("username", "b".into());
        assert_eq!(e.get("username"), Some("a"));
        assert_eq!(e.get("password"), None);
    }
}
