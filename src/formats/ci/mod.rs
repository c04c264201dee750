//! CI configuration as the CI systems read it: GitLab CI pipelines
//! ([`gitlab`], with its expression language in [`gitlab_expr`]) and GitHub
//! Actions workflows ([`github`]).

pub mod github;
pub mod gitlab;
pub mod gitlab_expr;
