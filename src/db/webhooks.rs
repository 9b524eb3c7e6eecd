//! Queries over webhook subscriptions: settings, delivery cursor and status, and the log of
//! every delivery attempt. Retries wait in the outbox (target `webhook:<id>`, kind `event`).

use diesel::prelude::*;

use super::schema::{webhook_deliveries, webhook_subscriptions as subs};
use super::DbConn;

/// The outbox kind of an event waiting for a retry (or a replay); the payload is its id.
pub const EVENT: &str = "event";

pub fn target(subscription_id: i64) -> String {
    format!("webhook:{subscription_id}")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = subs)]
pub struct Subscription {
    pub id: i64,
    pub url: String,
    /// JSON array of event kinds.
    pub events: String,
    /// The store; None: every store.
    pub channel_id: Option<i64>,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Every event up to this position (`seq`) has been delivered, given up, or queued for a
    /// retry.
    pub event_cursor: i64,
    pub failing_since: Option<i64>,
    pub last_error: Option<String>,
    pub last_delivery_at: Option<i64>,
    pub delivered: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The secret before the last rotation, still signed with until `previous_until`.
    pub previous_secret: Option<String>,
    pub previous_until: Option<i64>,
}

/// How long deliveries keep a signature under the previous secret after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

impl Subscription {
    pub fn kinds(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }
}

#[derive(Clone, Debug, AsChangeset)]
#[diesel(table_name = subs, treat_none_as_null = true)]
pub struct SubscriptionValues {
    pub url: String,
    pub events: String,
    pub channel_id: Option<i64>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub updated_at: i64,
}

/// A new subscription starts after the newest event: it hears of what happens from now on.
pub fn insert(conn: &mut DbConn, v: &SubscriptionValues, secret: &str, now: i64) -> QueryResult<Subscription> {
    super::write_tx(conn, |c| {
        let cursor = super::events::last_seq(c)?;
        crate::per_backend!(c, c => diesel::insert_into(subs::table)
            .values((
                subs::url.eq(&v.url),
                subs::events.eq(&v.events),
                subs::channel_id.eq(v.channel_id),
                subs::enabled.eq(v.enabled),
                subs::secret.eq(secret),
                subs::event_cursor.eq(cursor),
                subs::created_at.eq(now),
                subs::updated_at.eq(now),
            ))
            .returning(Subscription::as_returning())
            .get_result(c))
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Subscription>> {
    subs::table.find(id).select(Subscription::as_select()).first(conn).optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Subscription>> {
    subs::table.order(subs::id).select(Subscription::as_select()).load(conn)
}

/// New settings; enabling a disabled subscription again clears its failure clock (the
/// subscriber was fixed), while editing an enabled one keeps it running.
pub fn update(conn: &mut DbConn, id: i64, v: &SubscriptionValues) -> QueryResult<Option<Subscription>> {
    super::write_tx(conn, |c| {
        let was_enabled = find(c, id)?.is_some_and(|s| s.enabled);
        diesel::update(subs::table.find(id)).set(v).execute(c)?;
        if v.enabled && !was_enabled {
            diesel::update(subs::table.find(id)).set(subs::failing_since.eq(None::<i64>)).execute(c)?;
        }
        find(c, id)
    })
}

/// A new secret; the old one keeps signing beside it for [`ROTATION_OVERLAP_MS`], so a
/// subscriber can switch without missing a delivery.
pub fn set_secret(conn: &mut DbConn, id: i64, secret: &str, now: i64) -> QueryResult<bool> {
    super::write_tx(conn, |c| {
        let Some(current) = find(c, id)? else { return Ok(false) };
        diesel::update(subs::table.find(id))
            .set((
                subs::previous_secret.eq(Some(current.secret)),
                subs::previous_until.eq(Some(now + ROTATION_OVERLAP_MS)),
                subs::secret.eq(secret),
                subs::updated_at.eq(now),
            ))
            .execute(c)?;
        Ok(true)
    })
}

/// Deletes the subscription, its log and its waiting retries.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    conn.transaction(|c| {
        super::outbox::clear_target(c, &target(id))?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id))).execute(c)?;
        Ok(diesel::delete(subs::table.find(id)).execute(c)? == 1)
    })
}

/// Stops deliveries, saying why.
pub fn disable(conn: &mut DbConn, id: i64, reason: &str, now: i64) -> QueryResult<()> {
    diesel::update(subs::table.find(id))
        .set((subs::enabled.eq(false), subs::disabled_reason.eq(Some(reason)), subs::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// One logged attempt.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub struct NewDelivery {
    pub subscription_id: i64,
    pub event_id: i64,
    pub webhook_id: String,
    pub attempt: i32,
    pub attempted_at: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response: String,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: i64,
    pub event_id: i64,
    pub webhook_id: String,
    pub attempt: i32,
    pub attempted_at: i64,
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response: String,
}

/// What a delivery round wrote, applied in one transaction.
#[derive(Default)]
pub struct Round {
    pub log: Vec<NewDelivery>,
    /// Outbox entries delivered or given up (removed if unchanged since read).
    pub finished: Vec<super::outbox::Seen>,
    /// (outbox id, error, next attempt at): tried and failed, to try again.
    pub postponed: Vec<(i64, String, i64)>,
    /// (outbox id, next attempt at): not tried, waiting behind an earlier event of its subject.
    pub deferred: Vec<(i64, i64)>,
    /// (event id, attempts so far, error, next attempt at): new events to retry.
    pub queued: Vec<(i64, i32, String, i64)>,
    pub cursor: Option<i64>,
    /// The cursor the round started from: if another round moved it meanwhile (an actor
    /// restarted while a round was in flight), this round's writes are rolled back.
    pub cursor_from: i64,
    pub successes: i64,
    pub last_error: Option<String>,
}

pub fn apply_round(conn: &mut DbConn, id: i64, r: &Round, now: i64) -> QueryResult<()> {
    use super::schema::outbox;
    conn.transaction(|c| {
        crate::upsert_rows!(c, r.log, |v| diesel::insert_into(webhook_deliveries::table).values(v));
        super::outbox::remove_delivered(c, &r.finished)?;
        for (row, error, at) in &r.postponed {
            super::outbox::postpone(c, &[*row], error, *at)?;
        }
        for (row, at) in &r.deferred {
            diesel::update(outbox::table.find(row)).set(outbox::next_attempt_at.eq(at)).execute(c)?;
        }
        let t = target(id);
        for (event, attempts, error, at) in &r.queued {
            let key = format!("event:{event}");
            super::outbox::queue(c, &t, EVENT, &key, &event.to_string(), *at)?;
            diesel::update(outbox::table.filter(outbox::target.eq(&t)).filter(outbox::coalesce_key.eq(&key)))
                .set((
                    outbox::attempts.eq(attempts),
                    outbox::last_error.eq(Some(error)),
                    outbox::next_attempt_at.eq(at),
                ))
                .execute(c)?;
        }
        if let Some(cursor) = r.cursor {
            let moved = diesel::update(subs::table.find(id).filter(subs::event_cursor.eq(r.cursor_from)))
                .set(subs::event_cursor.eq(cursor))
                .execute(c)?;
            if moved == 0 {
                return Err(diesel::result::Error::RollbackTransaction);
            }
        }
        if r.successes > 0 {
            diesel::update(subs::table.find(id))
                .set((
                    subs::delivered.eq(subs::delivered + r.successes),
                    subs::last_delivery_at.eq(Some(now)),
                    subs::failing_since.eq(None::<i64>),
                ))
                .execute(c)?;
        }
        if let Some(error) = &r.last_error {
            let error: String = error.chars().take(1000).collect();
            diesel::update(subs::table.find(id)).set(subs::last_error.eq(Some(error))).execute(c)?;
            if r.successes == 0 {
                diesel::update(subs::table.find(id).filter(subs::failing_since.is_null()))
                    .set(subs::failing_since.eq(Some(now)))
                    .execute(c)?;
            }
        }
        Ok(())
    })
}

/// A page of the subscription's log, newest first, before delivery id `before`.
pub fn deliveries(conn: &mut DbConn, id: i64, before: Option<i64>, limit: i64) -> QueryResult<Vec<Delivery>> {
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(webhook_deliveries::id.lt(before));
    }
    q.load(conn)
}

pub fn find_delivery(conn: &mut DbConn, id: i64, delivery_id: i64) -> QueryResult<Option<Delivery>> {
    webhook_deliveries::table
        .find(delivery_id)
        .filter(webhook_deliveries::subscription_id.eq(id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()
}

/// Queues these events to be sent (again) now: replay and resend. Returns how many.
pub fn queue_events(conn: &mut DbConn, id: i64, events: &[i64], now: i64) -> QueryResult<usize> {
    let t = target(id);
    conn.transaction(|c| {
        for event in events {
            super::outbox::queue(c, &t, EVENT, &format!("event:{event}"), &event.to_string(), now)?;
        }
        Ok(events.len())
    })
}
