//! `prod-db-public`: a prod RDS instance that is publicly accessible.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{Setting, report_attr, setting};

const DOCS: &str = r#"## What it does
In prod, reports an `aws_db_instance` or `aws_rds_cluster_instance` with
`publicly_accessible = true`, after evaluating variables (with the prod
tfvars) and locals. The finding points at the attribute; when the value is
written elsewhere (a tfvars file, a local), that place is shown too. A value
that cannot be known is not judged.

## Why is this bad?
A publicly accessible instance gets a public DNS name and address: with a
permissive security group, the production database is reachable from the
internet and only its password stands between an attacker and the data.

## Example
```hcl
# environments/prod/rds.tf
resource "aws_db_instance" "main" {
  engine              = "postgres"
  instance_class      = "db.r6g.large"
  publicly_accessible = true
}
```

## How to fix
Remove the attribute (the default is `false`) and reach the database from
inside the VPC, through a bastion, SSM port forwarding or a VPN.
"#;

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-db-public"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a prod RDS instance that is publicly accessible"),
    formats: Cow::Borrowed("terraform"),
    kinds: Cow::Borrowed(&[FileKind::Terraform]),
    scope: EnvScope::Only(Cow::Borrowed(&[Cow::Borrowed("prod")])),
    security: true,
    precision: Precision::VeryHigh,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed("set publicly_accessible = false and reach the database from inside the VPC"),
    docs: Cow::Borrowed(DOCS),
};

pub struct ProdDbPublic;

impl Rule for ProdDbPublic {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, _unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let Some(ev) = subject.terraform.as_deref() else { return };
        for r in &ev.module.resources {
            if !matches!(r.res.kind, "aws_db_instance" | "aws_rds_cluster_instance") || ev.no_instances(r) {
                continue;
            }
            if let Setting::Set(key, v) = setting(ev, r, "publicly_accessible")
                && v.as_bool() == Some(true)
            {
                let env = subject.env.as_deref().unwrap_or("prod");
                let message = format!("{} is publicly accessible in {env}", r.address());
                report_attr(out, r, key, &v, message, "publicly_accessible");
            }
        }
    }
}
