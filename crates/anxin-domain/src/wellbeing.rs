//! Agent wellbeing, the pure part (PRODUCT.md §5): the mood scale and its weather names, validated check-ins, the
//! self-test instruments as data (WHO-5 by default) with their scoring and interpretation, the ABC emotion diary
//! with reframing prompts, team-weather aggregation with a minimum group size, and the sharp-drop rule for
//! shared check-ins.
//!
//! Texts meant for people are `[简体中文, 繁體中文, English]` (the web catalog's order).
//!
//! **Invariant:** an aggregate over fewer than [`MIN_GROUP`] distinct people is never produced.

use serde::Serialize;

use crate::input::InputError;

/// A text in the three interface languages: `[zh-Hans, zh-Hant, en]`.
pub type Texts = [&'static str; 3];

/// Fewest distinct people an aggregate of self-reported mood may cover (k-anonymity).
pub const MIN_GROUP: usize = 3;
/// Longest check-in note, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// Most tags on one check-in.
pub const MAX_TAGS: usize = 5;
/// Longest diary field, in characters.
pub const DIARY_FIELD_MAX_CHARS: usize = 2000;
/// How far back a shared check-in looks for the person's previous shared one (sharp-drop rule).
pub const DROP_LOOKBACK_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The default self-test schedule, and its allowed range, in days.
pub const DEFAULT_SELFTEST_DAYS: i64 = 14;
pub const SELFTEST_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=90;

// ----- the mood barometer -----

/// One point of the mood scale: its value, a stable key, an icon and the weather's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Weather {
    pub mood: u8,
    pub key: &'static str,
    pub icon: &'static str,
    #[serde(skip)]
    pub name: Texts,
}

/// The mood scale, best first: 5 sunny … 1 storm.
pub const WEATHER: [Weather; 5] = [
    Weather { mood: 5, key: "sunny", icon: "☀", name: ["晴", "晴", "Sunny"] },
    Weather { mood: 4, key: "partly_cloudy", icon: "⛅", name: ["多云", "多雲", "Partly cloudy"] },
    Weather { mood: 3, key: "cloudy", icon: "☁", name: ["阴", "陰", "Cloudy"] },
    Weather { mood: 2, key: "rain", icon: "🌧", name: ["小雨", "小雨", "Rain"] },
    Weather { mood: 1, key: "storm", icon: "⛈", name: ["雷雨", "雷雨", "Storm"] },
];

/// A mood on the 1–5 scale (5 best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Mood(u8);

impl Mood {
    pub fn parse(value: i64) -> Result<Mood, InputError> {
        match value {
            1..=5 => Ok(Mood(value as u8)),
            _ => Err(InputError::new("mood", "out_of_range", "mood must be a whole number from 1 to 5")),
        }
    }

    pub fn value(self) -> u8 {
        self.0
    }

    pub fn weather(self) -> Weather {
        weather(self.0)
    }
}

/// The weather of a mood value; values outside the scale are clamped to it.
pub fn weather(mood: u8) -> Weather {
    WEATHER[5 - mood.clamp(1, 5) as usize]
}

/// The tags a check-in may carry (stable keys; the UI names them).
pub const MOOD_TAGS: [&str; 10] = [
    "workload",
    "difficult_customer",
    "helped_someone",
    "teamwork",
    "recognition",
    "tired",
    "health",
    "personal",
    "learning",
    "system_issue",
];

/// Tags from a form or a body: known keys only, at most [`MAX_TAGS`], duplicates dropped, order kept.
pub fn parse_tags<S: AsRef<str>>(tags: &[S]) -> Result<Vec<&'static str>, InputError> {
    let mut out: Vec<&'static str> = Vec::new();
    for tag in tags {
        let Some(known) = MOOD_TAGS.iter().find(|t| **t == tag.as_ref().trim()) else {
            return Err(InputError::new("tags", "unknown", format!("unknown tag; allowed: {}", MOOD_TAGS.join(", "))));
        };
        if !out.contains(known) {
            out.push(known);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(InputError::new("tags", "too_many", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// A free text field: trimmed, blank is `None`, at most `max` characters, no NUL.
fn optional_text(field: &'static str, text: &str, max: usize) -> Result<Option<String>, InputError> {
    let text = text.trim();
    if text.contains('\0') {
        return Err(InputError::new(field, "invalid_character", "contains a NUL character"));
    }
    if text.chars().count() > max {
        return Err(InputError::new(field, "too_long", format!("at most {max} characters")));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A check-in note (kept verbatim, HTML included: it is escaped when shown).
pub fn parse_note(text: &str) -> Result<Option<String>, InputError> {
    optional_text("note", text, NOTE_MAX_CHARS)
}

/// A validated mood check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub mood: Mood,
    pub tags: Vec<&'static str>,
    pub note: Option<String>,
    /// The person chose to show this check-in to their supervisor.
    pub shared: bool,
}

impl CheckIn {
    pub fn parse<S: AsRef<str>>(mood: i64, tags: &[S], note: &str, shared: bool) -> Result<CheckIn, InputError> {
        Ok(CheckIn { mood: Mood::parse(mood)?, tags: parse_tags(tags)?, note: parse_note(note)?, shared })
    }
}

/// Whether a shared check-in is a sharp drop worth a supportive look: a mood of 1, or at least 2 points below the
/// person's previous shared check-in (of the last [`DROP_LOOKBACK_MS`]; the caller finds it).
pub fn sharp_mood_drop(previous: Option<u8>, current: u8) -> bool {
    current <= 1 || previous.is_some_and(|p| p >= current.saturating_add(2))
}

// ----- team weather -----

/// One check-in as the aggregation sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoodSample {
    pub user_id: i64,
    pub at: i64,
    pub mood: u8,
}

/// The weather of a group: the mean of each person's mean mood (so a person who checks in often does not weigh
/// more), over at least [`MIN_GROUP`] people.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TeamWeather {
    pub people: usize,
    pub checkins: usize,
    /// 1.0–5.0, rounded to one decimal.
    pub average: f64,
    /// The average rounded to the scale.
    pub weather: Weather,
}

/// The weather of these samples, or `None` when they come from fewer than [`MIN_GROUP`] distinct people.
pub fn aggregate(samples: &[MoodSample]) -> Option<TeamWeather> {
    let mut people: Vec<(i64, u32, u32)> = Vec::new(); // (user, sum, count)
    for s in samples {
        match people.iter_mut().find(|(u, _, _)| *u == s.user_id) {
            Some(p) => {
                p.1 += s.mood as u32;
                p.2 += 1;
            }
            None => people.push((s.user_id, s.mood as u32, 1)),
        }
    }
    if people.len() < MIN_GROUP {
        return None;
    }
    let mean = people.iter().map(|(_, sum, n)| *sum as f64 / *n as f64).sum::<f64>() / people.len() as f64;
    let average = (mean * 10.0).round() / 10.0;
    Some(TeamWeather { people: people.len(), checkins: samples.len(), average, weather: weather(mean.round() as u8) })
}

/// One time bucket of the team's weather (`None`: fewer than [`MIN_GROUP`] people, hidden).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeatherBucket {
    pub start: i64,
    pub weather: Option<TeamWeather>,
}

/// Buckets `[start + i·bucket_ms, start + (i+1)·bucket_ms)` for `i < buckets`, each aggregated on its own.
pub fn bucketed(samples: &[MoodSample], start: i64, bucket_ms: i64, buckets: usize) -> Vec<WeatherBucket> {
    let bucket_ms = bucket_ms.max(1);
    (0..buckets)
        .map(|i| {
            let from = start + i as i64 * bucket_ms;
            let inside: Vec<MoodSample> = samples.iter().copied().filter(|s| s.at >= from && s.at < from + bucket_ms).collect();
            WeatherBucket { start: from, weather: aggregate(&inside) }
        })
        .collect()
}

/// The weather "now": each person's latest check-in since `since` (the later one in `samples` on a tie), aggregated.
pub fn latest_weather(samples: &[MoodSample], since: i64) -> Option<TeamWeather> {
    let mut latest: Vec<MoodSample> = Vec::new();
    for s in samples.iter().filter(|s| s.at >= since) {
        match latest.iter_mut().find(|l| l.user_id == s.user_id) {
            Some(l) if l.at <= s.at => *l = *s,
            Some(_) => {}
            None => latest.push(*s),
        }
    }
    aggregate(&latest)
}

// ----- self-tests -----

/// An answer option: the value it scores and its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerOption {
    pub value: u8,
    pub label: Texts,
}

/// A range of scores with its meaning and a gentle suggestion. Bands are ordered by `up_to`; a score belongs to
/// the first band whose `up_to` is at least the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub up_to: u32,
    /// Stable key (`good`, `reduced`, `low`).
    pub key: &'static str,
    pub label: Texts,
    pub advice: Texts,
    /// Whether the page should show the support contacts prominently.
    pub concern: bool,
}

/// A validated, freely usable questionnaire described as data: items, answer options, how raw answers become a
/// score, and what scores mean. Adding an instrument is adding one of these to [`INSTRUMENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instrument {
    /// Stable id stored with each result (`who5`).
    pub id: &'static str,
    pub name: Texts,
    pub citation: &'static str,
    pub instructions: Texts,
    pub items: &'static [Texts],
    /// Highest value first, as the form lists them.
    pub options: &'static [AnswerOption],
    /// score = sum of answers × multiplier.
    pub multiplier: u32,
    pub max_score: u32,
    pub bands: &'static [Band],
    /// A change of at least this many points between two results is meaningful.
    pub significant_change: u32,
}

/// The outcome of one completed self-test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub answers: Vec<u8>,
    pub raw: u32,
    pub score: u32,
}

/// How a result compares with the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Better,
    Same,
    Worse,
}

impl Instrument {
    /// Checks one answer per item, each one of the options, and scores them.
    pub fn score(&self, answers: &[i64]) -> Result<Scored, InputError> {
        if answers.len() != self.items.len() {
            return Err(InputError::new("answers", "wrong_count", format!("answer all {} items", self.items.len())));
        }
        let mut out = Vec::with_capacity(answers.len());
        for &a in answers {
            let Some(option) = self.options.iter().find(|o| i64::from(o.value) == a) else {
                let values: Vec<String> = self.options.iter().map(|o| o.value.to_string()).collect();
                return Err(InputError::new("answers", "out_of_range", format!("each answer is one of {}", values.join(", "))));
            };
            out.push(option.value);
        }
        let raw: u32 = out.iter().map(|&v| v as u32).sum();
        Ok(Scored { answers: out, raw, score: (raw * self.multiplier).min(self.max_score) })
    }

    /// The band a score falls in (the last one for anything above every `up_to`).
    pub fn band(&self, score: u32) -> &'static Band {
        self.bands.iter().find(|b| score <= b.up_to).or(self.bands.last()).expect("an instrument has bands")
    }

    /// Better, worse or the same, by at least [`Instrument::significant_change`] points.
    pub fn change(&self, previous: u32, current: u32) -> Change {
        let d = current as i64 - previous as i64;
        if d >= self.significant_change as i64 {
            Change::Better
        } else if -d >= self.significant_change as i64 {
            Change::Worse
        } else {
            Change::Same
        }
    }
}

/// WHO-5 Well-Being Index, WHO Regional Office for Europe, 1998. Free to use. Five items about the last two
/// weeks rated 0–5; raw 0–25 × 4 = 0–100; ≤ 50 suggests reduced well-being, ≤ 28 likely depression (a screening
/// hint, never a diagnosis); 10 points is a meaningful change. Chinese wording follows the official translations.
pub const WHO5: Instrument = Instrument {
    id: "who5",
    name: ["WHO-5 幸福感指数", "WHO-5 幸福感指數", "WHO-5 Well-Being Index"],
    citation: "WHO-5 Well-Being Index, WHO Regional Office for Europe, 1998",
    instructions: [
        "请根据过去两周的感受，为下面每一句话选择最接近的一项。",
        "請根據過去兩週的感受，為下面每一句話選擇最接近的一項。",
        "Please indicate for each of the five statements which is closest to how you have been feeling over the last two weeks.",
    ],
    items: &[
        ["我感到快乐、心情舒畅", "我感到快樂、心情舒暢", "I have felt cheerful and in good spirits"],
        ["我感到平静和放松", "我感到平靜和放鬆", "I have felt calm and relaxed"],
        ["我感到充满活力、精力充沛", "我感到充滿活力、精力充沛", "I have felt active and vigorous"],
        ["我醒来时感到神清气爽、休息充分", "我醒來時感到神清氣爽、休息充分", "I woke up feeling fresh and rested"],
        ["我的日常生活中充满了让我感兴趣的事情", "我的日常生活中充滿了讓我感興趣的事情", "My daily life has been filled with things that interest me"],
    ],
    options: &[
        AnswerOption { value: 5, label: ["所有时间", "所有時間", "All of the time"] },
        AnswerOption { value: 4, label: ["大部分时间", "大部分時間", "Most of the time"] },
        AnswerOption { value: 3, label: ["超过一半的时间", "超過一半的時間", "More than half of the time"] },
        AnswerOption { value: 2, label: ["少于一半的时间", "少於一半的時間", "Less than half of the time"] },
        AnswerOption { value: 1, label: ["有时", "有時", "Some of the time"] },
        AnswerOption { value: 0, label: ["从未", "從未", "At no time"] },
    ],
    multiplier: 4,
    max_score: 100,
    bands: &[
        Band {
            up_to: 28,
            key: "low",
            label: ["这段时间你可能过得很辛苦", "這段時間你可能過得很辛苦", "These weeks may have been really hard for you"],
            advice: [
                "这不是诊断，但这样的得分说明值得认真对待：建议尽快和专业人士（医生或心理咨询师）聊一聊，也可以联系公司的员工援助（EAP）。你不必一个人扛着。",
                "這不是診斷，但這樣的得分說明值得認真對待：建議儘快和專業人士（醫生或心理諮商師）聊一聊，也可以聯絡公司的員工協助方案（EAP）。你不必一個人扛著。",
                "This is not a diagnosis, but a score like this deserves care: please consider talking to a professional (a doctor or counsellor) soon, or reach out to the employee assistance programme. You don't have to carry this alone.",
            ],
            concern: true,
        },
        Band {
            up_to: 50,
            key: "reduced",
            label: ["你的幸福感最近有些偏低", "你的幸福感最近有些偏低", "Your well-being seems lower than usual"],
            advice: [
                "给自己一点空间：安排一次休息，和信任的人聊聊，或联系员工援助（EAP）。如果这种状态持续，也可以寻求专业支持。",
                "給自己一點空間：安排一次休息，和信任的人聊聊，或聯絡員工協助方案（EAP）。如果這種狀態持續，也可以尋求專業支持。",
                "Give yourself some room: take a break, talk with someone you trust, or contact the employee assistance programme. If it persists, professional support can help.",
            ],
            concern: true,
        },
        Band {
            up_to: 100,
            key: "good",
            label: ["你的幸福感处于良好范围", "你的幸福感處於良好範圍", "Your well-being is in a good range"],
            advice: [
                "继续照顾好自己：规律作息、适时休息，留意那些让你感到充实的事情。",
                "繼續照顧好自己：規律作息、適時休息，留意那些讓你感到充實的事情。",
                "Keep looking after yourself: regular rest, breaks when you need them, and time for what makes you feel well.",
            ],
            concern: false,
        },
    ],
    significant_change: 10,
};

/// Every instrument the platform offers; the first is the default.
pub const INSTRUMENTS: &[Instrument] = &[WHO5];

pub fn instrument(id: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.id == id)
}

/// When the next self-test is due (Unix ms): `every_days` after the last one, or now when there is none.
pub fn next_selftest_due(last_taken: Option<i64>, every_days: i64, now: i64) -> i64 {
    last_taken.map_or(now, |at| at + every_days.clamp(*SELFTEST_DAYS_RANGE.start(), *SELFTEST_DAYS_RANGE.end()) * 86_400_000)
}

pub fn parse_selftest_days(days: i64) -> Result<i64, InputError> {
    if SELFTEST_DAYS_RANGE.contains(&days) {
        Ok(days)
    } else {
        Err(InputError::new("selftest_every_days", "out_of_range", "a whole number of days from 1 to 90"))
    }
}

// ----- the ABC emotion diary -----

/// One diary entry in the ABC model: the Activating event, the Belief about it, the emotional and behavioural
/// Consequence, and a reframed belief. Only the event is required; it is a diary, not a form to pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiaryEntry {
    pub event: String,
    pub belief: Option<String>,
    pub consequence: Option<String>,
    pub reframe: Option<String>,
}

impl DiaryEntry {
    pub fn parse(event: &str, belief: &str, consequence: &str, reframe: &str) -> Result<DiaryEntry, InputError> {
        let Some(event) = optional_text("event", event, DIARY_FIELD_MAX_CHARS)? else {
            return Err(InputError::new("event", "blank", "describe what happened"));
        };
        Ok(DiaryEntry {
            event,
            belief: optional_text("belief", belief, DIARY_FIELD_MAX_CHARS)?,
            consequence: optional_text("consequence", consequence, DIARY_FIELD_MAX_CHARS)?,
            reframe: optional_text("reframe", reframe, DIARY_FIELD_MAX_CHARS)?,
        })
    }
}

/// A common unhelpful belief and a kinder, more accurate way to see the same event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reframe {
    pub belief: Texts,
    pub reframe: Texts,
}

/// Reframing prompts for customer-service work (from the team's training material: "客户投诉我" → "客户需要帮助";
/// complaints are about the product or service, not the person; behind anger is a need to be heard).
pub const REFRAMES: [Reframe; 8] = [
    Reframe {
        belief: ["客户投诉我", "客戶投訴我", "The customer is complaining about me"],
        reframe: ["客户需要帮助，投诉是在告诉我们问题出在哪里", "客戶需要幫助，投訴是在告訴我們問題出在哪裡", "The customer needs help; the complaint shows where the problem is"],
    },
    Reframe {
        belief: ["客户在骂我，是冲着我来的", "客戶在罵我，是衝著我來的", "The customer is attacking me personally"],
        reframe: ["客户的不满针对的是产品或服务，不是我这个人", "客戶的不滿針對的是產品或服務，不是我這個人", "The anger is about the product or service, not about who I am"],
    },
    Reframe {
        belief: ["这个客户就是故意刁难", "這個客戶就是故意刁難", "This customer is just being difficult on purpose"],
        reframe: ["客户可能很着急或担心，愤怒背后是想被倾听和理解", "客戶可能很著急或擔心，憤怒背後是想被傾聽和理解", "They may be worried or in a hurry; behind anger is a wish to be heard"],
    },
    Reframe {
        belief: ["我又没处理好，我真没用", "我又沒處理好，我真沒用", "I messed up again; I'm useless"],
        reframe: ["这一单确实难，我已经尽力了；下次我可以试试别的方法", "這一單確實難，我已經盡力了；下次我可以試試別的方法", "That one was hard and I did my best; next time I can try another approach"],
    },
    Reframe {
        belief: ["差评都是我的错", "差評都是我的錯", "Every bad rating is my fault"],
        reframe: ["差评有很多原因，比如物流和产品；我能做好的是自己的回应", "差評有很多原因，比如物流和產品；我能做好的是自己的回應", "Bad ratings have many causes, like delivery or the product; my part is my response"],
    },
    Reframe {
        belief: ["我必须让每个客户都满意", "我必須讓每個客戶都滿意", "I must make every customer happy"],
        reframe: ["我无法让所有人满意，但我可以做到专业、真诚", "我無法讓所有人滿意，但我可以做到專業、真誠", "I can't please everyone, but I can be professional and sincere"],
    },
    Reframe {
        belief: ["今天全是难缠的客户，糟透了", "今天全是難纏的客戶，糟透了", "Today is nothing but difficult customers"],
        reframe: ["几个难缠的对话不代表一整天，也有顺利解决的时刻", "幾個難纏的對話不代表一整天，也有順利解決的時刻", "A few hard conversations are not the whole day; some went well too"],
    },
    Reframe {
        belief: ["我不能有情绪，更不能求助", "我不能有情緒，更不能求助", "I shouldn't feel this way, let alone ask for help"],
        reframe: ["有情绪很正常；先深呼吸、休息一下，需要时找主管或同事聊聊", "有情緒很正常；先深呼吸、休息一下，需要時找主管或同事聊聊", "Feelings are normal; breathe, take a short break, and talk to someone when you need to"],
    },
];

/// Questions that help find a reframed belief.
pub const REFRAME_QUESTIONS: [Texts; 4] = [
    ["还有没有别的解释？", "還有沒有別的解釋？", "Is there another way to explain what happened?"],
    ["如果是朋友遇到这件事，我会对他说什么？", "如果是朋友遇到這件事，我會對他說什麼？", "What would I say to a friend in the same situation?"],
    ["一周后回头看，这件事还会这么重要吗？", "一週後回頭看，這件事還會這麼重要嗎？", "Will this matter as much a week from now?"],
    ["这件事里，哪些是我能控制的？", "這件事裡，哪些是我能控制的？", "Which parts of this can I actually influence?"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moods_and_their_weather() {
        let cases: &[(i64, Option<&str>)] =
            &[(5, Some("sunny")), (4, Some("partly_cloudy")), (3, Some("cloudy")), (2, Some("rain")), (1, Some("storm")), (0, None), (6, None), (-1, None), (i64::MAX, None)];
        for &(value, key) in cases {
            match (Mood::parse(value), key) {
                (Ok(m), Some(k)) => {
                    assert_eq!(m.value() as i64, value);
                    assert_eq!(m.weather().key, k, "{value}");
                }
                (Err(e), None) => assert_eq!((e.field, e.code), ("mood", "out_of_range"), "{value}"),
                (got, want) => panic!("{value}: {got:?} vs {want:?}"),
            }
        }
        assert_eq!(weather(5).name[0], "晴");
        assert_eq!(weather(1).name[0], "雷雨");
        assert_eq!(weather(0).key, "storm", "clamped");
        assert_eq!(weather(9).key, "sunny", "clamped");
    }

    #[test]
    fn check_in_validation() {
        type Case<'a> = (i64, &'a [&'a str], &'a str, Result<(usize, Option<&'a str>), (&'a str, &'a str)>);
        let long = "好".repeat(NOTE_MAX_CHARS);
        let too_long = "好".repeat(NOTE_MAX_CHARS + 1);
        let cases: Vec<Case<'_>> = vec![
            (4, &[], "", Ok((0, None))),
            (4, &["tired", "workload"], "  今天有点累  ", Ok((2, Some("今天有点累")))),
            (3, &["tired", "tired"], "", Ok((1, None))),
            (3, &[], &long, Ok((0, Some(long.as_str())))),
            (3, &[], "<b>hi</b>", Ok((0, Some("<b>hi</b>")))),
            (3, &[], &too_long, Err(("note", "too_long"))),
            (3, &[], "a\0b", Err(("note", "invalid_character"))),
            (3, &["angry_boss"], "", Err(("tags", "unknown"))),
            (3, &["tired", "workload", "health", "personal", "learning", "teamwork"], "", Err(("tags", "too_many"))),
            (0, &[], "", Err(("mood", "out_of_range"))),
        ];
        for (mood, tags, note, want) in cases {
            let got = CheckIn::parse(mood, tags, note, false);
            match (got, want) {
                (Ok(c), Ok((n, note))) => {
                    assert_eq!(c.tags.len(), n);
                    assert_eq!(c.note.as_deref(), note);
                }
                (Err(e), Err((field, code))) => assert_eq!((e.field, e.code), (field, code)),
                (got, want) => panic!("{mood} {tags:?}: {got:?} vs {want:?}"),
            }
        }
    }

    #[test]
    fn sharp_drops() {
        let cases: &[(Option<u8>, u8, bool)] = &[
            (None, 5, false),
            (None, 2, false),
            (None, 1, true),
            (Some(5), 3, true),
            (Some(4), 3, false),
            (Some(3), 3, false),
            (Some(2), 4, false),
            (Some(4), 2, true),
            (Some(2), 1, true),
            (Some(5), 4, false),
        ];
        for &(previous, current, expected) in cases {
            assert_eq!(sharp_mood_drop(previous, current), expected, "{previous:?} → {current}");
        }
    }

    fn s(user_id: i64, at: i64, mood: u8) -> MoodSample {
        MoodSample { user_id, at, mood }
    }

    #[test]
    fn aggregates_need_three_people() {
        assert_eq!(aggregate(&[]), None);
        assert_eq!(aggregate(&[s(1, 0, 5), s(2, 0, 1)]), None);
        assert_eq!(aggregate(&[s(1, 0, 5), s(1, 1, 4), s(2, 0, 1), s(2, 5, 3)]), None, "many check-ins, two people");
        let w = aggregate(&[s(1, 0, 5), s(2, 0, 3), s(3, 0, 1)]).unwrap();
        assert_eq!((w.people, w.checkins, w.average, w.weather.key), (3, 3, 3.0, "cloudy"));
        // Person 1 checks in three times: still one voice (mean 4), with 2 and 3: (4 + 2 + 3) / 3 = 3.0.
        let w = aggregate(&[s(1, 0, 5), s(1, 1, 5), s(1, 2, 2), s(2, 0, 2), s(3, 0, 3)]).unwrap();
        assert_eq!((w.people, w.checkins, w.average), (3, 5, 3.0));
        let w = aggregate(&[s(1, 0, 5), s(2, 0, 5), s(3, 0, 4)]).unwrap();
        assert_eq!((w.average, w.weather.key), (4.7, "sunny"));
    }

    #[test]
    fn buckets_are_each_checked_for_the_group_size() {
        let h = 3_600_000;
        let samples = [s(1, 0, 4), s(2, 10, 4), s(3, h - 1, 4), s(1, h, 2), s(2, h + 5, 2), s(3, 2 * h, 5), s(4, 2 * h, 5), s(5, 3 * h - 1, 5)];
        let b = bucketed(&samples, 0, h, 4);
        assert_eq!(b.iter().map(|b| b.start).collect::<Vec<_>>(), [0, h, 2 * h, 3 * h]);
        assert_eq!(b[0].weather.map(|w| w.people), Some(3));
        assert_eq!(b[1].weather, None, "two people in the second hour");
        assert_eq!(b[2].weather.map(|w| w.weather.key), Some("sunny"));
        assert_eq!(b[3].weather, None, "empty");
    }

    #[test]
    fn the_latest_weather_counts_each_persons_newest_check_in() {
        let samples = [s(1, 100, 1), s(1, 200, 5), s(2, 150, 5), s(3, 50, 1), s(3, 120, 5)];
        assert_eq!(latest_weather(&samples, 100).map(|w| (w.people, w.average)), Some((3, 5.0)), "newest of each; 50 is too old");
        let samples = [s(1, 100, 1), s(1, 200, 5), s(2, 150, 5), s(3, 50, 1), s(3, 120, 2)];
        let w = latest_weather(&samples, 0).unwrap();
        assert_eq!((w.people, w.checkins, w.average), (3, 3, 4.0));
        assert_eq!(latest_weather(&samples, 130), None, "only two people since 130");
        let same_ms = [s(1, 7, 1), s(1, 7, 4), s(2, 7, 4), s(3, 7, 4)];
        assert_eq!(latest_weather(&same_ms, 0).map(|w| w.average), Some(4.0), "on a tie the later sample wins");
    }

    #[test]
    fn who5_scoring_table() {
        type Case<'a> = (&'a [i64], Result<(u32, u32, &'a str), &'a str>);
        let cases: &[Case<'_>] = &[
            (&[5, 5, 5, 5, 5], Ok((25, 100, "good"))),
            (&[0, 0, 0, 0, 0], Ok((0, 0, "low"))),
            (&[3, 3, 3, 2, 2], Ok((13, 52, "good"))),
            (&[3, 3, 2, 2, 2], Ok((12, 48, "reduced"))),
            (&[2, 3, 2, 3, 2], Ok((12, 48, "reduced"))),
            (&[3, 2, 2, 3, 3], Ok((13, 52, "good"))),
            (&[2, 2, 2, 1, 0], Ok((7, 28, "low"))),
            (&[2, 2, 2, 1, 1], Ok((8, 32, "reduced"))),
            (&[2, 2, 2, 2, 2], Ok((10, 40, "reduced"))),
            (&[5, 5, 5, 5], Err("wrong_count")),
            (&[5, 5, 5, 5, 5, 5], Err("wrong_count")),
            (&[5, 5, 5, 5, 6], Err("out_of_range")),
            (&[5, 5, -1, 5, 5], Err("out_of_range")),
        ];
        for &(answers, want) in cases {
            match (WHO5.score(answers), want) {
                (Ok(s), Ok((raw, score, band))) => {
                    assert_eq!((s.raw, s.score, WHO5.band(s.score).key), (raw, score, band), "{answers:?}");
                    assert_eq!(s.answers.iter().map(|&a| a as i64).collect::<Vec<_>>(), answers);
                }
                (Err(e), Err(code)) => assert_eq!((e.field, e.code), ("answers", code), "{answers:?}"),
                (got, want) => panic!("{answers:?}: {got:?} vs {want:?}"),
            }
        }
        // Band edges: ≤ 28 low, ≤ 50 reduced, above good.
        for (score, band) in [(0, "low"), (28, "low"), (29, "reduced"), (50, "reduced"), (51, "good"), (100, "good"), (400, "good")] {
            assert_eq!(WHO5.band(score).key, band, "{score}");
        }
        assert!(WHO5.band(20).concern && WHO5.band(44).concern && !WHO5.band(80).concern);
    }

    #[test]
    fn who5_changes_of_ten_points_are_significant() {
        for (prev, cur, want) in [(40, 50, Change::Better), (40, 49, Change::Same), (60, 50, Change::Worse), (60, 52, Change::Same), (0, 100, Change::Better)] {
            assert_eq!(WHO5.change(prev, cur), want, "{prev} → {cur}");
        }
    }

    #[test]
    fn instruments_are_well_formed_data() {
        assert_eq!(instrument("who5"), Some(&WHO5));
        assert_eq!(instrument("phq9"), None);
        for i in INSTRUMENTS {
            assert!(!i.items.is_empty() && !i.options.is_empty() && !i.bands.is_empty(), "{}", i.id);
            assert!(i.bands.windows(2).all(|w| w[0].up_to < w[1].up_to), "{}: bands ordered", i.id);
            assert_eq!(i.bands.last().unwrap().up_to, i.max_score, "{}: the last band reaches the top", i.id);
            let top = i.options.iter().map(|o| o.value as u32).max().unwrap();
            assert_eq!(top * i.items.len() as u32 * i.multiplier, i.max_score, "{}", i.id);
            for texts in i.items.iter().chain(i.options.iter().map(|o| &o.label)).chain(i.bands.iter().flat_map(|b| [&b.label, &b.advice])) {
                assert!(texts.iter().all(|t| !t.trim().is_empty()), "{}: {texts:?}", i.id);
            }
        }
        // Advice never diagnoses.
        for band in WHO5.bands {
            assert!(!band.advice[0].contains("你患有") && !band.advice[2].to_lowercase().contains("you have depression"));
        }
    }

    #[test]
    fn selftest_schedule() {
        let day = 86_400_000;
        assert_eq!(next_selftest_due(None, 14, 5), 5, "never taken: due now");
        assert_eq!(next_selftest_due(Some(1000), 14, 5), 1000 + 14 * day);
        assert_eq!(next_selftest_due(Some(0), 0, 5), day, "clamped to at least a day");
        for (days, ok) in [(1, true), (14, true), (90, true), (0, false), (91, false), (-3, false)] {
            assert_eq!(parse_selftest_days(days).is_ok(), ok, "{days}");
        }
    }

    #[test]
    fn diary_validation() {
        let long = "x".repeat(DIARY_FIELD_MAX_CHARS + 1);
        type Case<'a> = (&'a str, &'a str, &'a str, &'a str, Option<(&'a str, &'a str)>);
        let cases: &[Case<'_>] = &[
            ("客户说要投诉我", "我又搞砸了", "很难受，想哭", "客户需要帮助", None),
            ("客户说要投诉我", "", "", "", None),
            ("   ", "我又搞砸了", "", "", Some(("event", "blank"))),
            ("事", &long, "", "", Some(("belief", "too_long"))),
            ("事", "", "\0", "", Some(("consequence", "invalid_character"))),
            ("事", "", "", &long, Some(("reframe", "too_long"))),
        ];
        for &(a, b, c, r, want) in cases {
            match (DiaryEntry::parse(a, b, c, r), want) {
                (Ok(e), None) => {
                    assert_eq!(e.event, a.trim());
                    assert_eq!(e.belief.is_some(), !b.is_empty());
                }
                (Err(e), Some((field, code))) => assert_eq!((e.field, e.code), (field, code)),
                (got, want) => panic!("{a}: {got:?} vs {want:?}"),
            }
        }
    }

    #[test]
    fn reframing_prompts_are_complete() {
        assert_eq!(REFRAMES[0].belief[0], "客户投诉我");
        assert!(REFRAMES[0].reframe[0].starts_with("客户需要帮助"));
        for r in REFRAMES.iter().flat_map(|r| [r.belief, r.reframe]).chain(REFRAME_QUESTIONS) {
            assert!(r.iter().all(|t| !t.is_empty()), "{r:?}");
            assert_ne!(r[0], r[2], "translated");
        }
    }
}
