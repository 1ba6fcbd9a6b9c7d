//! The analyser: runs extraction once per message and turns the model heads, lexicon and rules into a
//! [`MessageAnalysis`].

use std::cell::RefCell;

use crate::extract::{self, Extracted, FEATURE_FINGERPRINT};
use crate::lexicon::CueCounts;
use crate::model::{LinearModel, ModelError, sigmoid, softmax};
use crate::normalize::{self, Normalized};
use crate::types::*;
use crate::{pii, signals};

/// Head names, shared with training.
pub const HEAD_SENTIMENT: &str = "sentiment";
pub const HEAD_EMOTION: &str = "emotion";
pub const HEAD_EMOTION_SHOP: &str = "emotion_shop";
pub const HEAD_COMPLAINT: &str = "complaint";
pub const HEAD_DOMAIN: &str = "domain";
pub const HEAD_IS_COMPLAINT: &str = "is_complaint";

/// How many features an explanation lists.
const EXPLAIN_TOP: usize = 5;

#[derive(Debug)]
pub struct Analyzer {
    model: LinearModel,
    sentiment: usize,
    emotion: usize,
    emotion_shop: usize,
    complaint: usize,
    domain: usize,
    is_complaint: usize,
}

thread_local! {
    static SCRATCH: RefCell<(Extracted, Vec<i64>, Vec<f32>)> = RefCell::new(Default::default());
}

/// The raw probabilities of every head for one message (what evaluation and calibration look at).
#[derive(Debug, Clone, PartialEq)]
pub struct HeadScores {
    pub positive: f32,
    pub emotion: [f32; 5],
    /// The two emotion heads before mixing by domain.
    pub emotion_general: [f32; 5],
    pub emotion_shop: [f32; 5],
    pub complaint: [f32; 8],
    /// The is-complaint head's probability that the message complains about something (a product, an order, the
    /// service) rather than asking, chatting or praising.
    pub is_complaint: f32,
    /// Share of the shopping emotion head: the domain head's probability that the message is about shopping or
    /// delivery rather than social chat (at least `CUSTOMER_MESSAGE_SHOP_FLOOR` for a known customer message).
    pub shop: f32,
    pub counts: CueCounts,
    pub exclamations: u32,
    pub questions: u32,
}

/// The least share of the shopping emotion head for a message known to come from a customer to the shop. Inside the
/// inbox the domain head's doubt is about words, not about where the message comes from; the general head keeps a
/// fifth so that plain chat lines the shopping head never saw still get a hearing.
pub const CUSTOMER_MESSAGE_SHOP_FLOOR: f32 = 0.8;

/// The message's emotion: the two heads mixed by the domain head's probability that the message is about shopping
/// or delivery. A lexicon gate (the shopping head only for messages with a shopping word) served while that head
/// learned from rule-made labels; trained on our hand labels it reads reviews far better, and the gate cost it
/// (emotion macro-F1 on the labelled dev reviews 0.53 gated, 0.64 mixed by probability; model card). The sentiment
/// head judges reviews well and social posts poorly, so only the shopping head is made to agree with it.
fn mix_emotion_heads(general: &[f32; 5], shop_emotion: &[f32; 5], shop: f32, positive: f32) -> [f32; 5] {
    let mut agreed = *shop_emotion;
    agree_with_sentiment(&mut agreed, positive);
    std::array::from_fn(|i| shop * agreed[i] + (1.0 - shop) * general[i])
}

/// Keeps the shopping emotion head consistent with the sentiment head, which is trained on ten times more review
/// text: a shopping message the sentiment head does not clearly read as positive cannot be mostly "satisfied". The satisfied share is kept
/// in full above p(positive) = 0.75, shrinks linearly to nothing at 0.25, and the other emotions take it over. A
/// complaint wrapped in a polite word is still a complaint: without this, a sixth of the negative reviews we
/// labelled came out "satisfied" (菜还不错，米饭有点馊了; 服务很好，套装明明是奶茶，为什么送来是豆浆).
fn agree_with_sentiment(emotion: &mut [f32; 5], positive: f32) {
    let satisfied = Emotion::Satisfied.index();
    let keep = ((positive - 0.25) / 0.5).clamp(0.0, 1.0);
    let rest = 1.0 - emotion[satisfied];
    if keep >= 1.0 || rest <= f32::EPSILON {
        return;
    }
    let kept = emotion[satisfied] * keep;
    let scale = (1.0 - kept) / rest;
    for (i, p) in emotion.iter_mut().enumerate() {
        *p = if i == satisfied { kept } else { *p * scale };
    }
}

impl Analyzer {
    /// Loads a model, checking that it was trained with this build's feature extractor.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let model = LinearModel::from_bytes(bytes)?;
        Self::from_model(model)
    }

    pub fn from_model(model: LinearModel) -> Result<Self, ModelError> {
        if model.feature_fingerprint != *FEATURE_FINGERPRINT {
            return Err(ModelError::FeatureMismatch { model: model.feature_fingerprint, code: *FEATURE_FINGERPRINT });
        }
        // Two-class heads take one column (see `model::Head::columns`).
        let offset = |name: &str, classes: usize| -> Result<usize, ModelError> {
            let head = model.head(name).ok_or_else(|| ModelError::Invalid(format!("missing head {name}")))?;
            if head.classes.len() != classes {
                return Err(ModelError::Invalid(format!("head {name} has {} classes", head.classes.len())));
            }
            Ok(head.offset)
        };
        normalize::warm_up();
        Ok(Self {
            sentiment: offset(HEAD_SENTIMENT, 2)?,
            emotion: offset(HEAD_EMOTION, 5)?,
            emotion_shop: offset(HEAD_EMOTION_SHOP, 5)?,
            complaint: offset(HEAD_COMPLAINT, 8)?,
            domain: offset(HEAD_DOMAIN, 2)?,
            is_complaint: offset(HEAD_IS_COMPLAINT, 2)?,
            model,
        })
    }

    pub fn model(&self) -> &LinearModel {
        &self.model
    }

    fn with_scratch<R>(&self, text: &str, f: impl FnOnce(&Normalized, &Extracted, &[f32]) -> R) -> R {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (ex, acc, logits) = &mut *guard;
            let norm = Normalized::new(text);
            extract::extract(&norm, self.model.bits, ex);
            acc.clear();
            acc.resize(self.model.stride, 0);
            logits.resize(self.model.stride, 0.0);
            self.model.accumulate(ex.features.iter().map(|f| f.bucket), acc);
            let value = 1.0 / (ex.features.len().max(1) as f32).sqrt();
            self.model.finish(acc, value, logits);
            f(&norm, ex, logits)
        })
    }

    fn head_scores(&self, ex: &Extracted, logits: &[f32], shop_floor: f32) -> HeadScores {
        let positive = sigmoid(logits[self.sentiment]);
        let mut general = [0f32; 5];
        general.copy_from_slice(&logits[self.emotion..self.emotion + 5]);
        softmax(&mut general);
        let mut shop_emotion = [0f32; 5];
        shop_emotion.copy_from_slice(&logits[self.emotion_shop..self.emotion_shop + 5]);
        softmax(&mut shop_emotion);
        let shop = sigmoid(logits[self.domain]).max(shop_floor);
        let emotion = mix_emotion_heads(&general, &shop_emotion, shop, positive);
        let mut complaint = [0f32; 8];
        complaint.copy_from_slice(&logits[self.complaint..self.complaint + 8]);
        softmax(&mut complaint);
        HeadScores {
            positive,
            emotion,
            emotion_general: general,
            emotion_shop: shop_emotion,
            complaint,
            is_complaint: sigmoid(logits[self.is_complaint]),
            shop,
            counts: ex.counts,
            exclamations: ex.exclamations,
            questions: ex.questions,
        }
    }

    /// The raw head probabilities of a message.
    pub fn scores(&self, text: &str) -> HeadScores {
        self.with_scratch(text, |_, ex, logits| self.head_scores(ex, logits, 0.0))
    }

    /// The raw head probabilities of a message known to be a customer's message to a shop's service.
    pub fn customer_message_scores(&self, text: &str) -> HeadScores {
        self.with_scratch(text, |_, ex, logits| self.head_scores(ex, logits, CUSTOMER_MESSAGE_SHOP_FLOOR))
    }

    /// Binary sentiment as review data labels it.
    pub fn predict_sentiment(&self, text: &str) -> Polarity {
        if self.scores(text).positive >= 0.5 { Polarity::Positive } else { Polarity::Negative }
    }

    pub fn predict_emotion(&self, text: &str) -> Emotion {
        argmax_label(Emotion::ALL, &self.scores(text).emotion)
    }

    /// The emotion of a message known to be a customer's message to the shop's service.
    pub fn predict_customer_message_emotion(&self, text: &str) -> Emotion {
        argmax_label(Emotion::ALL, &self.customer_message_scores(text).emotion)
    }

    /// The most likely complaint type, assuming the text is a complaint.
    pub fn predict_complaint(&self, text: &str) -> ComplaintType {
        argmax_label(ComplaintType::ALL, &self.scores(text).complaint)
    }

    /// Analyses one message of unknown origin (a review, a post, a chat line): the domain head decides how much the
    /// shopping emotion head counts.
    pub fn analyze(&self, text: &str) -> MessageAnalysis {
        self.analyze_with_floor(text, 0.0)
    }

    /// Analyses a message a customer wrote to the shop's service (the inbox, the widget, a channel): the shopping
    /// emotion head counts for at least `CUSTOMER_MESSAGE_SHOP_FLOOR`, however social the words (在吗, 我在上班晚上发你).
    pub fn analyze_customer_message(&self, text: &str) -> MessageAnalysis {
        self.analyze_with_floor(text, CUSTOMER_MESSAGE_SHOP_FLOOR)
    }

    fn analyze_with_floor(&self, text: &str, shop_floor: f32) -> MessageAnalysis {
        self.with_scratch(text, |norm, ex, logits| {
            let scores = self.head_scores(ex, logits, shop_floor);
            let signals = signals::detect(text, norm);
            let pii_spans = pii::detect(text, norm);
            let masked = pii::mask(text, &pii_spans);
            let label = argmax_label(Emotion::ALL, &scores.emotion);
            let intensity = intensity(label, &scores, &signals, norm.char_len());
            let valence = valence(&scores);
            let complaint = complaint(&scores, label, &signals);
            let explain = self.explain(label, scores.shop, norm, ex);
            MessageAnalysis {
                language: language(norm),
                emotion: EmotionResult { label, scores: EmotionScores::from_array(scores.emotion), intensity },
                sentiment: SentimentResult {
                    valence,
                    label: if scores.positive >= 0.5 { Polarity::Positive } else { Polarity::Negative },
                },
                complaint,
                signals,
                pii: PiiReport { spans: pii_spans, masked },
                explain,
            }
        })
    }

    /// The features that pushed the chosen emotion the most, relative to the other emotions.
    fn explain(&self, label: Emotion, shop: f32, norm: &Normalized, ex: &Extracted) -> Vec<Explanation> {
        let value = 1.0 / (ex.features.len().max(1) as f32).sqrt();
        // A feature's push is how far it lifts the chosen emotion above the average emotion of each head, the heads
        // weighted as they were mixed for this message: one dot product of its quantised weights with these.
        let coefficients = |offset: usize, share: f32| -> [f32; 5] {
            std::array::from_fn(|j| {
                let chosen = if j == label.index() { 1.0 } else { 0.0 };
                (chosen - 0.2) * self.model.scale[offset + j] * share * value
            })
        };
        let general = coefficients(self.emotion, 1.0 - shop);
        let shopping = coefficients(self.emotion_shop, shop);
        let push = |row: &[i16], offset: usize, c: &[f32; 5]| -> f32 {
            row[offset..offset + 5].iter().zip(c).map(|(w, c)| *w as f32 * c).sum()
        };
        // Cap the work on very long input: the first features are as explanatory as any.
        let mut contributions: Vec<(f32, usize)> = ex
            .features
            .iter()
            .take(4096)
            .enumerate()
            .map(|(i, f)| {
                let row = self.model.row(f.bucket);
                (push(row, self.emotion, &general) + push(row, self.emotion_shop, &shopping), i)
            })
            .filter(|(w, _)| *w > 0.0)
            .collect();
        contributions.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<Explanation> = Vec::with_capacity(EXPLAIN_TOP);
        for (weight, i) in contributions {
            let feature = extract::describe(&ex.features[i], ex, norm);
            if feature.trim().is_empty() {
                continue;
            }
            // The same words can arrive as several features (an n-gram and a lexicon cue): they add up.
            let full = out.len() >= EXPLAIN_TOP;
            match out.iter_mut().find(|e| e.feature == feature) {
                Some(existing) => existing.weight += weight,
                None if !full => out.push(Explanation { feature, weight }),
                None => {}
            }
        }
        for e in &mut out {
            e.weight = (e.weight * 1000.0).round() / 1000.0;
        }
        out
    }
}

fn argmax_label<T: Copy>(labels: &[T], probs: &[f32]) -> T {
    let best = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0);
    labels[best]
}

/// Valence in [−1, 1]: the sentiment head's polarity, softened towards 0 when the emotion head sees neutrality.
fn valence(scores: &HeadScores) -> f32 {
    let polar = 2.0 * scores.positive - 1.0;
    let neutral = scores.emotion[Emotion::Neutral.index()];
    (polar * (1.0 - 0.5 * neutral)).clamp(-1.0, 1.0)
}

/// Intensity in [0, 1]: confidence in a non-neutral emotion, raised by intensifiers, punctuation bursts,
/// shouting, profanity and threats, lowered by softeners ("有点"). A documented rule, not a trained model: there
/// is no public intensity-labelled data for customer service.
fn intensity(label: Emotion, scores: &HeadScores, signals: &[Signal], chars: usize) -> f32 {
    if chars == 0 {
        return 0.0;
    }
    let non_neutral = 1.0 - scores.emotion[Emotion::Neutral.index()];
    let mut raw = 0.9 * non_neutral * scores.emotion[label.index()].max(0.3);
    let c = &scores.counts;
    raw += 0.18 * c.intensifiers.min(3.0);
    raw += 0.12 * c.emotion[Emotion::Anger.index()].min(3.0);
    raw += match scores.exclamations {
        0 => 0.0,
        1 => 0.08,
        2 => 0.2,
        _ => 0.35,
    };
    if scores.questions >= 3 {
        raw += 0.15;
    }
    for s in signals {
        raw += match s.kind {
            SignalKind::Profanity => 0.35,
            SignalKind::Shouting => 0.2,
            SignalKind::Regulator | SignalKind::Legal | SignalKind::Media => 0.3,
            SignalKind::PlatformComplaint => 0.2,
            SignalKind::Urgency | SignalKind::RepeatedContact => 0.12,
        };
    }
    raw -= 0.2 * c.softeners.min(2.0);
    if label == Emotion::Neutral {
        raw *= 0.4;
    }
    let value = 1.0 - (-raw.max(0.0) * 1.3).exp();
    (value * 1000.0).round() / 1000.0
}

/// How sure the is-complaint head must be on its own.
const IS_COMPLAINT_LEARNED: f32 = 0.45;
/// How sure it must be when the lexicon rule also sees a complaint in an angry or disappointed message.
const IS_COMPLAINT_WITH_RULE: f32 = 0.2;

/// Whether a message complains at all, and then its type. Two judges: the is-complaint head, trained on our
/// labelled and written complaints against everyday customer lines and praise, and a lexicon rule (negative, and a
/// complainable word, a clearly unhappy emotion or a confident type head). The head alone catches plain complaints
/// without a lexicon word (功能少，来电声音小); the rule lowers its bar for angry or disappointed messages, and a
/// question that merely names a topic (怎么申请售后, 会不会有色差) needs the head's own conviction: on our held-out
/// boundary lines the rule alone flagged 25 of 66 such questions. Thresholds and measurements in the model card. A
/// threat is always a complaint; a satisfied, positive message without one never is.
fn complaint(scores: &HeadScores, label: Emotion, signals: &[Signal]) -> Option<ComplaintResult> {
    let negative = scores.positive < 0.5 || label.is_negative();
    let cue_total: f32 = scores.counts.complaint.iter().sum();
    let threat = signals.iter().any(|s| s.kind.is_escalation_threat());
    let top = scores.complaint.iter().copied().fold(0.0, f32::max);
    // The rule: a clearly negative message in an unhappy emotion even without a lexicon word (产品性能太差,
    // 待机时间短.烂货!); a mildly negative one with a complainable word or a confident type head.
    let unhappy = label.is_negative() && scores.positive < 0.35 && top > 0.4;
    let rule = negative && (cue_total > 0.0 || top > 0.6 || unhappy);
    if label == Emotion::Satisfied && scores.positive > 0.7 && !threat {
        return None;
    }
    let learned = scores.is_complaint;
    let upset = matches!(label, Emotion::Anger | Emotion::Disappointment);
    if !(threat || learned >= IS_COMPLAINT_LEARNED || rule && upset && learned >= IS_COMPLAINT_WITH_RULE) {
        return None;
    }
    let best = argmax_label(ComplaintType::ALL, &scores.complaint);
    Some(ComplaintResult { label: best, scores: ComplaintScores::from_array(scores.complaint) })
}

/// Script of a message: Latin-only is English, CJK with folded characters is Traditional, both scripts in
/// substantial amounts is mixed.
fn language(norm: &Normalized) -> Language {
    let cjk = norm.cjk_chars;
    let latin = norm.latin_letters;
    if cjk == 0 && latin > 0 {
        return Language::En;
    }
    if cjk == 0 {
        return Language::ZhHans;
    }
    // A Latin word of 3+ letters weighs like about two characters of Chinese.
    if latin >= 6 && (latin as f32) > cjk as f32 * 0.8 {
        return Language::Mixed;
    }
    if norm.traditional_chars * 10 >= cjk.max(1) && norm.traditional_chars >= 1 {
        Language::ZhHant
    } else {
        Language::ZhHans
    }
}

#[cfg(embedded_model)]
static EMBEDDED_BYTES: Option<&[u8]> = Some(include_bytes!("../../../models/anxin-text.model"));
#[cfg(not(embedded_model))]
static EMBEDDED_BYTES: Option<&[u8]> = None;

static EMBEDDED: std::sync::LazyLock<Result<Analyzer, ModelError>> = std::sync::LazyLock::new(|| match EMBEDDED_BYTES {
    Some(bytes) => Analyzer::from_bytes(bytes),
    None => Err(ModelError::Invalid("no model is embedded in this build; run `anxin train`".into())),
});

impl Analyzer {
    /// The model shipped inside the binary (`models/anxin-text.model`), loaded once.
    pub fn embedded() -> Result<&'static Analyzer, ModelError> {
        EMBEDDED.as_ref().map_err(Clone::clone)
    }
}

impl Analyzer {
    /// Trajectory and complaint risk of a conversation, from its customer messages' analyses (oldest first).
    pub fn conversation(&self, messages: &[MessageAnalysis]) -> ConversationAnalysis {
        crate::conversation::analyze(messages)
    }

    /// Analyses a conversation from its customer messages (oldest first).
    pub fn analyze_conversation<S: AsRef<str>>(&self, messages: &[S]) -> ConversationAnalysis {
        let analyses: Vec<MessageAnalysis> = messages.iter().map(|m| self.analyze(m.as_ref())).collect();
        self.conversation(&analyses)
    }
}

impl Analyzer {
    /// Tone check of an agent's draft reply, in the light of the customer's last message when there is one.
    pub fn check_reply(&self, draft: &str, customer_last_message: Option<&str>) -> crate::tone::ToneCheck {
        let context = customer_last_message.map(|m| crate::tone::CustomerContext::from_analysis(&self.analyze(m)));
        let asked_question = customer_last_message.is_some_and(crate::tone::looks_like_question);
        crate::tone::check_reply_with_question(draft, context.as_ref(), asked_question)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_is_complaint_head_decides_and_the_rule_lowers_its_bar_for_upset_messages() {
        let mut scores = HeadScores {
            positive: 0.1,
            emotion: [0.7, 0.05, 0.15, 0.05, 0.05],
            emotion_general: [0.2; 5],
            emotion_shop: [0.2; 5],
            complaint: [0.5, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05],
            is_complaint: 0.3,
            shop: 0.9,
            counts: CueCounts::default(),
            exclamations: 1,
            questions: 0,
        };
        let found = complaint(&scores, Emotion::Anger, &[]).expect("angry, clearly negative, type head above 0.4");
        assert_eq!(found.label, ComplaintType::Quality);
        assert!(complaint(&scores, Emotion::Neutral, &[]).is_none(), "a calm message needs the head's own conviction");
        assert!(complaint(&scores, Emotion::Anxiety, &[]).is_none(), "a worried question is not lowered either");
        scores.positive = 0.45;
        assert!(complaint(&scores, Emotion::Anger, &[]).is_none(), "only mildly negative");
        scores.positive = 0.1;
        let typed = scores.complaint;
        scores.complaint = [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
        assert!(complaint(&scores, Emotion::Anger, &[]).is_none(), "no type stands out: a rant, not a complaint");
        scores.complaint = typed;
        scores.is_complaint = 0.1;
        assert!(complaint(&scores, Emotion::Anger, &[]).is_none(), "the rule alone is not enough");
        scores.is_complaint = 0.5;
        assert!(complaint(&scores, Emotion::Neutral, &[]).is_some(), "a sure head needs no lexicon word");
        scores.positive = 0.9;
        assert!(complaint(&scores, Emotion::Satisfied, &[]).is_none(), "praise is never a complaint without a threat");
        scores.is_complaint = 0.0;
        let threat = Signal { kind: SignalKind::Regulator, span: Span { start: 0, end: 5 }, text: "12315".into() };
        assert!(complaint(&scores, Emotion::Satisfied, &[threat]).is_some(), "a threat always is");
    }

    #[test]
    fn satisfied_gives_way_when_the_sentiment_is_not_clearly_positive() {
        let mixed = [0.1, 0.0, 0.3, 0.1, 0.5];
        let mut clearly_positive = mixed;
        agree_with_sentiment(&mut clearly_positive, 0.9);
        assert_eq!(clearly_positive, mixed, "a positive message keeps its emotion");
        let mut negative = mixed;
        agree_with_sentiment(&mut negative, 0.2);
        assert_eq!(negative[4], 0.0, "a negative message is not satisfied");
        assert!((negative[2] - 0.6).abs() < 1e-6, "the others share what satisfied gave up: {negative:?}");
        let mut unsure = mixed;
        agree_with_sentiment(&mut unsure, 0.5);
        assert!((unsure[4] - 0.25).abs() < 1e-6 && (unsure.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{unsure:?}");
        let mut only_satisfied = [0.0, 0.0, 0.0, 0.0, 1.0];
        agree_with_sentiment(&mut only_satisfied, 0.1);
        assert!(only_satisfied.iter().all(|p| p.is_finite()), "nothing to hand over is left as it is");
    }

    #[test]
    fn the_emotion_heads_mix_by_domain_and_only_the_shopping_head_defers_to_sentiment() {
        let general = [0.1, 0.1, 0.1, 0.1, 0.6];
        let shop_head = [0.5, 0.1, 0.2, 0.1, 0.1];
        // A social post (shop 0) keeps the general head, satisfied included, even when sentiment reads negative.
        assert_eq!(mix_emotion_heads(&general, &shop_head, 0.0, 0.1), general);
        // A shopping message (shop 1) follows the shopping head.
        let shopping = mix_emotion_heads(&general, &shop_head, 1.0, 0.9);
        assert!(shopping.iter().zip(shop_head).all(|(a, b)| (a - b).abs() < 1e-6), "{shopping:?}");
        // In between, a weighted mix that still sums to one; a negative message loses the shopping head's satisfied.
        let mixed = mix_emotion_heads(&general, &shop_head, 0.5, 0.1);
        assert!((mixed.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{mixed:?}");
        assert!((mixed[4] - 0.3).abs() < 1e-6, "only the general head's satisfied is left: {mixed:?}");
        assert!((mixed[0] - (0.5 * 0.5 / 0.9 + 0.05)).abs() < 1e-6, "{mixed:?}");
    }
}
