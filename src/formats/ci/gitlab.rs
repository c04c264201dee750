//! GitLab CI as GitLab reads it: a pipeline is its root file and what it
//! includes (the context pass groups them into one unit, included files first);
//! top-level keys are merged across the files (a later file deep-merges over an
//! earlier one), then each job is assembled the way GitLab does:
//!
//! 1. `extends:` (a name or a list, several levels, across the pipeline's
//!    files): the parents deep-merged in list order, then the job over them —
//!    maps merge key by key, lists and scalars are replaced;
//! 2. `!reference [name, key, ...]` tags resolved against the extended
//!    definitions (nested up to 10 levels; a list item that is a reference to a
//!    list is flattened into the list);
//! 3. `default:` (and the old top-level `image`, `services`, `cache`,
//!    `before_script`, `after_script`) for the keys the job does not set,
//!    unless `inherit: default:` says otherwise.
//!
//! YAML anchors and `<<:` merge keys are applied by the parser (their values
//! keep the span of the use site). Hidden (`.`) definitions are templates, not
//! jobs. A job's variables are the global `variables:` (filtered by `inherit:
//! variables:`) then its own, its own winning. Its environment is its
//! `environment:` (a string or `name:`), with `$VARIABLES` expanded from its
//! literal variables and `parallel: matrix:` values.
//!
//! When a job runs is answered for imagined pipelines ([`Scenario`]): its
//! `rules:` (first match wins, `when:` of the rule or the job), or `only:` /
//! `except:` (refs, `variables:`; the default is `only: [branches, tags]`),
//! after `workflow: rules:`. Conditions on variables envlint cannot know make
//! the answer uncertain, and rules stay silent on uncertainty.

use std::collections::HashMap;

use crate::model::Node;
use crate::rule::{FileRef, Loc, UnitFile};

use super::gitlab_expr::{self, Scenario, Tri};
use crate::formats::located::{LEntry, Located, deep_merge};

/// GitLab top-level keys that are not jobs.
pub const GLOBAL_KEYS: [&str; 12] = [
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

/// Keys a job takes from `default:` when it does not set them.
const DEFAULT_KEYS: [&str; 12] = [
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// Top-level keys GitLab still reads as defaults.
const LEGACY_DEFAULT_KEYS: [&str; 5] = ["image", "services", "cache", "before_script", "after_script"];

/// GitLab's limits: `extends:` depth, `!reference` nesting.
const MAX_EXTENDS_DEPTH: usize = 11;
const MAX_REFERENCE_DEPTH: usize = 10;

/// A job or template of the pipeline, merged across the files that define it.
struct Def<'a> {
    name: &'a str,
    /// The key in the last file that defines it.
    key: Loc,
    /// Its map in that file.
    node: &'a Node,
    raw: Located<'a>,
    /// Where each file's definition is (file, map span), for telling what a value
    /// was inherited from.
    parts: Vec<Loc>,
}

/// A GitLab CI pipeline: its definitions and global keys, merged across its files.
pub struct Pipeline<'a> {
    defs: Vec<Def<'a>>,
    index: HashMap<&'a str, usize>,
    /// Each definition after `extends:` (before `!reference`).
    extended: Vec<Located<'a>>,
    variables: Option<Located<'a>>,
    variable_parts: Vec<Loc>,
    default: Option<Located<'a>>,
    legacy: Vec<LEntry<'a>>,
    workflow: Option<Located<'a>>,
}

/// A job, assembled.
#[derive(Clone, Debug)]
pub struct Job<'a> {
    pub name: &'a str,
    /// Its key (in the last file that defines it).
    pub key: Loc,
    /// Its map as written there.
    pub node: &'a Node,
    /// Its configuration after `extends:`, `!reference` and `default:`.
    pub config: Located<'a>,
}

/// Where a variable of a job comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The global `variables:`.
    Global,
    /// The job itself.
    Own,
    /// A template or job it extends or references.
    Def(&'a str),
}

/// A variable a job has.
#[derive(Clone, Debug)]
pub struct Var<'a> {
    pub key: &'a str,
    pub key_loc: Loc,
    /// The value as written (`KEY: value`), or the `value:` of `KEY: {value: ...}`.
    pub value: Located<'a>,
    pub origin: Origin<'a>,
}

/// A job's `environment:`.
#[derive(Clone, Debug)]
pub struct Environment<'a> {
    /// The name as written (`production`, `review/$CI_COMMIT_REF_SLUG`).
    pub name: &'a str,
    /// Where the name is written.
    pub name_at: Located<'a>,
    /// The name with the variables envlint knows expanded; several for a
    /// `parallel: matrix:` job.
    pub expanded: Vec<String>,
    /// `action:` (`start` when absent): `stop`, `prepare`, `verify`, `access` do not deploy.
    pub action: Option<&'a str>,
}

impl Environment<'_> {
    /// Whether the job deploys to it (its action is `start`).
    pub fn deploys(&self) -> bool {
        self.action.is_none_or(|a| a == "start")
    }
}

/// When a job runs in one imagined pipeline: the outcomes that are possible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    /// It may run without anyone pressing a button.
    pub auto: bool,
    /// It may be offered as a manual job.
    pub manual: bool,
    /// It may not be in the pipeline at all.
    pub absent: bool,
    /// The rule that may run it automatically (for related locations).
    pub auto_rule: Option<Loc>,
    /// The rule that may add it to the pipeline.
    pub run_rule: Option<Loc>,
}

impl Outcomes {
    /// It can run without a human gate: automatically, with no manual alternative.
    pub fn ungated(&self) -> bool {
        self.auto && !self.manual
    }

    /// It is in the pipeline for sure (automatic or manual).
    pub fn surely_runs(&self) -> bool {
        (self.auto || self.manual) && !self.absent
    }

    fn add(&mut self, when: When, at: Option<Loc>) {
        match when {
            When::Auto => {
                self.auto = true;
                self.auto_rule = self.auto_rule.or(at);
                self.run_rule = self.run_rule.or(at);
            }
            When::Manual => {
                self.manual = true;
                self.run_rule = self.run_rule.or(at);
            }
            When::Never => self.absent = true,
            When::Unknown => {
                self.auto = true;
                self.manual = true;
                self.absent = true;
            }
        }
    }

    fn unknown() -> Self {
        let mut o = Self::default();
        o.add(When::Unknown, None);
        o
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    Auto,
    Manual,
    Never,
    Unknown,
}

fn when_of(node: Option<&Located<'_>>, default: When) -> When {
    match node.map(Located::as_str) {
        None => default,
        Some(Some("on_success" | "always" | "delayed" | "on_failure")) => When::Auto,
        Some(Some("manual")) => When::Manual,
        Some(Some("never")) => When::Never,
        Some(_) => When::Unknown,
    }
}

impl<'a> Pipeline<'a> {
    /// The pipeline of `files` (indices into the unit's files, included files first).
    pub fn new(files: &'a [UnitFile], pipeline: &[FileRef]) -> Self {
        let mut p = Pipeline {
            defs: Vec::new(),
            index: HashMap::new(),
            extended: Vec::new(),
            variables: None,
            variable_parts: Vec::new(),
            default: None,
            legacy: Vec::new(),
            workflow: None,
        };
        let merge = |slot: &mut Option<Located<'a>>, new: Located<'a>| {
            *slot = Some(match slot.take() {
                Some(old) => deep_merge(&old, &new),
                None => new,
            });
        };
        for &i in pipeline {
            let Some(f) = files.get(i as usize) else { continue };
            let Some(root) = f.doc.as_ref().and_then(|d| d.root()) else { continue };
            for entry in root.entries() {
                let name = &*entry.key.value;
                let value = Located::new(i, &entry.value);
                match name {
                    "variables" => {
                        p.variable_parts.push(value.loc());
                        merge(&mut p.variables, value);
                    }
                    "default" => merge(&mut p.default, value),
                    "workflow" => merge(&mut p.workflow, value),
                    _ if LEGACY_DEFAULT_KEYS.contains(&name) => {
                        p.legacy.retain(|e| e.key != name);
                        p.legacy.push(LEntry { key: name, key_loc: Loc { file: i, span: entry.key.span }, value });
                    }
                    _ if GLOBAL_KEYS.contains(&name) || !entry.value.is_map() => {}
                    _ => {
                        let key = Loc { file: i, span: entry.key.span };
                        if let Some(&d) = p.index.get(name) {
                            let def = &mut p.defs[d];
                            def.raw = deep_merge(&def.raw, &value);
                            def.key = key;
                            def.node = &entry.value;
                            def.parts.push(value.loc());
                        } else {
                            p.index.insert(name, p.defs.len());
                            p.defs.push(Def { name, key, node: &entry.value, parts: vec![value.loc()], raw: value });
                        }
                    }
                }
            }
        }
        let mut memo: Vec<Option<Located<'a>>> = vec![None; p.defs.len()];
        for d in 0..p.defs.len() {
            p.extend(d, 0, &mut Vec::new(), &mut memo);
        }
        p.extended = memo.into_iter().zip(&p.defs).map(|(m, d)| m.unwrap_or_else(|| d.raw.clone())).collect();
        p
    }

    /// Definition `d` after `extends:`, memoized; cycles and chains deeper than
    /// GitLab allows stop (GitLab rejects them).
    fn extend(
        &self,
        d: usize,
        depth: usize,
        visiting: &mut Vec<usize>,
        memo: &mut Vec<Option<Located<'a>>>,
    ) -> Located<'a> {
        if let Some(done) = &memo[d] {
            return done.clone();
        }
        let raw = &self.defs[d].raw;
        if depth > MAX_EXTENDS_DEPTH || visiting.contains(&d) {
            return raw.clone();
        }
        visiting.push(d);
        let mut base: Option<Located<'a>> = None;
        for parent in raw.get("extends").map(|e| e.strings()).unwrap_or_default() {
            if let Some(&p) = self.index.get(parent) {
                let pe = self.extend(p, depth + 1, visiting, memo);
                base = Some(match base {
                    Some(b) => deep_merge(&b, &pe),
                    None => pe,
                });
            }
        }
        visiting.pop();
        let out = match base {
            Some(b) => deep_merge(&b, raw),
            None => raw.clone(),
        };
        memo[d] = Some(out.clone());
        out
    }

    /// `!reference [name, key, ...]`: the extended definition's value at that path.
    fn lookup(&self, path: &[&str]) -> Option<Located<'a>> {
        let (name, keys) = path.split_first()?;
        let d = *self.index.get(name)?;
        self.extended[d].path(keys)
    }

    /// `value` with its `!reference` tags resolved.
    fn resolve(&self, value: &Located<'a>, depth: usize) -> Located<'a> {
        if value.tag() == Some("!reference") {
            let path: Vec<&str> = value.items().iter().filter_map(Located::as_str).collect();
            return match self.lookup(&path) {
                Some(target) if depth < MAX_REFERENCE_DEPTH => self.resolve(&target, depth + 1),
                _ => value.clone(),
            };
        }
        if !value.contains_tag("!reference") {
            return value.clone();
        }
        if value.is_map() {
            let entries =
                value.entries().into_iter().map(|e| LEntry { value: self.resolve(&e.value, depth), ..e }).collect();
            return Located::map(value.file, value.node, entries);
        }
        let mut items = Vec::new();
        for item in value.items() {
            let resolved = self.resolve(&item, depth);
            if item.tag() == Some("!reference") && resolved.is_seq() {
                items.extend(resolved.items());
            } else {
                items.push(resolved);
            }
        }
        Located::seq(value.file, value.node, items)
    }

    /// Every job (not hidden, a map, with something to run or a parent to get it from).
    pub fn jobs(&self) -> Vec<Job<'a>> {
        let mut out = Vec::new();
        for (d, def) in self.defs.iter().enumerate() {
            if def.name.starts_with('.') {
                continue;
            }
            let mut config = self.resolve(&self.extended[d], 0);
            let runs = ["script", "run", "trigger"].iter().any(|k| config.get(k).is_some());
            if !runs && def.raw.get("extends").is_none() {
                continue;
            }
            config = self.with_defaults(config);
            out.push(Job { name: def.name, key: def.key, node: def.node, config });
        }
        out
    }

    /// The job's configuration with what it takes from `default:`.
    fn with_defaults(&self, config: Located<'a>) -> Located<'a> {
        let inherit = config.path(&["inherit", "default"]);
        let allowed = |key: &str| match &inherit {
            None => true,
            Some(i) => match i.as_bool() {
                Some(b) => b,
                None => i.strings().contains(&key),
            },
        };
        let default = self.default.as_ref().map(|d| self.resolve(d, 0));
        let mut entries = config.entries();
        let mut added = false;
        for key in DEFAULT_KEYS {
            if entries.iter().any(|e| e.key == key) || !allowed(key) {
                continue;
            }
            let from_default = default.as_ref().and_then(|d| d.entry(key));
            let legacy = || self.legacy.iter().find(|e| e.key == key).cloned();
            if let Some(e) = from_default.or_else(legacy) {
                entries.push(e);
                added = true;
            }
        }
        if added { Located::map(config.file, config.node, entries) } else { config }
    }

    /// What a value at `loc` was inherited from, for a job named `own`.
    fn origin(&self, loc: Loc, own: &'a str) -> Origin<'a> {
        let inside =
            |part: &Loc| part.file == loc.file && part.span.start <= loc.span.start && loc.span.end <= part.span.end;
        if self.variable_parts.iter().any(inside) {
            return Origin::Global;
        }
        // the innermost definition holding it
        let holder = self
            .defs
            .iter()
            .filter(|d| d.parts.iter().any(inside))
            .min_by_key(|d| d.parts.iter().filter(|p| inside(p)).map(|p| p.span.len()).min().unwrap_or(usize::MAX));
        match holder {
            Some(d) if d.name == own => Origin::Own,
            Some(d) => Origin::Def(d.name),
            None => Origin::Own,
        }
    }

    /// The job's variables: the global ones it inherits, then its own (with what
    /// it extends); a key set twice keeps the later.
    pub fn variables(&self, job: &Job<'a>) -> Vec<Var<'a>> {
        let inherit = job.config.path(&["inherit", "variables"]);
        let allowed = |key: &str| match &inherit {
            None => true,
            Some(i) => match i.as_bool() {
                Some(b) => b,
                None => i.strings().contains(&key),
            },
        };
        let mut out: Vec<Var<'a>> = Vec::new();
        let globals = self.variables.as_ref().map(|v| self.resolve(v, 0));
        let lists = [(globals, true), (job.config.get("variables"), false)];
        for (list, global) in lists {
            let Some(list) = list else { continue };
            for e in list.entries() {
                if global && !allowed(e.key) {
                    continue;
                }
                let value = if e.value.is_map() { e.value.get("value").unwrap_or(e.value.clone()) } else { e.value };
                let origin = if global { Origin::Global } else { self.origin(e.key_loc, job.name) };
                out.retain(|v| v.key != e.key);
                out.push(Var { key: e.key, key_loc: e.key_loc, value, origin });
            }
        }
        out
    }

    /// The job's `environment:`, with its name expanded.
    pub fn environment(&self, job: &Job<'a>) -> Option<Environment<'a>> {
        let env = job.config.get("environment")?;
        let (name_at, action) = if env.is_map() {
            (env.get("name")?, env.get("action").and_then(|a| a.as_str()))
        } else {
            (env.clone(), None)
        };
        let name = name_at.as_str()?;
        let vars = self.variables(job);
        let matrix = matrix_values(&job.config);
        let lookup = |var: &str| -> Vec<String> {
            if let Some(v) = vars.iter().find(|v| v.key == var) {
                return v.value.scalar_text().map(|t| vec![t.into_owned()]).unwrap_or_default();
            }
            matrix.iter().filter(|(k, _)| k == var).flat_map(|(_, v)| v.clone()).collect()
        };
        let expanded = expand(name, &lookup);
        Some(Environment { name, name_at, expanded, action })
    }

    /// Whether the pipeline is created in `scenario`, after `workflow: rules:`.
    fn workflow_runs(&self, scenario: Scenario) -> Tri {
        let Some(rules) = self.workflow.as_ref().and_then(|w| w.get("rules")) else { return Tri::True };
        let rules = self.resolve(&rules, 0);
        if !rules.is_seq() {
            return Tri::Unknown;
        }
        let o = rules_outcomes(&rules.items(), When::Auto, scenario);
        match (o.auto || o.manual, o.absent) {
            (true, false) => Tri::True,
            (false, true) => Tri::False,
            _ => Tri::Unknown,
        }
    }

    /// When the job runs in `scenario`.
    pub fn outcomes(&self, job: &Job<'a>, scenario: Scenario) -> Outcomes {
        let wf = self.workflow_runs(scenario);
        if wf == Tri::False {
            return Outcomes { absent: true, ..Outcomes::default() };
        }
        let job_when = when_of(job.config.get("when").as_ref(), When::Auto);
        let mut o = match job.config.get("rules") {
            Some(rules) if rules.is_seq() => rules_outcomes(&rules.items(), job_when, scenario),
            Some(_) => Outcomes::unknown(),
            None => {
                let only = job.config.get("only");
                let except = job.config.get("except");
                let included = match &only {
                    Some(o) => spec_matches(o, scenario),
                    None => Tri::from_bool(scenario.is_branch_pipeline() || scenario == Scenario::Tag),
                };
                let excluded = except.as_ref().map_or(Tri::False, |e| spec_matches(e, scenario));
                let at = only.as_ref().map(Located::loc);
                let mut o = Outcomes::default();
                match included.and(!excluded) {
                    Tri::True => o.add(job_when, at),
                    Tri::False => o.absent = true,
                    Tri::Unknown => {
                        o.add(job_when, at);
                        o.absent = true;
                    }
                }
                o
            }
        };
        if wf == Tri::Unknown {
            o.absent = true;
        }
        o
    }
}

/// Pipeline variables are never taken as known: project settings may override them.
fn unknown_var(_: &str) -> Option<String> {
    None
}

/// `rules:` evaluated in order, the first match deciding.
fn rules_outcomes(rules: &[Located<'_>], job_when: When, scenario: Scenario) -> Outcomes {
    let mut o = Outcomes::default();
    for rule in rules {
        if !rule.is_map() {
            // an unresolved `!reference`: anything may happen from here
            o.add(When::Unknown, None);
            return o;
        }
        let cond = match rule.get("if") {
            None => Tri::True,
            Some(c) => c.as_str().map_or(Tri::Unknown, |t| gitlab_expr::eval(t, scenario, &unknown_var)),
        };
        // `changes:` and `exists:` depend on the commit, not on the branch: they may be true.
        let when = when_of(rule.get("when").as_ref(), job_when);
        match cond {
            Tri::False => {}
            Tri::True => {
                o.add(when, Some(rule.loc()));
                return o;
            }
            Tri::Unknown => o.add(when, Some(rule.loc())),
        }
    }
    o.absent = true;
    o
}

/// Whether `only:` / `except:` (a list of refs, or a map of `refs`,
/// `variables`, `changes`, `kubernetes`) matches in `scenario`.
fn spec_matches(spec: &Located<'_>, scenario: Scenario) -> Tri {
    if !spec.is_map() {
        return refs_match(&spec.strings(), scenario);
    }
    let mut v = Tri::True;
    if let Some(refs) = spec.get("refs") {
        v = v.and(refs_match(&refs.strings(), scenario));
    }
    if let Some(vars) = spec.get("variables") {
        let any = vars.strings().iter().fold(Tri::False, |acc, e| acc.or(gitlab_expr::eval(e, scenario, &unknown_var)));
        v = v.and(any);
    }
    v
}

/// Whether any of `only:`'s refs matches the pipeline's ref.
fn refs_match(refs: &[&str], scenario: Scenario) -> Tri {
    let mut v = Tri::False;
    for r in refs {
        let m = match *r {
            "branches" => Tri::from_bool(scenario.is_branch_pipeline()),
            "tags" => Tri::from_bool(scenario == Scenario::Tag),
            "merge_requests" => Tri::from_bool(scenario == Scenario::MergeRequest),
            "pushes" => Tri::from_bool(scenario.source() == "push"),
            "schedules" => Tri::from_bool(scenario == Scenario::Schedule),
            "api" | "external" | "external_pull_requests" | "pipelines" | "triggers" | "web" | "chat" => Tri::False,
            // `ref@group/project`: the project is not known
            _ if r.contains('@') => Tri::Unknown,
            _ => scenario.ref_matches(r),
        };
        v = v.or(m);
    }
    v
}

/// `parallel: matrix:` values: (variable, values).
fn matrix_values(config: &Located<'_>) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for combo in config.path(&["parallel", "matrix"]).map(|m| m.items()).unwrap_or_default() {
        for e in combo.entries() {
            let values: Vec<String> = if e.value.is_seq() {
                e.value.items().iter().filter_map(|v| v.scalar_text().map(std::borrow::Cow::into_owned)).collect()
            } else {
                e.value.scalar_text().map(|t| vec![t.into_owned()]).unwrap_or_default()
            };
            out.push((e.key.to_owned(), values));
        }
    }
    out
}

/// `text` with `$VAR` / `${VAR}` replaced by each value `lookup` knows (at most
/// 16 results); a variable with no known value is dropped from the text (its
/// value cannot name an environment envlint could tell).
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut results = vec![String::new()];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let braced = b.get(i + 1) == Some(&b'{');
            let start = i + 1 + usize::from(braced);
            let mut end = start;
            while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'_') {
                end += 1;
            }
            if end > start && (!braced || b.get(end) == Some(&b'}')) {
                let values = lookup(&text[start..end]);
                i = end + usize::from(braced);
                if values.is_empty() {
                    continue;
                }
                let mut next = Vec::new();
                for r in &results {
                    for v in &values {
                        if next.len() < 16 {
                            next.push(format!("{r}{v}"));
                        }
                    }
                }
                results = next;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        for r in &mut results {
            r.push(ch);
        }
        i += ch.len_utf8();
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;

    fn unit(files: &[(&str, &str)]) -> Vec<UnitFile> {
        files
            .iter()
            .map(|(path, text)| {
                let source = std::sync::Arc::new(crate::source::SourceFile::new(*path, *text));
                UnitFile {
                    source,
                    kind: FileKind::GitlabCi,
                    doc: Some(crate::parse::yaml::parse(text).expect("yaml")),
                    parse_error: None,
                    env: crate::env::FileEnv::unknown(),
                    config_rel: (*path).to_owned(),
                    reported: true,
                    secrets: Vec::new(),
                }
            })
            .collect()
    }

    fn show(l: &Located<'_>, files: &[UnitFile]) -> String {
        if l.is_map() {
            let parts: Vec<String> =
                l.entries().iter().map(|e| format!("{}: {}", e.key, show(&e.value, files))).collect();
            format!("{{{}}}", parts.join(", "))
        } else if l.is_seq() {
            let parts: Vec<String> = l.items().iter().map(|i| show(i, files)).collect();
            format!("[{}]", parts.join(", "))
        } else {
            let text = l.scalar_text().map_or_else(|| "~".to_owned(), std::borrow::Cow::into_owned);
            let line = files[l.file as usize].source.line_col(l.node.span.start).line;
            format!("{text}@{}:{line}", files[l.file as usize].source.path)
        }
    }

    fn pipeline_jobs(files: &[UnitFile]) -> (Pipeline<'_>, Vec<Job<'_>>) {
        let refs: Vec<FileRef> = (0..files.len() as FileRef).collect();
        let p = Pipeline::new(files, &refs);
        let jobs = p.jobs();
        (p, jobs)
    }

    #[test]
    fn jobs_and_globals() {
        let files = unit(&[(
            ".gitlab-ci.yml",
            "stages: [build]\nvariables: {A: 1}\ndefault:\n  image: ruby\nworkflow:\n  rules: [{when: always}]\n.hidden:\n  script: [x]\nbuild:\n  script: [make]\nnot_a_job: plain\ninclude: []\n",
        )]);
        let (_, jobs) = pipeline_jobs(&files);
        let names: Vec<&str> = jobs.iter().map(|j| j.name).collect();
        assert_eq!(names, ["build"]);
        assert_eq!(show(&jobs[0].config, &files), "{script: [make@.gitlab-ci.yml:10], image: ruby@.gitlab-ci.yml:4}");
    }

    #[test]
    fn extends_deep_merges_across_files_and_levels() {
        let files = unit(&[
            (
                "ci/templates.yml",
                ".base:\n  variables: {DEBUG: \"true\", LEVEL: info}\n  script: [base]\n  environment: {name: staging, url: u}\n.deploy:\n  extends: .base\n  variables: {LEVEL: debug}\n  when: manual\n",
            ),
            (
                ".gitlab-ci.yml",
                ".other:\n  tags: [docker]\n  script: [other]\ndeploy-prod:\n  extends: [.deploy, .other]\n  environment: {name: production}\n  variables: {OWN: x}\n",
            ),
        ]);
        let (p, jobs) = pipeline_jobs(&files);
        assert_eq!(jobs.len(), 1);
        let job = &jobs[0];
        assert_eq!(
            show(&job.config, &files),
            "{variables: {DEBUG: true@ci/templates.yml:2, LEVEL: debug@ci/templates.yml:7, OWN: x@.gitlab-ci.yml:7}, \
             script: [other@.gitlab-ci.yml:3], environment: {name: production@.gitlab-ci.yml:6, url: u@ci/templates.yml:4}, \
             extends: [.deploy@.gitlab-ci.yml:5, .other@.gitlab-ci.yml:5], when: manual@ci/templates.yml:8, tags: [docker@.gitlab-ci.yml:2]}"
        );
        let vars: Vec<(&str, Origin<'_>)> = p.variables(job).iter().map(|v| (v.key, v.origin.clone())).collect();
        assert_eq!(vars, [("DEBUG", Origin::Def(".base")), ("LEVEL", Origin::Def(".deploy")), ("OWN", Origin::Own)]);
        let env = p.environment(job).expect("environment");
        assert_eq!((env.name, env.expanded.clone()), ("production", vec!["production".to_owned()]));
    }

    #[test]
    fn include_merges_a_job_defined_twice() {
        let files = unit(&[
            ("ci/deploy.yml", "deploy:\n  script: [deploy]\n  environment: production\n  when: manual\n"),
            (".gitlab-ci.yml", "deploy:\n  when: on_success\n"),
        ]);
        let (_, jobs) = pipeline_jobs(&files);
        assert_eq!(
            show(&jobs[0].config, &files),
            "{script: [deploy@ci/deploy.yml:2], environment: production@ci/deploy.yml:3, when: on_success@.gitlab-ci.yml:2}"
        );
        assert_eq!(files[jobs[0].key.file as usize].source.path.as_ref(), ".gitlab-ci.yml");
    }

    #[test]
    fn references_resolve_nest_and_flatten() {
        let files = unit(&[(
            ".gitlab-ci.yml",
            ".setup:\n  script: [one, two]\n.rules:\n  rules:\n    - if: $CI_COMMIT_TAG\n.more:\n  script:\n    - !reference [.setup, script]\n    - three\n.vars:\n  variables: {DEBUG: \"1\"}\njob:\n  script:\n    - !reference [.more, script]\n    - four\n  rules:\n    - !reference [.rules, rules]\n    - when: manual\n  variables: !reference [.vars, variables]\n  after_script: !reference [.missing, script]\n",
        )]);
        let (p, jobs) = pipeline_jobs(&files);
        let job = &jobs[0];
        assert_eq!(
            show(&job.config.get("script").expect("script"), &files),
            "[one@.gitlab-ci.yml:2, two@.gitlab-ci.yml:2, three@.gitlab-ci.yml:9, four@.gitlab-ci.yml:15]"
        );
        assert_eq!(
            show(&job.config.get("rules").expect("rules"), &files),
            "[{if: $CI_COMMIT_TAG@.gitlab-ci.yml:5}, {when: manual@.gitlab-ci.yml:18}]"
        );
        let vars: Vec<(&str, Origin<'_>)> = p.variables(job).iter().map(|v| (v.key, v.origin.clone())).collect();
        assert_eq!(vars, [("DEBUG", Origin::Def(".vars"))]);
        // an unknown reference stays as written
        assert_eq!(job.config.get("after_script").and_then(|a| a.tag()), Some("!reference"));
    }

    #[test]
    fn anchors_and_merge_keys_are_applied_by_the_parser() {
        let files = unit(&[(
            ".gitlab-ci.yml",
            ".tpl: &tpl\n  script: [deploy]\n  environment: production\n  variables: &vars\n    DEBUG: \"true\"\ndeploy:\n  <<: *tpl\n  when: manual\nother:\n  script: [x]\n  variables: *vars\n",
        )]);
        let (p, jobs) = pipeline_jobs(&files);
        let names: Vec<&str> = jobs.iter().map(|j| j.name).collect();
        assert_eq!(names, ["deploy", "other"]);
        assert!(p.environment(&jobs[0]).is_some());
        // merged values keep the span of the use site, inside the job
        let v = p.variables(&jobs[1]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].origin, Origin::Own);
        assert_eq!(files[0].source.slice(v[0].value.node.span), "*vars");
    }

    #[test]
    fn inherit_and_defaults() {
        let files = unit(&[(
            ".gitlab-ci.yml",
            "variables: {A: \"1\", B: \"2\"}\nimage: old\ndefault: {tags: [x]}\nnone:\n  inherit: {variables: false, default: false}\n  script: [x]\nsome:\n  inherit: {variables: [B], default: [image]}\n  script: [x]\n  variables: {B: own}\n",
        )]);
        let (p, jobs) = pipeline_jobs(&files);
        assert!(p.variables(&jobs[0]).is_empty());
        assert_eq!(show(&jobs[0].config, &files).matches("image").count(), 0);
        let v: Vec<(&str, Origin<'_>)> = p.variables(&jobs[1]).iter().map(|v| (v.key, v.origin.clone())).collect();
        assert_eq!(v, [("B", Origin::Own)]);
        assert!(jobs[1].config.get("image").is_some());
        assert!(jobs[1].config.get("tags").is_none());
    }

    #[test]
    fn environment_forms_and_expansion() {
        let files = unit(&[(
            ".gitlab-ci.yml",
            "variables: {TARGET: production}\na:\n  script: [x]\n  environment: review/$CI_COMMIT_REF_SLUG\nb:\n  script: [x]\n  environment:\n    name: ${TARGET}\n    action: stop\nc:\n  script: [x]\n  parallel:\n    matrix:\n      - STAGE: [staging, production]\n  environment: $STAGE\n",
        )]);
        let (p, jobs) = pipeline_jobs(&files);
        let e: Vec<(Vec<String>, bool)> =
            jobs.iter().map(|j| p.environment(j).map(|e| (e.expanded.clone(), e.deploys())).expect("env")).collect();
        assert_eq!(
            e,
            [
                (vec!["review/".to_owned()], true),
                (vec!["production".to_owned()], false),
                (vec!["staging".to_owned(), "production".to_owned()], true),
            ]
        );
    }

    /// (job, [default branch, tag, schedule, other branch, merge request]) as
    /// `a` auto, `m` manual, `-` absent, combined when several are possible.
    fn table(text: &str) -> Vec<(String, Vec<String>)> {
        let files = unit(&[(".gitlab-ci.yml", text)]);
        let (p, jobs) = pipeline_jobs(&files);
        jobs.iter()
            .map(|j| {
                let cells = Scenario::ALL
                    .iter()
                    .map(|s| {
                        let o = p.outcomes(j, *s);
                        let mut c = String::new();
                        if o.auto {
                            c.push('a');
                        }
                        if o.manual {
                            c.push('m');
                        }
                        if o.absent {
                            c.push('-');
                        }
                        c
                    })
                    .collect();
                (j.name.to_owned(), cells)
            })
            .collect()
    }

    fn row(name: &str, cells: [&str; 5]) -> (String, Vec<String>) {
        (name.to_owned(), cells.iter().map(|c| (*c).to_owned()).collect())
    }

    #[test]
    fn when_jobs_run() {
        let got = table(
            "plain:\n  script: [x]\n\
             manual:\n  script: [x]\n  when: manual\n\
             main_only:\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n\
             main_manual:\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n      when: manual\n\
             tag_auto_else_manual:\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_TAG\n    - if: $CI_COMMIT_BRANCH == \"main\"\n      when: manual\n\
             never_first:\n  script: [x]\n  rules:\n    - if: $CI_COMMIT_BRANCH != $CI_DEFAULT_BRANCH\n      when: never\n    - when: on_success\n\
             unknown_flag:\n  script: [x]\n  rules:\n    - if: $DEPLOY_ENABLED\n\
             mr:\n  script: [x]\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n\
             only_main_tags:\n  script: [x]\n  only: [main, tags]\n\
             only_branches:\n  script: [x]\n  only: [branches]\n\
             only_map:\n  script: [x]\n  only:\n    refs: [master]\n    variables: [$STAGING_ENABLED]\n\
             except_branches:\n  script: [x]\n  except: [branches]\n\
             only_regex:\n  script: [x]\n  only: [/^release-.*$/]\n",
        );
        assert_eq!(
            got,
            [
                row("plain", ["a", "a", "a", "a", "-"]),
                row("manual", ["m", "m", "m", "m", "-"]),
                row("main_only", ["a", "-", "a", "-", "-"]),
                row("main_manual", ["m", "-", "m", "-", "-"]),
                row("tag_auto_else_manual", ["m-", "a", "m-", "-", "-"]),
                row("never_first", ["a", "-", "a", "-", "-"]),
                row("unknown_flag", ["a-", "a-", "a-", "a-", "a-"]),
                row("mr", ["-", "-", "-", "-", "a"]),
                row("only_main_tags", ["a-", "a", "a-", "-", "-"]),
                row("only_branches", ["a", "-", "a", "a", "-"]),
                row("only_map", ["a-", "-", "a-", "-", "-"]),
                row("except_branches", ["-", "a", "-", "-", "-"]),
                row("only_regex", ["a-", "a-", "a-", "-", "-"]),
            ]
        );
    }

    #[test]
    fn workflow_rules_restrict_every_job() {
        let got = table(
            "workflow:\n  rules:\n    - if: $CI_COMMIT_TAG\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n\
             deploy:\n  script: [x]\n",
        );
        assert_eq!(got, [row("deploy", ["a", "a", "a", "-", "-"])]);
        let got = table("workflow:\n  rules:\n    - if: $SOMETHING\ndeploy:\n  script: [x]\n");
        assert_eq!(got, [row("deploy", ["a-", "a-", "a-", "a-", "-"])]);
    }

    #[test]
    fn expand_variables() {
        let lookup = |v: &str| match v {
            "A" => vec!["x".to_owned()],
            "M" => vec!["1".to_owned(), "2".to_owned()],
            _ => Vec::new(),
        };
        assert_eq!(expand("a/$A/${A}-$M/$UNKNOWN/é", &lookup), ["a/x/x-1//é", "a/x/x-2//é"]);
        assert_eq!(expand("$", &lookup), ["$"]);
        assert_eq!(expand("${A", &lookup), ["${A"]);
    }
}
