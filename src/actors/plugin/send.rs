//! One send round for a plugin: every due routed order, oldest first, as a signed POST of the
//! order's snapshot to the plugin's `orders_url`. The `webhook-id` is derived from the order and
//! the plugin, so a resend (after a failure or a crash) carries the same one.

use crate::actors::error::ActorError;
use std::time::Duration;

use serde_json::json;

use crate::actors::delivery::{self, Attempt};
use crate::db::outbox::{self, Seen};
use crate::db::plugins::{self, Plugin, PLUGIN_CANCEL, PLUGIN_UPDATE};
use crate::db::{self, DbPool};
use crate::domain::order::Status;
use crate::views::orders::OrderView;

/// Orders read per query.
const PAGE: i64 = 50;

/// The `webhook-id` of an order sent to a plugin: the same on every resend.
pub fn message_id(plugin_id: i64, order_id: i64) -> String {
    format!("msg_plugin{plugin_id}_order{order_id}")
}

/// What an outbox entry tells the plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Message {
    /// `orders.routed`: ship this order.
    Routed,
    /// `orders.updated`: the order it holds changed on its channel at this time (ms).
    Updated(i64),
    /// `orders.cancelled`: do not ship it.
    Cancelled,
}

impl Message {
    /// The entry's order and message, from its kind and payload.
    fn read(kind: &str, payload: &str) -> Option<(i64, Message)> {
        if kind == PLUGIN_UPDATE {
            let (order, at) = payload.split_once(':')?;
            return Some((order.parse().ok()?, Message::Updated(at.parse().ok()?)));
        }
        let order = payload.parse().ok()?;
        Some((order, if kind == PLUGIN_CANCEL { Message::Cancelled } else { Message::Routed }))
    }

    fn event_type(self) -> &'static str {
        match self {
            Message::Routed => "orders.routed",
            Message::Updated(_) => "orders.updated",
            Message::Cancelled => "orders.cancelled",
        }
    }

    /// Its `webhook-id`: fixed per order and message (per change, for an update), so a resend
    /// carries the same one.
    fn webhook_id(self, plugin_id: i64, order_id: i64) -> String {
        let base = message_id(plugin_id, order_id);
        match self {
            Message::Routed => base,
            Message::Updated(at) => format!("{base}_update{at}"),
            Message::Cancelled => format!("{base}_cancel"),
        }
    }
}

/// The wait before retry number `attempts`, unless the plugin said how long (never more than
/// the longest doubling wait either way). A plugin's own doubling stops at 256 s.
fn retry_delay(attempts: i32, told: Option<Duration>) -> Duration {
    use crate::domain::backoff;
    told.unwrap_or_else(|| backoff::doubling(attempts.min(8))).min(backoff::MAX_WAIT)
}

/// Sends what is due; returns when the next entry falls due (None: nothing queued).
pub async fn drain(
    plugin: Plugin,
    client: awc::Client,
    pool: DbPool,
    allow_private: bool,
    fence: Option<crate::db::cluster::Fence>,
) -> Result<Option<i64>, ActorError> {
    let target = plugins::target(plugin.id);
    let tap = crate::records::Tap::new(db::transactions::writer(pool.clone()), "plugin", plugin.id);
    loop {
        let t = target.clone();
        let due = db::run(&pool, move |conn| Ok(outbox::due_any(conn, &t, db::now_ms(), PAGE)?)).await?;
        if due.is_empty() {
            let t = target.clone();
            return db::run(&pool, move |conn| Ok(outbox::next_due_at(conn, &t)?)).await.map_err(ActorError::from);
        }
        for row in due {
            let entry = Seen { id: row.id, payload: row.payload.clone(), written_at: row.created_at };
            let Some((order_id, message)) = Message::read(&row.kind, &row.payload) else {
                tracing::error!(entry = row.id, payload = %row.payload, "unreadable plugin order entry; dropped");
                remove(&pool, row.id).await?;
                continue;
            };
            let Some(body) = snapshot(&pool, order_id, message).await? else {
                tracing::info!(order_id, ?message, "nothing to tell the plugin (order no longer open, or never sent)");
                remove(&pool, row.id).await?;
                continue;
            };
            let id = message.webhook_id(plugin.id, order_id);
            let attempt = match crate::connectors::guard::forbidden_literal(&plugin.orders_url, allow_private) {
                Some(why) => Attempt {
                    status: None,
                    duration_ms: 0,
                    error: Some(why),
                    response: String::new(),
                    retry_after: None,
                },
                None => {
                    let secrets = [plugin.signing_secret.as_str()];
                    let sent = delivery::post_signed(&client, &tap, &plugin.orders_url, &secrets, &id, &body);
                    crate::records::about(format!("order:{order_id}"), sent).await
                }
            };
            if attempt.delivered() && message != Message::Routed {
                tracing::info!(order_id, webhook_id = %id, ?message, "plugin told of the order");
                db::run(&pool, move |conn| Ok(outbox::remove_delivered(conn, &[entry])?)).await?;
                continue;
            }
            if attempt.delivered() {
                tracing::info!(order_id, webhook_id = %id, ms = attempt.duration_ms, "order sent to plugin");
                let (pid, now) = (plugin.id, db::now_ms());
                let fence = fence.clone();
                db::run(&pool, move |conn| {
                    use diesel::Connection;
                    // A process that lost the plugin's lease marks nothing: the owner does.
                    conn.transaction(|conn| {
                        if let Some(fence) = &fence {
                            db::cluster::check(conn, fence)?;
                        }
                        Ok(plugins::mark_sent(conn, pid, &entry, order_id, now)?)
                    })
                })
                .await?;
                continue;
            }
            let outage = plugin_is_down(&attempt);
            let error = attempt.describe();
            let wait = retry_delay(row.attempts, attempt.retry_after);
            tracing::warn!(order_id, webhook_id = %id, %error, ?wait, "plugin did not take the order; will retry");
            let (pid, rid) = (plugin.id, row.id);
            let next = db::now_ms() + wait.as_millis() as i64;
            db::run(&pool, move |conn| {
                outbox::postpone(conn, &[rid], &error, next)?;
                Ok(plugins::record_error(conn, pid, &error)?)
            })
            .await?;
            if outage {
                // The plugin is down or throttling: the rest waits too, keeping their order.
                let t = target.clone();
                return db::run(&pool, move |conn| Ok(outbox::next_due_at(conn, &t)?))
                    .await
                    .map(|n| n.map(|n| n.max(next)))
                    .map_err(ActorError::from);
            }
        }
    }
}

/// No answer, a 5xx, or a 429: the plugin as a whole cannot take orders now. Another 4xx
/// concerns this order alone.
fn plugin_is_down(a: &Attempt) -> bool {
    match a.status {
        None => true,
        Some(s) => s == 429 || s >= 500,
    }
}

/// The body sent for an order: its snapshot with lines as it is now. None for an order no
/// longer open (`orders.routed`, `orders.updated`), and for news of an order the plugin never
/// had (`orders.updated`, `orders.cancelled`: the routed send, still to come, carries it all).
async fn snapshot(pool: &DbPool, order_id: i64, message: Message) -> Result<Option<Vec<u8>>, ActorError> {
    db::run(pool, move |conn| {
        let Some(order) = db::orders::find(conn, order_id)? else { return Ok(None) };
        if message != Message::Cancelled && !Status::parse(&order.status).is_some_and(Status::is_open) {
            return Ok(None);
        }
        if message != Message::Routed {
            let sent = db::orders::events_of(conn, order_id)?.iter().any(|e| e.kind == "sent_to_plugin");
            if !sent {
                return Ok(None);
            }
        }
        let lines = db::orders::lines_of(conn, &[order_id])?;
        let data = db::to_json(&OrderView::new(order, Some(lines), None))?;
        let body = json!({
            "type": message.event_type(),
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": data,
        });
        Ok(Some(body.to_string().into_bytes()))
    })
    .await
    .map_err(ActorError::from)
}

async fn remove(pool: &DbPool, id: i64) -> Result<(), ActorError> {
    db::run(pool, move |conn| Ok(outbox::remove(conn, id)?)).await.map_err(ActorError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_double_up_to_five_minutes_unless_told() {
        assert_eq!(retry_delay(0, None), Duration::from_secs(1));
        assert_eq!(retry_delay(3, None), Duration::from_secs(8));
        assert_eq!(retry_delay(40, None), Duration::from_secs(256));
        assert_eq!(retry_delay(2, Some(Duration::from_secs(30))), Duration::from_secs(30));
        assert_eq!(retry_delay(2, Some(Duration::from_secs(9000))), Duration::from_secs(300));
    }

    #[test]
    fn message_id_is_stable() {
        assert_eq!(message_id(2, 40), message_id(2, 40));
        assert_ne!(message_id(2, 40), message_id(3, 40));
    }
}
