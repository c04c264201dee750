//! `envlint policy test`: runs the test cases embedded in policy files. Each
//! case is a file path and its content; the path decides the kind and the
//! environment exactly as a real scan would (classification, then path and
//! content inference with the config's environment table), the policy runs on
//! it alone, and its findings are compared with the expected ones.

#[cfg(feature = "rego")]
use crate::rule::Rule as _;
use std::io::{self, Write};

use crate::config::Settings;
use crate::discover::FileKind;
use crate::source::{LineCol, SourceFile};
use crate::span::Span;

use super::Policy;

/// One embedded test case.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    /// Repository-relative path: decides the kind and environment.
    pub file: String,
    pub content: String,
    /// Every finding the policy must report, and no other.
    pub expect: Vec<Expect>,
    /// Where the case is written in the policy file.
    pub span: Span,
}

/// An expected finding: its line, and optionally its column and exact message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub line: u32,
    pub column: Option<u32>,
    pub message: Option<String>,
}

impl Expect {
    fn matches(&self, at: LineCol, message: &str) -> bool {
        self.line == at.line
            && self.column.is_none_or(|c| c == at.column)
            && self.message.as_deref().is_none_or(|m| m == message)
    }

    fn render(&self) -> String {
        let col = self.column.map_or_else(|| "*".to_owned(), |c| c.to_string());
        let msg = self.message.as_deref().unwrap_or("(any message)");
        format!("{}:{col} {msg}", self.line)
    }
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Expected findings that were not reported.
    pub missing: Vec<Expect>,
    /// Reported findings that were not expected: position and message.
    pub unexpected: Vec<(LineCol, String)>,
    /// The case could not run as written (its file does not parse, or is of a kind policies never read).
    pub error: Option<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.error.is_none()
    }

    /// Expected (`-`) against actual (`+`) findings, one per line.
    pub fn diff(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        if let Some(e) = &self.error {
            let _ = writeln!(out, "  error: {e}");
        }
        for m in &self.missing {
            let _ = writeln!(out, "  - {}   (expected, not reported)", m.render());
        }
        for (at, msg) in &self.unexpected {
            let _ = writeln!(out, "  + {}:{} {msg}   (reported, not expected)", at.line, at.column);
        }
        out
    }
}

/// Runs one case of `policy`: the case's file through the same pipeline as a
/// scan (environment inference, subjects, the policy's scope), this policy alone.
pub fn run_case(policy: &Policy, case: &TestCase, settings: &Settings) -> CaseResult {
    let kind = FileKind::classify(&case.file);
    let fail = |e: String| CaseResult { missing: Vec::new(), unexpected: Vec::new(), error: Some(e) };
    let src = SourceFile::new(case.file.as_str(), case.content.as_str());
    match crate::engine::parse_kind(kind, &case.file, &case.content) {
        None => return fail(format!("`{}` is of kind {kind}, which policies do not read", case.file)),
        Some(Err(e)) => {
            let at = src.line_col(e.span.start);
            return fail(format!("`{}` does not parse: {} at {}:{}", case.file, e.message, at.line, at.column));
        }
        Some(Ok(_)) => {}
    }
    // The policy alone, whatever the config selects.
    let mut settings = settings.clone();
    settings.select.clear();
    settings.ignore.clear();
    settings.overrides.clear();
    let rules: Vec<Box<dyn crate::rule::Rule>> = vec![Box::new(super::PolicyRule::new(policy.clone()))];
    let out = crate::engine::scan_text(&case.file, case.content.as_bytes().to_vec(), &settings, &rules);
    let mut actual: Vec<(LineCol, String)> =
        out.findings.iter().filter(|f| *f.rule == *policy.id).map(|f| (f.start, f.message.clone())).collect();
    let mut missing = Vec::new();
    for e in &case.expect {
        match actual.iter().position(|(at, msg)| e.matches(*at, msg)) {
            Some(i) => {
                actual.remove(i);
            }
            None => missing.push(e.clone()),
        }
    }
    CaseResult { missing, unexpected: actual, error: None }
}

/// Counts of a test run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
}

/// Runs every case of every policy, printing `PASS`/`FAIL` per case, a diff for
/// each failure, and a closing count.
#[cfg_attr(not(feature = "rego"), allow(clippy::infallible_destructuring_match))]
pub fn run_all(policies: &[super::UserPolicy], settings: &Settings, out: &mut dyn Write) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for p in policies {
        let p = match p {
            super::UserPolicy::Yaml(p) => p,
            #[cfg(feature = "rego")]
            super::UserPolicy::Rego { policy, path } => {
                run_rego(policy, path, &mut summary, out)?;
                continue;
            }
        };
        if p.tests.is_empty() {
            writeln!(out, "NOTE {}: no test cases ({})", p.id, p.origin.name)?;
        }
        for case in &p.tests {
            let result = run_case(p, case, settings);
            if result.passed() {
                summary.passed += 1;
                writeln!(out, "PASS {}: {}", p.id, case.name)?;
            } else {
                summary.failed += 1;
                let line = SourceFile::new("", p.origin.text.clone()).line_col(case.span.start).line;
                writeln!(out, "FAIL {}: {} ({}:{line}, file {})", p.id, case.name, p.origin.name, case.file)?;
                write!(out, "{}", result.diff())?;
            }
        }
    }
    writeln!(out, "policy tests: {} passed, {} failed", summary.passed, summary.failed)?;
    Ok(summary)
}

/// Runs a Rego policy's `test_*` rules from the `<name>_test.rego` beside it.
#[cfg(feature = "rego")]
fn run_rego(
    policy: &super::rego::RegoPolicy,
    path: &std::path::Path,
    summary: &mut Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    let id = &policy.meta().id;
    let test_path = super::rego::test_path_for(path);
    if !test_path.is_file() {
        return writeln!(out, "NOTE {id}: no test file ({})", test_path.display());
    }
    match super::rego::run_tests(path, &test_path) {
        Ok(results) => {
            for (name, passed, detail) in results {
                if passed {
                    summary.passed += 1;
                    writeln!(out, "PASS {id}: {name}")?;
                } else {
                    summary.failed += 1;
                    writeln!(out, "FAIL {id}: {name} ({})", test_path.display())?;
                    if let Some(detail) = detail {
                        writeln!(out, "  {detail}")?;
                    }
                }
            }
            Ok(())
        }
        Err(e) => {
            summary.failed += 1;
            writeln!(out, "FAIL {id}: cannot run {}: {e}", test_path.display())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra_tests: &str) -> Policy {
        let text = format!(
            "id: t\nseverity: error\nsummary: s\nhelp: h\nenvironments: [prod]\nmatch:\n  key: DEBUG\n  value: truthy\nmessage: '{{key}} is \"{{value}}\" in {{env}}'\ntests:\n{extra_tests}"
        );
        super::super::parse_policy("t.yaml", &text).expect("policy")
    }

    #[test]
    fn pass_and_fail_with_diff() {
        let p = policy(
            "  - {name: ok, file: .env.prod, content: \"DEBUG=1\\n\", expect: [{line: 1, column: 7, message: 'DEBUG is \"1\" in prod'}]}\n  - {name: wrong, file: .env.prod, content: \"X=1\\nDEBUG=yes\\n\", expect: [{line: 1}]}\n  - {name: unknown env, file: .env, content: \"DEBUG=1\\n\", expect: []}\n  - {name: broken, file: docker-compose.prod.yml, content: \"a: [\\n\", expect: []}\n",
        );
        let s = Settings::defaults(std::path::Path::new("."));
        let results: Vec<CaseResult> = p.tests.iter().map(|c| run_case(&p, c, &s)).collect();
        assert!(results[0].passed(), "{}", results[0].diff());
        assert!(!results[1].passed());
        assert_eq!(
            results[1].diff(),
            "  - 1:* (any message)   (expected, not reported)\n  + 2:7 DEBUG is \"yes\" in prod   (reported, not expected)\n"
        );
        assert!(results[2].passed(), "{}", results[2].diff());
        assert!(results[3].error.as_deref().is_some_and(|e| e.contains("does not parse")), "{:?}", results[3]);

        let mut out = Vec::new();
        let summary = run_all(&[super::super::UserPolicy::Yaml(p)], &s, &mut out).expect("write");
        assert_eq!(summary, Summary { passed: 2, failed: 2 });
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("PASS t: ok\n"), "{text}");
        assert!(text.contains("FAIL t: wrong (t.yaml:12, file .env.prod)\n"), "{text}");
        assert!(text.ends_with("policy tests: 2 passed, 2 failed\n"), "{text}");
    }
}
