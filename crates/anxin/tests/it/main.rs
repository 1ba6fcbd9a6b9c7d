//! The `anxin` command as a user runs it: real process, real files, hostile input.

mod server;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn anxin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anxin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("anxin runs");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(bytes) = stdin {
            input.write_all(bytes).expect("write stdin");
        }
    }
    child.wait_with_output().expect("anxin finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

fn write_csv(content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(content).expect("write csv");
    f
}

#[test]
fn analyze_prints_one_json_object_per_argument() {
    let out = anxin(&["analyze", "快递太慢了，气死我了！！！", "謝謝，很滿意"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for key in ["emotion", "sentiment", "complaint", "signals", "pii", "language", "explain"] {
        assert!(lines[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(lines[0]["emotion"]["label"], "anger");
    assert_eq!(lines[1]["language"], "zh-Hant");
    assert_eq!(lines[1]["sentiment"]["label"], "positive");
}

#[test]
fn analyze_reads_stdin_and_survives_invalid_utf8() {
    let mut input = "第一条：东西坏了\n".as_bytes().to_vec();
    input.extend_from_slice(b"\xff\xfe broken\n");
    input.extend_from_slice("第三条：谢谢\r\n\n".as_bytes());
    let out = anxin(&["analyze"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "every line gets an answer, the empty one too");
    assert_eq!(lines[1]["error"], "invalid_utf8");
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[2].get("emotion").is_some());
    assert!(stderr(&out).contains("line 2"));
}

#[test]
fn analyze_pretty_and_conversation() {
    let out = anxin(&["analyze", "--pretty", "--conversation", "还没到吗", "第三次问了！！！我要投诉！"], None);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("\n  \"emotion\""), "pretty output is indented");
    assert!(text.contains("\"trajectory\""));
}

#[test]
fn analyze_and_eval_read_inbox_messages_with_the_shop_context() {
    // 在吗 alone reads like social chat; in the inbox it is a calm opener, not a worried complaint.
    let plain = json_lines(&anxin(&["analyze", "--inbox", "在吗"], None));
    assert_eq!(plain[0]["emotion"]["label"], "neutral", "{}", plain[0]);
    assert!(plain[0]["complaint"].is_null());
    let csv = write_csv("label,text
neutral,在吗
neutral,我现在在上班，晚上回去拍了发你
anger,骗子！退钱！
".as_bytes());
    let out = anxin(&["eval", "--task", "emotion", "--inbox", "--data", csv.path().to_str().unwrap(), "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["accuracy"].as_f64(), Some(1.0), "{v}");
}

#[test]
fn eval_is_complaint_reads_none_and_complaint_types() {
    let csv = write_csv("label,complaint,text
neutral,none,请问支持七天无理由退货吗
neutral,none,发货了吗
anger,quality,用了两天就坏了，开不了机，什么质量
anxiety,refund_return,说好今天退款到账，现在还是没到
".as_bytes());
    let path = csv.path().to_str().unwrap();
    let out = anxin(&["eval", "--task", "is-complaint", "--label-column", "complaint", "--inbox", "--data", path, "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["task"], "is_complaint");
    assert_eq!(v["n"], 4);
    assert_eq!(v["accuracy"].as_f64(), Some(1.0), "{v}");
    // An emotion where a complaint label belongs is named with its line.
    let wrong = anxin(&["eval", "--task", "is-complaint", "--data", path], None);
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("line 2") && stderr(&wrong).contains("none, no, yes"), "{}", stderr(&wrong));
}

#[test]
fn analyze_reads_a_model_file_when_given_one() {
    let garbage = write_csv(b"not a model at all");
    let out = anxin(&["analyze", "--model", garbage.path().to_str().unwrap(), "hello"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a usable model"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/anxin-text.model");
    let from_file = json_lines(&anxin(&["analyze", "--model", shipped, "太差了，垃圾"], None));
    let built_in = json_lines(&anxin(&["analyze", "太差了，垃圾"], None));
    assert_eq!(from_file, built_in, "the committed model file is the one built in");
}

#[test]
fn eval_reports_metrics_as_json() {
    let csv = write_csv("label,text,source_label\npositive,很好用，推荐,x\nnegative,太差了，垃圾,y\npositive,\"满意,谢谢\",z\n".as_bytes());
    let path = csv.path().to_str().unwrap();
    let out = anxin(&["eval", "--task", "sentiment", "--data", path, "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON object");
    for key in ["task", "n", "accuracy", "macro_f1", "per_class", "confusion"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["task"], "sentiment");
    assert_eq!(v["n"], 3);
    let text = anxin(&["eval", "--task", "sentiment", "--data", path], None);
    assert!(stdout(&text).contains("macro_f1"));
}

#[test]
fn eval_macro_f1_counts_only_labels_present() {
    let csv = write_csv("label,text\nanger,气死我了！！！垃圾\nanger,骗子！退钱！\n".as_bytes());
    let out = anxin(&["eval", "--task", "emotion", "--data", csv.path().to_str().unwrap(), "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    let f1 = v["macro_f1"].as_f64().unwrap();
    // With one gold class, macro-F1 is that class's F1, which is 1.0 exactly when accuracy is 1.0.
    assert_eq!(acc == 1.0, f1 == 1.0, "accuracy {acc} macro_f1 {f1}");
}

#[test]
fn eval_rejects_hostile_files_with_the_line() {
    let cases: &[(&[u8], &str, &str)] = &[
        (b"label,text\npositive,ok\nhappy,hmm\n", "sentiment", "line 3"),
        (b"label,text\nquality,x\nnot_a_type,y\n", "complaint", "line 3"),
        (b"text,source\nx,y\n", "sentiment", "label"),
        (b"label,text\npositive,ok\nnegative\n", "sentiment", "line 3"),
        (b"label,text\npositive,\xff\n", "sentiment", "UTF-8"),
    ];
    for (content, task, expected) in cases {
        let csv = write_csv(content);
        let out = anxin(&["eval", "--task", task, "--data", csv.path().to_str().unwrap()], None);
        assert!(!out.status.success(), "should fail: {:?}", String::from_utf8_lossy(content));
        assert!(stderr(&out).contains(expected), "stderr {:?} should mention {expected}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    let missing = anxin(&["eval", "--task", "emotion", "--data", "/nonexistent/file.csv"], None);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("cannot read"));
    // A model file that is missing or not a model is a clear error, not a panic.
    let data = write_csv(b"label,text\npositive,ok\n");
    let garbage = write_csv(b"not a model at all");
    for (model, expected) in [("/nonexistent/m.model", "cannot read"), (garbage.path().to_str().unwrap(), "not a usable model")] {
        let out = anxin(&["eval", "--task", "sentiment", "--data", data.path().to_str().unwrap(), "--model", model], None);
        assert!(!out.status.success(), "{model}");
        assert!(stderr(&out).contains(expected), "stderr {:?} should mention {expected}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn bench_reports_the_documented_keys() {
    let csv = write_csv("label,text\npositive,快递很快，很满意\nnegative,质量太差了，要退货\n".as_bytes());
    let out = anxin(&["bench", "analyze", "--data", csv.path().to_str().unwrap(), "--json", "--seconds", "0.2"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    for key in ["msgs_per_s_single", "msgs_per_s_all", "p50_us", "p99_us"] {
        assert!(v[key].as_f64().is_some_and(|x| x > 0.0), "{key} = {}", v[key]);
    }
}

#[test]
fn train_refuses_a_wrong_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = anxin(&["train", "--data-dir", dir.path().to_str().unwrap(), "--out", dir.path().to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("does not look like the training data folder"));
}

#[test]
fn check_reply_flags_an_impatient_draft_and_suggests_a_rewrite() {
    let out = anxin(&["check-reply", "不是跟你说了吗，订单123456今天发货", "--customer", "快递怎么还没到？？我很着急"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["problems"][0]["kind"], "impatient");
    assert!(v["score"].as_u64().unwrap() < 80);
    let suggestion = v["suggestion"].as_str().unwrap();
    assert!(suggestion.contains("123456") && !suggestion.contains("不是跟你说了吗"), "{suggestion}");
}
