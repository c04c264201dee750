//! Finding the files to scan: a parallel walk honouring `.gitignore`,
//! `.git/info/exclude` and `.envlintignore`, or explicit file lists; and the
//! kind of each file. Depends on nothing above it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// What a file is, decided from its path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Terraform,
    Tfvars,
    /// Terragrunt and other `.hcl`
    Hcl,
    Compose,
    Dotenv,
    GithubWorkflow,
    GitlabCi,
    Gitignore,
    /// Any other text file (for the secret scanner).
    Other,
}

impl FileKind {
    pub const ALL: [FileKind; 9] = [
        Self::Terraform,
        Self::Tfvars,
        Self::Hcl,
        Self::Compose,
        Self::Dotenv,
        Self::GithubWorkflow,
        Self::GitlabCi,
        Self::Gitignore,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terraform => "terraform",
            Self::Tfvars => "tfvars",
            Self::Hcl => "hcl",
            Self::Compose => "compose",
            Self::Dotenv => "dotenv",
            Self::GithubWorkflow => "github-workflow",
            Self::GitlabCi => "gitlab-ci",
            Self::Gitignore => "gitignore",
            Self::Other => "other",
        }
    }

    /// Kinds that envlint parses into a document (a parse failure is a finding).
    pub fn is_structured(self) -> bool {
        !matches!(self, Self::Gitignore | Self::Other)
    }

    /// Classifies a path relative to the scan or repository root, with `/` separators.
    pub fn classify(rel_path: &str) -> FileKind {
        let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
        let lower = name.to_ascii_lowercase();
        let dir = &rel_path[..rel_path.len() - name.len()];
        let is_yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
        if name == ".gitignore" {
            Self::Gitignore
        } else if lower == ".env" || lower.starts_with(".env.") || (lower.ends_with(".env") && lower.len() > 4) {
            Self::Dotenv
        } else if is_yaml && (dir.ends_with(".github/workflows/") || dir == ".github/workflows/") {
            Self::GithubWorkflow
        } else if lower == ".gitlab-ci.yml"
            || lower == ".gitlab-ci.yaml"
            || (is_yaml && (format!("/{dir}").contains("/.gitlab-ci/") || format!("/{dir}").contains("/.gitlab/ci/")))
        {
            Self::GitlabCi
        } else if is_yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose")) {
            Self::Compose
        } else if lower.ends_with(".tf") {
            Self::Terraform
        } else if lower.ends_with(".tfvars") || lower.ends_with(".tfvars.json") {
            Self::Tfvars
        } else if lower.ends_with(".hcl") {
            Self::Hcl
        } else {
            Self::Other
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file to scan.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub abs: PathBuf,
    /// Relative to the scan root, `/`-separated; the path shown in output.
    pub rel: String,
}

/// What the walk produced.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Sorted by `rel`.
    pub files: Vec<Candidate>,
    /// Problems that did not stop the walk (unreadable directories, broken links).
    pub warnings: Vec<String>,
}

/// Walks `paths` (directories are walked, files taken as given) and returns
/// every candidate file, sorted. `root` is what displayed paths are relative to.
pub fn discover(paths: &[PathBuf], root: &Path, threads: usize) -> Discovery {
    let found = Mutex::new(Discovery::default());
    for path in paths {
        if path.is_file() {
            push(&found, path.clone(), root);
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .parents(true)
            .add_custom_ignore_filename(".envlintignore")
            .follow_links(false)
            .threads(threads)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => push(&found, e.into_path(), root),
                    Ok(_) => {}
                    Err(err) => lock(&found).warnings.push(err.to_string()),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut d = found.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    d.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    d.files.dedup_by(|a, b| a.rel == b.rel);
    d.warnings.sort();
    d
}

fn lock(m: &Mutex<Discovery>) -> std::sync::MutexGuard<'_, Discovery> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn push(found: &Mutex<Discovery>, abs: PathBuf, root: &Path) {
    let rel = rel_path(&abs, root);
    lock(found).files.push(Candidate { abs, rel });
}

/// `path` relative to `root` with `/` separators; falls back to the path as given.
pub fn rel_path(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map_or_else(|| s.clone(), str::to_owned)
}

/// The repository root: the nearest ancestor (or self) holding `.git`.
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// Whether the first 8 KiB hold a NUL byte.
pub fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let cases: &[(&str, FileKind)] = &[
            ("main.tf", FileKind::Terraform),
            ("envs/prod/main.tf", FileKind::Terraform),
            ("prod.tfvars", FileKind::Tfvars),
            ("prod.tfvars.json", FileKind::Tfvars),
            ("live/prod/terragrunt.hcl", FileKind::Hcl),
            ("docker-compose.yml", FileKind::Compose),
            ("docker-compose.prod.yml", FileKind::Compose),
            ("compose.yaml", FileKind::Compose),
            ("deploy/compose.staging.yaml", FileKind::Compose),
            ("docker-compose.override.yaml", FileKind::Compose),
            ("composer.json", FileKind::Other),
            (".env", FileKind::Dotenv),
            ("app/.env.production", FileKind::Dotenv),
            (".env.example", FileKind::Dotenv),
            ("prod.env", FileKind::Dotenv),
            (".envrc", FileKind::Other),
            (".github/workflows/deploy.yml", FileKind::GithubWorkflow),
            ("sub/.github/workflows/ci.yaml", FileKind::GithubWorkflow),
            (".github/workflows/nested/x.yml", FileKind::Other),
            (".github/dependabot.yml", FileKind::Other),
            (".gitlab-ci.yml", FileKind::GitlabCi),
            (".gitlab/ci/deploy.yml", FileKind::GitlabCi),
            (".gitlab-ci/jobs/test.yaml", FileKind::GitlabCi),
            (".gitignore", FileKind::Gitignore),
            ("src/app.py", FileKind::Other),
            ("README.md", FileKind::Other),
        ];
        for &(path, kind) in cases {
            assert_eq!(FileKind::classify(path), kind, "{path}");
        }
    }

    #[test]
    fn binary_sniff() {
        assert!(looks_binary(b"PK\x03\x04\0\0"));
        assert!(!looks_binary("KEY=välue\n".as_bytes()));
        let mut late = vec![b'a'; 9000];
        late.push(0);
        assert!(!looks_binary(&late), "only the first 8 KiB are sniffed");
    }

    #[test]
    fn rel_paths() {
        assert_eq!(rel_path(Path::new("/r/a/b.tf"), Path::new("/r")), "a/b.tf");
        assert_eq!(rel_path(Path::new("./a/.env"), Path::new("/elsewhere")), "a/.env");
    }
}
