//! Rules about files in general.

mod parse_error;
mod unused_suppression;

pub use parse_error::ParseErrorRule;
pub use unused_suppression::{UnusedSuppression, unused_suppressions};
