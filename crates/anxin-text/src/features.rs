//! Tokens and hashed features.
//!
//! A message becomes a token stream (one token per CJK character, one per Latin word, digit runs by length class,
//! punctuation with bursts collapsed), then hashed token 1–3-grams plus named lexicon cues. Features are hashed into
//! `2^bits` buckets so the model is a fixed-size table and unseen text costs nothing to represent.

use crate::normalize::{Normalized, is_cjk};

/// One token of the normalised text, with its character span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub id: u64,
    pub start: u32,
    pub end: u32,
}

/// Where a feature came from, so an explanation can show it to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Tokens `first .. first + len` of the token stream (len 0 with a boundary marker).
    Tokens { first: u32, len: u8 },
    /// A lexicon hit (an index into the message's hit list).
    Cue(u32),
    /// A message-level feature with a fixed name.
    Meta(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub bucket: u32,
    pub origin: Origin,
}

const BOS: u64 = 0x9E37_79B9_7F4A_7C15;
const EOS: u64 = 0xC2B2_AE3D_27D4_EB4F;
const RUN_FLAG: u64 = 1 << 40;
const WORD_FLAG: u64 = 1 << 41;
const DIGITS_FLAG: u64 = 1 << 42;

/// A 64-bit mixer (splitmix64's finaliser): cheap and well distributed.
#[inline]
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a over bytes, for Latin words and cue names.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn digit_class(len: usize) -> u64 {
    match len {
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=8 => 4,
        _ => 5,
    }
}

/// Splits normalised text into tokens. Whitespace separates tokens and is dropped.
pub fn tokenize(norm: &Normalized, out: &mut Vec<Token>) {
    out.clear();
    let text = norm.as_str();
    let bytes = text.as_bytes();
    let mut chars = text.char_indices().enumerate().peekable();
    while let Some((ci, (bi, c))) = chars.next() {
        let start = ci as u32;
        if c.is_ascii_alphanumeric() {
            // A Latin word or a digit run: consume the whole run.
            let mut end_b = bi + 1;
            let mut end_c = ci + 1;
            let mut all_digits = c.is_ascii_digit();
            while let Some(&(_, (nb, nc))) = chars.peek() {
                if nc.is_ascii_alphanumeric() || (nc == '\'' && !all_digits) {
                    all_digits &= nc.is_ascii_digit();
                    end_b = nb + 1;
                    end_c += 1;
                    chars.next();
                } else {
                    break;
                }
            }
            let id = if all_digits {
                DIGITS_FLAG | digit_class(end_b - bi)
            } else {
                WORD_FLAG | (hash_bytes(&bytes[bi..end_b]) >> 24)
            };
            out.push(Token { id, start, end: end_c as u32 });
        } else if c.is_whitespace() {
            continue;
        } else if is_cjk(c) || c.is_alphanumeric() {
            out.push(Token { id: c as u64, start, end: start + 1 });
        } else {
            // Punctuation, symbols and emoji; a burst of the same symbol becomes one "run" token.
            let mut end_c = ci + 1;
            while let Some(&(_, (_, nc))) = chars.peek() {
                if nc == c {
                    end_c += 1;
                    chars.next();
                } else {
                    break;
                }
            }
            let id = if end_c - ci > 1 { c as u64 | RUN_FLAG } else { c as u64 };
            out.push(Token { id, start, end: end_c as u32 });
        }
    }
}

/// Appends hashed token n-gram features (n = 1..=3, with sentence boundaries) to `out`.
pub fn ngram_features(tokens: &[Token], bits: u32, out: &mut Vec<Feature>) {
    let shift = 64 - bits;
    let bucket = |h: u64| (mix(h) >> shift) as u32;
    let n = tokens.len();
    let id = |i: isize| -> u64 {
        if i < 0 {
            BOS
        } else if i as usize >= n {
            EOS
        } else {
            tokens[i as usize].id
        }
    };
    for i in 0..n as isize {
        let t0 = id(i);
        out.push(Feature { bucket: bucket(t0 ^ 0x1111), origin: Origin::Tokens { first: i as u32, len: 1 } });
        let t1 = id(i + 1);
        let bi = t0.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ t1.rotate_left(17) ^ 0x2222;
        if i + 1 < n as isize {
            out.push(Feature { bucket: bucket(bi), origin: Origin::Tokens { first: i as u32, len: 2 } });
            let t2 = id(i + 2);
            if i + 2 < n as isize {
                let tri = mix(bi) ^ t2.rotate_left(41) ^ 0x3333;
                out.push(Feature { bucket: bucket(tri), origin: Origin::Tokens { first: i as u32, len: 3 } });
            }
        }
    }
    if n > 0 {
        let first = BOS.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ id(0).rotate_left(17) ^ 0x2222;
        out.push(Feature { bucket: bucket(first), origin: Origin::Tokens { first: 0, len: 1 } });
        let last = id(n as isize - 1).wrapping_mul(0x2545_F491_4F6C_DD1D) ^ EOS.rotate_left(17) ^ 0x2222;
        out.push(Feature { bucket: bucket(last), origin: Origin::Tokens { first: n as u32 - 1, len: 1 } });
    }
}

/// The bucket of a named cue feature (lexicon hits, punctuation and length classes).
pub fn cue_bucket(name_hash: u64, bits: u32) -> u32 {
    (mix(name_hash ^ 0x4444_4444) >> (64 - bits)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(String, bool)> {
        let n = Normalized::new(text);
        let mut out = Vec::new();
        tokenize(&n, &mut out);
        out.iter()
            .map(|t| (n.slice_chars(t.start as usize, t.end as usize).to_string(), t.id & RUN_FLAG != 0))
            .collect()
    }

    #[test]
    fn tokenizes_mixed_text() {
        let got = tokens("退款 iPhone13 到了吗？？？ 12345");
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["退", "款", "iphone13", "到", "了", "吗", "???", "12345"]);
        assert!(got[6].1, "a burst of ? is one run token");
        assert!(!got[0].1);
    }

    #[test]
    fn ngram_count_matches_token_count() {
        let n = Normalized::new("太差了");
        let mut toks = Vec::new();
        tokenize(&n, &mut toks);
        let mut feats = Vec::new();
        ngram_features(&toks, 18, &mut feats);
        // 3 unigrams + 2 bigrams + 1 trigram + 2 boundary bigrams.
        assert_eq!(feats.len(), 8);
        assert!(feats.iter().all(|f| f.bucket < (1 << 18)));
    }

    #[test]
    fn empty_text_has_no_tokens() {
        assert!(tokens("").is_empty());
        assert!(tokens("   ").is_empty());
    }
}
