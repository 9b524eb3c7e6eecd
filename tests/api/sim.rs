//! Simulators: protocol behaviour through real HTTP on loopback (Shopify GraphQL paging, search,
//! cost and throttle, auth, faults; WooCommerce paging headers, filters, auth; stock bookkeeping;
//! signed webhooks verified independently; catalogue and stock pushes: Shopify `productVariants`
//! and `inventorySetQuantities`, WooCommerce products, `PUT /products/{id}` and the batch).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use awc::http::StatusCode;
use base64::Engine as _;
use chorus::sim::{shopify, woocommerce, SimHandle, SimOptions};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{client, get_json, send_json};

const GQL: &str = "/admin/api/2026-04/graphql.json";
const WOO_ORDERS: &str = "/wp-json/wc/v3/orders";

async fn create_order(sim: &SimHandle, lines: Value, paid: bool) -> u64 {
    let (status, v) = send_json("POST", &sim.url("/_sim/orders"), Some(json!({"lines": lines, "paid": paid}))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["id"].as_u64().expect("order id")
}

async fn set_stock(sim: &SimHandle, stock: Value) {
    let (status, v) = send_json("PUT", &sim.url("/_sim/stock"), Some(stock)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

async fn sim_stock(sim: &SimHandle) -> Value {
    get_json(&sim.url("/_sim/stock")).await
}

fn shopify_opts() -> SimOptions {
    SimOptions { token: Some("shpat_test".into()), throttle: false, ..SimOptions::default() }
}

/// Posts a GraphQL query with the right token; returns HTTP status, headers and body.
async fn gql_as(
    sim: &SimHandle,
    token: &str,
    query: &str,
    vars: Value,
) -> (StatusCode, awc::http::header::HeaderMap, Value) {
    let mut resp = client()
        .post(sim.url(GQL))
        .insert_header(("X-Shopify-Access-Token", token))
        .send_json(&json!({"query": query, "variables": vars}))
        .await
        .expect("graphql request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().limit(16 * 1024 * 1024).await.expect("graphql json");
    (status, headers, body)
}

async fn gql(sim: &SimHandle, query: &str, vars: Value) -> Value {
    let (status, _, body) = gql_as(sim, "shpat_test", query, vars).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

const ORDERS_QUERY: &str = "query Orders($first: Int!, $after: String, $query: String, $sortKey: OrderSortKeys) {
  orders(first: $first, after: $after, query: $query, sortKey: $sortKey) {
    nodes { id legacyResourceId name updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus
      lineItems(first: 5) { nodes { id sku quantity currentQuantity unfulfilledQuantity variant { id inventoryItem { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
}";

async fn orders_matching(sim: &SimHandle, query: &str) -> Vec<Value> {
    let body = gql(sim, ORDERS_QUERY, json!({"first": 50, "query": query})).await;
    assert_eq!(body["data"]["orders"]["pageInfo"]["hasNextPage"], false, "{body}");
    body["data"]["orders"]["nodes"].as_array().expect("nodes").clone()
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes.iter().map(|n| n["legacyResourceId"].as_str().expect("legacyResourceId").to_string()).collect()
}

#[actix_web::test]
async fn shopify_orders_paginate_every_order_once() {
    let sim = shopify::start(shopify_opts()).await.expect("start");
    set_stock(&sim, json!({"SKU-1": 100})).await;
    let mut created = BTreeSet::new();
    for i in 0..7 {
        created.insert(
            create_order(
                &sim,
                json!([{"sku": "SKU-1", "quantity": 1 + i % 2}, {"sku": "UNLISTED", "quantity": 1}]),
                true,
            )
            .await
            .to_string(),
        );
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "pagination does not end");
        let body = gql(&sim, ORDERS_QUERY, json!({"first": 3, "after": after})).await;
        let conn = &body["data"]["orders"];
        seen.extend(ids(conn["nodes"].as_array().expect("nodes")));
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(after.is_string(), "{body}");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created);

    // The node's shape: listed SKU carries its variant and inventory item, an unknown one null.
    let body = gql(&sim, ORDERS_QUERY, json!({"first": 1})).await;
    let node = &body["data"]["orders"]["nodes"][0];
    assert_eq!(node["id"], format!("gid://shopify/Order/{}", node["legacyResourceId"].as_str().unwrap()));
    assert_eq!(node["name"], "#1001");
    assert_eq!(node["displayFinancialStatus"], "PAID");
    assert_eq!(node["displayFulfillmentStatus"], "UNFULFILLED");
    assert!(node["cancelledAt"].is_null());
    let lines = node["lineItems"]["nodes"].as_array().unwrap();
    assert_eq!(lines[0]["sku"], "SKU-1");
    assert_eq!(lines[0]["unfulfilledQuantity"], 1);
    assert!(lines[0]["id"].as_str().unwrap().starts_with("gid://shopify/LineItem/"));
    assert!(lines[0]["variant"]["id"].as_str().unwrap().starts_with("gid://shopify/ProductVariant/"));
    assert!(lines[0]["variant"]["inventoryItem"]["id"].as_str().unwrap().starts_with("gid://shopify/InventoryItem/"));
    assert!(lines[1]["variant"].is_null());

    // Locations by name: the annex sorts before the primary location, which `location`
    // without an id names.
    let body = gql(&sim, "{ locations(first: 5) { nodes { id name } } }", json!({})).await;
    assert_eq!(body["data"]["locations"]["nodes"][0]["name"], "Annex");
    assert_eq!(body["data"]["locations"]["nodes"][1]["id"], "gid://shopify/Location/1");
    let body = gql(&sim, "{ location { id name } }", json!({})).await;
    assert_eq!(body["data"]["location"]["name"], "Main warehouse", "{body}");
    // An unknown root field fails validation: HTTP 200, errors, no data.
    let body = gql(&sim, "{ shop { name } }", json!({})).await;
    assert_eq!(body["data"]["shop"]["name"], "Chorus simulated shop", "{body}");
    let body = gql(&sim, "{ warehouses { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "undefinedField", "{body}");
    assert!(body.get("data").is_none());
    sim.stop().await;
}

/// Creates orders until one lands in a later second than `first`'s `updatedAt` (bounded).
async fn shopify_order_in_later_second(sim: &SimHandle, first_updated: &str) -> String {
    for _ in 0..100 {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let id = create_order(sim, json!([{"sku": "SKU-1", "quantity": 1}]), true).await.to_string();
        let all = orders_matching(sim, "").await;
        let node = all.iter().find(|n| n["legacyResourceId"] == id.as_str()).expect("new order listed");
        if node["updatedAt"].as_str() != Some(first_updated) {
            return id;
        }
    }
    panic!("no order landed in a later second");
}

#[actix_web::test]
async fn shopify_search_filters_on_updated_at_and_financial_status() {
    let sim = shopify::start(shopify_opts()).await.expect("start");
    set_stock(&sim, json!({"SKU-1": 100})).await;
    let a = create_order(&sim, json!([{"sku": "SKU-1", "quantity": 1}]), true).await.to_string();
    let a_updated = orders_matching(&sim, "").await[0]["updatedAt"].as_str().expect("updatedAt").to_string();
    let b = shopify_order_in_later_second(&sim, &a_updated).await;

    let after_a = orders_matching(&sim, &format!("updated_at:>'{a_updated}'")).await;
    let after_ids = ids(&after_a);
    assert!(after_ids.contains(&b), "{after_ids:?}");
    assert!(!after_ids.contains(&a));
    assert!(after_a.iter().all(|n| n["updatedAt"].as_str().unwrap() > a_updated.as_str()));
    // `>=` (quotes optional) includes A's own second.
    assert!(ids(&orders_matching(&sim, &format!("updated_at:>={a_updated}")).await).contains(&a));
    assert_eq!(orders_matching(&sim, "updated_at:>'2999-01-01T00:00:00Z'").await.len(), 0);

    // Cancelling A moves its updatedAt forward: now it passes the filter, and sorts last.
    let (status, _) = send_json("POST", &sim.url(&format!("/_sim/orders/{a}/cancel")), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let body = gql(
        &sim,
        ORDERS_QUERY,
        json!({"first": 50, "query": format!("updated_at:>='{a_updated}'"), "sortKey": "UPDATED_AT"}),
    )
    .await;
    let nodes = body["data"]["orders"]["nodes"].as_array().unwrap();
    let updated: Vec<&str> = nodes.iter().map(|n| n["updatedAt"].as_str().unwrap()).collect();
    assert!(updated.windows(2).all(|w| w[0] <= w[1]), "sorted by updatedAt: {updated:?}");
    let a_node = nodes.iter().find(|n| n["legacyResourceId"] == a.as_str()).expect("cancelled order listed");
    assert_eq!(a_node["updatedAt"].as_str(), updated.last().copied(), "the latest change sorts last (ties by id)");
    assert_eq!(a_node["displayFinancialStatus"], "REFUNDED");
    assert!(a_node["cancelledAt"].is_string());
    assert_eq!(a_node["lineItems"]["nodes"][0]["currentQuantity"], 0);

    // financial_status:paid leaves out the unpaid order until it is paid.
    let unpaid = create_order(&sim, json!([{"sku": "SKU-1", "quantity": 1}]), false).await.to_string();
    let paid = ids(&orders_matching(&sim, "financial_status:paid").await);
    assert!(!paid.contains(&unpaid));
    assert!(!paid.contains(&a), "a cancelled order is refunded, not paid");
    assert!(paid.contains(&b));
    let pending = orders_matching(&sim, "financial_status:pending fulfillment_status:unfulfilled").await;
    assert_eq!(ids(&pending), vec![unpaid.clone()]);
    let (status, _) = send_json("POST", &sim.url(&format!("/_sim/orders/{unpaid}/pay")), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ids(&orders_matching(&sim, "financial_status:paid").await).contains(&unpaid));
    sim.stop().await;
}

#[actix_web::test]
async fn shopify_reports_cost_refuses_expensive_queries_and_throttles() {
    let sim = shopify::start(SimOptions { throttle: true, ..shopify_opts() }).await.expect("start");
    // Three orders of 250 lines each: big enough for the heavy query below to cost what it asks.
    let lines: Vec<Value> = (0..250).map(|i| json!({"sku": format!("SKU-{i}"), "quantity": 1})).collect();
    for _ in 0..3 {
        create_order(&sim, json!(lines), true).await;
    }
    // Shopify's rules: 2 + first × (the order 1 + its line connection 2 + lineItems.first × (the
    // line 1 + its variant 1 + the variant's inventory item 1)).
    let body = gql(&sim, ORDERS_QUERY, json!({"first": 10})).await;
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 2 + 10 * (1 + 2 + 5 * 3), "{body}");
    // The actual cost counts what came back: three orders, five lines each, variants where the
    // line has one.
    let returned: i64 = body["data"]["orders"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|o| {
            let lines = o["lineItems"]["nodes"].as_array().expect("lines");
            3 + lines.iter().map(|l| if l["variant"].is_null() { 1 } else { 3 }).sum::<i64>()
        })
        .sum();
    assert_eq!(cost["actualQueryCost"], 2 + returned, "{body}");
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 2000.0);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 100.0);
    assert!(cost["throttleStatus"]["currentlyAvailable"].as_f64().unwrap() < 2000.0);

    let big = "{ orders(first: 250) { nodes { id lineItems(first: 10) { nodes { id } } } } }";
    let body = gql(&sim, big, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["cost"], 2 + 250 * (1 + 2 + 10));
    assert!(body.get("data").is_none());

    // 2 + 3 × (1 + 2 + 250) = 761 a query, all of it returned: the 2,000-point bucket runs dry
    // within a few queries.
    let heavy = "{ orders(first: 3) { nodes { id lineItems(first: 250) { nodes { id } } } } }";
    let mut throttled = None;
    for _ in 0..20 {
        let body = gql(&sim, heavy, json!({})).await;
        if body["errors"][0]["extensions"]["code"] == "THROTTLED" {
            throttled = Some(body);
            break;
        }
        assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 761, "{body}");
    }
    let body = throttled.expect("never throttled");
    assert_eq!(body["errors"][0]["message"], "Throttled");
    let available = body["errors"][0]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_f64().unwrap();
    assert!(available < 761.0, "{body}");
    sim.stop().await;
}

#[actix_web::test]
async fn shopify_rejects_a_wrong_token_and_serves_faults_in_order() {
    let sim = shopify::start(shopify_opts()).await.expect("start");
    let q = "{ locations(first: 5) { nodes { id } } }";
    let (status, _, body) = gql_as(&sim, "wrong", q, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"], "[API] Invalid API key or access token (unrecognized login or wrong password)");

    let before = get_json(&sim.url("/_sim/requests")).await["count"].as_u64().unwrap();
    let (status, v) =
        send_json("POST", &sim.url("/_sim/faults"), Some(json!({"status": 429, "retry_after": 1, "count": 2}))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    for _ in 0..2 {
        let (status, headers, body) = gql_as(&sim, "shpat_test", q, json!({})).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers.get("Retry-After").and_then(|v| v.to_str().ok()), Some("1"));
        assert!(body["errors"].as_str().unwrap().starts_with("Exceeded 2 calls per second"));
    }
    let (status, _, body) = gql_as(&sim, "shpat_test", q, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["locations"]["nodes"][1]["id"], "gid://shopify/Location/1");
    let after = get_json(&sim.url("/_sim/requests")).await["count"].as_u64().unwrap();
    assert_eq!(after - before, 3);

    // A 500 fault, cleared before it is used; invalid faults are refused.
    send_json("POST", &sim.url("/_sim/faults"), Some(json!({"status": 500, "count": 2}))).await;
    let resp = client().delete(sim.url("/_sim/faults")).send().await.expect("delete");
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, _, _) = gql_as(&sim, "shpat_test", q, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send_json("POST", &sim.url("/_sim/faults"), Some(json!({"count": 2}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    sim.stop().await;
}

#[actix_web::test]
async fn stock_is_taken_by_paid_orders_and_restored_on_cancel() {
    for kind in ["shopify", "woocommerce"] {
        let sim = match kind {
            "shopify" => shopify::start(shopify_opts()).await,
            _ => woocommerce::start(SimOptions::default()).await,
        }
        .expect("start");
        set_stock(&sim, json!({"SKU-1": 10, "SKU-2": 4})).await;
        let paid =
            create_order(&sim, json!([{"sku": "SKU-1", "quantity": 3}, {"sku": "GHOST", "quantity": 1}]), true).await;
        assert_eq!(sim_stock(&sim).await, json!({"SKU-1": 7, "SKU-2": 4}), "{kind}");
        let unpaid = create_order(&sim, json!([{"sku": "SKU-2", "quantity": 2}]), false).await;
        // Shopify commits stock when an order is created, whatever its payment; WooCommerce
        // reduces it only once paid (or on-hold), not for `pending`.
        let reserved = if kind == "shopify" { 2 } else { 4 };
        assert_eq!(sim_stock(&sim).await["SKU-2"], reserved, "{kind}: unpaid orders and stock");
        let (status, _) = send_json("POST", &sim.url(&format!("/_sim/orders/{unpaid}/pay")), Some(json!({}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sim_stock(&sim).await["SKU-2"], 2, "{kind}");
        let (status, _) = send_json("POST", &sim.url(&format!("/_sim/orders/{paid}/cancel")), Some(json!({}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sim_stock(&sim).await, json!({"SKU-1": 10, "SKU-2": 2}), "{kind}");
        // A second cancel is refused and changes nothing; unknown orders are 404; bad input 400.
        let (status, _) = send_json("POST", &sim.url(&format!("/_sim/orders/{paid}/cancel")), Some(json!({}))).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(sim_stock(&sim).await["SKU-1"], 10);
        let (status, _) = send_json("POST", &sim.url("/_sim/orders/424242/cancel"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send_json("POST", &sim.url("/_sim/orders/abc/pay"), Some(json!({}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) =
            send_json("POST", &sim.url("/_sim/orders"), Some(json!({"lines": [{"sku": "SKU-1", "quantity": -1}]})))
                .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = send_json("PUT", &sim.url("/_sim/stock"), Some(json!({"SKU-1": "ten"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let orders = get_json(&sim.url("/_sim/orders")).await;
        assert_eq!(orders.as_array().unwrap().len(), 2);
        assert_eq!(orders[0]["cancelled"], true);
        assert_eq!(get_json(&sim.url("/_sim/fulfilments")).await, json!([]));
        sim.stop().await;
    }
}

/// A URL signed as WooCommerce requires over plain http: OAuth 1.0a with the test key.
fn woo_signed(sim: &SimHandle, method: &str, path_and_query: &str, secret: &str) -> String {
    use chorus::connectors::woocommerce::auth::{sign, Auth};
    let url = url::Url::parse(&sim.url(path_and_query)).expect("url");
    let nonce = format!("{:032x}", rand::random::<u128>());
    let (signed, _) = sign(method, &url, Auth::OAuth, "ck_test", secret, chrono::Utc::now().timestamp(), &nonce);
    signed.to_string()
}

async fn woo_get(sim: &SimHandle, path_and_query: &str) -> (StatusCode, awc::http::header::HeaderMap, Value) {
    let mut resp = client().get(woo_signed(sim, "GET", path_and_query, "cs_test")).send().await.expect("woo request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().limit(16 * 1024 * 1024).await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn woo_opts() -> SimOptions {
    SimOptions { key: Some("ck_test".into()), secret: Some("cs_test".into()), ..SimOptions::default() }
}

fn header(h: &awc::http::header::HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

fn woo_ids(body: &Value) -> Vec<u64> {
    body.as_array().expect("array").iter().map(|o| o["id"].as_u64().expect("id")).collect()
}

#[actix_web::test]
async fn woocommerce_paginates_with_headers_and_validates_per_page() {
    let sim = woocommerce::start(woo_opts()).await.expect("start");
    set_stock(&sim, json!({"SKU-1": 100})).await;
    let mut created = Vec::new();
    for _ in 0..25 {
        created.push(create_order(&sim, json!([{"sku": "SKU-1", "quantity": 2}]), true).await);
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, headers, body) =
            woo_get(&sim, &format!("{WOO_ORDERS}?per_page=10&page={page}&orderby=id&order=asc")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(header(&headers, "X-WP-Total").as_deref(), Some("25"));
        assert_eq!(header(&headers, "X-WP-TotalPages").as_deref(), Some("3"));
        let link = header(&headers, "Link").unwrap_or_default();
        if page < 3 {
            assert!(link.contains(&format!("page={}", page + 1)) && link.contains("rel=\"next\""), "{link}");
        } else {
            assert!(!link.contains("rel=\"next\""), "{link}");
        }
        let ids = woo_ids(&body);
        assert_eq!(ids.len(), if page < 3 { 10 } else { 5 });
        seen.extend(ids);
    }
    assert_eq!(seen, created, "id ascending, every order once");

    // Default order: newest first.
    let (_, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}?per_page=5")).await;
    assert_eq!(woo_ids(&body), created.iter().rev().take(5).cloned().collect::<Vec<_>>());
    let order = &body[0];
    assert_eq!(order["status"], "processing");
    assert_eq!(order["currency"], "GBP");
    assert_eq!(order["total"], "12.00");
    assert_eq!(order["number"], order["id"].to_string());
    assert_eq!(order["line_items"][0]["sku"], "SKU-1");
    assert_eq!(order["line_items"][0]["quantity"], 2);
    assert_eq!(order["line_items"][0]["price"], 6.0);
    assert!(order["line_items"][0]["product_id"].as_u64().unwrap() > 0);
    assert!(!order["date_modified_gmt"].as_str().unwrap().ends_with('Z'));

    let (status, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}?per_page=101")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "rest_invalid_param");
    assert_eq!(body["data"]["params"]["per_page"], "per_page must be between 1 (inclusive) and 100 (inclusive)");

    let (status, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}/{}", created[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], created[0]);
    let (status, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}/999999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "woocommerce_rest_shop_order_invalid_id");
    sim.stop().await;
}

#[actix_web::test]
async fn woocommerce_filters_on_modified_after_and_status() {
    let sim = woocommerce::start(woo_opts()).await.expect("start");
    let a = create_order(&sim, json!([{"sku": "SKU-1", "quantity": 1}]), true).await;
    let (_, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}/{a}")).await;
    let a_modified = body["date_modified_gmt"].as_str().expect("date_modified_gmt").to_string();
    let mut b = None;
    for _ in 0..100 {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let id = create_order(&sim, json!([{"sku": "SKU-1", "quantity": 1}]), false).await;
        let (_, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}/{id}")).await;
        if body["date_modified_gmt"].as_str() != Some(a_modified.as_str()) {
            b = Some(id);
            break;
        }
    }
    let b = b.expect("no order landed in a later second");
    let (status, _, body) =
        woo_get(&sim, &format!("{WOO_ORDERS}?modified_after={a_modified}&dates_are_gmt=true&per_page=100")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids = woo_ids(&body);
    assert!(ids.contains(&b) && !ids.contains(&a), "{ids:?}");
    let (_, _, body) = woo_get(
        &sim,
        &format!("{WOO_ORDERS}?modified_after={a_modified}Z&dates_are_gmt=true&per_page=100&status=processing"),
    )
    .await;
    assert!(woo_ids(&body).is_empty(), "b is pending: {body}");
    let (_, _, body) = woo_get(&sim, &format!("{WOO_ORDERS}?status=pending,processing&per_page=100")).await;
    assert!(woo_ids(&body).contains(&a) && woo_ids(&body).contains(&b));
    let (status, _, _) = woo_get(&sim, &format!("{WOO_ORDERS}?modified_after=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Cancelling A makes it modified after its old time, with status cancelled.
    send_json("POST", &sim.url(&format!("/_sim/orders/{a}/cancel")), Some(json!({}))).await;
    let (_, _, body) =
        woo_get(&sim, &format!("{WOO_ORDERS}?modified_after={a_modified}&status=cancelled&orderby=modified&order=asc"))
            .await;
    assert_eq!(woo_ids(&body), vec![a], "{body}");
    assert_eq!(body[0]["status"], "cancelled");
    sim.stop().await;
}

#[actix_web::test]
async fn woocommerce_requires_the_consumer_key_and_secret() {
    // Over plain http a store reads OAuth 1.0a only: Basic and query-string keys are ignored,
    // so the request is anonymous and refused as anyone would be.
    let sim = woocommerce::start(woo_opts()).await.expect("start");
    let resp = client().get(sim.url(WOO_ORDERS)).send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let mut resp = client().get(sim.url(WOO_ORDERS)).basic_auth("ck_test", "cs_test").send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body = resp.json::<Value>().await.expect("json");
    assert_eq!(body["code"], "woocommerce_rest_cannot_view");
    assert_eq!(body["data"]["status"], 401);
    let query = format!("{WOO_ORDERS}?consumer_key=ck_test&consumer_secret=cs_test");
    assert_eq!(client().get(sim.url(&query)).send().await.expect("request").status(), StatusCode::UNAUTHORIZED);
    let (status, _, _) = woo_get(&sim, WOO_ORDERS).await;
    assert_eq!(status, StatusCode::OK);
    // A wrong secret, and a nonce used twice, are refused with WooCommerce's messages.
    let mut resp = client().get(woo_signed(&sim, "GET", WOO_ORDERS, "cs_wrong")).send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body = resp.json::<Value>().await.expect("json");
    assert_eq!(body["code"], "woocommerce_rest_authentication_error");
    assert!(body["message"].as_str().unwrap_or_default().contains("signature does not match"), "{body}");
    let once = woo_signed(&sim, "GET", WOO_ORDERS, "cs_test");
    assert_eq!(client().get(&once).send().await.expect("request").status(), StatusCode::OK);
    let mut again = client().get(&once).send().await.expect("request");
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let body = again.json::<Value>().await.expect("json");
    assert!(body["message"].as_str().unwrap_or_default().contains("nonce has already been used"), "{body}");
    sim.stop().await;

    // Over https the store reads Basic (or the keys in the query string).
    let sim = woocommerce::start(SimOptions { tls: true, ..woo_opts() }).await.expect("start");
    assert!(sim.base_url.starts_with("https://"), "{}", sim.base_url);
    let tls = client();
    let resp = tls.get(sim.url(WOO_ORDERS)).basic_auth("ck_test", "cs_test").send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = tls.get(sim.url(&query)).send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = tls.get(sim.url(WOO_ORDERS)).basic_auth("ck_test", "cs_wrong").send().await.expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    sim.stop().await;
}

/// A webhook receiver on loopback that records every request's headers and raw body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Request>>>);

/// Lower-cased header names and values, and the raw body.
type Request = (HashMap<String, String>, Vec<u8>);

impl Received {
    /// Waits (bounded) for a request whose `header` equals `value`.
    async fn wait_for(&self, header: &str, value: &str) -> Request {
        for _ in 0..100 {
            let found =
                self.0.lock().unwrap().iter().find(|(h, _)| h.get(header).map(String::as_str) == Some(value)).cloned();
            if let Some(r) = found {
                return r;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no webhook with {header}: {value}");
    }
}

async fn record(data: web::Data<Received>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_string()))
        .collect();
    data.0.lock().unwrap().push((headers, body.to_vec()));
    HttpResponse::Ok().finish()
}

async fn start_receiver() -> (String, Received, actix_web::dev::ServerHandle) {
    let received = Received::default();
    let data = web::Data::new(received.clone());
    let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(record)))
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind receiver");
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}/hooks"), received, handle)
}

fn hmac_b64(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[actix_web::test]
async fn simulators_send_signed_order_webhooks() {
    let (url, received, receiver) = start_receiver().await;

    let shop = shopify::start(SimOptions {
        webhook_url: Some(url.clone()),
        webhook_secret: Some("shh-shopify".into()),
        ..shopify_opts()
    })
    .await
    .expect("start shopify");
    set_stock(&shop, json!({"SKU-1": 5})).await;
    let id = create_order(&shop, json!([{"sku": "SKU-1", "quantity": 2}]), true).await;
    let (h, body) = received.wait_for("x-shopify-topic", "orders/create").await;
    assert_eq!(h.get("x-shopify-hmac-sha256"), Some(&hmac_b64("shh-shopify", &body)));
    assert_ne!(h.get("x-shopify-hmac-sha256"), Some(&hmac_b64("other", &body)));
    assert_eq!(h.get("x-shopify-shop-domain").map(String::as_str), Some("sim-shop.myshopify.com"));
    assert!(h.get("x-shopify-webhook-id").is_some_and(|v| !v.is_empty()));
    assert!(h.contains_key("x-shopify-triggered-at"));
    let order: Value = serde_json::from_slice(&body).expect("json body");
    assert_eq!(order["id"], id);
    assert_eq!(order["admin_graphql_api_id"], format!("gid://shopify/Order/{id}"));
    assert_eq!(order["financial_status"], "paid");
    assert_eq!(order["line_items"][0]["sku"], "SKU-1");
    assert_eq!(order["line_items"][0]["quantity"], 2);
    send_json("POST", &shop.url(&format!("/_sim/orders/{id}/cancel")), Some(json!({}))).await;
    let (h, body) = received.wait_for("x-shopify-topic", "orders/cancelled").await;
    assert_eq!(h.get("x-shopify-hmac-sha256"), Some(&hmac_b64("shh-shopify", &body)));
    assert!(serde_json::from_slice::<Value>(&body).unwrap()["cancelled_at"].is_string());

    let woo = woocommerce::start(SimOptions {
        webhook_url: Some(url),
        webhook_secret: Some("shh-woo".into()),
        ..SimOptions::default()
    })
    .await
    .expect("start woo");
    let id = create_order(&woo, json!([{"sku": "TEE/RED", "quantity": 1}]), true).await;
    let (h, body) = received.wait_for("x-wc-webhook-topic", "order.created").await;
    assert_eq!(h.get("x-wc-webhook-signature"), Some(&hmac_b64("shh-woo", &body)));
    assert_eq!(h.get("x-wc-webhook-resource").map(String::as_str), Some("order"));
    assert_eq!(h.get("x-wc-webhook-source"), Some(&format!("{}/", woo.base_url)));
    assert!(String::from_utf8_lossy(&body).contains(r"TEE\/RED"), "slashes escaped as WordPress does");
    let order: Value = serde_json::from_slice(&body).expect("json body");
    assert_eq!(order["id"], id);
    assert_eq!(order["status"], "processing");
    assert_eq!(order["line_items"][0]["sku"], "TEE/RED");
    send_json("POST", &woo.url(&format!("/_sim/orders/{id}/cancel")), Some(json!({}))).await;
    let (h, body) = received.wait_for("x-wc-webhook-topic", "order.updated").await;
    assert_eq!(h.get("x-wc-webhook-signature"), Some(&hmac_b64("shh-woo", &body)));
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["status"], "cancelled");

    shop.stop().await;
    woo.stop().await;
    receiver.stop(true).await;
}

// ---------------------------------------------------------------- catalogue and stock pushes

const VARIANTS_QUERY: &str = "query Variants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    nodes { id sku price product { id title }
      inventoryItem { id harmonizedSystemCode countryCodeOfOrigin measurement { weight { value unit } } } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// Every listing's SKU → inventory item gid, read page by page through `productVariants`.
async fn shopify_catalogue(sim: &SimHandle, first: i64) -> (Vec<Value>, usize) {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 20, "catalogue pagination does not end");
        let body = gql(sim, VARIANTS_QUERY, json!({"first": first, "after": after})).await;
        // The variant 1, its product 1, inventory item 1, measurement 1 and weight 1.
        assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 2 + first * 5, "{body}");
        let conn = &body["data"]["productVariants"];
        nodes.extend(conn["nodes"].as_array().expect("nodes").iter().cloned());
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
        assert!(after.is_string(), "{body}");
    }
    (nodes, pages)
}

fn item_ids(nodes: &[Value]) -> HashMap<String, String> {
    nodes
        .iter()
        .map(|n| {
            (
                n["sku"].as_str().expect("sku").to_string(),
                n["inventoryItem"]["id"].as_str().expect("inventory item id").to_string(),
            )
        })
        .collect()
}

async fn stock_calls(sim: &SimHandle) -> Vec<Value> {
    get_json(&sim.url("/_sim/stock_calls")).await.as_array().expect("stock calls").clone()
}

#[actix_web::test]
async fn shopify_catalogue_lists_every_listing_once() {
    let sim = shopify::start(shopify_opts()).await.expect("start");
    set_stock(&sim, json!({"A": 1, "B": 2, "C": 3, "D": 4, "E": 5})).await;
    let (nodes, pages) = shopify_catalogue(&sim, 2).await;
    assert_eq!(pages, 3);
    let items = item_ids(&nodes);
    assert_eq!(nodes.len(), 5, "{nodes:?}");
    assert_eq!(items.keys().cloned().collect::<BTreeSet<_>>(), ["A", "B", "C", "D", "E"].map(String::from).into());
    assert_eq!(items.values().collect::<BTreeSet<_>>().len(), 5, "inventory items are distinct");
    for n in &nodes {
        assert!(n["id"].as_str().expect("id").starts_with("gid://shopify/ProductVariant/"), "{n}");
        assert!(n["inventoryItem"]["id"].as_str().expect("item").starts_with("gid://shopify/InventoryItem/"), "{n}");
        assert!(n["product"]["id"].as_str().expect("product").starts_with("gid://shopify/Product/"), "{n}");
        assert_eq!(n["price"], "6.00");
        assert_eq!(n["inventoryItem"]["measurement"]["weight"], json!({"value": 0.25, "unit": "KILOGRAMS"}));
    }
    // Both customs cases occur.
    let codes: BTreeSet<String> =
        nodes.iter().map(|n| n["inventoryItem"]["harmonizedSystemCode"].to_string()).collect();
    assert_eq!(codes, ["null".to_string(), "\"610910\"".to_string()].into());
    sim.stop().await;
}

const SET_WITH_VARIABLE_KEY: &str = "mutation Set($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}";

fn set_with_literal_key(key: &str) -> String {
    format!(
        "mutation Set($input: InventorySetQuantitiesInput!) {{
  inventorySetQuantities(input: $input) @idempotent(key: \"{key}\") {{
    inventoryAdjustmentGroup {{ reason changes {{ name delta quantityAfterChange }} }}
    userErrors {{ field message code }}
  }}
}}"
    )
}

fn set_input(quantities: Vec<Value>) -> Value {
    json!({"name": "available", "reason": "correction", "referenceDocumentUri": "chorus://push/1", "quantities": quantities})
}

fn qty(item: &str, quantity: i64, change_from: Value) -> Value {
    json!({"inventoryItemId": item, "locationId": "gid://shopify/Location/1", "quantity": quantity, "changeFromQuantity": change_from})
}

#[actix_web::test]
async fn shopify_sets_quantities_with_compare_and_set_and_idempotency() {
    let sim = shopify::start(shopify_opts()).await.expect("start");
    set_stock(&sim, json!({"A": 10, "B": 5})).await;
    let (nodes, _) = shopify_catalogue(&sim, 10).await;
    let items = item_ids(&nodes);
    let (a, b) = (items["A"].clone(), items["B"].clone());

    // Applied: one compare-and-set, one opt-out; key as a directive literal.
    let input = set_input(vec![qty(&a, 7, json!(10)), qty(&b, 3, Value::Null)]);
    let first = gql(&sim, &set_with_literal_key("push-1"), json!({"input": input})).await;
    let result = &first["data"]["inventorySetQuantities"];
    assert_eq!(result["userErrors"], json!([]), "{first}");
    assert_eq!(result["inventoryAdjustmentGroup"]["reason"], "correction");
    let changes = &result["inventoryAdjustmentGroup"]["changes"];
    assert_eq!(changes[0]["delta"], -3, "{first}");
    assert_eq!(changes[0]["quantityAfterChange"], 7);
    assert_eq!(changes[1]["delta"], -2);
    assert_eq!(changes[1]["name"], "available");
    assert_eq!(first["extensions"]["cost"]["actualQueryCost"], 10);
    assert_eq!(sim_stock(&sim).await, json!({"A": 7, "B": 3}));
    let calls = stock_calls(&sim).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["items"], json!([{"sku": "A", "quantity": 7}, {"sku": "B", "quantity": 3}]));
    assert!(calls[0]["at_ms"].is_i64());

    // The same key and input again (now stale, were it re-run): the first result, nothing re-applied.
    set_stock(&sim, json!({"A": 8})).await;
    let again = gql(&sim, &set_with_literal_key("push-1"), json!({"input": input})).await;
    assert_eq!(again["data"], first["data"], "{again}");
    assert_eq!(stock_calls(&sim).await.len(), 1);
    assert_eq!(sim_stock(&sim).await, json!({"A": 8, "B": 3}));

    // The same key with different input.
    let other = set_input(vec![qty(&a, 1, json!(8))]);
    let mismatch = gql(&sim, &set_with_literal_key("push-1"), json!({"input": other})).await;
    assert_eq!(mismatch["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "{mismatch}");
    assert!(mismatch.get("data").is_none_or(Value::is_null));
    assert_eq!(sim_stock(&sim).await["A"], 8);

    // A stale compare refuses the whole call, the valid item included; key as a variable.
    let stale_input = set_input(vec![qty(&a, 1, json!(8)), qty(&b, 1, json!(99))]);
    let stale = gql(&sim, SET_WITH_VARIABLE_KEY, json!({"input": stale_input, "idempotencyKey": "push-2"})).await;
    let result = &stale["data"]["inventorySetQuantities"];
    assert_eq!(result["inventoryAdjustmentGroup"], Value::Null, "{stale}");
    assert_eq!(
        result["userErrors"],
        json!([{
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "The specified compare quantity does not match the current quantity.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }])
    );
    assert_eq!(sim_stock(&sim).await, json!({"A": 8, "B": 3}));
    assert_eq!(stock_calls(&sim).await.len(), 1);

    // Unknown inventory item and location also apply nothing.
    let bad = set_input(vec![
        qty(&a, 2, json!(8)),
        qty("gid://shopify/InventoryItem/1", 1, Value::Null),
        json!({"inventoryItemId": b, "locationId": "gid://shopify/Location/9", "quantity": 1, "changeFromQuantity": null}),
        json!({"inventoryItemId": b, "locationId": "gid://shopify/Location/2", "quantity": 1, "changeFromQuantity": null}),
    ]);
    let body = gql(&sim, SET_WITH_VARIABLE_KEY, json!({"input": bad, "idempotencyKey": "push-3"})).await;
    let codes: Vec<&str> = body["data"]["inventorySetQuantities"]["userErrors"]
        .as_array()
        .expect("userErrors")
        .iter()
        .map(|e| e["code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["INVALID_INVENTORY_ITEM", "INVALID_LOCATION", "ITEM_NOT_STOCKED_AT_LOCATION"], "{body}");
    assert_eq!(sim_stock(&sim).await, json!({"A": 8, "B": 3}));

    // Shape errors: changeFromQuantity missing, too many quantities, no idempotency key.
    let missing = json!({"inventoryItemId": a, "locationId": "gid://shopify/Location/1", "quantity": 1});
    let body =
        gql(&sim, SET_WITH_VARIABLE_KEY, json!({"input": set_input(vec![missing]), "idempotencyKey": "push-4"})).await;
    assert_eq!(body["errors"][0]["message"], "changeFromQuantity is required", "{body}");
    let many: Vec<Value> = (0..251).map(|_| qty(&a, 1, Value::Null)).collect();
    let body = gql(&sim, SET_WITH_VARIABLE_KEY, json!({"input": set_input(many), "idempotencyKey": "push-5"})).await;
    assert_eq!(body["errors"][0]["message"], "quantities: too many (max 250)", "{body}");
    let no_key = SET_WITH_VARIABLE_KEY.replace(" @idempotent(key: $idempotencyKey)", "");
    let body = gql(&sim, &no_key, json!({"input": set_input(vec![qty(&a, 1, Value::Null)])})).await;
    assert!(body["errors"].is_array(), "{body}");
    assert_eq!(sim_stock(&sim).await, json!({"A": 8, "B": 3}));
    assert_eq!(stock_calls(&sim).await.len(), 1);
    sim.stop().await;
}

async fn woo_send(sim: &SimHandle, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let c = client();
    let req = match method {
        "PUT" => c.put(woo_signed(sim, "PUT", path, "cs_test")),
        _ => c.post(woo_signed(sim, "POST", path, "cs_test")),
    };
    let mut resp = req.send_json(&body).await.expect("woo request");
    let status = resp.status();
    (status, resp.json::<Value>().limit(16 * 1024 * 1024).await.unwrap_or(Value::Null))
}

fn product_ids(body: &Value) -> HashMap<String, u64> {
    body.as_array()
        .expect("products")
        .iter()
        .map(|p| (p["sku"].as_str().expect("sku").to_string(), p["id"].as_u64().expect("id")))
        .collect()
}

#[actix_web::test]
async fn woocommerce_finds_products_and_updates_their_stock() {
    let sim = woocommerce::start(woo_opts()).await.expect("start");
    set_stock(&sim, json!({"A": 1, "B": 2, "C": 3})).await;

    let (status, headers, body) = woo_get(&sim, "/wp-json/wc/v3/products?sku=A,C&per_page=100").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(header(&headers, "X-WP-Total").as_deref(), Some("2"));
    let ids = product_ids(&body);
    assert_eq!(ids.keys().cloned().collect::<BTreeSet<_>>(), ["A", "C"].map(String::from).into());
    let a = body.as_array().expect("products").iter().find(|p| p["sku"] == "A").expect("A").clone();
    assert_eq!(a["type"], "simple");
    assert_eq!(a["manage_stock"], true);
    assert_eq!(a["stock_quantity"], 1);
    assert_eq!(a["price"], "6.00");
    assert_eq!(a["weight"], "0.25");
    assert_eq!(a["dimensions"], json!({"length": "30", "width": "20", "height": "2"}));
    assert!(a["images"][0]["src"].as_str().expect("image").starts_with("http://"));

    let (_, headers, body) = woo_get(&sim, "/wp-json/wc/v3/products?per_page=2&page=1").await;
    assert_eq!(header(&headers, "X-WP-Total").as_deref(), Some("3"));
    assert_eq!(header(&headers, "X-WP-TotalPages").as_deref(), Some("2"));
    assert_eq!(body.as_array().expect("page").len(), 2);
    let (_, _, all) = woo_get(&sim, "/wp-json/wc/v3/products?per_page=100").await;
    let ids = product_ids(&all);
    assert_eq!(ids.len(), 3);

    // Single PUT.
    let (status, body) = woo_send(
        &sim,
        "PUT",
        &format!("/wp-json/wc/v3/products/{}", ids["B"]),
        json!({"manage_stock": true, "stock_quantity": 42}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stock_quantity"], 42);
    assert_eq!(sim_stock(&sim).await["B"], 42);
    let (status, body) = woo_send(&sim, "PUT", "/wp-json/wc/v3/products/999999", json!({"stock_quantity": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": {"status": 404}})
    );
    let (status, _) = client()
        .put(sim.url(&format!("/wp-json/wc/v3/products/{}", ids["B"])))
        .send_json(&json!({"stock_quantity": 1}))
        .await
        .map(|r| (r.status(), ()))
        .expect("request");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim_stock(&sim).await["B"], 42);

    // Batch: over 100 items is refused whole.
    let many: Vec<Value> = (0..101).map(|_| json!({"id": ids["A"], "stock_quantity": 9})).collect();
    let (status, body) = woo_send(&sim, "POST", "/wp-json/wc/v3/products/batch", json!({"update": many})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "woocommerce_rest_request_entity_too_large");
    assert_eq!(body["message"], "Unable to accept more than 100 items for this request.");
    assert_eq!(sim_stock(&sim).await["A"], 1);

    // Batch: each item on its own.
    let (status, body) = woo_send(
        &sim,
        "POST",
        "/wp-json/wc/v3/products/batch",
        json!({"update": [
            {"id": ids["A"], "stock_quantity": 11},
            {"id": 999999, "stock_quantity": 5},
            {"id": ids["C"], "stock_quantity": 33},
        ], "create": [], "delete": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let update = body["update"].as_array().expect("update");
    assert_eq!(update.len(), 3);
    assert_eq!(update[0]["stock_quantity"], 11);
    assert_eq!(update[1]["id"], 999999);
    assert_eq!(update[1]["error"]["code"], "woocommerce_rest_product_invalid_id");
    assert_eq!(update[1]["error"]["data"]["status"], 404);
    assert_eq!(update[2]["stock_quantity"], 33);
    assert_eq!(sim_stock(&sim).await, json!({"A": 11, "B": 42, "C": 33}));

    let calls = stock_calls(&sim).await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["items"], json!([{"sku": "B", "quantity": 42}]));
    assert_eq!(calls[1]["items"], json!([{"sku": "A", "quantity": 11}, {"sku": "C", "quantity": 33}]));
    sim.stop().await;
}

/// Every document Chorus sends validates against the simulator's schema, and Chorus's cost
/// estimate (by which it paces itself) is never below what Shopify's rules charge.
#[test]
fn chorus_shopify_documents_validate_and_their_estimates_cover_the_cost() {
    use chorus::connectors::shopify::queries as q;
    let location = json!("gid://shopify/Location/1");
    let input = json!({"name": "available", "reason": "correction", "quantities": []});
    let cases: Vec<(&str, &str, Value, f64)> = vec![
        ("orders", q::ORDERS, json!({"first": q::ORDERS_PER_PAGE}), q::orders_cost(q::ORDERS_PER_PAGE)),
        ("orders, a small page", q::ORDERS, json!({"first": 5}), q::orders_cost(5)),
        (
            "order lines",
            q::ORDER_LINES,
            json!({"id": "gid://shopify/Order/1", "first": q::MORE_LINES_PER_PAGE}),
            q::order_lines_cost(q::MORE_LINES_PER_PAGE),
        ),
        ("refunds", q::ORDER_REFUNDS, json!({"id": "gid://shopify/Order/1"}), q::REFUNDS_COST),
        ("primary location", q::PRIMARY_LOCATION, json!({}), q::PRIMARY_LOCATION_COST),
        ("locations", q::LOCATIONS, json!({}), q::LOCATIONS_COST),
        (
            "variants",
            q::VARIANTS,
            json!({"first": q::VARIANTS_PER_PAGE, "location": location}),
            q::variants_cost(q::VARIANTS_PER_PAGE),
        ),
        ("set quantities", q::SET_QUANTITIES, json!({"input": input, "idempotencyKey": "k"}), q::MUTATION_COST),
        ("fulfilment orders", q::ORDER_FULFILMENT, json!({"id": "gid://shopify/Order/1"}), q::ORDER_FULFILMENT_COST),
        (
            "fulfil",
            q::FULFILLMENT_CREATE,
            json!({"fulfillment": {"lineItemsByFulfillmentOrder": []}}),
            q::MUTATION_COST,
        ),
        (
            "quantities",
            q::VARIANT_QUANTITIES,
            json!({"first": q::READ_QUANTITIES_PER_CALL, "query": "sku:A", "location": location}),
            q::quantities_cost(q::READ_QUANTITIES_PER_CALL as i64),
        ),
    ];
    for (what, doc, vars, estimate) in cases {
        let cost = shopify::requested_cost(doc, &vars).unwrap_or_else(|e| panic!("{what}: refused: {e}"));
        assert!(estimate >= cost as f64, "{what}: Chorus estimates {estimate}, Shopify's rules charge {cost}");
        assert!(cost <= shopify::MAX_COST, "{what}: {cost} is over the single-query limit");
    }
}
