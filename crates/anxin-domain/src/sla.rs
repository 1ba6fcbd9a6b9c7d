//! Service-level agreements for complaint tickets (PRODUCT.md §6): which targets apply to a ticket (by complaint
//! type, priority and channel), when its timers warn and breach, what a breach escalates to, and what a timer does
//! when the sweeper finds it due. Pure: deadlines come from [`crate::calendar`]; the store keeps the timers and
//! fires each at most once.

use serde::{Deserialize, Serialize};

use crate::calendar::{self, CalendarSpec, TimeZoneRules, WorkingCalendar, DEFAULT_WARNING_SHARE};
use crate::input::InputError;
use crate::model::{ChannelKind, ComplaintType};

/// How urgent a complaint is, as the agent judges it (and as a breach raises it). The SLA "priority".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSeverity {
    Low,
    Normal,
    High,
    Critical,
}

impl TicketSeverity {
    pub const ALL: [TicketSeverity; 4] = [TicketSeverity::Low, TicketSeverity::Normal, TicketSeverity::High, TicketSeverity::Critical];

    /// One step more urgent (a breach's automatic escalation); critical stays critical.
    pub fn raised(self) -> TicketSeverity {
        match self {
            TicketSeverity::Low => TicketSeverity::Normal,
            TicketSeverity::Normal => TicketSeverity::High,
            TicketSeverity::High | TicketSeverity::Critical => TicketSeverity::Critical,
        }
    }
}

/// The clocks a ticket runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// From opening to the first agent reply in the conversation.
    FirstResponse,
    /// From a customer message (after the first response) to the next agent reply.
    NextResponse,
    /// From opening (or reopening) to resolution.
    Resolution,
    /// The current workflow step, held by the lead, the department or the agent.
    Step,
    /// After resolution: confirm the fix with the customer. Warns when the task is due, "breaches" when overdue.
    /// Counted in wall-clock hours, not business hours (the customer's 48 hours).
    FollowUp,
}

impl TimerKind {
    pub const ALL: [TimerKind; 5] =
        [TimerKind::FirstResponse, TimerKind::NextResponse, TimerKind::Resolution, TimerKind::Step, TimerKind::FollowUp];

    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::FirstResponse => "first_response",
            TimerKind::NextResponse => "next_response",
            TimerKind::Resolution => "resolution",
            TimerKind::Step => "step",
            TimerKind::FollowUp => "follow_up",
        }
    }

    pub fn parse(text: &str) -> Option<TimerKind> {
        TimerKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether a breach of this clock escalates the ticket (a late follow-up is listed as overdue instead).
    pub fn escalates(self) -> bool {
        self != TimerKind::FollowUp
    }
}

/// Where a ticket stands against its clocks, worst first when several run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// No clock runs (closed, cancelled, or opened before SLAs existed).
    None,
    /// Within every target.
    Ok,
    /// A clock passed its warning share.
    Warning,
    /// A clock passed its target.
    Breached,
}

impl SlaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaStatus::None => "none",
            SlaStatus::Ok => "ok",
            SlaStatus::Warning => "warning",
            SlaStatus::Breached => "breached",
        }
    }

    pub fn parse(text: &str) -> Option<SlaStatus> {
        [SlaStatus::None, SlaStatus::Ok, SlaStatus::Warning, SlaStatus::Breached].into_iter().find(|s| s.as_str() == text)
    }
}

/// Targets in business minutes (the follow-up in wall-clock hours lives in [`SlaSettings`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    pub first_response_minutes: u32,
    pub next_response_minutes: u32,
    pub resolution_minutes: u32,
    /// The lead's approval step.
    pub lead_step_minutes: u32,
    /// The department's investigation step.
    pub department_step_minutes: u32,
    /// The agent's steps (tell the customer, resolve, resubmit).
    pub agent_step_minutes: u32,
}

impl SlaTargets {
    /// Defaults by priority, in business minutes (a working day of the default calendar is 8 h = 480 min).
    pub fn default_for(severity: TicketSeverity) -> SlaTargets {
        let (first, next, resolution, lead, department, agent) = match severity {
            TicketSeverity::Critical => (15, 30, 240, 30, 120, 30),
            TicketSeverity::High => (30, 60, 480, 60, 240, 60),
            TicketSeverity::Normal => (60, 120, 1440, 120, 960, 120),
            TicketSeverity::Low => (240, 480, 2400, 480, 1440, 480),
        };
        SlaTargets {
            first_response_minutes: first,
            next_response_minutes: next,
            resolution_minutes: resolution,
            lead_step_minutes: lead,
            department_step_minutes: department,
            agent_step_minutes: agent,
        }
    }

    /// The target of a clock in milliseconds (`None` for the follow-up, which is not in business time).
    pub fn target_ms(&self, kind: TimerKind, holder: Option<crate::complaint::TicketActor>) -> Option<i64> {
        use crate::complaint::TicketActor;
        let minutes = match kind {
            TimerKind::FirstResponse => self.first_response_minutes,
            TimerKind::NextResponse => self.next_response_minutes,
            TimerKind::Resolution => self.resolution_minutes,
            TimerKind::Step => match holder? {
                TicketActor::Lead | TicketActor::Admin => self.lead_step_minutes,
                TicketActor::Handler => self.department_step_minutes,
                TicketActor::Agent => self.agent_step_minutes,
            },
            TimerKind::FollowUp => return None,
        };
        Some(i64::from(minutes) * 60_000)
    }

    fn validate(&self, field: &'static str) -> Result<(), InputError> {
        let all = [
            self.first_response_minutes,
            self.next_response_minutes,
            self.resolution_minutes,
            self.lead_step_minutes,
            self.department_step_minutes,
            self.agent_step_minutes,
        ];
        if all.iter().any(|&m| m == 0 || m > MAX_TARGET_MINUTES) {
            return Err(InputError::new(field, "invalid_target", format!("targets are 1 to {MAX_TARGET_MINUTES} business minutes")));
        }
        Ok(())
    }
}

/// A year of business minutes is more than any complaint should wait.
pub const MAX_TARGET_MINUTES: u32 = 525_600;

/// One policy: the targets for tickets matching every condition given (a condition left out matches all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_type: Option<ComplaintType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TicketSeverity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKind>,
    #[serde(flatten)]
    pub targets: SlaTargets,
}

impl SlaPolicy {
    fn matches(&self, kind: ComplaintType, priority: TicketSeverity, channel: Option<ChannelKind>) -> bool {
        self.complaint_type.is_none_or(|k| k == kind)
            && self.priority.is_none_or(|p| p == priority)
            && self.channel.is_none_or(|c| Some(c) == channel)
    }

    fn specificity(&self) -> usize {
        usize::from(self.complaint_type.is_some()) + usize::from(self.priority.is_some()) + usize::from(self.channel.is_some())
    }
}

/// An organisation's SLA settings as stored and as an admin submits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    #[serde(default = "default_calendar")]
    pub calendar: CalendarSpec,
    /// The share of a target at which the warning fires (0 < share < 1).
    #[serde(default = "default_share")]
    pub warning_share: f64,
    /// Wall-clock hours from resolution to the follow-up.
    #[serde(default = "default_follow_up_hours")]
    pub follow_up_hours: u32,
    /// Wall-clock hours after which a due follow-up counts as overdue (and shows on the lead's list).
    #[serde(default = "default_follow_up_grace_hours")]
    pub follow_up_grace_hours: u32,
    /// Most specific match wins; ties go to the earlier policy. No match: the defaults by priority.
    #[serde(default)]
    pub policies: Vec<SlaPolicy>,
}

fn default_share() -> f64 {
    DEFAULT_WARNING_SHARE
}

fn default_follow_up_hours() -> u32 {
    48
}

fn default_follow_up_grace_hours() -> u32 {
    24
}

/// The default working calendar: Monday to Friday 09:00–18:00 with a lunch break, Saturday 10:00–16:00, in
/// Asia/Shanghai — an e-commerce service desk's usual week.
pub fn default_calendar() -> CalendarSpec {
    let day = || vec!["09:00-12:00".to_owned(), "13:00-18:00".to_owned()];
    CalendarSpec {
        time_zone: calendar::DEFAULT_TIME_ZONE.to_owned(),
        hours: calendar::WeeklySpec {
            monday: day(),
            tuesday: day(),
            wednesday: day(),
            thursday: day(),
            friday: day(),
            saturday: vec!["10:00-16:00".to_owned()],
            sunday: Vec::new(),
        },
        holidays: Vec::new(),
        extra_workdays: Vec::new(),
    }
}

impl Default for SlaSettings {
    fn default() -> Self {
        SlaSettings {
            calendar: default_calendar(),
            warning_share: DEFAULT_WARNING_SHARE,
            follow_up_hours: default_follow_up_hours(),
            follow_up_grace_hours: default_follow_up_grace_hours(),
            policies: Vec::new(),
        }
    }
}

/// Settings checked and ready for arithmetic.
#[derive(Debug, Clone)]
pub struct Sla {
    pub settings: SlaSettings,
    pub calendar: WorkingCalendar,
}

/// Most policies an organisation keeps (they are scanned per ticket).
pub const MAX_POLICIES: usize = 200;

impl SlaSettings {
    /// Checks everything an admin can get wrong: a calendar with no working hours (or any calendar error), a
    /// warning share outside (0, 1), zero or huge targets, follow-up hours outside 1..=720, unnamed or too many
    /// policies.
    pub fn validate(self) -> Result<Sla, InputError> {
        let calendar = WorkingCalendar::try_from(self.calendar.clone())?;
        if !(self.warning_share > 0.0 && self.warning_share < 1.0) {
            return Err(InputError::new("warning_share", "out_of_range", "the warning share is between 0 and 1, e.g. 0.75"));
        }
        for (field, hours) in [("follow_up_hours", self.follow_up_hours), ("follow_up_grace_hours", self.follow_up_grace_hours)] {
            if !(1..=720).contains(&hours) {
                return Err(InputError::new(field, "out_of_range", "between 1 and 720 hours"));
            }
        }
        if self.policies.len() > MAX_POLICIES {
            return Err(InputError::new("policies", "too_many", format!("at most {MAX_POLICIES} policies")));
        }
        for policy in &self.policies {
            let name = policy.name.trim();
            if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
                return Err(InputError::new("policies", "invalid_name", "every policy has a name of 1–80 characters"));
            }
            policy.targets.validate("policies")?;
        }
        Ok(Sla { settings: self, calendar })
    }
}

impl Sla {
    /// The targets for a ticket and the policy that gave them (`None`: the defaults for its priority).
    pub fn targets_for(&self, kind: ComplaintType, priority: TicketSeverity, channel: Option<ChannelKind>) -> (SlaTargets, Option<&str>) {
        let mut best: Option<&SlaPolicy> = None;
        for policy in self.settings.policies.iter().filter(|p| p.matches(kind, priority, channel)) {
            if best.is_none_or(|b| policy.specificity() > b.specificity()) {
                best = Some(policy);
            }
        }
        match best {
            Some(policy) => (policy.targets, Some(policy.name.as_str())),
            None => (SlaTargets::default_for(priority), None),
        }
    }

    /// A business-time clock started at `start_ms`: its warning instant and its deadline. A deadline beyond the
    /// calendar's horizon (cannot happen with validated targets) falls back to wall-clock time.
    pub fn business_clock(&self, zone: &dyn TimeZoneRules, start_ms: i64, target_ms: i64) -> Deadlines {
        let due_at = calendar::add_business(&self.calendar, zone, start_ms, target_ms).unwrap_or(start_ms + target_ms);
        let warn_at = calendar::warning_at(&self.calendar, zone, start_ms, target_ms, self.settings.warning_share).unwrap_or(due_at);
        Deadlines { target_ms, warn_at: Some(warn_at.min(due_at)), due_at }
    }

    /// The follow-up after a resolution at `resolved_ms`: due (the "warning") after `follow_up_hours`, overdue (the
    /// "breach") `follow_up_grace_hours` later. Wall-clock time.
    pub fn follow_up_clock(&self, resolved_ms: i64) -> Deadlines {
        let due = resolved_ms + i64::from(self.settings.follow_up_hours) * 3_600_000;
        Deadlines {
            target_ms: due - resolved_ms,
            warn_at: Some(due),
            due_at: due + i64::from(self.settings.follow_up_grace_hours) * 3_600_000,
        }
    }
}

/// When a clock warns and breaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub target_ms: i64,
    pub warn_at: Option<i64>,
    pub due_at: i64,
}

/// A running timer as the sweeper reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerState {
    pub warn_at: Option<i64>,
    pub due_at: i64,
    pub warned: bool,
    pub breached: bool,
}

/// What the sweeper does with a timer at `now`: fire the warning, the breach (both when the server was down
/// through both), and when to look again (`None`: the timer is spent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    pub warn: bool,
    pub breach: bool,
    pub next_fire_at: Option<i64>,
}

/// The next instant a timer needs attention, given what has fired.
pub fn next_fire_at(timer: &TimerState) -> Option<i64> {
    if timer.breached {
        return None;
    }
    match timer.warn_at {
        Some(warn) if !timer.warned && warn < timer.due_at => Some(warn),
        _ => Some(timer.due_at),
    }
}

/// What fires at `now`. A breach implies its warning (a warning is never sent after the breach it foretold), so a
/// timer overdue on restart fires only the breach.
pub fn fire(timer: &TimerState, now: i64) -> Firing {
    let breach = !timer.breached && now >= timer.due_at;
    let warn = !timer.warned && !breach && !timer.breached && timer.warn_at.is_some_and(|w| now >= w);
    let after = TimerState { warned: timer.warned || warn || breach, breached: timer.breached || breach, ..*timer };
    Firing { warn, breach, next_fire_at: next_fire_at(&after) }
}

/// A ticket's status from its running clocks at `now` (worst wins); `None` when no clock runs.
pub fn status<'a>(running: impl IntoIterator<Item = &'a TimerState>, now: i64) -> SlaStatus {
    let mut worst = SlaStatus::None;
    for timer in running {
        let this = if timer.breached || now >= timer.due_at {
            SlaStatus::Breached
        } else if timer.warned || timer.warn_at.is_some_and(|w| now >= w) {
            SlaStatus::Warning
        } else {
            SlaStatus::Ok
        };
        worst = worst.max(this);
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::FixedOffset;

    const HOUR: i64 = 3_600_000;
    /// Monday 2026-11-23 09:00 in Shanghai (01:00 UTC).
    const MONDAY_9: i64 = 1_795_395_600_000;

    fn policy(name: &str, kind: Option<ComplaintType>, priority: Option<TicketSeverity>, channel: Option<ChannelKind>, resolution: u32) -> SlaPolicy {
        let mut targets = SlaTargets::default_for(TicketSeverity::Normal);
        targets.resolution_minutes = resolution;
        SlaPolicy { name: name.into(), complaint_type: kind, priority, channel, targets }
    }

    #[test]
    fn the_most_specific_policy_wins_and_ties_go_to_the_first() {
        let settings = SlaSettings {
            policies: vec![
                policy("all logistics", Some(ComplaintType::Logistics), None, None, 600),
                policy("urgent", None, Some(TicketSeverity::High), None, 300),
                policy("urgent logistics by mail", Some(ComplaintType::Logistics), Some(TicketSeverity::High), Some(ChannelKind::Email), 100),
                policy("urgent again", None, Some(TicketSeverity::High), None, 999),
            ],
            ..SlaSettings::default()
        };
        let sla = settings.validate().unwrap();
        let name = |k, p, c| sla.targets_for(k, p, c).1.map(str::to_owned);
        assert_eq!(name(ComplaintType::Logistics, TicketSeverity::High, Some(ChannelKind::Email)).as_deref(), Some("urgent logistics by mail"));
        assert_eq!(name(ComplaintType::Logistics, TicketSeverity::High, Some(ChannelKind::WebChat)).as_deref(), Some("all logistics"));
        assert_eq!(name(ComplaintType::Quality, TicketSeverity::High, None).as_deref(), Some("urgent"));
        assert_eq!(name(ComplaintType::Quality, TicketSeverity::Low, None), None);
        assert_eq!(sla.targets_for(ComplaintType::Quality, TicketSeverity::Low, None).0, SlaTargets::default_for(TicketSeverity::Low));
    }

    #[test]
    fn defaults_tighten_with_priority() {
        for pair in TicketSeverity::ALL.windows(2) {
            let (lower, higher) = (SlaTargets::default_for(pair[0]), SlaTargets::default_for(pair[1]));
            assert!(higher.first_response_minutes < lower.first_response_minutes);
            assert!(higher.resolution_minutes < lower.resolution_minutes);
            assert!(higher.department_step_minutes < lower.department_step_minutes);
        }
        assert_eq!(TicketSeverity::Low.raised(), TicketSeverity::Normal);
        assert_eq!(TicketSeverity::Critical.raised(), TicketSeverity::Critical);
    }

    #[test]
    fn bad_settings_are_refused_with_the_field() {
        let mut no_hours = SlaSettings::default();
        no_hours.calendar.hours = calendar::WeeklySpec::default();
        assert_eq!(no_hours.validate().unwrap_err().code, "no_working_hours");
        for share in [0.0, 1.0, -0.5, f64::NAN, 7.0] {
            let settings = SlaSettings { warning_share: share, ..SlaSettings::default() };
            assert_eq!(settings.validate().unwrap_err().field, "warning_share", "{share}");
        }
        let mut zero = SlaSettings::default();
        zero.policies.push(policy("zero", None, None, None, 0));
        assert_eq!(zero.validate().unwrap_err().code, "invalid_target");
        let mut unnamed = SlaSettings::default();
        unnamed.policies.push(policy("  ", None, None, None, 60));
        assert_eq!(unnamed.validate().unwrap_err().code, "invalid_name");
        let follow = SlaSettings { follow_up_hours: 0, ..SlaSettings::default() };
        assert_eq!(follow.validate().unwrap_err().field, "follow_up_hours");
        let json = r#"{"warning_share": 0.5, "unknown": 1}"#;
        assert!(serde_json::from_str::<SlaSettings>(json).is_err());
    }

    #[test]
    fn a_business_clock_skips_the_lunch_break_and_the_night() {
        let sla = SlaSettings::default().validate().unwrap();
        let zone = FixedOffset::ASIA_SHANGHAI;
        // Monday 11:00 + 4 business hours: 11–12, 13–16 → 16:00; warning at 75% = 3 h → 15:00.
        let clock = sla.business_clock(&zone, MONDAY_9 + 2 * HOUR, 4 * HOUR);
        assert_eq!(clock.due_at, MONDAY_9 + 7 * HOUR);
        assert_eq!(clock.warn_at, Some(MONDAY_9 + 6 * HOUR));
        // Monday 17:00 + 2 business hours: 17–18, then Tuesday 09–10.
        let evening = sla.business_clock(&zone, MONDAY_9 + 8 * HOUR, 2 * HOUR);
        assert_eq!(evening.due_at, MONDAY_9 + 25 * HOUR);
        // Follow-up: wall-clock 48 h, overdue 24 h later.
        let follow = sla.follow_up_clock(MONDAY_9);
        assert_eq!((follow.warn_at, follow.due_at), (Some(MONDAY_9 + 48 * HOUR), MONDAY_9 + 72 * HOUR));
    }

    #[test]
    fn each_firing_happens_once_and_a_late_sweep_fires_only_the_breach() {
        let fresh = TimerState { warn_at: Some(75), due_at: 100, warned: false, breached: false };
        assert_eq!(next_fire_at(&fresh), Some(75));
        assert_eq!(fire(&fresh, 50), Firing { warn: false, breach: false, next_fire_at: Some(75) });
        assert_eq!(fire(&fresh, 75), Firing { warn: true, breach: false, next_fire_at: Some(100) });
        let warned = TimerState { warned: true, ..fresh };
        assert_eq!(fire(&warned, 80), Firing { warn: false, breach: false, next_fire_at: Some(100) });
        assert_eq!(fire(&warned, 100), Firing { warn: false, breach: true, next_fire_at: None });
        // Down through both instants: the breach alone.
        assert_eq!(fire(&fresh, 500), Firing { warn: false, breach: true, next_fire_at: None });
        let spent = TimerState { warned: true, breached: true, ..fresh };
        assert_eq!(fire(&spent, 1_000), Firing { warn: false, breach: false, next_fire_at: None });
        // A warning at the deadline itself is no warning.
        let flat = TimerState { warn_at: Some(100), due_at: 100, warned: false, breached: false };
        assert_eq!(next_fire_at(&flat), Some(100));
        assert_eq!(fire(&flat, 100), Firing { warn: false, breach: true, next_fire_at: None });
    }

    #[test]
    fn status_is_the_worst_running_clock() {
        let ok = TimerState { warn_at: Some(75), due_at: 100, warned: false, breached: false };
        let late = TimerState { warn_at: Some(10), due_at: 20, warned: true, breached: true };
        assert_eq!(status([], 0), SlaStatus::None);
        assert_eq!(status([&ok], 50), SlaStatus::Ok);
        assert_eq!(status([&ok], 80), SlaStatus::Warning);
        assert_eq!(status([&ok, &late], 50), SlaStatus::Breached);
        assert_eq!(status([&ok], 100), SlaStatus::Breached);
    }

    #[test]
    fn wire_spellings_round_trip() {
        for kind in TimerKind::ALL {
            assert_eq!(TimerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
        }
        for status in [SlaStatus::None, SlaStatus::Ok, SlaStatus::Warning, SlaStatus::Breached] {
            assert_eq!(SlaStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(TimerKind::parse("Resolution"), None);
    }
}
