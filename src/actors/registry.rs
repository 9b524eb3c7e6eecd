//! The channel registry: which ChannelActor serves which channel. Started at boot for every
//! enabled channel; the API starts, reloads and retires actors as channels change.

use actix::{Addr, ArbiterHandle};

use super::channel::{ChannelActor, InjectPanic, PollNow, PushNow};
use super::cluster::{Cluster, Kind};
use super::inventory::{InventoryActor, Listen, Listener};
use super::supervision::{Registry, Supervising};
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
        cluster: Option<Cluster>,
    ) -> Self {
        let broadcast = inventory.clone();
        ChannelRegistry(
            Registry::new(arbiter, cluster.map(|c| (Kind::Channel, c)), move |id, fence| {
                ChannelActor::new(ChannelId(id), pool.clone(), inventory.clone(), secrets.clone(), allow_private, fence)
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

    /// Polls now; false if no actor serves the channel (disabled or unknown). In a cluster, a
    /// channel another process owns is polled there.
    pub fn poll_now(&self, id: ChannelId) -> bool {
        match self.0.get(id.get()) {
            Some(addr) => {
                addr.do_send(PollNow);
                true
            }
            // In a cluster: polled by its owner, or claimed here if nobody holds it (it polls as
            // it starts).
            None => self.0.ask_owner("poll", id.get()),
        }
    }

    /// Sends the channel's queued stock pushes now (in a cluster, wherever its owner is).
    pub fn push_now(&self, id: ChannelId) {
        match self.0.get(id.get()) {
            Some(addr) => addr.do_send(PushNow),
            None => {
                self.0.ask_owner("wake", id.get());
            }
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

impl Supervising for ChannelRegistry {
    type Actor = ChannelActor;
    fn registry(&self) -> &Registry<ChannelActor> {
        &self.0
    }
    fn wake(&self, id: i64) {
        self.0.tell(id, PushNow)
    }
    fn poll(&self, id: i64) {
        self.0.tell(id, PollNow)
    }
}
