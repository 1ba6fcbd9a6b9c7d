//! Reply tone check: flags impatient, blaming, dismissive, refusing, sarcastic or cold wording in an agent's draft,
//! lists what this customer's emotion needs that the draft lacks, scores it and proposes a rewrite.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

use crate::normalize::Normalized;
use crate::signals::fill_original_text;
use crate::types::{ComplaintType, Emotion, Span};

/// What the tone check needs to know about the customer being answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerContext {
    pub emotion: Emotion,
    pub intensity: f32,
    pub complaint: Option<ComplaintType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToneProblemKind {
    Impatient,
    Blaming,
    Dismissive,
    AbsoluteRefusal,
    Sarcasm,
    Cold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingElement {
    Acknowledgement,
    Apology,
    NextStepWithTime,
    Options,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToneVerdict {
    Ok,
    Review,
    Rewrite,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneProblem {
    pub kind: ToneProblemKind,
    pub span: Span,
    pub text: String,
    /// Short advice for the agent (Simplified Chinese).
    pub advice: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneCheck {
    /// 0–100, 100 = ideal.
    pub score: u8,
    pub verdict: ToneVerdict,
    pub problems: Vec<ToneProblem>,
    pub missing: Vec<MissingElement>,
    /// A better version that keeps the agent's facts; `None` when there is nothing to improve.
    pub suggestion: Option<String>,
}

/// Flagged phrases (Simplified, lower case) with their kind and what replaces them in the rewrite.
const PHRASES: &[(&str, ToneProblemKind, &str)] = &[
    ("不是跟你说了吗", ToneProblemKind::Impatient, ""),
    ("不是和你说了吗", ToneProblemKind::Impatient, ""),
    ("不是说过了吗", ToneProblemKind::Impatient, ""),
    ("我已经说过了", ToneProblemKind::Impatient, ""),
    ("说了多少遍", ToneProblemKind::Impatient, ""),
    ("你自己看", ToneProblemKind::Impatient, "我帮您查一下"),
    ("自己去看", ToneProblemKind::Impatient, "我帮您查一下"),
    ("听不懂吗", ToneProblemKind::Impatient, ""),
    ("烦不烦", ToneProblemKind::Impatient, ""),
    ("你到底要怎样", ToneProblemKind::Impatient, "请问您希望怎么处理"),
    ("i already told you", ToneProblemKind::Impatient, ""),
    ("read it yourself", ToneProblemKind::Impatient, "let me check it for you"),
    ("是你自己没看清楚", ToneProblemKind::Blaming, "可能页面说明不够清楚"),
    ("你自己没看清楚", ToneProblemKind::Blaming, "可能页面说明不够清楚"),
    ("你自己的问题", ToneProblemKind::Blaming, "这个情况"),
    ("谁让你", ToneProblemKind::Blaming, ""),
    ("你怎么不早说", ToneProblemKind::Blaming, "感谢您告诉我们"),
    ("你没看说明吗", ToneProblemKind::Blaming, ""),
    ("it's your fault", ToneProblemKind::Blaming, ""),
    ("这不归我管", ToneProblemKind::Dismissive, "我来帮您联系负责的同事"),
    ("不归我管", ToneProblemKind::Dismissive, "我来帮您联系负责的同事"),
    ("我也没办法", ToneProblemKind::Dismissive, "这个情况我需要向同事确认"),
    ("没办法", ToneProblemKind::Dismissive, "这个情况我需要向同事确认"),
    ("跟我没关系", ToneProblemKind::Dismissive, "我来帮您跟进"),
    ("你找快递去", ToneProblemKind::Dismissive, "我来帮您联系快递"),
    ("找别人", ToneProblemKind::Dismissive, "我来帮您联系负责的同事"),
    ("not my problem", ToneProblemKind::Dismissive, "let me find the right colleague for you"),
    ("nothing i can do", ToneProblemKind::Dismissive, "let me check what we can do"),
    ("不可能", ToneProblemKind::AbsoluteRefusal, "暂时比较难"),
    ("绝对不行", ToneProblemKind::AbsoluteRefusal, "暂时无法直接办理"),
    ("不能退", ToneProblemKind::AbsoluteRefusal, "暂时无法直接退货，不过我可以为您看看其他方案"),
    ("不给退", ToneProblemKind::AbsoluteRefusal, "暂时无法直接退货，不过我可以为您看看其他方案"),
    ("规定就是规定", ToneProblemKind::AbsoluteRefusal, "按平台规则"),
    ("no way", ToneProblemKind::AbsoluteRefusal, "that is difficult"),
    ("absolutely not", ToneProblemKind::AbsoluteRefusal, "that is difficult"),
    ("呵呵", ToneProblemKind::Sarcasm, ""),
    ("您可真行", ToneProblemKind::Sarcasm, ""),
    ("您高兴就好", ToneProblemKind::Sarcasm, ""),
    ("随便你", ToneProblemKind::Sarcasm, ""),
    ("厉害了", ToneProblemKind::Sarcasm, ""),
    ("whatever", ToneProblemKind::Sarcasm, ""),
];

/// Phrases that contain a flagged phrase but are fine ("不可能让您白等" promises, it does not refuse).
const EXCUSED: &[&str] = &["不可能让您", "想办法", "办法"];

const COLD_REPLIES: &[&str] = &["哦", "嗯", "好", "知道了", "不知道", "没有", "ok", "no", "k", "行", "哦哦", "嗯嗯"];

const ACKNOWLEDGE: &[&str] = &["理解", "明白", "感受", "辛苦", "着急", "心情", "委屈", "understand", "frustrat"];
const APOLOGY: &[&str] = &["抱歉", "对不起", "不好意思", "添麻烦", "致歉", "sorry", "apologi"];
const TIME_WORDS: &[&str] = &[
    "今天", "明天", "小时", "分钟", "马上", "稍后", "点前", "之前", "以内", "内给", "工作日", "today", "tomorrow", "hour", "minute",
];
const OPTION_WORDS: &[&str] = &["或者", "选择", "方案", "也可以", "还是", "either", "or ", "option"];

static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let patterns: Vec<&str> = PHRASES.iter().map(|p| p.0).chain(EXCUSED.iter().copied()).collect();
    AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(patterns).expect("valid patterns")
});

fn advice(kind: ToneProblemKind) -> &'static str {
    match kind {
        ToneProblemKind::Impatient => "避免不耐烦的说法：换成主动帮客户确认。",
        ToneProblemKind::Blaming => "不要指责客户，先承认说明可能不够清楚。",
        ToneProblemKind::Dismissive => "不要推脱：说明由谁、何时跟进。",
        ToneProblemKind::AbsoluteRefusal => "避免绝对拒绝：说明限制并给出可选方案。",
        ToneProblemKind::Sarcasm => "去掉反讽语气，客户会觉得被嘲讽。",
        ToneProblemKind::Cold => "回复过于简短冷淡：补充称呼、说明和下一步。",
    }
}

fn contains_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// Checks an agent's draft against the customer's state (or, without context, for tone problems only).
pub fn check_reply(draft: &str, customer: Option<&CustomerContext>) -> ToneCheck {
    let norm = Normalized::new(draft);
    let text = norm.as_str();
    let english = norm.latin_letters > 0 && norm.cjk_chars == 0;
    let mut problems: Vec<ToneProblem> = Vec::new();
    let mut replacements: Vec<(Span, &'static str)> = Vec::new();
    for m in AUTOMATON.find_iter(text) {
        let Some(&(_, kind, replacement)) = PHRASES.get(m.pattern().as_usize()) else { continue };
        let span = Span::new(norm.char_index(m.start()), norm.char_index(m.end()));
        problems.push(ToneProblem { kind, span, text: String::new(), advice: advice(kind) });
        replacements.push((span, replacement));
    }
    let trimmed = text.trim().trim_end_matches(['.', '。', '!', '！', '~']);
    if COLD_REPLIES.contains(&trimmed) {
        let span = Span::new(0, norm.char_len());
        problems.push(ToneProblem { kind: ToneProblemKind::Cold, span, text: String::new(), advice: advice(ToneProblemKind::Cold) });
        replacements.push((span, ""));
    }
    fill_original_text(draft, &mut problems, |p| p.span, |p, t| p.text = t);

    let mut missing = Vec::new();
    if let Some(c) = customer {
        let upset = c.emotion.is_negative();
        if upset && !contains_any(text, ACKNOWLEDGE) {
            missing.push(MissingElement::Acknowledgement);
        }
        if (c.complaint.is_some() || matches!(c.emotion, Emotion::Anger | Emotion::Disappointment)) && !contains_any(text, APOLOGY) {
            missing.push(MissingElement::Apology);
        }
        let has_time = contains_any(text, TIME_WORDS) || text.bytes().any(|b| b.is_ascii_digit()) && text.contains('点');
        if (c.emotion == Emotion::Anxiety || c.complaint.is_some()) && !has_time {
            missing.push(MissingElement::NextStepWithTime);
        }
        let wants_options = c.emotion == Emotion::Disappointment
            || (c.intensity >= 0.5
                && matches!(
                    c.complaint,
                    Some(ComplaintType::RefundReturn | ComplaintType::Quality | ComplaintType::SizeSpec | ComplaintType::Logistics)
                ));
        if wants_options && !contains_any(text, OPTION_WORDS) {
            missing.push(MissingElement::Options);
        }
    }

    let mut score: i32 = 100;
    for p in &problems {
        score -= match p.kind {
            ToneProblemKind::Impatient | ToneProblemKind::Blaming | ToneProblemKind::Sarcasm => 25,
            ToneProblemKind::Dismissive | ToneProblemKind::AbsoluteRefusal => 20,
            ToneProblemKind::Cold => 15,
        };
    }
    for m in &missing {
        score -= match (m, customer) {
            (MissingElement::Acknowledgement, Some(c)) if c.intensity >= 0.6 => 15,
            _ => 10,
        };
    }
    let score = score.clamp(0, 100) as u8;
    let verdict = match score {
        80..=100 => ToneVerdict::Ok,
        50..=79 => ToneVerdict::Review,
        _ => ToneVerdict::Rewrite,
    };
    let suggestion = if problems.is_empty() && missing.is_empty() {
        None
    } else {
        Some(rewrite(draft, &replacements, &missing, customer, english))
    };
    ToneCheck { score, verdict, problems, missing, suggestion }
}

/// Replaces flagged phrases, keeps everything else verbatim (numbers, dates, order numbers), and adds the missing
/// elements around it.
fn rewrite(draft: &str, replacements: &[(Span, &'static str)], missing: &[MissingElement], customer: Option<&CustomerContext>, english: bool) -> String {
    let chars: Vec<char> = draft.chars().collect();
    let mut body = String::new();
    let mut at = 0;
    for (span, replacement) in replacements {
        if span.start < at {
            continue;
        }
        body.extend(&chars[at..span.start]);
        body.push_str(replacement);
        at = span.end;
    }
    body.extend(&chars[at.min(chars.len())..]);
    let body = body.trim_matches(|c: char| c.is_whitespace() || matches!(c, '，' | ',' | '。' | '！' | '!' | '？' | '?'));
    let emotion = customer.map(|c| c.emotion).unwrap_or(Emotion::Neutral);
    let mut out = String::new();
    if missing.contains(&MissingElement::Acknowledgement) {
        out.push_str(match (english, emotion) {
            (true, _) => "I completely understand how frustrating this is. ",
            (false, Emotion::Anxiety) => "理解您着急的心情，我马上为您确认。",
            (false, Emotion::Disappointment) => "很理解您的失望，这次的体验没有达到您的期待。",
            (false, _) => "非常理解您现在的心情，这件事确实让您受委屈了。",
        });
    }
    if missing.contains(&MissingElement::Apology) {
        out.push_str(if english { "I'm sorry for the trouble. " } else { "给您添麻烦了，非常抱歉。" });
    }
    if !body.is_empty() {
        out.push_str(body);
        out.push_str(if english { ". " } else { "。" });
    }
    if missing.contains(&MissingElement::NextStepWithTime) {
        out.push_str(if english { "I will update you on the progress by [time]. " } else { "我会在【时间】前给您回复处理进展。" });
    }
    if missing.contains(&MissingElement::Options) {
        out.push_str(if english { "Would you prefer [option 1] or [option 2]?" } else { "您看是选择【方案一】还是【方案二】？" });
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn angry_logistics() -> CustomerContext {
        CustomerContext { emotion: Emotion::Anger, intensity: 0.8, complaint: Some(ComplaintType::Logistics) }
    }

    fn check(draft: &str, customer: Option<CustomerContext>, kinds: &[ToneProblemKind], missing: &[MissingElement]) -> ToneCheck {
        let c = check_reply(draft, customer.as_ref());
        let got: Vec<ToneProblemKind> = c.problems.iter().map(|p| p.kind).collect();
        assert_eq!(got, kinds, "{draft}");
        assert_eq!(c.missing, missing, "{draft}");
        c
    }

    #[test]
    fn flags_problems_in_simplified_traditional_and_english() {
        use ToneProblemKind::*;
        check("不是跟你说了吗，你自己看订单", None, &[Impatient, Impatient], &[]);
        check("不是跟你說了嗎，這不歸我管", None, &[Impatient, Dismissive], &[]);
        check("是你自己没看清楚，不能退", None, &[Blaming, AbsoluteRefusal], &[]);
        check("呵呵，随便你", None, &[Sarcasm, Sarcasm], &[]);
        check("哦", None, &[Cold], &[]);
        check("I already told you, not my problem", None, &[Impatient, Dismissive], &[]);
        check("我们一定想办法帮您解决，不可能让您白等", None, &[], &[]);
    }

    #[test]
    fn a_good_reply_passes() {
        let c = check(
            "非常理解您的心情，给您添麻烦了，抱歉。我已经为您申请补发，今天18:00前会把快递单号发给您。您也可以选择直接退款，您看哪种更方便？",
            Some(angry_logistics()),
            &[],
            &[],
        );
        assert_eq!(c.verdict, ToneVerdict::Ok);
        assert_eq!(c.suggestion, None);
        assert_eq!(c.score, 100);
    }

    #[test]
    fn missing_elements_follow_the_customer_emotion() {
        use MissingElement::*;
        let neutral = CustomerContext { emotion: Emotion::Neutral, intensity: 0.1, complaint: None };
        check("有的，黑色和白色都有货。", Some(neutral), &[], &[]);
        let anxious = CustomerContext { emotion: Emotion::Anxiety, intensity: 0.6, complaint: None };
        check("已经发货了。", Some(anxious), &[], &[Acknowledgement, NextStepWithTime]);
        let disappointed = CustomerContext { emotion: Emotion::Disappointment, intensity: 0.5, complaint: Some(ComplaintType::Quality) };
        check("可以退货。", Some(disappointed), &[], &[Acknowledgement, Apology, NextStepWithTime, Options]);
    }

    #[test]
    fn rewrite_keeps_the_facts() {
        let c = check_reply("不是跟你说了吗，订单123456789今天下午发货", Some(&angry_logistics()));
        let s = c.suggestion.expect("a rewrite");
        assert!(s.contains("123456789") && s.contains("今天下午"), "{s}");
        assert!(!s.contains("不是跟你说了吗"), "{s}");
        assert!(s.starts_with("非常理解"), "{s}");
        assert!(c.verdict != ToneVerdict::Ok);
        let en = check_reply("Read it yourself. Your order ships on Monday.", Some(&angry_logistics())).suggestion.unwrap();
        assert!(en.contains("Monday") && en.starts_with("I completely understand"), "{en}");
    }

    #[test]
    fn empty_and_huge_drafts_do_not_panic() {
        let empty = check_reply("", None);
        assert_eq!(empty.score, 100);
        let huge = "你自己看。".repeat(200_000);
        let c = check_reply(&huge, Some(&angry_logistics()));
        assert_eq!(c.score, 0);
    }
}
