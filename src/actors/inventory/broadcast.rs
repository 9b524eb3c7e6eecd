//! Who hears of a commit, and what they hear: the InventoryActor's broadcast. After each
//! commit it tells stock subscribers which figures moved (`StockChanged`), the actor of each
//! channel given stock pushes and of each plugin given orders that it has work
//! (`WorkQueued`), and the event watcher that events were written (`EventsCommitted`).

use std::collections::{BTreeSet, HashMap};

use actix::prelude::*;
use actix::WeakRecipient;

use super::{InventoryActor, StockChanged};
use crate::domain::ids::{ChannelId, PluginId};

/// Work for the receiving channel or plugin actor sits in the outbox: send it now.
#[derive(Clone, Copy, Debug, Message)]
#[rtype(result = "()")]
pub struct WorkQueued;

/// A commit wrote events to the log (the event watcher looks for them now).
#[derive(Clone, Copy, Debug, Message)]
#[rtype(result = "()")]
pub struct EventsCommitted;

/// Who wants to hear from the InventoryActor after its commits.
pub enum Listener {
    /// Every `StockChanged`.
    Stock(Recipient<StockChanged>),
    /// `WorkQueued` when a commit queues stock pushes for this channel. Held weakly: the
    /// registry owns the actor, and one it retires ends as before.
    Channel(ChannelId, WeakRecipient<WorkQueued>),
    /// `WorkQueued` when a commit routes orders to this plugin (held weakly too).
    Plugin(PluginId, WeakRecipient<WorkQueued>),
    /// `EventsCommitted` after every commit.
    Events(Recipient<EventsCommitted>),
    /// Called with a plugin given orders whose actor has died outright (not a caught panic,
    /// which restarts it in place): the plugin registry starts a fresh one.
    PluginRevival(Box<dyn Fn(PluginId) + Send>),
    /// The cluster, told what was queued for channels and plugins other processes own.
    Cluster(crate::actors::cluster::Cluster),
}

/// Adds a listener; a channel's or plugin's replaces the one before it (a restarted actor).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Listen(pub Listener);

/// Adds a stock subscriber (the shape the tests and the design name).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe(pub Recipient<StockChanged>);

/// The InventoryActor's listeners. A listener whose actor has stopped is dropped when next due.
#[derive(Default)]
pub(super) struct Listeners {
    stock: Vec<Recipient<StockChanged>>,
    channels: HashMap<ChannelId, WeakRecipient<WorkQueued>>,
    plugins: HashMap<PluginId, WeakRecipient<WorkQueued>>,
    events: Vec<Recipient<EventsCommitted>>,
    revive_plugin: Option<Box<dyn Fn(PluginId) + Send>>,
    cluster: Option<crate::actors::cluster::Cluster>,
}

impl Listeners {
    pub(super) fn add(&mut self, listener: Listener) {
        match listener {
            Listener::Stock(r) => self.stock.push(r),
            Listener::Channel(id, r) => {
                self.channels.insert(id, r);
            }
            Listener::Plugin(id, r) => {
                self.plugins.insert(id, r);
            }
            Listener::Events(r) => self.events.push(r),
            Listener::PluginRevival(f) => self.revive_plugin = Some(f),
            Listener::Cluster(c) => self.cluster = Some(c),
        }
    }

    /// Tells everyone concerned what one commit did.
    pub(super) fn announce(&mut self, push_channels: &BTreeSet<i64>, routed: &BTreeSet<i64>, moved: Vec<StockChanged>) {
        wake(&mut self.channels, push_channels.iter().map(|id| ChannelId(*id)), |_| {});
        let revive = &self.revive_plugin;
        wake(&mut self.plugins, routed.iter().map(|id| PluginId(*id)), |id| {
            if let Some(revive) = revive {
                revive(id);
            }
        });
        if let Some(cluster) = &self.cluster {
            use crate::actors::cluster::Kind;
            cluster.wake_elsewhere(Kind::Channel, push_channels.iter().copied());
            cluster.wake_elsewhere(Kind::Plugin, routed.iter().copied());
            cluster.events_elsewhere();
        }
        self.events.retain(|r| r.connected());
        self.events.iter().for_each(|r| r.do_send(EventsCommitted));
        if !moved.is_empty() && !self.stock.is_empty() {
            self.stock.retain(|r| r.connected());
            for change in moved {
                self.stock.iter().for_each(|r| r.do_send(change.clone()));
            }
        }
    }
}

/// Wakes the listener of each id. One whose actor died while its registry still holds it
/// (`upgrade` succeeds, the mailbox is closed) goes to `dead`; one its registry let go of
/// (retired) is forgotten.
fn wake<Id: std::hash::Hash + Eq>(
    listeners: &mut HashMap<Id, WeakRecipient<WorkQueued>>,
    ids: impl Iterator<Item = Id>,
    mut dead: impl FnMut(Id),
) {
    for id in ids {
        match listeners.get(&id).map(WeakRecipient::upgrade) {
            Some(Some(r)) if r.connected() => r.do_send(WorkQueued),
            Some(Some(_)) => dead(id),
            Some(None) => {
                listeners.remove(&id);
            }
            None => {}
        }
    }
}

impl Handler<Listen> for InventoryActor {
    type Result = ();
    fn handle(&mut self, msg: Listen, _: &mut Self::Context) {
        self.listeners.add(msg.0);
    }
}

impl Handler<Subscribe> for InventoryActor {
    type Result = ();
    fn handle(&mut self, msg: Subscribe, _: &mut Self::Context) {
        self.listeners.add(Listener::Stock(msg.0));
    }
}
