//! Escalation and intensity signals: regulator, platform complaint, media, legal threats, urgency, shouting,
//! profanity and repeated contact.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::normalize::Normalized;
use crate::types::{Signal, SignalKind, Span};

/// Lexicon per kind, in Simplified Chinese / lower-case English (matching runs on normalised text).
const TABLE: &[(SignalKind, &[&str])] = &[
    (SignalKind::Regulator, &["12315", "消协", "消费者协会", "工商", "市场监管", "市场监督管理局", "12345", "315"]),
    (
        SignalKind::PlatformComplaint,
        &["投诉", "差评", "举报", "给差评", "打差评", "一星", "申请介入", "平台介入", "小二介入", "complain", "complaint", "bad review", "one star", "report you"],
    ),
    (
        SignalKind::Media,
        &["曝光", "媒体", "微博", "发抖音", "小红书", "朋友圈", "记者", "电视台", "网上发", "social media", "go public", "twitter"],
    ),
    (SignalKind::Legal, &["律师", "起诉", "法院", "告你们", "打官司", "仲裁", "法律途径", "维权", "lawyer", "sue", "court", "legal action"]),
    (
        SignalKind::Urgency,
        &["急", "着急", "急用", "马上", "立刻", "赶紧", "尽快", "今天必须", "今天之内", "等不了", "十万火急", "火速", "asap", "urgent", "immediately", "right now"],
    ),
    (
        SignalKind::Profanity,
        &[
            "傻逼", "煞笔", "sb", "垃圾", "骗子", "混蛋", "滚", "去死", "妈的", "他妈", "尼玛", "脑残", "白痴", "废物", "狗东西", "坑爹",
            "恶心", "王八蛋", "畜生", "贱", "卧槽", "我靠", "tmd", "nmsl", "有病", "神经病", "智障", "fuck", "fucking", "shit", "idiot",
            "scam", "scammer", "stupid", "bullshit", "damn", "crap",
        ],
    ),
    (
        SignalKind::RepeatedContact,
        &["又来问", "又来了", "问了好几次", "说了多少遍", "多少次了", "几次三番", "反复", "再三", "催了好几次", "一直没人", "again and again", "third time", "how many times"],
    ),
];

/// Words that contain a profanity entry but are harmless (垃圾袋 is a bin bag).
const HARMLESS: &[&str] = &["垃圾袋", "垃圾桶", "垃圾分类", "滚筒", "滚轮", "急诊", "sbc", "恶心感", "贱卖"];

struct Lexicon {
    automaton: AhoCorasick,
    kinds: Vec<Option<SignalKind>>,
    latin: Vec<bool>,
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut patterns: Vec<&str> = Vec::new();
    let mut kinds = Vec::new();
    for (kind, words) in TABLE {
        for w in *words {
            patterns.push(w);
            kinds.push(Some(*kind));
        }
    }
    for w in HARMLESS {
        patterns.push(w);
        kinds.push(None);
    }
    let latin = patterns.iter().map(|p| p.is_ascii()).collect();
    let automaton = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&patterns).expect("valid patterns");
    Lexicon { automaton, kinds, latin }
});

/// "第三次", "第3次", "第N回", "three times": counted contact.
static REPEATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"第[二三四五六七八九十几2-9][0-9]?[次回遍]|[三四五六七八九十几]次了|[2-9]次了|(?:three|four|five|\d+) times").expect("valid regex")
});

/// Finds the signals in a message. Spans are character indices valid on `original`.
pub fn detect(original: &str, norm: &Normalized) -> Vec<Signal> {
    let text = norm.as_str();
    let bytes = text.as_bytes();
    let lex = &*LEXICON;
    let mut out = Vec::new();
    let mut push = |kind: SignalKind, start: usize, end: usize, out: &mut Vec<Signal>| {
        out.push(Signal { kind, span: Span::new(start, end), text: String::new() });
    };
    for m in lex.automaton.find_iter(text) {
        let id = m.pattern().as_usize();
        if lex.latin[id] {
            let before = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
            let after = m.end() == bytes.len() || !bytes[m.end()].is_ascii_alphanumeric();
            if !(before && after) {
                continue;
            }
        }
        if let Some(kind) = lex.kinds[id] {
            // "315" alone is a regulator threat only as a number of its own, not inside a longer number.
            if id < lex.kinds.len() && text[m.start()..m.end()].bytes().all(|b| b.is_ascii_digit()) {
                let digit_before = m.start() > 0 && bytes[m.start() - 1].is_ascii_digit();
                let digit_after = m.end() < bytes.len() && bytes[m.end()].is_ascii_digit();
                if digit_before || digit_after {
                    continue;
                }
            }
            push(kind, norm.char_index(m.start()), norm.char_index(m.end()), &mut out);
        }
    }
    if text.contains('次') || text.contains('回') || text.contains('遍') || text.contains("times") {
        for m in REPEATED.find_iter(text) {
            push(SignalKind::RepeatedContact, norm.char_index(m.start()), norm.char_index(m.end()), &mut out);
        }
    }
    shouting(original, norm, &mut out, &mut push);
    out.sort_by_key(|s| (s.span.start, s.span.end));
    out.dedup_by(|a, b| a.kind == b.kind && a.span.overlaps(&b.span));
    fill_original_text(original, &mut out, |s| s.span, |s, t| s.text = t);
    out
}

/// Sets each item's text to its span of the original, walking the original once (spans sorted by start).
pub(crate) fn fill_original_text<T>(original: &str, items: &mut [T], span: impl Fn(&T) -> Span, mut set: impl FnMut(&mut T, String)) {
    if items.is_empty() {
        return;
    }
    let offsets: Vec<usize> = original.char_indices().map(|(b, _)| b).chain(std::iter::once(original.len())).collect();
    let last = offsets.len() - 1;
    for item in items.iter_mut() {
        let Span { start, end } = span(item);
        let text = original[offsets[start.min(last)]..offsets[end.min(last)]].to_string();
        set(item, text);
    }
}

/// Bursts of three or more '!' / '?' (full-width folded), and English written in capitals.
fn shouting(
    original: &str,
    norm: &Normalized,
    out: &mut Vec<Signal>,
    push: &mut impl FnMut(SignalKind, usize, usize, &mut Vec<Signal>),
) {
    let mut run_start = None;
    let chars: Vec<char> = norm.as_str().chars().collect();
    for (i, c) in chars.iter().copied().chain(std::iter::once('\0')).enumerate() {
        let burst = matches!(c, '!' | '?');
        match (burst, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(s)) => {
                if i - s >= 3 && chars[s..i].contains(&'!') || i - s >= 4 {
                    push(SignalKind::Shouting, s, i, out);
                }
                run_start = None;
            }
            _ => {}
        }
    }
    // Capitals: words of 3+ upper-case letters in the original, when at least two such words or most letters.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let (mut upper_letters, mut letters) = (0usize, 0usize);
    let mut current: Option<(usize, usize, bool)> = None;
    for (i, c) in original.chars().chain(std::iter::once(' ')).enumerate() {
        if c.is_ascii_alphabetic() {
            letters += 1;
            upper_letters += c.is_ascii_uppercase() as usize;
            current = Some(match current {
                Some((s, n, all)) => (s, n + 1, all && c.is_ascii_uppercase()),
                None => (i, 1, c.is_ascii_uppercase()),
            });
        } else if let Some((s, n, all)) = current.take() {
            if all && n >= 3 {
                words.push((s, s + n));
            }
        }
    }
    if words.len() >= 2 || (!words.is_empty() && letters >= 6 && upper_letters * 10 >= letters * 8) {
        for (s, e) in words {
            push(SignalKind::Shouting, s, e, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(SignalKind, String)> {
        detect(text, &Normalized::new(text)).into_iter().map(|s| (s.kind, s.text)).collect()
    }

    fn check(text: &str, expected: &[(SignalKind, &str)]) {
        let got = kinds(text);
        for (kind, word) in expected {
            assert!(got.iter().any(|(k, t)| k == kind && t == word), "{text}: expected {kind} {word:?} in {got:?}");
        }
    }

    #[test]
    fn finds_threats_urgency_and_insults() {
        check("再不处理我就打12315，还要去消协", &[(SignalKind::Regulator, "12315"), (SignalKind::Regulator, "消协")]);
        check("我要投诉你们，给差评", &[(SignalKind::PlatformComplaint, "投诉"), (SignalKind::PlatformComplaint, "给差评")]);
        check("我要在微博曝光你们", &[(SignalKind::Media, "微博"), (SignalKind::Media, "曝光")]);
        check("我已經找了律師，準備起訴", &[(SignalKind::Legal, "律師"), (SignalKind::Legal, "起訴")]);
        check("今天必须给我解决，马上", &[(SignalKind::Urgency, "今天必须"), (SignalKind::Urgency, "马上")]);
        check("你们这群骗子，垃圾", &[(SignalKind::Profanity, "骗子"), (SignalKind::Profanity, "垃圾")]);
        check("这是第三次问了，又来问", &[(SignalKind::RepeatedContact, "第三次"), (SignalKind::RepeatedContact, "又来问")]);
        check("I will SUE you, this is a SCAM", &[(SignalKind::Legal, "SUE"), (SignalKind::Profanity, "SCAM")]);
    }

    #[test]
    fn finds_shouting() {
        check("退钱！！！", &[(SignalKind::Shouting, "！！！")]);
        check("what?!?!", &[(SignalKind::Shouting, "?!?!")]);
        check("WHERE IS MY ORDER", &[(SignalKind::Shouting, "WHERE"), (SignalKind::Shouting, "ORDER")]);
        assert!(kinds("I bought a USB cable").is_empty(), "one acronym is not shouting");
    }

    #[test]
    fn ignores_harmless_words() {
        assert!(kinds("垃圾袋质量不错，请问有垃圾桶吗").is_empty());
        assert!(kinds("this is an issue").is_empty(), "sue inside issue");
        assert!(kinds("订单号1231578900").is_empty(), "315 inside a number");
        assert!(kinds("").is_empty());
    }

    #[test]
    fn long_input_is_linear() {
        let text = "投诉！！！".repeat(20_000);
        assert!(detect(&text, &Normalized::new(&text)).len() >= 20_000);
    }
}
