//! Adversarial inputs in every kind envlint parses: each scan ends with the
//! right exit code (0/1/2, never 101), in bounded time (a generous process
//! timeout catches hangs; no timing is asserted), and the scan goes on.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{envlint, plain_tempdir, transcript, write};
use serde_json::Value;

/// One file name per parsed kind.
const KINDS: [&str; 8] = [
    ".env.production",
    "docker-compose.prod.yml",
    ".gitlab-ci.yml",
    ".github/workflows/deploy.yml",
    "prod/main.tf",
    "prod/prod.tfvars",
    "live/prod/terragrunt.hcl",
    "prod/prod.tfvars.json",
];

/// `scan --format json` of `dir`, with a hang guard; the exit code and report.
fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = envlint()
        .args(["scan", "--format", "json", "--fail-on", "never", "--ignore", "dotenv-not-ignored,dotenv-tracked"])
        .args(extra)
        .arg(dir)
        .timeout(Duration::from_mins(2))
        .output()
        .expect("run");
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", transcript(&out)));
    (code, v)
}

fn has(v: &Value, rule: &str, path: &str) -> bool {
    v["findings"].as_array().is_some_and(|f| f.iter().any(|f| f["rule"] == rule && f["path"] == path))
}

/// Invalid UTF-8 and NUL bytes in every parsed kind are parse errors at the
/// byte where they are; the file beside them is still checked.
#[test]
fn invalid_bytes_in_every_kind_are_parse_errors() {
    for (what, bytes) in [("invalid UTF-8", &b"a: \xff\xfe\n"[..]), ("NUL", &b"a = 1\n\0\0\0\n"[..])] {
        let dir = plain_tempdir();
        for name in KINDS {
            write(dir.path(), name, bytes);
        }
        write(dir.path(), "ok/.env.production", b"DEBUG=true\n");
        let (code, v) = scan(dir.path(), &[]);
        assert_eq!(code, 0, "{what}: {v:#}");
        for name in KINDS {
            assert!(has(&v, "parse-error", name), "{what}: {name}: {v:#}");
        }
        assert!(has(&v, "prod-debug-enabled", "ok/.env.production"), "{what}: the scan went on");
    }
}

/// A UTF-8 byte-order mark and mixed line endings parse in every kind; CR-only
/// line endings in every kind but HCL (HCL's newline is LF or CRLF: Terraform
/// rejects a lone CR too).
#[test]
fn boms_and_line_endings_parse_in_every_kind() {
    let dir = plain_tempdir();
    let bodies: [(&str, &str); 8] = [
        (".env.production", "A=1\nB=2\n"),
        ("docker-compose.prod.yml", "services:\n  a:\n    image: x:1\n"),
        (".gitlab-ci.yml", "job:\n  script: echo\n"),
        (".github/workflows/deploy.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n"),
        ("prod/main.tf", "locals {\n  a = 1\n}\n"),
        ("prod/prod.tfvars", "a = 1\nb = \"x\"\n"),
        ("live/prod/terragrunt.hcl", "inputs = {\n  a = 1\n}\n"),
        ("prod/prod.tfvars.json", "{\n  \"a\": 1\n}\n"),
    ];
    for (i, (name, body)) in bodies.iter().enumerate() {
        let hcl = name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".hcl");
        let cr = (!hcl).then(|| ("cr", body.replace('\n', "\r")));
        for (variant, text) in
            [("bom", format!("\u{feff}{body}")), ("mixed", body.replacen('\n', "\r\n", 1))].into_iter().chain(cr)
        {
            write(dir.path(), &format!("{variant}{i}/{name}"), text.as_bytes());
        }
    }
    let (code, v) = scan(dir.path(), &["--select", "parse-error"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
}

/// A 50 MB line in a dotenv file (the size limit raised) parses in bounded
/// time and memory; the secret scan skips it as minified.
#[test]
fn a_fifty_megabyte_line() {
    let dir = plain_tempdir();
    let mut big = b"DEBUG=true\nBLOB=".to_vec();
    big.extend(std::iter::repeat_n(b'a', 50 * 1024 * 1024));
    big.push(b'\n');
    write(dir.path(), ".env.production", &big);
    write(dir.path(), "envlint.toml", b"max-file-size = \"64MiB\"\n");
    let (code, v) = scan(dir.path(), &["--select", "prod-debug-enabled,parse-error,committed-secret"]);
    assert_eq!(code, 0);
    assert!(has(&v, "prod-debug-enabled", ".env.production"), "{v:#}");
}

/// Deep nesting in JSON tfvars, and symbolic links out of the tree and into a
/// loop: never followed.
#[cfg(unix)]
#[test]
fn deep_json_and_symlinks() {
    let outside = plain_tempdir();
    write(outside.path(), ".env.production", b"DEBUG=true\n");
    let dir = plain_tempdir();
    write(dir.path(), "prod/deep.tfvars.json", "[".repeat(10_000).as_bytes());
    std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join(".env.production"), dir.path().join(".env.production"))
        .expect("symlink");
    std::fs::create_dir_all(dir.path().join("loop")).expect("mkdir");
    std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop/again")).expect("symlink");
    let (code, v) = scan(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(has(&v, "parse-error", "prod/deep.tfvars.json"), "{v:#}");
    assert!(!has(&v, "prod-debug-enabled", ".env.production"), "symbolic links are not followed: {v:#}");
    assert!(!has(&v, "prod-debug-enabled", "elsewhere/.env.production"), "{v:#}");
}

/// A tracked file deleted before the scan reads it is not an error, and a named
/// file that does not exist is a usage error (exit 2) naming it.
#[test]
fn missing_files() {
    let dir = common::tempdir();
    write(dir.path(), "app/.env.production", b"DEBUG=true\n");
    common::git(dir.path(), &["add", "-f", "."]);
    common::git(dir.path(), &["commit", "-q", "-m", "x"]);
    std::fs::remove_file(dir.path().join("app/.env.production")).expect("rm");
    let (code, _) = scan(dir.path(), &[]);
    assert_eq!(code, 0);
    let out = envlint().arg("scan").arg(dir.path().join("nope/.env")).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot scan"), "{}", transcript(&out));
}
