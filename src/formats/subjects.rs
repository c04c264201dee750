//! Subjects: what rules judge, each with its own environment and the settings
//! it really has (DESIGN.md, "Subjects carry the environment").
//!
//! - a dotenv or Terraform file: the file, its carriers;
//! - a compose service of a project (a base file merged with an override file,
//!   see [`compose`]): the project's environment (the override's, else the
//!   base's; a service whose `profiles:` all name another environment has
//!   that one); its settings are its `env_file:` files' entries, then its
//!   merged `environment:`;
//! - a GitHub Actions job: workflow, job and step `env:`; the job's environment
//!   (its `environment:`, the one it passes to a reusable workflow, a
//!   `${{ matrix.x }}` expanded, or the file's);
//! - a GitLab CI job of a pipeline (see [`gitlab`]): the global `variables:` it
//!   inherits, then its own after `extends:` and `!reference` (templates in
//!   other files of the pipeline included) — the last setting of a key wins;
//!   its `environment:` is its own or inherited, variables expanded.
//!
//! Each subject carries its typed [`View`] for the rules about CI and compose.

use std::sync::Arc;

use crate::discover::FileKind;
use crate::env::{Env, EnvTable, JobEnv};
use crate::rule::{FileRef, Loc, Subject, SubjectCarrier, SubjectKind, UnitFile};

use super::carriers::{Carrier, carriers, entry_carrier, env_carriers, list_item};
use super::ci::github::Workflow;
use super::ci::gitlab::{self, Origin, Pipeline};
use super::compose::{self, Project};
use super::located::Located;

/// GitLab top-level keys that are not jobs.
pub const GITLAB_GLOBAL_KEYS: [&str; 12] = gitlab::GLOBAL_KEYS;

/// What a CI or compose subject is, as its tool sees it.
#[derive(Clone)]
pub enum View<'a> {
    /// A GitLab CI job with the pipeline it belongs to.
    GitlabJob { pipeline: Arc<Pipeline<'a>>, job: gitlab::Job<'a> },
    /// A GitHub Actions job (index into the workflow's jobs).
    GithubJob { workflow: Arc<Workflow<'a>>, job: usize },
    /// A compose service with the project it runs in.
    Service { project: Project, service: compose::Service<'a> },
}

/// Every subject of a unit's files: files and GitHub jobs in file order, then
/// compose services, then GitLab jobs.
pub fn subjects<'a>(files: &'a [UnitFile], table: &EnvTable) -> Vec<Subject<'a>> {
    let mut out = Vec::new();
    let gitlab: Vec<FileRef> =
        (0..files.len()).filter(|&i| files[i].kind == FileKind::GitlabCi).map(|i| i as FileRef).collect();
    for (i, f) in files.iter().enumerate() {
        let i = i as FileRef;
        let Some(doc) = &f.doc else { continue };
        match f.kind {
            FileKind::Dotenv | FileKind::Terraform => {
                let first_line = f.source.line_span(1);
                out.push(Subject {
                    kind: SubjectKind::File,
                    name: f.source.path.to_string(),
                    anchor: Loc { file: i, span: first_line },
                    node: doc.root(),
                    env: f.env.env.clone(),
                    reason: f.env.source.to_string(),
                    carriers: own(carriers(f.kind, doc, &f.source), i),
                    view: None,
                    related: Vec::new(),
                });
            }
            FileKind::GithubWorkflow => out.extend(github_jobs(files, i, table)),
            // GitLab jobs are read per pipeline, compose services per project, below.
            _ => {}
        }
    }
    for project in compose::projects(files) {
        out.extend(compose_services(files, &project, table));
    }
    if !gitlab.is_empty() {
        out.extend(gitlab_jobs(files, &gitlab, table));
    }
    out
}

fn own(list: Vec<Carrier>, file: FileRef) -> Vec<SubjectCarrier> {
    list.into_iter().map(|carrier| SubjectCarrier { carrier, file, inherited_from: None }).collect()
}

/// The last setting of a key wins.
fn effective(list: Vec<SubjectCarrier>) -> Vec<SubjectCarrier> {
    let mut out: Vec<SubjectCarrier> = Vec::with_capacity(list.len());
    for c in list {
        out.retain(|e| e.carrier.key != c.carrier.key);
        out.push(c);
    }
    out
}

/// The environment a CI job got from the file's inference (`env.rs`), by name.
fn job_env<'f>(f: &'f UnitFile, name: &str) -> Option<&'f JobEnv> {
    f.env.jobs.iter().find(|j| j.job == name)
}

/// One environment for several candidate names (a matrix): prod when one of
/// them is, else the one they all name.
fn pick_env(names: &[Env], table: &EnvTable) -> Option<Env> {
    let prod = table.resolve("prod");
    if let Some(p) = prod.as_ref().filter(|p| names.contains(p)) {
        return Some(p.clone());
    }
    let first = names.first()?;
    names.iter().all(|n| n == first).then(|| first.clone())
}

fn github_jobs<'a>(files: &'a [UnitFile], i: FileRef, table: &EnvTable) -> Vec<Subject<'a>> {
    let f = &files[i as usize];
    let Some(root) = f.doc.as_ref().and_then(|d| d.root()) else { return Vec::new() };
    let workflow = Arc::new(Workflow::new(i, root));
    let workflow_env = root.get("env").map(|e| env_carriers(e, "env", &f.source)).unwrap_or_default();
    let mut out = Vec::new();
    for (n, job) in workflow.jobs.iter().enumerate() {
        let name = job.key;
        let mut list: Vec<SubjectCarrier> = workflow_env
            .iter()
            .cloned()
            .map(|carrier| SubjectCarrier { carrier, file: i, inherited_from: Some("the workflow's env".into()) })
            .collect();
        if let Some(env) = job.node.get("env") {
            list.extend(own(env_carriers(env, &format!("jobs.{name}.env"), &f.source), i));
        }
        let mut list = effective(list);
        for (s, step) in job.steps.iter().enumerate() {
            if let Some(env) = step.node.get("env") {
                list.extend(own(env_carriers(env, &format!("jobs.{name}.steps[{s}].env"), &f.source), i));
            }
        }
        let (mut env, mut reason) = match job_env(f, name) {
            Some(j) => (j.env.clone(), j.reason.clone()),
            None => (f.env.env.clone(), f.env.source.to_string()),
        };
        // `environment: ${{ matrix.x }}`: the matrix's values
        if job.environment.is_some() && env.is_none() {
            let names = job.environment_names();
            let envs: Vec<Env> = names.iter().filter_map(|t| table.resolve_text(t).map(|(e, _)| e)).collect();
            if let Some(e) = pick_env(&envs, table) {
                let shown: Vec<&str> = names.iter().map(|c| &**c).collect();
                let line = job.environment.map_or(0, |n| f.source.line_col(n.span.start).line);
                reason = format!("environment: matrix value among {} (line {line})", shown.join(", "));
                env = Some(e);
            }
        }
        out.push(Subject {
            kind: SubjectKind::Job,
            name: name.to_owned(),
            anchor: Loc { file: i, span: job.key_span },
            node: Some(job.node),
            env,
            reason,
            carriers: list,
            view: Some(View::GithubJob { workflow: workflow.clone(), job: n }),
            related: Vec::new(),
        });
    }
    out
}

fn gitlab_jobs<'a>(files: &'a [UnitFile], pipeline: &[FileRef], table: &EnvTable) -> Vec<Subject<'a>> {
    let p = Arc::new(Pipeline::new(files, pipeline));
    let mut out = Vec::new();
    for job in p.jobs() {
        let f = &files[job.key.file as usize];
        let carriers = p
            .variables(&job)
            .into_iter()
            .map(|v| {
                let (scope, from) = match v.origin {
                    Origin::Global => ("variables".to_owned(), Some("the global variables".to_owned())),
                    Origin::Own => (format!("{}.variables", job.name), None),
                    Origin::Def(d) => (format!("{d}.variables"), Some(format!("`{d}`"))),
                };
                let src = &files[v.value.file as usize].source;
                let mut carrier = entry_carrier(v.key, v.key_loc.span, v.value.node, &scope, src);
                if !v.value.is_verbatim() {
                    carrier.value = super::carriers::CarrierValue::Dynamic;
                }
                // the key may be written in another file than the value (a merge)
                if v.key_loc.file != v.value.file {
                    carrier.key_span = v.value.node.span;
                }
                SubjectCarrier { carrier, file: v.value.file, inherited_from: from }
            })
            .collect();
        let (env, reason) = gitlab_env(files, &p, &job, f, table);
        out.push(Subject {
            kind: SubjectKind::Job,
            name: job.name.to_owned(),
            anchor: job.key,
            node: Some(job.node),
            env,
            reason,
            carriers,
            view: Some(View::GitlabJob { pipeline: p.clone(), job }),
            related: Vec::new(),
        });
    }
    out
}

/// A GitLab job's environment: its `environment:` (own or inherited, variables
/// expanded), else what inference gave it (the file's).
fn gitlab_env(
    files: &[UnitFile],
    p: &Pipeline<'_>,
    job: &gitlab::Job<'_>,
    f: &UnitFile,
    table: &EnvTable,
) -> (Option<Env>, String) {
    let inferred = job_env(f, job.name);
    let Some(e) = p.environment(job) else {
        return match inferred {
            Some(j) => (j.env.clone(), j.reason.clone()),
            None => (f.env.env.clone(), f.env.source.to_string()),
        };
    };
    let envs: Vec<Env> = e.expanded.iter().filter_map(|t| table.resolve_text(t).map(|(x, _)| x)).collect();
    let Some(env) = pick_env(&envs, table) else {
        return (None, format!("environment `{}` names no known environment", e.name));
    };
    let at = &files[e.name_at.file as usize].source;
    let line = at.line_col(e.name_at.node.span.start).line;
    let own = e.name_at.file == job.key.file
        && job.node.span.start <= e.name_at.node.span.start
        && e.name_at.node.span.end <= job.node.span.end;
    let verbatim = e.expanded.len() == 1 && e.expanded[0] == e.name;
    let reason = match (own, verbatim) {
        (true, true) => match inferred.filter(|j| j.env.as_ref() == Some(&env)) {
            Some(j) => j.reason.clone(),
            None => format!("environment: {} (line {line})", e.name),
        },
        (true, false) => format!("environment: {} = {} (line {line})", e.name, e.expanded.join(", ")),
        (false, true) => format!("environment: {} (inherited, {}:{line})", e.name, at.path),
        (false, false) => {
            format!("environment: {} = {} (inherited, {}:{line})", e.name, e.expanded.join(", "), at.path)
        }
    };
    (Some(env), reason)
}

fn compose_services<'a>(files: &'a [UnitFile], project: &Project, table: &EnvTable) -> Vec<Subject<'a>> {
    let home = project.env_file(files);
    let fenv = &files[home as usize].env;
    let base_reason = fenv.source.to_string();
    let mut out = Vec::new();
    for service in compose::services(files, project) {
        let mut env = fenv.env.clone();
        let mut reason = base_reason.clone();
        // a service only started with profiles that all name another environment
        let profiles = service.profiles();
        let named: Vec<Env> = profiles.iter().filter_map(|p| table.resolve_text(p).map(|(e, _)| e)).collect();
        if !profiles.is_empty() && named.len() == profiles.len() {
            let first = named[0].clone();
            if named.iter().all(|n| *n == first) && env.as_ref() != Some(&first) {
                reason = format!("profile `{}`", profiles.join("`, `"));
                env = Some(first);
            }
        }
        let mut related = Vec::new();
        if let Some(o) = project.override_file()
            && service.key.file != o
        {
            let over = &files[o as usize];
            let base = &files[service.key.file as usize].source.path;
            let shown = env.as_deref().map_or_else(String::new, |e| format!(" (env: {e})"));
            let at = over.doc.as_ref().and_then(|d| d.root()).and_then(|r| r.entry("services")).map(|e| e.key.span);
            related.push((
                Loc { file: o, span: at.unwrap_or_else(|| over.source.line_span(1)) },
                format!("{} is applied over {base}{shown}: this service runs with it", over.source.path),
            ));
        }
        let carriers = service_carriers(files, &service);
        out.push(Subject {
            kind: SubjectKind::Service,
            name: service.name.to_owned(),
            anchor: service.key,
            node: Some(service.node),
            env,
            reason,
            carriers,
            view: Some(View::Service { project: project.clone(), service }),
            related,
        });
    }
    out
}

/// A service's settings: its `env_file:` files' entries, then its `environment:`.
fn service_carriers(files: &[UnitFile], service: &compose::Service<'_>) -> Vec<SubjectCarrier> {
    let mut list = Vec::new();
    for (from, path) in service.env_file_paths() {
        let Some(t) = compose::find_relative(files, from, &path) else { continue };
        let tf = &files[t as usize];
        if tf.kind != FileKind::Dotenv {
            continue;
        }
        if let Some(doc) = &tf.doc {
            list.extend(carriers(FileKind::Dotenv, doc, &tf.source).into_iter().map(|carrier| SubjectCarrier {
                carrier,
                file: t,
                inherited_from: Some(format!("env_file {path}")),
            }));
        }
    }
    let scope = format!("services.{}.environment", service.name);
    if let Some(env) = service.config.get("environment") {
        list.extend(environment_carriers(files, &env, &scope));
    }
    effective(list)
}

fn environment_carriers(files: &[UnitFile], env: &Located<'_>, scope: &str) -> Vec<SubjectCarrier> {
    let src = |f: FileRef| &files[f as usize].source;
    if env.is_verbatim() {
        return own(env_carriers(env.node, scope, src(env.file)), env.file);
    }
    env.entries()
        .iter()
        .filter_map(|e| {
            let carrier = if compose::merge::is_list_item(e) {
                list_item(e.value.node, scope, src(e.value.file))?
            } else {
                entry_carrier(e.key, e.key_loc.span, e.value.node, scope, src(e.value.file))
            };
            let file = e.value.file;
            let carrier =
                if e.key_loc.file == file { carrier } else { Carrier { key_span: e.value.node.span, ..carrier } };
            Some(SubjectCarrier { carrier, file, inherited_from: None })
        })
        .collect()
}
