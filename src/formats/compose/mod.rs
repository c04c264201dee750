//! Docker Compose as `docker compose` reads it: projects (a base file with its
//! override files), services (merged across those files, with `extends:`
//! applied), their `env_file:` files and their profiles.
//!
//! Which files make a project, among the compose files of one folder:
//! - `compose.yaml` / `compose.yml` / `docker-compose.yaml` / `docker-compose.yml`
//!   is a base; `<base name>.override.<ext>` is loaded with it by default, so
//!   the base and its override are one project;
//! - every other `<base name>.<word>.<ext>` (`docker-compose.prod.yml`,
//!   `compose.production.yaml`) is an override applied on the base with
//!   `docker compose -f base -f override`: one project per such file, with the
//!   override's environment;
//! - any other compose file is a project of its own.
//!
//! Top-level `include:` adds the services of the files it names, and
//! `extends: {file: ...}` reads another file, when those files are in the same
//! folder (the unit envlint checks); other folders are not followed.

pub mod merge;
pub mod syntax;

use crate::model::{Document, Node, Value};
use crate::rule::{FileRef, Loc, UnitFile};

use crate::discover::FileKind;
use crate::formats::located::Located;

/// Every `env_file:` path of every service (string, list of strings, or list of
/// `{path: ...}` maps), as written, in source order.
pub fn env_files(doc: &Document) -> Vec<&str> {
    let mut out = Vec::new();
    for root in &doc.roots {
        for svc in root.get("services").map_or(&[][..], Node::entries) {
            let Some(env_file) = svc.value.get("env_file") else { continue };
            let items: Vec<&Node> = match &env_file.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![env_file],
            };
            for item in items {
                if let Some(p) = item.as_str().or_else(|| item.get("path").and_then(Node::as_str)) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// A compose project: the files `docker compose` merges, in order.
#[derive(Clone, Debug)]
pub struct Project {
    /// The base first, then the override (when there is one).
    pub files: Vec<FileRef>,
}

impl Project {
    /// The file that gives the project its environment: the override's, else the base's.
    pub fn env_file(&self, files: &[UnitFile]) -> FileRef {
        let last = *self.files.last().unwrap_or(&0);
        let first = *self.files.first().unwrap_or(&0);
        if files.get(last as usize).is_some_and(|f| f.env.env.is_some()) { last } else { first }
    }

    /// The override file applied on a base, if any.
    pub fn override_file(&self) -> Option<FileRef> {
        (self.files.len() > 1).then(|| self.files[self.files.len() - 1])
    }
}

/// A service of a project, merged.
#[derive(Clone, Debug)]
pub struct Service<'a> {
    pub name: &'a str,
    /// Its key in the last file of the project that defines it.
    pub key: Loc,
    /// Its map as written there.
    pub node: &'a Node,
    /// Its configuration: the project's files merged, `extends:` applied.
    pub config: Located<'a>,
}

impl Service<'_> {
    /// `profiles:` names.
    pub fn profiles(&self) -> Vec<&str> {
        self.config.get("profiles").map(|p| p.strings()).unwrap_or_default()
    }

    /// The service's `env_file:` files as (the file that names it, path as written).
    pub fn env_file_paths(&self) -> Vec<(FileRef, String)> {
        let Some(env_file) = self.config.get("env_file") else { return Vec::new() };
        let items = if env_file.is_seq() { env_file.items() } else { vec![env_file] };
        items
            .iter()
            .filter_map(|i| {
                let p = i.as_str().or_else(|| i.get("path").and_then(|p| p.as_str()))?;
                Some((i.file, p.to_owned()))
            })
            .collect()
    }
}

/// The name of a compose file split as `(stem, middle, ext)`: `docker-compose.prod.yml`
/// is `("docker-compose", Some("prod"), "yml")`; `None` for other names.
fn split_name(name: &str) -> Option<(&'static str, Option<&str>, &str)> {
    let lower_ok = |s: &str, p: &str| s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p);
    let stem = ["docker-compose", "compose"].into_iter().find(|s| lower_ok(name, s))?;
    let rest = name[stem.len()..].strip_prefix('.')?;
    let (middle, ext) = match rest.rsplit_once('.') {
        Some((m, e)) => (Some(m), e),
        None => (None, rest),
    };
    if !(ext.eq_ignore_ascii_case("yml") || ext.eq_ignore_ascii_case("yaml")) || middle == Some("") {
        return None;
    }
    Some((stem, middle, ext))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The projects of a unit's compose files.
pub fn projects(files: &[UnitFile]) -> Vec<Project> {
    let compose: Vec<FileRef> = (0..files.len())
        .filter(|&i| files[i].kind == FileKind::Compose && files[i].doc.is_some())
        .map(|i| i as FileRef)
        .collect();
    let name = |i: FileRef| file_name(&files[i as usize].source.path);
    let dir = |i: FileRef| dir_of(&files[i as usize].source.path);
    // bases by (folder, stem), in docker's order of preference
    let base_of = |i: FileRef, stem: &str| -> Option<FileRef> {
        let mut bases: Vec<FileRef> = compose
            .iter()
            .copied()
            .filter(|&b| b != i && dir(b) == dir(i))
            .filter(|&b| split_name(name(b)).is_some_and(|(s, m, _)| s == stem && m.is_none()))
            .collect();
        bases.sort_by_key(|&b| (!name(b).to_ascii_lowercase().ends_with(".yaml"), name(b).to_owned()));
        bases.first().copied()
    };
    let mut out = Vec::new();
    let mut used_as_override = Vec::new();
    let mut with_default_override = Vec::new();
    for &i in &compose {
        let Some((stem, Some(middle), _)) = split_name(name(i)) else { continue };
        let Some(base) = base_of(i, stem) else { continue };
        used_as_override.push(i);
        if middle.eq_ignore_ascii_case("override") {
            with_default_override.push(base);
        }
        out.push(Project { files: vec![base, i] });
    }
    for &i in &compose {
        if !used_as_override.contains(&i) && !with_default_override.contains(&i) {
            out.push(Project { files: vec![i] });
        }
    }
    out.sort_by_key(|p| p.files.clone());
    out
}

/// The services of a project, merged across its files, with `extends:` and
/// same-folder `include:` applied, in order of first appearance.
pub fn services<'a>(files: &'a [UnitFile], project: &Project) -> Vec<Service<'a>> {
    let mut out: Vec<Service<'a>> = Vec::new();
    let mut list: Vec<FileRef> = Vec::new();
    for &f in &project.files {
        // included files first (their services are the project's), then the file
        for inc in includes(files, f) {
            if !list.contains(&inc) {
                list.push(inc);
            }
        }
        list.push(f);
    }
    for f in list {
        let Some(root) = files[f as usize].doc.as_ref().and_then(|d| d.root()) else { continue };
        for svc in root.get("services").map_or(&[][..], Node::entries) {
            if !svc.value.is_map() {
                continue;
            }
            let name = &*svc.key.value;
            let own = extended(files, f, name, &Located::new(f, &svc.value), 0);
            let key = Loc { file: f, span: svc.key.span };
            match out.iter_mut().find(|s| s.name == name) {
                Some(s) => {
                    s.config = merge::merge_service(&s.config, &own);
                    s.key = key;
                    s.node = &svc.value;
                }
                None => out.push(Service { name, key, node: &svc.value, config: own }),
            }
        }
    }
    out
}

/// The files of the unit a compose file includes (`include:` as strings, or
/// maps with `path:` as a string or a list).
fn includes(files: &[UnitFile], f: FileRef) -> Vec<FileRef> {
    let Some(root) = files[f as usize].doc.as_ref().and_then(|d| d.root()) else { return Vec::new() };
    let Some(include) = root.get("include") else { return Vec::new() };
    let mut out = Vec::new();
    for item in include.items() {
        let paths: Vec<&str> = match item.as_str() {
            Some(p) => vec![p],
            None => match item.get("path") {
                Some(p) => p.as_str().map_or_else(|| p.items().iter().filter_map(Node::as_str).collect(), |s| vec![s]),
                None => Vec::new(),
            },
        };
        for p in paths {
            if let Some(t) = find_relative(files, f, p)
                && files[t as usize].kind == FileKind::Compose
                && t != f
            {
                out.push(t);
            }
        }
    }
    out
}

/// A file of the unit at `path` relative to file `from`'s folder.
pub fn find_relative(files: &[UnitFile], from: FileRef, path: &str) -> Option<FileRef> {
    let dir = dir_of(&files[from as usize].source.path);
    let joined = if dir.is_empty() || path.starts_with('/') { path.to_owned() } else { format!("{dir}/{path}") };
    let want = crate::repo::normalize(&joined)?;
    files.iter().position(|u| *u.source.path == *want).map(|i| i as FileRef)
}

/// A service's own configuration with what it `extends:` merged under it.
fn extended<'a>(files: &'a [UnitFile], f: FileRef, name: &str, own: &Located<'a>, depth: usize) -> Located<'a> {
    let Some(ext) = own.get("extends") else { return own.clone() };
    if depth > 8 {
        return own.clone();
    }
    let (service, file) = match ext.as_str() {
        Some(s) => (Some(s), None),
        None => (ext.get("service").and_then(|s| s.as_str()), ext.get("file").and_then(|s| s.as_str())),
    };
    let Some(service) = service else { return own.clone() };
    let target = match file {
        Some(path) => match find_relative(files, f, path) {
            Some(t) => t,
            None => return own.clone(),
        },
        None => f,
    };
    if target == f && service == name && depth == 0 {
        return own.clone();
    }
    let Some(base_node) =
        files[target as usize].doc.as_ref().and_then(|d| d.root()).and_then(|r| r.path(&["services", service]))
    else {
        return own.clone();
    };
    let base = extended(files, target, service, &Located::new(target, base_node), depth + 1);
    merge::merge_service(&base, own)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_forms() {
        let text = "services:\n  a:\n    env_file: .env.prod\n  b:\n    env_file:\n      - ./common.env\n      - path: ../shared/.env\n        required: false\n  c:\n    image: x\n";
        let doc = crate::parse::yaml::parse(text).expect("parse");
        assert_eq!(env_files(&doc), [".env.prod", "./common.env", "../shared/.env"]);
    }

    fn unit(files: &[(&str, &str)]) -> Vec<UnitFile> {
        files
            .iter()
            .map(|(path, text)| UnitFile {
                source: std::sync::Arc::new(crate::source::SourceFile::new(*path, *text)),
                kind: if path.contains("compose") { FileKind::Compose } else { FileKind::Dotenv },
                doc: crate::engine::parse_kind(
                    if path.contains("compose") { FileKind::Compose } else { FileKind::Dotenv },
                    path,
                    text,
                )
                .and_then(Result::ok),
                parse_error: None,
                env: crate::env::FileEnv::unknown(),
                config_rel: (*path).to_owned(),
                reported: true,
                secrets: Vec::new(),
                context: false,
            })
            .collect()
    }

    #[test]
    fn projects_pair_bases_and_overrides() {
        let files = unit(&[
            ("app/docker-compose.yml", "services: {}\n"),
            ("app/docker-compose.override.yml", "services: {}\n"),
            ("app/docker-compose.prod.yml", "services: {}\n"),
            ("app/compose.yaml", "services: {}\n"),
            ("app/compose.production.yaml", "services: {}\n"),
            ("app/docker-compose-dev.yml", "services: {}\n"),
            ("app/other/docker-compose.staging.yml", "services: {}\n"),
        ]);
        let got: Vec<Vec<&str>> = projects(&files)
            .iter()
            .map(|p| p.files.iter().map(|&f| &*files[f as usize].source.path).collect())
            .collect();
        assert_eq!(
            got,
            [
                vec!["app/docker-compose.yml", "app/docker-compose.override.yml"],
                vec!["app/docker-compose.yml", "app/docker-compose.prod.yml"],
                vec!["app/compose.yaml"],
                vec!["app/compose.yaml", "app/compose.production.yaml"],
                vec!["app/docker-compose-dev.yml"],
                vec!["app/other/docker-compose.staging.yml"],
            ]
        );
    }

    #[test]
    fn services_merge_extend_and_include() {
        let files = unit(&[
            (
                "docker-compose.yml",
                "include:\n  - db.compose.yml\nservices:\n  base:\n    image: app:latest\n    volumes: [\".:/app\"]\n  api:\n    extends: base\n    environment: {A: '1'}\n  worker:\n    extends: {file: common.compose.yml, service: common}\n",
            ),
            ("docker-compose.prod.yml", "services:\n  api:\n    restart: always\n    volumes: [\"logs:/logs\"]\n"),
            ("common.compose.yml", "services:\n  common:\n    image: worker:1.0\n"),
            ("db.compose.yml", "services:\n  db:\n    image: postgres\n"),
        ]);
        let p = Project { files: vec![0, 1] };
        let got: Vec<(String, String)> = services(&files, &p)
            .iter()
            .map(|s| {
                let image = s
                    .config
                    .get("image")
                    .map(|i| format!("{}@{}", i.as_str().unwrap_or("?"), files[i.file as usize].source.path));
                let vols = s.config.get("volumes").map_or(0, |v| v.items().len());
                (format!("{}@{}", s.name, files[s.key.file as usize].source.path), format!("{image:?} {vols}"))
            })
            .collect();
        let r = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            got,
            [
                r("db@db.compose.yml", "Some(\"postgres@db.compose.yml\") 0"),
                r("base@docker-compose.yml", "Some(\"app:latest@docker-compose.yml\") 1"),
                r("api@docker-compose.prod.yml", "Some(\"app:latest@docker-compose.yml\") 2"),
                r("worker@docker-compose.yml", "Some(\"worker:1.0@common.compose.yml\") 0"),
            ]
        );
    }
}
