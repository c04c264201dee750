//! `default-credential`: a human-chosen password shipped in a deployable config.

use std::borrow::Cow;

use crate::finding::Severity;
use crate::redact::mask;
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};

use super::judge::{Verdict, judge};

const DOCS: &str = r#"## What it does
Finds literal, human-chosen passwords and secrets — a word or short pattern
such as `secret`, `postgres`, `somewordpress`, `admin123`, `P@ssw0rd` —
assigned to a credential key (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`,
`*API_KEY*`, ...) or written into a URL (`postgres://app:postgres@db/app`) in a
deployable config: dotenv files (templates such as `.env.example` included),
compose files, CI files (GitHub Actions, GitLab CI, service containers
included), Terraform and Terragrunt arguments and variable defaults, and tfvars.
`${VAR:-default}` defaults count. A compose file shown in a Markdown code block
counts too: sample apps' READMEs show the file their users run.

Environment-aware: not in `dev` files (dev credentials are allowed by design)
and not in `prod` files, where any literal credential is `committed-secret`.
Files of other or unknown environments, templates included, are checked.

Placeholders never fire: empty values, interpolations and references (`${VAR}`,
`${{ secrets.X }}`, `var.x`), `changeme`, `changeit`, `xxx...`, `<...>`,
`your_..._here`, `dummy`, `REDACTED`, `***`, and words such as `foo`, `none`,
`required`, `enabled`. Under a password key the words `password`, `secret`,
`test` and `example` are the password itself and do fire (the official Docker
images' compose examples ship `POSTGRES_PASSWORD: example`, and that is what
gets deployed); under other keys (`API_KEY=example`) they are placeholders.
Under token, API key and secret keys a word is a default only when it says it
is a secret (`JWT_SECRET=mysupersecret`): `id-token: write`, `secrets: inherit`
and `kube_secret = "tailscale"` are settings and names, and a word is no token
a provider issued. Values that name a secret rather than being one do not fire
either: paths (`/run/secrets/db`, `team/app/db_password`), file names,
environment variable names, resource names (`app-db-credentials`). Hashes of a
password (`*_SHA256_PASSWORD`, `password_hash`) are not the password.
Machine-generated values are `committed-secret`, not this rule. The value never appears in any output: at
most its first 4 characters and a mask, as for a secret.

## Why is this bad?
Defaults get copied into real deployments: the database of a demo compose
file becomes the staging database, with the password everybody who read the
repository knows. Attackers try these passwords first.

## Example
```yaml
# docker-compose.yml
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: postgres
```

## How to fix
Ship no default: read the value from the environment and fail when it is
missing (`POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set a password}`), or from
the CI's secret store, or generate one per deployment. If the file is only for
local development, name it so that envlint knows (`.env.development`,
`docker-compose.dev.yml`) or map it to `dev` in `[environments]`.
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("default-credential"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("a human-chosen default password shipped in a deployable config"),
    formats: Cow::Borrowed("dotenv, compose, CI YAML, Terraform, HCL, tfvars"),
    kinds: Cow::Borrowed(&[]),
    scope: EnvScope::Except(Cow::Borrowed(&[Cow::Borrowed("dev"), Cow::Borrowed("prod")])),
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("ship no default: require the value from the environment or a secret store"),
    docs: Cow::Borrowed(DOCS),
};

/// Reports human-chosen credentials in deployable configs outside dev and prod.
pub struct DefaultCredential;

impl Rule for DefaultCredential {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        for hit in judge(file).into_iter().filter(|j| j.verdict == Verdict::DefaultCredential) {
            let shown = mask(file.source.slice(hit.span));
            let message = match &hit.key {
                Some(key) if hit.detector == "url-credentials" => {
                    format!("{key} holds a URL with a default credential `{shown}`")
                }
                Some(key) => format!("{key} is set to the default credential `{shown}`"),
                None => format!("default credential ({}): `{shown}`", hit.detector),
            };
            out.report(hit.span, message).property("detector", hit.detector);
        }
    }
}
