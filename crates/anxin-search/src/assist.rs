//! Reply assistance: what the agent's workspace offers beside the customer message being answered (issue 7).
//!
//! Three things, all from the search index so a suggestion needs no database round trip: the top scripts for the
//! customer's emotion and complaint type, ranked by the message's words (a logistics apology beats a generic
//! closing for 快递三天没动了); the top FAQ answers and articles for the question; and, when the message asks
//! again what an FAQ already answers — a near-duplicate of its title or one of its `questions` — that FAQ as a
//! one-click answer. A wrong one-click answer costs more than none (one click sends it to the customer), so it is
//! offered only above a similarity threshold calibrated for precision on the held-out query set, and only when one
//! FAQ is closer than every other.
//!
//! The similarity is the Dice coefficient of *unit bigrams*: the text is folded like the index (Traditional →
//! Simplified, full-width → half-width, lower-case), punctuation, spaces and modal particles (吗 呢 啊 …) are
//! dropped, and each CJK character and each run of Latin letters or digits is one unit. A paraphrase differing
//! only by punctuation, script or a particle scores 1; dropping particles also keeps a bare 能退吗 from matching
//! 定金能退吗 on the strength of 退吗. Comparing with every FAQ would cost too much over a large library, so the
//! index first proposes the few FAQ variants sharing the most character bigrams with the message (BM25 over
//! their titles and questions), and only those are compared.

use std::collections::HashSet;

use anxin_domain::knowledge::{Entry, Kind};
use anxin_domain::model::{ChannelKind, ComplaintType, Emotion, Language};
use anxin_text::normalize::{Normalized, is_cjk};

use crate::{Error, Hit, Query, SearchIndex};

/// How many scripts and answers are offered.
pub const SUGGESTIONS: usize = 3;
/// The similarity from which a repeated question is offered as a one-click answer, chosen for precision on the
/// held-out questions of `content/eval/search-queries.csv` (`tests/assist.rs` prints the table): at 0.65 every
/// offer there is right (18 of 173 questions offered); the closest wrong match scores 0.615 (发货了还能拦截吗
/// against 发货了还能改地址吗, a different FAQ). A short question with one word changed can still pass it
/// (运费险怎么买 against 运费险怎么赔: 0.8), which is why the workspace shows the title with the offer.
pub const REPEATED_THRESHOLD: f32 = 0.65;
/// FAQ variants compared exactly with the message (the index's best candidates by shared bigrams).
const REPEATED_CANDIDATES: usize = 10;

/// The customer message an agent is answering, with what the text engine found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssistRequest<'a> {
    pub text: &'a str,
    pub emotion: Emotion,
    pub complaint_type: Option<ComplaintType>,
    pub channel: Option<ChannelKind>,
    /// The preferred variant (the customer's language); without it, zh-Hans.
    pub lang: Option<Language>,
}

/// The suggestions for one message. Scripts and answers are best first, one hit per entry, each shown in the
/// preferred language when the entry has it, else zh-Hans, else whatever variant exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Assistance {
    /// Up to [`SUGGESTIONS`] scripts for the message's emotion.
    pub scripts: Vec<Hit>,
    /// Up to [`SUGGESTIONS`] FAQ answers and articles for the message.
    pub answers: Vec<Hit>,
    /// The FAQ this message asks again, when it is a near-duplicate of one of its phrasings and no other FAQ is as
    /// close.
    pub repeated: Option<Repeated>,
}

/// An FAQ the message repeats: the one-click answer. `lang` and `title` are the variant to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeated {
    pub id: String,
    pub lang: Language,
    pub title: String,
    /// [`similarity`] of the message and the closest phrasing, at least [`REPEATED_THRESHOLD`].
    pub similarity: f32,
}

/// The suggestions for one customer message.
///
/// Scripts: the request's emotion, its channel or any; first those for its complaint type or any type, ranked by
/// the text, then the others of them (sharing no word with the message); when that is fewer than
/// [`SUGGESTIONS`], scripts of the same emotion for other complaint types, in the same order; never an entry twice.
pub fn assist(index: &SearchIndex, request: &AssistRequest<'_>) -> Result<Assistance, Error> {
    let prefer = request.lang.unwrap_or(Language::ZhHans);
    let has_terms = index.has_terms(request.text);

    let mut scripts: Vec<Hit> = Vec::new();
    let mut types = vec![request.complaint_type];
    if request.complaint_type.is_some() {
        types.push(None);
    }
    let texts: &[&str] = if has_terms { &[request.text, ""] } else { &[""] };
    for complaint_type in types {
        for text in texts {
            if scripts.len() == SUGGESTIONS {
                break;
            }
            let query = Query {
                kinds: vec![Kind::Script],
                prefer: Some(prefer),
                emotion: Some(request.emotion),
                complaint_type,
                channel: request.channel,
                limit: SUGGESTIONS + scripts.len(),
                ..Query::text(*text)
            };
            for hit in index.search(&query)? {
                if scripts.len() < SUGGESTIONS && scripts.iter().all(|chosen| chosen.id != hit.id) {
                    scripts.push(hit);
                }
            }
        }
    }

    let answers = if has_terms {
        let query = Query {
            kinds: vec![Kind::Faq, Kind::Article],
            prefer: Some(prefer),
            limit: SUGGESTIONS,
            ..Query::text(request.text)
        };
        index.search(&query)?
    } else {
        Vec::new()
    };

    Ok(Assistance { scripts, answers, repeated: repeated(index, request.text, prefer)? })
}

/// The FAQ whose title (or a clause of it) or one of whose questions is closest to the message, when at least
/// [`REPEATED_THRESHOLD`] similar and closer than any other FAQ: two equally close make the click a guess
/// (快第怎么还没到 is as close to 快递怎么还没到 as to 退款怎么还没到).
fn repeated(index: &SearchIndex, text: &str, prefer: Language) -> Result<Option<Repeated>, Error> {
    let message = Bigrams::new(text);
    if message.is_empty() {
        return Ok(None);
    }
    // The closest variant of each FAQ, best first.
    let mut closest_by_id: Vec<(f32, crate::Asked)> = Vec::new();
    for asked in index.asked(text, REPEATED_CANDIDATES)? {
        let similarity = closest(&message, &asked.title, &asked.questions);
        match closest_by_id.iter_mut().find(|(_, seen)| seen.id == asked.id) {
            Some(seen) if similarity > seen.0 => *seen = (similarity, asked),
            Some(_) => {}
            None => closest_by_id.push((similarity, asked)),
        }
    }
    closest_by_id.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut ranked = closest_by_id.into_iter();
    let (Some((similarity, asked)), runner_up) = (ranked.next(), ranked.next()) else {
        return Ok(None);
    };
    if similarity < REPEATED_THRESHOLD || runner_up.is_some_and(|(other, _)| other >= similarity) {
        return Ok(None);
    }
    let (lang, title) = index.faq_variant(&asked.id, prefer, asked.lang)?.unwrap_or((asked.lang, asked.title));
    Ok(Some(Repeated { id: asked.id, lang, title, similarity }))
}

/// How close a message is to an FAQ entry as a repeated question: the [`similarity`] of the message and the
/// closest of the entry's phrasings (title, each clause of a title asking two things, questions). What
/// [`assist`] compares with [`REPEATED_THRESHOLD`] (and with the other FAQs'); 0 for a script.
pub fn repeat_similarity(message: &str, entry: &Entry) -> f32 {
    match entry.knowledge() {
        Some(knowledge) => closest(&Bigrams::new(message), entry.title(), &knowledge.questions),
        None => 0.0,
    }
}

/// The best similarity between the message and what a customer may type to ask an FAQ: its title, each clause of
/// a title that asks two things (退货运费谁来出？运费险怎么赔？), and its questions.
fn closest(message: &Bigrams, title: &str, questions: &[String]) -> f32 {
    let clauses = title.split(is_clause_end).filter(|clause| !clause.trim().is_empty());
    std::iter::once(title)
        .chain(clauses)
        .chain(questions.iter().map(String::as_str))
        .map(|phrasing| message.dice(&Bigrams::new(phrasing)))
        .fold(0.0, f32::max)
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '？' | '?' | '！' | '!' | '。' | '；' | ';' | '（' | '）' | '(' | ')')
}

/// How alike two texts are as questions, from 0 (nothing shared) to 1 (the same once folded, with punctuation
/// and spaces dropped): the Dice coefficient of their unit bigrams.
pub fn similarity(a: &str, b: &str) -> f32 {
    Bigrams::new(a).dice(&Bigrams::new(b))
}

/// The distinct unit bigrams of a text (a text of one unit: that unit).
struct Bigrams(HashSet<(String, String)>);

impl Bigrams {
    fn new(text: &str) -> Self {
        let units = units(text);
        let mut set = HashSet::new();
        if let [only] = units.as_slice() {
            set.insert((only.clone(), String::new()));
        }
        for pair in units.windows(2) {
            set.insert((pair[0].clone(), pair[1].clone()));
        }
        Self(set)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn dice(&self, other: &Self) -> f32 {
        let total = self.0.len() + other.0.len();
        if total == 0 {
            return 0.0;
        }
        let shared = self.0.iter().filter(|gram| other.0.contains(*gram)).count();
        (2 * shared) as f32 / total as f32
    }
}

/// Sentence-final modal particles: they say how something is asked, not what.
const PARTICLES: &str = "吗呢啊吧呀嘛哦啦哈噢喔";

/// The folded text's units: each CJK character but the particles, each run of other letters and digits; the rest
/// (punctuation, spaces, symbols) is dropped.
fn units(text: &str) -> Vec<String> {
    let folded = Normalized::new(text);
    let mut units = Vec::new();
    let mut word = String::new();
    for c in folded.as_str().chars() {
        if c.is_alphanumeric() && !is_cjk(c) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            units.push(std::mem::take(&mut word));
        }
        if is_cjk(c) && !PARTICLES.contains(c) {
            units.push(c.to_string());
        }
    }
    if !word.is_empty() {
        units.push(word);
    }
    units
}

#[cfg(test)]
mod tests {
    use anxin_domain::knowledge::{EntryFields, Situation, Variable};

    use super::*;
    use crate::Synonyms;

    fn knowledge(kind: Kind, id: &str, lang: Language, title: &str, questions: &[&str], body: &str) -> Entry {
        Entry::try_from(EntryFields {
            id: Some(id.into()),
            kind: Some(kind),
            lang: Some(lang),
            title: Some(title.into()),
            category: Some("售后".into()),
            tags: Some(Vec::new()),
            questions: Some(questions.iter().map(|q| q.to_string()).collect()),
            body: Some(body.into()),
            ..EntryFields::default()
        })
        .expect("valid entry")
    }

    fn script(
        id: &str,
        lang: Language,
        emotion: Emotion,
        complaint_type: &str,
        channel: &str,
        title: &str,
        body: &str,
    ) -> Entry {
        let variables = if body.contains("{order_no}") { vec![Variable::OrderNo] } else { Vec::new() };
        Entry::try_from(EntryFields {
            id: Some(id.into()),
            kind: Some(Kind::Script),
            lang: Some(lang),
            title: Some(title.into()),
            emotion: Some(emotion),
            complaint_type: Some(complaint_type.into()),
            situation: Some(Situation::Apology),
            channel: Some(channel.into()),
            variables: Some(variables),
            body: Some(body.into()),
            ..EntryFields::default()
        })
        .expect("valid script")
    }

    fn zh(id: &str, emotion: Emotion, complaint_type: &str, title: &str, body: &str) -> Entry {
        script(id, Language::ZhHans, emotion, complaint_type, "any", title, body)
    }

    fn library() -> SearchIndex {
        use Emotion::{Anger, Anxiety};
        use Language::{En, ZhHans, ZhHant};
        let faq = |id, lang, title, question, body| knowledge(Kind::Faq, id, lang, title, &[question], body);
        let entries = [
            faq("return-fee", ZhHans, "退货运费谁承担？运费险怎么赔？", "退回去的运费谁付", "质量问题运费我们出。"),
            faq("return-fee", ZhHant, "退貨運費誰負擔？", "寄回去的運費誰出", "品質問題的退貨運費由我們負擔。"),
            faq("return-fee", En, "Who pays return shipping?", "Do I pay to send it back", "We pay if faulty."),
            faq("refunds", ZhHans, "退款多久到账？", "钱什么时候退给我", "验收后 24 小时内原路退款。"),
            faq("tracking", ZhHans, "物流信息一直不更新怎么办？", "快递好几天没动了", "中转站积压时物流会暂停更新。"),
            knowledge(Kind::Article, "returns-guide", ZhHans, "退货指南", &[], "退货运费、退款时间和寄回地址一文说清。"),
            zh(
                "anxiety-logistics-apology",
                Anxiety,
                "logistics",
                "物流致歉（焦虑）",
                "让您着急了，快递没动是中转站积压，我马上帮您催订单{order_no}。",
            ),
            zh("anxiety-any-closing", Anxiety, "any", "结束语（焦虑）", "还有什么我可以帮您的吗？"),
            script("anxiety-any-closing", En, Anxiety, "any", "any", "Closing (anxious)", "Anything else?"),
            zh("anxiety-quality-explanation", Anxiety, "quality", "质量说明（焦虑）", "这款产品有三年质保，您放心使用。"),
            zh("anxiety-price-explanation", Anxiety, "price", "价格说明（焦虑）", "价保期内降价可以退差价。"),
            script("anxiety-logistics-email", ZhHans, Anxiety, "logistics", "email", "邮件物流说明", "快递进度详见下表。"),
            script("anxiety-en-only", En, Anxiety, "other", "any", "Gift note (anxious)", "Your gift note is ready."),
            zh("anger-logistics-apology", Anger, "logistics", "物流致歉（愤怒）", "非常抱歉，快递没动是我们的问题。"),
        ];
        let index = SearchIndex::new(Synonyms::default_list()).expect("index");
        index.rebuild(&entries).expect("rebuild");
        index
    }

    fn request(text: &str, emotion: Emotion, complaint_type: Option<ComplaintType>) -> AssistRequest<'_> {
        AssistRequest { text, emotion, complaint_type, channel: Some(ChannelKind::WebChat), lang: None }
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|hit| hit.id.as_str()).collect()
    }

    #[test]
    fn scripts_fit_the_emotion_and_complaint_type_ranked_by_the_text_with_their_bodies() {
        let index = library();
        let help = assist(&index, &request("快递三天没动了", Emotion::Anxiety, Some(ComplaintType::Logistics)))
            .expect("assist");
        let scripts = ids(&help.scripts);
        assert_eq!(scripts.len(), SUGGESTIONS, "{scripts:?}");
        // The logistics apology beats the generic closing; never the angry one, never the email-only one.
        assert_eq!(scripts[0], "anxiety-logistics-apology", "{scripts:?}");
        assert!(scripts.contains(&"anxiety-any-closing"), "{scripts:?}");
        assert!(!scripts.iter().any(|id| id.starts_with("anger") || *id == "anxiety-logistics-email"), "{scripts:?}");
        assert_eq!(help.scripts[0].kind, Kind::Script);
        assert!(help.scripts[0].body.contains("{order_no}"), "the body comes whole: {:?}", help.scripts[0].body);
    }

    #[test]
    fn scripts_fill_with_other_complaint_types_of_the_emotion_without_repeating_an_entry() {
        let index = library();
        // Only the closing fits "payment" (any type); the rest come from other types of the same emotion, those
        // sharing words with the message first.
        let help = assist(&index, &request("价保退差价", Emotion::Anxiety, Some(ComplaintType::Payment))).expect("assist");
        let scripts = ids(&help.scripts);
        assert_eq!(scripts.len(), SUGGESTIONS, "{scripts:?}");
        assert_eq!(scripts[..2], ["anxiety-any-closing", "anxiety-price-explanation"], "{scripts:?}");
        let mut unique = scripts.clone();
        unique.dedup();
        assert_eq!(unique.len(), scripts.len(), "{scripts:?}");
        assert!(scripts.iter().all(|id| id.starts_with("anxiety")), "{scripts:?}");
        // A message with nothing to search for still gets scripts for its emotion.
        let help = assist(&index, &request("？？", Emotion::Anger, None)).expect("assist");
        assert_eq!(ids(&help.scripts), ["anger-logistics-apology"]);
        assert!(help.answers.is_empty() && help.repeated.is_none(), "{help:?}");
    }

    #[test]
    fn scripts_follow_the_channel() {
        let index = library();
        let by_email = AssistRequest { channel: Some(ChannelKind::Email), ..request("快递进度", Emotion::Anxiety, None) };
        assert!(ids(&assist(&index, &by_email).expect("assist").scripts).contains(&"anxiety-logistics-email"));
        let any = AssistRequest { channel: None, ..by_email };
        assert!(ids(&assist(&index, &any).expect("assist").scripts).contains(&"anxiety-logistics-email"));
        let web = request("快递进度", Emotion::Anxiety, None);
        assert!(!ids(&assist(&index, &web).expect("assist").scripts).contains(&"anxiety-logistics-email"));
    }

    #[test]
    fn each_entry_is_shown_in_the_preferred_language_else_simplified_else_what_exists() {
        let index = library();
        let lang = |hits: &[Hit], id: &str| hits.iter().find(|hit| hit.id == id).map(|hit| hit.lang);
        let en = AssistRequest { lang: Some(Language::En), ..request("退货运费 快递", Emotion::Anxiety, None) };
        let help = assist(&index, &en).expect("assist");
        assert_eq!(lang(&help.answers, "return-fee"), Some(Language::En), "{help:?}");
        assert_eq!(lang(&help.answers, "refunds").or(lang(&help.answers, "returns-guide")), Some(Language::ZhHans));
        assert_eq!(lang(&help.scripts, "anxiety-logistics-apology"), Some(Language::ZhHans), "{help:?}");

        let hant = AssistRequest { lang: Some(Language::ZhHant), ..request("退貨運費", Emotion::Anxiety, None) };
        let help = assist(&index, &hant).expect("assist");
        assert_eq!(lang(&help.answers, "return-fee"), Some(Language::ZhHant));
        let closing = assist(&index, &AssistRequest { text: "还有什么帮您", ..hant }).expect("assist");
        // No zh-Hant variant: zh-Hans, not the English one.
        assert_eq!(lang(&closing.scripts, "anxiety-any-closing"), Some(Language::ZhHans), "{closing:?}");
        // Only an English variant: that one.
        let parcel = assist(&index, &AssistRequest { text: "gift note", ..hant }).expect("assist");
        assert_eq!(lang(&parcel.scripts, "anxiety-en-only"), Some(Language::En), "{parcel:?}");
    }

    #[test]
    fn answers_are_faq_entries_and_articles_only() {
        let index = library();
        let help = assist(&index, &request("退货运费谁出，快递怎么寄回", Emotion::Neutral, None)).expect("assist");
        assert!(!help.answers.is_empty() && help.answers.len() <= SUGGESTIONS, "{help:?}");
        assert_eq!(help.answers[0].id, "return-fee");
        assert!(help.answers.iter().all(|hit| hit.kind != Kind::Script), "{help:?}");
        assert!(ids(&help.answers).contains(&"returns-guide"), "articles too: {help:?}");
        assert_eq!(help.answers.iter().filter(|hit| hit.id == "return-fee").count(), 1);
    }

    #[test]
    fn a_repeated_question_is_offered_in_the_preferred_language_and_nothing_else_is() {
        let index = library();
        // Punctuation, Traditional script and a particle differ; the question is the same.
        let hant = AssistRequest {
            lang: Some(Language::ZhHant),
            ..request("退回去的運費誰付啊？？", Emotion::Anxiety, Some(ComplaintType::RefundReturn))
        };
        let repeated = assist(&index, &hant).expect("assist").repeated.expect("offered");
        let shown = (repeated.id.as_str(), repeated.lang, repeated.title.as_str());
        assert_eq!(shown, ("return-fee", Language::ZhHant, "退貨運費誰負擔？"));
        assert_eq!(repeated.similarity, 1.0);
        // One clause of a title that asks two things.
        let clause = assist(&index, &request("运费险怎么赔", Emotion::Neutral, None)).expect("assist");
        assert_eq!(clause.repeated.map(|r| (r.id, r.lang)), Some(("return-fee".into(), Language::ZhHans)));

        for unrelated in ["你们老板是谁", "hello", "退货", "运费险多少钱一份", ""] {
            let help = assist(&index, &request(unrelated, Emotion::Neutral, None)).expect("assist");
            assert_eq!(help.repeated, None, "{unrelated}");
        }
    }

    #[test]
    fn similarity_ignores_punctuation_script_width_case_and_particles() {
        assert_eq!(similarity("退貨運費誰付？", "退货运费谁付"), 1.0);
        assert_eq!(similarity("ＶＩＰ 积分怎么用呢!!", "vip积分怎么用"), 1.0);
        assert_eq!(similarity("Do I pay to send it back?", "do i pay to send it back"), 1.0);
        assert_eq!(similarity("价保", "价保"), 1.0);
        assert_eq!(similarity("你们老板是谁", "退款多久到账"), 0.0);
        assert_eq!(similarity("？？", "？？"), 0.0);
        // 能退 shares one of three bigrams with 定金能退.
        assert!((similarity("能退吗", "定金能退吗") - 0.5).abs() < 1e-6);
        let entry = knowledge(Kind::Faq, "deposit", Language::ZhHans, "预售怎么付？定金能退吗？", &[], "可以。");
        assert_eq!(repeat_similarity("定金能退吗", &entry), 1.0);
    }
}
