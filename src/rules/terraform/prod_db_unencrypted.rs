//! `prod-db-unencrypted`: a prod RDS database whose storage is not encrypted.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{Setting, is_set, report_attr, setting};

const DOCS: &str = r#"## What it does
In prod, reports an `aws_db_instance` or `aws_rds_cluster` without
`storage_encrypted = true` (after evaluating variables with the prod tfvars,
and locals): set to `false`, or not set at all (RDS then creates unencrypted
storage). It points at the attribute, else at the resource's header.

Not reported: a value that cannot be known; databases whose encryption comes
from their source — read replicas (`replicate_source_db`,
`replication_source_identifier`) and restores (`snapshot_identifier`,
`restore_to_point_in_time`); Aurora Serverless v1 clusters
(`engine_mode = "serverless"`), which are always encrypted.

## Why is this bad?
Unencrypted storage leaves the data, its automated backups, snapshots and
read replicas readable to anyone who gets hold of a snapshot or the disks, and
fails most compliance regimes. Encryption cannot be turned on later in place:
it takes a snapshot, an encrypted copy and a restore.

## Example
```hcl
# environments/prod/rds.tf
resource "aws_rds_cluster" "main" {
  engine = "aurora-postgresql"
}
```

## How to fix
```hcl
resource "aws_rds_cluster" "main" {
  engine            = "aurora-postgresql"
  storage_encrypted = true
  kms_key_id        = aws_kms_key.rds.arn   # optional: a customer-managed key
}
```
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-db-unencrypted"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a prod RDS database whose storage is not encrypted"),
    formats: Cow::Borrowed("terraform"),
    kinds: Cow::Borrowed(&[FileKind::Terraform]),
    scope: EnvScope::Only(Cow::Borrowed(&[Cow::Borrowed("prod")])),
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("set storage_encrypted = true (existing databases: restore an encrypted snapshot copy)"),
    docs: Cow::Borrowed(DOCS),
};

pub struct ProdDbUnencrypted;

/// Attributes that make a database take its encryption from somewhere else.
const INHERITS: [&str; 4] =
    ["replicate_source_db", "replication_source_identifier", "snapshot_identifier", "restore_to_point_in_time"];

impl Rule for ProdDbUnencrypted {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, _unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(ev) = subject.terraform.as_deref() else { return };
        let env = subject.env.as_deref().unwrap_or("prod");
        for r in &ev.module.resources {
            if !matches!(r.res.kind, "aws_db_instance" | "aws_rds_cluster") || ev.no_instances(r) {
                continue;
            }
            match setting(ev, r, "storage_encrypted") {
                Setting::Set(key, v) if v.as_bool() == Some(false) => {
                    let message =
                        format!("{} has unencrypted storage in {env} (storage_encrypted = false)", r.address());
                    report_attr(out, r, key, &v, message, "storage_encrypted");
                }
                Setting::Set(..) => {}
                Setting::Absent => {
                    let inherits = INHERITS.iter().any(|a| is_set(ev, r, a) || r.res.body.get(a).is_some());
                    let serverless = ev.attr(r, "engine_mode").is_some_and(|(_, v)| v.as_str() == Some("serverless"));
                    if inherits || serverless {
                        continue;
                    }
                    let message =
                        format!("{} does not set storage_encrypted: its storage is unencrypted in {env}", r.address());
                    let _ = out.report_in(r.header(), message).anchor(format!("{}.storage_encrypted", r.address()));
                }
            }
        }
    }
}
