//! Command-line arguments (clap derive): raw arguments only, no behaviour.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// envlint: an environment-aware infrastructure policy checker and `IaC` linter.
#[derive(Debug, Parser)]
#[command(name = "envlint", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colour: `auto` (on a terminal, unless `NO_COLOR` is set; `FORCE_COLOR` forces it), `always`, `never`.
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and report findings (exit 0 clean, 1 findings at or above --fail-on, 2 errors).
    Scan(ScanArgs),
    /// Show every file's kind and environment, and why.
    Envs(EnvsArgs),
    /// List every rule.
    Rules(RulesArgs),
    /// Show one rule's documentation.
    Explain {
        /// The rule ID, e.g. `dotenv-duplicate-key`.
        id: String,
    },
    /// Work with YAML policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Record the current findings, so that `scan --baseline FILE` shows only new ones.
    Baseline(BaselineArgs),
    /// Write an `envlint.toml` for the layout found here (never overwrites; exit 2 if one exists).
    Init(InitArgs),
    /// Print a shell completion script, e.g. `envlint completions bash > ~/.local/share/bash-completion/completions/envlint`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to write `envlint.toml` into, and whose layout is detected (default: the current directory).
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the test cases embedded in policy files (exit 0 all pass, 1 a case fails, 2 a policy is malformed).
    Test(PolicyTestArgs),
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// Policy files or folders (their `*.yaml`/`*.yml`); default: the built-in policies and the config's `policies`.
    pub paths: Vec<PathBuf>,
    /// Same as PATH (for symmetry with `scan --policy`); repeatable.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,
    /// Config file (default: the nearest envlint.toml or .envlint.toml upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options shared by commands that walk files.
#[derive(Clone, Debug, Args)]
pub struct WalkArgs {
    /// Files or directories (default: the current directory). Files are taken as given,
    /// even if ignored; directories are walked honouring .gitignore and .envlintignore.
    pub paths: Vec<PathBuf>,
    /// Config file (default: the nearest envlint.toml or .envlint.toml upward, up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Force the environment of paths matching GLOB (relative to the repository root); repeatable.
    /// `envlint envs` also takes `--env ENV` (no `=`): show only files of that environment.
    #[arg(long = "env", value_name = "GLOB=ENV")]
    pub env: Vec<String>,
    /// Worker threads (default: the number of CPUs).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Which rules run (shared by `scan` and `baseline`).
#[derive(Debug, Args, Default)]
pub struct RuleArgs {
    /// Only run these rules (comma list; globs such as `prod-*`); replaces the config's select.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,
    /// Do not run these rules (comma list; globs allowed); added to the config's ignore.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Load YAML policies from PATH (a file, or a folder's `*.yaml`/`*.yml`), besides the config's; repeatable.
    #[arg(long = "policy", value_name = "PATH")]
    pub policies: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Write the baseline to FILE (default: standard output), e.g. `.envlint-baseline.json`.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Report format.
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE (the summary still goes to stderr). A bare format name
    /// (`-o json`) is refused as a likely mix-up with `--format`; write `./json` for such a file.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the findings and nothing else: no summary line, no warnings, no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the number of findings per rule instead of the findings (`--format human` or `json`).
    #[arg(long)]
    pub statistics: bool,
    /// With `-` as the path: the path the text read from standard input is judged as
    /// (its kind, environment and repository context), e.g. `services/api/.env.production`.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Never draw a progress bar (it is drawn only on a terminal, for the human format,
    /// when a scan takes more than a second).
    #[arg(long)]
    pub no_progress: bool,
    /// SARIF `automationDetails.id`: GitHub code scanning's analysis category (a `/` is appended).
    #[arg(long, value_name = "CATEGORY")]
    pub sarif_category: Option<String>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Hide the findings recorded in this baseline file (`envlint baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print where the time went, phase by phase and rule by rule, to stderr
    /// (a Markdown table, after the report).
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Args)]
pub struct EnvsArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// Output format.
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Show only files of these kinds (comma list or repeated), e.g. `--kind dotenv,compose`.
    #[arg(long, value_delimiter = ',', value_name = "KIND")]
    pub kind: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format (`markdown`: the README's rule table).
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}
