//! No input crashes envlint: hostile files become parse-error findings or are
//! skipped, and the scan goes on to report the ordinary files.

mod common;

// Not a git repository: this test is about hostile input, not git facts.
use common::{envlint, plain_tempdir as tempdir, transcript, write};

#[test]
fn hostile_inputs_do_not_stop_the_scan() {
    let dir = tempdir();
    let d = dir.path();
    // YAML alias bomb ("billion laughs")
    let mut bomb =
        String::from("services:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb += &["  ", n, ": &", n, " [", &refs, "]\n"].concat();
        prev = n;
    }
    write(d, "bomb/docker-compose.yml", bomb.as_bytes());
    // deep nesting in every structured syntax
    write(d, "deep/docker-compose.yml", "[".repeat(100_000).as_bytes());
    write(d, "deep/main.tf", format!("x = {}", "[".repeat(100_000)).as_bytes());
    let block: String = (0..300).map(|i| " ".repeat(i) + "a:\n").collect();
    write(d, "deep/.gitlab-ci.yml", block.as_bytes());
    // invalid UTF-8 in a structured file and in an "other" file
    write(d, "bad/.env", b"A=\xff\xfe\n");
    write(d, "bad/notes.txt", b"caf\xe9\n");
    // empty, BOM-only, whitespace-only
    write(d, "empty/.env", b"");
    write(d, "empty/main.tf", b"\xef\xbb\xbf");
    write(d, "empty/compose.yaml", b"   \n\n");
    // one huge line
    write(d, "huge/app.min.js", "var a=1;".repeat(200_000).as_bytes());
    // NUL bytes: binary, skipped
    write(d, "bin/data.env", b"A=1\0\0\0");
    // a symlink loop
    #[cfg(unix)]
    {
        std::fs::create_dir_all(d.join("loop")).expect("mkdir");
        std::os::unix::fs::symlink(d.join("loop"), d.join("loop/self")).expect("symlink");
    }
    // and an ordinary finding that must still be reported
    write(d, "ok/.env", b"A=1\nA=2\n");

    let out = envlint().args(["scan", "--format", "json", "--fail-on", "never"]).arg(d).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let has = |rule: &str, path: &str| findings.iter().any(|f| f["rule"] == rule && f["path"] == path);
    assert!(has("dotenv-duplicate-key", "ok/.env"), "{v}");
    for path in
        ["bomb/docker-compose.yml", "deep/docker-compose.yml", "deep/main.tf", "deep/.gitlab-ci.yml", "bad/.env"]
    {
        assert!(has("parse-error", path), "{path}: {v}");
    }
    for path in ["empty/.env", "empty/main.tf", "empty/compose.yaml", "bad/notes.txt", "huge/app.min.js"] {
        assert!(findings.iter().all(|f| f["path"] != path), "{path} should be clean: {v}");
    }
    assert!(v["summary"]["files"].as_u64().unwrap_or(0) >= 10, "{v}");
}

/// Issue 7 item 14: an alias used deep (or a chain of merged templates) counted as
/// nesting and made the file a parse error, so the prod compose file's `DEBUG: "true"`
/// went unreported. Nesting built by aliases is fine; alias bombs and real deep
/// nesting are still parse errors.
#[test]
fn aliases_used_deep_are_checked_like_any_value() {
    use std::fmt::Write as _;
    let dir = tempdir();
    let d = dir.path();
    // the alias's own nesting, replayed 20 levels deep in an extension field, broke the
    // 24-level budget and the whole file was a parse error
    let mut compose = String::from(
        "x-env: &env\n  DEBUG: \"true\"\n  x-deep: {a: {b: {c: {d: 1}}}}\nservices:\n  api:\n    environment: *env\n",
    );
    compose += "x-meta:\n";
    for i in 0..18 {
        writeln!(compose, "{}n{i}:", "  ".repeat(i + 1)).expect("write to String");
    }
    writeln!(compose, "{}copy: *env", "  ".repeat(19)).expect("write to String");
    write(d, "deploy/docker-compose.prod.yml", compose.as_bytes());
    let mut gitlab = String::from(".t0: &t0\n  image: alpine\n");
    for i in 1..=60 {
        writeln!(gitlab, ".t{i}: &t{i}\n  <<: *t{}\n  variables: {{V{i}: \"{i}\"}}", i - 1).expect("write to String");
    }
    gitlab += "deploy:\n  <<: *t60\n  environment: production\n  script: [make]\n";
    write(d, ".gitlab-ci.yml", gitlab.as_bytes());
    write(d, "deep/compose.yaml", "[".repeat(10_000).as_bytes());

    let out = envlint().args(["scan", "--format", "json", "--fail-on", "never"]).arg(d).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let has = |rule: &str, path: &str| findings.iter().any(|f| f["rule"] == rule && f["path"] == path);
    assert!(has("prod-debug-enabled", "deploy/docker-compose.prod.yml"), "{v}");
    assert!(!has("parse-error", "deploy/docker-compose.prod.yml"), "{v}");
    assert!(!has("parse-error", ".gitlab-ci.yml"), "{v}");
    assert!(has("parse-error", "deep/compose.yaml"), "{v}");
}
