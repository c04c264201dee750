//! Fuzz targets and an in-process mutation loop (no nightly toolchain needed).
//!
//! Each [`Target`] takes arbitrary bytes and checks what must hold for every
//! input: no panic, every span inside its text and on character boundaries, and
//! for the whole path (decode, parse, every rule, redaction, every report format)
//! no detected secret's text in any output. `examples/fuzz.rs` runs the loop for
//! as long as asked; `tests/fuzz.rs` runs a bounded number of iterations and
//! replays every input kept in `fixtures/fuzz/`.

use std::path::Path;

use crate::config::Settings;
use crate::model::{Document, Node, Value};
use crate::rule::Rule;
use crate::span::Span;

/// What a target exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Dotenv,
    Yaml,
    Hcl,
    TfvarsJson,
    /// A YAML policy file.
    Policy,
    /// A Rego policy file.
    Rego,
    /// `envlint.toml`.
    Config,
    /// One file through the whole scan path; the first byte picks its name.
    Scan,
}

/// File names the [`Target::Scan`] input's first byte picks from.
pub const SCAN_NAMES: [&str; 12] = [
    ".env.production",
    "docker-compose.prod.yml",
    ".gitlab-ci.yml",
    ".github/workflows/deploy.yml",
    "environments/prod/main.tf",
    "prod.tfvars",
    "live/prod/terragrunt.hcl",
    "prod.tfvars.json",
    "README.md",
    "app/settings.py",
    ".env.example",
    "staging/.env",
];

impl Target {
    pub const ALL: [Target; 8] =
        [Self::Dotenv, Self::Yaml, Self::Hcl, Self::TfvarsJson, Self::Policy, Self::Rego, Self::Config, Self::Scan];

    pub fn name(self) -> &'static str {
        match self {
            Self::Dotenv => "dotenv",
            Self::Yaml => "yaml",
            Self::Hcl => "hcl",
            Self::TfvarsJson => "tfvars-json",
            Self::Policy => "policy",
            Self::Rego => "rego",
            Self::Config => "config",
            Self::Scan => "scan",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether a file (path relative to `fixtures/`) seeds this target.
    pub fn seeds_from(self, path: &str) -> bool {
        use crate::discover::FileKind as K;
        let kind = K::classify(path);
        match self {
            Self::Dotenv => kind == K::Dotenv,
            Self::Yaml => matches!(kind, K::Compose | K::GithubWorkflow | K::GitlabCi),
            Self::Hcl => matches!(kind, K::Terraform | K::Hcl) || path.ends_with(".tfvars"),
            Self::TfvarsJson => path.ends_with(".json"),
            Self::Policy => path.ends_with(".yaml") && !path.contains("workflows"),
            Self::Rego => path.ends_with(".rego"),
            Self::Config => path.ends_with(".toml"),
            Self::Scan => true,
        }
    }

    /// A seed for this target from a fixture file (the scan target gets the name
    /// byte that matches the file's kind best).
    pub fn seed(self, path: &str, bytes: &[u8]) -> Vec<u8> {
        if self != Self::Scan {
            return bytes.to_vec();
        }
        let kind = crate::discover::FileKind::classify(path);
        let pick = SCAN_NAMES.iter().position(|n| crate::discover::FileKind::classify(n) == kind).unwrap_or(8);
        let mut out = vec![u8::try_from(pick).unwrap_or(0)];
        out.extend_from_slice(bytes);
        out
    }
}

/// Shared, built once: settings and every built-in rule.
pub struct Harness {
    settings: Settings,
    rules: Vec<Box<dyn Rule>>,
    scanner: crate::secrets::Scanner,
}

impl Default for Harness {
    fn default() -> Self {
        let rules = crate::rules::builtin();
        Self { settings: Settings::defaults(Path::new(".")), rules, scanner: crate::secrets::Scanner::new(Vec::new()) }
    }
}

impl Harness {
    /// Runs one input; `Err` says which property failed (a panic included).
    pub fn run(&self, target: Target, data: &[u8]) -> Result<(), String> {
        crate::isolate::run(|| self.check(target, data)).unwrap_or_else(|panic| Err(format!("panic: {panic}")))
    }

    fn check(&self, target: Target, data: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(data);
        match target {
            Target::Dotenv => check_parse(&text, crate::parse::dotenv::parse(&text)),
            Target::Yaml | Target::TfvarsJson => check_parse(&text, crate::parse::yaml::parse(&text)),
            Target::Hcl => check_parse(&text, crate::parse::hcl::parse(&text)),
            Target::Policy => {
                if let Err(e) = crate::policy::load::parse_policy("policy.yaml", &text) {
                    render_error(&e)?;
                }
                Ok(())
            }
            Target::Rego => {
                #[cfg(feature = "rego")]
                if let Err(e) = crate::policy::rego::RegoPolicy::parse(&text, "policy.rego") {
                    render_error(&e)?;
                }
                Ok(())
            }
            Target::Config => {
                let known: Vec<crate::config::KnownRule> =
                    self.rules.iter().map(|r| crate::config::KnownRule::of(r.meta())).collect();
                if let Err(e) = crate::config::parse(&text, "envlint.toml", Path::new("."), &known) {
                    render_error(&e)?;
                }
                Ok(())
            }
            Target::Scan => self.check_scan(data),
        }
    }

    fn check_scan(&self, data: &[u8]) -> Result<(), String> {
        let (&pick, body) = data.split_first().unwrap_or((&0, &[]));
        let name = SCAN_NAMES[usize::from(pick) % SCAN_NAMES.len()];
        let out = crate::engine::scan_text_with(name, body.to_vec(), &self.settings, &self.rules, &self.scanner);
        if out.incomplete > 0 {
            return Err(format!("internal error: {}", out.warnings.join("; ")));
        }
        let kind = crate::discover::FileKind::classify(name);
        let decoded = crate::engine::load::decode(body.to_vec(), kind).map(|(t, _)| t).unwrap_or_default();
        for f in &out.findings {
            let (s, e) = (f.span.start as usize, f.span.end as usize);
            if s > e || !(decoded.is_char_boundary(s) && decoded.is_char_boundary(e)) {
                return Err(format!("{}: span {s}..{e} not inside the text on character boundaries", f.rule));
            }
        }
        // Every detected secret's text, looked for in every format.
        let secrets: Vec<String> = self
            .scanner
            .scan(&decoded)
            .iter()
            .map(|h| decoded.get(h.span.range()).unwrap_or("").to_owned())
            .filter(|s| s.len() >= 12)
            .collect();
        for format in ["human", "json", "sarif", "gitlab", "github"] {
            let mut buf = Vec::new();
            render(&out, format, &self.rules, &mut buf).map_err(|e| format!("{format}: {e}"))?;
            let mut shown = String::from_utf8_lossy(&buf).into_owned();
            if format == "sarif" {
                // the rule table quotes the rules' own docs (`NODE_TLS_REJECT_UNAUTHORIZED=0`):
                // only what the scan found counts
                let v: serde_json::Value = serde_json::from_str(&shown).map_err(|e| format!("sarif: {e}"))?;
                shown = format!("{}{}", v["runs"][0]["results"], v["runs"][0]["invocations"]);
            }
            if let Some(s) = secrets.iter().find(|s| shown.contains(s.as_str())) {
                return Err(format!("{format} output shows a detected secret of {} bytes", s.len()));
            }
        }
        Ok(())
    }
}

fn render(
    out: &crate::engine::ScanOutput,
    format: &str,
    rules: &[Box<dyn Rule>],
    w: &mut Vec<u8>,
) -> std::io::Result<()> {
    use crate::report;
    match format {
        "human" => report::human::render(out, report::human::Style { color: false, width: 100 }, w),
        "json" => report::json::render(out, w),
        "sarif" => {
            let ran: Vec<report::sarif::RanRule> =
                rules.iter().map(|r| report::sarif::RanRule { meta: r.meta(), severity: r.meta().severity }).collect();
            report::sarif::render(out, &ran, &report::sarif::Options::default(), w)
        }
        "gitlab" => report::gitlab::render(out, w),
        _ => report::github::render(out, w),
    }
}

/// Renders a located error as the binary would (miette's graphical handler).
fn render_error(e: &dyn miette::Diagnostic) -> Result<(), String> {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, e)
        .map_err(|err| format!("rendering the error failed: {err}"))
}

/// Checks a parse result: every span inside the text and on character boundaries.
fn check_parse(text: &str, result: Result<Document, crate::parse::ParseError>) -> Result<(), String> {
    let ok = |span: Span, what: &str| -> Result<(), String> {
        let (s, e) = (span.start as usize, span.end as usize);
        if s > e || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            return Err(format!("{what} span {s}..{e} is not inside the text ({} bytes) on boundaries", text.len()));
        }
        Ok(())
    };
    match result {
        Err(e) => ok(e.span, "error"),
        Ok(doc) => {
            fn walk(n: &Node, ok: &dyn Fn(Span, &str) -> Result<(), String>) -> Result<(), String> {
                ok(n.span, "node")?;
                match &n.value {
                    Value::Seq(items) => items.iter().try_for_each(|i| walk(i, ok)),
                    Value::Map(entries) => entries.iter().try_for_each(|e| {
                        ok(e.key.span, "key")?;
                        walk(&e.value, ok)
                    }),
                    _ => Ok(()),
                }
            }
            doc.roots.iter().try_for_each(|r| walk(r, &ok))
        }
    }
}

/// A small, fast, seedable generator (xorshift64*): runs are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Fragments that matter to envlint's syntaxes, inserted by the mutator.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"`",
    b"${",
    b"}",
    b"$",
    b"\n",
    b"\r",
    b"\r\n",
    b"\t",
    b"\\",
    b"=",
    b":",
    b": ",
    b"- ",
    b"#",
    b"//",
    b"/*",
    b"*/",
    b"<<EOF\n",
    b"\nEOF\n",
    b"<<-EOT\n",
    b"[",
    b"]",
    b"{",
    b"(",
    b")",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!reference [",
    b"|\n  ",
    b">-\n  ",
    b"---\n",
    b"...\n",
    b"export ",
    b"%{",
    b"~}",
    b"?",
    b"\0",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xc3\xa9",
    b"\xf0\x9f\xa6\x80",
    "请访问http://example.cn".as_bytes(),
    b"http://u:p@h/",
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    b"PASSWORD=",
    b"DEBUG=true",
    b"environment: production\n",
    b"ghp_",
    b"AKIA",
    b"sk_live_",
    b"xoxb-",
    b"\x1b[2J",
    b"\xe2\x80\xae",
];

/// Changes `data` in place: a few random edits of the kinds that break parsers.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(9) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at.min(end)..end);
            }
            2 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.iter().copied());
            }
            3 if !data.is_empty() => {
                // duplicate a chunk (nesting, repeated keys)
                let s = rng.below(data.len());
                let e = (s + 1 + rng.below(64)).min(data.len());
                let chunk = data[s..e].to_vec();
                data.splice(at..at, chunk);
            }
            4 if !pool.is_empty() => {
                // splice in part of another seed
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let s = rng.below(other.len());
                    let e = (s + 1 + rng.below(128)).min(other.len());
                    data.splice(at..at, other[s..e].iter().copied());
                }
            }
            5 => {
                // a long run of one byte (deep nesting, huge lines)
                let b = [b'[', b'{', b' ', b'a', b'-', b'(', b'"'][rng.below(7)];
                let n = 1 + rng.below(512);
                data.splice(at..at, std::iter::repeat_n(b, n));
            }
            6 if !data.is_empty() => data.truncate(at),
            7 => {
                let b = u8::try_from(rng.below(256)).unwrap_or(0);
                data.insert(at, b);
            }
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let t2 = TOKENS[rng.below(TOKENS.len())];
                data.splice(at..at, t.iter().chain(t2).copied());
            }
        }
    }
    data.truncate(1 << 16);
}

/// A failing input.
#[derive(Debug, Clone)]
pub struct Failure {
    pub target: Target,
    pub input: Vec<u8>,
    pub message: String,
}

/// Runs `iterations` mutated inputs derived from `seeds` through `target`.
/// Returns the failures (at most one per distinct message).
pub fn fuzz(harness: &Harness, target: Target, seeds: &[Vec<u8>], iterations: usize, seed: u64) -> Vec<Failure> {
    let mut rng = Rng::new(seed ^ (target as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut failures: Vec<Failure> = Vec::new();
    let mut corpus: Vec<Vec<u8>> = if seeds.is_empty() { vec![Vec::new()] } else { seeds.to_vec() };
    for _ in 0..iterations {
        let mut input = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut input, seeds);
        if let Err(message) = harness.run(target, &input) {
            if !failures.iter().any(|f| f.message == message) {
                failures.push(Failure { target, input: input.clone(), message });
            }
        } else if corpus.len() < 4096 && rng.below(8) == 0 {
            // keep some mutants as new starting points
            corpus.push(input);
        }
    }
    failures
}
