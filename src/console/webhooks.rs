//! `/webhooks`: subscriptions, their latest deliveries, and replaying events since a time.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::html;

use super::layout::{self, csrf};
use super::session::Signed;
use super::{act, items, json, text};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[tracing::instrument(skip_all)]
pub async fn list(state: web::Data<AppState>, signed: Signed) -> ApiResult<HttpResponse> {
    let subs = json(crate::http::webhooks::manage::list(state.clone()).await).await?;
    let mut deliveries = Vec::new();
    for s in items(&subs) {
        let id = web::Path::from(text(&s["id"]));
        let page = web::Query::from_query("limit=20").map_err(|e| ApiError::validation("query", e.to_string()))?;
        deliveries.push(json(crate::http::webhooks::deliveries::list(state.clone(), id, page).await).await?);
    }
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M").to_string();
    let content = html! {
        @if items(&subs).next().is_none() { p.muted { "No subscriptions. Create one with POST /api/v1/webhooks." } }
        @for (s, d) in items(&subs).zip(&deliveries) {
            section.card id={ "sub-" (text(&s["id"])) } {
                h2 { (text(&s["url"])) }
                dl {
                    dt { "Events" } dd { (text(&s["events"])) }
                    dt { "Enabled" } dd { (text(&s["enabled"])) @if !s["status"]["disabled_reason"].is_null() { " — " (text(&s["status"]["disabled_reason"])) } }
                    dt { "Delivered" } dd { (text(&s["status"]["delivered"])) }
                    dt { "Last error" } dd { (text(&s["status"]["last_error"])) }
                }
                form.filters method="post" action={ "/webhooks/" (text(&s["id"])) "/replay" } {
                    (csrf(&signed))
                    label { "Replay events since (UTC)" input type="datetime-local" name="since" value=(an_hour_ago) required; }
                    button type="submit" { "Replay" }
                }
                div.scroll { table {
                    thead { tr { th { "Attempted" } th { "Event" } th { "webhook-id" } th { "Attempt" } th { "Status" } th { "ms" } th { "Error" } th {} } }
                    tbody { @for x in d["items"].as_array().into_iter().flatten() {
                        tr {
                            td { (text(&x["attempted_at"])) } td { (text(&x["event_id"])) } td { code { (text(&x["webhook_id"])) } }
                            td { (text(&x["attempt"])) } td { (text(&x["status_code"])) } td { (text(&x["duration_ms"])) }
                            td.wrap { (text(&x["error"])) }
                            td { form.inline method="post" action={ "/webhooks/" (text(&s["id"])) "/deliveries/" (text(&x["id"])) "/resend" } {
                                (csrf(&signed)) button.secondary type="submit" { "Resend" }
                            } }
                        }
                    } }
                } }
            }
        }
    };
    Ok(layout::page("Webhooks", &signed, "/webhooks", false, content))
}

#[tracing::instrument(skip_all)]
pub async fn replay(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    let raw = form.get("since").map(|s| s.trim()).unwrap_or_default();
    // A browser's datetime-local has no zone and maybe no seconds: read as UTC.
    let since = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc().to_rfc3339())
        .unwrap_or_else(|_| raw.to_string());
    let body = serde_json::from_value(serde_json::json!({ "since": since }))
        .map_err(|e| ApiError::validation("since", e.to_string()))?;
    Ok(act(
        &signed,
        crate::http::webhooks::deliveries::replay(state, id, crate::http::extract::Body(body)).await,
        "/webhooks",
    ))
}

#[tracing::instrument(skip_all)]
pub async fn resend(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    form: web::Form<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    signed.check(form.get("csrf"))?;
    Ok(act(&signed, crate::http::webhooks::deliveries::resend(state, path).await, "/webhooks"))
}
