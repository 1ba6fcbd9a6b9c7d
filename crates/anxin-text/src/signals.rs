//! Escalation and intensity signals in a customer message: regulator, platform, media and legal threats, urgency, shouting, profanity and repeated contact.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::normalize::Normalized;
use crate::types::{Signal, SignalKind, Span};

/// Lexicon per kind, written in Simplified Chinese and lower-case English because matching runs on the normalised
/// text (Traditional folds to Simplified, full-width to half-width, ASCII to lower case). No entry of one kind may
/// contain an entry of another kind: the automaton reports non-overlapping matches, so the longer one would hide it.
const TABLE: &[(SignalKind, &[&str])] = &[
    (
        SignalKind::Regulator,
        &[
            "12315", "12315热线", "12345热线", "市长热线", "315", "消协", "消费者协会", "消保委", "消委会", "消基会",
            "消保官", "工商", "工商局", "市场监管", "市场监管局", "市场监督", "市场监督管理局", "物价局", "质监局",
            "监管部门", "有关部门", "相关部门", "consumer council", "consumer protection", "consumer association",
            "better business bureau", "bbb", "ftc", "trading standards",
        ],
    ),
    (
        SignalKind::PlatformComplaint,
        &[
            "投诉", "差评", "给差评", "打差评", "写差评", "举报", "检举", "一星", "给一星", "客诉", "负评", "申请介入",
            "平台介入", "小二介入", "官方介入", "complain", "complains", "complained", "complaining", "complaint",
            "complaints", "report you", "reporting you", "report your store", "report this seller", "bad review",
            "bad reviews", "negative review", "negative feedback", "one star", "one-star", "1 star", "1-star", "dispute",
            "chargeback",
        ],
    ),
    (
        SignalKind::Media,
        &[
            "曝光", "媒体", "微博", "发微博", "抖音发", "发抖音", "发到抖音", "小红书", "发朋友圈", "发到朋友圈", "记者",
            "电视台", "上新闻", "发到网上", "公之于众", "上热搜", "social media", "go public", "going public",
            "the press", "the media", "journalist", "journalists", "reporter", "reporters",
        ],
    ),
    (
        SignalKind::Legal,
        &[
            "律师", "律师函", "起诉", "法院", "法庭", "告你们", "告到", "去告", "提告", "打官司", "维权", "仲裁", "诉讼",
            "法律途径", "法律程序", "法律责任", "追究责任", "报警", "警察", "公安", "lawyer", "lawyers", "attorney",
            "sue", "suing", "sued", "court", "lawsuit", "legal action", "police", "small claims",
        ],
    ),
    (
        SignalKind::Urgency,
        // 著急: fast2s keeps 著 (it is also Simplified), so the Traditional spelling needs its own entry.
        &[
            "急", "着急", "著急", "急用", "急需", "急着", "紧急", "马上", "立刻", "立即", "立马", "赶紧", "赶快", "尽快",
            "尽早", "今天必须", "今天之内", "今天内", "等不了", "十万火急", "火速", "刻不容缓", "asap", "urgent",
            "urgently", "immediately", "right now", "right away", "as soon as possible", "hurry", "emergency",
        ],
    ),
    (
        SignalKind::Profanity,
        &[
            "傻逼", "傻b", "傻x", "傻叉", "傻比", "煞笔", "沙比", "sb", "垃圾", "骗子", "骗人", "骗钱", "诈骗", "混蛋",
            "王八蛋", "滚", "滚蛋", "去死", "妈的", "他妈", "他妈的", "你妈", "尼玛", "泥马", "草泥马", "操你", "卧槽",
            "我靠", "脑残", "白痴", "弱智", "智障", "废物", "狗东西", "狗日的", "狗屎", "狗屁", "狗娘养", "走狗", "狗眼",
            "狗比", "狗逼", "黑心", "奸商", "无良", "坑爹", "坑人", "恶心", "畜生", "畜牲", "贱人", "犯贱", "婊子",
            "神经病", "有病", "变态", "人渣", "败类", "混账", "流氓", "无耻", "缺德", "吃屎", "干你娘", "靠北", "仆街",
            "屌你", "tmd", "nmsl", "cnm", "wtf", "stfu", "fuck", "fucking", "fucked", "fucker", "motherfucker", "shit",
            "shitty", "bullshit", "idiot", "idiots", "stupid", "moron", "morons", "dumb", "scam", "scams", "scammer",
            "scammers", "scammed", "damn", "crap", "crappy", "bitch", "bastard", "asshole", "jerk", "garbage", "trash",
            "rubbish", "pathetic", "sucks", "loser", "thief", "thieves", "liar", "liars",
        ],
    ),
    (
        SignalKind::RepeatedContact,
        &[
            "又来问", "又来了", "又要问", "问了好几次", "问了好多次", "问了几次", "说了多少遍", "说了好几遍", "多少次了",
            "多少遍了", "一直没人", "还是没人", "没人理", "没人回", "没人管", "没人处理", "几次三番", "三番五次", "反复",
            "再三", "催了好几次", "催了很多次", "催了多次", "好几次了", "好多次了", "无数次", "一次又一次", "屡次",
            "多次联系", "多次反映", "多次催", "多次询问", "again and again", "over and over", "yet again", "third time",
            "fourth time", "fifth time", "3rd time", "4th time", "5th time", "how many times", "still no reply",
            "still no response", "still no answer", "still waiting", "no one replied", "nobody replied",
            "no one answered", "nobody answered", "no one responded", "nobody responded",
        ],
    ),
];

/// Harmless words that contain a lexicon entry (垃圾袋 is a bin bag, 一星期 a week, 曝光补偿 a camera setting). They
/// sit in the same leftmost-longest automaton, so a harmless word starting at or before an entry swallows it.
/// Bare 狗 is deliberately not an entry (pet products: 狗粮, 狗绳, 我家狗…); only insulting compounds are.
const HARMLESS: &[&str] = &[
    "垃圾袋", "垃圾桶", "垃圾箱", "垃圾篓", "垃圾分类", "垃圾车", "垃圾处理", "垃圾短信", "垃圾邮件", "垃圾清理",
    "滚筒", "滚轮", "滚动", "滚烫", "滚珠", "滚刷", "滚边", "滚针", "滚梳", "打滚", "翻滚", "滚雪球", "急诊", "急救",
    "急性", "急速", "急冻", "急刹", "急转", "应急", "一星期", "一星半点", "工商银行", "工商行", "工商管理", "多媒体",
    "曝光过度", "曝光不足", "曝光补偿", "自动曝光", "曝光时间", "长曝光", "曝光值", "曝光度", "报警器", "报警灯",
    "变态辣", "不骗人", "没骗人", "反复使用", "反复洗", "反复清洗", "反复折", "可反复", "反复擦", "trash bag",
    "trash can", "garbage bag", "garbage can", "garbage disposal", "food court", "court case",
];

/// All-caps words that are names, not shouting.
const ACRONYMS: &[&str] = &[
    "USB", "HDMI", "LED", "LCD", "OLED", "USA", "APP", "SKU", "VIP", "DHL", "UPS", "EMS", "FEDEX", "TNT", "CPU", "GPU",
    "RAM", "SSD", "HDD", "NFC", "GPS", "PDF", "FAQ", "IOS", "MAC", "IPAD", "ID", "TV", "DVD", "API", "URL", "QQ", "SMS",
    "XXL", "XXXL", "XL", "AAA", "PVC", "DIY", "OEM", "ABS", "UV", "IMEI", "RMB", "USD", "HKD", "NTD", "CNY", "PM", "AM",
];

struct Lexicon {
    automaton: AhoCorasick,
    kinds: Vec<Option<SignalKind>>,
    /// ASCII entries need word boundaries ("sue" is not in "issue").
    ascii: Vec<bool>,
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
    let ascii = patterns.iter().map(|p| p.is_ascii()).collect();
    // A full DFA: the lexicon is small, and search speed is what every message pays.
    let automaton = AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostLongest)
        .build(&patterns)
        .expect("valid lexicon patterns");
    Lexicon { automaton, kinds, ascii }
});

/// Counted contact in Chinese: 第三次 / 第3次 / 三次了 / 问了五次 / 打了3个电话.
static REPEATED_ZH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"第 ?(?:[二三四五六七八九十两几][一二三四五六七八九十百]*|一[十百][一二三四五六七八九十百]*|[2-9][0-9]*|1[0-9]+) ?[次回遍]",
        r"|(?:[两三四五六七八九十几好多无数]+|[2-9]|[0-9]{2,}) ?[次遍回]了",
        r"|(?:问|说|打|联系|催|找|发|申请|咨询|反映|提|留言|私信|沟通|反馈|打电话)了 ?",
        r"(?:[两三四五六七八九十几好多无数]+|[2-9]|[0-9]{2,}) ?(?:次|遍|回|个电话)",
    ))
    .expect("valid regex")
});

/// Counted contact in English: "asked you three times", "called twice".
static REPEATED_EN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u:\b)(?:ask|call|contact|email|messag|writ|wrote|tri|told|tell|request|remind|chas|complain|reach|phon)",
        r"[a-z]*(?: [a-z]+){0,3} (?:twice|(?:two|three|four|five|six|seven|eight|nine|ten|several|many|multiple|",
        r"countless|numerous|[0-9]+) times)(?-u:\b)",
    ))
    .expect("valid regex")
});

/// Finds the signals in a message. Spans are character indices valid on `original`, sorted by start; spans of one
/// kind never overlap.
pub fn detect(original: &str, norm: &Normalized) -> Vec<Signal> {
    let text = norm.as_str();
    let bytes = text.as_bytes();
    let lex = &*LEXICON;
    let mut out: Vec<Signal> = Vec::with_capacity(8);
    let mut push = |out: &mut Vec<Signal>, kind: SignalKind, start: usize, end: usize| {
        out.push(Signal { kind, span: Span::new(start, end), text: String::new() });
    };
    for m in lex.automaton.find_iter(text) {
        let id = m.pattern().as_usize();
        let Some(kind) = lex.kinds[id] else { continue };
        if lex.ascii[id] {
            let before = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
            let after = m.end() == bytes.len() || !bytes[m.end()].is_ascii_alphanumeric();
            if !(before && after) {
                continue;
            }
            // 315 / 12315 as a price, a room or a decimal is not a hotline.
            let number = bytes[m.start()..m.end()].iter().all(u8::is_ascii_digit);
            if number && is_measure(text, m.start(), m.end()) {
                continue;
            }
        }
        push(&mut out, kind, norm.char_index(m.start()), norm.char_index(m.end()));
    }
    if text.contains(['次', '回', '遍', '话']) {
        for m in REPEATED_ZH.find_iter(text) {
            if !(m.as_str().starts_with('第') && repeat_purchase(&text[m.end()..])) {
                push(&mut out, SignalKind::RepeatedContact, norm.char_index(m.start()), norm.char_index(m.end()));
            }
        }
    }
    if text.contains(" times") || text.contains("twice") {
        for m in REPEATED_EN.find_iter(text) {
            push(&mut out, SignalKind::RepeatedContact, norm.char_index(m.start()), norm.char_index(m.end()));
        }
    }
    bursts(text, &mut out, &mut push);
    if norm.latin_letters >= 3 {
        capitals(original, &mut out, &mut push);
    }
    // Sorted by start (longest first on ties), then one span per region for each kind.
    out.sort_by_key(|s| (s.span.start, std::cmp::Reverse(s.span.end), s.kind));
    let mut last_end = [0usize; SignalKind::ALL.len()];
    out.retain(|s| {
        let keep = s.span.start >= last_end[s.kind.index()];
        if keep {
            last_end[s.kind.index()] = s.span.end;
        }
        keep
    });
    fill_original_text(original, &mut out, |s| s.span, |s, t| s.text = t);
    out
}

/// Whether a number is a quantity, price, room or part of a decimal rather than a hotline.
fn is_measure(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    matches!(before, Some('.' | '¥' | '￥' | '$' | '第' | '#'))
        || matches!(
            after,
            Some('.' | '元' | '块' | '米' | '克' | '斤' | '个' | '件' | '号' | '室' | '天' | '分' | '毫' | '度' | '%')
        )
}

/// "第二次购买" is a loyal customer, not a repeated complaint.
fn repeat_purchase(rest: &str) -> bool {
    ["买", "购", "回购", "下单", "光顾", "入手", "来买", "使用", "用"].iter().any(|w| rest.starts_with(w))
}

/// Bursts of three or more '!' / '?' (full-width ones are folded to ASCII), e.g. "！！！", "?!?".
fn bursts(text: &str, out: &mut Vec<Signal>, push: &mut impl FnMut(&mut Vec<Signal>, SignalKind, usize, usize)) {
    if !text.contains(['!', '?']) {
        return;
    }
    let mut index = 0usize;
    let mut run_start: Option<usize> = None;
    for &b in text.as_bytes().iter().chain(std::iter::once(&0u8)) {
        // Count characters by their first byte so spans are character indices.
        if b & 0xC0 == 0x80 {
            continue;
        }
        let burst = b == b'!' || b == b'?';
        match (burst, run_start) {
            (true, None) => run_start = Some(index),
            (false, Some(s)) => {
                if index - s >= 3 {
                    push(out, SignalKind::Shouting, s, index);
                }
                run_start = None;
            }
            _ => {}
        }
        index += 1;
    }
}

/// English written in capitals (case taken from the original): words of 3+ capital letters, reported when there are
/// at least two of them or when most letters of the message are capitals. Known acronyms (USB, DHL…) do not count.
fn capitals(original: &str, out: &mut Vec<Signal>, push: &mut impl FnMut(&mut Vec<Signal>, SignalKind, usize, usize)) {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let (mut upper_letters, mut letters) = (0usize, 0usize);
    let mut word: String = String::new();
    let mut current: Option<(usize, bool)> = None;
    for (i, c) in original.chars().chain(std::iter::once(' ')).enumerate() {
        // Full-width letters count as letters of their ASCII counterpart.
        let ascii = match c as u32 {
            0xFF21..=0xFF3A | 0xFF41..=0xFF5A => char::from_u32(c as u32 - 0xFF21 + 0x41).unwrap_or(c),
            _ => c,
        };
        if ascii.is_ascii_alphabetic() {
            let upper = ascii.is_ascii_uppercase();
            letters += 1;
            upper_letters += upper as usize;
            if word.len() < 16 {
                word.push(ascii);
            }
            current = Some(match current {
                Some((s, all)) => (s, all && upper),
                None => (i, upper),
            });
        } else if let Some((s, all)) = current.take() {
            let n = i - s;
            if all && n >= 3 && !ACRONYMS.contains(&word.as_str()) {
                words.push((s, i));
            }
            word.clear();
        }
    }
    if words.len() >= 2 || (!words.is_empty() && letters >= 6 && upper_letters * 10 >= letters * 8) {
        for (s, e) in words {
            push(out, SignalKind::Shouting, s, e);
        }
    }
}

/// Sets each item's text to its span of the original, walking the original once. Spans out of range are clamped.
pub(crate) fn fill_original_text<T>(original: &str, items: &mut [T], span: impl Fn(&T) -> Span, mut set: impl FnMut(&mut T, String)) {
    if items.is_empty() {
        return;
    }
    // Byte offset of every character up to the last span end; sized up front (a char iterator under-reports).
    let needed = items.iter().map(|i| span(i).end).max().unwrap_or(0);
    let mut offsets: Vec<usize> = Vec::with_capacity(needed.min(original.len()) + 1);
    offsets.extend(original.char_indices().map(|(b, _)| b).take(needed + 1));
    if offsets.len() <= needed {
        offsets.push(original.len());
    }
    let last = offsets.len() - 1;
    for item in items.iter_mut() {
        let Span { start, end } = span(item);
        let end = end.min(last);
        let text = original[offsets[start.min(end)]..offsets[end]].to_string();
        set(item, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use SignalKind::*;

    fn found(text: &str) -> Vec<(SignalKind, String)> {
        detect(text, &Normalized::new(text)).into_iter().map(|s| (s.kind, s.text)).collect()
    }

    /// Every expected (kind, original text) is found, and nothing of a kind listed in `absent`.
    fn check(text: &str, expected: &[(SignalKind, &str)], absent: &[SignalKind]) {
        let got = found(text);
        for (kind, word) in expected {
            assert!(got.iter().any(|(k, t)| k == kind && t == word), "{text:?}: expected {kind} {word:?} in {got:?}");
        }
        for kind in absent {
            assert!(!got.iter().any(|(k, _)| k == kind), "{text:?}: unexpected {kind} in {got:?}");
        }
    }

    #[test]
    fn threats_in_simplified_traditional_and_english() {
        let cases: &[(&str, &[(SignalKind, &str)])] = &[
            ("再不处理我就打12315，还要去消协", &[(Regulator, "12315"), (Regulator, "消协")]),
            ("我去市场监督管理局告你们", &[(Regulator, "市场监督管理局"), (Legal, "告你们")]),
            ("315晚会曝光你们", &[(Regulator, "315"), (Media, "曝光")]),
            ("消費者協會會管的", &[(Regulator, "消費者協會")]),
            ("我要投诉你们，给差评", &[(PlatformComplaint, "投诉"), (PlatformComplaint, "给差评")]),
            ("我要投訴，給差評", &[(PlatformComplaint, "投訴"), (PlatformComplaint, "給差評")]),
            ("给你一星，举报你们", &[(PlatformComplaint, "一星"), (PlatformComplaint, "举报")]),
            ("Giving you 1 star.", &[(PlatformComplaint, "1 star")]),
            ("我要在微博曝光你们，发朋友圈", &[(Media, "微博"), (Media, "曝光"), (Media, "发朋友圈")]),
            ("我會找記者，上電視台", &[(Media, "記者"), (Media, "電視台")]),
            ("小红书上发帖，抖音发视频", &[(Media, "小红书"), (Media, "抖音发")]),
            ("我已經找了律師，準備起訴", &[(Legal, "律師"), (Legal, "起訴")]),
            ("去法院打官司，维权到底，申请仲裁", &[(Legal, "法院"), (Legal, "打官司"), (Legal, "维权"), (Legal, "仲裁")]),
            ("I will complain and leave a bad review", &[(PlatformComplaint, "complain"), (PlatformComplaint, "bad review")]),
            ("I'll REPORT YOU and give one star", &[(PlatformComplaint, "REPORT YOU"), (PlatformComplaint, "one star")]),
            ("I will SUE you, my lawyer will see you in court", &[(Legal, "SUE"), (Legal, "lawyer"), (Legal, "court")]),
            ("I will go public on social media", &[(Media, "go public"), (Media, "social media")]),
            ("我不会投诉的", &[(PlatformComplaint, "投诉")]),
        ];
        for (text, expected) in cases {
            check(text, expected, &[]);
        }
    }

    #[test]
    fn urgency_profanity_and_repeats() {
        let cases: &[(&str, &[(SignalKind, &str)])] = &[
            ("今天必须给我解决，马上", &[(Urgency, "今天必须"), (Urgency, "马上")]),
            ("我很着急，赶紧尽快处理", &[(Urgency, "着急"), (Urgency, "赶紧"), (Urgency, "尽快")]),
            ("我很著急，趕緊處理", &[(Urgency, "著急"), (Urgency, "趕緊")]),
            ("十万火急，等不了了", &[(Urgency, "十万火急"), (Urgency, "等不了")]),
            ("please fix it ASAP, this is urgent, right now", &[(Urgency, "ASAP"), (Urgency, "urgent"), (Urgency, "right now")]),
            ("你们这群骗子，垃圾", &[(Profanity, "骗子"), (Profanity, "垃圾")]),
            ("傻逼客服，滚，去死吧", &[(Profanity, "傻逼"), (Profanity, "滚"), (Profanity, "去死")]),
            ("你SB吧，他妈的", &[(Profanity, "SB"), (Profanity, "他妈的")]),
            ("白癡，廢物，腦殘，真噁心", &[(Profanity, "白癡"), (Profanity, "廢物"), (Profanity, "腦殘"), (Profanity, "噁心")]),
            ("狗东西，坑爹", &[(Profanity, "狗东西"), (Profanity, "坑爹")]),
            ("this is a fucking SCAM, you idiot", &[(Profanity, "fucking"), (Profanity, "SCAM"), (Profanity, "idiot")]),
            ("这是第三次问了，又来问", &[(RepeatedContact, "第三次"), (RepeatedContact, "又来问")]),
            ("第3次联系你们了", &[(RepeatedContact, "第3次")]),
            ("第十一次了", &[(RepeatedContact, "第十一次")]),
            ("问了好几次，说了多少遍", &[(RepeatedContact, "问了好几次"), (RepeatedContact, "说了多少遍")]),
            ("打了5个电话一直没人接", &[(RepeatedContact, "打了5个电话"), (RepeatedContact, "一直没人")]),
            ("問了好幾次，又來問", &[(RepeatedContact, "問了好幾次"), (RepeatedContact, "又來問")]),
            ("this is the third time I write", &[(RepeatedContact, "third time")]),
            ("I have asked you three times", &[(RepeatedContact, "asked you three times")]),
            ("how many times do I have to say it", &[(RepeatedContact, "how many times")]),
        ];
        for (text, expected) in cases {
            check(text, expected, &[]);
        }
    }

    #[test]
    fn shouting() {
        check("退钱！！！", &[(Shouting, "！！！")], &[]);
        check("什么情况？？？", &[(Shouting, "？？？")], &[]);
        check("what?!?!", &[(Shouting, "?!?!")], &[]);
        check("退钱!？!", &[(Shouting, "!？!")], &[]);
        check("WHERE IS MY ORDER", &[(Shouting, "WHERE"), (Shouting, "ORDER")], &[]);
        check("REFUND NOW", &[(Shouting, "REFUND"), (Shouting, "NOW")], &[]);
        check("ＷＨＥＲＥ ＩＳ ＭＹ ＯＲＤＥＲ", &[(Shouting, "ＷＨＥＲＥ")], &[]);
        check("退钱！！", &[], &[Shouting]);
        check("I bought a USB cable", &[], &[Shouting]);
        check("The USB and HDMI ports work", &[], &[Shouting]);
        check("Where is my order?", &[], &[Shouting]);
    }

    #[test]
    fn harmless_lookalikes_are_ignored() {
        let quiet = [
            "垃圾袋质量不错，请问有垃圾桶吗",
            "买了热狗和狗粮",
            "这是一个issue，不是问题",
            "订单号1231578900",
            "一星期了",
            "工商银行的卡",
            "多媒体播放器",
            "相机曝光补偿不准",
            "滚筒洗衣机",
            "急救包",
            "第二次购买了，很好",
            "价格315元",
            "the food court was nice",
            "",
        ];
        for text in quiet {
            assert!(found(text).iter().all(|(k, _)| *k != Profanity && !k.is_escalation_threat()), "{text:?}: {:?}", found(text));
        }
        check("sue me", &[(Legal, "sue")], &[]);
        check("this is an issue", &[], &[Legal]);
        check("天呐急死了", &[(Urgency, "急")], &[]);
    }

    #[test]
    fn lexicon_entries_are_well_formed() {
        // Entries are already normalised (otherwise they could never match) and no entry hides another kind's.
        let all: Vec<(SignalKind, &str)> = TABLE.iter().flat_map(|(k, ws)| ws.iter().map(move |w| (*k, *w))).collect();
        for (kind, w) in &all {
            let folded = Normalized::new(w);
            assert!(folded.as_str() == *w || *w == "著急", "{w:?} is not normalised: {}", folded.as_str());
            for (other, v) in &all {
                if other != kind && w != v {
                    assert!(!w.contains(v), "{kind} entry {w:?} contains {other} entry {v:?}");
                }
            }
        }
        assert!(all.len() >= 250, "{}", all.len());
        let profanity = TABLE.iter().find(|(k, _)| *k == Profanity).map(|(_, ws)| ws.len()).unwrap_or(0);
        assert!(profanity >= 60, "{profanity}");
    }

    #[test]
    fn output_is_sorted_with_text_from_the_original() {
        let text = "騙子！！！我要投訴，第三次了，馬上處理";
        let got = detect(text, &Normalized::new(text));
        assert!(got.windows(2).all(|w| w[0].span.start <= w[1].span.start));
        for s in &got {
            assert_eq!(s.text, crate::normalize::original_slice(text, s.span.start, s.span.end));
        }
        assert!(got.iter().any(|s| s.kind == Urgency && s.text == "馬上"));
    }

    #[test]
    fn very_long_and_degenerate_inputs_are_handled() {
        let text = "投诉！！！WHY SO SLOW 第三次了 ".repeat(40_000);
        assert!(text.len() > 1_000_000);
        let got = detect(&text, &Normalized::new(&text));
        assert!(got.len() >= 40_000 * 4);
        let bangs = "!".repeat(1_000_000);
        assert_eq!(detect(&bangs, &Normalized::new(&bangs)).len(), 1);
    }

    proptest! {
        #[test]
        fn spans_are_valid(text in "[投诉律师急滚垃圾袋第三次了！!?？ A-Za-z0-9]{0,60}|\\PC{0,60}") {
            let got = detect(&text, &Normalized::new(&text));
            let n = text.chars().count();
            for (i, s) in got.iter().enumerate() {
                prop_assert!(s.span.start < s.span.end && s.span.end <= n);
                if i > 0 {
                    prop_assert!(got[i - 1].span.start <= s.span.start);
                }
                for t in &got[i + 1..] {
                    prop_assert!(t.kind != s.kind || !t.span.overlaps(&s.span), "{:?} overlaps {:?}", s, t);
                }
            }
        }
    }
}
