//! `prod-db-port-published`: a prod database or cache service publishes its port on the host.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::compose::syntax::Port;
use crate::formats::subjects::View;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{PROD, image, shown};

const DOCS: &str = r#"## What it does
Flags a prod compose service running a database or cache image (`postgres`,
`postgis`, `timescaledb`, `mysql`, `mariadb`, `percona`, `mongo`, `redis`,
`valkey`, `keydb`, `memcached`, `elasticsearch`, `opensearch`, by the image's
name) that publishes a port on the host with `ports:`, short or long syntax.
The finding points at the `ports:` entry. Ports are read as `docker compose`
merges them: a prod override keeps the base file's `ports:` unless it resets
them (`ports: !reset []`).

Not flagged: ports bound to the loopback interface (`127.0.0.1:5432:5432`,
`host_ip: 127.0.0.1`), `expose:` (visible to other containers only), a
database service without `ports:`, and services whose image is only a variable.

## Why is this bad?
A published port listens on every interface of the host: the database is one
firewall mistake away from the internet, where scanners find open Postgres,
Redis and Elasticsearch ports within hours. The application reaches the
database over the compose network and needs no published port.

## Example
```yaml
# docker-compose.prod.yml
services:
  db:
    image: postgres:16
    ports:
      - "5432:5432"
```

## How to fix
Remove `ports:` (use `expose:` if anything needs to know the port), or bind it
to the loopback interface for local tooling:

```yaml
services:
  db:
    image: postgres:16
    ports:
      - "127.0.0.1:5432:5432"
```
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-db-port-published"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a prod database or cache service publishes its port on the host"),
    formats: Cow::Borrowed("compose"),
    kinds: Cow::Borrowed(&[FileKind::Compose]),
    scope: EnvScope::Only(Cow::Borrowed(PROD)),
    security: true,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("remove `ports:` from the database service, or bind it to `127.0.0.1`"),
    docs: Cow::Borrowed(DOCS),
};

/// Database and cache images, by the last component of their name.
const DATABASES: [&str; 22] = [
    "postgres",
    "postgresql",
    "postgis",
    "timescaledb",
    "timescaledb-ha",
    "pgvector",
    "mysql",
    "mysql-server",
    "mariadb",
    "percona",
    "percona-server",
    "mongo",
    "mongodb",
    "mongodb-community-server",
    "redis",
    "redis-stack",
    "redis-stack-server",
    "valkey",
    "keydb",
    "memcached",
    "elasticsearch",
    "opensearch",
];

/// Prod databases reachable from outside the host.
pub struct DbPortPublished;

impl Rule for DbPortPublished {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(View::Service { service, .. }) = &subject.view else { return };
        let Some((image, text, _)) = image(&service.config, unit) else { return };
        if !DATABASES.contains(&image.name().as_str()) {
            return;
        }
        let env = subject.env.as_deref().unwrap_or("prod");
        for item in service.config.get("ports").map(|p| p.items()).unwrap_or_default() {
            let Some(port) = Port::parse(&item) else { continue };
            if port.loopback_only() {
                continue;
            }
            let entry = shown(&item, || {
                let ip = port.host_ip.as_deref().map_or_else(String::new, |ip| format!("{ip}:"));
                format!("{ip}{}:{}", port.published.as_deref().unwrap_or(""), port.target)
            });
            let on = match port.host_ip.as_deref() {
                Some(ip) if !matches!(ip, "0.0.0.0" | "::" | "[::]") => format!("on {ip}"),
                _ => "on every interface".to_owned(),
            };
            out.report_in(
                item.loc(),
                format!(
                    "database service `{}` (`{text}`) publishes port `{entry}` {on} of the host in {env}",
                    service.name
                ),
            )
            .anchor(format!("{}:{entry}", service.name));
        }
    }
}
