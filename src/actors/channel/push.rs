//! Draining a channel's stock pushes: read the due entries, send them in batches as large as
//! the channel takes, and remove each entry only once the figure it carried is confirmed and
//! is still the latest. A stale compare means the channel sold something Chorus has not seen:
//! import first, re-read the channel's figures, then push again.

use crate::actors::error::ActorError;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use super::poller::Poller;
use crate::connectors::{Connector, ConnectorError, PushOutcome, StockPush};
use crate::db::cluster::Fence;
use crate::db::{self, outbox, DbPool};
use crate::domain::stock::pushed_figure;

/// A bound on batches per drain, so one drain cannot run forever; the actor drains again.
const MAX_BATCHES: usize = 10_000;
/// Stale compares tolerated in one drain before the entries wait for the next.
const MAX_STALE_ROUNDS: u32 = 5;
/// How long entries whose compare kept going stale wait before the next try.
const STALE_PAUSE_MS: i64 = 2_000;

/// What one drain did.
#[derive(Debug, Default)]
pub struct Drained {
    pub pushed: usize,
    /// When the next entry falls due (ms), if any is waiting.
    pub next_due_at: Option<i64>,
    /// SKUs whose channel figure was read in this drain: a read can include a sale Chorus has
    /// not imported yet, and importing it later would count it twice, so they are read again
    /// once the channel is quiet (see [`verify`]).
    pub read: Vec<String>,
}

/// One due entry with what is needed to send it.
struct Due {
    seen: outbox::Seen,
    push: StockPush,
}

/// How long an entry waits after its `attempts`-th failure.
pub fn retry_delay(attempts: i32) -> Duration {
    crate::domain::backoff::doubling(attempts)
}

pub async fn drain(poller: &Poller) -> Result<Drained, ActorError> {
    let (connector, pool) = (&poller.connector, &poller.pool);
    let id = poller.id();
    let target = outbox::channel_target(id);
    let limit = connector.max_push_batch().max(1) as i64;
    let mut drained = Drained::default();
    // Fulfilments first: few, and each one a customer waiting for tracking.
    super::fulfil::drain(id, connector.clone(), pool.clone(), poller.fence.clone()).await?;
    let mut stale_rounds = 0;
    let mut stale_ids: Vec<i64> = Vec::new();
    let mut stale_skus: Vec<String> = Vec::new();
    // A cadence system (benchmarks) overwrites the channel's figures: no compare, no import first.
    let blind = poller.cadence.is_some();
    let compares = connector.compares_on_push() && !blind;
    for _ in 0..MAX_BATCHES {
        if due(pool, &target, id, limit).await?.is_empty() {
            break;
        }
        if !connector.compares_on_push() && !blind {
            // No compare-and-set on this channel: take in its latest sales right before
            // overwriting its figures, so the figures sent already count them.
            poller.poll().await?;
        }
        let mut batch = due(pool, &target, id, limit).await?;
        if batch.is_empty() {
            break;
        }
        if blind {
            batch.iter_mut().for_each(|d| d.push.compare_from = None);
        }
        if compares {
            if batch.iter().any(|d| d.push.compare_from.is_none()) {
                // A figure read now must not count a sale Chorus has not imported: import first.
                poller.poll().await?;
                batch = due(pool, &target, id, limit).await?;
            }
            drained.read.extend(batch.iter().filter(|d| d.push.compare_from.is_none()).map(|d| d.push.sku.clone()));
            learn_unknown_figures(connector, pool, id, &mut batch).await?;
            // The channel already shows these figures (its own sale moved it there): nothing to
            // send, and nothing spent of its rate limit.
            let (shown, rest): (Vec<Due>, Vec<Due>) =
                batch.into_iter().partition(|d| d.push.compare_from == Some(d.push.quantity));
            confirm(pool, id, poller.fence.as_ref(), &shown.iter().collect::<Vec<_>>()).await?;
            batch = rest;
            if batch.is_empty() {
                continue;
            }
        }
        let items: Vec<StockPush> = batch.iter().map(|d| d.push.clone()).collect();
        let started = std::time::Instant::now();
        let outcomes = match connector.push_stock(items).await {
            Ok(o) => o,
            Err(e) => {
                crate::measure::pushed(id, 0, false, started.elapsed());
                let wait = match &e {
                    ConnectorError::RateLimited(wait) => *wait,
                    _ => retry_delay(attempts_of(pool, &batch).await),
                };
                postpone(pool, batch.iter().map(|d| d.seen.id).collect(), e.to_string(), wait).await?;
                record(pool, id, 0, Some(e.to_string())).await;
                tracing::warn!(channel_id = id, error = %e, ?wait, "stock push failed; retrying later");
                drained.next_due_at = next_due(pool, &target).await?;
                return Ok(drained);
            }
        };
        let mut confirmed = Vec::new();
        let mut stale = Vec::new();
        let mut rejected: Vec<(i64, String)> = Vec::new();
        for (d, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                PushOutcome::Applied => confirmed.push(d),
                PushOutcome::Stale => stale.push(d.push.sku.clone()),
                PushOutcome::Rejected(why) => rejected.push((d.seen.id, why)),
                PushOutcome::NotApplied => {}
            }
        }
        drained.pushed += confirmed.len();
        crate::measure::pushed(id, confirmed.len(), true, started.elapsed());
        if confirmed.is_empty() && stale.is_empty() && rejected.is_empty() {
            // Nothing came of the call (the channel answered without a verdict per item): wait
            // rather than send the same batch again at once.
            let wait = retry_delay(attempts_of(pool, &batch).await);
            let why = "the channel confirmed none of the figures sent".to_string();
            postpone(pool, batch.iter().map(|d| d.seen.id).collect(), why.clone(), wait).await?;
            record(pool, id, 0, Some(why)).await;
            break;
        }
        confirm(pool, id, poller.fence.as_ref(), &confirmed).await?;
        let error = rejected.first().map(|(_, why)| why.clone());
        if !confirmed.is_empty() || error.is_some() {
            record(pool, id, confirmed.len() as i64, error.clone()).await;
        }
        for (entry, why) in rejected {
            tracing::warn!(channel_id = id, error = %why, "the channel refused a stock push");
            postpone(pool, vec![entry], why, retry_delay(8)).await?;
        }
        if !stale.is_empty() {
            stale_rounds += 1;
            tracing::info!(
                channel_id = id,
                skus = stale.len(),
                "stale compare: the other figures go on; these wait for the channel's import"
            );
            // Set aside for this round, so the rest of the queue (refused with them, as Shopify
            // applies nothing of a call with a stale item) goes out at once.
            let ids: Vec<i64> = batch.iter().filter(|d| stale.contains(&d.push.sku)).map(|d| d.seen.id).collect();
            let at = db::now_ms() + STALE_PAUSE_MS;
            let why = "the channel's figure moved under the push";
            db::run(pool, move |conn| Ok(outbox::defer(conn, &ids, why, at)?)).await?;
            stale_ids.extend(batch.iter().filter(|d| stale.contains(&d.push.sku)).map(|d| d.seen.id));
            stale_skus.extend(stale);
        }
    }
    if !stale_skus.is_empty() && stale_rounds <= MAX_STALE_ROUNDS {
        // Import first (the channel has a sale Chorus has not seen), read the figures, and
        // push those entries again now; had the channel kept selling faster than Chorus
        // pushes, they wait STALE_PAUSE_MS instead (not a failure: no growing back-off).
        poller.poll().await?;
        drained.read.extend(stale_skus.iter().cloned());
        let seen = connector.read_quantities(stale_skus).await?;
        let now = db::now_ms();
        db::run(pool, move |conn| {
            db::channel_products::set_channel_quantities(conn, id, &seen)?;
            Ok(outbox::defer(conn, &stale_ids, "pushing again after importing the channel", now)?)
        })
        .await?;
    }
    drained.next_due_at = next_due(pool, &target).await?;
    Ok(drained)
}

/// The due entries of this channel with their listing and the channel's current buffer;
/// entries whose listing is gone are dropped here (there is nothing left to send them to).
async fn due(pool: &DbPool, target: &str, channel_id: i64, limit: i64) -> Result<Vec<Due>, ActorError> {
    let target = target.to_string();
    db::run(pool, move |conn| {
        let Some(channel) = db::channels::find(conn, channel_id)? else { return Ok(Vec::new()) };
        let buffer = channel.stock_buffer;
        let rows = outbox::due(conn, &target, outbox::STOCK, db::now_ms(), limit)?;
        let skus: Vec<&str> = rows.iter().filter_map(|r| r.coalesce_key.as_deref()).collect();
        let mut listings: HashMap<String, db::channel_products::ChannelProduct> =
            db::channel_products::for_skus(conn, channel_id, &skus)?.into_iter().map(|l| (l.sku.clone(), l)).collect();
        // A deleted product's listing, kept as unlinked, is pushed the zero queued for it.
        let missing: Vec<&str> = skus.iter().copied().filter(|s| !listings.contains_key(*s)).collect();
        let mut unlinked: std::collections::HashSet<String> = std::collections::HashSet::new();
        for l in db::unlinked::for_skus(conn, channel_id, &missing)? {
            unlinked.insert(l.sku.clone());
            listings.insert(l.sku.clone(), l.into_channel_product());
        }
        let mut out = Vec::with_capacity(rows.len());
        let mut orphans = Vec::new();
        for row in rows {
            let (Some(listing), Ok(available)) =
                (row.coalesce_key.as_ref().and_then(|k| listings.get(k)), row.payload.parse::<i64>())
            else {
                orphans.push(outbox::Seen::from(&row));
                continue;
            };
            let available = if unlinked.contains(&listing.sku) { 0 } else { available };
            out.push(Due {
                seen: outbox::Seen::from(&row),
                push: StockPush {
                    sku: listing.sku.clone(),
                    listing_id: listing.listing_id.clone(),
                    variant_id: listing.variant_id.clone(),
                    inventory_item_id: listing.inventory_item_id.clone(),
                    location_id: listing.location_id.clone(),
                    quantity: pushed_figure(available, buffer),
                    compare_from: listing.channel_quantity,
                },
            });
        }
        outbox::remove_delivered(conn, &orphans)?;
        Ok(out)
    })
    .await
    .map_err(ActorError::from)
}

/// A compare needs the channel's current figure: read the ones Chorus has never seen.
async fn learn_unknown_figures(
    connector: &Rc<dyn Connector>,
    pool: &DbPool,
    channel_id: i64,
    batch: &mut [Due],
) -> Result<(), ActorError> {
    let unknown: Vec<String> =
        batch.iter().filter(|d| d.push.compare_from.is_none()).map(|d| d.push.sku.clone()).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let seen = connector.read_quantities(unknown).await?;
    let by_sku: HashMap<&str, i64> = seen.iter().map(|(s, q)| (s.as_str(), *q)).collect();
    for d in batch.iter_mut() {
        if d.push.compare_from.is_none() {
            d.push.compare_from = by_sku.get(d.push.sku.as_str()).copied();
        }
    }
    db::run(pool, move |conn| Ok(db::channel_products::set_channel_quantities(conn, channel_id, &seen)?))
        .await
        .map_err(ActorError::from)
}

/// Confirmed figures: the entry goes (unless a newer figure replaced it meanwhile) and the
/// figure is what the channel now shows.
async fn confirm(pool: &DbPool, channel_id: i64, fence: Option<&Fence>, confirmed: &[&Due]) -> Result<(), ActorError> {
    if confirmed.is_empty() {
        return Ok(());
    }
    let delivered: Vec<outbox::Seen> = confirmed.iter().map(|d| d.seen.clone()).collect();
    let figures: Vec<(String, i64)> = confirmed.iter().map(|d| (d.push.sku.clone(), d.push.quantity)).collect();
    let now = db::now_ms();
    let queued: Vec<(String, i64, i64)> =
        confirmed.iter().map(|d| (d.push.sku.clone(), d.push.quantity, d.seen.written_at)).collect();
    for d in confirmed {
        crate::measure::sync_lag(channel_id, Duration::from_millis((now - d.seen.written_at).max(0) as u64));
    }
    let fence = fence.cloned();
    db::run(pool, move |conn| {
        db::write_tx(conn, |conn| {
            // A process that lost the channel's lease confirms nothing: the owner now does.
            if let Some(fence) = &fence {
                db::cluster::check(conn, fence)?;
            }
            db::channel_products::set_channel_quantities(conn, channel_id, &figures)?;
            db::transactions::confirmed(conn, channel_id, &queued, now)?;
            outbox::remove_delivered(conn, &delivered)?;
            Ok::<_, db::DbError>(())
        })
    })
    .await
    .map_err(ActorError::from)
}

async fn postpone(pool: &DbPool, ids: Vec<i64>, error: String, wait: Duration) -> Result<(), ActorError> {
    let next = db::now_ms() + wait.as_millis() as i64;
    db::run(pool, move |conn| Ok(outbox::postpone(conn, &ids, &error, next)?)).await.map_err(ActorError::from)
}

async fn attempts_of(pool: &DbPool, batch: &[Due]) -> i32 {
    let ids: Vec<i64> = batch.iter().map(|d| d.seen.id).collect();
    db::run(pool, move |conn| Ok(outbox::max_attempts(conn, &ids)?)).await.unwrap_or(0)
}

async fn next_due(pool: &DbPool, target: &str) -> Result<Option<i64>, ActorError> {
    let target = target.to_string();
    db::run(pool, move |conn| Ok(outbox::next_due_at(conn, &target)?)).await.map_err(ActorError::from)
}

/// Records a drain that failed before any verdict (the channel's status shows it).
pub fn record_failure(pool: &DbPool, channel_id: i64, error: String) {
    let pool = pool.clone();
    actix_web::rt::spawn(async move { record(&pool, channel_id, 0, Some(error)).await });
}

/// Records a push's outcome in the channel's status (best effort: the push itself is done).
async fn record(pool: &DbPool, channel_id: i64, sent: i64, error: Option<String>) {
    let now = db::now_ms();
    let result =
        db::run(pool, move |conn| Ok(db::orders::record_push(conn, channel_id, sent, error.as_deref(), now)?)).await;
    if let Err(e) = result {
        tracing::warn!(channel_id, error = %e, "could not record the push in the channel's status");
    }
}

/// What Chorus believes the channel shows for these SKUs.
fn beliefs(
    conn: &mut db::DbConn,
    channel_id: i64,
    skus: &[String],
) -> Result<HashMap<String, Option<i64>>, db::DbError> {
    let names: Vec<&str> = skus.iter().map(String::as_str).collect();
    Ok(db::channel_products::for_skus(conn, channel_id, &names)?
        .into_iter()
        .map(|p| (p.sku, p.channel_quantity))
        .collect())
}

/// Re-reads figures read earlier, after importing the channel's latest orders: where the
/// channel shows something other than what Chorus believes (a sale counted twice, once in a read
/// and once on import), the belief takes the channel's figure and a push of Chorus's figure is
/// queued. Returns the SKUs it corrected (to be verified again, as this was a read too).
pub async fn verify(poller: &Poller, skus: Vec<String>) -> Result<Vec<String>, ActorError> {
    let (connector, pool) = (&poller.connector, &poller.pool);
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    poller.poll().await?;
    let id = poller.id();
    // Pushes go on meanwhile (this holds no lock): what Chorus believed before the read is
    // kept, and a SKU whose belief moved during the read (a push confirmed, an import's shift)
    // is not corrected from it, only checked again.
    let names = skus.clone();
    let before = db::run(pool, move |conn| beliefs(conn, id, &names)).await?;
    let seen = connector.read_quantities(skus.clone()).await?;
    // A sale the read already counts but Chorus had not imported yet is imported now: its
    // shift moves the belief, so that SKU is checked again rather than counted twice.
    poller.poll().await?;
    db::run(pool, move |conn| {
        let names: Vec<String> = seen.iter().map(|(s, _)| s.clone()).collect();
        let believed = beliefs(conn, id, &names)?;
        let mut moved = Vec::new();
        let mut off: Vec<(String, i64)> = Vec::new();
        for (sku, q) in seen {
            let now = believed.get(&sku).copied().flatten();
            if now != before.get(&sku).copied().flatten() {
                moved.push(sku);
            } else if now != Some(q) {
                off.push((sku, q));
            }
        }
        if off.is_empty() {
            return Ok(moved);
        }
        tracing::info!(
            channel_id = id,
            skus = off.len(),
            "channel figures differed from what Chorus believed; corrected"
        );
        db::channel_products::set_channel_quantities(conn, id, &off)?;
        let mut corrected: Vec<String> = off.into_iter().map(|(s, _)| s).collect();
        db::outbox::queue_channel_listings(conn, id, Some(&corrected), db::now_ms())?;
        corrected.extend(moved);
        Ok(corrected)
    })
    .await
    .map_err(ActorError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_five_minutes() {
        assert_eq!(retry_delay(0), Duration::from_secs(1));
        assert_eq!(retry_delay(3), Duration::from_secs(8));
        assert_eq!(retry_delay(40), Duration::from_secs(300));
    }
}
