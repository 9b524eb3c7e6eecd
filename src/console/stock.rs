//! `/stock`: SKUs by search; a SKU's page with its sources, allocated and available, the
//! figure each channel was last sent and when it confirmed it, and the changes that moved it.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::html;

use super::layout::{self, when};
use super::session::Signed;
use super::{items, json, text};
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let needle = query.get("q").map(|q| q.trim().to_string()).unwrap_or_default();
    let search = needle.clone();
    let found = db::run(&state.pool, move |conn| Ok(db::products::search(conn, &search, 200)?)).await?;
    let content = html! {
        form.filters method="get" action="/stock" role="search" {
            label { "SKU or title" input name="q" type="search" value=(needle) autofocus; }
            button type="submit" { "Search" }
        }
        div.scroll { table #stock {
            thead { tr { th { "SKU" } th { "Title" } th { "On hand" } th { "Allocated" } th { "Available" } } }
            tbody { @for (sku, title, on_hand, allocated) in &found {
                tr {
                    td { a href={ "/stock/" (urlencoding::encode(sku)) } { (sku) } }
                    td.wrap { (title) }
                    td { (on_hand.unwrap_or(0)) } td { (allocated.unwrap_or(0)) }
                    td { (on_hand.unwrap_or(0) - allocated.unwrap_or(0)) }
                }
            } }
        } }
        @if found.is_empty() { p.muted { "No SKU matches." } }
    };
    Ok(layout::page("Stock", &signed, "/stock", false, content))
}

#[tracing::instrument(skip_all)]
pub async fn page(state: web::Data<AppState>, signed: Signed, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let stock = crate::http::inventory::view(&state, &sku).await?;
    let channels = json(crate::http::channels::list::list(state.clone()).await).await?;
    let subject = format!("sku:{sku}");
    let name = sku.clone();
    let (listings, confirmed, changes) = db::run(&state.pool, move |conn| {
        let mut listings = Vec::new();
        for c in db::channels::list(conn)? {
            let found = db::channel_products::for_skus(conn, c.id, &[name.as_str()])?;
            listings.extend(found.into_iter().map(|l| (c.id, l.channel_quantity, l.updated_at)));
        }
        Ok((listings, db::transactions::confirmations_of(conn, &name)?, db::events::recent_about(conn, &subject, 50)?))
    })
    .await?;
    let content = html! {
        div.card { dl {
            dt { "On hand" } dd #on-hand { (stock.on_hand) }
            dt { "Allocated" } dd #allocated { (stock.allocated) }
            dt { "Available" } dd #available { (stock.available) }
        } }
        h2 { "Sources" }
        div.scroll { table {
            thead { tr { th { "Source" } th { "Quantity" } } }
            tbody { @for (source, q) in &stock.sources { tr { td { (source) } td { (q) } } } }
        } }
        h2 { "Channels" }
        div.scroll { table #channel-figures {
            thead { tr { th { "Channel" } th { "Listed" } th { "Figure on the channel" } th { "Last confirmed" } th { "Confirmed at" } } }
            tbody { @for c in items(&channels) {
                @let id = c["id"].as_i64().unwrap_or_default();
                @let listing = listings.iter().find(|(cid, _, _)| *cid == id);
                @let confirmation = confirmed.iter().find(|(cid, _, _)| *cid == id);
                tr data-channel=(id) {
                    td { (text(&c["name"])) }
                    td { @if listing.is_some() { "yes" } @else { span.muted { "not listed" } } }
                    td.figure { (listing.and_then(|(_, q, _)| *q).map(|q| q.to_string()).unwrap_or_else(|| "—".into())) }
                    td.confirmed { (confirmation.map(|(_, q, _)| q.to_string()).unwrap_or_else(|| "—".into())) }
                    td { (confirmation.map(|(_, _, at)| when(*at)).unwrap_or_else(|| "never".into())) }
                }
            } }
        } }
        h2 { "Recent changes" }
        div.scroll { table {
            thead { tr { th { "At" } th { "Event" } th { "Figures" } } }
            tbody { @for e in &changes {
                tr { td { (when(e.created_at)) } td { (e.kind) } td.wrap { code { (summary(&e.payload)) } } }
            } }
        } }
        @if changes.is_empty() { p.muted { "No changes kept for this SKU." } }
    };
    Ok(layout::page(&format!("Stock · {sku}"), &signed, "/stock", true, content))
}

/// The figures an inventory event carried, in a line.
fn summary(payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let data = if v["data"].is_object() { &v["data"] } else { &v };
    ["on_hand", "allocated", "available", "quantity"]
        .iter()
        .filter_map(|k| data.get(*k).map(|x| format!("{k} {x}")))
        .collect::<Vec<_>>()
        .join(" · ")
}
