//! Throughput benchmark of the secret scanner. Generates a deterministic corpus of
//! mixed text (source code, YAML, JSON lock files, dotenv, Terraform, Markdown, with
//! a few fake secrets sprinkled in) under `target/secrets-corpus/`, scans it with each
//! keyword strategy single-threaded and with the default one on all threads, then
//! times ripgrep over the same files as the floor.
//!
//! `cargo run --release --example secrets_bench -- [--size-mb 100] [--threads N] [--runs 3] [--quick] [--detail]`
//! (`--quick`: only the default strategy; `--detail`: hits per detector;
//! `--dir PATH`: benchmark the UTF-8 text files under PATH instead of the generated corpus;
//! `--print-keywords`: print the detectors' keywords, one per line, and exit)
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use envlint::secrets::{Scanner, Strategy};

const CORPUS_VERSION: &str = "v2";

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn from(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| alphabet[self.below(alphabet.len())] as char).collect()
    }
    fn hex(&mut self, n: usize) -> String {
        self.from(b"0123456789abcdef", n)
    }
    fn alnum(&mut self, n: usize) -> String {
        self.from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n)
    }
    fn b64(&mut self, n: usize) -> String {
        self.from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", n)
    }
    fn uuid(&mut self) -> String {
        format!("{}-{}-4{}-a{}-{}", self.hex(8), self.hex(4), self.hex(3), self.hex(3), self.hex(12))
    }
}

const WORDS: &[&str] = &[
    "user", "account", "order", "invoice", "session", "request", "config", "service", "handler", "cache", "queue",
    "worker", "payment", "token", "item", "record", "client", "server", "route", "policy", "secret", "buffer",
    "stream", "parser", "lexer", "builder", "report", "metric", "event", "message", "password", "region",
];

const PROSE: &[&str] = &[
    "The service reads its configuration at start-up and validates every field.",
    "Rotate the API token every ninety days and store it in the secret manager.",
    "Passwords are hashed with argon2id before they reach the database.",
    "See the deployment guide for the list of required environment variables.",
    "Each request carries a bearer token that the gateway verifies.",
    "Run the migrations before starting the new version of the worker.",
    "Metrics are exported on port 9090 and scraped every fifteen seconds.",
    "The cache is warmed lazily; the first request after a deploy is slower.",
];

/// One of the sprinkled fake secrets (patterned so they are obviously not real).
fn fake_secret(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => format!("GITHUB_TOKEN=ghp_EnvLintBench{}", rng.alnum(24)),
        1 => format!("AWS_ACCESS_KEY_ID=AKIABENCH{}", rng.from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 11)),
        2 => format!("STRIPE_KEY=sk_live_EnvLintBench{}", rng.alnum(20)),
        3 => format!("DB_PASSWORD={}-Bench-{}", rng.alnum(6), rng.alnum(8)),
        4 => format!("DATABASE_URL=postgres://app:Bench{}@db.internal:5432/app", rng.alnum(10)),
        5 => format!(
            "SLACK_BOT_TOKEN=xoxb-{}-{}-{}",
            rng.hex(12).replace(char::is_alphabetic, "7"),
            "1234567890123",
            rng.alnum(24)
        ),
        6 => format!("HF_TOKEN=hf_EnvLintBench{}", rng.alnum(22)),
        _ => {
            let body: Vec<String> = (0..8).map(|_| rng.b64(64)).collect();
            format!("-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----", body.join("\n"))
        }
    }
}

fn chunk(kind: usize, rng: &mut Rng, out: &mut String) {
    let w = rng.pick(WORDS);
    let w2 = rng.pick(WORDS);
    match kind {
        0 => {
            let _ = write!(
                out,
                "/// Returns the next {w} from the {w2} stream, or `None` at the end.\n\
                 pub fn next_{w}(&mut self) -> Option<{w2}::Token> {{\n    let start = self.pos;\n    \
                 while let Some(c) = self.peek() {{\n        if !c.is_alphanumeric() {{ break; }}\n        \
                 self.pos += c.len_utf8();\n    }}\n    let text = &self.src[start..self.pos];\n    \
                 let token = Token::new(TokenKind::Ident, text, Span::new(start, self.pos));\n    \
                 tracing::debug!(?token, \"{w} {w2}\");\n    Some(token)\n}}\n\n\
                 fn check_password(password: &str, hash: &str) -> bool {{ argon2::verify(hash, password) }}\n\n"
            );
        }
        1 => {
            let _ = write!(
                out,
                "def handle_{w}(request, {w2}_id):\n    \"\"\"Handle a {w} for the given {w2}.\"\"\"\n    \
                 api_key = settings.API_KEY\n    token = request.headers.get(\"Authorization\", \"\")\n    \
                 if not token.startswith(\"Bearer \"):\n        raise PermissionDenied(\"missing token\")\n    \
                 obj = {w2}_repository.get({w2}_id)\n    for item in obj.items[:{n}]:\n        \
                 log.info(\"processing %s\", item.id)\n    return JsonResponse({{\"id\": \"{uuid}\", \"ok\": True}})\n\n",
                n = rng.below(100),
                uuid = rng.uuid()
            );
        }
        2 => {
            let _ = write!(
                out,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {w}-{w2}\n  labels:\n    app: {w}\n\
                 spec:\n  replicas: {r}\n  template:\n    spec:\n      containers:\n        - name: {w}\n          \
                 image: registry.internal/{w}@sha256:{digest}\n          env:\n            - name: DB_PASSWORD\n              \
                 valueFrom:\n                secretKeyRef:\n                  name: {w}-db\n                  key: password\n            \
                 - name: LOG_LEVEL\n              value: info\n          ports:\n            - containerPort: 8080\n---\n",
                r = 1 + rng.below(5),
                digest = rng.hex(64)
            );
        }
        3 => {
            let _ = write!(
                out,
                "    \"node_modules/{w}-{w2}\": {{\n      \"version\": \"{a}.{b}.{c}\",\n      \
                 \"resolved\": \"https://registry.npmjs.org/{w}-{w2}/-/{w}-{w2}-{a}.{b}.{c}.tgz\",\n      \
                 \"integrity\": \"sha512-{sri}==\",\n      \"dev\": true\n    }},\n",
                a = rng.below(10),
                b = rng.below(20),
                c = rng.below(30),
                sri = rng.b64(86)
            );
        }
        4 => {
            let upper = w.to_uppercase();
            let _ = write!(
                out,
                "{upper}_HOST={w}.internal\n{upper}_PORT={p}\n{upper}_URL=https://{w}.internal:{p}/v1\n\
                 {upper}_TOKEN=${{{upper}_TOKEN}}\n{upper}_TIMEOUT_MS={t}\nFEATURE_{upper}=true\n",
                p = 1024 + rng.below(60000),
                t = rng.below(10000)
            );
        }
        5 => {
            let _ = write!(
                out,
                "resource \"aws_db_instance\" \"{w}\" {{\n  identifier     = \"{w}-{w2}\"\n  engine         = \"postgres\"\n  \
                 instance_class = \"db.t3.medium\"\n  username       = \"{w}\"\n  password       = var.{w}_password\n  \
                 tags = {{\n    Team = \"{w2}\"\n    Id   = \"{uuid}\"\n  }}\n}}\n\n",
                uuid = rng.uuid()
            );
        }
        6 => {
            let _ = write!(
                out,
                "## The {w} {w2}\n\n{} {} {}\nSee <https://docs.internal/{w}/{w2}> and commit `{}`.\n\n",
                rng.pick(PROSE),
                rng.pick(PROSE),
                rng.pick(PROSE),
                rng.hex(40)
            );
        }
        _ => {
            let _ = write!(
                out,
                "export async function fetch{w}(id) {{\n  const res = await fetch(`/api/{w}/${{id}}`, {{\n    \
                 headers: {{ Authorization: `Bearer ${{session.token}}`, 'X-Request-Id': '{uuid}' }},\n  }});\n  \
                 if (!res.ok) throw new Error('{w2} failed: ' + res.status);\n  return res.json();\n}}\n\n",
                uuid = rng.uuid()
            );
        }
    }
}

const EXTS: [&str; 8] = ["rs", "py", "yaml", "json", "env", "tf", "md", "js"];

/// Writes the corpus (unless an identical one is there); returns its files and the sprinkled secret count.
fn corpus(dir: &Path, size_mb: usize) -> (Vec<PathBuf>, usize) {
    let marker = dir.join(".corpus");
    let stamp = format!("{CORPUS_VERSION} {size_mb}");
    if std::fs::read_to_string(&marker).ok().as_deref().is_some_and(|m| m.starts_with(&stamp)) {
        let m = std::fs::read_to_string(&marker).unwrap();
        let secrets = m.split_whitespace().nth(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != ".corpus"))
            .collect();
        files.sort();
        return (files, secrets);
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = Rng(0x5EC2_E75E_ED00_0001);
    let total = size_mb * 1024 * 1024;
    let (mut written, mut secrets, mut files) = (0usize, 0usize, Vec::new());
    let mut i = 0;
    while written < total {
        let kind = i % EXTS.len();
        let target = 32 * 1024 + rng.below(224 * 1024);
        let mut text = String::with_capacity(target + 4096);
        while text.len() < target {
            if rng.below(400) == 0 {
                text.push_str(&fake_secret(&mut rng));
                text.push('\n');
                secrets += 1;
            }
            chunk(kind, &mut rng, &mut text);
        }
        let path = dir.join(format!("f{i:05}.{}", EXTS[kind]));
        std::fs::write(&path, &text).unwrap();
        written += text.len();
        files.push(path);
        i += 1;
    }
    std::fs::write(&marker, format!("{stamp} {secrets}\n")).unwrap();
    (files, secrets)
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn best<F: FnMut() -> usize>(runs: usize, mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut hits = 0;
    for _ in 0..runs {
        let t = Instant::now();
        hits = f();
        best = best.min(t.elapsed());
    }
    (best, hits)
}

fn scan_parallel(scanner: &Scanner, texts: &[String], threads: usize) -> usize {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || texts.iter().skip(t).step_by(threads).map(|x| scanner.scan(x).len()).sum::<usize>())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn read_and_scan_parallel(scanner: &Scanner, files: &[PathBuf], threads: usize) -> usize {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    files
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|p| scanner.scan(&std::fs::read_to_string(p).unwrap()).len())
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn ripgrep(args: &[String], dir: &Path, runs: usize) -> Option<(Duration, usize)> {
    let run = || {
        let out = Command::new("rg")
            .args(["--no-ignore", "--hidden", "--no-messages", "-c"])
            .args(args)
            .arg(dir)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        Some(text.lines().filter_map(|l| l.rsplit(':').next()?.parse::<usize>().ok()).sum::<usize>())
    };
    run()?; // warm the page cache
    let mut best = Duration::MAX;
    let mut lines = 0;
    for _ in 0..runs {
        let t = Instant::now();
        lines = run()?;
        best = best.min(t.elapsed());
    }
    Some((best, lines))
}

fn main() {
    if std::env::args().any(|a| a == "--print-keywords") {
        // the keyword list, for scripts/bench.py's ripgrep floor
        for k in Scanner::keywords() {
            println!("{k}");
        }
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)?.parse::<usize>().ok());
    let size_mb = flag("--size-mb").unwrap_or(100);
    let threads = flag("--threads").unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let runs = flag("--runs").unwrap_or(3).max(1);
    let given = args.iter().position(|a| a == "--dir").and_then(|i| args.get(i + 1)).map(PathBuf::from);

    let t = Instant::now();
    let (dir, files, texts) = if let Some(dir) = given {
        let mut all = Vec::new();
        walk(&dir, &mut all);
        // text files only, as envlint would (binary and non-UTF-8 files are skipped)
        let (files, texts): (Vec<PathBuf>, Vec<String>) = all
            .into_iter()
            .filter_map(|p| {
                let text = std::fs::read_to_string(&p).ok()?;
                (!text.contains('\0')).then_some((p, text))
            })
            .unzip();
        println!("directory: {} ({} text files)", dir.display(), files.len());
        (dir, files, texts)
    } else {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/secrets-corpus");
        let (files, sprinkled) = corpus(&dir, size_mb);
        let texts: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
        println!("generated corpus: {} files, {sprinkled} sprinkled fake secrets ({})", files.len(), dir.display());
        (dir, files, texts)
    };
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("{:.1} MB of text, loaded in {:.1?}", bytes as f64 / 1e6, t.elapsed());

    let t = Instant::now();
    let scanner = Scanner::new(Vec::new());
    println!("scanner build: {:.2?}", t.elapsed());

    if args.iter().any(|a| a == "--detail") {
        let mut by_id: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for x in &texts {
            for h in scanner.scan(x) {
                let n = by_id.entry(h.detector).or_default();
                *n += 1;
                if *n <= 5 && h.generic {
                    let line_start = x[..h.span.start as usize].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = x[h.span.end as usize..].find('\n').map_or(x.len(), |i| h.span.end as usize + i);
                    println!("  {}: {}", h.detector, &x[line_start..line_end]);
                }
            }
        }
        println!("hits by detector: {by_id:?}");
    }

    println!("\n{:<44} {:>10} {:>10} {:>8}", "strategy", "time", "MB/s", "hits");
    let (d, kw) = best(runs, || texts.iter().map(|x| scanner.count_keywords(x)).sum());
    println!("{:<44} {:>10.2?} {:>10.0} {kw:>8}", "keyword automaton alone, 1 thread", d, mbps(bytes, d));
    let quick = args.iter().any(|a| a == "--quick");
    let strategies = [
        ("aho-corasick prefilter, 1 thread", Strategy::AhoCorasick),
        ("regex per detector, 1 thread", Strategy::RegexPerDetector),
        ("regex-set gate + per detector, 1 thread", Strategy::RegexSet),
    ];
    for &(name, strategy) in &strategies[..if quick { 1 } else { 3 }] {
        let s = Scanner::with_strategy(Vec::new(), strategy);
        let (d, hits) = best(runs, || texts.iter().map(|x| s.scan(x).len()).sum());
        println!("{name:<44} {:>10.2?} {:>10.0} {hits:>8}", d, mbps(bytes, d));
    }
    let (d, hits) = best(runs, || scan_parallel(&scanner, &texts, threads));
    println!("{:<44} {:>10.2?} {:>10.0} {hits:>8}", format!("aho-corasick, {threads} threads"), d, mbps(bytes, d));
    let (d, hits) = best(runs, || read_and_scan_parallel(&scanner, &files, threads));
    println!(
        "{:<44} {:>10.2?} {:>10.0} {hits:>8}",
        format!("aho-corasick, read + scan, {threads} threads"),
        d,
        mbps(bytes, d)
    );

    if Command::new("rg").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success()) {
        println!("\nripgrep (reads the files itself; counts matching lines):");
        let fixed: Vec<String> =
            Scanner::keywords().into_iter().flat_map(|k| ["-e".to_owned(), k.to_owned()]).collect();
        let regex: Vec<String> =
            Scanner::patterns().into_iter().flat_map(|p| ["-e".to_owned(), p.to_owned()]).collect();
        for (name, mut rg_args) in [
            ("rg -F -i keywords", [vec!["-F".to_owned(), "-i".to_owned()], fixed.clone()].concat()),
            ("rg detector regexes", regex.clone()),
        ] {
            for j in [1, threads] {
                rg_args.extend(["-j".to_owned(), j.to_string()]);
                if let Some((d, lines)) = ripgrep(&rg_args, &dir, runs) {
                    let label = format!("{name}, {j} thread{}", if j == 1 { "" } else { "s" });
                    println!("{label:<44} {:>10.2?} {:>10.0} {lines:>8}", d, mbps(bytes, d));
                }
                rg_args.truncate(rg_args.len() - 2);
            }
        }
    } else {
        println!("\nripgrep not on PATH: skipped the floor");
    }
}
