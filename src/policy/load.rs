//! Loading a policy file: parsed with our span-carrying YAML parser and
//! interpreted by hand, so that every mistake (unknown or duplicate field,
//! wrong type, bad regex or `JSONPath`, unknown kind, bad ID, unknown message
//! placeholder) is a [`PolicyError`] labelled at the offending key or value.
//!
//! The format (see the README, "Writing policies"):
//!
//! ```yaml
//! id: staging-safe-mode            # kebab-case, unique, not a built-in rule ID
//! severity: error                  # error | warning | note
//! summary: safe mode off in staging
//! help: set SAFE_MODE=true in staging
//! docs: |                          # optional markdown
//!   ## What it does ...
//! environments: [staging]          # optional: env names (a file of unknown env never matches)
//! kinds: [dotenv, compose]         # optional: file kinds
//! security: true                   # optional: a security rule (SARIF security-severity)
//! match:                           # env-var test, JSONPath selector, any: / all:
//!   key: SAFE_MODE
//!   value: {not: truthy}
//! message: '{key} is "{value}" in {env}'
//! tests:
//!   - name: safe mode off
//!     file: .env.staging
//!     content: "SAFE_MODE=false\n"
//!     expect: [{line: 1, column: 11}]
//! ```

use std::sync::Arc;

use regex::Regex;
use serde_json_path::JsonPath;

use crate::discover::FileKind;
use crate::finding::Severity;
use crate::model::{Entry, Node, Value};
use crate::span::{Span, Spanned};

use super::eval::{Cond, EnvVarMatch, KeyPattern, KeyTest, Match, PLACEHOLDERS, SelectMatch, ValueTest};
use super::test::{Expect, TestCase};
use super::{Origin, Policy, PolicyError};

const TOP_FIELDS: [&str; 11] =
    ["id", "severity", "summary", "help", "docs", "environments", "kinds", "security", "match", "message", "tests"];
const ENV_VAR_FIELDS: [&str; 5] = ["key", "except-key", "value", "message", "environments"];
const SELECT_FIELDS: [&str; 7] = ["select", "value", "exists", "absent", "has-keys", "message", "where"];
const VALUE_TESTS: [&str; 8] = ["equals", "not-equals", "one-of", "matches", "not-matches", "host", "not", "truthy"];
/// How deep `(` and `[` may nest in a `select` selector: its parser recurses
/// per level and overflowed the stack at a few thousand.
const MAX_SELECTOR_NESTING: usize = 64;
const TEST_FIELDS: [&str; 4] = ["name", "file", "content", "expect"];
const EXPECT_FIELDS: [&str; 3] = ["line", "column", "message"];
/// File kinds a policy may name (the parsed ones).
const KINDS: [FileKind; 7] = [
    FileKind::Dotenv,
    FileKind::Compose,
    FileKind::GithubWorkflow,
    FileKind::GitlabCi,
    FileKind::Terraform,
    FileKind::Tfvars,
    FileKind::Hcl,
];

type Result<T> = std::result::Result<T, PolicyError>;

struct Loader<'a> {
    name: &'a str,
    text: &'a str,
}

/// A map's fields, each at most once.
struct Fields<'n> {
    entries: Vec<&'n Entry>,
    /// Where to point when a required field is missing.
    at: Span,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().copied().find(|e| &*e.key.value == key)
    }
}

/// Parses one policy file; `name` labels the snippet in errors.
/// Where a selector's `(`/`[` nesting (outside string literals) first exceeds
/// [`MAX_SELECTOR_NESTING`], as a byte offset.
fn selector_too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut quote, mut escaped) = (0usize, None, false);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => {
                depth += 1;
                if depth > MAX_SELECTOR_NESTING {
                    return Some(i);
                }
            }
            (None, ')' | ']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

pub fn parse_policy(name: &str, text: &str) -> Result<Policy> {
    let l = Loader { name, text };
    l.policy()
}

impl Loader<'_> {
    fn err(&self, span: Span, message: impl Into<String>, label: impl Into<String>) -> PolicyError {
        PolicyError::at(self.name, self.text, span, message, label)
    }

    /// The first line of `span` (a whole map is too much to underline).
    fn first_line(&self, span: Span) -> Span {
        let start = span.start as usize;
        let end = self.text[start.min(self.text.len())..].find('\n').map_or(span.end as usize, |i| start + i);
        Span::new(start, end.min(span.end as usize))
    }

    fn fields<'n>(&self, node: &'n Node, allowed: &[&str], what: &str) -> Result<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            return Err(self.err(node.span, format!("{what} must be a map"), "expected a map"));
        };
        let mut out: Vec<&Entry> = Vec::new();
        for e in entries {
            if !allowed.contains(&&*e.key.value) {
                return Err(self
                    .err(e.key.span, format!("unknown field `{}` in {what}", e.key.value), "unknown field")
                    .with_help(format!("expected one of: {}", allowed.join(", "))));
            }
            if out.iter().any(|o| o.key.value == e.key.value) {
                return Err(self.err(e.key.span, format!("duplicate field `{}`", e.key.value), "set a second time"));
            }
            out.push(e);
        }
        Ok(Fields { entries: out, at: self.first_line(node.span) })
    }

    fn required<'n>(&self, f: &Fields<'n>, key: &str, what: &str) -> Result<&'n Entry> {
        f.get(key).ok_or_else(|| self.err(f.at, format!("missing field `{key}` in {what}"), format!("`{key}` needed")))
    }

    fn string(&self, node: &Node, what: &str) -> Result<String> {
        match &node.value {
            Value::String(s) => Ok(s.to_string()),
            _ => Err(self.err(node.span, format!("{what} must be a string"), "expected a string")),
        }
    }

    /// A scalar (string, number or boolean) as text.
    fn scalar(&self, node: &Node, what: &str) -> Result<String> {
        node.scalar_text().map(std::borrow::Cow::into_owned).ok_or_else(|| {
            self.err(node.span, format!("{what} must be a scalar"), "expected a string, number or boolean")
        })
    }

    /// A string or a list of strings.
    fn strings(&self, node: &Node, what: &str) -> Result<Vec<Spanned<String>>> {
        match &node.value {
            Value::String(s) => Ok(vec![Spanned::new(node.span, s.to_string())]),
            Value::Seq(items) if !items.is_empty() => {
                items.iter().map(|i| Ok(Spanned::new(i.span, self.string(i, what)?))).collect()
            }
            Value::Seq(_) => Err(self.err(node.span, format!("{what} must not be empty"), "empty list")),
            _ => Err(self.err(node.span, format!("{what} must be a string or a list of strings"), "expected strings")),
        }
    }

    fn integer(&self, node: &Node, what: &str) -> Result<u32> {
        match &node.value {
            Value::Number(n) => n.parse::<u32>().ok().filter(|&v| v > 0),
            _ => None,
        }
        .ok_or_else(|| self.err(node.span, format!("{what} must be a positive integer"), "expected a number"))
    }

    fn regex(&self, node: &Node) -> Result<Regex> {
        let text = self.string(node, "a regex")?;
        Regex::new(&text).map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&detail).trim();
            self.err(node.span, format!("invalid regex: {}", last.trim_start_matches("error: ")), "this regex")
        })
    }

    fn policy(&self) -> Result<Policy> {
        let doc = crate::parse::yaml::parse(self.text).map_err(|e| {
            self.err(e.span, format!("invalid YAML: {}", e.message), "here").with_help("a policy file is one YAML map")
        })?;
        let root = match doc.roots.as_slice() {
            [one] => one,
            [] => return Err(self.err(Span::at(0), "empty policy file", "nothing here")),
            [_, second, ..] => {
                return Err(self.err(
                    self.first_line(second.span),
                    "a policy file holds one policy (one YAML document)",
                    "second document",
                ));
            }
        };
        let f = self.fields(root, &TOP_FIELDS, "a policy")?;
        let what = "a policy";

        let id_entry = self.required(&f, "id", what)?;
        let id = self.string(&id_entry.value, "`id`")?;
        let kebab = Regex::new("^[a-z0-9]+(-[a-z0-9]+)*$").map_err(|e| PolicyError::plain(e.to_string()))?;
        if !kebab.is_match(&id) {
            return Err(self
                .err(id_entry.value.span, format!("invalid policy ID `{id}`"), "not kebab-case")
                .with_help("IDs are lowercase words joined by `-`, like `staging-safe-mode`"));
        }

        let sev_node = &self.required(&f, "severity", what)?.value;
        let sev_text = self.string(sev_node, "`severity`")?;
        let severity = Severity::parse(&sev_text).ok_or_else(|| {
            self.err(sev_node.span, format!("invalid severity `{sev_text}`"), "expected error, warning or note")
        })?;

        let summary = self.string(&self.required(&f, "summary", what)?.value, "`summary`")?;
        let help = self.string(&self.required(&f, "help", what)?.value, "`help`")?;
        let docs = f.get("docs").map(|e| self.string(&e.value, "`docs`")).transpose()?;

        let environments = f.get("environments").map(|e| self.environments(&e.value)).transpose()?;

        let kinds = match f.get("kinds") {
            None => None,
            Some(e) => {
                let mut kinds = Vec::new();
                for k in self.strings(&e.value, "`kinds`")? {
                    let kind = KINDS.iter().copied().find(|kind| kind.as_str() == k.value).ok_or_else(|| {
                        self.err(k.span, format!("unknown file kind `{}`", k.value), "not a file kind").with_help(
                            format!(
                                "expected one of: {}",
                                KINDS.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })?;
                    kinds.push(kind);
                }
                Some(kinds)
            }
        };

        let security = match f.get("security") {
            None => false,
            Some(e) => e
                .value
                .as_bool()
                .ok_or_else(|| self.err(e.value.span, "`security` must be true or false", "expected a boolean"))?,
        };

        let matcher = self.matcher(&self.required(&f, "match", what)?.value)?;
        let message_node = &self.required(&f, "message", what)?.value;
        let message = self.template(message_node)?;

        let tests = match f.get("tests") {
            None => Vec::new(),
            Some(e) => match &e.value.value {
                Value::Seq(items) => items.iter().map(|t| self.test_case(t)).collect::<Result<_>>()?,
                _ => return Err(self.err(e.value.span, "`tests` must be a list", "expected a list")),
            },
        };

        Ok(Policy {
            id,
            severity,
            summary,
            help,
            docs,
            environments,
            kinds,
            security,
            matcher,
            message,
            tests,
            origin: Origin { name: self.name.to_owned(), text: Arc::from(self.text), id_span: id_entry.value.span },
        })
    }

    fn template(&self, node: &Node) -> Result<String> {
        let text = self.string(node, "`message`")?;
        if let Some(bad) = super::eval::unknown_placeholders(&text).first() {
            return Err(self
                .err(node.span, format!("unknown placeholder `{{{bad}}}` in message"), "in this template")
                .with_help(format!(
                    "placeholders: {}",
                    PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", ")
                )));
        }
        Ok(text)
    }

    fn matcher(&self, node: &Node) -> Result<Match> {
        let Value::Map(entries) = &node.value else {
            return Err(self.err(node.span, "`match` must be a map", "expected a map"));
        };
        let has = |k: &str| entries.iter().any(|e| &*e.key.value == k);
        if has("any") || has("all") {
            let f = self.fields(node, &["any", "all"], "an any/all match")?;
            let [entry] = f.entries.as_slice() else {
                return Err(self.err(f.at, "use either `any` or `all` in one match", "both here"));
            };
            let items = match &entry.value.value {
                Value::Seq(items) if !items.is_empty() => items,
                _ => {
                    return Err(self.err(
                        entry.value.span,
                        format!("`{}` must be a non-empty list of matches", entry.key.value),
                        "expected a list",
                    ));
                }
            };
            let list = items.iter().map(|i| self.matcher(i)).collect::<Result<Vec<_>>>()?;
            return Ok(if &*entry.key.value == "any" { Match::Any(list) } else { Match::All(list) });
        }
        if has("key") {
            return self.env_var(node).map(Match::EnvVar);
        }
        if has("select") {
            return self.select(node).map(Match::Select);
        }
        Err(self
            .err(self.first_line(node.span), "a match needs `key`, `select`, `any` or `all`", "unknown kind of match")
            .with_help("`key:` tests env vars, `select:` a JSONPath, `any:`/`all:` combine matches"))
    }

    fn env_var(&self, node: &Node) -> Result<EnvVarMatch> {
        let f = self.fields(node, &ENV_VAR_FIELDS, "an env-var match")?;
        let key_node = &self.required(&f, "key", "an env-var match")?.value;
        let patterns = |node: &Node, what: &str| {
            let strings = self.strings(node, what)?;
            Result::Ok(strings.into_iter().map(|k| KeyPattern::new(&k.value)).collect::<Vec<_>>())
        };
        let keys = patterns(key_node, "`key`")?;
        let except = match f.get("except-key") {
            Some(e) => patterns(&e.value, "`except-key`")?,
            None => Vec::new(),
        };
        let value = &self.required(&f, "value", "an env-var match")?.value;
        let test = match value.as_str() {
            Some("exists") => KeyTest::Exists,
            Some("absent") => KeyTest::Absent,
            _ => KeyTest::Value(self.value_test(value, true)?),
        };
        let message = f.get("message").map(|e| self.template(&e.value)).transpose()?;
        let environments = f.get("environments").map(|e| self.environments(&e.value)).transpose()?;
        Ok(EnvVarMatch { keys, except, test, message, environments })
    }

    /// A list of environment names (checked against the table later, when the
    /// config is known).
    fn environments(&self, node: &Node) -> Result<Vec<Spanned<String>>> {
        let list = self.strings(node, "`environments`")?;
        for env in &list {
            let ok =
                !env.value.is_empty() && env.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(self.err(
                    env.span,
                    format!("invalid environment name `{}`", env.value),
                    "not an environment name",
                ));
            }
        }
        Ok(list)
    }

    fn value_test(&self, node: &Node, env_var: bool) -> Result<ValueTest> {
        let shorthands = if env_var { "truthy, falsy, exists, absent" } else { "truthy, falsy" };
        if let Some(word) = node.as_str() {
            return match word {
                "truthy" => Ok(ValueTest::Truthy),
                "falsy" => Ok(ValueTest::Falsy),
                _ => Err(self
                    .err(node.span, format!("unknown value test `{word}`"), "not a value test")
                    .with_help(format!("write one of {shorthands}, or a map such as `{{equals: \"x\"}}`"))),
            };
        }
        let allowed = ["equals", "not-equals", "one-of", "matches", "not-matches", "host", "not"];
        let f = self.fields(node, &allowed, "a value test")?;
        let [entry] = f.entries.as_slice() else {
            return Err(self
                .err(f.at, "a value test has exactly one of its forms", "one test per map")
                .with_help(format!("forms: {}, or {shorthands}", VALUE_TESTS[..7].join(", "))));
        };
        let v = &entry.value;
        Ok(match &*entry.key.value {
            "equals" => ValueTest::Equals(self.scalar(v, "`equals`")?),
            "not-equals" => ValueTest::NotEquals(self.scalar(v, "`not-equals`")?),
            "one-of" => match &v.value {
                Value::Seq(items) if !items.is_empty() => {
                    ValueTest::OneOf(items.iter().map(|i| self.scalar(i, "`one-of` items")).collect::<Result<_>>()?)
                }
                _ => return Err(self.err(v.span, "`one-of` must be a non-empty list", "expected a list")),
            },
            "matches" => ValueTest::Matches(self.regex(v)?),
            "not-matches" => ValueTest::NotMatches(self.regex(v)?),
            "host" => ValueTest::Host(Box::new(self.value_test(v, false)?)),
            _ => ValueTest::Not(Box::new(self.value_test(v, false)?)),
        })
    }

    /// A relative member path: `a.b` or a list of keys.
    fn member_path(&self, node: &Node, what: &str) -> Result<Vec<String>> {
        match &node.value {
            Value::String(s) if !s.is_empty() && s.split('.').all(|p| !p.is_empty()) => {
                Ok(s.split('.').map(str::to_owned).collect())
            }
            Value::Seq(_) => Ok(self.strings(node, what)?.into_iter().map(|s| s.value).collect()),
            _ => Err(self.err(
                node.span,
                format!("{what} must be a member path like `versioning.enabled` or a list of keys"),
                "expected a member path",
            )),
        }
    }

    fn select(&self, node: &Node) -> Result<SelectMatch> {
        let f = self.fields(node, &SELECT_FIELDS, "a select match")?;
        let sel = &self.required(&f, "select", "a select match")?.value;
        let text = self.string(sel, "`select`")?;
        // a byte offset in the selector → its span in the file (when written plainly or quoted)
        let raw = &self.text[sel.span.range()];
        let base = if raw == text {
            Some(sel.span.start as usize)
        } else if raw.len() >= 2 && raw.get(1..raw.len() - 1) == Some(text.as_str()) {
            Some(sel.span.start as usize + 1)
        } else {
            None
        };
        let locate = |position: usize| {
            base.map_or(sel.span, |b| {
                let at = (b + position).min(b + text.len());
                let end = text.get(position..).and_then(|t| t.chars().next()).map_or(at, |c| at + c.len_utf8());
                Span::new(at, end)
            })
        };
        if let Some(at) = selector_too_deep(&text) {
            return Err(self
                .err(locate(at), format!("`select` nests brackets more than {MAX_SELECTOR_NESTING} deep"), "too deep")
                .with_help("selectors follow RFC 9535, e.g. `$.resource.aws_s3_bucket.*`"));
        }
        let path = JsonPath::parse(&text).map_err(|e| {
            self.err(locate(e.position()), format!("invalid JSONPath `{text}`: {}", e.message()), "here")
                .with_help("selectors follow RFC 9535, e.g. `$.resource.aws_s3_bucket.*`")
        })?;
        let conds = ["value", "exists", "absent", "has-keys"];
        let given: Vec<&Entry> = f.entries.iter().copied().filter(|e| conds.contains(&&*e.key.value)).collect();
        if let [_, second, ..] = given.as_slice() {
            return Err(self
                .err(second.key.span, "a select match has at most one condition", "second condition")
                .with_help("combine conditions with `all:`"));
        }
        if let Some(w) = f.get("where") {
            return Err(self
                .err(w.key.span, "write the condition next to `select`", "not `where`")
                .with_help("e.g. `select: ...` and `absent: versioning` in the same map"));
        }
        let cond = match given.first() {
            None => None,
            Some(e) => Some(match &*e.key.value {
                "value" => Cond::Value(self.value_test(&e.value, false)?),
                "exists" => Cond::Exists(self.member_path(&e.value, "`exists`")?),
                "absent" => Cond::Absent(self.member_path(&e.value, "`absent`")?),
                _ => Cond::HasKeys(self.strings(&e.value, "`has-keys`")?.into_iter().map(|s| s.value).collect()),
            }),
        };
        let message = f.get("message").map(|e| self.template(&e.value)).transpose()?;
        Ok(SelectMatch { text, path, cond, message })
    }

    fn test_case(&self, node: &Node) -> Result<TestCase> {
        let f = self.fields(node, &TEST_FIELDS, "a test case")?;
        let file_node = &self.required(&f, "file", "a test case")?.value;
        let file = self.string(file_node, "`file`")?;
        if file.is_empty() || file.starts_with('/') || file.split('/').any(|p| p == "..") {
            return Err(self.err(file_node.span, "`file` must be a relative path", "not a relative path"));
        }
        let content = self.string(&self.required(&f, "content", "a test case")?.value, "`content`")?;
        let name = f.get("name").map(|e| self.string(&e.value, "`name`")).transpose()?.unwrap_or_else(|| file.clone());
        let expect_node = &self.required(&f, "expect", "a test case")?.value;
        let Value::Seq(items) = &expect_node.value else {
            return Err(self.err(expect_node.span, "`expect` must be a list (empty: no finding)", "expected a list"));
        };
        let mut expect = Vec::new();
        for item in items {
            let ef = self.fields(item, &EXPECT_FIELDS, "an expected finding")?;
            let line = self.integer(&self.required(&ef, "line", "an expected finding")?.value, "`line`")?;
            let column = ef.get("column").map(|e| self.integer(&e.value, "`column`")).transpose()?;
            let message = ef.get("message").map(|e| self.string(&e.value, "`message`")).transpose()?;
            expect.push(Expect { line, column, message });
        }
        Ok(TestCase { name, file, content, expect, span: self.first_line(node.span) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id: my-policy
severity: warning
summary: debug on in prod
help: turn it off
environments: [prod]
kinds: [dotenv]
match:
  key: DEBUG
  value: truthy
message: '{key} is "{value}" in {env}'
tests:
  - file: .env.prod
    content: "DEBUG=1\n"
    expect: [{line: 1, column: 7}]
"#;

    #[test]
    fn good_policy_loads() {
        let p = parse_policy("p.yaml", GOOD).expect("loads");
        assert_eq!(p.id, "my-policy");
        assert_eq!(p.severity, Severity::Warning);
        assert_eq!(p.kinds, Some(vec![FileKind::Dotenv]));
        assert_eq!(p.tests.len(), 1);
        assert_eq!(p.tests[0].name, ".env.prod");
        assert_eq!(&GOOD[p.origin.id_span.range()], "my-policy");
    }

    #[test]
    fn errors_point_at_the_problem() {
        // (replace this, with this, message contains, text under the label)
        let cases: &[(&str, &str, &str, &str)] = &[
            ("severity: warning", "severity: fatal", "invalid severity `fatal`", "fatal"),
            ("severity: warning", "severity: [x]", "`severity` must be a string", "[x]"),
            ("id: my-policy", "id: My_Policy", "invalid policy ID `My_Policy`", "My_Policy"),
            ("help: turn it off", "help: turn it off\nhelpp: x", "unknown field `helpp`", "helpp"),
            ("help: turn it off", "help: turn it off\nhelp: again", "duplicate field `help`", "help"),
            ("kinds: [dotenv]", "kinds: [dotenv, k8s]", "unknown file kind `k8s`", "k8s"),
            ("environments: [prod]", "environments: [\"pr od\"]", "invalid environment name `pr od`", "\"pr od\""),
            ("  value: truthy", "  value: truthyy", "unknown value test `truthyy`", "truthyy"),
            ("  value: truthy", "  value: {matches: \"(open\"}", "invalid regex", "\"(open\""),
            (
                "  value: truthy",
                "  value: {equals: a, one-of: [b]}",
                "exactly one of its forms",
                "{equals: a, one-of: [b]}",
            ),
            ("  value: truthy", "  value: {one-of: []}", "`one-of` must be a non-empty list", "[]"),
            ("  value: truthy", "  vaule: truthy", "unknown field `vaule`", "vaule"),
            ("  key: DEBUG\n  value: truthy", "  keys: DEBUG", "a match needs `key`, `select`", "keys: DEBUG"),
            ("  key: DEBUG\n  value: truthy", "  select: \"$.a[\"", "invalid JSONPath", ""),
            (
                "  key: DEBUG\n  value: truthy",
                "  select: $.a\n  absent: b\n  exists: c",
                "at most one condition",
                "exists",
            ),
            ("  key: DEBUG\n  value: truthy", "  any: []", "must be a non-empty list of matches", "[]"),
            (
                "message: '{key} is \"{value}\" in {env}'",
                "message: '{key} is {valu}'",
                "unknown placeholder `{valu}`",
                "'{key} is {valu}'",
            ),
            (
                "    expect: [{line: 1, column: 7}]",
                "    expect: [{line: zero}]",
                "`line` must be a positive integer",
                "zero",
            ),
            ("    expect: [{line: 1, column: 7}]", "    expect: [{line: 1, col: 7}]", "unknown field `col`", "col"),
            ("  - file: .env.prod", "  - file: ../.env.prod", "`file` must be a relative path", "../.env.prod"),
            ("summary: debug on in prod\n", "", "missing field `summary`", "id: my-policy"),
            ("    expect: [{line: 1, column: 7}]\n", "", "missing field `expect`", "file: .env.prod"),
        ];
        for &(from, to, msg, under) in cases {
            let text = GOOD.replace(from, to);
            assert_ne!(text, GOOD, "{from:?} not found");
            let Err(e) = parse_policy("p.yaml", &text) else { panic!("expected an error for {to:?}") };
            assert!(e.message.contains(msg), "{to:?}: {}", e.message);
            if !under.is_empty() {
                assert_eq!(e.labelled_text().as_deref(), Some(under), "{to:?}: {}", e.message);
            }
        }
    }

    #[test]
    fn jsonpath_error_points_into_the_selector() {
        let text = GOOD.replace("  key: DEBUG\n  value: truthy", "  select: $.resource[?@.x ==]");
        let e = parse_policy("p.yaml", &text).expect_err("error");
        assert!(e.message.starts_with("invalid JSONPath `$.resource[?@.x ==]`"), "{}", e.message);
        let span = e.span.expect("span");
        assert!(span.offset() >= text.find("$.resource").expect("sel"), "{span:?}");
    }

    #[test]
    fn non_ascii_selectors_and_regexes_do_not_panic() {
        for m in ["  select: é[", "  select: \"é[\"", "  select: 'ü'", "  key: DÉBUG\n  value: {matches: 'ü('}"] {
            let text = GOOD.replace("  key: DEBUG\n  value: truthy", m);
            assert!(parse_policy("p.yaml", &text).is_err(), "{m}");
        }
    }

    #[test]
    fn deeply_nested_selectors_are_errors_not_stack_overflows() {
        // 5000 nested parentheses overflowed the stack in the JSONPath parser
        let deep = format!("$[?{}@.a{}]", "(".repeat(5000), ")".repeat(5000));
        let text = GOOD.replace("  key: DEBUG\n  value: truthy", &format!("  select: \"{deep}\"\n  exists: x"));
        let e = parse_policy("p.yaml", &text).expect_err("too deep");
        assert_eq!(e.message, "`select` nests brackets more than 64 deep");
        assert_eq!(e.labelled_text().as_deref(), Some("("));
        let ok = format!("$[?{}@.a{}]", "(".repeat(60), ")".repeat(60));
        assert!(selector_too_deep(&ok).is_none());
        assert!(selector_too_deep(&format!("$['{}']", "[".repeat(100))).is_none(), "inside a string");
    }

    #[test]
    fn yaml_syntax_error_is_a_policy_error() {
        let e = parse_policy("p.yaml", "id: [unclosed\n").expect_err("error");
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
    }
}
