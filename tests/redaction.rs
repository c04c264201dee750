//! No output format ever shows a secret: every format is run over the secret
//! fixtures and searched for every secret and every 8-character piece of one.

mod common;

use clap::ValueEnum;
use common::{envlint, repo};
use envlint::report::Format;
use envlint::secrets::Scanner;

/// Every secret the scanner finds under `dir`, as text, and all the text outside
/// the secrets (with a NUL where each secret was).
fn secrets_under(dir: &std::path::Path) -> (Vec<String>, String) {
    let scanner = Scanner::new(Vec::new());
    let (mut secrets, mut public) = (Vec::new(), String::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let mut last = 0;
                for hit in scanner.scan(&text) {
                    secrets.push(text[hit.span.range()].to_owned());
                    public.push_str(&text[last..hit.span.start as usize]);
                    public.push('\0');
                    last = hit.span.end as usize;
                }
                public.push_str(&text[last..]);
                public.push('\0');
            }
        }
    }
    (secrets, public)
}

/// The 8-character pieces of a secret that would reveal it: those that occur
/// nowhere in the files' other text (`https://` of a webhook URL does).
fn pieces(secret: &str, public: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|p| !p.chars().any(char::is_whitespace) && !public.contains(p.as_str()))
        .collect()
}

#[test]
fn no_format_leaks_a_secret() {
    let dirs = [repo().join("fixtures/rules/committed-secret"), repo().join("fixtures/secrets")];
    let (mut secrets, mut public) = (Vec::new(), String::new());
    for d in dirs.iter().filter(|d| d.exists()) {
        let (s, p) = secrets_under(d);
        secrets.extend(s);
        public.push_str(&p);
    }
    let mut all: Vec<String> = secrets.iter().flat_map(|s| pieces(s, &public)).collect();
    all.sort();
    all.dedup();
    assert!(all.len() > 1000, "enough secret material to look for ({} pieces)", all.len());
    assert!(secrets.len() >= 5, "the fixtures hold secrets to look for");
    for format in Format::value_variants() {
        let name = format.to_possible_value().expect("value").get_name().to_owned();
        for dir in dirs.iter().filter(|d| d.exists()) {
            let out = envlint().args(["scan", "--fail-on", "never", "--format", &name]).arg(dir).output().expect("run");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(text.contains("committed-secret"), "{name}: the scan reports secrets");
            for piece in &all {
                assert!(
                    !text.contains(piece.as_str()),
                    "{name} output over {} shows `{piece}` of a secret",
                    dir.display()
                );
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
