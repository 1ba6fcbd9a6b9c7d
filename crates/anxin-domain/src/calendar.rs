//! Business-hours arithmetic for SLAs (PRODUCT.md §6): working calendars, deadlines in business time.
//!
//! An SLA target such as "first response within 4 business hours" counts only the time the organisation is open.
//! A [`WorkingCalendar`] says when that is, in local wall-clock time: windows per weekday, closed holidays and
//! make-up workdays (调休). [`add_business`] turns a start instant and a target into the deadline the server
//! stores, [`warning_at`] into the instant of the warning, [`business_between`] measures elapsed business time and
//! [`is_open`] answers for one instant.
//!
//! Invariants:
//! - Instants are Unix milliseconds (UTC). An instant is open when its local wall-clock time falls in a window of
//!   its local date, and business time is real elapsed time while open. So a window spanning a daylight-saving
//!   change is an hour shorter or longer, a local time that does not exist is never open, and a local time that
//!   occurs twice is open twice.
//! - A calendar has some weekly hours (refused otherwise) and finitely many holidays, so it always opens again.
//! - `business_between(s, add_business(s, t)) == t`, and deadlines never decrease when the start or the target
//!   grows.
//! - Pure: no clock and no tz database. The time zone comes in as [`TimeZoneRules`]: [`FixedOffset`] covers the
//!   zones without daylight saving that Anxin's customers use (Asia/Shanghai and its neighbours); for any other
//!   zone the server must plug in an implementation backed by a tz database. A calendar only stores the zone's name.
//!
//! Cost: one step per local day walked (from the start to the deadline, or between the two instants measured), so
//! 1,000 business hours or a year of holidays are a few hundred steps; a deadline further than [`HORIZON_MS`] away
//! is reported as `None` instead of searched for.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::input::InputError;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Share of an SLA target at which the warning falls, unless the policy says otherwise.
pub const DEFAULT_WARNING_SHARE: f64 = 0.75;

/// The zone a calendar is in unless it says otherwise.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// How far after the start [`add_business`] looks for a deadline: a century of calendar time. Only a target no SLA
/// policy should have goes further, and the bound keeps every call short.
pub const HORIZON_MS: i64 = 36_525 * DAY_MS;

/// Instants are meaningful from year 1 to year 9999; outside, they are clamped so that no arithmetic overflows.
const EARLIEST_MS: i64 = -62_135_596_800_000;
const LATEST_MS: i64 = 253_402_300_799_999;

// ---------------------------------------------------------------------------------------------------------------
// Time zones

/// How a time zone maps instants to local wall-clock time.
pub trait TimeZoneRules {
    /// Seconds to add to UTC to get local wall-clock time at this instant (Asia/Shanghai: +28,800).
    fn offset_secs_at(&self, utc_ms: i64) -> i32;

    /// The first instant in `(after_ms, until_ms]` whose offset differs from the offset at `after_ms`, if any.
    ///
    /// The default bisects [`offset_secs_at`](Self::offset_secs_at), assuming the offset changes at most once in the
    /// span. That holds for every real zone over the at most one-day spans this module asks about; an
    /// implementation with a transition table may answer from it instead.
    fn next_change(&self, after_ms: i64, until_ms: i64) -> Option<i64> {
        let before = self.offset_secs_at(after_ms);
        if until_ms <= after_ms || self.offset_secs_at(until_ms) == before {
            return None;
        }
        // The offset is `before` at `low` and differs at `high`.
        let (mut low, mut high) = (after_ms, until_ms);
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if self.offset_secs_at(middle) == before {
                low = middle;
            } else {
                high = middle;
            }
        }
        Some(high)
    }
}

/// A zone whose offset never changes. Shanghai, Hong Kong, Taipei, Singapore, Tokyo and Seoul have kept theirs since
/// 1992 at the latest, which is all that deadlines from now on need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedOffset {
    secs: i32,
}

impl FixedOffset {
    pub const UTC: FixedOffset = FixedOffset { secs: 0 };
    /// China Standard Time, UTC+8: the default zone.
    pub const ASIA_SHANGHAI: FixedOffset = FixedOffset { secs: 8 * 3600 };

    /// An offset east of UTC in seconds; `None` beyond ±18 hours.
    pub fn east_secs(secs: i32) -> Option<Self> {
        (secs.abs() <= 18 * 3600).then_some(FixedOffset { secs })
    }

    /// The fixed-offset zones Anxin's customers use, by IANA name; `None` for any other zone, which needs a tz
    /// database (daylight saving).
    pub fn for_name(name: &str) -> Option<Self> {
        let hours = match name {
            "UTC" | "Etc/UTC" => 0,
            "Asia/Shanghai" | "Asia/Hong_Kong" | "Asia/Taipei" | "Asia/Singapore" => 8,
            "Asia/Tokyo" | "Asia/Seoul" => 9,
            _ => return None,
        };
        Some(FixedOffset { secs: hours * 3600 })
    }

    pub fn secs(self) -> i32 {
        self.secs
    }
}

impl Default for FixedOffset {
    fn default() -> Self {
        FixedOffset::ASIA_SHANGHAI
    }
}

impl TimeZoneRules for FixedOffset {
    fn offset_secs_at(&self, _utc_ms: i64) -> i32 {
        self.secs
    }

    fn next_change(&self, _after_ms: i64, _until_ms: i64) -> Option<i64> {
        None
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Civil dates

/// Days since 1970-01-01 of a proleptic Gregorian date: Howard Hinnant's `days_from_civil`
/// ("chrono-Compatible Low-Level Date Algorithms"). Years are shifted to start in March so that the leap day is the
/// last day of its year.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0..=399
    let month_from_march = i64::from((month + 9) % 12); // March = 0
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year; // 0..=146_096
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097; // 0..=146_096
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    /// The weekday of a day number (days since 1970-01-01, a Thursday).
    pub fn of_day(day: i64) -> Weekday {
        Weekday::ALL[(day + 3).rem_euclid(7) as usize]
    }

    pub fn name(self) -> &'static str {
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][self.index()]
    }

    /// The field an error about this day's hours names.
    fn hours_field(self) -> &'static str {
        [
            "hours.monday",
            "hours.tuesday",
            "hours.wednesday",
            "hours.thursday",
            "hours.friday",
            "hours.saturday",
            "hours.sunday",
        ][self.index()]
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A calendar date without a zone (a holiday is a local date), proleptic Gregorian, years 1–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    year: i32,
    month: u8,
    day: u8,
}

impl LocalDate {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid =
            (1..=9999).contains(&year) && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(LocalDate { year, month, day })
    }

    /// `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shaped {
            return None;
        }
        LocalDate::new(text[0..4].parse().ok()?, text[5..7].parse().ok()?, text[8..10].parse().ok()?)
    }

    /// Days since 1970-01-01.
    pub fn day_number(self) -> i64 {
        days_from_civil(i64::from(self.year), u32::from(self.month), u32::from(self.day))
    }

    /// The date of a day number; years outside 1–9999 are clamped.
    pub fn from_day_number(day: i64) -> Self {
        let first = days_from_civil(1, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let (year, month, day) = civil_from_days(day.clamp(first, last));
        LocalDate { year: year as i32, month: month as u8, day: day as u8 }
    }

    pub fn weekday(self) -> Weekday {
        Weekday::of_day(self.day_number())
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Working calendars

/// Opening hours within one local day: from `start` up to (not including) `end`, in minutes after local midnight;
/// `end` may be 24:00. Hours that cross midnight are two windows, one on each day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    start: u16,
    end: u16,
}

impl Window {
    /// `None` unless `start < end <= 1440`.
    pub fn new(start_minute: u16, end_minute: u16) -> Option<Self> {
        (start_minute < end_minute && end_minute <= MINUTES_PER_DAY)
            .then_some(Window { start: start_minute, end: end_minute })
    }

    /// `HH:MM-HH:MM`, e.g. `09:00-18:00` or `22:00-24:00`.
    pub fn parse(text: &str) -> Option<Self> {
        let (start, end) = text.split_once('-')?;
        Window::new(parse_clock(start)?, parse_clock(end)?)
    }

    pub fn start_minute(self) -> u16 {
        self.start
    }

    pub fn end_minute(self) -> u16 {
        self.end
    }

    fn start_ms(self) -> i64 {
        i64::from(self.start) * MINUTE_MS
    }

    fn end_ms(self) -> i64 {
        i64::from(self.end) * MINUTE_MS
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (start, end) = (self.start, self.end);
        write!(f, "{:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60)
    }
}

/// `HH:MM` from 00:00 to 24:00, as minutes after midnight.
fn parse_clock(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 || !text.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

/// When an organisation works, in local wall-clock time: windows per weekday, closed holidays, and make-up workdays
/// that work with another weekday's hours (China's 调休 Saturdays).
///
/// Always valid: some weekly hours, each day's windows sorted and not overlapping, no date both a holiday and a
/// make-up workday, and every make-up workday borrowing a weekday that has hours. Stored as JSON
/// ([`CalendarSpec`]); parsing a stored calendar checks all of this again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct WorkingCalendar {
    time_zone: String,
    /// Monday first.
    weekly: [Vec<Window>; 7],
    /// Local day numbers, sorted, without duplicates.
    holidays: Vec<i64>,
    /// Local day numbers with the weekday whose hours they work, sorted by day.
    extra_workdays: Vec<(i64, Weekday)>,
}

impl Default for WorkingCalendar {
    /// Monday to Friday, 09:00–18:00, in Asia/Shanghai.
    fn default() -> Self {
        let office = vec![Window { start: 9 * 60, end: 18 * 60 }];
        let mut weekly: [Vec<Window>; 7] = Default::default();
        for day in &mut weekly[..5] {
            *day = office.clone();
        }
        WorkingCalendar {
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            weekly,
            holidays: Vec::new(),
            extra_workdays: Vec::new(),
        }
    }
}

impl WorkingCalendar {
    /// A calendar in [`DEFAULT_TIME_ZONE`]. `weekly` is Monday first; windows may come in any order. Refused: a week
    /// without hours, overlapping windows (naming the day), a date both holiday and make-up workday, a make-up
    /// workday borrowing a day without hours, the same make-up workday twice.
    pub fn new(
        weekly: [Vec<Window>; 7],
        holidays: Vec<LocalDate>,
        extra_workdays: Vec<(LocalDate, Weekday)>,
    ) -> Result<Self, InputError> {
        let mut weekly = weekly;
        for weekday in Weekday::ALL {
            let hours = &mut weekly[weekday.index()];
            hours.sort();
            if let Some(pair) = hours.windows(2).find(|pair| pair[1].start < pair[0].end) {
                return Err(InputError::new(
                    weekday.hours_field(),
                    "overlapping_windows",
                    format!("{} overlaps {} on {}", pair[0], pair[1], weekday.name()),
                ));
            }
        }
        if weekly.iter().all(Vec::is_empty) {
            return Err(InputError::new("hours", "no_working_hours", "the calendar has no working hours in the week"));
        }

        let mut holidays: Vec<i64> = holidays.into_iter().map(LocalDate::day_number).collect();
        holidays.sort_unstable();
        holidays.dedup();

        let mut extra: Vec<(i64, Weekday)> =
            extra_workdays.into_iter().map(|(date, hours_of)| (date.day_number(), hours_of)).collect();
        extra.sort_unstable();
        if let Some(pair) = extra.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            let date = LocalDate::from_day_number(pair[0].0);
            return Err(InputError::new("extra_workdays", "duplicate_date", format!("{date} is listed twice")));
        }
        for &(day, hours_of) in &extra {
            let date = LocalDate::from_day_number(day);
            if holidays.binary_search(&day).is_ok() {
                return Err(InputError::new(
                    "extra_workdays",
                    "holiday_and_workday",
                    format!("{date} is both a holiday and a make-up workday"),
                ));
            }
            if weekly[hours_of.index()].is_empty() {
                return Err(InputError::new(
                    "extra_workdays",
                    "no_hours_to_borrow",
                    format!("{date} works {}'s hours, but {} has none", hours_of.name(), hours_of.name()),
                ));
            }
        }
        Ok(WorkingCalendar { time_zone: DEFAULT_TIME_ZONE.to_owned(), weekly, holidays, extra_workdays: extra })
    }

    /// The same calendar in another zone, by IANA name (`Asia/Tokyo`, `Europe/Berlin`). Only the name's shape is
    /// checked here; the server must refuse names it cannot turn into [`TimeZoneRules`].
    pub fn in_time_zone(mut self, name: &str) -> Result<Self, InputError> {
        let shaped = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-'));
        if !shaped {
            return Err(InputError::new("time_zone", "invalid", "an IANA time zone name such as Asia/Shanghai"));
        }
        self.time_zone = name.to_owned();
        Ok(self)
    }

    /// The IANA name of the calendar's zone; the caller resolves it into [`TimeZoneRules`].
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// The regular hours of a weekday, sorted.
    pub fn hours_on(&self, weekday: Weekday) -> &[Window] {
        &self.weekly[weekday.index()]
    }

    /// The hours that apply on a date: none on a holiday, the borrowed weekday's on a make-up workday.
    pub fn hours_on_date(&self, date: LocalDate) -> &[Window] {
        self.windows_on(date.day_number())
    }

    pub fn holidays(&self) -> impl Iterator<Item = LocalDate> + '_ {
        self.holidays.iter().map(|&day| LocalDate::from_day_number(day))
    }

    pub fn extra_workdays(&self) -> impl Iterator<Item = (LocalDate, Weekday)> + '_ {
        self.extra_workdays.iter().map(|&(day, hours_of)| (LocalDate::from_day_number(day), hours_of))
    }

    fn windows_on(&self, day: i64) -> &[Window] {
        if self.holidays.binary_search(&day).is_ok() {
            return &[];
        }
        let weekday = match self.extra_workdays.binary_search_by_key(&day, |&(extra, _)| extra) {
            Ok(i) => self.extra_workdays[i].1,
            Err(_) => Weekday::of_day(day),
        };
        &self.weekly[weekday.index()]
    }
}

/// A calendar as stored and as an admin submits it: hours as `HH:MM-HH:MM`, dates as `YYYY-MM-DD`.
///
/// ```json
/// {"time_zone": "Asia/Shanghai",
///  "hours": {"monday": ["09:00-12:00", "13:30-18:00"], "saturday": ["10:00-16:00"]},
///  "holidays": ["2026-10-01", "2026-10-02"],
///  "extra_workdays": [{"date": "2026-10-10", "hours_of": "friday"}]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default)]
    pub hours: WeeklySpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_workdays: Vec<ExtraWorkdaySpec>,
}

fn default_time_zone() -> String {
    DEFAULT_TIME_ZONE.to_owned()
}

/// Windows per weekday; a day left out is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklySpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub monday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tuesday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wednesday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thursday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub friday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub saturday: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sunday: Vec<String>,
}

impl WeeklySpec {
    fn day_mut(&mut self, weekday: Weekday) -> &mut Vec<String> {
        match weekday {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }
}

/// A make-up workday: a date that works with the hours of `hours_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraWorkdaySpec {
    pub date: String,
    pub hours_of: Weekday,
}

impl TryFrom<CalendarSpec> for WorkingCalendar {
    type Error = InputError;

    fn try_from(mut spec: CalendarSpec) -> Result<Self, InputError> {
        let mut weekly: [Vec<Window>; 7] = Default::default();
        for weekday in Weekday::ALL {
            for text in spec.hours.day_mut(weekday).iter() {
                let window = Window::parse(text).ok_or_else(|| {
                    let inverted = text.split_once('-').and_then(|(a, b)| Some((parse_clock(a)?, parse_clock(b)?)));
                    match inverted {
                        Some(_) => InputError::new(
                            weekday.hours_field(),
                            "inverted_window",
                            format!("{text} on {} does not end after it starts", weekday.name()),
                        ),
                        None => InputError::new(
                            weekday.hours_field(),
                            "invalid_window",
                            format!("{text:?} on {} is not HH:MM-HH:MM within 00:00-24:00", weekday.name()),
                        ),
                    }
                })?;
                weekly[weekday.index()].push(window);
            }
        }
        let date = |field: &'static str, text: &str| {
            LocalDate::parse(text)
                .ok_or_else(|| InputError::new(field, "invalid_date", format!("{text:?} is not a YYYY-MM-DD date")))
        };
        let holidays = spec.holidays.iter().map(|text| date("holidays", text)).collect::<Result<Vec<_>, _>>()?;
        let extra_workdays = spec
            .extra_workdays
            .iter()
            .map(|extra| Ok((date("extra_workdays", &extra.date)?, extra.hours_of)))
            .collect::<Result<Vec<_>, InputError>>()?;
        WorkingCalendar::new(weekly, holidays, extra_workdays)?.in_time_zone(&spec.time_zone)
    }
}

impl From<WorkingCalendar> for CalendarSpec {
    fn from(calendar: WorkingCalendar) -> Self {
        let mut hours = WeeklySpec::default();
        for weekday in Weekday::ALL {
            *hours.day_mut(weekday) = calendar.hours_on(weekday).iter().map(Window::to_string).collect();
        }
        CalendarSpec {
            holidays: calendar.holidays().map(|date| date.to_string()).collect(),
            extra_workdays: calendar
                .extra_workdays()
                .map(|(date, hours_of)| ExtraWorkdaySpec { date: date.to_string(), hours_of })
                .collect(),
            time_zone: calendar.time_zone,
            hours,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Business-time arithmetic

/// The deadline: the instant at which `target_ms` of business time has elapsed after `start_ms`.
///
/// A start outside hours counts from the next opening. A target of 0 gives the first open instant at or after the
/// start (the start itself when open), so a zero target never lands in closed time. A target that runs out exactly
/// at closing time gives the closing instant, not the next opening. A negative target counts as 0. `None` only when
/// the deadline lies more than [`HORIZON_MS`] after the start.
pub fn add_business(
    calendar: &WorkingCalendar,
    zone: &dyn TimeZoneRules,
    start_ms: i64,
    target_ms: i64,
) -> Option<i64> {
    let start = clamp_instant(start_ms);
    let horizon = start.saturating_add(HORIZON_MS).min(LATEST_MS);
    let mut remaining = target_ms.max(0);
    let mut from = start;
    loop {
        let (open, close) = next_open_stretch(calendar, zone, from, horizon)?;
        if remaining <= close - open {
            return Some(open + remaining);
        }
        remaining -= close - open;
        from = close;
    }
}

/// Business time elapsed from `from_ms` to `to_ms`, in milliseconds; 0 when `to_ms <= from_ms`.
pub fn business_between(calendar: &WorkingCalendar, zone: &dyn TimeZoneRules, from_ms: i64, to_ms: i64) -> i64 {
    let to = clamp_instant(to_ms);
    let mut from = clamp_instant(from_ms);
    let mut elapsed = 0;
    while let Some((open, close)) = next_open_stretch(calendar, zone, from, to) {
        elapsed += close.min(to) - open;
        from = close;
    }
    elapsed
}

/// When the warning for a target falls: the deadline of `share` of it (e.g. [`DEFAULT_WARNING_SHARE`]), rounded to
/// the millisecond. The share is clamped to 0..=1; NaN means the default.
pub fn warning_at(
    calendar: &WorkingCalendar,
    zone: &dyn TimeZoneRules,
    start_ms: i64,
    target_ms: i64,
    share: f64,
) -> Option<i64> {
    let share = if share.is_nan() { DEFAULT_WARNING_SHARE } else { share.clamp(0.0, 1.0) };
    let target = target_ms.max(0);
    let warning = ((target as f64 * share).round() as i64).min(target);
    add_business(calendar, zone, start_ms, warning)
}

/// Whether the organisation is open at this instant.
pub fn is_open(calendar: &WorkingCalendar, zone: &dyn TimeZoneRules, at_ms: i64) -> bool {
    let at = clamp_instant(at_ms);
    let local = at + offset_ms(zone, at);
    let since_midnight = local.rem_euclid(DAY_MS);
    calendar
        .windows_on(local.div_euclid(DAY_MS))
        .iter()
        .any(|window| window.start_ms() <= since_midnight && since_midnight < window.end_ms())
}

/// The first open stretch `[open, close)` that ends after `from`, cut to begin no earlier than `from`, or `None` if
/// nothing opens before `until`. A stretch is cut at a window's end, at an offset change and after at most a day, so
/// callers loop until they have what they need.
fn next_open_stretch(
    calendar: &WorkingCalendar,
    zone: &dyn TimeZoneRules,
    from: i64,
    until: i64,
) -> Option<(i64, i64)> {
    let mut from = from;
    while from < until {
        // Over [from, segment_end) the offset is constant, so local time is the instant plus `offset` and each
        // window maps to one interval of instants. One day at most, so the default `next_change` may bisect.
        let offset = offset_ms(zone, from);
        let day_later = from.saturating_add(DAY_MS);
        let segment_end = zone.next_change(from, day_later).unwrap_or(day_later).max(from + 1);
        let first_day = (from + offset).div_euclid(DAY_MS);
        let last_day = (segment_end - 1 + offset).div_euclid(DAY_MS);
        for day in first_day..=last_day {
            let local_midnight = day * DAY_MS - offset;
            for window in calendar.windows_on(day) {
                let open = (local_midnight + window.start_ms()).max(from);
                let close = (local_midnight + window.end_ms()).min(segment_end);
                if open < close {
                    return (open < until).then_some((open, close));
                }
            }
        }
        from = segment_end;
    }
    None
}

fn offset_ms(zone: &dyn TimeZoneRules, at: i64) -> i64 {
    i64::from(zone.offset_secs_at(at)) * 1000
}

fn clamp_instant(ms: i64) -> i64 {
    ms.clamp(EARLIEST_MS, LATEST_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const SHANGHAI: FixedOffset = FixedOffset::ASIA_SHANGHAI;
    const WEEKDAYS: [&str; 5] = ["monday", "tuesday", "wednesday", "thursday", "friday"];

    /// A clock reading such as "2026-03-06 17:00" (or "… 17:00:59.999") as milliseconds, as if it were UTC.
    fn wall(text: &str) -> i64 {
        let (date, time) = text.split_once(' ').expect("date and time");
        let date = LocalDate::parse(date).expect("date");
        let (time, millis) = time.split_once('.').unwrap_or((time, "0"));
        let mut parts = time.split(':').map(|part| part.parse::<i64>().expect("number"));
        let (hours, minutes, seconds) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap_or(0));
        date.day_number() * DAY_MS
            + hours * HOUR_MS
            + minutes * MINUTE_MS
            + seconds * 1000
            + millis.parse::<i64>().unwrap()
    }

    /// The instant at which clocks in Shanghai read `text`.
    fn sh(text: &str) -> i64 {
        wall(text) - 8 * HOUR_MS
    }

    /// The UTC instant written `text`.
    fn utc(text: &str) -> i64 {
        wall(text)
    }

    /// How a clock reads at `wall_ms` (wall time as milliseconds), seconds and milliseconds only when not zero.
    fn clock(wall_ms: i64) -> String {
        let date = LocalDate::from_day_number(wall_ms.div_euclid(DAY_MS));
        let ms = wall_ms.rem_euclid(DAY_MS);
        let (hours, minutes, rest) = (ms / HOUR_MS, ms % HOUR_MS / MINUTE_MS, ms % MINUTE_MS);
        let seconds = if rest == 0 { String::new() } else { format!(":{:02}.{:03}", rest / 1000, rest % 1000) };
        format!("{date} {hours:02}:{minutes:02}{seconds}")
    }

    fn sh_clock(instant: i64) -> String {
        clock(instant + 8 * HOUR_MS)
    }

    fn calendar(spec: serde_json::Value) -> WorkingCalendar {
        serde_json::from_value(spec).expect("a valid calendar")
    }

    /// `windows` on Monday to Friday.
    fn weekdays(windows: &[&str]) -> serde_json::Value {
        WEEKDAYS.iter().map(|day| (day.to_string(), json!(windows))).collect::<serde_json::Map<_, _>>().into()
    }

    fn lunch_break() -> WorkingCalendar {
        calendar(json!({"hours": weekdays(&["09:00-12:00", "13:30-18:00"])}))
    }

    /// A National Day week shaped like China's: 10-01 to 10-07 closed, Saturday 10-10 worked with Friday's hours.
    fn national_day_2026() -> WorkingCalendar {
        let holidays: Vec<String> = (1..=7).map(|day| format!("2026-10-{day:02}")).collect();
        calendar(json!({
            "hours": weekdays(&["09:00-18:00"]),
            "holidays": holidays,
            "extra_workdays": [{"date": "2026-10-10", "hours_of": "friday"}],
        }))
    }

    fn around_the_clock() -> WorkingCalendar {
        let all: serde_json::Map<_, _> =
            Weekday::ALL.iter().map(|day| (day.name().to_owned(), json!(["00:00-24:00"]))).collect();
        calendar(json!({"hours": all}))
    }

    /// Night shifts from Monday night to Friday night: each crosses midnight, so it is two windows.
    fn night_shift() -> WorkingCalendar {
        let mut hours = serde_json::Map::new();
        for day in WEEKDAYS {
            hours.insert(day.to_owned(), json!(["22:00-24:00"]));
        }
        for day in ["tuesday", "wednesday", "thursday", "friday", "saturday"] {
            hours.entry(day).or_insert(json!([])).as_array_mut().unwrap().insert(0, json!("00:00-06:00"));
        }
        calendar(json!({"hours": hours}))
    }

    /// Office hours plus Sunday windows where Europe's clocks change: 02:00–03:00 is skipped in spring and
    /// happens twice in autumn.
    fn dst_edges() -> WorkingCalendar {
        let mut hours = weekdays(&["09:00-18:00"]);
        hours["sunday"] = json!(["02:00-02:30", "02:45-05:00"]);
        calendar(json!({"hours": hours}))
    }

    /// Like Central Europe in 2026: UTC+1, UTC+2 from 2026-03-29 01:00 UTC (clocks jump 02:00 → 03:00) until
    /// 2026-10-25 01:00 UTC (clocks fall back 03:00 → 02:00). Only `offset_secs_at`, so `next_change` bisects.
    struct CentralEurope2026;

    impl TimeZoneRules for CentralEurope2026 {
        fn offset_secs_at(&self, utc_ms: i64) -> i32 {
            if (utc("2026-03-29 01:00")..utc("2026-10-25 01:00")).contains(&utc_ms) { 7200 } else { 3600 }
        }
    }

    /// Each case: start (Shanghai clock), target in minutes, expected deadline (Shanghai clock). Every deadline must
    /// also measure back to its target.
    fn check_deadlines(calendar: &WorkingCalendar, cases: &[(&str, i64, &str)]) {
        for &(start, minutes, expected) in cases {
            let deadline = add_business(calendar, &SHANGHAI, sh(start), minutes * MINUTE_MS).expect("a deadline");
            assert_eq!(sh_clock(deadline), expected, "{start} + {minutes} min");
            let measured = business_between(calendar, &SHANGHAI, sh(start), deadline);
            assert_eq!(measured, minutes * MINUTE_MS, "{start} + {minutes} min measured back");
        }
    }

    #[test]
    fn civil_dates_follow_the_gregorian_calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for day in (-1_000_000..1_000_000).step_by(7) {
            let (year, month, date) = civil_from_days(day);
            assert_eq!(days_from_civil(year, month, date), day);
        }
        let leap_days = [(2024, true), (2026, false), (2000, true), (1900, false)];
        for (year, leap) in leap_days {
            assert_eq!(LocalDate::new(year, 2, 29).is_some(), leap, "{year}-02-29");
        }
        let weekdays = [
            ("1970-01-01", Weekday::Thursday),
            ("2000-01-01", Weekday::Saturday),
            ("2026-03-06", Weekday::Friday),
            ("2026-10-01", Weekday::Thursday),
            ("2026-10-10", Weekday::Saturday),
            ("2028-01-03", Weekday::Monday),
        ];
        for (date, weekday) in weekdays {
            assert_eq!(LocalDate::parse(date).unwrap().weekday(), weekday, "{date}");
        }
        for text in ["2026-10-01", "0001-01-01", "9999-12-31", "2024-02-29"] {
            assert_eq!(LocalDate::parse(text).map(|date| date.to_string()).as_deref(), Some(text));
        }
        for text in
            ["2026-1-01", "2026-13-01", "2026-02-29", "2026-04-31", "0000-01-01", "2026/10/01", "２０２６-10-01"]
        {
            assert_eq!(LocalDate::parse(text), None, "{text}");
        }
    }

    #[test]
    fn windows_are_wall_clock_spans_within_a_day() {
        let cases = [
            ("09:00-18:00", Some((540, 1080))),
            ("00:00-24:00", Some((0, 1440))),
            ("22:00-24:00", Some((1320, 1440))),
            ("18:00-09:00", None),
            ("09:00-09:00", None),
            ("24:00-24:30", None),
            ("9:00-18:00", None),
            ("09:60-10:00", None),
            ("09:00", None),
            ("+9:00-10:00", None),
        ];
        for (text, expected) in cases {
            let window = Window::parse(text);
            assert_eq!(window.map(|w| (w.start_minute(), w.end_minute())), expected, "{text}");
            if let Some(window) = window {
                assert_eq!(window.to_string(), text);
            }
        }
    }

    #[test]
    fn the_default_calendar_is_office_hours_in_shanghai_and_stores_as_readable_json() {
        let default = WorkingCalendar::default();
        let stored = serde_json::to_value(&default).unwrap();
        assert_eq!(stored, json!({"time_zone": "Asia/Shanghai", "hours": weekdays(&["09:00-18:00"])}));
        assert_eq!(serde_json::from_value::<WorkingCalendar>(stored).unwrap(), default);
        assert_eq!(calendar(json!({"hours": weekdays(&["09:00-18:00"])})), default, "the zone defaults to Shanghai");

        let holidays = national_day_2026();
        let again: WorkingCalendar = serde_json::from_str(&serde_json::to_string(&holidays).unwrap()).unwrap();
        assert_eq!(again, holidays);
        assert_eq!(
            again.extra_workdays().collect::<Vec<_>>(),
            [(LocalDate::new(2026, 10, 10).unwrap(), Weekday::Friday)]
        );
    }

    #[test]
    fn bad_calendars_are_refused_with_the_field_and_reason() {
        let office = weekdays(&["09:00-18:00"]);
        let cases = [
            (json!({}), "hours", "no_working_hours"),
            (json!({"hours": {"saturday": []}}), "hours", "no_working_hours"),
            (json!({"hours": {"tuesday": ["09:00-12:00", "11:00-13:00"]}}), "hours.tuesday", "overlapping_windows"),
            (json!({"hours": {"friday": ["13:00-18:00", "09:00-13:01"]}}), "hours.friday", "overlapping_windows"),
            (json!({"hours": {"monday": ["18:00-09:00"]}}), "hours.monday", "inverted_window"),
            (json!({"hours": {"sunday": ["9-18"]}}), "hours.sunday", "invalid_window"),
            (json!({"hours": office, "holidays": ["2026-02-30"]}), "holidays", "invalid_date"),
            (
                json!({"hours": office, "extra_workdays": [{"date": "2026-10-10", "hours_of": "saturday"}]}),
                "extra_workdays",
                "no_hours_to_borrow",
            ),
            (
                json!({"hours": office, "holidays": ["2026-10-10"],
                       "extra_workdays": [{"date": "2026-10-10", "hours_of": "friday"}]}),
                "extra_workdays",
                "holiday_and_workday",
            ),
            (
                json!({"hours": office, "extra_workdays": [{"date": "2026-10-10", "hours_of": "friday"},
                                                            {"date": "2026-10-10", "hours_of": "monday"}]}),
                "extra_workdays",
                "duplicate_date",
            ),
            (json!({"hours": office, "time_zone": ""}), "time_zone", "invalid"),
            (json!({"hours": office, "time_zone": "Asia/Shang hai"}), "time_zone", "invalid"),
        ];
        for (spec, field, code) in cases {
            let spec: CalendarSpec = serde_json::from_value(spec.clone()).expect("well-formed spec");
            let error = WorkingCalendar::try_from(spec.clone()).expect_err(code);
            assert_eq!((error.field, error.code), (field, code), "{spec:?}: {error}");
        }

        // Parsing a stored calendar checks it again, and the message names the day.
        let stored = json!({"hours": {"tuesday": ["09:00-12:00", "11:00-13:00"]}});
        let error = serde_json::from_value::<WorkingCalendar>(stored).unwrap_err().to_string();
        assert!(error.contains("hours.tuesday: 09:00-12:00 overlaps 11:00-13:00 on tuesday"), "{error}");
        // Unknown fields are typos, not silently closed days.
        for stored in [json!({"hours": {"munday": ["09:00-18:00"]}}), json!({"hours": office, "holiday": []})] {
            assert!(serde_json::from_value::<WorkingCalendar>(stored).is_err());
        }
    }

    #[test]
    fn windows_may_touch_and_come_in_any_order() {
        let calendar = calendar(json!({"hours": {"monday": ["13:30-18:00", "12:00-13:30", "09:00-12:00"]}}));
        let hours: Vec<String> = calendar.hours_on(Weekday::Monday).iter().map(Window::to_string).collect();
        assert_eq!(hours, ["09:00-12:00", "12:00-13:30", "13:30-18:00"]);
        check_deadlines(&calendar, &[("2026-03-09 11:00", 4 * 60, "2026-03-09 15:00")]);
    }

    #[test]
    fn open_from_the_opening_instant_until_just_before_closing() {
        let calendar = WorkingCalendar::default();
        let cases = [
            ("2026-03-09 00:00", false),
            ("2026-03-09 08:59:59.999", false),
            ("2026-03-09 09:00", true),
            ("2026-03-09 17:59:59.999", true),
            ("2026-03-09 18:00", false),
            ("2026-03-07 12:00", false),
        ];
        for (at, open) in cases {
            assert_eq!(is_open(&calendar, &SHANGHAI, sh(at)), open, "{at}");
        }
        // The same instant reads 01:00 in UTC: the zone decides.
        assert!(!is_open(&calendar, &FixedOffset::UTC, sh("2026-03-09 09:00")));
    }

    #[test]
    fn weekends_midnight_and_the_edges_of_the_day() {
        check_deadlines(
            &WorkingCalendar::default(),
            &[
                ("2026-03-06 17:00", 2 * 60, "2026-03-09 10:00"), // Friday afternoon → Monday morning
                ("2026-03-06 17:00", 60, "2026-03-06 18:00"),     // running out at closing time is closing time
                ("2026-03-07 12:00", 60, "2026-03-09 10:00"),     // starting on a Saturday
                ("2026-03-09 00:00", 60, "2026-03-09 10:00"),     // starting at midnight
                ("2026-03-08 23:59", 1, "2026-03-09 09:01"),
                ("2026-03-09 09:00", 0, "2026-03-09 09:00"), // zero target at opening: the start itself
                ("2026-03-09 08:59", 0, "2026-03-09 09:00"), // zero target before opening: the opening
                ("2026-03-09 12:34", 0, "2026-03-09 12:34"),
                ("2026-03-09 18:00", 0, "2026-03-10 09:00"), // closing is closed
                ("2026-03-09 18:00", 60, "2026-03-10 10:00"),
                ("2026-03-09 17:30", 60, "2026-03-10 09:30"),
                ("2026-03-09 10:00", 9 * 60, "2026-03-10 10:00"),
                ("2026-03-09 10:00", 45 * 60, "2026-03-16 10:00"), // one working week
                ("2026-03-09 09:00", 1000 * 60, "2026-08-11 10:00"), // 111 days of 9 h, plus one hour
            ],
        );
    }

    #[test]
    fn holidays_close_and_make_up_days_open() {
        let calendar = national_day_2026();
        check_deadlines(
            &calendar,
            &[
                ("2026-09-30 17:00", 2 * 60, "2026-10-08 10:00"), // the whole holiday week skipped
                ("2026-10-03 12:00", 60, "2026-10-08 10:00"),
                ("2026-10-01 09:00", 0, "2026-10-08 09:00"),
                ("2026-10-09 17:00", 2 * 60, "2026-10-10 10:00"), // the make-up Saturday works
                ("2026-10-10 17:00", 2 * 60, "2026-10-12 10:00"), // its Sunday does not
            ],
        );
        assert!(is_open(&calendar, &SHANGHAI, sh("2026-10-10 12:00")));
        assert!(!is_open(&calendar, &SHANGHAI, sh("2026-10-05 12:00")));
        assert!(!is_open(&calendar, &SHANGHAI, sh("2026-10-17 12:00")), "an ordinary Saturday");
        let elapsed = business_between(&calendar, &SHANGHAI, sh("2026-09-30 09:00"), sh("2026-10-12 09:00"));
        assert_eq!(elapsed, 4 * 9 * HOUR_MS, "09-30, 10-08, 10-09 and the make-up 10-10");
        assert!(calendar.hours_on_date(LocalDate::new(2026, 10, 1).unwrap()).is_empty());
        assert_eq!(calendar.hours_on_date(LocalDate::new(2026, 10, 10).unwrap()), calendar.hours_on(Weekday::Friday));
    }

    #[test]
    fn a_lunch_break_is_not_business_time() {
        let calendar = lunch_break();
        check_deadlines(
            &calendar,
            &[
                ("2026-03-09 11:00", 2 * 60, "2026-03-09 14:30"),
                ("2026-03-09 11:00", 60, "2026-03-09 12:00"), // due as the break begins, not after it
                ("2026-03-09 12:30", 0, "2026-03-09 13:30"),
                ("2026-03-09 12:30", 30, "2026-03-09 14:00"),
                ("2026-03-09 17:00", 2 * 60, "2026-03-10 10:00"),
                ("2026-03-06 16:00", 8 * 60, "2026-03-09 16:30"), // 2 h Friday, 3 h Monday morning, 3 h after lunch
            ],
        );
        assert_eq!(
            business_between(&calendar, &SHANGHAI, sh("2026-03-09 11:00"), sh("2026-03-09 14:00")),
            90 * MINUTE_MS
        );
    }

    #[test]
    fn around_the_clock_business_time_is_plain_time() {
        let calendar = around_the_clock();
        for start in ["2026-03-06 23:59:59.999", "2026-03-08 00:00", "2026-12-31 23:30"] {
            for target in [0, 1, 31 * MINUTE_MS, DAY_MS, 7 * DAY_MS + 5] {
                assert_eq!(add_business(&calendar, &SHANGHAI, sh(start), target), Some(sh(start) + target));
                assert_eq!(business_between(&calendar, &SHANGHAI, sh(start), sh(start) + target), target);
            }
        }
    }

    #[test]
    fn a_night_shift_crosses_midnight_as_two_windows() {
        let calendar = night_shift();
        check_deadlines(
            &calendar,
            &[
                ("2026-03-09 23:00", 2 * 60, "2026-03-10 01:00"), // seamless over midnight
                ("2026-03-09 21:00", 0, "2026-03-09 22:00"),
                ("2026-03-09 00:30", 60, "2026-03-09 23:00"), // no shift ends on Monday morning
                ("2026-03-10 06:00", 60, "2026-03-10 23:00"),
                ("2026-03-13 05:00", 2 * 60, "2026-03-13 23:00"),
                ("2026-03-14 05:00", 2 * 60, "2026-03-16 23:00"), // Saturday morning, then Monday night
            ],
        );
        assert!(is_open(&calendar, &SHANGHAI, sh("2026-03-10 00:00")));
        assert!(!is_open(&calendar, &SHANGHAI, sh("2026-03-14 06:00")));
    }

    #[test]
    fn daylight_saving_shortens_and_lengthens_windows() {
        let zone = CentralEurope2026;
        let spring = utc("2026-03-29 01:00");
        assert_eq!(zone.next_change(spring - 5 * HOUR_MS, spring + 5 * HOUR_MS), Some(spring));
        assert_eq!(zone.next_change(spring - 1, spring), Some(spring));
        assert_eq!(zone.next_change(spring, spring + DAY_MS), None);

        // A whole local day: 23 hours in spring, 25 in autumn.
        let all_day = around_the_clock();
        assert_eq!(business_between(&all_day, &zone, utc("2026-03-28 23:00"), utc("2026-03-29 22:00")), 23 * HOUR_MS);
        assert_eq!(business_between(&all_day, &zone, utc("2026-10-24 22:00"), utc("2026-10-25 23:00")), 25 * HOUR_MS);

        // A window that spans the change: 01:00–05:00 on the clock.
        let early = calendar(json!({"hours": {"sunday": ["01:00-05:00"]}}));
        let cases = [
            // (Saturday noon UTC, target, deadline UTC)
            ("2026-03-21 12:00", 4 * 60, "2026-03-22 04:00"), // an ordinary Sunday: 4 h, at UTC+1
            ("2026-03-28 12:00", 0, "2026-03-29 00:00"),      // 01:00 at UTC+1
            ("2026-03-28 12:00", 90, "2026-03-29 01:30"),     // 03:30 at UTC+2: 02:00–03:00 never happened
            ("2026-03-28 12:00", 3 * 60, "2026-03-29 03:00"), // 05:00 at UTC+2: only 3 h that day
            ("2026-03-28 12:00", 4 * 60, "2026-04-05 00:00"), // so the fourth hour is next Sunday's
            ("2026-10-24 12:00", 0, "2026-10-24 23:00"),      // 01:00 at UTC+2
            ("2026-10-24 12:00", 5 * 60, "2026-10-25 04:00"), // 05:00 at UTC+1: 5 h that day
        ];
        check_utc_deadlines(&early, &zone, &cases);

        // Local times that do not exist are never open; those that happen twice are open twice.
        let edges = dst_edges();
        let cases = [
            // Autumn Sunday at UTC+2 until 01:00 UTC: 02:00–02:30 and 02:45–03:00 (15 min) the first time round;
            // then at UTC+1: 02:00–02:30 again, and 02:45–05:00.
            ("2026-10-24 12:00", 0, "2026-10-25 00:00"),
            ("2026-10-24 12:00", 30, "2026-10-25 00:30"),
            ("2026-10-24 12:00", 30 + 15, "2026-10-25 01:00"), // 02:45–03:00 first time, then clocks fall back
            ("2026-10-24 12:00", 30 + 15 + 15, "2026-10-25 01:15"), // 02:15 the second time
            ("2026-10-24 12:00", 30 + 15 + 30 + 15, "2026-10-25 02:00"), // 03:00 at UTC+1 after the second 02:45
            ("2026-10-24 12:00", 30 + 15 + 30 + 135, "2026-10-25 04:00"), // 05:00 at UTC+1
            ("2026-03-28 12:00", 0, "2026-03-29 01:00"),       // spring: nothing before 03:00 exists, which is open
            ("2026-03-28 12:00", 2 * 60, "2026-03-29 03:00"),
        ];
        check_utc_deadlines(&edges, &zone, &cases);
        assert!(is_open(&edges, &zone, utc("2026-10-25 00:15")), "02:15 the first time");
        assert!(!is_open(&edges, &zone, utc("2026-10-25 00:40")), "02:40 the first time");
        assert!(is_open(&edges, &zone, utc("2026-10-25 01:15")), "02:15 the second time");
        assert!(!is_open(&edges, &zone, utc("2026-03-29 00:59")), "01:59, just before the jump");
        assert!(is_open(&edges, &zone, utc("2026-03-29 01:00")), "03:00, just after it");

        // Office hours over a weekend with a change: Friday 17:00 (UTC+1) + 2 h → Monday 10:00 (UTC+2).
        let office = WorkingCalendar::default();
        assert_eq!(add_business(&office, &zone, utc("2026-03-27 16:00"), 2 * HOUR_MS), Some(utc("2026-03-30 08:00")));
    }

    /// Each case: start (UTC), target in minutes, expected deadline (UTC); deadlines must measure back.
    fn check_utc_deadlines(calendar: &WorkingCalendar, zone: &dyn TimeZoneRules, cases: &[(&str, i64, &str)]) {
        for &(start, minutes, expected) in cases {
            let deadline = add_business(calendar, zone, utc(start), minutes * MINUTE_MS).expect("a deadline");
            assert_eq!(clock(deadline), expected, "{start} + {minutes} min");
            assert_eq!(
                business_between(calendar, zone, utc(start), deadline),
                minutes * MINUTE_MS,
                "{start} + {minutes}"
            );
        }
    }

    fn sample_calendars() -> Vec<WorkingCalendar> {
        vec![WorkingCalendar::default(), lunch_break(), national_day_2026(), night_shift(), dst_edges()]
    }

    #[test]
    fn every_deadline_measures_back_to_its_target() {
        let zones: [&dyn TimeZoneRules; 2] = [&SHANGHAI, &CentralEurope2026];
        let starts = [sh("2026-03-27 16:59:59.999"), sh("2026-09-30 12:00"), sh("2026-10-24 07:30")];
        for calendar in sample_calendars() {
            for zone in zones {
                for start in starts {
                    let mut previous = start;
                    for target in (0..=120 * HOUR_MS).step_by((7 * MINUTE_MS + 13) as usize) {
                        let deadline = add_business(&calendar, zone, start, target).unwrap();
                        assert_eq!(business_between(&calendar, zone, start, deadline), target, "{calendar:?} {target}");
                        assert!(deadline >= previous);
                        previous = deadline;
                    }
                }
            }
        }
    }

    #[test]
    fn long_holiday_runs_and_huge_targets_finish_quickly() {
        // Every day of 2027 closed: Thursday 2026-12-31 17:00 + 2 h is due on the first Monday of 2028.
        let closed_2027: Vec<String> = (0..365)
            .map(|i| LocalDate::from_day_number(LocalDate::new(2027, 1, 1).unwrap().day_number() + i).to_string())
            .collect();
        let closed = calendar(json!({"hours": weekdays(&["09:00-18:00"]), "holidays": closed_2027}));
        check_deadlines(&closed, &[("2026-12-31 17:00", 2 * 60, "2028-01-03 10:00")]);
        assert_eq!(business_between(&closed, &SHANGHAI, sh("2026-12-31 09:00"), sh("2028-01-04 09:00")), 18 * HOUR_MS);

        // One hour a week: 1,000 business hours are 999 weeks after the first hour ends.
        let one_hour = calendar(json!({"hours": {"monday": ["09:00-10:00"]}}));
        let start = sh("2026-03-09 09:00");
        let deadline = add_business(&one_hour, &SHANGHAI, start, 1000 * HOUR_MS);
        assert_eq!(deadline, Some(sh("2026-03-09 10:00") + 999 * 7 * DAY_MS));

        // Beyond the horizon there is no deadline, rather than a long search or an overflow.
        assert_eq!(add_business(&one_hour, &SHANGHAI, start, 1_000_000 * HOUR_MS), None);
        assert_eq!(add_business(&WorkingCalendar::default(), &SHANGHAI, start, i64::MAX), None);
        assert_eq!(add_business(&WorkingCalendar::default(), &SHANGHAI, i64::MAX, HOUR_MS), None);
        assert!(add_business(&WorkingCalendar::default(), &SHANGHAI, i64::MIN, HOUR_MS).is_some());
        assert_eq!(business_between(&WorkingCalendar::default(), &SHANGHAI, i64::MAX - DAY_MS, i64::MAX), 0);
        assert_eq!(business_between(&WorkingCalendar::default(), &SHANGHAI, start + HOUR_MS, start), 0);
    }

    #[test]
    fn warnings_fall_at_a_share_of_the_target() {
        let calendar = WorkingCalendar::default();
        let cases = [
            ("2026-03-09 09:00", 8 * 60, DEFAULT_WARNING_SHARE, "2026-03-09 15:00"),
            ("2026-03-06 17:00", 4 * 60, 0.75, "2026-03-09 11:00"), // 3 h: one on Friday, two on Monday
            ("2026-03-06 17:00", 4 * 60, 0.5, "2026-03-09 10:00"),
            ("2026-03-06 17:00", 4 * 60, 2.0, "2026-03-09 12:00"), // clamped to the deadline itself
            ("2026-03-06 17:00", 4 * 60, f64::NAN, "2026-03-09 11:00"), // NaN means the default
            ("2026-03-07 10:00", 4 * 60, 0.0, "2026-03-09 09:00"),
        ];
        for (start, minutes, share, expected) in cases {
            let warning = warning_at(&calendar, &SHANGHAI, sh(start), minutes * MINUTE_MS, share).unwrap();
            assert_eq!(sh_clock(warning), expected, "{start} {minutes} min at {share}");
        }
    }

    #[test]
    fn fixed_offsets_cover_the_customers_zones_without_daylight_saving() {
        let cases = [
            ("Asia/Shanghai", Some(8)),
            ("Asia/Hong_Kong", Some(8)),
            ("Asia/Taipei", Some(8)),
            ("Asia/Singapore", Some(8)),
            ("Asia/Tokyo", Some(9)),
            ("Asia/Seoul", Some(9)),
            ("UTC", Some(0)),
            ("Europe/Berlin", None), // daylight saving: needs the server's tz database
            ("America/New_York", None),
            ("asia/shanghai", None),
        ];
        for (name, hours) in cases {
            assert_eq!(FixedOffset::for_name(name).map(|zone| zone.secs()), hours.map(|h| h * 3600), "{name}");
        }
        assert_eq!(FixedOffset::default(), FixedOffset::for_name(DEFAULT_TIME_ZONE).unwrap());
        assert_eq!(FixedOffset::east_secs(-5 * 3600).map(FixedOffset::secs), Some(-5 * 3600));
        assert_eq!(FixedOffset::east_secs(19 * 3600), None);
        assert_eq!(SHANGHAI.next_change(i64::MIN, i64::MAX), None);
        // A calendar may name a daylight-saving zone; resolving it is the server's job.
        let berlin = WorkingCalendar::default().in_time_zone("Europe/Berlin").unwrap();
        assert_eq!(berlin.time_zone(), "Europe/Berlin");
    }

    fn calendar_index() -> impl Strategy<Value = usize> {
        0..sample_calendars().len()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// For a fixed start the deadline never decreases as the target grows; for a fixed target it never
        /// decreases as the start moves later; every deadline measures back to its target, and open instants are
        /// exactly those that are their own zero-target deadline.
        #[test]
        fn deadlines_are_monotone_and_consistent_with_measurement(
            which in calendar_index(),
            european in any::<bool>(),
            start in sh("2026-01-01 00:00")..sh("2027-01-01 00:00"),
            a in 0..300 * HOUR_MS,
            b in 0..300 * HOUR_MS,
            delay in 0..3 * 7 * DAY_MS,
        ) {
            let calendar = &sample_calendars()[which];
            let zone: &dyn TimeZoneRules = if european { &CentralEurope2026 } else { &SHANGHAI };
            let (small, large) = (a.min(b), a.max(b));
            let early = add_business(calendar, zone, start, small).unwrap();
            let late = add_business(calendar, zone, start, large).unwrap();
            prop_assert!(early <= late, "target {small} → {early}, {large} → {late}");
            prop_assert_eq!(business_between(calendar, zone, start, early), small);
            prop_assert_eq!(business_between(calendar, zone, start, late), large);
            prop_assert_eq!(business_between(calendar, zone, early, late), large - small);

            let delayed = add_business(calendar, zone, start + delay, small).unwrap();
            prop_assert!(early <= delayed, "start {start} → {early}, {} → {delayed}", start + delay);
            prop_assert_eq!(business_between(calendar, zone, start + delay, delayed), small);

            let open = is_open(calendar, zone, start);
            prop_assert_eq!(add_business(calendar, zone, start, 0) == Some(start), open);
        }
    }
}
