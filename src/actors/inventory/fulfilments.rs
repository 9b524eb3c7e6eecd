//! Creating a fulfilment, in the stock transaction: the shipped units come off the source's
//! on-hand and out of the order's allocation (so `available` does not move), the fulfilment is
//! recorded, and its sending to the order's channel is queued.

use std::collections::BTreeMap;

use actix::Message;
use serde::Serialize;

use super::orders::allocate;
use super::{apply_stock, Batch, InventoryError};
use crate::db::fulfilments::{self, NewFulfilment};
use crate::db::orders::{self, NewHistoryEntry};
use crate::db::{outbox, DbConn};
use crate::domain::fulfilment::{self, LineState, Requested};
use crate::domain::ids::{ChannelId, FulfilmentId, OrderId};
use crate::domain::order::Status;
use crate::domain::source::Source;
use crate::domain::stock::SourceChange;

#[derive(Debug, Message)]
#[rtype(result = "Result<FulfilmentCreated, InventoryError>")]
pub struct CreateFulfilment {
    pub order_id: OrderId,
    /// None: everything still unfulfilled.
    pub lines: Option<Vec<Requested>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub source: Source,
    /// The caller's key for this request and a digest of what it asked: a repeat answers the
    /// fulfilment first created under the key instead of shipping again.
    pub idempotency: Option<Idempotency>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub digest: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FulfilmentCreated {
    pub id: FulfilmentId,
    pub channel_id: ChannelId,
    /// An earlier request with the same idempotency key created it.
    pub replayed: bool,
}

pub(super) fn apply(
    conn: &mut DbConn,
    batch: &mut Batch,
    msg: &CreateFulfilment,
    now: i64,
) -> diesel::QueryResult<Result<FulfilmentCreated, InventoryError>> {
    let Batch { snap, dirty_sources: dirty, allocation_moved: moved, .. } = batch;
    let source = msg.source.to_string();
    // Checked first: the order may have shipped since, and the repeat still gets its answer.
    if let Some(Idempotency { key, digest }) = &msg.idempotency {
        if let Some((id, channel_id, stored)) = fulfilments::find_by_key(conn, &source, key)? {
            if stored.as_deref() != Some(digest.as_str()) {
                return Ok(Err(InventoryError::IdempotencyKeyReused(key.clone())));
            }
            return Ok(Ok(FulfilmentCreated {
                id: FulfilmentId(id),
                channel_id: ChannelId(channel_id),
                replayed: true,
            }));
        }
    }
    let Some(order) = orders::find(conn, msg.order_id.get())? else {
        return Ok(Err(InventoryError::OrderNotFound(msg.order_id)));
    };
    let refusal = match Status::parse(&order.status) {
        Some(Status::Cancelled | Status::Excluded | Status::FulfilledOnChannel) | None => {
            Some(format!("order {} is {}", order.id, order.status))
        }
        Some(Status::OnHold) => Some(format!("order {} is on hold: release it before fulfilling", order.id)),
        Some(Status::AwaitingPayment) => Some(format!("order {} is awaiting payment on its channel", order.id)),
        _ => None,
    };
    if let Some(why) = refusal {
        return Ok(Err(InventoryError::OrderState(why)));
    }
    let lines = orders::lines_of(conn, &[order.id])?;
    let states: Vec<LineState> = lines
        .iter()
        .map(|l| LineState {
            id: l.id,
            external_id: l.external_id.clone(),
            sku: l.sku.clone(),
            remaining: l.quantity - l.fulfilled.max(l.shipped),
        })
        .collect();
    let plan = match fulfilment::plan(&states, msg.lines.as_deref()) {
        Ok(p) => p,
        Err(e) => return Ok(Err(InventoryError::Fulfilment(e.to_string()))),
    };
    // The shipped units leave the source's on-hand, all or nothing.
    let mut by_sku: BTreeMap<&str, i64> = BTreeMap::new();
    for (_, sku, qty) in &plan {
        *by_sku.entry(sku.as_str()).or_default() += qty;
    }
    let unknown: Vec<String> =
        by_sku.keys().filter(|s| !snap.levels.contains_key(**s)).map(|s| s.to_string()).collect();
    if !unknown.is_empty() {
        return Ok(Err(InventoryError::UnknownSku(unknown)));
    }
    // A plugin ships from its own shelves, which it reports in absolute figures (see
    // `Snapshot::held`); a shipment from the API's count beyond it is refused as negative stock.
    let ops: Vec<(String, String, SourceChange)> = by_sku
        .iter()
        .map(|(sku, qty)| {
            let take = match msg.source {
                Source::Plugin(_) => (*qty).min(snap.held(sku, &source)),
                _ => *qty,
            };
            (sku.to_string(), source.clone(), SourceChange::Adjust { delta: -take })
        })
        .filter(|(_, _, change)| *change != SourceChange::Adjust { delta: 0 })
        .collect();
    if let Err(e) = apply_stock(snap, &ops, dirty) {
        return Ok(Err(e));
    }
    // ...and out of the allocation the lines held, so `available` stays where it was.
    for (line_id, sku, qty) in &plan {
        let Some(line) = lines.iter().find(|l| l.id == *line_id) else { continue };
        let released = (*qty).min(line.allocated);
        allocate(&mut snap.levels, moved, sku, -released)?;
        fulfilments::ship_line(conn, line.id, line.shipped + qty, line.allocated - released)?;
    }
    let id = fulfilments::insert(
        conn,
        &NewFulfilment {
            order_id: order.id,
            channel_id: order.channel_id,
            source,
            status: "pending".into(),
            carrier: msg.carrier.clone(),
            tracking_number: msg.tracking_number.clone(),
            tracking_url: msg.tracking_url.clone(),
            created_at: now,
            updated_at: now,
            idempotency_key: msg.idempotency.as_ref().map(|i| i.key.clone()),
            request_digest: msg.idempotency.as_ref().map(|i| i.digest.clone()),
        },
        &plan,
    )?;
    orders::set_status(conn, order.id, Status::PartiallyFulfilled.as_str(), None, now)?;
    let units: i64 = plan.iter().map(|(_, _, qty)| qty).sum();
    orders::add_events(
        conn,
        &[NewHistoryEntry {
            order_id: order.id,
            at: now,
            kind: "fulfilment_created".into(),
            detail: format!("fulfilment {id}: {units} units"),
        }],
    )?;
    crate::db::snapshots::emit_fulfilment(conn, id, "fulfillments.created", now)?;
    crate::db::snapshots::emit_orders(conn, &[(order.id, "orders.updated")], now)?;
    let target = outbox::channel_target(order.channel_id);
    outbox::queue(conn, &target, outbox::FULFILMENT, &format!("fulfilment:{id}"), &id.to_string(), now)?;
    Ok(Ok(FulfilmentCreated { id: FulfilmentId(id), channel_id: ChannelId(order.channel_id), replayed: false }))
}
