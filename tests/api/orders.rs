//! Order import end to end: simulators speaking Shopify GraphQL and WooCommerce REST, channel
//! actors polling them, the InventoryActor allocating exactly once.

use serde_json::{json, Value};

use crate::helpers::*;

fn status_of<'a>(orders: &'a [Value], external: &str) -> &'a str {
    orders.iter().find(|o| o["external_id"] == external).and_then(|o| o["status"].as_str()).unwrap_or("missing")
}

#[actix_web::test]
async fn orders_import_once_and_allocate_exactly() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for sku in ["A", "B"] {
            app.create_product(sku).await;
            app.set_stock(sku, 10).await;
        }
        let shop = Sim::start("shopify", None).await;
        let woo = Sim::start("woocommerce", None).await;
        for sim in [&shop, &woo] {
            sim.call("PUT", "/_sim/stock", Some(json!({"A": 10, "B": 10}))).await;
        }
        let (_, s1) = shop.order(&[("A", 2)], true).await;
        let (_, w1) = woo.order(&[("B", 3), ("A", 1)], true).await;
        let shop_id = app.create_channel("shopify", &shop.url(), "s").await;
        let woo_id = app.create_channel("woocommerce", &woo.url(), "w").await;
        app.sync_until(shop_id, "the Shopify order", |o| status_of(o, &s1) == "imported").await;
        app.sync_until(woo_id, "the WooCommerce order", |o| status_of(o, &w1) == "imported").await;
        assert_eq!(app.inventory("A").await["allocated"], 3, "{backend:?}");
        assert_eq!(app.inventory("A").await["available"], 7);
        assert_eq!(app.inventory("B").await["allocated"], 3);

        // Polling again and again changes nothing.
        for _ in 0..10 {
            app.sync(shop_id).await;
            app.sync(woo_id).await;
        }
        // A later order is a barrier: once it is in, the repeated polls before it are done.
        let (_, s2) = shop.order(&[("B", 1)], true).await;
        app.sync_until(shop_id, "the second Shopify order", |o| status_of(o, &s2) == "imported").await;
        assert_eq!(app.orders("").await.len(), 3, "{backend:?}");
        assert_eq!(app.inventory("A").await["allocated"], 3);
        assert_eq!(app.inventory("B").await["allocated"], 4);
        let order = app.get(&format!("/api/v1/orders/{}", app.orders("").await[0]["id"])).await.body;
        assert_eq!(order["lines"][0]["allocated"], order["lines"][0]["quantity"]);
        assert_eq!(order["history"][0]["kind"], "imported");
        assert_eq!(app.channel(shop_id).await["status"]["orders_imported"], 2);
        app.stop().await;

        // Restarting Chorus and polling again changes nothing either.
        let app = spawn_app(&db).await;
        let (_, w2) = woo.order(&[("A", 1)], true).await;
        app.sync_until(woo_id, "the order after restart", |o| status_of(o, &w2) == "imported").await;
        assert_eq!(app.orders("").await.len(), 4, "{backend:?}");
        assert_eq!(app.inventory("A").await["allocated"], 4);
        app.stop().await;
        assert_allocation_invariant(&db).await;
    }
}

#[actix_web::test]
async fn unpaid_orders_wait_for_payment_or_a_wider_filter() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("A").await;
        app.set_stock("A", 10).await;
        let shop = Sim::start("shopify", None).await;
        let (_, unpaid) = shop.order(&[("A", 1)], false).await;
        let (_, paid) = shop.order(&[("A", 2)], true).await;
        let id = app.create_channel("shopify", &shop.url(), "s").await;
        let orders = app.sync_until(id, "the paid order", |o| status_of(o, &paid) == "imported").await;
        // Shopify commits stock for unpaid orders: Chorus reserves it too, without importing it.
        let orders = if status_of(&orders, &unpaid) == "awaiting_payment" {
            orders
        } else {
            app.sync_until(id, "the unpaid order", |o| status_of(o, &unpaid) == "awaiting_payment").await
        };
        assert_eq!(status_of(&orders, &unpaid), "awaiting_payment", "{backend:?}: unpaid imported by default");
        assert_eq!(app.inventory("A").await["allocated"], 3);

        // Widening the filter brings it in (the cursor is reset, as the order lies behind it).
        let r = app.patch(&format!("/api/v1/channels/{id}"), json!({"import": {"unpaid": true}})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        app.sync_until(id, "the unpaid order", |o| status_of(o, &unpaid) == "imported").await;
        assert_eq!(app.inventory("A").await["allocated"], 3, "{backend:?}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_paid_order_is_imported_and_a_cancellation_restocks() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("A").await;
        app.set_stock("A", 10).await;
        let woo = Sim::start("woocommerce", None).await;
        let (sim_id, ext) = woo.order(&[("A", 4)], false).await;
        let id = app.create_channel("woocommerce", &woo.url(), "w").await;
        app.sync(id).await;
        woo.call("POST", &format!("/_sim/orders/{sim_id}/pay"), None).await;
        app.sync_until(id, "the order once paid", |o| status_of(o, &ext) == "imported").await;
        assert_eq!(app.inventory("A").await["available"], 6, "{backend:?}");

        woo.call("POST", &format!("/_sim/orders/{sim_id}/cancel"), None).await;
        app.sync_until(id, "the cancellation", |o| status_of(o, &ext) == "cancelled").await;
        let inv = app.inventory("A").await;
        assert_eq!((inv["allocated"].as_i64(), inv["available"].as_i64()), (Some(0), Some(10)), "{backend:?}");
        app.stop().await;
        assert_allocation_invariant(&db).await;
    }
}

#[actix_web::test]
async fn short_stock_and_unknown_skus_go_on_hold_until_released() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("A").await;
        app.set_stock("A", 1).await;
        let shop = Sim::start("shopify", None).await;
        let (_, short) = shop.order(&[("A", 2)], true).await;
        let (_, unknown) = shop.order(&[("GHOST", 1)], true).await;
        let id = app.create_channel("shopify", &shop.url(), "s").await;
        let orders = app
            .sync_until(id, "both orders", |o| status_of(o, &short) == "on_hold" && status_of(o, &unknown) == "on_hold")
            .await;
        let find = |ext: &str| orders.iter().find(|o| o["external_id"] == ext).cloned().unwrap();
        assert_eq!(find(&short)["hold_reason"], "insufficient_stock", "{backend:?}");
        assert_eq!(find(&unknown)["hold_reason"], "unknown_sku");
        // It still allocates what it names: the oversell is visible.
        assert_eq!(app.inventory("A").await["available"], -1);

        let short_id = find(&short)["id"].as_i64().unwrap();
        let r = app.post(&format!("/api/v1/orders/{short_id}/release"), json!({})).await;
        assert_eq!(r.body["status"], "on_hold", "{}", r.body);
        app.set_stock("A", 5).await;
        let r = app.post(&format!("/api/v1/orders/{short_id}/release"), json!({})).await;
        assert_eq!(r.body["status"], "imported", "{backend:?} {}", r.body);
        assert_problem(&app.post(&format!("/api/v1/orders/{short_id}/release"), json!({})).await, 409, "order_state");

        // The unknown SKU appears; releasing allocates it.
        let unknown_id = find(&unknown)["id"].as_i64().unwrap();
        app.create_product("GHOST").await;
        app.set_stock("GHOST", 3).await;
        let r = app.post(&format!("/api/v1/orders/{unknown_id}/release"), json!({})).await;
        assert_eq!(r.body["status"], "imported", "{}", r.body);
        assert_eq!(app.inventory("GHOST").await["allocated"], 1);

        // Excluding releases the stock.
        let r = app.post(&format!("/api/v1/orders/{short_id}/exclude"), json!({})).await;
        assert_eq!(r.body["status"], "excluded");
        assert_eq!(app.inventory("A").await["allocated"], 0, "{backend:?}");
        let history = app.get(&format!("/api/v1/orders/{short_id}")).await.body["history"].clone();
        let kinds: Vec<&str> = history.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["imported", "on_hold", "still_on_hold", "released", "excluded"]);
        assert_problem(&app.post("/api/v1/orders/999999/exclude", json!({})).await, 404, "unknown_order");
        // A channel whose open orders hold stock cannot be deleted.
        assert_problem(&app.delete(&format!("/api/v1/channels/{id}")).await, 409, "channel_has_open_orders");
        app.stop().await;
        assert_allocation_invariant(&db).await;
    }
}

#[actix_web::test]
async fn a_shopify_order_longer_than_a_page_of_lines_allocates_every_line() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus: Vec<String> = (0..25).map(|i| format!("L-{i:02}")).collect();
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": 10})).collect();
        let r = app.put("/api/v1/inventory", json!({"items": items, "create_missing": true})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let shop = Sim::start("shopify", None).await;
        let lines: Vec<(&str, i64)> = skus.iter().map(|s| (s.as_str(), 1)).collect();
        let (_, ext) = shop.order(&lines, true).await;
        let id = app.create_channel("shopify", &shop.url(), "s").await;
        let orders = app.sync_until(id, "the long order", |o| status_of(o, &ext) == "imported").await;
        let order = app.get(&format!("/api/v1/orders/{}", orders[0]["id"])).await.body;
        assert_eq!(order["lines"].as_array().map(Vec::len), Some(25), "{backend:?}");
        for sku in &skus {
            assert_eq!(app.inventory(sku).await["allocated"], 1, "{backend:?} {sku}");
        }
        app.stop().await;
        assert_allocation_invariant(&db).await;
    }
}

/// The lookup of a page's stored orders, given an id the page lists twice: the order comes
/// back once, with every line (on PostgreSQL it is one probe of the unique key per id).
#[actix_web::test]
async fn a_stored_order_listed_twice_is_read_once_with_its_lines() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for sku in ["D-1", "D-2"] {
            app.create_product(sku).await;
            app.set_stock(sku, 5).await;
        }
        let woo = Sim::start("woocommerce", None).await;
        let (_, ext) = woo.order(&[("D-1", 1), ("D-2", 2)], true).await;
        let id = app.create_channel("woocommerce", &woo.url(), "w").await;
        app.sync_until(id, "the order imported", |o| status_of(o, &ext) == "imported").await;
        app.stop().await;
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let ids = vec![ext.clone(), "none".to_string(), ext.clone()];
        let found = chorus::db::run(&pool, move |conn| Ok(chorus::db::orders::load_by_external(conn, id, &ids)?))
            .await
            .expect("lookup");
        assert_eq!(found.len(), 1, "{backend:?}: {found:?}");
        let (order, lines) = &found[&ext];
        assert_eq!(order.external_id, ext, "{backend:?}");
        let mut skus: Vec<(&str, i64)> = lines.iter().map(|l| (l.sku.as_str(), l.quantity)).collect();
        skus.sort();
        assert_eq!(skus, [("D-1", 1), ("D-2", 2)], "{backend:?}: {lines:?}");
    }
}
