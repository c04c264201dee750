//! `invalid-env-tag`: a resource's env tag that names no known environment, or another one.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use crate::discover::FileKind;
use crate::env::Env;
use crate::finding::Severity;
use crate::formats::terraform::tags::norm;
use crate::rule::{Emitter, EnvScope, Loc, Options, Precision, Rule, RuleMeta, Subject, UnitCx};

const DOCS: &str = r#"## What it does
Reads the environment tag of every Terraform resource that takes tags (its
effective tags: the provider's `default_tags` merged under its own `tags`, see
`missing-required-tags`) and reports a value that is not a known environment
name (`env = "prdo"`, `Environment = "Private"`), or that names another
environment than the one the root is evaluated for (`Environment = "staging"`
in a prod root, or with `prod.tfvars`). Aliases count as their environment:
`production` in a prod root is fine. The finding points where the value is
written: the resource, a `locals` block, a tfvars file, the provider's default
tags. Values that cannot be known (a variable without a value, a data source)
are not judged; neither are resources of shared modules.

The environment tag keys default to `env`, `environment` and `stage`, compared
case-insensitively with `-` and `_` ignored. Options (`envlint.toml`):

```toml
[rules.invalid-env-tag]
keys = ["env", "environment", "stage", "tier"]
```

Environment names and aliases come from `[environments.aliases]`.

## Why is this bad?
Cost reports, access policies and automation select resources by their
environment tag. A typo hides a resource from all of them; a staging tag on a
prod resource puts it under staging's (looser) policies, and a clean-up job for
staging may delete it.

## Example
```hcl
# environments/prod/main.tf
locals {
  tags = { Environment = "staging", Owner = "payments" }   # copied from staging
}
```

## How to fix
Set the tag from one place that names the right environment, for example a
variable set in each environment's tfvars:

```hcl
locals {
  tags = { Environment = var.environment, Owner = "payments" }
}
```
"#;

/// `[rules.invalid-env-tag]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    keys: Option<Vec<String>>,
}

/// The tag keys that hold the environment (normalised).
#[derive(Debug, Clone)]
pub struct EnvTagKeys(Vec<String>);

impl Default for EnvTagKeys {
    fn default() -> Self {
        Self(["env", "environment", "stage"].iter().map(|k| norm(k)).collect())
    }
}

static DEFAULT_KEYS: LazyLock<EnvTagKeys> = LazyLock::new(EnvTagKeys::default);

fn parse(value: &toml::Value) -> Result<Options, String> {
    let raw = Raw::deserialize(value.clone()).map_err(|e| e.to_string())?;
    let o = match raw.keys {
        Some(keys) if keys.is_empty() => return Err("keys: at least one tag key".to_owned()),
        Some(keys) => EnvTagKeys(keys.iter().map(|k| norm(k)).collect()),
        None => EnvTagKeys::default(),
    };
    Ok(Arc::new(o))
}

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("invalid-env-tag"),
    severity: Severity::Error,
    summary: Cow::Borrowed("an env tag that is no known environment, or another environment than the root's"),
    formats: Cow::Borrowed("terraform"),
    kinds: Cow::Borrowed(&[FileKind::Terraform]),
    scope: EnvScope::Any,
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: Some(parse),
    help: Cow::Borrowed("set the environment tag to the root's environment, from one variable set per environment"),
    docs: Cow::Borrowed(DOCS),
};

pub struct InvalidEnvTag;

impl Rule for InvalidEnvTag {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(ev) = subject.terraform.as_deref() else { return };
        let keys = unit.settings.rule_options_ref::<EnvTagKeys>(&META.id).unwrap_or(&DEFAULT_KEYS);
        let table = &unit.settings.envs;
        // One finding per place a value is written, however many resources share it.
        let mut seen: BTreeSet<Loc> = BTreeSet::new();
        // Resources share their tag values (a `local`, the default tags): read each text once.
        let mut resolved: BTreeMap<&str, Option<Env>> = BTreeMap::new();
        for (r, eff) in ev.module.resources.iter().zip(ev.effective_tags()) {
            let Some(eff) = eff else { continue };
            for ((key, value), normed) in eff.tags.iter().zip(&eff.norm_keys) {
                if !keys.0.contains(normed) {
                    continue;
                }
                let Some(text) = value.as_str() else { continue };
                let named =
                    resolved.entry(text).or_insert_with(|| table.resolve_text(text).map(|(env, _)| env)).clone();
                let problem = match (named, &subject.env) {
                    (None, _) => format!("env tag `{key}` is \"{text}\", not a known environment name"),
                    (Some(env), Some(root)) if env != *root => {
                        let alias = if text.eq_ignore_ascii_case(&env) { String::new() } else { format!(" ({env})") };
                        format!("env tag `{key}` is \"{text}\"{alias} but the root is evaluated for {root}")
                    }
                    _ => continue,
                };
                let fallback = eff.attr.map_or_else(|| r.header(), |span| Loc { file: r.file, span });
                let at = value.origin.map_or(fallback, |o| narrow(unit, o, text));
                if !seen.insert(at) {
                    continue;
                }
                let with = if ev.variant.label.is_empty() {
                    String::new()
                } else {
                    format!(" (evaluated with {})", ev.variant.label)
                };
                let _ = out
                    .report_in(at, format!("{problem}{with}"))
                    .related(r.header(), format!("{} has this tag", r.address()))
                    .anchor(format!("{key}={text}|{}", ev.variant.label));
            }
        }
    }
}

/// The location of a string value, inside its quotes when it is written as is.
fn narrow(unit: &UnitCx<'_>, loc: Loc, text: &str) -> Loc {
    let raw = unit.text(loc);
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') && &raw[1..raw.len() - 1] == text {
        Loc { file: loc.file, span: crate::span::Span::new(loc.span.start as usize + 1, loc.span.end as usize - 1) }
    } else {
        loc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let toml: toml::Value = toml::from_str("keys = [\"Tier\"]").expect("toml");
        let parsed = parse(&toml).expect("options");
        assert_eq!(parsed.downcast_ref::<EnvTagKeys>().map(|k| k.0.clone()), Some(vec!["tier".to_owned()]));
        assert!(parse(&toml::from_str("keys = []").expect("toml")).is_err());
        assert!(parse(&toml::from_str("key = \"x\"").expect("toml")).is_err());
        assert_eq!(EnvTagKeys::default().0, ["env", "environment", "stage"]);
    }
}
