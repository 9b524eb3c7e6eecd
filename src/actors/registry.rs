//! The channel registry: which ChannelActor serves which channel. Started at boot for every
//! enabled channel; the API starts, reloads and retires actors as channels change.

use actix::{Addr, ArbiterHandle};

use super::channel::{ChannelActor, InjectPanic, PollNow, PushNow};
use super::inventory::{InventoryActor, Listen, Listener};
use super::supervision::Registry;
use crate::db::DbPool;
use crate::domain::ids::ChannelId;
use crate::secrets::SecretBox;

#[derive(Clone)]
pub struct ChannelRegistry(Registry<ChannelActor>);

impl ChannelRegistry {
    pub fn new(
        arbiter: ArbiterHandle,
        pool: DbPool,
        inventory: Addr<InventoryActor>,
        secrets: SecretBox,
        allow_private: bool,
    ) -> Self {
        let broadcast = inventory.clone();
        ChannelRegistry(
            Registry::new(arbiter, move |id| {
                ChannelActor::new(ChannelId(id), pool.clone(), inventory.clone(), secrets.clone(), allow_private)
            })
            .on_start(move |id, addr| {
                broadcast.do_send(Listen(Listener::Channel(ChannelId(id), addr.downgrade().recipient())))
            }),
        )
    }

    /// Starts the channel's actor, or reloads it if it runs (and restarts it if it died).
    pub fn ensure(&self, id: ChannelId) {
        self.0.ensure(id.get())
    }

    /// Stops the channel's actor for good.
    pub fn retire(&self, id: ChannelId) {
        self.0.retire(id.get())
    }

    /// Polls now; false if no actor serves the channel (disabled or unknown).
    pub fn poll_now(&self, id: ChannelId) -> bool {
        match self.0.get(id.get()) {
            Some(addr) => {
                addr.do_send(PollNow);
                true
            }
            None => false,
        }
    }

    /// Sends the channel's queued stock pushes now (a no-op if no actor serves it).
    pub fn push_now(&self, id: ChannelId) {
        if let Some(addr) = self.0.get(id.get()) {
            addr.do_send(PushNow);
        }
    }

    pub fn is_running(&self, id: ChannelId) -> bool {
        self.0.get(id.get()).is_some()
    }

    #[doc(hidden)]
    pub fn inject_panic(&self, id: ChannelId) {
        if let Some(addr) = self.0.get(id.get()) {
            addr.do_send(InjectPanic);
        }
    }
}
