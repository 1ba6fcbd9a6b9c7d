//! The knowledge base and script library, stored (issue 7): entries as `anxin_domain::knowledge` validated them,
//! every saved version (history and diff), publication, agents' script proposals that a lead approves, and who used
//! which entry — so a new version reaches the agents who relied on it ("dynamic knowledge updates").
//!
//! An entry is keyed by (organisation, file id, language); the language variants of one id are rows of their own
//! that share its kind. The row points at its current version; a version keeps the content apart from the key
//! (title, body, and the kind's fields as `EntryFields` JSON), and everything read back is rebuilt through
//! `Entry::try_from(EntryFields)`, so the store never hands out an entry the importer would refuse. Saving content
//! equal to the current version writes nothing.
//!
//! Who may do what: admins and supervisors (editors) import, save, publish, export and read everything. Other staff
//! read published entries; an agent may also propose a new script, which stays unpublished and theirs to revise
//! (`proposed_by`) until an editor publishes it (`approved_by`). Invisible entries are `NotFound`.

use std::collections::{HashMap, HashSet};

use anxin_domain::events::EventKind;
use anxin_domain::knowledge::{Entry, EntryFields, EntryId, Kind, to_markdown};
use anxin_domain::{Language, Role};
use serde::Serialize;
use serde_json::json;

use crate::conn::{Conn, Result, Row, StoreError};
use crate::exec::Tx;
use crate::ops::audit;
use crate::records::Principal;
use crate::{Store, params};

/// Migration 8: the knowledge tables.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE kb_entries (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    entry_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    published BIGINT NOT NULL DEFAULT 0,
    proposed_by BIGINT REFERENCES users(id),
    approved_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    CONSTRAINT kb_entries_key UNIQUE (org_id, entry_id, lang)
);
CREATE INDEX kb_entries_list ON kb_entries(org_id, kind, lang);
CREATE TABLE kb_versions (
    id {ID},
    entry_row_id BIGINT NOT NULL REFERENCES kb_entries(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    metadata TEXT NOT NULL,
    author_id BIGINT REFERENCES users(id),
    author_name TEXT NOT NULL,
    change_note TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT kb_versions_key UNIQUE (entry_row_id, version)
);
CREATE TABLE kb_usage (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    entry_row_id BIGINT NOT NULL REFERENCES kb_entries(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    conversation_id BIGINT REFERENCES conversations(id),
    used_at BIGINT NOT NULL
);
CREATE INDEX kb_usage_entry ON kb_usage(entry_row_id, used_at);
CREATE INDEX kb_usage_user ON kb_usage(org_id, user_id, used_at);
"#;

/// Migration 9: editable search synonyms per organisation, and what became of a used script (the reply it went
/// into, whether the agent edited it first) for outcome statistics.
pub(crate) const SCHEMA_V9: &str = r#"
CREATE TABLE kb_settings (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id),
    synonyms TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id)
);
ALTER TABLE kb_usage ADD COLUMN message_id BIGINT REFERENCES messages(id);
ALTER TABLE kb_usage ADD COLUMN edited BIGINT;
"#;

/// How long a use of an entry makes its user someone to tell about a new version.
pub const USAGE_WINDOW_MS: i64 = 30 * 86_400_000;
/// Beyond this many changed entries, one change event asks every node to rebuild its index instead of listing them.
const CHANGE_LIST_MAX: usize = 200;
/// Longest synonym list, in bytes.
pub const MAX_SYNONYMS_BYTES: usize = 64 * 1024;
/// Most entries one import takes.
pub const MAX_IMPORT: usize = 10_000;
/// Most entries a list or an export returns.
const LIST_LIMIT: i64 = 20_000;
/// Beyond this many cells (changed old lines × changed new lines) the diff shows the changed block as removed then
/// added, instead of a minimal diff: bounds memory and time for pathological bodies.
const DIFF_MAX_CELLS: usize = 4_000_000;

/// Why a version was saved, in at most [`ChangeNote::MAX_CHARS`] characters of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeNote(String);

impl ChangeNote {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(text: &str) -> std::result::Result<ChangeNote, &'static str> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty");
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err("too_long");
        }
        if text.chars().any(char::is_control) {
            return Err("invalid");
        }
        Ok(ChangeNote(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An entry with its current version and standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbEntry {
    pub entry: Entry,
    /// The current version (1 for a new entry).
    pub version: i64,
    pub published: bool,
    /// The agent who proposed it (scripts only).
    pub proposed_by: Option<i64>,
    /// The editor who first published a proposal.
    pub approved_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: Option<i64>,
}

/// One saved version of an entry.
/// One use of an entry: opened or inserted for a conversation, and for a script inserted into a reply, that reply
/// and whether the agent changed the script's text before sending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub edited: Option<bool>,
}

/// How a script has fared: how often it was used, sent, edited first, how the customer felt in their next message,
/// and the satisfaction ratings of the conversations it was sent in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScriptStats {
    pub id: String,
    pub lang: Language,
    pub title: String,
    pub used: i64,
    /// Uses that went into a sent reply.
    pub sent: i64,
    /// Sent replies in which the agent changed the script's text.
    pub edited: i64,
    /// The customer's next message after a reply with this script: how many were answered at all, and how many
    /// of those were angry, anxious or disappointed.
    pub answered: i64,
    pub negative_after: i64,
    /// Ratings of conversations this script was sent in.
    pub csat_count: i64,
    pub csat_average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbVersion {
    pub version: i64,
    pub entry: Entry,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub change_note: Option<String>,
    pub created_at: i64,
}

/// What an import did, per entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    /// Entries that got a new version.
    pub updated: usize,
    /// Entries whose content equals their current version (nothing written).
    pub unchanged: usize,
}

/// Which entries a list shows (`None`: any).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryFilter {
    pub kind: Option<Kind>,
    pub lang: Option<Language>,
    /// Only published entries, also for editors (what agents are offered).
    pub published_only: bool,
    /// Only agents' proposals not yet approved (a lead's review queue).
    pub pending_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

/// Two versions of an entry compared line by line, as their Markdown files (front matter included, so a changed
/// tag or title shows too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryDiff {
    pub from_version: i64,
    pub to_version: i64,
    pub lines: Vec<DiffLine>,
}

/// A line diff from `old` to `new`: common lines kept, the rest removed then added, minimal (longest common
/// subsequence) unless the changed block is huge (see [`DIFF_MAX_CELLS`]).
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let line = |op, text: &str| DiffLine { op, text: text.to_owned() };

    let mut out: Vec<DiffLine> = a[..prefix].iter().map(|t| line(DiffOp::Same, t)).collect();
    let (n, m) = (ma.len(), mb.len());
    let (mut i, mut j) = (0, 0);
    if n.saturating_mul(m) <= DIFF_MAX_CELLS {
        // lcs[i][j]: the longest common subsequence of ma[i..] and mb[j..], so the walk below goes forward.
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        while i < n && j < m {
            if ma[i] == mb[j] {
                out.push(line(DiffOp::Same, ma[i]));
                (i, j) = (i + 1, j + 1);
            } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
                out.push(line(DiffOp::Removed, ma[i]));
                i += 1;
            } else {
                out.push(line(DiffOp::Added, mb[j]));
                j += 1;
            }
        }
    }
    out.extend(ma[i..].iter().map(|t| line(DiffOp::Removed, t)));
    out.extend(mb[j..].iter().map(|t| line(DiffOp::Added, t)));
    out.extend(a[a.len() - suffix..].iter().map(|t| line(DiffOp::Same, t)));
    out
}

/// Admins and supervisors edit, publish, import and export; everyone else reads.
fn is_editor(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Supervisor)
}

/// An entry's content apart from its key, as stored in a version: (title, body, metadata JSON).
fn content_of(entry: &Entry) -> (String, String, String) {
    let mut fields = EntryFields::from(entry.clone());
    let title = fields.title.take().unwrap_or_default();
    let body = fields.body.take().unwrap_or_default();
    (fields.id, fields.kind, fields.lang) = (None, None, None);
    let metadata = serde_json::to_string(&fields).expect("entry fields serialise");
    (title, body, metadata)
}

/// Rebuilds a stored entry through the domain's checks.
fn rebuild(id: &str, kind: &str, lang: &str, title: String, body: String, metadata: &str) -> Result<Entry> {
    let broken = |why: String| StoreError::Internal(format!("stored knowledge entry {id} ({lang}): {why}"));
    let mut fields: EntryFields = serde_json::from_str(metadata).map_err(|e| broken(e.to_string()))?;
    fields.id = Some(id.to_owned());
    fields.kind = Kind::parse(kind);
    fields.lang = Language::parse(lang);
    fields.title = Some(title);
    fields.body = Some(body);
    Entry::try_from(fields).map_err(|e| broken(e.to_string()))
}

const ENTRY_SELECT: &str = "SELECT e.id, e.entry_id, e.lang, e.kind, e.version, e.published, e.proposed_by, e.approved_by, \
    e.created_at, e.updated_at, e.updated_by, v.title, v.body, v.metadata \
    FROM kb_entries e JOIN kb_versions v ON v.entry_row_id = e.id AND v.version = e.version";

/// A stored entry and its row id.
struct Stored {
    row_id: i64,
    kb: KbEntry,
}

fn stored_from(r: &Row) -> Result<Stored> {
    let entry = rebuild(&r.text(1), &r.text(3), &r.text(2), r.text(11), r.text(12), &r.text(13))?;
    let kb = KbEntry {
        entry,
        version: r.int(4),
        published: r.int(5) != 0,
        proposed_by: r.opt_int(6),
        approved_by: r.opt_int(7),
        created_at: r.int(8),
        updated_at: r.int(9),
        updated_by: r.opt_int(10),
    };
    Ok(Stored { row_id: r.int(0), kb })
}

fn stored_in(c: &mut dyn Conn, org_id: i64, id: &str, lang: Language) -> Result<Option<Stored>> {
    let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.entry_id = $2 AND e.lang = $3");
    c.query_opt(&sql, params![org_id, id, lang.as_str()])?.as_ref().map(stored_from).transpose()
}

fn may_see(viewer: &Principal, kb: &KbEntry) -> bool {
    kb.published || is_editor(viewer.role) || (kb.proposed_by.is_some() && kb.proposed_by == viewer.user_id)
}

/// The entry if `viewer` may see it, else `NotFound` (also for another organisation's entry).
fn visible_in(c: &mut dyn Conn, viewer: &Principal, id: &EntryId, lang: Language) -> Result<Stored> {
    stored_in(c, viewer.org_id, id.as_str(), lang)?.filter(|s| may_see(viewer, &s.kb)).ok_or(StoreError::NotFound)
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    Created,
    Updated,
    Unchanged,
}

/// How a new entry starts out.
struct NewRow {
    published: bool,
    proposed_by: Option<i64>,
}

/// Saves `entry` over `existing` (its current row, if any): a new row with version 1, a new version when the
/// content changed, nothing otherwise. Refuses an id whose other variants (or whose stored row) have another kind.
fn save_in(tx: &mut Tx<'_>, actor: &Principal, existing: Option<&Stored>, entry: &Entry, note: Option<&str>, new_row: NewRow) -> Result<Saved> {
    if existing.is_some_and(|s| s.kb.entry == *entry) {
        return Ok(Saved::Unchanged);
    }
    let (org_id, now, kind) = (actor.org_id, tx.now, entry.kind().as_str());
    let other_kind = tx.conn.query_opt(
        "SELECT kind FROM kb_entries WHERE org_id = $1 AND entry_id = $2 AND kind <> $3 LIMIT 1",
        params![org_id, entry.id().as_str(), kind],
    )?;
    if other_kind.is_some() {
        return Err(StoreError::Conflict("kb_entry_kind".into()));
    }
    let (row_id, version, saved) = match existing {
        None => {
            let row_id = tx
                .conn
                .query_one(
                    "INSERT INTO kb_entries (org_id, entry_id, lang, kind, version, published, proposed_by, created_at, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $7, $8) RETURNING id",
                    params![org_id, entry.id().as_str(), entry.lang().as_str(), kind, new_row.published, new_row.proposed_by, now, actor.user_id],
                )?
                .int(0);
            (row_id, 1, Saved::Created)
        }
        Some(s) => {
            let version = s.kb.version + 1;
            // Guarded by the version read: two saves of one entry never both become version n + 1.
            let moved = tx.conn.execute(
                "UPDATE kb_entries SET kind = $1, version = $2, updated_at = $3, updated_by = $4 WHERE id = $5 AND version = $6",
                params![kind, version, now, actor.user_id, s.row_id, s.kb.version],
            )?;
            if moved == 0 {
                return Err(StoreError::Conflict("kb_entry_changed".into()));
            }
            (s.row_id, version, Saved::Updated)
        }
    };
    let (title, body, metadata) = content_of(entry);
    tx.conn.execute(
        "INSERT INTO kb_versions (entry_row_id, version, title, body, metadata, author_id, author_name, change_note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![row_id, version, title, body, metadata, actor.user_id, &actor.name, note, now],
    )?;
    if let Some(s) = existing.filter(|s| s.kb.published) {
        announce_update(tx, org_id, s.row_id, entry, version, note)?;
    }
    Ok(saved)
}

/// Tells the people who used a published entry in the last [`USAGE_WINDOW_MS`] about its new version: one
/// staff-only `knowledge_updated` event naming them (the web layer delivers it to each), none when nobody did.
fn announce_update(tx: &mut Tx<'_>, org_id: i64, row_id: i64, entry: &Entry, version: i64, note: Option<&str>) -> Result<()> {
    let since = tx.now - USAGE_WINDOW_MS;
    let user_ids: Vec<i64> = tx
        .conn
        .query(
            "SELECT DISTINCT user_id FROM kb_usage WHERE org_id = $1 AND entry_row_id = $2 AND used_at >= $3 ORDER BY user_id",
            params![org_id, row_id, since],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect();
    if user_ids.is_empty() {
        return Ok(());
    }
    let data = json!({
        "id": entry.id().as_str(),
        "lang": entry.lang(),
        "title": entry.title(),
        "version": version,
        "change_note": note,
        "user_ids": user_ids,
    });
    tx.emit(org_id, EventKind::KnowledgeUpdated, None, false, data)
}

/// Tells every node (through the event log) to refresh these variants in its search index: listed up to
/// [`CHANGE_LIST_MAX`], beyond that as a full rebuild.
fn announce_change(tx: &mut Tx<'_>, org_id: i64, changed: &[(String, Language)]) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let data = if changed.len() > CHANGE_LIST_MAX {
        json!({"rebuild": true})
    } else {
        json!({"entries": changed.iter().map(|(id, lang)| json!({"id": id, "lang": lang})).collect::<Vec<_>>()})
    };
    tx.emit(org_id, EventKind::KnowledgeChanged, None, false, data)
}

fn target(entry_id: &str, lang: Language) -> String {
    format!("kb:{entry_id}:{lang}")
}

/// Refuses an import naming one (id, language) twice or giving one id two kinds, before anything is written.
fn check_import(entries: &[Entry]) -> Result<()> {
    if entries.len() > MAX_IMPORT {
        return Err(StoreError::Conflict("kb_import_too_large".into()));
    }
    let mut variants = HashSet::new();
    let mut kinds: HashMap<&EntryId, Kind> = HashMap::new();
    for entry in entries {
        if !variants.insert((entry.id(), entry.lang())) {
            return Err(StoreError::Conflict(format!("kb_import_duplicate: {} ({})", entry.id(), entry.lang())));
        }
        if *kinds.entry(entry.id()).or_insert(entry.kind()) != entry.kind() {
            return Err(StoreError::Conflict("kb_entry_kind".into()));
        }
    }
    Ok(())
}

fn versions_in(c: &mut dyn Conn, row: &Stored, from: Option<i64>, to: Option<i64>) -> Result<Vec<KbVersion>> {
    let (from, to) = (from.unwrap_or(1), to.unwrap_or(row.kb.version));
    let rows = c.query(
        "SELECT version, title, body, metadata, author_id, author_name, change_note, created_at FROM kb_versions \
         WHERE entry_row_id = $1 AND version >= $2 AND version <= $3 ORDER BY version DESC",
        params![row.row_id, from, to],
    )?;
    let (id, kind, lang) = (row.kb.entry.id().as_str(), row.kb.entry.kind().as_str(), row.kb.entry.lang().as_str());
    rows.iter()
        .map(|r| {
            Ok(KbVersion {
                version: r.int(0),
                entry: rebuild(id, kind, lang, r.text(1), r.text(2), &r.text(3))?,
                author_id: r.opt_int(4),
                author_name: r.text(5),
                change_note: r.opt_text(6),
                created_at: r.int(7),
            })
        })
        .collect()
}

/// The entries `viewer` may see that pass `filter`, by id then language.
fn entries_in(c: &mut dyn Conn, viewer: &Principal, filter: EntryFilter, limit: Option<i64>) -> Result<Vec<KbEntry>> {
    let mut sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1");
    let mut values = vec![viewer.org_id.into()];
    let mut bind = |sql: &mut String, clause: &str, value: crate::conn::Value| {
        values.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", values.len())));
    };
    if let Some(kind) = filter.kind {
        bind(&mut sql, " AND e.kind = ?", kind.as_str().into());
    }
    if let Some(lang) = filter.lang {
        bind(&mut sql, " AND e.lang = ?", lang.as_str().into());
    }
    if filter.published_only {
        sql.push_str(" AND e.published = 1");
    } else if !is_editor(viewer.role) {
        bind(&mut sql, " AND (e.published = 1 OR e.proposed_by = ?)", viewer.user_id.unwrap_or(0).into());
    }
    if filter.pending_only {
        sql.push_str(" AND e.proposed_by IS NOT NULL AND e.approved_by IS NULL");
    }
    sql.push_str(" ORDER BY e.entry_id, e.lang");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    c.query(&sql, &values)?.iter().map(|r| stored_from(r).map(|s| s.kb)).collect()
}

impl Store {
    /// Imports entries (parsed by `anxin_domain::knowledge::import`) in one transaction, all or nothing: new ones
    /// are created published (an import is the team's reviewed files), changed ones get a new version (announced
    /// to their recent users when published), equal ones are left alone. Editors only. `Conflict` for one
    /// (id, language) given twice (`kb_import_duplicate`), an id of two kinds here or in the store
    /// (`kb_entry_kind`), or more than [`MAX_IMPORT`] entries; nothing is stored then.
    pub async fn import_knowledge(&self, actor: Principal, entries: Vec<Entry>) -> Result<ImportReport> {
        if !is_editor(actor.role) {
            return Err(StoreError::Forbidden("admins and supervisors import knowledge"));
        }
        check_import(&entries)?;
        self.write(move |tx| {
            let mut report = ImportReport::default();
            let mut changed = Vec::new();
            for entry in &entries {
                let existing = stored_in(tx.conn, actor.org_id, entry.id().as_str(), entry.lang())?;
                let new_row = NewRow { published: true, proposed_by: None };
                match save_in(tx, &actor, existing.as_ref(), entry, Some("import"), new_row)? {
                    Saved::Created => report.created += 1,
                    Saved::Updated => report.updated += 1,
                    Saved::Unchanged => report.unchanged += 1,
                }
                if existing.as_ref().is_none_or(|s| s.kb.entry != *entry) {
                    changed.push((entry.id().as_str().to_owned(), entry.lang()));
                }
            }
            announce_change(tx, actor.org_id, &changed)?;
            audit(tx, actor.org_id, &actor.audit_name(), "knowledge.import", "kb", json!(report))?;
            Ok(report)
        })
        .await
    }

    /// Saves an entry: a new version when its content changed (announced to the agents who used it in the last 30
    /// days when it is published), nothing when it did not. An editor's new entry starts unpublished. An agent may
    /// only propose a new script, and revise it while it waits for approval; anything else is `Forbidden`.
    pub async fn save_entry(&self, actor: Principal, entry: Entry, change_note: Option<ChangeNote>) -> Result<KbEntry> {
        self.write(move |tx| {
            let (org_id, id, lang) = (actor.org_id, entry.id().as_str(), entry.lang());
            let existing = stored_in(tx.conn, org_id, id, lang)?;
            let new_row = if is_editor(actor.role) {
                NewRow { published: false, proposed_by: None }
            } else {
                let me = actor.user_id.filter(|_| actor.role == Role::Agent && entry.kind() == Kind::Script);
                let Some(me) = me else { return Err(StoreError::Forbidden("agents propose scripts; leads edit knowledge")) };
                let own_pending = |s: &Stored| s.kb.proposed_by == Some(me) && s.kb.approved_by.is_none() && !s.kb.published;
                if existing.as_ref().is_some_and(|s| !own_pending(s)) {
                    return Err(StoreError::Forbidden("only a lead changes a script that is not your pending proposal"));
                }
                NewRow { published: false, proposed_by: Some(me) }
            };
            let note = change_note.as_ref().map(ChangeNote::as_str);
            let saved = save_in(tx, &actor, existing.as_ref(), &entry, note, new_row)?;
            let current = stored_in(tx.conn, org_id, id, lang)?.ok_or(StoreError::NotFound)?;
            if saved != Saved::Unchanged {
                let details = json!({"version": current.kb.version, "created": saved == Saved::Created, "change_note": note});
                audit(tx, org_id, &actor.audit_name(), "knowledge.save", &target(id, lang), details)?;
                announce_change(tx, org_id, &[(id.to_owned(), lang)])?;
            }
            Ok(current.kb)
        })
        .await
    }

    /// Publishes or withdraws an entry (editors). Publishing an agent's proposal approves it: `approved_by` is set
    /// once, to the person who first publishes it (an API token cannot approve a proposal).
    pub async fn set_published(&self, actor: Principal, id: EntryId, lang: Language, published: bool) -> Result<KbEntry> {
        if !is_editor(actor.role) {
            return Err(StoreError::Forbidden("admins and supervisors publish knowledge"));
        }
        self.write(move |tx| {
            let s = visible_in(tx.conn, &actor, &id, lang)?;
            let approving = published && s.kb.proposed_by.is_some() && s.kb.approved_by.is_none();
            if approving && actor.user_id.is_none() {
                return Err(StoreError::Forbidden("a proposal is approved by a person"));
            }
            let approved_by = if approving { actor.user_id } else { s.kb.approved_by };
            tx.conn.execute(
                "UPDATE kb_entries SET published = $1, approved_by = $2, updated_at = $3, updated_by = $4 WHERE id = $5",
                params![published, approved_by, tx.now, actor.user_id, s.row_id],
            )?;
            let action = if published { "knowledge.publish" } else { "knowledge.unpublish" };
            audit(tx, actor.org_id, &actor.audit_name(), action, &target(id.as_str(), lang), json!({"approved": approving}))?;
            if published != s.kb.published {
                announce_change(tx, actor.org_id, &[(id.as_str().to_owned(), lang)])?;
            }
            Ok(stored_in(tx.conn, actor.org_id, id.as_str(), lang)?.ok_or(StoreError::NotFound)?.kb)
        })
        .await
    }

    /// One entry with its current version, for someone who may see it (else `NotFound`).
    pub async fn entry(&self, viewer: Principal, id: EntryId, lang: Language) -> Result<KbEntry> {
        self.read(move |c| Ok(visible_in(c, &viewer, &id, lang)?.kb)).await
    }

    /// Every version of a visible entry, newest first.
    pub async fn entry_versions(&self, viewer: Principal, id: EntryId, lang: Language) -> Result<Vec<KbVersion>> {
        self.read(move |c| {
            let row = visible_in(c, &viewer, &id, lang)?;
            versions_in(c, &row, None, None)
        })
        .await
    }

    /// What changed from one version of a visible entry to another (either order); `NotFound` for a version that
    /// does not exist.
    pub async fn entry_diff(&self, viewer: Principal, id: EntryId, lang: Language, from_version: i64, to_version: i64) -> Result<EntryDiff> {
        self.read(move |c| {
            let row = visible_in(c, &viewer, &id, lang)?;
            let mut version = |v: i64| versions_in(c, &row, Some(v), Some(v))?.pop().ok_or(StoreError::NotFound);
            let (from, to) = (version(from_version)?, version(to_version)?);
            let lines = line_diff(&to_markdown(&from.entry), &to_markdown(&to.entry));
            Ok(EntryDiff { from_version, to_version, lines })
        })
        .await
    }

    /// The entries the viewer may see, by id then language (at most 20,000).
    pub async fn entries(&self, viewer: Principal, filter: EntryFilter) -> Result<Vec<KbEntry>> {
        self.read(move |c| entries_in(c, &viewer, filter, Some(LIST_LIMIT))).await
    }

    /// Every entry's current version, published or not, ready for `anxin_domain::knowledge::to_markdown` or
    /// `to_json` (editors). Complete: no list limit applies.
    pub async fn export_knowledge(&self, viewer: Principal) -> Result<Vec<Entry>> {
        if !is_editor(viewer.role) {
            return Err(StoreError::Forbidden("admins and supervisors export knowledge"));
        }
        let all = self.read(move |c| entries_in(c, &viewer, EntryFilter::default(), None)).await?;
        Ok(all.into_iter().map(|kb| kb.entry).collect())
    }

    /// Records that a person used an entry they can see (inserted it, opened it for a conversation), so they hear
    /// of its next version; for a script sent in a reply, `usage.message_id` is that reply and `usage.edited` says
    /// whether the agent changed the script first (outcome statistics). `NotFound` for an invisible entry, or a
    /// conversation or message of another organisation (a message must be in the given conversation).
    pub async fn record_usage(&self, actor: Principal, id: EntryId, lang: Language, usage: Usage) -> Result<()> {
        let Some(user_id) = actor.user_id else { return Err(StoreError::Forbidden("usage is recorded for a person")) };
        self.write(move |tx| {
            let row = visible_in(tx.conn, &actor, &id, lang)?;
            if let Some(conversation) = usage.conversation_id {
                tx.conn.query_one("SELECT 1 FROM conversations WHERE org_id = $1 AND id = $2", params![actor.org_id, conversation])?;
            }
            if let Some(message) = usage.message_id {
                let Some(conversation) = usage.conversation_id else { return Err(StoreError::NotFound) };
                tx.conn.query_one(
                    "SELECT 1 FROM messages WHERE org_id = $1 AND conversation_id = $2 AND id = $3",
                    params![actor.org_id, conversation, message],
                )?;
            }
            tx.conn.execute(
                "INSERT INTO kb_usage (org_id, entry_row_id, user_id, conversation_id, message_id, edited, used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![actor.org_id, row.row_id, user_id, usage.conversation_id, usage.message_id, usage.edited, tx.now],
            )?;
            Ok(())
        })
        .await
    }

    /// Every published entry of an organisation, for its search index (which holds only what agents may use).
    /// Not filtered by a viewer: the index answers to the web layer, which checks who asks.
    pub async fn published_entries(&self, org_id: i64) -> Result<Vec<Entry>> {
        self.read(move |c| {
            let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.published = 1 ORDER BY e.entry_id, e.lang");
            c.query(&sql, params![org_id])?.iter().map(|r| stored_from(r).map(|s| s.kb.entry)).collect()
        })
        .await
    }

    /// One variant as the search index should hold it: the entry when it exists and is published, else `None`.
    pub async fn published_entry(&self, org_id: i64, id: EntryId, lang: Language) -> Result<Option<Entry>> {
        self.read(move |c| Ok(stored_in(c, org_id, id.as_str(), lang)?.filter(|s| s.kb.published).map(|s| s.kb.entry))).await
    }

    /// The organisation's search synonyms as its editors wrote them (one group per line), or `None` when they
    /// never did (the built-in list applies).
    pub async fn knowledge_synonyms(&self, org_id: i64) -> Result<Option<String>> {
        self.read(move |c| Ok(c.query_opt("SELECT synonyms FROM kb_settings WHERE org_id = $1", params![org_id])?.map(|r| r.text(0)))).await
    }

    /// Replaces the synonym list (editors; the caller has checked it, see [`MAX_SYNONYMS_BYTES`]), audited, and
    /// tells every node to use it.
    pub async fn set_knowledge_synonyms(&self, actor: Principal, synonyms: String) -> Result<()> {
        if !is_editor(actor.role) {
            return Err(StoreError::Forbidden("admins and supervisors edit synonyms"));
        }
        self.write(move |tx| {
            let updated = tx.conn.execute(
                "UPDATE kb_settings SET synonyms = $1, updated_at = $2, updated_by = $3 WHERE org_id = $4",
                params![&synonyms, tx.now, actor.user_id, actor.org_id],
            )?;
            if updated == 0 {
                tx.conn.execute(
                    "INSERT INTO kb_settings (org_id, synonyms, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
                    params![actor.org_id, &synonyms, tx.now, actor.user_id],
                )?;
            }
            let groups = synonyms.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
            audit(tx, actor.org_id, &actor.audit_name(), "knowledge.synonyms", "kb", json!({"groups": groups}))?;
            tx.emit(actor.org_id, EventKind::KnowledgeChanged, None, false, json!({"synonyms": true}))
        })
        .await
    }

    /// Asks every node to rebuild the organisation's search index from the database (`anxin reindex`, or a lead
    /// after restoring a backup). Editors, or the system (no person: the command line).
    pub async fn request_reindex(&self, actor: Principal) -> Result<()> {
        if !is_editor(actor.role) {
            return Err(StoreError::Forbidden("admins and supervisors rebuild the search index"));
        }
        self.write(move |tx| {
            audit(tx, actor.org_id, &actor.audit_name(), "knowledge.reindex", "kb", json!({}))?;
            tx.emit(actor.org_id, EventKind::KnowledgeChanged, None, false, json!({"rebuild": true}))
        })
        .await
    }

    /// How each script used since `since_ms` fared (editors: it names no agent, but it is a lead's view), most used
    /// first.
    pub async fn script_stats(&self, viewer: Principal, since_ms: i64) -> Result<Vec<ScriptStats>> {
        if !is_editor(viewer.role) {
            return Err(StoreError::Forbidden("admins and supervisors see script statistics"));
        }
        self.read(move |c| {
            // One row per use; the customer's next message after the reply and the conversation's ratings come from
            // correlated subqueries on indexed columns (messages by conversation and id, ratings by conversation).
            let rows = c.query(
                "SELECT e.entry_id, e.lang, v.title, u.message_id, u.edited, \
                   (SELECT m.analysis FROM messages m WHERE m.conversation_id = u.conversation_id AND m.id > u.message_id \
                      AND m.kind = 'customer' ORDER BY m.id LIMIT 1), \
                   (SELECT COUNT(*) FROM csat_ratings r WHERE r.conversation_id = u.conversation_id AND u.message_id IS NOT NULL), \
                   (SELECT CAST(SUM(r.rating) AS BIGINT) FROM csat_ratings r WHERE r.conversation_id = u.conversation_id AND u.message_id IS NOT NULL) \
                 FROM kb_usage u JOIN kb_entries e ON e.id = u.entry_row_id \
                 JOIN kb_versions v ON v.entry_row_id = e.id AND v.version = e.version \
                 WHERE u.org_id = $1 AND e.kind = 'script' AND u.used_at >= $2 ORDER BY u.id LIMIT 200000",
                params![viewer.org_id, since_ms],
            )?;
            let mut by_script: Vec<ScriptStats> = Vec::new();
            let mut index: HashMap<(String, String), usize> = HashMap::new();
            let mut rating_sums: Vec<i64> = Vec::new();
            for r in &rows {
                let key = (r.text(0), r.text(1));
                let at = *index.entry(key).or_insert_with(|| {
                    by_script.push(ScriptStats {
                        id: r.text(0),
                        lang: Language::parse(&r.text(1)).unwrap_or(Language::ZhHans),
                        title: r.text(2),
                        used: 0,
                        sent: 0,
                        edited: 0,
                        answered: 0,
                        negative_after: 0,
                        csat_count: 0,
                        csat_average: None,
                    });
                    rating_sums.push(0);
                    by_script.len() - 1
                });
                let s = &mut by_script[at];
                s.used += 1;
                if r.opt_int(3).is_some() {
                    s.sent += 1;
                    s.edited += i64::from(r.opt_int(4) == Some(1));
                    if let Some(analysis) = r.opt_text(5) {
                        s.answered += 1;
                        let emotion = serde_json::from_str::<serde_json::Value>(&analysis).ok();
                        let label = emotion.as_ref().and_then(|a| a["emotion"]["label"].as_str().map(str::to_owned));
                        s.negative_after += i64::from(matches!(label.as_deref(), Some("anger" | "anxiety" | "disappointment")));
                    }
                    s.csat_count += r.opt_int(6).unwrap_or(0);
                    rating_sums[at] += r.opt_int(7).unwrap_or(0);
                }
            }
            for (s, sum) in by_script.iter_mut().zip(rating_sums) {
                s.csat_average = (s.csat_count > 0).then(|| sum as f64 / s.csat_count as f64);
            }
            by_script.sort_by(|a, b| b.used.cmp(&a.used).then_with(|| a.id.cmp(&b.id)));
            Ok(by_script)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the diff and shows it as `" a"`, `"-b"`, `"+c"` lines.
    fn check(old: &str, new: &str, expected: &[&str]) {
        let shown: Vec<String> = line_diff(old, new)
            .iter()
            .map(|l| {
                let mark = match l.op {
                    DiffOp::Same => ' ',
                    DiffOp::Removed => '-',
                    DiffOp::Added => '+',
                };
                format!("{mark}{}", l.text)
            })
            .collect();
        assert_eq!(shown, expected, "{old:?} → {new:?}");
    }

    #[test]
    fn line_diffs_are_minimal_and_keep_order() {
        check("", "", &[]);
        check("a\nb", "a\nb", &[" a", " b"]);
        check("", "a", &["+a"]);
        check("a", "", &["-a"]);
        check("a\nb\nc", "a\nx\nc", &[" a", "-b", "+x", " c"]);
        check("a\nb\nc\nd", "a\nc\nd\ne", &[" a", "-b", " c", " d", "+e"]);
        check("x\na\nb", "a\nb\ny", &["-x", " a", " b", "+y"]);
        // The common subsequence (b, d) survives inside a changed block.
        check("a\nb\nc\nd\ne", "a\nx\nb\nd\ny", &[" a", "+x", " b", "-c", " d", "-e", "+y"]);
        check("退货\n七天", "退货\n十五天", &[" 退货", "-七天", "+十五天"]);
    }

    #[test]
    fn a_huge_changed_block_is_shown_removed_then_added() {
        let old: String = (0..2100).map(|i| format!("o{i}\n")).collect();
        let new: String = (0..2100).map(|i| format!("n{i}\n")).collect();
        let diff = line_diff(&format!("top\n{old}end"), &format!("top\n{new}end"));
        assert_eq!(diff.len(), 4202);
        assert_eq!((diff[0].op, diff[1].op, diff[2101].op, diff[4201].op), (DiffOp::Same, DiffOp::Removed, DiffOp::Added, DiffOp::Same));
    }

    #[test]
    fn change_notes_are_one_bounded_line() {
        assert_eq!(ChangeNote::parse("  运费说明更新 ").unwrap().as_str(), "运费说明更新");
        assert_eq!(ChangeNote::parse(" "), Err("empty"));
        assert_eq!(ChangeNote::parse(&"长".repeat(ChangeNote::MAX_CHARS)).map(|n| n.0.chars().count()), Ok(ChangeNote::MAX_CHARS));
        assert_eq!(ChangeNote::parse(&"长".repeat(ChangeNote::MAX_CHARS + 1)), Err("too_long"));
        assert_eq!(ChangeNote::parse("a\nb"), Err("invalid"));
    }
}
