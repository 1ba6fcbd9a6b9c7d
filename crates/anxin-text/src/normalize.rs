//! Text normalisation: full-width → half-width, ASCII lower-casing and Traditional → Simplified folding.
//!
//! Invariant: every input character maps to exactly one output character, so character indices found on the
//! normalised text are valid on the original text. That is why we fold character by character and do not apply
//! NFKC (which may expand or merge characters).

use std::sync::LazyLock;

/// CJK ranges covered by the folding table: Extension A + Unified Ideographs, and the compatibility block.
const CJK_START: u32 = 0x3400;
const CJK_END: u32 = 0xA000;
const COMPAT_START: u32 = 0xF900;
const COMPAT_END: u32 = 0xFB00;

/// Characters that are already Simplified but that `fast2s`'s context-free table would change (found by folding
/// Simplified review text: 呵呵 is not 嗬嗬).
const KEEP: &[char] = &['呵', '呱', '捍'];

/// Dense Traditional → Simplified table, built once from `fast2s` one character at a time (context-free).
static T2S: LazyLock<Vec<char>> = LazyLock::new(|| {
    let mut table = Vec::with_capacity((CJK_END - CJK_START + COMPAT_END - COMPAT_START) as usize);
    let mut buf = [0u8; 4];
    for code in (CJK_START..CJK_END).chain(COMPAT_START..COMPAT_END) {
        let c = char::from_u32(code).unwrap_or('\u{FFFD}');
        let converted = fast2s::convert(c.encode_utf8(&mut buf));
        let mut it = converted.chars();
        table.push(match (it.next(), it.next()) {
            (Some(s), None) if !KEEP.contains(&c) => s,
            _ => c,
        });
    }
    table
});

/// Folds one character; the single source of truth for what "normalised" means.
#[inline]
pub fn fold_char(c: char) -> char {
    let code = c as u32;
    match code {
        0x41..=0x5A => (code as u8 + 32) as char,
        0xFF01..=0xFF5E => {
            let ascii = (code - 0xFF01 + 0x21) as u8;
            ascii.to_ascii_lowercase() as char
        }
        0x3000 => ' ',
        CJK_START..CJK_END => T2S[(code - CJK_START) as usize],
        COMPAT_START..COMPAT_END => T2S[(CJK_END - CJK_START + code - COMPAT_START) as usize],
        _ => c,
    }
}

/// Whether a character is a CJK ideograph (the scripts we fold).
#[inline]
pub fn is_cjk(c: char) -> bool {
    let code = c as u32;
    (CJK_START..CJK_END).contains(&code) || (COMPAT_START..COMPAT_END).contains(&code) || (0x20000..0x2FA20).contains(&code)
}

/// Forces the folding table to be built (so the first analysis is not the one that pays for it).
pub fn warm_up() {
    LazyLock::force(&T2S);
}

/// A normalised message: the folded text plus the byte offset of every character, for mapping regex or
/// Aho-Corasick byte offsets back to character indices.
#[derive(Debug, Clone)]
pub struct Normalized {
    text: String,
    /// `char_starts[i]` is the byte offset of character `i`; the last entry is `text.len()`.
    char_starts: Vec<u32>,
    /// How many characters were changed by Traditional → Simplified folding.
    pub traditional_chars: usize,
    pub cjk_chars: usize,
    pub latin_letters: usize,
}

impl Normalized {
    pub fn new(original: &str) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut char_starts = Vec::with_capacity(original.len() + 1);
        let (mut traditional_chars, mut cjk_chars, mut latin_letters) = (0, 0, 0);
        for c in original.chars() {
            char_starts.push(text.len() as u32);
            let folded = fold_char(c);
            if is_cjk(c) {
                cjk_chars += 1;
                if folded != c {
                    traditional_chars += 1;
                }
            } else if folded.is_ascii_alphabetic() {
                latin_letters += 1;
            }
            text.push(folded);
        }
        char_starts.push(text.len() as u32);
        Self { text, char_starts, traditional_chars, cjk_chars, latin_letters }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Number of characters (equal in the original and the normalised text).
    pub fn char_len(&self) -> usize {
        self.char_starts.len() - 1
    }

    /// Character index of a byte offset that lies on a character boundary of the normalised text.
    pub fn char_index(&self, byte: usize) -> usize {
        match self.char_starts.binary_search(&(byte as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset (in the normalised text) of character `index`.
    pub fn byte_offset(&self, index: usize) -> usize {
        self.char_starts[index.min(self.char_len())] as usize
    }

    /// The normalised text of a character range.
    pub fn slice_chars(&self, start: usize, end: usize) -> &str {
        &self.text[self.byte_offset(start)..self.byte_offset(end)]
    }
}

/// The original text of a character range (used to report the customer's own words in spans).
pub fn original_slice(original: &str, start: usize, end: usize) -> String {
    original.chars().skip(start).take(end.saturating_sub(start)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_script_one_char_at_a_time() {
        let cases = [
            ("ＡＢＣ１２３！", "abc123!"),
            ("這個東西質量太差了", "这个东西质量太差了"),
            ("退貨　退款", "退货 退款"),
            ("Hello World", "hello world"),
            ("😀好", "😀好"),
            ("呵呵", "呵呵"),
            ("", ""),
        ];
        for (input, expected) in cases {
            let n = Normalized::new(input);
            assert_eq!(n.as_str(), expected, "input {input:?}");
            assert_eq!(n.char_len(), input.chars().count(), "char count must be preserved for {input:?}");
        }
    }

    #[test]
    fn counts_traditional_characters() {
        assert!(Normalized::new("這個東西質量").traditional_chars >= 3);
        assert_eq!(Normalized::new("这个东西质量").traditional_chars, 0);
    }

    #[test]
    fn maps_byte_offsets_back_to_characters() {
        let n = Normalized::new("a退款b");
        assert_eq!(n.char_index(0), 0);
        assert_eq!(n.char_index(1), 1);
        assert_eq!(n.char_index(4), 2);
        assert_eq!(n.char_index(7), 3);
        assert_eq!(n.slice_chars(1, 3), "退款");
    }
}
