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

/// One of our labels on a text of the public data, referenced by file and text hash (the text itself stays in the
/// data folder; see `data/labels/README.md`).
#[derive(Debug, Clone)]
pub struct LabelledText {
    /// Line of the label file.
    pub line: u64,
    pub text: String,
    /// The label file's `label` column (an emotion) and `complaint` column (a complaint type).
    pub emotion: String,
    pub complaint: String,
}

/// Reads a label file (`file,text_fnv1a,label,complaint`) and joins every row with its text in `data_dir`.
/// A missing column, a file outside the data folder, a hash not found there or a malformed row is an error naming the
/// label file's line.
pub fn read_references(path: &Path, data_dir: &Path) -> Result<Vec<LabelledText>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    join_references(&bytes, data_dir).with_context(|| format!("in {}", path.display()))
}

fn join_references(bytes: &[u8], data_dir: &Path) -> Result<Vec<LabelledText>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let headers = reader.headers().context("line 1: the header is not valid UTF-8 CSV")?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h.trim() == name).with_context(|| format!("line 1: the header has no `{name}` column"))
    };
    let (file_at, hash_at, label_at, complaint_at) =
        (column("file")?, column("text_fnv1a")?, column("label")?, column("complaint")?);
    // Texts of every referenced data file by hash, read once per file.
    let mut files: std::collections::HashMap<String, std::collections::HashMap<u64, String>> = Default::default();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            anyhow::anyhow!("line {}: malformed row: {}", e.position().map(|p| p.line()).unwrap_or(0), describe(&e))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let file = record[file_at].trim();
        let relative = Path::new(file);
        if file.is_empty()
            || !relative.components().all(|c| matches!(c, std::path::Component::Normal(_)))
            || relative.extension().is_none_or(|e| e != "csv")
        {
            bail!("line {line}: `{file}` is not a CSV file inside the data folder");
        }
        let hash = u64::from_str_radix(record[hash_at].trim(), 16)
            .ok()
            .filter(|_| record[hash_at].trim().len() == 16)
            .with_context(|| format!("line {line}: `{}` is not a 16-digit hex text hash", &record[hash_at]))?;
        if !files.contains_key(file) {
            let rows = read(&data_dir.join(relative), "label").with_context(|| format!("line {line}"))?;
            let texts = rows.into_iter().map(|r| (anxin_text::features::hash_bytes(r.text.as_bytes()), r.text)).collect();
            files.insert(file.to_string(), texts);
        }
        let text = files[file].get(&hash).with_context(|| format!("line {line}: no text in {file} has hash {hash:016x}"))?;
        out.push(LabelledText {
            line,
            text: text.clone(),
            emotion: record[label_at].trim().to_string(),
            complaint: record[complaint_at].trim().to_string(),
        });
    }
    Ok(out)
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

    #[test]
    fn references_join_with_the_data_and_hostile_ones_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sentiment")).unwrap();
        std::fs::write(dir.path().join("sentiment/a.csv"), "label,text\nnegative,太慢了\n").unwrap();
        let hash = format!("{:016x}", anxin_text::features::hash_bytes("太慢了".as_bytes()));
        let good = format!("file,text_fnv1a,label,complaint\nsentiment/a.csv,{hash},anger,logistics\n");
        let rows = join_references(good.as_bytes(), dir.path()).unwrap();
        assert_eq!((rows[0].text.as_str(), rows[0].emotion.as_str(), rows[0].complaint.as_str()), ("太慢了", "anger", "logistics"));
        let cases = [
            ("file,label,complaint\nx,anger,other\n".to_string(), "no `text_fnv1a` column"),
            (format!("file,text_fnv1a,label,complaint\n../a.csv,{hash},anger,other\n"), "line 2: `../a.csv` is not"),
            (format!("file,text_fnv1a,label,complaint\n/etc/passwd.csv,{hash},anger,other\n"), "line 2"),
            (format!("file,text_fnv1a,label,complaint\nsentiment/b.csv,{hash},anger,other\n"), "line 2"),
            ("file,text_fnv1a,label,complaint\nsentiment/a.csv,xyz,anger,other\n".to_string(), "not a 16-digit hex"),
            ("file,text_fnv1a,label,complaint\nsentiment/a.csv,0000000000000000,anger,other\n".to_string(), "no text in"),
            ("file,text_fnv1a,label,complaint\nsentiment/a.csv,1\n".to_string(), "line 2: malformed row"),
        ];
        for (input, expected) in cases {
            let err = join_references(input.as_bytes(), dir.path()).expect_err(expected);
            assert!(format!("{err:#}").contains(expected), "{err:#} should contain {expected}");
        }
    }
}
