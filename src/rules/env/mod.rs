//! Rules about one environment's configuration reaching into another's.

mod cross_env_reference;
mod prod_db_not_replica;
mod required_env_keys;

pub use cross_env_reference::CrossEnvReference;
pub use prod_db_not_replica::ProdDbNotReplica;
pub use required_env_keys::RequiredEnvKeys;
