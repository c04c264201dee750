//! Parse throughput of the HCL adapter over a tree's `.tf`, `.tfvars` and `.hcl` files:
//! hcl-edit alone, then hcl-edit plus the conversion to the document model.
//!
//! `cargo run --release --example hcl_bench -- DIR [--runs 3]`
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
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
            out.push(s);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(&args[1]);
    let runs: usize = args.iter().position(|a| a == "--runs").map_or(3, |i| args[i + 1].parse().unwrap());
    let mut texts = Vec::new();
    collect(&dir, &mut texts);
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("{} files, {:.1} MB", texts.len(), bytes as f64 / 1e6);
    for _ in 0..runs {
        let t = Instant::now();
        let ok = texts.iter().filter(|s| hcl::edit::parser::parse_body(s).is_ok()).count();
        let a = t.elapsed();
        let t = Instant::now();
        let ok2 = texts.iter().filter(|s| envlint::parse::hcl::parse(s).is_ok()).count();
        let b = t.elapsed();
        println!(
            "hcl-edit alone {a:?} ({:.0} MB/s, {ok} ok); with conversion {b:?} ({:.0} MB/s, {ok2} ok)",
            bytes as f64 / 1e6 / a.as_secs_f64(),
            bytes as f64 / 1e6 / b.as_secs_f64()
        );
    }
}
