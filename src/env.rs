//! Environment inference: which environment (dev, staging, prod, ...) a file is for,
//! and why. Depends on `model` and `span` only.
//!
//! Order, first match wins (DESIGN.md): `--env` flags, config globs, the file name,
//! the nearest path segment, then what the file says about itself. Tokens are whole
//! words split on non-alphanumerics, so `product` is not `prod` but `weu-prod` is.
//!
//! A wrong environment is worse than none, so names are read with a few rules
//! ([`EnvTable::read_name`], README "Environment inference"): negations and
//! likenesses (`non-prod`, `prod-like`) name none and stop the search upward;
//! `pre-prod` is staging; an environment word that qualifies the next word
//! (`dev-tools`) names none; words with other meanings (`test`, `live`, `local`,
//! ...) count only on their own, in names that hold environments by convention;
//! documentation is for no environment; only names at or below the repository
//! root count. Config aliases of several words (`non-prod`) match as a unit first,
//! so the config can override every rule.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::model::{Document, Node};
use crate::span::Span;

/// A canonical environment name (`prod`, `staging`, `dev`, or one from the config).
pub type Env = Arc<str>;

/// Environment names and their aliases. Lookups are case-insensitive; an alias
/// of several words (`pre-prod`) is stored with its words joined by `-` and
/// matches those words in sequence, whatever separates them (`pre_prod`).
#[derive(Debug, Clone)]
pub struct EnvTable {
    /// canonical name -> aliases (the name itself included), in insertion order
    names: BTreeMap<String, Vec<String>>,
}

impl Default for EnvTable {
    fn default() -> Self {
        let mut t = Self { names: BTreeMap::new() };
        let table: [(&str, &[&str]); 5] = [
            ("dev", &["dev", "development", "develop", "local"]),
            ("test", &["test", "testing", "qa"]),
            ("sandbox", &["sandbox"]),
            ("staging", &["staging", "stage", "stg", "preprod", "pre-prod", "preproduction", "uat"]),
            ("prod", &["prod", "production", "prd", "live"]),
        ];
        for (name, aliases) in table {
            let aliases: Vec<String> = aliases.iter().map(|a| (*a).to_owned()).collect();
            t.add_aliases(name, &aliases);
        }
        t
    }
}

impl EnvTable {
    /// Declares an environment name. A declared name always names itself, so
    /// it leaves any other environment that had it as an alias (declaring `qa`
    /// takes `qa` away from `test`).
    pub fn add_env(&mut self, name: &str) {
        let name = normalize_alias(name);
        for (env, list) in &mut self.names {
            if *env != name {
                list.retain(|a| *a != name);
            }
        }
        let list = self.names.entry(name.clone()).or_default();
        if !list.contains(&name) {
            list.push(name);
        }
    }

    /// Adds aliases to an environment, declaring it if new. An alias moves
    /// from any other environment that had it, so the config can re-home a word.
    pub fn add_aliases(&mut self, name: &str, aliases: &[String]) {
        self.add_env(name);
        let name = normalize_alias(name);
        for alias in aliases {
            let alias = normalize_alias(alias);
            for list in self.names.values_mut() {
                list.retain(|a| *a != alias);
            }
            if let Some(list) = self.names.get_mut(&name) {
                list.push(alias);
            }
        }
    }

    /// The canonical environment one alias names (`production`, `pre-prod`).
    /// This looks up an alias; it does not read a name: see
    /// [`EnvTable::resolve_text`] and [`EnvTable::read_name`].
    pub fn resolve(&self, alias: &str) -> Option<Env> {
        self.lookup(&normalize_alias(alias))
    }

    fn lookup(&self, normalized: &str) -> Option<Env> {
        self.names
            .iter()
            .find(|(_, aliases)| aliases.iter().any(|a| a == normalized))
            .map(|(name, _)| Arc::from(name.as_str()))
    }

    /// The environment a value names where the setting says it holds an
    /// environment (`environment: production`, `env = "weu-prod"`, a CI job's
    /// environment): every word counts, so `PROD-pagoPA` is prod. `None` when it
    /// names none or two, or when the word is negated or qualified (`non-prod`,
    /// `prod-like`); `pre-prod` and its like are staging. Returns the environment
    /// and the words that named it.
    pub fn resolve_text(&self, text: &str) -> Option<(Env, String)> {
        match self.read_name(text, Reading::Value) {
            Named::Env(env, words) => Some((env, words)),
            _ => None,
        }
    }

    /// Whether `name` is a known canonical environment.
    pub fn is_env(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// Canonical names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    /// The longest alias at the start of `words`.
    fn match_alias(&self, words: &[String]) -> Option<(usize, Env)> {
        (1..=words.len().min(MAX_ALIAS_WORDS)).rev().find_map(|n| self.lookup(&words[..n].join("-")).map(|e| (n, e)))
    }

    /// One word that fuses a negation, a likeness or `pre` with an alias:
    /// `nonprod`, `notprod`, `prodlike`, `prelive`. `word` is lowercase; `shown`
    /// as written.
    fn fused(&self, word: &str, shown: &str) -> Option<(Env, Fate)> {
        for neg in NEGATORS {
            if let Some(rest) = word.strip_prefix(neg)
                && let Some(env) = self.lookup(rest)
            {
                return Some((env, Fate::Negated(format!("`{shown}` negates `{rest}`"))));
            }
        }
        for like in LIKENESS_AFTER {
            if let Some(rest) = word.strip_suffix(like)
                && let Some(env) = self.lookup(rest)
            {
                return Some((env, Fate::Negated(format!("`{shown}` is a likeness of `{rest}`, not `{rest}`"))));
            }
        }
        word.strip_prefix(PRE).and_then(|rest| self.lookup(rest)).map(|env| (env, Fate::Pre))
    }

    /// Reads a name or a value: which environment it names, or why none.
    pub fn read_name(&self, text: &str, reading: Reading) -> Named {
        let words: Vec<&str> = tokens(text).collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let mut found = self.occurrences(&words, &lower);
        if found.is_empty() {
            return Named::Nothing;
        }
        // `local` right after another environment word is the local-override
        // marker of dotenv tools (`.env.production.local`), not the dev environment.
        for k in 1..found.len() {
            if found[k].start == found[k - 1].end && lower[found[k].start] == "local" {
                found[k].fate = Fate::Marker;
            }
        }
        let counting: Vec<&Occurrence> = found.iter().filter(|o| matches!(o.fate, Fate::Counts)).collect();
        let Some(first) = counting.first() else {
            let why = found.iter().find_map(|o| match &o.fate {
                Fate::Negated(why) => Some(why.clone()),
                _ => None,
            });
            return Named::Negated(why.unwrap_or_default());
        };
        if let Some(other) = counting.iter().find(|o| o.env != first.env) {
            return Named::Conflict(format!("it names two environments, `{}` and `{}`", first.words, other.words));
        }
        if reading == Reading::Value {
            return Named::Env(first.env.clone(), first.words.clone());
        }
        // A name: the environment word must not qualify the word after it, and
        // a word with another common meaning must stand alone.
        let covered = |i: usize| found.iter().any(|o| o.start <= i && i < o.end);
        let mut why_not = None;
        for o in &counting {
            let ambiguous = o.end - o.start == 1 && AMBIGUOUS.contains(&lower[o.start].as_str());
            let next = (o.end < lower.len() && !covered(o.end) && !is_neutral(&lower[o.end])).then_some(o.end);
            let other = (0..lower.len()).find(|&i| !covered(i) && !is_neutral(&lower[i]));
            let why = if let Some(next) = next {
                format!("`{}` qualifies `{}`", o.words, words[next])
            } else if ambiguous && reading == Reading::OtherName {
                format!("`{}` has other meanings and is not read as an environment for this kind of file", o.words)
            } else if let Some(other) = other.filter(|_| ambiguous) {
                format!(
                    "`{}` has other meanings and names an environment only on its own, not with `{}`",
                    o.words, words[other]
                )
            } else {
                return Named::Env(o.env.clone(), o.words.clone());
            };
            why_not.get_or_insert(why);
        }
        Named::NotNamed(why_not.unwrap_or_default())
    }

    /// Every environment word of a name, with what the words around it make of it.
    fn occurrences(&self, words: &[&str], lower: &[String]) -> Vec<Occurrence> {
        let mut found: Vec<Occurrence> = Vec::new();
        let mut i = 0;
        while i < lower.len() {
            if let Some((n, env)) = self.match_alias(&lower[i..]) {
                let before = i.checked_sub(1).map(|b| lower[b].as_str());
                let after = lower.get(i + n).map(String::as_str);
                let w = words[i..i + n].join("-");
                let mut o = Occurrence { start: i, end: i + n, env, words: w.clone(), fate: Fate::Counts };
                if let Some(neg) = before.filter(|b| NEGATORS.contains(b)) {
                    o.fate = Fate::Negated(format!("`{neg}` negates `{w}`"));
                } else if let Some(q) = before.filter(|b| LIKENESS_BEFORE.contains(b)) {
                    o.fate = Fate::Negated(format!("`{q}` says it is not really `{w}`"));
                } else if let Some(like) = after.filter(|a| LIKENESS_AFTER.contains(a)) {
                    o.fate = Fate::Negated(format!("`{w}-{like}` is a likeness of `{w}`, not `{w}`"));
                } else if before == Some(PRE) {
                    o.start -= 1;
                    o.words = format!("{}-{w}", words[i - 1]);
                    o.fate = Fate::Pre;
                }
                found.push(o);
                i += n;
                continue;
            }
            if let Some((env, fate)) = self.fused(&lower[i], words[i]) {
                found.push(Occurrence { start: i, end: i + 1, env, words: words[i].to_owned(), fate });
            }
            i += 1;
        }
        for o in &mut found {
            if matches!(o.fate, Fate::Pre) {
                o.fate = if &*o.env == "prod" && self.is_env("staging") {
                    o.env = Arc::from("staging");
                    Fate::Counts
                } else {
                    Fate::Negated(format!("`pre` qualifies `{}`", o.words))
                };
            }
        }
        found
    }
}

/// How a name is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// The value of a setting that holds an environment (`environment:`): every
    /// word counts unless it is negated or qualified.
    Value,
    /// A name that holds the environment by convention: the file name of a
    /// dotenv, tfvars or compose file, or a folder above one of those or a
    /// Terraform or HCL file. An environment word counts unless it qualifies
    /// the word after it (`dev-tools`); a word with other meanings (`test`,
    /// `qa`, `stage`, `live`, `local`, `sandbox`, `develop`) only on its own
    /// (`test/`, `.env.test`).
    Name,
    /// Any other name (source code, CI files, docs, the file name of a `.tf`
    /// file): as [`Reading::Name`], but words with other meanings never count
    /// (`test.go`, `.github/workflows/test.yml`, `qa.gitlab-ci.yml`, `local.tf`,
    /// `testing/app.js`).
    OtherName,
}

/// What a name says about the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// It names this environment (with the words that did).
    Env(Env, String),
    /// Its environment word is negated or qualified (`non-prod`, `prod-like`): the
    /// name says what the environment is *not*, so no name above it may decide.
    Negated(String),
    /// It has an environment word that names no environment here (`dev-tools`, `test.go`).
    NotNamed(String),
    /// It names two environments.
    Conflict(String),
    /// It has no environment word.
    Nothing,
}

/// Longest alias, in words.
const MAX_ALIAS_WORDS: usize = 3;
/// Words that negate the environment word after them: `non-prod`, `not_prod`, `no-prod`, `nonprod`.
const NEGATORS: [&str; 3] = ["non", "not", "no"];
/// Words before an environment word that make it a likeness: `pseudo-prod`, `mock-prod`, `post-prod`.
const LIKENESS_BEFORE: [&str; 6] = ["pseudo", "quasi", "semi", "mock", "fake", "post"];
/// Words after one that do: `prod-like`, `prodlike`, `prod-ish`.
const LIKENESS_AFTER: [&str; 2] = ["like", "ish"];
/// `pre-prod`, `pre-production`, `pre-live`, `preprd`: the stage before prod is staging.
const PRE: &str = "pre";
/// Environment words with a common other meaning: a test (`cluster_access_test.yml`,
/// `App.test.js`, test code in `test/`), quality checks (`qa.gitlab-ci.yml`), a
/// build stage, a live reload, a local variable, a code sandbox, the verb. In a
/// name they count only on their own, and only where names hold environments by
/// convention ([`Reading::Name`]).
const AMBIGUOUS: [&str; 8] = ["test", "testing", "qa", "stage", "live", "local", "sandbox", "develop"];

/// Whether an environment word has a common other meaning (`test`, `qa`, `live`,
/// `local`, `sandbox`, ...): rules that read names in values (hosts, buckets)
/// do not count it.
pub fn is_ambiguous(word: &str) -> bool {
    AMBIGUOUS.contains(&word.to_ascii_lowercase().as_str())
}
/// Words that may follow an environment word in a name without it qualifying
/// them: the environment itself and its settings, template markers, the file
/// formats and tools envlint reads, and cloud region words (`prod-eu-west-1`).
/// A number is neutral too (`prod-2`).
const NEUTRAL: [&str; 52] = [
    "env",
    "envs",
    "environment",
    "environments",
    "config",
    "configs",
    "configuration",
    "settings",
    "vars",
    "variables",
    "values",
    "params",
    "parameters",
    "override",
    "overrides",
    "auto",
    "example",
    "sample",
    "template",
    "tpl",
    "dist",
    "default",
    "defaults",
    "yml",
    "yaml",
    "json",
    "tf",
    "tfvars",
    "hcl",
    "docker",
    "compose",
    "gitlab",
    "ci",
    "terraform",
    "terragrunt",
    "us",
    "eu",
    "ap",
    "sa",
    "ca",
    "me",
    "af",
    "uk",
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
];

fn is_neutral(word: &str) -> bool {
    NEUTRAL.contains(&word) || word.bytes().all(|b| b.is_ascii_digit())
}

fn normalize_alias(alias: &str) -> String {
    tokens(alias).map(str::to_ascii_lowercase).collect::<Vec<_>>().join("-")
}

/// An environment word found in a name.
#[derive(Debug)]
struct Occurrence {
    /// word range in the name (a separate `pre` included)
    start: usize,
    end: usize,
    env: Env,
    /// as written, joined by `-`
    words: String,
    fate: Fate,
}

#[derive(Debug)]
enum Fate {
    Counts,
    /// `pre` + the word: staging if the word is prod, else qualified
    Pre,
    Negated(String),
    /// `local` after another environment word: a marker, not an environment
    Marker,
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
    /// the nearest name with an environment word names none: `non-prod/` (negated:
    /// nothing above it decides), `dev-tools/`, `test.go`
    NotNamed { name: String, why: String },
    /// documentation is about environments, not for one
    Documentation,
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
            Self::NotNamed { name, why } => write!(f, "`{name}` names no environment: {why}"),
            Self::Documentation => f.write_str("documentation is not for one environment"),
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

/// What the path says.
enum PathEnv {
    Found(FileEnv),
    /// No environment, and why (shown when the content names none either).
    NotNamed(EnvSource),
    Nothing,
}

/// The directories and the file name of a repository-relative path. Only names
/// at or below the repository root count: a path that is absolute or leaves
/// the root through `..` (a file outside the repository) gives its file name only.
fn repo_parts(path: &str) -> (Vec<&str>, &str) {
    let absolute = path.starts_with(['/', '\\']) || path.as_bytes().get(1) == Some(&b':');
    let mut parts: Vec<&str> = Vec::new();
    let mut outside = absolute;
    for part in path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            outside |= parts.pop().is_none();
        } else {
            parts.push(part);
        }
    }
    let name = parts.pop().unwrap_or_default();
    if outside {
        parts.clear();
    }
    (parts, name)
}

/// The part of a file name that can name an environment: all of a dotenv name
/// (`.env.production`, `prod.env`), else the name without its last extension
/// (`docker-compose.prod`, `prod.tfvars`, `abstract_test`).
fn name_text(name: &str, kind: crate::discover::FileKind) -> &str {
    match name.rfind('.') {
        Some(dot) if dot > 0 && kind != crate::discover::FileKind::Dotenv => &name[..dot],
        _ => name,
    }
}

/// Documentation is about environments, never for one: `docs/development/setup.md`.
fn is_documentation(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc"].iter().any(|ext| lower.ends_with(ext))
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
        match self.path_env(q) {
            PathEnv::Found(env) => Some(env),
            PathEnv::NotNamed(_) | PathEnv::Nothing => None,
        }
    }

    fn path_env(&self, q: &EnvQuery<'_>) -> PathEnv {
        use crate::discover::FileKind;
        if let Some((glob, _, env)) = self.flags.iter().find(|(_, m, _)| m.is_match(q.scan_path)) {
            return PathEnv::Found(FileEnv::known(env.clone(), EnvSource::Flag { glob: glob.clone() }));
        }
        if let Some((glob, _, env)) = self.config.iter().find(|(_, m, _)| m.is_match(q.config_path)) {
            return PathEnv::Found(FileEnv::known(Arc::from(env.as_str()), EnvSource::Config { glob: glob.clone() }));
        }
        let (dirs, name) = repo_parts(q.repo_path);
        if q.kind == FileKind::Other && is_documentation(name) {
            return PathEnv::NotNamed(EnvSource::Documentation);
        }
        // Names that hold the environment by convention read words with other
        // meanings (`test`, `live`) as environments; names of code, CI files and
        // docs do not (see `Reading`).
        let file_reading = match q.kind {
            FileKind::Dotenv | FileKind::Tfvars | FileKind::Compose => Reading::Name,
            _ => Reading::OtherName,
        };
        let dir_reading = match q.kind {
            FileKind::Dotenv | FileKind::Tfvars | FileKind::Compose | FileKind::Terraform | FileKind::Hcl => {
                Reading::Name
            }
            _ => Reading::OtherName,
        };
        let mut why_none = None;
        let names = std::iter::once((name_text(name, q.kind), file_reading, name.to_owned()))
            .chain(dirs.iter().rev().map(|d| (*d, dir_reading, format!("{d}/"))));
        for (i, (text, reading, shown)) in names.enumerate() {
            match self.table.read_name(text, reading) {
                Named::Env(env, words) => {
                    let source = if i == 0 {
                        EnvSource::FileName { token: words }
                    } else {
                        EnvSource::PathSegment { segment: text.to_owned() }
                    };
                    return PathEnv::Found(FileEnv::known(env, source));
                }
                Named::Negated(why) => return PathEnv::NotNamed(EnvSource::NotNamed { name: shown, why }),
                Named::NotNamed(why) | Named::Conflict(why) => {
                    why_none.get_or_insert(EnvSource::NotNamed { name: shown, why });
                }
                Named::Nothing => {}
            }
        }
        why_none.map_or(PathEnv::Nothing, PathEnv::NotNamed)
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
        let env = match self.path_env(q) {
            PathEnv::Found(env) => env,
            path => {
                let mut env = match doc {
                    Some(d) if q.kind == FileKind::Terraform => {
                        tf_variable_env = self.terraform_variable_env(d, src);
                        FileEnv::unknown()
                    }
                    Some(d) => self.by_content(q.kind, d, src),
                    None => FileEnv::unknown(),
                };
                if let (EnvSource::Unknown, PathEnv::NotNamed(why)) = (&env.source, path) {
                    env.source = why;
                }
                env
            }
        };
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
                let jobs = ci_job_list(kind, root).map(|job| self.job_env(&job, src)).collect();
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

    fn job_env(&self, job: &CiJob<'_>, src: &crate::source::SourceFile) -> JobEnv {
        let env_name = job.env_node.and_then(|n| n.as_str().or_else(|| n.get("name").and_then(Node::as_str)));
        let resolved = env_name.and_then(|text| self.table.resolve_text(text).map(|(env, _)| (env, text)));
        let line = match (job.with_key, job.env_node) {
            (Some(_), Some(node)) => src.line_col(node.span.start).line,
            _ => src.line_col(job.span.start).line,
        };
        let setting = match job.with_key {
            Some(key) => format!("with: {key}:"),
            None => "environment:".to_owned(),
        };
        let (env, reason) = match (resolved, env_name) {
            (Some((env, text)), _) => (Some(env), format!("{setting} {text} (line {line})")),
            (None, Some(text)) => (None, format!("environment `{text}` names no known environment")),
            (None, None) => (None, "no environment".to_owned()),
        };
        JobEnv { job: job.name.to_owned(), span: job.span, env, reason }
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

/// The jobs of a CI file: (name, key span, the node naming its environment).
/// That node is the job's `environment:`, or for a GitHub job that calls a
/// reusable workflow, the `environment` (or `env`, `stage`, `environment_name`)
/// input it passes under `with:`.
pub fn ci_jobs(kind: crate::discover::FileKind, root: &Node) -> impl Iterator<Item = (&str, Span, Option<&Node>)> {
    ci_job_list(kind, root).map(|j| (j.name, j.span, j.env_node))
}

/// A CI job, for environment inference.
struct CiJob<'a> {
    name: &'a str,
    /// the job's key and body
    span: Span,
    env_node: Option<&'a Node>,
    /// the `with:` input the environment came from (a reusable workflow call)
    with_key: Option<&'static str>,
}

fn ci_job_list(kind: crate::discover::FileKind, root: &Node) -> impl Iterator<Item = CiJob<'_>> {
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
        .map(move |e| {
            let mut job = CiJob {
                name: &e.key.value,
                span: e.key.span.cover(e.value.span),
                env_node: e.value.get("environment"),
                with_key: None,
            };
            if kind == FileKind::GithubWorkflow
                && job.env_node.is_none()
                && e.value.get("uses").is_some()
                && let Some(with) = e.value.get("with")
                && let Some((key, node)) = ENV_SETTING_KEYS.iter().find_map(|k| with.get(k).map(|n| (*k, n)))
            {
                job.env_node = Some(node);
                job.with_key = Some(key);
            }
            job
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::FileKind;

    #[test]
    fn values_read_every_word() {
        // The value of an `environment` setting or a CI job's environment: the
        // setting says it is an environment, so a word after the environment
        // word is part of its name (`PROD-pagoPA`), but negations still negate.
        let t = EnvTable::default();
        let cases: &[(&str, Option<&str>)] = &[
            ("prod", Some("prod")),
            ("Production", Some("prod")),
            ("product", None),
            ("delivery", None),
            ("weu-prod", Some("prod")),
            ("PROD-pagoPA", Some("prod")),
            ("prod-eu", Some("prod")),
            ("live", Some("prod")),
            ("prd", Some("prod")),
            ("devops", None),
            ("Private", None),
            ("dev.env", Some("dev")),
            ("prod-to-staging.yml", None), // two environments
            // negations and likenesses never give prod
            ("non-prod", None),
            ("nonprod", None),
            ("NonProd", None),
            ("non_prod", None),
            ("Non-Production", None),
            ("nonproduction", None),
            ("not-prod", None),
            ("notprod", None),
            ("no-prod", None),
            ("non-live", None),
            ("nonlive", None),
            ("prod-like", None),
            ("prodlike", None),
            ("production-like", None),
            ("prod-ish", None),
            ("mock-prod", None),
            ("pseudo-production", None),
            ("non-dev", None),
            ("dev-nonprod", Some("dev")),
            // the stage before prod is staging
            ("preprod", Some("staging")),
            ("pre-prod", Some("staging")),
            ("pre_prod", Some("staging")),
            ("PreProd", Some("staging")),
            ("preproduction", Some("staging")),
            ("pre-production", Some("staging")),
            ("pre-live", Some("staging")),
            ("prelive", Some("staging")),
            ("pre-dev", None),
            ("uat", Some("staging")),
            ("stg", Some("staging")),
            // environments of their own
            ("qa", Some("test")),
            ("test", Some("test")),
            ("testing", Some("test")),
            ("sandbox", Some("sandbox")),
            // CI expressions
            ("review/$CI_COMMIT_REF_SLUG", None),
            ("${{ inputs.environment }}", None),
            ("github-pages", None),
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
        assert_eq!(t.resolve("pre-prod").as_deref(), Some("staging"));
        assert_eq!(t.resolve("PRE_PROD").as_deref(), Some("staging"));
        assert_eq!(t.resolve("non-prod"), None);
        // declaring an environment takes its name from the environment that had it as an alias
        assert_eq!(t.resolve("qa").as_deref(), Some("qa"));
        let mut t = EnvTable::default();
        assert_eq!(t.resolve("qa").as_deref(), Some("test"));
        t.add_env("qa");
        assert_eq!(t.resolve("qa").as_deref(), Some("qa"));
    }

    fn rules_with<'a>(
        table: &'a EnvTable,
        flags: &'a [(String, globset::GlobMatcher, Env)],
        config: &'a [(String, globset::GlobMatcher, String)],
    ) -> EnvRules<'a> {
        EnvRules { flags, config, table }
    }

    fn globs<T>(list: &[(&str, &str)], f: impl Fn(&str) -> T) -> Vec<(String, globset::GlobMatcher, T)> {
        list.iter()
            .map(|(g, e)| ((*g).to_owned(), globset::Glob::new(g).expect("glob").compile_matcher(), f(e)))
            .collect()
    }

    /// The environment and reason a path gets, with the kind its name gives it.
    fn infer_path(table: &EnvTable, path: &str, flags: &[(&str, &str)], config: &[(&str, &str)]) -> FileEnv {
        let flags = globs(flags, |e| Arc::from(e));
        let config = globs(config, str::to_owned);
        let rules = rules_with(table, &flags, &config);
        let kind = FileKind::classify(path);
        let q = EnvQuery { scan_path: path, config_path: path, repo_path: path, kind };
        let src = crate::source::SourceFile::new(path, "");
        rules.infer(&q, None, &src).0
    }

    fn check(table: &EnvTable, cases: &[(&str, Option<&str>, &str)], flags: &[(&str, &str)], config: &[(&str, &str)]) {
        let mut failures = Vec::new();
        for &(path, want, reason) in cases {
            let got = infer_path(table, path, flags, config);
            let shown = got.source.to_string();
            if got.env.as_deref() != want || !shown.contains(reason) {
                failures.push(format!("{path}: got {:?} ({shown}), want {want:?} ({reason})", got.env));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn path_inference_order() {
        // (path, expected env, expected reason contains)
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("environments/prod/main.tf", Some("prod"), "path segment `prod/`"),
            ("live/production/app/.env", Some("prod"), "path segment `production/`"),
            ("terraform/stage/main.tf", Some("staging"), "path segment `stage/`"),
            ("prod/.env.staging", Some("staging"), "file name token `staging`"),
            ("envs/prod/x/dev/main.tf", Some("dev"), "path segment `dev/`"),
            ("product/main.tf", None, "no environment named"),
            ("app/.env", None, "no environment named"),
        ];
        check(&EnvTable::default(), cases, &[], &[]);
        let flags = [("**/.env", "dev"), ("dev/**", "staging")];
        let config = [("deploy/**", "prod"), ("dev/**", "prod")];
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("prod/.env", Some("dev"), "--env **/.env"),
            ("deploy/x.yml", Some("prod"), "config glob deploy/**"),
            ("dev/x.yml", Some("staging"), "--env dev/**"),
        ];
        check(&EnvTable::default(), cases, &flags, &config);
    }

    #[test]
    fn file_names() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (".env.production", Some("prod"), "file name token `production`"),
            ("docker-compose.prod.yml", Some("prod"), "file name token `prod`"),
            ("compose.staging.yaml", Some("staging"), "file name token `staging`"),
            ("prod.tfvars", Some("prod"), "file name token `prod`"),
            ("prod.auto.tfvars", Some("prod"), "file name token `prod`"),
            ("production_config.tfvars", Some("prod"), "file name token `production`"),
            ("helm/values-prod.yaml", Some("prod"), "file name token `prod`"),
            ("weu-prod.env", Some("prod"), "file name token `prod`"),
            ("product.env", None, "no environment named"),
            (".env.production.example", Some("prod"), "file name token `production`"),
            (".env.production.local", Some("prod"), "file name token `production`"),
            (".env.local", Some("dev"), "file name token `local`"),
            (".env.local.example", Some("dev"), "file name token `local`"),
            (".env.test", Some("test"), "file name token `test`"),
            ("test.tfvars.json", Some("test"), "file name token `test`"),
            ("qa.env", Some("test"), "file name token `qa`"),
            ("docker-compose.test.yml", Some("test"), "file name token `test`"),
            ("preproduction.tfvars.json", Some("staging"), "file name token `preproduction`"),
            (".env.pre-prod", Some("staging"), "file name token `pre-prod`"),
            ("deploy-prod.gitlab-ci.yml", Some("prod"), "file name token `prod`"),
            (".github/workflows/merge_to_main_production.yml", Some("prod"), "file name token `production`"),
            ("src/environments/environment.prod.ts", Some("prod"), "file name token `prod`"),
            ("accounts/prod.tf", Some("prod"), "file name token `prod`"),
            // two environments: none
            ("prod-to-staging.yml", None, "names two environments"),
            // the environment word qualifies the next word
            (".github/workflows/refresh_dev_db_snapshot.yml", None, "`dev` qualifies `db`"),
            ("root-dns/parent-prod-ns.tf", None, "`prod` qualifies `ns`"),
            ("compose-test-extends.yaml", None, "`test` qualifies `extends`"),
            // words with other meanings, in file names that are not env, tfvars or compose files
            ("internal/abstract_test.go", None, "`test` has other meanings"),
            ("src/App.test.js", None, "`test` has other meanings"),
            ("test.go", None, "`test` has other meanings"),
            (".github/workflows/test.yml", None, "`test` has other meanings"),
            (".github/workflows/cluster_access_test.yml", None, "`test` has other meanings"),
            ("modules/local.tf", None, "`local` has other meanings"),
            ("scripts/local-env", None, "`local` has other meanings"),
            ("ci/test.gitlab-ci.yml", None, "`test` has other meanings"),
            ("docs/local_action_inputs.yaml", None, "`local` qualifies `action`"),
            // ... and not on their own in env files
            ("config/platform-test.tfvars.json", None, "only on its own, not with `platform`"),
            // negated file names decide
            ("prod/.env.non-prod", None, "`non` negates `prod`"),
        ];
        check(&EnvTable::default(), cases, &[], &[]);
    }

    #[test]
    fn path_segments() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            // negations and likenesses never give prod, and nothing above them decides
            ("non-prod/us-east-1/region.hcl", None, "`non-prod/` names no environment: `non` negates `prod`"),
            ("non-prod/account.hcl", None, "`non` negates `prod`"),
            ("nonprod/app/.env", None, "`nonprod/` names no environment: `nonprod` negates `prod`"),
            ("NonProd/app/main.tf", None, "`NonProd/`"),
            ("non_prod/main.tf", None, "`non` negates `prod`"),
            ("non-production/main.tf", None, "`non` negates `production`"),
            ("not-prod/main.tf", None, "`not` negates `prod`"),
            ("no-prod/main.tf", None, "`no` negates `prod`"),
            ("non-live/main.tf", None, "`non` negates `live`"),
            ("prod-like/main.tf", None, "likeness"),
            ("prodlike/main.tf", None, "likeness"),
            ("prod/nonprod/app/main.tf", None, "`nonprod/`"),
            ("live/non-live/app/.env", None, "`non-live/`"),
            // ... but a nearer name does
            ("non-prod/us-east-1/qa/mysql/terragrunt.hcl", Some("test"), "path segment `qa/`"),
            ("non-prod/us-east-1/stage/env.hcl", Some("staging"), "path segment `stage/`"),
            // the stage before prod
            ("pre-prod/main.tf", Some("staging"), "path segment `pre-prod/`"),
            ("preprod/main.tf", Some("staging"), "path segment `preprod/`"),
            ("preproduction/main.tf", Some("staging"), "path segment `preproduction/`"),
            ("pre-production/main.tf", Some("staging"), "path segment `pre-production/`"),
            ("pre-live/main.tf", Some("staging"), "path segment `pre-live/`"),
            // environments of their own
            ("envs/qa/main.tf", Some("test"), "path segment `qa/`"),
            ("envs/test/main.tf", Some("test"), "path segment `test/`"),
            ("envs/testing/main.tf", Some("test"), "path segment `testing/`"),
            ("env/sandbox/rds/terragrunt.hcl", Some("sandbox"), "path segment `sandbox/`"),
            ("envs/uat/main.tf", Some("staging"), "path segment `uat/`"),
            // the word qualifies another: none here, the search goes on upward
            ("dev-tools/bin/.env", None, "`dev-tools/` names no environment: `dev` qualifies `tools`"),
            ("local-cache/.env", None, "`local` qualifies `cache`"),
            ("live-reload/config.yml", None, "`live` qualifies `reload`"),
            ("dev-dependencies/.env", None, "`dev` qualifies `dependencies`"),
            ("examples/sandbox-voice-agent/.env.example", None, "`sandbox` qualifies `voice`"),
            ("examples/ab-testing-simple/.env.example", None, "`testing` qualifies `simple`"),
            ("envs/prod/dev-tools/.env", Some("prod"), "path segment `prod/`"),
            ("prod-cluster/main.tf", None, "`prod` qualifies `cluster`"),
            // what may follow an environment word: settings, locations, numbers
            ("prod-eu-west-1/main.tf", Some("prod"), "path segment `prod-eu-west-1/`"),
            ("staging-2/main.tf", Some("staging"), "path segment `staging-2/`"),
            ("prod-env/main.tf", Some("prod"), "path segment `prod-env/`"),
            ("weu-prod/main.tf", Some("prod"), "path segment `weu-prod/`"),
            // words with other meanings count in a folder name only on their own
            ("live/terragrunt.hcl", Some("prod"), "path segment `live/`"),
            ("terragrunt-infrastructure-live-example/root.hcl", None, "`live` has other meanings"),
            ("ci/build-stage/main.tf", None, "`stage` has other meanings"),
            ("performance-test/main.tf", None, "`test` has other meanings"),
            ("local/.env", Some("dev"), "path segment `local/`"),
            ("test/docker-compose.yml", Some("test"), "path segment `test/`"),
            // ... and only above config files: not test code, CI files or docs
            ("backend/test/sample.js", None, "`test/` names no environment: `test` has other meanings"),
            ("helpers/test/helpers.go", None, "`test` has other meanings"),
            ("solutions/testing/.github/workflows/playwright.yml", None, "`testing` has other meanings"),
            (".gitlab/ci/qa.gitlab-ci.yml", None, "`qa` has other meanings"),
            ("qa/.env", Some("test"), "path segment `qa/`"),
            // documentation is not for one environment
            ("docs/development/setup.md", None, "documentation"),
            ("environments/prod/README.md", None, "documentation"),
            // only names at or below the repository root
            ("/home/prod/app/.env", None, "no environment named"),
            ("/srv/production/deploy/compose.yaml", None, "no environment named"),
            ("../prod/app/.env", None, "no environment named"),
            ("C:\\prod\\app\\.env", None, "no environment named"),
        ];
        check(&EnvTable::default(), cases, &[], &[]);
    }

    #[test]
    fn config_and_flags_override_every_rule() {
        let mut table = EnvTable::default();
        table.add_aliases("staging", &["non-prod".to_owned()]);
        table.add_aliases("dev", &["dev-tools".to_owned(), "platform-test".to_owned()]);
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("non-prod/account.hcl", Some("staging"), "path segment `non-prod/`"),
            ("dev-tools/.env", Some("dev"), "path segment `dev-tools/`"),
            ("platform-test.tfvars.json", Some("dev"), "file name token `platform-test`"),
            ("prod/main.tf", Some("prod"), "path segment `prod/`"),
        ];
        check(&table, cases, &[], &[]);
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("non-prod/account.hcl", Some("prod"), "--env non-prod/**"),
            ("docs/development/setup.md", Some("dev"), "config glob docs/**"),
            ("test.go", Some("test"), "config glob *.go"),
        ];
        check(&EnvTable::default(), cases, &[("non-prod/**", "prod")], &[("docs/**", "dev"), ("*.go", "test")]);
    }

    fn ci_envs(kind: FileKind, path: &str, yaml: &str) -> FileEnv {
        let table = EnvTable::default();
        let rules = rules_with(&table, &[], &[]);
        let doc = crate::parse::yaml::parse(yaml).expect("yaml");
        let src = crate::source::SourceFile::new(path, yaml);
        let q = EnvQuery { scan_path: path, config_path: path, repo_path: path, kind };
        rules.infer(&q, Some(&doc), &src).0
    }

    #[test]
    fn github_jobs_that_call_reusable_workflows() {
        let yaml = "\
on: push
jobs:
  deploy-prod:
    uses: ./.github/workflows/deploy.yml
    with:
      environment: production
    secrets: inherit
  deploy-staging:
    uses: org/infra/.github/workflows/deploy.yml@v1
    with:
      env: stg
  deploy-input:
    uses: ./.github/workflows/deploy.yml
    with:
      environment: ${{ inputs.target }}
  plain:
    runs-on: ubuntu-latest
    with:
      environment: production
    steps: [{run: make}]
  gated:
    runs-on: ubuntu-latest
    environment: non-prod
    steps: [{run: make}]
";
        let env = ci_envs(FileKind::GithubWorkflow, ".github/workflows/release.yml", yaml);
        let jobs: Vec<(&str, Option<&str>, &str)> =
            env.jobs.iter().map(|j| (j.job.as_str(), j.env.as_deref(), j.reason.as_str())).collect();
        assert_eq!(
            jobs,
            [
                ("deploy-prod", Some("prod"), "with: environment: production (line 6)"),
                ("deploy-staging", Some("staging"), "with: env: stg (line 11)"),
                ("deploy-input", None, "environment `${{ inputs.target }}` names no known environment"),
                ("plain", None, "no environment"),
                ("gated", None, "environment `non-prod` names no known environment"),
            ]
        );
    }

    #[test]
    fn ci_jobs_inherit_the_file_name_environment() {
        let yaml = "build:\n  script: [make]\ndeploy:\n  script: [make deploy]\n  environment: staging\n";
        let env = ci_envs(FileKind::GitlabCi, "ci/deploy-prod.gitlab-ci.yml", yaml);
        assert_eq!(env.env.as_deref(), Some("prod"));
        let jobs: Vec<(&str, Option<&str>)> = env.jobs.iter().map(|j| (j.job.as_str(), j.env.as_deref())).collect();
        assert_eq!(jobs, [("build", Some("prod")), ("deploy", Some("staging"))]);
        // a CI file named for an activity is not an environment: its jobs decide
        let env = ci_envs(FileKind::GitlabCi, "ci/test.gitlab-ci.yml", yaml);
        assert_eq!(env.env, None);
        let jobs: Vec<(&str, Option<&str>)> = env.jobs.iter().map(|j| (j.job.as_str(), j.env.as_deref())).collect();
        assert_eq!(jobs, [("build", None), ("deploy", Some("staging"))]);
    }
}
