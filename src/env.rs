//! Environment inference: which environment (dev, staging, prod, ...) a file is for,
//! and why. Depends on `model` and `span` only.
//!
//! Order, first match wins (DESIGN.md): `--env` flags, config globs, the file name,
//! the nearest path segment, then what the file says about itself. Tokens are whole
//! words split on non-alphanumerics, so `product` is not `prod` but `weu-prod` is.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{Document, Node};
use crate::span::Span;

/// A canonical environment name (`prod`, `staging`, `dev`, or one from the config).
pub type Env = Arc<str>;

/// Environment names and their aliases. Lookups are case-insensitive.
#[derive(Debug, Clone)]
pub struct EnvTable {
    /// canonical name -> aliases (the name itself included), in insertion order
    names: BTreeMap<String, Vec<String>>,
}

impl Default for EnvTable {
    fn default() -> Self {
        let mut t = Self { names: BTreeMap::new() };
        t.add_aliases("dev", &["dev", "development", "develop", "local"].map(String::from));
        t.add_aliases("staging", &["staging", "stage", "stg", "preprod", "uat"].map(String::from));
        t.add_aliases("prod", &["prod", "production", "prd", "live"].map(String::from));
        t
    }
}

impl EnvTable {
    /// Declares an environment name (its own alias).
    pub fn add_env(&mut self, name: &str) {
        let list = self.names.entry(name.to_ascii_lowercase()).or_default();
        if !list.iter().any(|a| a == &name.to_ascii_lowercase()) {
            list.push(name.to_ascii_lowercase());
        }
    }

    /// Adds aliases to an environment, declaring it if new. An alias moves
    /// from any other environment that had it, so the config can re-home a word.
    pub fn add_aliases(&mut self, name: &str, aliases: &[String]) {
        self.add_env(name);
        for alias in aliases {
            let alias = alias.to_ascii_lowercase();
            for list in self.names.values_mut() {
                list.retain(|a| a != &alias);
            }
            self.add_env(name);
            if let Some(list) = self.names.get_mut(&name.to_ascii_lowercase()) {
                list.push(alias);
            }
        }
    }

    /// The canonical environment a single token names, if any.
    pub fn resolve(&self, token: &str) -> Option<Env> {
        let token = token.to_ascii_lowercase();
        self.names.iter().find(|(_, aliases)| aliases.contains(&token)).map(|(name, _)| Arc::from(name.as_str()))
    }

    /// The one environment the tokens of `text` name; `None` if none or several.
    pub fn resolve_text(&self, text: &str) -> Option<(Env, String)> {
        let mut found: Option<(Env, String)> = None;
        for token in tokens(text) {
            if let Some(env) = self.resolve(token) {
                match &found {
                    Some((e, _)) if *e != env => return None,
                    Some(_) => {}
                    None => found = Some((env, token.to_owned())),
                }
            }
        }
        found
    }

    /// Whether `name` is a known canonical environment.
    pub fn is_env(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// Canonical names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }
}

/// Whole-word tokens: maximal runs of ASCII alphanumerics.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty())
}

/// Where a file's environment came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum EnvSource {
    /// `--env GLOB=ENV`
    Flag { glob: String },
    /// `[environments]` in the config
    Config { glob: String },
    /// a token of the file name
    FileName { token: String },
    /// the nearest directory naming an environment
    PathSegment { segment: String },
    /// a Terraform/terragrunt setting in the file itself, e.g. `variable "environment"` default
    Content { setting: String, line: u32 },
    /// the tfvars files beside a Terraform root module all name one environment
    SiblingTfvars { files: Vec<String> },
    /// another file of the same Terraform module sets the environment variable default
    ModuleVariable { file: String },
    /// a compose file of a known environment loads this dotenv file through `env_file:`
    ComposeEnvFile { compose: String },
    /// CI YAML: each job is judged on its own
    CiJobs,
    /// candidates disagree, so none is chosen
    Conflicting { what: String },
    /// nothing names an environment
    Unknown,
}

impl fmt::Display for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag { glob } => write!(f, "--env {glob}"),
            Self::Config { glob } => write!(f, "config glob {glob}"),
            Self::FileName { token } => write!(f, "file name token `{token}`"),
            Self::PathSegment { segment } => write!(f, "path segment `{segment}/`"),
            Self::Content { setting, line } => write!(f, "{setting} (line {line})"),
            Self::SiblingTfvars { files } => write!(f, "sibling tfvars {}", files.join(", ")),
            Self::ModuleVariable { file } => write!(f, "module variable default in {file}"),
            Self::ComposeEnvFile { compose } => write!(f, "env_file of {compose}"),
            Self::CiJobs => f.write_str("per CI job"),
            Self::Conflicting { what } => write!(f, "{what} disagree"),
            Self::Unknown => f.write_str("no environment named"),
        }
    }
}

/// A CI job and its environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobEnv {
    pub job: String,
    #[serde(skip)]
    pub span: Span,
    pub env: Option<Env>,
    pub reason: String,
}

/// A file's environment, the reason, and for CI files, each job's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEnv {
    pub env: Option<Env>,
    #[serde(flatten)]
    pub source: EnvSource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobEnv>,
}

impl FileEnv {
    pub fn unknown() -> Self {
        Self { env: None, source: EnvSource::Unknown, jobs: Vec::new() }
    }

    fn known(env: Env, source: EnvSource) -> Self {
        Self { env: Some(env), source, jobs: Vec::new() }
    }

    /// The environment of whatever encloses `offset`: the CI job around it if
    /// there is one, else the file's.
    pub fn env_at(&self, offset: u32) -> Option<&Env> {
        self.jobs
            .iter()
            .find(|j| j.span.start <= offset && offset < j.span.end.max(j.span.start + 1))
            .and_then(|j| j.env.as_ref())
            .or(self.env.as_ref())
    }
}

/// The inputs of per-file inference.
pub struct EnvQuery<'a> {
    /// Path relative to the scan root (matched by `--env` globs).
    pub scan_path: &'a str,
    /// Path relative to the config directory (matched by config globs).
    pub config_path: &'a str,
    /// Path relative to the repository root (file name and segments come from it).
    pub repo_path: &'a str,
    pub kind: crate::discover::FileKind,
}

/// `--env GLOB=ENV` flags and config globs, resolved.
pub struct EnvRules<'a> {
    pub flags: &'a [(String, globset::GlobMatcher, Env)],
    pub config: &'a [(String, globset::GlobMatcher, String)],
    pub table: &'a EnvTable,
}

impl EnvRules<'_> {
    /// Steps 1–3: flags, config, file name, path segment. No file content needed.
    pub fn by_path(&self, q: &EnvQuery<'_>) -> Option<FileEnv> {
        if let Some((glob, _, env)) = self.flags.iter().find(|(_, m, _)| m.is_match(q.scan_path)) {
            return Some(FileEnv::known(env.clone(), EnvSource::Flag { glob: glob.clone() }));
        }
        if let Some((glob, _, env)) = self.config.iter().find(|(_, m, _)| m.is_match(q.config_path)) {
            return Some(FileEnv::known(Arc::from(env.as_str()), EnvSource::Config { glob: glob.clone() }));
        }
        let mut parts: Vec<&str> = q.repo_path.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        if let Some((env, token)) = self.table.resolve_text(name) {
            return Some(FileEnv::known(env, EnvSource::FileName { token }));
        }
        parts.iter().rev().find_map(|segment| {
            self.table
                .resolve_text(segment)
                .map(|(env, _)| FileEnv::known(env, EnvSource::PathSegment { segment: (*segment).to_owned() }))
        })
    }

    /// Everything one file decides on its own: its path first, then its content;
    /// CI files named for one environment still list their jobs, which inherit it.
    /// A `.tf` file's own `variable "environment"` default is returned apart: the
    /// module-level decision is made across files (sibling tfvars win over it).
    pub fn infer(
        &self,
        q: &EnvQuery<'_>,
        doc: Option<&Document>,
        src: &crate::source::SourceFile,
    ) -> (FileEnv, Option<FileEnv>) {
        use crate::discover::FileKind;
        let mut tf_variable_env = None;
        let env = self.by_path(q).unwrap_or_else(|| match doc {
            Some(d) if q.kind == FileKind::Terraform => {
                tf_variable_env = self.terraform_variable_env(d, src);
                FileEnv::unknown()
            }
            Some(d) => self.by_content(q.kind, d, src),
            None => FileEnv::unknown(),
        });
        let env = match doc {
            Some(d) if matches!(q.kind, FileKind::GitlabCi | FileKind::GithubWorkflow) && env.env.is_some() => {
                let mut jobs = self.by_content(q.kind, d, src).jobs;
                for j in &mut jobs {
                    if j.env.is_none() {
                        j.env.clone_from(&env.env);
                        j.reason = format!("the file's environment ({})", env.source);
                    }
                }
                FileEnv { jobs, ..env }
            }
            _ => env,
        };
        (env, tf_variable_env)
    }

    /// Step 4: what the file says about itself. For Terraform `.tf` files this
    /// is only a candidate (see [`terraform_variable_env`]); the module-level
    /// decision is made across files.
    pub fn by_content(
        &self,
        kind: crate::discover::FileKind,
        doc: &Document,
        src: &crate::source::SourceFile,
    ) -> FileEnv {
        use crate::discover::FileKind;
        let Some(root) = doc.root() else { return FileEnv::unknown() };
        match kind {
            FileKind::Tfvars => self.setting_env(root, "", src),
            FileKind::Hcl => {
                // terragrunt: inputs = { environment = ... } or locals { environment = ... }
                root.get_all("inputs")
                    .map(|n| self.setting_env(n, "inputs.", src))
                    .chain(root.get_all("locals").map(|n| self.setting_env(n, "locals.", src)))
                    .find(|e| e.env.is_some())
                    .unwrap_or_else(FileEnv::unknown)
            }
            FileKind::GitlabCi | FileKind::GithubWorkflow => {
                let jobs =
                    ci_jobs(kind, root).map(|(name, span, env_node)| self.job_env(name, span, env_node, src)).collect();
                FileEnv { env: None, source: EnvSource::CiJobs, jobs }
            }
            _ => FileEnv::unknown(),
        }
    }

    fn setting_env(&self, map: &Node, prefix: &str, src: &crate::source::SourceFile) -> FileEnv {
        for key in ENV_SETTING_KEYS {
            if let Some(entry) = map.entry(key)
                && let Some(text) = entry.value.as_str()
                && let Some((env, _)) = self.table.resolve_text(text)
            {
                let line = src.line_col(entry.key.span.start).line;
                return FileEnv::known(
                    env,
                    EnvSource::Content { setting: format!("{prefix}{key} = \"{text}\""), line },
                );
            }
        }
        FileEnv::unknown()
    }

    fn job_env(&self, name: &str, span: Span, env_node: Option<&Node>, src: &crate::source::SourceFile) -> JobEnv {
        let env_name = env_node.and_then(|n| n.as_str().or_else(|| n.get("name").and_then(Node::as_str)));
        let resolved = env_name.and_then(|text| self.table.resolve_text(text).map(|(env, _)| (env, text)));
        let line = src.line_col(span.start).line;
        match (resolved, env_name) {
            (Some((env, text)), _) => JobEnv {
                job: name.to_owned(),
                span,
                env: Some(env),
                reason: format!("environment: {text} (line {line})"),
            },
            (None, Some(text)) => JobEnv {
                job: name.to_owned(),
                span,
                env: None,
                reason: format!("environment `{text}` names no known environment"),
            },
            (None, None) => JobEnv { job: name.to_owned(), span, env: None, reason: "no environment".into() },
        }
    }

    /// A `.tf` file's `variable "environment" { default = "..." }`, if it names one env.
    pub fn terraform_variable_env(&self, doc: &Document, src: &crate::source::SourceFile) -> Option<FileEnv> {
        let root = doc.root()?;
        for vars in root.get_all("variable") {
            for key in ENV_SETTING_KEYS {
                if let Some(default_entry) = vars.get(key).and_then(|body| body.entry("default"))
                    && let Some(text) = default_entry.value.as_str()
                    && let Some((env, _)) = self.table.resolve_text(text)
                {
                    let line = src.line_col(default_entry.key.span.start).line;
                    return Some(FileEnv::known(
                        env,
                        EnvSource::Content { setting: format!("variable \"{key}\" default \"{text}\""), line },
                    ));
                }
            }
        }
        None
    }
}

const ENV_SETTING_KEYS: [&str; 4] = ["environment", "env", "stage", "environment_name"];

/// GitLab top-level keys that are not jobs.
const GITLAB_RESERVED: [&str; 10] = [
    "stages",
    "variables",
    "include",
    "default",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// The jobs of a CI file: (name, key span, `environment:` node).
pub fn ci_jobs(kind: crate::discover::FileKind, root: &Node) -> impl Iterator<Item = (&str, Span, Option<&Node>)> {
    use crate::discover::FileKind;
    let entries: &[crate::model::Entry] = match kind {
        FileKind::GithubWorkflow => root.get("jobs").map_or(&[], Node::entries),
        FileKind::GitlabCi => root.entries(),
        _ => &[],
    };
    entries
        .iter()
        .filter(move |e| {
            kind != FileKind::GitlabCi
                || (!e.key.value.starts_with('.') && !GITLAB_RESERVED.contains(&&*e.key.value) && e.value.is_map())
        })
        .map(|e| (&*e.key.value, e.key.span.cover(e.value.span), e.value.get("environment")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;

    #[test]
    fn tokens_are_whole_words() {
        let t = EnvTable::default();
        let cases: &[(&str, Option<&str>)] = &[
            ("prod", Some("prod")),
            ("product", None),
            ("weu-prod", Some("prod")),
            ("PROD-pagoPA", Some("prod")),
            ("production", Some("prod")),
            (".env.production", Some("prod")),
            ("docker-compose.prod.yml", Some("prod")),
            ("compose.staging.yaml", Some("staging")),
            ("values-prod.yaml", Some("prod")),
            ("prod.tfvars", Some("prod")),
            ("preprod", Some("staging")),
            ("live", Some("prod")),
            ("delivery", None),
            ("prod-to-staging.yml", None), // ambiguous: two environments
            ("dev.env", Some("dev")),
            ("devops", None),
            ("Private", None),
        ];
        for &(text, want) in cases {
            assert_eq!(t.resolve_text(text).map(|(e, _)| e.to_string()), want.map(str::to_owned), "{text}");
        }
    }

    #[test]
    fn aliases_can_move() {
        let mut t = EnvTable::default();
        t.add_aliases("qa", &["uat".to_owned()]);
        assert_eq!(t.resolve("uat").as_deref(), Some("qa"));
        assert_eq!(t.resolve("stage").as_deref(), Some("staging"));
    }

    fn infer(path: &str, flags: &[(&str, &str)], config: &[(&str, &str)]) -> Option<FileEnv> {
        let table = EnvTable::default();
        let flags: Vec<_> = flags
            .iter()
            .map(|(g, e)| ((*g).to_owned(), globset::Glob::new(g).expect("glob").compile_matcher(), Arc::from(*e)))
            .collect();
        let config: Vec<_> = config
            .iter()
            .map(|(g, e)| ((*g).to_owned(), globset::Glob::new(g).expect("glob").compile_matcher(), (*e).to_owned()))
            .collect();
        let rules = EnvRules { flags: &flags, config: &config, table: &table };
        rules.by_path(&EnvQuery { scan_path: path, config_path: path, repo_path: path, kind: FileKind::Other })
    }

    #[test]
    fn path_inference_order() {
        // (path, flags, config globs, expected env, expected reason)
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)], Option<&'a str>, &'a str);
        let cases: &[Case] = &[
            ("environments/prod/main.tf", &[], &[], Some("prod"), "path segment `prod/`"),
            ("live/production/app/.env", &[], &[], Some("prod"), "path segment `production/`"),
            ("terraform/stage/main.tf", &[], &[], Some("staging"), "path segment `stage/`"),
            ("prod/.env.staging", &[], &[], Some("staging"), "file name token `staging`"),
            ("envs/prod/x/dev/main.tf", &[], &[], Some("dev"), "path segment `dev/`"),
            ("product/main.tf", &[], &[], None, ""),
            ("app/.env", &[], &[], None, ""),
            ("prod/.env", &[("**/.env", "dev")], &[], Some("dev"), "--env **/.env"),
            ("deploy/x.yml", &[], &[("deploy/**", "prod")], Some("prod"), "config glob deploy/**"),
            ("dev/x.yml", &[("dev/**", "staging")], &[("dev/**", "prod")], Some("staging"), "--env dev/**"),
        ];
        for &(path, flags, config, want, reason) in cases {
            let got = infer(path, flags, config);
            assert_eq!(got.as_ref().and_then(|f| f.env.as_deref()), want, "{path}");
            if let Some(f) = got {
                assert_eq!(f.source.to_string(), reason, "{path}");
            }
        }
    }
}
