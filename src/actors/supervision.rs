//! What the supervised actors (channels, plugins, webhook subscriptions) share: the messages that
//! reload and retire them, the back-off before a restarted actor starts working again, and a
//! registry keeping one actor per id that starts a fresh one when the old has died.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, ArbiterHandle, Context, Handler, Message, Supervised, Supervisor};
use dashmap::DashMap;

use super::cluster::{Cluster, Kind, Owned};
use crate::db::cluster::Fence;

/// Reload settings from the database (after an API change).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload;

/// Stop for good (deleted or disabled): no timers, nothing scheduled.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Retire;

/// How long an actor restarted `restarts` times waits before working again: none the first time
/// it starts, then 1 s doubling to a minute, so one that keeps failing does not spin.
pub fn restart_backoff(restarts: u32) -> Duration {
    if restarts == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis((500u64 << restarts.min(7)).min(60_000))
    }
}

/// What a registry calls with each actor it starts.
type OnStart<A> = Arc<dyn Fn(i64, &Addr<A>) + Send + Sync>;

/// What makes an actor for an id, given the fence it writes under (None: one process, SQLite).
type Make<A> = Arc<dyn Fn(i64, Option<Fence>) -> A + Send + Sync>;

/// One supervised actor per id, all on one arbiter of their own. With a cluster (several
/// processes on PostgreSQL) it starts an actor only for what this process holds the lease of.
pub struct Registry<A>
where
    A: Actor<Context = Context<A>> + Supervised + Handler<Reload> + Handler<Retire>,
{
    actors: Arc<DashMap<i64, Addr<A>>>,
    arbiter: ArbiterHandle,
    make: Make<A>,
    /// Told of every actor started (to subscribe it to the InventoryActor's broadcast).
    on_start: Option<OnStart<A>>,
    /// The cluster deciding which ids this process owns, and what kind they are.
    cluster: Option<(Kind, Cluster)>,
}

impl<A> Clone for Registry<A>
where
    A: Actor<Context = Context<A>> + Supervised + Handler<Reload> + Handler<Retire>,
{
    fn clone(&self) -> Self {
        Registry {
            actors: self.actors.clone(),
            arbiter: self.arbiter.clone(),
            make: self.make.clone(),
            on_start: self.on_start.clone(),
            cluster: self.cluster.clone(),
        }
    }
}

impl<A> Registry<A>
where
    A: Actor<Context = Context<A>> + Supervised + Handler<Reload> + Handler<Retire>,
{
    pub fn new(
        arbiter: ArbiterHandle,
        cluster: Option<(Kind, Cluster)>,
        make: impl Fn(i64, Option<Fence>) -> A + Send + Sync + 'static,
    ) -> Self {
        Registry { actors: Arc::new(DashMap::new()), arbiter, make: Arc::new(make), on_start: None, cluster }
    }

    /// Calls `f` with each actor as it starts (a fresh one after a death too).
    pub fn on_start(mut self, f: impl Fn(i64, &Addr<A>) + Send + Sync + 'static) -> Self {
        self.on_start = Some(Arc::new(f));
        self
    }

    /// Starts the actor for `id`, or reloads it if it runs (and starts a fresh one if it died).
    /// In a cluster, an id this process does not hold is claimed first (and started once
    /// claimed), or its owner is told to reload.
    pub fn ensure(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            if addr.connected() {
                addr.do_send(Reload);
                return;
            }
        }
        let fence = match &self.cluster {
            None => None,
            Some((kind, cluster)) => match cluster.fence(*kind, id) {
                Some(fence) => Some(fence),
                None => {
                    cluster.claim_later(*kind, id);
                    return;
                }
            },
        };
        let make = self.make.clone();
        let addr = Supervisor::start_in_arbiter(&self.arbiter, move |_| make(id, fence.clone()));
        if let Some(on_start) = &self.on_start {
            on_start(id, &addr);
        }
        self.actors.insert(id, addr);
    }

    /// Stops the actor for good (deleted or disabled); in a cluster, the lease goes too.
    pub fn retire(&self, id: i64) {
        self.stop(id);
        if let Some((kind, cluster)) = &self.cluster {
            cluster.forget_later(*kind, id);
        }
    }

    /// Stops this process's actor for `id`, leaving the lease to whoever handles it.
    pub fn stop(&self, id: i64) {
        if let Some((_, addr)) = self.actors.remove(&id) {
            addr.do_send(Retire);
        }
    }

    /// In a cluster, asks the owner of `id` in another process to `verb` it (`poll`, `wake`);
    /// false without a cluster (one process: nobody else to ask).
    pub fn ask_owner(&self, verb: &'static str, id: i64) -> bool {
        match &self.cluster {
            Some((kind, cluster)) => {
                cluster.ask_later(verb, *kind, id);
                cluster.claim_if_free_later(*kind, id);
                true
            }
            None => false,
        }
    }

    /// The ids with a running actor here.
    pub fn running(&self) -> Vec<i64> {
        self.actors.iter().filter(|a| a.connected()).map(|a| *a.key()).collect()
    }

    /// The running actor for `id`, if any.
    pub fn get(&self, id: i64) -> Option<Addr<A>> {
        self.actors.get(&id).map(|a| a.clone()).filter(Addr::connected)
    }

    /// Calls `f` with every running actor.
    pub fn each(&self, f: impl Fn(&Addr<A>)) {
        self.actors.iter().filter(|a| a.connected()).for_each(|a| f(a.value()));
    }

    /// Sends `msg` to the actor for `id` if it runs here.
    pub fn tell<M>(&self, id: i64, msg: M)
    where
        A: Handler<M>,
        M: Message + Send + 'static,
        M::Result: Send,
    {
        if let Some(addr) = self.get(id) {
            addr.do_send(msg);
        }
    }
}

/// A registry as the cluster drives it ([`Owned`]): starting, stopping and listing are the
/// registry's; what waking (and polling) one of its actors means is each kind's own.
pub trait Supervising: Send + Sync {
    type Actor: Actor<Context = Context<Self::Actor>> + Supervised + Handler<Reload> + Handler<Retire>;
    fn registry(&self) -> &Registry<Self::Actor>;
    /// Work for `id` was queued by another process: do it now.
    fn wake(&self, id: i64);
    /// Look for new work at the source now (a channel polls); nothing for the others.
    fn poll(&self, _id: i64) {}
}

impl<T: Supervising> Owned for T {
    fn start(&self, id: i64) {
        self.registry().ensure(id)
    }
    fn stop(&self, id: i64) {
        self.registry().stop(id)
    }
    fn wake(&self, id: i64) {
        Supervising::wake(self, id)
    }
    fn running(&self) -> Vec<i64> {
        self.registry().running()
    }
    fn poll(&self, id: i64) {
        Supervising::poll(self, id)
    }
}

/// An actor's unit of work run inside its span, with a panic caught and returned as `Err` so
/// the actor can log it and restart instead of the arbiter unwinding.
pub fn guarded<F: std::future::Future>(
    work: F,
    span: tracing::Span,
) -> futures::future::CatchUnwind<std::panic::AssertUnwindSafe<tracing::instrument::Instrumented<F>>> {
    use futures::FutureExt;
    std::panic::AssertUnwindSafe(tracing::Instrument::instrument(work, span)).catch_unwind()
}
