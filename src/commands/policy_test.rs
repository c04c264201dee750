//! `envlint policy test`.

use std::io::Write;
use std::path::PathBuf;

use miette::{IntoDiagnostic, Report};

use crate::cli::PolicyTestArgs;
use crate::config::{self, KnownRule, Settings};
use crate::{policy, rules};

/// `envlint policy test`: the embedded test cases of the policies at the given
/// paths, or of the built-in policies and the config's when none are given.
/// Exit 0 when every case passes, 1 when one fails; a malformed policy is an error (2).
pub fn run(args: &PolicyTestArgs, out: &mut dyn Write) -> Result<u8, Report> {
    let cwd = std::env::current_dir().into_diagnostic()?;
    let config_path = args.config.clone().or_else(|| config::find(&cwd));
    let taken: Vec<String> = rules::builtin().iter().map(|r| r.meta().id.to_string()).collect();
    let taken: Vec<&str> = taken.iter().map(String::as_str).collect();
    let mut policies = Vec::new();
    let given: Vec<PathBuf> = args.paths.iter().chain(&args.policies).cloned().collect();
    let user_paths = if given.is_empty() {
        policies.extend(policy::builtin().into_iter().map(policy::UserPolicy::Yaml));
        config_path.as_deref().map(config::policy_paths).unwrap_or_default()
    } else {
        given
    };
    let user = policy::load_paths(&user_paths, &taken)?;
    let builtin = rules::builtin();
    let mut known: Vec<KnownRule> = builtin.iter().map(|r| KnownRule::of(r.meta())).collect();
    known.extend(user.iter().map(|u| KnownRule::plain(u.id())));
    let settings = match &config_path {
        Some(path) => config::load(path, &known)?,
        None => Settings::defaults(&cwd),
    };
    for p in &user {
        p.check_envs(&settings.envs)?;
    }
    policies.extend(user);
    let summary = policy::test::run_all(&policies, &settings, out).into_diagnostic()?;
    Ok(u8::from(summary.failed > 0))
}
