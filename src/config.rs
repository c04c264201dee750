//! `envlint.toml`: the schema (unknown keys are errors), loading, and validation into
//! [`Settings`]. Errors are miette diagnostics that point into the TOML.
//!
//! Depends on `env` (environment names), `discover` (file kinds) and `severity`
//! only; rule IDs are checked against a list the caller passes in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use crate::discover::{FileKind, KindRules};
use crate::env::EnvTable;
use crate::finding::Severity;

/// File names searched for, in order, in each directory from the scan root upward.
pub const CONFIG_NAMES: [&str; 2] = ["envlint.toml", ".envlint.toml"];

/// Default size limit: files above it are skipped and counted.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// The config as written; built section by section (see [`parse`]), so that a
/// problem in one section does not hide those of another.
#[derive(Debug, Default)]
struct RawConfig {
    policies: Vec<Spanned<String>>,
    max_file_size: Option<Spanned<toml::Value>>,
    environments: BTreeMap<String, Spanned<toml::Value>>,
    files: RawFiles,
    rules: RawRules,
    secrets: RawSecrets,
    overrides: Vec<RawOverride>,
}

/// `[files]`: kind = [globs], in file order (the first matching glob wins).
#[derive(Debug, Default)]
struct RawFiles(Vec<(Spanned<String>, Vec<Spanned<String>>)>);

impl<'de> Deserialize<'de> for RawFiles {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawFiles;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table of file kinds, each a list of path globs")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawFiles, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<String>, _>()? {
                    entries.push(entry);
                }
                // the TOML reader hands keys over sorted: restore the file's order
                entries.sort_by_key(|(k, _)| k.span().start);
                Ok(RawFiles(entries))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// `[rules]`: `select`, `ignore`, `severity`, and one `[rules.<id>]` table of
/// options per rule that takes options (every other key is a rule ID).
#[derive(Debug, Default)]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    ignore: Vec<Spanned<String>>,
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
    options: Vec<(Spanned<String>, Spanned<toml::Value>)>,
}

impl<'de> Deserialize<'de> for RawRules {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawRules;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table of select, ignore, severity and rule options")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawRules, A::Error> {
                let mut out = RawRules::default();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "select" => out.select = Some(map.next_value()?),
                        "ignore" => out.ignore = map.next_value()?,
                        "severity" => out.severity = map.next_value()?,
                        _ => {
                            let value: Spanned<toml::Value> = map.next_value()?;
                            out.options.push((key, value));
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A rule the config may name: its ID and how to parse its options.
#[derive(Clone, Copy)]
pub struct KnownRule<'a> {
    pub id: &'a str,
    pub options: Option<crate::rule::OptionsParser>,
}

impl<'a> KnownRule<'a> {
    /// A rule without options (policies, tests).
    pub fn plain(id: &'a str) -> Self {
        Self { id, options: None }
    }

    pub fn of(meta: &'a crate::rule::RuleMeta) -> Self {
        Self { id: &meta.id, options: meta.options }
    }
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
    /// `[files]` globs in front of the naming rules: which kind a file is.
    pub kinds: KindRules,
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
    /// Parsed `[rules.<id>]` options, by rule ID.
    pub rule_options: BTreeMap<String, crate::rule::Options>,
    /// Rules that are off unless selected by their exact ID.
    pub off_by_default: Vec<String>,
}

impl Settings {
    /// Settings when no config file exists.
    pub fn defaults(dir: &Path) -> Self {
        Self {
            config_path: None,
            config_dir: dir.to_path_buf(),
            envs: EnvTable::default(),
            env_globs: Vec::new(),
            kinds: KindRules::default(),
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
            rule_options: BTreeMap::new(),
            off_by_default: Vec::new(),
        }
    }

    /// Whether `list` selects rule `id`: any pattern, or for a rule that is off by
    /// default, its exact ID.
    fn selects(&self, list: &[RulePattern], id: &str) -> bool {
        if self.off_by_default.iter().any(|o| o == id) {
            list.iter().any(|p| p.text == id)
        } else {
            list.iter().any(|p| p.matches(id))
        }
    }

    /// Whether a rule runs at all (before per-path overrides).
    pub fn rule_enabled(&self, id: &str) -> bool {
        let selected = if self.select.is_empty() {
            !self.off_by_default.iter().any(|o| o == id)
        } else {
            self.selects(&self.select, id)
        };
        selected && !self.ignore.iter().any(|p| p.matches(id))
    }

    /// Whether a rule applies to a path relative to the config directory, after overrides.
    pub fn rule_enabled_for(&self, id: &str, config_rel_path: &str) -> bool {
        let mut on = self.rule_enabled(id);
        for o in self.overrides.iter().filter(|o| o.paths.is_match(config_rel_path)) {
            if self.selects(&o.select, id) {
                on = true;
            }
            if o.ignore.iter().any(|p| p.matches(id)) {
                on = false;
            }
        }
        on
    }

    /// Whether a rule runs anywhere: enabled, or selected by an override.
    pub fn rule_enabled_anywhere(&self, meta: &crate::rule::RuleMeta) -> bool {
        self.rule_enabled(&meta.id) || self.overrides.iter().any(|o| self.selects(&o.select, &meta.id))
    }

    /// A rule's options (`[rules.<id>]`), or `T::default()` when none were given.
    pub fn rule_options<T: Default + Clone + Send + Sync + 'static>(&self, id: &str) -> T {
        self.rule_options.get(id).and_then(|o| o.downcast_ref::<T>()).cloned().unwrap_or_default()
    }

    /// A rule's options (`[rules.<id>]`) without a copy, `None` when none were
    /// given: for hooks called once per subject, where building the defaults
    /// each time showed in profiles.
    pub fn rule_options_ref<T: Send + Sync + 'static>(&self, id: &str) -> Option<&T> {
        self.rule_options.get(id).and_then(|o| o.downcast_ref::<T>())
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
pub fn load(path: &Path, known: &[KnownRule<'_>]) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::plain(format!("cannot read config file {}: {e}", path.display())))?;
    let dir = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut settings = parse(&text, &path.display().to_string(), &dir, known)?;
    settings.config_path = Some(path.to_path_buf());
    Ok(settings)
}

/// The keys `envlint.toml` knows, per table (kebab-case, as written).
const TOP_KEYS: &[&str] = &["policies", "max-file-size", "environments", "files", "rules", "secrets", "overrides"];
const SECRETS_KEYS: &[&str] = &["allow", "skip-paths", "max-line-length"];
const OVERRIDE_KEYS: &[&str] = &["paths", "ignore", "select"];

/// Parses and validates config text; `name` labels the snippet in errors. Every
/// problem is reported, not only the first: the returned error is the first one,
/// with the others attached as related diagnostics.
pub fn parse(text: &str, name: &str, dir: &Path, known: &[KnownRule<'_>]) -> Result<Settings, ConfigError> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let settings = parse_collecting(text, name, dir, known, &mut errors);
    if errors.is_empty() {
        return Ok(settings);
    }
    errors.sort_by_key(|e| e.span.map_or(usize::MAX, |s| s.offset()));
    let mut first = errors.remove(0);
    if !errors.is_empty() {
        first.message = format!(
            "{} ({} more problem{} below)",
            first.message,
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
    }
    first.related = errors;
    Err(first)
}

/// A problem found while checking the config: span, message, help.
type Report<'r> = &'r dyn Fn(std::ops::Range<usize>, String, Option<String>);

/// A table's keys that the schema does not know, removed from it (and reported
/// with a suggestion), so that the rest can still be checked.
fn remove_unknown_keys(table: &mut toml::de::DeTable<'_>, allowed: &[&str], where_: &str, report: Report<'_>) {
    let unknown: Vec<(String, std::ops::Range<usize>)> = table
        .keys()
        .filter(|k| !allowed.contains(&k.get_ref().as_ref()))
        .map(|k| (k.get_ref().to_string(), k.span()))
        .collect();
    // Keys of a table written at the top level: `select = [...]` without `[rules]`.
    let nested: &[(&str, &[&str])] = if allowed == TOP_KEYS {
        &[("[rules]", &["select", "ignore", "severity"]), ("[secrets]", SECRETS_KEYS)]
    } else {
        &[]
    };
    for (key, span) in unknown {
        let elsewhere = nested.iter().find_map(|(table, keys)| did_you_mean(&key, keys).map(|k| (*table, k)));
        let help = match (did_you_mean(&key, allowed), elsewhere) {
            (Some(c), _) => format!("did you mean `{c}`?"),
            (None, Some((table, k))) if k == key => format!("`{k}` belongs in {table}"),
            (None, Some((table, k))) => format!("did you mean `{k}`? it belongs in {table}"),
            (None, None) => format!("{where_} takes {}; {}", allowed.join(", "), schema_help("unknown field")),
        };
        report(span, format!("unknown field `{key}` in {where_}"), Some(help));
        table.remove(key.as_str());
    }
}

/// Deserializes one value of the config (its spans kept); on a type error,
/// reports it and gives the default.
fn section<'i, T: Deserialize<'i> + Default>(value: Option<Spanned<toml::de::DeValue<'i>>>, report: Report<'_>) -> T {
    let Some(value) = value else { return T::default() };
    let span = value.span();
    T::deserialize(toml::de::ValueDeserializer::from(value)).unwrap_or_else(|e| {
        let message = e.message().trim().to_owned();
        report(e.span().unwrap_or(span), format!("invalid config: {message}"), Some(schema_help(&message)));
        T::default()
    })
}

fn parse_collecting(
    text: &str,
    name: &str,
    dir: &Path,
    known: &[KnownRule<'_>],
    errors: &mut Vec<ConfigError>,
) -> Settings {
    let known_ids: Vec<&str> = known.iter().map(|k| k.id).collect();
    let known_ids = known_ids.as_slice();
    let errs = std::cell::RefCell::new(Vec::new());
    let err = |span: std::ops::Range<usize>, message: String, label: &str, help: Option<String>| {
        let e = ConfigError::at(name, text, crate::span::Span::new(span.start, span.end), message, label);
        errs.borrow_mut().push(match help {
            Some(h) => e.with_help(h),
            None => e,
        });
    };
    let report = |span, message, help| err(span, message, "here", help);
    let mut s = Settings::defaults(dir);

    // Syntax: every error the TOML reader recovers from; nothing else is checked then.
    let (doc, syntax) = toml::de::DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        for e in syntax {
            let message = e.message().trim().to_owned();
            report(e.span().unwrap_or(0..0), format!("invalid config: {message}"), Some(schema_help(&message)));
        }
        errors.extend(errs.into_inner());
        return s;
    }
    let mut doc = doc.into_inner();
    remove_unknown_keys(&mut doc, TOP_KEYS, "the config", &report);
    if let Some(secrets) = doc.get_mut("secrets")
        && let toml::de::DeValue::Table(t) = secrets.get_mut()
    {
        remove_unknown_keys(t, SECRETS_KEYS, "[secrets]", &report);
    }
    if let Some(overrides) = doc.get_mut("overrides")
        && let toml::de::DeValue::Array(items) = overrides.get_mut()
    {
        for item in items.iter_mut() {
            if let toml::de::DeValue::Table(t) = item.get_mut() {
                remove_unknown_keys(t, OVERRIDE_KEYS, "[[overrides]]", &report);
            }
        }
    }
    let raw = RawConfig {
        policies: section(doc.remove("policies"), &report),
        max_file_size: section(doc.remove("max-file-size"), &report),
        environments: section(doc.remove("environments"), &report),
        files: section(doc.remove("files"), &report),
        rules: section(doc.remove("rules"), &report),
        secrets: section(doc.remove("secrets"), &report),
        overrides: section(doc.remove("overrides"), &report),
    };

    if let Some(size) = &raw.max_file_size {
        match parse_size(size.get_ref()) {
            Some(n) => s.max_file_size = n,
            None => err(size.span(), "invalid max-file-size".into(), "expected bytes or a size like \"5MiB\"", None),
        }
    }
    s.policies = raw.policies.iter().map(|p| dir.join(p.get_ref())).collect();

    // [environments]: env = [globs], plus the `aliases` and `accounts` tables.
    let mut glob_entries = Vec::new();
    for (key, value) in &raw.environments {
        match key.as_str() {
            "aliases" | "accounts" => {
                let table = match string_list_table(value) {
                    Ok(t) => t,
                    Err(m) => {
                        err(value.span(), m, "expected a table of string lists", None);
                        continue;
                    }
                };
                for (env, list) in table {
                    if let Err(m) = check_env_name(&env) {
                        err(value.span(), m, "here", None);
                        continue;
                    }
                    if key == "aliases" {
                        s.envs.add_aliases(&env, &list);
                    } else {
                        s.accounts.insert(env, list);
                    }
                }
            }
            env => {
                if let Err(m) = check_env_name(env) {
                    err(value.span(), m, "here", None);
                    continue;
                }
                let Some(globs) = string_list(value.get_ref()) else {
                    err(
                        value.span(),
                        format!("environments.{env} must be a list of path globs"),
                        "expected a list of strings",
                        None,
                    );
                    continue;
                };
                s.envs.add_env(env);
                glob_entries.push((env.to_owned(), globs, value.span()));
            }
        }
    }
    for (env, globs, span) in glob_entries {
        for g in globs {
            match crate::glob::matcher(&g) {
                Ok(matcher) => s.env_globs.push((g, matcher, env.clone())),
                Err(e) => {
                    err(span.clone(), format!("invalid glob `{}`: {e}", crate::glob::shown(&g)), "in this list", None);
                }
            }
        }
    }

    // [files]: kind = [globs]. An unknown kind is an error at its key.
    for (kind, globs) in &raw.files.0 {
        let Some(file_kind) = FileKind::parse(kind.get_ref()) else {
            let kinds: Vec<&str> = FileKind::ALL.iter().map(|k| k.as_str()).collect();
            let help = did_you_mean(kind.get_ref(), &kinds)
                .map_or_else(|| format!("file kinds: {}", kinds.join(", ")), |c| format!("did you mean `{c}`?"));
            err(kind.span(), format!("unknown file kind `{}`", kind.get_ref()), "not a file kind", Some(help));
            continue;
        };
        for g in globs {
            match crate::glob::matcher(g.get_ref()) {
                Ok(matcher) => s.kinds.push(g.get_ref().clone(), matcher, file_kind),
                Err(e) => {
                    err(g.span(), format!("invalid glob `{}`: {e}", crate::glob::shown(g.get_ref())), "here", None);
                }
            }
        }
    }

    let unknown_rule_help = |id: &str| {
        did_you_mean(id, known_ids)
            .map_or_else(|| "run `envlint rules` to list rule IDs".to_owned(), |c| format!("did you mean `{c}`?"))
    };
    let patterns = |list: &[Spanned<String>]| -> Vec<RulePattern> {
        list.iter()
            .filter_map(|p| match RulePattern::parse(p.get_ref(), known_ids) {
                Ok(pattern) => Some(pattern),
                Err(m) => {
                    err(p.span(), m, "not a known rule ID or pattern", Some(unknown_rule_help(p.get_ref())));
                    None
                }
            })
            .collect()
    };
    if let Some(select) = &raw.rules.select {
        s.select = patterns(select);
    }
    s.ignore = patterns(&raw.rules.ignore);
    for (id, sev) in &raw.rules.severity {
        if let Err(m) = RulePattern::parse(id.get_ref(), known_ids) {
            err(id.span(), m, "not a known rule ID", Some(unknown_rule_help(id.get_ref())));
            continue;
        }
        match Severity::parse(sev.get_ref()) {
            Some(severity) => {
                s.severity.insert(id.get_ref().clone(), severity);
            }
            None => err(
                sev.span(),
                format!("invalid severity `{}`", sev.get_ref()),
                "expected error, warning or note",
                None,
            ),
        }
    }
    for (key, value) in &raw.rules.options {
        let id = key.get_ref();
        let Some(rule) = known.iter().find(|k| k.id == id) else {
            let mut names: Vec<&str> = vec!["select", "ignore", "severity"];
            names.extend(known_ids);
            let help = did_you_mean(id, &names).map_or_else(
                || "keys of [rules] are select, ignore, severity, and rule IDs (run `envlint rules`)".to_owned(),
                |close| format!("did you mean `{close}`?"),
            );
            err(key.span(), format!("unknown key or rule `{id}` in [rules]"), "here", Some(help));
            continue;
        };
        let Some(parser) = rule.options else {
            err(key.span(), format!("rule `{id}` takes no options"), "here", None);
            continue;
        };
        if !value.get_ref().is_table() {
            err(value.span(), format!("rules.{id} must be a table of options"), "here", None);
            continue;
        }
        match parser(value.get_ref()) {
            Ok(options) => {
                s.rule_options.insert(id.clone(), options);
            }
            Err(m) => {
                err(value.span(), format!("invalid options for rule `{id}`: {}", m.trim()), "in these options", None);
            }
        }
    }
    for allow in &raw.secrets.allow {
        match Regex::new(allow.get_ref()) {
            Ok(re) => s.secrets_allow.push(re),
            Err(e) => err(allow.span(), format!("invalid regex: {e}"), "here", None),
        }
    }
    if let Some(skip) = &raw.secrets.skip_paths {
        let mut ok = true;
        for p in skip {
            if let Err(e) = crate::glob::parse(p.get_ref()) {
                err(p.span(), format!("invalid glob: {e}"), "here", None);
                ok = false;
            }
        }
        if ok {
            match glob_set(skip.iter().map(|p| p.get_ref().as_str())) {
                Ok(set) => s.secrets_skip = set,
                Err(e) => errs.borrow_mut().push(ConfigError::plain(format!("invalid secrets.skip-paths: {e}"))),
            }
        }
    }
    if let Some(n) = raw.secrets.max_line_length {
        s.secrets_max_line_length = n;
    }
    for o in &raw.overrides {
        let mut builder = globset::GlobSetBuilder::new();
        let mut ok = true;
        for p in &o.paths {
            match crate::glob::parse(p.get_ref()) {
                Ok(g) => {
                    builder.add(g);
                }
                Err(e) => {
                    err(p.span(), format!("invalid glob: {e}"), "here", None);
                    ok = false;
                }
            }
        }
        let (select, ignore) = (patterns(&o.select), patterns(&o.ignore));
        if !ok {
            continue;
        }
        match builder.build() {
            Ok(paths) => s.overrides.push(Override { paths, select, ignore }),
            Err(e) => errs.borrow_mut().push(ConfigError::plain(format!("invalid override globs: {e}"))),
        }
    }
    errors.extend(errs.into_inner());
    s
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // Edit distance counting a swap of two neighbours as one edit (`prdo` → `prod`).
    let distance = |a: &str, b: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    };
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min()
        .map(|(_, c)| c)
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

    #[derive(Debug, Clone, Default, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct TestOptions {
        replica_pattern: String,
    }

    fn known() -> Vec<KnownRule<'static>> {
        let mut k: Vec<KnownRule<'static>> = IDS.iter().map(|id| KnownRule::plain(id)).collect();
        k.push(KnownRule { id: "with-options", options: Some(crate::rule::parse_options::<TestOptions>) });
        k
    }

    fn parse_ok(text: &str) -> Settings {
        match parse(text, "envlint.toml", Path::new("/repo"), &known()) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn parse_err(text: &str) -> ConfigError {
        match parse(text, "envlint.toml", Path::new("/repo"), &known()) {
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
[files]
other = [".gitlab-ci-local-*.yml"]
dotenv = ["**/.envs/**/*", "config/*.conf"]
gitlab-ci = ["ci/**/*.yml"]
[rules]
select = ["*"]
ignore = ["prod-unpinned-image"]
[rules.severity]
dotenv-duplicate-key = "error"
[rules.with-options]
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
        assert_eq!(s.rule_options::<TestOptions>("with-options").replica_pattern, "(?i)replica");
        assert_eq!(s.rule_options::<TestOptions>("parse-error").replica_pattern, "", "defaults when absent");
        let kind = |p: &str| {
            let c = s.kinds.classify(p, p);
            (c.kind, c.source.to_string())
        };
        assert_eq!(kind(".envs/.production/.django"), (FileKind::Dotenv, "config [files] glob **/.envs/**/*".into()));
        assert_eq!(kind("ci/jobs/build.yml"), (FileKind::GitlabCi, "config [files] glob ci/**/*.yml".into()));
        assert_eq!(
            kind(".gitlab-ci-local-variables.yml"),
            (FileKind::Other, "config [files] glob .gitlab-ci-local-*.yml".into())
        );
        assert_eq!(kind("main.tf"), (FileKind::Terraform, "extension .tf".into()));
    }

    #[test]
    fn files_globs_keep_file_order() {
        let s = parse_ok("[files]\nother = [\"ci/skip.yml\"]\ngitlab-ci = [\"ci/*.yml\"]\n");
        assert_eq!(s.kinds.classify("ci/skip.yml", "ci/skip.yml").kind, FileKind::Other);
        assert_eq!(s.kinds.classify("ci/build.yml", "ci/build.yml").kind, FileKind::GitlabCi);
        let s = parse_ok("[files]\ngitlab-ci = [\"ci/*.yml\"]\nother = [\"ci/skip.yml\"]\n");
        assert_eq!(s.kinds.classify("ci/skip.yml", "ci/skip.yml").kind, FileKind::GitlabCi);
    }

    #[test]
    fn errors_point_at_the_problem() {
        // (config, substring of message, text under the span)
        let cases: &[(&str, &str, &str)] = &[
            ("[rules]\nignore = [\"no-such-rule\"]\n", "unknown rule `no-such-rule`", "\"no-such-rule\""),
            ("[rules]\nselct = [\"*\"]\n", "unknown key or rule `selct`", "selct"),
            ("[rules.severity]\nparse-error = \"fatal\"\n", "invalid severity `fatal`", "\"fatal\""),
            ("[secrets]\nallow = [\"(unclosed\"]\n", "invalid regex", "\"(unclosed\""),
            ("max-file-size = \"big\"\n", "invalid max-file-size", "\"big\""),
            ("[environments]\nprod = \"x/**\"\n", "must be a list", "\"x/**\""),
            ("[environments]\nprod = [\"a/[\"]\n", "invalid glob", "[\"a/[\"]"),
            ("rules = 3\n", "invalid type", "3"),
            ("[[overrides]]\npaths = [\"x\"]\nignore = [\"nope-*\"]\n", "unknown rule `nope-*`", "\"nope-*\""),
            ("[rules.prod-debug-enabld]\nx = 1\n", "unknown key or rule `prod-debug-enabld`", "prod-debug-enabld"),
            ("[rules.parse-error]\nx = 1\n", "rule `parse-error` takes no options", "parse-error"),
            (
                "[rules.with-options]\nreplica-patern = \"x\"\n",
                "unknown field `replica-patern`",
                "[rules.with-options]",
            ),
            ("[rules]\nwith-options = 3\n", "must be a table", "3"),
            ("[files]\ndot-env = [\"x/*\"]\n", "unknown file kind `dot-env`", "dot-env"),
            ("[files]\ndotenv = [\"a/[\"]\n", "invalid glob `a/[`", "\"a/[\""),
            ("[files]\ndotenv = \"x/*\"\n", "invalid type", "\"x/*\""),
            ("[files]\ndotenv = [3]\n", "invalid type", "3"),
            ("files = 3\n", "invalid type", "3"),
        ];
        for &(text, msg, under) in cases {
            let e = parse_err(text);
            assert!(e.message.contains(msg), "{text:?}: {}", e.message);
            let span = e.span.expect("span");
            assert_eq!(&text[span.offset()..span.offset() + span.len()], under, "{text:?}");
        }
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(did_you_mean("prod-debug-enabld", IDS), Some("prod-debug-enabled"));
        assert_eq!(did_you_mean("selct", &["select", "ignore"]), Some("select"));
        assert_eq!(did_you_mean("something-else", IDS), None);
        assert_eq!(did_you_mean("prdo", &["dev", "prod", "staging"]), Some("prod"), "a swap is one edit");
        let e = parse_err("[rules.prod-debug-enabld]\nx = 1\n");
        assert_eq!(e.help.as_deref(), Some("did you mean `prod-debug-enabled`?"));
    }

    #[test]
    fn every_error_is_reported_with_suggestions() {
        let text = "polices = [\"p\"]\nselect = [\"*\"]\n[rules]\nignore = [\"prod-debug-enabld\"]\n\
                    [rules.severity]\nparse-error = \"fatal\"\n[secrets]\nalow = [\"x\"]\n\
                    [[overrides]]\npaths = [\"a/**\"]\nignor = [\"*\"]\n[files]\ndotnev = [\"x\"]\n\
                    [environments]\nprod = 3\n";
        let e = parse_err(text);
        let all: Vec<&ConfigError> = std::iter::once(&e).chain(&e.related).collect();
        // (message, text under the label, help), in file order
        let want: &[(&str, &str, &str)] = &[
            ("unknown field `polices` in the config", "polices", "did you mean `policies`?"),
            ("unknown field `select` in the config", "select", "`select` belongs in [rules]"),
            ("unknown rule `prod-debug-enabld`", "\"prod-debug-enabld\"", "did you mean `prod-debug-enabled`?"),
            ("invalid severity `fatal`", "\"fatal\"", ""),
            ("unknown field `alow` in [secrets]", "alow", "did you mean `allow`?"),
            ("unknown field `ignor` in [[overrides]]", "ignor", "did you mean `ignore`?"),
            ("unknown file kind `dotnev`", "dotnev", "did you mean `dotenv`?"),
            ("environments.prod must be a list of path globs", "3", ""),
        ];
        assert_eq!(all.len(), want.len(), "{:#?}", all.iter().map(|e| &e.message).collect::<Vec<_>>());
        for (e, (message, under, help)) in all.iter().zip(want) {
            assert!(e.message.starts_with(message), "{} / {message}", e.message);
            assert_eq!(e.labelled_text().as_deref(), Some(*under), "{message}");
            assert_eq!(e.help.as_deref().unwrap_or(""), *help, "{message}");
        }
        assert!(e.message.ends_with("(7 more problems below)"), "{}", e.message);
        // every syntax error the reader recovers from
        let e = parse_err("[rules\nx = = 1\n");
        assert!(!e.related.is_empty(), "{}", e.message);
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
