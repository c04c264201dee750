//! `envlint.toml`: the schema (unknown keys are errors), loading, and validation into
//! [`Settings`]. Errors are miette diagnostics that point into the TOML.
//!
//! Depends on `env` (environment names) and `severity` only; rule IDs are checked
//! against a list the caller passes in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::env::EnvTable;
use crate::finding::Severity;

/// File names searched for, in order, in each directory from the scan root upward.
pub const CONFIG_NAMES: [&str; 2] = ["envlint.toml", ".envlint.toml"];

/// Default size limit: files above it are skipped and counted.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    max_file_size: Option<Spanned<toml::Value>>,
    #[serde(default)]
    environments: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    secrets: RawSecrets,
    #[serde(default)]
    overrides: Vec<RawOverride>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    missing_required_tags: Option<RawTagsRule>,
    prod_db_not_replica: Option<RawReplicaRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTagsRule {
    tags: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReplicaRule {
    replica_pattern: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSecrets {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    skip_paths: Option<Vec<Spanned<String>>>,
    max_line_length: Option<usize>,
}

/// Files the secret scanner skips by default: lock files (integrity hashes, not
/// secrets) and minified or source-map bundles.
pub const DEFAULT_SECRET_SKIP: [&str; 15] = [
    "**/package-lock.json",
    "**/npm-shrinkwrap.json",
    "**/yarn.lock",
    "**/pnpm-lock.yaml",
    "**/Cargo.lock",
    "**/go.sum",
    "**/poetry.lock",
    "**/Pipfile.lock",
    "**/composer.lock",
    "**/Gemfile.lock",
    "**/.terraform.lock.hcl",
    "**/*.min.js",
    "**/*.min.css",
    "**/*.js.map",
    "**/*.css.map",
];

/// A file with a line longer than this is treated as a minified bundle.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 10_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverride {
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    select: Vec<Spanned<String>>,
}

/// A configuration or usage error, shown by miette with the offending span.
pub type ConfigError = crate::diag::FileError<crate::diag::Config>;

/// A rule selector: an exact ID or a glob such as `prod-*`.
#[derive(Debug, Clone)]
pub struct RulePattern {
    pub text: String,
    matcher: GlobMatcher,
}

impl RulePattern {
    pub fn matches(&self, id: &str) -> bool {
        self.matcher.is_match(id)
    }

    /// Parses a selector, checking that it matches at least one known rule ID.
    pub fn parse(text: &str, known_ids: &[&str]) -> Result<Self, String> {
        let matcher = crate::glob::matcher(text)
            .map_err(|e| format!("invalid rule pattern `{}`: {e}", crate::glob::shown(text)))?;
        let pattern = Self { text: text.to_owned(), matcher };
        if known_ids.iter().any(|id| pattern.matches(id)) { Ok(pattern) } else { Err(format!("unknown rule `{text}`")) }
    }
}

/// One `[[overrides]]` entry, resolved.
#[derive(Debug, Clone)]
pub struct Override {
    pub paths: globset::GlobSet,
    pub select: Vec<RulePattern>,
    pub ignore: Vec<RulePattern>,
}

/// The resolved settings a scan runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file that was loaded, if any.
    pub config_path: Option<PathBuf>,
    /// Directory config-relative globs and paths are resolved against.
    pub config_dir: PathBuf,
    pub envs: EnvTable,
    /// `[environments]` globs, in file order: (glob text, matcher, environment).
    pub env_globs: Vec<(String, GlobMatcher, String)>,
    pub accounts: BTreeMap<String, Vec<String>>,
    pub select: Vec<RulePattern>,
    pub ignore: Vec<RulePattern>,
    pub severity: BTreeMap<String, Severity>,
    pub overrides: Vec<Override>,
    pub max_file_size: u64,
    pub policies: Vec<PathBuf>,
    pub secrets_allow: Vec<Regex>,
    /// Paths (relative to the config directory) the secret scanner skips.
    pub secrets_skip: globset::GlobSet,
    /// Files with a longer line are treated as minified and not scanned for secrets (0: no limit).
    pub secrets_max_line_length: usize,
    pub required_tags: Option<BTreeMap<String, Vec<String>>>,
    pub replica_pattern: Option<Regex>,
}

impl Settings {
    /// Settings when no config file exists.
    pub fn defaults(dir: &Path) -> Self {
        Self {
            config_path: None,
            config_dir: dir.to_path_buf(),
            envs: EnvTable::default(),
            env_globs: Vec::new(),
            accounts: BTreeMap::new(),
            select: Vec::new(),
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            overrides: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            policies: Vec::new(),
            secrets_allow: Vec::new(),
            secrets_skip: glob_set(DEFAULT_SECRET_SKIP.iter().copied()).unwrap_or_else(|_| globset::GlobSet::empty()),
            secrets_max_line_length: DEFAULT_MAX_LINE_LENGTH,
            required_tags: None,
            replica_pattern: None,
        }
    }

    /// Whether a rule runs at all (before per-path overrides).
    pub fn rule_enabled(&self, id: &str) -> bool {
        let selected = self.select.is_empty() || self.select.iter().any(|p| p.matches(id));
        selected && !self.ignore.iter().any(|p| p.matches(id))
    }

    /// Whether a rule applies to a path relative to the config directory, after overrides.
    pub fn rule_enabled_for(&self, id: &str, config_rel_path: &str) -> bool {
        let mut on = self.rule_enabled(id);
        for o in self.overrides.iter().filter(|o| o.paths.is_match(config_rel_path)) {
            if o.select.iter().any(|p| p.matches(id)) {
                on = true;
            }
            if o.ignore.iter().any(|p| p.matches(id)) {
                on = false;
            }
        }
        on
    }
}

/// Finds the config for a scan: the nearest `envlint.toml` / `.envlint.toml` from `start`
/// upward, stopping after the repository root (the first directory holding `.git`).
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// The `policies` list of a config file, resolved against its directory. Read
/// before the config is validated, because `select`/`ignore` may name the IDs of
/// the policies it loads. A config that cannot be read or parsed gives an empty
/// list: [`load`] then reports the error, pointing into the TOML.
pub fn policy_paths(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else { return Vec::new() };
    match table.get("policies").and_then(toml::Value::as_array) {
        Some(list) => list.iter().filter_map(toml::Value::as_str).map(|p| dir.join(p)).collect(),
        None => Vec::new(),
    }
}

/// Reads and validates a config file.
pub fn load(path: &Path, known_ids: &[&str]) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::plain(format!("cannot read config file {}: {e}", path.display())))?;
    let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut settings = parse(&text, &path.display().to_string(), &dir, known_ids)?;
    settings.config_path = Some(path.to_path_buf());
    Ok(settings)
}

/// Parses and validates config text; `name` labels the snippet in errors.
pub fn parse(text: &str, name: &str, dir: &Path, known_ids: &[&str]) -> Result<Settings, ConfigError> {
    let err = |span: std::ops::Range<usize>, message: String, label: &str, help: Option<String>| {
        let e = ConfigError::at(name, text, crate::span::Span::new(span.start, span.end), message, label);
        match help {
            Some(h) => e.with_help(h),
            None => e,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_owned();
        err(span, format!("invalid config: {message}"), "here", Some(schema_help(&message)))
    })?;
    let mut s = Settings::defaults(dir);

    if let Some(size) = &raw.max_file_size {
        s.max_file_size = parse_size(size.get_ref()).ok_or_else(|| {
            err(size.span(), "invalid max-file-size".into(), "expected bytes or a size like \"5MiB\"", None)
        })?;
    }
    s.policies = raw.policies.iter().map(|p| dir.join(p.get_ref())).collect();

    // [environments]: env = [globs], plus the `aliases` and `accounts` tables.
    let mut glob_entries = Vec::new();
    for (key, value) in &raw.environments {
        match key.as_str() {
            "aliases" | "accounts" => {
                let table = string_list_table(value)
                    .map_err(|m| err(value.span(), m, "expected a table of string lists", None))?;
                for (env, list) in table {
                    check_env_name(&env).map_err(|m| err(value.span(), m, "here", None))?;
                    if key == "aliases" {
                        s.envs.add_aliases(&env, &list);
                    } else {
                        s.accounts.insert(env, list);
                    }
                }
            }
            env => {
                check_env_name(env).map_err(|m| err(value.span(), m, "here", None))?;
                let globs = string_list(value.get_ref()).ok_or_else(|| {
                    err(
                        value.span(),
                        format!("environments.{env} must be a list of path globs"),
                        "expected a list of strings",
                        None,
                    )
                })?;
                s.envs.add_env(env);
                glob_entries.push((env.to_owned(), globs, value.span()));
            }
        }
    }
    for (env, globs, span) in glob_entries {
        for g in globs {
            let matcher = crate::glob::matcher(&g).map_err(|e| {
                err(span.clone(), format!("invalid glob `{}`: {e}", crate::glob::shown(&g)), "in this list", None)
            })?;
            s.env_globs.push((g, matcher, env.clone()));
        }
    }

    let patterns = |list: &[Spanned<String>]| -> Result<Vec<RulePattern>, ConfigError> {
        list.iter()
            .map(|p| {
                RulePattern::parse(p.get_ref(), known_ids).map_err(|m| {
                    err(
                        p.span(),
                        m,
                        "not a known rule ID or pattern",
                        Some("run `envlint rules` to list rule IDs".into()),
                    )
                })
            })
            .collect()
    };
    if let Some(select) = &raw.rules.select {
        s.select = patterns(select)?;
    }
    s.ignore = patterns(&raw.rules.ignore)?;
    for (id, sev) in &raw.rules.severity {
        RulePattern::parse(id.get_ref(), known_ids).map_err(|m| {
            err(id.span(), m, "not a known rule ID", Some("run `envlint rules` to list rule IDs".into()))
        })?;
        let severity = Severity::parse(sev.get_ref()).ok_or_else(|| {
            err(sev.span(), format!("invalid severity `{}`", sev.get_ref()), "expected error, warning or note", None)
        })?;
        s.severity.insert(id.get_ref().clone(), severity);
    }
    if let Some(tags) = raw.rules.missing_required_tags {
        s.required_tags = Some(tags.tags);
    }
    if let Some(pattern) = raw.rules.prod_db_not_replica.and_then(|r| r.replica_pattern) {
        s.replica_pattern = Some(
            Regex::new(pattern.get_ref())
                .map_err(|e| err(pattern.span(), format!("invalid regex: {e}"), "here", None))?,
        );
    }
    for allow in &raw.secrets.allow {
        s.secrets_allow.push(
            Regex::new(allow.get_ref()).map_err(|e| err(allow.span(), format!("invalid regex: {e}"), "here", None))?,
        );
    }
    if let Some(skip) = &raw.secrets.skip_paths {
        for p in skip {
            crate::glob::parse(p.get_ref()).map_err(|e| err(p.span(), format!("invalid glob: {e}"), "here", None))?;
        }
        s.secrets_skip = glob_set(skip.iter().map(|p| p.get_ref().as_str()))
            .map_err(|e| ConfigError::plain(format!("invalid secrets.skip-paths: {e}")))?;
    }
    if let Some(n) = raw.secrets.max_line_length {
        s.secrets_max_line_length = n;
    }
    for o in &raw.overrides {
        let mut builder = globset::GlobSetBuilder::new();
        for p in &o.paths {
            builder.add(
                crate::glob::parse(p.get_ref())
                    .map_err(|e| err(p.span(), format!("invalid glob: {e}"), "here", None))?,
            );
        }
        let paths = builder.build().map_err(|e| ConfigError::plain(format!("invalid override globs: {e}")))?;
        s.overrides.push(Override { paths, select: patterns(&o.select)?, ignore: patterns(&o.ignore)? });
    }
    Ok(s)
}

fn glob_set<'a>(globs: impl Iterator<Item = &'a str>) -> Result<globset::GlobSet, globset::Error> {
    let mut builder = globset::GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g)?);
    }
    builder.build()
}

fn schema_help(message: &str) -> String {
    if message.contains("unknown field") {
        "unknown keys are errors so that a typo cannot silently disable a rule; see the config reference in the README"
            .into()
    } else {
        "see the config reference in the README".into()
    }
}

fn check_env_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(format!("invalid environment name `{name}`"))
    }
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(|v| v.as_str().map(str::to_owned)).collect()
}

fn string_list_table(value: &Spanned<toml::Value>) -> Result<Vec<(String, Vec<String>)>, String> {
    let table = value.get_ref().as_table().ok_or("expected a table")?;
    table
        .iter()
        .map(|(k, v)| string_list(v).map(|l| (k.clone(), l)).ok_or_else(|| format!("`{k}` must be a list of strings")))
        .collect()
}

/// `5242880`, `"5MiB"`, `"512 KiB"`, `"10MB"`.
fn parse_size(value: &toml::Value) -> Option<u64> {
    match value {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let n: u64 = s[..split].parse().ok()?;
            let mult = match s[split..].trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "k" | "kb" => 1000,
                "kib" => 1024,
                "m" | "mb" => 1_000_000,
                "mib" => 1024 * 1024,
                "g" | "gb" => 1_000_000_000,
                "gib" => 1024 * 1024 * 1024,
                _ => return None,
            };
            n.checked_mul(mult)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[&str] = &["parse-error", "dotenv-duplicate-key", "prod-debug-enabled", "prod-unpinned-image"];

    fn parse_ok(text: &str) -> Settings {
        match parse(text, "envlint.toml", Path::new("/repo"), IDS) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn parse_err(text: &str) -> ConfigError {
        match parse(text, "envlint.toml", Path::new("/repo"), IDS) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn full_example_parses() {
        let s = parse_ok(
            r#"
policies = ["policies"]
max-file-size = "1MiB"
[environments]
prod = ["deploy/live/**", "**/*.prd.*"]
qa = ["qa/**"]
[environments.aliases]
prod = ["production", "prd", "live"]
[environments.accounts]
prod = ["111111111111"]
[rules]
select = ["*"]
ignore = ["prod-unpinned-image"]
[rules.severity]
dotenv-duplicate-key = "error"
[rules.missing-required-tags]
tags = { env = ["env", "environment"] }
[rules.prod-db-not-replica]
replica-pattern = "(?i)replica"
[secrets]
allow = ["EXAMPLE_[A-Z0-9]+"]
[[overrides]]
paths = ["tests/fixtures/**"]
ignore = ["prod-*"]
"#,
        );
        assert_eq!(s.max_file_size, 1024 * 1024);
        assert_eq!(s.policies, vec![PathBuf::from("/repo/policies")]);
        assert_eq!(s.env_globs.len(), 3);
        assert_eq!(s.env_globs[2].2, "qa");
        assert_eq!(s.envs.resolve("live"), Some("prod".into()));
        assert_eq!(s.envs.resolve("qa"), Some("qa".into()));
        assert!(!s.rule_enabled("prod-unpinned-image"));
        assert!(s.rule_enabled("prod-debug-enabled"));
        assert!(!s.rule_enabled_for("prod-debug-enabled", "tests/fixtures/a/.env"));
        assert!(s.rule_enabled_for("prod-debug-enabled", "src/.env"));
        assert_eq!(s.severity.get("dotenv-duplicate-key"), Some(&Severity::Error));
        assert_eq!(s.accounts["prod"], vec!["111111111111".to_owned()]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        // (config, substring of message, text under the span)
        let cases: &[(&str, &str, &str)] = &[
            ("[rules]\nignore = [\"no-such-rule\"]\n", "unknown rule `no-such-rule`", "\"no-such-rule\""),
            ("[rules]\nselct = [\"*\"]\n", "unknown field `selct`", "selct"),
            ("[rules.severity]\nparse-error = \"fatal\"\n", "invalid severity `fatal`", "\"fatal\""),
            ("[secrets]\nallow = [\"(unclosed\"]\n", "invalid regex", "\"(unclosed\""),
            ("max-file-size = \"big\"\n", "invalid max-file-size", "\"big\""),
            ("[environments]\nprod = \"x/**\"\n", "must be a list", "\"x/**\""),
            ("[environments]\nprod = [\"a/[\"]\n", "invalid glob", "[\"a/[\"]"),
            ("rules = 3\n", "invalid type", "3"),
            ("[[overrides]]\npaths = [\"x\"]\nignore = [\"nope-*\"]\n", "unknown rule `nope-*`", "\"nope-*\""),
        ];
        for &(text, msg, under) in cases {
            let e = parse_err(text);
            assert!(e.message.contains(msg), "{text:?}: {}", e.message);
            let span = e.span.expect("span");
            assert_eq!(&text[span.offset()..span.offset() + span.len()], under, "{text:?}");
        }
    }

    #[test]
    fn sizes() {
        let cases: &[(toml::Value, Option<u64>)] = &[
            (toml::Value::Integer(10), Some(10)),
            (toml::Value::String("5MiB".into()), Some(5 * 1024 * 1024)),
            (toml::Value::String("512 KiB".into()), Some(512 * 1024)),
            (toml::Value::String("2mb".into()), Some(2_000_000)),
            (toml::Value::String("lots".into()), None),
            (toml::Value::Integer(-1), None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_size(v), *want, "{v:?}");
        }
    }
}
