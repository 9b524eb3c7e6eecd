//! `/api/v1/inventory`: per-SKU stock by source, single changes and bulk sets.

pub(crate) mod adjust;
pub(crate) mod bulk_set;
pub(crate) mod read;
pub(crate) mod set_source;

use std::collections::BTreeMap;

use actix_web::web;
use serde::Serialize;

use crate::actors::inventory::CachedStock;
use crate::db;
use crate::domain::stock::SourceState;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/inventory").put(bulk_set::bulk_set).default_service(crate::http::allow("PUT")))
        .service(web::resource("/inventory/{sku}").get(read::read).default_service(crate::http::allow("GET")))
        .service(
            web::resource("/inventory/{sku}/sources/{source}")
                .put(set_source::set_source)
                .default_service(crate::http::allow("PUT")),
        )
        .service(
            web::resource("/inventory/{sku}/adjustments")
                .post(adjust::adjust)
                .default_service(crate::http::allow("POST")),
        );
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InventoryView {
    pub sku: String,
    /// Quantity per source, e.g. `{"api": 10, "plugin:2": 4}`.
    pub sources: BTreeMap<String, i64>,
    pub on_hand: i64,
    pub allocated: i64,
    pub available: i64,
    pub version: i64,
}

impl InventoryView {
    fn new(sku: String, stock: &CachedStock) -> Self {
        InventoryView {
            sku,
            sources: stock.sources.iter().map(|(k, v)| (k.clone(), v.quantity)).collect(),
            on_hand: stock.level.on_hand,
            allocated: stock.level.allocated,
            available: stock.level.available(),
            version: stock.level.version,
        }
    }
}

/// A SKU's stock from the cache, or from the database (then cached) on a miss. While other
/// processes share the database their commits do not reach this cache: it is not used then.
pub async fn view(state: &AppState, sku: &str) -> ApiResult<InventoryView> {
    let cached = !state.cluster.has_peers();
    if let Some(stock) = state.stock_cache.get(sku).filter(|_| cached) {
        return Ok(InventoryView::new(sku.to_string(), &stock));
    }
    let owned = sku.to_string();
    let read = db::run(&state.pool, move |conn| Ok(db::inventory::read(conn, &owned)?)).await?;
    let (level, rows) = read.ok_or_else(|| ApiError::unknown_sku(sku))?;
    let mut sources: crate::actors::inventory::Sources =
        rows.into_iter().map(|r| (r.source, SourceState { quantity: r.quantity, as_of: r.as_of })).collect();
    sources.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let stock = CachedStock { level, sources };
    if !cached {
        return Ok(InventoryView::new(sku.to_string(), &stock));
    }
    // A commit may have cached a newer figure meanwhile; keep whichever is newer.
    let entry = state.stock_cache.entry(sku.to_string()).or_insert(stock);
    Ok(InventoryView::new(sku.to_string(), &entry))
}

/// A source named in a request, which must exist: `api`, or a plugin Chorus has (a figure for
/// a plugin that does not exist would count in `on_hand` with nothing to report it).
pub async fn existing_source(state: &AppState, raw: &str, field: &str) -> ApiResult<crate::domain::source::Source> {
    let source = parse_source(raw, field)?;
    if let crate::domain::source::Source::Plugin(id) = source {
        let id = id.0;
        let found = crate::db::run(&state.pool, move |conn| Ok(crate::db::plugins::find(conn, id)?)).await?;
        if found.is_none() {
            return Err(ApiError::Validation {
                code: "unknown_plugin",
                field: field.into(),
                message: format!("no plugin has id {id}"),
            });
        }
    }
    Ok(source)
}

pub fn parse_source(raw: &str, field: &str) -> ApiResult<crate::domain::source::Source> {
    raw.parse().map_err(|e: crate::domain::source::UnknownSource| ApiError::Validation {
        code: "invalid_source",
        field: field.into(),
        message: e.to_string(),
    })
}
