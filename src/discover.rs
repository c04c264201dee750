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

    /// The kind a file's name gives it, for a path relative to the repository
    /// (or scan) root with `/` separators. See [`KindRules::classify`] for the
    /// config's `[files]` globs and [`classify_by_name`] for the reason.
    pub fn classify(rel_path: &str) -> FileKind {
        classify_by_name(rel_path).kind
    }

    /// The kind named by a `[files]` key or a policy (`github-workflow`).
    pub fn parse(name: &str) -> Option<FileKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a file has its kind (`envlint envs` shows it).
///
/// Per file, config globs win over naming. A cross-file pass (files pulled in by
/// a GitLab `include: local:` are `gitlab-ci`; files compose loads through
/// `env_file:` are `dotenv`) records its reason with [`KindSource::IncludedBy`]
/// or [`KindSource::EnvFileOf`] through [`Classified::assign_from`], which
/// only replaces a kind that nothing named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum KindSource {
    /// a glob of the config's `[files]` table
    Config { glob: String },
    /// the file name, exactly or by a tool's naming convention: `.gitlab-ci.yml`,
    /// `*.gitlab-ci.yml`, `.env.*`, `docker-compose*.yml`
    Name { pattern: &'static str },
    /// the folder a tool reads: `.github/workflows/*.yml`, `.gitlab/ci/**`
    Folder { pattern: &'static str },
    /// the extension: `.tf`, `.tfvars`, `.hcl`
    Extension { ext: &'static str },
    /// pulled in by another file: a GitLab `include: local:`, a compose `include:`
    /// or `extends: file:` (cross-file)
    IncludedBy { file: String },
    /// loaded by a compose file through `env_file:` (cross-file)
    EnvFileOf { compose: String },
    /// a GitHub workflow template: a `.properties.json` metadata file describes
    /// it (cross-file, from paths only: [`workflow_templates`])
    TemplateMetadata { file: String },
    /// no naming rule matched: any other text file
    Default,
}

impl std::fmt::Display for KindSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config { glob } => write!(f, "config [files] glob {glob}"),
            Self::Name { pattern } => write!(f, "name {pattern}"),
            Self::Folder { pattern } => write!(f, "folder {pattern}"),
            Self::Extension { ext } => write!(f, "extension {ext}"),
            Self::IncludedBy { file } => write!(f, "included by {file}"),
            Self::EnvFileOf { compose } => write!(f, "env_file of {compose}"),
            Self::TemplateMetadata { file } => write!(f, "workflow template described by {file}"),
            Self::Default => f.write_str("no naming rule"),
        }
    }
}

/// A file's kind and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classified {
    pub kind: FileKind,
    pub source: KindSource,
}

impl Classified {
    fn new(kind: FileKind, source: KindSource) -> Self {
        Self { kind, source }
    }

    /// Whether the kind came from the file's own path (config or naming), which
    /// a cross-file pass must not change.
    pub fn is_named(&self) -> bool {
        !matches!(self.source, KindSource::Default)
    }

    /// For a cross-file pass: gives the file `kind` for `source`
    /// ([`KindSource::IncludedBy`], [`KindSource::EnvFileOf`]) unless its own path
    /// already named a kind (config globs and naming win) or another pass already
    /// gave it one (the first wins). Returns whether the kind was taken.
    pub fn assign_from(&mut self, kind: FileKind, source: KindSource) -> bool {
        if self.is_named() {
            return false;
        }
        *self = Self::new(kind, source);
        true
    }
}

/// The config's `[files]` globs, in file order, in front of the naming rules.
#[derive(Clone, Debug, Default)]
pub struct KindRules {
    /// (glob as written, matcher, kind)
    globs: Vec<(String, globset::GlobMatcher, FileKind)>,
}

impl KindRules {
    /// Adds a glob (relative to the config directory); the first match wins.
    pub fn push(&mut self, glob: String, matcher: globset::GlobMatcher, kind: FileKind) {
        self.globs.push((glob, matcher, kind));
    }

    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }

    /// The kind of a file: the first `[files]` glob matching its path relative
    /// to the config directory, else its name (`repo_path`, relative to the
    /// repository root).
    pub fn classify(&self, repo_path: &str, config_path: &str) -> Classified {
        match self.globs.iter().find(|(_, m, _)| m.is_match(config_path)) {
            Some((glob, _, kind)) => Classified::new(*kind, KindSource::Config { glob: glob.clone() }),
            None => classify_by_name(repo_path),
        }
    }
}

/// GitHub workflow templates among `paths` (relative, `/`-separated): a YAML
/// file `NAME.yml` with a metadata file `NAME.properties.json` beside it (an
/// organisation's `workflow-templates/`) or in `properties/` beside it
/// (actions/starter-workflows). A cross-file rule on paths only: returns each
/// template's path and its kind, for [`Classified::assign_from`].
pub fn workflow_templates<'a>(paths: &[&'a str]) -> Vec<(&'a str, Classified)> {
    let known: std::collections::BTreeSet<&str> = paths.iter().copied().collect();
    paths
        .iter()
        .filter_map(|path| {
            let (dir, name) = path.rsplit_once('/').map_or(("", *path), |(d, n)| (d, n));
            let stem = name.strip_suffix(".yml").or_else(|| name.strip_suffix(".yaml"))?;
            let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
            [format!("{prefix}{stem}.properties.json"), format!("{prefix}properties/{stem}.properties.json")]
                .into_iter()
                .find(|meta| known.contains(meta.as_str()))
                .map(|file| (*path, Classified::new(FileKind::GithubWorkflow, KindSource::TemplateMetadata { file })))
        })
        .collect()
}

/// Extensions that make a `.env.*` / `*.env.*` name a file of another format
/// (`.env.json`, `env.d.ts` style modules, `.env.sh` scripts).
const NOT_DOTENV_EXTENSIONS: [&str; 26] = [
    "json", "js", "cjs", "mjs", "ts", "cts", "mts", "jsx", "tsx", "yml", "yaml", "toml", "xml", "ini", "py", "rb",
    "php", "go", "java", "kt", "rs", "md", "html", "sh", "bash", "ps1",
];

/// The kind a file's path gives it, and why. The first rule that matches wins:
/// `.gitignore`; GitLab CI (`.gitlab-ci.yml`, `*.gitlab-ci.yml`, `.gitlab-ci-*.yml`
/// but not gitlab-ci-local's `.gitlab-ci-local*.yml`, `.gitlab/ci/**`,
/// `.gitlab-ci/**`); GitHub workflows (`.github/workflows/*.yml`, an
/// organisation's `workflow-templates/*.yml`); dotenv (`.env`, `.env.*`,
/// `.env-*`, `*.env`, `*.env.*`, unless the last extension is another format's);
/// compose (a YAML name with the word `compose`: `docker-compose*.yml`,
/// `compose*.yaml`, `prod.compose.yml`); then extensions (`.tf`, `.tofu`,
/// `.tfvars`, `.tfvars.json`, `.hcl`).
pub fn classify_by_name(rel_path: &str) -> Classified {
    use KindSource::{Default, Extension, Folder, Name};
    let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
    let lower = name.to_ascii_lowercase();
    let dir = format!("/{}", &rel_path[..rel_path.len() - name.len()]);
    let yaml_stem = lower.strip_suffix(".yml").or_else(|| lower.strip_suffix(".yaml"));
    let last_ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    let (kind, source) = if name == ".gitignore" {
        (FileKind::Gitignore, Name { pattern: ".gitignore" })
    } else if let Some(stem) = yaml_stem
        && let Some(source) = gitlab_ci(stem, &dir)
    {
        (FileKind::GitlabCi, source)
    } else if yaml_stem.is_some() && dir.ends_with("/.github/workflows/") {
        (FileKind::GithubWorkflow, Folder { pattern: ".github/workflows/*.yml" })
    } else if yaml_stem.is_some() && dir.ends_with("/workflow-templates/") {
        (FileKind::GithubWorkflow, Folder { pattern: "workflow-templates/*.yml" })
    } else if let Some(pattern) = dotenv(&lower, last_ext) {
        (FileKind::Dotenv, Name { pattern })
    } else if let Some(stem) = yaml_stem
        && let Some(pattern) = compose(stem)
    {
        (FileKind::Compose, Name { pattern })
    } else if lower.ends_with(".tf") {
        (FileKind::Terraform, Extension { ext: ".tf" })
    } else if lower.ends_with(".tofu") {
        (FileKind::Terraform, Extension { ext: ".tofu" })
    } else if lower.ends_with(".tfvars") {
        (FileKind::Tfvars, Extension { ext: ".tfvars" })
    } else if lower.ends_with(".tfvars.json") {
        (FileKind::Tfvars, Extension { ext: ".tfvars.json" })
    } else if lower.ends_with(".hcl") {
        (FileKind::Hcl, Extension { ext: ".hcl" })
    } else {
        (FileKind::Other, Default)
    };
    Classified::new(kind, source)
}

/// GitLab's own naming for CI files, given a YAML name's lowercase stem and its folder (`/`-framed).
fn gitlab_ci(stem: &str, dir: &str) -> Option<KindSource> {
    if stem == ".gitlab-ci" {
        Some(KindSource::Name { pattern: ".gitlab-ci.yml" })
    } else if stem.ends_with(".gitlab-ci") {
        // GitLab's templates: `Auto-DevOps.gitlab-ci.yml`, `Jobs/Build.gitlab-ci.yml`
        Some(KindSource::Name { pattern: "*.gitlab-ci.yml" })
    } else if (stem.starts_with(".gitlab-ci-") || stem.starts_with(".gitlab-ci."))
        && !stem.starts_with(".gitlab-ci-local")
    {
        Some(KindSource::Name { pattern: ".gitlab-ci-*.yml" })
    } else if dir.contains("/.gitlab/ci/") {
        Some(KindSource::Folder { pattern: ".gitlab/ci/**" })
    } else if dir.contains("/.gitlab-ci/") {
        Some(KindSource::Folder { pattern: ".gitlab-ci/**" })
    } else {
        None
    }
}

/// Dotenv naming, given the lowercase name and its last extension.
fn dotenv(lower: &str, last_ext: &str) -> Option<&'static str> {
    if lower == ".env" {
        return Some(".env");
    }
    if NOT_DOTENV_EXTENSIONS.contains(&last_ext) {
        return None;
    }
    if lower.starts_with(".env.") {
        Some(".env.*")
    } else if (lower.starts_with(".env-") || lower.starts_with(".env_")) && !lower.starts_with(".env-cmdrc") {
        // `.env-example`, `.env_prod`; env-cmd's `.env-cmdrc` is JSON
        Some(".env-*")
    } else if lower.len() > 4 && lower.ends_with(".env") {
        Some("*.env")
    } else if lower.contains(".env.") {
        // `app.env.example`, `prod.env.local`
        Some("*.env.*")
    } else {
        None
    }
}

/// Compose naming, given a YAML name's lowercase stem: the word `compose`.
fn compose(stem: &str) -> Option<&'static str> {
    let mut words = stem.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    if stem.starts_with("docker-compose") {
        Some("docker-compose*.yml")
    } else if words.next() == Some("compose") {
        Some("compose*.yml")
    } else if words.any(|w| w == "compose") {
        Some("*compose*.yml")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        use FileKind::{Compose, Dotenv, GithubWorkflow, Gitignore, GitlabCi, Hcl, Other, Terraform, Tfvars};
        // (path, kind, reason)
        let cases: &[(&str, FileKind, &str)] = &[
            ("main.tf", Terraform, "extension .tf"),
            ("envs/prod/main.tf", Terraform, "extension .tf"),
            ("modules/vpc/main.tofu", Terraform, "extension .tofu"),
            ("prod.tfvars", Tfvars, "extension .tfvars"),
            ("default.auto.tfvars", Tfvars, "extension .tfvars"),
            ("prod.tfvars.json", Tfvars, "extension .tfvars.json"),
            ("live/prod/terragrunt.hcl", Hcl, "extension .hcl"),
            ("packer/variables.pkr.hcl", Hcl, "extension .hcl"),
            ("docker-compose.yml", Compose, "name docker-compose*.yml"),
            ("docker-compose.prod.yml", Compose, "name docker-compose*.yml"),
            ("docker-compose.override.yaml", Compose, "name docker-compose*.yml"),
            ("compose.yaml", Compose, "name compose*.yml"),
            ("deploy/compose.staging.yaml", Compose, "name compose*.yml"),
            ("compose-with-env-file.yaml", Compose, "name compose*.yml"),
            ("deploy/prod.compose.yml", Compose, "name *compose*.yml"),
            ("composer.json", Other, "no naming rule"),
            ("composer.yaml", Other, "no naming rule"),
            ("k8s/kompose.yml", Other, "no naming rule"),
            (".env", Dotenv, "name .env"),
            ("app/.env.production", Dotenv, "name .env.*"),
            (".env.example", Dotenv, "name .env.*"),
            (".env.local.example", Dotenv, "name .env.*"),
            (".env-sample", Dotenv, "name .env-*"),
            ("prod.env", Dotenv, "name *.env"),
            ("config/app.env.example", Dotenv, "name *.env.*"),
            (".envrc", Other, "no naming rule"),
            (".env-cmdrc", Other, "no naming rule"),
            (".env.json", Other, "no naming rule"),
            ("src/.env.ts", Other, "no naming rule"),
            ("app.env.js", Other, "no naming rule"),
            (".env.sh", Other, "no naming rule"),
            ("environment.ts", Other, "no naming rule"),
            (".github/workflows/deploy.yml", GithubWorkflow, "folder .github/workflows/*.yml"),
            ("sub/.github/workflows/ci.yaml", GithubWorkflow, "folder .github/workflows/*.yml"),
            ("workflow-templates/ci.yml", GithubWorkflow, "folder workflow-templates/*.yml"),
            ("workflow-templates/ci.properties.json", Other, "no naming rule"),
            (".github/workflows/nested/x.yml", Other, "no naming rule"),
            (".github/dependabot.yml", Other, "no naming rule"),
            (".github/workflows/docker-compose.yml", GithubWorkflow, "folder .github/workflows/*.yml"),
            (".gitlab-ci.yml", GitlabCi, "name .gitlab-ci.yml"),
            ("sub/.gitlab-ci.yaml", GitlabCi, "name .gitlab-ci.yml"),
            ("Auto-DevOps.gitlab-ci.yml", GitlabCi, "name *.gitlab-ci.yml"),
            ("Pages/Hugo.gitlab-ci.yml", GitlabCi, "name *.gitlab-ci.yml"),
            ("ci/deploy.gitlab-ci.yml", GitlabCi, "name *.gitlab-ci.yml"),
            (".gitlab-ci-deploy.yml", GitlabCi, "name .gitlab-ci-*.yml"),
            (".gitlab-ci.release.yml", GitlabCi, "name .gitlab-ci-*.yml"),
            (".gitlab-ci-local-variables.yml", Other, "no naming rule"),
            (".gitlab-ci-local.yml", Other, "no naming rule"),
            (".gitlab-ci-local/expanded-gitlab-ci.yml", Other, "no naming rule"),
            (".gitlab/ci/deploy.yml", GitlabCi, "folder .gitlab/ci/**"),
            (".gitlab/ci/jobs/_rules.gitlab-ci.yml", GitlabCi, "name *.gitlab-ci.yml"),
            (".gitlab/ci/nested/deep/x.yaml", GitlabCi, "folder .gitlab/ci/**"),
            (".gitlab/ci/docker-compose.yml", GitlabCi, "folder .gitlab/ci/**"),
            (".gitlab/agents/prod/config.yaml", Other, "no naming rule"),
            (".gitlab/issue_templates/bug.md", Other, "no naming rule"),
            (".gitlab-ci/jobs/test.yaml", GitlabCi, "folder .gitlab-ci/**"),
            (".gitignore", Gitignore, "name .gitignore"),
            ("sub/.gitignore", Gitignore, "name .gitignore"),
            (".dockerignore", Other, "no naming rule"),
            ("src/app.py", Other, "no naming rule"),
            ("README.md", Other, "no naming rule"),
        ];
        let mut failures = Vec::new();
        for &(path, kind, reason) in cases {
            let got = classify_by_name(path);
            if got.kind != kind || got.source.to_string() != reason {
                failures.push(format!("{path}: got {} ({}), want {kind} ({reason})", got.kind, got.source));
            }
            assert_eq!(FileKind::classify(path), got.kind);
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn config_globs_win_and_cross_file_kinds_fill_only_the_unnamed() {
        let glob = |g: &str| globset::Glob::new(g).expect("glob").compile_matcher();
        let mut rules = KindRules::default();
        rules.push("**/.envs/**/*".into(), glob("**/.envs/**/*"), FileKind::Dotenv);
        rules.push(".gitlab-ci-local-*.yml".into(), glob(".gitlab-ci-local-*.yml"), FileKind::Other);
        rules.push("ci/*.yml".into(), glob("ci/*.yml"), FileKind::GitlabCi);
        let cases: &[(&str, &str, FileKind, &str)] = &[
            // (repo path, config path, kind, reason)
            (
                ".envs/.production/.django",
                ".envs/.production/.django",
                FileKind::Dotenv,
                "config [files] glob **/.envs/**/*",
            ),
            (
                "app/.envs/.local/.postgres",
                "app/.envs/.local/.postgres",
                FileKind::Dotenv,
                "config [files] glob **/.envs/**/*",
            ),
            ("ci/build.yml", "ci/build.yml", FileKind::GitlabCi, "config [files] glob ci/*.yml"),
            // globs are relative to the config directory, names to the repository
            ("sub/ci/build.yml", "ci/build.yml", FileKind::GitlabCi, "config [files] glob ci/*.yml"),
            ("ci/build.yml", "sub/ci/build.yml", FileKind::Other, "no naming rule"),
            ("main.tf", "main.tf", FileKind::Terraform, "extension .tf"),
        ];
        for &(repo, config, kind, reason) in cases {
            let got = rules.classify(repo, config);
            assert_eq!((got.kind, got.source.to_string().as_str()), (kind, reason), "{repo}");
        }

        let mut unnamed = rules.classify("templates/build.yml", "templates/build.yml");
        assert!(!unnamed.is_named());
        assert!(unnamed.assign_from(FileKind::GitlabCi, KindSource::IncludedBy { file: ".gitlab-ci.yml".into() }));
        assert_eq!(unnamed.kind, FileKind::GitlabCi);
        assert_eq!(unnamed.source.to_string(), "included by .gitlab-ci.yml");
        assert!(!unnamed.assign_from(FileKind::Dotenv, KindSource::EnvFileOf { compose: "compose.yml".into() }));
        let mut env_file = classify_by_name("config/app.conf");
        assert!(env_file.assign_from(FileKind::Dotenv, KindSource::EnvFileOf { compose: "compose.yml".into() }));
        assert_eq!(env_file.source.to_string(), "env_file of compose.yml");
        let mut named = rules.classify("main.tf", "main.tf");
        assert!(!named.assign_from(FileKind::Dotenv, KindSource::EnvFileOf { compose: "compose.yml".into() }));
        assert_eq!(named.kind, FileKind::Terraform);
        assert_eq!(
            serde_json::to_value(&env_file.source).expect("json"),
            serde_json::json!({"by": "env-file-of", "compose": "compose.yml"})
        );
    }

    #[test]
    fn workflow_templates_are_found_by_their_metadata() {
        let paths = [
            "ci/go.yml",
            "ci/properties/go.properties.json",
            "deployments/aws.yml",
            "deployments/properties/aws.properties.json",
            "workflow-templates/build.yaml",
            "workflow-templates/build.properties.json",
            "ci/orphan.yml",
            "ci/properties/other.properties.json",
            "properties/go.properties.json",
        ];
        let found: Vec<(&str, String)> =
            workflow_templates(&paths).into_iter().map(|(p, c)| (p, format!("{} {}", c.kind, c.source))).collect();
        assert_eq!(
            found,
            [
                ("ci/go.yml", "github-workflow workflow template described by ci/properties/go.properties.json".into()),
                (
                    "deployments/aws.yml",
                    "github-workflow workflow template described by deployments/properties/aws.properties.json".into()
                ),
                (
                    "workflow-templates/build.yaml",
                    "github-workflow workflow template described by workflow-templates/build.properties.json".into()
                ),
            ]
        );
        let mut c = classify_by_name("ci/go.yml");
        let (_, template) = workflow_templates(&paths).remove(0);
        assert!(c.assign_from(template.kind, template.source));
        assert_eq!(c.kind, FileKind::GithubWorkflow);
    }
}
