//! Reading labelled CSV files (`label,text,...`): every problem is an error naming the file and line.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// One labelled row with the line it came from.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub label: String,
    pub text: String,
}

/// Reads a UTF-8 CSV with a header containing `label_column` and `text` (other columns are ignored).
pub fn read(path: &Path, label_column: &str) -> Result<Vec<Row>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&bytes, label_column).with_context(|| format!("in {}", path.display()))
}

pub fn parse(bytes: &[u8], label_column: &str) -> Result<Vec<Row>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let headers = reader.headers().context("line 1: the header is not valid UTF-8 CSV")?.clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let Some(label_at) = find(label_column) else {
        bail!("line 1: the header has no `{label_column}` column (found: {})", headers.iter().collect::<Vec<_>>().join(","));
    };
    let Some(text_at) = find("text") else {
        bail!("line 1: the header has no `text` column (found: {})", headers.iter().collect::<Vec<_>>().join(","));
    };
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            anyhow::anyhow!("line {line}: malformed row: {}", describe(&e))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        rows.push(Row { line, label: record[label_at].trim().to_string(), text: record[text_at].to_string() });
    }
    Ok(rows)
}

fn describe(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "it is not valid UTF-8".to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("it has {len} fields where the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

/// Reads only the `text` column of a CSV file (for benchmarks).
pub fn read_texts(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let headers = reader.headers().context("line 1: the header is not valid UTF-8 CSV")?.clone();
    let Some(text_at) = headers.iter().position(|h| h.trim() == "text") else {
        bail!("{}: line 1: the header has no `text` column", path.display());
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            anyhow::anyhow!("{}: line {}: {}", path.display(), e.position().map(|p| p.line()).unwrap_or(0), describe(&e))
        })?;
        out.push(record.get(text_at).unwrap_or("").to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_in_any_column_order() {
        let rows = parse("text,label,source\n\"你好,世界\",positive,x\n差,negative,y\n".as_bytes(), "label").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "你好,世界");
        assert_eq!(rows[1].label, "negative");
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn hostile_files_are_clear_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"label,body\npositive,x\n", "no `text` column"),
            (b"text\nx\n", "no `label` column"),
            (b"label,text\npositive,ok\nnegative\n", "line 3"),
            (b"label,text\npositive,\xff\xfe\n", "not valid UTF-8"),
            (b"label,text\npositive,\"unterminated\n", "line"),
        ];
        for (input, expected) in cases {
            match parse(input, "label") {
                Ok(rows) if expected == &"line" => assert!(rows.len() <= 1),
                Ok(rows) => panic!("expected an error containing {expected:?}, got {} rows", rows.len()),
                Err(e) => assert!(format!("{e:#}").contains(expected), "{e:#} should contain {expected}"),
            }
        }
        assert!(parse(b"", "label").is_err(), "an empty file has no header");
    }
}
