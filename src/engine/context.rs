//! The repository context, built before any unit is checked: what no single
//! folder can tell. Compose files are read for the files they load through
//! `env_file:` (those are dotenv files, and take the compose file's environment);
//! GitLab CI files are read for their local includes (included files are GitLab
//! CI, and a pipeline is checked as one unit). Terraform: `.tf` files are
//! scanned (a line scan, not a parse) for local module sources, terragrunt files
//! are parsed for the folder their `terraform { source }` names, and tfvars in a
//! sub-folder of a root (`env/prod.tfvars`) are found by path
//! ([`crate::formats::terraform::layout`]). Then the files are grouped into
//! units: one per GitLab pipeline, one per folder for the rest; a folder of
//! `.tf` files also reads, as context, its sub-folders' tfvars and the terragrunt
//! files that drive it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::discover::{Classified, FileKind, KindSource};
use crate::env::{Env, EnvRules};
use crate::model::Node;
use crate::repo::RepoFile;

use super::load::{self, Loaded};

/// A file of the scan with its kind and why.
pub struct Candidate {
    pub file: RepoFile,
    pub class: Classified,
    /// Its path relative to the config file's folder, computed once; `None`
    /// when it is `file.rel` (the config file at the root: no copy per file).
    config_rel: Option<String>,
}

impl Candidate {
    pub fn new(file: RepoFile, class: Classified, config_rel: String) -> Self {
        let config_rel = (config_rel != file.rel).then_some(config_rel);
        Self { file, class, config_rel }
    }

    pub fn kind(&self) -> FileKind {
        self.class.kind
    }

    /// Its path relative to the config file's folder.
    pub fn config_rel(&self) -> &str {
        self.config_rel.as_deref().unwrap_or(&self.file.rel)
    }
}

/// What the context pass learnt.
#[derive(Default)]
pub struct Context {
    /// dotenv path → the compose files that load it through `env_file:`, with
    /// the environment their path names.
    pub env_file_of: BTreeMap<String, Vec<(String, Option<Env>)>>,
    /// Files read before their last reader: by the pass (compose, GitLab CI,
    /// terragrunt files), or by the first of the units that read a file as
    /// context and as their own.
    reuse: Mutex<Reuse>,
    /// Warnings (unreadable files) met by the pass.
    pub warnings: Vec<String>,
    /// Cross-folder Terraform facts: called and driven folders.
    pub terraform: crate::formats::terraform::layout::Layout,
}

/// Files read once for several readers.
#[derive(Default)]
struct Reuse {
    /// Read files, until their last reader takes them.
    loaded: HashMap<String, Loaded>,
    /// How many more units read each file that more than one unit reads (a
    /// root's context files: sub-folder tfvars, terragrunt files).
    readers: HashMap<String, usize>,
}

impl Context {
    fn reuse(&self) -> std::sync::MutexGuard<'_, Reuse> {
        self.reuse.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Says how many units read each file that more than one unit reads (before any runs).
    pub fn set_readers(&self, units: &[&Unit], candidates: &[Candidate]) {
        let mut count: HashMap<usize, usize> = HashMap::new();
        for u in units {
            for &i in u.files.iter().chain(&u.context) {
                *count.entry(i).or_default() += 1;
            }
        }
        self.reuse().readers =
            count.into_iter().filter(|&(_, n)| n > 1).map(|(i, n)| (candidates[i].file.rel.clone(), n)).collect();
    }

    /// The file as read before, if it was: the last reader takes it, the others
    /// get a copy (a file read by no later unit is dropped).
    pub fn take(&self, rel: &str) -> Option<Loaded> {
        let mut r = self.reuse();
        let left = r.readers.get_mut(rel).map_or(0, |n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == 0 { r.loaded.remove(rel) } else { r.loaded.get(rel).cloned() }
    }

    /// Keeps a copy of a file a unit read for the units that still read it.
    pub fn keep(&self, rel: &str, l: &Loaded) {
        let mut r = self.reuse();
        if r.readers.get(rel).is_some_and(|&n| n > 0) && !r.loaded.contains_key(rel) {
            r.loaded.insert(rel.to_owned(), l.clone());
        }
    }
}

/// A group of files checked together.
pub struct Unit {
    /// Indices into the candidates, in path order (a pipeline: includes first,
    /// the including file last).
    pub files: Vec<usize>,
    /// Files of other folders read as context of this folder's Terraform root
    /// (its sub-folders' tfvars, the terragrunt files that drive it).
    pub context: Vec<usize>,
}

/// Reads compose and GitLab CI files, reclassifies what they load, and groups
/// the candidates into units.
pub fn build(
    candidates: &mut [Candidate],
    env_rules: &EnvRules<'_>,
    max_size: u64,
    config_rel: &(dyn Fn(&RepoFile) -> String + Sync),
) -> (Context, Vec<Unit>) {
    let wanted: Vec<usize> = (0..candidates.len())
        .filter(|&i| matches!(candidates[i].kind(), FileKind::Compose | FileKind::GitlabCi))
        .collect();
    let read: Vec<(usize, Option<Loaded>, Option<String>)> = wanted
        .par_iter()
        .map(|&i| {
            let c = &candidates[i];
            let loaded =
                crate::isolate::run(|| load::read(&c.file, c.kind(), max_size, env_rules, &config_rel(&c.file)));
            match loaded {
                Ok(Ok(l)) => (i, Some(l), None),
                Ok(Err(load::NotLoaded::Unreadable(w))) => (i, None, Some(w)),
                // Binary, too large, or a bug: its unit meets the same problem and says so.
                Ok(Err(_)) | Err(_) => (i, None, None),
            }
        })
        .collect();
    let index: HashMap<String, usize> = candidates.iter().enumerate().map(|(i, c)| (c.file.rel.clone(), i)).collect();
    let mut cx = Context::default();
    let mut includes: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut preloaded = HashMap::new();
    for (i, loaded, warning) in read {
        cx.warnings.extend(warning);
        let Some(l) = loaded else { continue };
        let rel = candidates[i].file.rel.clone();
        if let Some(doc) = &l.doc {
            match l.kind {
                FileKind::Compose => {
                    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
                    for target in crate::formats::compose::env_files(doc) {
                        let joined = if dir.is_empty() { target.to_owned() } else { format!("{dir}/{target}") };
                        if let Some(path) = crate::repo::normalize(&joined) {
                            cx.env_file_of.entry(path).or_default().push((rel.clone(), l.env.env.clone()));
                        }
                    }
                }
                FileKind::GitlabCi => {
                    let targets = gitlab_includes(doc.root(), &index, candidates);
                    includes.insert(i, targets);
                }
                _ => {}
            }
        }
        preloaded.insert(rel, l);
    }
    // What compose loads through env_file: is dotenv, whatever its name (when
    // its own name says nothing).
    for (path, by) in &cx.env_file_of {
        if let Some(&i) = index.get(path)
            && candidates[i].class.assign_from(FileKind::Dotenv, KindSource::EnvFileOf { compose: by[0].0.clone() })
        {
            preloaded.remove(path);
        }
    }
    // What a GitLab CI file includes is GitLab CI (it may need reading now).
    let mut extra: Vec<usize> = Vec::new();
    for (&from, targets) in &includes {
        let file = candidates[from].file.rel.clone();
        for &t in targets {
            if candidates[t].class.assign_from(FileKind::GitlabCi, KindSource::IncludedBy { file: file.clone() }) {
                extra.push(t);
            }
        }
    }
    // Files newly known to be GitLab CI may include more: follow them, bounded.
    let mut seen: BTreeSet<usize> = includes.keys().copied().collect();
    let mut queue = extra;
    while let Some(i) = queue.pop() {
        if !seen.insert(i) {
            continue;
        }
        let c = &candidates[i];
        let rel = c.file.rel.clone();
        let Ok(l) = load::read(&c.file, c.kind(), max_size, env_rules, &config_rel(&c.file)) else {
            continue;
        };
        let targets = gitlab_includes(l.doc.as_ref().and_then(|d| d.root()), &index, candidates);
        for &t in &targets {
            if candidates[t].class.assign_from(FileKind::GitlabCi, KindSource::IncludedBy { file: rel.clone() }) {
                queue.push(t);
            }
        }
        includes.insert(i, targets);
        preloaded.insert(rel, l);
    }
    let tf_context = terraform_layout(candidates, env_rules, max_size, config_rel, &mut cx, &mut preloaded);
    cx.reuse = Mutex::new(Reuse { loaded: preloaded, readers: HashMap::new() });
    let mut units = units(candidates, &includes);
    for u in &mut units {
        let Some(&first) = u.files.iter().find(|&&i| candidates[i].kind() == FileKind::Terraform) else { continue };
        let dir = candidates[first].file.rel.rsplit_once('/').map_or("", |(d, _)| d);
        if let Some(list) = tf_context.get(dir) {
            u.context.clone_from(list);
        }
    }
    (cx, units)
}

/// Terraform facts across folders: which folders module blocks call, which
/// folders terragrunt files drive, and the context files of each root folder.
fn terraform_layout(
    candidates: &[Candidate],
    env_rules: &EnvRules<'_>,
    max_size: u64,
    config_rel: &(dyn Fn(&RepoFile) -> String + Sync),
    cx: &mut Context,
    preloaded: &mut HashMap<String, Loaded>,
) -> BTreeMap<String, Vec<usize>> {
    use crate::formats::terraform::layout;
    let dir = |rel: &str| rel.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
    let tf_dirs: BTreeSet<String> =
        candidates.iter().filter(|c| c.kind() == FileKind::Terraform).map(|c| dir(&c.file.rel)).collect();
    let mut context: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let index: HashMap<&str, usize> = candidates.iter().enumerate().map(|(i, c)| (c.file.rel.as_str(), i)).collect();
    // tfvars one folder below a root
    let paths: Vec<(&str, FileKind)> = candidates.iter().map(|c| (c.file.rel.as_str(), c.kind())).collect();
    for (root, path) in layout::var_file_folders(&paths) {
        if let Some(&i) = index.get(path) {
            context.entry(root).or_default().push(i);
        }
    }
    // module blocks with a local source: a line scan of each `.tf` file
    let calls: Vec<(String, String)> = candidates
        .par_iter()
        .filter(|c| c.kind() == FileKind::Terraform)
        .flat_map_iter(|c| {
            let text = load::read_text(&c.file.abs, max_size).unwrap_or_default();
            let from = dir(&c.file.rel);
            layout::module_sources(&text)
                .into_iter()
                .filter_map(|s| layout::resolve_source(&from, s))
                .filter(|target| *target != from)
                .map(|target| (target, c.file.rel.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (target, from) in calls {
        if tf_dirs.contains(&target) {
            cx.terraform.called_by.entry(target).or_default().push(from);
        }
    }
    // terragrunt files and the folder their `terraform { source }` names
    // (kept for the units that read them: their own, and the root they drive)
    let read: Vec<(usize, Loaded)> = candidates
        .par_iter()
        .enumerate()
        .filter(|(_, c)| c.kind() == FileKind::Hcl && c.file.rel.rsplit('/').next() == Some("terragrunt.hcl"))
        .filter_map(|(i, c)| {
            let loaded =
                crate::isolate::run(|| load::read(&c.file, c.kind(), max_size, env_rules, &config_rel(&c.file)));
            Some((i, loaded.ok()?.ok()?))
        })
        .collect();
    let mut drivers: Vec<(usize, String)> = Vec::new();
    for (i, l) in read {
        let target = l
            .doc
            .as_ref()
            .and_then(|d| d.roots.first())
            .and_then(layout::terragrunt_source)
            .and_then(|source| layout::resolve_source(&dir(&candidates[i].file.rel), &source));
        if let Some(target) = target {
            drivers.push((i, target));
        }
        preloaded.insert(candidates[i].file.rel.clone(), l);
    }
    for (i, target) in drivers {
        if tf_dirs.contains(&target) && target != dir(&candidates[i].file.rel) {
            cx.terraform.driven_by.entry(target.clone()).or_default().push(candidates[i].file.rel.clone());
            context.entry(target).or_default().push(i);
        }
    }
    for list in cx.terraform.called_by.values_mut().chain(cx.terraform.driven_by.values_mut()) {
        list.sort();
        list.dedup();
    }
    for list in context.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    context
}

/// The local files a GitLab CI document includes: `include:` as a string, a
/// list, or maps with `local:` (globs allowed); remote, template and project
/// includes are outside the repository.
fn gitlab_includes(root: Option<&Node>, index: &HashMap<String, usize>, candidates: &[Candidate]) -> Vec<usize> {
    let Some(include) = root.and_then(|r| r.get("include")) else { return Vec::new() };
    let items: Vec<&Node> = match include.items() {
        [] => vec![include],
        list => list.iter().collect(),
    };
    let mut out = Vec::new();
    for item in items {
        let Some(path) = item.as_str().or_else(|| item.get("local").and_then(Node::as_str)) else { continue };
        if item.as_str().is_some() && (path.starts_with("http://") || path.starts_with("https://")) {
            continue;
        }
        let path = path.trim_start_matches('/');
        if path.contains('*') {
            if let Some(re) = gitlab_wildcard(path) {
                out.extend((0..candidates.len()).filter(|&i| re.is_match(&candidates[i].file.rel)));
            }
        } else if let Some(&i) = crate::repo::normalize(path).and_then(|p| index.get(&p)) {
            out.push(i);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// An `include: local:` wildcard as GitLab expands it: everything is literal
/// but `*` (any characters but `/`), `**` (any characters) and `**/` (any
/// folders, or none). Patterns come from files in the repository: bounded.
fn gitlab_wildcard(pattern: &str) -> Option<regex::Regex> {
    if pattern.len() > 256 {
        return None;
    }
    let escaped = regex::escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*");
    regex::RegexBuilder::new(&format!("^{escaped}$")).size_limit(1 << 20).build().ok()
}

/// Pipelines (a GitLab CI file with everything it includes, transitively) and
/// one unit per folder for every other file.
fn units(candidates: &[Candidate], includes: &BTreeMap<usize, Vec<usize>>) -> Vec<Unit> {
    let included: BTreeSet<usize> = includes.values().flatten().copied().collect();
    let mut in_pipeline = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        if c.kind() != FileKind::GitlabCi || included.contains(&i) {
            continue;
        }
        // a root: it and its includes, included files first
        let mut files = Vec::new();
        let mut stack = vec![i];
        let mut seen = BTreeSet::new();
        while let Some(f) = stack.pop() {
            if seen.insert(f) {
                files.push(f);
                stack.extend(includes.get(&f).into_iter().flatten());
            }
        }
        files.reverse();
        in_pipeline.extend(files.iter().copied());
        out.push(Unit { files, context: Vec::new() });
    }
    // included files reached from no root (a cycle) are units of their own
    let orphans: Vec<usize> = included.iter().copied().filter(|i| !in_pipeline.contains(i)).collect();
    for i in orphans {
        in_pipeline.insert(i);
        out.push(Unit { files: vec![i], context: Vec::new() });
    }
    let mut by_dir: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if !in_pipeline.contains(&i) {
            let dir = c.file.rel.rsplit_once('/').map_or("", |(d, _)| d);
            by_dir.entry(dir).or_default().push(i);
        }
    }
    out.extend(by_dir.into_values().map(|files| Unit { files, context: Vec::new() }));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn gitlab_wildcards() {
        let cases: &[(&str, &str, bool)] = &[
            (".gitlab/ci/*.yml", ".gitlab/ci/build.yml", true),
            (".gitlab/ci/*.yml", ".gitlab/ci/sub/build.yml", false),
            (".gitlab/ci/**/*.yml", ".gitlab/ci/build.yml", true),
            (".gitlab/ci/**/*.yml", ".gitlab/ci/a/b/build.yml", true),
            ("configs/**.yml", "configs/a/b.yml", true),
            ("configs/*.yml", "configs/x.yaml", false),
            ("ci/[ab].yml", "ci/a.yml", false),
            ("ci/[ab].yml", "ci/[ab].yml", true),
        ];
        for &(pattern, path, want) in cases {
            let re = super::gitlab_wildcard(pattern).expect("compiles");
            assert_eq!(re.is_match(path), want, "{pattern} {path}");
        }
    }
}
