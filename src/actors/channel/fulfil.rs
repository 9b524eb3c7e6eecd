//! Sending a channel's fulfilments: each queued fulfilment goes to the order's channel once
//! (the connector looks for it there before creating it), becomes `synced` when the channel
//! confirms, `failed` with the channel's message when refused for good, and waits and retries
//! on anything transient.

use crate::actors::error::ActorError;
use std::rc::Rc;

use crate::connectors::{Connector, ConnectorError, OutboundFulfilment};
use crate::db::cluster::Fence;
use crate::db::{self, outbox, DbPool};

use super::push::retry_delay;

/// Fulfilments sent per round; the drain goes on while any is due.
const PER_ROUND: i64 = 10;

pub async fn drain(
    channel_id: i64,
    connector: Rc<dyn Connector>,
    pool: DbPool,
    fence: Option<Fence>,
) -> Result<usize, ActorError> {
    let target = outbox::channel_target(channel_id);
    let mut sent = 0;
    for _ in 0..1000 {
        let t = target.clone();
        let rows =
            db::run(&pool, move |conn| Ok(outbox::due(conn, &t, outbox::FULFILMENT, db::now_ms(), PER_ROUND)?)).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            let Ok(fulfilment_id) = row.payload.parse::<i64>() else {
                db::run(&pool, move |conn| Ok(outbox::remove(conn, row.id)?)).await?;
                continue;
            };
            let entry = row.id;
            // A process that lost the channel's lease sends nothing more: the owner does.
            let f = fence.clone();
            let outbound = db::run(&pool, move |conn| prepare(conn, fulfilment_id, f.as_ref())).await?;
            let outbound = match outbound {
                Prepared::Send(o) => o,
                Prepared::Done => {
                    db::run(&pool, move |conn| Ok(outbox::remove(conn, entry)?)).await?;
                    continue;
                }
                Prepared::HeldElsewhere => {
                    // Another sender holds it: look again when its lease runs out.
                    let at = db::now_ms() + db::fulfilments::SEND_LEASE_MS;
                    db::run(&pool, move |conn| Ok(outbox::postpone(conn, &[entry], "being sent elsewhere", at)?))
                        .await?;
                    continue;
                }
            };
            let result =
                crate::records::about(format!("fulfilment:{fulfilment_id}"), connector.send_fulfilment(outbound)).await;
            let attempts = row.attempts;
            // What the channel answered is recorded even if the lease was lost meanwhile: the
            // fulfilment is on the channel, and the new owner must not send it again.
            db::run(&pool, move |conn| db::write_tx(conn, |conn| settle(conn, fulfilment_id, entry, attempts, result)))
                .await?;
            sent += 1;
        }
    }
    Ok(sent)
}

enum Prepared {
    Send(OutboundFulfilment),
    /// Gone, already synced or failed, or its order closed: nothing to send.
    Done,
    /// Another sender claimed it and its lease still runs.
    HeldElsewhere,
}

/// Claims the fulfilment (marking it `sent`, so a crash before the answer is seen for what it
/// is) and builds what the connector needs.
fn prepare(conn: &mut db::DbConn, id: i64, fence: Option<&Fence>) -> Result<Prepared, db::DbError> {
    db::write_tx(conn, |conn| {
        if let Some(fence) = fence {
            db::cluster::check(conn, fence)?;
        }
        let Some((f, lines)) = db::fulfilments::find(conn, id)? else { return Ok(Prepared::Done) };
        if f.status == "synced" || f.status == "failed" {
            return Ok(Prepared::Done);
        }
        let Some(order) = db::orders::find(conn, f.order_id)? else { return Ok(Prepared::Done) };
        if matches!(order.status.as_str(), "cancelled" | "excluded") {
            let why = format!("order {} was {} before the fulfilment was sent", order.id, order.status);
            db::fulfilments::set_status(conn, id, "failed", None, Some(&why), db::now_ms())?;
            return Ok(Prepared::Done);
        }
        if !db::fulfilments::claim(conn, id, db::now_ms())? {
            return Ok(Prepared::HeldElsewhere);
        }
        let order_lines = db::orders::lines_of(conn, &[order.id])?;
        Ok(Prepared::Send(outbound(f, lines, order, order_lines)))
    })
}

/// What the connector is given: the channel's own line ids, and whether this ships the rest.
fn outbound(
    f: db::fulfilments::FulfilmentRow,
    lines: Vec<db::fulfilments::FulfilmentLine>,
    order: db::orders::OrderRow,
    order_lines: Vec<db::orders::LineRow>,
) -> OutboundFulfilment {
    let completes_order = order_lines.iter().all(|l| l.shipped.max(l.fulfilled) >= l.quantity);
    let lines = lines
        .iter()
        .filter_map(|fl| {
            let line = order_lines.iter().find(|l| l.id == fl.order_line_id)?;
            Some((line.external_id.clone(), fl.quantity))
        })
        .collect();
    OutboundFulfilment {
        chorus_id: f.id,
        order_external_id: order.external_id,
        lines,
        carrier: f.carrier,
        tracking_number: f.tracking_number,
        tracking_url: f.tracking_url,
        completes_order,
        created_at: f.created_at,
    }
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
            // The order locked before its status is read: an import holding it writes first,
            // and what is settled is what it wrote (`orders::lock`).
            let order_id = db::fulfilments::find(conn, id)?.map(|(f, _)| f.order_id);
            if let Some(order_id) = order_id {
                db::orders::lock(conn, &[order_id])?;
            }
            db::fulfilments::set_status(conn, id, "synced", Some(&channel_ref), None, now)?;
            outbox::remove(conn, entry)?;
            if let Some(order_id) = order_id {
                db::fulfilments::settle_order(conn, order_id, now)?;
            }
        }
        Err(e @ ConnectorError::Permanent(_)) => {
            tracing::warn!(fulfilment = id, error = %e, "the channel refused the fulfilment");
            db::fulfilments::set_status(conn, id, "failed", None, Some(&e.to_string()), now)?;
            outbox::remove(conn, entry)?;
        }
        Err(e) => {
            tracing::info!(fulfilment = id, error = %e, "fulfilment not sent yet; retrying later");
            db::fulfilments::record_attempt(conn, id, &e.to_string(), now)?;
            db::fulfilments::set_status(conn, id, "pending", None, Some(&e.to_string()), now)?;
            // Credentials refused or a rate limit: transient too (fixed on the channel's side).
            let wait = match &e {
                ConnectorError::RateLimited(w) => w.as_millis() as i64,
                _ => retry_delay(attempts).as_millis() as i64,
            };
            outbox::postpone(conn, &[entry], &e.to_string(), now + wait)?;
        }
    }
    Ok(())
}
