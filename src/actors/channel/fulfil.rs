//! Sending a channel's fulfilments: each queued fulfilment goes to the order's channel once
//! (the connector looks for it there before creating it), becomes `synced` when the channel
//! confirms, `failed` with the channel's message when refused for good, and waits and retries
//! on anything transient.

use std::rc::Rc;

use crate::connectors::{Connector, ConnectorError, OutboundFulfilment};
use crate::db::{self, outbox, DbPool};

use super::push::retry_delay;

/// Fulfilments sent per round; the drain goes on while any is due.
const PER_ROUND: i64 = 10;

pub async fn drain(channel_id: i64, connector: Rc<dyn Connector>, pool: DbPool) -> Result<usize, String> {
    let target = outbox::channel_target(channel_id);
    let mut sent = 0;
    for _ in 0..1000 {
        let t = target.clone();
        let rows = db::run(&pool, move |conn| Ok(outbox::due(conn, &t, outbox::FULFILMENT, db::now_ms(), PER_ROUND)?))
            .await
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let Ok(fulfilment_id) = row.payload.parse::<i64>() else {
                db::run(&pool, move |conn| Ok(outbox::remove(conn, row.id)?)).await.map_err(|e| e.to_string())?;
                continue;
            };
            let entry = row.id;
            let outbound = db::run(&pool, move |conn| prepare(conn, fulfilment_id)).await.map_err(|e| e.to_string())?;
            let Some(outbound) = outbound else {
                db::run(&pool, move |conn| Ok(outbox::remove(conn, entry)?)).await.map_err(|e| e.to_string())?;
                continue;
            };
            let result = connector.send_fulfilment(outbound).await;
            let attempts = row.attempts;
            db::run(&pool, move |conn| db::write_tx(conn, |conn| settle(conn, fulfilment_id, entry, attempts, result)))
                .await
                .map_err(|e| e.to_string())?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Marks the fulfilment `sent` (so a crash before the answer is seen for what it is) and
/// builds what the connector needs; None if the fulfilment is gone or already synced.
fn prepare(conn: &mut db::DbConn, id: i64) -> Result<Option<OutboundFulfilment>, db::DbError> {
    let Some((f, lines)) = db::fulfilments::find(conn, id)? else { return Ok(None) };
    if f.status == "synced" {
        return Ok(None);
    }
    let Some(order) = db::orders::find(conn, f.order_id)? else { return Ok(None) };
    let order_lines = db::orders::lines_of(conn, &[order.id])?;
    let completes_order = order_lines.iter().all(|l| l.shipped.max(l.fulfilled) >= l.quantity);
    let lines = lines
        .iter()
        .filter_map(|fl| {
            let line = order_lines.iter().find(|l| l.id == fl.order_line_id)?;
            Some((line.external_id.clone(), fl.quantity))
        })
        .collect();
    db::fulfilments::set_status(conn, id, "sent", f.channel_ref.as_deref(), f.last_error.as_deref(), db::now_ms())?;
    Ok(Some(OutboundFulfilment {
        chorus_id: id,
        order_external_id: order.external_id,
        lines,
        carrier: f.carrier,
        tracking_number: f.tracking_number,
        tracking_url: f.tracking_url,
        completes_order,
    }))
}

/// Records the channel's answer: synced (and the order Synced once all its lines are shipped
/// and confirmed), failed for good, or waiting to retry.
fn settle(
    conn: &mut db::DbConn,
    id: i64,
    entry: i64,
    attempts: i32,
    result: Result<String, ConnectorError>,
) -> Result<(), db::DbError> {
    let now = db::now_ms();
    match result {
        Ok(channel_ref) => {
            db::fulfilments::set_status(conn, id, "synced", Some(&channel_ref), None, now)?;
            outbox::remove(conn, entry)?;
            if let Some((f, _)) = db::fulfilments::find(conn, id)? {
                db::fulfilments::settle_order(conn, f.order_id, now)?;
            }
        }
        Err(e @ (ConnectorError::Permanent(_) | ConnectorError::Unauthorized(_))) => {
            tracing::warn!(fulfilment = id, error = %e, "the channel refused the fulfilment");
            db::fulfilments::set_status(conn, id, "failed", None, Some(&e.to_string()), now)?;
            outbox::remove(conn, entry)?;
        }
        Err(e) => {
            tracing::info!(fulfilment = id, error = %e, "fulfilment not sent yet; retrying later");
            db::fulfilments::record_attempt(conn, id, &e.to_string(), now)?;
            db::fulfilments::set_status(conn, id, "pending", None, Some(&e.to_string()), now)?;
            let wait = retry_delay(attempts).as_millis() as i64;
            outbox::postpone(conn, &[entry], &e.to_string(), now + wait)?;
        }
    }
    Ok(())
}
