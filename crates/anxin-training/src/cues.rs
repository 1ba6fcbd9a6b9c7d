//! Our curated cues on an agent's reply: what acknowledges, apologises, offers a choice, commits to a time, states
//! a fact — and what stalls, blames, dismisses or lectures beyond what the text engine's tone check flags.
//!
//! Every list is Simplified Chinese or lower-case English, matched on folded text ([`Normalized`]: Traditional →
//! Simplified, full-width → half-width, lower case), so a reply in Traditional or with full-width punctuation
//! matches the same entries. The lists come from the training decks (listen, acknowledge, empathise, offer
//! solutions to choose from, follow up; never impatience, blame or stalling) and e-commerce service practice; they
//! were tuned on `content/training/eval/dev.csv` only, never on the held-out `replies.csv`.

use anxin_text::normalize::Normalized;
use serde::Serialize;

/// Something in a reply that makes an upset customer more upset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Offence {
    /// "是你自己没看清楚", "您是不是用洗衣机洗的", "正常现象".
    Blame,
    /// "不是跟你说了吗", "我刚才已经说过了".
    Impatience,
    /// "这不归我管", "您得问银行", "您要投诉就去投诉吧".
    Dismissal,
    /// "不能退", "不可能", "不保证".
    Refusal,
    /// "等着吧", "再等等", "请耐心等待" with no time attached, "走流程".
    Stalling,
    /// "呵呵", "随便你".
    Sarcasm,
    /// "请您文明用语", "我们不是骗子": correcting or arguing with the customer instead of helping.
    Lecturing,
    /// A bare "哦" / "嗯" / "知道了".
    Cold,
    /// "么么哒", "哈哈" to someone who is upset.
    Flippant,
    /// "!!!" or capitals.
    Shouting,
}

impl Offence {
    pub fn as_str(self) -> &'static str {
        match self {
            Offence::Blame => "blame",
            Offence::Impatience => "impatience",
            Offence::Dismissal => "dismissal",
            Offence::Refusal => "refusal",
            Offence::Stalling => "stalling",
            Offence::Sarcasm => "sarcasm",
            Offence::Lecturing => "lecturing",
            Offence::Cold => "cold",
            Offence::Flippant => "flippant",
            Offence::Shouting => "shouting",
        }
    }

    /// Points off the tone score.
    pub fn penalty(self) -> u32 {
        match self {
            Offence::Blame => 30,
            Offence::Impatience | Offence::Dismissal | Offence::Sarcasm | Offence::Lecturing => 25,
            Offence::Refusal | Offence::Stalling => 20,
            Offence::Cold | Offence::Flippant => 15,
            Offence::Shouting => 10,
        }
    }

    /// How much it raises the simulated customer's intensity (0–1 scale).
    pub fn heat(self) -> f32 {
        match self {
            Offence::Blame | Offence::Dismissal | Offence::Sarcasm => 0.3,
            Offence::Impatience | Offence::Lecturing => 0.25,
            Offence::Refusal | Offence::Stalling => 0.2,
            Offence::Cold | Offence::Flippant | Offence::Shouting => 0.12,
        }
    }

    /// What to do instead, in Simplified Chinese.
    pub fn advice(self) -> &'static str {
        match self {
            Offence::Blame => "不要把责任推给客户，先解决问题；原因可以中性地说明。",
            Offence::Impatience => "不要流露不耐烦，耐心把信息再讲一遍。",
            Offence::Dismissal => "不要推给别人或别的部门，说明由你来跟进、怎么跟进。",
            Offence::Refusal => "避免绝对化的拒绝，说明原因并给出替代方案。",
            Offence::Stalling => "不要只让客户等，给出具体的下一步和时间。",
            Offence::Sarcasm => "去掉讽刺、敷衍的字眼，保持真诚。",
            Offence::Lecturing => "先接纳情绪，不要纠正客户的措辞或和客户争辩。",
            Offence::Cold => "回复太简短生硬，补上称呼、共情和具体信息。",
            Offence::Flippant => "客户正在气头上，卖萌、嬉笑的语气会显得不当回事。",
            Offence::Shouting => "避免连续感叹号或全大写。",
        }
    }
}

/// Our phrases beyond the tone check's lexicon, per offence.
const OFFENCES: &[(Offence, &[&str])] = &[
    (
        Offence::Blame,
        &[
            "您是不是",
            "你是不是",
            "是不是您",
            "是不是你",
            "您确定",
            "你确定",
            "您没有填",
            "您没填",
            "你没填",
            "您没有注意",
            "您没注意",
            "没及时",
            "正常现象",
            "是正常的",
            "属于正常",
            "很正常",
            "本来就有风险",
            "本来就是这样",
            "您自己选",
            "你自己选",
            "您选错",
            "你选错",
            "您拍错",
            "你拍错",
            "洗涤方式不对",
            "使用不当",
            "操作不当",
            "下次注意",
            "下次早点",
            "下次仔细",
            "下次下单前",
            "签收的时候怎么",
            "怎么不验货",
            "为什么不验货",
            "your fault",
            "you should have",
        ],
    ),
    (Offence::Impatience, &["刚才已经说", "刚才说过", "刚才说了", "已经说过了", "跟您说了", "跟你说了", "我都说了"]),
    (
        Offence::Dismissal,
        &[
            "处理不了",
            "管不了",
            "只负责",
            "不是我们能控制",
            "控制不了",
            "不是我们的问题",
            "不是我们的责任",
            "我们也不清楚",
            "我也不清楚",
            "不清楚",
            "我们也没办法",
            "系统自动取消",
            "系统的问题",
            "系统原因",
            "去投诉吧",
            "就去投诉",
            "随便投诉",
            "随便打",
            "你随便",
            "您随便",
            "是您的权利",
            "是你的权利",
            "是您的自由",
            "是你的自由",
            "爱投诉",
            "我们不怕",
            "想投诉就",
            "要投诉就",
            "我们不管",
            "not our responsibility",
        ],
    ),
    (Offence::Refusal, &["不保证", "没法退", "不赔", "不予", "不能赔", "不能补", "不支持退", "概不负责"]),
    (
        Offence::Stalling,
        &[
            "等着吧",
            "先等着",
            "再等等",
            "再等一下",
            "再等一等",
            "再等几天",
            "耐心等待",
            "耐心等",
            "请耐心",
            "慢慢等",
            "等通知",
            "排队",
            "过几天再",
            "到时候再",
            "再看看吧",
            "走流程",
            "按流程走",
            "需要走流程",
            "要走流程",
            "流程走完",
            "自然会",
            "please be patient",
            "just wait",
        ],
    ),
    (
        Offence::Lecturing,
        &[
            "文明用语",
            "注意您的措辞",
            "注意你的措辞",
            "注意措辞",
            "说话不合适",
            "这样说话",
            "我们不是骗子",
            "我们是正规",
            "请您冷静",
            "您冷静一下",
            "你冷静一下",
        ],
    ),
    (Offence::Flippant, &["么么哒", "哈哈", "嘻嘻", "嘿嘿", "😂", "🤣"]),
];

/// A matched phrase: what, and where in folded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub offence: Offence,
    pub start: usize,
    pub end: usize,
}

/// Our offence phrases in the folded text, longest first at each place, non-overlapping.
pub(crate) fn offences(text: &str) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for (offence, phrases) in OFFENCES {
        for phrase in *phrases {
            for (start, _) in text.match_indices(phrase) {
                found.push(Found { offence: *offence, start, end: start + phrase.len() });
            }
        }
    }
    found.extend(redirects(text));
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if kept.last().is_none_or(|k| k.end <= f.start) {
            kept.push(f);
        }
    }
    kept
}

/// Who the customer gets sent to when an agent pushes the problem away.
const THIRD_PARTIES: &[&str] =
    &["快递", "物流", "仓库", "财务", "银行", "售后", "厂家", "商家", "平台", "运营", "其他部门", "别的部门"];

/// "您(自己)去找/问/联系 + third party": sending the customer elsewhere. Not when the agent does it for them
/// ("我帮您联系快递": 帮/为/替/给 right before 您).
fn redirects(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for pronoun in ["您", "你"] {
        for (at, _) in text.match_indices(pronoun) {
            let before: String = text[..at].chars().rev().take(1).collect();
            if ["帮", "为", "替", "给", "跟", "和", "让"].contains(&before.as_str()) {
                continue;
            }
            let rest: String = text[at + pronoun.len()..].chars().take(10).collect();
            let verb = ["找", "问", "联系"].iter().filter_map(|v| rest.find(v).map(|i| (i, v.len()))).min();
            let Some((v, len)) = verb else { continue };
            if rest[..v].chars().count() > 4 {
                continue;
            }
            let after = &rest[v + len..];
            if let Some(party) = THIRD_PARTIES.iter().filter_map(|p| after.find(p).map(|i| i + p.len())).min() {
                if after[..party].chars().count() <= 6 {
                    let end = at + pronoun.len() + v + len + party;
                    out.push(Found { offence: Offence::Dismissal, start: at, end });
                }
            }
        }
    }
    out
}

/// Recognising the customer's feeling or situation.
const ACK_FEELING: &[&str] = &[
    "理解您",
    "理解你",
    "能理解",
    "可以理解",
    "完全理解",
    "非常理解",
    "十分理解",
    "我理解",
    "我们理解",
    "明白您",
    "明白你",
    "我明白",
    "能明白",
    "我懂",
    "换作是我",
    "换做是我",
    "换成是我",
    "换成我",
    "换谁",
    "换成谁",
    "谁都会",
    "谁心里",
    "难怪",
    "您说得对",
    "您说的对",
    "你说得对",
    "说得没错",
    "说得有道理",
    "有道理",
    "骂得对",
    "您的心情",
    "你的心情",
    "您的感受",
    "你的感受",
    "这种心情",
    "体会",
    "i understand",
    "i can imagine",
    "i hear you",
    "that must be",
];

/// Owning or confirming the problem.
const ACK_OWN: &[&str] = &[
    "我们的问题",
    "我们的错",
    "我们的失误",
    "我们的疏忽",
    "我们的责任",
    "责任在我们",
    "我们全责",
    "我们没做好",
    "没做好",
    "是我们",
    "错在我们",
    "不是您的问题",
    "不是你的问题",
    "不怪您",
    "不怪你",
    "确实",
    "的确",
    "我看到了",
    "看到照片",
    "照片我看",
    "我查到",
    "查到了",
    "我查了",
    "我查过",
    "查过了",
    "我刚查",
    "我核实",
    "核实过",
    "核对过",
    "我看了",
    "您反映的",
    "你反映的",
    "our mistake",
    "our fault",
    "you're right",
];

const APOLOGY: &[&str] = &[
    "抱歉",
    "对不起",
    "不好意思",
    "歉意",
    "道歉",
    "致歉",
    "添麻烦",
    "让您久等",
    "让你久等",
    "委屈您",
    "委屈你",
    "sorry",
    "apolog",
];

/// Feelings named by the agent (counted when the sentence addresses the customer or frames them).
const FEELINGS: &[&str] = &[
    "心情",
    "感受",
    "着急",
    "担心",
    "失望",
    "难受",
    "生气",
    "火大",
    "委屈",
    "后怕",
    "心凉",
    "寒心",
    "不舒服",
    "难过",
    "遗憾",
    "心疼",
    "慌",
    "不安",
    "frustrat",
    "upset",
    "worr",
    "disappoint",
];

const REASSURE: &[&str] = &[
    "别担心",
    "不用担心",
    "不要担心",
    "请放心",
    "您放心",
    "你放心",
    "放心吧",
    "别着急",
    "不要着急",
    "先别急",
    "别急",
    "消消气",
    "don't worry",
    "rest assured",
];

const WARM: &[&str] = &["您", "先生", "女士", "小姐", "谢谢", "感谢", "please", "thank"];

/// Remedies, grouped: different groups are different options.
const REMEDIES: &[&[&str]] = &[
    &["退款", "退钱", "退回", "原路", "退货", "全额退", "给您退", "可以退", "refund"],
    &[
        "补发",
        "重发",
        "重新发",
        "再发",
        "换货",
        "换新",
        "换一件",
        "换一个",
        "换一条",
        "更换",
        "给您换",
        "帮您换",
        "为您换",
        "可以换",
        "发出",
        "寄出",
        "重新寄",
        "replace",
        "resend",
    ],
    &["补偿", "赔偿", "赔", "券", "优惠", "差价", "补差", "退差", "积分", "红包", "compensat", "coupon", "voucher"],
    &["维修", "上门", "改派", "师傅", "repair"],
    &["重新下单", "补一单", "按秒杀价", "按活动价"],
    &["重开", "重新开", "作废", "红冲", "开具"],
    &["留着", "不用寄回", "不退货", "keep it"],
];

/// Things an agent does that are not a remedy yet.
const ACTIONS: &[&str] = &[
    "查",
    "核实",
    "核对",
    "联系",
    "催",
    "反馈",
    "登记",
    "记录",
    "跟进",
    "问一下",
    "问问",
    "转给",
    "提交",
    "申请",
    "安排",
    "处理",
    "加急",
    "确认",
    "调查",
    "升级",
    "回复",
    "答复",
    "通知",
    "告诉",
    "发给",
    "打电话",
    "电话",
    "check",
    "contact",
    "follow up",
];

/// Verbs that make a time a commitment ("今天下午5点前 + 发出").
const COMMIT: &[&str] = &[
    "发出",
    "发货",
    "发给",
    "发到",
    "发您",
    "寄出",
    "寄给",
    "送到",
    "送达",
    "到达",
    "到账",
    "入账",
    "到货",
    "就到",
    "能到",
    "会到",
    "补发",
    "重发",
    "换货",
    "换新",
    "退款",
    "退回",
    "退给",
    "退还",
    "赔偿",
    "补偿",
    "回复",
    "答复",
    "回覆",
    "联系",
    "通知",
    "告诉",
    "确认",
    "核实",
    "查",
    "处理",
    "安排",
    "申请",
    "提交",
    "发起",
    "上门",
    "取件",
    "取回",
    "派送",
    "开出",
    "开具",
    "重开",
    "作废",
    "打电话",
    "给您",
    "为您",
    "帮您",
    "给你",
    "帮你",
    "结果",
    "办好",
    "办理",
    "will",
    "send",
    "ship",
    "refund",
    "call",
    "reply",
    "arrive",
    "deliver",
];

/// A sentence with one of these does not commit to anything.
const HEDGES: &[&str] = &[
    "不一定",
    "说不准",
    "不好说",
    "没法保证",
    "不能保证",
    "无法保证",
    "不确定",
    "不敢保证",
    "看情况",
    "看快递",
    "看仓库",
];

const VAGUE: &[&str] = &[
    "尽快",
    "尽量",
    "应该",
    "可能",
    "大概",
    "估计",
    "有消息",
    "看情况",
    "不一定",
    "说不准",
    "不好说",
    "到时候",
    "再看看",
    "没法保证",
    "不能保证",
    "稍后",
    "asap",
    "as soon as possible",
    "soon",
];

const BOILERPLATE: &[&str] = &[
    "致力于",
    "深表歉意",
    "持续改进",
    "非常重要",
    "感谢您的反馈",
    "感谢您的支持",
    "认真对待",
    "带来的不便",
    "带来不便",
    "不好的体验",
    "尊敬的",
];

/// Asking the customer to choose.
const CHOOSE: &[&str] = &[
    "您选",
    "你选",
    "选哪",
    "选一个",
    "选择",
    "哪种",
    "哪个",
    "哪一种",
    "哪样",
    "您挑",
    "你挑",
    "挑一个",
    "说一个",
    "您决定",
    "你决定",
    "看您",
    "您看",
    "which",
    "prefer",
    "choose",
];

const ALTERNATIVE: &[&str] = &["或者", "或是", "要么", "也可以", "还可以", "另外也", "或", "either", " or "];

/// Open questions that invite the customer to say more.
const LISTEN: &[&str] =
    &["说说", "讲讲", "您最", "你最", "您希望", "你希望", "都可以跟我说", "还有什么担心", "tell me", "what matters"];

/// Checks that invite the customer to say more when asked as a question.
const LISTEN_ASKED: &[&str] = &["具体", "对吗", "是吗", "哪天", "哪一天", "您想", "你想", "什么时候"];

/// Common bigrams that say nothing about the customer's problem (restatement ignores them).
const STOP_BIGRAMS: &[&str] = &[
    "你们", "我们", "什么", "怎么", "这个", "那个", "一下", "就是", "不是", "没有", "可以", "已经", "还是", "到底",
    "现在", "时候", "知道", "一个", "这样", "那么", "你好", "您好", "请问", "是不", "不是", "了吗", "的吗", "的话",
];

/// What a reply contains, as the scorer and the session see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cues {
    pub ack_feeling: bool,
    pub ack_own: bool,
    /// Content bigrams shared with the customer's line.
    pub restated: usize,
    pub apology: bool,
    pub feeling: bool,
    pub reassure: bool,
    pub warm: bool,
    /// Distinct remedy groups named.
    pub remedies: usize,
    pub action: bool,
    pub alternative: bool,
    pub choose: bool,
    /// Items of a numbered list (1. 2. / ① ② / 一是 二是 / 方案一 方案二).
    pub numbered: usize,
    pub time_commitment: bool,
    pub time: bool,
    pub number: bool,
    pub fact: bool,
    pub listening: bool,
    pub vague: usize,
    pub boilerplate: usize,
    /// Content units: CJK characters and Latin words / digit groups.
    pub units: usize,
}

fn any(text: &str, list: &[&str]) -> bool {
    list.iter().any(|w| text.contains(w))
}

fn count(text: &str, list: &[&str]) -> usize {
    list.iter().filter(|w| text.contains(*w)).count()
}

/// Sentences with their closing mark ("?" stays, so a question can be told from a statement).
pub(crate) fn split_sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(['。', '!', '?', ';', '\n', '；']).filter(|s| !s.trim().is_empty())
}

/// Reads a reply (folded) against the customer's line (folded) and the scenario's fact cues (folded).
pub(crate) fn read(reply: &str, customer: &str, fact_cues: &[String]) -> Cues {
    let sentences: Vec<&str> = split_sentences(reply).collect();
    let feeling =
        sentences.iter().any(|s| any(s, FEELINGS) && (s.contains('您') || s.contains('你') || any(s, ACK_FEELING)));
    let time_commitment = sentences.iter().any(|s| commits(s));
    Cues {
        ack_feeling: any(reply, ACK_FEELING),
        ack_own: any(reply, ACK_OWN),
        restated: shared_bigrams(reply, customer),
        apology: any(reply, APOLOGY),
        feeling,
        reassure: any(reply, REASSURE),
        warm: any(reply, WARM),
        remedies: REMEDIES
            .iter()
            .filter(|group| sentences.iter().any(|s| any(s, group) && (any(s, OFFER) || has_time(s))))
            .count(),
        action: any(reply, ACTIONS),
        alternative: alternative(reply),
        choose: any(reply, CHOOSE),
        numbered: numbered(reply),
        time_commitment,
        time: has_time(reply),
        number: reply.chars().any(|c| c.is_ascii_digit()),
        fact: fact_cues.iter().any(|cue| reply.contains(cue.as_str())),
        listening: any(reply, LISTEN)
            || sentences
                .iter()
                .any(|s| any(s, LISTEN_ASKED) && (s.contains('?') || s.contains('吗') || s.contains('呢'))),
        vague: count(reply, VAGUE),
        boilerplate: count(reply, BOILERPLATE),
        units: units(reply),
    }
}

/// A sentence that commits to a time: a clause with a time and, in it or the clause after, something the agent will
/// do — not a hedge ("不一定"), not a report of what already happened ("今天已经发出").
fn commits(sentence: &str) -> bool {
    if any(sentence, HEDGES) {
        return false;
    }
    let clauses: Vec<&str> = sentence.split([',', '、', ':']).collect();
    clauses.iter().enumerate().any(|(i, clause)| {
        if !has_time(clause) || clause.contains('已') {
            return false;
        }
        any(clause, COMMIT) || clauses.get(i + 1).is_some_and(|next| !next.contains('已') && any(next, COMMIT))
    })
}

/// "或" as "or" ("或许" is "perhaps"); "是A还是B" as a choice; "A的话……，B的话……" as alternatives.
fn alternative(text: &str) -> bool {
    let or = ALTERNATIVE.iter().filter(|w| **w != "或").any(|w| text.contains(w))
        || text.match_indices('或').any(|(i, _)| !text[i..].starts_with("或许"));
    or || text.matches("的话").count() >= 2
        || split_sentences(text).any(|s| s.find('是').zip(s.rfind("还是")).is_some_and(|(a, b)| a < b))
}

/// "是A还是B？": the customer asks which remedy.
fn alternative_question(text: &str) -> bool {
    split_sentences(text).any(|s| s.ends_with('?') && s.find('是').zip(s.rfind("还是")).is_some_and(|(a, b)| a < b))
}

/// Who offers in a sentence: the agent ("我", "给您") or an offer ("可以", "安排"). A remedy only mentioned
/// ("退款成功就会到账的") is not offered.
const OFFER: &[&str] = &[
    "我", "给您", "给你", "为您", "为你", "帮您", "帮你", "替您", "可以", "安排", "申请", "i'll", "we'll", "we can",
    "i can",
];

fn units(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            n += usize::from(!in_word);
            in_word = true;
        } else {
            in_word = false;
            n += usize::from(anxin_text::normalize::is_cjk(c));
        }
    }
    n
}

fn bigrams(text: &str) -> Vec<(char, char)> {
    let cjk: Vec<char> = text.chars().collect();
    cjk.windows(2)
        .filter(|w| anxin_text::normalize::is_cjk(w[0]) && anxin_text::normalize::is_cjk(w[1]))
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| {
            let s: String = [*a, *b].iter().collect();
            !STOP_BIGRAMS.contains(&s.as_str())
        })
        .collect()
}

fn shared_bigrams(reply: &str, customer: &str) -> usize {
    let theirs = bigrams(customer);
    let mut ours = bigrams(reply);
    ours.sort_unstable();
    ours.dedup();
    ours.iter().filter(|b| theirs.contains(b)).count()
}

const CJK_DIGITS: &str = "一二两三四五六七八九十半";
const DAY_WORDS: &[&str] = &[
    "今天",
    "今日",
    "今晚",
    "今早",
    "明天",
    "明日",
    "明早",
    "明晚",
    "后天",
    "当天",
    "本周",
    "这周",
    "下周",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周日",
    "周天",
    "周末",
    "星期",
    "礼拜",
    "上午",
    "下午",
    "中午",
    "晚上",
    "傍晚",
    "today",
    "tonight",
    "tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "within",
];
const DURATION_UNITS: &[&str] = &["小时", "分钟", "工作日", "天", "周", "hours", "hour", "minutes", "days"];

/// A concrete time: a day word, a clock time (5点, 15:20), a date (14号, 6月11日) or a duration with a number
/// (48小时内, 1到3个工作日, 半小时). "尽快", "马上" and "稍后" are deliberately not times.
pub(crate) fn has_time(text: &str) -> bool {
    if any(text, DAY_WORDS) {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    let numeral = |c: char| c.is_ascii_digit() || CJK_DIGITS.contains(c);
    for (i, &c) in chars.iter().enumerate() {
        let prev = |k: usize| if i >= k { Some(chars[i - k]) } else { None };
        let after_digit = prev(1).is_some_and(|p| p.is_ascii_digit());
        let clock = c == ':' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if after_digit && (matches!(c, '点' | '时' | '号' | '日') || clock) {
            return true;
        }
    }
    // A duration: a number, optionally "个" or a space, then a unit.
    for unit in DURATION_UNITS {
        for (at, _) in text.match_indices(unit) {
            let before: Vec<char> = text[..at].chars().rev().take(2).collect();
            let direct = before.first().is_some_and(|&c| numeral(c));
            let with_measure = matches!(before.first(), Some('个' | ' ')) && before.get(1).is_some_and(|&c| numeral(c));
            if direct || with_measure {
                return true;
            }
        }
    }
    false
}

/// How many items a numbered list has: the largest n such that markers for 1..=n all appear.
fn numbered(text: &str) -> usize {
    const STYLES: &[&[&str]] = &[
        &["1.", "2.", "3.", "4."],
        &["1、", "2、", "3、", "4、"],
        &["1)", "2)", "3)", "4)"],
        &["①", "②", "③", "④"],
        &["一是", "二是", "三是", "四是"],
        &["一、", "二、", "三、", "四、"],
        &["方案一", "方案二", "方案三", "方案四"],
        &["方案1", "方案2", "方案3", "方案4"],
        &["第一种", "第二种", "第三种", "第四种"],
        &["第一,", "第二,", "第三,", "第四,"],
    ];
    STYLES.iter().map(|markers| markers.iter().take_while(|m| marker_at(text, m)).count()).max().unwrap_or(0)
}

/// A list marker that is not part of a number ("79.9" is not item 9; "1.5L" is not item 1).
fn marker_at(text: &str, marker: &str) -> bool {
    text.match_indices(marker).any(|(i, m)| {
        let before = text[..i].chars().next_back();
        let after = text[i + m.len()..].chars().next();
        let digit_marker = marker.starts_with(|c: char| c.is_ascii_digit());
        !digit_marker
            || (!before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit()))
    })
}

/// What the customer's line asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Asks {
    /// When / how long / will it arrive in time.
    pub time: bool,
    /// What will you do / how will you fix it.
    pub remedy: bool,
    /// Why / where / what exactly.
    pub fact: bool,
}

pub(crate) fn asks(customer: &str) -> Asks {
    Asks {
        time: any(
            customer,
            &[
                "什么时候",
                "几点",
                "哪天",
                "几号",
                "多久",
                "多长时间",
                "时间",
                "能到吗",
                "能不能到",
                "来得及",
                "今天能",
                "到账",
                "when",
                "how long",
            ],
        ),
        remedy: any(
            customer,
            &["怎么办", "怎么处理", "怎么赔", "怎么补", "怎么算", "打算", "给个办法", "给个说法", "how will you"],
        ) || alternative_question(customer),
        fact: any(
            customer,
            &["为什么", "在哪", "到底是", "怎么回事", "原因", "谁签收", "规则", "有没有", "why", "where"],
        ),
    }
}

/// Folds text the way every cue is written.
pub(crate) fn fold(text: &str) -> Normalized {
    Normalized::new(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(reply: &str) -> Cues {
        read(fold(reply).as_str(), "", &[])
    }

    #[test]
    fn times_are_concrete_or_not_at_all() {
        let yes = [
            "今天下午5点前发出",
            "48小时内给您结果",
            "1到3个工作日到账",
            "1-3个工作日",
            "半小时内回复",
            "14号前会到",
            "6月11日已退回",
            "15:20 放在管理處",
            "明天上午9點到11點",
            "周五前送到",
            "within 24 hours",
            "2 days",
        ];
        let no = ["尽快处理", "马上帮您查", "稍后回复", "快一点", "请稍等", "订单DD20240603287", "79.9元", "尾号6621"];
        for t in yes {
            assert!(has_time(fold(t).as_str()), "{t}");
        }
        for t in no {
            assert!(!has_time(fold(t).as_str()), "{t}");
        }
    }

    #[test]
    fn a_time_commits_only_with_an_action_and_no_hedge() {
        assert!(cues("今天下午5点前给您发出。").time_commitment);
        assert!(!cues("今天天气不错。").time_commitment);
        assert!(!cues("这个说不准，财务那边不一定今天处理。").time_commitment);
        assert!(!cues("包裹今天已经重新分拣发出。").time_commitment);
        assert!(cues("今天下午5点前，我把单号发给您。").time_commitment);
        assert!(cues("我已经为您申请了加急，明天下午3点前回复您。").time_commitment);
    }

    #[test]
    fn numbered_lists_and_alternatives() {
        assert_eq!(cues("1. 换货；2. 退款。").numbered, 2);
        assert_eq!(cues("①退款 ②换新 ③补偿").numbered, 3);
        assert_eq!(cues("一是今天补发，二是全额退款").numbered, 2);
        assert_eq!(cues("退款79.9元，另赔1.5倍").numbered, 0);
        assert!(cues("您是要退款还是换货？").alternative);
        assert!(cues("可以退款，或者换一件").alternative);
        assert!(!cues("或许明天能到").alternative);
        assert_eq!(cues("可以退款，也可以换新，还可以补偿一部分").remedies, 3);
    }

    #[test]
    fn offences_are_found_longest_first() {
        let found = offences(fold("请耐心等待，您是不是用洗衣机洗的？").as_str());
        let kinds: Vec<Offence> = found.iter().map(|f| f.offence).collect();
        assert_eq!(kinds, [Offence::Stalling, Offence::Blame]);
        assert!(offences(fold("我今天下午3点前给您回复。").as_str()).is_empty());
        let redirect = |t: &str| offences(fold(t).as_str()).iter().map(|f| f.offence).collect::<Vec<_>>();
        assert_eq!(redirect("运输破损请您联系快递公司理赔"), [Offence::Dismissal]);
        assert_eq!(redirect("这个您得去问一下银行"), [Offence::Dismissal]);
        assert!(redirect("我帮您联系快递公司，今天给您回复").is_empty());
        assert!(redirect("我会跟您确认一下，再找仓库核实").is_empty());
    }

    #[test]
    fn traditional_and_full_width_fold_onto_the_lists() {
        let c = cues("不好意思讓你擔心了，我們今天幫你申請調查，48小時內回覆你。");
        assert!(c.apology && c.feeling && c.time_commitment && c.action);
    }

    #[test]
    fn restatement_counts_content_bigrams_only() {
        let customer = fold("我买的是M码，寄来的是S码！你们发货前都不看一眼吗？");
        let reply = fold("您下的是M码，我们却寄了S码，发货前没有核对，是我们的错。");
        assert!(read(reply.as_str(), customer.as_str(), &[]).restated >= 2);
        assert_eq!(read(fold("您好，请问有什么可以帮您？").as_str(), customer.as_str(), &[]).restated, 0);
    }
}
