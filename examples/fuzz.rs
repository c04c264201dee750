//! Runs envlint's fuzz targets for as long as asked and keeps every failing or
//! slow input.
//!
//! ```sh
//! cargo run --release --example fuzz -- [--target NAME|all] [--seconds N] [--seed S] [--seeds DIR]... [--out DIR]
//! ```
//!
//! Seeds come from `fixtures/`, `policies/` (the built-in and example YAML and Rego
//! policies) and any `--seeds` folder (the real-world corpus,
//! say). Failing inputs are written to `--out` (default `target/fuzz-failures/<target>/`);
//! once fixed, copy them to `fixtures/fuzz/<target>/` so `cargo test` replays them.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use envlint::fuzz::{Harness, Rng, Target, mutate};

fn collect(root: &Path, target: Target, out: &mut Vec<Vec<u8>>) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                if target.seeds_from(&rel)
                    && let Ok(bytes) = std::fs::read(&path)
                    && bytes.len() < 64 * 1024
                {
                    out.push(target.seed(&rel, &bytes));
                }
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut targets, mut seconds, mut seed) = (Target::ALL.to_vec(), 60u64, 1u64);
    let mut seed_dirs = vec![PathBuf::from("fixtures"), PathBuf::from("policies")];
    let mut out = PathBuf::from("target/fuzz-failures");
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--target" => {
                let v = value();
                targets = if v == "all" { Target::ALL.to_vec() } else { vec![Target::from_name(&v).expect("target")] };
            }
            "--seconds" => seconds = value().parse().expect("seconds"),
            "--seed" => seed = value().parse().expect("seed"),
            "--seeds" => seed_dirs.push(PathBuf::from(value())),
            "--out" => out = PathBuf::from(value()),
            _ => {
                eprintln!("usage: fuzz [--target NAME|all] [--seconds N] [--seed S] [--seeds DIR]... [--out DIR]");
                eprintln!("targets: {}", Target::ALL.map(Target::name).join(", "));
                std::process::exit(2);
            }
        }
    }
    envlint::isolate::install_hook();
    let harness = Harness::default();
    let per_target = Duration::from_secs(seconds) / u32::try_from(targets.len()).unwrap_or(1);
    for target in targets {
        let mut seeds = Vec::new();
        for d in &seed_dirs {
            collect(d, target, &mut seeds);
        }
        let mut corpus = if seeds.is_empty() { vec![Vec::new()] } else { seeds.clone() };
        let mut rng = Rng::new(seed ^ (target as u64 + 1));
        let (start, mut runs, mut found) = (Instant::now(), 0u64, 0usize);
        let mut messages: Vec<String> = Vec::new();
        while start.elapsed() < per_target {
            let mut input = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &mut input, &seeds);
            let t = Instant::now();
            let result = harness.run(target, &input);
            let slow = t.elapsed() > Duration::from_secs(2);
            runs += 1;
            let problem = match result {
                Err(m) => Some(m),
                Ok(()) if slow => Some(format!("slow: {:?}", t.elapsed())),
                Ok(()) => None,
            };
            if let Some(message) = problem {
                let key: String = message.chars().take(120).collect();
                if !messages.contains(&key) {
                    let dir = out.join(target.name());
                    std::fs::create_dir_all(&dir).expect("mkdir");
                    let file = dir.join(format!("{:016x}", rng.next_u64()));
                    std::fs::write(&file, &input).expect("write");
                    println!("{}: {message} -> {}", target.name(), file.display());
                    messages.push(key);
                    found += 1;
                }
            } else if corpus.len() < 8192 && rng.below(8) == 0 {
                corpus.push(input);
            }
        }
        println!(
            "{}: {runs} inputs in {:?} from {} seeds, {found} distinct problems",
            target.name(),
            start.elapsed(),
            seeds.len()
        );
    }
}
