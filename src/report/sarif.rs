//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (DESIGN.md, "GitHub, GitLab
//! and pre-commit specifics"). Hand-written serde structs; depends on `engine`,
//! `finding` and `rule` metadata only.
//!
//! Mappings:
//! - `level`: error → `error`, warning → `warning`, note → `note`.
//! - security rules (RULES.md; declared per rule) get `security-severity` (GitHub:
//!   over 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, below 4.0 low):
//!   `committed-secret` 9.5, others by their configured severity: error 7.0,
//!   warning 4.0, note 1.0; and the `security` tag. Quality rules get
//!   `problem.severity` (`error`, `warning`, `recommendation`) instead, so GitHub
//!   shows them as code quality alerts, not security alerts.
//! - `precision`: as each rule declares it.
//! - related locations (`relatedLocations`, ids from 1), each also linked from the
//!   message as `[path:line](id)`: GitHub shows related locations only through such
//!   links. Inline suppressions as `suppressions` of kind `inSource` with the reason
//!   as `justification`. GitHub's upload does not act on `suppressions` (the result
//!   becomes an open alert); the README's recipe dismisses them with
//!   `advanced-security/dismiss-alerts`, which reads exactly this property.
//! - columns are Unicode scalar values (`columnKind: unicodeCodePoints`); our end
//!   position is exclusive, as SARIF's `endColumn` is.
//! - more than [`MAX_RESULTS`] results: the most severe are kept and a tool execution
//!   notification says how many were dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;

use crate::engine::ScanOutput;
use crate::finding::{Finding, Severity};
use crate::rule::RuleMeta;

/// GitHub code scanning accepts at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;

/// SARIF's own limit for `fullDescription` as GitHub reads it.
const MAX_FULL_DESCRIPTION: usize = 1024;

const SECRET_RULE: &str = "committed-secret";

/// A rule that ran in this scan, with the severity it ran at.
#[derive(Clone, Copy, Debug)]
pub struct RanRule<'a> {
    pub meta: &'a RuleMeta,
    pub severity: Severity,
}

/// How to render.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// `runs[0].automationDetails.id` (GitHub's analysis category).
    pub category: Option<&'a str>,
    /// Results beyond this are dropped (with a notification).
    pub max_results: usize,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self { category: None, max_results: MAX_RESULTS }
    }
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    invocations: Vec<Invocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help<'a>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
    #[serde(rename = "problem.severity", skip_serializing_if = "Option::is_none")]
    problem_severity: Option<&'static str>,
    precision: &'static str,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    partial_fingerprints: PartialFingerprints,
    fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    justification: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialFingerprints {
    primary_location_line_hash: String,
}

/// Writes the SARIF log as pretty JSON followed by a newline. `rules` are the rules
/// that ran (they become `tool.driver.rules`, in the order given).
pub fn render(out: &ScanOutput, rules: &[RanRule<'_>], opts: &Options<'_>, w: &mut dyn Write) -> io::Result<()> {
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (&*r.meta.id, i)).collect();
    let (kept, dropped) = keep_most_severe(&out.findings, opts.max_results);
    let mut notifications: Vec<Notification> =
        out.warnings.iter().map(|w| Notification { level: "warning", message: Text { text: w.clone() } }).collect();
    if dropped > 0 {
        notifications.push(Notification {
            level: "warning",
            message: Text {
                text: format!(
                    "{dropped} of {} results were left out: GitHub code scanning accepts at most {} results per \
                     run (the most severe were kept)",
                    out.findings.len(),
                    opts.max_results
                ),
            },
        });
    }
    let invocations = if notifications.is_empty() {
        Vec::new()
    } else {
        vec![Invocation { execution_successful: true, tool_execution_notifications: notifications }]
    };
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "envlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules: rules.iter().map(descriptor).collect(),
                },
            },
            automation_details: opts
                .category
                .filter(|c| !c.is_empty())
                .map(|c| AutomationDetails { id: if c.ends_with('/') { c.to_owned() } else { format!("{c}/") } }),
            invocations,
            column_kind: "unicodeCodePoints",
            results: kept.into_iter().map(|f| result(f, index.get(&*f.rule).copied())).collect(),
        }],
    };
    serde_json::to_writer_pretty(&mut *w, &log).map_err(io::Error::other)?;
    writeln!(w)
}

fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")].into_iter().find(|u| !u.is_empty())
}

/// The first `max` findings by severity (most severe first), in report order; and
/// how many were dropped.
fn keep_most_severe(findings: &[Finding], max: usize) -> (Vec<&Finding>, usize) {
    if findings.len() <= max {
        return (findings.iter().collect(), 0);
    }
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(findings[i].severity));
    order.truncate(max);
    order.sort_unstable();
    (order.into_iter().map(|i| &findings[i]).collect(), findings.len() - max)
}

fn descriptor<'a>(rule: &RanRule<'a>) -> ReportingDescriptor<'a> {
    let m = rule.meta;
    let secret = m.id == SECRET_RULE;
    let mut tags = vec!["envlint"];
    if m.security {
        tags.push("security");
    }
    if secret {
        tags.push("secrets");
    }
    ReportingDescriptor {
        id: &m.id,
        name: pascal_case(&m.id),
        short_description: Text { text: m.summary.to_string() },
        full_description: Text { text: full_description(m) },
        help: Help { text: &m.docs, markdown: &m.docs },
        default_configuration: Configuration { level: level(rule.severity) },
        properties: RuleProperties {
            security_severity: m.security.then(|| security_severity(&m.id, rule.severity)),
            problem_severity: (!m.security).then(|| problem_severity(rule.severity)),
            precision: m.precision.as_str(),
            tags,
        },
    }
}

/// GitHub's `security-severity`: a string holding a number from 0.1 to 10.
fn security_severity(id: &str, severity: Severity) -> &'static str {
    match severity {
        Severity::Error if id == SECRET_RULE => "9.5",
        Severity::Error => "7.0",
        Severity::Warning => "4.0",
        Severity::Note => "1.0",
    }
}

/// GitHub's `problem.severity` for quality rules.
fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `dotenv-duplicate-key` → `DotenvDuplicateKey`.
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| c.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

/// The summary and the docs' "What it does" section, cut to 1024 characters.
fn full_description(m: &RuleMeta) -> String {
    let what = m
        .docs
        .split("## What it does")
        .nth(1)
        .map(|rest| rest.split("\n## ").next().unwrap_or(rest).trim())
        .filter(|s| !s.is_empty());
    let mut text = match what {
        Some(what) => format!("{}. {what}", capitalize(&m.summary)),
        None => format!("{}.", capitalize(&m.summary)),
    };
    if text.chars().count() > MAX_FULL_DESCRIPTION {
        text = text.chars().take(MAX_FULL_DESCRIPTION - 1).collect::<String>() + "…";
    }
    text
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

fn result(f: &Finding, rule_index: Option<usize>) -> SarifResult<'_> {
    let mut text = match &f.env {
        Some(env) => format!("{} (env: {env})", f.message),
        None => f.message.clone(),
    };
    // GitHub links related locations only from the message: `[text](id)`.
    if !f.related.is_empty() {
        let links: Vec<String> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| format!("[{}]({})", escape_link_text(&format!("{}:{}", r.path, r.start.line)), i + 1))
            .collect();
        let _ = write!(text, "; see {}", links.join(", "));
    }
    let mut properties: BTreeMap<&str, &str> = f.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if let Some(env) = &f.env {
        properties.insert("env", env);
    }
    SarifResult {
        rule_id: &f.rule,
        rule_index,
        level: level(f.severity),
        message: Text { text },
        locations: [Location { physical_location: physical(&f.path, f.start, (f.end.line, f.end.column)) }],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| RelatedLocation {
                id: i + 1,
                physical_location: physical(&r.path, r.start, (r.end.line, r.end.column)),
                message: Text { text: r.message.clone() },
            })
            .collect(),
        suppressions: f
            .suppressed
            .as_deref()
            .map(|reason| vec![Suppression { kind: "inSource", justification: reason }])
            .unwrap_or_default(),
        // Our fingerprint already counts earlier identical findings, so the
        // occurrence suffix GitHub's own hashes carry is always 1.
        partial_fingerprints: PartialFingerprints { primary_location_line_hash: format!("{}:1", f.fingerprint) },
        fingerprints: BTreeMap::from([("envlint/v1", f.fingerprint.as_str())]),
        properties,
    }
}

/// Link text of an embedded link (SARIF §3.11.6): brackets and backslashes escaped.
fn escape_link_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('[', "\\[").replace(']', "\\]")
}

/// A location in a file: its URI and a region (an empty span is an insertion point).
fn physical(path: &str, start: crate::source::LineCol, end: (u32, u32)) -> PhysicalLocation {
    let end = if end < (start.line, start.column) { (start.line, start.column) } else { end };
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: uri(path) },
        region: Region {
            start_line: start.line.max(1),
            start_column: start.column.max(1),
            end_line: end.0.max(1),
            end_column: end.1.max(1),
        },
    }
}

/// A repository-relative path as a URI reference (RFC 3986): `/` kept, `./`
/// dropped, everything but unreserved characters percent-encoded.
pub fn uri(path: &str) -> String {
    let mut path = path.trim_start_matches('/');
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        let cases = [
            ("app/.env.prod", "app/.env.prod"),
            ("./app/.env", "app/.env"),
            ("my dir/a b.tf", "my%20dir/a%20b.tf"),
            ("zoë/x#1%.yml", "zo%C3%AB/x%231%25.yml"),
        ];
        for (path, want) in cases {
            assert_eq!(uri(path), want, "{path}");
        }
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal_case("dotenv-duplicate-key"), "DotenvDuplicateKey");
        assert_eq!(pascal_case("parse-error"), "ParseError");
        assert_eq!(pascal_case("committed-secret"), "CommittedSecret");
    }

    #[test]
    fn severities_are_in_range() {
        for sev in [Severity::Error, Severity::Warning, Severity::Note] {
            for id in [SECRET_RULE, "other"] {
                let v: f64 = security_severity(id, sev).parse().expect("number");
                assert!((0.1..=10.0).contains(&v));
            }
        }
    }

    #[test]
    fn an_empty_span_is_a_valid_region() {
        let src = crate::source::SourceFile::new("a", "Zoë=\n");
        let f = Finding {
            rule: "r".into(),
            severity: Severity::Warning,
            path: "a".into(),
            env: None,
            span: crate::span::Span::new(5, 5),
            start: src.line_col(5),
            end: src.line_col(5),
            message: "m".into(),
            help: None,
            fingerprint: "f".into(),
            properties: BTreeMap::new(),
            related: Vec::new(),
            snippet: None,
            suppressed: None,
        };
        let v = serde_json::to_value(result(&f, Some(0))).expect("json");
        assert_eq!(
            v["locations"][0]["physicalLocation"]["region"],
            serde_json::json!({"startLine": 1, "startColumn": 5, "endLine": 1, "endColumn": 5})
        );
        assert_eq!(v["partialFingerprints"]["primaryLocationLineHash"], "f:1");
    }

    #[test]
    fn truncation_keeps_the_most_severe_in_order() {
        let src = crate::source::SourceFile::new("a", "x");
        let finding = |sev: Severity, msg: &str| Finding {
            rule: "r".into(),
            severity: sev,
            path: "a".into(),
            env: None,
            span: crate::span::Span::new(0, 1),
            start: src.line_col(0),
            end: src.line_col(1),
            message: msg.into(),
            help: None,
            fingerprint: msg.into(),
            properties: BTreeMap::new(),
            related: Vec::new(),
            snippet: None,
            suppressed: None,
        };
        let findings =
            vec![finding(Severity::Note, "n"), finding(Severity::Error, "e1"), finding(Severity::Warning, "w")];
        let (kept, dropped) = keep_most_severe(&findings, 2);
        assert_eq!(dropped, 1);
        assert_eq!(kept.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(), ["e1", "w"]);

        let out = ScanOutput { findings, ..ScanOutput::default() };
        let mut buf = Vec::new();
        render(&out, &[], &Options { category: Some("envlint"), max_results: 2 }, &mut buf).expect("render");
        let v: serde_json::Value = serde_json::from_slice(&buf).expect("json");
        let run = &v["runs"][0];
        assert_eq!(run["results"].as_array().map(Vec::len), Some(2));
        assert_eq!(run["automationDetails"]["id"], "envlint/");
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "warning");
        assert!(note["message"]["text"].as_str().is_some_and(|t| t.starts_with("1 of 3 results")), "{note}");
    }
}
