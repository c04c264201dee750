//! GitHub Actions as GitHub reads a workflow: its triggers (`on:` as a string,
//! a list or a map, with `branches`/`branches-ignore`/`tags`/`tags-ignore`/
//! `paths` filters), its jobs (`environment:` as a string, a map with `name:`
//! or an expression, `${{ matrix.x }}` expanded from the job's matrix; `uses:`
//! of a reusable workflow with its `with:`; `if:`; `needs:`), their steps
//! (`name:`, `run:`, `uses:`, `with:`), and `env:` at workflow, job and step
//! level.
//!
//! What a job *does* is read from its words: a deploy is named (`deploy`,
//! `rollout`, `promote`; `release`, `ship`, `publish`, `apply` only beside an
//! environment word) in the job's key or `name:`, a step's `name:`, the path of
//! a local action or reusable workflow, or done by a command or an action known
//! to deploy (`terraform apply`, `kubectl apply`, `helm upgrade`, `vercel
//! --prod`, `aws-actions/amazon-ecs-deploy-task-definition`, ...). Free text
//! (an `echo`, a Slack message) is never read.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::env::EnvTable;
use crate::model::Node;
use crate::rule::{FileRef, Loc};
use crate::span::Span;

/// A workflow trigger (`on:`).
#[derive(Clone, Debug)]
pub struct Trigger<'a> {
    pub event: &'a str,
    /// The event's key or list item.
    pub at: Span,
    /// Its configuration (`push: {branches: [...]}`), if any.
    pub config: Option<&'a Node>,
}

impl<'a> Trigger<'a> {
    /// A filter list (`branches`, `tags`, `paths`, ...), when set.
    pub fn filter(&self, key: &str) -> Option<Vec<&'a str>> {
        let node = self.config?.get(key)?;
        Some(match node.as_str() {
            Some(one) => vec![one],
            None => node.items().iter().filter_map(Node::as_str).collect(),
        })
    }
}

/// A step of a job.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    pub node: &'a Node,
    pub name: Option<&'a str>,
    pub run: Option<&'a Node>,
    pub uses: Option<&'a str>,
}

/// A job of a workflow.
#[derive(Clone, Debug)]
pub struct Job<'a> {
    /// Its key (`jobs.<key>`).
    pub key: &'a str,
    pub key_span: Span,
    pub node: &'a Node,
    /// `name:`.
    pub name: Option<&'a str>,
    pub environment: Option<&'a Node>,
    /// A reusable workflow it calls.
    pub uses: Option<&'a str>,
    pub condition: Option<&'a str>,
    pub needs: Vec<&'a str>,
    pub steps: Vec<Step<'a>>,
    /// [`Job::deploy_evidence`], read once (every rule asks with the same file and table).
    evidence: std::sync::OnceLock<Vec<Evidence>>,
}

/// A workflow file.
#[derive(Clone, Debug)]
pub struct Workflow<'a> {
    pub file: FileRef,
    pub triggers: Vec<Trigger<'a>>,
    pub jobs: Vec<Job<'a>>,
}

impl<'a> Workflow<'a> {
    /// The workflow of a document's root.
    pub fn new(file: FileRef, root: &'a Node) -> Self {
        let mut triggers = Vec::new();
        if let Some(on) = root.get("on") {
            if let Some(event) = on.as_str() {
                triggers.push(Trigger { event, at: on.span, config: None });
            }
            for item in on.items() {
                if let Some(event) = item.as_str() {
                    triggers.push(Trigger { event, at: item.span, config: None });
                }
            }
            for e in on.entries() {
                triggers.push(Trigger { event: &e.key.value, at: e.key.span, config: Some(&e.value) });
            }
        }
        let jobs = root
            .get("jobs")
            .map_or(&[][..], Node::entries)
            .iter()
            .filter(|e| e.value.is_map())
            .map(|e| {
                let j = &e.value;
                let steps = j
                    .get("steps")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .map(|s| Step {
                        node: s,
                        name: s.get("name").and_then(Node::as_str),
                        run: s.get("run"),
                        uses: s.get("uses").and_then(Node::as_str),
                    })
                    .collect();
                let needs = match j.get("needs") {
                    Some(n) => match n.as_str() {
                        Some(one) => vec![one],
                        None => n.items().iter().filter_map(Node::as_str).collect(),
                    },
                    None => Vec::new(),
                };
                Job {
                    key: &e.key.value,
                    key_span: e.key.span,
                    node: j,
                    name: j.get("name").and_then(Node::as_str),
                    environment: j.get("environment"),
                    uses: j.get("uses").and_then(Node::as_str),
                    condition: j.get("if").and_then(Node::as_str),
                    needs,
                    steps,
                    evidence: std::sync::OnceLock::new(),
                }
            })
            .collect();
        Self { file, triggers, jobs }
    }

    pub fn job(&self, key: &str) -> Option<&Job<'a>> {
        self.jobs.iter().find(|j| j.key == key)
    }

    /// What lets the workflow run from any branch: a `pull_request` or
    /// `pull_request_target` trigger, or `push` without a `branches` or `tags`
    /// filter (or with `branches-ignore`, or a `**` branch pattern). `None` when
    /// every trigger is restricted (or is manual, scheduled, a call, ...).
    pub fn exposure(&self) -> Option<(Span, String)> {
        for t in &self.triggers {
            match t.event {
                "pull_request" | "pull_request_target" => {
                    return Some((t.at, format!("the workflow runs on `{}`, for changes from any branch", t.event)));
                }
                "push" => {
                    let branches = t.filter("branches");
                    let tags = t.filter("tags").or_else(|| t.filter("tags-ignore"));
                    if let Some(ignored) = t.filter("branches-ignore") {
                        return Some((
                            t.at,
                            format!("the workflow runs on a push to any branch but {}", quote_list(&ignored)),
                        ));
                    }
                    match branches {
                        Some(list) if list.iter().any(|b| matches!(*b, "**" | "*" | "**/*")) => {
                            return Some((t.at, "the workflow runs on a push to any branch (`**`)".to_owned()));
                        }
                        Some(_) => {}
                        None if tags.is_some() => {}
                        None => {
                            return Some((t.at, "the workflow runs on a push to any branch".to_owned()));
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether the job (or a job it needs, transitively) is restricted by an
    /// `if:` on the ref or the event (`github.ref == 'refs/heads/main'`).
    pub fn restricted_by_condition(&self, job: &Job<'a>) -> bool {
        let mut stack = vec![job];
        let mut seen: Vec<&str> = Vec::new();
        while let Some(j) = stack.pop() {
            if seen.contains(&j.key) || seen.len() > 256 {
                continue;
            }
            seen.push(j.key);
            if j.condition.is_some_and(restricts_ref) {
                return true;
            }
            stack.extend(j.needs.iter().filter_map(|n| self.job(n)));
        }
        false
    }

    /// The jobs that need `job`, transitively (at most 256).
    pub fn descendants(&self, job: &Job<'a>) -> Vec<&Job<'a>> {
        let mut out: Vec<&Job<'a>> = Vec::new();
        let mut stack: Vec<&str> = vec![job.key];
        while let Some(k) = stack.pop() {
            for j in self.jobs.iter().filter(|j| j.needs.contains(&k)) {
                if out.len() < 256 && j.key != job.key && !out.iter().any(|o| o.key == j.key) {
                    out.push(j);
                    stack.push(j.key);
                }
            }
        }
        out
    }

    /// The jobs `job` needs, transitively.
    pub fn ancestors(&self, job: &Job<'a>) -> Vec<&Job<'a>> {
        let mut out: Vec<&Job<'a>> = Vec::new();
        let mut stack: Vec<&str> = job.needs.clone();
        while let Some(n) = stack.pop() {
            if out.iter().any(|j| j.key == n) || out.len() > 256 {
                continue;
            }
            if let Some(j) = self.job(n) {
                stack.extend(j.needs.iter().copied());
                out.push(j);
            }
        }
        out
    }
}

fn quote_list(list: &[&str]) -> String {
    list.iter().map(|b| format!("`{b}`")).collect::<Vec<_>>().join(", ")
}

/// Whether an `if:` condition looks at the ref or the event that triggered the run.
pub fn restricts_ref(condition: &str) -> bool {
    let c = condition.replace(' ', "");
    ["github.ref", "github.event_name", "github.base_ref", "github.head_ref", "github.event.release"]
        .iter()
        .any(|k| c.contains(k))
        && !c.contains("github.ref!=")
        && !c.contains("github.event_name!=")
}

impl<'a> Job<'a> {
    /// The environment names the job may run in: the `environment:` string or
    /// `name:`, a `${{ matrix.x }}` expanded from the job's matrix (each value,
    /// `include:` entries too). Other expressions give nothing.
    pub fn environment_names(&self) -> Vec<Cow<'a, str>> {
        let Some(env) = self.environment else { return Vec::new() };
        let Some(text) = env.as_str().or_else(|| env.get("name").and_then(Node::as_str)) else {
            return Vec::new();
        };
        let Some(inner) = text.trim().strip_prefix("${{").and_then(|t| t.strip_suffix("}}")) else {
            return vec![Cow::Borrowed(text)];
        };
        let Some(var) = inner.trim().strip_prefix("matrix.") else { return Vec::new() };
        let Some(matrix) = self.node.path(&["strategy", "matrix"]) else { return Vec::new() };
        let mut out: Vec<Cow<'a, str>> = Vec::new();
        let mut push = |n: &'a Node| {
            if let Some(t) = n.scalar_text() {
                out.push(t);
            }
        };
        if let Some(values) = matrix.get(var) {
            if values.items().is_empty() {
                push(values);
            }
            values.items().iter().for_each(&mut push);
        }
        for inc in matrix.get("include").map_or(&[][..], Node::items) {
            if let Some(v) = inc.get(var) {
                push(v);
            }
        }
        out
    }
}

/// Evidence that a job deploys: what names or does it, where, and the
/// environment that text itself names (if any).
#[derive(Clone, Debug)]
pub struct Evidence {
    /// For messages: "its name", "step \`Deploy to production\`", "\`terraform apply\` in step 3".
    pub what: String,
    pub loc: Loc,
    /// The environment the text names (`Deploy to production` names prod).
    pub names_env: Option<crate::env::Env>,
    /// It names an environment envlint does not know, or a negated one: not a
    /// deploy to the job's environment.
    pub names_other: bool,
    /// It is in a step whose `if:` restricts the ref or the event
    /// (`if: github.ref == 'refs/heads/main'`).
    pub ref_restricted: bool,
}

/// Words that name a deploy on their own.
const DEPLOY_WORDS: [&str; 9] =
    ["deploy", "deploys", "deployment", "deployments", "deploying", "redeploy", "rollout", "promote", "promotion"];
/// Words that name a deploy only beside an environment word (`release to production`).
const WEAK_DEPLOY_WORDS: [&str; 6] = ["release", "ship", "publish", "apply", "go", "push"];

/// Commands that deploy, one line at a time.
static DEPLOY_COMMANDS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\b(terraform|terragrunt|tofu)\b[^\n|;&]*\bapply\b", "apply"),
        (r"\bkubectl\b[^\n|;&]*\s(apply|rollout|replace|set\s+image)\b", "kubectl"),
        (r"\bhelm\b[^\n|;&]*\s(upgrade|install)\b", "helm"),
        (r"\bhelmfile\b[^\n|;&]*\s(apply|sync)\b", "helmfile"),
        (
            r"\b(cdk|serverless|sls|sam|fly|flyctl|firebase|kamal|vercel|netlify|wrangler|eb|railway|gcloud|mina)\b[^\n|;&]*\bdeploy\b",
            "deploy",
        ),
        (r"\bvercel(\s+deploy)?\s+--prod\b", "vercel"),
        (r"\bdpl\b[^\n|;&]*--provider", "dpl"),
        (r"\bpulumi\b[^\n|;&]*\s(up|update)\b", "pulumi"),
        (r"\baws\b[^\n|;&]*\b(ecs\s+update-service|cloudformation\s+deploy|lambda\s+update-function-code)\b", "aws"),
        (r"\baz\b[^\n|;&]*\b(webapp\s+deploy|deployment\s+group\s+create|containerapp\s+update)\b", "az"),
        (r"\bdocker\s+stack\s+deploy\b", "docker stack"),
        (r"\bgit\s+push\b[^\n|;&]*\b(heroku|dokku)\b", "git push"),
        (r"\bcap\s+\S+\s+deploy\b", "capistrano"),
        (r"\b(make|just|task|rake|npm\s+run|yarn|pnpm(\s+run)?|bun\s+run)\s+\S*deploy\S*", "script"),
        (r"(^|\s)(\./|bash\s+|sh\s+)\S*deploy\S*", "script"),
    ]
    .into_iter()
    .filter_map(|(re, what)| Regex::new(re).ok().map(|r| (r, what)))
    .collect()
});

/// Actions that deploy (owner/repo, lowercase).
const DEPLOY_ACTIONS: [&str; 16] = [
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "azure/functions-action",
    "azure/arm-deploy",
    "azure/container-apps-deploy-action",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloud-functions",
    "cloudflare/wrangler-action",
    "cloudflare/pages-action",
    "superfly/flyctl-actions",
    "amondnet/vercel-action",
    "akhileshns/heroku-deploy",
    "pulumi/actions",
];

/// Words of a name, camel case split (`DeployProduction` → `Deploy`, `Production`).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in crate::env::tokens(text) {
        let mut cur = String::new();
        let mut prev_lower = false;
        for ch in token.chars() {
            if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
            cur.push(ch);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Text with `${{ ... }}` expressions and `$VARIABLES` removed: what they hold is not known.
fn without_expressions(text: &str) -> String {
    static EXPR: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"\$\{\{[^}]*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*").ok());
    match EXPR.as_ref() {
        Some(re) => re.replace_all(text, " ").into_owned(),
        None => text.to_owned(),
    }
}

/// Reads a name for a deploy: `Some((names_env, names_other))` when it names one.
fn name_deploys(text: &str, table: &EnvTable) -> Option<(Option<crate::env::Env>, bool)> {
    let clean = without_expressions(text);
    let ws: Vec<String> = words(&clean).iter().map(|w| w.to_ascii_lowercase()).collect();
    let strong = ws.iter().any(|w| DEPLOY_WORDS.contains(&w.as_str()));
    let weak = ws.iter().any(|w| WEAK_DEPLOY_WORDS.contains(&w.as_str()));
    let joined = words(&clean).join(" ");
    let env = table.resolve_text(&joined).map(|(e, _)| e);
    let other =
        env.is_none() && !matches!(table.read_name(&joined, crate::env::Reading::Value), crate::env::Named::Nothing);
    (strong || (weak && env.is_some())).then_some((env, other))
}

impl Job<'_> {
    /// Everything that says the job deploys.
    /// Everything that says the job deploys, read once per job: `file`, `src`
    /// and `table` are the workflow's file and the scan's environment table.
    pub fn deploy_evidence(&self, file: FileRef, src: &crate::source::SourceFile, table: &EnvTable) -> &[Evidence] {
        self.evidence.get_or_init(|| self.read_evidence(file, src, table))
    }

    fn read_evidence(&self, file: FileRef, src: &crate::source::SourceFile, table: &EnvTable) -> Vec<Evidence> {
        let mut out = Vec::new();
        let loc = |span: Span| Loc { file, span };
        let named = |text: &str, what: String, span: Span| {
            name_deploys(text, table).map(|(names_env, names_other)| Evidence {
                what,
                loc: loc(span),
                names_env,
                names_other,
                ref_restricted: false,
            })
        };
        out.extend(named(self.key, "its name".to_owned(), self.key_span));
        if let Some(name) = self.name
            && let Some(node) = self.node.get("name")
        {
            out.extend(named(name, format!("its name `{name}`"), node.span));
        }
        if let (Some(uses), Some(node)) = (self.uses, self.node.get("uses")) {
            let stem = uses.split('@').next().unwrap_or(uses);
            let file_name = stem.rsplit('/').next().unwrap_or(stem);
            out.extend(named(file_name, format!("reusable workflow `{stem}`"), node.span));
        }
        for (n, step) in self.steps.iter().enumerate() {
            let step_no = n + 1;
            let before = out.len();
            if let Some(name) = step.name
                && let Some(node) = step.node.get("name")
            {
                out.extend(named(name, format!("step `{name}`"), node.span));
            }
            if let Some(uses) = step.uses
                && let Some(node) = step.node.get("uses")
            {
                let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
                if DEPLOY_ACTIONS.iter().any(|a| action == *a || action.starts_with(&format!("{a}/"))) {
                    out.push(Evidence {
                        what: format!("action `{action}` in step {step_no}"),
                        loc: loc(node.span),
                        names_env: None,
                        names_other: false,
                        ref_restricted: false,
                    });
                } else if action.starts_with("./") {
                    let last = action.trim_end_matches('/').rsplit('/').next().unwrap_or(&action).to_owned();
                    out.extend(named(&last, format!("local action `{action}` in step {step_no}"), node.span));
                }
            }
            if let Some(run) = step.run
                && let Some(script) = run.as_str()
            {
                let raw = src.slice(run.span);
                for line in script.lines() {
                    let code = line.trim_start();
                    let skip = code.starts_with('#') || code.starts_with("echo") || code.starts_with("printf");
                    if !skip && let Some((re, _)) = DEPLOY_COMMANDS.iter().find(|(re, _)| re.is_match(line)) {
                        let m = re.find(line).map_or(0..line.len(), |m| m.range());
                        let command = line[m].trim().to_owned();
                        // the command as written in the file (block scalars hold it verbatim)
                        let span = raw.find(&command).map_or(run.span, |at| {
                            Span::new(run.span.start as usize + at, run.span.start as usize + at + command.len())
                        });
                        let clean = without_expressions(line);
                        let names_env = table.resolve_text(&words(&clean).join(" ")).map(|(e, _)| e);
                        out.push(Evidence {
                            what: format!("`{command}` in step {step_no}"),
                            loc: loc(span),
                            names_env,
                            names_other: false,
                            ref_restricted: false,
                        });
                        break;
                    }
                }
            }
            if step.node.get("if").and_then(Node::as_str).is_some_and(restricts_ref) {
                out[before..].iter_mut().for_each(|e| e.ref_restricted = true);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(text: &str) -> (crate::model::Document, crate::source::SourceFile) {
        (crate::parse::yaml::parse(text).expect("yaml"), crate::source::SourceFile::new("w.yml", text))
    }

    #[test]
    fn triggers_in_every_form() {
        let cases: &[(&str, Option<&str>)] = &[
            ("on: push\njobs: {}\n", Some("the workflow runs on a push to any branch")),
            ("on: [push, pull_request]\njobs: {}\n", Some("the workflow runs on a push to any branch")),
            (
                "on: [workflow_dispatch, pull_request]\njobs: {}\n",
                Some("the workflow runs on `pull_request`, for changes from any branch"),
            ),
            (
                "on:\n  push:\n    branches: [main]\n  pull_request_target:\njobs: {}\n",
                Some("the workflow runs on `pull_request_target`, for changes from any branch"),
            ),
            ("on:\n  push:\n    branches: [main]\n    paths: [src/**]\njobs: {}\n", None),
            ("on:\n  push:\n    tags: ['v*']\njobs: {}\n", None),
            ("on:\n  push:\n    paths: [src/**]\njobs: {}\n", Some("the workflow runs on a push to any branch")),
            (
                "on:\n  push:\n    branches-ignore: [gh-pages]\njobs: {}\n",
                Some("the workflow runs on a push to any branch but `gh-pages`"),
            ),
            (
                "on:\n  push:\n    branches: ['**']\njobs: {}\n",
                Some("the workflow runs on a push to any branch (`**`)"),
            ),
            ("on:\n  push:\n    branches: main\njobs: {}\n", None),
            ("on: [workflow_dispatch, schedule, release, workflow_call, workflow_run]\njobs: {}\n", None),
            ("\"on\": push\njobs: {}\n", Some("the workflow runs on a push to any branch")),
        ];
        for (text, want) in cases {
            let (doc, _) = workflow(text);
            let w = Workflow::new(0, doc.root().expect("root"));
            assert_eq!(w.exposure().map(|(_, m)| m).as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn conditions_and_needs() {
        let (doc, _) = workflow(
            "on: push\njobs:\n  gate:\n    if: github.ref == 'refs/heads/main'\n    runs-on: x\n  deploy:\n    needs: [build, gate]\n    runs-on: x\n  build:\n    runs-on: x\n  other:\n    if: github.ref != 'refs/heads/main'\n    runs-on: x\n  tags:\n    if: startsWith(github.ref, 'refs/tags/')\n    runs-on: x\n",
        );
        let w = Workflow::new(0, doc.root().expect("root"));
        let r: Vec<(&str, bool)> = w.jobs.iter().map(|j| (j.key, w.restricted_by_condition(j))).collect();
        assert_eq!(r, [("gate", true), ("deploy", true), ("build", false), ("other", false), ("tags", true)]);
        let deploy = w.job("deploy").expect("deploy");
        let mut a: Vec<&str> = w.ancestors(deploy).iter().map(|j| j.key).collect();
        a.sort_unstable();
        assert_eq!(a, ["build", "gate"]);
        let build = w.job("build").expect("build");
        let d: Vec<&str> = w.descendants(build).iter().map(|j| j.key).collect();
        assert_eq!(d, ["deploy"]);
    }

    #[test]
    fn environment_names() {
        let (doc, _) = workflow(
            "jobs:\n  a:\n    environment: production\n  b:\n    environment:\n      name: staging\n      url: u\n  c:\n    environment: ${{ inputs.env }}\n  d:\n    strategy:\n      matrix:\n        environment: [test, production]\n        include:\n          - environment: qa\n    environment:\n      name: ${{ matrix.environment }}\n  e:\n    runs-on: x\n",
        );
        let w = Workflow::new(0, doc.root().expect("root"));
        let names: Vec<Vec<String>> =
            w.jobs.iter().map(|j| j.environment_names().iter().map(ToString::to_string).collect()).collect();
        assert_eq!(
            names,
            [vec!["production"], vec!["staging"], vec![], vec!["test", "production", "qa"], vec![]]
                .map(|v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<String>>())
        );
    }

    type Row = (String, String, Option<String>);

    #[test]
    fn deploy_evidence_from_names_commands_and_actions() {
        let text = "on: push\njobs:\n  Deploy-Production:\n    steps:\n      - run: vercel deploy --prebuilt --prod --token=${{ secrets.T }}\n  build:\n    name: Build and test\n    steps:\n      - name: Notify\n        run: |\n          echo \"release to PRODUCTION complete\"\n          curl -X POST $HOOK\n      - run: npm test\n  apply:\n    steps:\n      - name: terragrunt apply COMMON\n        run: |\n          cd env/${{ env.ENVIRONMENT }}\n          terragrunt apply -auto-approve\n  ecs:\n    steps:\n      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1\n      - uses: ./.github/actions/deploy-environment\n  staging:\n    name: Deploy to staging\n  release:\n    name: Release\n  ship:\n    name: Release to production\n  preview:\n    name: Deploy preview\n";
        let (doc, src) = workflow(text);
        let w = Workflow::new(0, doc.root().expect("root"));
        let table = EnvTable::default();
        let got: Vec<(&str, Vec<Row>)> = w
            .jobs
            .iter()
            .map(|j| {
                let ev = j
                    .deploy_evidence(0, &src, &table)
                    .iter()
                    .map(|e| {
                        (
                            e.what.clone(),
                            src.slice(e.loc.span).to_owned(),
                            e.names_env.as_ref().map(ToString::to_string),
                        )
                    })
                    .collect();
                (j.key, ev)
            })
            .collect();
        let s = |a: &str, b: &str, c: Option<&str>| (a.to_owned(), b.to_owned(), c.map(str::to_owned));
        assert_eq!(
            got,
            [
                (
                    "Deploy-Production",
                    vec![
                        s("its name", "Deploy-Production", Some("prod")),
                        s("`vercel deploy` in step 1", "vercel deploy", Some("prod")),
                    ]
                ),
                ("build", vec![]),
                ("apply", vec![s("`terragrunt apply` in step 1", "terragrunt apply", None),]),
                (
                    "ecs",
                    vec![
                        s(
                            "action `aws-actions/amazon-ecs-deploy-task-definition` in step 1",
                            "aws-actions/amazon-ecs-deploy-task-definition@v1",
                            None
                        ),
                        s(
                            "local action `./.github/actions/deploy-environment` in step 2",
                            "./.github/actions/deploy-environment",
                            None
                        ),
                    ]
                ),
                ("staging", vec![s("its name `Deploy to staging`", "Deploy to staging", Some("staging"))]),
                ("release", vec![]),
                ("ship", vec![s("its name `Release to production`", "Release to production", Some("prod"))]),
                ("preview", vec![s("its name `Deploy preview`", "Deploy preview", None)]),
            ]
        );
    }
}
