//! The YAML policy language: declarative rules loaded from policy files (the
//! built-in ones in the repo's `policies/`, embedded; user ones from the config
//! and `--policy`), each one a [`Rule`] so that its findings carry spans like
//! any built-in rule's.
//!
//! Depends on `model`, `parse`, `formats`, `env`, `rule`; never on `engine`'s
//! internals, `report` or `cli`. The policy file format is documented in the
//! README ("Writing policies") and in [`load`].

mod eval;
pub mod load;
#[cfg(feature = "rego")]
pub mod rego;
pub mod test;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::discover::FileKind;
use crate::env::EnvTable;
use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta, Subject, UnitCx};
use crate::span::{Span, Spanned};

pub use eval::{ValueTest, url_host};
pub use load::parse_policy;

/// The built-in policies, embedded: (path shown in errors, YAML text). Sorted by ID.
pub const BUILTIN: &[(&str, &str)] = &[
    ("policies/prod-debug-enabled.yaml", include_str!("../../policies/prod-debug-enabled.yaml")),
    ("policies/prod-mocks-enabled.yaml", include_str!("../../policies/prod-mocks-enabled.yaml")),
    ("policies/prod-rate-limit-disabled.yaml", include_str!("../../policies/prod-rate-limit-disabled.yaml")),
    ("policies/prod-tls-disabled.yaml", include_str!("../../policies/prod-tls-disabled.yaml")),
    ("policies/prod-verbose-logging.yaml", include_str!("../../policies/prod-verbose-logging.yaml")),
];

/// A malformed policy file (or a policy that clashes with another), shown by
/// miette with a label at the offending key or value. Exit code 2.
pub type PolicyError = crate::diag::FileError<crate::diag::Policy>;

/// One loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    pub help: String,
    pub docs: Option<String>,
    /// Environment names as written (canonicalised through the env table when checked); `None` = any.
    pub environments: Option<Vec<Spanned<String>>>,
    /// File kinds it reads; `None` = every parsed kind.
    pub kinds: Option<Vec<FileKind>>,
    /// A security policy (SARIF `security-severity`); `security: true` in the file.
    pub security: bool,
    pub matcher: eval::Match,
    pub message: String,
    pub tests: Vec<test::TestCase>,
    /// Where it came from, for errors that point into it later (env names, ID clashes).
    pub origin: Origin,
}

/// A policy's file: display name, text and the span of its `id` value.
#[derive(Debug, Clone)]
pub struct Origin {
    pub name: String,
    pub text: Arc<str>,
    pub id_span: Span,
}

impl Origin {
    fn error(&self, span: Span, message: impl Into<String>, label: impl Into<String>) -> PolicyError {
        PolicyError::at(&self.name, &self.text, span, message, label)
    }
}

impl Policy {
    /// The `RuleMeta` of this policy (owned strings).
    pub fn meta(&self) -> RuleMeta {
        let scope = self.environments.as_ref().map_or(EnvScope::Any, |list| {
            EnvScope::Only(Cow::Owned(list.iter().map(|e| Cow::Owned(e.value.clone())).collect()))
        });
        let formats = match &self.kinds {
            Some(kinds) => kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
            None if self.matcher.env_var_only() => "env-var carriers".to_owned(),
            None => "all parsed kinds".to_owned(),
        };
        let docs = self.docs.clone().unwrap_or_else(|| {
            format!(
                "## What it does\n{}.\n\n## Why is this bad?\nSee the policy file {}.\n\n## Example\nSee the \
                 policy's embedded tests.\n\n## How to fix\n{}\n",
                self.summary, self.origin.name, self.help
            )
        });
        RuleMeta {
            id: Cow::Owned(self.id.clone()),
            severity: self.severity,
            summary: Cow::Owned(self.summary.clone()),
            formats: Cow::Owned(formats),
            kinds: Cow::Owned(self.kinds.clone().unwrap_or_default()),
            scope,
            security: self.security,
            precision: Precision::VeryHigh,
            default_enabled: true,
            options: None,
            help: Cow::Owned(self.help.clone()),
            docs: Cow::Owned(docs),
        }
    }

    /// Checks that every environment name is known to `table` (the defaults plus
    /// the config's names and aliases); the error points at the name in the YAML.
    pub fn check_envs(&self, table: &EnvTable) -> Result<(), PolicyError> {
        let mut names: Vec<&Spanned<String>> = self.environments.iter().flatten().collect();
        self.matcher.branch_environments(&mut names);
        for env in names {
            if table.resolve(&env.value).is_none() {
                let names: Vec<&str> = table.names().collect();
                return Err(self
                    .origin
                    .error(env.span, format!("unknown environment `{}`", env.value), "not a known environment")
                    .with_help(format!(
                        "known environments: {}; declare new ones in envlint.toml [environments]",
                        names.join(", ")
                    )));
            }
        }
        Ok(())
    }
}

/// A policy as a rule.
pub struct PolicyRule {
    meta: RuleMeta,
    pub policy: Policy,
}

impl PolicyRule {
    pub fn new(policy: Policy) -> Self {
        Self { meta: policy.meta(), policy }
    }
}

impl Rule for PolicyRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    /// Policies that look at a document (`select:`) run per file.
    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        if self.policy.matcher.env_var_only() {
            return;
        }
        for hit in eval::evaluate(&self.policy, file) {
            out.report_in(hit.loc, hit.message);
        }
    }

    /// Policies that only test env vars run per subject: a CI job with what it
    /// inherits, a compose service, a dotenv file.
    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        if !self.policy.matcher.env_var_only() {
            return;
        }
        for hit in eval::evaluate_subject(&self.policy, subject, unit) {
            out.report_in(hit.loc, hit.message);
        }
    }
}

/// The built-in policies, parsed. A built-in that fails to load is left out
/// (a unit test asserts they all load, so this cannot ship).
pub fn builtin() -> Vec<Policy> {
    BUILTIN.iter().filter_map(|(name, text)| parse_policy(name, text).ok()).collect()
}

/// A user policy: YAML, or Rego (cargo feature `rego`).
// A handful are loaded once per run; their size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum UserPolicy {
    Yaml(Policy),
    #[cfg(feature = "rego")]
    Rego {
        policy: Box<rego::RegoPolicy>,
        path: PathBuf,
    },
}

impl UserPolicy {
    pub fn id(&self) -> &str {
        match self {
            Self::Yaml(p) => &p.id,
            #[cfg(feature = "rego")]
            Self::Rego { policy, .. } => &policy.meta().id,
        }
    }

    /// Where it was loaded from, for messages.
    pub fn origin_name(&self) -> String {
        match self {
            Self::Yaml(p) => p.origin.name.clone(),
            #[cfg(feature = "rego")]
            Self::Rego { path, .. } => path.display().to_string(),
        }
    }

    /// Checks the environment names it is scoped to against the config's table.
    pub fn check_envs(&self, table: &EnvTable) -> Result<(), miette::Report> {
        match self {
            Self::Yaml(p) => p.check_envs(table).map_err(miette::Report::new),
            #[cfg(feature = "rego")]
            Self::Rego { policy, path } => match policy.environments().iter().find(|e| table.resolve(e).is_none()) {
                Some(env) => Err(miette::miette!(
                    help = "declare it under [environments] in the config, or fix the name",
                    "{}: unknown environment `{env}` in the policy's metadata",
                    path.display()
                )),
                None => Ok(()),
            },
        }
    }

    pub fn into_rule(self) -> Box<dyn Rule> {
        match self {
            Self::Yaml(p) => Box::new(PolicyRule::new(p)),
            #[cfg(feature = "rego")]
            Self::Rego { policy, .. } => policy as Box<dyn Rule>,
        }
    }
}

/// Whether a file is a policy: YAML, or Rego (not a `*_test.rego` test file).
fn is_policy_file(p: &Path) -> bool {
    match p.extension().and_then(|x| x.to_str()) {
        Some("yaml" | "yml") => true,
        Some("rego") => !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("_test.rego")),
        _ => false,
    }
}

/// The policy files at `path`: the file itself, or the `*.yaml` / `*.yml` /
/// `*.rego` files directly inside a folder (not recursive, `*_test.rego` test
/// files excluded), sorted by name.
pub fn policy_files(path: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| PolicyError::plain(format!("cannot read policies from {}: {e}", path.display())))?;
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file() && is_policy_file(p)).collect();
    files.sort();
    Ok(files)
}

/// Loads the user policies at `paths` (files or folders), checking that IDs are
/// unique among them and do not collide with `taken` (the built-in rule IDs).
pub fn load_paths(paths: &[PathBuf], taken: &[&str]) -> Result<Vec<UserPolicy>, miette::Report> {
    let mut policies: Vec<UserPolicy> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for path in paths {
        for file in policy_files(path)? {
            if !seen.insert(std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone())) {
                continue;
            }
            if file.extension().is_some_and(|x| x == "rego") {
                let policy = load_rego(&file)?;
                let id = policy.id().to_owned();
                if taken.contains(&id.as_str()) {
                    return Err(miette::miette!(
                        help = "choose another ID; `envlint rules` lists the built-in ones",
                        "{}: policy ID `{id}` is already a built-in rule",
                        file.display()
                    ));
                }
                if let Some(first) = policies.iter().find(|p| p.id() == id) {
                    return Err(miette::miette!(
                        help = format!("first defined in {}", first.origin_name()),
                        "{}: duplicate policy ID `{id}`",
                        file.display()
                    ));
                }
                policies.push(policy);
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|e| PolicyError::plain(format!("cannot read policy file {}: {e}", file.display())))?;
            let policy = parse_policy(&file.display().to_string(), &text)?;
            if taken.contains(&policy.id.as_str()) {
                return Err(policy
                    .origin
                    .error(
                        policy.origin.id_span,
                        format!("policy ID `{}` is already a built-in rule", policy.id),
                        "this ID is taken",
                    )
                    .with_help("choose another ID; `envlint rules` lists the built-in ones")
                    .into());
            }
            if let Some(first) = policies.iter().find(|p| p.id() == policy.id) {
                return Err(policy
                    .origin
                    .error(
                        policy.origin.id_span,
                        format!("duplicate policy ID `{}`", policy.id),
                        "defined a second time here",
                    )
                    .with_help(format!("first defined in {}", first.origin_name()))
                    .into());
            }
            policies.push(UserPolicy::Yaml(policy));
        }
    }
    Ok(policies)
}

#[cfg(feature = "rego")]
fn load_rego(file: &Path) -> Result<UserPolicy, miette::Report> {
    let policy = rego::RegoPolicy::load(file)?;
    Ok(UserPolicy::Rego { policy: Box::new(policy), path: file.to_path_buf() })
}

#[cfg(not(feature = "rego"))]
fn load_rego(file: &Path) -> Result<UserPolicy, miette::Report> {
    Err(miette::miette!(
        help = "rebuild envlint with the default `rego` feature",
        "{}: this envlint was built without Rego support",
        file.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_policy_loads_and_is_documented() {
        for (name, text) in BUILTIN {
            let p = match parse_policy(name, text) {
                Ok(p) => p,
                Err(e) => panic!("{name}: {e:?}"),
            };
            assert!(name.ends_with(&format!("/{}.yaml", p.id)), "{name}: file name must be the ID");
            assert!(crate::rules::docs_complete(p.docs.as_deref().unwrap_or_default()), "{name}: docs");
            assert!(!p.tests.is_empty(), "{name}: tests");
            p.check_envs(&EnvTable::default()).expect("envs");
        }
        let ids: Vec<String> = builtin().into_iter().map(|p| p.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(ids.len(), BUILTIN.len());
    }

    #[test]
    fn unknown_environment_points_at_the_name() {
        let text = "id: x\nseverity: note\nsummary: s\nhelp: h\nenvironments: [production, perf]\nmatch: {key: A, value: exists}\nmessage: m\n";
        let p = parse_policy("x.yaml", text).expect("loads");
        let e = p.check_envs(&EnvTable::default()).expect_err("perf is unknown");
        assert_eq!(e.message, "unknown environment `perf`");
        assert_eq!(e.labelled_text().as_deref(), Some("perf"));
        let mut table = EnvTable::default();
        table.add_env("perf");
        assert!(p.check_envs(&table).is_ok());
    }

    #[test]
    fn builtin_policy_tests_pass() {
        let settings = crate::config::Settings::defaults(Path::new("."));
        for p in builtin() {
            for case in &p.tests {
                let result = test::run_case(&p, case, &settings);
                assert!(result.passed(), "{} / {}:\n{}", p.id, case.name, result.diff());
            }
        }
    }
}
