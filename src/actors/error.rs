//! What goes wrong in an actor's work, with its cause kept: the actor logs the whole chain and
//! records its text as the channel's, plugin's or subscription's last error.

use crate::actors::inventory::InventoryError;
use crate::connectors::ConnectorError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("storage: {0}")]
    Db(#[from] DbError),
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    #[error("stock: {0}")]
    Inventory(#[from] InventoryError),
    #[error("the inventory actor did not answer: {0}")]
    Mailbox(#[from] actix::MailboxError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}
