//! The training academy's curriculum (PRODUCT.md §8): modules of lessons, worked cases and quiz questions, kept as
//! files a team writes, reviews, imports and exports — Markdown with TOML front matter, like the knowledge base
//! (`knowledge`), one file per item and language (`content/training/README.md` describes the format).
//!
//! Import is strict and all-or-nothing: every problem names its file, line and field (`file:line: field: message`),
//! and nothing is taken while any file is wrong. What the language variants of an item share — its module, order,
//! the lessons it belongs to, a question's answer and number of choices — must agree across the files, so a quiz
//! graded in English and in Chinese is the same quiz. Export writes files that import back unchanged.
//!
//! Pure: callers read and write the files; this module only sees names and text.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

pub use crate::knowledge::{EntryId, ImportError};
use crate::model::{ComplaintType, Emotion, Language};

pub const TITLE_MAX_CHARS: usize = 120;
pub const SUMMARY_MAX_CHARS: usize = 300;
pub const MAX_OBJECTIVES: usize = 8;
pub const OBJECTIVE_MAX_CHARS: usize = 200;
pub const PROMPT_MAX_CHARS: usize = 400;
/// How many choices a question offers.
pub const CHOICES: RangeInclusive<usize> = 2..=6;
pub const CHOICE_MAX_CHARS: usize = 300;
/// Longest body of a module, lesson or case, in characters.
pub const BODY_MAX_CHARS: usize = 20_000;
/// Longest explanation of a question (its body), in characters.
pub const EXPLANATION_MAX_CHARS: usize = 2_000;
/// Longest front matter, in bytes: it is parsed before anything else is checked.
pub const FRONT_MATTER_MAX_BYTES: usize = 16 * 1024;
/// The position of an item among its siblings.
pub const ORDER: RangeInclusive<i64> = 1..=999;
/// A lesson's estimated study time.
pub const MINUTES: RangeInclusive<i64> = 1..=120;
/// How many lessons a case may illustrate.
pub const CASE_LESSONS: RangeInclusive<usize> = 1..=10;
/// How many turns a case's conversation excerpt has.
pub const TURNS: RangeInclusive<usize> = 2..=60;
pub const TURN_MAX_CHARS: usize = 1_000;

/// The line that opens and closes the front matter.
use crate::front_matter::{self, DELIMITER};

/// A small enumeration with one stable spelling per variant in the files.
macro_rules! file_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

file_enum!(
    /// What a file holds.
    Kind {
        Module => "module",
        Lesson => "lesson",
        Case => "case",
        Question => "question",
    }
);

file_enum!(
    /// Whether a question has one right choice, or asks for every right one.
    QuestionType {
        Single => "single",
        Multiple => "multiple",
    }
);

impl Kind {
    /// The folder of a module that holds files of this kind (`""` for the module file itself).
    fn folder(self) -> &'static str {
        match self {
            Kind::Module => "",
            Kind::Lesson => "lessons",
            Kind::Case => "cases",
            Kind::Question => "quiz",
        }
    }

    /// The front-matter keys a file of this kind has; `optional` ones may be left out.
    fn keys(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Kind::Module => (&["id", "kind", "lang", "order", "title", "summary", "objectives"], &[]),
            Kind::Lesson => (&["id", "kind", "lang", "module", "order", "title", "minutes"], &[]),
            Kind::Case => {
                (&["id", "kind", "lang", "module", "order", "lessons", "title", "emotion"], &["complaint_type"])
            }
            Kind::Question => {
                (&["id", "kind", "lang", "module", "order", "lesson", "type", "prompt", "choices", "answer"], &[])
            }
        }
    }
}

/// One choice of a question, written as a capital letter in the files (`A` is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Choice(u8);

impl Choice {
    /// `A` to `F`; anything else (lower case included) is not a choice.
    pub fn parse(text: &str) -> Option<Choice> {
        match text.as_bytes() {
            [letter @ b'A'..=b'Z'] => Choice::from_index(usize::from(letter - b'A')),
            _ => None,
        }
    }

    /// The choice at this 0-based position, if a question can have it.
    pub fn from_index(index: usize) -> Option<Choice> {
        u8::try_from(index).ok().filter(|&i| usize::from(i) < *CHOICES.end()).map(Choice)
    }

    /// 0-based position in the question's list of choices.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub fn letter(self) -> char {
        char::from(b'A' + self.0)
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// Who speaks in a case's conversation excerpt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    Customer,
    Agent,
    /// The team lead or supervisor.
    Lead,
    /// Another colleague: a second agent, the warehouse, logistics, finance.
    Colleague,
}

impl Speaker {
    pub const ALL: [Speaker; 4] = [Speaker::Customer, Speaker::Agent, Speaker::Lead, Speaker::Colleague];

    /// How the speaker is written in a file of this language: `**顾客**：…`, `**Customer**: …`.
    pub fn label(self, lang: Language) -> &'static str {
        let labels = match lang {
            Language::ZhHans => ["顾客", "客服", "主管", "同事"],
            Language::ZhHant => ["顧客", "客服", "主管", "同事"],
            Language::En => ["Customer", "Agent", "Lead", "Colleague"],
        };
        labels[self as usize]
    }
}

/// The four sections of a case's body, as headings `## …` in the file's language, in this order.
pub fn case_headings(lang: Language) -> [&'static str; 4] {
    match lang {
        Language::ZhHans => ["对话", "发生了什么", "分析", "更好的做法"],
        Language::ZhHant => ["對話", "發生了什麼", "分析", "更好的做法"],
        Language::En => ["Conversation", "What happened", "Analysis", "What good looks like"],
    }
}

/// The texts of one item in each language it was written in (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized<T> {
    /// In the order of `Language::ALL`, each language once.
    variants: Vec<(Language, T)>,
}

impl<T> Localized<T> {
    pub fn get(&self, lang: Language) -> Option<&T> {
        self.variants.iter().find(|(l, _)| *l == lang).map(|(_, text)| text)
    }

    /// The variant to show a reader of `lang`: that language, else the other Chinese script, else Simplified
    /// Chinese, else English, else whatever there is.
    pub fn best(&self, lang: Language) -> (Language, &T) {
        let fallbacks = match lang {
            Language::ZhHans => [Language::ZhHans, Language::ZhHant, Language::En],
            Language::ZhHant => [Language::ZhHant, Language::ZhHans, Language::En],
            Language::En => [Language::En, Language::ZhHans, Language::ZhHant],
        };
        fallbacks
            .iter()
            .find_map(|&l| self.get(l).map(|text| (l, text)))
            .unwrap_or_else(|| (self.variants[0].0, &self.variants[0].1))
    }

    pub fn languages(&self) -> impl Iterator<Item = Language> + '_ {
        self.variants.iter().map(|(lang, _)| *lang)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Language, &T)> {
        self.variants.iter().map(|(lang, text)| (*lang, text))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleText {
    pub title: String,
    /// One or two sentences for the module list.
    pub summary: String,
    /// What an agent can do after the module.
    pub objectives: Vec<String>,
    /// The introduction (Markdown).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonText {
    pub title: String,
    /// The lesson (Markdown).
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseText {
    pub title: String,
    /// The conversation excerpt, turn by turn.
    pub conversation: Vec<Turn>,
    /// What happened (Markdown).
    pub happened: String,
    /// Why it went the way it did (Markdown).
    pub analysis: String,
    /// What good looks like (Markdown).
    pub better: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub speaker: Speaker,
    /// One line of chat, as written (Markdown inline).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionText {
    pub prompt: String,
    /// As many in every language; `Choice` indexes them.
    pub choices: Vec<String>,
    /// Why the answer is right (Markdown).
    pub explanation: String,
}

/// A whole curriculum: its modules in order, each with its lessons, cases and questions in order. Built only by
/// [`import`], so every reference in it resolves and every question's answer is among its choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curriculum {
    modules: Vec<Module>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    id: EntryId,
    order: u16,
    text: Localized<ModuleText>,
    lessons: Vec<Lesson>,
    cases: Vec<Case>,
    questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    id: EntryId,
    module: EntryId,
    order: u16,
    minutes: u16,
    text: Localized<LessonText>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    id: EntryId,
    module: EntryId,
    order: u16,
    lessons: Vec<EntryId>,
    emotion: Emotion,
    complaint_type: Option<ComplaintType>,
    text: Localized<CaseText>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    id: EntryId,
    module: EntryId,
    order: u16,
    lesson: EntryId,
    question_type: QuestionType,
    choice_count: usize,
    /// Distinct, in letter order, each below `choice_count`; exactly one for a single-choice question.
    answer: Vec<Choice>,
    text: Localized<QuestionText>,
}

impl Curriculum {
    pub fn modules(&self) -> &[Module] {
        &self.modules
    }

    pub fn module(&self, id: &str) -> Option<&Module> {
        self.modules.iter().find(|module| module.id.as_str() == id)
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.modules.iter().flat_map(|module| &module.lessons).find(|lesson| lesson.id.as_str() == id)
    }

    pub fn case(&self, id: &str) -> Option<&Case> {
        self.modules.iter().flat_map(|module| &module.cases).find(|case| case.id.as_str() == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.modules.iter().flat_map(|module| &module.questions).find(|question| question.id.as_str() == id)
    }
}

impl Module {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    pub fn order(&self) -> u16 {
        self.order
    }

    pub fn text(&self) -> &Localized<ModuleText> {
        &self.text
    }

    pub fn lessons(&self) -> &[Lesson] {
        &self.lessons
    }

    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// The module's quiz, in order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }
}

impl Lesson {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    pub fn module(&self) -> &EntryId {
        &self.module
    }

    pub fn order(&self) -> u16 {
        self.order
    }

    /// Estimated study time.
    pub fn minutes(&self) -> u16 {
        self.minutes
    }

    pub fn text(&self) -> &Localized<LessonText> {
        &self.text
    }
}

impl Case {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    pub fn module(&self) -> &EntryId {
        &self.module
    }

    pub fn order(&self) -> u16 {
        self.order
    }

    /// The lessons of its module that the case illustrates.
    pub fn lessons(&self) -> &[EntryId] {
        &self.lessons
    }

    /// The customer's emotion when the excerpt starts.
    pub fn emotion(&self) -> Emotion {
        self.emotion
    }

    pub fn complaint_type(&self) -> Option<ComplaintType> {
        self.complaint_type
    }

    pub fn text(&self) -> &Localized<CaseText> {
        &self.text
    }
}

impl Question {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    pub fn module(&self) -> &EntryId {
        &self.module
    }

    pub fn order(&self) -> u16 {
        self.order
    }

    /// The lesson of its module that the question tests (to send a learner back to it).
    pub fn lesson(&self) -> &EntryId {
        &self.lesson
    }

    pub fn question_type(&self) -> QuestionType {
        self.question_type
    }

    /// How many choices it has, in every language.
    pub fn choice_count(&self) -> usize {
        self.choice_count
    }

    /// The right choices, in letter order.
    pub fn answer(&self) -> &[Choice] {
        &self.answer
    }

    pub fn text(&self) -> &Localized<QuestionText> {
        &self.text
    }
}

/// The result of answering one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// Exactly the right choices were chosen.
    pub correct: bool,
    /// From 0 to 1. A single-choice question scores 1 or 0; a multiple-choice one scores the right choices
    /// picked minus the wrong ones, over the number of right choices, never below 0 — so ticking every box
    /// earns nothing.
    pub score: f64,
    /// Right choices that were not chosen, in letter order.
    pub missed: Vec<Choice>,
    /// Chosen choices that are not right (including any the question does not have), in letter order.
    pub wrong: Vec<Choice>,
}

/// Grades an answer to `question`. Choosing a choice twice counts once.
pub fn grade(question: &Question, chosen: &[Choice]) -> Grade {
    let chosen: BTreeSet<Choice> = chosen.iter().copied().collect();
    let missed: Vec<Choice> = question.answer.iter().copied().filter(|c| !chosen.contains(c)).collect();
    let wrong: Vec<Choice> = chosen.iter().copied().filter(|c| !question.answer.contains(c)).collect();
    let correct = missed.is_empty() && wrong.is_empty();
    let score = match question.question_type {
        QuestionType::Single => f64::from(u8::from(correct)),
        QuestionType::Multiple => {
            let right = question.answer.len() - missed.len();
            right.saturating_sub(wrong.len()) as f64 / question.answer.len() as f64
        }
    };
    Grade { correct, score, missed, wrong }
}

// ----- files -----

/// A file's front matter as written, unchecked. The field order is the order of the keys in exported files.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lesson: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lessons: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minutes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    objectives: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emotion: Option<Emotion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    complaint_type: Option<ComplaintType>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    question_type: Option<QuestionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    choices: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<Vec<String>>,
}

/// Every key a front matter may hold (which apply depends on `kind`).
const KEYS: &[&str] = &[
    "id",
    "kind",
    "lang",
    "module",
    "order",
    "lesson",
    "lessons",
    "title",
    "minutes",
    "summary",
    "objectives",
    "emotion",
    "complaint_type",
    "type",
    "prompt",
    "choices",
    "answer",
];

/// What the language variants of an item must agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shared {
    Module {
        order: u16,
    },
    Lesson {
        module: EntryId,
        order: u16,
        minutes: u16,
    },
    Case {
        module: EntryId,
        order: u16,
        lessons: Vec<EntryId>,
        emotion: Emotion,
        complaint_type: Option<ComplaintType>,
    },
    Question {
        module: EntryId,
        order: u16,
        lesson: EntryId,
        question_type: QuestionType,
        choices: usize,
        answer: Vec<Choice>,
    },
}

impl Shared {
    fn kind(&self) -> Kind {
        match self {
            Shared::Module { .. } => Kind::Module,
            Shared::Lesson { .. } => Kind::Lesson,
            Shared::Case { .. } => Kind::Case,
            Shared::Question { .. } => Kind::Question,
        }
    }

    fn module(&self) -> Option<&EntryId> {
        match self {
            Shared::Module { .. } => None,
            Shared::Lesson { module, .. } | Shared::Case { module, .. } | Shared::Question { module, .. } => {
                Some(module)
            }
        }
    }

    fn order(&self) -> u16 {
        match self {
            Shared::Module { order }
            | Shared::Lesson { order, .. }
            | Shared::Case { order, .. }
            | Shared::Question { order, .. } => *order,
        }
    }

    /// The first key whose value differs from `other`'s (the same kind).
    fn differing_key(&self, other: &Shared) -> Option<&'static str> {
        let pairs: Vec<(&'static str, bool)> = match (self, other) {
            (Shared::Module { order: a }, Shared::Module { order: b }) => vec![("order", a == b)],
            (
                Shared::Lesson { module: m1, order: o1, minutes: n1 },
                Shared::Lesson { module: m2, order: o2, minutes: n2 },
            ) => vec![("module", m1 == m2), ("order", o1 == o2), ("minutes", n1 == n2)],
            (
                Shared::Case { module: m1, order: o1, lessons: l1, emotion: e1, complaint_type: c1 },
                Shared::Case { module: m2, order: o2, lessons: l2, emotion: e2, complaint_type: c2 },
            ) => vec![
                ("module", m1 == m2),
                ("order", o1 == o2),
                ("lessons", l1 == l2),
                ("emotion", e1 == e2),
                ("complaint_type", c1 == c2),
            ],
            (
                Shared::Question { module: m1, order: o1, lesson: l1, question_type: t1, choices: c1, answer: a1 },
                Shared::Question { module: m2, order: o2, lesson: l2, question_type: t2, choices: c2, answer: a2 },
            ) => vec![
                ("module", m1 == m2),
                ("order", o1 == o2),
                ("lesson", l1 == l2),
                ("type", t1 == t2),
                ("choices", c1 == c2),
                ("answer", a1 == a2),
            ],
            _ => vec![("kind", false)],
        };
        pairs.into_iter().find(|(_, same)| !same).map(|(key, _)| key)
    }
}

/// One language's text of an item.
#[derive(Debug, Clone)]
enum Text {
    Module(ModuleText),
    Lesson(LessonText),
    Case(CaseText),
    Question(QuestionText),
}

/// One parsed file: an item in one language, and where its keys are.
#[derive(Debug)]
struct Parsed {
    file: String,
    id: EntryId,
    lang: Language,
    shared: Shared,
    text: Text,
    key_lines: Vec<(String, usize)>,
}

impl Parsed {
    fn line(&self, key: &str) -> usize {
        line_of_key(&self.key_lines, key)
    }

    fn error(&self, key: &str, message: String) -> ImportError {
        ImportError { file: self.file.clone(), line: Some(self.line(key)), field: key.to_owned(), message }
    }

    fn place(&self, key: &str) -> String {
        format!("{}:{}", self.file, self.line(key))
    }
}

use crate::front_matter::line_of_key;

/// Characters that reorder or hide how text is displayed (the "Trojan source" trick, and the invisible
/// direction marks): refused everywhere.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn forbidden_char(text: &str, allow_tab: bool) -> Option<char> {
    text.chars().find(|&c| (c.is_control() && !(allow_tab && c == '\t')) || is_bidi_control(c))
}

/// A problem inside one file, before it is placed at a line: a key, or a line of the body (1-based, counted in
/// the body after its leading blank lines).
enum Problem {
    Key(&'static str, String),
    Body(usize, String),
}

fn one_line(key: &'static str, text: &str, max_chars: usize) -> Result<String, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Key(key, "is blank".into()));
    }
    if let Some(c) = forbidden_char(text, false) {
        return Err(Problem::Key(key, format!("contains the control character U+{:04X}", u32::from(c))));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(Problem::Key(key, format!("is {chars} characters long; at most {max_chars} are allowed")));
    }
    Ok(text.to_owned())
}

fn list(
    key: &'static str,
    items: Vec<String>,
    count: RangeInclusive<usize>,
    max_chars: usize,
) -> Result<Vec<String>, Problem> {
    if !count.contains(&items.len()) {
        return Err(Problem::Key(
            key,
            format!("has {} items; {} to {} are needed", items.len(), count.start(), count.end()),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(items.len());
    for item in &items {
        let item = one_line(key, item, max_chars).map_err(|problem| match problem {
            Problem::Key(key, message) => Problem::Key(key, format!("item {item:?} {message}")),
            body => body,
        })?;
        if checked.contains(&item) {
            return Err(Problem::Key(key, format!("lists {item:?} twice")));
        }
        checked.push(item);
    }
    Ok(checked)
}

fn required<T>(key: &'static str, value: Option<T>) -> Result<T, Problem> {
    value.ok_or_else(|| Problem::Key(key, "is required".into()))
}

fn id_in(key: &'static str, text: &str) -> Result<EntryId, Problem> {
    EntryId::parse(text.trim()).map_err(|error| Problem::Key(key, error.message))
}

fn number(key: &'static str, value: i64, range: RangeInclusive<i64>) -> Result<u16, Problem> {
    if !range.contains(&value) {
        return Err(Problem::Key(key, format!("is {value}; it must be from {} to {}", range.start(), range.end())));
    }
    Ok(u16::try_from(value).expect("ranges stay within u16"))
}

/// Drops blank lines before the text and whitespace after it. Returns the text and how many lines were dropped
/// at the start (to report lines as the author counts them).
fn trim_block(raw: &str) -> (String, usize) {
    let mut rest = raw;
    let mut skipped = 0;
    while let Some((line, after)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        skipped += 1;
        rest = after;
    }
    if rest.trim().is_empty() {
        return (String::new(), 0);
    }
    (rest.trim_end().to_owned(), skipped)
}

fn check_body(body: &str, max_chars: usize) -> Result<(), Problem> {
    if body.is_empty() {
        return Err(Problem::Body(1, "is empty".into()));
    }
    let chars = body.chars().count();
    if chars > max_chars {
        return Err(Problem::Body(1, format!("is {chars} characters long; at most {max_chars} are allowed")));
    }
    for (index, line) in body.split('\n').enumerate() {
        if line == DELIMITER {
            return Err(Problem::Body(
                index + 1,
                "a line `+++` in the body: the front matter must be one block between the first two `+++` lines".into(),
            ));
        }
        if let Some(c) = forbidden_char(line, true) {
            return Err(Problem::Body(index + 1, format!("contains the control character U+{:04X}", u32::from(c))));
        }
    }
    Ok(())
}

/// Splits a case's body into its conversation (parsed into turns) and three Markdown sections.
fn parse_case_body(lang: Language, body: &str) -> Result<(Vec<Turn>, [String; 3]), Problem> {
    let headings = case_headings(lang);
    let expected = headings.map(|h| format!("## {h}"));
    let listed = expected.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ");
    let lines: Vec<&str> = body.split('\n').collect();
    // The 0-based line index of each heading found, in order.
    let mut starts: Vec<usize> = Vec::with_capacity(4);
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim_end();
        let is_heading = line == "##" || line.starts_with("## ");
        if index == 0 && !is_heading {
            return Err(Problem::Body(
                1,
                format!("a case starts with the heading `{}`; its sections are {listed}", expected[0]),
            ));
        }
        if !is_heading {
            continue;
        }
        match expected.get(starts.len()) {
            Some(next) if line == next => starts.push(index),
            Some(next) => {
                return Err(Problem::Body(
                    index + 1,
                    format!("expected the heading `{next}` here; a case has the sections {listed}, in this order"),
                ));
            }
            None => {
                return Err(Problem::Body(
                    index + 1,
                    format!("a fifth `##` heading; a case has the sections {listed} (use `###` inside a section)"),
                ));
            }
        }
    }
    if let Some(missing) = expected.get(starts.len()) {
        return Err(Problem::Body(lines.len(), format!("the section `{missing}` is missing; a case has {listed}")));
    }
    let mut sections: Vec<(usize, String)> = Vec::with_capacity(4);
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let (text, skipped) = trim_block(&lines[start + 1..end].join("\n"));
        if text.is_empty() {
            return Err(Problem::Body(start + 1, format!("the section `{}` is empty", expected[n])));
        }
        sections.push((start + 2 + skipped, text));
    }
    let (first_line, conversation) = &sections[0];
    let turns =
        parse_turns(lang, conversation).map_err(|(offset, message)| Problem::Body(first_line + offset, message))?;
    let [_, happened, analysis, better] = <[(usize, String); 4]>::try_from(sections).expect("four sections");
    Ok((turns, [happened.1, analysis.1, better.1]))
}

/// The conversation's lines `**顾客**：…` (blank lines between them are fine). Errors carry a 0-based line offset.
fn parse_turns(lang: Language, text: &str) -> Result<Vec<Turn>, (usize, String)> {
    let markers: Vec<String> = Speaker::ALL.iter().map(|s| format!("**{}**", s.label(lang))).collect();
    let mut turns = Vec::new();
    for (offset, line) in text.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let speaker = Speaker::ALL
            .iter()
            .zip(&markers)
            .find_map(|(speaker, marker)| line.strip_prefix(marker.as_str()).map(|rest| (*speaker, rest)));
        let Some((speaker, rest)) = speaker else {
            return Err((
                offset,
                format!(
                    "each line of the conversation starts with a speaker ({}) followed by a colon",
                    markers.join(", ")
                ),
            ));
        };
        let Some(said) = rest.strip_prefix('：').or_else(|| rest.strip_prefix(':')) else {
            return Err((offset, format!("put a colon after {}", markers[speaker as usize])));
        };
        let said = said.trim();
        if said.is_empty() {
            return Err((offset, "a turn says nothing".into()));
        }
        let chars = said.chars().count();
        if chars > TURN_MAX_CHARS {
            return Err((offset, format!("a turn is {chars} characters long; at most {TURN_MAX_CHARS} are allowed")));
        }
        turns.push(Turn { speaker, text: said.to_owned() });
    }
    if !TURNS.contains(&turns.len()) {
        return Err((0, format!("has {} turns; {} to {} are needed", turns.len(), TURNS.start(), TURNS.end())));
    }
    Ok(turns)
}

fn turn_line(lang: Language, turn: &Turn) -> String {
    let colon = if lang == Language::En { ": " } else { "：" };
    format!("**{}**{colon}{}", turn.speaker.label(lang), turn.text)
}

/// Checks a file's fields for its kind and builds the item. Keys of other kinds are refused by the caller.
fn build(fields: Fields, body: &str, kind: Kind, lang: Language) -> Result<(Shared, Text), Problem> {
    let Fields {
        module,
        order,
        lesson,
        lessons,
        title,
        minutes,
        summary,
        objectives,
        emotion,
        complaint_type,
        question_type,
        prompt,
        choices,
        answer,
        ..
    } = fields;
    let order = number("order", required("order", order)?, ORDER)?;
    let module = module.as_deref().map(|m| id_in("module", m)).transpose()?;
    let (body, skipped) = trim_block(body);
    let shift = |problem: Problem| match problem {
        Problem::Body(line, message) => Problem::Body(line + skipped, message),
        key => key,
    };
    let max_body = if kind == Kind::Question { EXPLANATION_MAX_CHARS } else { BODY_MAX_CHARS };
    check_body(&body, max_body).map_err(shift)?;
    Ok(match kind {
        Kind::Module => (
            Shared::Module { order },
            Text::Module(ModuleText {
                title: one_line("title", &required("title", title)?, TITLE_MAX_CHARS)?,
                summary: one_line("summary", &required("summary", summary)?, SUMMARY_MAX_CHARS)?,
                objectives: list(
                    "objectives",
                    required("objectives", objectives)?,
                    1..=MAX_OBJECTIVES,
                    OBJECTIVE_MAX_CHARS,
                )?,
                body,
            }),
        ),
        Kind::Lesson => (
            Shared::Lesson {
                module: required("module", module)?,
                order,
                minutes: number("minutes", required("minutes", minutes)?, MINUTES)?,
            },
            Text::Lesson(LessonText { title: one_line("title", &required("title", title)?, TITLE_MAX_CHARS)?, body }),
        ),
        Kind::Case => {
            let lessons = required("lessons", lessons)?;
            if !CASE_LESSONS.contains(&lessons.len()) {
                return Err(Problem::Key(
                    "lessons",
                    format!(
                        "has {} items; {} to {} are needed",
                        lessons.len(),
                        CASE_LESSONS.start(),
                        CASE_LESSONS.end()
                    ),
                ));
            }
            let mut ids: Vec<EntryId> = Vec::with_capacity(lessons.len());
            for lesson in &lessons {
                let lesson = id_in("lessons", lesson)?;
                if ids.contains(&lesson) {
                    return Err(Problem::Key("lessons", format!("lists {lesson} twice")));
                }
                ids.push(lesson);
            }
            let title = one_line("title", &required("title", title)?, TITLE_MAX_CHARS)?;
            let (conversation, [happened, analysis, better]) = parse_case_body(lang, &body).map_err(shift)?;
            (
                Shared::Case {
                    module: required("module", module)?,
                    order,
                    lessons: ids,
                    emotion: required("emotion", emotion)?,
                    complaint_type,
                },
                Text::Case(CaseText { title, conversation, happened, analysis, better }),
            )
        }
        Kind::Question => {
            let question_type = required("type", question_type)?;
            let prompt = one_line("prompt", &required("prompt", prompt)?, PROMPT_MAX_CHARS)?;
            let choices = list("choices", required("choices", choices)?, CHOICES, CHOICE_MAX_CHARS)?;
            let written = required("answer", answer)?;
            let last = Choice::from_index(choices.len() - 1).expect("at most six choices");
            let mut answer: Vec<Choice> = Vec::with_capacity(written.len());
            for letter in &written {
                let choice = Choice::parse(letter.trim()).filter(|c| c.index() < choices.len()).ok_or_else(|| {
                    Problem::Key(
                        "answer",
                        format!("{letter:?} is not one of the choices: write a letter from \"A\" to \"{last}\""),
                    )
                })?;
                if answer.contains(&choice) {
                    return Err(Problem::Key("answer", format!("lists {choice} twice")));
                }
                answer.push(choice);
            }
            answer.sort();
            match (question_type, answer.len()) {
                (_, 0) => return Err(Problem::Key("answer", "is empty: give the letter of the right choice".into())),
                (QuestionType::Single, n) if n > 1 => {
                    return Err(Problem::Key(
                        "answer",
                        format!(
                            "lists {n} choices, but a type = \"single\" question has one right choice (use \"multiple\")"
                        ),
                    ));
                }
                _ => {}
            }
            (
                Shared::Question {
                    module: required("module", module)?,
                    order,
                    lesson: id_in("lesson", &required("lesson", lesson)?)?,
                    question_type,
                    choices: choices.len(),
                    answer,
                },
                Text::Question(QuestionText { prompt, choices, explanation: body }),
            )
        }
    })
}

/// Parses one file into an item in one language. A UTF-8 BOM and CRLF line ends are accepted.
fn parse_file(file: &str, text: &str) -> Result<Parsed, ImportError> {
    let error = |line: usize, field: &str, message: String| front_matter::error_at(file, line, field, message);
    let front_matter::Document { fields, body, close_line, key_lines } =
        front_matter::read::<Fields>(file, text, KEYS, FRONT_MATTER_MAX_BYTES)?;
    let body = body.as_str();
    let key_line = |key: &str| line_of_key(&key_lines, key);
    let place = |problem: Problem| match problem {
        Problem::Key(key, message) => error(key_line(key), key, message),
        Problem::Body(line, message) => error(close_line + line, "body", message),
    };

    let id = required("id", fields.id.as_deref()).and_then(|id| id_in("id", id)).map_err(place)?;
    let kind = required("kind", fields.kind).map_err(place)?;
    let lang = required("lang", fields.lang).map_err(place)?;
    let (keys, optional) = kind.keys();
    if let Some((key, line)) =
        key_lines.iter().find(|(key, _)| !keys.contains(&key.as_str()) && !optional.contains(&key.as_str()))
    {
        return Err(error(
            *line,
            key,
            format!(
                "does not belong to a kind = {:?} file; its keys are: {}",
                kind.as_str(),
                [keys, optional].concat().join(", ")
            ),
        ));
    }
    if let Some(missing) = keys.iter().find(|key| !key_lines.iter().any(|(k, _)| k == *key)) {
        return Err(error(1, missing, format!("is required in a kind = {:?} file", kind.as_str())));
    }
    let (shared, item_text) = build(fields, body, kind, lang).map_err(place)?;

    let expected = path_of(kind, &id, shared.module().unwrap_or(&id), lang);
    let components: Vec<&str> = file.split(['/', '\\']).collect();
    let name = components.last().copied().unwrap_or(file);
    let expected_name = expected.rsplit('/').next().unwrap_or_default();
    if name.ends_with(".md") && name != expected_name {
        return Err(error(
            key_line("id"),
            "file name",
            format!("{name:?} does not match the file: expected {expected_name:?}"),
        ));
    }
    let path = components.join("/");
    if components.contains(&"modules") && path != expected && !path.ends_with(&format!("/{expected}")) {
        let key = if kind == Kind::Module { "id" } else { "module" };
        return Err(error(
            key_line(key),
            "file name",
            format!("{path:?} is not where this file belongs: the path must end in {expected:?}"),
        ));
    }
    Ok(Parsed { file: file.to_owned(), id, lang, shared, text: item_text, key_lines })
}

/// Where an item's file lives, relative to `content/training/`.
fn path_of(kind: Kind, id: &EntryId, module: &EntryId, lang: Language) -> String {
    match kind {
        Kind::Module => format!("modules/{module}/module.{lang}.md"),
        _ => format!("modules/{module}/{}/{id}.{lang}.md", kind.folder()),
    }
}

/// Imports a curriculum from its files, `(name, text)` — every file under `content/training/modules/`. All or
/// nothing: either the whole curriculum or every problem found, each as `file:line: field: message` — in a file
/// (syntax, a missing or unknown key, a value out of range, an answer that is not among the choices, a case
/// without its sections…) and across files (an id defined twice in one language or as two kinds, language variants
/// that disagree, a reference to a module or lesson that does not exist, two siblings with the same order).
///
/// A file's name must be `<id>.<lang>.md` (`module.<lang>.md` for a module) and, when its path has a `modules`
/// folder, the path from there must be `modules/<module>/<lessons|cases|quiz>/…` as [`export`] writes it.
pub fn import(files: &[(String, String)]) -> Result<Curriculum, Vec<ImportError>> {
    let mut parsed = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for (name, text) in files {
        if !name.ends_with(".md") {
            errors.push(ImportError {
                file: name.clone(),
                line: None,
                field: "file name".into(),
                message: "is not a Markdown file (.md)".into(),
            });
            continue;
        }
        match parse_file(name, text) {
            Ok(file) => parsed.push(file),
            Err(error) => errors.push(error),
        }
    }

    // Items by id, in the order first seen; each item's variants in file order.
    let mut order_of_ids: Vec<&EntryId> = Vec::new();
    let mut items: HashMap<&EntryId, Vec<&Parsed>> = HashMap::new();
    for this in &parsed {
        let variants = items.entry(&this.id).or_insert_with(|| {
            order_of_ids.push(&this.id);
            Vec::new()
        });
        let Some(first) = variants.first().copied() else {
            variants.push(this);
            continue;
        };
        if let Some(same) = variants.iter().find(|v| v.lang == this.lang) {
            errors.push(
                this.error("id", format!("{} ({}) is already defined at {}", this.id, this.lang, same.place("id"))),
            );
        } else if first.shared.kind() != this.shared.kind() {
            errors.push(this.error(
                "kind",
                format!(
                    "{} is a {} here but a {} at {}: the language variants of an item share its kind",
                    this.id,
                    this.shared.kind(),
                    first.shared.kind(),
                    first.place("kind")
                ),
            ));
        } else if let Some(key) = first.shared.differing_key(&this.shared) {
            errors.push(this.error(
                key,
                format!(
                    "differs from {} ({}) at {}: the language variants of an item share their {key}",
                    first.id,
                    first.lang,
                    first.place(key)
                ),
            ));
        } else {
            variants.push(this);
        }
    }

    // References, and siblings' order: checked on each item's first variant.
    let firsts: Vec<&Parsed> = order_of_ids.iter().map(|id| items[id][0]).collect();
    let kind_of = |id: &str| firsts.iter().find(|p| p.id.as_str() == id).map(|p| p.shared.kind());
    let mut orders: HashMap<(Option<&EntryId>, Kind, u16), &Parsed> = HashMap::new();
    for this in &firsts {
        let kind = this.shared.kind();
        if let Some(module) = this.shared.module() {
            match kind_of(module.as_str()) {
                Some(Kind::Module) => {}
                Some(other) => errors.push(this.error("module", format!("{module} is a {other}, not a module"))),
                None => errors.push(this.error("module", format!("{module} is not a module of this curriculum"))),
            }
        }
        let references: Vec<(&str, &EntryId)> = match &this.shared {
            Shared::Case { lessons, .. } => lessons.iter().map(|l| ("lessons", l)).collect(),
            Shared::Question { lesson, .. } => vec![("lesson", lesson)],
            _ => Vec::new(),
        };
        for (key, lesson) in references {
            let target = firsts.iter().find(|p| p.id == *lesson);
            match target {
                Some(p) if p.shared.kind() == Kind::Lesson && p.shared.module() == this.shared.module() => {}
                Some(p) if p.shared.kind() == Kind::Lesson => errors.push(this.error(
                    key,
                    format!(
                        "{lesson} is a lesson of module {}, not of this one",
                        p.shared.module().expect("a lesson has a module")
                    ),
                )),
                Some(p) => errors.push(this.error(key, format!("{lesson} is a {}, not a lesson", p.shared.kind()))),
                None => errors.push(this.error(key, format!("{lesson} is not a lesson of this curriculum"))),
            }
        }
        let slot = (this.shared.module(), kind, this.shared.order());
        if let Some(taken) = orders.get(&slot) {
            errors.push(this.error(
                "order",
                format!(
                    "{} is also the order of {} at {}: siblings of one kind each have their own order",
                    slot.2,
                    taken.id,
                    taken.place("order")
                ),
            ));
        } else {
            orders.insert(slot, this);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut modules: Vec<Module> = Vec::new();
    for first in firsts.iter().filter(|p| p.shared.kind() == Kind::Module) {
        modules.push(Module {
            id: first.id.clone(),
            order: first.shared.order(),
            text: localized(&items[&first.id], |text| match text {
                Text::Module(text) => Some(text),
                _ => None,
            }),
            lessons: Vec::new(),
            cases: Vec::new(),
            questions: Vec::new(),
        });
    }
    for first in &firsts {
        let variants = &items[&first.id];
        let Some(module) = modules.iter_mut().find(|m| Some(&m.id) == first.shared.module()) else { continue };
        let (id, module_id) = (first.id.clone(), module.id.clone());
        match &first.shared {
            Shared::Module { .. } => {}
            Shared::Lesson { order, minutes, .. } => module.lessons.push(Lesson {
                id,
                module: module_id,
                order: *order,
                minutes: *minutes,
                text: localized(variants, |text| match text {
                    Text::Lesson(text) => Some(text),
                    _ => None,
                }),
            }),
            Shared::Case { order, lessons, emotion, complaint_type, .. } => module.cases.push(Case {
                id,
                module: module_id,
                order: *order,
                lessons: lessons.clone(),
                emotion: *emotion,
                complaint_type: *complaint_type,
                text: localized(variants, |text| match text {
                    Text::Case(text) => Some(text),
                    _ => None,
                }),
            }),
            Shared::Question { order, lesson, question_type, choices, answer, .. } => module.questions.push(Question {
                id,
                module: module_id,
                order: *order,
                lesson: lesson.clone(),
                question_type: *question_type,
                choice_count: *choices,
                answer: answer.clone(),
                text: localized(variants, |text| match text {
                    Text::Question(text) => Some(text),
                    _ => None,
                }),
            }),
        }
    }
    modules.sort_by_key(|m| m.order);
    for module in &mut modules {
        module.lessons.sort_by_key(|l| l.order);
        module.cases.sort_by_key(|c| c.order);
        module.questions.sort_by_key(|q| q.order);
    }
    Ok(Curriculum { modules })
}

/// An item's texts from its variants (all of one kind, checked by [`import`]), in the order of `Language::ALL`.
fn localized<T: Clone>(variants: &[&Parsed], pick: fn(&Text) -> Option<&T>) -> Localized<T> {
    let mut texts: Vec<(Language, T)> =
        variants.iter().filter_map(|v| pick(&v.text).map(|text| (v.lang, text.clone()))).collect();
    texts.sort_by_key(|(lang, _)| lang.index());
    Localized { variants: texts }
}

/// One file as [`export`] writes it.
fn to_markdown(fields: Fields, body: &str) -> String {
    let front = toml::to_string(&fields).expect("fields are strings, numbers, enums and arrays: always valid TOML");
    format!("{DELIMITER}\n{front}{DELIMITER}\n{body}\n")
}

fn base(id: &EntryId, kind: Kind, lang: Language, module: Option<&EntryId>, order: u16) -> Fields {
    Fields {
        id: Some(id.to_string()),
        kind: Some(kind),
        lang: Some(lang),
        module: module.map(ToString::to_string),
        order: Some(i64::from(order)),
        ..Fields::default()
    }
}

/// The files of a curriculum, `(path relative to content/training/, text)`, one per item and language, modules
/// first; [`import`] reads them back into an equal curriculum.
pub fn export(curriculum: &Curriculum) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for module in &curriculum.modules {
        for (lang, text) in module.text.iter() {
            let fields = Fields {
                title: Some(text.title.clone()),
                summary: Some(text.summary.clone()),
                objectives: Some(text.objectives.clone()),
                ..base(&module.id, Kind::Module, lang, None, module.order)
            };
            files.push((path_of(Kind::Module, &module.id, &module.id, lang), to_markdown(fields, &text.body)));
        }
        for lesson in &module.lessons {
            for (lang, text) in lesson.text.iter() {
                let fields = Fields {
                    title: Some(text.title.clone()),
                    minutes: Some(i64::from(lesson.minutes)),
                    ..base(&lesson.id, Kind::Lesson, lang, Some(&module.id), lesson.order)
                };
                files.push((path_of(Kind::Lesson, &lesson.id, &module.id, lang), to_markdown(fields, &text.body)));
            }
        }
        for case in &module.cases {
            for (lang, text) in case.text.iter() {
                let fields = Fields {
                    lessons: Some(case.lessons.iter().map(ToString::to_string).collect()),
                    title: Some(text.title.clone()),
                    emotion: Some(case.emotion),
                    complaint_type: case.complaint_type,
                    ..base(&case.id, Kind::Case, lang, Some(&module.id), case.order)
                };
                let [conversation, happened, analysis, better] = case_headings(lang);
                let turns: Vec<String> = text.conversation.iter().map(|turn| turn_line(lang, turn)).collect();
                let body = format!(
                    "## {conversation}\n\n{}\n\n## {happened}\n\n{}\n\n## {analysis}\n\n{}\n\n## {better}\n\n{}",
                    turns.join("\n\n"),
                    text.happened,
                    text.analysis,
                    text.better
                );
                files.push((path_of(Kind::Case, &case.id, &module.id, lang), to_markdown(fields, &body)));
            }
        }
        for question in &module.questions {
            for (lang, text) in question.text.iter() {
                let fields = Fields {
                    lesson: Some(question.lesson.to_string()),
                    question_type: Some(question.question_type),
                    prompt: Some(text.prompt.clone()),
                    choices: Some(text.choices.clone()),
                    answer: Some(question.answer.iter().map(ToString::to_string).collect()),
                    ..base(&question.id, Kind::Question, lang, Some(&module.id), question.order)
                };
                files.push((
                    path_of(Kind::Question, &question.id, &module.id, lang),
                    to_markdown(fields, &text.explanation),
                ));
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"+++
id = "communication"
kind = "module"
lang = "zh-Hans"
order = 1
title = "沟通技巧"
summary = "先听懂，再回答。"
objectives = ["复述顾客的问题", "结论先行"]
+++
本模块讲在线文字沟通。
"#;

    const LESSON: &str = r#"+++
id = "comm-listening"
kind = "lesson"
lang = "zh-Hans"
module = "communication"
order = 1
title = "积极倾听"
minutes = 10
+++
让顾客把话说完。

✗ 请耐心等待。
✓ 您是说 10 号前要用，对吗？
"#;

    const CASE: &str = r#"+++
id = "comm-case-size"
kind = "case"
lang = "zh-Hans"
module = "communication"
order = 1
lessons = ["comm-listening"]
title = "尺码问题的愤怒顾客"
emotion = "anger"
complaint_type = "size_spec"
+++
## 对话

**顾客**：又小了一码！

**客服**：亲，尺码表在详情页哦。

## 发生了什么

顾客第二次买错码。

## 分析

客服没有先认可顾客的麻烦。

## 更好的做法

先致歉，再安排免费换码。
"#;

    const QUESTION: &str = r#"+++
id = "comm-q-listening"
kind = "question"
lang = "zh-Hans"
module = "communication"
order = 1
lesson = "comm-listening"
type = "single"
prompt = "顾客说“我 10 号要用”，哪句回复最好？"
choices = ["请耐心等待。", "您是说 10 号前要用，对吗？", "物流不归我们管。"]
answer = ["B"]
+++
复述顾客的关键信息，让顾客知道你听懂了。
"#;

    fn file(name: &str, text: impl Into<String>) -> (String, String) {
        (name.to_owned(), text.into())
    }

    fn en(text: &str) -> String {
        text.replacen("lang = \"zh-Hans\"", "lang = \"en\"", 1)
            .replace("## 对话", "## Conversation")
            .replace("## 发生了什么", "## What happened")
            .replace("## 分析", "## Analysis")
            .replace("## 更好的做法", "## What good looks like")
            .replace("**顾客**：", "**Customer**: ")
            .replace("**客服**：", "**Agent**: ")
    }

    /// A small valid curriculum: one module with a lesson, a case and a question, in zh-Hans and en.
    fn starter() -> Vec<(String, String)> {
        vec![
            file("modules/communication/module.zh-Hans.md", MODULE),
            file("modules/communication/module.en.md", en(MODULE)),
            file("modules/communication/lessons/comm-listening.zh-Hans.md", LESSON),
            file("modules/communication/lessons/comm-listening.en.md", en(LESSON)),
            file("modules/communication/cases/comm-case-size.zh-Hans.md", CASE),
            file("modules/communication/cases/comm-case-size.en.md", en(CASE)),
            file("modules/communication/quiz/comm-q-listening.zh-Hans.md", QUESTION),
            file("modules/communication/quiz/comm-q-listening.en.md", en(QUESTION)),
        ]
    }

    /// `files` with the text of the file named `name` replaced by `text`.
    fn with(mut files: Vec<(String, String)>, name: &str, text: String) -> Vec<(String, String)> {
        let slot = files.iter_mut().find(|(n, _)| n.ends_with(name)).expect("a file of the fixture");
        slot.1 = text;
        files
    }

    fn replaced(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "{from:?}");
        text.replacen(from, to, 1)
    }

    /// Imports `files` and expects exactly one problem: `file:line: field: …needle…`.
    #[track_caller]
    fn refused(files: &[(String, String)], at: &str, field: &str, needle: &str) {
        let errors = import(files).expect_err("should be refused");
        let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 1, "{listed:#?}");
        let error = &errors[0];
        let place = match error.line {
            Some(line) => format!("{}:{line}", error.file),
            None => error.file.clone(),
        };
        assert_eq!((place, error.field.as_str()), (at.to_owned(), field), "{listed:#?}");
        assert!(error.message.contains(needle), "{error} should mention {needle:?}");
        assert!(error.to_string().starts_with(&format!("{at}: {field}: ")), "{error}");
    }

    #[test]
    fn a_curriculum_parses_into_modules_with_their_items() {
        let curriculum = import(&starter()).unwrap();
        let [module] = curriculum.modules() else { panic!("one module") };
        assert_eq!((module.id().as_str(), module.order()), ("communication", 1));
        let text = module.text().get(Language::ZhHans).unwrap();
        assert_eq!((text.title.as_str(), text.objectives.len()), ("沟通技巧", 2));
        assert_eq!(module.text().languages().collect::<Vec<_>>(), [Language::ZhHans, Language::En]);

        let lesson = curriculum.lesson("comm-listening").unwrap();
        assert_eq!((lesson.module().as_str(), lesson.minutes()), ("communication", 10));
        assert!(lesson.text().get(Language::En).unwrap().body.starts_with("让顾客"));

        let case = curriculum.case("comm-case-size").unwrap();
        assert_eq!((case.emotion(), case.complaint_type()), (Emotion::Anger, Some(ComplaintType::SizeSpec)));
        assert_eq!(case.lessons()[0].as_str(), "comm-listening");
        let zh = case.text().get(Language::ZhHans).unwrap();
        assert_eq!(
            zh.conversation,
            [
                Turn { speaker: Speaker::Customer, text: "又小了一码！".into() },
                Turn { speaker: Speaker::Agent, text: "亲，尺码表在详情页哦。".into() },
            ]
        );
        assert_eq!((zh.happened.as_str(), zh.better.as_str()), ("顾客第二次买错码。", "先致歉，再安排免费换码。"));
        assert_eq!(case.text().get(Language::En).unwrap().conversation, zh.conversation);

        let question = curriculum.question("comm-q-listening").unwrap();
        assert_eq!((question.question_type(), question.choice_count()), (QuestionType::Single, 3));
        assert_eq!(question.answer(), [Choice::parse("B").unwrap()]);
        assert_eq!(question.lesson().as_str(), "comm-listening");
        assert!(question.text().get(Language::ZhHans).unwrap().explanation.starts_with("复述"));
        assert!(curriculum.question("comm-listening").is_none() && curriculum.module("nope").is_none());
    }

    #[test]
    fn the_best_variant_falls_back_from_one_chinese_script_to_the_other_then_simplified() {
        let curriculum = import(&starter()[..2]).unwrap();
        let text = curriculum.modules()[0].text();
        assert_eq!(text.best(Language::En).0, Language::En);
        assert_eq!(text.best(Language::ZhHant).0, Language::ZhHans);
        let only_en = import(&starter()[1..2]).unwrap();
        assert_eq!(only_en.modules()[0].text().best(Language::ZhHant).0, Language::En);
    }

    #[test]
    fn export_reads_back_unchanged_and_writes_the_hand_written_files() {
        let files = starter();
        let curriculum = import(&files).unwrap();
        let exported = export(&curriculum);
        assert_eq!(import(&exported), Ok(curriculum));
        for (name, text) in &files {
            let out = exported.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} exported"));
            assert_eq!(&out.1, text, "{name}");
        }
        assert_eq!(exported.len(), files.len());
    }

    #[test]
    fn import_is_all_or_nothing_and_lists_every_problem() {
        let files = with(
            with(starter(), "comm-q-listening.en.md", replaced(&en(QUESTION), "[\"B\"]", "[\"E\"]")),
            "module.en.md",
            replaced(&en(MODULE), "order = 1", "order = 0"),
        );
        let errors: Vec<String> = import(&files).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "modules/communication/module.en.md:5: order: is 0; it must be from 1 to 999",
                "modules/communication/quiz/comm-q-listening.en.md:11: answer: \"E\" is not one of the choices: \
                 write a letter from \"A\" to \"C\"",
            ]
        );
        let mut extra = starter();
        extra.push(file("notes.txt", "hello"));
        refused(&extra, "notes.txt", "file name", "not a Markdown file");
    }

    #[test]
    fn front_matter_errors_name_their_line() {
        let broken = |text: String| with(starter(), "comm-listening.zh-Hans.md", text);
        let at = |line: usize| format!("modules/communication/lessons/comm-listening.zh-Hans.md:{line}");
        refused(&broken(replaced(LESSON, "title = \"积极倾听\"", "title = 积极倾听")), &at(7), "front matter", "");
        refused(&broken(replaced(LESSON, "minutes = 10", "minutes = \"ten\"")), &at(8), "minutes", "invalid type");
        refused(&broken(replaced(LESSON, "minutes = 10", "minutes = 600")), &at(8), "minutes", "from 1 to 120");
        refused(
            &broken(replaced(LESSON, "kind = \"lesson\"", "kind = \"lecture\"")),
            &at(3),
            "kind",
            "unknown variant",
        );
        refused(
            &broken(replaced(LESSON, "minutes = 10", "minutes = 10\nauthor = \"me\"")),
            &at(9),
            "author",
            "unknown key",
        );
        refused(
            &broken(replaced(LESSON, "minutes = 10", "minutes = 10\nanswer = [\"A\"]")),
            &at(9),
            "answer",
            "does not belong to a kind = \"lesson\" file",
        );
        refused(&broken(replaced(LESSON, "minutes = 10\n", "")), &at(1), "minutes", "is required");
        refused(&broken(LESSON.replacen("+++\n", "", 1)), &at(1), "front matter", "must start with a line `+++`");
        refused(&broken(LESSON.replace("+++\n让", "让")), &at(1), "front matter", "not closed");
        let long = format!("+++\n{}", "# padding\n".repeat(2_000));
        refused(&broken(long), &at(1), "front matter", "longer than 16384 bytes");
        // A BOM and CRLF line ends are fine.
        let crlf = format!("\u{feff}{}", LESSON.replace('\n', "\r\n"));
        assert_eq!(import(&broken(crlf)), import(&starter()));
    }

    #[test]
    fn hostile_text_is_refused_where_it_is() {
        let lesson = |text: String| with(starter(), "comm-listening.zh-Hans.md", text);
        let at = |line: usize| format!("modules/communication/lessons/comm-listening.zh-Hans.md:{line}");
        refused(&lesson(replaced(LESSON, "积极倾听", "积极\u{202E}倾听")), &at(7), "title", "U+202E");
        refused(&lesson(replaced(LESSON, "积极倾听", "积极\u{2067}倾听")), &at(7), "title", "U+2067");
        refused(&lesson(replaced(LESSON, "✓ 您是说", "✓ \u{202D}您是说")), &at(13), "body", "U+202D");
        refused(&lesson(replaced(LESSON, "让顾客把话说完。", "让顾客\u{0}把话说完。")), &at(10), "body", "U+0000");
        refused(
            &lesson(replaced(LESSON, "让顾客把话说完。\n", "让顾客把话说完。\n+++\n")),
            &at(11),
            "body",
            "a line `+++`",
        );
        let huge = replaced(LESSON, "让顾客把话说完。", &"话".repeat(1_000_000));
        refused(&lesson(huge), &at(10), "body", "at most 20000");
        let at_limit = replaced(
            LESSON,
            "让顾客把话说完。\n\n✗ 请耐心等待。\n✓ 您是说 10 号前要用，对吗？",
            &"话".repeat(BODY_MAX_CHARS),
        );
        assert!(import(&lesson(at_limit)).is_ok());
        refused(
            &lesson(LESSON.split_inclusive('\n').take(9).collect::<String>() + "\n \n"),
            &at(10),
            "body",
            "is empty",
        );

        let question = |text: String| with(starter(), "comm-q-listening.zh-Hans.md", text);
        let long_explanation = replaced(QUESTION, "复述顾客", &"释".repeat(EXPLANATION_MAX_CHARS));
        refused(
            &question(long_explanation),
            "modules/communication/quiz/comm-q-listening.zh-Hans.md:13",
            "body",
            "at most 2000",
        );
    }

    #[test]
    fn questions_must_have_choices_and_an_answer_among_them() {
        let question = |text: String| with(starter(), "comm-q-listening.zh-Hans.md", text);
        let at = |line: usize| format!("modules/communication/quiz/comm-q-listening.zh-Hans.md:{line}");
        let choices = "[\"请耐心等待。\", \"您是说 10 号前要用，对吗？\", \"物流不归我们管。\"]";
        refused(&question(replaced(QUESTION, choices, "[]")), &at(10), "choices", "has 0 items; 2 to 6");
        refused(&question(replaced(QUESTION, choices, "[\"对\"]")), &at(10), "choices", "has 1 items");
        refused(&question(replaced(QUESTION, choices, "[\"对\", \" 对 \"]")), &at(10), "choices", "lists \"对\" twice");
        refused(&question(replaced(QUESTION, choices, "[\"对\", \"  \"]")), &at(10), "choices", "is blank");
        let seven = format!("{:?}", (1..=7).map(|i| i.to_string()).collect::<Vec<_>>());
        refused(&question(replaced(QUESTION, choices, &seven)), &at(10), "choices", "has 7 items");
        refused(
            &question(replaced(QUESTION, "[\"B\"]", "[\"D\"]")),
            &at(11),
            "answer",
            "\"D\" is not one of the choices",
        );
        refused(&question(replaced(QUESTION, "[\"B\"]", "[\"b\"]")), &at(11), "answer", "\"b\" is not one of");
        refused(&question(replaced(QUESTION, "[\"B\"]", "[\"BC\"]")), &at(11), "answer", "not one of the choices");
        refused(&question(replaced(QUESTION, "[\"B\"]", "[]")), &at(11), "answer", "is empty");
        refused(&question(replaced(QUESTION, "[\"B\"]", "[\"B\", \"B\"]")), &at(11), "answer", "lists B twice");
        refused(&question(replaced(QUESTION, "[\"B\"]", "[\"A\", \"B\"]")), &at(11), "answer", "type = \"single\"");
        refused(&question(replaced(QUESTION, "\"single\"", "\"many\"")), &at(8), "type", "unknown variant `many`");
        refused(&question(replaced(QUESTION, "[\"B\"]", "\"B\"")), &at(11), "answer", "invalid type");
    }

    #[test]
    fn cases_have_their_four_sections_and_a_conversation_of_speakers() {
        let case = |text: String| with(starter(), "comm-case-size.zh-Hans.md", text);
        let at = |line: usize| format!("modules/communication/cases/comm-case-size.zh-Hans.md:{line}");
        refused(&case(replaced(CASE, "## 对话\n\n", "")), &at(12), "body", "starts with the heading `## 对话`");
        refused(&case(replaced(CASE, "## 分析", "## 原因")), &at(22), "body", "expected the heading `## 分析`");
        refused(
            &case(CASE.replace("## 更好的做法\n\n先致歉，再安排免费换码。\n", "")),
            &at(24),
            "body",
            "`## 更好的做法` is missing",
        );
        refused(&case(format!("{CASE}\n## 附录\n\nx\n")), &at(30), "body", "a fifth `##` heading");
        refused(&case(replaced(CASE, "顾客第二次买错码。", "")), &at(18), "body", "section `## 发生了什么` is empty");
        refused(
            &case(replaced(CASE, "**客服**：亲", "客服：亲")),
            &at(16),
            "body",
            "starts with a speaker (**顾客**, **客服**",
        );
        refused(&case(replaced(CASE, "**客服**：亲", "**Agent**: 亲")), &at(16), "body", "starts with a speaker");
        refused(&case(replaced(CASE, "**客服**：亲", "**客服** 亲")), &at(16), "body", "put a colon after **客服**");
        refused(
            &case(replaced(CASE, "**客服**：亲，尺码表在详情页哦。", "**客服**： ")),
            &at(16),
            "body",
            "says nothing",
        );
        refused(&case(replaced(CASE, "\n**客服**：亲，尺码表在详情页哦。\n", "")), &at(14), "body", "has 1 turns");
        let sub = parse_file("pasted case", &replaced(CASE, "顾客第二次买错码。", "### 时间线\n\n顾客第二次买错码。"))
            .unwrap();
        let Text::Case(text) = sub.text else { panic!("a case") };
        assert_eq!(text.happened, "### 时间线\n\n顾客第二次买错码。");
        refused(&case(replaced(CASE, "\"anger\"", "\"rage\"")), &at(9), "emotion", "unknown variant `rage`");
        refused(&case(replaced(CASE, "[\"comm-listening\"]", "[]")), &at(7), "lessons", "has 0 items; 1 to 10");
        refused(
            &case(replaced(CASE, "[\"comm-listening\"]", "[\"comm-listening\", \"comm-listening\"]")),
            &at(7),
            "lessons",
            "twice",
        );
        let optional = replaced(CASE, "complaint_type = \"size_spec\"\n", "");
        let no_type = import(&with(
            with(starter(), "comm-case-size.zh-Hans.md", optional.clone()),
            "comm-case-size.en.md",
            en(&optional),
        ))
        .unwrap();
        assert_eq!(no_type.case("comm-case-size").unwrap().complaint_type(), None);
    }

    #[test]
    fn ids_and_file_names_must_match() {
        let lesson = |name: &str, text: String| {
            let mut files = starter();
            files[2] = file(name, text);
            files
        };
        let bad_id = replaced(LESSON, "\"comm-listening\"", "\"Comm Listening\"");
        refused(&lesson("x/comm-listening.zh-Hans.md", bad_id), "x/comm-listening.zh-Hans.md:2", "id", "is not an id");
        refused(
            &lesson("modules/communication/lessons/listening.zh-Hans.md", LESSON.into()),
            "modules/communication/lessons/listening.zh-Hans.md:2",
            "file name",
            "expected \"comm-listening.zh-Hans.md\"",
        );
        refused(
            &lesson("modules/communication/cases/comm-listening.zh-Hans.md", LESSON.into()),
            "modules/communication/cases/comm-listening.zh-Hans.md:5",
            "file name",
            "must end in \"modules/communication/lessons/comm-listening.zh-Hans.md\"",
        );
        refused(
            &lesson("content/training/modules/conflict/lessons/comm-listening.zh-Hans.md", LESSON.into()),
            "content/training/modules/conflict/lessons/comm-listening.zh-Hans.md:5",
            "file name",
            "is not where this file belongs",
        );
        // Outside a `modules` folder only the name is compared (an upload, a scratch directory).
        assert!(import(&lesson("upload/comm-listening.zh-Hans.md", LESSON.into())).is_ok());
        // A checkout that itself lives under a folder named `modules`.
        let nested = "/home/me/modules/anxin/content/training/modules/communication/lessons/comm-listening.zh-Hans.md";
        assert!(import(&lesson(nested, LESSON.into())).is_ok());
        assert!(import(&lesson("pasted lesson", LESSON.into())).is_err());
    }

    #[test]
    fn duplicates_and_disagreeing_variants_are_refused_across_files() {
        let mut twice = starter();
        twice.push(file("more/comm-listening.zh-Hans.md", LESSON));
        refused(
            &twice,
            "more/comm-listening.zh-Hans.md:2",
            "id",
            "comm-listening (zh-Hans) is already defined at modules/communication/lessons/comm-listening.zh-Hans.md:2",
        );
        let mut as_question = starter();
        as_question.push(file(
            "modules/communication/quiz/comm-listening.zh-Hant.md",
            replaced(QUESTION, "comm-q-listening", "comm-listening").replace("zh-Hans", "zh-Hant"),
        ));
        refused(
            &as_question,
            "modules/communication/quiz/comm-listening.zh-Hant.md:3",
            "kind",
            "comm-listening is a question here but a lesson at",
        );
        let answer = with(starter(), "comm-q-listening.en.md", replaced(&en(QUESTION), "[\"B\"]", "[\"C\"]"));
        refused(
            &answer,
            "modules/communication/quiz/comm-q-listening.en.md:11",
            "answer",
            "differs from comm-q-listening (zh-Hans) at modules/communication/quiz/comm-q-listening.zh-Hans.md:11",
        );
        let choices = with(
            starter(),
            "comm-q-listening.en.md",
            replaced(&en(QUESTION), "\"物流不归我们管。\"]", "\"x\", \"y\"]"),
        );
        refused(&choices, "modules/communication/quiz/comm-q-listening.en.md:10", "choices", "share their choices");
        let minutes = with(starter(), "comm-listening.en.md", replaced(&en(LESSON), "minutes = 10", "minutes = 12"));
        refused(&minutes, "modules/communication/lessons/comm-listening.en.md:8", "minutes", "share their minutes");
    }

    #[test]
    fn references_must_resolve_within_the_module_and_orders_differ() {
        let at = |name: &str, line: usize| format!("modules/communication/{name}:{line}");
        let mut no_module = starter();
        no_module.drain(..2);
        let errors = import(&no_module).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .all(|e| e.field == "module" && e.message == "communication is not a module of this curriculum")
        );
        assert_eq!(errors[0].to_string().split(": ").next(), Some(at("lessons/comm-listening.zh-Hans.md", 5).as_str()));

        let lesson_ref = |text: String| {
            with(with(starter(), "comm-q-listening.zh-Hans.md", text.clone()), "comm-q-listening.en.md", en(&text))
        };
        refused(
            &lesson_ref(replaced(QUESTION, "lesson = \"comm-listening\"", "lesson = \"comm-empathy\"")),
            &at("quiz/comm-q-listening.zh-Hans.md", 7),
            "lesson",
            "comm-empathy is not a lesson of this curriculum",
        );
        refused(
            &lesson_ref(replaced(QUESTION, "lesson = \"comm-listening\"", "lesson = \"comm-case-size\"")),
            &at("quiz/comm-q-listening.zh-Hans.md", 7),
            "lesson",
            "comm-case-size is a case, not a lesson",
        );
        let mut module_ref = starter();
        module_ref.remove(3);
        module_ref[2] = file(
            "upload/comm-listening.zh-Hans.md",
            replaced(LESSON, "module = \"communication\"", "module = \"comm-case-size\""),
        );
        let errors: Vec<String> = import(&module_ref).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "upload/comm-listening.zh-Hans.md:5: module: comm-case-size is a case, not a module",
                "modules/communication/cases/comm-case-size.zh-Hans.md:7: lessons: comm-listening is a lesson of \
                 module comm-case-size, not of this one",
                "modules/communication/quiz/comm-q-listening.zh-Hans.md:7: lesson: comm-listening is a lesson of \
                 module comm-case-size, not of this one",
            ]
        );
        // A lesson of another module.
        let mut other = starter();
        let second = |text: &str| text.replace("communication", "conflict").replace("order = 1", "order = 2");
        other.push(file("modules/conflict/module.zh-Hans.md", second(MODULE)));
        other.push(file(
            "modules/conflict/quiz/conf-q.zh-Hans.md",
            second(QUESTION).replace("comm-q-listening", "conf-q"),
        ));
        refused(
            &other,
            "modules/conflict/quiz/conf-q.zh-Hans.md:7",
            "lesson",
            "comm-listening is a lesson of module communication",
        );

        let mut same_order = starter();
        same_order.push(file(
            "modules/communication/lessons/comm-empathy.zh-Hans.md",
            replaced(LESSON, "comm-listening", "comm-empathy"),
        ));
        refused(
            &same_order,
            &at("lessons/comm-empathy.zh-Hans.md", 6),
            "order",
            "1 is also the order of comm-listening at modules/communication/lessons/comm-listening.zh-Hans.md:6",
        );
    }

    #[test]
    fn grading_scores_single_and_multiple_choice() {
        let letters = |text: &str| text.chars().map(|c| Choice::parse(&c.to_string()).unwrap()).collect::<Vec<_>>();
        let curriculum = import(&starter()).unwrap();
        let single = curriculum.question("comm-q-listening").unwrap();
        let check = |question: &Question, chosen: &str, correct: bool, score: f64, missed: &str, wrong: &str| {
            let grade = grade(question, &letters(chosen));
            assert_eq!(grade, Grade { correct, score, missed: letters(missed), wrong: letters(wrong) }, "{chosen}");
        };
        check(single, "B", true, 1.0, "", "");
        check(single, "BB", true, 1.0, "", "");
        check(single, "A", false, 0.0, "B", "A");
        check(single, "AB", false, 0.0, "", "A");
        check(single, "", false, 0.0, "B", "");
        check(single, "F", false, 0.0, "B", "F");

        let multiple = replaced(QUESTION, "\"single\"", "\"multiple\"").replace("[\"B\"]", "[\"C\", \"A\"]");
        let files = with(
            with(starter(), "comm-q-listening.zh-Hans.md", multiple.clone()),
            "comm-q-listening.en.md",
            en(&multiple),
        );
        let curriculum = import(&files).unwrap();
        let multiple = curriculum.question("comm-q-listening").unwrap();
        assert_eq!(multiple.answer(), letters("AC"));
        check(multiple, "CA", true, 1.0, "", "");
        check(multiple, "A", false, 0.5, "C", "");
        check(multiple, "AB", false, 0.0, "C", "B");
        check(multiple, "ABC", false, 0.5, "", "B");
        check(multiple, "B", false, 0.0, "AC", "B");
        assert_eq!(
            export(&curriculum)
                .iter()
                .find(|(n, _)| n.ends_with("comm-q-listening.zh-Hans.md"))
                .unwrap()
                .1
                .lines()
                .nth(10),
            Some("answer = [\"A\", \"C\"]")
        );
    }

    #[test]
    fn choices_are_capital_letters() {
        assert_eq!(Choice::parse("A").map(Choice::index), Some(0));
        assert_eq!(Choice::parse("F").map(Choice::letter), Some('F'));
        for bad in ["G", "a", "", "AB", "1", "Ａ"] {
            assert_eq!(Choice::parse(bad), None, "{bad}");
        }
        assert_eq!(Choice::from_index(6), None);
        assert_eq!(Choice::from_index(2).unwrap().to_string(), "C");
    }

    /// The curriculum in `content/training/modules/` (every file there), as `(path from content/training/, text)`.
    fn shipped_files() -> Vec<(String, String)> {
        use std::path::{Path, PathBuf};

        fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
            for item in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = item.expect("readable directory entry").path();
                if path.is_dir() { collect(&path, found) } else { found.push(path) }
            }
        }

        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content/training");
        let mut paths = Vec::new();
        collect(&root.join("modules"), &mut paths);
        paths.sort();
        paths
            .iter()
            .map(|path| {
                let name = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
                (name, std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            })
            .collect()
    }

    /// The starter curriculum (written alongside this code) imports cleanly, meets the content bar, and is written
    /// exactly as export writes it.
    #[test]
    fn the_starter_curriculum_imports_cleanly_and_meets_the_bar() {
        let files = shipped_files();
        let curriculum = match import(&files) {
            Ok(curriculum) => curriculum,
            Err(errors) => {
                let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{} problem(s) in content/training/:\n{}", listed.len(), listed.join("\n"));
            }
        };
        let modules = curriculum.modules();
        let ids: Vec<&str> = modules.iter().map(|m| m.id().as_str()).collect();
        assert_eq!(
            ids,
            [
                "communication",
                "product-knowledge",
                "system-operations",
                "emotion-management",
                "conflict-management",
                "team-effectiveness"
            ]
        );
        let count = |f: fn(&Module) -> usize| modules.iter().map(f).sum::<usize>();
        let (lessons, cases, questions) =
            (count(|m| m.lessons().len()), count(|m| m.cases().len()), count(|m| m.questions().len()));
        eprintln!(
            "content/training: {} modules, {lessons} lessons, {cases} cases, {questions} questions",
            modules.len()
        );

        let mut problems = Vec::new();
        let mut need_both = |what: &str, id: &EntryId, languages: Vec<Language>| {
            for lang in [Language::ZhHans, Language::En] {
                if !languages.contains(&lang) {
                    problems.push(format!("{what} {id} has no {lang} variant"));
                }
            }
        };
        for module in modules {
            need_both("module", module.id(), module.text().languages().collect());
            for lesson in module.lessons() {
                need_both("lesson", lesson.id(), lesson.text().languages().collect());
            }
            for case in module.cases() {
                need_both("case", case.id(), case.text().languages().collect());
            }
            for question in module.questions() {
                need_both("question", question.id(), question.text().languages().collect());
            }
        }
        for module in modules {
            if module.lessons().len() < 5 || module.cases().len() < 2 || module.questions().len() < 5 {
                problems.push(format!("module {} needs at least 5 lessons, 2 cases and 5 questions", module.id()));
            }
            for lesson in module.lessons() {
                // A real page of teaching, with poor (✗) and better (✓) examples.
                for (lang, text) in lesson.text().iter() {
                    let (chars, min) = (text.body.chars().count(), if lang == Language::En { 2_500 } else { 800 });
                    if chars < min || !text.body.contains('✗') || !text.body.contains('✓') {
                        problems.push(format!(
                            "lesson {} ({lang}): {chars} characters, needs {min} and ✗/✓ examples",
                            lesson.id()
                        ));
                    }
                }
                // The quiz sends a learner back to every lesson.
                if !module.questions().iter().any(|q| q.lesson() == lesson.id()) {
                    problems.push(format!("lesson {} is tested by no question", lesson.id()));
                }
            }
            for case in module.cases() {
                for (lang, text) in case.text().iter() {
                    let speakers: Vec<Speaker> = text.conversation.iter().map(|turn| turn.speaker).collect();
                    if text.conversation.len() < 4
                        || !speakers.contains(&Speaker::Customer)
                        || !speakers.contains(&Speaker::Agent)
                    {
                        problems.push(format!(
                            "case {} ({lang}): the excerpt needs 4 turns with a customer and an agent",
                            case.id()
                        ));
                    }
                }
            }
        }
        let multiple =
            modules.iter().flat_map(|m| m.questions()).filter(|q| q.question_type() == QuestionType::Multiple).count();
        if multiple < 8 {
            problems.push(format!("only {multiple} multiple-choice questions"));
        }
        assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));

        // Written exactly as export writes it: exporting changes no file.
        let exported = export(&curriculum);
        assert_eq!(exported.len(), files.len());
        for (name, text) in &files {
            match exported.iter().find(|(n, _)| n == name) {
                Some((_, out)) => assert_eq!(out, text, "{name} is not written as export writes it"),
                None => panic!("{name} was not exported"),
            }
        }
        assert!(
            lessons >= 30 && cases >= 12 && questions >= 40,
            "{lessons} lessons, {cases} cases, {questions} questions"
        );
        assert_eq!(import(&exported), Ok(curriculum));
    }

    mod round_trip {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::sample::select;

        /// Words that stress quoting and escaping in TOML, and mixed scripts.
        const WORDS: &[&str] = &[
            "退货",
            "運費",
            "size",
            "M码",
            "“引号”",
            "\"quoted\"",
            "it's",
            "back\\slash",
            "#",
            "=",
            "[x]",
            "😀",
            "'''",
            "\"\"\"",
            "**",
        ];
        /// Body pieces: Markdown, HTML, tabs and blank lines (never a `+++` line or a `##` heading in a case).
        const BODY: &[&str] = &[
            "退货",
            "line",
            "\n",
            "\n\n",
            "\t",
            "  ",
            "<b>x</b>",
            "**粗体**",
            "- item",
            "{x}",
            "++",
            "### 小节",
            "😀",
        ];

        fn words(count: std::ops::Range<usize>) -> impl Strategy<Value = String> {
            vec(select(WORDS), count).prop_map(|words| words.join(" "))
        }

        fn body() -> impl Strategy<Value = String> {
            vec(select(BODY), 0..30).prop_map(|pieces| format!("开头{}", pieces.concat()))
        }

        proptest! {
            #[test]
            fn exported_files_read_back_unchanged(
                title in words(1..8),
                lesson_body in body(),
                turns in vec((select(&Speaker::ALL[..]), words(1..6)), 2..6),
                sections in vec(body(), 3),
                prompt in words(1..8),
                choices in vec(words(1..4), 2..=6),
                multiple in any::<bool>(),
                lang in select(Language::ALL),
            ) {
                let mut distinct: Vec<String> = Vec::new();
                for choice in choices {
                    let choice = choice.trim().to_owned();
                    if !distinct.contains(&choice) {
                        distinct.push(choice);
                    }
                }
                prop_assume!(distinct.len() >= 2);
                let fields = |kind: Kind, id: &str| base(&EntryId::parse(id).unwrap(), kind, lang, Some(&EntryId::parse("communication").unwrap()), 1);
                let lesson = to_markdown(Fields { title: Some(title.clone()), minutes: Some(5), ..fields(Kind::Lesson, "lesson-a") }, &lesson_body);
                let [heading, ..] = case_headings(lang);
                let [_, h2, h3, h4] = case_headings(lang);
                let conversation: Vec<String> = turns.iter().map(|(speaker, text)| turn_line(lang, &Turn { speaker: *speaker, text: text.clone() })).collect();
                let case_body = format!("## {heading}\n\n{}\n\n## {h2}\n\n{}\n\n## {h3}\n\n{}\n\n## {h4}\n\n{}", conversation.join("\n\n"), sections[0], sections[1], sections[2]);
                let case = to_markdown(Fields { lessons: Some(vec!["lesson-a".into()]), title: Some(title.clone()), emotion: Some(Emotion::Anxiety), ..fields(Kind::Case, "case-a") }, &case_body);
                let answer = if multiple { vec!["A".to_owned(), "B".to_owned()] } else { vec!["B".to_owned()] };
                let question = to_markdown(Fields {
                    lesson: Some("lesson-a".into()),
                    question_type: Some(if multiple { QuestionType::Multiple } else { QuestionType::Single }),
                    prompt: Some(prompt),
                    choices: Some(distinct),
                    answer: Some(answer),
                    ..fields(Kind::Question, "question-a")
                }, &lesson_body);
                let module = to_markdown(Fields { title: Some(title.clone()), summary: Some(title.clone()), objectives: Some(vec![title]), ..base(&EntryId::parse("communication").unwrap(), Kind::Module, lang, None, 1) }, &lesson_body);
                let files = vec![
                    file(&format!("module.{lang}.md"), module),
                    file(&format!("lesson-a.{lang}.md"), lesson),
                    file(&format!("case-a.{lang}.md"), case),
                    file(&format!("question-a.{lang}.md"), question),
                ];
                let curriculum = import(&files);
                prop_assert!(curriculum.is_ok(), "{:?}\n{:#?}", curriculum, files);
                let curriculum = curriculum.unwrap();
                let exported = export(&curriculum);
                prop_assert_eq!(import(&exported), Ok(curriculum));
                // Exporting the exported files again changes nothing: the format has one spelling of each value.
                let again = export(&import(&exported).unwrap());
                prop_assert_eq!(again, exported);
            }
        }
    }
}
