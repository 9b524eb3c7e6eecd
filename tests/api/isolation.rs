//! Channels stand alone: signed webhooks trigger imports without waiting for the poll, forged
//! ones are refused; a failing channel does not hold up another; a panicking connector
//! restarts only its own actor.

use serde_json::json;

use crate::helpers::*;

fn imported(orders: &[serde_json::Value], external: &str) -> bool {
    orders.iter().any(|o| o["external_id"] == external && o["status"] == "imported")
}

/// Chorus with SKU "A" in stock and one Shopify and one WooCommerce channel on simulators.
struct TwoChannels {
    app: TestApp,
    shop: Sim,
    woo: Sim,
    shop_id: i64,
    woo_id: i64,
}

async fn two_channels(db: &TestDb) -> TwoChannels {
    let app = spawn_app(db).await;
    app.create_product("A").await;
    app.set_stock("A", 50).await;
    let shop = Sim::start("shopify", None).await;
    let woo = Sim::start("woocommerce", None).await;
    let shop_id = app.create_channel("shopify", &shop.url(), "s").await;
    let woo_id = app.create_channel("woocommerce", &woo.url(), "w").await;
    TwoChannels { app, shop, woo, shop_id, woo_id }
}

/// Waits, without asking for a sync, until the order shows up.
async fn wait_for_order(app: &TestApp, channel_id: i64, external: &str) -> bool {
    for _ in 0..200 {
        if imported(&app.orders(&format!("&channel_id={channel_id}")).await, external) {
            return true;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Waits (at most 2 s) for the channel's first poll, which runs as its actor starts.
async fn first_poll_done(app: &TestApp, channel_id: i64) {
    for _ in 0..100 {
        if !app.channel(channel_id).await["status"]["last_poll_at"].is_null() {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn signed_webhooks_import_at_once_and_forged_ones_are_refused() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            app.create_product("A").await;
            app.set_stock("A", 5).await;
            // The first channel of a fresh database gets id 1.
            let hook = format!("{}/hooks/channels/1", app.address);
            let sim = Sim::start(kind, Some((hook.clone(), "hook-secret".into()))).await;
            let id = app.create_channel(kind, &sim.url(), "hook-secret").await;
            assert_eq!(id, 1);
            // Let the first poll (at actor start) finish before the order exists.
            first_poll_done(&app, id).await;
            let (_, ext) = sim.order(&[("A", 1)], true).await;
            assert!(wait_for_order(&app, id, &ext).await, "{backend:?} {kind}: webhook did not trigger an import");

            // A forged webhook is refused and imports nothing.
            let (sig_header, topic_header, topic) = match kind {
                "shopify" => ("X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "orders/create"),
                _ => ("X-WC-Webhook-Signature", "X-WC-Webhook-Topic", "order.created"),
            };
            let body = br#"{"id":1}"#.to_vec();
            let forged = chorus::domain::signature::sign(b"wrong-secret", &body);
            let client = awc::Client::default();
            let resp = client
                .post(&hook)
                .insert_header((sig_header, forged))
                .insert_header((topic_header, topic))
                .send_body(body.clone())
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 401, "{backend:?} {kind}");
            let unsigned = client.post(&hook).insert_header((topic_header, topic)).send_body(body).await.unwrap();
            assert_eq!(unsigned.status().as_u16(), 401);
            if kind == "woocommerce" {
                let ping = client.post(&hook).send_body("webhook_id=7").await.unwrap();
                assert_eq!(ping.status().as_u16(), 200, "WooCommerce's creation ping");
            }
            assert_eq!(app.orders("").await.len(), 1);
            app.stop().await;
        }
    }
}

#[actix_web::test]
async fn a_failing_channel_does_not_hold_up_another() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let TwoChannels { app, shop, woo, shop_id, woo_id } = two_channels(&db).await;
        // WooCommerce answers 500s, then slow 429s with Retry-After, for a long while.
        let faults: Vec<_> = (0..4)
            .map(|_| json!({"status": 500, "count": 1}))
            .chain((0..20).map(|_| json!({"status": 429, "retry_after": 1, "count": 1})))
            .collect();
        woo.call("POST", "/_sim/faults", Some(json!(faults))).await;
        let (_, woo_order) = woo.order(&[("A", 1)], true).await;
        app.sync(woo_id).await;
        for i in 0..3 {
            let (_, ext) = shop.order(&[("A", 1)], true).await;
            app.sync_until(shop_id, "Shopify orders while WooCommerce fails", |o| imported(o, &ext)).await;
            // WooCommerce is still being refused while Shopify's orders flow.
            let pending = woo.call("GET", "/_sim/faults", None).await["pending"].as_i64().unwrap_or(0);
            assert!(pending > 0, "{backend:?}: round {i}: WooCommerce faults ran out before Shopify imported");
        }
        assert!(!imported(&app.orders(&format!("&channel_id={woo_id}")).await, &woo_order));
        // Once WooCommerce recovers, its order arrives.
        woo.call("DELETE", "/_sim/faults", None).await;
        app.sync_until(woo_id, "the WooCommerce order after recovery", |o| imported(o, &woo_order)).await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_panicking_connector_restarts_only_its_actor() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let TwoChannels { app, shop, woo, shop_id, woo_id } = two_channels(&db).await;

        app.channels.inject_panic(chorus::domain::ids::ChannelId(shop_id));
        app.sync(shop_id).await;
        let mut restarted = false;
        for _ in 0..200 {
            let status = app.channel(shop_id).await["status"].clone();
            if status["last_error"].as_str().is_some_and(|e| e.contains("panicked")) {
                restarted = true;
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(restarted, "{backend:?}: the panic was not recorded");
        // The other channel goes on as if nothing happened.
        let (_, w) = woo.order(&[("A", 1)], true).await;
        app.sync_until(woo_id, "WooCommerce after the Shopify panic", |o| imported(o, &w)).await;
        // The restarted Shopify actor imports again.
        let (_, s) = shop.order(&[("A", 2)], true).await;
        app.sync_until(shop_id, "Shopify after its restart", |o| imported(o, &s)).await;
        assert_eq!(app.inventory("A").await["allocated"], 3, "{backend:?}");
        assert_eq!(app.channel(shop_id).await["status"]["running"], true);
        app.stop().await;
    }
}

#[actix_web::test]
async fn woocommerce_webhooks_sharing_a_delivery_id_each_import_their_order() {
    // WooCommerce names a delivery after its webhook and the current second
    // (`WC_Webhook::get_new_delivery_id`), so a burst of orders shares delivery ids, as the
    // simulator's do; each order must still come in by its webhook (channels here poll hourly).
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("A").await;
        app.set_stock("A", 20).await;
        let hook = format!("{}/hooks/channels/1", app.address);
        let sim = Sim::start("woocommerce", Some((hook, "hook-secret".into()))).await;
        let id = app.create_channel("woocommerce", &sim.url(), "hook-secret").await;
        assert_eq!(id, 1);
        first_poll_done(&app, id).await;
        // Five orders within well under a second: at least three share a second, and so a
        // delivery id.
        let mut external = Vec::new();
        for _ in 0..5 {
            external.push(sim.order(&[("A", 1)], true).await.1);
        }
        for ext in &external {
            assert!(wait_for_order(&app, id, ext).await, "{backend:?}: order {ext} was not imported by its webhook");
        }
        assert_eq!(app.orders("").await.len(), 5, "{backend:?}");
        assert_eq!(app.inventory("A").await["available"], 15, "{backend:?}");
        app.stop().await;
    }
}
