//! Typed views over the document tree, per file kind: what the nodes *mean*.
//! Depends on `model`, `parse`, `source`, `span`, `discover` (for `FileKind`).

pub mod carriers;
pub mod compose;
pub mod dotenv;
pub mod subjects;
pub mod terraform;
