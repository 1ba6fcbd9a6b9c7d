//! `/admin/complaints`: where each complaint type goes (its escalation path: a department team, or "the lead
//! chooses") and how much an agent and a lead may give on their own (remedy limits, in yuan; above them the lead or
//! an admin approves). Same rules as `PUT /api/v1/escalation-paths` and the organisation's `remedy_limits`.

use std::collections::HashMap;

use anxin_domain::ComplaintType;
use anxin_domain::complaint::RemedyLimits;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Value, json};

use super::{FormBody, MenuUser, PageQuery, field, fields, gate, menu_user, notice, percent_encode, render, store_failed};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::tickets::yuan;

pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("admin.complaints", ["投诉流转", "投訴流轉", "Complaints"]),
    ("admin.complaints_hint", [
        "每类投诉经班长批准后转到哪个部门处理，以及客服、班长可直接给出的补偿额度（超出额度需上级批准）。",
        "每類投訴經班長批准後轉到哪個部門處理，以及客服、班長可直接給出的補償額度（超出額度需上級批准）。",
        "Which department each complaint type goes to once the lead approves it, and how much an agent or a lead may give on their own (above it, approval is needed).",
    ]),
    ("complaints.paths", ["升级路径", "升級路徑", "Escalation paths"]),
    ("complaints.col.department", ["处理部门", "處理部門", "Department"]),
    ("complaints.default", ["默认：{name}（首次批准时自动创建）", "預設：{name}（首次批准時自動建立）", "Default: {name} (created at the first approval)"]),
    ("complaints.lead_chooses", ["由班长在批准时选择", "由班長在批准時選擇", "The lead chooses at approval"]),
    ("complaints.limits", ["补偿额度", "補償額度", "Remedy limits"]),
    ("complaints.agent_limit", ["客服可直接给出（元）", "客服可直接給出（元）", "An agent may give up to (yuan)"]),
    ("complaints.lead_limit", ["班长可直接给出（元）", "班長可直接給出（元）", "A lead may give up to (yuan)"]),
    ("complaints.error.limits", [
        "额度须为非负金额（最多两位小数），且班长额度不低于客服额度",
        "額度須為非負金額（最多兩位小數），且班長額度不低於客服額度",
        "Limits are amounts of 0 or more (at most two decimals), the lead's at least the agent's",
    ]),
    ("complaints.error.team", ["所选部门不存在", "所選部門不存在", "No such team"]),
    ("admin.ok.complaints_saved", ["投诉流转设置已保存", "投訴流轉設定已儲存", "Complaint settings saved"]),
];

/// Most yuan a limit may be (¥1,000,000).
const MAX_LIMIT_FEN: i64 = 100_000_000;

struct PathRow {
    kind: &'static str,
    kind_text: &'static str,
    default_text: String,
    /// `default`, `lead` or a team id.
    selected: String,
}

#[derive(Template)]
#[template(path = "admin_complaints.html")]
struct ComplaintsPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    paths: Vec<PathRow>,
    teams: Vec<(String, String)>,
    agent_limit: String,
    lead_limit: String,
}

/// A limit as typed, in fen: the remedy form's yuan parsing, zero allowed, at most [`MAX_LIMIT_FEN`].
fn fen(text: &str) -> Option<i64> {
    crate::pages::tickets::parse_yuan(text).ok().flatten().filter(|f| *f <= MAX_LIMIT_FEN)
}

async fn page_for(state: &AppState, v: &crate::pages::Viewer, p: &anxin_store::Principal, form: Option<&HashMap<String, String>>, error: Option<&'static str>) -> Result<ComplaintsPage, Response> {
    let lang = v.lang;
    let paths = state.store.escalation_paths(p.org_id).await.map_err(store_failed)?;
    let teams = state.store.teams(p.org_id).await.map_err(store_failed)?;
    let org = state.store.organization(p.org_id).await.map_err(store_failed)?;
    let limits: RemedyLimits = org.settings.get("remedy_limits").and_then(|l| serde_json::from_value(l.clone()).ok()).unwrap_or_default();
    let typed = |name: &str, fallback: String| form.map_or(fallback.clone(), |f| field(f, name).chars().take(20).collect());
    Ok(ComplaintsPage {
        lang,
        langs: Lang::ALL,
        me: Some(menu_user(state, p).await),
        csrf: p.csrf_token.clone().unwrap_or_default(),
        here: percent_encode("/admin/complaints"),
        section: "complaints",
        notice: None,
        error: error.map(|k| lang.t(k)),
        paths: paths
            .iter()
            .map(|path| PathRow {
                kind: path.complaint_type.as_str(),
                kind_text: lang.t(&format!("complaint.{}", path.complaint_type.as_str())),
                default_text: lang.t("complaints.default").replace("{name}", path.default_department),
                selected: typed(
                    &format!("path_{}", path.complaint_type.as_str()),
                    match (path.configured, path.team_id) {
                        (false, _) => "default".into(),
                        (true, None) => "lead".into(),
                        (true, Some(team)) => team.to_string(),
                    },
                ),
            })
            .collect(),
        teams: teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect(),
        agent_limit: typed("agent_limit", yuan(limits.agent_fen)),
        lead_limit: typed("lead_limit", yuan(limits.lead_fen)),
    })
}

pub(super) async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/complaints", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    match page_for(&state, &v, &p, None, None).await {
        Ok(mut page) => {
            page.notice = notice(v.lang, q.ok.as_deref());
            render(&page, StatusCode::OK)
        }
        Err(r) => r,
    }
}

/// The form again, with what was typed and why it was not saved (nothing was).
async fn refuse(state: &AppState, v: &crate::pages::Viewer, p: &anxin_store::Principal, f: &HashMap<String, String>, key: &'static str) -> Response {
    match page_for(state, v, p, Some(f), Some(key)).await {
        Ok(page) => render(&page, StatusCode::UNPROCESSABLE_ENTITY),
        Err(r) => r,
    }
}

pub(super) async fn save(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/complaints", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let limits = match (fen(field(&f, "agent_limit")), fen(field(&f, "lead_limit"))) {
        (Some(agent), Some(lead)) if lead >= agent => RemedyLimits { agent_fen: agent, lead_fen: lead },
        _ => return refuse(&state, &v, &p, &f, "complaints.error.limits").await,
    };
    let teams = match state.store.teams(p.org_id).await {
        Ok(t) => t,
        Err(e) => return store_failed(e),
    };
    let mut paths = Vec::new();
    for kind in ComplaintType::ALL {
        let choice = field(&f, &format!("path_{}", kind.as_str()));
        match choice {
            "" | "default" => {}
            "lead" => paths.push((*kind, None)),
            id => match id.parse::<i64>().ok().filter(|id| teams.iter().any(|t| t.id == *id)) {
                Some(team) => paths.push((*kind, Some(team))),
                None => return refuse(&state, &v, &p, &f, "complaints.error.team").await,
            },
        }
    }
    if let Err(e) = state.store.set_escalation_paths(p.clone(), paths).await {
        return store_failed(e);
    }
    let org = match state.store.organization(p.org_id).await {
        Ok(org) => org,
        Err(e) => return store_failed(e),
    };
    let mut settings = org.settings.as_object().cloned().unwrap_or_default();
    let wanted = json!({"agent_fen": limits.agent_fen, "lead_fen": limits.lead_fen});
    if settings.get("remedy_limits") != Some(&wanted) {
        settings.insert("remedy_limits".into(), wanted);
        if let Err(e) = state.store.update_organization(p.clone(), None, None, Some(Value::Object(settings))).await {
            return store_failed(e);
        }
    }
    Redirect::to("/admin/complaints?ok=complaints_saved").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts_round_trip_and_bad_ones_are_refused() {
        for (text, expected) in [("20", Some(2_000)), ("¥200", Some(20_000)), ("15.5", Some(1_550)), ("0.05", Some(5)), ("0", Some(0)), ("1000000", Some(MAX_LIMIT_FEN))] {
            assert_eq!(fen(text), expected, "{text}");
        }
        for bad in ["", "-5", "1.234", "abc", "1e3", "２０", "99999999999999999999", "1000001"] {
            assert_eq!(fen(bad), None, "{bad}");
        }
        for f in [0, 5, 1_550, 2_000, 20_000] {
            assert_eq!(fen(&yuan(f)), Some(f));
        }
    }
}
