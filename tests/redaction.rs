//! No output format ever shows a secret: every format is run over the secret
//! fixtures and searched for every secret and every 8-character piece of one.

mod common;

use clap::ValueEnum;
use common::{envlint, repo};
use envlint::report::Format;
use envlint::secrets::Scanner;

/// Every secret the scanner finds under `dir`, as text.
fn secrets_under(dir: &std::path::Path) -> Vec<String> {
    let scanner = Scanner::new(Vec::new());
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.extend(scanner.scan(&text).into_iter().map(|h| text[h.span.range()].to_owned()));
            }
        }
    }
    out
}

fn pieces(secret: &str) -> Vec<String> {
    // Whitespace and the dashes of PEM armour are not secret material.
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|p| !p.chars().any(char::is_whitespace) && p.chars().filter(|c| *c == '-').count() < 4)
        .collect()
}

#[test]
fn no_format_leaks_a_secret() {
    let dirs = [repo().join("fixtures/rules/committed-secret"), repo().join("fixtures/secrets")];
    let mut secrets = Vec::new();
    for d in dirs.iter().filter(|d| d.exists()) {
        secrets.extend(secrets_under(d));
    }
    assert!(secrets.len() >= 5, "the fixtures hold secrets to look for");
    for format in Format::value_variants() {
        let name = format.to_possible_value().expect("value").get_name().to_owned();
        for dir in dirs.iter().filter(|d| d.exists()) {
            let out = envlint().args(["scan", "--fail-on", "never", "--format", &name]).arg(dir).output().expect("run");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(text.contains("committed-secret"), "{name}: the scan reports secrets");
            for secret in &secrets {
                for piece in pieces(secret) {
                    assert!(!text.contains(&piece), "{name} output over {} shows `{piece}` of a secret", dir.display());
                }
            }
        }
    }
}

#[test]
fn other_rules_snippets_are_masked_too() {
    // A duplicate key whose snippet shows a secret on the next line, in a dev file
    // where the generic secret itself is not reported: the snippet still masks it.
    let dir = common::tempdir();
    std::fs::write(dir.path().join(".env.development"), "A=1\nA=2\nDB_PASSWORD=Tq7vR2pmZ9xL4wQ8\n").expect("write");
    let out = envlint().args(["scan", "--fail-on", "never"]).arg(dir.path()).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("dotenv-duplicate-key"), "{text}");
    assert!(!text.contains("committed-secret"), "generic secrets are allowed in dev: {text}");
    assert!(!text.contains("R2pmZ9xL"), "{text}");
}
