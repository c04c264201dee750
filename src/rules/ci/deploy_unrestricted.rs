//! `prod-deploy-unrestricted`: a prod deploy job that can run from any branch.

use std::borrow::Cow;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::formats::ci::gitlab_expr::Scenario;
use crate::formats::subjects::View;
use crate::rule::{Emitter, EnvScope, Loc, Precision, Rule, RuleMeta, Subject, UnitCx};

use super::{github_unconditional_prod_deploy, gitlab_prod_deploy, inside, shows_evidence, why_label};

const DOCS: &str = r"## What it does
Flags a CI job that deploys to prod and can run from any branch (or from a
merge or pull request), not only from the default branch or tags. The finding
points at the job's key. What counts as a prod deploy is described under
`prod-deploy-ungated`.

- **GitLab CI**: the job is surely in the pipeline (automatic or manual) for a
  push to a branch that is not the default branch, or in a merge request
  pipeline: no `rules:` (`if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH`,
  `if: $CI_COMMIT_TAG`, ...), `only:` (`[main, tags]`) or `workflow: rules:`
  restrict it. Conditions on variables envlint cannot know (`if: $DEPLOY`)
  leave the question open, and the rule stays silent.
- **GitHub Actions**: the workflow is triggered by `pull_request` or
  `pull_request_target`, or by `push` with no `branches` or `tags` filter (or
  with `branches-ignore`, or a `**` branch pattern), and neither the job nor a
  job it needs has an `if:` on `github.ref` or `github.event_name`.

## Why is this bad?
Anyone who can push a branch or open a merge request can put their code in
production, unreviewed. Deploys to prod should come from the branch that
reviews protect.

## Example
```yaml
# .gitlab-ci.yml
deploy-prod:
  script: ./deploy.sh
  environment: production
  when: manual
```

```yaml
# .github/workflows/deploy.yml
on: [push, pull_request]
jobs:
  deploy:
    environment: production
    steps:
      - run: ./deploy.sh production
```

## How to fix
```yaml
deploy-prod:
  environment: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      when: manual
```

```yaml
on:
  push:
    branches: [main]
```

On GitHub, also set deployment branch rules on the environment.
";

static META: RuleMeta = RuleMeta {
    id: Cow::Borrowed("prod-deploy-unrestricted"),
    severity: Severity::Warning,
    summary: Cow::Borrowed("a CI job that deploys to prod can run from any branch"),
    formats: Cow::Borrowed("CI YAML"),
    kinds: Cow::Borrowed(&[FileKind::GitlabCi, FileKind::GithubWorkflow]),
    scope: EnvScope::Unscoped,
    security: true,
    precision: Precision::High,
    default_enabled: true,
    options: None,
    help: Cow::Borrowed(
        "restrict the job to the default branch or tags (GitLab `rules:`/`only:`, GitHub `on: push: branches:`)",
    ),
    docs: Cow::Borrowed(DOCS),
};

/// Prod deploy jobs that any branch can run.
pub struct DeployUnrestricted;

impl Rule for DeployUnrestricted {
    fn meta(&self) -> &RuleMeta {
        &META
    }

    fn check_subject(&self, subject: &Subject<'_>, unit: &UnitCx<'_>, out: &mut Emitter<'_>) {
        let table = &unit.settings.envs;
        match &subject.view {
            Some(View::GitlabJob { pipeline, job }) => {
                let Some((deploy, _)) = gitlab_prod_deploy(pipeline, job, table) else { return };
                let Some((scenario, o)) = [Scenario::OtherBranch, Scenario::MergeRequest]
                    .iter()
                    .map(|s| (*s, pipeline.outcomes(job, *s)))
                    .find(|(_, o)| o.surely_runs())
                else {
                    return;
                };
                let how = if o.run_rule.is_some() {
                    let by = if job.config.get("rules").is_some() { "its `rules:` let" } else { "its `only:` lets" };
                    format!("{by} it run {}", scenario.describe())
                } else {
                    format!("nothing restricts it to the default branch or tags, so it runs {}", scenario.describe())
                };
                let mut r = out
                    .report_in(
                        subject.anchor,
                        format!("job `{}` deploys to {} ({}) from any branch: {how}", job.name, deploy.env, deploy.why),
                    )
                    .env(Some(deploy.env.clone()))
                    .anchor(job.name)
                    .property("scenario", scenario.describe());
                if !inside(subject, deploy.at) {
                    r = r.related(deploy.at, why_label(&deploy));
                }
                if let Some(rule) = o.run_rule {
                    let by = if job.config.get("rules").is_some() { "this rule lets" } else { "this `only:` lets" };
                    r.related(rule, format!("{by} it run {}", scenario.describe()));
                }
            }
            Some(View::GithubJob { workflow, job }) => {
                let Some(j) = workflow.jobs.get(*job) else { return };
                let Some(deploy) = github_unconditional_prod_deploy(subject, workflow, *job, unit) else { return };
                let Some((trigger, why)) = workflow.exposure() else { return };
                if workflow.restricted_by_condition(j) {
                    return;
                }
                let trigger = Loc { file: workflow.file, span: trigger };
                let r = out
                    .report_in(
                        subject.anchor,
                        format!("job `{}` deploys to {} ({}) from any branch: {why}", j.key, deploy.env, deploy.why),
                    )
                    .env(Some(deploy.env.clone()))
                    .anchor(j.key)
                    .related(trigger, "this trigger runs it from any branch");
                if shows_evidence(subject, &deploy) {
                    r.related(deploy.at, why_label(&deploy));
                }
            }
            _ => {}
        }
    }
}
