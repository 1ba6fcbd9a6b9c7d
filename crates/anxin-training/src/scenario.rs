//! Role-play scenarios: one TOML file per simulated customer (persona, order, what they say in each state, model
//! answers), parsed strictly — every problem is reported as `file:line: field: message`, like the knowledge base
//! (`anxin_domain::knowledge`). The format is described in `content/training/scenarios/README.md`.
//!
//! Pure: callers pass file names and text; the starter scenarios are compiled in with `include_str!`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use anxin_text::normalize::Normalized;
use anxin_text::{ComplaintType, Emotion};
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

/// Lengths an id may have, in ASCII characters.
pub const ID_CHARS: std::ops::RangeInclusive<usize> = 3..=64;
pub const TITLE_MAX_CHARS: usize = 80;
pub const BRIEF_MAX_CHARS: usize = 600;
pub const NAME_MAX_CHARS: usize = 20;
pub const BACKGROUND_MAX_CHARS: usize = 400;
pub const ORDER_FIELD_MAX_CHARS: usize = 60;
pub const MAX_FACTS: usize = 10;
pub const FACT_MAX_CHARS: usize = 200;
pub const MAX_FACT_CUES: usize = 30;
pub const FACT_CUE_MAX_CHARS: usize = 20;
/// Every list of customer lines has between 2 and 12 variants, so that seeds vary the conversation.
pub const LINE_VARIANTS: std::ops::RangeInclusive<usize> = 2..=12;
pub const LINE_MAX_CHARS: usize = 300;
pub const MAX_MODEL_ANSWERS: usize = 10;
pub const ANSWER_MAX_CHARS: usize = 400;
/// Patience, in agent replies.
pub const PATIENCE: std::ops::RangeInclusive<u32> = 2..=12;
/// Starting intensity: above 0 and below the escalation limit (1.0).
pub const START_INTENSITY: std::ops::RangeInclusive<f32> = 0.1..=0.99;

/// What a customer needs from the agent before they are satisfied. The training decks: anger needs to be heard
/// and apologised to, anxiety needs exact information and a next step with a time, disappointment needs
/// solutions to choose from; an irrational complaint needs open questions that let the customer be heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The problem and the feeling recognised ("理解您的心情", "是我们发错了").
    Acknowledgement,
    /// A sincere apology.
    Apology,
    /// At least two concrete solutions to choose from.
    Options,
    /// What happens next, by when ("今天下午5点前发出").
    NextStep,
    /// The concrete fact this customer lacks (where the parcel is, the price-guarantee rule …); what counts is
    /// listed per scenario in `fact_cues`.
    Fact,
    /// An open question that lets the customer say what matters most to them.
    Listening,
}

impl Need {
    pub const ALL: &'static [Need] =
        &[Need::Acknowledgement, Need::Apology, Need::Options, Need::NextStep, Need::Fact, Need::Listening];

    pub fn as_str(self) -> &'static str {
        match self {
            Need::Acknowledgement => "acknowledgement",
            Need::Apology => "apology",
            Need::Options => "options",
            Need::NextStep => "next_step",
            Need::Fact => "fact",
            Need::Listening => "listening",
        }
    }

    pub fn parse(text: &str) -> Option<Need> {
        Need::ALL.iter().copied().find(|n| n.as_str() == text)
    }

    /// What a reply lacking this needs to do, in Simplified Chinese (for the debrief).
    pub fn advice(self) -> &'static str {
        match self {
            Need::Acknowledgement => "先接住情绪、确认问题：说出客户遇到了什么、感受如何（如“换作是我也会着急”）。",
            Need::Apology => "我们有责任的地方，真诚地道歉，不要用“但是”把道歉收回去。",
            Need::Options => "给出两个以上具体方案（最好编号），让客户自己选。",
            Need::NextStep => "说清楚下一步做什么、什么时候做完（如“今天下午5点前发出”），不要只说“尽快”。",
            Need::Fact => "给客户一个可以核对的具体事实（位置、金额、规则、原因），而不是泛泛而谈。",
            Need::Listening => "用开放式问题请客户说出最在意的是什么，先听再说。",
        }
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text shown in the UI, in Simplified Chinese and English (Traditional is folded from Simplified by the UI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    #[serde(rename = "zh-Hans")]
    pub zh_hans: String,
    pub en: String,
}

/// Who the simulated customer is and what they need.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Persona {
    pub name: String,
    /// Simplified Chinese, for the trainee's brief.
    pub background: String,
    /// Anger, anxiety or disappointment.
    pub emotion: Emotion,
    /// 0 (calm) to 1 (the escalation limit).
    pub intensity: f32,
    /// How many agent replies the customer waits for a resolution before giving up.
    pub patience: u32,
    /// Threats to go outside (regulator, platform, media, court) already made in the opening.
    pub threats: u32,
    /// In the order the customer presses for them.
    pub needs: Vec<Need>,
    /// Phrases (folded: Simplified, lower-case, half-width) that state the fact this customer needs; empty unless
    /// `needs` contains [`Need::Fact`].
    pub fact_cues: Vec<String>,
}

/// The order as the agent's workspace would show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub number: String,
    pub product: String,
    pub amount: String,
    pub placed: String,
    /// What the agent can look up: warehouse records, policies, what can be offered.
    pub facts: Vec<String>,
}

/// The simulated customer's state after a reply, which picks their next line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerState {
    Calming,
    Stable,
    Escalating,
    Resolved,
    Escalated,
    Abandoned,
}

/// Everything the customer can say. Each list holds 2–12 variants; a seed picks among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerLines {
    pub opening: Vec<String>,
    pub calming: Vec<String>,
    pub stable: Vec<String>,
    pub escalating: Vec<String>,
    /// Said instead of an escalating line when an offended customer is near the limit; each one is a threat.
    pub threatening: Vec<String>,
    pub resolved: Vec<String>,
    pub escalated: Vec<String>,
    pub abandoned: Vec<String>,
    /// What the customer presses for while a need is unmet (appended to the reaction); optional per need.
    pub asks: BTreeMap<Need, Vec<String>>,
}

impl CustomerLines {
    /// The reaction lines of a state.
    pub fn for_state(&self, state: CustomerState) -> &[String] {
        match state {
            CustomerState::Calming => &self.calming,
            CustomerState::Stable => &self.stable,
            CustomerState::Escalating => &self.escalating,
            CustomerState::Resolved => &self.resolved,
            CustomerState::Escalated => &self.escalated,
            CustomerState::Abandoned => &self.abandoned,
        }
    }
}

/// A good agent line for the debrief, and which needs it meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelAnswer {
    pub covers: Vec<Need>,
    pub text: String,
}

/// A validated scenario. Built only by [`Scenario::parse`], so every scenario satisfies the rules in
/// `content/training/scenarios/README.md`: all line lists have 2–12 variants, the model answers together cover
/// every need, fact cues exist exactly when the persona needs a fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    id: String,
    complaint_type: ComplaintType,
    title: Localized,
    brief: Localized,
    persona: Persona,
    order: Order,
    customer: CustomerLines,
    model_answers: Vec<ModelAnswer>,
}

impl Scenario {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn complaint_type(&self) -> ComplaintType {
        self.complaint_type
    }

    pub fn title(&self) -> &Localized {
        &self.title
    }

    pub fn brief(&self) -> &Localized {
        &self.brief
    }

    pub fn persona(&self) -> &Persona {
        &self.persona
    }

    pub fn order(&self) -> &Order {
        &self.order
    }

    pub fn customer(&self) -> &CustomerLines {
        &self.customer
    }

    pub fn model_answers(&self) -> &[ModelAnswer] {
        &self.model_answers
    }

    /// Parses one scenario file. When `file_name`'s last component ends in `.toml` it must be `<id>.toml`. A UTF-8
    /// BOM and CRLF line ends are accepted.
    pub fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioError> {
        parse(file_name, text)
    }
}

/// A problem with a scenario file, as an author reads it: `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based line in the file; `None` when the problem is not at one place (a field that is missing).
    pub line: Option<usize>,
    /// The field's path, as `persona.intensity` or `customer.calming[2]`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}: {}", self.file, self.field, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Parses a set of scenario files, `(name, text)`. All or nothing: every scenario in the order given, or every
/// problem found — in each file, and an id defined twice.
pub fn load(files: &[(String, String)]) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut scenarios: Vec<(Scenario, &str)> = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for (name, text) in files {
        match Scenario::parse(name, text) {
            Ok(scenario) => {
                if let Some((_, first)) = scenarios.iter().find(|(s, _)| s.id == scenario.id) {
                    errors.push(ScenarioError {
                        file: name.clone(),
                        line: id_line(text),
                        field: "id".into(),
                        message: format!("{} is already defined in {first}", scenario.id),
                    });
                } else {
                    scenarios.push((scenario, name));
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() { Ok(scenarios.into_iter().map(|(s, _)| s).collect()) } else { Err(errors) }
}

fn id_line(text: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().starts_with("id")).map(|i| i + 1)
}

/// The scenarios that ship with Anxin (`content/training/scenarios/*.toml`), compiled in.
pub const STARTER_FILES: &[(&str, &str)] = &[
    ("wrong-size-anger.toml", include_str!("../../../content/training/scenarios/wrong-size-anger.toml")),
    ("late-delivery-anxiety.toml", include_str!("../../../content/training/scenarios/late-delivery-anxiety.toml")),
    ("quality-disappointment.toml", include_str!("../../../content/training/scenarios/quality-disappointment.toml")),
    ("price-drop-dispute.toml", include_str!("../../../content/training/scenarios/price-drop-dispute.toml")),
    ("irrational-insults.toml", include_str!("../../../content/training/scenarios/irrational-insults.toml")),
    ("regulator-12315.toml", include_str!("../../../content/training/scenarios/regulator-12315.toml")),
    ("refund-not-arrived.toml", include_str!("../../../content/training/scenarios/refund-not-arrived.toml")),
    ("damaged-on-arrival.toml", include_str!("../../../content/training/scenarios/damaged-on-arrival.toml")),
    ("wrong-item.toml", include_str!("../../../content/training/scenarios/wrong-item.toml")),
    ("cancelled-promotion.toml", include_str!("../../../content/training/scenarios/cancelled-promotion.toml")),
    ("third-time-asking.toml", include_str!("../../../content/training/scenarios/third-time-asking.toml")),
    ("invoice-problem.toml", include_str!("../../../content/training/scenarios/invoice-problem.toml")),
    ("signed-not-received-hk.toml", include_str!("../../../content/training/scenarios/signed-not-received-hk.toml")),
];

static STARTER: LazyLock<Vec<Scenario>> = LazyLock::new(|| {
    let files: Vec<(String, String)> = STARTER_FILES.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    // A test parses every starter file; a broken one cannot reach a build that passed its tests.
    load(&files).unwrap_or_else(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("starter scenarios are invalid:\n{}", list.join("\n"))
    })
});

/// The starter scenarios, parsed once.
pub fn starter() -> &'static [Scenario] {
    &STARTER
}

/// A starter scenario by id.
pub fn starter_scenario(id: &str) -> Option<&'static Scenario> {
    starter().iter().find(|s| s.id == id)
}

// ---------------------------------------------------------------------------------------------------------------
// The file as written

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: String,
    complaint_type: ComplaintType,
    title: Localized,
    brief: Localized,
    persona: RawPersona,
    order: Order,
    customer: RawCustomer,
    model_answer: Vec<RawAnswer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    name: String,
    background: String,
    emotion: Emotion,
    intensity: f64,
    patience: i64,
    #[serde(default)]
    threats: i64,
    needs: Vec<String>,
    #[serde(default)]
    fact_cues: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomer {
    opening: Vec<String>,
    calming: Vec<String>,
    stable: Vec<String>,
    escalating: Vec<String>,
    threatening: Vec<String>,
    resolved: Vec<String>,
    escalated: Vec<String>,
    abandoned: Vec<String>,
    #[serde(default)]
    asks: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnswer {
    covers: Vec<String>,
    text: String,
}

/// A validation problem before it is placed in the file: the field's path and the message.
struct Problem {
    path: String,
    message: String,
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { path: path.into(), message: message.into() }
}

fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let line_of = |offset: usize| 1 + text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count();
    let error = |line: Option<usize>, field: &str, message: String| ScenarioError {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        message,
    };

    let table = DeTable::parse(&text)
        .map_err(|e| error(Some(e.span().map_or(1, |s| line_of(s.start))), "toml", e.message().trim().to_owned()))?;
    let spans = table.get_ref().clone();
    let place = |path: &str| span_of(&spans, path).map(|span| line_of(span.start));

    let raw: RawScenario = serde_path_to_error::deserialize(toml::Deserializer::from(table)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "scenario".to_owned() } else { path };
        let line = e.inner().span().map(|s| line_of(s.start)).or_else(|| place(&field));
        error(line, &field, e.inner().message().trim().to_owned())
    })?;

    let scenario = validate(raw).map_err(|p| error(place(&p.path), &p.path, p.message))?;
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    if name.ends_with(".toml") && name != format!("{}.toml", scenario.id) {
        return Err(error(
            place("id"),
            "file name",
            format!("{name:?} does not match the id: expected \"{}.toml\"", scenario.id),
        ));
    }
    Ok(scenario)
}

/// The byte span of a path such as `customer.calming[2]` in the parsed document: the key of a table field, the
/// item of an array.
fn span_of(table: &DeTable<'_>, path: &str) -> Option<std::ops::Range<usize>> {
    let mut current: Option<&DeValue<'_>> = None;
    let mut span = None;
    for segment in path.split('.') {
        let (key, indices) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        let fields = match current {
            None => table,
            Some(DeValue::Table(t)) => t,
            Some(_) => return span,
        };
        let (k, v) = fields.iter().find(|(k, _)| k.get_ref() == key)?;
        span = Some(k.span());
        current = Some(v.get_ref());
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            let (Ok(i), Some(DeValue::Array(items))) = (index.parse::<usize>(), current) else { return span };
            let item = items.get(i)?;
            span = Some(item.span());
            current = Some(item.get_ref());
        }
    }
    span
}

fn validate(raw: RawScenario) -> Result<Scenario, Problem> {
    let id = check_id(&raw.id)?;
    let title = localized("title", raw.title, TITLE_MAX_CHARS)?;
    let brief = localized("brief", raw.brief, BRIEF_MAX_CHARS)?;
    let persona = persona(raw.persona)?;
    let order = Order {
        number: one_line("order.number", &raw.order.number, ORDER_FIELD_MAX_CHARS)?,
        product: one_line("order.product", &raw.order.product, ORDER_FIELD_MAX_CHARS)?,
        amount: one_line("order.amount", &raw.order.amount, ORDER_FIELD_MAX_CHARS)?,
        placed: one_line("order.placed", &raw.order.placed, ORDER_FIELD_MAX_CHARS)?,
        facts: list("order.facts", &raw.order.facts, 1..=MAX_FACTS, FACT_MAX_CHARS)?,
    };
    let c = raw.customer;
    let lines = |name: &str, items: &[String]| list(&format!("customer.{name}"), items, LINE_VARIANTS, LINE_MAX_CHARS);
    let mut asks = BTreeMap::new();
    for (key, items) in &c.asks {
        let path = format!("customer.asks.{key}");
        let need = Need::parse(key)
            .ok_or_else(|| problem(&path, format!("{key:?} is not a need; the needs are: {}", need_spellings())))?;
        if !persona.needs.contains(&need) {
            return Err(problem(
                &path,
                format!("the persona does not need {key:?}; add it to persona.needs or remove this"),
            ));
        }
        asks.insert(need, list(&path, items, 1..=*LINE_VARIANTS.end(), LINE_MAX_CHARS)?);
    }
    let customer = CustomerLines {
        opening: lines("opening", &c.opening)?,
        calming: lines("calming", &c.calming)?,
        stable: lines("stable", &c.stable)?,
        escalating: lines("escalating", &c.escalating)?,
        threatening: lines("threatening", &c.threatening)?,
        resolved: lines("resolved", &c.resolved)?,
        escalated: lines("escalated", &c.escalated)?,
        abandoned: lines("abandoned", &c.abandoned)?,
        asks,
    };

    if raw.model_answer.is_empty() || raw.model_answer.len() > MAX_MODEL_ANSWERS {
        return Err(problem("model_answer", format!("needs 1 to {MAX_MODEL_ANSWERS} [[model_answer]] tables")));
    }
    let mut model_answers = Vec::with_capacity(raw.model_answer.len());
    for (i, answer) in raw.model_answer.iter().enumerate() {
        let covers = needs(&format!("model_answer[{i}].covers"), &answer.covers)?;
        let text = one_line(&format!("model_answer[{i}].text"), &answer.text, ANSWER_MAX_CHARS)?;
        model_answers.push(ModelAnswer { covers, text });
    }
    if let Some(uncovered) = persona.needs.iter().find(|n| !model_answers.iter().any(|a| a.covers.contains(n))) {
        return Err(problem(
            "model_answer",
            format!("no model answer covers the need {uncovered:?}: the debrief would have nothing to show"),
        ));
    }
    Ok(Scenario { id, complaint_type: raw.complaint_type, title, brief, persona, order, customer, model_answers })
}

fn persona(raw: RawPersona) -> Result<Persona, Problem> {
    let name = one_line("persona.name", &raw.name, NAME_MAX_CHARS)?;
    let background = one_line("persona.background", &raw.background, BACKGROUND_MAX_CHARS)?;
    if !matches!(raw.emotion, Emotion::Anger | Emotion::Anxiety | Emotion::Disappointment) {
        return Err(problem("persona.emotion", "must be one of: anger, anxiety, disappointment"));
    }
    let intensity = raw.intensity as f32;
    if !START_INTENSITY.contains(&intensity) {
        return Err(problem(
            "persona.intensity",
            format!(
                "is {}; it must be between {} and {}",
                raw.intensity,
                START_INTENSITY.start(),
                START_INTENSITY.end()
            ),
        ));
    }
    let patience = u32::try_from(raw.patience).ok().filter(|p| PATIENCE.contains(p)).ok_or_else(|| {
        problem(
            "persona.patience",
            format!("is {}; it must be {} to {} replies", raw.patience, PATIENCE.start(), PATIENCE.end()),
        )
    })?;
    let limit = crate::session::THREAT_LIMIT;
    let threats = u32::try_from(raw.threats).ok().filter(|t| *t < limit).ok_or_else(|| {
        problem(
            "persona.threats",
            format!("is {}; it must be 0 to {} (at {limit} the customer escalates)", raw.threats, limit - 1),
        )
    })?;
    let needs = needs("persona.needs", &raw.needs)?;
    let fact_cues = match (needs.contains(&Need::Fact), raw.fact_cues) {
        (true, Some(cues)) => list("persona.fact_cues", &cues, 1..=MAX_FACT_CUES, FACT_CUE_MAX_CHARS)?
            .iter()
            .map(|cue| Normalized::new(cue).as_str().to_owned())
            .collect(),
        (true, None) => {
            return Err(problem(
                "persona.needs",
                "contains \"fact\": list the phrases that state it in persona.fact_cues",
            ));
        }
        (false, Some(_)) => {
            return Err(problem("persona.fact_cues", "is only for a persona whose needs contain \"fact\""));
        }
        (false, None) => Vec::new(),
    };
    Ok(Persona { name, background, emotion: raw.emotion, intensity, patience, threats, needs, fact_cues })
}

fn need_spellings() -> String {
    Need::ALL.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
}

fn needs(path: &str, items: &[String]) -> Result<Vec<Need>, Problem> {
    if items.is_empty() {
        return Err(problem(path, "is empty: list at least one need"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let need = Need::parse(item.trim()).ok_or_else(|| {
            problem(format!("{path}[{i}]"), format!("{item:?} is not a need; the needs are: {}", need_spellings()))
        })?;
        if out.contains(&need) {
            return Err(problem(format!("{path}[{i}]"), format!("lists {item:?} twice")));
        }
        out.push(need);
    }
    Ok(out)
}

fn check_id(text: &str) -> Result<String, Problem> {
    let allowed = text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !allowed || !ID_CHARS.contains(&text.len()) || text.starts_with('-') || text.ends_with('-') {
        return Err(problem(
            "id",
            format!(
                "{text:?} is not an id: use 3 to 64 lowercase ASCII letters, digits and hyphens, starting and ending \
                 with a letter or digit"
            ),
        ));
    }
    Ok(text.to_owned())
}

fn localized(path: &str, raw: Localized, max_chars: usize) -> Result<Localized, Problem> {
    Ok(Localized {
        zh_hans: one_line(&format!("{path}.zh-Hans"), &raw.zh_hans, max_chars)?,
        en: one_line(&format!("{path}.en"), &raw.en, max_chars)?,
    })
}

/// Characters that reorder how text is displayed: refused everywhere.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn one_line(path: &str, text: &str, max_chars: usize) -> Result<String, Problem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(problem(path, "is blank"));
    }
    if let Some(c) = text.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        return Err(problem(path, format!("contains the control character U+{:04X}", u32::from(c))));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(problem(path, format!("is {chars} characters long; at most {max_chars} are allowed")));
    }
    Ok(text.to_owned())
}

fn list(
    path: &str,
    items: &[String],
    count: std::ops::RangeInclusive<usize>,
    max_chars: usize,
) -> Result<Vec<String>, Problem> {
    if !count.contains(&items.len()) {
        return Err(problem(
            path,
            format!(
                "has {} item{}; it needs {} to {}",
                items.len(),
                if items.len() == 1 { "" } else { "s" },
                count.start(),
                count.end()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item = one_line(&format!("{path}[{i}]"), item, max_chars)?;
        if out.contains(&item) {
            return Err(problem(format!("{path}[{i}]"), format!("repeats {item:?}")));
        }
        out.push(item);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_starter_scenario_parses_and_they_cover_the_brief() {
        let all = starter();
        assert!(all.len() >= 12, "{} scenarios", all.len());
        for id in [
            "wrong-size-anger",
            "late-delivery-anxiety",
            "quality-disappointment",
            "price-drop-dispute",
            "irrational-insults",
            "regulator-12315",
        ] {
            assert!(starter_scenario(id).is_some(), "{id} is missing");
        }
        for emotion in [Emotion::Anger, Emotion::Anxiety, Emotion::Disappointment] {
            assert!(all.iter().any(|s| s.persona().emotion == emotion), "no {emotion} persona");
        }
    }

    fn minimal() -> String {
        STARTER_FILES.iter().find(|(n, _)| *n == "wrong-size-anger.toml").map(|(_, t)| (*t).to_owned()).expect("file")
    }

    /// Replaces the first occurrence of `from`, which must exist.
    fn edit(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "{from:?} not in the file");
        text.replacen(from, to, 1)
    }

    fn error(name: &str, text: &str) -> String {
        Scenario::parse(name, text).expect_err("must be refused").to_string()
    }

    #[test]
    fn problems_name_file_line_and_field() {
        let base = minimal();
        let line = |needle: &str| base.lines().position(|l| l.contains(needle)).expect("needle") + 1;
        let name = "wrong-size-anger.toml";
        let cases: Vec<(String, String)> = vec![
            (
                edit(&base, "intensity = 0.8", "intensity = 1.5"),
                format!("{name}:{}: persona.intensity: is 1.5", line("intensity = 0.8")),
            ),
            (
                edit(&base, "intensity = 0.8", "intensity = \"high\""),
                format!("{name}:{}: persona.intensity: invalid type", line("intensity = 0.8")),
            ),
            (
                edit(&base, "patience = 6", "patience = 40"),
                format!("{name}:{}: persona.patience: is 40", line("patience = 6")),
            ),
            (
                edit(&base, "emotion = \"anger\"", "emotion = \"satisfied\""),
                format!("{name}:{}: persona.emotion: must be one of", line("emotion = \"anger\"")),
            ),
            (
                edit(&base, "emotion = \"anger\"", "emotion = \"rage\""),
                format!("{name}:{}: persona.emotion: unknown variant", line("emotion = \"anger\"")),
            ),
            (
                edit(&base, "\"options\", \"next_step\"]", "\"options\", \"nextstep\"]"),
                format!("{name}:{}: persona.needs[3]: \"nextstep\" is not a need", line("needs = [")),
            ),
            (
                edit(&base, "\"options\", \"next_step\"]", "\"options\", \"options\"]"),
                format!("{name}:{}: persona.needs[3]: lists \"options\" twice", line("needs = [")),
            ),
            (
                edit(&base, "needs = [\"acknowledgement\",", "needs = [\"fact\", \"acknowledgement\","),
                format!("{name}:{}: persona.needs: contains \"fact\"", line("needs = [")),
            ),
            (
                edit(&base, "patience = 6", "patience = 6\nmood = \"bad\""),
                format!("{name}:{}: persona.mood: unknown field", line("patience = 6") + 1),
            ),
            (
                edit(&base, "  \"嗯。\",\n  \"然后呢？\",\n  \"我不想听客套话。\",\n", ""),
                format!("{name}:{}: customer.stable: has 1 item; it needs 2 to 12", line("stable = [")),
            ),
            (
                edit(&base, "  \"嗯。\",\n", "  \"你说的这些我知道。\",\n"),
                format!("{name}:{}: customer.stable[1]: repeats", line("\"嗯。\",")),
            ),
            (
                edit(&base, "  \"然后呢？\",\n", "  \"  \",\n"),
                format!("{name}:{}: customer.stable[2]: is blank", line("\"然后呢？\",")),
            ),
            (
                edit(&base, "[customer.asks]\n", "[customer.asks]\nfact = [\"在哪？\"]\n"),
                format!("{name}:{}: customer.asks.fact: the persona does not need", line("[customer.asks]") + 1),
            ),
            (
                edit(&base, "covers = [\"next_step\"]", "covers = [\"options\"]"),
                format!("{name}:{}: model_answer: no model answer covers the need NextStep", line("[[model_answer]]")),
            ),
            (
                edit(&base, "id = \"wrong-size-anger\"", "id = \"Wrong Size\""),
                format!("{name}:{}: id: \"Wrong Size\" is not an id", line("id = \"wrong-size-anger\"")),
            ),
            (
                edit(&base, "id = \"wrong-size-anger\"", "id = \"wrong-size\""),
                format!(
                    "{name}:{}: file name: \"wrong-size-anger.toml\" does not match",
                    line("id = \"wrong-size-anger\"")
                ),
            ),
            (
                edit(&base, "zh-Hans = \"发错尺码，客户很生气\"\n", ""),
                format!("{name}:{}: title: missing field `zh-Hans`", line("[title]")),
            ),
            (edit(&base, "[order]", "[order\n"), format!("{name}:{}: toml:", line("[order]"))),
            (
                edit(&base, "background = \"32岁", "background = \"\u{202E}32岁"),
                format!("{name}:{}: persona.background: contains the control character U+202E", line("background = ")),
            ),
        ];
        for (text, expected) in cases {
            let got = error(name, &text);
            assert!(got.starts_with(&expected), "expected {expected:?}\n     got {got:?}");
        }
        // Missing a whole section: no line to point at.
        let without_order = base.split("[order]").next().expect("head").to_owned()
            + "[customer]"
            + base.split("[customer]").nth(1).expect("tail");
        assert!(error(name, &without_order).starts_with(&format!("{name}:")), "{}", error(name, &without_order));
        assert!(error(name, &without_order).contains("order"), "{}", error(name, &without_order));
    }

    #[test]
    fn crlf_bom_and_other_file_names_are_accepted() {
        let text = format!("\u{feff}{}", minimal().replace('\n', "\r\n"));
        let scenario = Scenario::parse("upload", &text).expect("parses");
        assert_eq!(scenario.id(), "wrong-size-anger");
        assert_eq!(scenario.customer().opening.len(), 3);
    }

    #[test]
    fn load_is_all_or_nothing_and_refuses_duplicate_ids() {
        let ok = (String::from("a/wrong-size-anger.toml"), minimal());
        let again = (String::from("b/wrong-size-anger.toml"), minimal());
        let broken = (String::from("broken.toml"), String::from("id = 3"));
        let errors = load(&[ok.clone(), again, broken]).expect_err("refused");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].to_string().starts_with(
                "b/wrong-size-anger.toml:2: id: wrong-size-anger is already defined in a/wrong-size-anger.toml"
            ),
            "{}",
            errors[0]
        );
        assert!(errors[1].to_string().starts_with("broken.toml:1: id: invalid type"), "{}", errors[1]);
        assert_eq!(load(&[ok]).expect("loads").len(), 1);
    }

    #[test]
    fn fact_cues_are_folded() {
        let hk = starter_scenario("signed-not-received-hk").expect("scenario");
        assert!(hk.persona().fact_cues.iter().any(|c| c == "管理处"));
        assert!(hk.persona().fact_cues.iter().all(|c| Normalized::new(c).as_str() == c));
    }
}
