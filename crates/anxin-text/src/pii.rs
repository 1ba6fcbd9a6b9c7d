//! Personal data detection and masking (phone, ID card, bank card, email, address, order number) so logs, analytics, training cases and exports can hide it.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;

use crate::normalize::{Normalized, fold_char, is_cjk};
use crate::signals::fill_original_text;
use crate::types::{PiiKind, PiiSpan, Span};

// Overlap priority, lowest wins: an explicit "订单号" beats what the digits look like; addresses are trimmed, not
// dropped, when they run into a number.
const P_EMAIL: u8 = 0;
const P_ORDER_KEYWORD: u8 = 1;
const P_ID: u8 = 2;
const P_PHONE: u8 = 3;
const P_BANK: u8 = 4;
const P_ORDER: u8 = 5;
const P_ADDRESS: u8 = 6;

/// Longest run of digit groups (bytes, separators included) we try to read as one number.
const MAX_NUMBER: usize = 40;
/// Longest order number; longer digit runs are noise, not identifiers.
const MAX_ORDER: usize = 32;
/// How many characters before a number are searched for a context keyword (卡号, 身份证, 电话).
const KEYWORD_WINDOW: usize = 12;
/// Addresses: at most this many characters, units, and characters between two units.
const MAX_ADDRESS: usize = 40;
const MAX_UNITS: usize = 8;
const MAX_GAP: usize = 8;

const ID_WORDS: &[&str] = &["身份证", "身分证", "证件号", "id card", "id no"];
const BANK_WORDS: &[&str] = &["卡号", "银行卡", "信用卡", "储蓄卡", "借记卡", "card"];
const PHONE_WORDS: &[&str] = &["电话", "手机", "座机", "固话", "联系", "致电", "tel", "phone", "call", "mobile", "whatsapp"];

static ORDER_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let words = [
        "订单号", "订单号码", "订单编号", "订单", "单号", "运单号", "运单", "快递单号", "物流单号", "退货单号", "退款单号",
        "order number", "order no", "order id", "order", "tracking number", "tracking no", "tracking", "#",
    ];
    AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostLongest)
        .build(words)
        .expect("valid keywords")
});

/// Province-level names, plus prefecture cities whose names are not two characters long (two-character ones are
/// found by the "XX市" rule).
const PROVINCES: &[&str] = &[
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
    "宁夏", "新疆", "香港", "澳门", "石家庄", "哈尔滨", "呼和浩特", "乌鲁木齐", "齐齐哈尔", "牡丹江", "秦皇岛", "张家口",
    "连云港", "驻马店", "平顶山", "景德镇", "马鞍山", "攀枝花", "六盘水", "张家界", "佳木斯", "鄂尔多斯",
];
const ADDRESS_KEYWORDS: &[&str] = &[
    "收货地址", "收件地址", "送货地址", "配送地址", "地址", "住址", "住在", "家住", "寄到", "寄往", "寄至", "送到", "送至", "发到",
];
const PROVINCE_SUFFIXES: &[&str] = &["特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"];
/// Administrative units (a city or district alone is not an address) and street-level units.
const ADMIN_UNITS: &[&str] = &["自治区", "自治州", "省", "市", "州", "盟", "区", "县", "旗", "镇", "乡"];
const ROAD_UNITS: &[&str] = &[
    "街道", "大道", "胡同", "号楼", "号院", "单元", "小区", "花园", "大厦", "公寓", "广场", "园区", "社区", "路", "街", "道", "巷",
    "弄", "村", "号", "栋", "幢", "座", "室", "层", "楼", "苑", "院", "期",
];
/// Whether `c` occurs in some address unit; text without any such character cannot hold an address.
fn unit_char(c: char) -> bool {
    matches!(
        c,
        '省' | '市' | '州' | '盟' | '区' | '县' | '旗' | '镇' | '乡' | '路' | '街' | '道' | '巷' | '弄' | '胡' | '村' | '号' | '栋'
            | '幢' | '座' | '单' | '室' | '层' | '楼' | '园' | '厦' | '寓' | '场' | '苑' | '院' | '期'
    )
}

/// Whether an address unit can start with `c` (fast path of [`unit_at`]; mirrors ADMIN_UNITS and ROAD_UNITS).
fn unit_start(c: char) -> bool {
    matches!(
        c,
        '自' | '省' | '市' | '州' | '盟' | '区' | '县' | '旗' | '镇' | '乡' | '街' | '大' | '胡' | '号' | '单' | '小' | '花' | '公'
            | '广' | '园' | '社' | '路' | '道' | '巷' | '弄' | '村' | '栋' | '幢' | '座' | '室' | '层' | '楼' | '苑' | '院' | '期'
    )
}

/// Function words that do not occur in place names: a gap containing one ends the address ("北京市的人都知道").
fn stop_char(c: char) -> bool {
    matches!(
        c,
        '的' | '了' | '吗' | '呢' | '吧' | '啊' | '呀' | '哦' | '嘛' | '我' | '你' | '他' | '她' | '们' | '这' | '那' | '是' | '也'
            | '就' | '很' | '没' | '不' | '要' | '说' | '把' | '被' | '让' | '给' | '还' | '才' | '又' | '只' | '么' | '什' | '怎'
            | '为' | '在' | '到' | '去' | '从' | '个'
    )
}

/// Common words ending in 市/区 that are not places ("去超市", "小区门口").
const NOT_PLACES: &[[char; 2]] = &[
    ['超', '市'], ['城', '市'], ['上', '市'], ['门', '市'], ['夜', '市'], ['股', '市'], ['菜', '市'], ['集', '市'], ['黑', '市'],
    ['开', '市'], ['闹', '市'], ['都', '市'], ['小', '区'], ['社', '区'], ['景', '区'], ['地', '区'], ['专', '区'], ['误', '区'],
    ['禁', '区'], ['分', '区'], ['展', '区'], ['园', '区'], ['辖', '区'], ['片', '区'], ['校', '区'], ['商', '区'], ['市', '区'],
    ['郊', '区'],
];

static ADDRESS_STARTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let words: Vec<&str> = ADDRESS_KEYWORDS.iter().chain(PROVINCES).copied().collect();
    AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostLongest)
        .build(words)
        .expect("valid keywords")
});

/// "221B Baker Street" on the normalised (lower-case) text; capitalisation is checked on the original.
static EN_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[0-9]{1,5}[a-z]?(?: [a-z]+){1,3} (?:street|st|road|rd|avenue|ave|boulevard|blvd|lane|drive|dr)(?-u:\b)")
        .expect("valid regex")
});

/// A detection before overlaps are resolved; character indices.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    prio: u8,
    kind: PiiKind,
    start: usize,
    end: usize,
}

/// Finds PII in a message. Spans are character indices valid on `original`, sorted, never overlapping; `text` is
/// the original substring.
pub fn detect(original: &str, norm: &Normalized) -> Vec<PiiSpan> {
    let bytes = norm.as_str().as_bytes();
    // One cheap pass decides which detectors can possibly fire.
    let (mut digit, mut at, mut wide) = (false, false, false);
    for &b in bytes {
        digit |= b.is_ascii_digit();
        at |= b == b'@';
        wide |= b >= 0x80;
    }
    let mut found = Vec::with_capacity(8);
    if at {
        emails(norm, &mut found);
    }
    if digit {
        numbers(norm, &mut found);
        let text = norm.as_str();
        if text.contains(['单', '#']) || text.contains("order") || text.contains("tracking") {
            order_keywords(norm, &mut found);
        }
    }
    if wide && norm.as_str().contains(unit_char) {
        chinese_addresses(norm, &mut found);
    }
    if digit && norm.latin_letters >= 4 {
        english_addresses(original, norm, &mut found);
    }
    if found.is_empty() {
        return Vec::new();
    }
    let mut spans: Vec<PiiSpan> = resolve(found)
        .into_iter()
        .map(|c| PiiSpan { kind: c.kind, span: Span::new(c.start, c.end), text: String::new() })
        .collect();
    fill_original_text(original, &mut spans, |p| p.span, |p, t| p.text = t);
    spans
}

fn push(norm: &Normalized, out: &mut Vec<Candidate>, prio: u8, kind: PiiKind, start: usize, end: usize) {
    out.push(Candidate { prio, kind, start: norm.char_index(start), end: norm.char_index(end) });
}

/// Keeps the most specific candidate where they overlap; an address running into a number is cut before it.
fn resolve(mut found: Vec<Candidate>) -> Vec<Candidate> {
    found.retain(|c| c.start < c.end);
    found.sort_unstable_by_key(|c| (c.start, c.end, c.prio));
    // The usual case: nothing overlaps.
    if found.windows(2).all(|w| w[0].end <= w[1].start) {
        return found;
    }
    found.sort_by_key(|c| (c.prio, c.start, Reverse(c.end)));
    // Where the candidate may go: None when it starts inside a kept span, else the start of the first kept span
    // after its start (an address is cut there).
    let admit = |c: &Candidate, covering: bool, next: Option<usize>| -> Option<Candidate> {
        match next {
            _ if covering => None,
            Some(next) if next < c.end => {
                (c.kind == PiiKind::Address && next - c.start >= 4).then_some(Candidate { end: next, ..*c })
            }
            _ => Some(*c),
        }
    };
    if found.len() <= 32 {
        // Few candidates (every real message): a linear scan beats a tree.
        let mut kept: Vec<Candidate> = Vec::with_capacity(found.len());
        for c in &found {
            let covering = kept.iter().any(|k| k.start <= c.start && c.start < k.end);
            let next = kept.iter().filter(|k| k.start > c.start).map(|k| k.start).min();
            if let Some(c) = admit(c, covering, next) {
                kept.push(c);
            }
        }
        kept.sort_unstable_by_key(|c| c.start);
        return kept;
    }
    let mut kept: BTreeMap<usize, Candidate> = BTreeMap::new();
    for c in &found {
        let covering = kept.range(..=c.start).next_back().is_some_and(|(_, k)| k.end > c.start);
        let next = kept.range(c.start + 1..).next().map(|(&s, _)| s);
        if let Some(c) = admit(c, covering, next) {
            kept.insert(c.start, c);
        }
    }
    kept.into_values().collect()
}

/// Emails, found around each '@' (bounded scans, so linear): local part of up to 64 characters, then dot-separated
/// labels ending in an alphabetic top-level domain.
fn emails(norm: &Normalized, out: &mut Vec<Candidate>) {
    let bytes = norm.as_str().as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let mut resume = 0;
    for i in 0..bytes.len() {
        if bytes[i] != b'@' || i < resume {
            continue;
        }
        let mut s = i;
        while s > resume && i - s < 64 && local(bytes[s - 1]) {
            s -= 1;
        }
        if s > resume && local(bytes[s - 1]) {
            continue; // local part longer than 64: not an address
        }
        while s < i && bytes[s] == b'.' {
            s += 1;
        }
        if s == i {
            continue;
        }
        let (mut e, mut labels, mut end) = (i + 1, 0, None);
        loop {
            let label = e;
            while e < bytes.len() && e - i < 255 && (bytes[e].is_ascii_alphanumeric() || bytes[e] == b'-') {
                e += 1;
            }
            if e == label {
                break;
            }
            labels += 1;
            if labels >= 2 && e - label >= 2 && bytes[label..e].iter().all(u8::is_ascii_alphabetic) {
                end = Some(e);
            }
            if e + 1 < bytes.len() && bytes[e] == b'.' && bytes[e + 1].is_ascii_alphanumeric() {
                e += 1;
            } else {
                break;
            }
        }
        if let Some(e) = end {
            push(norm, out, P_EMAIL, PiiKind::Email, s, e);
            resume = e;
        }
    }
}

/// A maximal run of digits (optionally ending in the ID check letter x) in the normalised text.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    plus: bool,
    paren: bool,
    x: bool,
}

/// Phones, ID cards, bank cards and bare order numbers. Digits are read as whole runs (a 20-digit run never yields
/// a phone inside it); runs joined by one space or dash form a cluster that is split into the longest readings.
fn numbers(norm: &Normalized, out: &mut Vec<Candidate>) {
    let bytes = norm.as_str().as_bytes();
    let n = bytes.len();
    let mut cluster: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < n {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let s = i;
        let (mut letters, mut digits) = (0usize, 0usize);
        while i < n && bytes[i].is_ascii_alphanumeric() {
            if bytes[i].is_ascii_digit() {
                digits += 1;
            } else {
                letters += 1;
            }
            i += 1;
        }
        let x = letters == 1 && bytes[i - 1] == b'x' && digits > 0;
        if letters > 0 && !x {
            // Letters and digits: an order/waybill number when long and mostly digits (E2023…, SF1234…).
            if digits >= 6 && (10..=MAX_ORDER).contains(&(i - s)) {
                push(norm, out, P_ORDER, PiiKind::OrderNo, s, i);
            }
            continue;
        }
        let decimal = (s >= 2 && bytes[s - 1] == b'.' && bytes[s - 2].is_ascii_digit())
            || (i + 1 < n && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit());
        if decimal {
            continue;
        }
        let g = Group { start: s, end: i, plus: s > 0 && bytes[s - 1] == b'+', paren: s > 0 && bytes[s - 1] == b'(', x };
        let joins = cluster.last().is_some_and(|p| !p.x && !g.plus && !g.paren && joinable(&bytes[p.end..s], p.paren));
        if !joins {
            segment(norm, &cluster, out);
            cluster.clear();
        }
        cluster.push(g);
    }
    segment(norm, &cluster, out);
}

fn joinable(gap: &[u8], paren: bool) -> bool {
    matches!(gap, b" " | b"-") || (paren && matches!(gap, b")" | b") " | b")-"))
}

/// Splits a cluster into numbers, longest reading first from each position.
fn segment(norm: &Normalized, groups: &[Group], out: &mut Vec<Candidate>) {
    let bytes = norm.as_str().as_bytes();
    let mut i = 0;
    while i < groups.len() {
        let mut last = i;
        while last + 1 < groups.len() && groups[last + 1].end - groups[i].start <= MAX_NUMBER {
            last += 1;
        }
        let hit = (i..=last).rev().find_map(|j| classify(norm, &groups[i..=j]).map(|found| (j, found)));
        match hit {
            Some((j, (prio, kind))) => {
                let g = groups[i];
                let prefixed = g.plus || (g.paren && j > i && bytes[g.end] == b')');
                push(norm, out, prio, kind, if prefixed { g.start - 1 } else { g.start }, groups[j].end);
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// What a run of digit groups is, if anything: (priority, kind).
fn classify(norm: &Normalized, gs: &[Group]) -> Option<(u8, PiiKind)> {
    let bytes = norm.as_str().as_bytes();
    let (first, last) = (gs[0], gs[gs.len() - 1]);
    if last.end - first.start > MAX_NUMBER {
        return None;
    }
    let mut buf = [0u8; MAX_NUMBER];
    let mut lens = [0u8; MAX_NUMBER];
    let mut n = 0;
    for (k, g) in gs.iter().enumerate() {
        let len = g.end - g.start;
        buf[n..n + len].copy_from_slice(&bytes[g.start..g.end]);
        lens[k] = len as u8;
        n += len;
    }
    // Nothing we recognise is shorter than eight digits (a Hong Kong number).
    if n < 8 {
        return None;
    }
    let (d, lens) = (&buf[..n], &lens[..gs.len()]);
    let near = |words: &[&str]| keyword_before(norm, first.start, words);
    if !first.plus && id_card(d, lens, &near) {
        return Some((P_ID, PiiKind::IdCard));
    }
    let single = gs.len() == 1 && !first.plus;
    if last.x {
        return (single && (10..=MAX_ORDER).contains(&n)).then_some((P_ORDER, PiiKind::OrderNo));
    }
    if phone(d, lens, bytes, gs, &near) {
        return Some((P_PHONE, PiiKind::Phone));
    }
    if first.plus {
        return None;
    }
    if bank_card(d, lens, &near) {
        return Some((P_BANK, PiiKind::BankCard));
    }
    (single && (10..=MAX_ORDER).contains(&n)).then_some((P_ORDER, PiiKind::OrderNo))
}

/// Whether one of `words` occurs in the few characters before byte `start` of the normalised text.
fn keyword_before(norm: &Normalized, start: usize, words: &[&str]) -> bool {
    let from = norm.byte_offset(norm.char_index(start).saturating_sub(KEYWORD_WINDOW));
    let window = &norm.as_str()[from..start];
    words.iter().any(|w| window.contains(w))
}

/// 18-character resident ID (region, birth date and MOD 11-2 check digit all valid), optionally grouped 6-8-4;
/// the old 15-digit form only right after an ID keyword.
fn id_card(d: &[u8], lens: &[u8], near: &impl Fn(&[&str]) -> bool) -> bool {
    match d.len() {
        18 => {
            matches!(lens, [18] | [6, 8, 4])
                && d[..17].iter().all(u8::is_ascii_digit)
                && (d[17].is_ascii_digit() || d[17] == b'x')
                && region_ok(d)
                && date_ok(&d[6..14])
                && id_checksum_ok(d)
        }
        15 => {
            let mut date = [b'1', b'9', 0, 0, 0, 0, 0, 0];
            date[2..].copy_from_slice(&d[6..12]);
            lens == [15] && d.iter().all(u8::is_ascii_digit) && region_ok(d) && date_ok(&date) && near(ID_WORDS)
        }
        _ => false,
    }
}

/// First two digits of an ID are a province code.
fn region_ok(d: &[u8]) -> bool {
    let code = (d[0] - b'0') * 10 + (d[1] - b'0');
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91)
}

/// A plausible YYYYMMDD birth date.
fn date_ok(d: &[u8]) -> bool {
    let num = |s: &[u8]| s.iter().fold(0u32, |a, b| a * 10 + (b - b'0') as u32);
    let (year, month, day) = (num(&d[..4]), num(&d[4..6]), num(&d[6..8]));
    let days = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1900..=2099).contains(&year) && (1..=12).contains(&month) && (1..=days).contains(&day)
}

/// ISO 7064 MOD 11-2 checksum of mainland resident ID numbers.
fn id_checksum_ok(id: &[u8]) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10x98765432";
    let sum: u32 = id[..17].iter().zip(WEIGHTS).map(|(d, w)| (d - b'0') as u32 * w).sum();
    CHECK[(sum % 11) as usize] == id[17]
}

fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Mainland mobile: 1[3-9] and 11 digits, as 11, 3-4-4 or 3-8.
fn mobile(d: &[u8], lens: &[u8]) -> bool {
    d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]) && matches!(lens, [11] | [3, 4, 4] | [3, 8])
}

/// Phones: mainland mobiles and landlines, Hong Kong / Macau (+852 / +853) and Taiwan (+886, 09xx) numbers.
fn phone(d: &[u8], lens: &[u8], bytes: &[u8], gs: &[Group], near: &impl Fn(&[&str]) -> bool) -> bool {
    let n = d.len();
    let plus = gs[0].plus;
    const CODES: [&[u8]; 8] = [b"0086", b"00852", b"00853", b"00886", b"86", b"852", b"853", b"886"];
    for cc in CODES {
        if n <= cc.len() + 6 || !d.starts_with(cc) || (lens[0] as usize) < cc.len() {
            continue;
        }
        let separate = lens[0] as usize == cc.len();
        if !(plus || separate || cc[0] == b'0' || (cc == b"86" && n == 13)) {
            continue;
        }
        let national = &d[cc.len()..];
        let mut nl = [0u8; MAX_NUMBER];
        let nl = if separate {
            &lens[1..]
        } else {
            nl[..lens.len()].copy_from_slice(lens);
            nl[0] -= cc.len() as u8;
            &nl[..lens.len()]
        };
        let ok = match cc.strip_prefix(b"00").unwrap_or(cc) {
            b"86" => mobile(national, nl),
            b"852" | b"853" => national.len() == 8 && national[0] >= b'2' && matches!(nl, [8] | [4, 4]),
            _ => {
                (national.len() == 9 && national[0] == b'9' && matches!(nl, [9] | [3, 3, 3] | [3, 6]))
                    || ((8..=9).contains(&national.len()) && (b'2'..=b'8').contains(&national[0]) && nl.len() <= 3)
            }
        };
        if ok {
            return true;
        }
    }
    if plus {
        return false;
    }
    if mobile(d, lens) {
        return true;
    }
    if d[0] == b'0' {
        // Taiwan mobile 09xx-xxx-xxx.
        if n == 10 && d[1] == b'9' && matches!(lens, [10] | [4, 3, 3] | [4, 6]) {
            return true;
        }
        if landline(d, lens, bytes, gs) {
            return true;
        }
        // An unseparated landline looks like any other number: only with a phone word before it.
        if lens.len() == 1 && area_len(d).is_some_and(|a| local_ok(&d[a..], a)) && near(PHONE_WORDS) {
            return true;
        }
    }
    // Eight digits (Hong Kong, or a mainland number without area code) only with a phone word before them.
    n == 8 && matches!(lens, [8] | [4, 4]) && d[0] >= b'2' && near(PHONE_WORDS)
}

/// Length of a mainland area code: 010 and 02x have three digits, the others four.
fn area_len(d: &[u8]) -> Option<usize> {
    match (d.first(), d.get(1), d.get(2)) {
        (Some(b'0'), Some(b'1'), Some(b'0')) | (Some(b'0'), Some(b'2'), _) => Some(3),
        (Some(b'0'), Some(b'3'..=b'9'), _) => Some(4),
        _ => None,
    }
}

/// Local number after an area code: 7–8 digits (8 after a three-digit code), not starting with 0.
fn local_ok(local: &[u8], area: usize) -> bool {
    let len_ok = if area == 3 { local.len() == 8 } else { (7..=8).contains(&local.len()) };
    len_ok && local[0] != b'0'
}

/// Landline with a separated area code: 010-12345678, 0755 1234567, (021)1234-5678, Taiwan (02)2345-6789.
fn landline(d: &[u8], lens: &[u8], bytes: &[u8], gs: &[Group]) -> bool {
    if !(2..=3).contains(&lens.len()) {
        return false;
    }
    let a = lens[0] as usize;
    let sep = &bytes[gs[0].end..gs[1].start];
    let area_ok = match a {
        2 => (b'2'..=b'8').contains(&d[1]) && sep != b" ",
        _ => area_len(d) == Some(a),
    };
    let local_lens = &lens[1..];
    area_ok
        && (if a == 2 { (7..=8).contains(&(d.len() - a)) && d[a] != b'0' } else { local_ok(&d[a..], a) })
        && matches!(local_lens, [_] | [3, 4] | [4, 4])
}

/// 13–19 digits, unseparated or in groups of four; Luhn-valid with a card-network first digit, or any digits right
/// after a card keyword.
fn bank_card(d: &[u8], lens: &[u8], near: &impl Fn(&[&str]) -> bool) -> bool {
    let grouped = match lens.split_last() {
        Some((last, rest)) => rest.is_empty() || (rest.len() >= 2 && rest.iter().all(|&l| l == 4) && (1..=4).contains(last)),
        None => false,
    };
    (13..=19).contains(&d.len()) && grouped && (((b'2'..=b'6').contains(&d[0]) && luhn_ok(d)) || near(BANK_WORDS))
}

/// Whatever follows an order keyword (订单号：E2023…, 运单号SF…, order #12345), if it has a few digits.
fn order_keywords(norm: &Normalized, out: &mut Vec<Candidate>) {
    let text = norm.as_str();
    let bytes = text.as_bytes();
    for m in ORDER_WORDS.find_iter(text) {
        if bytes[m.start()].is_ascii_alphabetic() {
            let glued_before = m.start() > 0 && bytes[m.start() - 1].is_ascii_alphanumeric();
            let glued_after = m.end() < bytes.len() && bytes[m.end()].is_ascii_alphabetic();
            if glued_before || glued_after {
                continue;
            }
        }
        // Connectors: "：", "#", "是", "is", spaces.
        let mut p = m.end();
        let limit = (p + 12).min(bytes.len());
        while p < limit {
            if matches!(bytes[p], b' ' | b':' | b'#' | b'.' | b'-' | b'\t') {
                p += 1;
            } else if let Some(w) = ["是", "为", "is "].iter().find(|w| text[p..].starts_with(**w)) {
                p += w.len();
            } else {
                break;
            }
        }
        let s = p;
        let mut digits = 0;
        while p < bytes.len() && p - s < MAX_NUMBER {
            let b = bytes[p];
            if b.is_ascii_alphanumeric() {
                digits += b.is_ascii_digit() as usize;
                p += 1;
            } else if b == b'-' && p > s && p + 1 < bytes.len() && bytes[p + 1].is_ascii_alphanumeric() {
                p += 1;
            } else {
                break;
            }
        }
        let cut = p < bytes.len() && bytes[p].is_ascii_alphanumeric();
        if !cut && p - s >= 5 && digits >= 3 {
            push(norm, out, P_ORDER_KEYWORD, PiiKind::OrderNo, s, p);
        }
    }
}

/// The address unit starting at `chars[at]`, if any: (length, is administrative).
fn unit_at(chars: &[char], at: usize) -> Option<(usize, bool)> {
    if !unit_start(chars[at]) {
        return None;
    }
    let matches = |w: &str| w.chars().enumerate().all(|(k, c)| chars.get(at + k) == Some(&c));
    for (units, admin) in [(ADMIN_UNITS, true), (ROAD_UNITS, false)] {
        if let Some(w) = units.iter().find(|w| matches(w)) {
            return Some((w.chars().count(), admin));
        }
    }
    None
}

fn gap_char(c: char) -> bool {
    (is_cjk(c) && !stop_char(c)) || c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-' || c == '#'
}

/// Extends an address from `pos` unit by unit; returns (end, administrative units, street-level units).
fn address_chain(chars: &[char], start: usize, mut pos: usize) -> (usize, usize, usize) {
    let (mut admin, mut road) = (0, 0);
    'units: for _ in 0..MAX_UNITS {
        let mut g = pos;
        while g < chars.len() && g - pos <= MAX_GAP {
            // A unit needs a name before it (at least one character of gap).
            if g > pos {
                if let Some((len, is_admin)) = unit_at(chars, g) {
                    if g + len - start > MAX_ADDRESS {
                        break 'units;
                    }
                    pos = g + len;
                    if is_admin { admin += 1 } else { road += 1 }
                    continue 'units;
                }
            }
            if !gap_char(chars[g]) {
                break 'units;
            }
            g += 1;
        }
        break;
    }
    // A trailing room number ("2栋301"), when it ends there.
    let mut t = pos;
    while t < chars.len() && t - pos < 8 && (chars[t].is_ascii_alphanumeric() || chars[t] == '-') {
        t += 1;
    }
    let end = if t > pos && chars.get(t).is_none_or(|c| !c.is_ascii_alphanumeric()) { t } else { pos };
    (end, admin, road)
}

/// Chinese addresses: after an address keyword (地址：, 住在, 寄到), or from a province or a "XX市/区/县" name,
/// extended over units (市, 区, 路, 号, 栋, 室…). Without a keyword, a single city or district is not enough.
fn chinese_addresses(norm: &Normalized, out: &mut Vec<Candidate>) {
    let text = norm.as_str();
    let mut keyword_or_province = ADDRESS_STARTS.find_iter(text).peekable();
    if keyword_or_province.peek().is_none() && !text.contains(['市', '区', '县']) {
        return;
    }
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    chars.extend(text.chars());
    // (start, mode, where its units begin); mode 0 keyword body, 1 province, 2 "XX市".
    let mut starts: Vec<(usize, u8, usize)> = Vec::new();
    for m in keyword_or_province {
        let (s, e) = (norm.char_index(m.start()), norm.char_index(m.end()));
        if ADDRESS_KEYWORDS.contains(&&text[m.start()..m.end()]) {
            let mut p = e;
            for _ in 0..3 {
                match chars.get(p) {
                    Some(':' | ' ' | '是' | '为' | '在') => p += 1,
                    Some('改' | '换' | '写') if chars.get(p + 1) == Some(&'成') || chars.get(p + 1) == Some(&'为') => p += 2,
                    _ => break,
                }
            }
            starts.push((p, 0, p));
        } else {
            starts.push((s, 1, e));
        }
    }
    for k in 2..chars.len() {
        if matches!(chars[k], '市' | '区' | '县') {
            let s = if chars[k - 1] == '新' && k >= 3 { k - 3 } else { k - 2 };
            let name_ok = chars[s..k].iter().all(|&c| is_cjk(c) && !stop_char(c));
            if name_ok && !NOT_PLACES.contains(&[chars[k - 1], chars[k]]) {
                starts.push((s, 2, k + 1));
            }
        }
    }
    starts.sort_unstable();
    let mut covered = 0;
    for (start, mode, after) in starts {
        if start < covered {
            continue;
        }
        let mut pos = after;
        if mode == 1 {
            // The province's own suffix (广东省, 北京市) is part of its name, not a second unit.
            if let Some(sfx) = PROVINCE_SUFFIXES.iter().find(|w| w.chars().enumerate().all(|(k, c)| chars.get(pos + k) == Some(&c))) {
                pos += sfx.chars().count();
            }
        }
        let (end, admin, road) = address_chain(&chars, start, pos);
        let accepted = if mode == 0 { admin + road >= 1 } else { admin + 1 >= 2 || road >= 1 };
        if accepted && end > start {
            out.push(Candidate { prio: P_ADDRESS, kind: PiiKind::Address, start, end });
            covered = end;
        }
    }
}

/// English street addresses ("221B Baker Street"): the street name must be capitalised in the original.
fn english_addresses(original: &str, norm: &Normalized, out: &mut Vec<Candidate>) {
    // Matches come in increasing order, so one forward walk over the original finds every first letter.
    let mut chars = original.chars();
    let mut walked = 0;
    for m in EN_ADDRESS.find_iter(norm.as_str()) {
        let name = m.as_str().find(' ').map_or(m.start(), |k| m.start() + k + 1);
        let at = norm.char_index(name);
        let first = chars.nth(at - walked);
        walked = at + 1;
        if first.is_some_and(|c| c.is_ascii_uppercase() || ('\u{FF21}'..='\u{FF3A}').contains(&c)) {
            push(norm, out, P_ADDRESS, PiiKind::Address, m.start(), m.end());
        }
    }
}

/// Characters that carry information; separators and punctuation stay visible. ASCII and CJK are tested first
/// because the general Unicode lookup is slow and they are nearly all we see.
fn sensitive(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_cjk(c) || (!c.is_ascii() && c.is_alphanumeric())
}

/// How many leading digits of a phone stay visible: country code, then the area code of a landline or the first
/// three digits of a mobile.
fn phone_head(region: &[char]) -> usize {
    let mut digits = [' '; MAX_NUMBER];
    let mut n = 0;
    for c in region.iter().map(|&c| fold_char(c)).filter(char::is_ascii_digit) {
        if n == MAX_NUMBER {
            return 0;
        }
        digits[n] = c;
        n += 1;
    }
    let digits = &digits[..n];
    let starts = |p: &str| n > p.len() && p.chars().zip(digits).all(|(a, b)| a == *b);
    let cc = if starts("0086") {
        4
    } else if starts("00852") || starts("00853") || starts("00886") {
        5
    } else if starts("86") && n == 13 {
        2
    } else if (starts("852") || starts("853")) && n == 11 || starts("886") && (11..=12).contains(&n) {
        3
    } else {
        0
    };
    let national = n - cc;
    if national == 10 && digits[cc..].starts_with(&['0', '9']) {
        cc + 3 // Taiwan mobile 09xx
    } else if national >= 10 && digits[cc] == '0' {
        // Keep the area code when it is written apart (0755-1234567).
        let first = region.iter().enumerate().filter(|(_, c)| fold_char(**c).is_ascii_digit()).nth(cc).map_or(0, |(i, _)| i);
        let group = region[first..].iter().take_while(|c| fold_char(**c).is_ascii_digit()).count();
        cc + if (2..=4).contains(&group) { group } else { 3 }
    } else if national >= 10 {
        cc + 3
    } else {
        cc
    }
}

/// Masks one span in place (`region` is the span's characters).
fn mask_region(region: &mut [char], kind: PiiKind) {
    match kind {
        PiiKind::Email => {
            // Keep the first character of the local part and the domain.
            let at = region.iter().position(|&c| fold_char(c) == '@').unwrap_or(region.len());
            let keep = usize::from(at >= 2);
            for c in &mut region[keep..at] {
                *c = '*';
            }
        }
        PiiKind::Address => {
            // Keep up to the first city or district (北京市…), at most half of it.
            let n = region.len();
            let keep = region.iter().position(|&c| matches!(fold_char(c), '市' | '区' | '县')).map_or(0, |i| i + 1);
            let keep = if keep * 2 <= n { keep } else { 0 };
            for c in &mut region[keep..] {
                if sensitive(*c) {
                    *c = '*';
                }
            }
        }
        _ => {
            let n = region.iter().filter(|c| sensitive(**c)).count();
            let (head, tail) = match kind {
                PiiKind::Phone => (phone_head(region), 4),
                PiiKind::IdCard => (6, 4),
                _ => (0, 4),
            };
            // Too short to show anything safely: hide it all.
            let (head, tail) = if head + tail >= n { (0, 0) } else { (head, tail) };
            for (rank, c) in region.iter_mut().filter(|c| sensitive(**c)).enumerate() {
                if rank >= head && rank < n - tail {
                    *c = '*';
                }
            }
        }
    }
}

/// Byte ranges of the non-overlapping occurrences of `needle` in `haystack`. Short needles are found by jumping
/// between occurrences of their first character, which beats a general substring search on short messages.
fn occurrences(haystack: &str, needle: &str, out: &mut Vec<(usize, usize)>) {
    let Some(first) = needle.chars().next() else { return };
    if needle.len() > 64 {
        out.extend(haystack.match_indices(needle).map(|(i, m)| (i, i + m.len())));
        return;
    }
    let mut from = 0;
    while let Some(k) = haystack[from..].find(first) {
        let at = from + k;
        if haystack[at..].starts_with(needle) {
            out.push((at, at + needle.len()));
            from = at + needle.len();
        } else {
            from = at + first.len_utf8();
        }
    }
}

/// Renders `original` with every span masked, one `*` per hidden character (so character indices still line up):
/// phone 138****5678, ID 110105********002X, card and order number keep the last four, email z****@example.com,
/// address keeps its city. Other occurrences of a masked value elsewhere in the text are hidden too. Spans out of
/// range, reversed or overlapping are tolerated.
pub fn mask(original: &str, spans: &[PiiSpan]) -> String {
    if spans.is_empty() {
        return original.to_string();
    }
    let mut chars: Vec<char> = Vec::with_capacity(original.len());
    chars.extend(original.chars());
    let n = chars.len();
    let clamp = |s: Span| {
        let end = s.end.min(n);
        (s.start.min(end), end)
    };
    for p in spans {
        let (start, end) = clamp(p.span);
        mask_region(&mut chars[start..end], p.kind);
    }
    let mut masked = String::with_capacity(original.len());
    masked.extend(chars);
    // The same value written twice (an order number quoted again) must not survive in its second place.
    let mut offsets: Vec<usize> = Vec::with_capacity(n + 1);
    offsets.extend(original.char_indices().map(|(b, _)| b));
    offsets.push(original.len());
    let mut secrets: Vec<&str> = spans
        .iter()
        .map(|p| clamp(p.span))
        .map(|(s, e)| &original[offsets[s]..offsets[e]])
        .filter(|t| t.chars().filter(|c| sensitive(*c)).count() >= 4)
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    if secrets.len() <= 8 {
        for s in &secrets {
            occurrences(&masked, s, &mut ranges);
        }
    } else if let Ok(ac) = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&secrets) {
        ranges.extend(ac.find_iter(&masked).map(|m| (m.start(), m.end())));
    }
    if ranges.is_empty() {
        return masked;
    }
    ranges.sort_unstable();
    let mut out = String::with_capacity(masked.len());
    let mut r = 0;
    for (i, c) in masked.char_indices() {
        while r < ranges.len() && ranges[r].1 <= i {
            r += 1;
        }
        let inside = r < ranges.len() && ranges[r].0 <= i;
        out.push(if inside && sensitive(c) { '*' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use PiiKind::*;

    fn check(text: &str, expected: &[(PiiKind, &str)]) {
        let got = detect(text, &Normalized::new(text));
        let pairs: Vec<(PiiKind, &str)> = got.iter().map(|p| (p.kind, p.text.as_str())).collect();
        assert_eq!(pairs, expected, "{text:?}");
    }

    fn masked(text: &str) -> String {
        mask(text, &detect(text, &Normalized::new(text)))
    }

    #[test]
    fn phones() {
        let cases: &[(&str, &[(PiiKind, &str)])] = &[
            ("我的电话是13812345678，快点回电", &[(Phone, "13812345678")]),
            ("电话 138-1234-5678 或 +86 139 1234 5678", &[(Phone, "138-1234-5678"), (Phone, "+86 139 1234 5678")]),
            ("手機１３８１２３４５６７８", &[(Phone, "１３８１２３４５６７８")]),
            ("call +8613912345678 or 86-135-1234-5678", &[(Phone, "+8613912345678"), (Phone, "86-135-1234-5678")]),
            ("13812345678 13912345678", &[(Phone, "13812345678"), (Phone, "13912345678")]),
            ("座机010-12345678，深圳0755-1234567", &[(Phone, "010-12345678"), (Phone, "0755-1234567")]),
            ("打(021)5555 6666找我", &[(Phone, "(021)5555 6666")]),
            ("香港 +852 9123 4567，台灣 0912-345-678 或 +886 912 345 678", &[(Phone, "+852 9123 4567"), (Phone, "0912-345-678"), (Phone, "+886 912 345 678")]),
            ("電話 5123 4567", &[(Phone, "5123 4567")]),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn ids_cards_emails_orders() {
        let cases: &[(&str, &[(PiiKind, &str)])] = &[
            ("身份证11010519491231002X", &[(IdCard, "11010519491231002X")]),
            ("身份證號：110105 19491231 002x", &[(IdCard, "110105 19491231 002x")]),
            ("身份证号110105491231002", &[(IdCard, "110105491231002")]),
            ("卡号6222 0212 3456 7894", &[(BankCard, "6222 0212 3456 7894")]),
            ("card 4111-1111-1111-1111 thanks", &[(BankCard, "4111-1111-1111-1111")]),
            ("银行卡 6222 0212 3456 7890", &[(BankCard, "6222 0212 3456 7890")]),
            ("邮箱 zhang.san@example.com 谢谢", &[(Email, "zhang.san@example.com")]),
            ("ＺＨＡＮＧ＠ＥＸＡＭＰＬＥ．ＣＯＭ", &[(Email, "ＺＨＡＮＧ＠ＥＸＡＭＰＬＥ．ＣＯＭ")]),
            ("mail me: li_4+shop@mail.qq.com.", &[(Email, "li_4+shop@mail.qq.com")]),
            ("订单号：E20231105123456 还没发货", &[(OrderNo, "E20231105123456")]),
            ("运单号SF1234567890", &[(OrderNo, "SF1234567890")]),
            ("訂單號是2023110512", &[(OrderNo, "2023110512")]),
            ("Order No. A1234567 and order #889900", &[(OrderNo, "A1234567"), (OrderNo, "889900")]),
            ("订单号13812345678", &[(OrderNo, "13812345678")]),
            ("JD20231105887766 到了吗", &[(OrderNo, "JD20231105887766")]),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn addresses() {
        let cases: &[(&str, &[(PiiKind, &str)])] = &[
            ("收货地址：北京市朝阳区建国路88号2栋301室", &[(Address, "北京市朝阳区建国路88号2栋301室")]),
            ("寄到广东省深圳市南山区科技园路1号", &[(Address, "广东省深圳市南山区科技园路1号")]),
            ("我住在上海市浦东新区张江路123弄4号，谢谢", &[(Address, "上海市浦东新区张江路123弄4号")]),
            ("收貨地址：臺北市大安區忠孝東路100號", &[(Address, "臺北市大安區忠孝東路100號")]),
            ("发货到杭州市西湖区文三路90号东部软件园", &[(Address, "杭州市西湖区文三路90号")]),
            ("地址：科技园路1号，电话13812345678", &[(Address, "科技园路1号"), (Phone, "13812345678")]),
            ("地址北京市朝阳区建国路88号13812345678", &[(Address, "北京市朝阳区建国路88号"), (Phone, "13812345678")]),
            ("I live at 221B Baker Street, London", &[(Address, "221B Baker Street")]),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn lookalikes_are_not_pii() {
        let cases: &[(&str, &[(PiiKind, &str)])] = &[
            ("一个20位的数字12345678901234567890不是电话", &[(OrderNo, "12345678901234567890")]),
            ("110105194912310021 校验位不对", &[(OrderNo, "110105194912310021")]),
            ("13812345678901 十四位", &[(OrderNo, "13812345678901")]),
            ("编号110105491231002", &[(OrderNo, "110105491231002")]),
            ("价格是138元，数量2", &[]),
            ("圆周率3.14159265358979", &[]),
            ("2023-11-05 14:30 下单", &[]),
            ("在超市买的，放在3号柜", &[]),
            ("北京时间下午3点，我是广东省的", &[]),
            ("北京市的人都知道", &[]),
            ("地址写错了", &[]),
            ("3 days on the road", &[]),
            ("型号A1B2C3，iphone15promax", &[]),
            ("abc@def 不是邮箱", &[]),
            ("", &[]),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn masks_keep_only_what_support_needs() {
        let cases = [
            ("电话13812345678", "电话138****5678"),
            ("+86 139 1234 5678", "+86 139 **** 5678"),
            ("座机010-12345678", "座机010-****5678"),
            ("0755-1234567", "0755-***4567"),
            ("邮箱zhang@example.com", "邮箱z****@example.com"),
            ("身份证11010519491231002X", "身份证110105********002X"),
            ("卡号6222021234567894", "卡号************7894"),
            ("卡号6222 0212 3456 7894", "卡号**** **** **** 7894"),
            ("运单号SF1234567890", "运单号********7890"),
            ("收货地址：北京市朝阳区建国路88号2栋301室", "收货地址：北京市***************"),
            ("手機１３８１２３４５６７８", "手機１３８****５６７８"),
            ("订单号12345，再说一遍12345", "订单号*2345，再说一遍*****"),
        ];
        for (text, expected) in cases {
            assert_eq!(masked(text), expected, "{text:?}");
        }
    }

    #[test]
    fn mask_tolerates_bad_spans() {
        let span = |kind, start, end| PiiSpan { kind, span: Span { start, end }, text: String::new() };
        assert_eq!(mask("abc", &[span(Phone, 2, 99)]), "ab*");
        assert_eq!(mask("abc", &[span(Phone, 5, 2)]), "abc");
        assert_eq!(mask("abc", &[span(Email, 100, 200)]), "abc");
        assert_eq!(mask("", &[span(Address, 0, 3)]), "");
        let overlapping = mask("13812345678", &[span(Phone, 0, 11), span(OrderNo, 3, 11)]);
        assert_eq!(overlapping.chars().count(), 11);
        assert!(!overlapping.contains("13812345678"));
    }

    #[test]
    fn very_long_and_degenerate_inputs_are_handled() {
        let text = "电话13812345678，订单号E20231105123456，寄到北京市朝阳区建国路88号。".repeat(20_000);
        assert!(text.len() > 1_000_000);
        let spans = detect(&text, &Normalized::new(&text));
        assert_eq!(spans.len(), 60_000);
        let out = mask(&text, &spans);
        assert!(!out.contains("13812345678"));
        for junk in ["1".repeat(1_000_000), "1 ".repeat(500_000), "路".repeat(400_000), "a@".repeat(500_000), "北京市".repeat(300_000)] {
            let spans = detect(&junk, &Normalized::new(&junk));
            mask(&junk, &spans);
        }
    }

    fn texts() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("13812345678"), Just("１３８"), Just("6222021234567894"), Just("11010519491231002X"), Just("zhang@qq.com"),
            Just("北京市朝阳区建国路88号"), Just("订单号"), Just("身份证"), Just("卡号"), Just("电话"), Just(" "), Just("-"),
            Just("+86"), Just("("), Just(")"), Just("."), Just("@"), Just("x"), Just("0755"), Just("1234"), Just("市"), Just("路"),
            Just("号"), Just("地址："), Just("，"),
        ];
        prop_oneof![
            any::<String>(),
            "[0-9０-９a-zA-Z@ .+()\\-市区路号省：订单号电话身份证卡x#]{0,60}",
            proptest::collection::vec(piece, 0..20).prop_map(|v| v.concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn detection_is_sound_and_masking_hides_every_span(text in texts()) {
            let spans = detect(&text, &Normalized::new(&text));
            let n = text.chars().count();
            for w in spans.windows(2) {
                prop_assert!(w[0].span.end <= w[1].span.start, "sorted, no overlap: {:?}", spans);
            }
            let out = mask(&text, &spans);
            prop_assert_eq!(out.chars().count(), n);
            for p in &spans {
                prop_assert!(p.span.start < p.span.end && p.span.end <= n);
                prop_assert_eq!(&p.text, &crate::normalize::original_slice(&text, p.span.start, p.span.end));
                if p.text.chars().filter(|c| sensitive(*c)).count() >= 4 {
                    prop_assert!(!out.contains(&p.text), "{:?} still visible in {:?}", p, out);
                }
            }
        }

        #[test]
        fn mask_never_panics(text in "\\PC{0,30}", raw in proptest::collection::vec((0usize..40, 0usize..40, 0usize..6), 0..5)) {
            let spans: Vec<PiiSpan> = raw
                .into_iter()
                .map(|(start, end, k)| PiiSpan { kind: PiiKind::ALL[k], span: Span { start, end }, text: String::new() })
                .collect();
            prop_assert_eq!(mask(&text, &spans).chars().count(), text.chars().count());
        }
    }
}
