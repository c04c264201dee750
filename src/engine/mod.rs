//! The scan pipeline, in fixed phases:
//!
//! 1. **discover** the repository's files (git's ignore semantics, tracked files,
//!    `.envlintignore`) and their kinds;
//! 2. **context**: what no single folder tells — compose `env_file:` targets,
//!    GitLab CI includes — and the grouping into units ([`context`]);
//! 3. **units**, in parallel: read, parse, settle environments, subjects, every
//!    rule's file, subject and unit hooks, findings completed while the texts
//!    are in memory ([`unit`]);
//! 4. **project**: rules over small facts (git) ([`project`]);
//! 5. **suppressions** ([`suppress`]), **baseline**, **sort**.
//!
//! The whole repository is the context of every scan; what was named on the
//! command line only filters what is reported ([`ReportSet`]), and units without
//! a reported file are not read at all. Memory stays bounded: a unit's texts and
//! trees are dropped when it is done; only findings and small facts remain.

mod complete;
mod context;
pub mod load;
pub mod project;
pub mod suppress;
mod unit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Settings;
use crate::env::{EnvRules, FileEnv};
use crate::finding::{Finding, Severity};
use crate::repo::{self, IgnoreTree, RepoFile, Tracked};
use crate::rule::Rule;
use crate::stats::{self, Phase};

pub use load::parse_kind;

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
    /// Text read from standard input, judged as the file at its path.
    pub stdin: Option<&'a Stdin>,
    /// Counts files done, for a progress bar.
    pub progress: Option<&'a Progress>,
}

/// `envlint scan - --stdin-filename PATH`: the text and the path (relative to the
/// root) it is judged as, in place of what the disk holds there.
#[derive(Clone, Debug)]
pub struct Stdin {
    pub rel: String,
    pub bytes: Arc<[u8]>,
}

/// How far a scan is: files of the units to check, and of those done. `total`
/// is 0 until the files are known.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: std::sync::atomic::AtomicUsize,
    pub done: std::sync::atomic::AtomicUsize,
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

/// A scanned file, for `envs` and the summary.
#[derive(Clone, Debug)]
pub struct FileRow {
    pub path: Arc<str>,
    /// Its kind and why.
    pub class: crate::discover::Classified,
    pub env: FileEnv,
}

/// What a scan produced.
#[derive(Default)]
pub struct ScanOutput {
    /// Sorted by path, position, rule; suppressed findings included (marked).
    pub findings: Vec<Finding>,
    /// Every reported file (sorted by path).
    pub files: Vec<FileRow>,
    pub skipped_binary: usize,
    pub skipped_large: usize,
    /// Findings hidden by the baseline.
    pub baselined: usize,
    /// Non-fatal problems: unreadable files, walk errors, internal errors.
    pub warnings: Vec<String>,
    /// How many steps (a file's parsing, a rule on a file) failed with an
    /// internal error: the scan is incomplete when this is not 0.
    pub incomplete: usize,
}

impl ScanOutput {
    /// Findings shown (not suppressed) of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity && f.suppressed.is_none()).count()
    }

    /// Findings suppressed inline.
    pub fn suppressed(&self) -> usize {
        self.findings.iter().filter(|f| f.suppressed.is_some()).count()
    }

    /// Findings shown by every format but SARIF (not suppressed).
    pub fn shown(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }
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

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Runs a scan.
pub fn scan(input: &ScanInput<'_>, settings: &Settings, rules: &[Box<dyn Rule>]) -> ScanOutput {
    // 1. discover
    let t = stats::start();
    let tree = Arc::new(IgnoreTree::new(input.root));
    let (mut found, warnings) = repo::files(input.root, input.threads, &tree, input.tracked);
    // Files named on the command line are scanned even when git ignores them
    // (not when `.envlintignore` excludes them).
    for rel in &input.report.files {
        if found.binary_search_by(|c| c.rel.as_str().cmp(rel)).is_err() && !tree.envlint_ignored(rel) {
            let abs = input.root.join(rel);
            if std::fs::symlink_metadata(&abs).is_ok_and(|m| m.is_file()) {
                let tracked = input.tracked.contains(rel).unwrap_or(false);
                found.push(RepoFile { abs, rel: rel.clone(), tracked, content: None });
            }
        }
    }
    // Standard input takes the place of its file, which need not exist.
    if let Some(stdin) = input.stdin
        && !tree.envlint_ignored(&stdin.rel)
    {
        let content = Some(stdin.bytes.clone());
        if let Some(f) = found.iter_mut().find(|f| f.rel == stdin.rel) {
            f.content = content;
        } else {
            let tracked = input.tracked.contains(&stdin.rel).unwrap_or(false);
            found.push(RepoFile { abs: input.root.join(&stdin.rel), rel: stdin.rel.clone(), tracked, content });
        }
    }
    found.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    let config_dir = canonical(&settings.config_dir);
    // Files are under the (canonical) root and the walk follows no symbolic
    // link, so their paths need no canonicalizing of their own.
    let config_rel = |f: &RepoFile| repo::rel_path(&f.abs, &config_dir);
    let mut candidates: Vec<context::Candidate> = found
        .into_iter()
        .map(|file| {
            let config_rel = config_rel(&file);
            let class = settings.kinds.classify(&file.rel, &config_rel);
            context::Candidate::new(file, class, config_rel)
        })
        .collect();
    // GitHub workflow templates, known by the metadata file beside them.
    let paths: Vec<&str> = candidates.iter().map(|c| c.file.rel.as_str()).collect();
    let templates: Vec<(String, crate::discover::Classified)> =
        crate::discover::workflow_templates(&paths).into_iter().map(|(p, c)| (p.to_owned(), c)).collect();
    for (path, class) in templates {
        if let Ok(i) = candidates.binary_search_by(|c| c.file.rel.as_str().cmp(&path)) {
            candidates[i].class.assign_from(class.kind, class.source);
        }
    }

    t.stop(Phase::Walk, candidates.len() as u64, 0);

    // 2. context and units
    let t = stats::start();
    let env_rules = EnvRules { flags: input.env_flags, config: &settings.env_globs, table: &settings.envs };
    let (context, units) = context::build(&mut candidates, &env_rules, settings.max_file_size, &config_rel);
    t.stop(Phase::Context, 0, 0);

    // 3. units with a reported file
    let wanted: Vec<&context::Unit> = units
        .iter()
        .filter(|u| u.files.iter().chain(&u.context).any(|&i| input.report.includes(&candidates[i].file.rel)))
        .collect();
    if let Some(p) = input.progress {
        p.total.store(wanted.iter().map(|u| u.files.len()).sum(), std::sync::atomic::Ordering::Relaxed);
    }
    context.set_readers(&wanted, &candidates);
    let t = stats::start();
    // The secret scanner's automata are built only when there is a file to scan
    // (an empty or fully ignored tree starts faster).
    let results: Vec<unit::UnitResult> = if wanted.is_empty() {
        Vec::new()
    } else {
        let scanner = crate::secrets::Scanner::new(settings.secrets_allow.clone());
        let shared = unit::Shared {
            settings,
            rules,
            env_rules,
            scanner: &scanner,
            context: &context,
            report: input.report,
            run_rules: input.run_rules,
        };
        wanted
            .par_iter()
            .map(|u| {
                let r = unit::run(u, &candidates, &shared);
                if let Some(p) = input.progress {
                    p.done.fetch_add(u.files.len(), std::sync::atomic::Ordering::Relaxed);
                }
                r
            })
            .collect()
    };
    t.stop(Phase::Units, wanted.len() as u64, 0);

    let mut out = ScanOutput { warnings, ..ScanOutput::default() };
    out.warnings.extend(context.warnings.iter().cloned());
    let mut facts: BTreeMap<Arc<str>, project::ProjectFile> = BTreeMap::new();
    let mut suppressions: BTreeMap<Arc<str>, Vec<suppress::Suppression>> = BTreeMap::new();
    for r in results {
        out.findings.extend(r.findings);
        out.files.extend(r.rows);
        out.skipped_binary += r.skipped_binary;
        out.skipped_large += r.skipped_large;
        out.warnings.extend(r.warnings);
        out.incomplete += r.failures;
        for f in r.facts {
            facts.entry(f.path.clone()).or_insert(f);
        }
        suppressions.extend(r.suppressions);
    }
    // A GitLab CI file in two pipelines is checked twice: keep one of each.
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.files.dedup_by(|a, b| a.path == b.path);
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.findings.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.related == b.related);

    // 4. project
    let t = stats::start();
    if input.run_rules {
        // Every file of the repository, as small facts (read or not).
        for c in &candidates {
            facts.entry(Arc::from(c.file.rel.as_str())).or_insert_with(|| project::ProjectFile {
                path: Arc::from(c.file.rel.as_str()),
                kind: c.kind(),
                tracked: c.file.tracked,
                reported: input.report.includes(&c.file.rel),
                env: None,
                first_line: None,
                last_line: None,
            });
        }
        let files: Vec<project::ProjectFile> = facts.into_values().collect();
        let cx = project::ProjectCx {
            root: input.root,
            is_repo: input.root.join(".git").exists(),
            files: &files,
            tracked: input.tracked,
            ignore: &tree,
            settings,
            report: input.report,
        };
        for rule in rules.iter().filter(|r| settings.rule_enabled_anywhere(r.meta())) {
            let mut po = project::ProjectOut::default();
            match crate::isolate::run(|| rule.check_project(&cx, &mut po)) {
                Ok(()) => {
                    out.findings.extend(po.findings.into_iter().filter(|f| {
                        let config_rel = repo::rel_path(&input.root.join(&*f.path), &config_dir);
                        settings.rule_enabled_for(&f.rule, &config_rel)
                    }));
                    out.warnings.extend(po.warnings);
                }
                Err(panic) => {
                    out.incomplete += 1;
                    out.warnings.push(format!("internal error in rule {}: {panic}", rule.meta().id));
                }
            }
        }
    }

    t.stop(Phase::Project, 0, 0);

    // 5. suppressions, then sort
    let t = stats::start();
    let known: Vec<&str> = rules.iter().map(|r| &*r.meta().id).collect();
    out.warnings.extend(suppress::apply(&mut out.findings, &mut suppressions, &known));
    if input.run_rules {
        out.findings.extend(crate::rules::general::unused_suppressions(&suppressions, settings, rules));
    }
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.warnings.sort();
    out.warnings.dedup();
    t.stop(Phase::Finish, 0, 0);
    out
}

/// Runs every rule on one file held in memory, as a scan would on that file
/// alone (its environment from its path and content): decoding, parsing, rules,
/// redaction. For the fuzz targets, policy tests and embedders.
pub fn scan_text(rel: &str, bytes: Vec<u8>, settings: &Settings, rules: &[Box<dyn Rule>]) -> ScanOutput {
    let scanner = crate::secrets::Scanner::new(settings.secrets_allow.clone());
    scan_text_with(rel, bytes, settings, rules, &scanner)
}

/// [`scan_text`] with a scanner built once by the caller (fuzzing runs millions).
#[doc(hidden)]
pub fn scan_text_with(
    rel: &str,
    bytes: Vec<u8>,
    settings: &Settings,
    rules: &[Box<dyn Rule>],
    scanner: &crate::secrets::Scanner,
) -> ScanOutput {
    let kind = settings.kinds.classify(rel, rel).kind;
    let env_rules = EnvRules { flags: &[], config: &settings.env_globs, table: &settings.envs };
    let mut out = ScanOutput::default();
    let Some(l) = crate::isolate::run(|| load::text(rel, bytes, kind, &env_rules, rel)).unwrap_or_else(|panic| {
        out.incomplete += 1;
        out.warnings.push(format!("internal error reading {rel}: {panic}"));
        None
    }) else {
        out.skipped_binary = usize::from(out.incomplete == 0);
        return out;
    };
    let context = context::Context::default();
    let report = ReportSet::everything();
    let shared =
        unit::Shared { settings, rules, env_rules, scanner, context: &context, report: &report, run_rules: true };
    let r = unit::run_loaded(l, settings.kinds.classify(rel, rel), &shared);
    out.findings = r.findings;
    out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out.files = r.rows;
    out.warnings = r.warnings;
    out.incomplete += r.failures;
    out
}
