//! The plugin registry: which PluginActor serves which plugin. Started at boot for every
//! enabled plugin; the API starts, reloads and retires actors as plugins change. Each actor
//! started listens to the InventoryActor, which wakes it when it routes orders to it.

use actix::{Addr, ArbiterHandle};

use super::PluginActor;
use crate::actors::cluster::{Cluster, Kind};
use crate::actors::inventory::{InventoryActor, Listen, Listener};
use crate::actors::supervision::{Registry, Supervising};
use crate::db::DbPool;
use crate::domain::ids::PluginId;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct PluginRegistry(Registry<PluginActor>);

impl PluginRegistry {
    /// `allow_private`: whether `orders_url` may lead to private addresses
    /// (`webhooks.allow_private_networks`, which covers every outbound signed delivery).
    pub fn new(
        arbiter: ArbiterHandle,
        pool: DbPool,
        secrets: SecretBox,
        allow_private: bool,
        inventory: Addr<InventoryActor>,
        cluster: Option<Cluster>,
    ) -> Self {
        PluginRegistry(
            Registry::new(arbiter, cluster.map(|c| (Kind::Plugin, c)), move |id, fence| {
                PluginActor::new(PluginId(id), pool.clone(), secrets.clone(), allow_private, fence)
            })
            .on_start(move |id, addr| {
                inventory.do_send(Listen(Listener::Plugin(PluginId(id), addr.downgrade().recipient())))
            }),
        )
    }

    pub fn ensure(&self, id: PluginId) {
        self.0.ensure(id.get())
    }

    pub fn retire(&self, id: PluginId) {
        self.0.retire(id.get())
    }
}

impl Supervising for PluginRegistry {
    type Actor = PluginActor;
    fn registry(&self) -> &Registry<PluginActor> {
        &self.0
    }
    fn wake(&self, id: i64) {
        self.0.tell(id, super::SendNow)
    }
}
