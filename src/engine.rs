//! The scan pipeline: discover → per file, in parallel: read, parse, infer the
//! environment, run the rules → cross-file environment passes over small facts →
//! rules on the files those passes could change → sort.
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
use crate::discover::{self, Candidate, FileKind};
use crate::env::{EnvQuery, EnvRules, EnvSource, FileEnv};
use crate::finding::{Finding, Severity};
use crate::model::Document;
use crate::parse::{self, ParseError};
use crate::rule::{Emitter, FileCx, Rule};
use crate::source::SourceFile;
use crate::span::Span;

/// What a scan needs besides the settings.
pub struct ScanInput<'a> {
    /// Paths as given on the command line (absolute or relative to the cwd).
    pub paths: &'a [PathBuf],
    /// Displayed paths are relative to this.
    pub root: &'a Path,
    /// The repository root if any (file names and path segments come from paths relative to it).
    pub repo_root: Option<&'a Path>,
    pub threads: usize,
    /// `--env GLOB=ENV`, compiled.
    pub env_flags: &'a [(String, globset::GlobMatcher, crate::env::Env)],
    /// Run the rules (false for `envlint envs`).
    pub run_rules: bool,
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
    /// The file, if its rules wait for the cross-file passes.
    pending: Option<Box<ScannedFile>>,
    /// Findings and the source to render them from, if its rules have run.
    checked: Option<Checked>,
}

/// A file's findings, the source to render them from, and warnings about rules
/// that could not run on it.
type Checked = (Vec<Finding>, Option<Arc<SourceFile>>, Vec<String>);

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
    /// Non-fatal problems: unreadable files, walk errors.
    pub warnings: Vec<String>,
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
}

/// Runs a scan.
pub fn scan(input: &ScanInput<'_>, settings: &Settings, rules: &[Box<dyn Rule>]) -> ScanOutput {
    let discovery = discover::discover(input.paths, input.root, input.threads);
    let env_rules = EnvRules { flags: input.env_flags, config: &settings.env_globs, table: &settings.envs };
    let config_dir = canonical(&settings.config_dir);
    let repo_root = input.repo_root.map(canonical);

    let scanner = crate::secrets::Scanner::new(settings.secrets_allow.clone());
    let rules = if input.run_rules { rules } else { &[] };
    let check = |f: &ScannedFile| run_rules(f, settings, rules, &scanner);
    let loaded: Vec<Loaded> = discovery
        .files
        .par_iter()
        .map(|c| load(c, settings, &env_rules, &config_dir, repo_root.as_deref(), &check))
        .collect();

    let mut out = ScanOutput { warnings: discovery.warnings, ..ScanOutput::default() };
    let mut files = Vec::with_capacity(loaded.len());
    for l in loaded {
        match l {
            Loaded::File(f) => files.push(*f),
            Loaded::Binary => out.skipped_binary += 1,
            Loaded::Large => out.skipped_large += 1,
            Loaded::Unreadable(w) => out.warnings.push(w),
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
        if let Some((findings, shown, warnings)) = f.checked.take().or(late) {
            if let Some(source) = shown {
                out.sources.insert(source.path.clone(), source);
            }
            out.findings.extend(findings);
            out.warnings.extend(warnings);
        }
    }
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.files = files.into_iter().map(|f| (f.meta.path, f.meta.kind, f.meta.env)).collect();
    out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn load(
    c: &Candidate,
    settings: &Settings,
    env_rules: &EnvRules<'_>,
    config_dir: &Path,
    repo_root: Option<&Path>,
    check: &(dyn Fn(&ScannedFile) -> Checked + Sync),
) -> Loaded {
    let unreadable = |e: std::io::Error| Loaded::Unreadable(format!("cannot read {}: {e}", c.rel));
    match std::fs::metadata(&c.abs) {
        Ok(m) if m.len() > settings.max_file_size => return Loaded::Large,
        Ok(_) => {}
        Err(e) => return unreadable(e),
    }
    let bytes = match std::fs::read(&c.abs) {
        Ok(b) => b,
        Err(e) => return unreadable(e),
    };
    if discover::looks_binary(&bytes) {
        return Loaded::Binary;
    }
    let abs = canonical(&c.abs);
    let repo_rel = repo_root.map_or_else(|| c.rel.clone(), |r| discover::rel_path(&abs, r));
    let config_rel = discover::rel_path(&abs, config_dir);
    let kind = FileKind::classify(&repo_rel);

    let (text, utf8_error) = match String::from_utf8(bytes) {
        Ok(t) => (t, None),
        Err(e) => {
            if !kind.is_structured() {
                return Loaded::Binary;
            }
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            (lossy, Some(ParseError::new(Span::at(at), "invalid UTF-8")))
        }
    };
    let source = Arc::new(SourceFile::new(c.rel.as_str(), text));
    let (doc, parse_error) = match utf8_error {
        Some(e) => (None, Some(e)),
        None => match parse_kind(kind, &c.rel, &source.text) {
            Some(Ok(d)) => (Some(d), None),
            Some(Err(e)) => (None, Some(e)),
            None => (None, None),
        },
    };
    let query = EnvQuery { scan_path: &c.rel, config_path: &config_rel, repo_path: &repo_rel, kind };
    let (env, tf_variable_env) = env_rules.infer(&query, doc.as_ref(), &source);
    let env_files = match (&doc, kind) {
        (Some(d), FileKind::Compose) => crate::formats::compose::env_files(d).into_iter().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let meta = FileMeta { path: source.path.clone(), kind, env: env.clone(), env_files, tf_variable_env };
    let file = ScannedFile { source, kind, env, doc, parse_error, config_rel };
    // Only Terraform and dotenv files without an environment can get one from
    // another file; everything else is checked now and its text dropped.
    let waits = file.env.env.is_none() && matches!(kind, FileKind::Terraform | FileKind::Dotenv);
    let (pending, checked) = if waits { (Some(Box::new(file)), None) } else { (None, Some(check(&file))) };
    Loaded::File(Box::new(Phase1 { meta, pending, checked }))
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

/// Runs every enabled rule on one file. Returns the findings (messages redacted)
/// and, when there are findings, the source to render snippets from, with every
/// secret in it masked — whichever rule the finding is from.
fn run_rules(
    file: &ScannedFile,
    settings: &Settings,
    rules: &[Box<dyn Rule>],
    scanner: &crate::secrets::Scanner,
) -> Checked {
    if rules.is_empty() {
        return (Vec::new(), None, Vec::new());
    }
    let scan_secrets = rules.iter().any(|r| r.meta().id == SECRET_RULE)
        && settings.rule_enabled_for(SECRET_RULE, &file.config_rel)
        && !skip_secret_scan(file, settings);
    let hits = if scan_secrets { scanner.scan(&file.source.text) } else { Vec::new() };
    let cx =
        FileCx::new(&file.source, file.kind, file.doc.as_ref(), file.parse_error.as_ref(), &file.env, settings, &hits);
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for rule in rules {
        let meta = rule.meta();
        if !settings.rule_enabled_for(&meta.id, &file.config_rel) {
            continue;
        }
        let severity = settings.severity.get(&*meta.id).copied().unwrap_or(meta.severity);
        let mut emitter = Emitter::new(meta, severity, &cx);
        rule.check(&cx, &mut emitter);
        let (found, warned) = emitter.into_parts();
        findings.extend(found);
        warnings.extend(warned);
    }
    if findings.is_empty() {
        return (findings, None, warnings);
    }
    // Redact with every secret the masking pass sees, even where the rule is off or
    // skips the value (generic values in dev files, unclosed quotes, block scalars),
    // and with the value of every secret finding: no output ever shows one.
    let mut spans: Vec<Span> = if scan_secrets {
        crate::secrets::Scanner::mask_spans_with(&file.source.text, &hits)
    } else {
        scanner.mask_spans(&file.source.text)
    };
    spans.extend(findings.iter().filter(|f| SECRET_RULES.contains(&&*f.rule)).map(|f| f.span));
    if spans.is_empty() {
        return (findings, Some(file.source.clone()), warnings);
    }
    let secrets: Vec<&str> = spans.iter().map(|s| file.source.slice(*s)).collect();
    for f in &mut findings {
        f.message = crate::redact::redact_message(&f.message, &secrets);
        f.help = f.help.as_deref().map(|h| crate::redact::redact_message(h, &secrets));
    }
    let masked = crate::redact::mask_spans(&file.source.text, &spans);
    (findings, Some(Arc::new(SourceFile::new(file.source.path.clone(), masked))), warnings)
}

const SECRET_RULE: &str = "committed-secret";
/// Rules whose finding spans are secrets, masked wherever they are shown.
const SECRET_RULES: &[&str] = &[SECRET_RULE, "default-credential"];

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
