//! The kind of each file, decided from its path. Depends on nothing above it.

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
}
