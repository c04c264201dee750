//! The repository a scan runs in: its root, the files it holds (walked with
//! git's ignore semantics, plus tracked files git would ignore), and git facts.
//! Depends on nothing above it.

pub mod git;
pub mod ignore;
pub mod walk;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use self::git::Tracked;
pub use self::ignore::IgnoreTree;

/// The repository root: the nearest ancestor (or self) holding `.git` (a folder,
/// or a file for worktrees and submodules).
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// `path` relative to `root`, `/`-separated, in display form (see
/// [`display_bytes`]); the path as given when it is not below `root`.
pub fn rel_path(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    // What the walk gives (several times per file): UTF-8 names joined by single
    // slashes, which the component loop below would give back unchanged.
    #[cfg(unix)]
    if let Some(s) = rel.to_str()
        && s.split('/').all(|c| !c.is_empty() && c != ".")
    {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in rel.components() {
        match c {
            std::path::Component::CurDir => continue,
            std::path::Component::RootDir => {}
            c => out.push_str(&display_os(c.as_os_str())),
        }
        if !out.ends_with('/') {
            out.push('/');
        }
    }
    out.pop();
    out
}

/// Resolves `.` and `..` in a `/`-separated relative path; `None` if it leaves the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// A file name for display: UTF-8 as is, each byte of invalid UTF-8 as `\xNN`, so
/// two different names never display the same.
pub fn display_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

#[cfg(unix)]
fn display_os(s: &std::ffi::OsStr) -> String {
    use std::os::unix::ffi::OsStrExt;
    display_bytes(s.as_bytes())
}

#[cfg(not(unix))]
fn display_os(s: &std::ffi::OsStr) -> String {
    s.to_string_lossy().replace('\\', "/")
}

/// A file of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    pub abs: PathBuf,
    /// Relative to the root, display form.
    pub rel: String,
    /// In git's index.
    pub tracked: bool,
    /// Text read from standard input (`envlint scan - --stdin-filename PATH`),
    /// judged in place of what the disk holds at this path.
    pub content: Option<Arc<[u8]>>,
}

/// The files of a tree: what the walk finds, plus tracked files that git
/// ignores (a tracked file is scanned whatever `.gitignore` says), minus what
/// `.envlintignore` excludes. Sorted by path.
pub fn files(root: &Path, threads: usize, tree: &Arc<IgnoreTree>, tracked: &Tracked) -> (Vec<RepoFile>, Vec<String>) {
    let (found, mut warnings) = walk::walk(root, threads, tree);
    let mut out: Vec<RepoFile> = found
        .into_iter()
        .map(|f| {
            let tracked = tracked.contains(&f.rel).unwrap_or(false);
            RepoFile { abs: f.abs, rel: f.rel, tracked, content: None }
        })
        .collect();
    if let Tracked::Known(set) = tracked {
        let seen: std::collections::BTreeSet<&str> = out.iter().map(|f| f.rel.as_str()).collect();
        let extra: Vec<RepoFile> = set
            .iter()
            .filter(|rel| !seen.contains(rel.as_str()) && !rel.split('/').any(|c| c == ".git"))
            .filter(|rel| !tree.envlint_ignored(rel))
            .filter_map(|rel| {
                let abs = root.join(rel);
                // Tracked but deleted, a symlink or a submodule: nothing to read.
                let meta = std::fs::symlink_metadata(&abs).ok()?;
                meta.is_file().then(|| RepoFile { abs, rel: rel.clone(), tracked: true, content: None })
            })
            .collect();
        out.extend(extra);
        out.sort_by(|a, b| a.rel.cmp(&b.rel).then_with(|| a.abs.cmp(&b.abs)));
    }
    warnings.extend(tree.take_warnings());
    warnings.sort();
    warnings.dedup();
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_paths() {
        assert_eq!(rel_path(Path::new("/r/a/b.tf"), Path::new("/r")), "a/b.tf");
        assert_eq!(rel_path(Path::new("./a/.env"), Path::new("/elsewhere")), "a/.env");
        assert_eq!(rel_path(Path::new("/r"), Path::new("/r")), "");
        assert_eq!(rel_path(Path::new("/r/a//b/./c/"), Path::new("/r")), "a/b/c");
        assert_eq!(rel_path(Path::new("/r/../x"), Path::new("/r")), "../x");
        assert_eq!(rel_path(Path::new("/r/a/../b"), Path::new("/r")), "a/../b");
        assert_eq!(rel_path(Path::new("/elsewhere/a"), Path::new("/r")), "/elsewhere/a");
    }

    #[test]
    fn invalid_utf8_names_stay_distinct() {
        assert_eq!(display_bytes(b"caf\xe9.env"), "caf\\xE9.env");
        assert_ne!(display_bytes(b"a\xff"), display_bytes(b"a\xfe"));
        assert_eq!(display_bytes("naïve".as_bytes()), "naïve");
    }

    #[test]
    fn normalize_paths() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a/./b/.env", Some("a/b/.env")),
            ("deploy/../services/.env", Some("services/.env")),
            ("./.env", Some(".env")),
            ("a//b", Some("a/b")),
            ("../outside/.env", None),
        ];
        for &(input, want) in cases {
            assert_eq!(normalize(input).as_deref(), want, "{input}");
        }
    }
}
