//! The channel registry: which ChannelActor serves which channel. Started at boot for every
//! enabled channel; the API starts, reloads and retires actors as channels change.

use std::sync::Arc;

use actix::{Addr, ArbiterHandle, Supervisor};
use dashmap::DashMap;

use super::channel::{ChannelActor, InjectPanic, PollNow, PushNow, Reload, Retire};
use super::inventory::InventoryActor;
use crate::db::DbPool;

#[derive(Clone)]
pub struct ChannelRegistry {
    actors: Arc<DashMap<i64, Addr<ChannelActor>>>,
    arbiter: ArbiterHandle,
    pool: DbPool,
    inventory: Addr<InventoryActor>,
}

impl ChannelRegistry {
    pub fn new(arbiter: ArbiterHandle, pool: DbPool, inventory: Addr<InventoryActor>) -> Self {
        ChannelRegistry { actors: Arc::new(DashMap::new()), arbiter, pool, inventory }
    }

    /// Starts the channel's actor, or reloads it if it runs (and restarts it if it died).
    pub fn ensure(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            if addr.connected() {
                addr.do_send(Reload);
                return;
            }
        }
        let (pool, inventory) = (self.pool.clone(), self.inventory.clone());
        let addr = Supervisor::start_in_arbiter(&self.arbiter, move |_| ChannelActor::new(id, pool, inventory));
        self.actors.insert(id, addr);
    }

    /// Stops the channel's actor for good.
    pub fn retire(&self, id: i64) {
        if let Some((_, addr)) = self.actors.remove(&id) {
            addr.do_send(Retire);
        }
    }

    /// Polls now; false if no actor serves the channel (disabled or unknown).
    pub fn poll_now(&self, id: i64) -> bool {
        match self.actors.get(&id) {
            Some(addr) if addr.connected() => {
                addr.do_send(PollNow);
                true
            }
            _ => false,
        }
    }

    /// Sends the channel's queued stock pushes now (a no-op if no actor serves it).
    pub fn push_now(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            addr.do_send(PushNow);
        }
    }

    pub fn is_running(&self, id: i64) -> bool {
        self.actors.get(&id).is_some_and(|a| a.connected())
    }

    #[doc(hidden)]
    pub fn inject_panic(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            addr.do_send(InjectPanic);
        }
    }
}
