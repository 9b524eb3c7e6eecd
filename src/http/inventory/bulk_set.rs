//! `PUT /api/v1/inventory` `{"source":"api","items":[{"sku","quantity"}],"create_missing":false}`:
//! sets many SKUs in one transaction, all or nothing.

use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::SetMany;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

/// Enough for a whole warehouse's stock file in one call.
const MAX_ITEMS: usize = 100_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkSet {
    #[serde(default = "api")]
    source: String,
    items: Vec<Item>,
    #[serde(default)]
    create_missing: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    sku: String,
    quantity: i64,
}

fn api() -> String {
    "api".into()
}

#[tracing::instrument(skip(state, body), fields(items = body.0.items.len()))]
pub async fn bulk_set(state: web::Data<AppState>, body: Body<BulkSet>) -> ApiResult<HttpResponse> {
    let BulkSet { source, items, create_missing } = body.0;
    let source = super::existing_source(&state, &source, "source").await?;
    if items.is_empty() {
        return Err(ApiError::validation("items", "must not be empty"));
    }
    if items.len() > MAX_ITEMS {
        return Err(ApiError::validation("items", format!("at most {MAX_ITEMS} items per call")));
    }
    let mut seen = HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::domain::sku::validate(&item.sku)
            .map_err(|m| ApiError::validation(format!("items[{i}].sku"), format!("SKU {m}")))?;
        if !(0..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(ApiError::validation(
                format!("items[{i}].quantity"),
                format!("must be between 0 and {MAX_QUANTITY}"),
            ));
        }
        if !seen.insert(item.sku.as_str()) {
            return Err(ApiError::validation(format!("items[{i}].sku"), format!("\"{}\" appears twice", item.sku)));
        }
    }
    let outcome = state
        .inventory
        .send(SetMany {
            source,
            items: items.into_iter().map(|i| (i.sku, i.quantity)).collect(),
            as_of: None,
            create_missing,
        })
        .await??;
    Ok(HttpResponse::Ok().json(outcome))
}
