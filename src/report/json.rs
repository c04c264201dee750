//! `--format json`: the stable, versioned machine contract (DESIGN.md, "Outputs").

use std::io::{self, Write};

use serde::Serialize;

use crate::engine::ScanOutput;
use crate::finding::Severity;
use crate::source::LineCol;

/// The contract version; bump on any breaking change.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    path: &'a str,
    env: Option<&'a str>,
    message: &'a str,
    help: Option<&'a str>,
    span: JsonSpan,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    properties: &'a std::collections::BTreeMap<String, String>,
    /// Other places that explain the finding (absent when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    message: &'a str,
    span: JsonSpan,
}

#[derive(Serialize)]
struct JsonSpan {
    start: LineCol,
    end: LineCol,
    offset: u32,
    length: u32,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Findings hidden by inline suppressions (not listed).
    suppressed: usize,
    /// Findings hidden by `--baseline` (not listed).
    baselined: usize,
}

/// Writes the report as pretty JSON followed by a newline.
pub fn render(out: &ScanOutput, w: &mut dyn Write) -> io::Result<()> {
    let report = Report {
        version: VERSION,
        tool: Tool { name: "envlint", version: env!("CARGO_PKG_VERSION") },
        findings: out
            .shown()
            .map(|f| JsonFinding {
                rule: &f.rule,
                severity: f.severity,
                path: &f.path,
                env: f.env.as_deref(),
                message: &f.message,
                help: f.help.as_deref(),
                span: JsonSpan { start: f.start, end: f.end, offset: f.span.start, length: f.span.end - f.span.start },
                fingerprint: &f.fingerprint,
                properties: &f.properties,
                related: f
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        path: &r.path,
                        message: &r.message,
                        span: JsonSpan {
                            start: r.start,
                            end: r.end,
                            offset: r.span.start,
                            length: r.span.len() as u32,
                        },
                    })
                    .collect(),
            })
            .collect(),
        summary: Summary {
            files: out.files.len(),
            errors: out.count(Severity::Error),
            warnings: out.count(Severity::Warning),
            notes: out.count(Severity::Note),
            suppressed: out.suppressed(),
            baselined: out.baselined,
        },
    };
    serde_json::to_writer_pretty(&mut *w, &report).map_err(io::Error::other)?;
    writeln!(w)
}
