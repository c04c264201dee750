//! One unit (a folder's files, or a GitLab pipeline), start to end: read and
//! parse its files, settle their environments (a Terraform root from the tfvars
//! beside it, a dotenv file from the compose files that load it), build its
//! subjects, run every rule's hooks with kinds and environment scope applied,
//! and complete the findings. Each step runs isolated: a bug is a warning
//! naming the file and the step, and the unit goes on.

use std::sync::Arc;

use crate::config::Settings;
use crate::discover::{Classified, FileKind};
use crate::env::{EnvRules, EnvSource, FileEnv, JobEnv};
use crate::finding::Finding;
use crate::rule::{Emitter, FileCx, Loc, RawFinding, Rule, Subject, UnitCx, UnitFile};
use crate::secrets::Scanner;
use crate::stats::{self, Phase};

use super::context::{Candidate, Context, Unit};
use super::load::{self, Loaded, NotLoaded};
use super::project::{ProjectFile, Spot};
use super::suppress::{self, Suppression};
use super::{FileRow, ReportSet, injected_panic};

/// What every unit shares.
pub struct Shared<'a> {
    pub settings: &'a Settings,
    pub rules: &'a [Box<dyn Rule>],
    pub env_rules: EnvRules<'a>,
    pub scanner: &'a Scanner,
    pub context: &'a Context,
    pub report: &'a ReportSet,
    pub run_rules: bool,
}

/// What one unit produced.
#[derive(Default)]
pub struct UnitResult {
    pub findings: Vec<Finding>,
    /// Reported files, for `envs` and the summary.
    pub rows: Vec<FileRow>,
    /// Facts for the project phase, for every file the unit read.
    pub facts: Vec<ProjectFile>,
    pub suppressions: Vec<(Arc<str>, Vec<Suppression>)>,
    pub skipped_binary: usize,
    pub skipped_large: usize,
    pub warnings: Vec<String>,
    /// Steps that failed with an internal error.
    pub failures: usize,
}

/// A file of the unit as read, with what the unit needs beside it.
struct Input {
    file: UnitFile,
    tf_variable_env: Option<FileEnv>,
    class: Classified,
    tracked: bool,
}

/// Checks one unit.
pub fn run(unit: &Unit, candidates: &[Candidate], shared: &Shared<'_>) -> UnitResult {
    let mut out = UnitResult::default();
    let mut inputs = Vec::new();
    let own = unit.files.iter().map(|&i| (i, false));
    let context = unit.context.iter().map(|&i| (i, true));
    for (i, is_context) in own.chain(context) {
        let c = &candidates[i];
        let reported = shared.report.includes(&c.file.rel);
        // Files no reported file depends on are not read.
        if !reported && matches!(c.kind(), FileKind::Other | FileKind::Gitignore) {
            continue;
        }
        let config_rel = c.config_rel().to_owned();
        // What the context pass or another unit read is not read again.
        let loaded = match shared.context.take(&c.file.rel) {
            Some(l) => Ok(l),
            None => crate::isolate::run(|| {
                load::read(&c.file, c.kind(), shared.settings.max_file_size, &shared.env_rules, &config_rel)
            })
            .unwrap_or_else(|panic| {
                out.failures += 1;
                Err(NotLoaded::Unreadable(format!(
                    "internal error reading {}: {panic}; the file was not checked",
                    c.file.rel
                )))
            }),
        };
        let l = match loaded {
            Ok(l) => {
                shared.context.keep(&c.file.rel, &l);
                l
            }
            Err(_) if is_context => continue,
            Err(NotLoaded::Binary) if reported => {
                out.skipped_binary += 1;
                continue;
            }
            Err(NotLoaded::Large) if reported => {
                out.skipped_large += 1;
                continue;
            }
            Err(NotLoaded::Unreadable(w)) => {
                out.warnings.push(w);
                continue;
            }
            Err(_) => continue,
        };
        let mut input = input(l, config_rel, reported, c.class.clone(), c.file.tracked);
        input.file.context = is_context;
        inputs.push(input);
    }
    check(inputs, shared, out)
}

/// Checks one file read in memory, as a unit of its own.
pub fn run_loaded(l: Loaded, class: Classified, shared: &Shared<'_>) -> UnitResult {
    let rel = l.source.path.to_string();
    check(vec![input(l, rel, true, class, false)], shared, UnitResult::default())
}

fn input(l: Loaded, config_rel: String, reported: bool, class: Classified, tracked: bool) -> Input {
    let Loaded { source, kind, doc, parse_error, env, tf_variable_env } = l;
    Input {
        file: UnitFile {
            source,
            kind,
            doc,
            parse_error,
            env,
            config_rel,
            reported,
            secrets: Vec::new(),
            context: false,
        },
        tf_variable_env,
        class,
        tracked,
    }
}

fn check(inputs: Vec<Input>, shared: &Shared<'_>, mut out: UnitResult) -> UnitResult {
    let mut files = Vec::with_capacity(inputs.len());
    let mut tf_variable_envs = Vec::with_capacity(inputs.len());
    let mut extra = Vec::with_capacity(inputs.len());
    for i in inputs {
        files.push(i.file);
        tf_variable_envs.push(i.tf_variable_env);
        extra.push((i.class, i.tracked));
    }
    terraform_root_env(&mut files, &tf_variable_envs);
    compose_env_file_env(&mut files, shared.context);
    // CI jobs: what the subjects say (an environment inherited through `extends:`).
    let t = stats::start();
    let jobs = job_envs(&files, shared.settings);
    t.stop(Phase::Subjects, 0, 0);
    for (f, list) in files.iter_mut().zip(jobs) {
        if !list.is_empty() {
            f.env.jobs = list;
        }
    }

    let rules_on = shared.run_rules && files.iter().any(|f| f.reported);
    if rules_on {
        for f in files.iter_mut().filter(|f| f.reported && !f.context) {
            if scans_secrets(f, shared) {
                let t = stats::start();
                let scanned = crate::isolate::run(|| shared.scanner.scan(&f.source.text));
                t.stop(Phase::Secrets, 1, f.source.text.len() as u64);
                match scanned {
                    Ok(hits) => f.secrets = hits,
                    Err(panic) => {
                        out.failures += 1;
                        out.warnings.push(format!(
                            "internal error in the secret scanner on {}: {panic}; secrets in this file were not checked",
                            f.source.path
                        ));
                    }
                }
            }
        }
    }
    let completer = super::complete::Completer::new(&files, shared.scanner);
    if rules_on {
        let raw = run_rules(&files, shared, &mut out);
        let t = stats::start();
        let keep: Vec<RawFinding> = raw
            .into_iter()
            .filter(|r| {
                let f = &files[r.loc.file as usize];
                f.reported && shared.settings.rule_enabled_for(&r.rule, &f.config_rel)
            })
            .collect();
        match crate::isolate::run(|| {
            if let Some(f) = keep.first() {
                injected_panic("redact", &files[f.loc.file as usize].source.path);
            }
            completer.complete(keep)
        }) {
            Ok(found) => out.findings = found,
            Err(panic) => {
                // Nothing of this unit is shown rather than something unredacted.
                out.failures += 1;
                out.warnings.push(format!(
                    "internal error redacting findings of {}: {panic}; they are not shown",
                    unit_name(&files)
                ));
            }
        }
        t.stop(Phase::Complete, 0, 0);
    }
    let t = stats::start();
    for (n, (f, (class, tracked))) in files.iter().zip(extra).enumerate() {
        let n = n as u32;
        // A context file's rows, suppressions and facts are its own unit's.
        if f.context {
            continue;
        }
        if f.reported {
            out.rows.push(FileRow { path: f.source.path.clone(), class, env: f.env.clone() });
            let mut list = suppress::parse(&f.source);
            for s in &mut list {
                s.snippet = Some(completer.place(Loc { file: n, span: s.span }).snippet);
            }
            if !list.is_empty() {
                out.suppressions.push((f.source.path.clone(), list));
            }
        }
        let spot = |span| {
            let p = completer.place(Loc { file: n, span });
            Spot { span: p.span, start: p.start, end: p.end, snippet: Some(p.snippet) }
        };
        let needs_spots = f.reported && matches!(f.kind, FileKind::Dotenv | FileKind::Gitignore);
        out.facts.push(ProjectFile {
            path: f.source.path.clone(),
            kind: f.kind,
            tracked,
            reported: f.reported,
            env: f.env.env.clone(),
            first_line: needs_spots.then(|| spot(f.source.line_span(1))),
            last_line: needs_spots.then(|| spot(f.source.line_span(f.source.line_count()))),
        });
    }
    t.stop(Phase::Complete, 0, 0);
    out
}

fn unit_name(files: &[UnitFile]) -> String {
    files.first().map_or_else(String::new, |f| f.source.path.to_string())
}

/// Lock files, minified bundles and `[secrets] skip-paths` are not scanned for
/// secrets; nor files where neither secret rule runs.
fn scans_secrets(f: &UnitFile, shared: &Shared<'_>) -> bool {
    const RULES: [&str; 2] = ["committed-secret", "default-credential"];
    let s = shared.settings;
    RULES.iter().any(|id| shared.rules.iter().any(|r| r.meta().id == *id) && s.rule_enabled_for(id, &f.config_rel))
        && !(s.secrets_skip.is_match(&f.config_rel)
            || s.secrets_skip.is_match(&*f.source.path)
            || (s.secrets_max_line_length > 0 && f.source.has_line_longer_than(s.secrets_max_line_length)))
}

/// Runs every enabled rule's hooks on the unit, each call isolated.
fn run_rules(files: &[UnitFile], shared: &Shared<'_>, out: &mut UnitResult) -> Vec<RawFinding> {
    let settings = shared.settings;
    let table = &settings.envs;
    let unit = UnitCx { files, settings };
    let t = stats::start();
    let subjects = crate::isolate::run(|| crate::formats::subjects::subjects(files, table));
    t.stop(Phase::Subjects, 0, 0);
    let mut subjects = match subjects {
        Ok(s) => s,
        Err(panic) => {
            out.failures += 1;
            out.warnings.push(format!("internal error reading the jobs and services of {}: {panic}", unit_name(files)));
            Vec::new()
        }
    };
    // A Terraform root: one subject per environment it is evaluated with.
    if files.iter().any(|f| f.kind == FileKind::Terraform && !f.context) {
        let layout = &shared.context.terraform;
        let t = stats::start();
        let evaluated = crate::isolate::run(|| crate::formats::terraform::module::subjects(files, layout, table));
        t.stop(Phase::Terraform, 1, 0);
        match evaluated {
            Ok(s) => subjects.extend(s),
            Err(panic) => {
                out.failures += 1;
                out.warnings
                    .push(format!("internal error evaluating the Terraform root of {}: {panic}", unit_name(files)));
            }
        }
    }
    let mut raw = Vec::new();
    let mut timings: Vec<(&str, std::time::Duration, u64)> = Vec::new();
    for rule in shared.rules {
        let meta = rule.meta();
        if !settings.rule_enabled_anywhere(meta) {
            continue;
        }
        let t = stats::start();
        let mut calls = 0u64;
        let severity = settings.severity.get(&*meta.id).copied().unwrap_or(meta.severity);
        let mut call = |what: &str, here: u32, env: Option<crate::env::Env>, f: &dyn Fn(&mut Emitter<'_>)| {
            calls += 1;
            let path = files.get(here as usize).map_or("", |f| &*f.source.path);
            let result = crate::isolate::run(|| {
                injected_panic("rule", path);
                let mut emitter = Emitter::new(meta, severity, here, env);
                f(&mut emitter);
                emitter.into_parts()
            });
            match result {
                Ok((found, warned)) => {
                    out.warnings.extend(warned);
                    found
                }
                Err(panic) => {
                    out.failures += 1;
                    out.warnings.push(format!(
                        "internal error in rule {} on {path} ({what}): {panic}; the rule did not check it",
                        meta.id
                    ));
                    Vec::new()
                }
            }
        };
        for (n, f) in files.iter().enumerate() {
            if !f.reported || f.context || !meta.reads(f.kind) {
                continue;
            }
            let has_jobs = !f.env.jobs.is_empty();
            let admitted = meta.scope.admits(f.env.env.as_deref(), table)
                || (has_jobs && f.env.jobs.iter().any(|j| meta.scope.admits(j.env.as_deref(), table)));
            if !admitted {
                continue;
            }
            let cx = FileCx::of(n as u32, f, settings);
            let found = call("file", n as u32, f.env.env.clone(), &|e| rule.check_file(&cx, e));
            for mut r in found {
                if has_jobs && r.loc.file == n as u32 {
                    // CI files: the job holding the finding decides its environment.
                    r.env = f.env.env_at(r.loc.span.start).cloned();
                    if !meta.scope.admits(r.env.as_deref(), table) {
                        continue;
                    }
                }
                raw.push(r);
            }
        }
        for s in &subjects {
            if !meta.reads(s.file_kind(files)) || !meta.scope.admits(s.env.as_deref(), table) {
                continue;
            }
            let found = call("subject", s.anchor.file, s.env.clone(), &|e| rule.check_subject(s, &unit, e));
            raw.extend(found.into_iter().map(|r| with_subject(r, s)));
        }
        if files.iter().any(|f| f.reported && !f.context && meta.reads(f.kind)) {
            let first = files.iter().position(|f| f.reported && !f.context).unwrap_or(0) as u32;
            raw.extend(call("unit", first, None, &|e| rule.check_unit(&unit, e)));
        }
        if stats::enabled() {
            timings.push((&meta.id, t.elapsed(), calls));
        }
    }
    stats::add_rules(&timings);
    raw
}

/// A subject's finding that points outside the subject's own tree (a
/// template's value a job inherits) names the subject as a related location;
/// every finding about a subject shows what makes it what it is (its
/// `related` places: the override file a base file's service runs with).
fn with_subject(mut r: RawFinding, s: &Subject<'_>) -> RawFinding {
    let inside = r.loc.file == s.anchor.file
        && s.node.is_some_and(|n| n.span.start <= r.loc.span.start && r.loc.span.end <= n.span.end.max(n.span.start));
    let at_anchor = r.loc == s.anchor;
    // A Terraform root: its variable file (or terragrunt file) is named, unless
    // the finding is in it or there is none.
    let module = s.kind == crate::rule::SubjectKind::Module;
    let undriven = s.terraform.as_ref().is_some_and(|t| t.variant.driver.is_none());
    let in_anchor_file = r.loc.file == s.anchor.file || r.related.iter().any(|(l, _)| l.file == s.anchor.file);
    let quiet = module && (undriven || in_anchor_file);
    if !inside && !at_anchor && !quiet && !r.related.iter().any(|(l, _)| *l == s.anchor) {
        let env = s.env.as_deref().map_or_else(String::new, |e| format!(" (env: {e})"));
        let label = if module { format!("{}{env}", s.label()) } else { format!("{}{env} has this setting", s.label()) };
        r.related.push((s.anchor, label));
    }
    for (loc, label) in &s.related {
        if *loc != r.loc && !r.related.iter().any(|(l, _)| l == loc) {
            r.related.push((*loc, label.clone()));
        }
    }
    r
}

/// The environment of every CI job, as its subject has it (with what it
/// inherits), for `envs` and for findings in CI files.
fn job_envs(files: &[UnitFile], settings: &Settings) -> Vec<Vec<JobEnv>> {
    let mut out: Vec<Vec<JobEnv>> = files.iter().map(|f| f.env.jobs.clone()).collect();
    let Ok(subjects) = crate::isolate::run(|| crate::formats::subjects::subjects(files, &settings.envs)) else {
        return out;
    };
    for s in subjects.iter().filter(|s| s.kind == crate::rule::SubjectKind::Job) {
        let list = &mut out[s.anchor.file as usize];
        let span = s.node.map_or(s.anchor.span, |n| s.anchor.span.cover(n.span));
        match list.iter_mut().find(|j| j.job == s.name) {
            Some(j) => {
                j.env.clone_from(&s.env);
                j.reason.clone_from(&s.reason);
            }
            None => list.push(JobEnv { job: s.name.clone(), span, env: s.env.clone(), reason: s.reason.clone() }),
        }
    }
    out
}

/// A Terraform root module is one folder of `.tf` files. Those with no
/// environment from their path take it from the tfvars beside them when these
/// all name one environment, else from a module file's `environment` variable default.
fn terraform_root_env(files: &mut [UnitFile], variable_envs: &[Option<FileEnv>]) {
    let tfvars: Vec<(String, Option<crate::env::Env>)> = files
        .iter()
        .filter(|f| f.kind == FileKind::Tfvars && !f.context)
        .map(|f| (file_name(&f.source.path), f.env.env.clone()))
        .collect();
    let defaults: Vec<(String, FileEnv)> = files
        .iter()
        .zip(variable_envs)
        .filter_map(|(f, e)| e.clone().map(|e| (file_name(&f.source.path), e)))
        .collect();
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Terraform && !f.context && f.env.env.is_none()) {
        if !tfvars.is_empty() {
            let names: Vec<String> = tfvars.iter().map(|(n, _)| n.clone()).collect();
            match tfvars.first().map(|(_, e)| e.clone()) {
                Some(Some(first)) if tfvars.iter().all(|(_, e)| e.as_ref() == Some(&first)) => {
                    f.env = FileEnv {
                        env: Some(first),
                        source: EnvSource::SiblingTfvars { files: names },
                        jobs: Vec::new(),
                    };
                    continue;
                }
                _ if tfvars.iter().any(|(_, e)| e.is_some()) => {
                    f.env.source = EnvSource::Conflicting { what: format!("sibling tfvars {}", names.join(", ")) };
                }
                _ => {}
            }
        }
        if let Some((file, first)) = defaults.first()
            && defaults.iter().all(|(_, e)| e.env == first.env)
        {
            let own = file_name(&f.source.path) == *file;
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

fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_owned()
}

/// A dotenv file with no environment of its own, loaded through `env_file:` by
/// compose files of a known environment, takes that environment (when all the
/// compose files that load it agree).
fn compose_env_file_env(files: &mut [UnitFile], context: &Context) {
    for f in files.iter_mut().filter(|f| f.kind == FileKind::Dotenv && f.env.env.is_none()) {
        let Some(list) = context.env_file_of.get(&*f.source.path) else { continue };
        let known: Vec<&(String, Option<crate::env::Env>)> = list.iter().filter(|(_, e)| e.is_some()).collect();
        match known.first() {
            None => {}
            Some((compose, Some(env))) if known.iter().all(|(_, e)| e.as_ref() == Some(env)) => {
                f.env = FileEnv {
                    env: Some(env.clone()),
                    source: EnvSource::ComposeEnvFile { compose: compose.clone() },
                    jobs: Vec::new(),
                };
            }
            Some(_) => {
                let who: Vec<String> =
                    known.iter().map(|(c, e)| format!("{c} ({})", e.as_deref().unwrap_or("-"))).collect();
                f.env.source =
                    EnvSource::Conflicting { what: format!("compose files loading it, {},", who.join(", ")) };
            }
        }
    }
}
