//! The tokenizers: jieba words and CJK character bigrams over *normalised* text, with offsets in the original.
//!
//! Normalisation (`anxin_text::normalize`: Traditional → Simplified, full-width → half-width, lower-case) runs
//! before segmentation for documents and queries alike, so 退貨運費 and 退货运费 produce the same terms. It maps
//! one character to one character, so a token's character span is valid in the original text; we report byte
//! offsets of the original, which is what tantivy's snippets slice.

use std::sync::{Arc, LazyLock};

use anxin_text::normalize::{Normalized, is_cjk};
use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Shopping words the text engine's lexicon may not have; kept whole so 运费险 is not 运费 + 险.
const SHOP_TERMS: &str = "运费险 退货险 七天无理由 7天无理由 无理由退货 价保 保价 补差价 退差价 花呗 分期 免息 \
增值税专用发票 增值税 专用发票 专票 普票 电子发票 纸质发票 开票 发票抬头 税号 抬头 顺丰 京东快递 中通 圆通 申通 韵达 \
邮政 菜鸟驿站 驿站 快递柜 丰巢 签收 拒收 揽收 派送 物流信息 物流单号 快递单号 运单号 中转站 退货地址 寄回 到付 \
换货 换尺码 换码 尺码表 尺码 码数 偏大 偏小 吊牌 二次销售 质检 验收 原路退回 原路返回 仅退款 退货退款 部分退款 \
预售 定金 尾款 优惠券 满减 红包 积分 会员 会员等级 礼品卡 礼盒 包装 贺卡 保修 质保 维修 换新 三包 正品 假货 \
鉴定 防伪 破损 压坏 漏发 少发 错发 发错 缺件 漏件 转人工 人工客服 在线客服 投诉 隐私 个人信息 注销 港澳台 海外 \
关税 清关 洗涤 水洗 干洗 机洗 起球 掉色 缩水 合并发货 拆单 分开发 支付失败 付款失败 重复扣款 改地址 修改地址 \
取消订单 催发货 催件 延迟发货 没收到 未收到 已签收";

/// Words that carry no topic: particles, pronouns and English function words. Dropped from words (not bigrams).
const STOPWORDS: &[&str] = &[
    "的", "了", "吗", "呢", "啊", "吧", "呀", "么", "嘛", "哦", "哈", "啦", "喔", "噢", "我", "你", "您", "他", "她",
    "它", "我们", "你们", "他们", "是", "在", "就", "都", "也", "还", "又", "这", "那", "这个", "那个", "个", "一个",
    "请问", "一下", "着", "过", "得", "地", "和", "与", "或", "及", "把", "被", "让", "给", "要", "会", "能",
    "the", "a", "an", "is", "are", "was", "were", "be", "to", "of", "my", "i", "you", "your", "it", "its", "do",
    "does", "did", "can", "for", "in", "on", "and", "or", "me", "at", "this", "that", "with", "have", "has",
    "will", "what", "how", "why", "when", "where", "there", "s", "t",
];

/// One jieba for the process (its dictionary is large), with the domain words added.
static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in anxin_text::lexicon::domain_terms().chain(SHOP_TERMS.split_whitespace()) {
        if word.chars().count() > 1 && !word.contains(' ') {
            // A high frequency makes jieba prefer the whole word over its parts.
            jieba.add_word(word, Some(50_000), None);
        }
    }
    Arc::new(jieba)
});

/// What a tokenizer emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// jieba search-mode words (a long word and its dictionary sub-words), stopwords dropped, Latin words.
    Words,
    /// jieba words without the overlapping sub-words, for highlighting: tantivy's snippets need tokens in order.
    Highlight,
    /// Overlapping CJK character bigrams (a lone CJK character as itself) plus Latin words: catches partial
    /// matches and many typos (物流不更心 still shares 不更 with 不更新).
    Bigrams,
}

/// A tantivy tokenizer for one [`Mode`].
#[derive(Clone)]
pub struct ZhTokenizer {
    jieba: Arc<Jieba>,
    mode: Mode,
    tokens: Vec<Token>,
}

impl ZhTokenizer {
    pub fn new(mode: Mode) -> Self {
        Self { jieba: Arc::clone(&JIEBA), mode, tokens: Vec::new() }
    }
}

/// Whether a character belongs in a token (letters, digits, CJK); everything else separates tokens.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_cjk(c)
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream<'a> {
        self.tokens.clear();
        let norm = Normalized::new(text);
        // Byte offset in the original text of each character index (plus the end).
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());
        let folded = norm.as_str();
        let chars: Vec<char> = folded.chars().collect();
        let push = |tokens: &mut Vec<Token>, start: usize, end: usize, word: String| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: starts[start],
                offset_to: starts[end],
                position,
                text: word,
                position_length: 1,
            });
        };
        match self.mode {
            Mode::Words | Mode::Highlight => {
                let words = if self.mode == Mode::Words {
                    self.jieba.cut_for_search(folded, true)
                } else {
                    self.jieba.cut(folded, true)
                };
                for token in words {
                    let word = token.word;
                    if !word.chars().all(is_word_char) || STOPWORDS.contains(&word) {
                        continue;
                    }
                    push(&mut self.tokens, token.start, token.end, word.to_string());
                }
            }
            Mode::Bigrams => {
                let mut i = 0;
                while i < chars.len() {
                    if is_cjk(chars[i]) {
                        let run_end = (i..chars.len()).find(|&j| !is_cjk(chars[j])).unwrap_or(chars.len());
                        if run_end - i == 1 {
                            push(&mut self.tokens, i, i + 1, chars[i].to_string());
                        }
                        for j in i..run_end.saturating_sub(1) {
                            push(&mut self.tokens, j, j + 2, chars[j..j + 2].iter().collect());
                        }
                        i = run_end;
                    } else if chars[i].is_alphanumeric() {
                        let run_end = (i..chars.len())
                            .find(|&j| !chars[j].is_alphanumeric() || is_cjk(chars[j]))
                            .unwrap_or(chars.len());
                        let word: String = chars[i..run_end].iter().collect();
                        if !STOPWORDS.contains(&word.as_str()) {
                            push(&mut self.tokens, i, run_end, word);
                        }
                        i = run_end;
                    } else {
                        i += 1;
                    }
                }
            }
        }
        ZhTokenStream { tokens: &mut self.tokens, index: None }
    }
}

/// The tokens of one text, computed up front.
pub struct ZhTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: Option<usize>,
}

impl TokenStream for ZhTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let next = self.index.map_or(0, |i| i + 1);
        self.index = Some(next);
        next < self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index.unwrap_or(0)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index.unwrap_or(0)]
    }
}

/// The terms a tokenizer produces for a text (used for queries).
pub fn terms(tokenizer: &mut tantivy::tokenizer::TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = tokenizer.token_stream(text);
    while stream.advance() {
        let text = &stream.token().text;
        if !out.contains(text) {
            out.push(text.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(mode: Mode, text: &str) -> Vec<(String, String)> {
        let mut tokenizer = ZhTokenizer::new(mode);
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), text[t.offset_from..t.offset_to].to_string()));
        }
        out
    }

    #[test]
    fn traditional_and_full_width_fold_before_segmentation_with_original_offsets() {
        let words = tokens(Mode::Words, "退貨運費誰出？ＶＩＰ");
        assert!(words.contains(&("退货".into(), "退貨".into())), "{words:?}");
        assert!(words.contains(&("运费".into(), "運費".into())), "{words:?}");
        assert!(words.contains(&("vip".into(), "ＶＩＰ".into())), "{words:?}");
    }

    #[test]
    fn domain_terms_stay_whole() {
        for term in ["运费险", "七天无理由", "增值税专用发票", "花呗", "价保"] {
            let words: Vec<String> = tokens(Mode::Words, &format!("我想问{term}的事")).into_iter().map(|t| t.0).collect();
            assert!(words.contains(&term.to_string()), "{term}: {words:?}");
        }
    }

    #[test]
    fn bigrams_cover_cjk_runs_and_keep_latin_words() {
        let grams: Vec<String> = tokens(Mode::Bigrams, "不更新 ok 快").into_iter().map(|t| t.0).collect();
        assert_eq!(grams, ["不更", "更新", "ok", "快"]);
    }
}
