//! Rules about committed credentials.

mod committed_secret;

pub use committed_secret::CommittedSecret;
