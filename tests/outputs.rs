//! The machine formats through the real binary: SARIF (official schema and GitHub
//! code scanning's requirements), GitLab Code Quality and GitHub annotations.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{envlint, repo, tempdir, transcript, write};
use serde_json::Value;

const TOKEN: &str = "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";

/// Two rules, a secret after non-ASCII text on its line, a CRLF file in a folder
/// whose name needs percent-encoding.
fn sample_repo() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "app/.env.production", format!("GREETING=\"Zoë 🦀 {TOKEN}\"\nA=1\nA=2\n"));
    write(dir.path(), "my app/.env.production", "X=1\r\nY=2\r\nX=3\r\n");
    common::keep_dotenv_files(dir.path(), &["app/.env.production", "my app/.env.production"]);
    dir
}

fn scan(dir: &Path, format: &str, extra: &[&str]) -> std::process::Output {
    envlint().args(["scan", "--format", format]).args(extra).arg(dir).output().expect("run")
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{}", transcript(out)))
}

/// The official SARIF 2.1.0 schema, with the patterns the `jsonschema` crate's
/// regex engine rejects replaced.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).expect("schema");
    let mut schema: Value = serde_json::from_str(&text).expect("schema json");
    patch_patterns(&mut schema);
    jsonschema::validator_for(&schema).expect("the patched schema compiles")
}

/// Patches patterns the `jsonschema` crate cannot compile (see README, "Output").
fn patch_patterns(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(p)) = map.get_mut("pattern") {
                // The two `language` properties (`run.language`, `toolComponent.language`)
                // carry a stray `]`: the draft-07 meta-schema's `format: regex` check
                // (ECMA-262, unicode) rejects it. The first alternative, unanchored at
                // the end, already matches all the second does: keep just that.
                if p.as_str() == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                    "^[a-zA-Z]{2}".clone_into(p);
                }
            }
            map.values_mut().for_each(patch_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(patch_patterns),
        _ => {}
    }
}

fn assert_valid_sarif(v: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "SARIF does not validate:\n{}", errors.join("\n"));
}

/// What GitHub code scanning requires beyond the schema.
fn assert_github_requirements(v: &Value) {
    let run = &v["runs"][0];
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for rule in rules {
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()), "{rule}");
        assert!(rule["help"]["markdown"].as_str().is_some_and(|t| t.contains("## What it does")), "{rule}");
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        let full = rule["fullDescription"]["text"].as_str().expect("fullDescription");
        assert!(full.chars().count() <= 1024);
        // security rules get a security-severity (GitHub security alerts); quality
        // rules a problem.severity instead (parse-error is never a security alert)
        let id = rule["id"].as_str().expect("id");
        let security = envlint::rules::builtin().iter().find(|r| r.meta().id == id).is_some_and(|r| r.meta().security);
        if security {
            let sev: f64 =
                rule["properties"]["security-severity"].as_str().expect("a string").parse().expect("a number");
            assert!((0.1..=10.0).contains(&sev), "{rule}");
            assert!(rule["properties"]["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == "security")), "{rule}");
        } else {
            assert!(rule["properties"].get("security-severity").is_none(), "{rule}");
            assert!(
                ["error", "warning", "recommendation"]
                    .contains(&rule["properties"]["problem.severity"].as_str().unwrap_or("")),
                "{rule}"
            );
        }
        assert!(
            ["very-high", "high", "medium", "low"].contains(&rule["properties"]["precision"].as_str().unwrap_or(""))
        );
        assert!(["error", "warning", "note"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap_or("")));
    }
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or("")));
        assert!(result["message"]["text"].is_string());
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string(), "{result}");
        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let loc = &locations[0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with("./") && !uri.starts_with('/') && !uri.contains(':'), "{uri}");
        let region = &loc["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().is_some_and(|n| n >= 1), "{key} in {region}");
        }
        assert!(
            (region["endLine"].as_u64(), region["endColumn"].as_u64())
                >= (region["startLine"].as_u64(), region["startColumn"].as_u64())
        );
    }
}

/// The result of `rule` in `path`, as (message, region).
fn sarif_result<'a>(v: &'a Value, rule: &str, uri: &str) -> Vec<&'a Value> {
    v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["ruleId"] == rule && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri)
        .collect()
}

#[test]
fn sarif_validates_and_meets_github_requirements() {
    let dir = sample_repo();
    let out = scan(dir.path(), "sarif", &["--sarif-category", "envlint-prod"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let v = json(&out);
    assert_valid_sarif(&v);
    assert_github_requirements(&v);
    let run = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(run["automationDetails"]["id"], "envlint-prod/");
    assert_eq!(run["tool"]["driver"]["name"], "envlint");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let ids: Vec<&str> =
        run["tool"]["driver"]["rules"].as_array().expect("rules").iter().filter_map(|r| r["id"].as_str()).collect();
    let registry: Vec<String> = envlint::rules::builtin()
        .iter()
        .filter(|r| r.meta().default_enabled)
        .map(|r| r.meta().id.to_string())
        .collect();
    assert_eq!(ids, registry, "every rule that ran");
    let secret = &run["tool"]["driver"]["rules"][0];
    assert_eq!(secret["name"], "CommittedSecret");
    assert_eq!(secret["properties"]["security-severity"], "9.5");
    assert_eq!(secret["defaultConfiguration"]["level"], "error");

    // the secret after `Zoë 🦀 `: columns count Unicode scalar values, end exclusive
    let hits = sarif_result(&v, "committed-secret", "app/.env.production");
    assert_eq!(hits.len(), 1, "{v:#}");
    let region = &hits[0]["locations"][0]["physicalLocation"]["region"];
    let col = 1 + "GREETING=\"Zoë 🦀 ".chars().count() as u64;
    assert_eq!(col, 17);
    assert_eq!(
        *region,
        serde_json::json!({"startLine": 1, "startColumn": col, "endLine": 1, "endColumn": col + TOKEN.len() as u64})
    );
    assert_eq!(hits[0]["level"], "error");
    assert!(hits[0]["message"]["text"].as_str().is_some_and(|m| m.ends_with(" (env: prod)")), "{}", hits[0]);
    assert_eq!(hits[0]["properties"]["env"], "prod");
    assert_eq!(hits[0]["properties"]["detector"], "github-pat");
    assert!(!out.stdout.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "the secret is masked");

    // the CRLF file, under a folder with a space
    let dups = sarif_result(&v, "dotenv-duplicate-key", "my%20app/.env.production");
    assert_eq!(dups.len(), 1, "{v:#}");
    assert_eq!(
        dups[0]["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 2})
    );
    assert_eq!(dups[0]["level"], "warning");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 error, 2 warnings, 0 notes in 3 files"));
}

#[test]
fn sarif_of_the_secret_fixtures_validates() {
    for case in ["fail-prod-dotenv", "fail-template", "fail-yaml-pem", "pass-dev"] {
        let dir = repo().join("fixtures/rules/committed-secret").join(case);
        let out = scan(&dir, "sarif", &["--fail-on", "never"]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let v = json(&out);
        assert_valid_sarif(&v);
        assert_github_requirements(&v);
        assert!(v["runs"][0].get("automationDetails").is_none());
    }
}

#[test]
fn sarif_with_selected_rules_lists_only_those() {
    let dir = sample_repo();
    let out = scan(dir.path(), "sarif", &["--select", "dotenv-duplicate-key"]);
    let v = json(&out);
    assert_valid_sarif(&v);
    let rules = &v["runs"][0]["tool"]["driver"]["rules"];
    assert_eq!(rules.as_array().map(Vec::len), Some(1));
    assert_eq!(rules[0]["id"], "dotenv-duplicate-key");
    assert!(v["runs"][0]["results"].as_array().expect("results").iter().all(|r| r["ruleIndex"] == 0));
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let validator = sarif_validator();
    let good = serde_json::json!({"version": "2.1.0", "runs": []});
    assert!(validator.is_valid(&good));
    for bad in [
        serde_json::json!({"version": "2.0.0", "runs": []}),
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "columnKind": "bytes"}]}),
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
            "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
}

#[test]
fn sarif_of_a_clean_scan_validates() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    common::keep_dotenv_files(dir.path(), &[".env"]);
    let out = scan(dir.path(), "sarif", &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn gitlab_code_quality_has_the_documented_fields() {
    let dir = sample_repo();
    for dir in [dir.path().to_path_buf(), repo().join("fixtures/rules/committed-secret")] {
        let out = scan(&dir, "gitlab", &["--fail-on", "never"]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let v = json(&out);
        let issues = v.as_array().expect("an array");
        assert!(!issues.is_empty());
        let mut fingerprints = BTreeSet::new();
        for issue in issues {
            let keys: Vec<&str> = issue.as_object().expect("object").keys().map(String::as_str).collect();
            assert_eq!(keys, ["check_name", "description", "fingerprint", "location", "severity"], "{issue}");
            let location_keys: Vec<&str> =
                issue["location"].as_object().expect("location").keys().map(String::as_str).collect();
            assert_eq!(location_keys, ["lines", "path"]);
            assert_eq!(issue["location"]["lines"].as_object().map(serde_json::Map::len), Some(1));
            assert!(issue["location"]["lines"]["begin"].as_u64().is_some_and(|n| n >= 1));
            assert!(
                ["info", "minor", "major", "critical", "blocker"].contains(&issue["severity"].as_str().unwrap_or(""))
            );
            assert!(fingerprints.insert(issue["fingerprint"].as_str().expect("fingerprint").to_owned()), "{issue}");
        }
    }

    let out = scan(dir.path(), "gitlab", &[]);
    let v = json(&out);
    let find = |rule: &str, path: &str| {
        v.as_array()
            .expect("array")
            .iter()
            .find(|i| i["check_name"] == rule && i["location"]["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("{rule} in {path}: {v:#}"))
    };
    let secret = find("committed-secret", "app/.env.production");
    assert_eq!(secret["severity"], "blocker");
    assert_eq!(secret["location"]["lines"]["begin"], 1);
    assert!(secret["description"].as_str().is_some_and(|d| d.ends_with("(env: prod)")));
    let dup = find("dotenv-duplicate-key", "my app/.env.production");
    assert_eq!(dup["severity"], "major");
    assert_eq!(dup["location"]["lines"]["begin"], 3);
    let json_out = json(&scan(dir.path(), "json", &[]));
    let fps: BTreeSet<&str> =
        json_out["findings"].as_array().expect("findings").iter().filter_map(|f| f["fingerprint"].as_str()).collect();
    assert!(fps.contains(dup["fingerprint"].as_str().expect("fp")), "our fingerprint, unchanged");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 error, 2 warnings, 0 notes in 3 files"));
}

#[test]
fn github_annotations_are_exact() {
    let dir = sample_repo();
    let out = scan(dir.path(), "github", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let help_dup = "help: keep one assignment; loaders disagree on which one wins";
    let help_secret = "help: revoke and rotate it, then load it at runtime from a secret store";
    assert_eq!(
        lines,
        [
            format!(
                "::error file=app/.env.production,line=1,col=17,endLine=1,endColumn=57,title=committed-secret::\
                 committed secret (github-pat): `ghp_****` (env: prod)%0A{help_secret}"
            ),
            format!(
                "::warning file=app/.env.production,line=3,col=1,endLine=3,endColumn=2,title=dotenv-duplicate-key::\
                 `A` is assigned again (first on line 2); the later value silently wins (env: prod)%0A{help_dup}"
            ),
            format!(
                "::warning file=my app/.env.production,line=3,col=1,endLine=3,endColumn=2,title=dotenv-duplicate-key::\
                 `X` is assigned again (first on line 1); the later value silently wins (env: prod)%0A{help_dup}"
            ),
            "1 error, 2 warnings, 0 notes in 3 files".to_owned(),
        ],
        "{stdout}"
    );
    // the summary is in the report; in an Actions log stdout and stderr are one stream
    assert!(!String::from_utf8_lossy(&out.stderr).contains("1 error, 2 warnings, 0 notes in 3 files"));
}

#[test]
fn github_output_of_a_clean_scan_is_the_summary() {
    let dir = tempdir();
    write(dir.path(), ".env", "A=1\n");
    common::keep_dotenv_files(dir.path(), &[".env"]);
    let out = scan(dir.path(), "github", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no findings in 2 files\n");
}

/// Columns and paths agree in every format: one file under a non-ASCII folder,
/// CRLF line endings, non-ASCII text before the finding on its line and on the
/// line above. Columns count characters (a byte count would give 24, not 21).
#[test]
fn every_format_agrees_on_paths_and_columns() {
    let dir = tempdir();
    let rel = "services/naïve—app/.env.production";
    let text = format!("APP_NAME=naïve—app\r\nGREETING=\"naïve—app {TOKEN}\"\r\nA=1\r\nA=2\r\n");
    write(dir.path(), rel, &text);
    common::keep_dotenv_files(dir.path(), &[rel]);
    let col = 1 + "GREETING=\"naïve—app ".chars().count() as u64;
    assert_eq!((col, 1 + "GREETING=\"naïve—app ".len()), (21, 24));
    let end = col + TOKEN.len() as u64;
    let offset = text.find(TOKEN).expect("token") as u64;
    let select = ["--select", "committed-secret,dotenv-duplicate-key", "--fail-on", "never"];
    // scanned from a subfolder, naming the file: paths stay repository-relative
    let run = |format: &str| {
        let out = envlint()
            .args(["scan", "--format", format])
            .args(select)
            .arg("naïve—app/.env.production")
            .current_dir(dir.path().join("services"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{format}: {}", transcript(&out));
        out
    };

    let v = json(&run("json"));
    let f = &v["findings"];
    assert_eq!(f[0]["rule"], "committed-secret");
    assert_eq!(f[0]["path"], rel);
    assert_eq!(
        f[0]["span"],
        serde_json::json!({"start": {"line": 2, "column": col}, "end": {"line": 2, "column": end},
                           "offset": offset, "length": TOKEN.len()})
    );
    assert_eq!(f[1]["rule"], "dotenv-duplicate-key");
    assert_eq!(f[1]["span"]["start"], serde_json::json!({"line": 4, "column": 1}));

    let v = json(&run("sarif"));
    assert_valid_sarif(&v);
    assert_github_requirements(&v);
    assert_eq!(v["runs"][0]["columnKind"], "unicodeCodePoints");
    let uri = "services/na%C3%AFve%E2%80%94app/.env.production";
    let hits = sarif_result(&v, "committed-secret", uri);
    assert_eq!(hits.len(), 1, "{v:#}");
    assert_eq!(
        hits[0]["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 2, "startColumn": col, "endLine": 2, "endColumn": end})
    );
    assert_eq!(
        sarif_result(&v, "dotenv-duplicate-key", uri)[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );

    let gh = String::from_utf8_lossy(&run("github").stdout).into_owned();
    assert!(
        gh.contains(&format!("::error file={rel},line=2,col={col},endLine=2,endColumn={end},title=committed-secret::")),
        "{gh}"
    );
    assert!(gh.contains(&format!("::warning file={rel},line=4,col=1,endLine=4,endColumn=2,")), "{gh}");

    let gl = json(&run("gitlab"));
    let lines: Vec<(String, u64)> = gl
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["location"]["path"].as_str().unwrap_or("").to_owned(),
                i["location"]["lines"]["begin"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(lines, [(rel.to_owned(), 2), (rel.to_owned(), 4)]);

    let human = String::from_utf8_lossy(&run("human").stdout).into_owned();
    assert!(human.contains(&format!("[{rel}:2:{col}]")), "{human}");
    assert!(human.contains(&format!("[{rel}:4:1]")), "{human}");
    assert!(!human.contains(TOKEN));
}

/// SARIF for code scanning beyond the basics: related locations linked from the
/// message (GitHub shows them only that way), inline suppressions as
/// `suppressions`, and a security rule that only warns (`default-credential`).
#[test]
fn sarif_related_locations_suppressions_and_default_credential() {
    let dir = tempdir();
    write(
        dir.path(),
        ".gitlab-ci.yml",
        "include: ci/templates.yml\n\ndeploy-prod:\n  extends: .deploy\n  environment: production\n  script: ./deploy.sh\n",
    );
    write(dir.path(), "ci/templates.yml", ".deploy:\n  image: alpine\n  variables:\n    DEBUG: \"true\"\n");
    write(
        dir.path(),
        "app/.env.production",
        "LOG_LEVEL=debug # envlint: ignore[prod-verbose-logging] INC-12: tracing a leak\n",
    );
    common::copy_into(&repo().join("fixtures/rules/default-credential/fail-compose"), dir.path());
    common::keep_dotenv_files(dir.path(), &["app/.env.production"]);
    let out = scan(dir.path(), "sarif", &["--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let v = json(&out);
    assert_valid_sarif(&v);
    assert_github_requirements(&v);

    // related: the job that gives the template its environment
    let debug = sarif_result(&v, "prod-debug-enabled", "ci/templates.yml");
    assert_eq!(debug.len(), 1, "{v:#}");
    let related = debug[0]["relatedLocations"].as_array().expect("relatedLocations");
    assert_eq!(related[0]["id"], 1);
    assert_eq!(related[0]["physicalLocation"]["artifactLocation"]["uri"], ".gitlab-ci.yml");
    assert_eq!(related[0]["physicalLocation"]["region"]["startLine"], 3);
    assert!(related[0]["message"]["text"].as_str().is_some_and(|m| m.contains("deploy-prod")));
    let message = debug[0]["message"]["text"].as_str().expect("message");
    assert!(message.ends_with("; see [.gitlab-ci.yml:3](1)"), "{message}");
    // every link in a message points at a related location of the result
    for r in v["runs"][0]["results"].as_array().expect("results") {
        let ids: Vec<u64> = r["relatedLocations"]
            .as_array()
            .map_or_else(Vec::new, |l| l.iter().filter_map(|l| l["id"].as_u64()).collect());
        let text = r["message"]["text"].as_str().unwrap_or("");
        for id in &ids {
            assert!(text.contains(&format!("]({id})")), "{r}");
        }
    }

    // the suppressed finding: present, marked, with its reason; other formats leave it out
    let logged = sarif_result(&v, "prod-verbose-logging", "app/.env.production");
    assert_eq!(logged.len(), 1, "{v:#}");
    assert_eq!(
        logged[0]["suppressions"],
        serde_json::json!([{"kind": "inSource", "justification": "INC-12: tracing a leak"}])
    );
    let plain = json(&scan(dir.path(), "json", &["--fail-on", "never"]));
    assert!(plain["findings"].as_array().expect("findings").iter().all(|f| f["rule"] != "prod-verbose-logging"));
    assert_eq!(plain["summary"]["suppressed"], 1);

    // default-credential is a security rule: security-severity by its severity, the security tag
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    let rule = rules.iter().find(|r| r["id"] == "default-credential").expect("default-credential ran");
    assert_eq!(rule["properties"]["security-severity"], "4.0");
    assert!(rule["properties"].get("problem.severity").is_none());
    assert!(rule["properties"]["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == "security")));
    let hits: Vec<&Value> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["ruleId"] == "default-credential")
        .collect();
    assert!(!hits.is_empty(), "{v:#}");
    assert!(hits.iter().all(|r| r["level"] == "warning"));
    // a quality rule gets problem.severity and no security-severity
    let quality = rules.iter().find(|r| r["id"] == "prod-verbose-logging").expect("ran");
    assert_eq!(quality["properties"]["problem.severity"], "warning");
    let results = v["runs"][0]["results"].to_string();
    assert!(!results.contains("somewordpress") && !results.contains("yourStrong"), "no credential text in results");
}
