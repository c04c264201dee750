//! What `committed-secret` and `default-credential` report in a file: the secret
//! scanner's hits and the credentials of the parse tree, judged by where they are
//! (deployable config, other config, source code, documentation, tests), the
//! file's environment and the shape of the value. Both rules read this one
//! judgement, so a value is reported by at most one of them.
//!
//! - Provider tokens (a specific detector) are `committed-secret` everywhere, in
//!   comments and expressions of parsed files too: committed text is committed.
//!   One exception: in tests, a token written out again with variations
//!   (another prefix, a cut: 12 of its characters elsewhere in the file) is a
//!   fixture of the code under test.
//! - In parsed kinds (dotenv, compose, CI YAML, Terraform, HCL, tfvars) a generic
//!   credential is a literal of the parse tree: the string or number assigned to a
//!   secret-named key (or in a compose `KEY=value` item, a `${VAR:-default}`
//!   default, a `{name, value}` pair, a variable's `default`), or a URL password
//!   inside a literal. Scanner hits outside literals (comments, expressions such as
//!   `random_password.x.result`, YAML aliases) are not literals and are dropped.
//! - In source code, documentation and test files (and test data of any kind),
//!   a generic credential needs strong evidence: a long machine-generated value.
//!   Markdown code blocks holding a compose file are deployable config
//!   (sample apps' READMEs show the file users run), judged for default credentials.
//! - Generic credentials are skipped in dev files. In a prod file any literal
//!   credential is `committed-secret`. Elsewhere a machine-generated value is
//!   `committed-secret` and a human-chosen one (`postgres`, `admin123`) in a
//!   deployable config is `default-credential`.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::discover::FileKind;
use crate::formats::carriers::{CarrierValue, content_span};
use crate::model::{Document, Node, Value};
use crate::rule::FileCx;
use crate::secrets::{
    classify_key, is_fill_in, is_machine_generated, is_placeholder, is_reference, is_strong_secret, looks_human_chosen,
    url_password,
};
use crate::span::Span;

/// Which of the two rules a credential belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    CommittedSecret,
    DefaultCredential,
}

/// A credential to report.
#[derive(Clone, Debug)]
pub struct Judged {
    pub detector: &'static str,
    pub span: Span,
    /// The key it is assigned to, when known.
    pub key: Option<String>,
    pub verdict: Verdict,
}

/// What kind of text a file is, for generic credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// A parsed kind: dotenv, compose, CI YAML, Terraform, HCL, tfvars.
    Deployable,
    /// Any other configuration text (JSON, TOML, INI, other YAML, `.npmrc`, ...).
    Config,
    Code,
    Docs,
    /// Tests and test data.
    Test,
}

/// Where a candidate comes from; higher wins when candidates overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    /// A generic scanner hit in text (or inside a literal of a parsed file).
    Text,
    /// A literal of a Markdown code block that is a compose file.
    Embedded,
    /// A literal of the file's parse tree.
    Tree,
    /// A provider-specific scanner hit.
    Provider,
}

#[derive(Clone, Debug)]
struct Cand {
    detector: &'static str,
    span: Span,
    value: String,
    key: Option<String>,
    /// Assigned to a password key (or a URL password): a credential word is the password itself.
    password_key: bool,
    origin: Origin,
}

/// Every credential of the file and the rule it belongs to, in source order.
pub fn judge(file: &FileCx<'_>) -> Vec<Judged> {
    let mut source = source_class(&file.source.path, file.kind, file.doc.is_some());
    // YAML that no file name marks (a workflow template, `Auto-DevOps.gitlab-ci.yml`,
    // a Kubernetes manifest) is parsed here, to judge its literals; when it is a
    // compose or CI file it is deployable config.
    let text = &*file.source.text;
    let worth_parsing = || {
        file.secrets.iter().any(|h| h.generic)
            || (["services:", "jobs:", "script:"].iter().any(|k| text.contains(k)) && mentions_credentials(text))
    };
    let sniffed = (file.doc.is_none() && file.kind == FileKind::Other && is_yaml_name(&file.source.path))
        .then(|| worth_parsing().then(|| crate::parse::yaml::parse(text).ok()))
        .flatten()
        .flatten();
    if source == Source::Config && sniffed.as_ref().is_some_and(|d| d.roots.iter().any(is_deployable_yaml)) {
        source = Source::Deployable;
    }
    let doc = file.doc.or(sniffed.as_ref());
    let yaml = sniffed.is_some() || is_yaml(file.kind, &file.source.path);
    let mut cands = Vec::new();
    let literals = doc.map(|d| literal_spans(file, d, yaml));
    for hit in file.secrets {
        let value = file.source.slice(hit.span).to_owned();
        let origin = if hit.generic { Origin::Text } else { Origin::Provider };
        if origin == Origin::Text && literals.as_ref().is_some_and(|l| !inside(l, hit.span)) {
            continue; // a comment, an expression, an alias: not a literal
        }
        let password_key = matches!(hit.detector, "generic-password" | "url-credentials");
        cands.push(Cand { detector: hit.detector, span: hit.span, value, key: None, password_key, origin });
    }
    if let Some(doc) = doc.filter(|_| source != Source::Config) {
        for root in &doc.roots {
            walk(file, root, None, yaml, Origin::Tree, &mut cands);
        }
        carrier_cands(file, &mut cands);
    } else if source == Source::Docs && is_markdown(&file.source.path) {
        for root in markdown_compose(&file.source.text) {
            walk(file, &root, None, true, Origin::Embedded, &mut cands);
        }
    }
    // `[secrets] allow`: known-fake values, wherever they were found
    cands.retain(|c| !file.settings.secrets_allow.iter().any(|re| re.is_match(&c.value)));
    let mut out: Vec<Judged> = resolve(cands)
        .into_iter()
        .filter_map(|c| {
            verdict(file, source, &c).map(|verdict| Judged { detector: c.detector, span: c.span, key: c.key, verdict })
        })
        .collect();
    out.sort_by_key(|j| (j.span.start, j.span.end));
    out
}

/// The verdict on one candidate, or `None` when it is not reported.
fn verdict(file: &FileCx<'_>, source: Source, c: &Cand) -> Option<Verdict> {
    if c.origin == Origin::Provider {
        // A token in a test written out again with variations (another prefix,
        // a cut) is a fixture of the code under test, not a credential.
        if source == Source::Test && is_variation(&file.source.text, c) {
            return None;
        }
        return Some(Verdict::CommittedSecret);
    }
    let env = file.env.env_at(c.span.start).map(|e| &**e);
    if env == Some("dev") {
        return None;
    }
    let prod = env == Some("prod");
    let v = c.value.as_str();
    match (c.origin, source) {
        (Origin::Tree, _) if source != Source::Test => {
            if prod {
                // `example` is a placeholder for committed-secret (RULES.md), a
                // shipped password for default-credential
                credential(c).filter(|_| !v.to_ascii_lowercase().contains("example")).map(|_| Verdict::CommittedSecret)
            } else {
                credential(c)
            }
        }
        (Origin::Embedded, _) => match credential(c)? {
            Verdict::CommittedSecret => is_strong_secret(v).then_some(Verdict::CommittedSecret),
            Verdict::DefaultCredential => (!prod).then_some(Verdict::DefaultCredential),
        },
        (_, Source::Code | Source::Docs | Source::Test) => {
            (is_strong_secret(v) && !is_placeholder(v)).then_some(Verdict::CommittedSecret)
        }
        // a scanner hit in other configuration text, or inside a literal of a parsed file
        _ => (prod || is_machine_generated(v)).then_some(Verdict::CommittedSecret),
    }
}

/// Whether 12 characters of a token appear in the file again, outside the
/// token: the same fake value written out with variations (another prefix, a
/// cut). Real tokens share at most their prefix.
fn is_variation(text: &str, c: &Cand) -> bool {
    let v = c.value.as_str();
    (0..v.len().saturating_sub(11))
        .step_by(4)
        .filter_map(|i| v.get(i..i + 12))
        .any(|piece| text.match_indices(piece).any(|(at, _)| at < c.span.start as usize || at >= c.span.end as usize))
}

/// Whether a literal of a deployable config is a credential at all, and which:
/// a machine-generated value is a secret; a human-chosen one is a default
/// credential under a password key (or in a URL), and under other credential keys
/// only when it says so itself (`mysecret`): `id-token: write`, `kube_secret =
/// "tailscale"` or `access_token = "minutes"` are settings and names, and a word
/// cannot be a token that a provider issued.
fn credential(c: &Cand) -> Option<Verdict> {
    let v = c.value.as_str();
    if is_fill_in(v, c.password_key) || !plausible(v, c.password_key) {
        return None;
    }
    if is_machine_generated(v) && !is_placeholder(v) {
        return Some(Verdict::CommittedSecret);
    }
    let lower = v.to_ascii_lowercase();
    let says_so = ["secret", "pass", "pwd", "s3cr3t"].iter().any(|w| lower.contains(w));
    (looks_human_chosen(v) && (c.password_key || says_so)).then_some(Verdict::DefaultCredential)
}

/// Shapes that are not credentials even under a credential key: references, paths,
/// URLs, file names, environment variable names, sentences, short values.
fn plausible(v: &str, password_key: bool) -> bool {
    let b = v.as_bytes();
    let ext = v.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let file_name = ext.as_deref().is_some_and(|e| {
        matches!(
            e,
            "txt"
                | "json"
                | "pem"
                | "key"
                | "crt"
                | "cer"
                | "p12"
                | "pfx"
                | "jks"
                | "yaml"
                | "yml"
                | "env"
                | "conf"
                | "cfg"
                | "ini"
                | "asc"
                | "gpg"
                | "pub"
                | "der"
                | "toml"
                | "properties"
                | "xml"
        )
    });
    let env_var_name = b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_') && v.contains('_');
    let dotted_name = v.contains('.') && b.iter().all(|c| c.is_ascii_lowercase() || matches!(c, b'.' | b'_' | b'-'));
    let number = b.iter().all(u8::is_ascii_digit);
    // `team/service/db_password`: a lowercase path names a secret, it is not one
    let lowercase_path = v.contains('/') && !b.iter().any(u8::is_ascii_uppercase);
    // `instance-admin-password`, `azure-blob-store-connection-string`: resource names
    let resource_name = v.split('-').count() >= 3 && b.iter().all(|c| c.is_ascii_lowercase() || *c == b'-');
    v.chars().count() >= 4
        && !v.chars().any(char::is_whitespace)
        && !is_reference(v)
        && !v.contains("://")
        && !v.starts_with(['/', '~', '.'])
        && !(b.len() > 2 && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        && !file_name
        && !lowercase_path
        && !resource_name
        && !env_var_name
        && !dotted_name
        && (!number || password_key)
        && !v.starts_with("ENC[")
}

/// Drops candidates that overlap a better one (provider, then tree, then text; then longer).
fn resolve(mut cands: Vec<Cand>) -> Vec<Cand> {
    cands.sort_by(|a, b| {
        b.origin.cmp(&a.origin).then(b.span.len().cmp(&a.span.len())).then(a.span.start.cmp(&b.span.start))
    });
    let mut kept: Vec<Cand> = Vec::with_capacity(cands.len());
    for c in cands {
        let i = kept.partition_point(|k| k.span.start < c.span.start);
        let clash_before = i > 0 && kept[i - 1].span.end > c.span.start;
        let clash_after = kept.get(i).is_some_and(|k| k.span.start < c.span.end);
        if !clash_before && !clash_after {
            kept.insert(i, c);
        }
    }
    kept
}

/// The spans of the literal scalars of the parse tree (aliases excluded), sorted.
fn literal_spans(file: &FileCx<'_>, doc: &Document, yaml: bool) -> Vec<Span> {
    let mut spans = Vec::new();
    for root in &doc.roots {
        root.walk(&mut |n| {
            if matches!(n.value, Value::String(_) | Value::Number(_)) && !(yaml && is_alias(file, n)) {
                spans.push(n.span);
            }
        });
    }
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

/// Whether `span` lies inside one of the sorted, non-nested `spans`.
fn inside(spans: &[Span], span: Span) -> bool {
    let i = spans.partition_point(|s| s.start <= span.start);
    i > 0 && spans[i - 1].end >= span.end
}

/// A YAML node that an alias or a merge key produced: its span is the `*name` token.
fn is_alias(file: &FileCx<'_>, node: &Node) -> bool {
    file.source.slice(node.span).starts_with('*')
}

fn is_yaml(kind: FileKind, path: &str) -> bool {
    matches!(kind, FileKind::Compose | FileKind::GithubWorkflow | FileKind::GitlabCi)
        || (kind == FileKind::Tfvars && path.ends_with(".json"))
}

/// Every map entry and `KEY=value` list item of the tree with a secret-named key.
/// `name`: the key this node is the value of.
fn walk(file: &FileCx<'_>, node: &Node, name: Option<&str>, yaml: bool, origin: Origin, out: &mut Vec<Cand>) {
    if yaml && is_alias(file, node) {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            // `{name = "DB_PASSWORD", value = "..."}` (ECS, Beanstalk, Kubernetes env)
            let pair_name = entries
                .iter()
                .find(|e| &*e.key.value == "name")
                .and_then(|e| e.value.as_str())
                .filter(|_| entries.iter().any(|e| &*e.key.value == "value"));
            for e in entries {
                let key = &*e.key.value;
                // a variable's `default`, GitLab's `KEY: {value: ...}`: named by the parent
                let named = match key {
                    "value" => pair_name.or(name),
                    "default" => name,
                    _ => Some(key),
                };
                if let Some(named) = named {
                    scalar(file, &e.value, named, yaml, origin, out);
                }
                walk(file, &e.value, Some(key), yaml, origin, out);
            }
        }
        Value::Seq(items) => {
            for item in items {
                if let Some(text) = item.as_str()
                    && let Some((key, _)) = text.split_once('=')
                    && !key.is_empty()
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                    && let Some(span) = content_span(item, file.source)
                {
                    let start = span.start as usize + key.len() + 1;
                    let value_span = Span::new(start, span.end as usize);
                    judge_value(key, file.source.slice(value_span), value_span, origin, out);
                } else {
                    walk(file, item, name, yaml, origin, out);
                }
            }
        }
        _ => {}
    }
}

/// A scalar assigned to `key`: a candidate when the key names a secret, and any URL
/// password inside a string.
fn scalar(file: &FileCx<'_>, node: &Node, key: &str, yaml: bool, origin: Origin, out: &mut Vec<Cand>) {
    if yaml && is_alias(file, node) {
        return;
    }
    let (text, span): (Cow<'_, str>, Span) = match &node.value {
        Value::String(s) => (Cow::Borrowed(&**s), content_span(node, file.source).unwrap_or(node.span)),
        Value::Number(n) => (Cow::Borrowed(&**n), node.span),
        _ => return,
    };
    let verbatim = file.source.slice(span) == text;
    if verbatim {
        judge_value(key, &text, span, origin, out);
    } else if let Some(detector) = classify_key(key) {
        // an escaped string or a heredoc: the decoded value, pointing at the whole node
        out.push(cand(detector, span, &text, key, origin));
    }
}

/// A value written verbatim at `span`: `${VAR:-default}` narrows to the default;
/// a URL's password is a candidate whatever the key.
fn judge_value(key: &str, text: &str, span: Span, origin: Origin, out: &mut Vec<Cand>) {
    let (text, span) = match interpolation_default(text) {
        Some((offset, default)) => {
            let start = span.start as usize + offset;
            (default, Span::new(start, start + default.len()))
        }
        None => (text, span),
    };
    if let Some(at) = text.find("://")
        && let Some((s, e)) = url_password(text, at)
    {
        let pass_span = Span::new(span.start as usize + s, span.start as usize + e);
        out.push(Cand {
            detector: "url-credentials",
            span: pass_span,
            value: text[s..e].to_owned(),
            key: Some(key.to_owned()),
            password_key: true,
            origin,
        });
        return;
    }
    if let Some(detector) = classify_key(key) {
        out.push(cand(detector, span, text, key, origin));
    }
}

fn cand(detector: &'static str, span: Span, value: &str, key: &str, origin: Origin) -> Cand {
    Cand {
        detector,
        span,
        value: value.to_owned(),
        key: Some(key.to_owned()),
        password_key: detector == "generic-password",
        origin,
    }
}

/// `${VAR:-x}` / `${VAR-x}` as a whole value: the offset of `x` and `x`.
fn interpolation_default(value: &str) -> Option<(usize, &str)> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    if name_end == 0 {
        return None;
    }
    let rest = &inner[name_end..];
    let skip = if rest.starts_with(":-") {
        2
    } else if rest.starts_with('-') {
        1
    } else {
        return None;
    };
    let default = &rest[skip..];
    (!default.contains(['$', '{', '}'])).then_some((2 + name_end + skip, default))
}

/// The env-var carriers the tree walk does not see: Terraform container definitions
/// given as `jsonencode(...)` or JSON heredocs.
fn carrier_cands(file: &FileCx<'_>, out: &mut Vec<Cand>) {
    if file.kind != FileKind::Terraform {
        return;
    }
    for c in file.carriers() {
        if let CarrierValue::Literal(v) = &c.value
            && file.source.slice(c.value_span) == v
        {
            judge_value(&c.key, v, c.value_span, Origin::Tree, out);
        }
    }
}

/// Classifies a file for generic credentials.
fn source_class(path: &str, kind: FileKind, parsed: bool) -> Source {
    let lower = path.to_ascii_lowercase();
    let (dirs, name) = lower.rsplit_once('/').unwrap_or(("", &lower));
    let dirs: Vec<&str> = dirs.split('/').collect();
    let test_data = dirs.iter().any(|d| {
        matches!(
            *d,
            "testdata"
                | "test-data"
                | "test_data"
                | "fixtures"
                | "fixture"
                | "__fixtures__"
                | "__tests__"
                | "__mocks__"
        )
    });
    if kind != FileKind::Other {
        // `test/` may be an environment (RULES.md); only test data folders make config test data
        return if test_data {
            Source::Test
        } else if parsed {
            Source::Deployable
        } else {
            Source::Config
        };
    }
    let test_dir = dirs.iter().any(|d| matches!(*d, "test" | "tests" | "spec" | "specs" | "e2e" | "mocks"));
    let stem = name.split('.').next().unwrap_or(name);
    let test_name = stem.ends_with("_test")
        || stem.starts_with("test_")
        || stem.ends_with("_spec")
        || stem.ends_with("test") && name.ends_with(".java")
        || stem.ends_with("tests") && name.ends_with(".cs")
        || name.contains(".test.")
        || name.contains(".spec.");
    if test_data || test_dir || test_name {
        return Source::Test;
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if CODE_EXTENSIONS.contains(&ext) {
        Source::Code
    } else if DOC_EXTENSIONS.contains(&ext) {
        Source::Docs
    } else {
        Source::Config
    }
}

const CODE_EXTENSIONS: &[&str] = &[
    "go", "rs", "py", "pyi", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "java", "kt", "kts", "scala",
    "groovy", "rb", "php", "cs", "fs", "vb", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m", "mm", "swift", "dart",
    "lua", "pl", "pm", "r", "jl", "ex", "exs", "erl", "hs", "clj", "cljs", "elm", "vue", "svelte", "sh", "bash", "zsh",
    "fish", "ps1", "psm1", "bat", "cmd", "ipynb", "sql", "zig", "nim", "v", "sol",
];

const DOC_EXTENSIONS: &[&str] =
    &["md", "markdown", "mdx", "rst", "adoc", "asciidoc", "txt", "html", "htm", "org", "tex", "rdoc", "pod"];

fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".mdx"].iter().any(|e| lower.ends_with(e))
}

/// The YAML code blocks of a Markdown text that are compose files (a `services:`
/// map of maps), parsed, with spans into the whole text.
fn markdown_compose(text: &str) -> Vec<Node> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut open: Option<(usize, &str, bool)> = None; // (content start, fence, yaml)
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_start().trim_start_matches('>').trim_start();
        match open {
            None => {
                if let Some(fence) = ["```", "~~~"].into_iter().find(|f| line.starts_with(f)) {
                    let info = line.trim_start_matches(fence.as_bytes()[0] as char).trim().to_ascii_lowercase();
                    let lang = info.split(|c: char| c.is_whitespace() || c == '{' || c == ',').next().unwrap_or("");
                    open = Some((end + 1, fence, matches!(lang, "yaml" | "yml")));
                }
            }
            Some((start, fence, yaml)) => {
                if line.starts_with(fence) && line.trim_start_matches(fence.as_bytes()[0] as char).trim().is_empty() {
                    if yaml && start < pos {
                        out.extend(compose_block(text, start, pos));
                    }
                    open = None;
                }
            }
        }
        pos = end + 1;
    }
    out
}

fn is_yaml_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// Whether a text mentions a credential key or a URL (before parsing it for them).
fn mentions_credentials(text: &str) -> bool {
    static WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder().ascii_case_insensitive(true).build(["pass", "secret", "token", "key", "://"]).ok()
    });
    WORDS.as_ref().is_none_or(|ac| ac.is_match(text))
}

/// A YAML root that is a compose file or a CI file (GitHub Actions, GitLab CI).
fn is_deployable_yaml(root: &Node) -> bool {
    let compose = root.get("services").is_some_and(|services| {
        !services.entries().is_empty()
            && services.entries().iter().all(|e| e.value.is_map())
            && services.entries().iter().any(|e| e.value.get("image").is_some() || e.value.get("build").is_some())
    });
    let github = root.get("on").is_some()
        && root.get("jobs").is_some_and(|jobs| {
            jobs.entries().iter().any(|j| ["runs-on", "steps", "uses"].iter().any(|k| j.value.get(k).is_some()))
        });
    let gitlab = root.entries().iter().any(|e| e.value.get("script").is_some());
    compose || github || gitlab
}

/// A code block's content parsed as YAML, when it is a compose file.
fn compose_block(text: &str, start: usize, end: usize) -> Option<Node> {
    let block = text.get(start..end)?;
    if !block.contains("services:") {
        return None;
    }
    let doc = crate::parse::yaml::parse(block).ok()?;
    let root = doc.root()?;
    (root.get("services").is_some() && is_deployable_yaml(root)).then(|| root.clone().rebased(0, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_classes() {
        let cases: &[(&str, FileKind, Source)] = &[
            (".env.example", FileKind::Dotenv, Source::Deployable),
            ("environments/test/main.tf", FileKind::Terraform, Source::Deployable),
            ("tests/docker-compose.yml", FileKind::Compose, Source::Deployable),
            ("testdata/.env", FileKind::Dotenv, Source::Test),
            ("pkg/fixtures/.gitlab-ci.yml", FileKind::GitlabCi, Source::Test),
            ("common/config_test.go", FileKind::Other, Source::Test),
            ("tests/test_app.py", FileKind::Other, Source::Test),
            ("src/app.test.ts", FileKind::Other, Source::Test),
            ("src/main.rs", FileKind::Other, Source::Code),
            ("scripts/deploy.sh", FileKind::Other, Source::Code),
            ("docs/install.md", FileKind::Other, Source::Docs),
            ("README.md", FileKind::Other, Source::Docs),
            ("config/app.yaml", FileKind::Other, Source::Config),
            (".npmrc", FileKind::Other, Source::Config),
            ("config.toml.example", FileKind::Other, Source::Config),
            ("latest/settings.json", FileKind::Other, Source::Config),
        ];
        for &(path, kind, want) in cases {
            assert_eq!(source_class(path, kind, true), want, "{path}");
        }
    }

    #[test]
    fn interpolation_defaults() {
        let cases: &[(&str, Option<(usize, &str)>)] = &[
            ("${DB_PASSWORD:-s3cr3t}", Some((15, "s3cr3t"))),
            ("${DB_PASSWORD-s3cr3t}", Some((14, "s3cr3t"))),
            ("${DB_PASSWORD}", None),
            ("${DB_PASSWORD:?required}", None),
            ("${A:-${B}}", None),
            ("x${A:-b}", None),
        ];
        for &(value, want) in cases {
            assert_eq!(interpolation_default(value), want, "{value}");
        }
    }

    #[test]
    fn markdown_compose_blocks() {
        let text = "# App\n\n1. Run:\n\n   ```yaml\n   services:\n     db:\n       image: postgres\n       environment:\n         - POSTGRES_PASSWORD=postgres\n   ```\n\n```yaml\nkey: value\n```\n\n```sh\nservices:\n  a: {}\n```\n";
        let blocks = markdown_compose(text);
        assert_eq!(blocks.len(), 1);
        let env = blocks[0].path(&["services", "db", "environment"]).expect("environment");
        let item = &env.items()[0];
        assert_eq!(&text[item.span.range()], "POSTGRES_PASSWORD=postgres");
    }
}
