//! The scan pipeline: discover the repository's files → per file, in parallel:
//! read, parse, infer the environment, run the rules → cross-file environment
//! passes over small facts → rules on the files those passes could change → sort.
//!
//! The whole repository is the context of every scan; what was named on the
//! command line only filters what is reported ([`ReportSet`]). Each file's work
//! runs isolated ([`crate::isolate`]): a bug on one file is a warning and the scan
//! goes on, marked incomplete.
//!
//! Memory stays bounded: a file's text and tree are dropped as soon as its rules
//! have run, except for the few files whose environment a cross-file pass may
//! still decide (Terraform and dotenv files with no environment of their own),
//! and the masked text of files with findings, kept for snippets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Settings;
use crate::discover::FileKind;
use crate::env::{EnvQuery, EnvRules, EnvSource, FileEnv};
use crate::finding::{Finding, Severity};
use crate::model::Document;
use crate::parse::{self, ParseError};
use crate::repo::{self, IgnoreTree, RepoFile, Tracked};
use crate::rule::{Emitter, FileCx, Rule};
use crate::source::SourceFile;
use crate::span::Span;

/// What a scan needs besides the settings.
pub struct ScanInput<'a> {
    /// The context root: the repository root, else the scanned folder. Every
    /// path is relative to it.
    pub root: &'a Path,
    /// What to report.
    pub report: &'a ReportSet,
    /// Git's tracked set (tracked files are scanned even when ignored).
    pub tracked: &'a Tracked,
    pub threads: usize,
    /// `--env GLOB=ENV`, compiled.
    pub env_flags: &'a [(String, globset::GlobMatcher, crate::env::Env)],
    /// Run the rules (false for `envlint envs`).
    pub run_rules: bool,
}

/// What a scan reports: everything under the root, or named files and folders
/// (relative to the root, `/`-separated; `""` is the root itself).
#[derive(Clone, Debug, Default)]
pub struct ReportSet {
    pub files: std::collections::BTreeSet<String>,
    pub dirs: Vec<String>,
}

impl ReportSet {
    /// Everything under the root.
    pub fn everything() -> Self {
        Self { files: std::collections::BTreeSet::new(), dirs: vec![String::new()] }
    }

    /// Whether findings in `rel` are reported.
    pub fn includes(&self, rel: &str) -> bool {
        self.files.contains(rel)
            || self
                .dirs
                .iter()
                .any(|d| d.is_empty() || (rel.starts_with(d.as_str()) && rel[d.len()..].starts_with('/')))
    }
}

/// One read and parsed file, while its rules have not run yet.
struct ScannedFile {
    source: Arc<SourceFile>,
    kind: FileKind,
    env: FileEnv,
    doc: Option<Document>,
    parse_error: Option<ParseError>,
    /// Path relative to the config directory, for overrides.
    config_rel: String,
}

/// The small facts about a file that outlive its text (for the cross-file passes
/// and `envlint envs`).
struct FileMeta {
    path: Arc<str>,
    kind: FileKind,
    env: FileEnv,
    /// A compose file's `env_file:` targets, as written.
    env_files: Vec<String>,
    /// A `.tf` file's own `variable "environment"` default, for the module pass.
    tf_variable_env: Option<FileEnv>,
}

/// One file after phase 1.
struct Phase1 {
    meta: FileMeta,
    /// Findings in this file are reported.
    reported: bool,
    /// The file, if its rules wait for the cross-file passes.
    pending: Option<Box<ScannedFile>>,
    /// Findings and the source to render them from, if its rules have run.
    checked: Option<Checked>,
}

/// A file's findings, the source to render them from, and warnings about rules
/// that could not run on it.
#[derive(Default)]
struct Checked {
    findings: Vec<Finding>,
    /// The file's text with every secret masked, when it has findings.
    shown: Option<Arc<SourceFile>>,
    warnings: Vec<String>,
    /// Rules that failed with an internal error on this file.
    failures: usize,
}

/// What a scan produced.
#[derive(Default)]
pub struct ScanOutput {
    /// Sorted by path, position, rule.
    pub findings: Vec<Finding>,
    /// Sources of files with findings, for snippets.
    pub sources: BTreeMap<Arc<str>, Arc<SourceFile>>,
    /// Every scanned file: path, kind, environment (sorted by path).
    pub files: Vec<(Arc<str>, FileKind, FileEnv)>,
    pub skipped_binary: usize,
    pub skipped_large: usize,
    /// Non-fatal problems: unreadable files, walk errors, internal errors.
    pub warnings: Vec<String>,
    /// How many steps (a file's parsing, a rule on a file) failed with an
    /// internal error: the scan is incomplete when this is not 0.
    pub incomplete: usize,
}

impl ScanOutput {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

enum Loaded {
    File(Box<Phase1>),
    Binary,
    Large,
    Unreadable(String),
    /// Only context and not needed: not read.
    Skipped,
    /// An internal error while reading or parsing it.
    Failed(String),
}

/// Runs a scan.
pub fn scan(input: &ScanInput<'_>, settings: &Settings, rules: &[Box<dyn Rule>]) -> ScanOutput {
    let tree = std::sync::Arc::new(IgnoreTree::new(input.root));
    let (mut candidates, warnings) = repo::files(input.root, input.threads, &tree, input.tracked);
    // Files named on the command line are scanned even when git ignores them
    // (not when `.envlintignore` excludes them).
    for rel in &input.report.files {
        if candidates.binary_search_by(|c| c.rel.as_str().cmp(rel)).is_err() && !tree.envlint_ignored(rel) {
            let abs = input.root.join(rel);
            if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_file()) {
                let tracked = input.tracked.contains(rel).unwrap_or(false);
                candidates.push(RepoFile { abs, rel: rel.clone(), tracked });
            }
        }
    }
    candidates.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    let env_rules = EnvRules { flags: input.env_flags, config: &settings.env_globs, table: &settings.envs };
    let config_dir = canonical(&settings.config_dir);

    let scanner = crate::secrets::Scanner::new(settings.secrets_allow.clone());
    let rules = if input.run_rules { rules } else { &[] };
    let check = |f: &ScannedFile| run_rules(f, settings, rules, &scanner);
    let loaded: Vec<Loaded> = candidates
        .par_iter()
        .map(|c| {
            let reported = input.report.includes(&c.rel);
            crate::isolate::run(|| load(c, reported, settings, &env_rules, &config_dir, &check)).unwrap_or_else(
                |panic| Loaded::Failed(format!("internal error reading {}: {panic}; the file was not checked", c.rel)),
            )
        })
        .collect();

    let mut out = ScanOutput { warnings, ..ScanOutput::default() };
    let mut files = Vec::with_capacity(loaded.len());
    for l in loaded {
        match l {
            Loaded::File(f) => files.push(*f),
            Loaded::Binary => out.skipped_binary += 1,
            Loaded::Large => out.skipped_large += 1,
            Loaded::Unreadable(w) => out.warnings.push(w),
            Loaded::Skipped => {}
            Loaded::Failed(w) => {
                out.warnings.push(w);
                out.incomplete += 1;
            }
        }
    }
    {
        let mut metas: Vec<&mut FileMeta> = files.iter_mut().map(|f| &mut f.meta).collect();
        terraform_module_pass(&mut metas);
        compose_env_file_pass(&mut metas);
    }
    let late: Vec<Option<Checked>> = files
        .par_iter_mut()
        .map(|f| {
            f.pending.take().map(|mut p| {
                p.env = f.meta.env.clone();
                check(&p)
            })
        })
        .collect();
    for (f, late) in files.iter_mut().zip(late) {
        if let Some(checked) = f.checked.take().or(late) {
            if let Some(source) = checked.shown {
                out.sources.insert(source.path.clone(), source);
            }
            out.findings.extend(checked.findings);
            out.incomplete += checked.failures;
            out.warnings.extend(checked.warnings);
        }
    }
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.files = files.into_iter().filter(|f| f.reported).map(|f| (f.meta.path, f.meta.kind, f.meta.env)).collect();
    out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A file's bytes as text: UTF-8 (invalid bytes replaced), or UTF-16 with a
/// byte-order mark or in its ASCII shape; `Binary` for other files with a NUL byte in
/// their first 8 KiB. For structured kinds, invalid UTF-8 and NUL bytes are also
/// a parse error (the file is not what its name says) instead of a silent skip.
fn decode(bytes: Vec<u8>, kind: FileKind) -> Option<(String, Option<ParseError>)> {
    if let Some(text) = decode_utf16(&bytes) {
        return Some((text, None));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(nul) = head.iter().position(|&b| b == 0) {
        if !kind.is_structured() {
            return None;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let at = String::from_utf8_lossy(&bytes[..nul]).len();
        return Some((text, Some(ParseError::new(Span::at(at), "binary content (a NUL byte) in a text format"))));
    }
    match String::from_utf8(bytes) {
        Ok(t) => Some((t, None)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let error = kind.is_structured().then(|| ParseError::new(Span::at(at), "invalid UTF-8"));
            Some((lossy, error))
        }
    }
}

/// UTF-16 text: a byte-order mark, or (without one) the zero bytes of ASCII text
/// in every other position of the first bytes.
fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => {
            let head = &bytes[..bytes.len().min(64) & !1];
            if head.len() < 4 {
                return None;
            }
            let pairs = head.chunks_exact(2);
            if pairs.clone().all(|p| p[1] == 0 && p[0] != 0) {
                (true, bytes)
            } else if pairs.clone().all(|p| p[0] == 0 && p[1] != 0) {
                (false, bytes)
            } else {
                return None;
            }
        }
    };
    let units = body
        .chunks_exact(2)
        .map(|p| if little { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    Some(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

/// Failure injection for the isolation tests: `ENVLINT_TEST_PANIC=<step>:<text>`
/// makes `step` (`parse`, `rule` or `redact`) panic on files whose path contains `text`.
#[doc(hidden)]
pub const TEST_PANIC_VAR: &str = "ENVLINT_TEST_PANIC";

fn injected_panic(step: &str, path: &str) {
    static SPEC: std::sync::OnceLock<Option<(String, String)>> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        let v = std::env::var(TEST_PANIC_VAR).ok()?;
        let (s, t) = v.split_once(':')?;
        Some((s.to_owned(), t.to_owned()))
    });
    if let Some((s, t)) = spec
        && s == step
        && path.contains(t.as_str())
    {
        panic!("injected failure ({TEST_PANIC_VAR})");
    }
}

fn load(
    c: &RepoFile,
    reported: bool,
    settings: &Settings,
    env_rules: &EnvRules<'_>,
    config_dir: &Path,
    check: &(dyn Fn(&ScannedFile) -> Checked + Sync),
) -> Loaded {
    let kind = FileKind::classify(&c.rel);
    // Files that are neither reported nor able to change a reported file's
    // context are not read.
    if !reported && matches!(kind, FileKind::Other | FileKind::Gitignore) {
        return Loaded::Skipped;
    }
    let unreadable = |e: std::io::Error| Loaded::Unreadable(format!("cannot read {}: {e}", c.rel));
    match std::fs::symlink_metadata(&c.abs) {
        Ok(m) if !m.is_file() => return Loaded::Skipped,
        Ok(m) if m.len() > settings.max_file_size => return if reported { Loaded::Large } else { Loaded::Skipped },
        Ok(_) => {}
        Err(e) => return unreadable(e),
    }
    let bytes = match std::fs::read(&c.abs) {
        Ok(b) => b,
        Err(e) => return unreadable(e),
    };
    let Some((text, decode_error)) = decode(bytes, kind) else {
        return if reported { Loaded::Binary } else { Loaded::Skipped };
    };
    let config_rel = repo::rel_path(&canonical(&c.abs), config_dir);
    injected_panic("parse", &c.rel);
    let source = Arc::new(SourceFile::new(c.rel.as_str(), text));
    let (doc, parse_error) = match decode_error {
        Some(e) => (None, Some(e)),
        None => match parse_kind(kind, &c.rel, &source.text) {
            Some(Ok(d)) => (Some(d), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        },
    };
    let query = EnvQuery { scan_path: &c.rel, config_path: &config_rel, repo_path: &c.rel, kind };
    let (env, tf_variable_env) = env_rules.infer(&query, doc.as_ref(), &source);
    let env_files = match (&doc, kind) {
        (Some(d), FileKind::Compose) => crate::formats::compose::env_files(d).into_iter().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let meta = FileMeta { path: source.path.clone(), kind, env: env.clone(), env_files, tf_variable_env };
    let file = ScannedFile { source, kind, env, doc, parse_error, config_rel };
    if !reported {
        return Loaded::File(Box::new(Phase1 { meta, pending: None, checked: None, reported }));
    }
    // Only Terraform and dotenv files without an environment can get one from
    // another file; everything else is checked now and its text dropped.
    let waits = file.env.env.is_none() && matches!(kind, FileKind::Terraform | FileKind::Dotenv);
    let (pending, checked) = if waits { (Some(Box::new(file)), None) } else { (None, Some(check(&file))) };
    Loaded::File(Box::new(Phase1 { meta, reported, pending, checked }))
}

/// Runs every rule on one file held in memory, as a scan would on that file
/// alone (its environment from its path and content): decoding, parsing, rules,
/// redaction. For the fuzz targets and embedders.
pub fn scan_text(rel: &str, bytes: Vec<u8>, settings: &Settings, rules: &[Box<dyn Rule>]) -> ScanOutput {
    let kind = FileKind::classify(rel);
    let mut out = ScanOutput::default();
    let Some((text, decode_error)) = decode(bytes, kind) else {
        out.skipped_binary = 1;
        return out;
    };
    let source = Arc::new(SourceFile::new(rel, text));
    let (doc, parse_error) = match decode_error {
        Some(e) => (None, Some(e)),
        None => match parse_kind(kind, rel, &source.text) {
            Some(Ok(d)) => (Some(d), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        },
    };
    let env_rules = EnvRules { flags: &[], config: &settings.env_globs, table: &settings.envs };
    let query = EnvQuery { scan_path: rel, config_path: rel, repo_path: rel, kind };
    let env = match env_rules.infer(&query, doc.as_ref(), &source) {
        (env, Some(variable)) if env.env.is_none() => variable,
        (env, _) => env,
    };
    let scanner = crate::secrets::Scanner::new(settings.secrets_allow.clone());
    let file = ScannedFile { source, kind, env: env.clone(), doc, parse_error, config_rel: rel.to_owned() };
    let checked = run_rules(&file, settings, rules, &scanner);
    if let Some(shown) = checked.shown {
        out.sources.insert(shown.path.clone(), shown);
    }
    out.findings = checked.findings;
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.warnings = checked.warnings;
    out.incomplete = checked.failures;
    out.files = vec![(file.source.path.clone(), kind, env)];
    out
}

/// Parses a file of a structured kind; `None` for kinds that are not parsed.
pub fn parse_kind(kind: FileKind, path: &str, text: &str) -> Option<Result<Document, ParseError>> {
    Some(match kind {
        FileKind::Tfvars if path.ends_with(".json") => parse::yaml::parse(text),
        FileKind::Terraform | FileKind::Tfvars | FileKind::Hcl => parse::hcl::parse(text),
        FileKind::Compose | FileKind::GithubWorkflow | FileKind::GitlabCi => parse::yaml::parse(text),
        FileKind::Dotenv => parse::dotenv::parse(text),
        FileKind::Gitignore | FileKind::Other => return None,
    })
}

/// A Terraform root module is one directory of `.tf` files. Those with no
/// environment from their path take it from the tfvars beside them when these
/// all name one environment, else from a module file's `environment` variable default.
fn terraform_module_pass(files: &mut [&mut FileMeta]) {
    let dir_of = |p: &str| p.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    let mut tfvars: BTreeMap<String, Vec<(String, Option<crate::env::Env>)>> = BTreeMap::new();
    let mut var_defaults: BTreeMap<String, Vec<(String, FileEnv)>> = BTreeMap::new();
    for f in files.iter() {
        let dir = dir_of(&f.path);
        let name = f.path.rsplit('/').next().unwrap_or_default().to_owned();
        if f.kind == FileKind::Tfvars {
            tfvars.entry(dir).or_default().push((name, f.env.env.clone()));
        } else if let Some(e) = &f.tf_variable_env {
            var_defaults.entry(dir).or_default().push((name, e.clone()));
        }
    }
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Terraform && f.env.env.is_none()) {
        let dir = dir_of(&f.path);
        if let Some(list) = tfvars.get(&dir) {
            let names: Vec<String> = list.iter().map(|(n, _)| n.clone()).collect();
            match list.first().map(|(_, e)| e.clone()) {
                Some(Some(first)) if list.iter().all(|(_, e)| e.as_ref() == Some(&first)) => {
                    f.env = FileEnv {
                        env: Some(first),
                        source: EnvSource::SiblingTfvars { files: names },
                        jobs: Vec::new(),
                    };
                    continue;
                }
                _ if list.iter().any(|(_, e)| e.is_some()) => {
                    f.env.source = EnvSource::Conflicting { what: format!("sibling tfvars {}", names.join(", ")) };
                }
                _ => {}
            }
        }
        if let Some(list) = var_defaults.get(&dir)
            && let Some((file, first)) = list.first()
            && list.iter().all(|(_, e)| e.env == first.env)
        {
            let own = f.path.ends_with(&format!("/{file}")) || *f.path == **file;
            f.env = if own {
                first.clone()
            } else {
                FileEnv {
                    env: first.env.clone(),
                    source: EnvSource::ModuleVariable { file: file.clone() },
                    jobs: Vec::new(),
                }
            };
        }
    }
}

/// A dotenv file with no environment of its own, loaded through `env_file:` by a
/// compose file of a known environment, inherits that environment (when all the
/// compose files that load it agree).
fn compose_env_file_pass(files: &mut [&mut FileMeta]) {
    let mut loaded_by: BTreeMap<String, Vec<(Arc<str>, crate::env::Env)>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.kind == FileKind::Compose) {
        let Some(env) = &f.env.env else { continue };
        let dir = f.path.rsplit_once('/').map_or("", |(d, _)| d);
        for target in &f.env_files {
            let joined = if dir.is_empty() { target.to_owned() } else { format!("{dir}/{target}") };
            if let Some(path) = normalize(&joined) {
                loaded_by.entry(path).or_default().push((f.path.clone(), env.clone()));
            }
        }
    }
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Dotenv && f.env.env.is_none()) {
        let Some(list) = loaded_by.get(&*f.path) else { continue };
        match list.first() {
            Some((compose, env)) if list.iter().all(|(_, e)| e == env) => {
                f.env = FileEnv {
                    env: Some(env.clone()),
                    source: EnvSource::ComposeEnvFile { compose: compose.to_string() },
                    jobs: Vec::new(),
                };
            }
            _ => {
                let who: Vec<String> = list.iter().map(|(c, e)| format!("{c} ({e})")).collect();
                f.env.source =
                    EnvSource::Conflicting { what: format!("compose files loading it, {},", who.join(", ")) };
            }
        }
    }
}

/// Resolves `.` and `..` in a `/`-separated relative path; `None` if it leaves the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Runs every enabled rule on one file, each isolated. Returns the findings
/// (messages redacted, fingerprints set) and, when there are findings, the
/// source to render snippets from, with every secret in it masked — whichever
/// rule the finding is from.
fn run_rules(
    file: &ScannedFile,
    settings: &Settings,
    rules: &[Box<dyn Rule>],
    scanner: &crate::secrets::Scanner,
) -> Checked {
    if rules.is_empty() {
        return Checked::default();
    }
    let mut out = Checked::default();
    let scan_secrets = rules.iter().any(|r| r.meta().id == SECRET_RULE)
        && settings.rule_enabled_for(SECRET_RULE, &file.config_rel)
        && !skip_secret_scan(file, settings);
    let hits = if scan_secrets {
        match crate::isolate::run(|| scanner.scan(&file.source.text)) {
            Ok(h) => h,
            Err(panic) => {
                out.failures += 1;
                out.warnings.push(format!(
                    "internal error in the secret scanner on {}: {panic}; secrets in this file were not checked",
                    file.source.path
                ));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let cx =
        FileCx::new(&file.source, file.kind, file.doc.as_ref(), file.parse_error.as_ref(), &file.env, settings, &hits);
    for rule in rules {
        let meta = rule.meta();
        if !settings.rule_enabled_for(&meta.id, &file.config_rel) {
            continue;
        }
        let severity = settings.severity.get(&*meta.id).copied().unwrap_or(meta.severity);
        let run = crate::isolate::run(|| {
            injected_panic("rule", &file.source.path);
            let mut emitter = Emitter::new(meta, severity, &cx);
            rule.check(&cx, &mut emitter);
            emitter.into_parts()
        });
        match run {
            Ok((found, warned)) => {
                out.findings.extend(found);
                out.warnings.extend(warned);
            }
            Err(panic) => {
                out.failures += 1;
                out.warnings.push(format!(
                    "internal error in rule {} on {}: {panic}; the rule did not check this file",
                    meta.id, file.source.path
                ));
            }
        }
    }
    if out.findings.is_empty() {
        return out;
    }
    match crate::isolate::run(|| redact(file, scan_secrets.then_some(hits), scanner, &mut out.findings)) {
        Ok(shown) => out.shown = Some(shown),
        Err(panic) => {
            // Nothing of this file is shown rather than something unredacted.
            out.failures += 1;
            out.warnings.push(format!(
                "internal error redacting {}: {panic}; its {} finding(s) are not shown",
                file.source.path,
                out.findings.len()
            ));
            out.findings.clear();
        }
    }
    out
}

/// Redacts a file's findings with every secret the scanner sees in it — even
/// where the rule is off or skips the hit (generic values in dev files) — sets
/// their fingerprints, and returns the masked source for snippets.
fn redact(
    file: &ScannedFile,
    hits: Option<Vec<crate::secrets::SecretHit>>,
    scanner: &crate::secrets::Scanner,
    findings: &mut [Finding],
) -> Arc<SourceFile> {
    injected_panic("redact", &file.source.path);
    let hits = hits.unwrap_or_else(|| scanner.scan(&file.source.text));
    let spans: Vec<Span> = hits.iter().map(|h| h.span).collect();
    if spans.is_empty() {
        crate::finding::assign_fingerprints(findings, &file.source.text);
        return file.source.clone();
    }
    let secrets: Vec<&str> = spans.iter().map(|s| file.source.slice(*s)).collect();
    let redactor = crate::redact::Redactor::new(&secrets);
    for f in findings.iter_mut() {
        f.message = redactor.redact(&f.message);
        f.help = f.help.as_deref().map(|h| redactor.redact(h));
    }
    crate::finding::assign_fingerprints(findings, &crate::redact::blank_spans(&file.source.text, &spans));
    let masked = crate::redact::mask_spans(&file.source.text, &spans);
    Arc::new(SourceFile::new(file.source.path.clone(), masked))
}

const SECRET_RULE: &str = "committed-secret";

/// Lock files, minified bundles and `[secrets] skip-paths` are not scanned for secrets.
fn skip_secret_scan(file: &ScannedFile, settings: &Settings) -> bool {
    settings.secrets_skip.is_match(&file.config_rel)
        || settings.secrets_skip.is_match(&*file.source.path)
        || (settings.secrets_max_line_length > 0
            && file.source.text.lines().any(|l| l.len() > settings.secrets_max_line_length))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalize_paths() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a/./b/.env", Some("a/b/.env")),
            ("deploy/../services/.env", Some("services/.env")),
            ("./.env", Some(".env")),
            ("a//b", Some("a/b")),
            ("../outside/.env", None),
        ];
        for &(input, want) in cases {
            assert_eq!(normalize(input).as_deref(), want, "{input}");
        }
    }
}
