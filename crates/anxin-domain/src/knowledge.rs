//! Knowledge-base entries (FAQ answers, articles) and reply scripts as files a team writes, reviews, imports and
//! exports: Markdown with TOML front matter between two lines `+++`, or one JSON document `{"entries": [...]}`.
//!
//! Import is strict and all-or-nothing: every problem names its file, line and field, so an author can fix a file
//! from the message alone, and nothing is taken while any file is wrong. Bodies are kept verbatim, HTML included:
//! sanitising Markdown is the renderer's job, which has to happen whatever the source of the text.
//!
//! Pure: callers read the files; this module only sees names and text.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{ChannelKind, ComplaintType, Emotion, Language};

/// Lengths an id may have, in ASCII characters.
pub const ID_CHARS: std::ops::RangeInclusive<usize> = 3..=64;
pub const TITLE_MAX_CHARS: usize = 120;
pub const CATEGORY_MAX_CHARS: usize = 30;
pub const MAX_TAGS: usize = 20;
pub const TAG_MAX_CHARS: usize = 30;
pub const MAX_QUESTIONS: usize = 10;
pub const QUESTION_MAX_CHARS: usize = 200;
pub const COMPETITOR_MAX_CHARS: usize = 60;
pub const BODY_MAX_CHARS: usize = 20_000;

/// The line that opens and closes the front matter.
use crate::front_matter::{self, DELIMITER};
/// Longest front matter, in bytes (far above any real entry's).
const FRONT_MATTER_MAX_BYTES: usize = 64 * 1024;

/// Every key the front matter may hold (which of them apply depends on `kind`).
const FRONT_MATTER_KEYS: &[&str] = &[
    "id",
    "kind",
    "lang",
    "title",
    "category",
    "tags",
    "questions",
    "emotion",
    "complaint_type",
    "situation",
    "channel",
    "variables",
    "competitor",
];

/// A small enumeration with one stable spelling per variant in the files (like `model`'s wire enums, plus `Ord`
/// so variables can key a `BTreeMap`).
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

            pub fn spellings() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
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
    /// What an entry is: a short answer to a recurring question, a longer article, or a reply script.
    Kind {
        Faq => "faq",
        Article => "article",
        Script => "script",
    }
);

file_enum!(
    /// Where in a conversation a script fits; `competitor` compares our product with a named competitor.
    Situation {
        Opening => "opening",
        Apology => "apology",
        Explanation => "explanation",
        Options => "options",
        Closing => "closing",
        FollowUp => "follow_up",
        Competitor => "competitor",
    }
);

file_enum!(
    /// A value the agent's workspace fills into a script, written `{order_no}` in its text.
    Variable {
        CustomerName => "customer_name",
        OrderNo => "order_no",
        Date => "date",
        Time => "time",
        Product => "product",
        Amount => "amount",
        AgentName => "agent_name",
    }
);

/// An entry's id: 3–64 lowercase ASCII letters, digits and hyphens, starting and ending with a letter or digit —
/// safe as a file name and in a URL. The language variants of one entry share it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(String);

impl EntryId {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let allowed = text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || !ID_CHARS.contains(&text.len()) || text.starts_with('-') || text.ends_with('-') {
            return Err(FieldError::new(
                "id",
                format!(
                    "{text:?} is not an id: use 3 to 64 lowercase ASCII letters, digits and hyphens, starting and \
                     ending with a letter or digit"
                ),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated knowledge-base entry or script. Built only from [`EntryFields`] (directly, or by the parsers), so
/// every `Entry` satisfies the rules listed there. The JSON form is the flat [`EntryFields`] shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EntryFields", into = "EntryFields")]
pub struct Entry {
    id: EntryId,
    lang: Language,
    title: String,
    body: String,
    content: Content,
}

/// What only one kind of entry has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Faq(Knowledge),
    Article(Knowledge),
    Script(Script),
}

/// The filing of an FAQ entry or article. `questions` are other ways customers ask it (for repeat detection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knowledge {
    pub category: String,
    pub tags: Vec<String>,
    pub questions: Vec<String>,
}

/// When a script fits: `None` in `complaint_type` or `channel` means any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub emotion: Emotion,
    pub complaint_type: Option<ComplaintType>,
    pub situation: Situation,
    pub channel: Option<ChannelKind>,
    /// The placeholders the text uses, each exactly once in this list, in the author's order.
    pub variables: Vec<Variable>,
    /// The competitor's name, present exactly when `situation` is `competitor`.
    pub competitor: Option<String>,
}

impl Entry {
    pub fn id(&self) -> &EntryId {
        &self.id
    }

    pub fn kind(&self) -> Kind {
        match self.content {
            Content::Faq(_) => Kind::Faq,
            Content::Article(_) => Kind::Article,
            Content::Script(_) => Kind::Script,
        }
    }

    pub fn lang(&self) -> Language {
        self.lang
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The Markdown (or, for a script, plain text with placeholders) exactly as written, HTML included: whoever
    /// renders it must sanitise it.
    pub fn body(&self) -> &str {
        &self.body
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    pub fn knowledge(&self) -> Option<&Knowledge> {
        match &self.content {
            Content::Faq(knowledge) | Content::Article(knowledge) => Some(knowledge),
            Content::Script(_) => None,
        }
    }

    pub fn script(&self) -> Option<&Script> {
        match &self.content {
            Content::Script(script) => Some(script),
            _ => None,
        }
    }
}

/// An entry as written in a file, unchecked: the front matter's keys plus `body` (the JSON form). Converting it
/// into an [`Entry`] checks:
/// - `id`, `kind`, `lang`, `title` and `body` are present; `title` ≤ 120 characters, `body` not blank and
///   ≤ 20,000 characters;
/// - an FAQ entry or article has a `category` (≤ 30) and may have ≤ 20 distinct `tags` (≤ 30 each) and ≤ 10
///   distinct `questions` (≤ 200 each), and no script fields;
/// - a script has `emotion`, `complaint_type` (or `any`), `situation` and `channel` (or `any`), no knowledge
///   fields; its text uses exactly the declared `variables` as `{placeholders}` (a literal brace is `{{` or `}}`);
///   `competitor` is non-empty exactly when `situation` is `competitor`;
/// - one-line fields hold no control characters, the body none but newline and tab; no field holds a
///   bidirectional-override character (which can make text display differently from what it says); no body line
///   is exactly `+++` (it would end the front matter when exported).
///
/// Surrounding whitespace of one-line fields, blank lines before the body and trailing whitespace after it are
/// dropped, so an exported entry reads back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<Language>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emotion: Option<Emotion>,
    /// A `ComplaintType` spelling or `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complaint_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub situation: Option<Situation>,
    /// A `ChannelKind` spelling or `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<Variable>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub competitor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Why [`EntryFields`] were refused: the field, the reason, and for a problem inside the body, its line there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
    /// 1-based line within the body as given.
    pub body_line: Option<usize>,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into(), body_line: None }
    }

    fn in_body(line: usize, message: impl Into<String>) -> Self {
        Self { field: "body", message: message.into(), body_line: Some(line) }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.body_line {
            Some(line) => write!(f, "{} (line {line}): {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

impl std::error::Error for FieldError {}

impl TryFrom<EntryFields> for Entry {
    type Error = FieldError;

    fn try_from(fields: EntryFields) -> Result<Self, FieldError> {
        let EntryFields {
            id,
            kind,
            lang,
            title,
            category,
            tags,
            questions,
            emotion,
            complaint_type,
            situation,
            channel,
            variables,
            competitor,
            body,
        } = fields;
        let id = EntryId::parse(&required("id", id)?)?;
        let kind = required("kind", kind)?;
        let lang = required("lang", lang)?;
        let title = one_line("title", &required("title", title)?, TITLE_MAX_CHARS)?;
        let content = match kind {
            Kind::Faq | Kind::Article => {
                refuse_foreign(
                    kind,
                    &[
                        ("emotion", emotion.is_some()),
                        ("complaint_type", complaint_type.is_some()),
                        ("situation", situation.is_some()),
                        ("channel", channel.is_some()),
                        ("variables", variables.is_some()),
                        ("competitor", competitor.is_some()),
                    ],
                )?;
                let knowledge = Knowledge {
                    category: one_line("category", &required("category", category)?, CATEGORY_MAX_CHARS)?,
                    tags: list("tags", tags.unwrap_or_default(), MAX_TAGS, TAG_MAX_CHARS)?,
                    questions: list("questions", questions.unwrap_or_default(), MAX_QUESTIONS, QUESTION_MAX_CHARS)?,
                };
                if kind == Kind::Faq { Content::Faq(knowledge) } else { Content::Article(knowledge) }
            }
            Kind::Script => {
                refuse_foreign(
                    kind,
                    &[("category", category.is_some()), ("tags", tags.is_some()), ("questions", questions.is_some())],
                )?;
                let emotion = required("emotion", emotion)?;
                let complaint_type = any_or(
                    "complaint_type",
                    &required("complaint_type", complaint_type)?,
                    ComplaintType::parse,
                    &ComplaintType::spellings(),
                )?;
                let situation = required("situation", situation)?;
                let channel =
                    any_or("channel", &required("channel", channel)?, ChannelKind::parse, &ChannelKind::spellings())?;
                let variables = variables.unwrap_or_default();
                if let Some((_, twice)) = variables.iter().enumerate().find(|(i, v)| variables[..*i].contains(v)) {
                    return Err(FieldError::new("variables", format!("lists {twice} twice")));
                }
                let competitor = competitor.as_deref().map(str::trim).filter(|name| !name.is_empty());
                let competitor = match (situation, competitor) {
                    (Situation::Competitor, Some(name)) => Some(one_line("competitor", name, COMPETITOR_MAX_CHARS)?),
                    (Situation::Competitor, None) => {
                        return Err(FieldError::new(
                            "competitor",
                            "is required when situation = \"competitor\": name the competitor",
                        ));
                    }
                    (_, Some(_)) => {
                        return Err(FieldError::new(
                            "competitor",
                            format!(
                                "is only for situation = \"competitor\", not {situation:?}",
                                situation = situation.as_str()
                            ),
                        ));
                    }
                    (_, None) => None,
                };
                Content::Script(Script { emotion, complaint_type, situation, channel, variables, competitor })
            }
        };
        let (body, skipped) = normalize_body(&required("body", body)?);
        let shift = |mut error: FieldError| {
            error.body_line = error.body_line.map(|line| line + skipped);
            error
        };
        check_body(&body).map_err(shift)?;
        if let Content::Script(script) = &content {
            check_placeholders(&body, &script.variables).map_err(shift)?;
        }
        Ok(Entry { id, lang, title, body, content })
    }
}

impl From<Entry> for EntryFields {
    fn from(entry: Entry) -> Self {
        let kind = entry.kind();
        let mut fields = EntryFields {
            id: Some(entry.id.0),
            kind: Some(kind),
            lang: Some(entry.lang),
            title: Some(entry.title),
            body: Some(entry.body),
            ..EntryFields::default()
        };
        match entry.content {
            Content::Faq(knowledge) | Content::Article(knowledge) => {
                fields.category = Some(knowledge.category);
                fields.tags = Some(knowledge.tags);
                fields.questions = Some(knowledge.questions);
            }
            Content::Script(script) => {
                fields.emotion = Some(script.emotion);
                fields.complaint_type = Some(script.complaint_type.map_or("any", ComplaintType::as_str).to_owned());
                fields.situation = Some(script.situation);
                fields.channel = Some(script.channel.map_or("any", ChannelKind::as_str).to_owned());
                fields.variables = Some(script.variables);
                fields.competitor = script.competitor;
            }
        }
        fields
    }
}

fn required<T>(field: &'static str, value: Option<T>) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, "is required"))
}

fn refuse_foreign(kind: Kind, present: &[(&'static str, bool)]) -> Result<(), FieldError> {
    match present.iter().find(|(_, is_present)| *is_present) {
        Some((field, _)) => {
            Err(FieldError::new(field, format!("does not belong to an entry of kind = {:?}", kind.as_str())))
        }
        None => Ok(()),
    }
}

fn any_or<T>(
    field: &'static str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    spellings: &[&str],
) -> Result<Option<T>, FieldError> {
    if text == "any" {
        return Ok(None);
    }
    parse(text)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, format!("{text:?} is not one of: any, {}", spellings.join(", "))))
}

/// Characters that reorder how text is displayed (the "Trojan source" trick): refused everywhere.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn one_line(field: &'static str, text: &str, max_chars: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is blank"));
    }
    if let Some(c) = text.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        return Err(FieldError::new(field, format!("contains the control character U+{:04X}", u32::from(c))));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(FieldError::new(field, format!("is {chars} characters long; at most {max_chars} are allowed")));
    }
    Ok(text.to_owned())
}

fn list(
    field: &'static str,
    items: Vec<String>,
    max_items: usize,
    max_chars: usize,
) -> Result<Vec<String>, FieldError> {
    if items.len() > max_items {
        return Err(FieldError::new(field, format!("has {} items; at most {max_items} are allowed", items.len())));
    }
    let mut checked: Vec<String> = Vec::with_capacity(items.len());
    for item in &items {
        let item = one_line(field, item, max_chars)
            .map_err(|error| FieldError::new(field, format!("item {item:?} {}", error.message)))?;
        if checked.contains(&item) {
            return Err(FieldError::new(field, format!("lists {item:?} twice")));
        }
        checked.push(item);
    }
    Ok(checked)
}

/// Drops blank lines before the text and whitespace after it; CRLF becomes LF. Returns the text and how many
/// lines were dropped at the start (to report lines as the author counts them).
fn normalize_body(raw: &str) -> (String, usize) {
    let text = raw.replace("\r\n", "\n");
    let mut rest = text.as_str();
    let mut skipped = 0;
    while let Some((line, after)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        skipped += 1;
        rest = after;
    }
    (rest.trim_end().to_owned(), skipped)
}

fn check_body(body: &str) -> Result<(), FieldError> {
    if body.is_empty() {
        return Err(FieldError::new("body", "is empty"));
    }
    let chars = body.chars().count();
    if chars > BODY_MAX_CHARS {
        return Err(FieldError::in_body(
            1,
            format!("is {chars} characters long; at most {BODY_MAX_CHARS} are allowed"),
        ));
    }
    for (index, line) in body.split('\n').enumerate() {
        if line == DELIMITER {
            return Err(FieldError::in_body(
                index + 1,
                "a line `+++` in the body: the front matter must be one block between the first two `+++` lines",
            ));
        }
        if let Some(c) = line.chars().find(|&c| (c.is_control() && c != '\t') || is_bidi_control(c)) {
            return Err(FieldError::in_body(
                index + 1,
                format!("contains the control character U+{:04X}", u32::from(c)),
            ));
        }
    }
    Ok(())
}

fn check_placeholders(body: &str, declared: &[Variable]) -> Result<(), FieldError> {
    let line_at = |offset: usize| body[..offset].matches('\n').count() + 1;
    let mut used = Vec::new();
    for (offset, piece) in Pieces::new(body) {
        match piece {
            Piece::Lone(brace) => {
                return Err(FieldError::in_body(
                    line_at(offset),
                    format!(
                        "a lone `{brace}`: write `{brace}{brace}` for a literal brace, or a placeholder such as \
                         {{order_no}}"
                    ),
                ));
            }
            Piece::Placeholder(name) => match Variable::parse(name) {
                None => {
                    return Err(FieldError::in_body(
                        line_at(offset),
                        format!(
                            "unknown placeholder {{{name}}}; the variables are: {}",
                            Variable::spellings().join(", ")
                        ),
                    ));
                }
                Some(variable) if !declared.contains(&variable) => {
                    return Err(FieldError::in_body(
                        line_at(offset),
                        format!("{{{name}}} is used but not declared in `variables`"),
                    ));
                }
                Some(variable) => used.push(variable),
            },
            Piece::Text(_) | Piece::Escaped(_) => {}
        }
    }
    match declared.iter().find(|variable| !used.contains(variable)) {
        Some(unused) => {
            Err(FieldError::new("variables", format!("declares {unused}, but the text never uses {{{unused}}}")))
        }
        None => Ok(()),
    }
}

/// A script's text, cut at its braces.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// `{{` or `}}`: one literal brace.
    Escaped(char),
    /// `{name}` on one line, name not empty and not checked.
    Placeholder(&'a str),
    /// A brace that is neither doubled nor part of a placeholder.
    Lone(char),
}

/// The pieces of a text with their byte offsets.
struct Pieces<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = (usize, Piece<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let rest = &self.text[start..];
        let bytes = rest.as_bytes();
        let (piece, len) = match *bytes.first()? {
            b'{' if bytes.get(1) == Some(&b'{') => (Piece::Escaped('{'), 2),
            b'}' if bytes.get(1) == Some(&b'}') => (Piece::Escaped('}'), 2),
            b'{' => match rest[1..].find(['{', '}', '\n']) {
                Some(end) if end > 0 && bytes[1 + end] == b'}' => (Piece::Placeholder(&rest[1..1 + end]), end + 2),
                _ => (Piece::Lone('{'), 1),
            },
            b'}' => (Piece::Lone('}'), 1),
            _ => {
                let end = rest.find(['{', '}']).unwrap_or(rest.len());
                (Piece::Text(&rest[..end]), end)
            }
        };
        self.at += len;
        Some((start, piece))
    }
}

/// Fills a script's placeholders. A variable without a (non-blank) value stays visible as `{order_no}` so the agent
/// sees what is left to fill; `{{` and `}}` become single braces; anything else is copied as it is.
pub fn render_placeholders(body: &str, values: &BTreeMap<Variable, String>) -> String {
    let mut out = String::with_capacity(body.len());
    for (_, piece) in Pieces::new(body) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Escaped(brace) | Piece::Lone(brace) => out.push(brace),
            Piece::Placeholder(name) => {
                let value = Variable::parse(name).and_then(|variable| values.get(&variable));
                match value.filter(|value| !value.trim().is_empty()) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
            }
        }
    }
    out
}

/// A problem with an imported file, as an author reads it: `file:line: field: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// 1-based line in the file; `None` where it is not known (a JSON entry that parsed but broke a rule — the
    /// field then says which entry, as `entries[3].title`).
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}: {}", self.file, self.field, self.message),
            None => write!(f, "{}: {}: {}", self.file, self.field, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Parses one Markdown file with TOML front matter (see [`EntryFields`] for the rules). A UTF-8 BOM and CRLF line
/// ends are accepted. When `file_name`'s last path component ends in `.md` it must be `<id>.<lang>.md`. HTML in
/// the body is accepted: sanitising it is the renderer's job.
pub fn parse_markdown(file_name: &str, text: &str) -> Result<Entry, ImportError> {
    parse_markdown_at(file_name, text).map(|(entry, _)| entry)
}

/// [`parse_markdown`], also returning the line of the `id` key (for errors found across files).
fn parse_markdown_at(file: &str, text: &str) -> Result<(Entry, usize), ImportError> {
    let error = |line: usize, field: &str, message: String| front_matter::error_at(file, line, field, message);
    let front_matter::Document { mut fields, body, close_line, key_lines } =
        front_matter::read::<EntryFields>(file, text, FRONT_MATTER_KEYS, FRONT_MATTER_MAX_BYTES)?;
    let key_line = |field: &str| front_matter::line_of_key(&key_lines, field);
    fields.body = Some(body);

    let entry = Entry::try_from(fields).map_err(|e| {
        let line = if e.field == "body" { close_line + e.body_line.unwrap_or(1) } else { key_line(e.field) };
        error(line, e.field, e.message)
    })?;

    let id_line = key_line("id");
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    if name.ends_with(".md") {
        let expected = format!("{}.{}.md", entry.id, entry.lang);
        if name != expected {
            return Err(error(
                id_line,
                "file name",
                format!("{name:?} does not match the entry: expected {expected:?}"),
            ));
        }
    }
    Ok((entry, id_line))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDocument {
    entries: Vec<EntryFields>,
}

#[derive(Serialize)]
struct JsonExport<'a> {
    entries: &'a [Entry],
}

/// Parses a JSON document `{"entries": [...]}` whose entries have the front matter's fields plus `body`. Returns
/// the first problem; [`import`] lists them all.
pub fn parse_json(file_name: &str, text: &str) -> Result<Vec<Entry>, ImportError> {
    parse_json_all(file_name, text).map_err(|mut errors| errors.swap_remove(0))
}

/// [`parse_json`], with every invalid entry reported (a syntax or type error still stops at the first).
fn parse_json_all(file: &str, text: &str) -> Result<Vec<Entry>, Vec<ImportError>> {
    let json_error = |error: &serde_json::Error, path: String| {
        let position = format!(" at line {} column {}", error.line(), error.column());
        let message = error.to_string();
        ImportError {
            file: file.to_owned(),
            line: (error.line() > 0).then_some(error.line()),
            field: if path == "." { "json".to_owned() } else { path },
            message: message.strip_suffix(&position).unwrap_or(&message).to_owned(),
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let document: JsonDocument = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        vec![json_error(e.inner(), path)]
    })?;
    deserializer.end().map_err(|e| vec![json_error(&e, ".".to_owned())])?;

    let mut entries = Vec::with_capacity(document.entries.len());
    let mut errors = Vec::new();
    for (index, fields) in document.entries.into_iter().enumerate() {
        match Entry::try_from(fields) {
            Ok(entry) => entries.push(entry),
            Err(e) => errors.push(ImportError {
                file: file.to_owned(),
                line: None,
                field: format!("entries[{index}].{}", e.field),
                message: match e.body_line {
                    Some(line) => format!("line {line} of the body: {}", e.message),
                    None => e.message,
                },
            }),
        }
    }
    if errors.is_empty() { Ok(entries) } else { Err(errors) }
}

/// Imports a set of files, `(name, text)`: `.md` files through [`parse_markdown`], `.json` files through
/// [`parse_json`]. All or nothing: either every entry, in the order given, or every problem found — in each file,
/// a pair (id, lang) defined twice, or one id whose language variants differ in kind.
pub fn import(files: &[(String, String)]) -> Result<Vec<Entry>, Vec<ImportError>> {
    /// An entry and where it was defined, for problems found across files.
    struct Found {
        entry: Entry,
        file: String,
        line: Option<usize>,
        id_field: String,
    }
    impl Found {
        fn place(&self) -> String {
            match self.line {
                Some(line) => format!("{}:{line}", self.file),
                None => format!("{} ({})", self.file, self.id_field),
            }
        }
        fn error(&self, message: String) -> ImportError {
            ImportError { file: self.file.clone(), line: self.line, field: self.id_field.clone(), message }
        }
    }

    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        if name.ends_with(".json") {
            match parse_json_all(name, text) {
                Ok(entries) => found.extend(entries.into_iter().enumerate().map(|(index, entry)| Found {
                    entry,
                    file: name.clone(),
                    line: None,
                    id_field: format!("entries[{index}].id"),
                })),
                Err(mut file_errors) => errors.append(&mut file_errors),
            }
        } else if name.ends_with(".md") {
            match parse_markdown_at(name, text) {
                Ok((entry, line)) => {
                    found.push(Found { entry, file: name.clone(), line: Some(line), id_field: "id".into() })
                }
                Err(error) => errors.push(error),
            }
        } else {
            errors.push(ImportError {
                file: name.clone(),
                line: None,
                field: "file name".into(),
                message: "is neither Markdown (.md) nor JSON (.json)".into(),
            });
        }
    }

    let mut by_variant: HashMap<(&EntryId, Language), &Found> = HashMap::new();
    let mut by_id: HashMap<&EntryId, &Found> = HashMap::new();
    for this in &found {
        let (id, lang, kind) = (this.entry.id(), this.entry.lang(), this.entry.kind());
        if let Some(first) = by_variant.get(&(id, lang)) {
            errors.push(this.error(format!("{id} ({lang}) is already defined at {}", first.place())));
            continue;
        }
        by_variant.insert((id, lang), this);
        let first = *by_id.entry(id).or_insert(this);
        if first.entry.kind() != kind {
            errors.push(this.error(format!(
                "{id} is a {kind} here but a {} at {}: the language variants of an entry share its kind",
                first.entry.kind(),
                first.place()
            )));
        }
    }

    if errors.is_empty() { Ok(found.into_iter().map(|found| found.entry).collect()) } else { Err(errors) }
}

/// The Markdown file for an entry (named `<id>.<lang>.md`); [`parse_markdown`] reads it back unchanged.
pub fn to_markdown(entry: &Entry) -> String {
    let mut fields = EntryFields::from(entry.clone());
    let body = fields.body.take().unwrap_or_default();
    let front = toml::to_string(&fields).expect("entry fields are strings, enums and arrays: always valid TOML");
    format!("{DELIMITER}\n{front}{DELIMITER}\n{body}\n")
}

/// The JSON document for a set of entries; [`parse_json`] reads it back unchanged.
pub fn to_json(entries: &[Entry]) -> String {
    serde_json::to_string_pretty(&JsonExport { entries }).expect("entries always serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAQ: &str = r#"+++
id = "returns-7-days"
kind = "faq"
lang = "zh-Hans"
title = "七天无理由退货怎么申请？"
category = "退换货"
tags = ["退货", "七天无理由", "运费"]
questions = ["买的东西不想要了能退吗", "七天无理由怎么退"]
+++
签收后 7 天内，在订单页点 **申请退货**。
"#;

    const SCRIPT: &str = r#"+++
id = "anger-logistics-apology-1"
kind = "script"
lang = "zh-Hans"
title = "物流延误致歉（愤怒）"
emotion = "anger"
complaint_type = "logistics"
situation = "apology"
channel = "any"
variables = ["customer_name", "order_no", "date"]
competitor = ""
+++
{customer_name}您好，订单 {order_no} 延误了，真的很抱歉。

我们承诺 {date} 前送达。
"#;

    /// Parses `text` as `name` and expects an error at `line` on `field` whose message contains `needle`.
    #[track_caller]
    fn refused(name: &str, text: &str, line: usize, field: &str, needle: &str) {
        let error = parse_markdown(name, text).expect_err("should be refused");
        assert_eq!((error.line, error.field.as_str()), (Some(line), field), "{error}");
        assert!(error.message.contains(needle), "{error:?} should mention {needle:?}");
        assert!(error.to_string().starts_with(&format!("{name}:{line}: {field}: ")), "{error}");
    }

    fn script_with(replace: &str, with: &str) -> String {
        assert!(SCRIPT.contains(replace), "{replace:?}");
        SCRIPT.replacen(replace, with, 1)
    }

    fn faq_with(replace: &str, with: &str) -> String {
        assert!(FAQ.contains(replace), "{replace:?}");
        FAQ.replacen(replace, with, 1)
    }

    #[test]
    fn an_faq_file_parses_into_its_fields() {
        let entry = parse_markdown("content/knowledge/faq/returns-7-days.zh-Hans.md", FAQ).unwrap();
        assert_eq!(entry.id().as_str(), "returns-7-days");
        assert_eq!((entry.kind(), entry.lang()), (Kind::Faq, Language::ZhHans));
        assert_eq!(entry.title(), "七天无理由退货怎么申请？");
        assert_eq!(entry.body(), "签收后 7 天内，在订单页点 **申请退货**。");
        let knowledge = entry.knowledge().unwrap();
        assert_eq!(knowledge.category, "退换货");
        assert_eq!(knowledge.tags, ["退货", "七天无理由", "运费"]);
        assert_eq!(knowledge.questions.len(), 2);
        assert!(entry.script().is_none());
    }

    #[test]
    fn a_script_file_parses_with_any_as_none_and_empty_competitor_as_none() {
        let entry = parse_markdown("anger-logistics-apology-1.zh-Hans.md", SCRIPT).unwrap();
        let script = entry.script().unwrap();
        assert_eq!(script.emotion, Emotion::Anger);
        assert_eq!(script.complaint_type, Some(ComplaintType::Logistics));
        assert_eq!((script.situation, script.channel), (Situation::Apology, None));
        assert_eq!(script.variables, [Variable::CustomerName, Variable::OrderNo, Variable::Date]);
        assert_eq!(script.competitor, None);
        assert!(entry.body().ends_with("{date} 前送达。"));
    }

    #[test]
    fn a_bom_and_crlf_line_ends_are_accepted() {
        let crlf = format!("\u{feff}{}", FAQ.replace('\n', "\r\n"));
        assert_eq!(parse_markdown("x.md.txt", &crlf), parse_markdown("x.md.txt", FAQ));
        let bad = format!("\u{feff}{}", faq_with("category = \"退换货\"", "category = 3").replace('\n', "\r\n"));
        refused("f", &bad, 6, "category", "invalid type");
    }

    #[test]
    fn front_matter_must_open_the_file_and_be_closed() {
        refused("f.md", "签收后 7 天内退货", 1, "front matter", "must start with a line `+++`");
        refused("f.md", &format!("\n{FAQ}"), 1, "front matter", "must start");
        refused("f.md", &FAQ.replacen("+++", "+++ ", 1), 1, "front matter", "must start");
        refused("f.md", "", 1, "front matter", "must start");
        refused("f.md", "+++\nid = \"abc\"\n", 1, "front matter", "not closed");
        refused("f.md", "+++", 1, "front matter", "not closed");
    }

    #[test]
    fn a_duplicated_delimiter_is_refused_where_it_is() {
        // An empty front matter block followed by the real one: nothing is declared.
        refused("f.md", &format!("+++\n{FAQ}"), 1, "id", "is required");
        // Two files pasted together: the second block's `+++` lines are in the body.
        let pasted = format!("{FAQ}{SCRIPT}");
        refused("f.md", &pasted, 11, "body", "a line `+++` in the body");
    }

    #[test]
    fn toml_errors_name_their_line_in_the_file() {
        refused("f.md", &faq_with("title = \"七天", "title = 七天"), 5, "front matter", "missing opening quote");
        refused("f", &faq_with("questions = ", "questions == "), 8, "front matter", "extra `=`");
        refused(
            "f.md",
            &faq_with("category = \"退换货\"", "category = \"退换货"),
            6,
            "front matter",
            "invalid basic string",
        );
        refused(
            "f.md",
            &faq_with("lang = \"zh-Hans\"", "lang = \"zh-Hans\"\nlang = \"en\""),
            5,
            "front matter",
            "duplicate key",
        );
    }

    #[test]
    fn wrong_types_and_unknown_values_name_the_field() {
        refused(
            "f.md",
            &faq_with("tags = [\"退货\", \"七天无理由\", \"运费\"]", "tags = \"退货\""),
            7,
            "tags",
            "invalid type",
        );
        refused("f.md", &faq_with("\"七天无理由\"", "7"), 7, "tags[1]", "invalid type");
        refused("f.md", &faq_with("kind = \"faq\"", "kind = \"FAQ\""), 3, "kind", "unknown variant `FAQ`");
        refused("f.md", &faq_with("lang = \"zh-Hans\"", "lang = \"zh-hans\""), 4, "lang", "unknown variant");
        refused("f.md", &script_with("\"anger\"", "\"rage\""), 6, "emotion", "unknown variant `rage`");
        refused("f.md", &script_with("\"apology\"", "\"sorry\""), 8, "situation", "expected one of");
        refused("f.md", &script_with("\"logistics\"", "\"shipping\""), 7, "complaint_type", "not one of: any, quality");
        refused(
            "f.md",
            &script_with("channel = \"any\"", "channel = \"phone\""),
            9,
            "channel",
            "not one of: any, web_chat",
        );
        refused("f.md", &script_with("\"date\"]", "\"deadline\"]"), 10, "variables[2]", "unknown variant `deadline`");
    }

    #[test]
    fn unknown_keys_and_keys_of_the_other_kind_are_refused() {
        refused("f.md", &faq_with("category =", "author = \"me\"\ncategory ="), 6, "author", "unknown key");
        refused("f.md", &faq_with("+++\n签收", "body = \"x\"\n+++\n签收"), 9, "body", "unknown key");
        refused("f.md", &faq_with("+++\n签收", "[extra]\na = 1\n+++\n签收"), 9, "extra", "unknown key");
        refused("f.md", &faq_with("category =", "emotion = \"anger\"\ncategory ="), 6, "emotion", "kind = \"faq\"");
        refused("f.md", &script_with("emotion =", "tags = [\"x\"]\nemotion ="), 6, "tags", "kind = \"script\"");
        refused("f.md", &faq_with("category = \"退换货\"\n", ""), 1, "category", "is required");
        refused("f.md", &script_with("channel = \"any\"\n", ""), 1, "channel", "is required");
    }

    #[test]
    fn ids_are_lowercase_ascii_words() {
        for id in ["Returns", "returns 7 days", "../etc/passwd", "ab", "-returns", "returns-", "退货", &"a".repeat(65)]
        {
            let text = faq_with("\"returns-7-days\"", &format!("{id:?}"));
            refused("f", &text, 2, "id", "is not an id");
        }
        assert!(parse_markdown("f", &faq_with("\"returns-7-days\"", &format!("{:?}", "a".repeat(64)))).is_ok());
        assert!(parse_markdown("f", &faq_with("\"returns-7-days\"", "\"r2d\"")).is_ok());
    }

    #[test]
    fn the_file_name_must_match_id_and_lang() {
        let good = "content/knowledge/faq/returns-7-days.zh-Hans.md";
        assert!(parse_markdown(good, FAQ).is_ok());
        assert!(parse_markdown(r"C:\kb\returns-7-days.zh-Hans.md", FAQ).is_ok());
        refused("faq/returns-7-days.en.md", FAQ, 2, "file name", "expected \"returns-7-days.zh-Hans.md\"");
        refused("returns.zh-Hans.md", FAQ, 2, "file name", "does not match");
        refused("faq/returns-7-days.zh-Hans.md/../../x.md", FAQ, 2, "file name", "does not match");
        // A name that is not a Markdown file name (an upload's label) is not compared.
        assert!(parse_markdown("pasted text", FAQ).is_ok());
    }

    #[test]
    fn lengths_and_counts_are_limited() {
        let long = |n: usize| format!("{:?}", "退".repeat(n));
        assert!(parse_markdown("f", &faq_with("\"七天无理由退货怎么申请？\"", &long(120))).is_ok());
        refused("f", &faq_with("\"七天无理由退货怎么申请？\"", &long(121)), 5, "title", "121 characters");
        refused("f", &faq_with("\"七天无理由退货怎么申请？\"", "\"   \""), 5, "title", "blank");
        refused("f", &faq_with("\"退换货\"", &long(31)), 6, "category", "at most 30");
        let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        refused("f", &faq_with("[\"退货\", \"七天无理由\", \"运费\"]", &format!("{tags:?}")), 7, "tags", "21 items");
        refused("f", &faq_with("\"运费\"", &long(31)), 7, "tags", "at most 30");
        refused("f", &faq_with("\"运费\"", "\" 退货 \""), 7, "tags", "lists \"退货\" twice");
        let questions: Vec<String> = (0..11).map(|i| format!("q{i}")).collect();
        refused(
            "f",
            &faq_with("[\"买的东西不想要了能退吗\", \"七天无理由怎么退\"]", &format!("{questions:?}")),
            8,
            "questions",
            "11 items",
        );
        refused("f", &faq_with("\"七天无理由怎么退\"", &long(201)), 8, "questions", "at most 200");
    }

    #[test]
    fn a_huge_body_is_refused_and_the_limit_is_inclusive() {
        let at_limit =
            format!("{}{}\n", FAQ.split_inclusive('\n').take(9).collect::<String>(), "退".repeat(BODY_MAX_CHARS));
        assert_eq!(parse_markdown("f", &at_limit).unwrap().body().chars().count(), BODY_MAX_CHARS);
        let huge = format!("{}{}\n", FAQ.split_inclusive('\n').take(9).collect::<String>(), "a".repeat(1_000_000));
        refused("f", &huge, 10, "body", "at most 20000");
        refused("f", &faq_with("签收后 7 天内，在订单页点 **申请退货**。\n", " \n\t\n"), 10, "body", "is empty");
    }

    #[test]
    fn control_characters_are_refused_but_tabs_and_newlines_in_the_body_are_fine() {
        refused("f", &faq_with("七天无理由退货", "七天\\u0007无理由退货"), 5, "title", "U+0007");
        refused("f", &faq_with("七天无理由退货", "七天\\t无理由退货"), 5, "title", "U+0009");
        refused("f", &faq_with("七天无理由退货", "七天\u{202E}无理由退货"), 5, "title", "U+202E");
        refused("f", &faq_with("**申请退货**。", "**申请退货**。\n\n第三行\u{0}"), 12, "body", "U+0000");
        refused("f", &faq_with("**申请退货**。", "**申请退货**。\r第二行"), 10, "body", "U+000D");
        let tabs = parse_markdown("f", &faq_with("**申请退货**。", "\t**申请退货**。\n\n\t缩进")).unwrap();
        assert!(tabs.body().contains("\n\n\t缩进"));
    }

    #[test]
    fn html_in_the_body_is_kept_for_the_renderer_to_sanitise() {
        let body = "<script>alert(1)</script>\n<iframe src=\"x\"></iframe> [a](javascript:alert(1))";
        let entry = parse_markdown("f", &faq_with("签收后 7 天内，在订单页点 **申请退货**。", body)).unwrap();
        assert_eq!(entry.body(), body);
    }

    #[test]
    fn blank_lines_around_the_body_are_dropped_and_lines_still_count_from_the_file() {
        let spaced = faq_with("+++\n签收", "+++\n\n  \n签收").replace("。\n", "。\n\n\n");
        assert_eq!(parse_markdown("f", &spaced).unwrap().body(), "签收后 7 天内，在订单页点 **申请退货**。");
        let script = script_with("+++\n{customer_name}", "+++\n\n\n{customer_name}").replace("{date}", "{dat}");
        refused("f", &script, 17, "body", "unknown placeholder {dat}");
    }

    #[test]
    fn placeholders_must_be_exactly_the_declared_variables() {
        refused(
            "f",
            &script_with("{date} 前", "{foo} 前"),
            15,
            "body",
            "unknown placeholder {foo}; the variables are: customer_name",
        );
        refused("f", &script_with("{date} 前", "{订单号} {date} 前"), 15, "body", "unknown placeholder {订单号}");
        refused("f", &script_with("\"date\"]", "\"product\"]"), 15, "body", "{date} is used but not declared");
        refused(
            "f",
            &script_with("\"date\"]", "\"date\", \"amount\"]"),
            10,
            "variables",
            "declares amount, but the text never uses {amount}",
        );
        refused("f", &script_with("\"date\"]", "\"date\", \"date\"]"), 10, "variables", "lists date twice");
        refused("f", &script_with("真的很抱歉", "真的很抱歉 {"), 13, "body", "a lone `{`");
        refused("f", &script_with("真的很抱歉", "真的很抱歉 }"), 13, "body", "a lone `}`");
        refused("f", &script_with("真的很抱歉", "真的很抱歉 {order\n_no}"), 13, "body", "a lone `{`");
        refused("f", &script_with("真的很抱歉", "真的很抱歉 {}"), 13, "body", "a lone `{`");
        let escaped = parse_markdown("f", &script_with("真的很抱歉", "真的很抱歉 {{礼券}} {{{order_no}}}")).unwrap();
        assert!(escaped.body().contains("{{礼券}} {{{order_no}}}"));
        // In knowledge entries braces are plain Markdown.
        assert!(parse_markdown("f", &faq_with("**申请退货**", "{foo} } {")).is_ok());
    }

    #[test]
    fn a_competitor_is_named_exactly_in_competitor_scripts() {
        let comparison = script_with("\"apology\"", "\"competitor\"");
        refused("f", &comparison, 11, "competitor", "is required when situation = \"competitor\"");
        refused("f", &comparison.replace("competitor = \"\"\n", ""), 1, "competitor", "is required");
        let named = parse_markdown("f", &comparison.replace("competitor = \"\"", "competitor = \" 某东 \"")).unwrap();
        assert_eq!(named.script().unwrap().competitor.as_deref(), Some("某东"));
        refused(
            "f",
            &script_with("competitor = \"\"", "competitor = \"某东\""),
            11,
            "competitor",
            "only for situation",
        );
    }

    #[test]
    fn placeholders_are_filled_and_missing_ones_stay_visible() {
        let values = BTreeMap::from([
            (Variable::CustomerName, "王女士".to_owned()),
            (Variable::OrderNo, "A-{1}".to_owned()),
            (Variable::Date, "  ".to_owned()),
        ]);
        let text = "{customer_name}您好，订单 {order_no} 将于 {date} 前送达，{{不变}} {amount} {foo} } {";
        assert_eq!(
            render_placeholders(text, &values),
            "王女士您好，订单 A-{1} 将于 {date} 前送达，{不变} {amount} {foo} } {"
        );
        assert_eq!(render_placeholders("", &values), "");
    }

    #[test]
    fn pieces_cut_a_text_at_its_braces() {
        let pieces: Vec<Piece> = Pieces::new("a{{b}}{x}{\n}é").map(|(_, piece)| piece).collect();
        assert_eq!(
            pieces,
            [
                Piece::Text("a"),
                Piece::Escaped('{'),
                Piece::Text("b"),
                Piece::Escaped('}'),
                Piece::Placeholder("x"),
                Piece::Lone('{'),
                Piece::Text("\n"),
                Piece::Lone('}'),
                Piece::Text("é"),
            ]
        );
    }

    #[test]
    fn markdown_export_reads_like_the_hand_written_file() {
        let faq = parse_markdown("f", FAQ).unwrap();
        assert_eq!(to_markdown(&faq), FAQ);
        let script = parse_markdown("f", SCRIPT).unwrap();
        assert_eq!(to_markdown(&script), SCRIPT.replace("competitor = \"\"\n", ""));
    }

    #[test]
    fn json_round_trips_and_reports_positions_and_entries() {
        let entries = vec![parse_markdown("f", FAQ).unwrap(), parse_markdown("f", SCRIPT).unwrap()];
        let json = to_json(&entries);
        assert!(json.contains("\"complaint_type\": \"logistics\"") && json.contains("\"body\": "), "{json}");
        assert_eq!(parse_json("kb.json", &json), Ok(entries.clone()));
        assert_eq!(parse_json("kb.json", &format!("\u{feff}{json}")), Ok(entries));

        let syntax = parse_json("kb.json", "{\"entries\": [\n  {\"id\": \"abc\",}\n]}").unwrap_err();
        assert_eq!((syntax.line, syntax.file.as_str()), (Some(2), "kb.json"), "{syntax}");
        assert!(!syntax.message.contains("column"), "{syntax}");

        let typed = parse_json("kb.json", "{\"entries\": [{}, {\"title\": 5}]}").unwrap_err();
        assert_eq!((typed.line, typed.field.as_str()), (Some(1), "entries[1].title"), "{typed}");

        let unknown = parse_json("kb.json", "{\"entries\": [{\"author\": \"me\"}]}").unwrap_err();
        assert_eq!(unknown.field, "entries[0].author", "{unknown}");
        assert!(unknown.message.contains("unknown field `author`"), "{unknown}");

        assert_eq!(parse_json("kb.json", "[]").unwrap_err().field, "json");
        assert_eq!(parse_json("kb.json", "{\"entries\": []} x").unwrap_err().line, Some(1));

        let mut long_title =
            serde_json::from_str::<serde_json::Value>(&to_json(&[parse_markdown("f", FAQ).unwrap()])).unwrap();
        long_title["entries"][0]["title"] = "退".repeat(121).into();
        let invalid = parse_json("kb.json", &long_title.to_string()).unwrap_err();
        assert_eq!(invalid.to_string(), "kb.json: entries[0].title: is 121 characters long; at most 120 are allowed");

        let mut bad_body =
            serde_json::from_str::<serde_json::Value>(&to_json(&[parse_markdown("f", SCRIPT).unwrap()])).unwrap();
        bad_body["entries"][0]["body"] = "\n{customer_name} {order_no} {date}\n{foo}".into();
        let invalid = parse_json("kb.json", &bad_body.to_string()).unwrap_err();
        assert_eq!(invalid.field, "entries[0].body");
        assert!(invalid.message.starts_with("line 3 of the body: unknown placeholder {foo}"), "{invalid}");
    }

    #[test]
    fn entries_deserialize_only_when_valid() {
        let json = serde_json::to_string(&parse_markdown("f", FAQ).unwrap()).unwrap();
        assert!(serde_json::from_str::<Entry>(&json).is_ok());
        let error = serde_json::from_str::<Entry>(&json.replace("returns-7-days", "Returns")).unwrap_err();
        assert!(error.to_string().contains("id: \"Returns\" is not an id"), "{error}");
    }

    fn file(name: &str, text: impl Into<String>) -> (String, String) {
        (name.to_owned(), text.into())
    }

    #[test]
    fn import_takes_everything_or_lists_every_problem() {
        let en = faq_with("lang = \"zh-Hans\"", "lang = \"en\"");
        let good = [
            file("kb/returns-7-days.zh-Hans.md", FAQ),
            file("kb/returns-7-days.en.md", &en),
            file("scripts/anger-logistics-apology-1.zh-Hans.md", SCRIPT),
        ];
        assert_eq!(import(&good).unwrap().len(), 3);

        let json_entry = to_json(&[parse_markdown("f", &en).unwrap()]);
        let broken = [
            file("kb/returns-7-days.zh-Hans.md", FAQ),
            file("kb/notes.txt", "hello"),
            file("kb/bad.md", faq_with("\"returns-7-days\"", "\"Bad\"")),
            file("kb/returns-7-days.en.md", &en),
            file("more.json", json_entry),
            file(
                "kb/returns-7-days.zh-Hant.md",
                script_with("anger-logistics-apology-1", "returns-7-days").replace("zh-Hans", "zh-Hant"),
            ),
            file("x.json", "{\"entries\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}"),
        ];
        let errors: Vec<String> = import(&broken).unwrap_err().iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "kb/notes.txt: file name: is neither Markdown (.md) nor JSON (.json)",
                "kb/bad.md:2: id: \"Bad\" is not an id: use 3 to 64 lowercase ASCII letters, digits and hyphens, \
                 starting and ending with a letter or digit",
                "x.json: entries[0].id: \"a\" is not an id: use 3 to 64 lowercase ASCII letters, digits and hyphens, \
                 starting and ending with a letter or digit",
                "x.json: entries[1].id: \"b\" is not an id: use 3 to 64 lowercase ASCII letters, digits and hyphens, \
                 starting and ending with a letter or digit",
                "more.json: entries[0].id: returns-7-days (en) is already defined at kb/returns-7-days.en.md:2",
                "kb/returns-7-days.zh-Hant.md:2: id: returns-7-days is a script here but a faq at \
                 kb/returns-7-days.zh-Hans.md:2: the language variants of an entry share its kind",
            ]
        );
    }

    mod round_trip {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::sample::{select, subsequence};

        /// Words that stress quoting and escaping in TOML and JSON, and mixed scripts.
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
            "++",
            "😀",
            "é",
            "a",
            "7",
            "'''",
            "\"\"\"",
        ];
        /// Body pieces: Markdown, HTML, tabs, blank lines and literal braces (no lone braces, no `+++` line).
        const BODY: &[&str] = &[
            "退货",
            "line",
            "\n",
            "\n\n",
            "\t",
            "  ",
            "<script>alert(1)</script>",
            "**粗体**",
            "- item",
            "{{",
            "}}",
            "++",
            "# 标题",
            "`code`",
            "😀",
            "\"",
            "\\",
            "'''",
        ];

        fn words(count: std::ops::Range<usize>) -> impl Strategy<Value = String> {
            vec(select(WORDS), count).prop_map(|words| words.join(" "))
        }

        fn distinct(items: Vec<String>) -> Vec<String> {
            let mut seen = Vec::new();
            for item in items {
                if !seen.contains(&item) {
                    seen.push(item);
                }
            }
            seen
        }

        fn body() -> impl Strategy<Value = String> {
            vec(select(BODY), 0..30).prop_map(|pieces| format!("开头{}", pieces.concat()))
        }

        fn common() -> impl Strategy<Value = EntryFields> {
            ("[a-z0-9][a-z0-9-]{1,40}[a-z0-9]", select(Language::ALL), words(1..10), body()).prop_map(
                |(id, lang, title, body)| EntryFields {
                    id: Some(id),
                    lang: Some(lang),
                    title: Some(title),
                    body: Some(body),
                    ..EntryFields::default()
                },
            )
        }

        fn knowledge() -> impl Strategy<Value = EntryFields> {
            (
                common(),
                select(&[Kind::Faq, Kind::Article][..]),
                words(1..4),
                vec(words(1..3), 0..20),
                vec(words(1..10), 0..10),
            )
                .prop_map(|(fields, kind, category, tags, questions)| EntryFields {
                    kind: Some(kind),
                    category: Some(category),
                    tags: Some(distinct(tags)),
                    questions: Some(distinct(questions)),
                    ..fields
                })
        }

        fn script() -> impl Strategy<Value = EntryFields> {
            let complaint = select(["any"].into_iter().chain(ComplaintType::spellings()).collect::<Vec<_>>());
            let channel = select(["any"].into_iter().chain(ChannelKind::spellings()).collect::<Vec<_>>());
            (
                common(),
                select(Emotion::ALL),
                complaint,
                select(Situation::ALL),
                channel,
                subsequence(Variable::ALL.to_vec(), 0..=Variable::ALL.len()),
                words(1..4),
                body(),
            )
                .prop_map(
                    |(fields, emotion, complaint, situation, channel, variables, competitor, tail)| {
                        let placeholders: String = variables.iter().map(|v| format!("{{{v}}}")).collect();
                        EntryFields {
                            kind: Some(Kind::Script),
                            emotion: Some(emotion),
                            complaint_type: Some(complaint.to_owned()),
                            situation: Some(situation),
                            channel: Some(channel.to_owned()),
                            variables: Some(variables),
                            competitor: (situation == Situation::Competitor).then_some(competitor),
                            body: Some(format!("{}{placeholders}{tail}", fields.body.as_deref().unwrap_or_default())),
                            ..fields
                        }
                    },
                )
        }

        proptest! {
            #[test]
            fn exported_files_read_back_unchanged(fields in prop_oneof![knowledge(), script()]) {
                let entry = Entry::try_from(fields.clone());
                prop_assert!(entry.is_ok(), "generated {fields:?}: {entry:?}");
                let entry = entry.unwrap();
                let name = format!("dir/{}.{}.md", entry.id(), entry.lang());
                let markdown = to_markdown(&entry);
                prop_assert_eq!(parse_markdown(&name, &markdown), Ok(entry.clone()), "{}", markdown);
                prop_assert_eq!(parse_json("all.json", &to_json(std::slice::from_ref(&entry))), Ok(vec![entry]));
            }
        }
    }

    /// The starter content in `content/` (written alongside this code) imports with no error.
    #[test]
    fn the_starter_content_imports_cleanly() {
        use std::path::{Path, PathBuf};

        fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
            let Ok(read) = std::fs::read_dir(dir) else { return };
            for item in read {
                let path = item.expect("readable directory entry").path();
                if path.is_dir() {
                    collect(&path, found);
                } else if path.extension().is_some_and(|ext| ext == "md" || ext == "json") {
                    found.push(path);
                }
            }
        }

        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
        let mut problems = Vec::new();
        let mut all = Vec::new();
        for (dir, scripts) in [("knowledge", false), ("scripts", true)] {
            let mut paths = Vec::new();
            collect(&content.join(dir), &mut paths);
            paths.sort();
            let files: Vec<(String, String)> = paths
                .iter()
                .map(|path| {
                    let name = format!("content/{}", path.strip_prefix(&content).unwrap().display());
                    (name, std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
                })
                .collect();
            // Kinds by directory: scripts under scripts/, knowledge under knowledge/.
            if let Ok(entries) = import(&files) {
                for entry in entries.iter().filter(|entry| (entry.kind() == Kind::Script) != scripts) {
                    problems.push(format!(
                        "content/{dir}: {} ({}) is a {} entry",
                        entry.id(),
                        entry.lang(),
                        entry.kind()
                    ));
                }
            }
            all.extend(files);
        }
        if all.is_empty() {
            eprintln!("note: no knowledge or script files under {} yet", content.display());
            return;
        }
        match import(&all) {
            Ok(entries) => eprintln!("content/: {} entries from {} files", entries.len(), all.len()),
            Err(errors) => {
                let mut listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
                listed.append(&mut problems);
                problems = listed;
            }
        }
        assert!(problems.is_empty(), "{} problem(s) in content/:\n{}", problems.len(), problems.join("\n"));
    }
}
