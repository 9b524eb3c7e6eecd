//! The shared view shapes (`crate::views`) built from rows, for the API, the event snapshots
//! and the plugin sends alike.

use super::fulfilments::{FulfilmentLine, FulfilmentRow};
use super::orders::{HistoryRow, LineRow, OrderRow};
use crate::views::fulfilments::{FulfilmentLineView, FulfilmentView};
use crate::views::orders::{HistoryView, LineView, OrderView, ORDER_SHAPE_VERSION};
use crate::views::time;

impl OrderView {
    pub fn new(o: OrderRow, lines: Option<Vec<LineRow>>, history: Option<Vec<HistoryRow>>) -> Self {
        let details = o.details();
        let personal = o.personal();
        OrderView {
            version: ORDER_SHAPE_VERSION,
            number: o.number.clone(),
            currency: details.currency,
            customer: personal.customer,
            shipping_address: personal.shipping_address,
            billing_address: personal.billing_address,
            note: personal.note,
            shipping_lines: details.shipping_lines,
            totals: details.totals,
            tags: details.tags,
            paid_at: details.paid_at.map(time),
            redacted_at: o.redacted_at.map(time),
            id: o.id,
            channel_id: o.channel_id,
            external_id: o.external_id,
            name: o.name,
            status: o.status,
            hold_reason: o.hold_reason,
            financial_status: o.financial_status,
            fulfillment_status: o.fulfillment_status,
            channel_created_at: time(o.channel_created_at),
            channel_updated_at: time(o.channel_updated_at),
            cancelled_at: o.cancelled_at.map(time),
            imported_at: time(o.imported_at),
            updated_at: time(o.updated_at),
            plugin_id: o.plugin_id,
            lines: lines.map(|ls| {
                ls.into_iter()
                    .map(|l| {
                        let d = l.details();
                        LineView {
                            title: d.title,
                            unit_price_minor: d.unit_price_minor,
                            discount_minor: d.discount_minor,
                            tax_minor: d.tax_minor,
                            total_minor: d.total_minor,
                            id: l.id,
                            external_id: l.external_id,
                            sku: l.sku,
                            quantity: l.quantity,
                            fulfilled: l.fulfilled,
                            shipped: l.shipped,
                            allocated: l.allocated,
                            shipped_on_channel: l.channel_out,
                            returned: l.returned,
                            written_off: l.written_off,
                            product_id: l.product_id,
                            variant_id: l.variant_id,
                        }
                    })
                    .collect()
            }),
            history: history.map(|h| {
                h.into_iter().map(|e| HistoryView { at: time(e.at), kind: e.kind, detail: e.detail }).collect()
            }),
            fulfilments: None,
        }
    }
}

impl FulfilmentView {
    pub fn new(f: FulfilmentRow, lines: Vec<FulfilmentLine>) -> Self {
        FulfilmentView {
            id: f.id,
            order_id: f.order_id,
            channel_id: f.channel_id,
            source: f.source,
            status: f.status,
            carrier: f.carrier,
            tracking_number: f.tracking_number,
            tracking_url: f.tracking_url,
            channel_ref: f.channel_ref,
            attempts: f.attempts,
            last_error: f.last_error,
            lines: lines
                .into_iter()
                .map(|l| FulfilmentLineView { line_id: l.order_line_id, sku: l.sku, quantity: l.quantity })
                .collect(),
            created_at: time(f.created_at),
            updated_at: time(f.updated_at),
        }
    }
}
