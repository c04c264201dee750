//! Rules about CI pipelines: how prod deploys are gated and from where they run.
//!
//! What "a job that deploys to prod" means, shared by both rules:
//! - GitLab CI: a job whose `environment:` (own or inherited, `name:` or a
//!   string, variables and `parallel: matrix:` values expanded) is a prod
//!   alias, with `action: start` (the default); `stop`, `prepare`, `verify`
//!   and `access` jobs do not deploy.
//! - GitHub Actions: a job that names or does a deploy (its key or `name:`, a
//!   step's `name:`, a deploy command or action, a local action or reusable
//!   workflow named for deploying) where that text names prod, or where the job
//!   is prod (its `environment:`, the `environment` it passes to a reusable
//!   workflow, a matrix value, or the workflow file's name) and the text names
//!   no other environment. A job in prod that deploys nothing (a `terraform
//!   plan` with prod credentials) is not a deploy.

mod deploy_ungated;
mod deploy_unrestricted;

pub use deploy_ungated::DeployUngated;
pub use deploy_unrestricted::DeployUnrestricted;

use crate::env::{Env, EnvTable};
use crate::formats::ci::github::Workflow;
use crate::formats::ci::gitlab::{Environment, Job, Pipeline};
use crate::rule::{Loc, Subject, UnitCx};

/// A job that deploys to prod, and what says so.
pub struct ProdDeploy {
    pub env: Env,
    /// For messages: ``environment `production` ``, ``step `Deploy to production` ``.
    pub why: String,
    /// Where that is written.
    pub at: Loc,
}

/// A GitLab job's prod deploy: its environment names prod and it starts it.
pub fn gitlab_prod_deploy<'a>(
    p: &Pipeline<'a>,
    job: &Job<'a>,
    table: &EnvTable,
) -> Option<(ProdDeploy, Environment<'a>)> {
    let prod = table.resolve("prod")?;
    let e = p.environment(job)?;
    if !e.deploys() || !e.expanded.iter().any(|t| table.resolve_text(t).is_some_and(|(x, _)| x == prod)) {
        return None;
    }
    let why = if e.expanded.len() == 1 && e.expanded[0] == e.name {
        format!("environment `{}`", e.name)
    } else {
        format!("environment `{}` = `{}`", e.name, e.expanded.join("`, `"))
    };
    Some((ProdDeploy { env: prod, why, at: e.name_at.loc() }, e))
}

/// A GitHub job's prod deploy (see the module docs).
pub fn github_prod_deploy(
    subject: &Subject<'_>,
    workflow: &Workflow<'_>,
    job: usize,
    unit: &UnitCx<'_>,
) -> Option<ProdDeploy> {
    github_job_prod_deploy(workflow, job, subject.env.as_ref(), &subject.reason, unit, false)
}

/// A GitHub job's prod deploy, from steps that run whatever the ref (a step
/// with `if: github.ref == ...` deploys only from that ref).
pub fn github_unconditional_prod_deploy(
    subject: &Subject<'_>,
    workflow: &Workflow<'_>,
    job: usize,
    unit: &UnitCx<'_>,
) -> Option<ProdDeploy> {
    github_job_prod_deploy(workflow, job, subject.env.as_ref(), &subject.reason, unit, true)
}

/// A GitHub job's prod deploy, given the job's environment and why it has it.
fn github_job_prod_deploy(
    workflow: &Workflow<'_>,
    job: usize,
    env: Option<&Env>,
    reason: &str,
    unit: &UnitCx<'_>,
    unconditional: bool,
) -> Option<ProdDeploy> {
    let table = &unit.settings.envs;
    let prod = table.resolve("prod")?;
    let j = workflow.jobs.get(job)?;
    let src = &unit.file(workflow.file).source;
    let evidence: Vec<&crate::formats::ci::github::Evidence> =
        j.deploy_evidence(workflow.file, src, table).iter().filter(|e| !(unconditional && e.ref_restricted)).collect();
    if let Some(e) = evidence.iter().find(|e| e.names_env.as_ref() == Some(&prod)) {
        return Some(ProdDeploy { env: prod, why: e.what.clone(), at: e.loc });
    }
    if env == Some(&prod)
        && let Some(e) = evidence.iter().find(|e| e.names_env.is_none() && !e.names_other)
    {
        return Some(ProdDeploy { env: prod, why: format!("{}; {reason}", e.what), at: e.loc });
    }
    None
}

/// Whether GitHub job `job` deploys to prod with no `environment:` (and calls
/// no reusable workflow): the job itself is the ungated deploy.
pub fn github_ungated(workflow: &Workflow<'_>, job: usize, unit: &UnitCx<'_>) -> Option<ProdDeploy> {
    let j = workflow.jobs.get(job)?;
    if j.environment.is_some() || j.uses.is_some() {
        return None;
    }
    let inferred = unit.file(workflow.file).env.jobs.iter().find(|x| x.job == j.key);
    let (env, reason) = inferred.map_or((None, ""), |x| (x.env.as_ref(), x.reason.as_str()));
    github_job_prod_deploy(workflow, job, env, reason, unit, false)
}

/// A related-location label for where a deploy's environment or evidence is written.
pub fn why_label(d: &ProdDeploy) -> String {
    format!("this makes it a deploy to {}", d.env)
}

/// Whether the evidence needs its own related location (it is not the job's key itself).
pub fn shows_evidence(subject: &Subject<'_>, d: &ProdDeploy) -> bool {
    d.at != subject.anchor
}

/// Whether `loc` is inside the subject's own tree.
pub fn inside(subject: &Subject<'_>, loc: Loc) -> bool {
    loc.file == subject.anchor.file
        && subject.node.is_some_and(|n| n.span.start <= loc.span.start && loc.span.end <= n.span.end)
}
