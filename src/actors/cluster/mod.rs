//! Several processes on one PostgreSQL database: which channels, plugins and webhook
//! subscriptions this process owns (through leases), taking its share and handing back the rest,
//! and waking the owners in other processes (`LISTEN/NOTIFY`). On SQLite there is one process:
//! it owns everything and the registries start every actor as before.

mod keeper;
mod listen;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dashmap::DashMap;

use crate::db::cluster::Fence;
use crate::db::{self, DbPool};

pub use keeper::share_of;

/// What a lease is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Channel,
    Plugin,
    Subscription,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Channel, Kind::Plugin, Kind::Subscription];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Channel => "channel",
            Kind::Plugin => "plugin",
            Kind::Subscription => "subscription",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What the cluster drives in this process: one registry per kind.
pub trait Owned: Send + Sync {
    /// Starts the actor for `id` (now held), or reloads it.
    fn start(&self, id: i64);
    /// Stops the actor for `id` here (the lease is handled by the cluster).
    fn stop(&self, id: i64);
    /// Work for `id` was queued by another process: do it now.
    fn wake(&self, id: i64);
    /// Ids with a running actor here.
    fn running(&self) -> Vec<i64>;
    /// Look for new work at the source now (a channel polls); nothing for the others.
    fn poll(&self, _id: i64) {}
}

/// The PostgreSQL channel every process listens on.
pub const NOTIFY_CHANNEL: &str = "chorus_cluster";

/// Timing of leases: renewed every `renew`, lost `ttl` after the last renewal.
#[derive(Clone, Copy, Debug)]
pub struct LeaseTiming {
    pub ttl: Duration,
    pub renew: Duration,
}

/// This process's place in the cluster. Cheap to clone.
#[derive(Clone)]
pub struct Cluster(Arc<Inner>);

struct Inner {
    /// This process's id: host, pid and a random part, fresh on every start.
    me: String,
    address: OnceLock<String>,
    pool: DbPool,
    /// Leases in force (PostgreSQL); on SQLite the one process owns everything.
    leasing: bool,
    timing: LeaseTiming,
    /// What this process holds: (kind, id) → fencing token.
    held: DashMap<(Kind, i64), i64>,
    owned: OnceLock<Vec<(Kind, Arc<dyn Owned>)>>,
    /// Told when another process wrote events (the event watcher).
    events: OnceLock<actix::Recipient<crate::actors::inventory::EventsCommitted>>,
    /// Other live processes at the last look: no NOTIFY is sent while there are none.
    peers: AtomicUsize,
    /// The API's read cache of stock figures: other processes' commits do not reach it, so it
    /// is not read while they live, and emptied when the last of them is gone.
    stock_cache: OnceLock<crate::actors::inventory::StockCache>,
    /// Asks the keeper for a look now (a peer left, a lease was given back).
    tick_now: tokio::sync::Notify,
    /// Where notices from the listener thread are handled (the system's arbiter).
    arbiter: actix::ArbiterHandle,
    /// False once the process left, or its runtime (and so the keeper) is gone: the listener
    /// thread ends then, whoever still holds the cluster.
    running: Arc<AtomicBool>,
}

impl Cluster {
    pub fn new(pool: DbPool, leasing: bool, timing: LeaseTiming) -> Cluster {
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
        let host = if host.is_empty() { "chorus".to_string() } else { host };
        let me = format!("{host}-{}-{:08x}", std::process::id(), rand::random::<u32>());
        Cluster(Arc::new(Inner {
            me,
            address: OnceLock::new(),
            pool,
            leasing,
            timing,
            held: DashMap::new(),
            owned: OnceLock::new(),
            events: OnceLock::new(),
            peers: AtomicUsize::new(0),
            stock_cache: OnceLock::new(),
            tick_now: tokio::sync::Notify::new(),
            arbiter: actix::Arbiter::current(),
            running: Arc::new(AtomicBool::new(true)),
        }))
    }

    pub fn id(&self) -> &str {
        &self.0.me
    }
    pub fn leasing(&self) -> bool {
        self.0.leasing
    }
    pub fn timing(&self) -> LeaseTiming {
        self.0.timing
    }

    /// The registries it drives, and the event watcher to poke; set once at build.
    pub fn attach(
        &self,
        owned: Vec<(Kind, Arc<dyn Owned>)>,
        events: actix::Recipient<crate::actors::inventory::EventsCommitted>,
    ) {
        let _ = self.0.owned.set(owned);
        let _ = self.0.events.set(events);
    }

    /// The stock read cache to empty when the other processes are gone; set once at build.
    pub fn attach_stock_cache(&self, cache: crate::actors::inventory::StockCache) {
        let _ = self.0.stock_cache.set(cache);
    }

    /// Whether other processes share the database now: then this process's read cache of stock
    /// figures may be behind their commits, and reads go to the database.
    pub fn has_peers(&self) -> bool {
        self.0.peers.load(Ordering::Relaxed) > 0
    }

    /// The address it serves on, shown in the cluster view; set once bound.
    pub fn set_address(&self, address: String) {
        let _ = self.0.address.set(address);
    }

    fn owned(&self, kind: Kind) -> Option<&Arc<dyn Owned>> {
        self.0.owned.get()?.iter().find(|(k, _)| *k == kind).map(|(_, o)| o)
    }

    /// The fence an actor for (`kind`, `id`) writes under, if this process holds the lease.
    pub fn fence(&self, kind: Kind, id: i64) -> Option<Fence> {
        self.0.held.get(&(kind, id)).map(|g| Fence {
            kind: kind.as_str(),
            target_id: id,
            owner: self.0.me.clone(),
            generation: *g,
        })
    }

    /// Claims (`kind`, `id`) in the background and starts its actor once held; if another live
    /// process holds it, tells that one to reload it instead.
    pub fn claim_later(&self, kind: Kind, id: i64) {
        self.spawn_claim(kind, id, true)
    }

    /// Claims (`kind`, `id`) in the background if no live process holds it (and starts it).
    pub fn claim_if_free_later(&self, kind: Kind, id: i64) {
        if self.0.held.contains_key(&(kind, id)) {
            return;
        }
        self.spawn_claim(kind, id, false)
    }

    fn spawn_claim(&self, kind: Kind, id: i64, reload_owner: bool) {
        let cluster = self.clone();
        actix_web::rt::spawn(async move {
            if let Err(e) = cluster.claim_or(kind, id, reload_owner).await {
                tracing::warn!(kind = kind.as_str(), id, error = %e, "claiming a lease failed; the keeper tries again");
            }
        });
    }

    /// Takes the lease of (`kind`, `id`) if it is free, expired or ours, and starts the actor;
    /// otherwise asks its owner to reload. True if this process holds it now.
    pub async fn claim(&self, kind: Kind, id: i64) -> Result<bool, db::DbError> {
        self.claim_or(kind, id, true).await
    }

    async fn claim_or(&self, kind: Kind, id: i64, reload_owner: bool) -> Result<bool, db::DbError> {
        let (me, ttl) = (self.0.me.clone(), self.0.timing.ttl.as_millis() as i64);
        let taken =
            db::run(&self.0.pool, move |conn| db::cluster::take(conn, kind.as_str(), id, &me, db::now_ms(), ttl))
                .await?;
        match taken {
            Some(generation) => {
                self.0.held.insert((kind, id), generation);
                if let Some(owned) = self.owned(kind) {
                    owned.start(id);
                }
                Ok(true)
            }
            None => {
                if reload_owner {
                    self.notify(format!("reload {} {id}", kind.as_str())).await;
                }
                Ok(false)
            }
        }
    }

    /// A deleted or disabled target: its lease row goes, and its owner elsewhere stops it.
    pub fn forget_later(&self, kind: Kind, id: i64) {
        if !self.0.leasing {
            return;
        }
        self.0.held.remove(&(kind, id));
        let cluster = self.clone();
        actix_web::rt::spawn(async move {
            let gone = db::run(&cluster.0.pool, move |conn| db::cluster::forget(conn, kind.as_str(), id)).await;
            if let Err(e) = gone {
                tracing::warn!(kind = kind.as_str(), id, error = %e, "dropping a lease failed; the keeper drops it later");
            }
            cluster.notify(format!("retire {} {id}", kind.as_str())).await;
        });
    }

    /// Tells the other processes that work for (`kind`, `id`) was queued here, if this process
    /// does not own it itself and others are alive.
    pub fn wake_elsewhere(&self, kind: Kind, ids: impl Iterator<Item = i64>) {
        if !self.0.leasing || self.0.peers.load(Ordering::Relaxed) == 0 {
            return;
        }
        let remote: Vec<i64> = ids.filter(|id| !self.0.held.contains_key(&(kind, *id))).collect();
        if remote.is_empty() {
            return;
        }
        let cluster = self.clone();
        actix_web::rt::spawn(async move {
            for id in remote {
                cluster.notify(format!("wake {} {id}", kind.as_str())).await;
            }
        });
    }

    /// Asks the owner of (`kind`, `id`), in whichever process, to `verb` it.
    pub fn ask_later(&self, verb: &'static str, kind: Kind, id: i64) {
        let cluster = self.clone();
        actix_web::rt::spawn(async move { cluster.notify(format!("{verb} {} {id}", kind.as_str())).await });
    }

    /// Tells the other processes that events were written (their webhook actors look now).
    pub fn events_elsewhere(&self) {
        if !self.0.leasing || self.0.peers.load(Ordering::Relaxed) == 0 {
            return;
        }
        let cluster = self.clone();
        actix_web::rt::spawn(async move { cluster.notify("events".to_string()).await });
    }

    async fn notify(&self, payload: String) {
        if !self.0.leasing {
            return;
        }
        let sent = db::run(&self.0.pool, move |conn| db::cluster::notify(conn, NOTIFY_CHANNEL, &payload)).await;
        if let Err(e) = sent {
            tracing::debug!(error = %e, "NOTIFY failed; the others' polling catches up");
        }
    }

    /// What a NOTIFY from another process asks of this one.
    fn on_notice(&self, payload: &str) {
        let mut words = payload.split(' ');
        let (verb, kind, id) =
            (words.next(), words.next().and_then(Kind::parse), words.next().and_then(|i| i.parse().ok()));
        match (verb, kind, id) {
            (Some("events"), _, _) => {
                if let Some(events) = self.0.events.get() {
                    events.do_send(crate::actors::inventory::EventsCommitted);
                }
            }
            (Some("tick"), _, _) => self.0.tick_now.notify_one(),
            (Some(verb), Some(kind), Some(id)) if self.0.held.contains_key(&(kind, id)) => {
                if let Some(owned) = self.owned(kind) {
                    match verb {
                        "wake" => owned.wake(id),
                        "poll" => owned.poll(id),
                        "reload" => owned.start(id),
                        "retire" => {
                            self.0.held.remove(&(kind, id));
                            owned.stop(id)
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Starts the keeper (renewal, share, takeover) and, on PostgreSQL, the listener. The first
    /// look is made before this returns, so what this process owns runs before it serves.
    pub async fn start(&self, database_url: String) {
        keeper::look(self).await;
        keeper::spawn(self.clone());
        if self.0.leasing {
            listen::spawn(Arc::downgrade(&self.0), self.0.running.clone(), database_url);
            // The others look now: they learn of a peer (and hand this one its share) at once.
            self.notify("tick".to_string()).await;
        }
    }

    /// A clean stop: this process's actors stopped, its leases handed back, the others told.
    pub async fn leave(&self) {
        self.0.running.store(false, Ordering::Relaxed);
        for entry in self.0.held.iter() {
            let (kind, id) = *entry.key();
            if let Some(owned) = self.owned(kind) {
                owned.stop(id);
            }
        }
        self.0.held.clear();
        let me = self.0.me.clone();
        match db::run(&self.0.pool, move |conn| db::cluster::leave(conn, &me)).await {
            Ok(n) => tracing::info!(leases = n, "left the cluster; leases handed back"),
            Err(e) => tracing::warn!(error = %e, "leaving the cluster failed; the leases expire instead"),
        }
        self.notify("tick".to_string()).await;
    }
}
