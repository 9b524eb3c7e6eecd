//! `/orders`: orders filtered by status, hold reason, channel, customer and date; an order's
//! page with its lines, history and fulfilments, and the actions the API allows on it.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde_json::json;

use super::layout::{self, csrf};
use super::session::Signed;
use super::{act, items, json, text};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

const FILTERS: [&str; 7] =
    ["status", "hold_reason", "channel_id", "customer_email", "number", "created_from", "created_to"];
const STATUSES: [&str; 6] = ["imported", "on_hold", "partially_fulfilled", "synced", "excluded", "cancelled"];

#[tracing::instrument(skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    // The filters the form sent, passed on to the API's own list as they are.
    let mut pairs: Vec<(&str, &str)> =
        FILTERS.iter().filter_map(|k| query.get(*k).map(|v| (*k, v.trim())).filter(|(_, v)| !v.is_empty())).collect();
    pairs.push(("limit", "100"));
    if let Some(c) = query.get("cursor") {
        pairs.push(("cursor", c));
    }
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let filter = web::Query::from_query(&qs).map_err(|e| ApiError::validation("query", e.to_string()))?;
    let answer = json(crate::http::orders::list::list(state.clone(), filter).await).await;
    let channels = json(crate::http::channels::list::list(state.clone()).await).await?;
    let value = |k: &str| query.get(k).cloned().unwrap_or_default();
    let content = html! {
        form.filters method="get" action="/orders" {
            label { "Status" select name="status" {
                option value="" { "any" }
                @for s in STATUSES { option value=(s) selected[value("status") == s] { (s) } }
            } }
            label { "Hold reason" input name="hold_reason" value=(value("hold_reason")) placeholder="insufficient_stock"; }
            label { "Channel" select name="channel_id" {
                option value="" { "any" }
                @for c in items(&channels) {
                    @let id = text(&c["id"]);
                    option value=(id) selected[value("channel_id") == id] { (text(&c["name"])) }
                }
            } }
            label { "Customer e-mail" input name="customer_email" type="email" value=(value("customer_email")); }
            label { "Number" input name="number" value=(value("number")) placeholder="#1001"; }
            label { "From" input name="created_from" type="date" value=(value("created_from")); }
            label { "To" input name="created_to" type="date" value=(value("created_to")); }
            button type="submit" { "Filter" }
        }
        @match &answer {
            Err(e) => p.error role="alert" { (e.to_string()) },
            Ok(page) => {
                div.scroll { table #orders {
                    thead { tr { th { "Order" } th { "Channel" } th { "Status" } th { "Hold reason" } th { "Customer" } th { "Created" } } }
                    tbody {
                        @for o in page["items"].as_array().into_iter().flatten() {
                            tr data-order=(text(&o["id"])) {
                                td { a href={ "/orders/" (text(&o["id"])) } { (text(&o["name"])) } }
                                td { (text(&o["channel_id"])) }
                                td { (text(&o["status"])) }
                                td { (text(&o["hold_reason"])) }
                                td { (o["customer"]["email"].as_str().unwrap_or("—")) }
                                td { (text(&o["channel_created_at"])) }
                            }
                        }
                    }
                } }
                @if page["items"].as_array().is_none_or(|a| a.is_empty()) { p.muted { "No orders match." } }
                @if let Some(next) = page["next_cursor"].as_str() {
                    p { a href={ "/orders?" (next_page(&pairs, next)) } { "Next page" } }
                }
            }
        }
    };
    Ok(layout::page("Orders", &signed, "/orders", false, content))
}

#[tracing::instrument(skip_all)]
pub async fn page(state: web::Data<AppState>, signed: Signed, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let order = json(crate::http::orders::read::read(state.clone(), id).await).await?;
    let oid = text(&order["id"]);
    let open = matches!(order["status"].as_str(), Some("imported" | "on_hold" | "partially_fulfilled"));
    let content = html! {
        div.card { dl {
            dt { "Status" } dd { span.badge { (text(&order["status"])) } @if !order["hold_reason"].is_null() { " " span.badge.warn { (text(&order["hold_reason"])) } } }
            dt { "Channel" } dd { (text(&order["channel_id"])) " · external id " (text(&order["external_id"])) }
            dt { "Customer" } dd { (order["customer"]["email"].as_str().unwrap_or("—")) }
            dt { "Payment" } dd { (text(&order["financial_status"])) }
            dt { "Created" } dd { (text(&order["channel_created_at"])) }
            dt { "Plugin" } dd { (text(&order["plugin_id"])) }
        } }
        div.actions {
            @if order["status"] == "on_hold" {
                form.inline method="post" action={ "/orders/" (oid) "/release" } { (csrf(&signed)) button #release type="submit" { "Release" } }
            }
            @if open {
                form.inline method="post" action={ "/orders/" (oid) "/exclude" } { (csrf(&signed)) button.secondary type="submit" { "Exclude from Chorus" } }
            }
        }
        h2 { "Lines" }
        div.scroll { table {
            thead { tr { th { "SKU" } th { "Title" } th { "Qty" } th { "Allocated" } th { "Fulfilled" } th { "Shipped" } th { "Shipped on channel" } } }
            tbody { @for l in order["lines"].as_array().into_iter().flatten() {
                tr {
                    td { a href={ "/stock/" (urlencoding::encode(l["sku"].as_str().unwrap_or_default())) } { (text(&l["sku"])) } }
                    td.wrap { (text(&l["title"])) }
                    td { (text(&l["quantity"])) } td { (text(&l["allocated"])) } td { (text(&l["fulfilled"])) }
                    td { (text(&l["shipped"])) } td { (text(&l["shipped_on_channel"])) }
                }
            } }
        } }
        h2 { "Fulfilments" }
        div.scroll { table {
            thead { tr { th { "Id" } th { "Status" } th { "Carrier" } th { "Tracking" } th { "Attempts" } th { "Last error" } th {} } }
            tbody { @for f in order["fulfilments"].as_array().into_iter().flatten() {
                tr {
                    td { (text(&f["id"])) } td { (text(&f["status"])) } td { (text(&f["carrier"])) }
                    td { (text(&f["tracking_number"])) } td { (text(&f["attempts"])) } td.wrap { (text(&f["last_error"])) }
                    td { @if f["status"] == "failed" {
                        form.inline method="post" action={ "/fulfilments/" (text(&f["id"])) "/retry" } {
                            (csrf(&signed)) input type="hidden" name="back" value={ "/orders/" (oid) }; button type="submit" { "Retry" }
                        }
                    } }
                }
            } }
        } }
        @if open {
            form.card method="post" action={ "/orders/" (oid) "/fulfilments" } {
                h2 { "Fulfil what is left" }
                (csrf(&signed))
                label { "Carrier" input name="carrier" placeholder="UPS"; }
                label { "Tracking number" input name="tracking_number"; }
                label { "Tracking URL" input name="tracking_url" type="url"; }
                button type="submit" { "Create fulfilment" }
            }
        }
        h2 { "History" }
        div.scroll { table {
            thead { tr { th { "At" } th { "What" } th { "Detail" } } }
            tbody { @for h in order["history"].as_array().into_iter().flatten() {
                tr { td { (text(&h["at"])) } td { (text(&h["kind"])) } td.wrap { (text(&h["detail"])) } }
            } }
        } }
    };
    Ok(layout::page(&format!("Order {}", text(&order["name"])), &signed, "/orders", false, content))
}

type Form = web::Form<HashMap<String, String>>;

#[tracing::instrument(skip_all)]
pub async fn release(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    form: Form,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    let back = format!("/orders/{}", urlencoding::encode(&id));
    Ok(act(&signed, crate::http::orders::action::release(state, id).await, &back))
}

#[tracing::instrument(skip_all)]
pub async fn exclude(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    form: Form,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    let back = format!("/orders/{}", urlencoding::encode(&id));
    Ok(act(&signed, crate::http::orders::action::exclude(state, id).await, &back))
}

#[tracing::instrument(skip_all)]
pub async fn fulfil(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    id: web::Path<String>,
    form: Form,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    let back = format!("/orders/{}", urlencoding::encode(&id));
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let body = json!({ "carrier": field("carrier"), "tracking_number": field("tracking_number"), "tracking_url": field("tracking_url") });
    let body = serde_json::from_value(body).map_err(|e| ApiError::validation("body", e.to_string()))?;
    let done = crate::http::fulfilments::create::create(state, req, id, crate::http::extract::Body(body)).await;
    Ok(act(&signed, done, &back))
}

#[tracing::instrument(skip_all)]
pub async fn retry(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    form: Form,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    // Only a path inside the console: a form cannot send the browser elsewhere.
    let back = form.get("back").filter(|b| is_console_path(b)).cloned().unwrap_or_else(|| "/transactions".into());
    Ok(act(&signed, crate::http::fulfilments::retry::retry(state, id).await, &back))
}

/// The same filters, one page on.
fn next_page(pairs: &[(&str, &str)], cursor: &str) -> String {
    let mut more: Vec<(&str, &str)> = pairs.iter().filter(|(k, _)| *k != "cursor" && *k != "limit").copied().collect();
    more.push(("cursor", cursor));
    serde_urlencoded::to_string(&more).unwrap_or_default()
}

/// A path on this server (`/orders/3`), never an address elsewhere (`//host`, `/\\host`, which
/// browsers read as another host).
fn is_console_path(back: &str) -> bool {
    back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') && !back.contains("://")
}

#[cfg(test)]
mod tests {
    use super::is_console_path;

    #[test]
    fn only_paths_on_this_server_are_gone_back_to() {
        assert!(is_console_path("/orders/3"));
        assert!(is_console_path("/transactions"));
        for elsewhere in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/x?u=http://a"] {
            assert!(!is_console_path(elsewhere), "{elsewhere}");
        }
    }
}
