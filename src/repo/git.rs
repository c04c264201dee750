//! Git facts from the git command line: the tracked set. One `git ls-files`
//! call; no git library (DESIGN.md: `gix` costs ~90 crates).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// What git says about the repository, or why it could not say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tracked {
    /// Paths in the index, relative to the repository root (display form).
    Known(BTreeSet<String>),
    /// Git could not answer: no repository, git missing, or git failed (the reason).
    Unknown(String),
}

impl Tracked {
    pub fn contains(&self, rel: &str) -> Option<bool> {
        match self {
            Self::Known(set) => Some(set.contains(rel)),
            Self::Unknown(_) => None,
        }
    }
}

/// The tracked files of the repository at `root` (which holds `.git`).
pub fn tracked(root: &Path) -> Tracked {
    if !root.join(".git").exists() {
        return Tracked::Unknown("not a git repository".into());
    }
    let mut safe = std::ffi::OsString::from("safe.directory=");
    safe.push(root.as_os_str());
    let out = Command::new("git")
        .arg("-c")
        .arg(safe)
        .args(["-c", "core.fsmonitor=false", "-c", "core.quotepath=false", "ls-files", "-z"])
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    match out {
        Err(e) => Tracked::Unknown(format!("cannot run git: {e}")),
        Ok(o) if !o.status.success() => {
            let msg = String::from_utf8_lossy(&o.stderr);
            Tracked::Unknown(format!("git ls-files failed: {}", msg.lines().next().unwrap_or("").trim()))
        }
        Ok(o) => {
            Tracked::Known(o.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()).map(super::display_bytes).collect())
        }
    }
}
