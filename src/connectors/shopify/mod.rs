//! Shopify Admin GraphQL connector: orders by `updated_at` with cursor pagination, paced by
//! the cost throttle Shopify reports on every response.

mod fulfil;
pub mod mapping;
pub mod queries;
pub mod whole;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;
use serde_json::{json, Value};
use tracing::Instrument;

use super::{
    http::{read_answer, Answer},
    Connector, ConnectorError, OrderPage, OutboundFulfilment, PushOutcome, RateGate, StockPush, ATTEMPTS,
};

/// The cost bucket as Shopify last described it.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    available: f64,
    maximum: f64,
    restore_rate: f64,
    seen_at: Instant,
}

impl Bucket {
    fn now_available(&self) -> f64 {
        (self.available + self.restore_rate * self.seen_at.elapsed().as_secs_f64()).min(self.maximum)
    }
    /// How long until `cost` points are there.
    fn wait_for(&self, cost: f64) -> Duration {
        let short = cost - self.now_available();
        if short <= 0.0 || self.restore_rate <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((short / self.restore_rate).min(60.0))
        }
    }
}

/// What the shop said about itself, read once per connector: the location the channel
/// manages and the shop's currency.
#[derive(Clone, Debug)]
struct ShopFacts {
    location: super::Location,
    currency: Option<String>,
}

#[derive(Clone)]
pub struct Shopify {
    client: awc::Client,
    endpoint: String,
    token: Rc<String>,
    bucket: Rc<Cell<Option<Bucket>>>,
    /// The location stock lives at and the shop's currency, discovered from the shop itself.
    shop: Rc<std::cell::RefCell<Option<ShopFacts>>>,
    /// The channel's `options.location` (id or name); None: the shop's primary location.
    location_choice: Option<String>,
    gate: RateGate,
    /// Refunds already read, by order id, with the order's `updatedAt` they were read at: an
    /// order re-fetched unchanged (polls overlap) costs no second read.
    refunds_seen: Rc<std::cell::RefCell<RefundsSeen>>,
    /// Whether the shop's withholding of protected customer data has been logged.
    withheld_noted: Rc<Cell<bool>>,
    /// Where each call is recorded.
    tap: crate::records::Tap,
}

/// Order id → (its version when read: `updatedAt` and line quantities, its refunds).
type RefundsSeen = std::collections::HashMap<String, (String, Vec<mapping::RefundNode>)>;

impl Shopify {
    pub fn new(base_url: &str, access_token: String, location_choice: Option<String>, client: awc::Client) -> Self {
        Shopify {
            client,
            endpoint: format!("{}/admin/api/{}/graphql.json", base_url.trim_end_matches('/'), queries::API_VERSION),
            token: Rc::new(access_token),
            bucket: Rc::new(Cell::new(None)),
            shop: Rc::default(),
            location_choice,
            gate: RateGate::default(),
            refunds_seen: Rc::default(),
            withheld_noted: Rc::default(),
            tap: crate::records::Tap::none(),
        }
    }

    /// Records every call this connector makes with `tap`.
    pub fn with_tap(mut self, tap: crate::records::Tap) -> Self {
        self.tap = tap;
        self
    }

    /// One GraphQL call, retried through throttling, 429s and 5xx; returns `data`.
    async fn graphql(
        &self,
        operation: &str,
        query: &str,
        variables: Value,
        cost: f64,
    ) -> Result<Value, ConnectorError> {
        let body = json!({ "query": query, "variables": variables, "operationName": operation });
        let mut last = ConnectorError::Transient("no attempt made".into());
        for attempt in 0..ATTEMPTS {
            self.gate.wait().await;
            if let Some(bucket) = self.bucket.get() {
                let wait = bucket.wait_for(cost);
                if !wait.is_zero() {
                    tracing::debug!(?wait, cost, "waiting for Shopify cost budget");
                    actix_web::rt::time::sleep(wait).await;
                }
            }
            let call = self.tap.call(format!("POST graphql {operation}"));
            let sent = self
                .client
                .post(&self.endpoint)
                .insert_header(("X-Shopify-Access-Token", self.token.as_str()))
                .send_json(&body)
                .await;
            let bytes = match read_answer(sent, &self.gate, attempt, 32 << 20, "Shopify", call).await {
                Answer::Body(bytes, _) => bytes,
                Answer::Retry(e) => {
                    last = e;
                    continue;
                }
                Answer::Refused(e) => return Err(e),
                Answer::Redirect(to) => {
                    return Err(ConnectorError::Permanent(format!(
                        "Shopify redirected the Admin API to {to}; check the channel's base_url"
                    )))
                }
            };
            let value: Value = serde_json::from_slice(&bytes)
                .map_err(|e| ConnectorError::Transient(format!("unreadable response: {e}")))?;
            self.note_cost(&value);
            if let Some(errors) = value.get("errors").and_then(Value::as_array) {
                let throttled = errors.iter().any(|e| e["extensions"]["code"] == "THROTTLED");
                if throttled {
                    last = ConnectorError::RateLimited(Duration::from_secs(1));
                    let wait = self.bucket.get().map(|b| b.wait_for(cost)).unwrap_or(Duration::from_secs(1));
                    tracing::info!(?wait, "Shopify throttled the query; waiting for the bucket to refill");
                    actix_web::rt::time::sleep(wait.max(Duration::from_millis(100))).await;
                    continue;
                }
                if let Some(data) = value.get("data").filter(|d| d.is_object()) {
                    if errors.iter().all(withheld_field) {
                        self.note_withheld(errors);
                        return Ok(data.clone());
                    }
                }
                let messages: Vec<&str> = errors.iter().filter_map(|e| e["message"].as_str()).collect();
                return Err(ConnectorError::Permanent(messages.join("; ")));
            }
            return Ok(value.get("data").cloned().unwrap_or(Value::Null));
        }
        Err(last)
    }

    /// Once per connector: the shop withholds protected customer data, so its orders come
    /// without names, contacts and addresses until the merchant approves the app for them.
    fn note_withheld(&self, errors: &[Value]) {
        if self.withheld_noted.replace(true) {
            return;
        }
        let mut fields: Vec<String> =
            errors.iter().filter_map(|e| e["path"].as_array()?.last()?.as_str().map(str::to_string)).collect();
        fields.sort();
        fields.dedup();
        tracing::warn!(
            fields = %fields.join(", "),
            "Shopify withholds protected customer data from this app: orders are imported without \
             those fields (customer names, emails, phones, addresses) until the app is approved for \
             protected customer data (level 2)"
        );
    }

    fn note_cost(&self, response: &Value) {
        let t = &response["extensions"]["cost"]["throttleStatus"];
        if let (Some(available), Some(maximum), Some(restore_rate)) =
            (t["currentlyAvailable"].as_f64(), t["maximumAvailable"].as_f64(), t["restoreRate"].as_f64())
        {
            self.bucket.set(Some(Bucket { available, maximum, restore_rate, seen_at: Instant::now() }));
        }
    }

    async fn orders_page(&self, since: Option<i64>, after: Option<String>) -> Result<OrderPage, ConnectorError> {
        let query = since.map(|ms| {
            let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
            format!("updated_at:>='{}'", t.format("%Y-%m-%dT%H:%M:%SZ"))
        });
        // A page as large as the budget allows now (down to a few orders), so a poll after a
        // stale compare does not sit waiting for a full page's worth of points.
        let first = match self.bucket.get() {
            Some(b) => queries::orders_affordable(b.now_available()),
            None => queries::ORDERS_PER_PAGE,
        };
        let variables = json!({ "first": first, "after": after, "query": query });
        let data = self.graphql("ChorusOrders", queries::ORDERS, variables, queries::orders_cost(first)).await?;
        let connection = &data["orders"];
        let mut nodes: Vec<mapping::OrderNode> = serde_json::from_value(connection["nodes"].clone())
            .map_err(|e| ConnectorError::Permanent(format!("unexpected orders shape: {e}")))?;
        for node in &mut nodes {
            self.complete_lines(node).await?;
            if mapping::lost_units(node) {
                self.read_refunds(node).await?;
            }
        }
        let orders = nodes.into_iter().filter_map(mapping::order).collect();
        let next = if connection["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
            connection["pageInfo"]["endCursor"].as_str().map(str::to_string)
        } else {
            None
        };
        Ok(OrderPage { orders, next })
    }
}

impl Shopify {
    /// An order with more lines than the page query takes gets the rest, page by page, so
    /// every line is allocated.
    async fn complete_lines(&self, node: &mut mapping::OrderNode) -> Result<(), ConnectorError> {
        let Some(lines) = node.line_items.as_mut() else { return Ok(()) };
        for _ in 0..100 {
            let after = match &lines.page_info {
                Some(p) if p.has_next_page => p.end_cursor.clone(),
                _ => return Ok(()),
            };
            let variables = json!({ "id": node.id, "first": queries::MORE_LINES_PER_PAGE, "after": after });
            let data = self
                .graphql(
                    "ChorusOrderLines",
                    queries::ORDER_LINES,
                    variables,
                    queries::order_lines_cost(queries::MORE_LINES_PER_PAGE),
                )
                .await?;
            let more: mapping::Connection<mapping::LineNode> =
                serde_json::from_value(data["order"]["lineItems"].clone())
                    .map_err(|e| ConnectorError::Permanent(format!("unexpected line items shape: {e}")))?;
            lines.nodes.extend(more.nodes);
            lines.page_info = more.page_info;
        }
        Err(ConnectorError::Permanent(format!("order {} has more line items than Chorus reads", node.id)))
    }

    /// Refunds say per line whether the channel restocked the units (a return) or not (written
    /// off); read only for orders whose lines lost units, as they cost points.
    async fn read_refunds(&self, node: &mut mapping::OrderNode) -> Result<(), ConnectorError> {
        // `updatedAt` has one-second precision: the lines' current quantities, which every
        // refund lowers, tell two changes within a second apart.
        let version = format!(
            "{}|{:?}|{:?}",
            node.updated_at,
            node.cancelled_at,
            node.line_items.as_ref().map(|c| c.nodes.iter().map(|l| l.current_quantity).collect::<Vec<_>>())
        );
        if let Some((at, refunds)) = self.refunds_seen.borrow().get(&node.id) {
            if *at == version {
                node.refunds = Some(refunds.clone());
                return Ok(());
            }
        }
        let variables = json!({ "id": node.id });
        let data = self.graphql("ChorusOrderRefunds", queries::ORDER_REFUNDS, variables, queries::REFUNDS_COST).await?;
        let refunds: Vec<mapping::RefundNode> = serde_json::from_value(data["order"]["refunds"].clone())
            .map_err(|e| ConnectorError::Permanent(format!("unexpected refunds shape: {e}")))?;
        let mut seen = self.refunds_seen.borrow_mut();
        if seen.len() >= 10_000 {
            seen.clear();
        }
        seen.insert(node.id.clone(), (version, refunds.clone()));
        node.refunds = Some(refunds);
        Ok(())
    }

    /// The channel's location and the shop's currency, read on first need: the location the
    /// channel's settings name, else the primary one (`location` without an id).
    async fn shop_facts(&self) -> Result<ShopFacts, ConnectorError> {
        if let Some(known) = self.shop.borrow().clone() {
            return Ok(known);
        }
        let (location, data) = match &self.location_choice {
            None => {
                let data = self
                    .graphql(
                        "ChorusPrimaryLocation",
                        queries::PRIMARY_LOCATION,
                        json!({}),
                        queries::PRIMARY_LOCATION_COST,
                    )
                    .await?;
                let location = mapping::location(&data["location"])
                    .ok_or_else(|| ConnectorError::Permanent("the shop reported no primary location".into()))?;
                (location, data)
            }
            Some(choice) => {
                let data =
                    self.graphql("ChorusLocations", queries::LOCATIONS, json!({}), queries::LOCATIONS_COST).await?;
                let all: Vec<super::Location> =
                    data["locations"]["nodes"].as_array().into_iter().flatten().filter_map(mapping::location).collect();
                let Some(found) = mapping::pick_location(&all, choice).cloned() else {
                    let names: Vec<String> = all.iter().map(|l| format!("{} ({})", l.name, l.id)).collect();
                    return Err(ConnectorError::Permanent(format!(
                        "the shop has no active location {choice:?} (options.location); it has: {}",
                        names.join(", ")
                    )));
                };
                (found, data)
            }
        };
        let facts = ShopFacts { location, currency: data["shop"]["currencyCode"].as_str().map(str::to_string) };
        tracing::info!(location = %facts.location.name, location_id = %facts.location.id, "Shopify location");
        *self.shop.borrow_mut() = Some(facts.clone());
        Ok(facts)
    }

    async fn catalogue_page(&self, after: Option<String>) -> Result<super::CataloguePage, ConnectorError> {
        let facts = self.shop_facts().await?;
        let variables = json!({ "first": queries::VARIANTS_PER_PAGE, "after": after, "location": facts.location.id });
        let data = self
            .graphql("ChorusVariants", queries::VARIANTS, variables, queries::variants_cost(queries::VARIANTS_PER_PAGE))
            .await?;
        let connection = &data["productVariants"];
        let listings = connection["nodes"]
            .as_array()
            .map(|nodes| {
                nodes
                    .iter()
                    .filter_map(|n| mapping::listing(n, Some(&facts.location.id), facts.currency.as_deref()))
                    .collect()
            })
            .unwrap_or_default();
        let next = if connection["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
            connection["pageInfo"]["endCursor"].as_str().map(str::to_string)
        } else {
            None
        };
        Ok(super::CataloguePage { listings, next, location: Some(facts.location) })
    }
}

impl Shopify {
    /// One `inventorySetQuantities` call with compare-and-set; the key is fixed for this call's
    /// retries, so a reply lost in transit is answered from Shopify's record, not applied twice.
    async fn set_quantities(&self, items: Vec<StockPush>) -> Result<Vec<PushOutcome>, ConnectorError> {
        // Always the channel's own location, whatever location a listing was read at: a
        // changed setting then meets a stale compare and a re-read there, never a loop.
        let location = self.shop_facts().await?.location.id;
        let mut outcomes = vec![PushOutcome::NotApplied; items.len()];
        let mut sent: Vec<usize> = Vec::with_capacity(items.len());
        let mut quantities = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Some(inventory_item) = &item.inventory_item_id else {
                outcomes[i] = PushOutcome::Rejected(
                    "the listing has no Shopify inventory item id; read the catalogue again".into(),
                );
                continue;
            };
            sent.push(i);
            quantities.push(json!({
                "inventoryItemId": inventory_item,
                "locationId": location,
                "quantity": item.quantity,
                "changeFromQuantity": item.compare_from,
            }));
        }
        if sent.is_empty() {
            return Ok(outcomes);
        }
        let variables = json!({
            "input": { "name": "available", "reason": "correction",
                       "referenceDocumentUri": "chorus://stock-sync", "quantities": quantities },
            "idempotencyKey": uuid_like(),
        });
        let data = self.graphql("ChorusSetStock", queries::SET_QUANTITIES, variables, queries::MUTATION_COST).await?;
        let errors = data["inventorySetQuantities"]["userErrors"].as_array().cloned().unwrap_or_default();
        if errors.is_empty() {
            for i in sent {
                outcomes[i] = PushOutcome::Applied;
            }
            return Ok(outcomes);
        }
        // Shopify applies nothing of a call with any user error: the items it names get their
        // verdict, the rest are sent again.
        for e in &errors {
            let index = e["field"].as_array().and_then(|f| f.get(2)).and_then(|v| v.as_str()?.parse::<usize>().ok());
            let message = e["message"].as_str().unwrap_or("refused").to_string();
            let Some(&item) = index.and_then(|k| sent.get(k)) else {
                return Err(ConnectorError::Permanent(format!("inventorySetQuantities refused: {message}")));
            };
            outcomes[item] = if e["code"] == "CHANGE_FROM_QUANTITY_STALE" {
                PushOutcome::Stale
            } else {
                PushOutcome::Rejected(format!("{}: {message}", e["code"].as_str().unwrap_or("USER_ERROR")))
            };
        }
        Ok(outcomes)
    }

    async fn quantities(&self, skus: Vec<String>) -> Result<Vec<(String, i64)>, ConnectorError> {
        let location = self.shop_facts().await?.location.id;
        let mut out = Vec::with_capacity(skus.len());
        for chunk in skus.chunks(queries::READ_QUANTITIES_PER_CALL) {
            // Room for other variants the search also matches, so none of ours is cut off.
            let first = (chunk.len() * 2).min(250) as i64;
            let variables = json!({ "first": first, "query": queries::sku_search(chunk), "location": location });
            let cost = queries::quantities_cost(first);
            let data = self.graphql("ChorusQuantities", queries::VARIANT_QUANTITIES, variables, cost).await?;
            for node in data["productVariants"]["nodes"].as_array().into_iter().flatten() {
                if let (Some(sku), Some(q)) = (node["sku"].as_str(), mapping::available_at(&node["inventoryItem"])) {
                    if chunk.iter().any(|s| s == sku) {
                        out.push((sku.to_string(), q));
                    }
                }
            }
        }
        Ok(out)
    }
}

impl Shopify {
    /// Reads the order's fulfillments (what an earlier attempt whose answer was lost already
    /// created counts as done) and fulfillment orders, then creates one fulfillment per
    /// location for the rest: Shopify refuses one that mixes locations.
    async fn fulfil(&self, f: OutboundFulfilment) -> Result<String, ConnectorError> {
        let variables = json!({ "id": f.order_external_id });
        let data = self
            .graphql("ChorusFulfilmentOrders", queries::ORDER_FULFILMENT, variables, queries::ORDER_FULFILMENT_COST)
            .await?;
        let order = &data["order"];
        if order.is_null() {
            return Err(ConnectorError::Permanent(format!("order {} is not on the channel", f.order_external_id)));
        }
        let plan = fulfil::plan(order, &f)?;
        let mut refs = plan.existing;
        for by_order in plan.calls {
            let mut input = json!({ "lineItemsByFulfillmentOrder": by_order, "notifyCustomer": true });
            if f.tracking_number.is_some() || f.carrier.is_some() || f.tracking_url.is_some() {
                input["trackingInfo"] =
                    json!({ "number": f.tracking_number, "company": f.carrier, "url": f.tracking_url });
            }
            let data = self
                .graphql(
                    "ChorusFulfil",
                    queries::FULFILLMENT_CREATE,
                    json!({ "fulfillment": input }),
                    queries::MUTATION_COST,
                )
                .await?;
            let created = &data["fulfillmentCreate"];
            if let Some(e) = created["userErrors"].as_array().and_then(|e| e.first()) {
                let refused = e["message"].as_str().unwrap_or("refused");
                // What other locations already shipped stays on the channel: a retry finds it
                // (plan.existing) and sends only the rest, and the operator reads both here.
                return Err(ConnectorError::Permanent(if refs.is_empty() {
                    refused.to_string()
                } else {
                    format!("{refused} (already fulfilled on the channel: {})", refs.join(","))
                }));
            }
            let id = created["fulfillment"]["id"]
                .as_str()
                .ok_or_else(|| ConnectorError::Transient("fulfillmentCreate answered without a fulfillment".into()))?;
            refs.push(id.to_string());
        }
        Ok(refs.join(","))
    }
}

/// A random idempotency key (128 bits, hex).
/// An error that withholds one field of data that is otherwise there (protected customer
/// data), not a refusal of the query.
fn withheld_field(e: &Value) -> bool {
    e["extensions"]["code"] == "ACCESS_DENIED" && e["path"].as_array().is_some_and(|p| p.len() > 1)
}

fn uuid_like() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

impl Connector for Shopify {
    fn fetch_orders(
        &self,
        since: Option<i64>,
        page: Option<String>,
    ) -> LocalBoxFuture<'static, Result<OrderPage, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("shopify.orders", endpoint = %this.endpoint);
        Box::pin(async move { this.orders_page(since, page).await }.instrument(span))
    }

    fn fetch_catalogue(
        &self,
        page: Option<String>,
    ) -> LocalBoxFuture<'static, Result<super::CataloguePage, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("shopify.catalogue", endpoint = %this.endpoint);
        Box::pin(async move { this.catalogue_page(page).await }.instrument(span))
    }

    fn push_stock(&self, items: Vec<StockPush>) -> LocalBoxFuture<'static, Result<Vec<PushOutcome>, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("shopify.push_stock", endpoint = %this.endpoint, items = items.len());
        Box::pin(async move { this.set_quantities(items).await }.instrument(span))
    }

    fn max_push_batch(&self) -> usize {
        queries::SET_QUANTITIES_MAX
    }

    fn compares_on_push(&self) -> bool {
        true
    }

    fn send_fulfilment(&self, f: OutboundFulfilment) -> LocalBoxFuture<'static, Result<String, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("shopify.fulfil", endpoint = %this.endpoint, fulfilment = f.chorus_id);
        Box::pin(async move { this.fulfil(f).await }.instrument(span))
    }

    fn read_quantities(
        &self,
        skus: Vec<String>,
    ) -> LocalBoxFuture<'static, Result<Vec<(String, i64)>, ConnectorError>> {
        let this = self.clone();
        let span = tracing::info_span!("shopify.read_quantities", endpoint = %this.endpoint, skus = skus.len());
        Box::pin(async move { this.quantities(skus).await }.instrument(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_waits_only_for_what_is_missing() {
        let b = Bucket { available: 100.0, maximum: 2000.0, restore_rate: 100.0, seen_at: Instant::now() };
        assert!(b.wait_for(50.0).is_zero());
        let w = b.wait_for(300.0);
        assert!(w > Duration::from_millis(1900) && w <= Duration::from_secs(2), "{w:?}");
    }
}
