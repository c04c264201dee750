//! User and built-in policies.

#[cfg(feature = "rego")]
pub mod rego;
