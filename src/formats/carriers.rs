//! Env-var carriers: every key=value environment setting, whatever the file kind
//! (RULES.md): dotenv entries; compose `services.*.environment` (map and list);
//! GitHub Actions `env:` at workflow, job and step level; GitLab CI `variables:`
//! at top and job level; Terraform Lambda `environment.variables`, ECS container
//! definitions (`jsonencode(...)` or heredoc JSON) and Beanstalk environment
//! settings. Values that are interpolations are marked non-literal; a
//! `${VAR:-x}` default `x` is literal, with the span of `x`.

use crate::discover::FileKind;
use crate::model::{Document, Node, Value};
use crate::source::SourceFile;
use crate::span::Span;

/// One environment setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carrier {
    pub key: String,
    pub key_span: Span,
    pub value: CarrierValue,
    /// The value as written (for a `${VAR:-x}` default, the span of `x`).
    pub value_span: Span,
    /// Where it lives, for messages: `services.api.environment`, `jobs.deploy.env`, ...
    pub scope: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CarrierValue {
    /// A value known statically.
    Literal(String),
    /// An interpolation or reference (`${VAR}`, `$VAR`, `${{ secrets.X }}`, `var.x` ...): not judged.
    Dynamic,
    /// Declared without a value (compose `environment: [KEY]`, dotenv bare `KEY`): inherited.
    Unset,
}

impl Carrier {
    /// The literal value, if statically known.
    pub fn literal(&self) -> Option<&str> {
        match &self.value {
            CarrierValue::Literal(v) => Some(v),
            _ => None,
        }
    }
}

/// Every carrier of a parsed file, in source order.
pub fn carriers(kind: FileKind, doc: &Document, src: &SourceFile) -> Vec<Carrier> {
    let mut out = Vec::new();
    for root in &doc.roots {
        match kind {
            FileKind::Dotenv => map_carriers(root, "", src, &mut out),
            FileKind::Compose => {
                for svc in root.get("services").map_or(&[][..], Node::entries) {
                    let scope = format!("services.{}.environment", svc.key.value);
                    if let Some(env) = svc.value.get("environment") {
                        out.extend(env_carriers(env, &scope, src));
                    }
                }
            }
            FileKind::GithubWorkflow => {
                if let Some(env) = root.get("env") {
                    map_carriers(env, "env", src, &mut out);
                }
                for job in root.get("jobs").map_or(&[][..], Node::entries) {
                    if let Some(env) = job.value.get("env") {
                        map_carriers(env, &format!("jobs.{}.env", job.key.value), src, &mut out);
                    }
                    for (i, step) in job.value.get("steps").map_or(&[][..], Node::items).iter().enumerate() {
                        if let Some(env) = step.get("env") {
                            map_carriers(env, &format!("jobs.{}.steps[{i}].env", job.key.value), src, &mut out);
                        }
                    }
                }
            }
            FileKind::GitlabCi => {
                for entry in root.entries() {
                    let (vars, scope) = if &*entry.key.value == "variables" {
                        (Some(&entry.value), "variables".to_owned())
                    } else {
                        (entry.value.get("variables"), format!("{}.variables", entry.key.value))
                    };
                    if let Some(vars) = vars {
                        map_carriers(vars, &scope, src, &mut out);
                    }
                }
            }
            FileKind::Terraform => terraform_carriers(root, src, &mut out),
            _ => {}
        }
    }
    out
}

/// The carriers of one `environment:` / `env:` / `variables:` node: a map of
/// `KEY: value` (GitLab's `KEY: {value: ...}` form too) or a compose list of
/// `KEY=value` items.
pub fn env_carriers(env: &Node, scope: &str, src: &SourceFile) -> Vec<Carrier> {
    let mut out = Vec::new();
    match &env.value {
        Value::Map(_) => map_carriers(env, scope, src, &mut out),
        Value::Seq(items) => out.extend(items.iter().filter_map(|i| list_item(i, scope, src))),
        _ => {}
    }
    out
}

/// Each `KEY: value` entry of a map (GitLab's `KEY: {value: ...}` form too).
fn map_carriers(map: &Node, scope: &str, src: &SourceFile, out: &mut Vec<Carrier>) {
    for entry in map.entries() {
        out.push(entry_carrier(&entry.key.value, entry.key.span, &entry.value, scope, src));
    }
}

/// One `KEY: value` setting (GitLab's `KEY: {value: ...}` form too), for views
/// that assemble a subject's settings from several maps.
pub fn entry_carrier(key: &str, key_span: Span, value: &Node, scope: &str, src: &SourceFile) -> Carrier {
    let node = match value.get("value") {
        Some(v) if value.is_map() => v,
        _ => value,
    };
    let (value, value_span) = node_value(node, src);
    Carrier { key: key.to_owned(), key_span, value, value_span, scope: scope.to_owned() }
}

/// A compose list item `KEY=value` (or bare `KEY`).
pub fn list_item(item: &Node, scope: &str, src: &SourceFile) -> Option<Carrier> {
    let text = item.as_str()?;
    let inner = content_span(item, src);
    let (key, rest) = match text.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (text, None),
    };
    let (key_span, rest_span) = match inner {
        Some(s) => (
            Span::new(s.start as usize, s.start as usize + key.len()),
            Span::new(s.start as usize + key.len() + 1, s.end as usize),
        ),
        None => (item.span, item.span),
    };
    let (value, value_span) = match rest {
        None => (CarrierValue::Unset, Some(Span::at(key_span.end as usize))),
        Some(v) => classify(v, inner.map(|_| rest_span)),
    };
    Some(Carrier {
        key: key.to_owned(),
        key_span,
        value,
        value_span: value_span.unwrap_or(item.span),
        scope: scope.to_owned(),
    })
}

/// A scalar node's carrier value and the span to point at.
fn node_value(node: &Node, src: &SourceFile) -> (CarrierValue, Span) {
    match &node.value {
        Value::String(s) => {
            let (v, span) = classify(s, content_span(node, src));
            (v, span.unwrap_or(node.span))
        }
        Value::Number(n) => (CarrierValue::Literal(n.to_string()), node.span),
        Value::Bool(b) => (CarrierValue::Literal(b.to_string()), node.span),
        Value::Null => (CarrierValue::Unset, node.span),
        Value::Expr(_) | Value::Seq(_) | Value::Map(_) => (CarrierValue::Dynamic, node.span),
    }
}

/// The span of a string node's decoded text inside the source, when the text
/// appears there verbatim (plain, or quoted without escapes); `None` otherwise.
pub fn content_span(node: &Node, src: &SourceFile) -> Option<Span> {
    let text = node.as_str()?;
    let raw = src.slice(node.span);
    if raw == text {
        return Some(node.span);
    }
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"')) || (raw.starts_with('\'') && raw.ends_with('\'')));
    (quoted && &raw[1..raw.len() - 1] == text)
        .then(|| Span::new(node.span.start as usize + 1, node.span.end as usize - 1))
}

/// Classifies a string value; `span` is where its text sits in the source, if known.
/// `${VAR:-x}` / `${VAR-x}` as the whole value is the literal `x` (narrowed span).
fn classify(value: &str, span: Option<Span>) -> (CarrierValue, Option<Span>) {
    if let Some(inner) = value.strip_prefix("${").and_then(|v| v.strip_suffix('}'))
        && let Some(pos) = inner.find(['-', ':', '?', '+', '}', '$', '{'])
        && !inner[..pos].is_empty()
        && inner[..pos].chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        let rest = &inner[pos..];
        let default = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-'));
        if let Some(default) = default
            && !is_dynamic(default)
        {
            let offset = 2 + pos + (rest.len() - default.len());
            let narrowed =
                span.map(|s| Span::new(s.start as usize + offset, s.start as usize + offset + default.len()));
            return (CarrierValue::Literal(default.to_owned()), narrowed);
        }
        return (CarrierValue::Dynamic, span);
    }
    if is_dynamic(value) { (CarrierValue::Dynamic, span) } else { (CarrierValue::Literal(value.to_owned()), span) }
}

/// Whether a value contains an interpolation or template expression.
pub fn is_dynamic(value: &str) -> bool {
    let bytes = value.as_bytes();
    if value.contains("{{") || value.contains("%{") {
        return true;
    }
    bytes.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'$' && (w[1] == b'{' || w[1] == b'_' || w[1].is_ascii_alphabetic()) && (i == 0 || bytes[i - 1] != b'$')
    })
}

const BEANSTALK_ENV_NAMESPACE: &str = "aws:elasticbeanstalk:application:environment";

fn terraform_carriers(root: &Node, src: &SourceFile, out: &mut Vec<Carrier>) {
    for res in super::terraform::resources(root) {
        let scope = format!("{}.{}", res.kind, res.name);
        match res.kind {
            "aws_lambda_function" => {
                for env in res.body.get_all("environment") {
                    if let Some(vars) = env.get("variables") {
                        map_carriers(vars, &format!("{scope}.environment.variables"), src, out);
                    }
                }
            }
            "aws_elastic_beanstalk_environment" => {
                for setting in res.body.get_all("setting") {
                    if setting.get("namespace").and_then(Node::as_str) == Some(BEANSTALK_ENV_NAMESPACE) {
                        out.extend(name_value_pair(setting, &format!("{scope}.setting"), src));
                    }
                }
            }
            "aws_ecs_task_definition" => {
                if let Some(defs) = res.body.get("container_definitions")
                    && let Some(tree) = container_definitions(defs, src)
                {
                    for container in tree.items() {
                        let cname = container.get("name").and_then(Node::as_str).unwrap_or("?");
                        let pair_scope = format!("{scope}.container_definitions[{cname}].environment");
                        for pair in container.get("environment").map_or(&[][..], Node::items) {
                            out.extend(name_value_pair(pair, &pair_scope, src));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A `{name = "KEY", value = "v"}` object (ECS container environment, Beanstalk setting).
fn name_value_pair(pair: &Node, scope: &str, src: &SourceFile) -> Option<Carrier> {
    let name = pair.get("name")?;
    let key = name.as_str()?;
    let (value, value_span) = pair.get("value").map_or((CarrierValue::Unset, name.span), |v| node_value(v, src));
    Some(Carrier {
        key: key.to_owned(),
        key_span: content_span(name, src).unwrap_or(name.span),
        value,
        value_span,
        scope: scope.to_owned(),
    })
}

/// The container list of an ECS task definition, with spans into the file:
/// `jsonencode([...])` is re-parsed as HCL, a heredoc or string of JSON as JSON.
fn container_definitions(node: &Node, src: &SourceFile) -> Option<Node> {
    match &node.value {
        Value::Expr(text) => {
            let inner = text.trim().strip_prefix("jsonencode(")?.strip_suffix(')')?;
            let inner_start = node.span.start as usize + text.find("jsonencode(")? + "jsonencode(".len();
            let wrapped = format!("x = {inner}");
            let doc = crate::parse::hcl::parse(&wrapped).ok()?;
            let value = doc.root()?.get("x")?.clone();
            Some(value.rebased("x = ".len(), inner_start))
        }
        Value::String(json) => {
            let raw = src.slice(node.span);
            let at = raw.find(&**json)?;
            let doc = crate::parse::yaml::parse(json).ok()?;
            Some(doc.root()?.clone().rebased(0, node.span.start as usize + at))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (key, key text at span, literal value or "<dynamic>"/"<unset>", value text at span, scope)
    type Row = (String, String, String, String, String);

    fn rows(kind: FileKind, path: &str, text: &str) -> Vec<Row> {
        let doc = crate::engine::parse_kind(kind, path, text).expect("structured").expect("parses");
        let src = SourceFile::new(path, text);
        carriers(kind, &doc, &src)
            .into_iter()
            .map(|c| {
                let v = match &c.value {
                    CarrierValue::Literal(v) => v.clone(),
                    CarrierValue::Dynamic => "<dynamic>".into(),
                    CarrierValue::Unset => "<unset>".into(),
                };
                (c.key.clone(), src.slice(c.key_span).to_owned(), v, src.slice(c.value_span).to_owned(), c.scope)
            })
            .collect()
    }

    fn r(k: &str, ks: &str, v: &str, vs: &str, scope: &str) -> Row {
        (k.into(), ks.into(), v.into(), vs.into(), scope.into())
    }

    #[test]
    fn dotenv_entries() {
        let got = rows(
            FileKind::Dotenv,
            ".env",
            "DEBUG=true\nURL=${BASE}/x\nLEVEL=${LOG_LEVEL:-debug}\nexport NAME=\"Zoë\"\n",
        );
        assert_eq!(
            got,
            [
                r("DEBUG", "DEBUG", "true", "true", ""),
                r("URL", "URL", "<dynamic>", "${BASE}/x", ""),
                r("LEVEL", "LEVEL", "debug", "debug", ""),
                r("NAME", "NAME", "Zoë", "Zoë", ""),
            ]
        );
    }

    #[test]
    fn compose_map_and_list_forms() {
        let text = "services:\n  api:\n    environment:\n      DEBUG: \"true\"\n      LOG_LEVEL: ${LOG_LEVEL:-debug}\n      WORKERS: 4\n      SECRET:\n  worker:\n    environment:\n      - MOCK_PAYMENTS=yes\n      - \"NODE_ENV=${NODE_ENV:-development}\"\n      - INHERITED\n      - PRICE=$$5\n";
        let got = rows(FileKind::Compose, "docker-compose.yml", text);
        assert_eq!(
            got,
            [
                r("DEBUG", "DEBUG", "true", "true", "services.api.environment"),
                r("LOG_LEVEL", "LOG_LEVEL", "debug", "debug", "services.api.environment"),
                r("WORKERS", "WORKERS", "4", "4", "services.api.environment"),
                r("SECRET", "SECRET", "<unset>", "", "services.api.environment"),
                r("MOCK_PAYMENTS", "MOCK_PAYMENTS", "yes", "yes", "services.worker.environment"),
                r("NODE_ENV", "NODE_ENV", "development", "development", "services.worker.environment"),
                r("INHERITED", "INHERITED", "<unset>", "", "services.worker.environment"),
                r("PRICE", "PRICE", "$$5", "$$5", "services.worker.environment"),
            ]
        );
    }

    #[test]
    fn github_env_levels() {
        let text = "on: push\nenv:\n  A: one\njobs:\n  deploy:\n    env:\n      TOKEN: ${{ secrets.T }}\n    steps:\n      - run: x\n      - run: y\n        env:\n          DEBUG: true\n";
        let got = rows(FileKind::GithubWorkflow, ".github/workflows/d.yml", text);
        assert_eq!(
            got,
            [
                r("A", "A", "one", "one", "env"),
                r("TOKEN", "TOKEN", "<dynamic>", "${{ secrets.T }}", "jobs.deploy.env"),
                r("DEBUG", "DEBUG", "true", "true", "jobs.deploy.steps[1].env"),
            ]
        );
    }

    #[test]
    fn gitlab_variables() {
        let text = "variables:\n  LOG_LEVEL: info\n  REGION:\n    value: eu-west-1\n    description: where\ndeploy:\n  variables:\n    DEBUG: \"1\"\n    HOST: $DB_HOST\n  script: [x]\n";
        let got = rows(FileKind::GitlabCi, ".gitlab-ci.yml", text);
        assert_eq!(
            got,
            [
                r("LOG_LEVEL", "LOG_LEVEL", "info", "info", "variables"),
                r("REGION", "REGION", "eu-west-1", "eu-west-1", "variables"),
                r("DEBUG", "DEBUG", "1", "1", "deploy.variables"),
                r("HOST", "HOST", "<dynamic>", "$DB_HOST", "deploy.variables"),
            ]
        );
    }

    #[test]
    fn terraform_lambda_ecs_beanstalk() {
        let text = r#"resource "aws_lambda_function" "api" {
  environment {
    variables = {
      DEBUG     = "true"
      LOG_LEVEL = var.log_level
    }
  }
}
resource "aws_ecs_task_definition" "app" {
  container_definitions = jsonencode([
    {
      name = "web"
      environment = [
        { name = "NODE_ENV", value = "development" },
      ]
    }
  ])
}
resource "aws_ecs_task_definition" "raw" {
  container_definitions = <<EOF
[{"name": "w", "environment": [{"name": "USE_MOCKS", "value": "true"}]}]
EOF
}
resource "aws_elastic_beanstalk_environment" "env" {
  setting {
    namespace = "aws:elasticbeanstalk:application:environment"
    name      = "RAILS_ENV"
    value     = "development"
  }
  setting {
    namespace = "aws:autoscaling:asg"
    name      = "MinSize"
    value     = "1"
  }
}
"#;
        let got = rows(FileKind::Terraform, "main.tf", text);
        assert_eq!(
            got,
            [
                r("DEBUG", "DEBUG", "true", "true", "aws_lambda_function.api.environment.variables"),
                r(
                    "LOG_LEVEL",
                    "LOG_LEVEL",
                    "<dynamic>",
                    "var.log_level",
                    "aws_lambda_function.api.environment.variables"
                ),
                r(
                    "NODE_ENV",
                    "NODE_ENV",
                    "development",
                    "development",
                    "aws_ecs_task_definition.app.container_definitions[web].environment"
                ),
                r(
                    "USE_MOCKS",
                    "USE_MOCKS",
                    "true",
                    "true",
                    "aws_ecs_task_definition.raw.container_definitions[w].environment"
                ),
                r(
                    "RAILS_ENV",
                    "RAILS_ENV",
                    "development",
                    "development",
                    "aws_elastic_beanstalk_environment.env.setting"
                ),
            ]
        );
    }

    #[test]
    fn dynamic_detection() {
        let cases: &[(&str, bool)] = &[
            ("plain", false),
            ("${VAR}", true),
            ("$VAR", true),
            ("pre-$VAR-post", true),
            ("$$5", false),
            ("cost $5", false),
            ("${{ secrets.X }}", true),
            ("{{ .Values.x }}", true),
            ("%{ if x }", true),
            ("a$", false),
        ];
        for &(v, want) in cases {
            assert_eq!(is_dynamic(v), want, "{v}");
        }
    }
}
