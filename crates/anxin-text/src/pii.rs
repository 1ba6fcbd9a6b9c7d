//! Personal data detection and masking (phone, ID card, bank card, email, address, order number), so logs,
//! analytics, training cases and exports can hide it.

use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::Normalized;
use crate::signals::fill_original_text;
use crate::types::{PiiKind, PiiSpan, Span};

/// Patterns run on the normalised text (half-width digits, lower case, Simplified).
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24}").expect("regex"));
static ID_CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[1-9]\d{16}[\dx]").expect("regex"));
static BANK_CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d{4}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?").expect("regex"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}|0\d{2,3}-\d{7,8}|\+?852[ -]?[5-9]\d{3}[ -]?\d{4}").expect("regex")
});
static ORDER_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:订单号|订单编号|订单|运单号|快递单号|物流单号|单号|order (?:no\.?|number|id|#)|order#|order)\s*[:：#]?\s*([a-z]{0,4}[0-9][a-z0-9-]{5,29})")
        .expect("regex")
});
static LONG_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-z]{0,4}\d{10,30}").expect("regex"));
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:(?:收货地址|地址|住在|寄到|送到)[:：]?\s*)",
        r"([\p{Han}0-9a-z#-]{4,40})",
        r"|([\p{Han}]{2,6}(?:省|市|自治区)[\p{Han}0-9]{0,12}?(?:区|县|市)[\p{Han}0-9a-z#-]{1,24}?(?:号|室|栋|幢|单元|弄|村)(?:[0-9a-z-]+(?:号|室|栋|幢|单元|层|楼))*)"
    ))
    .expect("regex")
});

/// Whether a match is a number of its own (no digit glued before or after it).
fn standalone(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
    let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
    before && after
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

/// Finds PII in a message. Spans are character indices valid on `original`; `text` is the original substring.
pub fn detect(original: &str, norm: &Normalized) -> Vec<PiiSpan> {
    let text = norm.as_str();
    let bytes = text.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let mut found: Vec<(PiiKind, usize, usize)> = Vec::new();
    // Most specific first: a later candidate overlapping an earlier one is dropped.
    if text.contains('@') {
        found.extend(EMAIL.find_iter(text).map(|m| (PiiKind::Email, m.start(), m.end())));
    }
    if has_digit {
        for m in ID_CARD.find_iter(text) {
            if standalone(bytes, m.start(), m.end()) && id_checksum_ok(m.as_str().as_bytes()) {
                found.push((PiiKind::IdCard, m.start(), m.end()));
            }
        }
        for m in PHONE.find_iter(text) {
            if standalone(bytes, m.start(), m.end()) {
                found.push((PiiKind::Phone, m.start(), m.end()));
            }
        }
        for m in BANK_CARD.find_iter(text) {
            let digits: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).collect();
            let keyword = text[..m.start()].ends_with("卡号") || text[..m.start()].contains("银行卡");
            if standalone(bytes, m.start(), m.end()) && (13..=19).contains(&digits.len()) && (luhn_ok(&digits) || keyword) {
                found.push((PiiKind::BankCard, m.start(), m.end()));
            }
        }
        for c in ORDER_KEYWORD.captures_iter(text) {
            if let Some(m) = c.get(1) {
                found.push((PiiKind::OrderNo, m.start(), m.end()));
            }
        }
        for m in LONG_NUMBER.find_iter(text) {
            if standalone(bytes, m.start(), m.end()) {
                found.push((PiiKind::OrderNo, m.start(), m.end()));
            }
        }
    }
    if ["地址", "住在", "寄到", "送到", "省", "市", "区", "县"].iter().any(|k| text.contains(k)) {
        for c in ADDRESS.captures_iter(text) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                found.push((PiiKind::Address, m.start(), m.end()));
            }
        }
    }
    let mut kept: Vec<(PiiKind, usize, usize)> = Vec::with_capacity(found.len());
    for candidate in found {
        if !kept.iter().any(|k| candidate.1 < k.2 && k.1 < candidate.2) {
            kept.push(candidate);
        }
    }
    kept.sort_by_key(|k| k.1);
    let mut spans: Vec<PiiSpan> = kept
        .into_iter()
        .map(|(kind, s, e)| PiiSpan { kind, span: Span::new(norm.char_index(s), norm.char_index(e)), text: String::new() })
        .collect();
    fill_original_text(original, &mut spans, |p| p.span, |p, t| p.text = t);
    spans
}

/// How many leading and trailing alphanumeric characters of a span stay visible.
fn visible(kind: PiiKind) -> (usize, usize) {
    match kind {
        PiiKind::Phone => (3, 4),
        PiiKind::IdCard => (6, 4),
        PiiKind::BankCard => (0, 4),
        PiiKind::OrderNo => (0, 4),
        PiiKind::Email => (1, 0),
        PiiKind::Address => (3, 0),
    }
}

/// Renders `original` with every span masked: sensitive characters become `*`, separators stay. Spans out of
/// range or overlapping are tolerated.
pub fn mask(original: &str, spans: &[PiiSpan]) -> String {
    if spans.is_empty() {
        return original.to_string();
    }
    let mut chars: Vec<char> = original.chars().collect();
    for p in spans {
        let end = p.span.end.min(chars.len());
        let start = p.span.start.min(end);
        let (head, tail) = visible(p.kind);
        let region = &mut chars[start..end];
        // For email, only the local part is hidden; the domain stays for support purposes.
        let limit = if p.kind == PiiKind::Email {
            region.iter().position(|c| *c == '@' || *c == '＠').unwrap_or(region.len())
        } else {
            region.len()
        };
        let sensitive: Vec<usize> = (0..limit).filter(|i| region[*i].is_alphanumeric()).collect();
        let n = sensitive.len();
        // Too short to show anything safely: hide it all.
        let (head, tail) = if n <= head + tail { (0, 0) } else { (head, tail) };
        for (rank, &i) in sensitive.iter().enumerate() {
            if rank >= head && rank + tail < n {
                region[i] = '*';
            }
        }
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(text: &str, expected: &[(PiiKind, &str)]) {
        let got = detect(text, &Normalized::new(text));
        let pairs: Vec<(PiiKind, &str)> = got.iter().map(|p| (p.kind, p.text.as_str())).collect();
        assert_eq!(pairs, expected, "{text}");
    }

    #[test]
    fn detects_each_kind() {
        check("我的电话是13812345678，快点回电", &[(PiiKind::Phone, "13812345678")]);
        check("电话 138-1234-5678 或 +86 139 1234 5678", &[(PiiKind::Phone, "138-1234-5678"), (PiiKind::Phone, "+86 139 1234 5678")]);
        check("手機１３８１２３４５６７８", &[(PiiKind::Phone, "１３８１２３４５６７８")]);
        check("座机010-12345678", &[(PiiKind::Phone, "010-12345678")]);
        check("身份证11010519491231002X", &[(PiiKind::IdCard, "11010519491231002X")]);
        check("卡号6222 0212 3456 7894", &[(PiiKind::BankCard, "6222 0212 3456 7894")]);
        check("邮箱 zhang.san@example.com 谢谢", &[(PiiKind::Email, "zhang.san@example.com")]);
        check("订单号：E20231105123456 还没发货", &[(PiiKind::OrderNo, "E20231105123456")]);
        check("运单号SF1234567890", &[(PiiKind::OrderNo, "SF1234567890")]);
        check("收货地址：北京市朝阳区建国路88号2栋301室", &[(PiiKind::Address, "北京市朝阳区建国路88号2栋301室")]);
        check("寄到广东省深圳市南山区科技园路1号", &[(PiiKind::Address, "广东省深圳市南山区科技园路1号")]);
    }

    #[test]
    fn rejects_lookalikes() {
        check("一个20位的数字12345678901234567890不是电话", &[(PiiKind::OrderNo, "12345678901234567890")]);
        check("110105194912310021 校验位不对", &[(PiiKind::OrderNo, "110105194912310021")]);
        check("价格是138元，数量2", &[]);
        check("", &[]);
    }

    #[test]
    fn masks_keep_only_what_support_needs() {
        let text = "电话13812345678，邮箱zhang@example.com，身份证11010519491231002X，卡号6222021234567894";
        let spans = detect(text, &Normalized::new(text));
        let masked = mask(text, &spans);
        assert!(masked.contains("138****5678"), "{masked}");
        assert!(masked.contains("z****@example.com"), "{masked}");
        assert!(masked.contains("110105********002X"), "{masked}");
        assert!(masked.contains("************7894"), "{masked}");
        assert_eq!(mask("abc", &[PiiSpan { kind: PiiKind::Phone, span: Span::new(2, 99), text: String::new() }]), "ab*");
    }

    proptest! {
        #[test]
        fn never_panics_and_masking_hides_spans(text in "[0-9０-９a-z@ .市区路号省：订单号电话-]{0,60}|\\PC{0,40}") {
            let spans = detect(&text, &Normalized::new(&text));
            let n = text.chars().count();
            for w in spans.windows(2) {
                prop_assert!(w[0].span.end <= w[1].span.start, "sorted, no overlap");
            }
            let masked = mask(&text, &spans);
            prop_assert_eq!(masked.chars().count(), n);
            for p in &spans {
                prop_assert!(p.span.end <= n);
                if p.text.chars().filter(|c| c.is_alphanumeric()).count() >= 6 {
                    let shown: String = masked.chars().skip(p.span.start).take(p.span.len()).collect();
                    prop_assert_ne!(&shown, &p.text, "{} still visible in {}", p.text, masked);
                }
            }
        }
    }
}
