//! Editable synonym groups, applied at query time: a query that contains any word of a group also searches for
//! the others (OR'd, at a lower weight than the words typed), so 退钱 finds the 退款 article without reindexing.

use std::collections::HashMap;

use anxin_text::normalize::fold_char;

/// The list shipped with Anxin (`src/synonyms.txt`).
pub const DEFAULT_SYNONYMS: &str = include_str!("synonyms.txt");

/// Synonym groups. Words are stored normalised (Simplified, half-width, lower-case), like queries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
    /// Every word with the groups it belongs to (a word may be in several, e.g. 坏了).
    by_word: HashMap<String, Vec<usize>>,
}

impl Synonyms {
    /// Parses lines of space-separated words, one group per line; blank lines and `#` comments are skipped, as
    /// are groups with fewer than two words (nothing to expand).
    pub fn parse(text: &str) -> Self {
        let mut synonyms = Self::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group: Vec<String> = Vec::new();
            for word in line.split_whitespace() {
                let word: String = word.chars().map(fold_char).collect();
                if !group.contains(&word) {
                    group.push(word);
                }
            }
            if group.len() < 2 {
                continue;
            }
            let index = synonyms.groups.len();
            for word in &group {
                synonyms.by_word.entry(word.clone()).or_default().push(index);
            }
            synonyms.groups.push(group);
        }
        synonyms
    }

    /// The shipped list.
    pub fn default_list() -> Self {
        Self::parse(DEFAULT_SYNONYMS)
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// The alternatives for a normalised query: the other words of every group with a word that the query
    /// contains (as a substring of two characters or more, so multi-word Chinese phrases match without segmentation; Latin words must match
    /// a whole word). Words already in the query are not repeated.
    pub fn expand(&self, normalised_query: &str) -> Vec<&str> {
        let latin_words: Vec<&str> =
            normalised_query.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let mut out: Vec<&str> = Vec::new();
        for (word, groups) in &self.by_word {
            let present = if word.is_ascii() {
                if word.contains(' ') { normalised_query.contains(word.as_str()) } else { latin_words.contains(&word.as_str()) }
            } else {
                // One character (修, 券) is too weak a signal to expand on.
                word.chars().count() > 1 && normalised_query.contains(word.as_str())
            };
            if !present {
                continue;
            }
            for &group in groups {
                for other in &self.groups[group] {
                    if !normalised_query.contains(other.as_str()) && !out.contains(&other.as_str()) {
                        out.push(other);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_parse_normalised_and_expand_both_ways() {
        let synonyms = Synonyms::parse("# comment\n退款 退錢 返款\n\nlonely\nRefund 退款\n");
        assert_eq!(synonyms.groups().len(), 2);
        assert_eq!(synonyms.expand("怎么退钱"), ["返款", "退款"]);
        assert_eq!(synonyms.expand("refund please"), ["退款"]);
        assert!(synonyms.expand("refunded").is_empty(), "Latin words match whole words only");
    }

    #[test]
    fn the_shipped_list_has_at_least_thirty_groups() {
        assert!(Synonyms::default_list().groups().len() >= 30);
    }
}
