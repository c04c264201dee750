//! A bounded run of the in-process fuzzer (`envlint::fuzz`) over every target,
//! seeded from the fixtures, and a replay of every input kept in
//! `fixtures/fuzz/<target>/` (inputs that once broke envlint). Long runs:
//! `cargo run --release --example fuzz -- --help`.

mod common;

use envlint::fuzz::{Harness, Target, fuzz};

/// Every file of `fixtures/` and `policies/` (the built-in and example policies, the
/// only Rego files) that seeds `target`.
fn seeds(target: Target) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for root in ["fixtures", "policies"].map(|d| common::repo().join(d)) {
        seeds_under(&root, target, &mut out);
    }
    out
}

fn seeds_under(root: &std::path::Path, target: Target, out: &mut Vec<Vec<u8>>) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> =
            std::fs::read_dir(&dir).expect("read_dir").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let rel = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
                if target.seeds_from(&rel) && bytes.len() < 64 * 1024 {
                    out.push(target.seed(&rel, &bytes));
                }
            }
        }
    }
}

#[test]
fn fuzz_every_target_briefly() {
    let harness = Harness::default();
    let mut failures = Vec::new();
    for target in Target::ALL {
        let iterations = match target {
            Target::Scan | Target::Rego => 300,
            _ => 1500,
        };
        for f in fuzz(&harness, target, &seeds(target), iterations, 0x5eed) {
            failures.push(format!(
                "{}: {}\n  input: {:?}",
                f.target.name(),
                f.message,
                String::from_utf8_lossy(&f.input)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn kept_inputs_still_pass() {
    let harness = Harness::default();
    let root = common::repo().join("fixtures/fuzz");
    let mut failures = Vec::new();
    for target in Target::ALL {
        let Ok(entries) = std::fs::read_dir(root.join(target.name())) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            let input = std::fs::read(&path).expect("read");
            if let Err(message) = harness.run(target, &input) {
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
