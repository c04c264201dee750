//! `required-env-keys`: keys every environment's configuration must set.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::dotenv::{is_overlay, is_template};
use crate::rule::{Emitter, EnvScope, Options, Precision, Rule, RuleMeta, Subject, SubjectKind, UnitCx};

const DOCS: &str = r#"## What it does
Checks that every *configuration unit* of a known environment sets the keys
listed in `envlint.toml`, and reports once per unit, naming every missing key:

- each env file of a folder's dotenv family (`.env.staging`,
  `.env.production`; templates and local overlays such as `.env.local` are not
  units), at its first line;
- each service of an environment's compose file, with what it gets from its
  `env_file:` files, its override files and `extends:`, at the service's key;
- each CI job with an environment, with what it inherits (global variables,
  `extends:` templates, workflow `env:`), at the job's key.

A key set to an interpolation (`SAFE_MODE=${SAFE_MODE}`) or declared without a
value (compose `environment: [SAFE_MODE]`, taken from the shell) counts as set.
Off until keys are configured:

```toml
[rules.required-env-keys]
keys = ["SAFE_MODE", "AUTOMATION_ENABLED"]    # every known environment; globs, any case

[rules.required-env-keys.env.prod]
keys = ["SAFE_MODE", "PAYOUTS_*"]             # more for one environment
```

Presence only: whether the values are right is a policy's job (the example
`policies/examples/staging-safe-mode.yaml` checks `SAFE_MODE` and
`AUTOMATION_ENABLED` in staging).

## Why is this bad?
A flag missing from one environment's configuration silently takes the code's
default. For the flags that gate automation — safe mode, payouts, outgoing
emails, scheduled jobs — that is how a staging stack starts acting on real
customers.

## Example
```sh
# services/billing/.env.staging
DATABASE_URL=postgres://app@db.staging.internal/billing
# SAFE_MODE and AUTOMATION_ENABLED missing: the code's defaults apply
```

## How to fix
Set every required key in every environment's configuration, explicitly, even
where the value equals the default.
"#;

/// `[rules.required-env-keys]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, RawEnv>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnv {
    keys: Vec<String>,
}

/// A required key: as written, and as a case-insensitive whole-key pattern.
#[derive(Debug, Clone)]
struct Key {
    text: String,
    re: Regex,
}

/// The rule's options, compiled once.
#[derive(Debug, Clone, Default)]
pub struct RequiredKeys {
    every: Vec<Key>,
    /// Environment name or alias as written → its extra keys.
    per_env: Vec<(String, Vec<Key>)>,
}

fn key(text: &str) -> Result<Key, String> {
    if text.is_empty() || text.len() > 256 {
        return Err(format!("invalid key pattern `{text}`"));
    }
    let mut re = String::from("(?i)^");
    for c in text.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map(|re| Key { text: text.to_owned(), re }).map_err(|e| format!("key pattern `{text}`: {e}"))
}

fn parse(value: &toml::Value) -> Result<Options, String> {
    let raw = Raw::deserialize(value.clone()).map_err(|e| e.to_string())?;
    let every = raw.keys.iter().map(|k| key(k)).collect::<Result<_, _>>()?;
    let per_env = raw
        .env
        .into_iter()
        .map(|(env, e)| Ok((env, e.keys.iter().map(|k| key(k)).collect::<Result<Vec<_>, String>>()?)))
        .collect::<Result<_, String>>()?;
    Ok(Arc::new(RequiredKeys { every, per_env }))
}

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("required-env-keys"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a configuration unit of an environment misses keys every environment must set"),
    formats: Cow::Borrowed("dotenv families, compose services, CI jobs; keys from envlint.toml"),
    kinds: Cow::Borrowed(&[FileKind::Dotenv, FileKind::Compose, FileKind::GitlabCi, FileKind::GithubWorkflow]),
    scope: EnvScope::Known,
    security: false,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: Some(parse),
    help: Cow::Borrowed("set every required key explicitly in each environment's configuration"),
    docs: Cow::Borrowed(DOCS),
};

pub struct RequiredEnvKeys;

impl Rule for RequiredEnvKeys {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let options: RequiredKeys = unit.settings.rule_options(&META.id);
        let Some(env) = subject.env.as_deref() else { return };
        let table = &unit.settings.envs;
        let extra = options
            .per_env
            .iter()
            .filter(|(name, _)| table.resolve(name).map_or_else(|| name.eq_ignore_ascii_case(env), |c| *c == *env))
            .flat_map(|(_, keys)| keys);
        let required: Vec<&Key> = options.every.iter().chain(extra).collect();
        if required.is_empty() {
            return;
        }
        // configuration units: dotenv env files, services, jobs (not Terraform files, templates or overlays)
        let home = unit.file(subject.anchor.file);
        if subject.kind == SubjectKind::File
            && (home.kind != FileKind::Dotenv || is_template(&home.source.path) || is_overlay(&home.source.path))
        {
            return;
        }
        let mut missing: Vec<&str> = Vec::new();
        for k in required {
            if !subject.carriers.iter().any(|c| k.re.is_match(&c.carrier.key)) && !missing.contains(&k.text.as_str()) {
                missing.push(&k.text);
            }
        }
        if missing.is_empty() {
            return;
        }
        let what = match subject.kind {
            SubjectKind::File => format!("`{}`", home.source.path.rsplit('/').next().unwrap_or(&home.source.path)),
            _ => subject.label(),
        };
        let list = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        out.report_in(subject.anchor, format!("{what} ({env}) does not set {list}")).anchor(format!(
            "{} missing {}",
            subject.name,
            missing.join(",")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_patterns() {
        // (pattern, key, matches)
        let cases: &[(&str, &str, bool)] = &[
            ("SAFE_MODE", "SAFE_MODE", true),
            ("SAFE_MODE", "safe_mode", true),
            ("SAFE_MODE", "SAFE_MODE_X", false),
            ("PAYOUTS_*", "payouts_enabled", true),
            ("PAYOUTS_*", "PAYOUT", false),
            ("A?C", "ABC", true),
            ("a.b", "aXb", false),
        ];
        for &(pattern, k, want) in cases {
            assert_eq!(key(pattern).expect("pattern").re.is_match(k), want, "{pattern} ~ {k}");
        }
        assert!(key("").is_err());
    }
}
