//! Shopify shops with several locations: a channel manages one location (the primary unless
//! its settings name another), compares and sets that location's own `available`, and ships
//! an order's lines from each location they sell from, one fulfillment per location.

use serde_json::{json, Value};

use crate::helpers::*;

async fn create_shopify(app: &TestApp, sim: &Sim, options: Value) -> i64 {
    let r = app
        .post(
            "/api/v1/channels",
            json!({"name": "shop", "kind": "shopify", "base_url": sim.url(), "poll_interval_secs": 3600,
                   "credentials": {"access_token": "shpat_test"}, "options": options}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "create channel: {}", r.body);
    r.body["id"].as_i64().expect("channel id")
}

async fn settled(app: &TestApp, channel: i64) -> Value {
    eventually(60, "queue empty and location read", || async {
        let status = app.channel(channel).await["status"].clone();
        if status["queue_depth"] == 0 && status["location"].is_object() {
            Ok(status)
        } else {
            Err(format!("{status}"))
        }
    })
    .await
}

async fn stock_at(sim: &Sim, location: u64) -> Value {
    sim.call("GET", &format!("/_sim/stock/{location}"), None).await
}

#[actix_web::test]
async fn a_shop_with_two_locations_stays_in_sync_with_one_push_per_change() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-1").await;
        app.set_stock("SKU-1", 10).await;
        // The primary location and the annex both hold stock: the variant's total (17) is
        // not the figure any compare may be made against.
        let primary_shop = Sim::start("shopify", None).await;
        primary_shop.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10}))).await;
        primary_shop.call("PUT", "/_sim/stock/2", Some(json!({"SKU-1": 7}))).await;
        let annex_shop = Sim::start("shopify", None).await;
        annex_shop.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 4}))).await;
        annex_shop.call("PUT", "/_sim/stock/2", Some(json!({"SKU-1": 10}))).await;
        let woo = Sim::start("woocommerce", None).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10}))).await;

        let primary = create_shopify(&app, &primary_shop, json!({})).await;
        let annex = create_shopify(&app, &annex_shop, json!({"location": "annex"})).await;
        let woo_channel = app.create_channel("woocommerce", &woo.url(), "s").await;
        let status = settled(&app, primary).await;
        assert_eq!(
            status["location"]["name"], "Main warehouse",
            "{backend:?}: the primary location, not the first listed"
        );
        let status = settled(&app, annex).await;
        assert_eq!(status["location"]["id"], "gid://shopify/Location/2", "{backend:?}: the location named in options");
        let before = [primary_shop.stock_calls().await.len(), annex_shop.stock_calls().await.len()];

        // One sale on WooCommerce: each Shopify channel gets one push, at its own location.
        woo.order(&[("SKU-1", 3)], true).await;
        app.sync_until(woo_channel, "the WooCommerce sale", |o| o.len() == 1).await;
        eventually(60, "figures on both shops", || async {
            let (p, a) = (stock_at(&primary_shop, 1).await, stock_at(&annex_shop, 2).await);
            if p["SKU-1"] == 7 && a["SKU-1"] == 7 {
                Ok(())
            } else {
                Err(format!("primary {p}, annex {a}"))
            }
        })
        .await;
        settled(&app, primary).await;
        settled(&app, annex).await;
        let pushes =
            [primary_shop.stock_calls().await.len() - before[0], annex_shop.stock_calls().await.len() - before[1]];
        assert_eq!(pushes, [1, 1], "{backend:?}: one push per change, no stale loop");
        // The locations the channels do not manage are left to Shopify.
        assert_eq!(stock_at(&primary_shop, 2).await["SKU-1"], 7, "{backend:?}");
        assert_eq!(stock_at(&annex_shop, 1).await["SKU-1"], 4, "{backend:?}");

        // A sale at the managed location is compared against that location, not the total.
        annex_shop
            .call("POST", "/_sim/orders", Some(json!({"lines": [{"sku": "SKU-1", "quantity": 2, "location": 2}]})))
            .await;
        app.sync_until(annex, "the annex sale", |o| o.len() == 1).await;
        eventually(60, "the sale reaches the other channels", || async {
            let (p, w) = (stock_at(&primary_shop, 1).await, woo.stock().await);
            if p["SKU-1"] == 5 && w.get("SKU-1") == Some(&5) {
                Ok(())
            } else {
                Err(format!("primary {p}, woo {w:?}"))
            }
        })
        .await;
        settled(&app, annex).await;
        assert_eq!(stock_at(&annex_shop, 2).await["SKU-1"], 5, "{backend:?}");
        app.assert_books_balance().await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn an_unknown_location_is_a_clear_error_and_options_are_checked_per_kind() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    let sim = Sim::start("shopify", None).await;
    let r = app
        .post(
            "/api/v1/channels",
            json!({"name": "w", "kind": "woocommerce", "base_url": sim.url(),
                   "credentials": {"consumer_key": "ck", "consumer_secret": "cs"}, "options": {"location": "x"}}),
        )
        .await;
    assert_problem(&r, 422, "invalid_value");
    app.create_product("SKU-1").await;
    app.set_stock("SKU-1", 5).await;
    sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 5}))).await;
    let channel = create_shopify(&app, &sim, json!({"location": "Paris"})).await;
    let status = eventually(60, "the location error", || async {
        let status = app.channel(channel).await["status"].clone();
        match status["location"]["error"].as_str() {
            Some(e) if e.contains("Paris") => Ok(status),
            _ => Err(format!("{status}")),
        }
    })
    .await;
    let error = status["location"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("Main warehouse") && error.contains("Annex"), "names the shop's locations: {error}");
    // Mended in the settings, the channel manages the location named.
    let r = app.patch(&format!("/api/v1/channels/{channel}"), json!({"options": {"location": "Main warehouse"}})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.body["options"]["location"], "Main warehouse");
    app.wait_for(&format!("/api/v1/channels/{channel}"), 60, |c| {
        c["status"]["location"]["id"] == "gid://shopify/Location/1"
    })
    .await;
    app.stop().await;
}

#[actix_web::test]
async fn an_order_with_lines_at_two_locations_ends_synced_with_both_fulfilled() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for sku in ["SKU-1", "SKU-2"] {
            app.create_product(sku).await;
            app.set_stock(sku, 10).await;
        }
        let sim = Sim::start("shopify", None).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10, "SKU-2": 10}))).await;
        sim.call("PUT", "/_sim/stock/2", Some(json!({"SKU-2": 5}))).await;
        let channel = create_shopify(&app, &sim, json!({})).await;
        let placed = sim
            .call(
                "POST",
                "/_sim/orders",
                Some(json!({"lines": [{"sku": "SKU-1", "quantity": 2, "location": 1},
                                       {"sku": "SKU-2", "quantity": 1, "location": 2}]})),
            )
            .await;
        let sim_order = placed["id"].as_i64().expect("sim order id");
        // The merchant holds the primary location's part: Chorus waits and says why.
        sim.call("POST", &format!("/_sim/orders/{sim_order}/hold"), Some(json!({"location": 1}))).await;
        let orders = app.sync_until(channel, "the order", |o| o.len() == 1).await;
        let order = orders[0]["id"].as_i64().expect("order id");
        let r = app.post(&format!("/api/v1/orders/{order}/fulfilments"), json!({"tracking_number": "TRK-9"})).await;
        assert_eq!(r.status.as_u16(), 202, "{backend:?}: {}", r.body);
        let fulfilment = r.body["id"].as_i64().expect("fulfilment id");
        let path = format!("/api/v1/orders/{order}");
        let held = app
            .wait_for(&path, 60, |o| {
                o["fulfilments"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|f| f["id"] == fulfilment && f["last_error"].as_str().is_some_and(|e| e.contains("ON_HOLD")))
            })
            .await;
        assert_ne!(held["status"], "synced", "{backend:?}");
        sim.call("POST", &format!("/_sim/orders/{sim_order}/release"), Some(json!({"location": 1}))).await;
        app.wait_for(&path, 90, |o| o["status"] == "synced").await;
        let on_channel = sim.call("GET", "/_sim/fulfilments", None).await;
        let locations: Vec<i64> =
            on_channel.as_array().into_iter().flatten().filter_map(|f| f["lines"][0]["location"].as_i64()).collect();
        assert_eq!(locations.len(), 2, "{backend:?}: one fulfillment per location: {on_channel}");
        assert!(locations.contains(&1) && locations.contains(&2), "{backend:?}: {on_channel}");
        let sim_view = sim.call("GET", "/_sim/orders", None).await;
        let lines = &sim_view[0]["lines"];
        assert!(lines.as_array().into_iter().flatten().all(|l| l["fulfilled"] == l["quantity"]), "{sim_view}");
        app.assert_books_balance().await;
        app.stop().await;
    }
}
