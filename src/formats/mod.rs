//! Typed views over the document tree, per file kind: what the nodes *mean*.
//! Depends on `model`, `parse`, `source`, `span`, `discover` (for `FileKind`),
//! `env` (names) and the location types of `rule`.

pub mod carriers;
pub mod ci;
pub mod compose;
pub mod dotenv;
pub mod located;
pub mod subjects;
pub mod terraform;
