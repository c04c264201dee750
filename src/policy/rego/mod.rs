//! Rego policies (cargo feature `rego`): a `.rego` file whose OPA `# METADATA`
//! block names the rule becomes a [`Rule`]; the `deny` and `warn` sets of its
//! package become findings, placed on exact spans through [`SpanIndex`]. A
//! `<name>_test.rego` beside a policy holds its OPA-style `test_*` rules.
//!
//! Nothing a policy author writes may end the process or hang it: [`limits`]
//! checks the text before regorus parses it, [`depth`] refuses recursion and
//! bounds how deep evaluation nests, [`builtins`] bounds the values a builtin
//! may build, and every evaluation counts its steps (a deterministic budget, not
//! a clock) and runs under `catch_unwind`, on a big stack when it nests deeply.
//! A policy that hits a limit while evaluating fails on that file (a warning);
//! one that cannot be parsed within the limits is a load error.
//!
//! Depends on `rule`, `model`, `parse` (for the metadata YAML), `discover` and
//! `finding`; never on the engine, reports or the CLI. The README section
//! "Rego policies" documents the conventions for policy authors.

mod builtins;
mod depth;
pub mod limits;

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use regorus::Engine;
use regorus::utils::limits::ExecutionTimerConfig;
use serde_json::{Map, Value as Json};

use crate::discover::FileKind;
use crate::env::FileEnv;
use crate::finding::Severity;
use crate::model::Node;
use crate::model::json::{SpanIndex, escape_token};
use crate::rule::{Emitter, EnvScope, FileCx, Precision, Rule, RuleMeta};
use crate::span::Span;

/// Keys OPA defines for a metadata block that envlint accepts and ignores.
const OPA_KEYS: [&str; 6] = ["scope", "related_resources", "authors", "organizations", "schemas", "entrypoint"];

/// Keys of the `custom:` map.
const CUSTOM_KEYS: [&str; 5] = ["id", "severity", "help", "kinds", "environments"];

/// A policy that could not be loaded or tested, shown by miette with the offending span.
pub type RegoError = crate::diag::FileError<crate::diag::Policy>;

/// Whether a result came from the policy's `deny` or `warn` set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// At the policy's severity.
    Deny,
    /// A warning (never above the policy's configured severity).
    Warn,
}

/// One result of a policy on one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegoHit {
    pub level: Level,
    pub message: String,
    /// A JSON pointer into `input.document`, from the result's `path`.
    pub pointer: Option<String>,
}

/// One `test_*` rule's outcome: name, passed, and why it failed.
pub type TestResult = (String, bool, Option<String>);

/// A loaded `.rego` policy, ready to evaluate.
///
/// The engine is parsed and prepared once at load time; each evaluation works on
/// a clone of it (a few reference-count bumps), so checks run in parallel
/// without a lock.
#[derive(Clone)]
pub struct RegoPolicy {
    meta: RuleMeta,
    /// The path the policy was loaded from, as given.
    name: String,
    /// `data.<package>`
    package: String,
    has_deny: bool,
    has_warn: bool,
    /// Empty: every structured kind.
    kinds: Vec<FileKind>,
    /// Empty: any environment, and files with none.
    envs: Vec<String>,
    engine: Engine,
    /// How deep evaluation can nest (see [`depth`]): decides the stack it runs on.
    depth: u64,
    /// Why the policy cannot be evaluated (recursion, nesting): every evaluation fails with it.
    defect: Option<String>,
    /// The step budget of one evaluation ([`limits::MAX_STEPS`]; smaller in tests).
    steps: u32,
}

impl std::fmt::Debug for RegoPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoPolicy").field("id", &self.meta.id).field("name", &self.name).finish_non_exhaustive()
    }
}

/// Whether a path is a Rego test file (`*_test.rego`) rather than a policy.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("_test.rego"))
}

/// The test file that belongs to a policy: `s3.rego` → `s3_test.rego` beside it.
pub fn test_path_for(policy: &Path) -> PathBuf {
    let stem = policy.file_stem().and_then(|s| s.to_str()).unwrap_or("policy");
    policy.with_file_name(format!("{stem}_test.rego"))
}

fn read(path: &Path) -> Result<(String, String), RegoError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| RegoError::plain(format!("cannot read policy {}: {e}", path.display())))?;
    Ok((text, path.to_string_lossy().replace('\\', "/")))
}

impl RegoPolicy {
    /// Reads and loads a policy file.
    pub fn load(path: &Path) -> Result<Self, RegoError> {
        let (text, name) = read(path)?;
        Self::parse(&text, &name)
    }

    /// Loads a policy from its text; `name` is the path shown in diagnostics.
    pub fn parse(text: &str, name: &str) -> Result<Self, RegoError> {
        let md = parse_metadata(text, name)?;
        let mut engine = Engine::new();
        set_step_budget(&mut engine, limits::MAX_STEPS);
        let package = add_module(&mut engine, text, name)?;
        let package_span = package_line(text);
        let plain = |part: &str| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if !package.split('.').all(plain) {
            return Err(RegoError::at(name, text, package_span, "unsupported package name", "here")
                .with_help("use a package of plain identifiers, e.g. `package envlint.s3_versioning`"));
        }
        let declared = |rule: &str| engine.has_declared_rule_rooted_at(name, rule).unwrap_or(false);
        let (has_deny, has_warn) = (declared("deny"), declared("warn"));
        if !has_deny && !has_warn {
            return Err(RegoError::at(
                name,
                text,
                package_span,
                "policy declares neither `deny` nor `warn`",
                "package",
            )
            .with_help("add `deny contains msg if { ... }` (or `warn`) rules to this package"));
        }
        let (depth, defect) = analyze(&mut engine);
        // Prepare once (analysis, scheduling): every clone starts from here.
        prepare(&mut engine, text, name)?;
        let meta = RuleMeta {
            id: Cow::Owned(md.id),
            severity: md.severity,
            summary: Cow::Owned(md.title),
            formats: Cow::Owned(if md.kinds.is_empty() {
                "any parsed file".to_owned()
            } else {
                md.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            }),
            kinds: Cow::Owned(md.kinds.clone()),
            scope: if md.envs.is_empty() {
                EnvScope::Any
            } else {
                EnvScope::Only(Cow::Owned(md.envs.iter().map(|e| Cow::Owned(e.clone())).collect()))
            },
            security: false,
            precision: Precision::VeryHigh,
            default_enabled: true,
            options: None,
            help: Cow::Owned(md.help),
            docs: Cow::Owned(
                format!("{}\n\nRego policy `{name}`.\n", md.description.trim_end()).trim_start().to_owned(),
            ),
        };
        Ok(Self {
            meta,
            name: name.to_owned(),
            package,
            has_deny,
            has_warn,
            kinds: md.kinds,
            envs: md.envs,
            engine,
            depth,
            defect,
            steps: limits::MAX_STEPS,
        })
    }

    /// The path the policy was loaded from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The environments the policy is limited to (empty: all).
    pub fn environments(&self) -> &[String] {
        &self.envs
    }

    /// Whether the policy reads files of this kind.
    pub fn applies_to_kind(&self, kind: FileKind) -> bool {
        if self.kinds.is_empty() { kind.is_structured() } else { self.kinds.contains(&kind) }
    }

    /// Evaluates the policy on one input document (see [`input`]); an error is
    /// the policy failing at run time (a conflict, a limit, a malformed result).
    /// The outcome depends only on the policy and the input.
    pub fn eval(&self, input: Json) -> Result<Vec<RegoHit>, String> {
        if let Some(defect) = &self.defect {
            return Err(defect.clone());
        }
        // regorus converts, compares and walks values recursively: deep input needs the big stack too
        let depth = if json_depth(&input) > limits::INLINE_INPUT_DEPTH { u64::MAX } else { self.depth };
        run_guarded(depth, || {
            let mut engine = self.engine.clone();
            builtins::install(&mut engine)?;
            engine.set_input(regorus::Value::from(input));
            let mut hits = Vec::new();
            for (rule, declared, level) in [("deny", self.has_deny, Level::Deny), ("warn", self.has_warn, Level::Warn)]
            {
                if !declared {
                    continue;
                }
                let value =
                    engine.eval_rule(format!("{}.{rule}", self.package)).map_err(|e| eval_error(&e, self.steps))?;
                collect(rule, level, &value, &mut hits)?;
            }
            Ok(hits)
        })
    }
}

/// The input document a policy sees for one file:
/// `{"document", "path", "kind", "env", "jobs"}` (`jobs`: CI job name → environment).
pub fn input(document: Json, path: &str, kind: FileKind, env: &FileEnv) -> Json {
    let jobs: Map<String, Json> =
        env.jobs.iter().map(|j| (j.job.clone(), j.env.as_deref().map_or(Json::Null, Json::from))).collect();
    let mut map = Map::new();
    map.insert("document".into(), document);
    map.insert("path".into(), Json::from(path));
    map.insert("kind".into(), Json::from(kind.as_str()));
    map.insert("env".into(), env.env.as_deref().map_or(Json::Null, Json::from));
    map.insert("jobs".into(), Json::Object(jobs));
    Json::Object(map)
}

/// Where a result lands: the exact location of its pointer; else the first line of
/// its nearest existing ancestor (a missing attribute points at its block's
/// header, not the whole block); else the file's first line.
pub fn hit_span(index: &SpanIndex, pointer: Option<&str>, source: &crate::source::SourceFile) -> Span {
    let Some(pointer) = pointer else { return source.line_span(1) };
    if let Some(exact) = index.value(pointer) {
        return exact;
    }
    match index.nearest(pointer) {
        Some(s) => {
            let first_line = source.line_span(source.line_col(s.start).line);
            Span { start: s.start, end: s.end.min(first_line.end).max(s.start) }
        }
        None => source.line_span(1),
    }
}

impl Rule for RegoPolicy {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    /// The framework applies the metadata's kinds and environments (for CI
    /// files, per job holding each result).
    fn check_file(&self, file: &FileCx<'_>, out: &mut Emitter<'_>) {
        if file.doc.is_none() {
            return;
        }
        let (document, index) = file.json();
        match self.eval(input(document.clone(), &file.source.path, file.kind, file.env)) {
            Ok(hits) => {
                for hit in hits {
                    let span = hit_span(index, hit.pointer.as_deref(), file.source);
                    match hit.level {
                        Level::Deny => out.report(span, hit.message),
                        Level::Warn => out.report_at(Severity::Warning, span, hit.message),
                    };
                }
            }
            Err(e) => out.warn(format!("policy {} ({}) failed on {}: {e}", self.meta.id, self.name, file.source.path)),
        }
    }
}

/// Converts a result's `path` (strings and integers) to a JSON pointer.
pub fn path_to_pointer(path: &[Json]) -> Result<String, String> {
    let mut pointer = String::new();
    for step in path {
        pointer.push('/');
        match step {
            Json::String(s) => pointer.push_str(&escape_token(s)),
            Json::Number(n) if n.as_u64().is_some() => pointer.push_str(&n.to_string()),
            other => return Err(format!("result path steps must be strings or non-negative integers, found {other}")),
        }
    }
    Ok(pointer)
}

fn collect(rule: &str, level: Level, value: &regorus::Value, hits: &mut Vec<RegoHit>) -> Result<(), String> {
    if *value == regorus::Value::Undefined {
        return Ok(());
    }
    // shared parts would be copied out once per use
    if builtins::written_size(value, limits::MAX_BUILT_SIZE) > limits::MAX_BUILT_SIZE {
        return Err(format!("`{rule}` results are larger than {} characters", limits::MAX_BUILT_SIZE));
    }
    let json = serde_json::to_value(value).map_err(|e| format!("`{rule}`: {e}"))?;
    let Json::Array(items) = json else {
        return Err(format!("`{rule}` must be a set of results, found {json}"));
    };
    for item in items {
        let hit = match item {
            Json::String(message) => RegoHit { level, message, pointer: None },
            Json::Object(mut obj) => {
                let Some(Json::String(message)) = obj.remove("msg") else {
                    return Err(format!("`{rule}` result objects need a string `msg`, found {}", Json::Object(obj)));
                };
                let pointer = match obj.remove("path") {
                    None | Some(Json::Null) => None,
                    Some(Json::Array(path)) => Some(path_to_pointer(&path).map_err(|e| format!("`{rule}`: {e}"))?),
                    Some(other) => return Err(format!("`{rule}` result `path` must be an array, found {other}")),
                };
                RegoHit { level, message, pointer }
            }
            other => return Err(format!("`{rule}` results must be strings or {{msg, path}} objects, found {other}")),
        };
        hits.push(hit);
    }
    Ok(())
}

/// Runs the `test_*` rules of `test_path` against the policy at `policy_path`
/// (both modules in one engine). A rule passes when it evaluates to `true`.
pub fn run_tests(policy_path: &Path, test_path: &Path) -> Result<Vec<TestResult>, RegoError> {
    let policy = RegoPolicy::load(policy_path)?;
    let (text, name) = read(test_path)?;
    run_tests_text(&policy, &text, &name)
}

/// [`run_tests`] on an already loaded policy and the test file's text.
pub fn run_tests_text(policy: &RegoPolicy, text: &str, name: &str) -> Result<Vec<TestResult>, RegoError> {
    let mut engine = policy.engine.clone();
    let package = add_module(&mut engine, text, name)?;
    let mut tests: Vec<&str> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("test_") else { continue };
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let test = &line[..5 + len];
        // `test_x(arg)` is a function, not a test
        if !rest[len..].trim_start().starts_with('(') && !tests.contains(&test) {
            tests.push(test);
        }
    }
    if tests.is_empty() {
        return Err(RegoError::at(name, text, package_line(text), "no `test_*` rules in this file", "package")
            .with_help(
                "add rules such as `test_denies_unversioned_bucket if { count(deny) == 1 with input as {...} }`",
            ));
    }
    let (depth, defect) = analyze(&mut engine);
    prepare(&mut engine, text, name)?;
    let defect = policy.defect.clone().or(defect);
    Ok(tests
        .into_iter()
        .map(|test| {
            if let Some(defect) = &defect {
                return (test.to_owned(), false, Some(defect.clone()));
            }
            // each test on a fresh engine: its own step and size budgets
            let outcome = run_guarded(depth, || {
                let mut engine = engine.clone();
                builtins::install(&mut engine)?;
                let value = engine.eval_rule(format!("{package}.{test}")).map_err(|e| eval_error(&e, policy.steps))?;
                if builtins::written_size(&value, limits::MAX_BUILT_SIZE) > limits::MAX_BUILT_SIZE {
                    return Err(format!("the result is larger than {} characters", limits::MAX_BUILT_SIZE));
                }
                Ok(value)
            });
            let (passed, detail) = match outcome {
                Ok(regorus::Value::Bool(true)) => (true, None),
                Ok(regorus::Value::Undefined) => {
                    (false, Some("undefined: a condition in the test did not hold".to_owned()))
                }
                Ok(other) => {
                    (false, Some(format!("evaluated to {}", serde_json::to_string(&other).unwrap_or_default())))
                }
                Err(e) => (false, Some(e)),
            };
            (test.to_owned(), passed, detail)
        })
        .collect())
}

/// Gives every evaluation of the engine (and its clones) a budget of `steps`
/// work units. regorus checks its execution timer each time `check_interval`
/// units are done, so a zero time limit checked every `steps` units fails
/// exactly when that many are done (any clock has moved by then), whatever
/// the machine, its load or the thread count.
fn set_step_budget(engine: &mut Engine, steps: u32) {
    engine.set_execution_timer_config(ExecutionTimerConfig {
        limit: Duration::ZERO,
        check_interval: NonZeroU32::new(steps).unwrap_or(NonZeroU32::MIN),
    });
}

/// Checks a module's text against [`limits::check_source`], then parses it into
/// the engine; returns its package path.
fn add_module(engine: &mut Engine, text: &str, name: &str) -> Result<String, RegoError> {
    if let Err(limit) = limits::check_source(text) {
        return Err(RegoError::at(
            name,
            text,
            limit.span,
            format!("cannot load Rego policy {name}: {}", limit.message),
            limit.label,
        )
        .with_help(
            "nest collections and expressions less deeply, e.g. build big literals step by step with variables",
        ));
    }
    match catch_unwind(AssertUnwindSafe(|| engine.add_policy(name.to_owned(), text.to_owned()))) {
        Ok(Ok(package)) => Ok(package),
        Ok(Err(e)) => Err(syntax_error(text, name, &e)),
        Err(panic) => {
            Err(RegoError::plain(format!("cannot load Rego policy {name}: regorus failed: {}", panic_text(&*panic))))
        }
    }
}

/// Prepares the engine (analysis and scheduling) so that every clone starts from here.
fn prepare(engine: &mut Engine, text: &str, name: &str) -> Result<(), RegoError> {
    match catch_unwind(AssertUnwindSafe(|| engine.eval_query("true".to_owned(), false))) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(syntax_error(text, name, &e)),
        Err(panic) => {
            Err(RegoError::plain(format!("cannot load Rego policy {name}: regorus failed: {}", panic_text(&*panic))))
        }
    }
}

/// How deep the loaded modules nest, and why they cannot be evaluated, if so.
fn analyze(engine: &mut Engine) -> (u64, Option<String>) {
    match depth::analyze(engine.get_modules()) {
        Ok(depth) if depth > limits::MAX_DEPTH => (
            depth,
            Some(format!(
                "rules and functions call each other too deeply: nesting {depth} (weighted by how deeply each one's \
                 expressions nest); the limit is {} (the policy is not evaluated)",
                limits::MAX_DEPTH
            )),
        ),
        Ok(depth) => (depth, None),
        Err(recursion) => (0, Some(recursion)),
    }
}

/// Runs one evaluation: on the caller's thread when it nests little, else on
/// a thread with a stack that holds [`limits::MAX_DEPTH`]; a panic in regorus
/// is an error of this evaluation.
fn run_guarded<T: Send>(depth: u64, work: impl FnOnce() -> Result<T, String> + Send) -> Result<T, String> {
    let guarded = move || {
        catch_unwind(AssertUnwindSafe(work))
            .unwrap_or_else(|panic| Err(format!("regorus failed: {}", panic_text(&*panic))))
    };
    if depth <= limits::INLINE_DEPTH {
        return guarded();
    }
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("envlint-rego".into())
            .stack_size(limits::DEEP_STACK_BYTES)
            .spawn_scoped(scope, guarded)
            .map_err(|e| format!("cannot start a thread to evaluate the policy: {e}"))?;
        handle.join().unwrap_or_else(|_| Err("the evaluation thread failed".to_owned()))
    })
}

/// How deeply a JSON value nests (without recursing).
fn json_depth(value: &Json) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 1)];
    while let Some((v, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        match v {
            Json::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Json::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    deepest
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

/// An evaluation error on one line. The step budget is regorus's execution
/// timer, whose message carries the elapsed time: replaced by the budget.
fn eval_error(err: &anyhow::Error, steps: u32) -> String {
    let line = one_line(err);
    match line.find("execution exceeded time limit") {
        None => line,
        Some(at) => {
            format!("{}evaluation took more than {steps} steps (the limit for one rule on one file)", &line[..at])
        }
    }
}

/// The span of the `package` line, or the first line.
fn package_line(text: &str) -> Span {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim_start().starts_with("package ") {
            return Span::new(offset, offset + content.len());
        }
        offset += line.len();
    }
    Span::new(0, text.find('\n').unwrap_or(text.len()))
}

/// The `path:line:col` and message of a regorus error (`\n--> path:L:C\n ... \nerror: msg`).
fn error_location(err: &dyn std::fmt::Display) -> Option<(u32, u32, String)> {
    let text = format!("{err:#}");
    let loc = text.lines().find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = loc.rsplitn(3, ':');
    let col = parts.next()?.trim().parse().ok()?;
    let line = parts.next()?.trim().parse().ok()?;
    let message = text.lines().rev().find_map(|l| l.strip_prefix("error: ")).unwrap_or("invalid Rego").trim();
    Some((line, col, message.to_owned()))
}

/// A regorus error on one line: `path:line:col: message`.
fn one_line(err: &dyn std::fmt::Display) -> String {
    let text = format!("{err:#}");
    match (error_location(err), text.lines().find_map(|l| l.trim_start().strip_prefix("--> "))) {
        (Some((_, _, message)), Some(loc)) => format!("{}: {message}", loc.trim()),
        _ => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Byte offset of 1-based `line`, `col` (columns in characters), clamped to the line.
fn offset_of(text: &str, line: u32, col: u32) -> usize {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let content = l.trim_end_matches(['\n', '\r']);
            return start
                + content.char_indices().nth(col.saturating_sub(1) as usize).map_or(content.len(), |(at, _)| at);
        }
        start += l.len();
    }
    text.len()
}

fn syntax_error(text: &str, name: &str, err: &dyn std::fmt::Display) -> RegoError {
    let Some((line, col, message)) = error_location(err) else {
        return RegoError::plain(format!("invalid Rego policy {name}: {}", one_line(err)));
    };
    let at = offset_of(text, line, col);
    let end = text[at..].chars().next().filter(|c| *c != '\n').map_or(at, |c| at + c.len_utf8());
    RegoError::at(name, text, Span::new(at, end), format!("invalid Rego policy {name}: {message}"), message)
        .with_help("policies use Rego v1 syntax (`deny contains msg if { ... }`)")
}

/// Metadata read from the `# METADATA` block.
#[derive(Debug)]
struct Metadata {
    id: String,
    severity: Severity,
    title: String,
    description: String,
    help: String,
    kinds: Vec<FileKind>,
    envs: Vec<String>,
}

/// The YAML of the `# METADATA` comment block, and for each of its lines
/// (YAML offset, offset in the `.rego` text) so spans map back.
struct Block {
    yaml: String,
    lines: Vec<(usize, usize)>,
    header: Span,
}

impl Block {
    fn to_rego(&self, span: Span) -> Span {
        let map = |off: usize| {
            let i = self.lines.partition_point(|&(y, _)| y <= off).saturating_sub(1);
            self.lines.get(i).map_or(self.header.start as usize, |&(y, r)| r + (off - y))
        };
        Span::new(map(span.start as usize), map(span.end as usize))
    }
}

/// The first `# METADATA` block before the `package` line.
fn metadata_block(text: &str) -> Option<Block> {
    let mut offset = 0;
    let mut block: Option<Block> = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        match &mut block {
            None if trimmed == "# METADATA" => {
                block = Some(Block {
                    yaml: String::new(),
                    lines: Vec::new(),
                    header: Span::new(offset, offset + content.len()),
                });
            }
            None if trimmed.starts_with("package ") => return None,
            Some(b) => {
                let Some(comment) = trimmed.strip_prefix('#') else { return block };
                let body = comment.strip_prefix(' ').unwrap_or(comment);
                b.lines.push((b.yaml.len(), offset + content.len() - body.len()));
                b.yaml.push_str(body);
                b.yaml.push('\n');
            }
            None => {}
        }
        offset += line.len();
    }
    block
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && !id.contains("--")
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn parse_metadata(text: &str, name: &str) -> Result<Metadata, RegoError> {
    let Some(block) = metadata_block(text) else {
        return Err(RegoError::at(name, text, package_line(text), "policy has no `# METADATA` block", "before this")
            .with_help("start the file with:\n# METADATA\n# title: what the policy checks\n# custom:\n#   id: my-policy-id\n#   severity: error"));
    };
    let err = |span: Span, message: &str, label: &str| RegoError::at(name, text, block.to_rego(span), message, label);
    let doc = crate::parse::yaml::parse(&block.yaml)
        .map_err(|e| err(e.span, &format!("invalid policy metadata: {}", e.message), "here"))?;
    let header_err = |message: &str| RegoError::at(name, text, block.header, message, "metadata");
    let Some(root) = doc.root().filter(|r| r.is_map()) else {
        return Err(header_err("policy metadata must be a YAML map with `title` and `custom`"));
    };
    let string = |node: &Node, what: &str| -> Result<String, RegoError> {
        node.as_str()
            .map(str::to_owned)
            .ok_or_else(|| err(node.span, &format!("`{what}` must be a string"), "not a string"))
    };
    let strings = |node: &Node, what: &str| -> Result<Vec<(String, Span)>, RegoError> {
        let items: &[Node] = match &node.value {
            crate::model::Value::Seq(items) => items,
            _ => return Err(err(node.span, &format!("`{what}` must be a list of strings"), "not a list")),
        };
        items.iter().map(|n| string(n, what).map(|s| (s, n.span))).collect()
    };
    let (mut title, mut description, mut custom) = (None, String::new(), None);
    for entry in root.entries() {
        match &*entry.key.value {
            "title" => title = Some(string(&entry.value, "title")?),
            "description" => description = string(&entry.value, "description")?,
            "custom" => custom = Some(&entry.value),
            k if OPA_KEYS.contains(&k) => {}
            k => {
                return Err(err(entry.key.span, &format!("unknown metadata key `{k}`"), "unknown key")
                    .with_help("envlint reads `title`, `description` and `custom`; its own keys go under `custom`"));
            }
        }
    }
    let title = title.filter(|t| !t.trim().is_empty()).ok_or_else(|| header_err("policy metadata has no `title`"))?;
    let custom = custom.ok_or_else(|| header_err("policy metadata has no `custom` map with the policy `id`"))?;
    if !custom.is_map() {
        return Err(err(custom.span, "`custom` must be a map", "not a map"));
    }
    let mut md = Metadata {
        id: String::new(),
        severity: Severity::Error,
        title,
        description,
        help: String::new(),
        kinds: Vec::new(),
        envs: Vec::new(),
    };
    let mut id_seen = false;
    for entry in custom.entries() {
        let v = &entry.value;
        match &*entry.key.value {
            "id" => {
                md.id = string(v, "id")?;
                if !is_kebab(&md.id) {
                    return Err(err(v.span, &format!("policy id `{}` is not kebab-case", md.id), "not kebab-case")
                        .with_help("use lowercase words joined by `-`, e.g. `s3-bucket-versioning`"));
                }
                id_seen = true;
            }
            "severity" => {
                let s = string(v, "severity")?;
                md.severity = Severity::parse(&s).ok_or_else(|| {
                    err(v.span, &format!("unknown severity `{s}`"), "unknown severity")
                        .with_help("use error, warning or note")
                })?;
            }
            "help" => md.help = string(v, "help")?,
            "kinds" => {
                for (kind, span) in strings(v, "kinds")? {
                    let Some(k) = FileKind::ALL.into_iter().find(|k| k.is_structured() && k.as_str() == kind) else {
                        let known: Vec<&str> =
                            FileKind::ALL.iter().filter(|k| k.is_structured()).map(|k| k.as_str()).collect();
                        return Err(err(span, &format!("unknown file kind `{kind}`"), "unknown kind")
                            .with_help(format!("known kinds: {}", known.join(", "))));
                    };
                    md.kinds.push(k);
                }
            }
            "environments" => md.envs = strings(v, "environments")?.into_iter().map(|(s, _)| s).collect(),
            k => {
                return Err(err(entry.key.span, &format!("unknown key `custom.{k}`"), "unknown key")
                    .with_help(format!("known keys: {}", CUSTOM_KEYS.join(", "))));
            }
        }
    }
    if !id_seen {
        return Err(err(custom.span, "policy metadata has no `custom.id`", "no `id` here"));
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use serde_json::json;

    const HEAD: &str = "# METADATA\n# title: s3 buckets keep versions\n# custom:\n#   id: s3-versioning\n#   severity: warning\n#   kinds: [terraform]\npackage envlint.s3\n\n";

    fn policy(body: &str) -> RegoPolicy {
        RegoPolicy::parse(&format!("{HEAD}{body}"), "p.rego").expect("policy loads")
    }

    fn load_err(text: &str) -> RegoError {
        RegoPolicy::parse(text, "p.rego").expect_err("load fails")
    }

    fn labelled<'a>(text: &'a str, e: &RegoError) -> &'a str {
        let span = e.span.expect("span");
        &text[span.offset()..span.offset() + span.len()]
    }

    #[test]
    fn metadata_is_read_from_the_comment_block() {
        let p = policy("deny contains \"x\" if { false }\n");
        assert_eq!(p.meta.id, "s3-versioning");
        assert_eq!(p.meta.severity, Severity::Warning);
        assert_eq!(p.meta.summary, "s3 buckets keep versions");
        assert_eq!(p.kinds, vec![FileKind::Terraform]);
        assert!(p.has_deny && !p.has_warn);
        assert!(p.applies_to_kind(FileKind::Terraform) && !p.applies_to_kind(FileKind::Compose));
    }

    #[test]
    fn metadata_errors_point_into_the_block() {
        let cases = [
            (
                "# METADATA\n# title: t\n# custom:\n#   id: Bad_ID\npackage p\ndeny contains 1 if { true }\n",
                "Bad_ID",
                "kebab",
            ),
            (
                "# METADATA\n# title: t\n# custom:\n#   id: a\n#   sevrity: x\npackage p\ndeny contains 1 if { true }\n",
                "sevrity",
                "custom.sevrity",
            ),
            (
                "# METADATA\n# title: t\n# custom:\n#   id: a\n#   severity: fatal\npackage p\ndeny contains 1 if { true }\n",
                "fatal",
                "severity",
            ),
            (
                "# METADATA\n# title: t\n# custom:\n#   id: a\n#   kinds: [terraform, k8s]\npackage p\ndeny contains 1 if { true }\n",
                "k8s",
                "kind",
            ),
            ("# METADATA\n# title: t\npackage p\ndeny contains 1 if { true }\n", "# METADATA", "custom"),
            ("package p\ndeny contains 1 if { true }\n", "package p", "METADATA"),
            ("# METADATA\n# titel: t\npackage p\n", "titel", "unknown metadata key"),
        ];
        for (text, at, msg) in cases {
            let e = load_err(text);
            assert_eq!(labelled(text, &e), at, "{text}");
            assert!(e.message.contains(msg), "{} / {msg}", e.message);
        }
    }

    #[test]
    fn syntax_errors_point_at_line_and_column() {
        let text = format!("{HEAD}deny contains msg if {{\n  msg := \"x\"\n  input.a ==\n}}\n");
        let e = load_err(&text);
        assert!(e.message.starts_with("invalid Rego policy p.rego"), "{}", e.message);
        let span = e.span.expect("span");
        let line = text[..span.offset()].matches('\n').count() + 1;
        assert_eq!(line, 12, "{}", e.message);
        let quoted = "# METADATA\n# title: t\n# custom:\n#   id: a\npackage p[\"1.0\"]\ndeny contains 1 if { true }\n";
        assert!(load_err(quoted).message.contains("unsupported package name"));
        let no_rules = format!("{HEAD}allow if {{ true }}\n");
        assert!(load_err(&no_rules).message.contains("neither `deny` nor `warn`"));
    }

    #[test]
    fn path_to_pointer_escapes_and_rejects() {
        assert_eq!(path_to_pointer(&[json!("a/b"), json!(0), json!("t~x")]), Ok("/a~1b/0/t~0x".to_owned()));
        assert!(path_to_pointer(&[json!(-1)]).is_err());
        assert!(path_to_pointer(&[json!(1.5)]).is_err());
        assert_eq!(path_to_pointer(&[]), Ok(String::new()));
    }

    #[test]
    fn results_are_strings_or_objects_in_order() {
        let p = policy(
            "deny contains \"plain\" if { input.kind == \"terraform\" }\n\
             deny contains {\"msg\": \"at\", \"path\": [\"resource\", 0]} if { true }\n\
             warn contains \"careful\" if { input.env == null }\n",
        );
        let hits = p.eval(json!({"kind": "terraform", "env": null, "document": {}})).expect("eval");
        let got: Vec<(Level, &str, Option<&str>)> =
            hits.iter().map(|h| (h.level, h.message.as_str(), h.pointer.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (Level::Deny, "plain", None),
                (Level::Deny, "at", Some("/resource/0")),
                (Level::Warn, "careful", None)
            ]
        );
    }

    #[test]
    fn eval_errors_are_returned_not_raised() {
        let p = policy("x := 1 if { input.a }\nx := 2 if { input.a }\ndeny contains \"n\" if { x == 1 }\n");
        assert!(p.eval(json!({"a": true})).is_err());
        assert!(p.eval(json!({"a": false})).expect("no conflict").is_empty());
        let bad = policy("deny contains 42 if { true }\n");
        assert!(bad.eval(json!({})).expect_err("bad result").contains("strings or {msg, path}"));
    }

    fn check(
        p: &RegoPolicy,
        path: &str,
        kind: FileKind,
        text: &str,
        env: Option<&str>,
    ) -> (Vec<crate::rule::RawFinding>, Vec<String>) {
        let doc = match kind {
            FileKind::Terraform => crate::parse::hcl::parse(text),
            _ => crate::parse::yaml::parse(text),
        }
        .expect("parse");
        let source = crate::source::SourceFile::new(path, text);
        let mut file_env = FileEnv::unknown();
        file_env.env = env.map(std::sync::Arc::from);
        let settings = crate::config::Settings::defaults(Path::new("."));
        let cx = FileCx::new(&source, kind, Some(&doc), None, &file_env, &settings, &[]);
        let mut out = Emitter::new(p.meta(), p.meta().severity, 0, cx.env.env.clone());
        p.check_file(&cx, &mut out);
        out.into_parts()
    }

    #[test]
    fn terraform_results_land_on_exact_spans() {
        let p = policy(
            "deny contains {\"msg\": sprintf(\"bucket %s has no versioning\", [name]), \"path\": [\"resource\", \"aws_s3_bucket\", name, \"versioning\"]} if {\n  some name, b in input.document.resource.aws_s3_bucket\n  not b.versioning\n}\n\
             warn contains {\"msg\": \"acl is public\", \"path\": [\"resource\", \"aws_s3_bucket\", name, \"acl\"]} if {\n  some name, b in input.document.resource.aws_s3_bucket\n  b.acl == \"public-read\"\n}\n",
        );
        let text = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n  acl    = \"public-read\"\n}\n";
        let (findings, warnings) = check(&p, "main.tf", FileKind::Terraform, text, Some("prod"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let got: Vec<(&str, Severity, &str)> =
            findings.iter().map(|f| (f.message.as_str(), f.severity, &text[f.loc.span.range()])).collect();
        assert_eq!(
            got,
            vec![
                ("bucket logs has no versioning", Severity::Warning, "resource \"aws_s3_bucket\" \"logs\" {"),
                ("acl is public", Severity::Warning, "\"public-read\""),
            ]
        );
        assert_eq!(findings[0].env.as_deref(), Some("prod"));
    }

    #[test]
    fn compose_results_and_scope() {
        let text = "# METADATA\n# title: no privileged containers in prod\n# custom:\n#   id: prod-privileged\n#   kinds: [compose]\n#   environments: [production]\npackage envlint.compose\n\ndeny contains {\"msg\": sprintf(\"%s runs privileged in %s\", [n, input.env]), \"path\": [\"services\", n, \"privileged\"]} if {\n  some n, s in input.document.services\n  s.privileged == true\n}\n";
        let p = RegoPolicy::parse(text, "c.rego").expect("load");
        let yaml = "services:\n  api:\n    image: x\n    privileged: true\n";
        let (findings, _) = check(&p, "docker-compose.yml", FileKind::Compose, yaml, Some("prod"));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[0].message, "api runs privileged in prod");
        assert_eq!(&yaml[findings[0].loc.span.range()], "true");
        // the framework applies the metadata's environments (an alias resolves)
        let table = crate::env::EnvTable::default();
        assert!(p.meta().scope.admits(Some("prod"), &table));
        assert!(!p.meta().scope.admits(Some("dev"), &table));
        assert!(!p.meta().scope.admits(None, &table));
        assert_eq!(&*p.meta().kinds, &[FileKind::Compose]);
    }

    #[test]
    fn a_failing_policy_becomes_a_warning() {
        let p = policy("deny contains {\"msg\": \"m\", \"path\": \"not-a-list\"} if { true }\n");
        let (findings, warnings) = check(&p, "main.tf", FileKind::Terraform, "locals { a = 1 }\n", None);
        assert!(findings.is_empty());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("s3-versioning") && warnings[0].contains("main.tf"), "{warnings:?}");
    }

    #[test]
    fn no_path_means_the_first_line() {
        let p = policy("deny contains \"whole file\" if { true }\n");
        let (findings, _) = check(&p, "main.tf", FileKind::Terraform, "locals {\n  a = 1\n}\n", None);
        assert_eq!(findings[0].loc.span, Span::new(0, 8));
    }

    #[test]
    fn test_rules_pass_fail_and_error() {
        let p = policy("deny contains \"no\" if { input.a == 1 }\n");
        let tests = "package envlint.s3_test\n\nimport data.envlint.s3\n\ntest_denies if {\n  count(s3.deny) == 1 with input as {\"a\": 1}\n}\n\ntest_allows if {\n  count(s3.deny) == 0 with input as {\"a\": 1}\n}\n\ntest_helper(x) := x\n";
        let results = run_tests_text(&p, tests, "p_test.rego").expect("tests run");
        assert_eq!(results.len(), 2);
        assert_eq!((results[0].0.as_str(), results[0].1), ("test_denies", true));
        assert_eq!((results[1].0.as_str(), results[1].1), ("test_allows", false));
        assert!(results[1].2.is_some());
        let e = run_tests_text(&p, "package t\nx := 1\n", "t_test.rego").expect_err("no tests");
        assert!(e.message.contains("no `test_*` rules"));
    }

    #[test]
    fn recursion_fails_every_evaluation_without_touching_the_stack() {
        // overflowed the stack and aborted the process
        let p = policy("f(x) := y if { y := f(x + 1) }\ndeny contains \"r\" if { f(1) }\n");
        let e = p.eval(json!({})).expect_err("recursive");
        assert_eq!(
            e,
            "p.rego:9:21: function `f` calls itself, and Rego does not allow recursion (the policy is not evaluated)"
        );
        let (findings, warnings) = check(&p, "main.tf", FileKind::Terraform, "locals { a = 1 }\n", None);
        assert!(findings.is_empty());
        assert_eq!(warnings, [format!("policy s3-versioning (p.rego) failed on main.tf: {e}")]);
        // a recursive helper in the test file fails the tests, not the process
        let ok = policy("deny contains \"n\" if { input.a == 1 }\n");
        let tests = "package t\n\nimport data.envlint.s3\n\nloop(n) := loop(n)\n\ntest_a if { loop(1) }\n\ntest_b if { count(s3.deny) == 0 }\n";
        let results = run_tests_text(&ok, tests, "p_test.rego").expect("loads");
        assert_eq!(results.len(), 2);
        for (name, passed, detail) in results {
            assert!(!passed, "{name}");
            assert!(detail.is_some_and(|d| d.contains("function `loop` calls itself")), "{name}");
        }
    }

    fn with_steps(mut p: RegoPolicy, steps: u32) -> RegoPolicy {
        set_step_budget(&mut p.engine, steps);
        p.steps = steps;
        p
    }

    #[test]
    fn the_step_budget_is_exact_and_the_same_on_every_thread() {
        // work proportional to input.n: under the budget or over it, never "it depends"
        let p = with_steps(
            policy(
                "deny contains sprintf(\"%d\", [n]) if {\n  n := count([x | some x in numbers.range(1, input.n)])\n}\n",
            ),
            5000,
        );
        let runs = |n: u64| -> Vec<Result<Vec<RegoHit>, String>> {
            let p = &p;
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..6).map(|_| s.spawn(move || p.eval(json!({"n": n})))).collect();
                handles.into_iter().map(|h| h.join().expect("join")).collect()
            })
        };
        let small = runs(100);
        assert!(small.iter().all(|r| r.as_ref().is_ok_and(|h| h.len() == 1)), "{small:?}");
        let big = runs(100_000);
        let first = big[0].clone().expect_err("over the budget");
        assert!(big.iter().all(|r| r.as_ref().err() == Some(&first)), "{big:?}");
        assert!(
            first.ends_with("evaluation took more than 5000 steps (the limit for one rule on one file)"),
            "{first}"
        );
        assert!(!first.contains("elapsed"), "{first}");
        // the boundary does not move: the largest n that fits, found twice, is the same
        let fits = |n: u64| p.eval(json!({"n": n})).is_ok();
        let boundary = || {
            let (mut lo, mut hi) = (100, 100_000);
            while hi - lo > 1 {
                let mid = u64::midpoint(lo, hi);
                if fits(mid) { lo = mid } else { hi = mid }
            }
            lo
        };
        assert_eq!(boundary(), boundary());
    }

    #[test]
    fn the_real_step_budget_stops_a_runaway_policy() {
        // ran until a 10 s clock limit, whose message carried the elapsed time
        let p = policy(
            "deny contains \"n\" if {\n  count([x | some x in numbers.range(1, 1000000); some y in numbers.range(1, 1000000)]) > 0\n}\n",
        );
        let e = p.eval(json!({})).expect_err("budget");
        assert!(
            e.ends_with(&format!(
                "evaluation took more than {} steps (the limit for one rule on one file)",
                limits::MAX_STEPS
            )),
            "{e}"
        );
    }

    #[test]
    fn huge_allocations_are_warnings() {
        // aborted on a 48 GB allocation
        let p = policy("deny contains \"n\" if { count(numbers.range(1, 2000000000)) > 0 }\n");
        let e = p.eval(json!({})).expect_err("too big");
        assert!(e.contains("numbers.range: the result would have 2000000000 elements; the limit is 1000000"), "{e}");
    }

    fn chain(n: usize, link: &str) -> String {
        let mut body = String::new();
        for i in 0..n {
            writeln!(body, "r{i} := {}", link.replace("NEXT", &format!("r{}", i + 1))).expect("write");
        }
        writeln!(body, "r{n} := 1\ndeny contains \"deep\" if {{ r0 }}").expect("write");
        body
    }

    #[test]
    fn deep_rule_chains_run_on_a_big_stack_or_are_refused() {
        // 800 rules overflowed a 2 MiB stack; this one evaluates
        let p = policy(&chain(3000, "NEXT"));
        assert!(p.depth > limits::INLINE_DEPTH && p.depth <= limits::MAX_DEPTH, "{}", p.depth);
        let hits = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || p.eval(json!({})))
            .expect("spawn")
            .join()
            .expect("no overflow");
        assert_eq!(hits.expect("evaluates").len(), 1);
        // the heaviest nesting the limit lets through still fits
        let heavy = "y if { y := count([1 | count([1 | count([1 | count([1 | count([1 | count([1 | NEXT]) > 0]) > 0]) > 0]) > 0]) > 0]) }";
        let mut n = 1;
        while policy(&chain(n * 2, heavy)).depth <= limits::MAX_DEPTH {
            n *= 2;
        }
        let p = policy(&chain(n, heavy));
        assert!(p.depth * 2 > limits::MAX_DEPTH / 2, "{n} {}", p.depth);
        assert!(p.eval(json!({})).is_ok());
        // beyond the limit: refused, without evaluating
        let p = policy(&chain(6000, "NEXT"));
        let e = p.eval(json!({})).expect_err("too deep");
        assert!(e.starts_with("rules and functions call each other too deeply"), "{e}");
    }

    #[test]
    fn deep_input_is_evaluated_on_the_big_stack() {
        let p = policy("deny contains \"deep\" if { input.document }\n");
        let mut doc = json!(1);
        for _ in 0..5000 {
            doc = Json::Array(vec![doc]);
        }
        let mut input = Map::new();
        input.insert("document".to_owned(), doc);
        let input = Json::Object(input);
        let hits = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || p.eval(input).map(|h| h.len()))
            .expect("spawn")
            .join()
            .expect("no overflow");
        assert_eq!(hits, Ok(1));
    }

    #[test]
    fn pathological_text_is_a_load_error_pointing_into_the_file() {
        // 26 nested `[` in 172 bytes hung the parser (its time doubles per level)
        let text = format!("{HEAD}x := {}1{}\ndeny contains 1 if {{ x }}\n", "[".repeat(26), "]".repeat(26));
        let e = load_err(&text);
        assert!(
            e.message.starts_with("cannot load Rego policy p.rego: policy is too complex for the Rego parser"),
            "{}",
            e.message
        );
        assert_eq!(labelled(&text, &e), "[");
        let chain = format!("{HEAD}x := {}\ndeny contains 1 if {{ x }}\n", vec!["1"; 5000].join(" +\n"));
        assert!(load_err(&chain).message.contains("nests brackets and operators 101 deep"));
        let p = policy("deny contains \"n\" if { true }\n");
        let e = run_tests_text(
            &p,
            &format!("package t\ntest_x if {{ {}1{} }}\n", "{".repeat(30), "}".repeat(30)),
            "t_test.rego",
        )
        .expect_err("refused");
        assert!(e.message.contains("too complex"), "{}", e.message);
    }
}
