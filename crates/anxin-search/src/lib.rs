//! Chinese full-text search over knowledge-base entries and reply scripts.
//!
//! A tantivy index held in RAM, fed with [`anxin_domain::knowledge::Entry`] values. Text is normalised with the
//! text engine's folding (Traditional → Simplified, full-width → half-width, lower-case) before jieba segments
//! it, for documents and queries alike; jieba's dictionary is extended with the text engine's lexicon and
//! shopping terms so 运费险 stays one word. Queries are expanded with editable [`Synonyms`]; a character-bigram
//! field at low weight catches partial matches and typos that segmentation misses.
//!
//! [`assist`] builds the agent's reply suggestions on top: scripts for the customer's emotion, answers for the
//! question, and the one-click answer to a repeated question.
//!
//! Architecture invariant: the index is a rebuildable cache — it holds nothing the database does not, so
//! [`SearchIndex::rebuild`] from the stored entries is always a correct recovery. No I/O, no network: jieba
//! embeds its dictionary and the synonym list is compiled in (or passed in).

pub mod assist;
mod synonyms;
pub mod tokenizer;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::sync::{Mutex, PoisonError, RwLock};

use anxin_domain::knowledge::{Entry, Kind, Situation};
use anxin_domain::model::{ChannelKind, ComplaintType, Emotion, Language};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query as TantivyQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{Language as StemLanguage, Stemmer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

pub use synonyms::{DEFAULT_SYNONYMS, Synonyms};
use tokenizer::{Mode, ZhTokenizer, terms};

/// Field weights: a word in the title says more about what an entry answers than a word in its body.
const TITLE_BOOST: f32 = 3.0;
const QUESTIONS_BOOST: f32 = 2.5;
const TAGS_BOOST: f32 = 2.0;
const CATEGORY_BOOST: f32 = 1.5;
const BODY_BOOST: f32 = 1.0;
/// Character bigrams: only a tie-breaker and a safety net for typos, never the main signal.
const GRAMS_BOOST: f32 = 0.3;
/// Words added by synonym expansion count less than the words the customer typed.
const SYNONYM_WEIGHT: f32 = 0.6;
/// Writer memory budget (tantivy's minimum is 15 MB per thread).
const WRITER_HEAP: usize = 100_000_000;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 120;
const WORDS: &str = "anxin_words";
const BIGRAMS: &str = "anxin_bigrams";
/// Stored for a script without a complaint type or channel (it fits any).
const ANY: &str = "any";

/// What to search for. `text` may be empty when the filters alone select (e.g. the scripts for an emotion).
/// `emotion`, `complaint_type`, `channel` and `situation` are script facets: setting one selects scripts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    /// Only these kinds; empty: every kind.
    pub kinds: Vec<Kind>,
    /// Only this language variant. Without it every variant is searched (they fold to the same text) and each
    /// entry appears once, ranked by its best-scoring variant and shown as the variant `prefer` picks.
    pub lang: Option<Language>,
    /// Without `lang`, which variant of an entry to show: this language when the entry has it, else zh-Hans,
    /// else the best-scoring variant. `None`: the best-scoring variant.
    pub prefer: Option<Language>,
    pub emotion: Option<Emotion>,
    /// Scripts for this complaint type and scripts that fit any type.
    pub complaint_type: Option<ComplaintType>,
    /// Scripts for this channel and scripts that fit any channel.
    pub channel: Option<ChannelKind>,
    pub situation: Option<Situation>,
    pub limit: usize,
}

impl Query {
    /// A text query without filters, for 10 hits.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kinds: Vec::new(),
            lang: None,
            prefer: None,
            emotion: None,
            complaint_type: None,
            channel: None,
            situation: None,
            limit: 10,
        }
    }
}

/// One result. `snippet` is plain text (not HTML: whoever displays it escapes it) and `ranges` are the byte
/// ranges of `snippet` that matched the query. `body` is the whole stored text as written (a script's
/// `{placeholders}` included, so the workspace fills them without reading the database).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub lang: Language,
    pub kind: Kind,
    pub title: String,
    pub score: f32,
    pub snippet: String,
    pub ranges: Vec<Range<usize>>,
    pub body: String,
}

/// The phrasings of one FAQ variant (title and questions), for repeated-question detection ([`assist`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Asked {
    pub id: String,
    pub lang: Language,
    pub title: String,
    pub questions: Vec<String>,
}

/// Errors are tantivy's (an in-RAM index fails only on bugs or exhausted memory).
pub type Error = tantivy::TantivyError;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    id: Field,
    lang: Field,
    kind: Field,
    emotion: Field,
    complaint_type: Field,
    channel: Field,
    situation: Field,
    title: Field,
    questions: Field,
    tags: Field,
    category: Field,
    body: Field,
    grams: Field,
    /// Character bigrams of an FAQ's title and questions only: finds the candidates for a repeated question.
    asked: Field,
}

/// The search index: many concurrent readers, one writer behind a lock. Every change is committed and made
/// visible before the call returns (read-your-writes for the agent who just edited an article).
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    words: TextAnalyzer,
    bigrams: TextAnalyzer,
    synonyms: RwLock<Synonyms>,
}

fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ZhTokenizer::new(Mode::Words)).filter(Stemmer::new(StemLanguage::English)).build()
}

fn highlight_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ZhTokenizer::new(Mode::Highlight)).filter(Stemmer::new(StemLanguage::English)).build()
}

fn bigrams_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(ZhTokenizer::new(Mode::Bigrams)).build()
}

impl SearchIndex {
    /// An empty index using these synonyms.
    pub fn new(synonyms: Synonyms) -> Result<Self, Error> {
        let mut schema = Schema::builder();
        let text = |tokenizer: &str, stored: bool| {
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs),
            );
            if stored { options.set_stored() } else { options }
        };
        let fields = Fields {
            key: schema.add_text_field("key", STRING),
            id: schema.add_text_field("id", STRING | STORED),
            lang: schema.add_text_field("lang", STRING | STORED),
            kind: schema.add_text_field("kind", STRING | STORED),
            emotion: schema.add_text_field("emotion", STRING),
            complaint_type: schema.add_text_field("complaint_type", STRING),
            channel: schema.add_text_field("channel", STRING),
            situation: schema.add_text_field("situation", STRING),
            title: schema.add_text_field("title", text(WORDS, true)),
            // Stored for the repeated-question similarity (a few short lines per entry).
            questions: schema.add_text_field("questions", text(WORDS, true)),
            tags: schema.add_text_field("tags", text(WORDS, false)),
            category: schema.add_text_field("category", text(WORDS, false)),
            body: schema.add_text_field("body", text(WORDS, true)),
            grams: schema.add_text_field("grams", text(BIGRAMS, false)),
            asked: schema.add_text_field("asked", text(BIGRAMS, false)),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(WORDS, words_analyzer());
        index.tokenizers().register(BIGRAMS, bigrams_analyzer());
        let writer = index.writer(WRITER_HEAP)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self {
            reader,
            writer: Mutex::new(writer),
            fields,
            words: words_analyzer(),
            bigrams: bigrams_analyzer(),
            synonyms: RwLock::new(synonyms),
        })
    }

    /// Replaces the synonym list; it applies to the next query (synonyms are not indexed).
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        *self.synonyms.write().unwrap_or_else(PoisonError::into_inner) = synonyms;
    }

    /// Adds an entry, replacing the one with the same (id, lang).
    pub fn upsert(&self, entry: &Entry) -> Result<(), Error> {
        self.write(|writer, fields| {
            writer.delete_term(Term::from_field_text(fields.key, &key(entry.id().as_str(), entry.lang())));
            writer.add_document(document(fields, entry))?;
            Ok(())
        })
    }

    /// Removes one language variant of an entry (nothing happens if it is not indexed).
    pub fn remove(&self, id: &str, lang: Language) -> Result<(), Error> {
        self.write(|writer, fields| {
            writer.delete_term(Term::from_field_text(fields.key, &key(id, lang)));
            Ok(())
        })
    }

    /// Replaces the whole index with these entries (start-up, `anxin reindex`), in one commit: readers see the
    /// old index until the new one is complete.
    pub fn rebuild<'a>(&self, entries: impl IntoIterator<Item = &'a Entry>) -> Result<(), Error> {
        self.write(|writer, fields| {
            writer.delete_all_documents()?;
            for entry in entries {
                writer.add_document(document(fields, entry))?;
            }
            Ok(())
        })
    }

    /// Number of indexed entry variants.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn write(&self, change: impl FnOnce(&mut IndexWriter, &Fields) -> Result<(), Error>) -> Result<(), Error> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = change(&mut writer, &self.fields) {
            writer.rollback()?;
            return Err(error);
        }
        writer.commit()?;
        self.reader.reload()
    }

    /// The best entries for a query, best first.
    pub fn search(&self, query: &Query) -> Result<Vec<Hit>, Error> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let (text_query, words) = match self.text_query(&query.text) {
            Some((text_query, words)) => (Some(text_query), words),
            None => (None, Vec::new()),
        };
        let has_text = text_query.is_some();
        let filters = self.filters(query);
        let mut clauses = vec![(Occur::Must, text_query.unwrap_or_else(|| Box::new(AllQuery)))];
        clauses.extend(filters.iter().map(|(occur, filter)| (*occur, filter.box_clone())));
        let tantivy_query = BooleanQuery::new(clauses);

        // Variants of one entry compete for the same slots; fetch extra so each entry can appear once.
        let fetch = if query.lang.is_some() { query.limit } else { query.limit * 3 + 5 };
        let top = searcher.search(&tantivy_query, &TopDocs::with_limit(fetch).order_by_score())?;
        // Rarer words weigh more in choosing the fragment (what tantivy's own generator does).
        let mut snippet_terms = BTreeMap::new();
        for word in words {
            let doc_freq = searcher.doc_freq(&Term::from_field_text(f.body, &word))?;
            if doc_freq > 0 {
                snippet_terms.insert(word, 1.0 / (1.0 + doc_freq as f32));
            }
        }
        let snippets = SnippetGenerator::new(snippet_terms, highlight_analyzer(), f.body, SNIPPET_CHARS);

        let mut seen = HashSet::new();
        let mut hits = Vec::new();
        for (score, address) in top {
            let best: TantivyDocument = searcher.doc(address)?;
            let id = stored(&best, f.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            let doc = match query.prefer.filter(|_| query.lang.is_none()) {
                Some(prefer) => {
                    let shown = Language::parse(&stored(&best, f.lang));
                    self.preferred_variant(&searcher, &filters, &id, prefer, shown)?.unwrap_or(best)
                }
                None => best,
            };
            let (Some(lang), Some(kind)) = (Language::parse(&stored(&doc, f.lang)), Kind::parse(&stored(&doc, f.kind)))
            else {
                continue;
            };
            let body = stored(&doc, f.body);
            let (snippet, ranges) = if has_text {
                let snippet = snippets.snippet_from_doc(&doc);
                (snippet.fragment().to_owned(), snippet.highlighted().to_vec())
            } else {
                (String::new(), Vec::new())
            };
            let snippet = if snippet.is_empty() { opening(&body) } else { snippet };
            hits.push(Hit { id, lang, kind, title: stored(&doc, f.title), score, snippet, ranges, body });
            if hits.len() == query.limit {
                break;
            }
        }
        Ok(hits)
    }

    /// The query's filters. They select; they must not change the ranking.
    fn filters(&self, query: &Query) -> Vec<(Occur, Box<dyn TantivyQuery>)> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        let mut filter = |field: Field, values: &[&str]| {
            let alternatives = values
                .iter()
                .map(|value| -> (Occur, Box<dyn TantivyQuery>) {
                    let term = Term::from_field_text(field, value);
                    (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
                })
                .collect();
            let select = ConstScoreQuery::new(Box::new(BooleanQuery::new(alternatives)), 0.0);
            clauses.push((Occur::Must, Box::new(select)));
        };
        if !query.kinds.is_empty() {
            let kinds: Vec<&str> = query.kinds.iter().map(|kind| kind.as_str()).collect();
            filter(f.kind, &kinds);
        }
        if let Some(lang) = query.lang {
            filter(f.lang, &[lang.as_str()]);
        }
        if let Some(emotion) = query.emotion {
            filter(f.emotion, &[emotion.as_str()]);
        }
        if let Some(complaint_type) = query.complaint_type {
            filter(f.complaint_type, &[complaint_type.as_str(), ANY]);
        }
        if let Some(channel) = query.channel {
            filter(f.channel, &[channel.as_str(), ANY]);
        }
        if let Some(situation) = query.situation {
            filter(f.situation, &[situation.as_str()]);
        }
        clauses
    }

    /// The variant of entry `id` to show for a preferred language: that language when the entry has it (and it
    /// passes the filters), else zh-Hans. `None` when the caller should keep the variant it has (`current`): it
    /// is the one wanted, or the entry has neither.
    fn preferred_variant(
        &self,
        searcher: &Searcher,
        filters: &[(Occur, Box<dyn TantivyQuery>)],
        id: &str,
        prefer: Language,
        current: Option<Language>,
    ) -> Result<Option<TantivyDocument>, Error> {
        for lang in [prefer, Language::ZhHans] {
            if current == Some(lang) {
                return Ok(None);
            }
            let mut clauses = vec![(Occur::Must, self.key_query(id, lang))];
            clauses.extend(filters.iter().map(|(occur, filter)| (*occur, filter.box_clone())));
            let found = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(1).order_by_score())?;
            if let Some((_, address)) = found.first() {
                return Ok(Some(searcher.doc(*address)?));
            }
        }
        Ok(None)
    }

    fn key_query(&self, id: &str, lang: Language) -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(Term::from_field_text(self.fields.key, &key(id, lang)), IndexRecordOption::Basic))
    }

    /// FAQ variants whose title or questions share the most character bigrams with `text` (BM25 over the
    /// `asked` field), at most `limit`: the candidates of a repeated question, before the exact similarity.
    pub(crate) fn asked(&self, text: &str, limit: usize) -> Result<Vec<Asked>, Error> {
        let f = &self.fields;
        let grams = terms(&mut self.bigrams.clone(), text);
        if grams.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let alternatives = grams
            .iter()
            .map(|gram| -> (Occur, Box<dyn TantivyQuery>) {
                let term = Term::from_field_text(f.asked, gram);
                (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)))
            })
            .collect();
        let faq = TermQuery::new(Term::from_field_text(f.kind, Kind::Faq.as_str()), IndexRecordOption::Basic);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(alternatives))),
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(faq), 0.0))),
        ]);
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for (_, address) in searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(lang) = Language::parse(&stored(&doc, f.lang)) else { continue };
            let questions =
                doc.get_all(f.questions).filter_map(|v| v.as_str()).map(str::to_owned).collect::<Vec<_>>();
            out.push(Asked { id: stored(&doc, f.id), lang, title: stored(&doc, f.title), questions });
        }
        Ok(out)
    }

    /// The FAQ variant of `id` to show for a preferred language (as [`Query::prefer`]) instead of the variant
    /// `current`, as (language, title); `None`: keep `current`.
    pub(crate) fn faq_variant(
        &self,
        id: &str,
        prefer: Language,
        current: Language,
    ) -> Result<Option<(Language, String)>, Error> {
        let searcher = self.reader.searcher();
        let faq = Query { kinds: vec![Kind::Faq], ..Query::text("") };
        let Some(doc) = self.preferred_variant(&searcher, &self.filters(&faq), id, prefer, Some(current))? else {
            return Ok(None);
        };
        Ok(Language::parse(&stored(&doc, self.fields.lang)).map(|lang| (lang, stored(&doc, self.fields.title))))
    }

    /// Whether a text has anything to search for (not only stopwords and punctuation).
    pub(crate) fn has_terms(&self, text: &str) -> bool {
        !terms(&mut self.words.clone(), text).is_empty() || !terms(&mut self.bigrams.clone(), text).is_empty()
    }

    /// Every query word in every weighted field, the synonyms' words at a lower weight, and the query's bigrams;
    /// `None` when the text has nothing to search for. Also the words searched for (typed and synonyms).
    fn text_query(&self, text: &str) -> Option<(Box<dyn TantivyQuery>, Vec<String>)> {
        let f = &self.fields;
        let mut words_analyzer = self.words.clone();
        let typed = terms(&mut words_analyzer, text);
        let normalised = anxin_text::normalize::Normalized::new(text);
        let mut expanded: Vec<String> = Vec::new();
        for alternative in self.synonyms.read().unwrap_or_else(PoisonError::into_inner).expand(normalised.as_str()) {
            for word in terms(&mut words_analyzer, alternative) {
                if !typed.contains(&word) && !expanded.contains(&word) {
                    expanded.push(word);
                }
            }
        }
        let grams = terms(&mut self.bigrams.clone(), text);

        let weighted = [
            (f.title, TITLE_BOOST),
            (f.questions, QUESTIONS_BOOST),
            (f.tags, TAGS_BOOST),
            (f.category, CATEGORY_BOOST),
            (f.body, BODY_BOOST),
        ];
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
        let mut add = |field: Field, word: &str, boost: f32| {
            let term = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost))));
        };
        for (words, weight) in [(&typed, 1.0), (&expanded, SYNONYM_WEIGHT)] {
            for word in words {
                for (field, boost) in weighted {
                    add(field, word, boost * weight);
                }
            }
        }
        for gram in &grams {
            add(f.grams, gram, GRAMS_BOOST);
        }
        if clauses.is_empty() {
            return None;
        }
        let mut words = typed;
        words.extend(expanded);
        Some((Box::new(BooleanQuery::new(clauses)), words))
    }
}

/// The first value of a stored text field.
fn stored(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

/// The delete key of one variant.
fn key(id: &str, lang: Language) -> String {
    format!("{id}\u{1f}{}", lang.as_str())
}

/// The first characters of a body, when no query word occurs in it.
fn opening(body: &str) -> String {
    body.chars().take(SNIPPET_CHARS).collect()
}

fn document(f: &Fields, entry: &Entry) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.key, key(entry.id().as_str(), entry.lang()));
    doc.add_text(f.id, entry.id().as_str());
    doc.add_text(f.lang, entry.lang().as_str());
    doc.add_text(f.kind, entry.kind().as_str());
    doc.add_text(f.title, entry.title());
    doc.add_text(f.body, entry.body());
    doc.add_text(f.grams, entry.title());
    doc.add_text(f.grams, entry.body());
    if entry.kind() == Kind::Faq {
        doc.add_text(f.asked, entry.title());
    }
    if let Some(knowledge) = entry.knowledge() {
        doc.add_text(f.category, &knowledge.category);
        doc.add_text(f.grams, &knowledge.category);
        for tag in &knowledge.tags {
            doc.add_text(f.tags, tag);
            doc.add_text(f.grams, tag);
        }
        for question in &knowledge.questions {
            doc.add_text(f.questions, question);
            doc.add_text(f.grams, question);
            if entry.kind() == Kind::Faq {
                doc.add_text(f.asked, question);
            }
        }
    }
    if let Some(script) = entry.script() {
        doc.add_text(f.emotion, script.emotion.as_str());
        doc.add_text(f.complaint_type, script.complaint_type.map_or(ANY, |c| c.as_str()));
        doc.add_text(f.channel, script.channel.map_or(ANY, |c| c.as_str()));
        doc.add_text(f.situation, script.situation.as_str());
    }
    doc
}

#[cfg(test)]
mod tests {
    use anxin_domain::knowledge::EntryFields;

    use super::*;

    fn faq(id: &str, lang: Language, title: &str, tags: &[&str], body: &str) -> Entry {
        Entry::try_from(EntryFields {
            id: Some(id.into()),
            kind: Some(Kind::Faq),
            lang: Some(lang),
            title: Some(title.into()),
            category: Some("售后".into()),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            questions: Some(Vec::new()),
            body: Some(body.into()),
            ..EntryFields::default()
        })
        .expect("valid entry")
    }

    fn script(id: &str, emotion: Emotion, complaint_type: &str, body: &str) -> Entry {
        Entry::try_from(EntryFields {
            id: Some(id.into()),
            kind: Some(Kind::Script),
            lang: Some(Language::ZhHans),
            title: Some("物流致歉".into()),
            emotion: Some(emotion),
            complaint_type: Some(complaint_type.into()),
            situation: Some(Situation::Apology),
            channel: Some("any".into()),
            variables: Some(Vec::new()),
            body: Some(body.into()),
            ..EntryFields::default()
        })
        .expect("valid script")
    }

    fn library() -> SearchIndex {
        let index = SearchIndex::new(Synonyms::default_list()).expect("index");
        let entries = [
            faq("return-fee", Language::ZhHans, "退货运费谁承担？", &["运费险"], "质量问题的退货运费由我们承担。"),
            faq("return-fee", Language::En, "Who pays return shipping?", &["shipping"], "We pay for quality issues."),
            faq("refunds", Language::ZhHans, "退款多久到账？", &["退款"], "验收通过后 24 小时内退款，原路退回。"),
            faq("invoice", Language::ZhHans, "怎么开发票？", &["发票"], "在订单详情申请电子发票。"),
            script("anger-logistics", Emotion::Anger, "logistics", "非常抱歉让您久等了，快递我马上催。"),
            script("anxiety-any", Emotion::Anxiety, "any", "您别着急，快递今天会更新。"),
        ];
        index.rebuild(&entries).expect("rebuild");
        index
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|hit| hit.id.as_str()).collect()
    }

    #[test]
    fn traditional_query_finds_simplified_entry_once_with_a_plain_text_snippet() {
        let index = library();
        let hits = index.search(&Query::text("退貨運費誰出？")).expect("search");
        assert_eq!(ids(&hits)[0], "return-fee");
        assert_eq!(hits.iter().filter(|h| h.id == "return-fee").count(), 1, "one hit per entry");
        let hit = &hits[0];
        assert!(!hit.ranges.is_empty(), "{hit:?}");
        let highlighted: Vec<&str> = hit.ranges.iter().map(|r| &hit.snippet[r.clone()]).collect();
        assert!(highlighted.iter().any(|h| h.contains("运费")), "{highlighted:?}");
    }

    #[test]
    fn synonyms_expand_queries_and_can_be_replaced() {
        let index = library();
        assert_eq!(ids(&index.search(&Query::text("退钱")).expect("search"))[0], "refunds");
        index.set_synonyms(Synonyms::default());
        assert!(index.search(&Query::text("退钱")).expect("search").iter().all(|h| h.id != "refunds"));
        index.set_synonyms(Synonyms::parse("退钱 退款"));
        assert_eq!(ids(&index.search(&Query::text("退钱")).expect("search"))[0], "refunds");
    }

    #[test]
    fn filters_select_kind_lang_and_script_facets() {
        let index = library();
        let en = Query { lang: Some(Language::En), ..Query::text("shipping") };
        let hits = index.search(&en).expect("search");
        assert_eq!((ids(&hits), hits[0].lang), (vec!["return-fee"], Language::En));

        let scripts = Query { kinds: vec![Kind::Script], ..Query::text("快递") };
        assert_eq!(ids(&index.search(&scripts).expect("search")).len(), 2);
        let angry = Query { emotion: Some(Emotion::Anger), ..scripts.clone() };
        assert_eq!(ids(&index.search(&angry).expect("search")), ["anger-logistics"]);
        // A script for any complaint type fits every type.
        let price = Query { complaint_type: Some(ComplaintType::Price), ..scripts };
        assert_eq!(ids(&index.search(&price).expect("search")), ["anxiety-any"]);
        // No text: the filters alone select.
        let all_anxious = Query { emotion: Some(Emotion::Anxiety), ..Query::text("") };
        assert_eq!(ids(&index.search(&all_anxious).expect("search")), ["anxiety-any"]);
    }

    #[test]
    fn upsert_replaces_a_variant_and_remove_drops_it() {
        let index = library();
        let before = index.len();
        index
            .upsert(&faq("invoice", Language::ZhHans, "增值税专用发票怎么开？", &["专票"], "提供税号即可。"))
            .expect("upsert");
        assert_eq!(index.len(), before);
        let hits = index.search(&Query::text("专票")).expect("search");
        assert_eq!((hits[0].id.as_str(), hits[0].title.as_str()), ("invoice", "增值税专用发票怎么开？"));

        index.remove("invoice", Language::ZhHans).expect("remove");
        assert_eq!(index.len(), before - 1);
        assert!(index.search(&Query::text("专票")).expect("search").is_empty());
    }

    #[test]
    fn the_index_is_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<SearchIndex>();
        let index = library();
        std::thread::scope(|scope| {
            scope.spawn(|| index.upsert(&faq("new", Language::ZhHans, "礼品包装", &[], "可以包装。")).expect("upsert"));
            for _ in 0..2 {
                scope.spawn(|| assert!(!index.search(&Query::text("退款")).expect("search").is_empty()));
            }
        });
        assert_eq!(ids(&index.search(&Query::text("礼品包装")).expect("search"))[0], "new");
    }
}
