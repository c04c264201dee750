//! `prod-db-not-replica`: a prod database host that is not a read replica.

use std::borrow::Cow;
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::carriers::CarrierValue;
use crate::rule::{Emitter, EnvScope, Loc, Options, Precision, Rule, RuleMeta, Subject, UnitCx};
use crate::span::Span;

const DOCS: &str = r#"## What it does
In prod, reports a database host that is not a read replica: the value of
`DB_HOST`, `DATABASE_HOST`, `*_DB_HOST`, `POSTGRES_HOST`, `MYSQL_HOST`,
`PGHOST`, or the host part of `DATABASE_URL`, `*_DATABASE_URL` and `DB_URL`,
that does not match the replica pattern. The default pattern takes a host with
a word `replica`, `read`, `readonly`, `reader`, `ro`, `standby` or `secondary`
(`db-replica.internal`, `app.cluster-ro-xyz.rds.amazonaws.com`).

It judges each subject with what it really has: a dotenv file, a CI job with
the variables it inherits. Compose files are out of scope by default: they
describe the running application, which writes to the primary. Interpolated
hosts (`${DB_HOST}`) are not judged.

Options (`envlint.toml`):

```toml
[rules.prod-db-not-replica]
replica-pattern = "(?i)(^|[-._])(replica|ro|reader)([-._]|$)"   # a regex on the host
kinds = ["dotenv", "gitlab-ci", "github-workflow"]             # the default; add "compose", "terraform"
```

## Why is this bad?
The prod configurations this rule reads — reporting jobs, analytics exports,
CI tasks against prod — should only read. Pointed at the primary, one wrong
query or migration writes to (or locks) the production database.

## Example
```sh
# reporting/.env.production
DATABASE_URL=postgres://report@db-primary.internal:5432/app
```

## How to fix
Point it at a read replica (`db-replica.internal`), or narrow the rule to the
configurations that must read only (`[[overrides]]` paths, or `kinds`).
"#;

/// `[rules.prod-db-not-replica]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    replica_pattern: Option<String>,
    kinds: Option<Vec<String>>,
}

/// The rule's options, compiled once (`None`: the defaults).
#[derive(Debug, Clone, Default)]
pub struct ReplicaOptions {
    pattern: Option<Regex>,
    kinds: Option<Vec<FileKind>>,
}

const DEFAULT_PATTERN: &str = r"(?i)(^|[-._])(replica|read|readonly|reader|ro|standby|secondary)([-._0-9]|$)";
const DEFAULT_KINDS: [FileKind; 3] = [FileKind::Dotenv, FileKind::GitlabCi, FileKind::GithubWorkflow];
/// The default pattern, compiled (a unit test checks that it compiles).
static DEFAULT_RE: std::sync::LazyLock<Option<Regex>> = std::sync::LazyLock::new(|| Regex::new(DEFAULT_PATTERN).ok());

fn parse(value: &toml::Value) -> Result<Options, String> {
    let raw = Raw::deserialize(value.clone()).map_err(|e| e.to_string())?;
    let mut o = ReplicaOptions::default();
    if let Some(p) = raw.replica_pattern {
        o.pattern = Some(Regex::new(&p).map_err(|e| format!("replica-pattern: {e}"))?);
    }
    if let Some(kinds) = raw.kinds {
        o.kinds = Some(
            kinds
                .iter()
                .map(|k| FileKind::parse(k).ok_or_else(|| format!("kinds: unknown file kind `{k}`")))
                .collect::<Result<_, _>>()?,
        );
    }
    Ok(Arc::new(o))
}

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-db-not-replica"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("a prod database host that is not a read replica"),
    formats: Cow::Borrowed("dotenv, CI variables (configurable)"),
    kinds: Cow::Borrowed(&[
        FileKind::Dotenv,
        FileKind::GitlabCi,
        FileKind::GithubWorkflow,
        FileKind::Compose,
        FileKind::Terraform,
    ]),
    scope: EnvScope::Only(Cow::Borrowed(&[Cow::Borrowed("prod")])),
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: Some(parse),
    help: Cow::Borrowed("point it at a read replica, or narrow the rule to the configurations that must only read"),
    docs: Cow::Borrowed(DOCS),
};

pub struct ProdDbNotReplica;

/// Whether a key holds a database host, or a URL whose host is one.
fn host_key(key: &str) -> Option<bool> {
    let k = key.to_ascii_uppercase();
    let host = matches!(k.as_str(), "DB_HOST" | "DATABASE_HOST" | "POSTGRES_HOST" | "MYSQL_HOST" | "PGHOST")
        || k.ends_with("_DB_HOST")
        || k.ends_with("_DATABASE_HOST");
    let url = k == "DATABASE_URL" || k == "DB_URL" || k.ends_with("_DATABASE_URL");
    if host {
        Some(false)
    } else if url {
        Some(true)
    } else {
        None
    }
}

/// The host part of a database URL (`postgres://u:p@host:5432/db`): its byte range.
fn url_host(value: &str) -> Option<std::ops::Range<usize>> {
    let after = value.find("://")? + 3;
    let auth_end = value[after..].find(['/', '?', '#']).map_or(value.len(), |i| after + i);
    let start = value[after..auth_end].rfind('@').map_or(after, |i| after + i + 1);
    let end = value[start..auth_end].find(':').map_or(auth_end, |i| start + i);
    (end > start).then_some(start..end)
}

/// A host that only stands for one: `example.com` and other documentation
/// domains, `your-db-host`, `<host>`.
fn placeholder_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    crate::secrets::is_placeholder(&h)
        || h.starts_with("your")
        || ["example.com", "example.org", "example.net"].iter().any(|d| h == *d || h.ends_with(&format!(".{d}")))
        || h.ends_with(".example")
        || h.ends_with(".invalid")
}

impl Rule for ProdDbNotReplica {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let options: ReplicaOptions = unit.settings.rule_options(&META.id);
        let kinds = options.kinds.as_deref().unwrap_or(&DEFAULT_KINDS);
        let Some(pattern) = options.pattern.as_ref().or(DEFAULT_RE.as_ref()) else { return };
        if !kinds.contains(&subject.file_kind(unit.files)) {
            return;
        }
        for sc in &subject.carriers {
            let c = &sc.carrier;
            let Some(is_url) = host_key(&c.key) else { continue };
            let CarrierValue::Literal(value) = &c.value else { continue };
            let range = if is_url { url_host(value) } else { Some(0..value.len()) };
            let Some(range) = range.filter(|r| !r.is_empty()) else { continue };
            let host = &value[range.clone()];
            if host.contains(['$', '{']) || pattern.is_match(host) || placeholder_host(host) {
                continue;
            }
            // narrow to the host when the value is written as is
            let src = &unit.file(sc.file).source;
            let span = if src.slice(c.value_span) == value.as_str() {
                Span::new(c.value_span.start as usize + range.start, c.value_span.start as usize + range.end)
            } else {
                c.value_span
            };
            out.report_in(
                Loc { file: sc.file, span },
                format!("prod database host `{host}` ({}) is not a read replica", c.key),
            )
            .anchor(c.key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_the_default_pattern() {
        let pattern = DEFAULT_RE.as_ref().expect("the default pattern compiles");
        for replica in [
            "db-replica.internal",
            "app.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
            "pg-read-1",
            "reader.db",
            "db.standby.local",
        ] {
            assert!(pattern.is_match(replica), "{replica}");
        }
        for primary in ["db-primary.internal", "product-db", "rocket.db", "readiness-db", "localhost"] {
            assert!(!pattern.is_match(primary), "{primary}");
        }
        let cases: &[(&str, Option<&str>)] = &[
            ("postgres://u:p@db.prod:5432/app", Some("db.prod")),
            ("mysql://db-1/app", Some("db-1")),
            ("postgres:///app", None),
            ("not a url", None),
        ];
        for &(url, want) in cases {
            assert_eq!(url_host(url).map(|r| &url[r]), want, "{url}");
        }
        assert_eq!(host_key("REPORTING_DB_HOST"), Some(false));
        assert_eq!(host_key("analytics_database_url"), Some(true));
        assert_eq!(host_key("DB_HOSTNAME"), None);
    }
}
