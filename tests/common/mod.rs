//! Helpers shared by the integration tests: the real binary, fixture copies.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root (where Cargo.toml is).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `envlint` binary with a clean, colourless environment.
pub fn envlint() -> Command {
    let mut cmd = Command::cargo_bin("envlint").expect("binary");
    cmd.env("NO_COLOR", "1").env_remove("CI").current_dir(repo());
    cmd
}

/// A fresh git repository in the system's temporary folder: envlint scans it as
/// a repository of its own (paths relative to it, config lookup stopping at it),
/// with every file untracked.
pub fn tempdir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("envlint-test-").tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    dir
}

/// A fresh folder that is not a git repository (nor inside one).
pub fn plain_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("envlint-test-").tempdir().expect("tempdir")
}

/// Writes `contents` to `rel` under `dir`, creating the folders it needs.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

/// Runs git in `dir` with a fixed identity; panics if it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=envlint", "-c", "user.email=envlint@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A fixture's `dot.gitignore` is copied as `.gitignore`: a real `.gitignore`
/// in the fixtures would hide the fixture's own files from envlint's repository.
const DOT_GITIGNORE: &str = "dot.gitignore";

/// Copies a file or a directory tree into `dest`.
pub fn copy_into(src: &Path, dest: &Path) {
    if src.is_file() {
        std::fs::copy(src, dest.join(src.file_name().expect("name"))).expect("copy");
        return;
    }
    for entry in std::fs::read_dir(src).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let to = if name == DOT_GITIGNORE { dest.join(".gitignore") } else { dest.join(&name) };
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
            copy_into(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
}

/// Stdout, stderr and exit code in one string, for snapshots.
pub fn transcript(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Writes a root `.gitignore` that ignores dotenv files but re-includes these
/// on purpose: a test repository whose dotenv files the git rules accept.
pub fn keep_dotenv_files(dir: &Path, files: &[&str]) {
    let mut text = String::from(".env\n.env.*\n*.env\n");
    for f in files {
        text.push('!');
        text.push_str(f);
        text.push('\n');
    }
    std::fs::write(dir.join(".gitignore"), text).expect("write .gitignore");
}
