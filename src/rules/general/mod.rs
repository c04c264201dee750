//! Rules about files in general.

mod parse_error;

pub use parse_error::ParseErrorRule;
