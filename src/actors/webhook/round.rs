//! One delivery round for a subscription: retries that are due (oldest event first within each
//! subject), then the next events after the cursor. Events of one subject go one at a time, in
//! order, and an event waiting for a retry holds back the later events of its subject; different
//! subjects go concurrently. Everything the round did is written in one transaction, so a crash
//! re-sends at most one round (with the same `webhook-id`s).

use crate::actors::error::ActorError;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use futures::StreamExt;

use crate::actors::delivery::{self, Attempt};
use crate::config::WebhookSettings;
use crate::db::events::EventRow;
use crate::db::outbox::{OutboxRow, Seen};
use crate::db::webhooks::{self, NewDelivery, Round, Subscription, EVENT};
use crate::db::{self, DbPool};
use crate::domain::webhook::retry_delay;

/// New events read per round.
const BATCH: i64 = 1000;
/// Waiting retries read per round.
const PENDING_MAX: i64 = 5000;

pub enum After {
    /// More may be waiting: go again at once.
    Continue,
    /// Caught up; the earliest retry falls due then (ms), if any.
    Idle(Option<i64>),
    Disabled(String),
}

/// The `webhook-id` of an event: the same for every attempt, replay and resend.
pub fn message_id(event_id: i64) -> String {
    format!("msg_{event_id}")
}

/// The body subscribers get: `{type, timestamp, event_id, data}`, data being the snapshot.
pub fn body(e: &EventRow) -> Vec<u8> {
    let ts = chrono::DateTime::from_timestamp_millis(e.created_at)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    // `kind` is one of our own event names and `payload` JSON we wrote: spliced, not re-parsed.
    format!(r#"{{"type":"{}","timestamp":"{ts}","event_id":{},"data":{}}}"#, e.kind, e.id, e.payload).into_bytes()
}

enum Item {
    Retry(OutboxRow, EventRow),
    Fresh(EventRow),
}

impl Item {
    fn event(&self) -> &EventRow {
        match self {
            Item::Retry(_, e) | Item::Fresh(e) => e,
        }
    }
    fn attempt(&self) -> i32 {
        match self {
            Item::Retry(row, _) => row.attempts + 1,
            Item::Fresh(_) => 1,
        }
    }
}

/// What a round starts from: the subscription, its waiting retries with their events, and the
/// new events after its cursor.
struct Loaded {
    sub: Subscription,
    pending: Vec<OutboxRow>,
    pending_events: Vec<EventRow>,
    fresh: Vec<EventRow>,
}

/// What a round sends, and what it already knows it will write.
struct Plan {
    round: Round,
    chains: Vec<Vec<Item>>,
    /// The earliest retry not yet due (ms).
    next_retry: Option<i64>,
    /// New events read: a full batch means more may be waiting.
    fresh_count: i64,
}

pub async fn run(
    sub: Subscription,
    client: awc::Client,
    pool: DbPool,
    settings: Rc<WebhookSettings>,
    secrets: crate::secrets::SecretBox,
    fence: Option<crate::db::cluster::Fence>,
) -> Result<After, ActorError> {
    let id = sub.id;
    let Some(loaded) = load(&pool, id).await? else {
        return Ok(After::Disabled("subscription deleted".into()));
    };
    if !loaded.sub.enabled {
        return Ok(After::Disabled(loaded.sub.disabled_reason.unwrap_or_else(|| "disabled".into())));
    }
    let signing = signing_secrets(&loaded.sub, &secrets, db::now_ms())?;
    let url = loaded.sub.url.clone();
    let mut plan = chain(loaded, db::now_ms());
    let tap = crate::records::Tap::new(db::transactions::writer(pool.clone()), "subscriber", id);
    let results = deliver(&client, &tap, &url, signing, &settings, std::mem::take(&mut plan.chains)).await;
    // Retries are timed from when the attempts were made, not from the round's start.
    let now = db::now_ms();
    let gone = record(id, &settings, results, &mut plan, now);
    let tried_anything = !plan.round.log.is_empty();
    let disable_after_ms = settings.disable_after_secs as i64 * 1000;
    if let Some(reason) = verdict(&pool, id, fence, plan.round, gone, disable_after_ms, now).await? {
        return Ok(After::Disabled(reason));
    }
    if plan.fresh_count == BATCH || (tried_anything && plan.next_retry.is_some_and(|n| n <= db::now_ms())) {
        return Ok(After::Continue);
    }
    Ok(After::Idle(plan.next_retry))
}

/// Reads the subscription, its waiting retries and the new events, in one look.
async fn load(pool: &DbPool, id: i64) -> Result<Option<Loaded>, ActorError> {
    Ok(db::run(pool, move |conn| {
        db::events::sequence(conn)?;
        let Some(sub) = webhooks::find(conn, id)? else { return Ok(None) };
        let pending = db::outbox::pending(conn, &webhooks::target(id), EVENT, PENDING_MAX)?;
        let ids: Vec<i64> = pending.iter().filter_map(|r| r.payload.parse().ok()).collect();
        let pending_events = db::events::by_ids(conn, &ids)?;
        // With more waiting than read, a subject may have older events beyond what was read:
        // new events wait until the queue is shorter, so none can overtake them.
        let fresh = if pending.len() as i64 >= PENDING_MAX {
            Vec::new()
        } else {
            db::events::after(conn, sub.event_cursor, &sub.kinds(), sub.channel_id, BATCH)?
        };
        Ok(Some(Loaded { sub, pending, pending_events, fresh }))
    })
    .await?)
}

/// The secrets that sign: the current one, and during the day after a rotation the previous.
fn signing_secrets(
    sub: &Subscription,
    secrets: &crate::secrets::SecretBox,
    now: i64,
) -> Result<Rc<Vec<String>>, ActorError> {
    let mut signing = vec![secrets.open(&sub.secret)?];
    if let (Some(previous), Some(until)) = (&sub.previous_secret, sub.previous_until) {
        if until > now {
            signing.push(secrets.open(previous)?);
        }
    }
    Ok(Rc::new(signing))
}

/// Orders the work into chains, one per subject: waiting retries by subject, oldest event
/// first (a subject whose first entry is due goes out as a chain; one whose first is not due
/// holds back everything of its subject), then the new events — behind a waiting retry of
/// their subject they join the queue, the others go out.
fn chain(loaded: Loaded, now: i64) -> Plan {
    let Loaded { sub, pending, pending_events, fresh } = loaded;
    let mut round = Round { cursor_from: sub.event_cursor, ..Round::default() };
    let by_id: HashMap<i64, EventRow> = pending_events.into_iter().map(|e| (e.id, e)).collect();
    let mut by_subject: BTreeMap<String, Vec<(OutboxRow, EventRow)>> = BTreeMap::new();
    for row in pending {
        match row.payload.parse::<i64>().ok().and_then(|e| by_id.get(&e)) {
            Some(e) => by_subject.entry(e.subject.clone()).or_default().push((row, e.clone())),
            // The event is gone (pruned): nothing to send.
            None => round.finished.push(seen(&row)),
        }
    }
    let mut chains: Vec<Vec<Item>> = Vec::new();
    let mut held: HashMap<String, i64> = HashMap::new();
    let mut next_retry: Option<i64> = None;
    for (subject, mut rows) in by_subject {
        rows.sort_by_key(|(_, e)| (e.seq, e.id));
        let first_due = rows[0].0.next_attempt_at;
        if first_due <= now {
            held.insert(subject, now);
            chains.push(rows.into_iter().map(|(r, e)| Item::Retry(r, e)).collect());
        } else {
            next_retry = Some(next_retry.map_or(first_due, |n: i64| n.min(first_due)));
            held.insert(subject, first_due);
        }
    }
    let fresh_count = fresh.len() as i64;
    round.cursor = fresh.last().and_then(|e| e.seq);
    let mut fresh_chains: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for e in fresh {
        match held.get(&e.subject) {
            Some(at) => round.queued.push((e.id, 0, WAITING_BEHIND.into(), *at)),
            None => fresh_chains.entry(e.subject.clone()).or_default().push(Item::Fresh(e)),
        }
    }
    chains.extend(fresh_chains.into_values());
    Plan { round, chains, next_retry, fresh_count }
}

const WAITING_BEHIND: &str = "waiting behind an earlier event of the same entity";

/// Sends the chains, up to `webhooks.concurrency` at once.
async fn deliver(
    client: &awc::Client,
    tap: &crate::records::Tap,
    url: &str,
    secrets: Rc<Vec<String>>,
    settings: &WebhookSettings,
    chains: Vec<Vec<Item>>,
) -> Vec<ChainResult> {
    let url = Rc::new(url.to_string());
    let allow_private = settings.allow_private_networks;
    futures::stream::iter(chains)
        .map(|chain| {
            let (client, url, secrets) = (client.clone(), url.clone(), secrets.clone());
            async move { deliver_chain(&client, tap, &url, &secrets, allow_private, chain).await }
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await
}

/// Writes what each attempt did into the round: the delivery log, what is finished, what
/// waits for a retry and what waits behind it. Returns whether the subscriber answered 410.
fn record(id: i64, settings: &WebhookSettings, results: Vec<ChainResult>, plan: &mut Plan, now: i64) -> bool {
    let round = &mut plan.round;
    let mut gone = false;
    for result in results {
        let mut blocked_until: Option<i64> = None;
        for (item, attempt) in result.tried {
            let ev = item.event();
            round.log.push(NewDelivery {
                subscription_id: id,
                event_id: ev.id,
                webhook_id: message_id(ev.id),
                attempt: item.attempt(),
                attempted_at: now,
                status_code: attempt.status.map(i32::from),
                duration_ms: attempt.duration_ms,
                error: attempt.error.clone(),
                response: attempt.response.clone(),
            });
            if attempt.delivered() {
                round.successes += 1;
                if let Item::Retry(row, _) = &item {
                    round.finished.push(seen(row));
                }
                continue;
            }
            gone |= attempt.status == Some(410);
            let error = attempt.describe();
            round.last_error = Some(format!("event {}: {error}", ev.id));
            let wait = retry_delay(
                &settings.retry_schedule_secs,
                item.attempt() as usize,
                attempt.retry_after,
                rand::random(),
            );
            let at = now + wait.map_or(0, |w| w.as_millis() as i64);
            blocked_until = Some(at);
            match (&item, wait) {
                (Item::Retry(row, _), Some(_)) => round.postponed.push((row.id, error, at)),
                (Item::Retry(row, _), None) => round.finished.push(seen(row)),
                (Item::Fresh(e), Some(_)) => round.queued.push((e.id, item.attempt(), error, at)),
                (Item::Fresh(e), None) => tracing::warn!(event_id = e.id, "event given up after its only attempt"),
            }
            if wait.is_none() {
                tracing::warn!(subscription_id = id, event_id = ev.id, "retry schedule spent; event given up");
            }
        }
        let at = blocked_until.unwrap_or(now);
        for item in result.untried {
            match item {
                Item::Retry(row, _) => round.deferred.push((row.id, at)),
                Item::Fresh(e) => round.queued.push((e.id, 0, WAITING_BEHIND.into(), at)),
            }
        }
        if blocked_until.is_some() {
            plan.next_retry = Some(plan.next_retry.map_or(at, |n| n.min(at)));
        }
    }
    gone
}

/// Writes the round in one transaction, then decides whether the subscription goes on: a 410,
/// or failing without a success for longer than `disable_after_ms`, disables it (the reason).
async fn verdict(
    pool: &DbPool,
    id: i64,
    fence: Option<crate::db::cluster::Fence>,
    round: Round,
    gone: bool,
    disable_after_ms: i64,
    now: i64,
) -> Result<Option<String>, ActorError> {
    Ok(db::run(pool, move |conn| match fence {
        // A process that lost the subscription's lease records nothing: the owner delivers.
        Some(fence) => diesel::Connection::transaction(conn, |conn| {
            db::cluster::check(conn, &fence)?;
            write_verdict(conn, id, &round, gone, disable_after_ms, now)
        }),
        // One process (SQLite): written as it always was.
        None => write_verdict(conn, id, &round, gone, disable_after_ms, now),
    })
    .await?)
}

fn write_verdict(
    conn: &mut db::DbConn,
    id: i64,
    round: &Round,
    gone: bool,
    disable_after_ms: i64,
    now: i64,
) -> Result<Option<String>, db::DbError> {
    webhooks::apply_round(conn, id, round, now)?;
    if gone {
        let reason = "the subscriber answered 410 Gone".to_string();
        webhooks::disable(conn, id, &reason, now)?;
        return Ok(Some(reason));
    }
    let failing_since = webhooks::find(conn, id)?.and_then(|s| s.failing_since);
    if let Some(since) = failing_since.filter(|s| now - s > disable_after_ms) {
        let reason = format!(
            "failing without a success since {}",
            chrono::DateTime::from_timestamp_millis(since).unwrap_or_default().to_rfc3339()
        );
        webhooks::disable(conn, id, &reason, now)?;
        return Ok(Some(reason));
    }
    Ok(None)
}

fn seen(row: &OutboxRow) -> Seen {
    Seen { id: row.id, payload: row.payload.clone(), written_at: row.created_at }
}

struct ChainResult {
    tried: Vec<(Item, Attempt)>,
    untried: Vec<Item>,
}

/// Sends a subject's events in order, stopping at the first that fails.
async fn deliver_chain(
    client: &awc::Client,
    tap: &crate::records::Tap,
    url: &str,
    secrets: &[String],
    allow_private: bool,
    chain: Vec<Item>,
) -> ChainResult {
    let mut tried = Vec::new();
    let mut rest = chain.into_iter();
    for item in rest.by_ref() {
        let ev = item.event();
        let attempt = match crate::connectors::guard::forbidden_literal(url, allow_private) {
            Some(why) => {
                Attempt { status: None, duration_ms: 0, error: Some(why), response: String::new(), retry_after: None }
            }
            None => {
                let keys: Vec<&str> = secrets.iter().map(String::as_str).collect();
                let (id, payload) = (message_id(ev.id), body(ev));
                let sent = delivery::post_signed(client, tap, url, &keys, &id, &payload);
                crate::records::about(format!("event:{}", ev.id), sent).await
            }
        };
        let ok = attempt.delivered();
        tried.push((item, attempt));
        if !ok {
            break;
        }
    }
    ChainResult { tried, untried: rest.collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_the_snapshot_verbatim() {
        let e = EventRow {
            id: 7,
            kind: "inventory.updated".into(),
            channel_id: None,
            subject: "sku:A".into(),
            payload: r#"{"sku":"A","available":3}"#.into(),
            created_at: 0,
            seq: Some(1),
        };
        let v: serde_json::Value = serde_json::from_slice(&body(&e)).unwrap();
        assert_eq!(v["type"], "inventory.updated");
        assert_eq!(v["event_id"], 7);
        assert_eq!(v["data"]["available"], 3);
        assert_eq!(v["timestamp"], "1970-01-01T00:00:00.000Z");
    }
}
