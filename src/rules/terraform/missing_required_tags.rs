//! `missing-required-tags`: a taggable resource whose effective tags lack a required key.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use serde::Deserialize;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::terraform::tags::norm;
use crate::rule::{Emitter, EnvScope, Loc, Options, Precision, Rule, RuleMeta, Subject, UnitCx};

const DOCS: &str = r#"## What it does
Reports a Terraform resource that takes tags (AWS and Azure `tags`, Google
`labels`; the types listed from the providers' schemas, and any resource that
sets `tags`) whose **effective** tags lack a required key. The default required
keys are `env`, `service` and `owner`, each satisfied by any of its aliases,
compared case-insensitively with `-` and `_` ignored:

| key | aliases |
|---|---|
| `env` | `env`, `environment`, `stage` |
| `service` | `service`, `app`, `application`, `project`, `component`, `system` |
| `owner` | `owner`, `team`, `owner-team` |

Effective tags are the provider's `default_tags` (the aliased provider's for
`provider = aws.us_east_1`; Google's `default_labels`) merged under the
resource's own `tags`, after evaluating literals, `merge(...)`, `lookup`,
conditionals, templates, `local.*`, and `var.*` with their defaults or with the
values of the environment's tfvars (`terraform.tfvars`, `*.auto.tfvars`,
`prod.tfvars`, `env/prod.tfvars`, terragrunt `inputs`). A root with several
environments' variable files is evaluated once per environment; each finding
carries the environment it was evaluated with.

It stays silent when any part of the tags cannot be known: a variable without
a value, a module output, a data source, default tags from a provider
configured by a caller or by terragrunt. Resources of shared modules (folders
other modules call, or without provider blocks, backend or tfvars) are not
judged: their tags come from the caller. Neither are resources with
`count = 0` or an empty `for_each`.

Options (`envlint.toml`):

```toml
[rules.missing-required-tags]
tags = { env = ["env", "environment"], service = ["service", "app"], owner = ["owner", "team"], cost-center = [] }
```

Each required key counts as its own alias.

## Why is this bad?
Untagged resources cannot be attributed: nobody knows which team to page,
which service a cost belongs to, or whether deleting it breaks production.
Cost reports, access policies (ABAC) and clean-up jobs all key on these tags.

## Example
```hcl
provider "aws" {
  default_tags {
    tags = { env = "prod" }
  }
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-logs"
  tags   = { service = "logging" }   # no owner
}
```

## How to fix
Add the missing keys to the resource's `tags`, or once for every resource to
the provider's `default_tags`:

```hcl
provider "aws" {
  default_tags {
    tags = { env = "prod", owner = "platform" }
  }
}
```
"#;

/// `[rules.missing-required-tags]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    tags: Option<BTreeMap<String, Vec<String>>>,
}

/// The required keys, each with its aliases (normalised).
#[derive(Debug, Clone)]
pub struct RequiredTags {
    keys: Vec<(String, Vec<String>)>,
}

impl Default for RequiredTags {
    fn default() -> Self {
        let keys: [(&str, &[&str]); 3] = [
            ("env", &["env", "environment", "stage"]),
            ("service", &["service", "app", "application", "project", "component", "system"]),
            ("owner", &["owner", "team", "owner-team"]),
        ];
        Self::new(keys.iter().map(|(k, a)| ((*k).to_owned(), a.iter().map(|s| (*s).to_owned()).collect())))
    }
}

impl RequiredTags {
    fn new(keys: impl Iterator<Item = (String, Vec<String>)>) -> Self {
        Self {
            keys: keys
                .map(|(k, aliases)| {
                    let mut list: Vec<String> = aliases.iter().map(|a| norm(a)).collect();
                    list.push(norm(&k));
                    list.sort();
                    list.dedup();
                    (k, list)
                })
                .collect(),
        }
    }

    /// The required keys none of whose aliases is among `present` (normalised keys).
    fn missing(&self, present: &[String]) -> Vec<&str> {
        self.keys
            .iter()
            .filter(|(_, aliases)| !aliases.iter().any(|a| present.contains(a)))
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

static DEFAULT_REQUIRED: LazyLock<RequiredTags> = LazyLock::new(RequiredTags::default);

fn parse(value: &toml::Value) -> Result<Options, String> {
    let raw = Raw::deserialize(value.clone()).map_err(|e| e.to_string())?;
    let o = match raw.tags {
        Some(map) if map.is_empty() => return Err("tags: at least one required key".to_owned()),
        Some(map) => RequiredTags::new(map.into_iter()),
        None => RequiredTags::default(),
    };
    Ok(Arc::new(o))
}

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("missing-required-tags"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a taggable resource whose effective tags lack a required key"),
    formats: Cow::Borrowed("terraform"),
    kinds: Cow::Borrowed(&[FileKind::Terraform]),
    scope: EnvScope::Any,
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: Some(parse),
    help: Cow::Borrowed("add the missing tags to the resource, or to the provider's default_tags"),
    docs: Cow::Borrowed(DOCS),
};

pub struct MissingRequiredTags;

impl Rule for MissingRequiredTags {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(ev) = subject.terraform.as_deref() else { return };
        let required = unit.settings.rule_options_ref::<RequiredTags>(&META.id).unwrap_or(&DEFAULT_REQUIRED);
        for (r, eff) in ev.module.resources.iter().zip(ev.effective_tags()) {
            let Some(eff) = eff else { continue };
            let missing = required.missing(&eff.norm_keys);
            if missing.is_empty() {
                continue;
            }
            let names: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
            let with = if ev.variant.label.is_empty() {
                String::new()
            } else {
                format!(" (evaluated with {})", ev.variant.label)
            };
            let plural = if missing.len() == 1 { "tag" } else { "tags" };
            let message = format!("{} lacks the required {plural} {}{with}", r.address(), names.join(", "));
            let at = eff.attr.map_or_else(|| r.header(), |span| Loc { file: r.file, span });
            let mut report = out
                .report_in(at, message)
                .anchor(format!("{}|{}", r.address(), ev.variant.label))
                .property("missing", &missing.join(","));
            if let Some(d) = eff.defaults {
                report = report.related(d, "the provider's default tags");
            }
            let _ = report;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_options() {
        let r = RequiredTags::default();
        let keys = |list: &[&str]| list.iter().map(|k| norm(k)).collect::<Vec<_>>();
        assert_eq!(r.missing(&keys(&["Environment", "App", "Owner-Team"])), Vec::<&str>::new());
        assert_eq!(r.missing(&keys(&["Name", "STAGE"])), ["service", "owner"]);
        let toml: toml::Value = toml::from_str("tags = { cost_center = [\"CostCenter\"] }").expect("toml");
        let parsed = parse(&toml).expect("options");
        let o = parsed.downcast_ref::<RequiredTags>().expect("type");
        assert_eq!(o.missing(&keys(&["cost-center"])), Vec::<&str>::new());
        assert_eq!(o.missing(&keys(&["env"])), ["cost_center"]);
        let bad: toml::Value = toml::from_str("keys = []").expect("toml");
        assert!(parse(&bad).is_err());
    }
}
