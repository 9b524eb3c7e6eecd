//! A fulfilment as the API and the `fulfillments.*` events show it.

use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct FulfilmentView {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: i64,
    pub source: String,
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The channel's id for it, once created there.
    pub channel_ref: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub lines: Vec<FulfilmentLineView>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FulfilmentLineView {
    pub line_id: i64,
    pub sku: String,
    pub quantity: i64,
}
