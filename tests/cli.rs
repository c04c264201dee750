//! CLI behaviour through the real binary: exit codes, JSON shape, config errors,
//! bad paths, unreadable files, determinism.

mod common;

use common::{envlint, tempdir, transcript, write};

/// A repo with one duplicate-key warning in a prod dotenv file.
fn repo_with_warning() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "app/.env.production", "A=1\nA=2\n");
    write(dir.path(), "app/.env", "B=1\n");
    common::keep_dotenv_files(dir.path(), &["app/.env.production", "app/.env"]);
    dir
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = repo_with_warning();
    // (args, expected exit code)
    let cases: &[(&[&str], i32)] = &[
        (&[], 1),
        (&["--fail-on", "warning"], 1),
        (&["--fail-on", "note"], 1),
        (&["--fail-on", "error"], 0),
        (&["--fail-on", "never"], 0),
        (&["--ignore", "dotenv-duplicate-key"], 0),
        (&["--select", "parse-error"], 0),
        (&["--select", "dotenv-*"], 1),
    ];
    for &(args, code) in cases {
        let out = envlint().arg("scan").args(args).arg(dir.path()).output().expect("run");
        assert_eq!(out.status.code(), Some(code), "{args:?}\n{}", transcript(&out));
    }
}

#[test]
fn clean_scan_exits_zero_with_summary() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    common::keep_dotenv_files(dir.path(), &[".env"]);
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no findings in 2 files\n");
}

#[test]
fn json_matches_the_contract() {
    let dir = repo_with_warning();
    let out = envlint().args(["scan", "--format", "json"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["findings", "summary", "tool", "version"]);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "envlint");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 3, "errors": 0, "warnings": 1, "notes": 0, "suppressed": 0, "baselined": 0})
    );
    let f = &v["findings"][0];
    assert_eq!(keys(f), ["env", "fingerprint", "help", "message", "path", "rule", "severity", "span"]);
    assert_eq!(f["rule"], "dotenv-duplicate-key");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["path"], "app/.env.production");
    assert_eq!(f["env"], "prod");
    assert_eq!(
        f["span"],
        serde_json::json!({"start": {"line": 2, "column": 1}, "end": {"line": 2, "column": 2}, "offset": 4, "length": 1})
    );
    assert_eq!(f["fingerprint"].as_str().map(str::len), Some(32));
    // the summary goes to stderr when the report is machine-readable
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 errors, 1 warning, 0 notes in 3 files"));
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    let dir = repo_with_warning();
    let report = dir.path().join("report.json");
    let out = envlint()
        .args(["scan", "--format", "json", "-o"])
        .arg(&report)
        .arg(dir.path().join("app"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(v["findings"][0]["path"], "app/.env.production", "paths are relative to the repository root");
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempdir();
    for i in 0..40 {
        write(dir.path(), &format!("svc{i}/.env.prod"), "X=1\nX=2\nY=1\nY=3\n");
        write(dir.path(), &format!("svc{i}/broken.tf"), "resource \"a\" {\n");
    }
    let run =
        |j: &str| envlint().args(["scan", "--format", "json", "-j", j]).arg(dir.path()).output().expect("run").stdout;
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("8"));
}

#[test]
fn usage_and_config_errors_exit_two() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    // (args, text expected on stderr)
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "does/not/exist"], "cannot scan does/not/exist"),
        (&["scan", "--select", "no-such-rule", "."], "unknown rule `no-such-rule`"),
        (&["scan", "--ignore", "prod-nothing-*", "."], "unknown rule `prod-nothing-*`"),
        (&["explain", "dotenv-duplicate"], "did you mean: dotenv-duplicate-key"),
        (&["scan", "--env", "x/**", "."], "expected GLOB=ENV"),
        (&["scan", "--env", "x/**=moon", "."], "unknown environment `moon`"),
        (&["scan", "--config", "missing.toml", "."], "cannot read config file missing.toml"),
    ];
    for &(args, expected) in cases {
        let out = envlint().current_dir(dir.path()).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}\n{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn malformed_config_points_into_the_toml() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    write(dir.path(), "envlint.toml", "[rules]\nignore = [\"dotenv-duplicate-key\"]\nselct = [\"*\"]\n");
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown key or rule `selct` in [rules]"), "{stderr}");
    assert!(stderr.contains("did you mean `select`?"), "{stderr}");
    assert!(stderr.contains("envlint.toml:3:1"), "points at line 3: {stderr}");
    assert!(stderr.contains("selct = [\"*\"]"), "shows the line: {stderr}");
}

#[test]
fn config_is_found_upward_and_applied() {
    let dir = tempdir();
    write(
        dir.path(),
        "envlint.toml",
        "[rules.severity]\ndotenv-duplicate-key = \"error\"\n[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"dotenv-*\"]\n",
    );
    write(dir.path(), "svc/.env", "A=1\nA=2\n");
    write(dir.path(), "legacy/.env", "A=1\nA=2\n");
    common::keep_dotenv_files(dir.path(), &["svc/.env", "legacy/.env"]);
    let out = envlint().args(["scan", "--format", "json"]).arg(dir.path()).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["path"], "svc/.env");
    assert_eq!(findings[0]["severity"], "error");
}

#[test]
fn ignore_files_are_honoured_and_envlintignore_applies_to_named_files() {
    let dir = tempdir();
    write(dir.path(), ".gitignore", "ignored/\n");
    write(dir.path(), ".envlintignore", "vendor/\n");
    write(dir.path(), "ignored/.env", "A=1\nA=2\n");
    write(dir.path(), "vendor/.env", "A=1\nA=2\n");
    write(dir.path(), "ok/.env", "A=1\n");
    let out = envlint().args(["envs", "--format", "json"]).arg(dir.path()).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let paths: Vec<&str> = v.as_array().expect("rows").iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(paths, [".envlintignore", ".gitignore", "ok/.env"]);

    // pre-commit passes file names: `.envlintignore` applies to them too, so a
    // commit is never blocked by a file that `scan .` ignores
    let out =
        envlint().current_dir(dir.path()).args(["scan", "--format", "json", "vendor/.env"]).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 0, "{v}");
    // a file git ignores is still scanned when named
    let out =
        envlint().current_dir(dir.path()).args(["scan", "--format", "json", "ignored/.env"]).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["findings"][0]["rule"], "dotenv-duplicate-key");
    assert_eq!(v["findings"][0]["path"], "ignored/.env");
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    std::fs::write(dir.path().join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    write(dir.path(), "big.env", "K=v\n".repeat(400));
    write(dir.path(), "envlint.toml", "max-file-size = 1000\n");
    common::keep_dotenv_files(dir.path(), &[".env", "big.env"]);
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "no findings in 3 files (2 skipped: 1 binary, 1 over the size limit)\n"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn unreadable_file_is_a_warning_and_the_scan_goes_on() {
    // /proc/self/mem exists but reading it from offset 0 fails with EIO, even as root.
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\nA=2\n");
    let out = envlint()
        .args(["scan", "--format", "json", "/proc/self/mem"])
        .arg(dir.path().join(".env"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: cannot read") && stderr.contains("mem"), "{stderr}");
    assert!(stderr.contains("os error"), "names the OS error: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["findings"][0]["rule"], "dotenv-duplicate-key");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rules_and_explain() {
    let out = envlint().args(["rules"]).output().expect("run");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains("dotenv-duplicate-key") && table.contains("parse-error"));
    let out = envlint().args(["rules", "--format", "json"]).output().expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v.as_array().expect("rows");
    assert!(rows.iter().all(|r| r["id"].is_string() && r["docs"].is_string() && r["severity"].is_string()));
    let out = envlint().args(["explain", "dotenv-duplicate-key"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# dotenv-duplicate-key"));
    assert!(text.contains("## How to fix"));
}

#[test]
fn broken_pipe_is_success() {
    let dir = tempdir();
    for i in 0..300 {
        write(dir.path(), &format!("d{i}/.env"), "A=1\nA=2\n");
    }
    let bin = assert_cmd::cargo::cargo_bin("envlint");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' scan --fail-on never '{}' | head -c 10 >/dev/null; exit ${{PIPESTATUS:-0}}",
            bin.display(),
            dir.path().display()
        ))
        .output()
        .expect("sh");
    assert!(status.stderr.is_empty(), "{}", String::from_utf8_lossy(&status.stderr));
}

/// 300 nested `{a,...}` alternatives (1.2 KB): globset panicked compiling it (from 125 on).
fn pathological_glob() -> String {
    format!("{}b{}", "{a,".repeat(300), "}".repeat(300))
}

#[test]
fn pathological_globs_on_the_command_line_exit_two() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    let glob = pathological_glob();
    let env_flag = format!("{glob}=prod");
    let long = "[!a]".repeat(2000);
    let long_flag = format!("{long}=prod");
    // `--select`/`--ignore` split their value at commas
    let no_commas = format!("{}b{}", "{".repeat(40), "}".repeat(40));
    // (args, text expected on stderr)
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "--env", &env_flag, "."], "invalid --env glob `{a,{a,"),
        (&["scan", "--env", &long_flag, "."], "the glob is 8000 bytes long; the limit is 4096"),
        (&["scan", "--select", &no_commas, "."], "--select: invalid rule pattern"),
        (&["scan", "--ignore", &no_commas, "."], "nested 40 deep; the limit is 32"),
        (&["envs", "--env", &env_flag, "."], "invalid --env glob"),
    ];
    for &(args, expected) in cases {
        let out = envlint().current_dir(dir.path()).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn pathological_globs_in_the_config_point_into_the_toml() {
    let glob = pathological_glob();
    // (config, text expected on stderr, the line it must point at)
    let cases = [
        (format!("[environments]\nprod = [\"{glob}\"]\n"), "invalid glob `{a,{a,", 2),
        (format!("[rules]\nselect = [\"{glob}\"]\n"), "invalid rule pattern", 2),
        (format!("[rules]\nignore = [\"parse-error\", \"{glob}\"]\n"), "nested 300 deep", 2),
        (format!("[secrets]\nskip-paths = [\"{glob}\"]\n"), "invalid glob: `{...}` alternatives", 2),
        (format!("[[overrides]]\npaths = [\n  \"a/**\",\n  \"{glob}\",\n]\nignore = [\"*\"]\n"), "invalid glob", 4),
    ];
    for (config, expected, line) in cases {
        let dir = tempdir();
        write(dir.path(), ".env", "A=1\n");
        write(dir.path(), "envlint.toml", &config);
        let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(stderr.contains(&format!("envlint.toml:{line}:")), "points at line {line}: {stderr}");
    }
}

#[test]
fn git_warnings_only_when_there_is_a_dotenv_file_to_judge() {
    // Outside a git repository the two git rules cannot judge dotenv files: they say
    // so once each, but only when the scan holds a dotenv file.
    let dir = common::plain_tempdir();
    write(dir.path(), "main.tf", "resource \"null_resource\" \"a\" {}\n");
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no dotenv file, no warning");

    write(dir.path(), "app/.env.staging", "A=1\n");
    let out = envlint().arg("scan").arg(dir.path()).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "warning: dotenv-not-ignored: not a git repository; whether dotenv files are ignored was not checked",
            "warning: dotenv-tracked: could not check which files git tracks: not a git repository",
        ],
        "{}",
        transcript(&out)
    );
}
