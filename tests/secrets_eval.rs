//! The secret scanner against its evaluation set: every file under
//! `fixtures/secrets/` is scanned and the hits must equal `expected.tsv` exactly
//! (no hit at all under `negatives/`). Prints precision and recall.
//! The manifest holds only the first 4 characters and the length of each secret.
#![allow(clippy::print_stdout)] // the precision/recall report is the point of this test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use envlint::secrets::Scanner;

/// (path, line, detector, first 4 characters, length in bytes)
type Row = (String, u32, String, String, usize);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("fixtures/secrets").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.file_name().is_some_and(|n| n != "expected.tsv" && n != "generate.py") {
            out.push(path);
        }
    }
}

fn manifest() -> BTreeSet<Row> {
    let text = std::fs::read_to_string(root().join("expected.tsv")).expect("expected.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 5, "bad manifest line {l:?}");
            (
                cols[0].to_owned(),
                cols[1].parse().expect("line"),
                cols[2].to_owned(),
                cols[3].to_owned(),
                cols[4].parse().expect("length"),
            )
        })
        .collect()
}

fn found() -> BTreeSet<Row> {
    let scanner = Scanner::new(Vec::new());
    let mut paths = Vec::new();
    files(&root(), &mut paths);
    let mut rows = BTreeSet::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let rel = path.strip_prefix(root()).expect("under root").to_string_lossy().replace('\\', "/");
        let hits = scanner.scan(&text);
        assert!(hits.windows(2).all(|w| w[0].span.end <= w[1].span.start), "{rel}: unsorted or overlapping hits");
        for hit in hits {
            let value = &text[hit.span.range()];
            let line = text[..hit.span.start as usize].matches('\n').count() as u32 + 1;
            let prefix: String = value.chars().take(4).collect();
            rows.insert((rel.clone(), line, hit.detector.to_owned(), prefix, value.len()));
        }
    }
    rows
}

#[test]
fn evaluation_set_matches_manifest() {
    let expected = manifest();
    let found = found();
    let tp = expected.intersection(&found).count();
    let missed: Vec<&Row> = expected.difference(&found).collect();
    let extra: Vec<&Row> = found.difference(&expected).collect();
    let precision = tp as f64 / found.len().max(1) as f64;
    let recall = tp as f64 / expected.len().max(1) as f64;
    println!(
        "secrets eval: {} expected, {} found, {tp} true positives; precision {:.3}, recall {:.3}",
        expected.len(),
        found.len(),
        precision,
        recall
    );
    for r in &missed {
        println!("missed: {}\t{}\t{}\t{}\t{}", r.0, r.1, r.2, r.3, r.4);
    }
    for r in &extra {
        println!("extra:  {}\t{}\t{}\t{}\t{}", r.0, r.1, r.2, r.3, r.4);
    }
    assert!(found.iter().all(|r| !r.0.starts_with("negatives/")), "a hit in negatives/");
    assert!(missed.is_empty() && extra.is_empty(), "hits differ from expected.tsv (see output)");
}

#[test]
fn every_detector_has_a_positive() {
    let covered: BTreeSet<String> = manifest().into_iter().map(|r| r.2).collect();
    for id in Scanner::detector_ids() {
        assert!(covered.contains(*id), "no positive fixture for {id}");
    }
    assert!(covered.iter().all(|id| Scanner::detector_ids().contains(&id.as_str())), "unknown ID in manifest");
}
