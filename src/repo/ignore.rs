//! Ignore decisions with git's semantics, from files read safely: nested
//! `.gitignore` files and `.git/info/exclude` (git), and `.envlintignore` files
//! (envlint's own, same syntax). The user's global excludes file is not read, so
//! that a scan gives the same result on every machine.
//!
//! Precedence, as in git: for a path, the deepest ignore file with a matching
//! pattern decides, and within one file the last matching pattern; a path inside
//! an ignored directory is ignored whatever its own patterns say. `.envlintignore`
//! files decide first; what they do not mention, git's files decide.
//!
//! Matchers are loaded lazily, once per directory, and only from regular files of
//! bounded size: a FIFO or a device named `.gitignore` is never opened.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// Ignore files larger than this are not read (a warning says so).
const MAX_IGNORE_FILE: u64 = 1024 * 1024;
/// Longer lines are skipped: no real pattern is this long, and globset's
/// compiler is not made for hostile input.
const MAX_PATTERN_LEN: usize = 512;

/// Which set of ignore files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Git,
    Envlint,
}

/// What the ignore files say about a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No pattern matches.
    None,
    /// Ignored: by the pattern (as written) in the file (relative path), or by
    /// an ignored parent directory.
    Ignored { pattern: String, file: String },
    /// Re-included on purpose by a `!` pattern.
    Whitelisted { pattern: String, file: String },
}

impl Decision {
    pub fn is_ignored(&self) -> bool {
        matches!(self, Self::Ignored { .. })
    }
}

/// The matchers of one directory.
#[derive(Default)]
struct Dir {
    git: Option<Gitignore>,
    envlint: Option<Gitignore>,
}

/// Every ignore file of a tree, loaded on first use.
pub struct IgnoreTree {
    root: PathBuf,
    /// `.git/info/exclude`: below every `.gitignore`.
    exclude: Option<Gitignore>,
    dirs: Mutex<HashMap<String, Arc<Dir>>>,
    /// Per directory, the directories whose ignore files apply in it (itself and
    /// its parents that have any), deepest first: built once per directory, so
    /// a decision does not look up every parent again.
    chains: Mutex<HashMap<String, Chain>>,
    warnings: Mutex<Vec<String>>,
}

type Chain = Arc<[Arc<Dir>]>;

impl IgnoreTree {
    /// The ignore files under `root` (the repository root, or the scan root
    /// when there is no repository).
    pub fn new(root: &Path) -> Self {
        let mut warnings = Vec::new();
        let exclude = load(root, &root.join(".git/info/exclude"), ".git/info/exclude", &mut warnings);
        Self {
            root: root.to_path_buf(),
            exclude,
            dirs: Mutex::new(HashMap::new()),
            chains: Mutex::new(HashMap::new()),
            warnings: Mutex::new(warnings),
        }
    }

    /// Problems met while reading ignore files (too large, unreadable, bad patterns).
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn dir(&self, rel_dir: &str) -> Arc<Dir> {
        if let Some(d) = self.dirs.lock().unwrap_or_else(PoisonError::into_inner).get(rel_dir) {
            return d.clone();
        }
        let abs = if rel_dir.is_empty() { self.root.clone() } else { self.root.join(rel_dir) };
        let join = |name: &str| if rel_dir.is_empty() { name.to_owned() } else { format!("{rel_dir}/{name}") };
        let mut warnings = Vec::new();
        let dir = Arc::new(Dir {
            git: load(&abs, &abs.join(".gitignore"), &join(".gitignore"), &mut warnings),
            envlint: load(&abs, &abs.join(".envlintignore"), &join(".envlintignore"), &mut warnings),
        });
        if !warnings.is_empty() {
            self.warnings.lock().unwrap_or_else(PoisonError::into_inner).extend(warnings);
        }
        self.dirs.lock().unwrap_or_else(PoisonError::into_inner).entry(rel_dir.to_owned()).or_insert(dir).clone()
    }

    /// The directories with ignore files that apply in `rel_dir`, deepest first.
    fn chain(&self, rel_dir: &str) -> Chain {
        let chains = || self.chains.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = chains().get(rel_dir) {
            return c.clone();
        }
        // the directories up to the deepest one already known, built top down
        let mut missing = vec![rel_dir];
        let mut base: Chain = Arc::from(Vec::new());
        let mut d = rel_dir;
        while !d.is_empty() {
            d = parent(d);
            if let Some(c) = chains().get(d) {
                base = c.clone();
                break;
            }
            missing.push(d);
        }
        for dir in missing.into_iter().rev() {
            let here = self.dir(dir);
            let mut list = Vec::with_capacity(base.len() + 1);
            if here.git.is_some() || here.envlint.is_some() {
                list.push(here);
            }
            list.extend(base.iter().cloned());
            base = chains().entry(dir.to_owned()).or_insert_with(|| list.into()).clone();
        }
        base
    }

    /// The decision for `rel` (relative to the root, `/`-separated) given that no
    /// parent directory is ignored: the deepest matching file decides.
    pub fn decide_here(&self, source: Source, rel: &str, is_dir: bool) -> Decision {
        self.decide_in(&self.chain(parent(rel)), source, &self.root.join(rel), is_dir)
    }

    fn decide_in(&self, chain: &[Arc<Dir>], source: Source, abs: &Path, is_dir: bool) -> Decision {
        for d in chain {
            let m = match source {
                Source::Git => d.git.as_ref(),
                Source::Envlint => d.envlint.as_ref(),
            };
            if let Some(m) = m {
                let decision = to_decision(m.matched(abs, is_dir));
                if decision != Decision::None {
                    return decision;
                }
            }
        }
        match (source, &self.exclude) {
            (Source::Git, Some(m)) => to_decision(m.matched(abs, is_dir)),
            _ => Decision::None,
        }
    }

    /// The full decision for any path, existing or not: an ignored parent
    /// directory ignores everything below it.
    pub fn decide(&self, source: Source, rel: &str, is_dir: bool) -> Decision {
        let mut end = 0;
        while let Some(i) = rel[end..].find('/') {
            let dir = &rel[..end + i];
            if let d @ Decision::Ignored { .. } = self.decide_here(source, dir, true) {
                return d;
            }
            end += i + 1;
        }
        self.decide_here(source, rel, is_dir)
    }

    /// Whether git would ignore `rel` (`.gitignore` files and `.git/info/exclude`).
    pub fn git_ignored(&self, rel: &str, is_dir: bool) -> bool {
        self.decide(Source::Git, rel, is_dir).is_ignored()
    }

    /// Whether a walked entry is skipped: `.envlintignore` first, then git. Its
    /// parent directories were walked, so none of them is ignored.
    pub fn skip_entry(&self, rel: &str, is_dir: bool) -> bool {
        let chain = self.chain(parent(rel));
        let abs = self.root.join(rel);
        match self.decide_in(&chain, Source::Envlint, &abs, is_dir) {
            Decision::Ignored { .. } => true,
            Decision::Whitelisted { .. } => false,
            Decision::None => self.decide_in(&chain, Source::Git, &abs, is_dir).is_ignored(),
        }
    }

    /// Whether `.envlintignore` files exclude `rel` (named and tracked files obey them too).
    pub fn envlint_ignored(&self, rel: &str) -> bool {
        self.decide(Source::Envlint, rel, false).is_ignored()
    }
}

fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

#[allow(clippy::needless_pass_by_value)] // `Match` is a small copyable enum of references
fn to_decision(m: Match<&ignore::gitignore::Glob>) -> Decision {
    let describe = |g: &ignore::gitignore::Glob| {
        let file = g.from().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        (g.original().to_owned(), file)
    };
    match m {
        Match::None => Decision::None,
        Match::Ignore(g) => {
            let (pattern, file) = describe(g);
            Decision::Ignored { pattern, file }
        }
        Match::Whitelist(g) => {
            let (pattern, file) = describe(g);
            Decision::Whitelisted { pattern, file }
        }
    }
}

/// Reads one ignore file if it is a regular file of bounded size.
fn load(dir: &Path, path: &Path, shown: &str, warnings: &mut Vec<String>) -> Option<Gitignore> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        if !meta.is_dir() && !meta.file_type().is_symlink() {
            warnings.push(format!("{shown} is not a regular file; not read"));
        }
        return None;
    }
    if meta.len() > MAX_IGNORE_FILE {
        warnings.push(format!("{shown} is over {MAX_IGNORE_FILE} bytes; not read"));
        return None;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            warnings.push(format!("cannot read {shown}: {e}"));
            return None;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut builder = GitignoreBuilder::new(dir);
    let from = PathBuf::from(shown);
    for line in text.lines() {
        if line.len() > MAX_PATTERN_LEN {
            warnings.push(format!("{shown}: a pattern of {} bytes was skipped", line.len()));
            continue;
        }
        // A line git cannot use either: skipped, as git skips it.
        let _ = builder.add_line(Some(from.clone()), line);
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build())) {
        Ok(Ok(g)) if !g.is_empty() => Some(g),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            warnings.push(format!("{shown}: {e}"));
            None
        }
        Err(_) => {
            warnings.push(format!("{shown}: its patterns could not be compiled; not used"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, IgnoreTree) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let t = IgnoreTree::new(dir.path());
        (dir, t)
    }

    #[test]
    fn git_semantics() {
        let (_d, t) = tree(&[
            (".gitignore", ".env*\n!.env.example\nbuild/\n*.log\n"),
            ("svc/.gitignore", "!debug.log\n.env.local\n"),
            (".git/info/exclude", "secret.txt\n"),
            ("docs/.gitignore", "!/build/\n"),
        ]);
        // (path, is_dir, ignored)
        let cases: &[(&str, bool, bool)] = &[
            (".env", false, true),
            (".env.prod", false, true),
            (".env.example", false, false),
            ("svc/.env.example", false, false),
            ("svc/.env.local", false, true),
            ("app.log", false, true),
            ("svc/debug.log", false, false),
            ("svc/other.log", false, true),
            ("build", true, true),
            ("build/out.txt", false, true),
            ("build/.env.example", false, true), // a parent directory is ignored
            ("svc/build/x", false, true),
            ("secret.txt", false, true),
            ("src/main.rs", false, false),
            ("docs/build/x", false, false), // re-included by the deeper file
        ];
        for &(path, is_dir, want) in cases {
            assert_eq!(t.git_ignored(path, is_dir), want, "{path}");
        }
        assert!(matches!(t.decide(Source::Git, ".env.example", false), Decision::Whitelisted { .. }));
        match t.decide(Source::Git, "svc/.env.local", false) {
            Decision::Ignored { pattern, file } => {
                assert_eq!((pattern.as_str(), file.as_str()), (".env.local", "svc/.gitignore"));
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn envlintignore_decides_first() {
        let (_d, t) = tree(&[(".gitignore", "*.env\n"), (".envlintignore", "vendor/\n!keep.env\n")]);
        assert!(t.skip_entry("vendor", true));
        assert!(t.skip_entry("a.env", false));
        assert!(!t.skip_entry("keep.env", false), "re-included by .envlintignore");
        assert!(t.envlint_ignored("vendor/x/.env"));
        assert!(!t.envlint_ignored("a.env"));
    }

    #[test]
    fn hostile_ignore_files_are_not_used() {
        let long = format!("{}\n*.tmp\n", "{a,".repeat(400));
        let (_d, t) = tree(&[(".gitignore", &long)]);
        assert!(t.git_ignored("x.tmp", false), "the ordinary pattern still works");
        assert!(t.take_warnings().iter().any(|w| w.contains("skipped")));
        #[cfg(unix)]
        {
            let dir = tempfile::tempdir().expect("tempdir");
            let fifo = dir.path().join(".gitignore");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
            if made {
                let t = IgnoreTree::new(dir.path());
                assert!(!t.git_ignored("a", false), "a FIFO is never opened");
                assert!(t.take_warnings().iter().any(|w| w.contains("not a regular file")));
            }
        }
    }
}
