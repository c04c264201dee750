//! envlint: an environment-aware infrastructure policy checker and `IaC` linter.

pub mod model;
pub mod parse;
pub mod source;
pub mod span;
