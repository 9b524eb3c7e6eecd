//! The plugin registry: which PluginActor serves which plugin. Started at boot for every
//! enabled plugin; the API starts, reloads and retires actors as plugins change, and the
//! InventoryActor wakes them when it routes orders to them.

use std::sync::Arc;

use actix::{Addr, ArbiterHandle, Supervisor};
use dashmap::DashMap;

use super::{PluginActor, Reload, Retire, SendNow};
use crate::db::DbPool;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct PluginRegistry {
    actors: Arc<DashMap<i64, Addr<PluginActor>>>,
    arbiter: ArbiterHandle,
    pool: DbPool,
    secrets: SecretBox,
    allow_private: bool,
}

impl PluginRegistry {
    /// `allow_private`: whether `orders_url` may lead to private addresses
    /// (`webhooks.allow_private_networks`, which covers every outbound signed delivery).
    pub fn new(arbiter: ArbiterHandle, pool: DbPool, secrets: SecretBox, allow_private: bool) -> Self {
        PluginRegistry { actors: Arc::new(DashMap::new()), arbiter, pool, secrets, allow_private }
    }

    /// Starts the plugin's actor, or reloads it if it runs (and restarts it if it died).
    pub fn ensure(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            if addr.connected() {
                addr.do_send(Reload);
                return;
            }
        }
        let (pool, secrets, allow) = (self.pool.clone(), self.secrets.clone(), self.allow_private);
        let addr = Supervisor::start_in_arbiter(&self.arbiter, move |_| PluginActor::new(id, pool, secrets, allow));
        self.actors.insert(id, addr);
    }

    pub fn retire(&self, id: i64) {
        if let Some((_, addr)) = self.actors.remove(&id) {
            addr.do_send(Retire);
        }
    }

    /// Sends the plugin's routed orders now; restarts its actor if it died.
    pub fn send_now(&self, id: i64) {
        // The map's guard is dropped before `ensure` writes to it.
        let alive = self.actors.get(&id).map(|addr| {
            if addr.connected() {
                addr.do_send(SendNow);
            }
            addr.connected()
        });
        if alive == Some(false) {
            self.ensure(id);
        }
    }
}
