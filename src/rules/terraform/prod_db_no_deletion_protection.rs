//! `prod-db-no-deletion-protection`: a prod RDS database that can be deleted by one apply.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{Setting, is_set, report_attr, setting};

const DOCS: &str = r#"## What it does
In prod, reports an `aws_db_instance` or `aws_rds_cluster` without
`deletion_protection = true` (after evaluating variables with the prod tfvars,
and locals): set to `false`, or not set (the default is `false`). It points at
the attribute, else at the resource's header. A value that cannot be known is
not judged; nor are read replicas (`replicate_source_db`), which hold no data
of their own.

## Why is this bad?
Without deletion protection, a `terraform destroy`, a renamed resource or a
replacement forced by a changed attribute deletes the production database in
one apply. The final snapshot, if there is one, means hours of restore.

## Example
```hcl
# environments/prod/rds.tf
resource "aws_db_instance" "main" {
  engine            = "postgres"
  storage_encrypted = true
}
```

## How to fix
```hcl
resource "aws_db_instance" "main" {
  engine              = "postgres"
  storage_encrypted   = true
  deletion_protection = true
}
```
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-db-no-deletion-protection"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("a prod RDS database without deletion protection"),
    formats: Cow::Borrowed("terraform"),
    kinds: Cow::Borrowed(&[FileKind::Terraform]),
    scope: EnvScope::Only(Cow::Borrowed(&[Cow::Borrowed("prod")])),
    security: false,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("set deletion_protection = true"),
    docs: Cow::Borrowed(DOCS),
};

pub struct ProdDbNoDeletionProtection;

impl Rule for ProdDbNoDeletionProtection {
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
            match setting(ev, r, "deletion_protection") {
                Setting::Set(key, v) if v.as_bool() == Some(false) => {
                    let message = format!("{} has no deletion protection in {env}", r.address());
                    report_attr(out, r, key, &v, message, "deletion_protection");
                }
                Setting::Set(..) => {}
                Setting::Absent => {
                    if is_set(ev, r, "replicate_source_db") || r.res.body.get("replicate_source_db").is_some() {
                        continue;
                    }
                    let message = format!("{} does not set deletion_protection: it has none in {env}", r.address());
                    let _ = out.report_in(r.header(), message).anchor(format!("{}.deletion_protection", r.address()));
                }
            }
        }
    }
}
