//! The InventoryActor: the single writer of stock. Messages queue while a transaction is in
//! flight and are then committed together (group commit), so the batch — and throughput —
//! grows with load. Each sender is answered after the commit; then `StockChanged` goes out.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use actix::prelude::*;
use dashmap::DashMap;
use tokio::sync::oneshot;

use crate::db::inventory::{self as queries, LevelRow, SourceRow, Snapshot};
use crate::db::{self, DbPool};
use crate::domain::source::Source;
use crate::domain::stock::{self, Level, Outcome, SourceChange, SourceState, StockRuleError};

/// What the HTTP layer reads instead of the database: kept in step with every commit.
pub type StockCache = Arc<DashMap<String, CachedStock>>;

#[derive(Clone, Debug, PartialEq)]
pub struct CachedStock {
    pub level: Level,
    pub sources: BTreeMap<String, SourceState>,
}

/// Broadcast after each commit, once per SKU whose figures moved.
#[derive(Clone, Debug, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct StockChanged {
    pub sku: String,
    pub on_hand: i64,
    pub allocated: i64,
    pub available: i64,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InventoryError {
    #[error("unknown SKU: {}", .0.join(", "))]
    UnknownSku(Vec<String>),
    #[error("{sku}: {error}")]
    Rule { sku: String, error: StockRuleError },
    #[error("the stock transaction failed: {0}")]
    Storage(String),
    #[error("the inventory actor has stopped")]
    Stopped,
}

/// Sets one source's absolute quantity. A report older than the last applied (`as_of`, ms)
/// is ignored. Replies with the SKU's level after the commit.
#[derive(Debug, Message)]
#[rtype(result = "Result<Level, InventoryError>")]
pub struct SetSourceQuantity {
    pub sku: String,
    pub source: Source,
    pub quantity: i64,
    pub as_of: Option<i64>,
}

/// Adds `delta` (which may be negative) to one source's quantity.
#[derive(Debug, Message)]
#[rtype(result = "Result<Level, InventoryError>")]
pub struct AdjustQuantity {
    pub sku: String,
    pub source: Source,
    pub delta: i64,
}

/// Sets many SKUs of one source at once, all or nothing.
#[derive(Debug, Message)]
#[rtype(result = "Result<BulkOutcome, InventoryError>")]
pub struct SetMany {
    pub source: Source,
    pub items: Vec<(String, i64)>,
    pub as_of: Option<i64>,
    /// Create products for SKUs Chorus does not know yet (title = SKU) instead of refusing.
    pub create_missing: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkOutcome {
    /// SKUs whose quantity changed.
    pub changed: usize,
    /// SKUs already at the figure sent.
    pub unchanged: usize,
    /// SKUs whose report was older than the one already applied.
    pub stale: usize,
    /// Products created because `create_missing` was set.
    pub created: usize,
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Subscribe(pub Recipient<StockChanged>);

/// Resolves once nothing is queued or in flight (used at shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

type Reply = Result<BulkOutcome, InventoryError>;

/// One message's work, waiting for the next transaction.
struct Pending {
    ops: Vec<(String, String, SourceChange)>,
    create_missing: bool,
    reply: oneshot::Sender<(Reply, Vec<(String, Level)>)>,
}

pub struct InventoryActor {
    pool: DbPool,
    cache: StockCache,
    max_batch: usize,
    queue: Vec<Pending>,
    /// Transactions under way, and how many may be: on PostgreSQL a second one prepares while
    /// the first waits for its commit (row locks taken in SKU order keep them correct); SQLite
    /// has one writer, so there it is 1.
    in_flight: usize,
    max_in_flight: usize,
    subscribers: Vec<Recipient<StockChanged>>,
    drain_waiters: Vec<oneshot::Sender<()>>,
}

impl InventoryActor {
    pub fn new(pool: DbPool, cache: StockCache, max_batch: usize) -> Self {
        let max_in_flight = match pool.get().map(|c| c.kind()) {
            Ok(db::DatabaseKind::Postgres) => 2,
            _ => 1,
        };
        InventoryActor {
            pool,
            cache,
            max_batch: max_batch.max(1),
            queue: Vec::new(),
            in_flight: 0,
            max_in_flight,
            subscribers: Vec::new(),
            drain_waiters: Vec::new(),
        }
    }

    fn enqueue(
        &mut self,
        ops: Vec<(String, String, SourceChange)>,
        create_missing: bool,
        ctx: &mut Context<Self>,
    ) -> oneshot::Receiver<(Reply, Vec<(String, Level)>)> {
        let (tx, rx) = oneshot::channel();
        self.queue.push(Pending { ops, create_missing, reply: tx });
        self.flush(ctx);
        rx
    }

    /// Starts a transaction with everything queued (up to `max_batch` operations), unless one
    /// is already in flight: then the queue keeps growing and goes out next.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        while self.in_flight < self.max_in_flight && !self.queue.is_empty() {
            self.start_batch(ctx);
        }
        if self.in_flight == 0 {
            self.drain_waiters.drain(..).for_each(|w| {
                let _ = w.send(());
            });
        }
    }

    fn start_batch(&mut self, ctx: &mut Context<Self>) {
        let mut taken = 0;
        let mut split = 0;
        for p in &self.queue {
            if split > 0 && taken + p.ops.len() > self.max_batch {
                break;
            }
            taken += p.ops.len();
            split += 1;
        }
        let batch: Vec<Pending> = self.queue.drain(..split).collect();
        self.in_flight += 1;
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        let work = actix_web::rt::task::spawn_blocking(move || commit_and_reply(&pool, &cache, batch));
        ctx.spawn(work.into_actor(self).map(|changed, act, ctx| {
            act.in_flight -= 1;
            if let Ok(Ok(changed)) = changed {
                act.broadcast(changed);
            }
            act.flush(ctx);
        }));
    }

    fn broadcast(&mut self, changed: Vec<StockChanged>) {
        if self.subscribers.is_empty() {
            return;
        }
        self.subscribers.retain(|s| s.connected());
        for event in changed {
            for s in &self.subscribers {
                s.do_send(event.clone());
            }
        }
    }
}

impl Actor for InventoryActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Senders may queue far more than one transaction takes; don't make them wait twice.
        ctx.set_mailbox_capacity(1 << 20);
    }
}

fn level_for(rx: oneshot::Receiver<(Reply, Vec<(String, Level)>)>, sku: String) -> ResponseFuture<Result<Level, InventoryError>> {
    Box::pin(async move {
        let (reply, levels) = rx.await.map_err(|_| InventoryError::Stopped)?;
        reply?;
        levels
            .into_iter()
            .find(|(s, _)| *s == sku)
            .map(|(_, l)| l)
            .ok_or(InventoryError::UnknownSku(vec![sku]))
    })
}

impl Handler<SetSourceQuantity> for InventoryActor {
    type Result = ResponseFuture<Result<Level, InventoryError>>;

    fn handle(&mut self, msg: SetSourceQuantity, ctx: &mut Self::Context) -> Self::Result {
        let change = SourceChange::Set { quantity: msg.quantity, as_of: msg.as_of };
        let rx = self.enqueue(vec![(msg.sku.clone(), msg.source.to_string(), change)], false, ctx);
        level_for(rx, msg.sku)
    }
}

impl Handler<AdjustQuantity> for InventoryActor {
    type Result = ResponseFuture<Result<Level, InventoryError>>;

    fn handle(&mut self, msg: AdjustQuantity, ctx: &mut Self::Context) -> Self::Result {
        let change = SourceChange::Adjust { delta: msg.delta };
        let rx = self.enqueue(vec![(msg.sku.clone(), msg.source.to_string(), change)], false, ctx);
        level_for(rx, msg.sku)
    }
}

impl Handler<SetMany> for InventoryActor {
    type Result = ResponseFuture<Result<BulkOutcome, InventoryError>>;

    fn handle(&mut self, msg: SetMany, ctx: &mut Self::Context) -> Self::Result {
        let source = msg.source.to_string();
        let ops = msg
            .items
            .into_iter()
            .map(|(sku, quantity)| (sku, source.clone(), SourceChange::Set { quantity, as_of: msg.as_of }))
            .collect();
        let rx = self.enqueue(ops, msg.create_missing, ctx);
        Box::pin(async move { rx.await.map_err(|_| InventoryError::Stopped)?.0 })
    }
}

impl Handler<Subscribe> for InventoryActor {
    type Result = ();
    fn handle(&mut self, msg: Subscribe, _: &mut Self::Context) {
        self.subscribers.push(msg.0);
    }
}

impl Handler<Drain> for InventoryActor {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: Drain, ctx: &mut Self::Context) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.drain_waiters.push(tx);
        self.flush(ctx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

/// The outcome of one transaction, before anyone is told.
struct Committed {
    replies: Vec<Reply>,
    /// The level of every SKU the batch named, after the batch.
    levels: HashMap<String, Level>,
    /// SKUs whose sources were written, with their level and all their sources (for the cache).
    cache_updates: Vec<(String, Level, BTreeMap<String, SourceState>)>,
    /// SKUs whose figures moved: what subscribers hear.
    moved: Vec<StockChanged>,
}

/// Runs on the blocking pool: one transaction for the whole batch, then the cache, then the
/// replies. Returns what to broadcast.
fn commit_and_reply(pool: &DbPool, cache: &StockCache, batch: Vec<Pending>) -> Result<Vec<StockChanged>, ()> {
    let ops: usize = batch.iter().map(|p| p.ops.len()).sum();
    let span = tracing::debug_span!("inventory.commit", messages = batch.len(), ops);
    let _enter = span.enter();
    let now = db::now_ms();
    let result = pool
        .get()
        .map_err(db::DbError::from)
        .and_then(|mut conn| db::write_tx(&mut conn, |conn| apply_batch(conn, &batch, now)).map_err(db::DbError::from));
    match result {
        Ok(committed) => {
            for (sku, level, sources) in committed.cache_updates {
                // With two transactions in flight, never let an older figure overwrite a newer.
                let mut entry = cache.entry(sku).or_insert_with(|| CachedStock { level, sources: sources.clone() });
                if entry.level.version <= level.version {
                    *entry = CachedStock { level, sources };
                }
            }
            for (pending, reply) in batch.into_iter().zip(committed.replies) {
                let mine = match pending.ops.as_slice() {
                    [(sku, _, _)] => committed.levels.get(sku).map(|l| vec![(sku.clone(), *l)]).unwrap_or_default(),
                    _ => Vec::new(),
                };
                let _ = pending.reply.send((reply, mine));
            }
            Ok(committed.moved)
        }
        Err(e) => {
            tracing::error!(error = %e, ops, "stock transaction failed; every sender in it is told");
            for pending in batch {
                let _ = pending.reply.send((Err(InventoryError::Storage(e.to_string())), Vec::new()));
            }
            Err(())
        }
    }
}

/// The transaction body: read the touched SKUs once, apply every message in order in memory
/// (a message that breaks a rule fails alone), then write the results as set-based upserts.
fn apply_batch(conn: &mut db::DbConn, batch: &[Pending], now: i64) -> Result<Committed, diesel::result::Error> {
    let to_create: Vec<&str> = batch
        .iter()
        .filter(|p| p.create_missing)
        .flat_map(|p| p.ops.iter().map(|(sku, _, _)| sku.as_str()))
        .collect();
    let created = if to_create.is_empty() { 0 } else { db::products::insert_missing(conn, &to_create, now)? };
    let skus: Vec<&str> = batch.iter().flat_map(|p| p.ops.iter().map(|(sku, _, _)| sku.as_str())).collect();
    let mut snap = queries::load_for_update(conn, &skus)?;
    let mut dirty_sources: HashSet<(String, String)> = HashSet::new();
    let mut replies = Vec::with_capacity(batch.len());
    for pending in batch {
        let reply = apply_message(&mut snap, pending, &mut dirty_sources);
        replies.push(reply.map(|o| BulkOutcome { created: if pending.create_missing { created } else { 0 }, ..o }));
    }
    // On-hand is recomputed only for SKUs whose sources moved.
    let touched: HashSet<&str> = dirty_sources.iter().map(|(sku, _)| sku.as_str()).collect();
    let mut sources_by_sku: HashMap<&str, BTreeMap<String, SourceState>> = HashMap::new();
    for ((sku, source), state) in &snap.sources {
        if touched.contains(sku.as_str()) {
            sources_by_sku.entry(sku.as_str()).or_default().insert(source.clone(), *state);
        }
    }
    let mut cache_updates = Vec::with_capacity(sources_by_sku.len());
    let mut moved = Vec::new();
    let mut level_rows = Vec::new();
    for (sku, sources) in sources_by_sku {
        let Some(old) = snap.levels.get(sku).copied() else { continue };
        let on_hand: i64 = sources.values().map(|s| s.quantity).sum();
        let level = if on_hand == old.on_hand {
            old
        } else {
            let level = Level { on_hand, allocated: old.allocated, version: old.version + 1 };
            level_rows.push(LevelRow {
                sku: sku.to_string(),
                on_hand,
                allocated: level.allocated,
                version: level.version,
                updated_at: now,
            });
            moved.push(StockChanged {
                sku: sku.to_string(),
                on_hand,
                allocated: level.allocated,
                available: level.available(),
                version: level.version,
            });
            level
        };
        cache_updates.push((sku.to_string(), level, sources));
    }
    let source_rows: Vec<SourceRow> = dirty_sources
        .into_iter()
        .map(|(sku, source)| {
            let state = snap.sources[&(sku.clone(), source.clone())];
            SourceRow { sku, source, quantity: state.quantity, as_of: state.as_of, updated_at: now }
        })
        .collect();
    queries::upsert_sources(conn, &source_rows)?;
    queries::upsert_levels(conn, &level_rows)?;
    let mut levels = snap.levels;
    for (sku, level, _) in &cache_updates {
        levels.insert(sku.clone(), *level);
    }
    Ok(Committed { replies, levels, cache_updates, moved })
}

/// Applies one message all-or-nothing onto the snapshot.
fn apply_message(
    snap: &mut Snapshot,
    pending: &Pending,
    dirty: &mut HashSet<(String, String)>,
) -> Reply {
    let unknown: Vec<String> = pending
        .ops
        .iter()
        .filter(|(sku, _, _)| !snap.levels.contains_key(sku))
        .map(|(sku, _, _)| sku.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !unknown.is_empty() {
        return Err(InventoryError::UnknownSku(unknown));
    }
    let mut overlay: HashMap<(String, String), SourceState> = HashMap::new();
    let mut outcome = BulkOutcome::default();
    for (sku, source, change) in &pending.ops {
        let key = (sku.clone(), source.clone());
        let current = overlay.get(&key).or_else(|| snap.sources.get(&key)).copied().unwrap_or_default();
        match stock::apply(current, *change) {
            Err(error) => return Err(InventoryError::Rule { sku: sku.clone(), error }),
            Ok(Outcome::Stale) => outcome.stale += 1,
            Ok(Outcome::Applied(next)) if next == current && snap.sources.contains_key(&key) => outcome.unchanged += 1,
            Ok(Outcome::Applied(next)) => {
                outcome.changed += 1;
                overlay.insert(key, next);
            }
        }
    }
    for (key, state) in overlay {
        snap.sources.insert(key.clone(), state);
        dirty.insert(key);
    }
    Ok(outcome)
}
