//! Rules about dotenv files.

mod duplicate_key;

pub use duplicate_key::DuplicateKey;
