//! The rule interface: one declaration per rule ([`RuleMeta`]: ID, severity, file
//! kinds, environment scope, security or quality, precision, typed options,
//! docs), the hooks a rule may implement — per file, per subject (a dotenv file,
//! a compose service, a CI job, ...), per unit (a folder's files, a CI pipeline),
//! per project — and the emitter it reports through.
//!
//! Rules are pure: no I/O, no printing, no panics. The framework (`engine`)
//! applies the declared kinds and environment scope before calling a hook, and
//! stamps positions, snippets, redaction and fingerprints on what it reports.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Settings;
use crate::discover::FileKind;
use crate::env::{Env, EnvTable, FileEnv};
use crate::finding::Severity;
use crate::formats::carriers::Carrier;
use crate::model::{Document, Node};
use crate::parse::ParseError;
use crate::source::SourceFile;
use crate::span::Span;

/// Which environments a rule judges. The framework applies it from the subject
/// a rule looks at (a file, a CI job, a compose service), once, for every rule
/// and policy: a rule scoped to environments never sees a subject whose
/// environment is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvScope {
    /// Not about environments (`-`): git facts, parse errors.
    Unscoped,
    /// Every subject, its environment known or not.
    Any,
    /// Subjects of a known environment.
    Known,
    /// Subjects of these environments (names or aliases, resolved through the
    /// environment table).
    Only(Cow<'static, [Cow<'static, str>]>),
    /// Subjects of any environment, known or not, but these.
    Except(Cow<'static, [Cow<'static, str>]>),
}

impl EnvScope {
    /// Whether a subject of environment `env` is judged.
    pub fn admits(&self, env: Option<&str>, table: &EnvTable) -> bool {
        let named = |list: &[Cow<'static, str>], e: &str| {
            list.iter().any(|n| table.resolve(n).map_or_else(|| n.eq_ignore_ascii_case(e), |c| *c == *e))
        };
        match (self, env) {
            (Self::Unscoped | Self::Any | Self::Except(_), None)
            | (Self::Unscoped | Self::Any | Self::Known, Some(_)) => true,
            (_, None) => false,
            (Self::Only(list), Some(e)) => named(list, e),
            (Self::Except(list), Some(e)) => !named(list, e),
        }
    }

    /// Whether the scope needs a known environment.
    pub fn needs_env(&self) -> bool {
        !matches!(self, Self::Unscoped | Self::Any)
    }

    /// For the rule table: `-`, `any`, `any known`, `prod, staging`, `not dev, not prod`.
    pub fn describe(&self) -> String {
        match self {
            Self::Unscoped => "-".into(),
            Self::Any => "any".into(),
            Self::Known => "any known".into(),
            Self::Only(list) => list.join(", "),
            Self::Except(list) => list.iter().map(|e| format!("not {e}")).collect::<Vec<_>>().join(", "),
        }
    }
}

/// How often a rule's findings are right (SARIF `precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    VeryHigh,
    High,
    Medium,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryHigh => "very-high",
            Self::High => "high",
            Self::Medium => "medium",
        }
    }
}

/// A rule's parsed options (`[rules.<id>]`), type-erased; the rule downcasts.
pub type Options = Arc<dyn Any + Send + Sync>;

/// Parses a rule's `[rules.<id>]` table into its options type.
pub type OptionsParser = fn(&toml::Value) -> Result<Options, String>;

/// Parses `value` as `T` (serde, unknown fields rejected by `T`'s attributes).
pub fn parse_options<T>(value: &toml::Value) -> Result<Options, String>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    T::deserialize(value.clone()).map(|t| Arc::new(t) as Options).map_err(|e| e.to_string())
}

/// Everything about a rule, declared once in the rule's own file.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Stable kebab-case ID (RULES.md).
    pub id: Cow<'static, str>,
    pub severity: Severity,
    /// One line, lowercase, no trailing period.
    pub summary: Cow<'static, str>,
    /// What it reads, for the rule table (`dotenv`, `env-var carriers`, ...).
    pub formats: Cow<'static, str>,
    /// The file kinds whose files and subjects it is given; empty: every kind.
    pub kinds: Cow<'static, [FileKind]>,
    pub scope: EnvScope,
    /// A security rule (SARIF `security-severity`, GitHub security alerts); the
    /// others are quality rules.
    pub security: bool,
    pub precision: Precision,
    /// Off unless selected by its exact ID.
    pub default_enabled: bool,
    /// Parses its `[rules.<id>]` table; `None`: it takes no options.
    pub options: Option<OptionsParser>,
    /// What to do about a finding; the default `help` of every finding.
    pub help: Cow<'static, str>,
    /// Markdown with `## What it does`, `## Why is this bad?`, `## Example`, `## How to fix`.
    pub docs: Cow<'static, str>,
}

impl RuleMeta {
    /// Whether the rule reads files of `kind`.
    pub fn reads(&self, kind: FileKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

/// A file of the unit being checked, by index.
pub type FileRef = u32;

/// A place in a file of the unit: the file and a span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: FileRef,
    pub span: Span,
}

/// One file of a unit, as the rules see it.
pub struct UnitFile {
    pub source: Arc<SourceFile>,
    pub kind: FileKind,
    /// `None` when the file is not a structured kind or failed to parse.
    pub doc: Option<Document>,
    pub parse_error: Option<ParseError>,
    pub env: FileEnv,
    /// Path relative to the config directory, for `[[overrides]]`.
    pub config_rel: String,
    /// Findings in this file are reported (else it is only context).
    pub reported: bool,
    /// Secret-scanner hits (empty when `committed-secret` does not run on it).
    pub secrets: Vec<crate::secrets::SecretHit>,
}

/// What kind of thing a subject is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    /// A whole file (a dotenv file, a Terraform file).
    File,
    /// A CI job (GitHub Actions or GitLab CI).
    Job,
    /// A compose service.
    Service,
}

/// An env-var setting as a subject has it: where it is written (maybe in a
/// template or another file) and whether it was inherited.
#[derive(Clone, Debug)]
pub struct SubjectCarrier {
    pub carrier: Carrier,
    pub file: FileRef,
    /// Inherited from this template, job or global section (for messages).
    pub inherited_from: Option<String>,
}

/// What a rule judges, with the environment it has: a dotenv file, a CI job
/// with what it inherits, a compose service. Findings about a subject carry its
/// environment, whatever byte of whichever file they point at.
pub struct Subject<'a> {
    pub kind: SubjectKind,
    /// The job or service name, or the file's path.
    pub name: String,
    /// Where it is declared: the job or service key, or line 1 of the file.
    pub anchor: Loc,
    /// Its own tree (the job's map, the service's map, the file's root).
    pub node: Option<&'a Node>,
    pub env: Option<Env>,
    /// Why it has that environment.
    pub reason: String,
    /// Every env-var setting it has, its own and inherited, in the order they apply.
    pub carriers: Vec<SubjectCarrier>,
    /// What it is as its tool sees it (a GitLab job in its pipeline, a GitHub
    /// job in its workflow, a compose service in its project), for the rules
    /// about CI and compose.
    pub view: Option<crate::formats::subjects::View<'a>>,
    /// Places that make it what it is, shown with every finding about it (the
    /// override file that runs a base file's service in prod).
    pub related: Vec<(Loc, String)>,
}

impl Subject<'_> {
    /// A short description for related-location labels: `job deploy`, `service api`.
    pub fn label(&self) -> String {
        match self.kind {
            SubjectKind::File => self.name.clone(),
            SubjectKind::Job => format!("job `{}`", self.name),
            SubjectKind::Service => format!("service `{}`", self.name),
        }
    }
}

/// Everything a per-file hook may look at.
pub struct FileCx<'a> {
    pub file: FileRef,
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
    carriers: std::cell::OnceCell<Vec<Carrier>>,
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
            file: 0,
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

    /// The context of file `file` of a unit.
    pub fn of(file: FileRef, f: &'a UnitFile, settings: &'a Settings) -> Self {
        let mut cx = Self::new(&f.source, f.kind, f.doc.as_ref(), f.parse_error.as_ref(), &f.env, settings, &f.secrets);
        cx.file = file;
        cx
    }

    /// The file's env-var carriers (empty when it has no document).
    pub fn carriers(&self) -> &[Carrier] {
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

    /// This rule's options (`[rules.<id>]`), or `T::default()`.
    pub fn options<T: Default + Clone + Send + Sync + 'static>(&self, id: &str) -> T {
        self.settings.rule_options::<T>(id)
    }
}

/// Everything a per-subject or per-unit hook may look at: every file of the unit.
pub struct UnitCx<'a> {
    pub files: &'a [UnitFile],
    pub settings: &'a Settings,
}

impl UnitCx<'_> {
    pub fn file(&self, r: FileRef) -> &UnitFile {
        &self.files[r as usize]
    }

    /// The text a location covers.
    pub fn text(&self, loc: Loc) -> &str {
        self.files.get(loc.file as usize).map_or("", |f| f.source.slice(loc.span))
    }
}

/// A rule: a declaration and the hooks it implements. Every hook has an empty
/// default; the framework calls each one with the rule's kinds and environment
/// scope applied.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &RuleMeta;

    /// Once per file of a kind it reads whose environment the scope admits (for
    /// CI files, whose jobs have environments of their own, findings are kept
    /// when the job holding them is in scope).
    fn check_file(&self, _file: &FileCx<'_>, _out: &mut Emitter<'_>) {}

    /// Once per subject of a kind it reads whose environment the scope admits.
    fn check_subject(&self, _subject: &Subject<'_>, _unit: &UnitCx<'_>, _out: &mut Emitter<'_>) {}

    /// Once per unit (a folder's files, a CI pipeline), for rules across its files.
    fn check_unit(&self, _unit: &UnitCx<'_>, _out: &mut Emitter<'_>) {}

    /// Once per scan, over the repository's facts.
    fn check_project(
        &self,
        _project: &crate::engine::project::ProjectCx<'_>,
        _out: &mut crate::engine::project::ProjectOut,
    ) {
    }
}

/// A finding as a rule reports it, before the framework completes it.
#[derive(Clone, Debug)]
pub struct RawFinding {
    pub rule: Arc<str>,
    pub severity: Severity,
    pub loc: Loc,
    pub env: Option<Env>,
    pub message: String,
    pub help: Option<String>,
    pub properties: BTreeMap<String, String>,
    /// Other places that explain it (the template a job inherits, the other environment's value).
    pub related: Vec<(Loc, String)>,
    /// What identifies its place without line numbers (default: its line's text
    /// before the span and the text under it, secrets blanked).
    pub anchor: Option<String>,
}

/// Adds details to a finding just reported: `out.report(span, msg).related(loc, label);`
pub struct Report<'e>(&'e mut RawFinding);

// The finding is already recorded: a builder call whose result is dropped is fine.
#[allow(clippy::return_self_not_must_use)]
impl Report<'_> {
    /// A related location with a label.
    pub fn related(self, loc: Loc, label: impl Into<String>) -> Self {
        self.0.related.push((loc, label.into()));
        self
    }

    /// A machine-readable fact (JSON and SARIF `properties`).
    pub fn property(self, key: &str, value: &str) -> Self {
        self.0.properties.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Replaces the rule's default help.
    pub fn help(self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// The finding's logical anchor (a key, a JSON pointer, a job): what its
    /// fingerprint is made from instead of its text.
    pub fn anchor(self, anchor: impl Into<String>) -> Self {
        self.0.anchor = Some(anchor.into());
        self
    }

    /// The environment the finding is about, when it is not the subject's.
    pub fn env(self, env: Option<Env>) -> Self {
        self.0.env = env;
        self
    }
}

/// Collects one rule's findings, stamping rule ID, severity and environment.
pub struct Emitter<'a> {
    meta: &'a RuleMeta,
    rule_id: Arc<str>,
    severity: Severity,
    /// Where `report` puts findings.
    here: FileRef,
    /// The environment stamped on findings: the subject's or the file's.
    env: Option<Env>,
    pub(crate) findings: Vec<RawFinding>,
    /// Problems running the rule itself (a user policy failing on this file): the
    /// scan goes on and the caller shows them as warnings.
    pub(crate) warnings: Vec<String>,
}

impl<'a> Emitter<'a> {
    pub fn new(meta: &'a RuleMeta, severity: Severity, here: FileRef, env: Option<Env>) -> Self {
        Self { meta, rule_id: Arc::from(&*meta.id), severity, here, env, findings: Vec::new(), warnings: Vec::new() }
    }

    /// Reports a finding at `span` of the current file.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> Report<'_> {
        self.push(self.severity, Loc { file: self.here, span }, message.into())
    }

    /// Reports a finding at a location in any file of the unit.
    pub fn report_in(&mut self, loc: Loc, message: impl Into<String>) -> Report<'_> {
        self.push(self.severity, loc, message.into())
    }

    /// Reports a finding at `severity`, capped at the rule's configured severity
    /// (a Rego policy's `warn` results next to its `deny` ones).
    pub fn report_at(&mut self, severity: Severity, span: Span, message: impl Into<String>) -> Report<'_> {
        self.push(severity.min(self.severity), Loc { file: self.here, span }, message.into())
    }

    /// Records that the rule could not run on this file; no finding is made.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(message.into());
    }

    fn push(&mut self, severity: Severity, loc: Loc, message: String) -> Report<'_> {
        self.findings.push(RawFinding {
            rule: self.rule_id.clone(),
            severity,
            loc,
            env: self.env.clone(),
            message,
            help: Some(self.meta.help.to_string()).filter(|h| !h.is_empty()),
            properties: BTreeMap::new(),
            related: Vec::new(),
            anchor: None,
        });
        let last = self.findings.len() - 1;
        Report(&mut self.findings[last])
    }

    /// The findings and the warnings about the rule itself.
    pub fn into_parts(self) -> (Vec<RawFinding>, Vec<String>) {
        (self.findings, self.warnings)
    }
}
