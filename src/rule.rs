//! The rule interface: metadata, the per-file context a rule reads, and the
//! emitter it reports through. Rules are pure: no I/O, no printing, no panics.

use std::borrow::Cow;
use std::sync::Arc;

use crate::config::Settings;
use crate::discover::FileKind;
use crate::env::FileEnv;
use crate::finding::{Finding, Severity};
use crate::model::Document;
use crate::parse::ParseError;
use crate::source::SourceFile;
use crate::span::Span;

/// What `envlint rules` and `envlint explain` show, declared once per rule.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Stable kebab-case ID (RULES.md).
    pub id: Cow<'static, str>,
    pub severity: Severity,
    /// One line, lowercase, no trailing period.
    pub summary: Cow<'static, str>,
    /// The file kinds or carriers it reads, for the rule table.
    pub formats: Cow<'static, str>,
    /// The environments it applies to: `any`, `prod`, `prod, staging`, `-`.
    pub envs: Cow<'static, str>,
    /// What to do about a finding; the default `help` of every finding.
    pub help: Cow<'static, str>,
    /// Markdown with `## What it does`, `## Why is this bad?`, `## Example`, `## How to fix`.
    pub docs: Cow<'static, str>,
}

/// Everything a per-file rule may look at.
pub struct FileCx<'a> {
    pub source: &'a SourceFile,
    pub kind: FileKind,
    /// `None` when the file is not a structured kind or failed to parse.
    pub doc: Option<&'a Document>,
    pub parse_error: Option<&'a ParseError>,
    pub env: &'a FileEnv,
    pub settings: &'a Settings,
    /// Secret-scanner hits in this file (empty when `committed-secret` does not run on it).
    pub secrets: &'a [crate::secrets::SecretHit],
    /// Views computed on first use and shared by every rule that runs on the file.
    carriers: std::cell::OnceCell<Vec<crate::formats::carriers::Carrier>>,
    json: std::cell::OnceCell<(serde_json::Value, crate::model::json::SpanIndex)>,
}

impl<'a> FileCx<'a> {
    pub fn new(
        source: &'a SourceFile,
        kind: FileKind,
        doc: Option<&'a Document>,
        parse_error: Option<&'a ParseError>,
        env: &'a FileEnv,
        settings: &'a Settings,
        secrets: &'a [crate::secrets::SecretHit],
    ) -> Self {
        Self {
            source,
            kind,
            doc,
            parse_error,
            env,
            settings,
            secrets,
            carriers: std::cell::OnceCell::new(),
            json: std::cell::OnceCell::new(),
        }
    }

    /// The file's env-var carriers (empty when it has no document).
    pub fn carriers(&self) -> &[crate::formats::carriers::Carrier] {
        self.carriers.get_or_init(|| {
            self.doc.map_or_else(Vec::new, |doc| crate::formats::carriers::carriers(self.kind, doc, self.source))
        })
    }

    /// The file's document as JSON with its pointer-to-span index.
    pub fn json(&self) -> &(serde_json::Value, crate::model::json::SpanIndex) {
        self.json.get_or_init(|| {
            self.doc.map_or_else(
                || (serde_json::Value::Null, crate::model::json::SpanIndex::default()),
                crate::model::json::to_json,
            )
        })
    }
}

/// A rule that looks at one file at a time.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &RuleMeta;
    fn check(&self, file: &FileCx<'_>, out: &mut Emitter<'_>);
}

/// Collects one rule's findings for one file, stamping rule ID, severity,
/// path, environment and positions on each (fingerprints are set once the
/// file's findings are complete, see [`crate::finding::assign_fingerprints`]).
pub struct Emitter<'a> {
    meta: &'a RuleMeta,
    rule_id: Arc<str>,
    severity: Severity,
    file: &'a FileCx<'a>,
    pub(crate) findings: Vec<Finding>,
    /// Problems running the rule itself (a user policy failing on this file): the
    /// scan goes on and the caller shows them as warnings.
    pub(crate) warnings: Vec<String>,
}

impl<'a> Emitter<'a> {
    pub fn new(meta: &'a RuleMeta, severity: Severity, file: &'a FileCx<'a>) -> Self {
        Self { meta, rule_id: Arc::from(&*meta.id), severity, file, findings: Vec::new(), warnings: Vec::new() }
    }

    /// Reports a finding at `span` with the rule's default help.
    pub fn report(&mut self, span: Span, message: impl Into<String>) {
        self.report_with_help(span, message, None);
    }

    /// Reports a finding at `span` with machine-readable properties.
    pub fn report_with_properties(&mut self, span: Span, message: impl Into<String>, properties: &[(&str, &str)]) {
        self.report_with_help(span, message, None);
        if let Some(f) = self.findings.last_mut() {
            f.properties = properties.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        }
    }

    /// Reports a finding at `span`; `help` replaces the rule's default help.
    pub fn report_with_help(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        self.push(self.severity, span, message.into(), help);
    }

    /// Reports a finding at `severity`, capped at the rule's configured severity
    /// (a Rego policy's `warn` results next to its `deny` ones).
    pub fn report_at(&mut self, severity: Severity, span: Span, message: impl Into<String>) {
        self.push(severity.min(self.severity), span, message.into(), None);
    }

    /// Records that the rule could not run on this file; no finding is made.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    fn push(&mut self, severity: Severity, span: Span, message: String, help: Option<String>) {
        let src = self.file.source;
        self.findings.push(Finding {
            rule: self.rule_id.clone(),
            severity,
            path: src.path.clone(),
            env: self.file.env.env_at(span.start).cloned(),
            span,
            start: src.line_col(span.start),
            end: src.line_col(span.end),
            message,
            help: help.or_else(|| Some(self.meta.help.to_string())).filter(|h| !h.is_empty()),
            fingerprint: String::new(),
            properties: std::collections::BTreeMap::new(),
        });
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// The findings and the warnings about the rule itself.
    pub fn into_parts(self) -> (Vec<Finding>, Vec<String>) {
        (self.findings, self.warnings)
    }
}
