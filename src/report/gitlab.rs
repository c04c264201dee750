//! `--format gitlab`: a GitLab Code Quality report, the documented subset of the
//! Code Climate format and nothing more. Depends on `engine` and `finding` only.
//!
//! Severity mapping: `committed-secret` at error → `blocker`, other errors →
//! `critical`, warnings → `major`, notes → `info`.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;

use crate::engine::ScanOutput;
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// The Code Quality severity of a finding.
pub fn severity(f: &Finding) -> &'static str {
    match f.severity {
        Severity::Error if &*f.rule == "committed-secret" => "blocker",
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

/// Writes the report as a pretty JSON array followed by a newline.
pub fn render(out: &ScanOutput, w: &mut dyn Write) -> io::Result<()> {
    // GitLab keeps one issue per fingerprint. Ours are unique per rule, path, text
    // and occurrence; should two ever collide, the later one gets a suffix.
    let mut seen = BTreeSet::new();
    let issues: Vec<Issue> = out
        .shown()
        .map(|f| {
            let mut fingerprint = f.fingerprint.clone();
            let mut n = 1;
            while !seen.insert(fingerprint.clone()) {
                n += 1;
                fingerprint = format!("{}-{n}", f.fingerprint);
            }
            Issue {
                description: match &f.env {
                    Some(env) => format!("{} (env: {env})", f.message),
                    None => f.message.clone(),
                },
                check_name: &f.rule,
                fingerprint,
                severity: severity(f),
                location: Location { path: &f.path, lines: Lines { begin: f.start.line.max(1) } },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *w, &issues).map_err(io::Error::other)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;
    use crate::span::Span;

    #[test]
    fn colliding_fingerprints_are_made_unique() {
        let src = SourceFile::new("a", "xy");
        let f = Finding {
            rule: "r".into(),
            severity: Severity::Warning,
            path: "a".into(),
            env: None,
            span: Span::new(0, 1),
            start: src.line_col(0),
            end: src.line_col(1),
            message: "m".into(),
            help: None,
            fingerprint: "abc".into(),
            properties: std::collections::BTreeMap::new(),
            related: Vec::new(),
            snippet: None,
            suppressed: None,
        };
        let out = ScanOutput { findings: vec![f.clone(), f.clone(), f], ..ScanOutput::default() };
        let mut buf = Vec::new();
        render(&out, &mut buf).expect("render");
        let v: serde_json::Value = serde_json::from_slice(&buf).expect("json");
        let fps: Vec<&str> = v.as_array().expect("array").iter().filter_map(|i| i["fingerprint"].as_str()).collect();
        assert_eq!(fps, ["abc", "abc-2", "abc-3"]);
    }
}
