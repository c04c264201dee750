//! Rules about committed credentials. Both judge the same candidates (see `judge`),
//! so one value is reported by at most one of them.

mod committed_secret;
mod default_credential;
mod judge;

pub use committed_secret::CommittedSecret;
pub use default_credential::DefaultCredential;
