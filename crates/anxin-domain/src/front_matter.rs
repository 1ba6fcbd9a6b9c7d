//! Files of Markdown with TOML front matter (`+++` … `+++`), as the knowledge base and the training curriculum write
//! them: the one reader both use, so a problem is reported the same way everywhere — `file:line: field: message`,
//! with the line of the key, the value or the body line at fault.

use serde::de::DeserializeOwned;

use crate::knowledge::ImportError;

/// The line that opens and closes the front matter.
pub const DELIMITER: &str = "+++";

/// A file read: its front matter deserialised, the body after it, and where things are.
pub struct Document<T> {
    pub fields: T,
    pub body: String,
    /// The file line of the closing `+++` (body line n is file line `close_line + n`).
    pub close_line: usize,
    /// Every top-level key with its file line, in file order.
    pub key_lines: Vec<(String, usize)>,
}

/// The file line of a key (1 when absent).
pub fn line_of_key(key_lines: &[(String, usize)], key: &str) -> usize {
    key_lines.iter().find(|(k, _)| k == key).map_or(1, |(_, line)| *line)
}

/// An error at a line of a file.
pub fn error_at(file: &str, line: usize, field: &str, message: String) -> ImportError {
    ImportError { file: file.to_owned(), line: Some(line), field: field.to_owned(), message }
}

/// Reads a file: a UTF-8 BOM and CRLF line ends are accepted; the front matter must open on line 1, close, stay
/// within `max_front_bytes`, hold only `keys`, and deserialise into `T` (the failing field and its line named).
pub fn read<T: DeserializeOwned>(file: &str, text: &str, keys: &[&str], max_front_bytes: usize) -> Result<Document<T>, ImportError> {
    let error = |line: usize, field: &str, message: String| error_at(file, line, field, message);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");

    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end_matches('\n') != DELIMITER {
        return Err(error(1, "front matter", "the file must start with a line `+++` that opens the TOML front matter".into()));
    }
    let (mut offset, mut line_number, mut close) = (first.len(), 1, None);
    for line in lines {
        line_number += 1;
        if line.trim_end_matches('\n') == DELIMITER {
            close = Some((offset, offset + line.len(), line_number));
            break;
        }
        offset += line.len();
        if offset - first.len() > max_front_bytes {
            break;
        }
    }
    if offset - first.len() > max_front_bytes {
        return Err(error(1, "front matter", format!("is longer than {max_front_bytes} bytes")));
    }
    let Some((front_end, body_start, close_line)) = close else {
        return Err(error(1, "front matter", "is not closed: no second line that is exactly `+++`".into()));
    };
    let front = &text[first.len()..front_end];
    // The front matter starts on line 2 of the file. Counted on bytes: a span is never trusted to be a char boundary.
    let line_of = |offset: usize| 2 + front.as_bytes()[..offset.min(front.len())].iter().filter(|&&b| b == b'\n').count();

    let table = toml::de::DeTable::parse(front).map_err(|e| {
        let line = e.span().map_or(2, |span| line_of(span.start));
        error(line, "front matter", e.message().trim().to_owned())
    })?;
    let mut key_lines: Vec<(String, usize)> =
        table.get_ref().iter().map(|(key, _)| (key.get_ref().to_string(), line_of(key.span().start))).collect();
    key_lines.sort_by_key(|(_, line)| *line);
    if let Some((key, line)) = key_lines.iter().find(|(key, _)| !keys.contains(&key.as_str())) {
        return Err(error(*line, key, format!("unknown key; the keys are: {}", keys.join(", "))));
    }
    let fields: T = serde_path_to_error::deserialize(toml::Deserializer::from(table)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "front matter".to_owned() } else { path };
        let top_key = field.split(['.', '[']).next().unwrap_or_default();
        let line = e.inner().span().map(|span| line_of(span.start)).unwrap_or_else(|| line_of_key(&key_lines, top_key));
        error(line, &field, e.inner().message().trim().to_owned())
    })?;
    Ok(Document { fields, body: text[body_start..].to_owned(), close_line, key_lines })
}
