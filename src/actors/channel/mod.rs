//! ChannelActor: one per enabled channel. Owns its poll timer, its connector and its outbound
//! stock pushes; imports each page of orders through the InventoryActor. Supervised: a
//! connector that panics stops this actor alone, and the Supervisor restarts it with its state
//! reloaded, after a back-off.

mod fulfil;
mod poller;
mod push;

use crate::actors::error::ActorError;
use crate::actors::turn::Turn;
use poller::Poller;
use std::rc::Rc;
use std::time::Duration;

use actix::prelude::*;

use super::inventory::{ImportOrders, ImportOutcome, InventoryActor, StoreCatalogue};
use crate::connectors::{self, Connector};
use crate::db::{self, DbPool};

/// Re-fetch this far behind the cursor: channels report `updated_at` to the second, and a
/// change may show up in their search index a while after a later one. Re-reading is cheap:
/// an unchanged order is recognised and skipped.
pub const OVERLAP_MS: i64 = 10_000;
/// A bound on pages per poll, so one poll cannot run forever.
const MAX_PAGES: usize = 10_000;

/// Poll now (timer, webhook, operator).
#[derive(Message)]
#[rtype(result = "()")]
pub struct PollNow;

/// Send the channel's due stock pushes (queued by a commit, or falling due after a retry wait).
#[derive(Message)]
#[rtype(result = "()")]
pub struct PushNow;

/// Re-read the figures read while the channel was busy (see `push::verify`).
#[derive(Message)]
#[rtype(result = "()")]
struct VerifyFigures;

/// How long the channel must be free of reads before figures read earlier are checked again.
const VERIFY_AFTER: Duration = Duration::from_secs(3);

/// Read the channel's catalogue and store its listings as channel product data.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SyncCatalogue;

/// How often the catalogue is read again (listings change far less often than orders).
const CATALOGUE_EVERY: Duration = Duration::from_secs(3600);

pub use crate::actors::supervision::{Reload, Retire};

/// Test hook: the next poll panics inside the connector call, as a buggy connector would.
#[doc(hidden)]
#[derive(Message)]
#[rtype(result = "()")]
pub struct InjectPanic;

pub struct ChannelActor {
    /// The lease this actor writes under (None on SQLite: one process owns everything).
    fence: Option<crate::db::cluster::Fence>,
    id: i64,
    pool: DbPool,
    secrets: crate::secrets::SecretBox,
    /// `webhooks.allow_private_networks`: may the channel's address be a private one.
    allow_private: bool,
    inventory: Addr<InventoryActor>,
    /// The loaded channel with its connector; every poll goes through it, one at a time.
    poller: Option<Rc<Poller>>,
    timer: Option<SpawnHandle>,
    catalogue_timer: Option<SpawnHandle>,
    /// The timer's (and webhooks') polls: one at a time, once more if asked for meanwhile.
    poll: Turn,
    /// The push round: one at a time, and once more if asked for while it ran.
    push: Turn,
    /// A re-check of figures read earlier is under way (beside pushes, never two at once).
    verifying: bool,
    push_timer: Option<SpawnHandle>,
    /// Drains in a row that failed before reaching a verdict (an import or read failing).
    push_failures: i32,
    /// SKUs whose figures were read and are to be checked again once the channel is quiet.
    to_verify: std::collections::BTreeSet<String>,
    verify_timer: Option<SpawnHandle>,
    retired: bool,
    restarts: u32,
    /// Test hook (`InjectPanic`): the next timer poll panics inside the connector call.
    panic_next: bool,
}

impl ChannelActor {
    pub fn new(
        id: crate::domain::ids::ChannelId,
        pool: DbPool,
        inventory: Addr<InventoryActor>,
        secrets: crate::secrets::SecretBox,
        allow_private: bool,
        fence: Option<crate::db::cluster::Fence>,
    ) -> Self {
        ChannelActor {
            fence,
            id: id.get(),
            pool,
            secrets,
            allow_private,
            inventory,
            poller: None,
            timer: None,
            catalogue_timer: None,
            poll: Turn::Idle,
            push: Turn::Idle,
            verifying: false,
            push_timer: None,
            push_failures: 0,
            to_verify: Default::default(),
            verify_timer: None,
            retired: false,
            restarts: 0,
            panic_next: false,
        }
    }

    /// Loads the channel and (re)arms the timer; the first poll waits out any back-off.
    fn load(&mut self, ctx: &mut Context<Self>, first_poll_after: Duration) {
        if self.retired {
            return;
        }
        let pool = self.pool.clone();
        let id = self.id;
        let fut = db::run(&pool, move |conn| Ok(db::channels::find(conn, id)?));
        ctx.spawn(fut.into_actor(self).map(move |found, act, ctx| match found {
            Ok(Some(channel)) if channel.enabled => {
                let built = channel.kind().map_err(connectors::ConnectorError::from).and_then(|kind| {
                    connectors::for_channel(
                        kind,
                        &channel.base_url,
                        &channel.credentials,
                        &channel.options(),
                        &act.secrets,
                        act.allow_private,
                        crate::records::Tap::new(db::transactions::writer(act.pool.clone()), "channel", act.id),
                    )
                });
                let connector = match built {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::error!(channel_id = act.id, error = %e, "cannot build connector");
                        None
                    }
                };
                act.go_dormant(ctx);
                ctx.notify_later(SyncCatalogue, first_poll_after);
                // Whatever was queued before a stop or a crash goes out now.
                act.push_timer = Some(ctx.notify_later(PushNow, first_poll_after));
                act.catalogue_timer = Some(ctx.run_interval(CATALOGUE_EVERY, |_, ctx| ctx.notify(SyncCatalogue)));
                let cadence = channel.options().cadence_ms.map(Duration::from_millis);
                let every = cadence.unwrap_or(Duration::from_secs(channel.poll_interval_secs.max(1) as u64));
                act.poller = connector.map(|c| {
                    let mut poller = Poller::new(channel, c, act.inventory.clone(), act.pool.clone());
                    poller.fence = act.fence.clone();
                    Rc::new(poller)
                });
                // The interval starts only after the first (backed-off) poll, so a connector that
                // keeps panicking is not polled faster than its back-off allows.
                act.timer = Some(ctx.run_later(first_poll_after, move |act, ctx| {
                    ctx.notify(PollNow);
                    act.timer = Some(ctx.run_interval(every, |_, ctx| ctx.notify(PollNow)));
                }));
            }
            Ok(_) => {
                tracing::info!(channel_id = act.id, "channel gone or disabled; actor going dormant");
                act.go_dormant(ctx);
                act.poller = None;
            }
            Err(e) => {
                tracing::error!(channel_id = act.id, error = %e, "cannot load channel; retrying");
                ctx.notify_later(Reload, Duration::from_secs(2));
            }
        }));
    }
}

impl ChannelActor {
    /// No timer, nothing scheduled: the actor ends once the registry lets go of its address
    /// (stopping it outright would make its Supervisor start it again).
    fn go_dormant(&mut self, ctx: &mut Context<Self>) {
        for t in [self.timer.take(), self.catalogue_timer.take(), self.push_timer.take(), self.verify_timer.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_future(t);
        }
    }
}

impl Actor for ChannelActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.retired {
            return;
        }
        let backoff = crate::actors::supervision::restart_backoff(self.restarts);
        self.load(ctx, backoff);
    }
}

impl actix::Supervised for ChannelActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.poll.reset();
        self.push.reset();
        self.timer = None;
        tracing::warn!(channel_id = self.id, restarts = self.restarts, "channel actor restarting");
    }
}

impl Handler<PollNow> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: PollNow, ctx: &mut Context<Self>) {
        let Some(poller) = self.poller.clone() else { return };
        if !self.poll.begin() {
            return;
        }
        let span = tracing::info_span!("channel.poll", channel_id = self.id);
        let panic_now = std::mem::take(&mut self.panic_next);
        let guarded = crate::actors::supervision::guarded(async move { poller.poll_or_panic(panic_now).await }, span);
        ctx.spawn(guarded.into_actor(self).map(|result, act, ctx| {
            let again = act.poll.end();
            let error = match result {
                Ok(Ok(total)) => {
                    act.restarts = 0;
                    if total.new + total.updated > 0 {
                        tracing::info!(
                            channel_id = act.id,
                            new = total.new,
                            updated = total.updated,
                            on_hold = total.on_hold,
                            "orders imported"
                        );
                    }
                    None
                }
                Ok(Err(e)) => {
                    tracing::warn!(channel_id = act.id, error = %e, "poll failed");
                    Some(e.to_string())
                }
                Err(_) => {
                    tracing::error!(channel_id = act.id, "connector panicked; restarting this channel's actor");
                    record(&act.pool, act.id, Some("connector panicked; restarted".into()));
                    ctx.stop();
                    return;
                }
            };
            record(&act.pool, act.id, error);
            if again {
                ctx.notify(PollNow);
            }
        }));
    }
}

/// The InventoryActor's word that a commit queued pushes for this channel.
impl Handler<crate::actors::inventory::WorkQueued> for ChannelActor {
    type Result = ();
    fn handle(&mut self, _: crate::actors::inventory::WorkQueued, ctx: &mut Context<Self>) {
        self.handle(PushNow, ctx);
    }
}

impl Handler<PushNow> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: PushNow, ctx: &mut Context<Self>) {
        let Some(poller) = self.poller.clone() else { return };
        if !self.push.begin() {
            return;
        }
        if let Some(t) = self.push_timer.take() {
            ctx.cancel_future(t);
        }
        let work = async move { push::drain(&poller).await };
        let span = tracing::info_span!("channel.push", channel_id = self.id);
        let guarded = crate::actors::supervision::guarded(work, span);
        ctx.spawn(guarded.into_actor(self).map(|result, act, ctx| {
            let mut again = act.push.end();
            let next_due_at = match result {
                Ok(Ok(drained)) => {
                    act.push_failures = 0;
                    if !drained.read.is_empty() {
                        act.to_verify.extend(drained.read.iter().cloned());
                        // Each new read postpones the check: it runs once reads stop.
                        if let Some(t) = act.verify_timer.take() {
                            ctx.cancel_future(t);
                        }
                        act.verify_timer = Some(ctx.notify_later(VerifyFigures, VERIFY_AFTER));
                    }
                    if drained.pushed > 0 {
                        tracing::debug!(channel_id = act.id, pushed = drained.pushed, "stock pushed");
                    }
                    drained.next_due_at
                }
                Ok(Err(e)) => {
                    let mut wait = push::retry_delay(act.push_failures);
                    act.push_failures = act.push_failures.saturating_add(1);
                    // A newer figure queued during the failed round is not parked behind the
                    // back-off: it is tried again within a second.
                    if std::mem::take(&mut again) {
                        wait = wait.min(Duration::from_secs(1));
                    }
                    tracing::warn!(channel_id = act.id, error = %e, ?wait, "stock push round failed; retrying");
                    push::record_failure(&act.pool, act.id, e.to_string());
                    Some(db::now_ms() + wait.as_millis() as i64)
                }
                Err(_) => {
                    tracing::error!(channel_id = act.id, "connector panicked pushing stock; restarting");
                    ctx.stop();
                    return;
                }
            };
            if again {
                ctx.notify(PushNow);
            } else if let Some(at) = next_due_at {
                let wait = Duration::from_millis((at - db::now_ms()).clamp(0, 3_600_000) as u64);
                act.push_timer = Some(ctx.notify_later(PushNow, wait));
            }
        }));
    }
}

impl Handler<VerifyFigures> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: VerifyFigures, ctx: &mut Context<Self>) {
        self.verify_timer = None;
        if self.to_verify.is_empty() {
            return;
        }
        if self.verifying {
            self.verify_timer = Some(ctx.notify_later(VerifyFigures, VERIFY_AFTER));
            return;
        }
        let Some(poller) = self.poller.clone() else { return };
        let skus: Vec<String> = std::mem::take(&mut self.to_verify).into_iter().collect();
        // Pushes go on beside it: the check polls the channel first, which can take a while
        // under Shopify's cost throttle, and must not hold figures back meanwhile.
        self.verifying = true;
        let checked = skus.clone();
        let work = async move { push::verify(&poller, checked).await };
        let span = tracing::info_span!("channel.verify", channel_id = self.id);
        let guarded = crate::actors::supervision::guarded(work, span);
        ctx.spawn(guarded.into_actor(self).map(move |result, act, ctx| {
            act.verifying = false;
            match result {
                Ok(Ok(corrected)) if !corrected.is_empty() => {
                    // The correction was a read too: check it again once quiet.
                    act.to_verify.extend(corrected);
                    act.verify_timer = Some(ctx.notify_later(VerifyFigures, VERIFY_AFTER));
                    ctx.notify(PushNow);
                }
                Ok(Ok(_)) => {
                    if act.push.wanted_again() {
                        ctx.notify(PushNow);
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(channel_id = act.id, error = %e, "checking figures failed; trying again later");
                    act.to_verify.extend(skus);
                    act.verify_timer = Some(ctx.notify_later(VerifyFigures, VERIFY_AFTER * 2));
                    if act.push.wanted_again() {
                        ctx.notify(PushNow);
                    }
                }
                Err(_) => {
                    tracing::error!(channel_id = act.id, "connector panicked checking figures; restarting");
                    ctx.stop();
                }
            }
        }));
    }
}

fn record(pool: &DbPool, id: i64, error: Option<String>) {
    let pool = pool.clone();
    actix_web::rt::spawn(async move {
        let _ =
            db::run(&pool, move |conn| Ok(db::orders::record_poll(conn, id, error.as_deref(), db::now_ms())?)).await;
    });
}

impl Handler<SyncCatalogue> for ChannelActor {
    type Result = ();

    fn handle(&mut self, _: SyncCatalogue, ctx: &mut Context<Self>) {
        let Some(connector) = self.poller.as_ref().map(|p| p.connector.clone()) else { return };
        let (id, inventory, pool) = (self.id, self.inventory.clone(), self.pool.clone());
        let span = tracing::info_span!("channel.catalogue", channel_id = id);
        let work = crate::actors::supervision::guarded(sync_catalogue(id, connector, inventory, pool), span);
        ctx.spawn(work.into_actor(self).map(|result, act, ctx| match result {
            Ok(Ok(linked)) => {
                tracing::info!(channel_id = act.id, linked, "catalogue read");
                ctx.notify(PushNow);
            }
            Ok(Err(e)) => {
                tracing::warn!(channel_id = act.id, error = %e, "catalogue read failed");
                // A refusal (a location the shop does not have) stays on the channel's status
                // until a read succeeds: nothing can be linked or pushed until it is mended.
                if let ActorError::Connector(e @ connectors::ConnectorError::Permanent(_)) = e {
                    let (pool, id) = (act.pool.clone(), act.id);
                    let location = serde_json::json!({ "error": format!("catalogue read refused: {e}") }).to_string();
                    actix_web::rt::spawn(async move {
                        let _ = db::run(&pool, move |conn| Ok(db::orders::record_location(conn, id, &location)?)).await;
                    });
                }
            }
            Err(_) => {
                tracing::error!(channel_id = act.id, "connector panicked reading the catalogue; restarting");
                ctx.stop();
            }
        }));
    }
}

/// Reads every catalogue page; listings whose SKU Chorus knows become channel product data
/// (queueing a push of Chorus's figure to any new one), the rest are kept as unlinked.
async fn sync_catalogue(
    channel_id: i64,
    connector: Rc<dyn Connector>,
    inventory: Addr<InventoryActor>,
    pool: DbPool,
) -> Result<usize, ActorError> {
    let mut listings = Vec::new();
    let mut page = None;
    let mut location = None;
    for _ in 0..MAX_PAGES {
        let got = connector.fetch_catalogue(page.take()).await?;
        listings.extend(got.listings);
        location = got.location.or(location);
        match got.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    if let Some(location) = location.and_then(|l| serde_json::to_string(&l).ok()) {
        db::run(&pool, move |conn| Ok(db::orders::record_location(conn, channel_id, &location)?)).await?;
    }
    // Stored by the InventoryActor, in a stock transaction like every write that can queue a
    // push: the listings' stock rows are locked with everything else it writes.
    Ok(inventory.send(StoreCatalogue { channel_id: crate::domain::ids::ChannelId(channel_id), listings }).await??)
}

impl Handler<Reload> for ChannelActor {
    type Result = ();
    fn handle(&mut self, _: Reload, ctx: &mut Context<Self>) {
        self.load(ctx, Duration::ZERO);
    }
}

impl Handler<Retire> for ChannelActor {
    type Result = ();
    fn handle(&mut self, _: Retire, ctx: &mut Context<Self>) {
        self.retired = true;
        self.go_dormant(ctx);
        self.poller = None;
    }
}

impl Handler<InjectPanic> for ChannelActor {
    type Result = ();
    fn handle(&mut self, _: InjectPanic, _: &mut Context<Self>) {
        self.panic_next = true;
    }
}
