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

#[test]
fn values_that_never_close_or_span_lines_are_masked() {
    // issue 7: a value under a secret-named key was shown in clear when its quote
    // never closes (the parse-error snippet prints it) and when it is a YAML block
    // scalar shown in a neighbouring finding's snippet
    let cases: &[(&str, &str)] = &[
        (".env.production", "A=1\nDB_PASSWORD=\"Tq7vR2pmZ9xL4wQ8\nB=2\n"),
        (".env.staging", "A=1\nDB_PASSWORD='Tq7vR2pmZ9xL4wQ8\nB=2\n"),
        ("main.tf", "variable \"x\" {\n  default = 1\n}\npassword = \"Tq7vR2pmZ9xL4wQ8\n"),
        ("prod.tfvars", "db_password = \"Tq7vR2pmZ9xL4wQ8\n"),
        ("prod.tfvars.json", "{\"db_password\": \"Tq7vR2pmZ9xL4wQ8\n"),
        ("heredoc.tf", "resource \"x\" \"y\" {\n  password = <<EOF\nTq7vR2pmZ9xL4wQ8\n"),
        (
            "docker-compose.prod.yml",
            "services:\n  api:\n    environment:\n      DB_PASSWORD: |\n        Tq7vR2pmZ9xL4wQ8\n      DEBUG: \"true\"\n",
        ),
        (
            "docker-compose.production.yml",
            "services:\n  api:\n    environment:\n      DEBUG: \"true\"\n      API_TOKEN: >-\n        Tq7vR2pmZ9xL4wQ8\n",
        ),
    ];
    for &(name, text) in cases {
        let dir = common::tempdir();
        std::fs::write(dir.path().join(name), text).expect("write");
        for format in Format::value_variants() {
            let format = format.to_possible_value().expect("value").get_name().to_owned();
            let out = envlint()
                .args(["scan", "--fail-on", "never", "--format", &format])
                .arg(dir.path())
                .output()
                .expect("run");
            let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(shown.contains(name), "{name} ({format}): a finding is reported\n{shown}");
            assert!(!shown.contains("R2pmZ9xL"), "{name} ({format}) shows the secret:\n{shown}");
        }
    }
}

#[test]
fn default_credentials_are_masked_like_secrets() {
    // a default password is redacted in its own finding and in a neighbour's snippet,
    // also where default-credential is not selected
    let dir = common::tempdir();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  db:\n    image: mariadb:11\n    environment:\n      - MYSQL_ROOT_PASSWORD=somewordpress\n      - MYSQL_ROOT_PASSWORD=somewordpress\n",
    )
    .expect("write");
    for select in ["default-credential", "*"] {
        let out =
            envlint().args(["scan", "--fail-on", "never", "--select", select]).arg(dir.path()).output().expect("run");
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(shown.contains("default-credential"), "{select}: {shown}");
        assert!(!shown.contains("wordpress"), "{select}: {shown}");
    }
}
