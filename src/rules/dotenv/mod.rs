//! Rules about dotenv files.

mod duplicate_key;
mod env_key_drift;

pub use duplicate_key::DuplicateKey;
pub use env_key_drift::EnvKeyDrift;
