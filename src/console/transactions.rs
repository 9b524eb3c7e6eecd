//! `/transactions`: every outbound call Chorus made to a channel, plugin or subscriber, newest
//! first, filterable, with a retry beside a failed fulfilment's call.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use maud::html;

use super::layout::{self, csrf, when};
use super::session::Signed;
use crate::db::{self, transactions::Filter};
use crate::error::ApiResult;
use crate::http::AppState;

const PAGE: i64 = 100;

#[tracing::instrument(skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    query: web::Query<HashMap<String, String>>,
) -> ApiResult<HttpResponse> {
    let get = |k: &str| query.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let filter = Filter {
        target_kind: get("target_kind").filter(|k| ["channel", "plugin", "subscriber"].contains(&k.as_str())),
        target_id: get("target_id").and_then(|v| v.parse().ok()),
        failed_only: get("failed").is_some(),
        subject: get("subject"),
        before_id: get("before").and_then(|v| v.parse().ok()),
    };
    let f = filter.clone();
    let (rows, failed_fulfilments) = db::run(&state.pool, move |conn| {
        let rows = db::transactions::list(conn, &f, PAGE)?;
        // Which of the fulfilments named here are failed now (only those can be retried).
        let mut failed = Vec::new();
        for id in rows.iter().filter_map(|r| r.subject.as_deref()?.strip_prefix("fulfilment:")?.parse::<i64>().ok()) {
            if !failed.contains(&id) && db::fulfilments::find(conn, id)?.is_some_and(|(f, _)| f.status == "failed") {
                failed.push(id);
            }
        }
        Ok((rows, failed))
    })
    .await?;
    let kind = filter.target_kind.clone().unwrap_or_default();
    let content = html! {
        form.filters method="get" action="/transactions" {
            label { "Target" select name="target_kind" {
                option value="" { "any" }
                @for k in ["channel", "plugin", "subscriber"] { option value=(k) selected[kind == k] { (k) } }
            } }
            label { "Id" input name="target_id" inputmode="numeric" size="6" value=(filter.target_id.map(|i| i.to_string()).unwrap_or_default()); }
            label { "About" input name="subject" placeholder="fulfilment:12" value=(filter.subject.clone().unwrap_or_default()); }
            label { "Failed only" input type="checkbox" name="failed" value="1" checked[filter.failed_only]; }
            button type="submit" { "Filter" }
        }
        div.scroll { table #transactions {
            thead { tr { th { "When" } th { "Target" } th { "Call" } th { "About" } th { "Status" } th { "ms" } th { "Error / answer" } th {} } }
            tbody { @for r in &rows {
                tr data-failed=[r.failed().then_some("1")] {
                    td { (when(r.at)) }
                    td { (r.target_kind) " #" (r.target_id) }
                    td.wrap { code { (r.action) } }
                    td { (r.subject.clone().unwrap_or_default()) }
                    td { @match r.status_code { Some(s) => span class={ "badge " (if r.failed() { "bad" } else { "ok" }) } { (s) }, None => span.badge.bad { "—" } } }
                    td { (r.duration_ms) }
                    td.wrap { @if let Some(e) = &r.error { span.error { (e) } } @else { pre { (r.response) } } }
                    td {
                        @if let Some(id) = r.subject.as_deref().and_then(|s| s.strip_prefix("fulfilment:")).and_then(|s| s.parse::<i64>().ok()) {
                            @if r.failed() && failed_fulfilments.contains(&id) {
                                form.inline method="post" action={ "/fulfilments/" (id) "/retry" } {
                                    (csrf(&signed)) input type="hidden" name="back" value="/transactions";
                                    button.retry type="submit" { "Retry fulfilment " (id) }
                                }
                            }
                        }
                    }
                }
            } }
        } }
        @if rows.is_empty() { p.muted { "No calls recorded." } }
        @if rows.len() as i64 == PAGE {
            @if let Some(last) = rows.last() {
                p { a href={ "/transactions?" (older(&query, last.id)) } { "Older" } }
            }
        }
    };
    Ok(layout::page("Transaction records", &signed, "/transactions", false, content))
}

fn older(query: &HashMap<String, String>, before: i64) -> String {
    let mut pairs: Vec<(String, String)> =
        query.iter().filter(|(k, _)| *k != "before").map(|(k, v)| (k.clone(), v.clone())).collect();
    pairs.push(("before".into(), before.to_string()));
    serde_urlencoded::to_string(&pairs).unwrap_or_default()
}
