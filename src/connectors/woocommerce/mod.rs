//! WooCommerce REST v3 connector: orders by `modified_after`, oldest change first, 100 a page;
//! simple products and the variations of variable products; signed as the store's scheme
//! requires (see `auth`).
//!
//! Offset pages shift when an order changes mid-poll, so pages are walked by key: each next
//! request starts from the newest `date_modified_gmt` seen (less a second of overlap, as the
//! API counts whole seconds), and only falls back to a page number when a whole page shares
//! one second.

pub mod auth;
pub mod mapping;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use tracing::Instrument;

use super::{
    http::{read_answer, Answer},
    Connector, ConnectorError, OrderPage, OutboundFulfilment, PushOutcome, RateGate, StockPush, ATTEMPTS,
};

pub const PER_PAGE: usize = 100;

#[derive(Clone)]
pub struct WooCommerce {
    client: awc::Client,
    base: String,
    key: Rc<String>,
    secret: Rc<String>,
    /// Over https, credentials in the query string instead of the `Authorization` header.
    query_string_auth: bool,
    /// The store's currency, read with the catalogue.
    currency: Rc<RefCell<Option<String>>>,
    /// The store's weight and dimension units, read with the catalogue.
    units: Rc<RefCell<mapping::Units>>,
    /// Variation SKUs seen in the catalogue, with their parent product's id.
    variations: Rc<RefCell<HashMap<String, (i64, i64)>>>,
    gate: RateGate,
    /// Where each call is recorded.
    tap: crate::records::Tap,
}

/// Redirects followed for one call at most.
const MAX_REDIRECTS: u32 = 3;

impl WooCommerce {
    pub fn new(base_url: &str, key: String, secret: String, query_string_auth: bool, client: awc::Client) -> Self {
        WooCommerce {
            client,
            base: format!("{}/wp-json/wc/v3", base_url.trim_end_matches('/')),
            key: Rc::new(key),
            secret: Rc::new(secret),
            query_string_auth,
            currency: Rc::default(),
            units: Rc::default(),
            variations: Rc::default(),
            gate: RateGate::default(),
            tap: crate::records::Tap::none(),
        }
    }

    /// Records every call this connector makes with `tap`.
    pub fn with_tap(mut self, tap: crate::records::Tap) -> Self {
        self.tap = tap;
        self
    }

    /// A GET retried through 429s and 5xx; returns the body.
    async fn get(&self, path_and_query: &str) -> Result<(Vec<u8>, awc::http::header::HeaderMap), ConnectorError> {
        self.call(awc::http::Method::GET, path_and_query, None).await
    }

    /// A call retried through 429s (waiting as `Retry-After` says) and 5xx, signed for the
    /// URL's scheme, following a redirect to the same host (an http → https upgrade); returns
    /// the body.
    async fn call(
        &self,
        method: awc::http::Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(Vec<u8>, awc::http::header::HeaderMap), ConnectorError> {
        let mut url = url::Url::parse(&format!("{}{}", self.base, path_and_query))
            .map_err(|e| ConnectorError::Permanent(format!("the store's address is not a URL: {e}")))?;
        let mut last = ConnectorError::Transient("no attempt made".into());
        let mut redirects = 0;
        let mut attempt = 0;
        while attempt < ATTEMPTS {
            self.gate.wait().await;
            let mode = auth::Auth::for_url(&url, self.query_string_auth);
            let nonce = hex::encode(rand::random::<[u8; 16]>());
            let (signed, basic) = auth::sign(
                method.as_str(),
                &url,
                mode,
                &self.key,
                &self.secret,
                chrono::Utc::now().timestamp(),
                &nonce,
            );
            // The path only: with query-string authentication the query carries the secret.
            let call = self.tap.call(format!("{method} {}", url.path()));
            let mut request = self.client.request(method.clone(), signed.as_str());
            if let Some((key, secret)) = basic {
                request = request.basic_auth(key, secret);
            }
            let sent = match body {
                Some(b) => request.send_json(b).await,
                None => request.send().await,
            };
            match read_answer(sent, &self.gate, attempt, 64 << 20, "WooCommerce", call).await {
                Answer::Body(bytes, headers) => return Ok((bytes, headers)),
                Answer::Retry(e) => last = e,
                Answer::Refused(e) => return Err(e),
                Answer::Redirect(to) => {
                    let next = follow(&url, &to).filter(|_| redirects < MAX_REDIRECTS).ok_or_else(|| {
                        ConnectorError::Permanent(format!(
                            "the store redirected {} to {}; Chorus follows a redirect only to the same host \
                             (http → https): set the channel's base_url to the address the store answers at",
                            without_query(&url),
                            to.split('?').next().unwrap_or_default()
                        ))
                    })?;
                    tracing::warn!(from = %without_query(&url), to = %without_query(&next),
                        "the store redirects; following (set the channel's base_url to the new address)");
                    url = next;
                    redirects += 1;
                    continue;
                }
            }
            attempt += 1;
        }
        Err(last)
    }

    async fn orders_page(&self, since: Option<i64>, token: Option<String>) -> Result<OrderPage, ConnectorError> {
        // The token is "<since ms>:<page>"; absent, start from the caller's `since`.
        let (since, page) = match token.as_deref().and_then(|t| t.split_once(':')) {
            Some((s, p)) => (s.parse::<i64>().ok(), p.parse::<u32>().unwrap_or(1)),
            None => (since, 1),
        };
        let mut query =
            format!("/orders?status=any&dates_are_gmt=true&per_page={PER_PAGE}&page={page}&orderby=modified&order=asc");
        if let Some(ms) = since {
            let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
            query.push_str(&format!("&modified_after={}", t.format("%Y-%m-%dT%H:%M:%S")));
        }
        let (bytes, _) = self.get(&query).await?;
        let raw: Vec<mapping::WooOrder> = serde_json::from_slice(&bytes)
            .map_err(|e| ConnectorError::Permanent(format!("unexpected orders shape: {e}")))?;
        let full = raw.len() >= PER_PAGE;
        let orders: Vec<_> = raw.into_iter().filter_map(mapping::order).collect();
        let next = if full {
            let newest = orders.iter().map(|o| o.updated_at).max();
            // One second of overlap: the API compares whole seconds.
            let next_since = newest.map(|n| n - 1000);
            match (since, next_since) {
                (Some(s), Some(n)) if n <= s => Some(format!("{s}:{}", page + 1)),
                (_, Some(n)) => Some(format!("{n}:1")),
                (_, None) => None,
            }
        } else {
            None
        };
        Ok(OrderPage { orders, next })
    }
}

/// The URL a redirect leads to, if Chorus follows it: the same host, the same scheme or
/// http → https; the credentials an earlier signing added are dropped (each attempt signs anew).
fn follow(from: &url::Url, location: &str) -> Option<url::Url> {
    let mut next = from.join(location).ok()?;
    let upgrade = from.scheme() == "http" && next.scheme() == "https";
    if next.host_str() != from.host_str() || !(next.scheme() == from.scheme() || upgrade) {
        return None;
    }
    let kept: Vec<(String, String)> = next
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| !k.starts_with("oauth_") && k != "consumer_key" && k != "consumer_secret")
        .collect();
    next.set_query(None);
    if !kept.is_empty() {
        next.query_pairs_mut().extend_pairs(kept);
    }
    Some(next)
}

/// A URL for the log: never its query, which may carry credentials.
fn without_query(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

impl WooCommerce {
    async fn catalogue_page(&self, token: Option<String>) -> Result<super::CataloguePage, ConnectorError> {
        let page: u32 = token.and_then(|t| t.parse().ok()).unwrap_or(1);
        if page == 1 || self.currency.borrow().is_none() {
            let (bytes, _) = self.get("/data/currencies/current").await?;
            let current: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            *self.currency.borrow_mut() = current["code"].as_str().map(str::to_string);
            *self.units.borrow_mut() = self.read_units().await;
        }
        let currency = self.currency.borrow().clone();
        let units = *self.units.borrow();
        let (bytes, headers) = self.get(&format!("/products?per_page={PER_PAGE}&page={page}")).await?;
        let products: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|e| ConnectorError::Permanent(format!("unexpected products shape: {e}")))?;
        let pages: u32 =
            headers.get("x-wp-totalpages").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(page);
        let mut listings = Vec::with_capacity(products.len());
        for p in &products {
            // A variable product sells as its variations; the parent is not a stock item.
            if p["type"] == "variable" {
                listings.extend(self.variations_of(p, currency.as_deref(), units).await?);
            } else if let Some(l) = mapping::listing(p, None, currency.as_deref(), units) {
                listings.push(l);
            }
        }
        Ok(super::CataloguePage { listings, next: (page < pages).then(|| (page + 1).to_string()), location: None })
    }

    /// The store's weight and dimension units (`GET /settings/products`); WooCommerce's
    /// defaults (kg, cm) when the key may not read settings.
    async fn read_units(&self) -> mapping::Units {
        match self.get("/settings/products").await {
            Ok((bytes, _)) => {
                let settings: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap_or_default();
                mapping::Units::from_settings(&settings)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the store's units; taking WooCommerce's defaults (kg, cm)");
                mapping::Units::default()
            }
        }
    }

    /// Every variation of a variable product, as listings under the parent's id.
    async fn variations_of(
        &self,
        parent: &serde_json::Value,
        currency: Option<&str>,
        units: mapping::Units,
    ) -> Result<Vec<super::Listing>, ConnectorError> {
        let Some(parent_id) = parent["id"].as_i64() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for page in 1..=100 {
            let (bytes, _) =
                self.get(&format!("/products/{parent_id}/variations?per_page={PER_PAGE}&page={page}")).await?;
            let variations: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
                .map_err(|e| ConnectorError::Permanent(format!("unexpected variations shape: {e}")))?;
            let full = variations.len() >= PER_PAGE;
            let mut known = self.variations.borrow_mut();
            for v in &variations {
                if let Some(l) = mapping::listing(v, Some(parent_id), currency, units) {
                    if let Some(id) = v["id"].as_i64() {
                        known.insert(l.sku.clone(), (parent_id, id));
                    }
                    out.push(l);
                }
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }
}

impl WooCommerce {
    /// Simple products through `POST /products/batch`, variations through
    /// `POST /products/{parent}/variations/batch`, one call per parent; each item succeeds or
    /// fails on its own.
    async fn batch_stock(&self, items: Vec<StockPush>) -> Result<Vec<PushOutcome>, ConnectorError> {
        let mut outcomes = vec![PushOutcome::NotApplied; items.len()];
        // Path → (item index, id to update).
        let mut calls: Vec<(String, Vec<(usize, i64)>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let parent = item.listing_id.as_deref().and_then(|id| id.parse::<i64>().ok());
            let variation = item.variant_id.as_deref().and_then(|id| id.parse::<i64>().ok()).filter(|v| *v > 0);
            let (path, id) = match (parent, variation) {
                (Some(p), Some(v)) => (format!("/products/{p}/variations/batch"), v),
                (Some(p), None) => ("/products/batch".to_string(), p),
                (None, _) => {
                    outcomes[i] = PushOutcome::Rejected(
                        "the listing has no WooCommerce product id; read the catalogue again".into(),
                    );
                    continue;
                }
            };
            match calls.iter_mut().find(|(p, _)| *p == path) {
                Some((_, entries)) => entries.push((i, id)),
                None => calls.push((path, vec![(i, id)])),
            }
        }
        for (path, sent) in calls {
            let update: Vec<serde_json::Value> = sent
                .iter()
                .map(|(i, id)| serde_json::json!({ "id": id, "manage_stock": true, "stock_quantity": items[*i].quantity }))
                .collect();
            let body = serde_json::json!({ "update": update });
            let (bytes, _) = self.call(awc::http::Method::POST, &path, Some(&body)).await?;
            let reply: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| ConnectorError::Transient(format!("unreadable batch response: {e}")))?;
            let results = reply["update"].as_array().cloned().unwrap_or_default();
            for (k, (i, id)) in sent.into_iter().enumerate() {
                // Results come back in request order; match by id too, in case one is missing.
                let result = results.get(k).filter(|r| r["id"].as_i64() == Some(id) || r.get("error").is_some());
                outcomes[i] = match result {
                    Some(r) if r.get("error").is_some() => {
                        PushOutcome::Rejected(r["error"]["message"].as_str().unwrap_or("refused").to_string())
                    }
                    Some(r) if r["stock_quantity"].as_i64() == Some(items[i].quantity) => PushOutcome::Applied,
                    Some(r) => PushOutcome::Rejected(format!(
                        "WooCommerce kept stock_quantity {} (is stock management off for this product?)",
                        r["stock_quantity"]
                    )),
                    None => PushOutcome::NotApplied,
                };
            }
        }
        Ok(outcomes)
    }

    async fn quantities(&self, skus: Vec<String>) -> Result<Vec<(String, i64)>, ConnectorError> {
        let mut out = Vec::with_capacity(skus.len());
        let mut by_parent: Vec<(i64, Vec<(String, i64)>)> = Vec::new();
        let mut simple = Vec::new();
        for sku in skus {
            match self.variations.borrow().get(&sku) {
                Some(&(parent, variation)) => match by_parent.iter_mut().find(|(p, _)| *p == parent) {
                    Some((_, v)) => v.push((sku.clone(), variation)),
                    None => by_parent.push((parent, vec![(sku.clone(), variation)])),
                },
                None => simple.push(sku),
            }
        }
        for chunk in simple.chunks(PER_PAGE) {
            let list = chunk.iter().map(|s| urlencoding::encode(s).into_owned()).collect::<Vec<_>>().join(",");
            let (bytes, _) = self.get(&format!("/products?per_page={PER_PAGE}&sku={list}")).await?;
            let products: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
                .map_err(|e| ConnectorError::Permanent(format!("unexpected products shape: {e}")))?;
            out.extend(
                products.iter().filter_map(|p| Some((p["sku"].as_str()?.to_string(), p["stock_quantity"].as_i64()?))),
            );
        }
        for (parent, wanted) in by_parent {
            for chunk in wanted.chunks(PER_PAGE) {
                let ids = chunk.iter().map(|(_, id)| id.to_string()).collect::<Vec<_>>().join(",");
                let (bytes, _) =
                    self.get(&format!("/products/{parent}/variations?per_page={PER_PAGE}&include={ids}")).await?;
                let found: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
                    .map_err(|e| ConnectorError::Permanent(format!("unexpected variations shape: {e}")))?;
                out.extend(found.iter().filter_map(|v| {
                    let (sku, _) = chunk.iter().find(|(_, id)| v["id"].as_i64() == Some(*id))?;
                    Some((sku.clone(), v["stock_quantity"].as_i64()?))
                }));
            }
        }
        Ok(out)
    }
}

impl WooCommerce {
    /// A customer note with carrier and tracking (marked with Chorus's id, so a resend finds
    /// it instead of adding a second), then status `completed` once every line is shipped.
    async fn fulfil(&self, f: OutboundFulfilment) -> Result<String, ConnectorError> {
        let order = f
            .order_external_id
            .parse::<i64>()
            .map_err(|_| ConnectorError::Permanent(format!("{} is not a WooCommerce order id", f.order_external_id)))?;
        let marker = format!("[Chorus fulfilment {}]", f.chorus_id);
        let (bytes, _) = self.get(&format!("/orders/{order}/notes")).await?;
        // Unreadable notes are not "no notes": guessing would post a second one.
        let notes: Vec<serde_json::Value> = serde_json::from_slice(&bytes)
            .map_err(|e| ConnectorError::Transient(format!("unreadable order notes: {e}")))?;
        let existing = notes.iter().find(|n| n["note"].as_str().is_some_and(|t| t.contains(&marker)));
        let note_id = match existing {
            Some(n) => n["id"].to_string(),
            None => {
                let mut text =
                    format!("Shipped{}", f.carrier.as_ref().map(|c| format!(" with {c}")).unwrap_or_default());
                if let Some(number) = &f.tracking_number {
                    text.push_str(&format!(", tracking number {number}"));
                }
                if let Some(url) = &f.tracking_url {
                    text.push_str(&format!(" ({url})"));
                }
                text.push_str(&format!(". {marker}"));
                let body = serde_json::json!({ "note": text, "customer_note": true });
                let (bytes, _) =
                    self.call(awc::http::Method::POST, &format!("/orders/{order}/notes"), Some(&body)).await?;
                let note: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                note["id"].to_string()
            }
        };
        if f.completes_order {
            let body = serde_json::json!({ "status": "completed" });
            self.call(awc::http::Method::PUT, &format!("/orders/{order}"), Some(&body)).await?;
        }
        Ok(format!("note:{note_id}"))
    }
}

impl Connector for WooCommerce {
    fn fetch_orders(
        &self,
        since: Option<i64>,
        page: Option<String>,
    ) -> LocalBoxFuture<'static, Result<OrderPage, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("woocommerce.orders", base = %this.base);
        Box::pin(async move { this.orders_page(since, page).await }.instrument(span))
    }

    fn fetch_catalogue(
        &self,
        page: Option<String>,
    ) -> LocalBoxFuture<'static, Result<super::CataloguePage, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("woocommerce.catalogue", base = %this.base);
        Box::pin(async move { this.catalogue_page(page).await }.instrument(span))
    }

    fn push_stock(&self, items: Vec<StockPush>) -> LocalBoxFuture<'static, Result<Vec<PushOutcome>, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("woocommerce.push_stock", base = %this.base, items = items.len());
        Box::pin(async move { this.batch_stock(items).await }.instrument(span))
    }

    fn max_push_batch(&self) -> usize {
        PER_PAGE
    }

    fn compares_on_push(&self) -> bool {
        false
    }

    fn send_fulfilment(&self, f: OutboundFulfilment) -> LocalBoxFuture<'static, Result<String, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("woocommerce.fulfil", base = %this.base, fulfilment = f.chorus_id);
        Box::pin(async move { this.fulfil(f).await }.instrument(span))
    }

    fn read_quantities(
        &self,
        skus: Vec<String>,
    ) -> LocalBoxFuture<'static, Result<Vec<(String, i64)>, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("woocommerce.read_quantities", base = %this.base, skus = skus.len());
        Box::pin(async move { this.quantities(skus).await }.instrument(span))
    }
}
