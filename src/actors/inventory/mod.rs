//! The InventoryActor: the single writer of stock. Messages queue while a transaction is in
//! flight and are then committed together (group commit), so the batch — and throughput —
//! grows with load. Each sender is answered after the commit; then `StockChanged` goes out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use actix::prelude::*;
use dashmap::DashMap;
use diesel::Connection;
use tokio::sync::oneshot;

use crate::db::inventory::{self as queries, LevelRow, Snapshot, SourceRow};
use crate::db::{self, DbPool};
use crate::domain::ids::{ChannelId, OrderId};
use crate::domain::source::Source;
use crate::domain::stock::{self, Level, Outcome, SourceChange, SourceState, StockRuleError};
use batch::Batch;

mod batch;
mod broadcast;
mod catalogue;
mod fulfilments;
mod orders;
mod removal;
mod schedule;
pub use broadcast::{EventsCommitted, Listen, Listener, Subscribe, WorkQueued};
pub use catalogue::StoreCatalogue;
pub use fulfilments::{CreateFulfilment, FulfilmentCreated, Idempotency};
pub use orders::{ImportOrders, ImportOutcome, OrderAction, OrderOutcome};
pub use removal::{DeleteChannel, DeleteProduct};
/// The order messages, for the HTTP layer.
pub mod orders_api {
    pub use super::orders::{OrderAction, OrderActionKind, OrderOutcome};
}

/// What the HTTP layer reads instead of the database: kept in step with every commit.
pub type StockCache = Arc<DashMap<String, CachedStock>>;

#[derive(Clone, Debug, PartialEq)]
pub struct CachedStock {
    pub level: Level,
    pub sources: Sources,
}

/// A SKU's sources by name, sorted: a vector, as most SKUs have one or two (a map per SKU
/// would cost a whole tree node each, half a kilobyte, across every SKU cached).
pub type Sources = Vec<(String, SourceState)>;

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
    #[error("no order has id {0}")]
    OrderNotFound(OrderId),
    #[error("{0}")]
    OrderState(String),
    #[error("{0}")]
    Fulfilment(String),
    #[error("SKU {sku:?} is held by open orders ({allocated} allocated)")]
    Held { sku: String, allocated: i64 },
    #[error("no channel has id {0}")]
    ChannelNotFound(ChannelId),
    #[error("channel {channel_id} has {open} open orders holding stock")]
    ChannelHasOpenOrders { channel_id: ChannelId, open: i64 },
    #[error("idempotency key {0:?} was used for a different request")]
    IdempotencyKeyReused(String),
    /// The importing process no longer holds the channel's lease: nothing was written.
    #[error("{0}")]
    Fenced(String),
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

/// Resolves once nothing is queued or in flight (used at shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

type Reply = Result<BulkOutcome, InventoryError>;

/// One message's work, waiting for the next transaction.
struct Pending {
    work: Work,
    reply: oneshot::Sender<Answer>,
}

enum Work {
    Stock { ops: Vec<(String, String, SourceChange)>, create_missing: bool },
    Import(ImportOrders),
    Order(OrderAction),
    Fulfil(CreateFulfilment),
    DeleteProduct(DeleteProduct),
    DeleteChannel(DeleteChannel),
    Catalogue(StoreCatalogue),
}

impl Work {
    /// Rows this work touches: what `max_batch` counts.
    fn weight(&self) -> usize {
        match self {
            Work::Stock { ops, .. } => ops.len(),
            Work::Import(m) => m.orders.iter().map(|o| o.lines.len() + 1).sum(),
            Work::Order(_) | Work::Fulfil(_) | Work::DeleteProduct(_) | Work::DeleteChannel(_) => 1,
            Work::Catalogue(c) => c.listings.len().max(1),
        }
    }

    /// The SKUs a stock message changes (none for other work, which runs alone).
    fn stock_skus(&self) -> impl Iterator<Item = &str> {
        let ops: &[(String, String, SourceChange)] = match self {
            Work::Stock { ops, .. } => ops,
            _ => &[],
        };
        ops.iter().map(|(sku, _, _)| sku.as_str())
    }
}

/// What a sender is told after the commit.
enum Answer {
    Stock(Reply, Option<Level>),
    Import(Result<ImportOutcome, InventoryError>),
    Order(Result<OrderOutcome, InventoryError>),
    Fulfil(Result<FulfilmentCreated, InventoryError>),
    Removed(Result<(), InventoryError>),
    Catalogue(Result<usize, InventoryError>),
}

pub struct InventoryActor {
    pool: DbPool,
    cache: StockCache,
    max_batch: usize,
    queue: Vec<Pending>,
    /// Transactions under way, and how many may be: on PostgreSQL a second stock transaction
    /// runs beside the first over SKUs the first does not hold (row locks taken in SKU order
    /// keep them correct against other processes); SQLite has one writer, so there it is 1.
    in_flight: usize,
    max_in_flight: usize,
    exclusive_in_flight: bool,
    /// SKUs held by stock transactions in flight, with how many hold each.
    busy: HashMap<String, usize>,
    /// The scheduler found nothing it could start beside the transaction in flight.
    window_blocked: bool,
    listeners: broadcast::Listeners,
    drain_waiters: Vec<oneshot::Sender<()>>,
}

impl InventoryActor {
    pub fn new(pool: DbPool, backend: db::DatabaseKind, cache: StockCache, max_batch: usize) -> Self {
        let max_in_flight = match backend {
            db::DatabaseKind::Postgres => 2,
            db::DatabaseKind::Sqlite => 1,
        };
        InventoryActor {
            pool,
            cache,
            max_batch: max_batch.max(1),
            queue: Vec::new(),
            in_flight: 0,
            max_in_flight,
            exclusive_in_flight: false,
            busy: HashMap::new(),
            window_blocked: false,
            listeners: Default::default(),
            drain_waiters: Vec::new(),
        }
    }

    fn enqueue(&mut self, work: Work, ctx: &mut Context<Self>) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        self.queue.push(Pending { work, reply: tx });
        self.flush(ctx);
        rx
    }

    /// Starts transactions with what is queued (up to `max_batch` operations each) while fewer
    /// than `max_in_flight` are under way; the queue keeps growing meanwhile and goes out next.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        // Batches that touch orders run alone: they read order lines before taking the stock
        // locks, so no other transaction of ours may change lines meanwhile. Pure stock
        // batches may overlap (on PostgreSQL) over SKUs the other does not hold.
        while self.in_flight < self.max_in_flight && !self.exclusive_in_flight {
            let Some(head) = self.queue.first() else { break };
            let touches_orders = !matches!(head.work, Work::Stock { .. });
            if touches_orders && self.in_flight > 0 {
                break;
            }
            // Everything the scheduler may look at waited on the transaction in flight: it
            // looks again once that ends, not at every message that arrives meanwhile.
            if self.window_blocked || !self.start_batch(ctx, touches_orders) {
                self.window_blocked = self.in_flight > 0;
                break;
            }
        }
        if self.in_flight == 0 {
            self.drain_waiters.drain(..).for_each(|w| {
                let _ = w.send(());
            });
        }
    }

    /// Starts one transaction with the messages [`schedule::pick`] chooses; false if it chose
    /// none (every queued one waits on a SKU held by the transaction in flight).
    fn start_batch(&mut self, ctx: &mut Context<Self>, exclusive: bool) -> bool {
        let queued = self.queue.iter().map(|p| schedule::Queued {
            stock: matches!(p.work, Work::Stock { .. }),
            weight: p.work.weight(),
            skus: p.work.stock_skus().collect(),
        });
        let picked = schedule::pick(queued, &self.busy, self.max_batch, exclusive);
        if picked.is_empty() {
            return false;
        }
        let batch: Vec<Pending> = if picked.last() == Some(&(picked.len() - 1)) {
            // The usual case: the head of the queue.
            self.queue.drain(..picked.len()).collect()
        } else {
            let mut batch = Vec::with_capacity(picked.len());
            let mut rest = Vec::with_capacity(self.queue.len() - picked.len());
            let mut next = picked.iter().peekable();
            for (i, p) in std::mem::take(&mut self.queue).into_iter().enumerate() {
                if next.peek() == Some(&&i) {
                    next.next();
                    batch.push(p);
                } else {
                    rest.push(p);
                }
            }
            self.queue = rest;
            batch
        };
        let held: Vec<String> = batch.iter().flat_map(|p| p.work.stock_skus().map(str::to_string)).collect();
        for sku in &held {
            *self.busy.entry(sku.clone()).or_default() += 1;
        }
        self.in_flight += 1;
        self.exclusive_in_flight = exclusive;
        let pool = self.pool.clone();
        let cache = self.cache.clone();
        let work = actix_web::rt::task::spawn_blocking(move || commit_and_reply(&pool, &cache, batch));
        ctx.spawn(work.into_actor(self).map(move |changed, act, ctx| {
            act.in_flight -= 1;
            act.window_blocked = false;
            if exclusive {
                act.exclusive_in_flight = false;
            }
            for sku in held {
                if let std::collections::hash_map::Entry::Occupied(mut e) = act.busy.entry(sku) {
                    *e.get_mut() -= 1;
                    if *e.get() == 0 {
                        e.remove();
                    }
                }
            }
            if let Ok(Ok(committed)) = changed {
                let large = committed.moved.len() >= LARGE_BATCH_SKUS;
                act.listeners.announce(&committed.push_channels, &committed.routed, committed.moved);
                if large {
                    crate::telemetry::give_back_memory();
                }
            }
            act.flush(ctx);
        }));
        true
    }
}

/// A batch moving this many SKUs leaves freed memory worth handing back to the system.
const LARGE_BATCH_SKUS: usize = 10_000;

impl Actor for InventoryActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Senders may queue far more than one transaction takes; don't make them wait twice.
        ctx.set_mailbox_capacity(1 << 20);
    }
}

/// Waits for the commit and takes this sender's answer out of it.
fn answer<T: 'static>(
    rx: oneshot::Receiver<Answer>,
    pick: impl FnOnce(Answer) -> Option<Result<T, InventoryError>> + 'static,
) -> ResponseFuture<Result<T, InventoryError>> {
    Box::pin(async move { rx.await.ok().and_then(pick).unwrap_or(Err(InventoryError::Stopped)) })
}

fn level_for(rx: oneshot::Receiver<Answer>, sku: String) -> ResponseFuture<Result<Level, InventoryError>> {
    answer(rx, move |a| match a {
        Answer::Stock(reply, level) => Some(reply.and_then(|_| level.ok_or(InventoryError::UnknownSku(vec![sku])))),
        _ => None,
    })
}

impl Handler<SetSourceQuantity> for InventoryActor {
    type Result = ResponseFuture<Result<Level, InventoryError>>;

    fn handle(&mut self, msg: SetSourceQuantity, ctx: &mut Self::Context) -> Self::Result {
        let change = SourceChange::Set { quantity: msg.quantity, as_of: msg.as_of };
        let ops = vec![(msg.sku.clone(), msg.source.to_string(), change)];
        let rx = self.enqueue(Work::Stock { ops, create_missing: false }, ctx);
        level_for(rx, msg.sku)
    }
}

impl Handler<AdjustQuantity> for InventoryActor {
    type Result = ResponseFuture<Result<Level, InventoryError>>;

    fn handle(&mut self, msg: AdjustQuantity, ctx: &mut Self::Context) -> Self::Result {
        let change = SourceChange::Adjust { delta: msg.delta };
        let ops = vec![(msg.sku.clone(), msg.source.to_string(), change)];
        let rx = self.enqueue(Work::Stock { ops, create_missing: false }, ctx);
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
        let rx = self.enqueue(Work::Stock { ops, create_missing: msg.create_missing }, ctx);
        answer(rx, |a| match a {
            Answer::Stock(reply, _) => Some(reply),
            _ => None,
        })
    }
}

/// A message that queues one piece of work and answers with that work's own reply.
macro_rules! work_handler {
    ($msg:ty => $reply:ty, $work:path, $answer:path) => {
        impl Handler<$msg> for InventoryActor {
            type Result = ResponseFuture<Result<$reply, InventoryError>>;

            fn handle(&mut self, msg: $msg, ctx: &mut Self::Context) -> Self::Result {
                let rx = self.enqueue($work(msg), ctx);
                answer(rx, |a| match a {
                    $answer(reply) => Some(reply),
                    _ => None,
                })
            }
        }
    };
}

work_handler!(ImportOrders => ImportOutcome, Work::Import, Answer::Import);
work_handler!(OrderAction => OrderOutcome, Work::Order, Answer::Order);
work_handler!(CreateFulfilment => FulfilmentCreated, Work::Fulfil, Answer::Fulfil);
work_handler!(DeleteProduct => (), Work::DeleteProduct, Answer::Removed);
work_handler!(DeleteChannel => (), Work::DeleteChannel, Answer::Removed);
work_handler!(StoreCatalogue => usize, Work::Catalogue, Answer::Catalogue);

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
#[derive(Default)]
struct Committed {
    answers: Vec<Answer>,
    /// SKUs whose figures were written, with their level and all their sources (for the cache).
    cache_updates: Vec<(String, Level, Sources)>,
    /// SKUs whose figures moved: what subscribers hear.
    moved: Vec<StockChanged>,
    /// Channels with stock pushes newly queued.
    push_channels: BTreeSet<i64>,
    /// Plugins with orders newly queued.
    routed: BTreeSet<i64>,
}

/// Runs on the blocking pool: one transaction for the whole batch, then the cache, then the
/// replies. Returns what to broadcast.
///
/// A transaction the database refuses for reasons of its own (a deadlock, a lock held past the
/// busy timeout) is tried again; one that fails for a reason of a message's own is split, each
/// message in a transaction of its own, so only that message is answered with the failure.
fn commit_and_reply(pool: &DbPool, cache: &StockCache, batch: Vec<Pending>) -> Result<Committed, ()> {
    let weight: usize = batch.iter().map(|p| p.work.weight()).sum();
    let span = tracing::debug_span!("inventory.commit", messages = batch.len(), weight);
    let _enter = span.enter();
    let now = db::now_ms();
    let (works, replies): (Vec<Work>, Vec<oneshot::Sender<Answer>>) =
        batch.into_iter().map(|p| (p.work, p.reply)).unzip();
    let started = std::time::Instant::now();
    let (answers, committed) = match commit_retrying(pool, cache, &works, now) {
        Ok(mut committed) => {
            crate::measure::inventory_batch(weight, started.elapsed());
            (std::mem::take(&mut committed.answers), Some(committed))
        }
        // Still refused after the retries, the database is unwell, not one message: splitting
        // the batch would only multiply the waiting.
        Err(e) if works.len() == 1 || e.is_transient() => {
            tracing::error!(error = %e, weight, "stock transaction failed; every sender in it is told");
            (works.iter().map(|w| failed_answer(w, &e)).collect(), None)
        }
        Err(e) => {
            tracing::warn!(error = %e, messages = works.len(), "stock transaction failed; its messages go one by one");
            let mut merged: Option<Committed> = None;
            let mut answers = Vec::with_capacity(works.len());
            for work in &works {
                match commit_retrying(pool, cache, std::slice::from_ref(work), now) {
                    Ok(mut one) => {
                        answers.append(&mut one.answers);
                        match merged.as_mut() {
                            Some(all) => all.absorb(one),
                            None => merged = Some(one),
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a stock message failed on its own; its sender is told");
                        answers.push(failed_answer(work, &e));
                    }
                }
            }
            (answers, merged)
        }
    };
    for (reply, answer) in replies.into_iter().zip(answers) {
        let _ = reply.send(answer);
    }
    committed.ok_or(())
}

/// How many times a transaction refused for a transient reason is tried in all.
const TRANSIENT_ATTEMPTS: u32 = 4;

/// Commits `works` in one transaction, trying again after a transient refusal.
fn commit_retrying(pool: &DbPool, cache: &StockCache, works: &[Work], now: i64) -> Result<Committed, db::DbError> {
    let mut attempt = 1;
    loop {
        match commit_once(pool, cache, works, now) {
            Err(e) if e.is_transient() && attempt < TRANSIENT_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "stock transaction refused for a transient reason; trying again");
                // Blocking pool thread: a short sleep lets the other holder of the lock finish.
                std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One transaction over `works`. The cache takes the new figures just before the commit, so
/// nobody can read an order the commit made visible beside an older stock figure; if the commit
/// fails, those SKUs are dropped from the cache and the next read goes to the database.
fn commit_once(pool: &DbPool, cache: &StockCache, works: &[Work], now: i64) -> Result<Committed, db::DbError> {
    if let [Work::Stock { ops, create_missing }] = works {
        if ops.len() > STOCK_STEP {
            return commit_in_steps(pool, cache, ops, *create_missing, now);
        }
    }
    let mut cached_skus: Vec<String> = Vec::new();
    let result = pool.get().map_err(db::DbError::from).and_then(|mut conn| {
        db::write_tx(&mut conn, |conn| {
            let committed = apply_batch(conn, works, now)?;
            update_cache(cache, &committed.cache_updates, &mut cached_skus);
            Ok::<_, diesel::result::Error>(committed)
        })
        .map_err(db::DbError::from)
    });
    if result.is_err() {
        for sku in &cached_skus {
            cache.remove(sku);
        }
    }
    result
}

/// SKUs one step of a large stock message takes: a 100,000-SKU bulk is applied in steps of
/// this many inside its one transaction, so no step holds every SKU's snapshot in memory.
const STOCK_STEP: usize = 10_000;

/// Gives the cache the new figures (before the commit, as `commit_once` says), noting them.
fn update_cache(cache: &StockCache, updates: &[(String, Level, Sources)], cached_skus: &mut Vec<String>) {
    for (sku, level, sources) in updates {
        cached_skus.push(sku.clone());
        // With two transactions in flight, never let an older figure overwrite a newer.
        let mut entry =
            cache.entry(sku.clone()).or_insert_with(|| CachedStock { level: *level, sources: sources.clone() });
        if entry.level.version <= level.version {
            *entry = CachedStock { level: *level, sources: sources.clone() };
        }
    }
}

/// One large stock message, all or nothing, in steps: each step locks, applies and writes its
/// SKUs and is then dropped. A step refused by a rule (an unknown SKU, a negative result)
/// rolls the whole transaction back and is the message's answer.
fn commit_in_steps(
    pool: &DbPool,
    cache: &StockCache,
    ops: &[(String, String, SourceChange)],
    create_missing: bool,
    now: i64,
) -> Result<Committed, db::DbError> {
    let mut cached_skus: Vec<String> = Vec::new();
    let mut refused: Option<Answer> = None;
    let result = pool.get().map_err(db::DbError::from).and_then(|mut conn| {
        db::write_tx(&mut conn, |conn| {
            let mut total = Committed::default();
            let mut outcome = BulkOutcome::default();
            for step in ops.chunks(STOCK_STEP) {
                let work = Work::Stock { ops: step.to_vec(), create_missing };
                let mut committed = apply_batch(conn, std::slice::from_ref(&work), now)?;
                match committed.answers.pop() {
                    Some(Answer::Stock(Ok(o), _)) => {
                        outcome.changed += o.changed;
                        outcome.unchanged += o.unchanged;
                        outcome.stale += o.stale;
                        outcome.created += o.created;
                    }
                    other => {
                        refused = other;
                        return Err(diesel::result::Error::RollbackTransaction);
                    }
                }
                update_cache(cache, &committed.cache_updates, &mut cached_skus);
                // The cache has them; only what subscribers hear is kept for the whole message.
                committed.cache_updates = Vec::new();
                total.absorb(committed);
            }
            total.answers = vec![Answer::Stock(Ok(outcome), None)];
            Ok::<_, diesel::result::Error>(total)
        })
        .map_err(db::DbError::from)
    });
    if result.is_err() {
        for sku in &cached_skus {
            cache.remove(sku);
        }
    }
    match (result, refused) {
        (Err(_), Some(answer)) => Ok(Committed { answers: vec![answer], ..Committed::default() }),
        (result, _) => result,
    }
}

/// The answer a message gets when the database refused its transaction.
fn failed_answer(work: &Work, e: &db::DbError) -> Answer {
    let failed = InventoryError::Storage(e.to_string());
    match work {
        Work::Stock { .. } => Answer::Stock(Err(failed), None),
        Work::Import(_) => Answer::Import(Err(failed)),
        Work::Order(_) => Answer::Order(Err(failed)),
        Work::Fulfil(_) => Answer::Fulfil(Err(failed)),
        Work::DeleteProduct(_) | Work::DeleteChannel(_) => Answer::Removed(Err(failed)),
        Work::Catalogue(_) => Answer::Catalogue(Err(failed)),
    }
}

impl Committed {
    /// Adds what another transaction committed after this one.
    fn absorb(&mut self, other: Committed) {
        self.answers.extend(other.answers);
        self.cache_updates.extend(other.cache_updates);
        self.moved.extend(other.moved);
        self.push_channels.extend(other.push_channels);
        self.routed.extend(other.routed);
    }
}

/// The transaction body: read and lock every SKU the batch names once, apply each message in
/// order in memory (one that breaks a rule fails alone), then write the results as set-based
/// upserts.
fn apply_batch(conn: &mut db::DbConn, works: &[Work], now: i64) -> Result<Committed, diesel::result::Error> {
    let mut batch = open_batch(conn, works, now)?;
    let mut answers: Vec<Answer> =
        works.iter().map(|work| apply_one(conn, &mut batch, work, now)).collect::<Result<_, _>>()?;
    let written = write_figures(conn, &mut batch, now)?;
    // Single-SKU stock senders are told their SKU's level after the batch.
    for (answer, work) in answers.iter_mut().zip(works) {
        if let (Answer::Stock(Ok(_), level), Work::Stock { ops, .. }) = (answer, work) {
            if let [(sku, _, _)] = ops.as_slice() {
                *level = batch.snap.levels.get(sku).copied();
            }
        }
    }
    let mut push_channels = written.push_channels;
    push_channels.extend(works.iter().filter_map(|w| match w {
        Work::Import(m) => Some(m.channel_id.get()),
        _ => None,
    }));
    Ok(Committed {
        answers,
        cache_updates: written.cache_updates,
        moved: written.moved,
        push_channels,
        routed: batch.routed,
    })
}

/// Creates the products the batch may create, then locks and reads every SKU it names.
fn open_batch(conn: &mut db::DbConn, works: &[Work], now: i64) -> Result<Batch, diesel::result::Error> {
    let to_create: Vec<&str> = works
        .iter()
        .filter_map(|w| match w {
            Work::Stock { ops, create_missing: true } => Some(ops.iter().map(|(sku, _, _)| sku.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    let created: HashSet<String> = if to_create.is_empty() {
        HashSet::new()
    } else {
        db::products::insert_missing(conn, &to_create, now)?.into_iter().collect()
    };
    let mut linked_channels: Vec<i64> = Vec::new();
    if !created.is_empty() {
        let fresh: Vec<&str> = created.iter().map(String::as_str).collect();
        linked_channels = db::channel_products::link_unlinked(conn, &fresh, now)?;
    }
    let stored = orders::stored(conn, works)?;
    let mut skus: Vec<&str> = Vec::new();
    for work in works {
        match work {
            Work::Stock { ops, .. } => skus.extend(ops.iter().map(|(sku, _, _)| sku.as_str())),
            Work::Import(m) => {
                skus.extend(m.orders.iter().flat_map(|o| o.lines.iter().filter_map(|l| l.sku.as_deref())))
            }
            Work::DeleteProduct(d) => skus.push(d.sku.as_str()),
            // Every stock row a catalogue read may queue a push for is locked with the rest.
            Work::Catalogue(c) => skus.extend(c.listings.iter().map(|l| l.sku.as_str())),
            Work::Order(_) | Work::Fulfil(_) | Work::DeleteChannel(_) => {}
        }
    }
    skus.extend(stored.skus.iter().map(String::as_str));
    let snap = queries::load_for_update(conn, &skus)?;
    // After the stock rows, as every batch takes them: a batch never waits for a stock row
    // while holding an order another batch wants first.
    db::orders::lock(conn, &stored.orders)?;
    let mut batch = Batch::new(snap, created, linked_channels);
    batch.locked_orders.extend(stored.orders);
    Ok(batch)
}

/// Applies one message to the batch and says what its sender is told. Only a failure of the
/// whole transaction is an `Err`; a message refused, or failing alone, is its answer.
fn apply_one(conn: &mut db::DbConn, batch: &mut Batch, work: &Work, now: i64) -> Result<Answer, diesel::result::Error> {
    Ok(match work {
        Work::Stock { ops, create_missing } => {
            let created = &batch.created;
            let outcome = apply_stock(&mut batch.snap, ops, &mut batch.dirty_sources).map(|o| BulkOutcome {
                created: if *create_missing {
                    ops.iter().filter(|(sku, _, _)| created.contains(sku)).count()
                } else {
                    0
                },
                ..o
            });
            Answer::Stock(outcome, None)
        }
        Work::Import(m) => Answer::Import(isolated(conn, batch, |c, b| {
            if let Some(fence) = &m.fence {
                match db::cluster::check_unlocked(c, fence) {
                    Ok(()) => {}
                    Err(db::DbError::Query(e)) => return Err(e),
                    Err(e) => return Ok(Err(InventoryError::Fenced(e.to_string()))),
                }
            }
            orders::apply_import(c, b, m, now).map(Ok)
        })),
        Work::Order(a) => Answer::Order(isolated(conn, batch, |c, b| orders::apply_action(c, b, a, now))),
        Work::DeleteProduct(d) => Answer::Removed(isolated(conn, batch, |c, b| {
            Ok(removal::delete_product(c, &mut b.snap, d, now)?.map(|channels| b.push_channels.extend(channels)))
        })),
        Work::Catalogue(cat) => Answer::Catalogue(isolated(conn, batch, |c, b| {
            let stored = catalogue::apply(c, cat, now)?;
            if stored.is_ok() {
                b.push_channels.insert(cat.channel_id.get());
            }
            Ok(stored)
        })),
        Work::DeleteChannel(d) => Answer::Removed(isolated(conn, batch, |c, _| removal::delete_channel(c, d))),
        Work::Fulfil(f) => {
            let created = fulfilments::apply(conn, batch, f, now)?;
            if let Ok(c) = &created {
                batch.push_channels.insert(c.channel_id.get());
            }
            Answer::Fulfil(created)
        }
    })
}

/// What writing the batch's figures produced.
struct Written {
    cache_updates: Vec<(String, Level, Sources)>,
    moved: Vec<StockChanged>,
    /// Channels given a push of a new `available`.
    push_channels: BTreeSet<i64>,
}

/// Writes the new figures of every SKU the batch moved, the `inventory.updated` events, and
/// the stock pushes to the outbox, all in the batch's transaction.
fn write_figures(conn: &mut db::DbConn, batch: &mut Batch, now: i64) -> Result<Written, diesel::result::Error> {
    let touched = batch.touched();
    let mut sources_by_sku: HashMap<&str, Sources> = HashMap::new();
    for ((sku, source), state) in &batch.snap.sources {
        if touched.contains(sku.as_str()) {
            sources_by_sku.entry(sku.as_str()).or_default().push((source.clone(), *state));
        }
    }
    let mut cache_updates = Vec::with_capacity(touched.len());
    let mut moved = Vec::new();
    let mut new_available: Vec<(String, i64)> = Vec::new();
    let mut level_rows = Vec::new();
    let mut new_levels = Vec::with_capacity(touched.len());
    for sku in touched {
        let (Some(old), Some(current)) = (batch.before.get(sku).copied(), batch.snap.levels.get(sku).copied()) else {
            continue;
        };
        let mut sources = sources_by_sku.remove(sku).unwrap_or_default();
        sources.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let on_hand = if sources.is_empty() { current.on_hand } else { sources.iter().map(|(_, s)| s.quantity).sum() };
        let level = if on_hand == old.on_hand && current.allocated == old.allocated {
            old
        } else {
            let level = Level { on_hand, allocated: current.allocated, version: old.version + 1 };
            level_rows.push(LevelRow {
                sku: sku.to_string(),
                on_hand,
                allocated: level.allocated,
                version: level.version,
                updated_at: now,
            });
            if level.available() != old.available() {
                new_available.push((sku.to_string(), level.available()));
            }
            moved.push(StockChanged {
                sku: sku.to_string(),
                on_hand,
                allocated: level.allocated,
                available: level.available(),
                version: level.version,
            });
            level
        };
        new_levels.push((sku.to_string(), level));
        cache_updates.push((sku.to_string(), level, sources));
    }
    batch.snap.levels.extend(new_levels);
    let source_rows: Vec<SourceRow> = batch
        .dirty_sources
        .iter()
        .map(|key| {
            let state = batch.snap.sources[key];
            SourceRow {
                sku: key.0.clone(),
                source: key.1.clone(),
                quantity: state.quantity,
                as_of: state.as_of,
                updated_at: now,
            }
        })
        .collect();
    // Subscribers hear of every SKU whose figures moved, and the channels of every new
    // `available` (through the outbox), in this same transaction: no committed figure can miss
    // its event or its push.
    let moved_skus: HashSet<&str> = moved.iter().map(|m| m.sku.as_str()).collect();
    let snapshots: Vec<db::snapshots::StockSnapshot> = cache_updates
        .iter()
        .filter(|(sku, _, _)| moved_skus.contains(sku.as_str()))
        .map(|(sku, level, sources)| db::snapshots::StockSnapshot {
            sku,
            on_hand: level.on_hand,
            allocated: level.allocated,
            available: level.available(),
            version: level.version,
            sources: sources.iter().map(|(name, s)| (name.as_str(), s.quantity)).collect(),
        })
        .collect();
    let events = db::snapshots::inventory_events(&snapshots, now);
    let figures =
        db::figures::Figures { sources: &source_rows, levels: &level_rows, events: &events, available: &new_available };
    let mut push_channels = db::figures::write(conn, &figures, now)?;
    // One figure per channel and SKU: a statement upserting a row twice is refused.
    let mut by_channel: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
    for channel in &batch.resend {
        // A SKU the batch did not lock is not being changed: its stored figure is current.
        let stored = db::inventory::availability_of_channel(conn, *channel)?;
        let figures = by_channel.entry(*channel).or_default();
        for (sku, available) in stored {
            let available = batch.snap.levels.get(&sku).map_or(available, Level::available);
            figures.insert(sku, available);
        }
        push_channels.insert(*channel);
    }
    for (channel, sku) in &batch.shifted {
        if let Some(level) = batch.snap.levels.get(sku) {
            by_channel.entry(*channel).or_default().insert(sku.clone(), level.available());
        }
    }
    for (channel, figures) in by_channel {
        let figures: Vec<(String, i64)> = figures.into_iter().collect();
        db::outbox::queue_for_channel(conn, channel, &figures, now)?;
    }
    push_channels.extend(batch.push_channels.iter().copied());
    Ok(Written { cache_updates, moved, push_channels })
}

/// Runs one message under a savepoint: if the database refuses it, that message alone fails
/// (its writes and its in-memory changes undone) and the batch goes on.
fn isolated<T>(
    conn: &mut db::DbConn,
    batch: &mut Batch,
    f: impl FnOnce(&mut db::DbConn, &mut Batch) -> diesel::QueryResult<Result<T, InventoryError>>,
) -> Result<T, InventoryError> {
    let mark = batch.mark();
    let outcome = conn.transaction(|c| match f(c, batch)? {
        Ok(v) => Ok(Ok(v)),
        // A refusal by the rules changes nothing either: roll its savepoint back too.
        Err(refused) => Err(Refused::Rule(refused)),
    });
    match outcome {
        Ok(result) => result,
        Err(failure) => {
            batch.undo(mark);
            match failure {
                Refused::Rule(e) => Err(e),
                Refused::Db(e) => {
                    tracing::error!(error = %e, "an order message failed; the rest of its batch goes on");
                    Err(InventoryError::Storage(e.to_string()))
                }
            }
        }
    }
}

enum Refused {
    Rule(InventoryError),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::Db(e)
    }
}

/// Applies one stock message all-or-nothing onto the snapshot.
fn apply_stock(
    snap: &mut Snapshot,
    ops: &[(String, String, SourceChange)],
    dirty: &mut HashSet<(String, String)>,
) -> Reply {
    let unknown: Vec<String> = ops
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
    for (sku, source, change) in ops {
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
