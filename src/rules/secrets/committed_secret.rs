//! `committed-secret`: a credential committed in any scanned text file.

use std::borrow::Cow;

use crate::finding::Severity;
use crate::redact::mask;
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};

use super::judge::{Verdict, judge};

const DOCS: &str = r#"## What it does
Finds credentials committed in any text file envlint scans — dotenv, YAML, HCL,
JSON, source code, READMEs, `.npmrc`, key files — with provider-specific
detectors (AWS, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, Google, GCP
service accounts, private key blocks, JWT, SendGrid, Twilio, npm, PyPI, Azure,
Heroku, Datadog, Shopify, DigitalOcean, Hugging Face, Terraform Cloud, Vault,
Grafana, Telegram, Docker registry auth, ...), credentials inside URLs
(`scheme://user:pass@host`), and generic assignments to keys such as
`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`, `*PRIVATE_KEY*`,
`*CREDENTIALS*` whose literal value is not a placeholder. The detector ID is in
the message and in the finding's `properties.detector`.

Only literal values count. In parsed files (dotenv, compose, CI YAML,
Terraform, HCL, tfvars) a generic credential is a string or number of the
parse tree: Terraform expressions (`random_password.x.result`,
`aws_iam_access_key.x.secret`), YAML aliases, comments and secret *names*
(`secret_name = "prod/db/password"`, `secretKeyRef`) are never secrets, while
`${VAR:-default}` defaults are literals and are judged. Provider tokens fire
wherever they are, comments included: committed text is committed.

Source code, documentation and tests are full of dummy values, so there a
generic credential needs strong evidence: a machine-generated value of 32 or
more characters. Provider tokens fire there as everywhere.

Environment-aware: generic credentials are skipped in files whose environment
is `dev` (dev credentials are allowed by design). In a `prod` file any literal
credential fires, `POSTGRES_PASSWORD=postgres` included. Elsewhere a
machine-generated value fires, and a human-chosen one (`postgres`,
`admin123`, `P@ssw0rd`) is left to `default-credential`. Provider-specific
tokens fire everywhere, templates such as `.env.example` included.
Placeholders never fire: empty values, interpolations (`${VAR}`, `$VAR`,
`${{ secrets.X }}`, `{{ ... }}`, `var.x`), `changeme`, `xxx...`, `<...>`,
`your_..._here`, `example`, `dummy`, `REDACTED`, `***`, documented example
keys, and anything matching `[secrets] allow` in the config. Lock files and
minified bundles are skipped (`[secrets] skip-paths`, `max-line-length`).

The secret itself never appears in any output: messages and snippets show at
most its first 4 characters followed by a mask.

## Why is this bad?
A credential in git is readable by everyone with access to the repository and
its forks and clones, forever: removing it in a later commit does not remove it
from history.

## Example
```sh
# services/api/.env.production
STRIPE_SECRET_KEY=sk_live_...
DATABASE_URL=postgres://app:hunter2-prod@db.internal/app
```

## How to fix
Revoke and rotate the credential first — assume it is compromised. Then load it
at runtime from a secret manager or the CI's secret store (`${{ secrets.X }}`,
masked GitLab variables), and keep only a placeholder in the file. If the value
is a known fake, add a regex for it to `[secrets] allow`.
"#;

/// The docs end with the list of detector IDs, taken from the scanner itself.
static META: std::sync::LazyLock<RuleMeta> = std::sync::LazyLock::new(|| RuleMeta {
    id: Cow::Borrowed("committed-secret"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a credential committed in a file"),
    formats: Cow::Borrowed("every text file scanned"),
    kinds: Cow::Borrowed(&[]),
    scope: EnvScope::Any,
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("revoke and rotate it, then load it at runtime from a secret store"),
    docs: Cow::Owned(format!(
        "{DOCS}\n## Detectors\n{}\n",
        crate::secrets::Scanner::detector_ids().iter().map(|id| format!("- `{id}`")).collect::<Vec<_>>().join("\n")
    )),
});

/// Reports provider tokens everywhere and generic credentials as `judge` decides.
pub struct CommittedSecret;

impl Rule for CommittedSecret {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        for hit in judge(file).into_iter().filter(|j| j.verdict == Verdict::CommittedSecret) {
            let shown = mask(file.source.slice(hit.span));
            out.report(hit.span, format!("committed secret ({}): `{shown}`", hit.detector))
                .property("detector", hit.detector);
        }
    }
}
