//! Regressions for what hostile and ordinary files did to envlint 0.1.0 (issue
//! "No input crashes, hangs or leaks"): each test names the item it covers.

mod common;

use std::path::Path;

// Not git repositories: these tests are about hostile input, not git facts.
use common::{envlint, plain_tempdir as tempdir, transcript, write};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", transcript(out)))
}

fn scan_json(dir: &Path, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let out = envlint().args(["scan", "--format", "json", "--fail-on", "never"]).args(extra).arg(dir).output();
    let out = out.expect("run");
    let v = json(&out);
    (out, v)
}

/// Item 2: human output of a finding past column 65,535 (miette panicked on the padding).
#[test]
fn human_output_past_column_65535() {
    let dir = tempdir();
    let mut line = " ".repeat(70_000).into_bytes();
    line.extend_from_slice(b"DEBUG=true\n");
    write(dir.path(), ".env.production", &line);
    write(dir.path(), "main.tf", format!("locals {{\n{}x = = 1\n}}\n", " ".repeat(70_000)).as_bytes());
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(text.contains(".env.production:1:70007"), "{text}");
    assert!(text.contains("DEBUG=true"), "{text}");
    assert!(text.contains("parse-error"), "{text}");
    assert!(text.len() < 20_000, "snippets show a window of a long line, not all of it");
}

/// Item 2: a config error past column 65,535 is exit 2 with a diagnostic, not a panic.
#[test]
fn config_error_past_column_65535() {
    let dir = tempdir();
    write(dir.path(), "envlint.toml", format!("{}selct = 1\n", " ".repeat(70_000)).as_bytes());
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(err.contains("envlint.toml:1:70001"), "{err}");
    assert!(err.contains("unknown field `selct`"), "{err}");
}

/// Item 6: FIFOs named like ignore files do not block the walk.
#[cfg(unix)]
#[test]
fn fifos_named_like_ignore_files_are_not_opened() {
    let dir = tempdir();
    write(dir.path(), "app/.env.production", b"DEBUG=true\n");
    for fifo in [".gitignore", "app/.envlintignore", ".git/info/exclude"] {
        let _ = std::fs::remove_file(dir.path().join(fifo));
        std::fs::create_dir_all(dir.path().join(fifo).parent().expect("parent")).expect("mkdir");
        let made = std::process::Command::new("mkfifo").arg(dir.path().join(fifo)).status().expect("mkfifo");
        assert!(made.success());
    }
    let out = envlint()
        .args(["scan", "--format", "json", "--fail-on", "never", "--select", "prod-*"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_mins(1))
        .output()
        .expect("run");
    let v = json(&out);
    assert_eq!(v["findings"][0]["rule"], "prod-debug-enabled", "{}", transcript(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: .gitignore is not a regular file"), "{err}");
}

/// Items 7 and 8: many findings and many secrets in one file render in every
/// format, and no secret is shown.
#[test]
fn many_findings_and_secrets_in_one_file() {
    let dir = tempdir();
    let mut text = String::new();
    let mut secrets = Vec::new();
    for i in 0..5_000 {
        let secret = format!("Zq{i:05}xR7vLp2Wm9Kd4Tj8");
        text += &["SERVICE_", &i.to_string(), "_TOKEN=", &secret, "\nDUP=1\n"].concat();
        secrets.push(secret);
    }
    write(dir.path(), ".env.production", text.as_bytes());
    for format in ["human", "json", "sarif", "gitlab", "github"] {
        let out = envlint().args(["scan", "--fail-on", "never", "--format", format]).arg(dir.path()).output();
        let out = out.expect("run");
        assert_eq!(out.status.code(), Some(0), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(shown.matches("committed-secret").count() >= 5_000, "{format}");
        for s in secrets.iter().step_by(97) {
            assert!(!shown.contains(&s[4..]), "{format} shows a secret");
        }
    }
}

/// Item 11: the fingerprint cannot be recomputed from a guessed secret: two
/// different secrets at the same place have the same fingerprint.
#[test]
fn fingerprints_do_not_depend_on_the_secret() {
    let fingerprint = |secret: &str| {
        let dir = tempdir();
        write(dir.path(), ".env.production", format!("A=1\nDB_PASSWORD={secret}\n").as_bytes());
        let (_, v) = scan_json(dir.path(), &["--select", "committed-secret"]);
        v["findings"][0]["fingerprint"].as_str().expect("a finding").to_owned()
    };
    assert_eq!(fingerprint("Summer2024!Acme"), fingerprint("Xq7#kLm2@pR9vZa"));
}

/// Item 12: control characters in file content, key names and file names never
/// reach the terminal raw; item 13: nor warnings on stderr.
#[cfg(unix)]
#[test]
fn control_characters_are_escaped_everywhere() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    write(
        dir.path(),
        ".env.production",
        b"# \x1b]52;c;cHduZWQ=\x07\x1b[2J\nDEBUG=true\nK\x1b[31mEY=1\nK\x1b[31mEY=2\n",
    );
    // a file name with a newline and a workflow command, next to a FIFO that makes a warning
    let odd = std::ffi::OsStr::from_bytes(b"svc\n::error file=x::pwned");
    std::fs::create_dir_all(dir.path().join(odd)).expect("mkdir");
    std::fs::write(dir.path().join(odd).join(".env.production"), "DEBUG=1\n").expect("write");
    let fifo = dir.path().join(odd).join(".gitignore");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    for format in ["human", "github"] {
        let out = envlint().args(["scan", "--fail-on", "never", "--format", format]).arg(dir.path()).output();
        let out = out.expect("run");
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !stream.iter().any(|&b| b == 0x1b || b == 0x07 || b == b'\r'),
                "{format} {name} has a raw control character: {}",
                transcript(&out)
            );
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.lines().any(|l| l.starts_with("::error file=x")),
                "{format} {name}: a file name injected a workflow command:\n{text}"
            );
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("svc␊::error file=x::pwned/.gitignore is not a regular file"), "{err}");
        assert!(!err.contains(&*dir.path().to_string_lossy()), "warnings show repository-relative paths: {err}");
    }
}

/// Item 15: two file names that are not UTF-8 and would decode to the same
/// text are both scanned, and shown apart.
#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names_are_not_merged() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    for name in [&b"prod\xff"[..], &b"prod\xfe"[..]] {
        let sub = dir.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(".env.production"), "DEBUG=true\n").expect("write");
    }
    let (_, v) = scan_json(dir.path(), &[]);
    let paths: Vec<&str> =
        v["findings"].as_array().expect("findings").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, ["prod\\xFE/.env.production", "prod\\xFF/.env.production"], "{v}");
}

/// Item 16: one Latin-1 byte does not make a file binary; a NUL byte or UTF-16
/// does not hide a known kind.
#[test]
fn encodings_do_not_hide_files() {
    let dir = tempdir();
    write(dir.path(), "notes.txt", b"caf\xe9\n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\n");
    write(dir.path(), "a/.env.production", b"A=1\0\nDEBUG=true\n");
    let utf16: Vec<u8> = "\u{feff}DEBUG=true\nLOG_LEVEL=debug\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    write(dir.path(), "b/.env.production", &utf16);
    let (_, v) = scan_json(dir.path(), &[]);
    let findings = v["findings"].as_array().expect("findings");
    let has = |rule: &str, path: &str| findings.iter().any(|f| f["rule"] == rule && f["path"] == path);
    assert!(has("committed-secret", "notes.txt"), "{v}");
    assert!(has("parse-error", "a/.env.production"), "{v}");
    assert!(has("prod-debug-enabled", "b/.env.production"), "{v}");
    assert!(has("prod-verbose-logging", "b/.env.production"), "{v}");
}

/// Item 17: lone CR line endings: every format agrees on the line and column.
#[test]
fn lone_cr_line_endings_agree_across_formats() {
    let dir = tempdir();
    write(dir.path(), ".env.production", b"A=1\rDEBUG=true\r");
    let (_, v) = scan_json(dir.path(), &[]);
    assert_eq!(v["findings"][0]["span"]["start"], serde_json::json!({"line": 2, "column": 7}), "{v}");
    let human = envlint().args(["scan", "--fail-on", "never"]).arg(dir.path()).output().expect("run");
    assert!(String::from_utf8_lossy(&human.stdout).contains(".env.production:2:7]"), "{}", transcript(&human));
    let github = envlint().args(["scan", "--fail-on", "never", "--format", "github"]).arg(dir.path()).output();
    assert!(String::from_utf8_lossy(&github.expect("run").stdout).contains("line=2,col=7,"));
}

/// Failure isolation: an internal error on one file is a warning naming the
/// file, the scan goes on, and exit code 3 says it is incomplete.
#[test]
fn internal_errors_are_isolated_per_file() {
    let dir = tempdir();
    write(dir.path(), "boom/.env.production", b"DEBUG=true\n");
    write(dir.path(), "ok/.env.production", b"DEBUG=true\n");
    for (step, says) in [
        ("parse", "internal error reading boom/.env.production"),
        ("rule", "on boom/.env.production"),
        ("redact", "internal error redacting findings of boom/.env.production"),
    ] {
        let out = envlint()
            .env("ENVLINT_TEST_PANIC", format!("{step}:boom"))
            .args(["scan", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(3), "{step}: {}", transcript(&out));
        let v = json(&out);
        let paths: Vec<&str> =
            v["findings"].as_array().expect("findings").iter().filter_map(|f| f["path"].as_str()).collect();
        assert!(paths.contains(&"ok/.env.production"), "{step}: {v}");
        assert!(!paths.contains(&"boom/.env.production"), "{step}: {v}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains("injected failure"), "{step}: {err}");
        assert!(err.contains("the scan is incomplete"), "{step}: {err}");
        assert!(!err.contains("panicked at"), "{step}: the panic itself is not printed: {err}");
    }
}

/// Determinism: the same tree at -j1 and -j4 gives byte-identical output in every format.
#[test]
fn output_is_identical_at_any_thread_count_in_every_format() {
    let dir = tempdir();
    common::copy_into(&common::repo().join("fixtures/demo"), dir.path());
    for format in ["human", "json", "sarif", "gitlab", "github"] {
        let run = |threads: &str| {
            let mut cmd = envlint();
            cmd.args(["scan", "--fail-on", "never", "--format", format, "-j", threads]).arg(dir.path());
            cmd.output().expect("run").stdout
        };
        let one = run("1");
        assert!(!one.is_empty());
        assert_eq!(one, run("4"), "{format}");
    }
}

/// Issue 10: Terraform evaluation is bounded: nested `for` over a large list,
/// locals that double a string or use each other in a cycle, a chain of locals
/// deeper than the evaluator nests, a resource count of 10^12. The scan ends
/// (in a fraction of a second: no timed assertion, the step budget is what
/// bounds it), without internal errors, and stays silent on what it cannot know.
#[test]
fn terraform_evaluation_is_bounded() {
    use std::fmt::Write as _;
    let dir = tempdir();
    let list: Vec<String> = (0..5000).map(|i| format!("\"v{i}\"")).collect();
    let mut tf = format!(
        "terraform {{\n  backend \"s3\" {{}}\n}}\nprovider \"aws\" {{}}\nlocals {{\n  l = [{}]\n  square = [for a in local.l : [for b in local.l : \"${{a}}${{b}}\"]]\n  loop_a = local.loop_b\n  loop_b = merge(local.loop_a, {{}})\n  s0 = \"xxxxxxxxxxxxxxxx\"\n",
        list.join(", ")
    );
    for i in 0..40 {
        let _ = writeln!(tf, "  s{} = \"${{local.s{i}}}${{local.s{i}}}\"", i + 1);
    }
    for i in 0..3000 {
        let _ = writeln!(tf, "  c{i} = local.c{}", i + 1);
    }
    tf.push_str("  c3000 = { env = \"prod\" }\n}\n");
    for (name, tags) in [("a", "local.square"), ("b", "local.loop_a"), ("c", "{ env = local.s40 }"), ("d", "local.c0")]
    {
        let _ = writeln!(tf, "resource \"aws_s3_bucket\" \"{name}\" {{\n  count = 1000000000000\n  tags = {tags}\n}}");
    }
    write(dir.path(), "environments/prod/main.tf", tf.as_bytes());
    let (out, v) = scan_json(dir.path(), &["--select", "missing-required-tags,invalid-env-tag"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(v["findings"], serde_json::json!([]), "unknown tags stay silent");
}
