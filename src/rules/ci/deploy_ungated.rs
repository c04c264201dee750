//! `prod-deploy-ungated`: a CI job that deploys to prod without a human gate.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::ci::gitlab_expr::Scenario;
use crate::formats::subjects::View;
use crate::rule::{Emitter, EnvScope, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{github_prod_deploy, github_ungated, gitlab_prod_deploy, inside, shows_evidence, why_label};

const DOCS: &str = r"## What it does
Flags a CI job that deploys to prod with nobody having to approve it. The
finding points at the job's key.

- **GitLab CI**: a job whose `environment:` names prod (own or inherited
  through `extends:`, a string or `name:`, `$VARIABLES` expanded) that can run
  automatically: it is not `when: manual`, and in some pipeline (a push to the
  default branch, a tag, a schedule, another branch, a merge request) a rule
  lets it run without `when: manual` while no manual alternative exists.
  `rules:` are read as GitLab reads them (first match wins, the job's `when:`
  is the default), then `only:`/`except:` and `workflow: rules:`. Jobs with
  `environment: {action: stop}` (or `prepare`, `verify`, `access`) do not deploy.
- **GitHub Actions**: a job that deploys to prod (its name, a step's name, a
  deploy command such as `terraform apply`, `kubectl apply`, `helm upgrade`,
  `vercel --prod` or a deploy action, where that text or the job's environment
  says prod) and has no `environment:`. An environment is where GitHub's
  protection rules (required reviewers, wait timers) hook in; a job that needs
  a job with a prod environment is gated by that one. A job that calls a
  reusable workflow is judged in the called workflow.

## Why is this bad?
A merge — or a push to the wrong branch — goes straight to production. A
manual job or a protected environment with reviewers puts a person between
a change and the users, and leaves a record of who approved it.

## Example
```yaml
# .gitlab-ci.yml
deploy-prod:
  stage: deploy
  script: ./deploy.sh
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
```

```yaml
# .github/workflows/deploy.yml
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: vercel deploy --prod
```

## How to fix
GitLab: make the job manual (`when: manual` on the job or its rule) and protect
the environment. GitHub: give the job `environment: production` and add
required reviewers to that environment in the repository settings.

```yaml
deploy-prod:
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      when: manual
```
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-deploy-ungated"),
    severity: Severity::Error,
    summary: Cow::Borrowed("a CI job deploys to prod without a manual gate or a protected environment"),
    formats: Cow::Borrowed("CI YAML"),
    kinds: Cow::Borrowed(&[FileKind::GitlabCi, FileKind::GithubWorkflow]),
    scope: EnvScope::Unscoped,
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed(
        "GitLab: `when: manual` on the job or its rule; GitHub: `environment: production` with required reviewers",
    ),
    docs: Cow::Borrowed(DOCS),
};

/// Prod deploy jobs that run without a human gate.
pub struct DeployUngated;

impl Rule for DeployUngated {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let table = &unit.settings.envs;
        match &subject.view {
            Some(View::GitlabJob { pipeline, job }) => {
                let Some((deploy, _)) = gitlab_prod_deploy(pipeline, job, table) else { return };
                let Some((scenario, o)) =
                    Scenario::ALL.iter().map(|s| (*s, pipeline.outcomes(job, *s))).find(|(_, o)| o.ungated())
                else {
                    return;
                };
                let mut r = out
                    .report_in(
                        subject.anchor,
                        format!(
                            "job `{}` deploys to {} ({}) without a manual gate: it can run automatically {}",
                            job.name,
                            deploy.env,
                            deploy.why,
                            scenario.describe()
                        ),
                    )
                    .env(Some(deploy.env.clone()))
                    .anchor(job.name)
                    .property("scenario", scenario.describe());
                if !inside(subject, deploy.at) {
                    r = r.related(deploy.at, why_label(&deploy));
                }
                if let Some(rule) = o.auto_rule {
                    let by = if job.config.get("rules").is_some() { "this rule" } else { "this `only:`" };
                    r.related(rule, format!("{by} runs it automatically {}", scenario.describe()));
                }
            }
            Some(View::GithubJob { workflow, job }) => {
                let Some(j) = workflow.jobs.get(*job) else { return };
                // An environment is where protection rules hook in; a reusable
                // workflow's jobs are judged where they are written.
                if j.environment.is_some() || j.uses.is_some() {
                    return;
                }
                let Some(deploy) = github_prod_deploy(subject, workflow, *job, unit) else { return };
                let index = |k: &str| workflow.jobs.iter().position(|x| x.key == k);
                // A job that needs an ungated prod deploy is reported with that one:
                // gating it gates them all.
                let ancestors = workflow.ancestors(j);
                if ancestors.iter().any(|a| index(a.key).is_some_and(|i| github_ungated(workflow, i, unit).is_some())) {
                    return;
                }
                let dependents = workflow
                    .descendants(j)
                    .iter()
                    .filter(|d| index(d.key).is_some_and(|i| github_ungated(workflow, i, unit).is_some()))
                    .count();
                let more = match dependents {
                    0 => String::new(),
                    1 => "; 1 more prod deploy job needs it".to_owned(),
                    n => format!("; {n} more prod deploy jobs need it"),
                };
                let prod_named = |k: &&crate::formats::ci::github::Job<'_>| {
                    k.environment_names().iter().any(|n| table.resolve_text(n).is_some_and(|(e, _)| e == deploy.env))
                };
                // the job waits for a job whose prod environment is approved first
                if workflow.ancestors(j).iter().any(prod_named) {
                    return;
                }
                let r = out
                    .report_in(
                        subject.anchor,
                        format!(
                            "job `{}` deploys to {} ({}) without an `environment:`, so no protection rule or reviewer can gate it{more}",
                            j.key, deploy.env, deploy.why
                        ),
                    )
                    .env(Some(deploy.env.clone()))
                    .anchor(j.key);
                if shows_evidence(subject, &deploy) {
                    r.related(deploy.at, why_label(&deploy));
                }
            }
            _ => {}
        }
    }
}
