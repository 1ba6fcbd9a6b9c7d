//! The domain lexicon: emotion cues, polarity words, negators, intensity modifiers, complaint-type cues and
//! shopping-domain words, written by the Anxin team from the seed decks and e-commerce service practice.
//!
//! The lexicon feeds the models as named features and drives the rules that need no training data (intensity,
//! whether a message is a complaint, weak labels for training). Entries are Simplified Chinese or lower-case
//! English: matching runs on normalised text, so Traditional and full-width input match too.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::normalize::Normalized;
use crate::types::{ComplaintType, Emotion};

/// What a lexicon entry says about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    Emotion(Emotion),
    Positive,
    Negative,
    Negator,
    Intensifier,
    Softener,
    Complaint(ComplaintType),
    /// Words that place a message in online shopping / delivery service.
    Shop,
    /// Polite question or request markers (typical of neutral enquiries).
    Enquiry,
}

impl Cue {
    /// Stable feature name, part of the model's feature fingerprint.
    pub fn name(self) -> &'static str {
        match self {
            Cue::Emotion(Emotion::Anger) => "cue:anger",
            Cue::Emotion(Emotion::Anxiety) => "cue:anxiety",
            Cue::Emotion(Emotion::Disappointment) => "cue:disappointment",
            Cue::Emotion(Emotion::Neutral) => "cue:neutral",
            Cue::Emotion(Emotion::Satisfied) => "cue:satisfied",
            Cue::Positive => "cue:positive",
            Cue::Negative => "cue:negative",
            Cue::Negator => "cue:negator",
            Cue::Intensifier => "cue:intensifier",
            Cue::Softener => "cue:softener",
            Cue::Complaint(ComplaintType::Quality) => "cue:c:quality",
            Cue::Complaint(ComplaintType::Logistics) => "cue:c:logistics",
            Cue::Complaint(ComplaintType::Price) => "cue:c:price",
            Cue::Complaint(ComplaintType::Service) => "cue:c:service",
            Cue::Complaint(ComplaintType::RefundReturn) => "cue:c:refund_return",
            Cue::Complaint(ComplaintType::SizeSpec) => "cue:c:size_spec",
            Cue::Complaint(ComplaintType::Payment) => "cue:c:payment",
            Cue::Complaint(ComplaintType::Other) => "cue:c:other",
            Cue::Shop => "cue:shop",
            Cue::Enquiry => "cue:enquiry",
        }
    }
}

const ANGER: &str = "气死 气死我了 生气 愤怒 气愤 火大 恼火 太过分 过分 欺人太甚 骗子 骗人 欺骗 忽悠 坑人 坑爹 黑心 奸商 垃圾 \
什么玩意 什么东西 搞什么 搞什么鬼 有病 恶心 无耻 不要脸 混蛋 滚 妈的 他妈 去死 傻逼 煞笔 脑残 态度恶劣 态度极差 \
敷衍 踢皮球 推卸 凭什么 岂有此理 受够了 忍无可忍 给个说法 讨个说法 怎么回事 强烈要求 可恶 该死 差劲 太差劲 \
霸王条款 耍流氓 流氓 不负责任 糊弄 太坑 破东西 狗屁 火冒三丈 气炸 愤慨 离谱 太离谱 简直了 什么态度 说话注意 \
还有脸 投诉你们 去投诉 必须投诉 要投诉 一定投诉 举报 差评 12315 曝光 起诉 律师 骗钱 还钱 退钱 赔钱 滚蛋 \
去你的 尼玛 我靠 卧槽 tmd 艹 怒 混账 装死 装聋作哑 爱答不理 爱理不理 太气人 气人 烦死 烦死了 真tm 特么 没素质 找骂 欠骂 这什么服务 什么服务 \
angry furious outrageous ridiculous unacceptable scam scammer rip-off ripoff disgusting terrible worst pissed \
damn wtf fuck shit nonsense rubbish";

const ANXIETY: &str = "着急 很急 急死 急死了 急用 急需 好急 担心 害怕 焦虑 不安 紧张 慌 心慌 怎么办 该怎么办 什么时候 多久 \
还没到 还没收到 还没发货 怎么还没 到底什么时候 能不能快点 催 催了 赶紧 尽快 快点 等不及 来不及 会不会 万一 \
有人吗 人呢 回复一下 拜托 求求 求你 明天就要 今天能到吗 担忧 忐忑 恐慌 恐惧 睡不着 失眠 怕 急 \
能不能 到哪了 到哪里了 还要多久 啥时候 几时 没动静 没有消息 没消息 物流不动 一直没 是不是丢了 会不会丢 \
worried anxious urgent asap hurry when will still waiting scared afraid nervous";

const DISAPPOINTMENT: &str = "失望 太失望 很失望 大失所望 遗憾 可惜 本来 以为 期待 没想到 不如 还不如 一般 一般般 不怎么样 \
不值 不值得 后悔 唉 哎 算了 再也不 不会再买 不会再来 不会再 心塞 难过 伤心 郁闷 无奈 心累 白等 白买 不推荐 \
差强人意 名不副实 和描述不符 与描述不符 货不对板 落差 寒心 心寒 难受 哭 伤感 悲伤 悲哀 可怜 心疼 凉凉 \
没意思 也就那样 就那样 不过如此 凑合 将就 一言难尽 不太行 有点差 有些差 不好吃 不好用 不喜欢 不满意 无语 \
disappointed disappointing sad unfortunately regret meh mediocre expected letdown";

const SATISFIED: &str = "满意 很满意 非常满意 很好 不错 挺好 喜欢 好评 谢谢 感谢 多谢 赞 棒 给力 超值 物美价廉 推荐 \
好吃 好用 完美 开心 高兴 惊喜 五星 点赞 辛苦了 满分 值得 实惠 漂亮 舒服 好看 神速 哈哈 爱了 回购 还会再来 \
还会买 已经回购 快乐 幸福 喜欢的 很棒 真棒 太棒了 很赞 很满意 超级好 质量好 服务好 态度好 速度快 很快 很新鲜 \
thanks thank great love perfect awesome excellent happy satisfied amazing nice wonderful";

const ENQUIRY: &str = "请问 咨询 想问 问一下 是否 可以吗 能否 麻烦 帮我 查一下 确认一下 了解一下 怎么 如何 哪里 有没有 \
please could would how what where";

const POSITIVE: &str = "好 快 新鲜 正品 便宜 划算 干净 方便 清晰 流畅 准时 及时 耐心 热情 周到 专业 好喝 香 可口 \
结实 耐用 精致 合适 合身 柔软 舒适 好闻 大气 实用 省心 放心 靠谱 贴心 细心 好评 优惠 good fine nice fast";

const NEGATIVE: &str = "差 不好 不行 坏了 坏 破 慢 太慢 贵 太贵 难吃 难用 难看 难闻 问题 毛病 故障 假货 次品 瑕疵 \
异味 发霉 变质 不新鲜 漏 卡 死机 发热 掉色 起球 开线 缩水 不合适 偏大 偏小 不符 少了 漏发 错发 发错 送错 洒了 \
凉了 没熟 太咸 太辣 油腻 不满 不满意 糟糕 糟 坑 烂 骗 退货 退款 投诉 差评 垃圾 恶心 劣质 粗糙 不值 \
不能用 用不了 不能 没用 失望 无语 bad poor broken slow late wrong never refund worse";

const NEGATORS: &str = "不 没 没有 别 未 无 非 不是 并不 并没有 并非 从不 从没 不会 不要 毫不 绝不 毫无 \
not no never don't doesn't didn't isn't wasn't won't can't cannot";

const INTENSIFIERS: &str = "太 非常 特别 极其 超级 超 十分 真的 实在 简直 根本 完全 到底 究竟 一点都 一点也 绝对 \
相当 严重 彻底 死了 透了 极了 至极 真是 最 太太 好多次 越来越 无比 巨 贼 老是 总是 一直 \
very really so extremely totally absolutely completely always";

const SOFTENERS: &str = "有点 有些 稍微 略 略微 一点 还行 还可以 比较 不太 不怎么 些许 多少有点 感觉 好像 似乎 \
kind of a bit slightly somewhat little";

const SHOP: &str = "快递 物流 发货 到货 送货 配送 外卖 骑手 商家 卖家 店家 客服 下单 订单 买 购买 收到 包装 \
宝贝 亲 产品 商品 东西 质量 价格 退货 退款 售后 评价 京东 淘宝 天猫 拼多多 店铺 掌柜 包邮 运费 \
包裹 宣传 赔偿 网购 网店 拍的 拍了 \
order seller shop delivery package product item purchase";

const C_QUALITY: &str = "质量 坏了 坏的 瑕疵 次品 假货 假的 故障 不工作 用不了 开不了机 死机 黑屏 漏水 漏电 异味 \
味道大 臭 发霉 变质 过期 不新鲜 烂了 掉色 褪色 起球 开线 脱线 掉漆 生锈 裂了 裂开 划痕 刮花 做工 粗糙 \
劣质 残次 三无 不好用 难用 失灵 不亮 没声音 杂音 发烫 耗电 卡顿 有虫 吃出 异物 头发 不熟 没熟 难吃 太咸 \
口感 质量差 质量问题 毛病 坏掉 断了 破洞 脱胶 开胶 漏气 不制冷 不加热 噪音 正品 山寨 仿品 \
quality broken defective fake damaged faulty stopped working smells expired";

const C_LOGISTICS: &str = "物流 快递 发货 到货 送货 配送 送餐 外卖小哥 骑手 快递员 派送 签收 没收到 还没到 丢件 \
单号 运单 物流信息 不更新 停滞 太慢 迟到 延迟 晚到 超时 送错 送到 放门口 驿站 菜鸟 顺丰 中通 圆通 申通 韵达 \
邮政 压坏 破损 洒了 凉了 派件 揽收 送达 几天了 还不发 不发货 延迟发货 配送慢 送得慢 送的慢 一个小时 \
shipping shipped delivery delivered courier tracking package arrived lost parcel";

const C_PRICE: &str = "价格 降价 差价 价保 保价 补差价 太贵 优惠券 满减 折扣 打折 活动价 原价 涨价 多收 比别家贵 \
别家 便宜了 退差价 少优惠 红包 积分 定金 价格欺诈 虚标 标价 优惠 降了 \
price cheaper expensive discount coupon overcharged price drop";

const C_SERVICE: &str = "客服 态度 服务 不理人 不回复 没人回 回复慢 敷衍 踢皮球 推卸 推脱 机器人 答非所问 不耐烦 \
骂人 承诺 说好的 不解决 没人管 没人处理 主管 经理 工号 服务差 态度差 态度恶劣 爱答不理 已读不回 \
service attitude rude agent staff support no reply ignored";

const C_REFUND: &str = "退款 退货 退钱 换货 退换 退回 寄回 七天无理由 7天无理由 无理由 售后 拒绝退款 不给退 \
不让退 驳回 退货运费 运费险 返还 还没退 仅退款 申请退 拒收 换新 退款申请 退不了 \
refund return exchange returned money back";

const C_SIZE: &str = "尺码 尺寸 码数 大小 偏大 偏小 太大 太小 大了 小了 穿不上 穿不了 不合身 紧 码 均码 \
颜色 色差 颜色不对 型号 规格 版本 配置 款式 图片不符 和图片 跟图片 鞋码 内存 容量 分量 克数 重量 \
xl xxl size fit color colour model version too small too big";

const C_PAYMENT: &str = "支付 付款 付钱 扣款 扣了 扣费 重复扣 扣两次 多扣 发票 开票 专票 普票 分期 花呗 信用卡 \
银行卡 微信支付 支付宝 到账 未到账 没到账 余额 账户 充值 付不了 支付失败 付款失败 自动续费 扣钱 乱收费 \
payment charged charge invoice billing card paid receipt";

/// Every table with the cue it carries and the weight its hits count for in rules.
const TABLES: &[(&str, Cue, f32)] = &[
    (ANGER, Cue::Emotion(Emotion::Anger), 1.0),
    (ANXIETY, Cue::Emotion(Emotion::Anxiety), 1.0),
    (DISAPPOINTMENT, Cue::Emotion(Emotion::Disappointment), 1.0),
    (SATISFIED, Cue::Emotion(Emotion::Satisfied), 1.0),
    (ENQUIRY, Cue::Enquiry, 1.0),
    (POSITIVE, Cue::Positive, 1.0),
    (NEGATIVE, Cue::Negative, 1.0),
    (NEGATORS, Cue::Negator, 1.0),
    (INTENSIFIERS, Cue::Intensifier, 1.0),
    (SOFTENERS, Cue::Softener, 1.0),
    (SHOP, Cue::Shop, 1.0),
    (C_QUALITY, Cue::Complaint(ComplaintType::Quality), 1.0),
    (C_LOGISTICS, Cue::Complaint(ComplaintType::Logistics), 1.0),
    (C_PRICE, Cue::Complaint(ComplaintType::Price), 1.0),
    (C_SERVICE, Cue::Complaint(ComplaintType::Service), 1.0),
    (C_REFUND, Cue::Complaint(ComplaintType::RefundReturn), 1.0),
    (C_SIZE, Cue::Complaint(ComplaintType::SizeSpec), 1.0),
    (C_PAYMENT, Cue::Complaint(ComplaintType::Payment), 1.0),
];

/// English multi-word entries are written with spaces; in the tables above they would be split, so we list the
/// few that matter here.
const PHRASES: &[(&str, Cue)] = &[
    ("still waiting", Cue::Emotion(Emotion::Anxiety)),
    ("when will", Cue::Emotion(Emotion::Anxiety)),
    ("stopped working", Cue::Complaint(ComplaintType::Quality)),
    ("price drop", Cue::Complaint(ComplaintType::Price)),
    ("no reply", Cue::Complaint(ComplaintType::Service)),
    ("money back", Cue::Complaint(ComplaintType::RefundReturn)),
    ("too small", Cue::Complaint(ComplaintType::SizeSpec)),
    ("too big", Cue::Complaint(ComplaintType::SizeSpec)),
    ("kind of", Cue::Softener),
    ("a bit", Cue::Softener),
];

/// Entries whose single words from the tables are not meant as cues on their own (they are only the halves of the
/// phrases above).
const PHRASE_HALVES: &[&str] = &["still", "when", "stopped", "working", "drop", "reply", "money", "back", "too", "small", "big", "kind", "of", "a", "bit"];

/// Every word and phrase of the lexicon tables (Simplified Chinese or lower-case English), for other components
/// that segment text and should keep our domain words whole — the search index adds them to its dictionary.
pub fn domain_terms() -> impl Iterator<Item = &'static str> {
    TABLES
        .iter()
        .flat_map(|(table, _, _)| table.split_whitespace())
        .chain(PHRASES.iter().map(|(phrase, _)| *phrase))
}

pub struct Lexicon {
    automaton: AhoCorasick,
    /// Cues of each pattern.
    cues: Vec<Vec<(Cue, f32)>>,
    /// Whether the pattern is Latin (needs word boundaries).
    latin: Vec<bool>,
    pub fingerprint: u64,
}

/// One lexicon hit: the cues it carries and the character span it covers.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub pattern: u32,
    pub start: u32,
    pub end: u32,
    /// Set when a negator governs this hit (flips its polarity).
    pub negated: bool,
}

pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

impl Lexicon {
    fn build() -> Self {
        let mut by_pattern: HashMap<String, Vec<(Cue, f32)>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut add = |pattern: &str, cue: Cue, weight: f32| {
            let entry = by_pattern.entry(pattern.to_string()).or_insert_with(|| {
                order.push(pattern.to_string());
                Vec::new()
            });
            if !entry.iter().any(|(c, _)| *c == cue) {
                entry.push((cue, weight));
            }
        };
        for (table, cue, weight) in TABLES {
            for word in table.split_whitespace() {
                if !PHRASE_HALVES.contains(&word) {
                    add(word, *cue, *weight);
                }
            }
        }
        for (phrase, cue) in PHRASES {
            add(phrase, *cue, 1.0);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&order)
            .expect("lexicon patterns are valid");
        let latin = order.iter().map(|p| p.bytes().all(|b| b.is_ascii())).collect();
        let mut fingerprint = crate::features::hash_bytes(b"anxin-lexicon-v1");
        for p in &order {
            fingerprint = crate::features::mix(fingerprint ^ crate::features::hash_bytes(p.as_bytes()));
            for (cue, _) in &by_pattern[p] {
                fingerprint = crate::features::mix(fingerprint ^ crate::features::hash_bytes(cue.name().as_bytes()));
            }
        }
        let cues = order.iter().map(|p| by_pattern[p].clone()).collect();
        Self { automaton, cues, latin, fingerprint }
    }

    pub fn cues(&self, hit: &Hit) -> &[(Cue, f32)] {
        &self.cues[hit.pattern as usize]
    }

    /// Finds lexicon hits in normalised text and marks the ones governed by a negator (within 3 characters before
    /// the hit, no punctuation in between; two negators cancel out).
    pub fn scan(&self, norm: &Normalized, out: &mut Vec<Hit>) {
        out.clear();
        let text = norm.as_str();
        let bytes = text.as_bytes();
        for m in self.automaton.find_iter(text) {
            if self.latin[m.pattern().as_usize()] {
                let before_ok = m.start() == 0 || !bytes[m.start() - 1].is_ascii_alphanumeric();
                let after_ok = m.end() == bytes.len() || !bytes[m.end()].is_ascii_alphanumeric();
                if !(before_ok && after_ok) {
                    continue;
                }
            }
            out.push(Hit {
                pattern: m.pattern().as_u32(),
                start: norm.char_index(m.start()) as u32,
                end: norm.char_index(m.end()) as u32,
                negated: false,
            });
        }
        // Negation scope: a negator flips polar hits that follow it closely in the same clause.
        let mut pending_negators = 0u32;
        let mut last_negator_end = 0u32;
        for hit in out.iter_mut() {
            let is_negator = self.cues(hit).iter().any(|(c, _)| *c == Cue::Negator);
            if pending_negators > 0 {
                let gap = hit.start.saturating_sub(last_negator_end);
                let clause_break = norm
                    .slice_chars(last_negator_end as usize, hit.start as usize)
                    .chars()
                    .any(|c| matches!(c, ',' | '.' | '!' | '?' | ';' | '。' | '、' | '~' | '\n'));
                if gap > 3 || clause_break {
                    pending_negators = 0;
                }
            }
            if is_negator && self.cues(hit).len() == 1 {
                pending_negators += 1;
                last_negator_end = hit.end;
            } else if pending_negators > 0 {
                hit.negated = pending_negators % 2 == 1;
                pending_negators = 0;
            }
        }
    }
}

/// Lexicon evidence summed per category, used by rules and weak labelling.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CueCounts {
    pub emotion: [f32; 5],
    pub positive: f32,
    pub negative: f32,
    pub intensifiers: f32,
    pub softeners: f32,
    pub complaint: [f32; 8],
    pub shop: f32,
    pub enquiry: f32,
}

impl CueCounts {
    pub fn from_hits(lexicon: &Lexicon, hits: &[Hit]) -> Self {
        let mut c = CueCounts::default();
        for hit in hits {
            for &(cue, w) in lexicon.cues(hit) {
                match cue {
                    Cue::Emotion(e) => {
                        if hit.negated && e == Emotion::Satisfied {
                            c.emotion[Emotion::Disappointment.index()] += w * 0.7;
                            c.negative += w;
                        } else if hit.negated {
                            c.emotion[Emotion::Neutral.index()] += w * 0.3;
                        } else {
                            c.emotion[e.index()] += w;
                        }
                    }
                    Cue::Positive if hit.negated => c.negative += w,
                    Cue::Positive => c.positive += w,
                    Cue::Negative if hit.negated => c.positive += w * 0.5,
                    Cue::Negative => c.negative += w,
                    Cue::Intensifier => c.intensifiers += w,
                    Cue::Softener => c.softeners += w,
                    Cue::Complaint(t) => c.complaint[t.index()] += w,
                    Cue::Shop => c.shop += w,
                    Cue::Enquiry => c.enquiry += w,
                    Cue::Negator => {}
                }
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> CueCounts {
        let n = Normalized::new(text);
        let mut hits = Vec::new();
        LEXICON.scan(&n, &mut hits);
        CueCounts::from_hits(&LEXICON, &hits)
    }

    #[test]
    fn negation_flips_polarity() {
        assert!(counts("很满意").positive + counts("很满意").emotion[4] > 0.0);
        let neg = counts("不满意");
        assert!(neg.negative > 0.0, "不满意 is negative: {neg:?}");
        let not_good = counts("不是很好");
        assert!(not_good.negative > 0.0 || not_good.emotion[2] > 0.0, "{not_good:?}");
        let double = counts("不是不满意");
        assert!(double.positive > 0.0, "double negation is positive: {double:?}");
    }

    #[test]
    fn traditional_and_english_match() {
        assert!(counts("退貨退款").complaint[ComplaintType::RefundReturn.index()] >= 2.0);
        assert!(counts("I want a REFUND").complaint[ComplaintType::RefundReturn.index()] >= 1.0);
        assert_eq!(counts("refunded").complaint[ComplaintType::RefundReturn.index()], 0.0, "word boundaries");
    }

    #[test]
    fn complaint_cues_by_type() {
        let cases = [
            ("快递三天了还没到", ComplaintType::Logistics),
            ("衣服尺码偏小穿不上", ComplaintType::SizeSpec),
            ("刚买就降价了，能补差价吗", ComplaintType::Price),
            ("发票一直没开", ComplaintType::Payment),
            ("客服态度太差了", ComplaintType::Service),
            ("用了两天就坏了，质量太差", ComplaintType::Quality),
            ("申请退款一直不给退", ComplaintType::RefundReturn),
        ];
        for (text, expected) in cases {
            let c = counts(text);
            let best = (0..8).max_by(|a, b| c.complaint[*a].total_cmp(&c.complaint[*b])).unwrap();
            assert_eq!(ComplaintType::ALL[best], expected, "{text}: {:?}", c.complaint);
        }
    }
}
