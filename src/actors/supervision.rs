//! What the supervised actors (channels, plugins, webhook subscriptions) share: the messages that
//! reload and retire them, the back-off before a restarted actor starts working again, and a
//! registry keeping one actor per id that starts a fresh one when the old has died.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, ArbiterHandle, Context, Handler, Message, Supervised, Supervisor};
use dashmap::DashMap;

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

/// One supervised actor per id, all on one arbiter of their own.
pub struct Registry<A>
where
    A: Actor<Context = Context<A>> + Supervised + Handler<Reload> + Handler<Retire>,
{
    actors: Arc<DashMap<i64, Addr<A>>>,
    arbiter: ArbiterHandle,
    make: Arc<dyn Fn(i64) -> A + Send + Sync>,
    /// Told of every actor started (to subscribe it to the InventoryActor's broadcast).
    on_start: Option<OnStart<A>>,
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
        }
    }
}

impl<A> Registry<A>
where
    A: Actor<Context = Context<A>> + Supervised + Handler<Reload> + Handler<Retire>,
{
    pub fn new(arbiter: ArbiterHandle, make: impl Fn(i64) -> A + Send + Sync + 'static) -> Self {
        Registry { actors: Arc::new(DashMap::new()), arbiter, make: Arc::new(make), on_start: None }
    }

    /// Calls `f` with each actor as it starts (a fresh one after a death too).
    pub fn on_start(mut self, f: impl Fn(i64, &Addr<A>) + Send + Sync + 'static) -> Self {
        self.on_start = Some(Arc::new(f));
        self
    }

    /// Starts the actor for `id`, or reloads it if it runs (and starts a fresh one if it died).
    pub fn ensure(&self, id: i64) {
        if let Some(addr) = self.actors.get(&id) {
            if addr.connected() {
                addr.do_send(Reload);
                return;
            }
        }
        let make = self.make.clone();
        let addr = Supervisor::start_in_arbiter(&self.arbiter, move |_| make(id));
        if let Some(on_start) = &self.on_start {
            on_start(id, &addr);
        }
        self.actors.insert(id, addr);
    }

    /// Stops the actor for good.
    pub fn retire(&self, id: i64) {
        if let Some((_, addr)) = self.actors.remove(&id) {
            addr.do_send(Retire);
        }
    }

    /// The running actor for `id`, if any.
    pub fn get(&self, id: i64) -> Option<Addr<A>> {
        self.actors.get(&id).map(|a| a.clone()).filter(Addr::connected)
    }

    /// Calls `f` with every running actor.
    pub fn each(&self, f: impl Fn(&Addr<A>)) {
        self.actors.iter().filter(|a| a.connected()).for_each(|a| f(a.value()));
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
