//! Parse throughput of the HCL adapter over a tree's `.tf`, `.tfvars` and `.hcl` files:
//! hcl-edit alone, the hcl-edit path with the conversion to the document model, the fast
//! parser alone, and `parse` (the fast parser, hcl-edit for what it declines).
//!
//! `cargo run --release --example hcl_bench -- DIR [--runs 3] [--compare]`
//!
//! `--only fast` (or `edit`, `conversion`, `parse`) times one of them, for profiling.
//! `--compare` also parses every file both ways and reports how many the fast parser
//! accepts and every file where the two documents differ (the exit status is 1 if any).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use envlint::parse::hcl::{parse, parse_fast, parse_hcl_edit};

fn collect(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            if p.file_name().is_some_and(|n| n != ".git") {
                collect(&p, out);
            }
        } else if t.is_file()
            && p.extension().is_some_and(|x| x == "tf" || x == "tfvars" || x == "hcl")
            && let Ok(s) = std::fs::read_to_string(&p)
        {
            out.push((p, s));
        }
    }
}

fn rate(bytes: usize, d: std::time::Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let runs: usize = args.iter().position(|a| a == "--runs").map_or(3, |i| args[i + 1].parse().unwrap());
    let compare = args.iter().any(|a| a == "--compare");
    let only = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let mut files = Vec::new();
    collect(&dir, &mut files);
    files.sort();
    let texts: Vec<&str> = files.iter().map(|(_, s)| s.as_str()).collect();
    let bytes: usize = texts.iter().map(|s| s.len()).sum();
    println!("{} files, {:.1} MB", texts.len(), bytes as f64 / 1e6);
    if compare {
        let (mut accepted, mut accepted_bytes, mut rejected_both, mut differ) = (0u32, 0, 0, 0);
        for (path, text) in &files {
            let slow = parse_hcl_edit(text);
            match parse_fast(text) {
                Some(fast) => {
                    accepted += 1;
                    accepted_bytes += text.len();
                    if slow.as_ref() != Ok(&fast) {
                        differ += 1;
                        println!("DIFFERENT: {}", path.display());
                    }
                }
                None if slow.is_err() => rejected_both += 1,
                None => println!("declined: {}", path.display()),
            }
        }
        println!(
            "compare: {accepted} of {} files ({:.2}%, {:.2}% of bytes) accepted by the fast parser, \
             {rejected_both} rejected by both, {differ} different",
            files.len(),
            100.0 * f64::from(accepted) / files.len().max(1) as f64,
            100.0 * accepted_bytes as f64 / bytes.max(1) as f64,
        );
        if differ > 0 {
            std::process::exit(1);
        }
    }
    for _ in 0..runs {
        let time = |name: &str, f: &dyn Fn(&str) -> bool| {
            if only.as_deref().is_some_and(|o| o != name) {
                return (std::time::Duration::ZERO, 0);
            }
            let started = Instant::now();
            let ok = texts.iter().filter(|s| f(s)).count();
            (started.elapsed(), ok)
        };
        let (edit, edit_ok) = time("edit", &|s| hcl::edit::parser::parse_body(s).is_ok());
        let (conv, conv_ok) = time("conversion", &|s| parse_hcl_edit(s).is_ok());
        let (fast, fast_ok) = time("fast", &|s| parse_fast(s).is_some());
        let (both, both_ok) = time("parse", &|s| parse(s).is_ok());
        println!(
            "hcl-edit alone {edit:.0?} ({:.0} MB/s, {edit_ok} ok); with conversion {conv:.0?} ({:.0} MB/s, \
             {conv_ok} ok); fast parser {fast:.0?} ({:.0} MB/s, {fast_ok} accepted); parse {both:.0?} \
             ({:.0} MB/s, {both_ok} ok)",
            rate(bytes, edit),
            rate(bytes, conv),
            rate(bytes, fast),
            rate(bytes, both),
        );
    }
}
