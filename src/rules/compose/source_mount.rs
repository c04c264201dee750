//! `prod-source-mount`: a prod compose service bind-mounts source code.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::compose::syntax::Volume;
use crate::formats::subjects::View;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{PROD, shown};

const DOCS: &str = r"## What it does
Flags a prod compose service that bind-mounts a path relative to the compose
file (`.:/app`, `./src:/app/src`, `../app:/srv`), short or long syntax, which
is the source tree on the host rather than the code in the image. The finding
points at the volume entry. Volumes are read as `docker compose` merges them:
a prod override that does not replace the base file's mount (same container
path) keeps it, and the finding points at the base file's entry with the
override as a related location.

Not flagged: named volumes (`data:/var/lib/postgresql/data`), absolute host
paths (`/var/run/docker.sock`), single files that are not source code
(`./nginx.conf:/etc/nginx/nginx.conf:ro`, `./init.sql`, certificates), and
folders for data, logs, configuration or certificates (by their name, `./data`,
`./logs`, `./certs`, `./config`, or their container path, `/var/lib/...`,
`/var/log/...`, `/etc/...`, `/docker-entrypoint-initdb.d`). A source path that
is only a variable (`${SRC}:/app`) is not known and is not judged.

## Why is this bad?
The container runs whatever is on the host's disk, not the reviewed, built,
versioned image: a `git pull` or a stray edit changes prod without a deploy,
dev dependencies and secrets in the working tree become visible in the
container, and the image that passed CI is not what runs.

## Example
```yaml
# docker-compose.yml
services:
  api:
    build: .
    volumes:
      - .:/app
```

```yaml
# docker-compose.prod.yml (keeps the mount above)
services:
  api:
    image: ghcr.io/acme/api:1.14.2
```

## How to fix
Bake the code into the image and drop the mount in prod, with `!reset` or by
keeping the mount in a dev-only override:

```yaml
# docker-compose.prod.yml
services:
  api:
    image: ghcr.io/acme/api:1.14.2
    volumes: !reset []
```
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-source-mount"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a prod compose service bind-mounts source code from the host"),
    formats: Cow::Borrowed("compose"),
    kinds: Cow::Borrowed(&[FileKind::Compose]),
    scope: EnvScope::Only(Cow::Borrowed(PROD)),
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed(
        "ship the code in the image; remove the bind mount from prod (`volumes: !reset []` in the override)",
    ),
    docs: Cow::Borrowed(DOCS),
};

/// Prod services running the host's source tree.
pub struct SourceMount;

impl Rule for SourceMount {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, _unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(View::Service { service, .. }) = &subject.view else { return };
        let env = subject.env.as_deref().unwrap_or("prod");
        for item in service.config.get("volumes").map(|v| v.items()).unwrap_or_default() {
            let Some(v) = Volume::parse(&item) else { continue };
            if !v.is_relative_bind() || not_source(&v) {
                continue;
            }
            let source = v.source.as_deref().unwrap_or_default();
            let what =
                if matches!(source.trim_end_matches('/'), "." | "..") { "the project folder" } else { "source code" };
            let text = shown(&item, || {
                let ro = if v.read_only { ":ro" } else { "" };
                format!("{source}:{}{ro}", v.target)
            });
            out.report_in(
                item.loc(),
                format!("`{text}` mounts {what} from the host into service `{}` in {env}", service.name),
            )
            .anchor(format!("{}:{}", service.name, v.target));
        }
    }
}

/// Extensions of files that are code, not configuration or data.
const SOURCE_EXTENSIONS: [&str; 30] = [
    "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "rb", "php", "go", "java", "kt", "scala", "rs", "ex", "exs", "cs",
    "fs", "pl", "pm", "swift", "c", "cc", "cpp", "h", "vue", "svelte", "erb", "jar", "war",
];

/// Words that name data, logs, configuration or certificates (a host folder's name).
const DATA_WORDS: [&str; 34] = [
    "data",
    "db",
    "database",
    "databases",
    "dbdata",
    "pgdata",
    "mysql",
    "postgres",
    "redis",
    "mongo",
    "log",
    "logs",
    "backup",
    "backups",
    "dump",
    "dumps",
    "cert",
    "certs",
    "certificates",
    "ssl",
    "tls",
    "letsencrypt",
    "acme",
    "secrets",
    "config",
    "configs",
    "conf",
    "etc",
    "cache",
    "tmp",
    "uploads",
    "media",
    "storage",
    "volumes",
];

/// Container paths that hold data, logs or configuration.
const DATA_TARGETS: [&str; 10] = [
    "/etc/",
    "/var/lib/",
    "/var/log/",
    "/var/cache/",
    "/data",
    "/docker-entrypoint-initdb.d",
    "/run/secrets",
    "/certs",
    "/backup",
    "/tmp",
];

/// Whether a relative bind mount is data or configuration, not source code.
fn not_source(v: &Volume) -> bool {
    let source = v.source.as_deref().unwrap_or_default().trim_end_matches('/');
    let last = source.rsplit('/').next().unwrap_or(source);
    if matches!(last, "." | "..") {
        return false;
    }
    // a single file: code, or anything else (configuration, data, certificates, scripts)
    if let Some((stem, ext)) = last.rsplit_once('.') {
        // `.env`, `.htpasswd`: a dotfile is configuration
        return stem.is_empty() || !SOURCE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str());
    }
    let named_data = crate::env::tokens(last).any(|w| DATA_WORDS.contains(&w.to_ascii_lowercase().as_str()));
    let target = v.target.trim_end_matches('/');
    named_data || DATA_TARGETS.iter().any(|t| target == t.trim_end_matches('/') || target.starts_with(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_or_not() {
        let v = |s: &str, t: &str| Volume {
            kind: "bind".into(),
            source: Some(s.into()),
            target: t.into(),
            read_only: false,
        };
        let cases: &[(&str, &str, bool)] = &[
            (".", "/app", false),
            ("./", "/app", false),
            ("..", "/srv", false),
            ("./src", "/app/src", false),
            ("./app.py", "/app/app.py", false),
            ("./nginx.conf", "/etc/nginx/nginx.conf", true),
            ("./init.sql", "/docker-entrypoint-initdb.d/init.sql", true),
            ("./.env", "/app/.env", true),
            ("./data", "/var/lib/postgresql/data", true),
            ("./pg-data", "/pgdata", true),
            ("./logs", "/app/logs", true),
            ("./certs", "/certs", true),
            ("./nginx", "/etc/nginx/conf.d", true),
            ("./public", "/var/www/html", false),
        ];
        for (s, t, want) in cases {
            assert_eq!(not_source(&v(s, t)), *want, "{s}:{t}");
        }
    }
}
