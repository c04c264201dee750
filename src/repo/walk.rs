//! The parallel walk of a tree: regular files only (symlinks are not followed,
//! FIFOs and devices are never opened), ignore decisions from [`IgnoreTree`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::ignore::IgnoreTree;
use super::rel_path;

/// A file found by the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub abs: PathBuf,
    /// Relative to the walk root, `/`-separated, invalid UTF-8 escaped.
    pub rel: String,
}

/// Walks `root`, skipping `.git` folders and whatever `tree` ignores. Returns the
/// files sorted by path, and warnings (unreadable folders, broken entries) with
/// paths relative to the root.
pub fn walk(root: &Path, threads: usize, tree: &Arc<IgnoreTree>) -> (Vec<Found>, Vec<String>) {
    let found: Mutex<(Vec<Found>, Vec<String>)> = Mutex::new((Vec::new(), Vec::new()));
    let filter_tree = tree.clone();
    let filter_root = root.to_path_buf();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(move |e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_name() == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !filter_tree.skip_entry(&rel_path(e.path(), &filter_root), is_dir)
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|entry| {
            let lock = || found.lock().unwrap_or_else(PoisonError::into_inner);
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    let rel = rel_path(e.path(), root);
                    lock().0.push(Found { abs: e.into_path(), rel });
                }
                Ok(_) => {}
                Err(err) => lock().1.push(describe(&err, root)),
            }
            ignore::WalkState::Continue
        })
    });
    let (mut files, mut warnings) = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    files.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    warnings.sort();
    (files, warnings)
}

/// A walk error with the path relative to the root.
fn describe(err: &ignore::Error, root: &Path) -> String {
    match err {
        ignore::Error::WithPath { path, err } => format!("cannot read {}: {err}", rel_path(path, root)),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => describe(err, root),
        ignore::Error::Loop { child, .. } => format!("symbolic link loop at {}", rel_path(child, root)),
        ignore::Error::Io(e) => format!("cannot read a folder: {e}"),
        other => other.to_string(),
    }
}
