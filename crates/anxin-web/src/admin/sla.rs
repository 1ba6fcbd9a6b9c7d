//! `/admin/sla`: the SLA settings form — the working calendar (time zone, weekly hours, holidays, make-up
//! workdays), the warning share, the follow-up hours, and the policies (targets by complaint type × priority ×
//! channel). The form is parsed into [`SlaSettings`] and checked by the same rules as `PUT /api/v1/sla`; a refused
//! form comes back with everything typed and the reason.

use std::collections::HashMap;

use anxin_domain::calendar::{ExtraWorkdaySpec, Weekday, WeeklySpec};
use anxin_domain::sla::{SlaPolicy, SlaSettings, SlaTargets, TicketSeverity};
use anxin_domain::{ChannelKind, ComplaintType};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{FormBody, MenuUser, PageQuery, field, fields, gate, menu_user, notice, percent_encode, render, store_failed};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::Viewer;
use anxin_store::sla::zone_supported;

use crate::sla::SUPPORTED_ZONES;

pub const TEXTS: &[(&str, [&str; 3])] = &[
    ("admin.sla", ["SLA 时限", "SLA 時限", "SLAs"]),
    ("admin.sla_hint", [
        "投诉工单的响应与解决时限按工作时间计算；到达提醒比例时提醒，超时自动升级并通知班长。已开始计时的工单保留原时限。",
        "投訴工單的回應與解決時限按工作時間計算；到達提醒比例時提醒，逾時自動升級並通知班長。已開始計時的工單保留原時限。",
        "Complaint tickets' response and resolution targets count business time; a warning fires at the warning share, a breach escalates and alerts the lead. Clocks already running keep their deadlines.",
    ]),
    ("sla.calendar", ["工作日历", "工作日曆", "Working calendar"]),
    ("sla.time_zone", ["时区", "時區", "Time zone"]),
    ("sla.hours_hint", [
        "每天的工作时段，如 09:00-12:00, 13:00-18:00；留空表示休息。",
        "每天的工作時段，如 09:00-12:00, 13:00-18:00；留空表示休息。",
        "Working windows per day, e.g. 09:00-12:00, 13:00-18:00; empty means closed.",
    ]),
    ("sla.holidays", ["节假日（每行一个日期）", "節假日（每行一個日期）", "Holidays (one date per line)"]),
    ("sla.extra_workdays", ["调休上班日（每行：日期 星期几）", "補班日（每行：日期 星期幾）", "Make-up workdays (per line: date weekday)"]),
    ("sla.extra_hint", ["例如 2026-10-10 friday（按周五的时段上班）", "例如 2026-10-10 friday（按週五的時段上班）", "e.g. 2026-10-10 friday (works Friday's hours)"]),
    ("sla.warning_share", ["提醒比例（%）", "提醒比例（%）", "Warning at (% of the target)"]),
    ("sla.follow_up_hours", ["解决后回访（小时）", "解決後回訪（小時）", "Follow-up after resolution (hours)"]),
    ("sla.follow_up_grace_hours", ["回访逾期宽限（小时）", "回訪逾期寬限（小時）", "Follow-up overdue after (hours)"]),
    ("sla.policies", ["时限策略", "時限策略", "Policies"]),
    ("sla.policies_hint", [
        "条件越具体越优先；未匹配任何策略时按优先级使用默认时限。时限单位：工作分钟。",
        "條件越具體越優先；未匹配任何策略時按優先級使用預設時限。時限單位：工作分鐘。",
        "The most specific match wins; with no match, the defaults for the priority apply. Targets in business minutes.",
    ]),
    ("sla.col.name", ["名称", "名稱", "Name"]),
    ("sla.col.type", ["投诉类型", "投訴類型", "Complaint type"]),
    ("sla.col.priority", ["优先级", "優先級", "Priority"]),
    ("sla.col.channel", ["渠道", "渠道", "Channel"]),
    ("sla.col.first", ["首次响应", "首次回應", "First response"]),
    ("sla.col.next", ["再次响应", "再次回應", "Next response"]),
    ("sla.col.resolution", ["解决", "解決", "Resolution"]),
    ("sla.col.lead", ["班长审批", "班長審批", "Lead step"]),
    ("sla.col.department", ["部门处理", "部門處理", "Department step"]),
    ("sla.col.agent", ["客服步骤", "客服步驟", "Agent step"]),
    ("sla.col.remove", ["删除", "刪除", "Remove"]),
    ("sla.any", ["任意", "任意", "Any"]),
    ("sla.new_policy", ["新增策略（填写名称即添加）", "新增策略（填寫名稱即新增）", "New policy (added when named)"]),
    ("sla.defaults", ["默认时限（工作分钟）", "預設時限（工作分鐘）", "Default targets (business minutes)"]),
    ("sla.error", ["未保存：", "未儲存：", "Not saved: "]),
    ("weekday.monday", ["周一", "週一", "Monday"]),
    ("weekday.tuesday", ["周二", "週二", "Tuesday"]),
    ("weekday.wednesday", ["周三", "週三", "Wednesday"]),
    ("weekday.thursday", ["周四", "週四", "Thursday"]),
    ("weekday.friday", ["周五", "週五", "Friday"]),
    ("weekday.saturday", ["周六", "週六", "Saturday"]),
    ("weekday.sunday", ["周日", "週日", "Sunday"]),
    ("admin.ok.sla_saved", ["SLA 设置已保存", "SLA 設定已儲存", "SLA settings saved"]),
];

/// A priority's wire spelling (`high`).
fn severity_name(severity: TicketSeverity) -> String {
    match serde_json::to_value(severity) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One policy row as the form shows it (text, so a refused form keeps what was typed).
pub(crate) struct PolicyRow {
    name: String,
    complaint_type: String,
    priority: String,
    channel: String,
    minutes: [String; 6],
}

pub(crate) struct SlaForm {
    time_zone: String,
    hours: [String; 7],
    holidays: String,
    extra_workdays: String,
    warning_percent: String,
    follow_up_hours: String,
    follow_up_grace_hours: String,
    policies: Vec<PolicyRow>,
}

fn targets_text(t: &SlaTargets) -> [String; 6] {
    [
        t.first_response_minutes,
        t.next_response_minutes,
        t.resolution_minutes,
        t.lead_step_minutes,
        t.department_step_minutes,
        t.agent_step_minutes,
    ]
    .map(|m| m.to_string())
}

fn blank_row() -> PolicyRow {
    PolicyRow {
        name: String::new(),
        complaint_type: String::new(),
        priority: String::new(),
        channel: String::new(),
        minutes: targets_text(&SlaTargets::default_for(TicketSeverity::Normal)),
    }
}

impl From<&SlaSettings> for SlaForm {
    fn from(s: &SlaSettings) -> Self {
        let h = &s.calendar.hours;
        let days = [&h.monday, &h.tuesday, &h.wednesday, &h.thursday, &h.friday, &h.saturday, &h.sunday];
        let mut policies: Vec<PolicyRow> = s
            .policies
            .iter()
            .map(|p| PolicyRow {
                name: p.name.clone(),
                complaint_type: p.complaint_type.map(|k| k.as_str().to_owned()).unwrap_or_default(),
                priority: p.priority.map(severity_name).unwrap_or_default(),
                channel: p.channel.map(|c| c.as_str().to_owned()).unwrap_or_default(),
                minutes: targets_text(&p.targets),
            })
            .collect();
        policies.push(blank_row());
        SlaForm {
            time_zone: s.calendar.time_zone.clone(),
            hours: days.map(|d| d.join(", ")),
            holidays: s.calendar.holidays.join("\n"),
            extra_workdays: s.calendar.extra_workdays.iter().map(|e| format!("{} {}", e.date, e.hours_of.name())).collect::<Vec<_>>().join("\n"),
            warning_percent: format!("{}", (s.warning_share * 100.0).round()),
            follow_up_hours: s.follow_up_hours.to_string(),
            follow_up_grace_hours: s.follow_up_grace_hours.to_string(),
            policies,
        }
    }
}

/// Why a form could not become settings (before the domain's own checks).
fn parse_form(f: &HashMap<String, String>) -> (SlaForm, Result<SlaSettings, String>) {
    let take = |name: &str, n: usize| -> String { field(f, name).trim().chars().take(n).collect() };
    let mut policies = Vec::new();
    for i in 0..=anxin_domain::sla::MAX_POLICIES {
        if !f.contains_key(&format!("name_{i}")) {
            break;
        }
        if !field(f, &format!("remove_{i}")).is_empty() {
            continue;
        }
        let row = PolicyRow {
            name: take(&format!("name_{i}"), 100),
            complaint_type: take(&format!("type_{i}"), 30),
            priority: take(&format!("priority_{i}"), 30),
            channel: take(&format!("channel_{i}"), 30),
            minutes: ["first", "next", "resolution", "lead", "department", "agent"].map(|k| take(&format!("{k}_{i}"), 12)),
        };
        policies.push(row);
    }
    let form = SlaForm {
        time_zone: take("time_zone", 64),
        hours: Weekday::ALL.map(|d| take(&format!("hours_{}", d.name()), 200)),
        holidays: take("holidays", 4000),
        extra_workdays: take("extra_workdays", 4000),
        warning_percent: take("warning_percent", 10),
        follow_up_hours: take("follow_up_hours", 10),
        follow_up_grace_hours: take("follow_up_grace_hours", 10),
        policies,
    };
    let settings = settings_from(&form);
    (form, settings)
}

/// An optional wire-spelled choice: empty is "any", anything else must be a known spelling.
fn pick<T: serde::de::DeserializeOwned>(text: &str) -> Result<Option<T>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map(Some).map_err(|_| ())
}

fn settings_from(form: &SlaForm) -> Result<SlaSettings, String> {
    let number = |text: &str, what: &str| text.parse::<u32>().map_err(|_| format!("{what}: {text:?} is not a whole number"));
    let mut hours = WeeklySpec::default();
    for (day, text) in Weekday::ALL.iter().zip(&form.hours) {
        let windows: Vec<String> = text.split([',', '，', ';', '；']).map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect();
        match day {
            Weekday::Monday => hours.monday = windows,
            Weekday::Tuesday => hours.tuesday = windows,
            Weekday::Wednesday => hours.wednesday = windows,
            Weekday::Thursday => hours.thursday = windows,
            Weekday::Friday => hours.friday = windows,
            Weekday::Saturday => hours.saturday = windows,
            Weekday::Sunday => hours.sunday = windows,
        }
    }
    let lines = |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let mut extra_workdays = Vec::new();
    for line in lines(&form.extra_workdays) {
        let mut parts = line.split_whitespace();
        let (Some(date), Some(day), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("{line:?}: write a date and a weekday, e.g. 2026-10-10 friday"));
        };
        let hours_of = Weekday::ALL.into_iter().find(|w| w.name().eq_ignore_ascii_case(day)).ok_or_else(|| format!("{day:?} is not a weekday"))?;
        extra_workdays.push(ExtraWorkdaySpec { date: date.to_owned(), hours_of });
    }
    let percent = form.warning_percent.parse::<f64>().map_err(|_| format!("warning share: {:?} is not a number", form.warning_percent))?;
    let mut policies = Vec::new();
    for row in &form.policies {
        if row.name.is_empty() {
            continue;
        }
        let complaint_type: Option<ComplaintType> = pick(&row.complaint_type).map_err(|_| format!("{}: unknown complaint type", row.name))?;
        let priority: Option<TicketSeverity> = pick(&row.priority).map_err(|_| format!("{}: unknown priority", row.name))?;
        let channel: Option<ChannelKind> = pick(&row.channel).map_err(|_| format!("{}: unknown channel", row.name))?;
        let m = &row.minutes;
        let targets = SlaTargets {
            first_response_minutes: number(&m[0], &row.name)?,
            next_response_minutes: number(&m[1], &row.name)?,
            resolution_minutes: number(&m[2], &row.name)?,
            lead_step_minutes: number(&m[3], &row.name)?,
            department_step_minutes: number(&m[4], &row.name)?,
            agent_step_minutes: number(&m[5], &row.name)?,
        };
        policies.push(SlaPolicy { name: row.name.clone(), complaint_type, priority, channel, targets });
    }
    Ok(SlaSettings {
        calendar: anxin_domain::calendar::CalendarSpec {
            time_zone: form.time_zone.clone(),
            hours,
            holidays: lines(&form.holidays),
            extra_workdays,
        },
        warning_share: percent / 100.0,
        follow_up_hours: number(&form.follow_up_hours, "follow-up hours")?,
        follow_up_grace_hours: number(&form.follow_up_grace_hours, "follow-up grace hours")?,
        policies,
    })
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct SlaPage {
    lang: Lang,
    langs: [Lang; 3],
    me: Option<MenuUser>,
    csrf: String,
    here: String,
    section: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    form: SlaForm,
    zones: [&'static str; 12],
    weekdays: [Weekday; 7],
    types: &'static [ComplaintType],
    priorities: [TicketSeverity; 4],
    channels: &'static [ChannelKind],
    defaults: Vec<(TicketSeverity, [String; 6])>,
}

impl SlaPage {
    fn new(v: &Viewer, csrf: String, me: MenuUser, form: SlaForm, error: Option<String>) -> SlaPage {
        SlaPage {
            lang: v.lang,
            langs: Lang::ALL,
            me: Some(me),
            csrf,
            here: percent_encode("/admin/sla"),
            section: "sla",
            notice: None,
            error,
            form,
            zones: SUPPORTED_ZONES,
            weekdays: Weekday::ALL,
            types: ComplaintType::ALL,
            priorities: TicketSeverity::ALL,
            channels: ChannelKind::ALL,
            defaults: TicketSeverity::ALL.iter().map(|s| (*s, targets_text(&SlaTargets::default_for(*s)))).collect(),
        }
    }

    fn spell(&self, severity: &TicketSeverity) -> String {
        severity_name(*severity)
    }
}

pub(super) async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let (v, p) = match gate(&state, &headers, q.lang.as_deref(), "/admin/sla", None).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let settings = match state.store.sla_settings(p.org_id).await {
        Ok(s) => s,
        Err(e) => return store_failed(e),
    };
    let me = menu_user(&state, &p).await;
    let mut page = SlaPage::new(&v, p.csrf_token.clone().unwrap_or_default(), me, SlaForm::from(&settings), None);
    page.notice = notice(v.lang, q.ok.as_deref());
    render(&page, StatusCode::OK)
}

pub(super) async fn save(State(state): State<AppState>, headers: HeaderMap, body: FormBody) -> Response {
    let f = fields(body);
    let (v, p) = match gate(&state, &headers, None, "/admin/sla", Some(field(&f, "csrf"))).await {
        Ok(ok) => ok,
        Err(r) => return r,
    };
    let (mut form, parsed) = parse_form(&f);
    let checked = parsed.and_then(|settings| {
        let sla = settings.validate().map_err(|e| e.to_string())?;
        if !zone_supported(sla.calendar.time_zone()) {
            return Err(format!("{}: not a time zone of the IANA database", sla.calendar.time_zone()));
        }
        Ok(sla)
    });
    match checked {
        Ok(sla) => match state.store.set_sla_settings(p.clone(), sla).await {
            Ok(_) => Redirect::to("/admin/sla?ok=sla_saved").into_response(),
            Err(e) => store_failed(e),
        },
        Err(reason) => {
            form.policies.push(blank_row());
            let me = menu_user(&state, &p).await;
            let page = SlaPage::new(&v, p.csrf_token.clone().unwrap_or_default(), me, form, Some(reason));
            render(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_default_settings_survive_a_round_trip_through_the_form() {
        let settings = SlaSettings::default();
        let shown = SlaForm::from(&settings);
        let mut f = form(&[
            ("time_zone", &shown.time_zone),
            ("holidays", ""),
            ("extra_workdays", ""),
            ("warning_percent", &shown.warning_percent),
            ("follow_up_hours", &shown.follow_up_hours),
            ("follow_up_grace_hours", &shown.follow_up_grace_hours),
        ]);
        for (day, hours) in Weekday::ALL.iter().zip(&shown.hours) {
            f.insert(format!("hours_{}", day.name()), hours.clone());
        }
        let (_, parsed) = parse_form(&f);
        assert_eq!(parsed.unwrap(), settings);
    }

    #[test]
    fn policies_removed_blank_or_malformed_are_handled() {
        let mut f = form(&[("time_zone", "Asia/Shanghai"), ("warning_percent", "80"), ("follow_up_hours", "48"), ("follow_up_grace_hours", "24")]);
        f.insert("hours_monday".into(), "09:00-18:00".into());
        let row = |f: &mut HashMap<String, String>, i: usize, name: &str, kind: &str, first: &str| {
            f.insert(format!("name_{i}"), name.into());
            f.insert(format!("type_{i}"), kind.into());
            for (k, v) in [("first", first), ("next", "60"), ("resolution", "600"), ("lead", "60"), ("department", "240"), ("agent", "60")] {
                f.insert(format!("{k}_{i}"), v.into());
            }
        };
        row(&mut f, 0, "物流", "logistics", "30");
        row(&mut f, 1, "", "", "30");
        row(&mut f, 2, "删掉的", "quality", "30");
        f.insert("remove_2".into(), "on".into());
        let settings = parse_form(&f).1.unwrap();
        assert_eq!(settings.policies.len(), 1);
        assert_eq!(settings.policies[0].complaint_type, Some(ComplaintType::Logistics));
        assert!((settings.warning_share - 0.8).abs() < 1e-9);

        row(&mut f, 0, "物流", "logistics", "半小时");
        assert!(parse_form(&f).1.unwrap_err().contains("whole number"));
        row(&mut f, 0, "物流", "<script>", "30");
        assert!(parse_form(&f).1.unwrap_err().contains("unknown complaint type"));
        f.insert("extra_workdays".into(), "2026-10-10 someday".into());
        row(&mut f, 0, "物流", "logistics", "30");
        assert!(parse_form(&f).1.unwrap_err().contains("not a weekday"));
    }
}
