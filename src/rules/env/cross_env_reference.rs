//! `cross-env-reference`: a file of one environment points at another
//! environment's resources.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::discover::FileKind;
use crate::env::{Named, Reading};
use crate::finding::Severity;
use crate::formats::carriers::{content_span, is_dynamic};
use crate::model::{Node, Value};
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};
use crate::span::Span;

const DOCS: &str = r#"## What it does
In a file (or CI job) of a known environment, reports a value that names a
*different* environment's resources:

- the host of a URL (`https://api.staging.example.com/v1`, `s3://acme-prod-assets`);
- a host name (`db-prod.internal`, `redis.staging.svc:6379`);
- the resource of an ARN (`arn:aws:secretsmanager:eu-west-1:…:secret:prod/db`);
- the value of a key that names a secret-manager path, parameter, bucket or
  Terraform state key (`secret_name = "prod/db/password"`, `bucket =
  "acme-staging-logs"`, a backend's `key = "prod/terraform.tfstate"`);
- an AWS account ID configured for another environment under
  `[environments.accounts]` in `envlint.toml`.

Names are read as words, as environment inference reads them: `product` is not
`prod`, `non-prod` names no environment, and a word with another common meaning
(`test`, `qa`, `live`, `local`, `sandbox`, ...) is not read in values, so a
third-party `sandbox.` host is not reported. A value naming two environments,
an interpolation (`${HOST}`), and a key that itself names the other environment
(`STAGING_URL` in a prod file: said on purpose) are left alone. The message
names the other environment.

## Why is this bad?
A staging service that writes to the prod database, a prod deploy that reads
staging's secrets, a Terraform root that reads another environment's state:
each one crosses the boundary the environments exist for, and usually by a
copy-paste.

## Example
```sh
# services/api/.env.staging
DATABASE_URL=postgres://app@db.prod.internal:5432/app
```

## How to fix
Point the value at this environment's resource. If the reference is
deliberate, say so in the key (`PROD_READONLY_URL`) or suppress the finding
with a reason.
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("cross-env-reference"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a file of one environment references another environment's resources"),
    formats: Cow::Borrowed("every parsed format"),
    kinds: Cow::Borrowed(&[
        FileKind::Dotenv,
        FileKind::Compose,
        FileKind::GithubWorkflow,
        FileKind::GitlabCi,
        FileKind::Terraform,
        FileKind::Tfvars,
        FileKind::Hcl,
    ]),
    scope: EnvScope::Known,
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("point it at this environment's resource, or say in the key that the reference is deliberate"),
    docs: Cow::Borrowed(DOCS),
};

pub struct CrossEnvReference;

static URL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z][a-z0-9+.-]{1,15})://([^/\s?#'\x22<>]+)").ok());
static HOST: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*\.([A-Za-z]{2,}|internal|local|svc)(:\d{1,5})?$").ok()
});
static ARN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\barn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12})?:([^\s'\x22]+)").ok());
static ACCOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(^|[^0-9])(\d{12})([^0-9]|$)").ok());
/// Keys whose value is a secret-manager path, a parameter, a bucket or a state key.
static KEYED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[_-])(secret_?(name|id|arn|path|prefix)|parameter_?(name|path)?|ssm_[a-z_]+|bucket(_?name)?|state_?key|key_?prefix|vault_?path)$",
    )
    .ok()
});

/// Last labels of names that are files, not hosts (`values-prod.yaml`).
const FILE_EXTENSIONS: [&str; 24] = [
    "yml",
    "yaml",
    "json",
    "env",
    "txt",
    "tf",
    "tfvars",
    "hcl",
    "sh",
    "py",
    "js",
    "ts",
    "conf",
    "cfg",
    "ini",
    "toml",
    "xml",
    "md",
    "pem",
    "key",
    "crt",
    "log",
    "sql",
    "properties",
];

/// A part of a value that can name an environment's resource.
struct Part {
    what: &'static str,
    range: Range<usize>,
}

/// The parts of `value` worth reading, given the key it is set under.
/// Which parts of `value` to read for an environment name. Each regex runs only
/// when the literal it needs is there: most values are none of these.
fn parts(key: &str, in_backend: bool, value: &str) -> Vec<Part> {
    let mut out = Vec::new();
    if value.contains("://")
        && let Some(re) = URL.as_ref()
    {
        for c in re.captures_iter(value) {
            let (Some(scheme), Some(auth)) = (c.get(1), c.get(2)) else { continue };
            let host_start = auth.as_str().rfind('@').map_or(auth.start(), |i| auth.start() + i + 1);
            let host_end = value[host_start..auth.end()].find(':').map_or(auth.end(), |i| host_start + i);
            let what = match scheme.as_str().to_ascii_lowercase().as_str() {
                "s3" | "gs" | "gcs" | "az" | "abfs" | "abfss" => "bucket",
                _ => "host",
            };
            if host_end > host_start {
                out.push(Part { what, range: host_start..host_end });
            }
        }
    }
    if out.is_empty()
        && value.contains('.')
        && HOST.as_ref().is_some_and(|re| re.is_match(value))
        && !value.rsplit_once('.').is_some_and(|(_, ext)| FILE_EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
    {
        let end = value.rfind(':').unwrap_or(value.len());
        out.push(Part { what: "host", range: 0..end });
    }
    if value.contains("arn:aws")
        && let Some(re) = ARN.as_ref()
    {
        for c in re.captures_iter(value) {
            if let Some(res) = c.get(2) {
                out.push(Part { what: "ARN", range: res.range() });
            }
        }
    }
    if out.is_empty()
        && !value.contains(char::is_whitespace)
        && value.len() < 256
        && (KEYED.as_ref().is_some_and(|re| re.is_match(key)) || (in_backend && key == "key"))
    {
        let what = if key.to_ascii_lowercase().contains("bucket") {
            "bucket"
        } else if key == "key" || key.to_ascii_lowercase().contains("state") {
            "state key"
        } else {
            "secret path"
        };
        out.push(Part { what, range: 0..value.len() });
    }
    out
}

impl Rule for CrossEnvReference {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        let Some(doc) = file.doc else { return };
        for root in &doc.roots {
            walk(root, "", false, file, out);
        }
    }
}

fn walk(node: &Node, key: &str, in_backend: bool, file: &FileCx<'_>, out: &mut Emitter<'_>) {
    match &node.value {
        Value::Map(entries) => {
            // terragrunt's mock outputs are plan-time stand-ins, not references
            for e in entries.iter().filter(|e| !e.key.value.starts_with("mock_outputs")) {
                let backend =
                    in_backend || matches!(&*e.key.value, "backend" | "terraform_remote_state" | "remote_state");
                walk(&e.value, &e.key.value, backend, file, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| walk(i, key, in_backend, file, out)),
        Value::String(s) => check_value(node, s, key, in_backend, file, out),
        _ => {}
    }
}

fn check_value(node: &Node, value: &str, key: &str, in_backend: bool, file: &FileCx<'_>, out: &mut Emitter<'_>) {
    if value.is_empty() || is_dynamic(value) {
        return;
    }
    let Some(here) = file.env.env_at(node.span.start) else { return };
    let table = &file.settings.envs;
    // A key that names the other environment says the reference is deliberate.
    // Read only when something names another environment (rarely).
    let key_env = OnceCell::new();
    let key_env = || {
        key_env
            .get_or_init(|| match table.read_name(key, Reading::Value) {
                Named::Env(env, _) => Some(env),
                _ => None,
            })
            .as_ref()
    };
    let base = OnceCell::new();
    let at = |r: &Range<usize>| {
        let base = base.get_or_init(|| content_span(node, file.source).map(|s| s.start as usize));
        base.map_or(node.span, |b| Span::new(b + r.start, b + r.end))
    };
    for part in parts(key, in_backend, value) {
        let text = &value[part.range.clone()];
        let Named::Env(env, words) = table.read_name(text, Reading::Value) else { continue };
        if env == *here || crate::env::is_ambiguous(&words) || key_env() == Some(&env) {
            continue;
        }
        out.report(at(&part.range), format!("{} `{text}` names the {env} environment, in a {here} file", part.what))
            .anchor(format!("{key}={text}"));
    }
    if !file.settings.accounts.is_empty() {
        accounts(value, key, file, here, key_env().map(|e| &**e), &at, out);
    }
}

/// AWS account IDs configured for another environment.
fn accounts(
    value: &str,
    key: &str,
    file: &FileCx<'_>,
    here: &str,
    key_env: Option<&str>,
    at: &dyn Fn(&Range<usize>) -> Span,
    out: &mut Emitter<'_>,
) {
    let accounts = &file.settings.accounts;
    if accounts.is_empty() {
        return;
    }
    let Some(re) = ACCOUNT.as_ref() else { return };
    for c in re.captures_iter(value) {
        let Some(id) = c.get(2) else { continue };
        let owner = accounts.iter().find(|(_, ids)| ids.iter().any(|i| i == id.as_str())).map(|(e, _)| e);
        let Some(owner) = owner else { continue };
        let owner = file.settings.envs.resolve(owner).map_or_else(|| owner.clone(), |e| e.to_string());
        if owner == here || key_env == Some(owner.as_str()) {
            continue;
        }
        out.report(
            at(&id.range()),
            format!("account `{}` belongs to the {owner} environment, in a {here} file", id.as_str()),
        )
        .anchor(format!("{key}={}", id.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, value, [(what, text)])
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    #[test]
    fn parts_of_values() {
        let cases: &[Case] = &[
            ("DATABASE_URL", "postgres://app:pw@db.prod.internal:5432/app", &[("host", "db.prod.internal")]),
            (
                "X",
                "see https://api.staging.example.com/v1 and http://x.io",
                &[("host", "api.staging.example.com"), ("host", "x.io")],
            ),
            ("ASSETS", "s3://acme-prod-assets/img", &[("bucket", "acme-prod-assets")]),
            ("REDIS", "redis.staging.svc:6379", &[("host", "redis.staging.svc")]),
            ("values", "values-prod.yaml", &[]),
            ("secret_name", "prod/db/password", &[("secret path", "prod/db/password")]),
            ("bucket", "acme-staging-logs", &[("bucket", "acme-staging-logs")]),
            ("description", "copy prod data to staging", &[]),
            ("role", "arn:aws:iam::111111111111:role/prod-deployer", &[("ARN", "role/prod-deployer")]),
        ];
        for &(key, value, want) in cases {
            let got: Vec<(&str, &str)> =
                parts(key, false, value).iter().map(|p| (p.what, &value[p.range.clone()])).collect();
            assert_eq!(got, want, "{key}={value}");
        }
        let got: Vec<&str> = parts("key", true, "prod/network/terraform.tfstate").iter().map(|p| p.what).collect();
        assert_eq!(got, ["state key"]);
        assert!(parts("key", false, "prod/network/terraform.tfstate").is_empty(), "`key` alone is too common");
    }
}
