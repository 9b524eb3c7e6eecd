//! The plugin registry: which PluginActor serves which plugin. Started at boot for every
//! enabled plugin; the API starts, reloads and retires actors as plugins change, and the
//! InventoryActor wakes them when it routes orders to them.

use actix::ArbiterHandle;

use super::{PluginActor, SendNow};
use crate::actors::supervision::Registry;
use crate::db::DbPool;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct PluginRegistry(Registry<PluginActor>);

impl PluginRegistry {
    /// `allow_private`: whether `orders_url` may lead to private addresses
    /// (`webhooks.allow_private_networks`, which covers every outbound signed delivery).
    pub fn new(arbiter: ArbiterHandle, pool: DbPool, secrets: SecretBox, allow_private: bool) -> Self {
        PluginRegistry(Registry::new(arbiter, move |id| {
            PluginActor::new(id, pool.clone(), secrets.clone(), allow_private)
        }))
    }

    pub fn ensure(&self, id: i64) {
        self.0.ensure(id)
    }

    pub fn retire(&self, id: i64) {
        self.0.retire(id)
    }

    /// Sends the plugin's routed orders now; starts its actor again if it died.
    pub fn send_now(&self, id: i64) {
        match self.0.get(id) {
            Some(addr) => addr.do_send(SendNow),
            None if self.0.knows(id) => self.0.ensure(id),
            None => {}
        }
    }
}
