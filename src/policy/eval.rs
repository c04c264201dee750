//! Evaluating a policy's match on one file: env-var tests over the carriers view,
//! `JSONPath` selectors over the document as JSON, and `any:` / `all:` combinations.
//! Produces hits (span + rendered message); the rule turns them into findings.

use std::ops::Range;

use regex::Regex;
use serde_json::Value as Json;
use serde_json_path::JsonPath;

use crate::discover::FileKind;
use crate::formats::carriers::{Carrier, CarrierValue, is_dynamic};
use crate::model::json::{SpanIndex, escape_token};
use crate::rule::{FileCx, FileRef, Loc, Subject, UnitCx};
use crate::source::SourceFile;
use crate::span::Span;

use super::Policy;

/// What a policy looks for.
#[derive(Debug, Clone)]
pub enum Match {
    EnvVar(EnvVarMatch),
    Select(SelectMatch),
    /// A hit of any sub-match is a hit.
    Any(Vec<Match>),
    /// Holds when every sub-match has at least one in-scope hit in the file; the
    /// hits reported are the first sub-match's.
    All(Vec<Match>),
}

impl Match {
    /// The environment names of every match's `environments:`, for checking.
    pub fn branch_environments<'a>(&'a self, out: &mut Vec<&'a crate::span::Spanned<String>>) {
        match self {
            Self::EnvVar(ev) => out.extend(ev.environments.iter().flatten()),
            Self::Select(_) => {}
            Self::Any(list) | Self::All(list) => list.iter().for_each(|m| m.branch_environments(out)),
        }
    }

    /// Whether only env-var tests are involved (for the rule table's "formats").
    pub fn env_var_only(&self) -> bool {
        match self {
            Self::EnvVar(_) => true,
            Self::Select(_) => false,
            Self::Any(list) | Self::All(list) => list.iter().all(Self::env_var_only),
        }
    }
}

/// An env-var test: carriers whose key matches one of `keys`, and a test.
#[derive(Debug, Clone)]
pub struct EnvVarMatch {
    pub keys: Vec<KeyPattern>,
    /// Keys left out even when `keys` matches them (`*SKIP*` in `*_TLS`).
    pub except: Vec<KeyPattern>,
    pub test: KeyTest,
    /// Overrides the policy's message for hits of this match.
    pub message: Option<String>,
    /// Narrows the policy's environments for this match (`None`: all of them).
    pub environments: Option<Vec<crate::span::Spanned<String>>>,
}

impl EnvVarMatch {
    /// Whether the match looks at a key: one of `keys` and none of `except`.
    pub fn selects(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.matches(key)) && !self.except.iter().any(|k| k.matches(key))
    }
}

/// A key name or glob (`MOCK_*`, `*_LOG_LEVEL`), compared case-insensitively: `*` is any
/// run of characters, `?` any one character but a line break, as in the regex these once were.
/// Matched by hand: the built-in policies hold a few hundred of them, and compiling each
/// as a regex was most of the start-up time of a scan.
#[derive(Debug, Clone)]
pub struct KeyPattern {
    pub text: String,
    /// The pattern, one token per character.
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character but a line break.
    Any,
    /// This character, compared after case folding.
    Char(char),
}

/// A character folded for case-insensitive comparison: its lower case when that is
/// one character, else the character itself.
fn fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

impl KeyPattern {
    pub fn new(text: &str) -> Self {
        let tokens = text
            .chars()
            .map(|c| match c {
                '*' => Token::Star,
                '?' => Token::Any,
                c => Token::Char(fold(c)),
            })
            .collect();
        Self { text: text.to_owned(), tokens }
    }

    /// Wildcard matching with one backtrack point (the last `*`): linear in practice,
    /// `O(pattern × key)` at worst.
    pub fn matches(&self, key: &str) -> bool {
        let key: Vec<char> = key.chars().collect();
        let (mut p, mut k) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while k < key.len() {
            match self.tokens.get(p) {
                Some(Token::Star) => {
                    star = Some((p, k));
                    p += 1;
                    continue;
                }
                Some(Token::Any) if key[k] != '\n' => {
                    p += 1;
                    k += 1;
                    continue;
                }
                Some(Token::Char(c)) if *c == fold(key[k]) => {
                    p += 1;
                    k += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, sk)) => {
                    p = sp + 1;
                    k = sk + 1;
                    star = Some((sp, sk + 1));
                }
                None => return false,
            }
        }
        self.tokens[p..].iter().all(|t| *t == Token::Star)
    }
}

/// What is tested about a matching key.
#[derive(Debug, Clone)]
pub enum KeyTest {
    /// The literal value passes the test (dynamic and unset values never do).
    Value(ValueTest),
    /// The key is set (any value): a hit at the key.
    Exists,
    /// No carrier in the file has the key: a hit at the file's first line per missing key.
    Absent,
}

/// A test on a literal value. Returns the byte range of the part that matched.
#[derive(Debug, Clone)]
pub enum ValueTest {
    /// Equal, ignoring ASCII case.
    Equals(String),
    /// Not equal, ignoring ASCII case.
    NotEquals(String),
    /// Equal to one of these, ignoring ASCII case.
    OneOf(Vec<String>),
    /// The regex finds a match: the range is its first capture group if it took part, else the whole match.
    Matches(Regex),
    /// The regex finds no match.
    NotMatches(Regex),
    /// `true, 1, yes, on, enabled`, any case.
    Truthy,
    /// `false, 0, no, off, disabled`, any case.
    Falsy,
    /// The inner test holds for the host of a `scheme://[user@]host[:port]/...` URL.
    Host(Box<ValueTest>),
    /// The inner test does not hold.
    Not(Box<ValueTest>),
}

const TRUTHY: [&str; 5] = ["true", "1", "yes", "on", "enabled"];
const FALSY: [&str; 5] = ["false", "0", "no", "off", "disabled"];

impl ValueTest {
    /// Tests `value`; `Some(range)` of the part that matched when the test holds.
    pub fn test(&self, value: &str) -> Option<Range<usize>> {
        let whole = 0..value.len();
        let trimmed = value.trim();
        match self {
            Self::Equals(want) => value.eq_ignore_ascii_case(want).then_some(whole),
            Self::NotEquals(want) => (!value.eq_ignore_ascii_case(want)).then_some(whole),
            Self::OneOf(list) => list.iter().any(|w| value.eq_ignore_ascii_case(w)).then_some(whole),
            Self::Matches(re) => {
                let caps = re.captures(value)?;
                caps.get(1).or_else(|| caps.get(0)).map(|m| m.range())
            }
            Self::NotMatches(re) => (!re.is_match(value)).then_some(whole),
            Self::Truthy => TRUTHY.iter().any(|t| trimmed.eq_ignore_ascii_case(t)).then_some(whole),
            Self::Falsy => FALSY.iter().any(|t| trimmed.eq_ignore_ascii_case(t)).then_some(whole),
            Self::Host(inner) => {
                let host = url_host(value)?;
                let r = inner.test(&value[host.clone()])?;
                Some(host.start + r.start..host.start + r.end)
            }
            Self::Not(inner) => inner.test(value).is_none().then_some(whole),
        }
    }
}

/// The byte range of the host in a `scheme://[user[:pass]@]host[:port][/...]` URL.
pub fn url_host(value: &str) -> Option<Range<usize>> {
    let scheme_end = value.find("://")?;
    let scheme = &value[..scheme_end];
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return None;
    }
    let start = scheme_end + 3;
    let rest = &value[start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_part = &authority[host_start..];
    let host_len = if host_part.starts_with('[') {
        host_part.find(']').map_or(host_part.len(), |i| i + 1)
    } else {
        host_part.find(':').unwrap_or(host_part.len())
    };
    (host_len > 0).then(|| start + host_start..start + host_start + host_len)
}

/// A `JSONPath` selector with a condition on each selected node.
#[derive(Debug, Clone)]
pub struct SelectMatch {
    pub text: String,
    pub path: JsonPath,
    /// `None`: every selected node is a hit.
    pub cond: Option<Cond>,
    pub message: Option<String>,
}

/// A condition on a selected node.
#[derive(Debug, Clone)]
pub enum Cond {
    /// The node is a literal scalar (string, number, boolean; not an unevaluated expression or interpolation) passing the test.
    Value(ValueTest),
    /// The member at this relative path (`versioning.enabled`) exists: a hit at its key.
    Exists(Vec<String>),
    /// The member at this relative path does not exist: a hit at the node's key (or value).
    Absent(Vec<String>),
    /// The node is an object holding every one of these keys: a hit at the node's key.
    HasKeys(Vec<String>),
}

/// One place a policy matched.
#[derive(Debug, Clone)]
pub struct Hit {
    pub loc: Loc,
    pub message: String,
}

/// What a template can name.
struct Vars<'a> {
    key: &'a str,
    value: &'a str,
    matched: &'a str,
    path: &'a str,
}

/// The placeholders a message template may use.
pub const PLACEHOLDERS: [&str; 5] = ["key", "value", "match", "env", "path"];

/// Fills `{key}`, `{value}`, `{match}`, `{env}`, `{path}`; other text is kept as is.
fn render(template: &str, vars: &Vars<'_>, env: &str) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        let value = match name {
            Some("key") => Some(vars.key),
            Some("value") => Some(vars.value),
            Some("match") => Some(vars.matched),
            Some("env") => Some(env),
            Some("path") => Some(vars.path),
            _ => None,
        };
        if let (Some(v), Some(n)) = (value, name) {
            out.push_str(v);
            rest = &after[n.len() + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The unknown placeholders of a template (`{word}` that is not one of [`PLACEHOLDERS`]).
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let re = Regex::new(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}");
    re.map(|re| {
        re.captures_iter(template)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
            .filter(|n| !PLACEHOLDERS.contains(&n.as_str()))
            .collect()
    })
    .unwrap_or_default()
}

/// A hit before its message is rendered.
struct RawHit<'m> {
    file: FileRef,
    span: Span,
    key: String,
    value: String,
    matched: String,
    path: String,
    template: Option<&'m str>,
}

/// A carrier with the file it is written in.
struct CarrierAt<'c> {
    carrier: &'c Carrier,
    src: &'c SourceFile,
    file: FileRef,
}

/// Everything evaluation reads: the carriers it judges (a file's, or a
/// subject's with what it inherits), and in file mode the file's tree.
struct Cx<'a> {
    carriers: Vec<CarrierAt<'a>>,
    /// Where findings about absent keys go: line 1 of the file, or the subject's key.
    anchor: Loc,
    /// File mode: the file, for `select:` matches.
    file: Option<&'a FileCx<'a>>,
    /// The environment at a place (the subject's, or in file mode the job's or file's).
    env_at: &'a dyn Fn(Span) -> Option<String>,
    table: &'a crate::env::EnvTable,
}

impl Cx<'_> {
    fn json(&self) -> Option<&(Json, SpanIndex)> {
        self.file.map(FileCx::json)
    }
}

/// Kinds whose documents have env-var carriers.
const CARRIER_KINDS: [FileKind; 5] =
    [FileKind::Dotenv, FileKind::Compose, FileKind::GithubWorkflow, FileKind::GitlabCi, FileKind::Terraform];

/// Evaluates a policy on one file: the hits with rendered messages. The
/// environment scope is the framework's to apply; `{env}` is the environment
/// at each hit (for CI files, the job's that holds it).
pub fn evaluate(policy: &Policy, file: &FileCx<'_>) -> Vec<Hit> {
    if file.doc.is_none() || policy.kinds.as_ref().is_some_and(|k| !k.contains(&file.kind)) {
        return Vec::new();
    }
    let carriers = if CARRIER_KINDS.contains(&file.kind) {
        file.carriers().iter().map(|carrier| CarrierAt { carrier, src: file.source, file: file.file }).collect()
    } else {
        Vec::new()
    };
    let env_at = |span: Span| file.env.env_at(span.start).map(ToString::to_string);
    let cx = Cx {
        carriers,
        anchor: Loc { file: file.file, span: file.source.line_span(1) },
        file: Some(file),
        env_at: &env_at,
        table: &file.settings.envs,
    };
    render_hits(policy, &cx, env_at)
}

/// Evaluates an env-var policy on one subject (a dotenv file, a CI job with
/// what it inherits, a compose service): hits may lie in any file of the unit.
pub fn evaluate_subject(policy: &Policy, subject: &Subject<'_>, unit: &UnitCx<'_>) -> Vec<Hit> {
    if policy.kinds.as_ref().is_some_and(|k| !k.contains(&subject.file_kind(unit.files))) {
        return Vec::new();
    }
    let carriers = subject
        .carriers
        .iter()
        .map(|c| CarrierAt { carrier: &c.carrier, src: &unit.file(c.file).source, file: c.file })
        .collect();
    let env = subject.env.as_ref().map(ToString::to_string);
    let env_at = |_: Span| env.clone();
    let cx = Cx { carriers, anchor: subject.anchor, file: None, env_at: &env_at, table: &unit.settings.envs };
    render_hits(policy, &cx, env_at)
}

fn render_hits(policy: &Policy, cx: &Cx<'_>, env_at: impl Fn(Span) -> Option<String>) -> Vec<Hit> {
    let mut hits = hits(&policy.matcher, cx);
    // overlapping `any:` branches may find the same place twice: report it once
    hits.sort_by_key(|h| (h.file, h.span.start, h.span.end));
    let mut seen = std::collections::HashSet::new();
    hits.retain(|h| seen.insert((h.file, h.span, h.key.clone())));
    hits.into_iter()
        .map(|h| {
            let env = env_at(h.span).unwrap_or_else(|| "unknown".to_owned());
            let vars = Vars { key: &h.key, value: &h.value, matched: &h.matched, path: &h.path };
            Hit {
                loc: Loc { file: h.file, span: h.span },
                message: render(h.template.unwrap_or(&policy.message), &vars, &env),
            }
        })
        .collect()
}

fn hits<'m>(m: &'m Match, cx: &Cx<'_>) -> Vec<RawHit<'m>> {
    match m {
        Match::EnvVar(ev) => env_var_hits(ev, cx),
        Match::Select(sel) => select_hits(sel, cx),
        Match::Any(list) => list.iter().flat_map(|m| hits(m, cx)).collect(),
        Match::All(list) => {
            let mut first = None;
            for m in list {
                let h = hits(m, cx);
                if h.is_empty() {
                    return Vec::new();
                }
                if first.is_none() {
                    first = Some(h);
                }
            }
            first.unwrap_or_default()
        }
    }
}

/// Narrows `span` (where `text` is written in the source) to `range` of `text`
/// when the source holds the text verbatim (plain, or inside quotes).
fn narrow(src: &SourceFile, span: Span, text: &str, range: &Range<usize>) -> Span {
    let raw = src.slice(span);
    let base = if raw == text {
        Some(span.start as usize)
    } else if raw.len() >= 2
        && (raw.starts_with('"') || raw.starts_with('\''))
        && raw.ends_with(&raw[..1])
        && &raw[1..raw.len() - 1] == text
    {
        Some(span.start as usize + 1)
    } else {
        None
    };
    base.map_or(span, |b| Span::new(b + range.start, b + range.end))
}

fn env_var_hits<'m>(ev: &'m EnvVarMatch, cx: &Cx<'_>) -> Vec<RawHit<'m>> {
    let mut out = env_var_hits_any_env(ev, cx);
    // a match narrowed to some of the policy's environments
    if let Some(envs) = &ev.environments {
        let wanted = |env: Option<String>| {
            env.is_some_and(|e| {
                envs.iter().any(|n| cx.table.resolve(&n.value).map_or_else(|| n.value == e, |c| *c == *e))
            })
        };
        out.retain(|h| wanted((cx.env_at)(h.span)));
    }
    out
}

fn env_var_hits_any_env<'m>(ev: &'m EnvVarMatch, cx: &Cx<'_>) -> Vec<RawHit<'m>> {
    let template = ev.message.as_deref();
    let path_of = |c: &Carrier| if c.scope.is_empty() { c.key.clone() } else { format!("{}.{}", c.scope, c.key) };
    let matching = cx.carriers.iter().filter(|c| ev.selects(&c.carrier.key));
    let mut out = Vec::new();
    match &ev.test {
        KeyTest::Value(test) => {
            for at in matching {
                let c = at.carrier;
                let CarrierValue::Literal(value) = &c.value else { continue };
                let Some(range) = test.test(value) else { continue };
                out.push(RawHit {
                    file: at.file,
                    span: narrow(at.src, c.value_span, value, &range),
                    key: c.key.clone(),
                    value: value.clone(),
                    matched: value.get(range).unwrap_or(value).to_owned(),
                    path: path_of(c),
                    template,
                });
            }
        }
        KeyTest::Exists => {
            for at in matching {
                let c = at.carrier;
                let value = c.literal().unwrap_or_default().to_owned();
                out.push(RawHit {
                    file: at.file,
                    span: c.key_span,
                    key: c.key.clone(),
                    matched: value.clone(),
                    value,
                    path: path_of(c),
                    template,
                });
            }
        }
        KeyTest::Absent => {
            for k in &ev.keys {
                if !cx.carriers.iter().any(|c| k.matches(&c.carrier.key)) {
                    out.push(RawHit {
                        file: cx.anchor.file,
                        span: cx.anchor.span,
                        key: k.text.clone(),
                        value: String::new(),
                        matched: String::new(),
                        path: k.text.clone(),
                        template,
                    });
                }
            }
        }
    }
    out
}

/// A JSON value as the text a value test reads: strings, numbers, booleans.
fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `$['a']['b'][0]` as a JSON pointer, plus the member walk for relative paths.
fn member<'j>(node: &'j Json, path: &[String]) -> Option<&'j Json> {
    path.iter().try_fold(node, |n, k| match n {
        Json::Object(map) => map.get(k),
        Json::Array(items) => k.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn select_hits<'m>(sel: &'m SelectMatch, cx: &Cx<'_>) -> Vec<RawHit<'m>> {
    let (Some(file), Some((json, index))) = (cx.file, cx.json()) else { return Vec::new() };
    let src = file.source;
    let template = sel.message.as_deref();
    let mut out = Vec::new();
    for located in sel.path.query_located(json) {
        let pointer = located.location().to_json_pointer();
        let display_path = located.location().to_string();
        let node = located.node();
        let key_name = located.location().last().map(ToString::to_string).unwrap_or_default();
        let value_span = index.nearest(&pointer).unwrap_or_else(|| Span::at(0));
        let key_span = index.key(&pointer).unwrap_or(value_span);
        let whole = scalar_text(node).unwrap_or_default();
        let hit = |span: Span, value: String, matched: String, key: String| RawHit {
            file: file.file,
            span,
            key,
            value,
            matched,
            path: display_path.clone(),
            template,
        };
        let found = match &sel.cond {
            None => Some(hit(key_span, whole.clone(), whole.clone(), key_name.clone())),
            Some(Cond::Value(test)) => {
                let dynamic = index.is_expr(&pointer) || matches!(node, Json::String(s) if is_dynamic(s));
                match scalar_text(node) {
                    Some(text) if !dynamic => test.test(&text).map(|range| {
                        let span = narrow(src, value_span, &text, &range);
                        let matched = text.get(range).unwrap_or(&text).to_owned();
                        hit(span, text.clone(), matched, key_name.clone())
                    }),
                    _ => None,
                }
            }
            Some(Cond::Exists(path)) => member(node, path).map(|m| {
                let child = path.iter().fold(pointer.clone(), |p, k| format!("{p}/{}", escape_token(k)));
                let span = index.key(&child).or_else(|| index.value(&child)).unwrap_or(key_span);
                let text = scalar_text(m).unwrap_or_default();
                hit(span, text.clone(), text, path.join("."))
            }),
            Some(Cond::Absent(path)) => {
                member(node, path).is_none().then(|| hit(key_span, whole.clone(), String::new(), path.join(".")))
            }
            Some(Cond::HasKeys(keys)) => match node {
                Json::Object(map) if keys.iter().all(|k| map.contains_key(k)) => {
                    Some(hit(key_span, whole.clone(), keys.join(", "), key_name.clone()))
                }
                _ => None,
            },
        };
        out.extend(found);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Regex {
        Regex::new(s).expect("regex")
    }

    #[test]
    fn value_tests_table() {
        // (test, value, matched part or None)
        let cases: Vec<(ValueTest, &str, Option<&str>)> = vec![
            (ValueTest::Truthy, "true", Some("true")),
            (ValueTest::Truthy, "TRUE", Some("TRUE")),
            (ValueTest::Truthy, "Yes", Some("Yes")),
            (ValueTest::Truthy, "1", Some("1")),
            (ValueTest::Truthy, "on", Some("on")),
            (ValueTest::Truthy, "Enabled", Some("Enabled")),
            (ValueTest::Truthy, "false", None),
            (ValueTest::Truthy, "truthy", None),
            (ValueTest::Truthy, "", None),
            (ValueTest::Falsy, "false", Some("false")),
            (ValueTest::Falsy, "0", Some("0")),
            (ValueTest::Falsy, "NO", Some("NO")),
            (ValueTest::Falsy, "off", Some("off")),
            (ValueTest::Falsy, "disabled", Some("disabled")),
            (ValueTest::Falsy, "true", None),
            (ValueTest::Falsy, "00", None),
            (ValueTest::Equals("debug".into()), "DEBUG", Some("DEBUG")),
            (ValueTest::Equals("debug".into()), "debugger", None),
            (ValueTest::NotEquals("true".into()), "false", Some("false")),
            (ValueTest::NotEquals("true".into()), "True", None),
            (ValueTest::OneOf(vec!["dev".into(), "test".into()]), "Test", Some("Test")),
            (ValueTest::OneOf(vec!["dev".into(), "test".into()]), "prod", None),
            (ValueTest::Matches(re("sslmode=disable")), "postgres://h/db?sslmode=disable", Some("sslmode=disable")),
            (
                ValueTest::Matches(re(r"[?&](sslmode=disable)")),
                "pg://h/db?a=1&sslmode=disable",
                Some("sslmode=disable"),
            ),
            (ValueTest::Matches(re("sslmode=disable")), "postgres://h/db?sslmode=require", None),
            (ValueTest::NotMatches(re("^https://")), "http://x", Some("http://x")),
            (ValueTest::NotMatches(re("^https://")), "https://x", None),
            (
                ValueTest::Host(Box::new(ValueTest::Matches(re("prod")))),
                "pg://u:p@db.prod.internal:5432/x",
                Some("prod"),
            ),
            (
                ValueTest::Host(Box::new(ValueTest::Equals("db.internal".into()))),
                "pg://u:p@db.internal:5432/x",
                Some("db.internal"),
            ),
            (ValueTest::Host(Box::new(ValueTest::Equals("x".into()))), "not a url", None),
            (ValueTest::Host(Box::new(ValueTest::Equals("u".into()))), "https://u@/path", None),
            (ValueTest::Not(Box::new(ValueTest::Truthy)), "maybe", Some("maybe")),
            (ValueTest::Not(Box::new(ValueTest::Truthy)), "on", None),
        ];
        for (test, value, want) in cases {
            let got = test.test(value).map(|r| &value[r]);
            assert_eq!(got, want, "{test:?} on {value:?}");
        }
    }

    #[test]
    fn url_hosts() {
        let cases: &[(&str, Option<&str>)] = &[
            ("postgres://user:pw@db.example.com:5432/app", Some("db.example.com")),
            ("https://api.example.com/v1?x=1", Some("api.example.com")),
            ("redis://cache", Some("cache")),
            ("mysql://u@[::1]:3306/x", Some("[::1]")),
            ("s3://bucket/key", Some("bucket")),
            ("db.example.com", None),
            ("://x", None),
        ];
        for &(value, want) in cases {
            assert_eq!(url_host(value).map(|r| &value[r]), want, "{value}");
        }
    }

    #[test]
    fn key_globs() {
        let cases: &[(&str, &str, bool)] = &[
            ("DEBUG", "debug", true),
            ("DEBUG", "APP_DEBUG", false),
            ("MOCK_*", "MOCK_PAYMENTS", true),
            ("MOCK_*", "mock_", true),
            ("MOCK_*", "USE_MOCK_X", false),
            ("*_LOG_LEVEL", "API_LOG_LEVEL", true),
            ("*_LOG_LEVEL", "LOG_LEVEL", false),
            ("DB.HOST", "DBXHOST", false),
            ("A?C", "abc", true),
            ("A?C", "ac", false),
            ("A?C", "a\nc", false),
            ("*", "", true),
            ("*", "ANY_KEY", true),
            ("", "", true),
            ("", "A", false),
            ("*_*_X", "A_B_C_X", true),
            ("*_*_X", "A_X", false),
            ("*TLS*VERIFY*", "node_tls_reject_verify_x", true),
            ("**A", "BBA", true),
            ("A*B*C", "AXXBXXC", true),
            ("A*B*C", "AXXCXXB", false),
            ("ÄPFEL_*", "äpfel_x", true),
            ("Straße", "STRASSE", false),
            ("?", "é", true),
        ];
        for &(pattern, key, want) in cases {
            assert_eq!(KeyPattern::new(pattern).matches(key), want, "{pattern} vs {key}");
        }
    }

    #[test]
    fn except_key_leaves_keys_out() {
        let m = EnvVarMatch {
            keys: vec![KeyPattern::new("*_TLS"), KeyPattern::new("*_SSL")],
            except: vec![KeyPattern::new("*SKIP*"), KeyPattern::new("NO_*")],
            test: KeyTest::Exists,
            message: None,
            environments: None,
        };
        let cases: &[(&str, bool)] =
            &[("REDIS_TLS", true), ("db_ssl", true), ("SKIP_TLS", false), ("no_ssl", false), ("TLS", false)];
        for &(key, want) in cases {
            assert_eq!(m.selects(key), want, "{key}");
        }
    }

    #[test]
    fn templates() {
        let vars = Vars { key: "DEBUG", value: "true", matched: "tr", path: "services.api.environment.DEBUG" };
        assert_eq!(render("{key} is \"{value}\" in {env}", &vars, "prod"), "DEBUG is \"true\" in prod");
        assert_eq!(render("{match} at {path} {nope} {", &vars, "x"), "tr at services.api.environment.DEBUG {nope} {");
        assert_eq!(unknown_placeholders("{key} {vaule} {env}"), vec!["vaule".to_owned()]);
    }

    /// Evaluates a policy whose match is `matcher` (YAML) on one file; returns
    /// (text under each hit's span, message).
    fn run(matcher: &str, path: &str, text: &str) -> Vec<(String, String)> {
        let policy_text = format!(
            "id: t\nseverity: note\nsummary: s\nhelp: h\nmatch:\n{matcher}\nmessage: '{{key}}|{{value}}|{{match}}|{{path}}|{{env}}'\n"
        );
        let policy = crate::policy::parse_policy("t.yaml", &policy_text).expect("policy");
        let kind = FileKind::classify(path);
        let doc = crate::engine::parse_kind(kind, path, text).expect("kind").expect("parses");
        let src = SourceFile::new(path, text);
        let settings = crate::config::Settings::defaults(std::path::Path::new("."));
        let env = crate::env::FileEnv::unknown();
        let cx = FileCx::new(&src, kind, Some(&doc), None, &env, &settings, &[]);
        evaluate(&policy, &cx).into_iter().map(|h| (src.slice(h.loc.span).to_owned(), h.message)).collect()
    }

    fn row(under: &str, message: &str) -> (String, String) {
        (under.to_owned(), message.to_owned())
    }

    /// (matcher, path, text, expected (text under span, message))
    type Case<'a> = (&'a str, &'a str, &'a str, Vec<(String, String)>);

    #[test]
    fn jsonpath_selection_spans() {
        let tf = "resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"logs\"\n  acl    = \"public-read\"\n  tags   = { env = var.env, team = \"core\" }\n}\nresource \"aws_s3_bucket\" \"b\" {\n  versioning {\n    enabled = true\n  }\n}\n";
        let compose = "services:\n  api:\n    image: \"acme/api:latest\"\n    ports: [\"5432:5432\"]\n  db:\n    image: postgres:16\n";
        // (matcher, path, text, expected (text under span, message))
        let cases: Vec<Case> = vec![
            (
                "  select: $.resource.aws_s3_bucket.*.acl\n  value: {equals: public-read}",
                "main.tf",
                tf,
                vec![row(
                    "public-read",
                    "acl|public-read|public-read|$['resource']['aws_s3_bucket']['a']['acl']|unknown",
                )],
            ),
            (
                "  select: $.resource.aws_s3_bucket.*\n  absent: versioning.enabled",
                "main.tf",
                tf,
                vec![row("\"a\"", "versioning.enabled|||$['resource']['aws_s3_bucket']['a']|unknown")],
            ),
            (
                "  select: $.resource.aws_s3_bucket.*\n  exists: versioning.enabled",
                "main.tf",
                tf,
                vec![row("enabled", "versioning.enabled|true|true|$['resource']['aws_s3_bucket']['b']|unknown")],
            ),
            (
                "  select: $.resource.aws_s3_bucket.*.tags\n  has-keys: [env, team]",
                "main.tf",
                tf,
                vec![row("tags", "tags||env, team|$['resource']['aws_s3_bucket']['a']['tags']|unknown")],
            ),
            // an unevaluated expression is never a literal value
            ("  select: $..env\n  value: {matches: env}", "main.tf", tf, vec![]),
            (
                "  select: $.services.*.image\n  value: {matches: ':(latest)$'}",
                "docker-compose.yml",
                compose,
                vec![row("latest", "image|acme/api:latest|latest|$['services']['api']['image']|unknown")],
            ),
            (
                "  select: $.services[?@.ports]",
                "docker-compose.yml",
                compose,
                vec![row("api", "api|||$['services']['api']|unknown")],
            ),
            ("  select: $.nothing.here", "docker-compose.yml", compose, vec![]),
        ];
        for (matcher, path, text, want) in cases {
            assert_eq!(run(matcher, path, text), want, "{matcher}");
        }
    }

    #[test]
    fn any_and_all_combine() {
        let env = "USE_MOCKS=true\nREAL_PROXY_ENABLED=false\n";
        let both =
            "  all:\n    - key: USE_MOCKS\n      value: truthy\n    - key: REAL_PROXY_ENABLED\n      value: falsy";
        assert_eq!(run(both, ".env", env), vec![row("true", "USE_MOCKS|true|true|USE_MOCKS|unknown")]);
        let missing = "  all:\n    - key: USE_MOCKS\n      value: truthy\n    - key: PROXY_URL\n      value: exists";
        assert_eq!(run(missing, ".env", env), vec![]);
        let any =
            "  any:\n    - key: USE_MOCKS\n      value: truthy\n    - key: [PROXY_URL, REAL_*]\n      value: absent";
        assert_eq!(
            run(any, ".env", env),
            vec![
                row("USE_MOCKS=true", "PROXY_URL|||PROXY_URL|unknown"),
                row("true", "USE_MOCKS|true|true|USE_MOCKS|unknown")
            ]
        );
        // exists points at the key, whatever the value
        assert_eq!(
            run("  key: 'real_*'\n  value: exists", ".env", env),
            vec![row("REAL_PROXY_ENABLED", "REAL_PROXY_ENABLED|false|false|REAL_PROXY_ENABLED|unknown")]
        );
    }

    #[test]
    fn host_test_narrows_to_the_host() {
        let env = "DATABASE_URL=postgres://app:pw@db-primary.prod.internal:5432/app\nREPLICA_URL=postgres://ro.prod.internal/app\n";
        let m = "  key: '*_URL'\n  value: {host: {not-matches: '(^|[.-])ro([.-]|$)'}}";
        assert_eq!(
            run(m, ".env", env),
            vec![row(
                "db-primary.prod.internal",
                "DATABASE_URL|postgres://app:pw@db-primary.prod.internal:5432/app|db-primary.prod.internal|DATABASE_URL|unknown"
            )]
        );
    }

    #[test]
    fn narrowing_maps_text_to_source() {
        let src = SourceFile::new("x", "A: \"pg://h/db?sslmode=disable\"\nB: 'it''s'\n");
        let text = "pg://h/db?sslmode=disable";
        let span = Span::new(3, 30);
        let r = 10..25;
        assert_eq!(src.slice(narrow(&src, span, text, &r)), "sslmode=disable");
        // escaped quotes: no 1:1 mapping, the whole value
        let span = Span::new(34, 41);
        assert_eq!(src.slice(narrow(&src, span, "it's", &(0..2))), "'it''s'");
    }
}
