//! Subjects: what env-var rules judge, each with its own environment and the
//! settings it really has (DESIGN.md, "Subjects carry the environment").
//!
//! - a dotenv file: the file, its carriers (a Terraform root is a subject per
//!   environment, see `formats::terraform::module`);
//! - a compose service: its `environment:` entries, the compose file's environment;
//! - a GitHub Actions job: workflow, job and step `env:`, the job's environment;
//! - a GitLab CI job: global `variables:` of every file of its pipeline, then
//!   what it inherits through `extends:` (several levels, lists, templates in
//!   other files of the pipeline), then its own — the last setting of a key wins;
//!   its `environment:` is its own or inherited.

use std::collections::BTreeMap;

use crate::discover::FileKind;
use crate::env::{EnvTable, JobEnv};
use crate::model::Node;
use crate::rule::{FileRef, Loc, Subject, SubjectCarrier, SubjectKind, UnitFile};
use crate::span::Span;

use super::carriers::{carriers, env_carriers};

/// GitLab top-level keys that are not jobs.
pub const GITLAB_GLOBAL_KEYS: [&str; 12] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
    "types",
];

/// Every subject of a unit's files, in file order.
pub fn subjects<'a>(files: &'a [UnitFile], table: &EnvTable) -> Vec<Subject<'a>> {
    let mut out = Vec::new();
    let gitlab: Vec<FileRef> =
        (0..files.len()).filter(|&i| files[i].kind == FileKind::GitlabCi).map(|i| i as FileRef).collect();
    for (i, f) in files.iter().enumerate() {
        let i = i as FileRef;
        let Some(doc) = &f.doc else { continue };
        match f.kind {
            // Terraform files are judged as roots evaluated per environment
            // (`terraform::module::subjects`, added by the engine).
            FileKind::Dotenv => {
                let first_line = f.source.line_span(1);
                out.push(Subject {
                    kind: SubjectKind::File,
                    name: f.source.path.to_string(),
                    anchor: Loc { file: i, span: first_line },
                    node: doc.root(),
                    env: f.env.env.clone(),
                    reason: f.env.source.to_string(),
                    carriers: own(carriers(f.kind, doc, &f.source), i),
                    terraform: None,
                });
            }
            FileKind::Compose => {
                for root in &doc.roots {
                    for svc in root.get("services").map_or(&[][..], Node::entries) {
                        let scope = format!("services.{}.environment", svc.key.value);
                        let list = svc.value.get("environment").map(|e| env_carriers(e, &scope, &f.source));
                        out.push(Subject {
                            kind: SubjectKind::Service,
                            name: svc.key.value.to_string(),
                            anchor: Loc { file: i, span: svc.key.span },
                            node: Some(&svc.value),
                            env: f.env.env.clone(),
                            reason: f.env.source.to_string(),
                            carriers: own(list.unwrap_or_default(), i),
                            terraform: None,
                        });
                    }
                }
            }
            FileKind::GithubWorkflow => out.extend(github_jobs(files, i)),
            // GitLab jobs are read per pipeline, below.
            _ => {}
        }
    }
    if !gitlab.is_empty() {
        out.extend(gitlab_jobs(files, &gitlab, table));
    }
    out
}

fn own(list: Vec<super::carriers::Carrier>, file: FileRef) -> Vec<SubjectCarrier> {
    list.into_iter().map(|carrier| SubjectCarrier { carrier, file, inherited_from: None }).collect()
}

/// The environment a CI job got from the file's inference (`env.rs`), by name.
fn job_env<'f>(f: &'f UnitFile, name: &str) -> Option<&'f JobEnv> {
    f.env.jobs.iter().find(|j| j.job == name)
}

fn github_jobs(files: &[UnitFile], i: FileRef) -> Vec<Subject<'_>> {
    let f = &files[i as usize];
    let Some(root) = f.doc.as_ref().and_then(|d| d.root()) else { return Vec::new() };
    let workflow = root.get("env").map(|e| env_carriers(e, "env", &f.source)).unwrap_or_default();
    let mut out = Vec::new();
    for job in root.get("jobs").map_or(&[][..], Node::entries) {
        let name = &*job.key.value;
        let mut list: Vec<SubjectCarrier> = workflow
            .iter()
            .cloned()
            .map(|carrier| SubjectCarrier { carrier, file: i, inherited_from: Some("the workflow's env".into()) })
            .collect();
        if let Some(env) = job.value.get("env") {
            for c in own(env_carriers(env, &format!("jobs.{name}.env"), &f.source), i) {
                list.retain(|w| w.carrier.key != c.carrier.key);
                list.push(c);
            }
        }
        for (n, step) in job.value.get("steps").map_or(&[][..], Node::items).iter().enumerate() {
            if let Some(env) = step.get("env") {
                list.extend(own(env_carriers(env, &format!("jobs.{name}.steps[{n}].env"), &f.source), i));
            }
        }
        let (env, reason) = match job_env(f, name) {
            Some(j) => (j.env.clone(), j.reason.clone()),
            None => (f.env.env.clone(), f.env.source.to_string()),
        };
        out.push(Subject {
            kind: SubjectKind::Job,
            name: name.to_owned(),
            anchor: Loc { file: i, span: job.key.span },
            node: Some(&job.value),
            env,
            reason,
            carriers: list,
            terraform: None,
        });
    }
    out
}

/// A job or template of a GitLab pipeline: where it is and its map.
struct Def<'a> {
    file: FileRef,
    key: Span,
    node: &'a Node,
}

/// The `extends:` names of a job (a string or a list), as written.
fn extends(node: &Node) -> Vec<&str> {
    match node.get("extends") {
        Some(e) => match e.as_str() {
            Some(one) => vec![one],
            None => e.items().iter().filter_map(Node::as_str).collect(),
        },
        None => Vec::new(),
    }
}

/// The chain of definitions a job inherits from, farthest first, the job last.
/// Unknown names are skipped; cycles and chains deeper than GitLab's limit stop.
fn chain<'a, 'd>(
    name: &'a str,
    defs: &'d BTreeMap<&'a str, Def<'a>>,
    depth: usize,
    out: &mut Vec<(&'a str, &'d Def<'a>)>,
) {
    let Some(def) = defs.get(name) else { return };
    if depth > 11 || out.iter().any(|(n, _)| *n == name) {
        return;
    }
    for parent in extends(def.node) {
        chain(parent, defs, depth + 1, out);
    }
    out.push((name, def));
}

fn gitlab_jobs<'a>(files: &'a [UnitFile], pipeline: &[FileRef], table: &EnvTable) -> Vec<Subject<'a>> {
    // Definitions of every file of the pipeline; a later file (the root comes
    // last) overrides an earlier one, as GitLab merges includes.
    let mut defs: BTreeMap<&str, Def<'_>> = BTreeMap::new();
    let mut globals: Vec<SubjectCarrier> = Vec::new();
    let mut order: Vec<&str> = Vec::new();
    for &i in pipeline {
        let f = &files[i as usize];
        let Some(root) = f.doc.as_ref().and_then(|d| d.root()) else { continue };
        for entry in root.entries() {
            let name = &*entry.key.value;
            if name == "variables" {
                globals.extend(env_carriers(&entry.value, "variables", &f.source).into_iter().map(|carrier| {
                    SubjectCarrier { carrier, file: i, inherited_from: Some("the global variables".into()) }
                }));
            } else if !GITLAB_GLOBAL_KEYS.contains(&name) && entry.value.is_map() {
                if !defs.contains_key(name) {
                    order.push(name);
                }
                defs.insert(name, Def { file: i, key: entry.key.span, node: &entry.value });
            }
        }
    }
    let mut out = Vec::new();
    for name in order.into_iter().filter(|n| !n.starts_with('.')) {
        let mut links = Vec::new();
        chain(name, &defs, 0, &mut links);
        let Some((_, job)) = links.last() else { continue };
        let f = &files[job.file as usize];
        let mut list =
            if job.node.get("inherit").and_then(|i| i.get("variables")).and_then(Node::as_bool) == Some(false) {
                Vec::new()
            } else {
                globals.clone()
            };
        let mut environment: Option<(&Node, FileRef)> = None;
        for (link, def) in &links {
            let from = (*link != name).then(|| format!("`{link}`"));
            if let Some(vars) = def.node.get("variables") {
                let scope = format!("{link}.variables");
                let src = &files[def.file as usize].source;
                list.extend(env_carriers(vars, &scope, src).into_iter().map(|carrier| SubjectCarrier {
                    carrier,
                    file: def.file,
                    inherited_from: from.clone(),
                }));
            }
            if let Some(e) = def.node.get("environment") {
                environment = Some((e, def.file));
            }
        }
        // The last setting of a key wins.
        let mut effective: Vec<SubjectCarrier> = Vec::with_capacity(list.len());
        for c in list {
            effective.retain(|e| e.carrier.key != c.carrier.key);
            effective.push(c);
        }
        // Its own `environment:` (as inference read it), else a template's.
        let own = job_env(f, name);
        let inherited = if job.node.get("environment").is_some() { None } else { environment };
        let from_template = inherited.and_then(|(node, at)| {
            let text = node.as_str().or_else(|| node.get("name").and_then(Node::as_str))?;
            let (env, _) = table.resolve_text(text)?;
            let line = files[at as usize].source.line_col(node.span.start).line;
            Some((Some(env), format!("environment: {text} (inherited, {}:{line})", files[at as usize].source.path)))
        });
        let (env, reason) = match (own, from_template) {
            (Some(j), _) if j.env.is_some() => (j.env.clone(), j.reason.clone()),
            (_, Some(t)) => t,
            (Some(j), None) => (j.env.clone(), j.reason.clone()),
            (None, None) => (f.env.env.clone(), f.env.source.to_string()),
        };
        out.push(Subject {
            kind: SubjectKind::Job,
            name: name.to_owned(),
            anchor: Loc { file: job.file, span: job.key },
            node: Some(job.node),
            env,
            reason,
            carriers: effective,
            terraform: None,
        });
    }
    out
}
