//! Plugins: registration with credentials shown once, token-scoped callbacks, and a plugin's
//! stock reports becoming a source whose totals reach the channels.

use serde_json::json;

use crate::helpers::*;

async fn create_plugin(app: &TestApp) -> (i64, String, String) {
    let r = app
        .post(
            "/api/v1/plugins",
            json!({"name": "3PL", "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": "all"}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let token = r.body["token"].as_str().expect("token shown once").to_string();
    let secret = r.body["secret"].as_str().expect("secret shown once").to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (r.body["id"].as_i64().unwrap(), token, secret)
}

#[actix_web::test]
async fn plugins_are_registered_with_credentials_shown_once_and_validated() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let (id, token, secret) = create_plugin(&app).await;
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let stored =
            chorus::db::run(&pool, move |conn| Ok(chorus::db::plugins::find(conn, id)?)).await.unwrap().unwrap();
        assert!(!stored.signing_secret.contains(secret.trim_start_matches("whsec_")), "secret stored in the clear");
        assert!(!stored.token_sha256.contains(token.trim_start_matches("chp_")), "token stored in the clear");
        let shown = app.get(&format!("/api/v1/plugins/{id}")).await.body;
        assert!(shown.get("token").is_none() && shown.get("secret").is_none(), "{shown}");
        assert!(!shown.to_string().contains(&token));
        assert_eq!(shown["routing"], json!({"channels": "all"}));
        let listed = app.get("/api/v1/plugins").await.body;
        assert_eq!(listed["items"].as_array().map(|a| a.len()), Some(1));
        for (body, field) in [
            (json!({"name": "x", "orders_url": "ftp://x", "routing": {"channels": "all"}}), "orders_url"),
            (json!({"name": "x", "orders_url": "http://x", "routing": {"channels": "some"}}), "routing.channels"),
            (json!({"name": "", "orders_url": "http://x", "routing": {"channels": [1]}}), "name"),
        ] {
            let r = app.post("/api/v1/plugins", body).await;
            assert_problem(&r, 422, "invalid_value");
            assert_eq!(r.body["field"], field);
        }
        let patched = app.patch(&format!("/api/v1/plugins/{id}"), json!({"routing": {"channels": [1, 2]}})).await;
        assert_eq!(patched.body["routing"], json!({"channels": [1, 2]}), "{}", patched.body);
        assert_eq!(app.delete(&format!("/api/v1/plugins/{id}")).await.status.as_u16(), 204);
        assert_problem(&app.get(&format!("/api/v1/plugins/{id}")).await, 404, "unknown_plugin");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_plugins_stock_report_is_a_source_and_reaches_the_channels() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-P").await;
        app.set_stock("SKU-P", 5).await;
        let sim = Sim::start("woocommerce", None).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"SKU-P": 5}))).await;
        app.create_channel("woocommerce", &sim.url(), "s").await;
        let (id, token, _) = create_plugin(&app).await;
        let report = |q: i64, at: &str| json!([{"sku": "SKU-P", "quantity": q, "as_of": at}]);
        let put = |body: serde_json::Value, token: Option<String>| {
            let app = &app;
            async move { app.request("PUT", "/api/v1/plugin/inventory", Some(body), token.as_deref()).await }
        };
        let r = put(report(7, "2026-11-28T10:00:00Z"), Some(token.clone())).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        assert_eq!(r.body["changed"], 1);
        let inv = app.inventory("SKU-P").await;
        assert_eq!(inv["sources"], json!({"api": 5, format!("plugin:{id}"): 7}), "{inv}");
        assert_eq!(inv["on_hand"], 12);
        // An older report changes nothing.
        let r = put(report(1, "2026-11-28T09:00:00Z"), Some(token.clone())).await;
        assert_eq!(r.body["stale"], 1, "{}", r.body);
        assert_eq!(app.inventory("SKU-P").await["on_hand"], 12);
        // The channel gets the new total (api + plugin − allocated).
        eventually(30, "the channel at 12", || async {
            match sim.stock().await.get("SKU-P") {
                Some(12) => Ok(()),
                other => Err(format!("{backend:?}: {other:?}")),
            }
        })
        .await;
        // No token, a wrong one, the admin's: 401. A rotated-out token stops working.
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), None).await, 401, "unauthorized");
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some("chp_wrong".into())).await, 401, "unauthorized");
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some(TOKEN.into())).await, 401, "unauthorized");
        let rotated = app.post(&format!("/api/v1/plugins/{id}/rotate"), json!({})).await.body;
        let fresh = rotated["token"].as_str().expect("new token").to_string();
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some(token)).await, 401, "unauthorized");
        assert_eq!(put(report(9, "2026-11-28T11:00:00Z"), Some(fresh)).await.status.as_u16(), 200);
        assert_eq!(app.inventory("SKU-P").await["on_hand"], 14);
        app.stop().await;
    }
}

/// A plugin routed every channel's orders, pointing at a plugin simulator that knows where
/// Chorus is; returns (plugin id, token, the simulator).
async fn plugin_with_sim(app: &TestApp, ship_delay_ms: u64) -> (i64, String, Sim) {
    let sim = Sim::start("plugin", None).await;
    let r = app
        .post(
            "/api/v1/plugins",
            json!({"name": "SimFC", "orders_url": sim.handle.url("/orders"), "routing": {"channels": "all"}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let token = r.body["token"].as_str().expect("token").to_string();
    sim.call(
        "PUT",
        "/_sim/config",
        Some(json!({"chorus_url": app.address, "token": token, "secret": r.body["secret"],
                    "ship_delay_ms": ship_delay_ms})),
    )
    .await;
    (r.body["id"].as_i64().expect("plugin id"), token, sim)
}

async fn plugin_orders(sim: &Sim) -> Vec<serde_json::Value> {
    sim.call("GET", "/_sim/orders", None).await.as_array().cloned().unwrap_or_default()
}

async fn wait_order_status(app: &TestApp, order: i64, want: &str) -> serde_json::Value {
    app.wait_for(&format!("/api/v1/orders/{order}"), 60, |o| o["status"] == want).await
}

#[actix_web::test]
async fn a_shopify_order_is_shipped_by_the_plugin_and_ends_synced_with_its_tracking() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-F").await;
        app.set_stock("SKU-F", 1).await;
        // Shopify (channel 1) sends order webhooks; WooCommerce (channel 2) lists the SKU too.
        let hook = format!("{}/hooks/channels/1", app.address);
        let shopify = Sim::start("shopify", Some((hook, "hook-secret".into()))).await;
        let woo = Sim::start("woocommerce", None).await;
        for sim in [&shopify, &woo] {
            sim.call("PUT", "/_sim/stock", Some(json!({"SKU-F": 1}))).await;
        }
        let shop_id = app.create_channel("shopify", &shopify.url(), "hook-secret").await;
        assert_eq!(shop_id, 1);
        app.create_channel("woocommerce", &woo.url(), "s").await;
        let (plugin, _, fc) = plugin_with_sim(&app, 100).await;

        // The centre's stock report: a source of its own, the channels get api + plugin.
        fc.call("PUT", "/_sim/stock", Some(json!({"SKU-F": 10}))).await;
        let inv = app.inventory("SKU-F").await;
        assert_eq!(inv["sources"], json!({"api": 1, format!("plugin:{plugin}"): 10}), "{backend:?}: {inv}");
        assert_eq!(inv["on_hand"], 11);
        for sim in [&shopify, &woo] {
            eventually(30, &format!("{backend:?}: channel shows 11"), || async {
                match sim.stock().await.get("SKU-F") {
                    Some(11) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            })
            .await;
        }

        // An order on Shopify: webhook → import → plugin → shipped → fulfilment → Shopify.
        let (_, external) = shopify.order(&[("SKU-F", 2)], true).await;
        let order = eventually(30, &format!("{backend:?}: order imported by webhook"), || async {
            let orders = app.orders("&channel_id=1").await;
            orders
                .iter()
                .find(|o| o["external_id"] == external.as_str())
                .and_then(|o| o["id"].as_i64())
                .ok_or_else(|| format!("{orders:?}"))
        })
        .await;
        let done = wait_order_status(&app, order, "synced").await;
        assert_eq!(done["plugin_id"], plugin, "{done}");
        let tracking = format!("SIMFC{order:08}");
        let f = &done["fulfilments"][0];
        assert_eq!(
            (f["tracking_number"].as_str(), f["status"].as_str()),
            (Some(tracking.as_str()), Some("synced")),
            "{f}"
        );
        assert_eq!(f["source"], format!("plugin:{plugin}"), "{f}");
        let on_shopify = shopify.call("GET", "/_sim/fulfilments", None).await;
        let mentions =
            on_shopify.as_array().map_or(0, |a| a.iter().filter(|e| e.to_string().contains(&tracking)).count());
        assert_eq!(mentions, 1, "{backend:?}: {on_shopify}");
        let received = plugin_orders(&fc).await;
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!((received[0]["order_id"].as_i64(), received[0]["deliveries"].as_i64()), (Some(order), Some(1)));
        assert_eq!(received[0]["status"], "shipped", "{received:?}");
        // The units left the centre's stock and the order's allocation together.
        let inv = eventually(30, "the centre's report applied", || async {
            let inv = app.inventory("SKU-F").await;
            if inv["sources"][format!("plugin:{plugin}")] == 8 && inv["allocated"] == 0 {
                Ok(inv)
            } else {
                Err(format!("{inv}"))
            }
        })
        .await;
        assert_eq!((inv["on_hand"].as_i64(), inv["available"].as_i64()), (Some(9), Some(9)), "{inv}");
        let p = app.get(&format!("/api/v1/plugins/{plugin}")).await.body;
        assert_eq!(
            (p["status"]["orders_sent"].as_i64(), p["status"]["queue_depth"].as_i64()),
            (Some(1), Some(0)),
            "{p}"
        );
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_plugin_that_was_down_gets_every_order_once_it_is_back() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-D").await;
        app.set_stock("SKU-D", 20).await;
        let woo = Sim::start("woocommerce", None).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"SKU-D": 20}))).await;
        let channel = app.create_channel("woocommerce", &woo.url(), "s").await;
        let (plugin, _, fc) = plugin_with_sim(&app, 50).await;
        // Down: the first three attempts fail (two with 503, one refused as overloaded).
        fc.call(
            "POST",
            "/_sim/faults",
            Some(json!([{"status": 503, "count": 2}, {"status": 429, "retry_after": "1"}])),
        )
        .await;
        for q in 1..=3 {
            woo.order(&[("SKU-D", q)], true).await;
        }
        let orders = app.sync_until(channel, "three orders", |o| o.len() == 3).await;
        let mut ids: Vec<i64> = orders.iter().filter_map(|o| o["id"].as_i64()).collect();
        ids.sort();
        for id in &ids {
            wait_order_status(&app, *id, "synced").await;
        }
        let received = plugin_orders(&fc).await;
        let mut got: Vec<i64> = received.iter().filter_map(|o| o["order_id"].as_i64()).collect();
        got.sort();
        assert_eq!(got, ids, "{backend:?}: each order once: {received:?}");
        let webhook_ids: std::collections::BTreeSet<&str> =
            received.iter().filter_map(|o| o["webhook_id"].as_str()).collect();
        assert_eq!(webhook_ids.len(), 3, "{received:?}");
        assert!(received.iter().all(|o| o["deliveries"] == 1), "{received:?}");
        // It really was down for three attempts: every fault was spent on an order, and the
        // three refused attempts came on top of the three accepted ones.
        assert_eq!(fc.call("GET", "/_sim/faults", None).await["pending"], 0, "{backend:?}");
        let requests = fc.call("GET", "/_sim/requests", None).await;
        assert_eq!(requests["count"], 6, "{backend:?}: {requests}");
        // Now its status is clear.
        let p = app.get(&format!("/api/v1/plugins/{plugin}")).await.body;
        assert_eq!(p["status"]["orders_sent"], 3, "{p}");
        assert!(p["status"]["last_error"].is_null(), "{p}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn forged_orders_and_wrong_tokens_are_refused_and_plugins_see_only_their_orders() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-S").await;
        app.set_stock("SKU-S", 5).await;
        let (_, token, fc) = plugin_with_sim(&app, 60_000).await;
        // A forged order: signed with another secret.
        let body = br#"{"type":"orders.routed","data":{"id":1,"lines":[]}}"#;
        let ts = chrono::Utc::now().timestamp();
        let forged = chorus::domain::standard_webhooks::sign("whsec_Zm9yZ2VkLXNlY3JldC1mb3JnZWQ=", "msg_1", ts, body);
        let resp = awc::Client::default()
            .post(fc.handle.url("/orders"))
            .insert_header(("webhook-id", "msg_1"))
            .insert_header(("webhook-timestamp", ts.to_string()))
            .insert_header(("webhook-signature", forged))
            .send_body(body.to_vec())
            .await
            .expect("simulator answers");
        assert_eq!(resp.status().as_u16(), 401);
        assert_eq!(fc.call("GET", "/_sim/requests", None).await["refused_signatures"], 1);
        assert!(plugin_orders(&fc).await.is_empty());

        // An order routed to this plugin (it ships only after a minute: nothing moves meanwhile).
        let woo = Sim::start("woocommerce", None).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"SKU-S": 5}))).await;
        let channel = app.create_channel("woocommerce", &woo.url(), "s").await;
        woo.order(&[("SKU-S", 1)], true).await;
        let order = app.sync_until(channel, "the order", |o| o.len() == 1).await[0]["id"].as_i64().unwrap();
        wait_order_status(&app, order, "sent_to_plugin").await;
        // A second plugin may not fulfil it; a wrong token is not a plugin at all.
        let other = app
            .post(
                "/api/v1/plugins",
                json!({"name": "Other", "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": [999]}}),
            )
            .await
            .body;
        let other_token = other["token"].as_str().unwrap().to_string();
        let fulfil = json!({"order_id": order, "tracking_number": "X-1"});
        // …and learns no more than for an order that does not exist.
        let r = app.request("POST", "/api/v1/plugin/fulfilments", Some(fulfil.clone()), Some(&other_token)).await;
        assert_problem(&r, 404, "unknown_order");
        let missing = json!({"order_id": 999_999, "tracking_number": "X-1"});
        let r = app.request("POST", "/api/v1/plugin/fulfilments", Some(missing), Some(&other_token)).await;
        assert_problem(&r, 404, "unknown_order");
        let r = app.request("POST", "/api/v1/plugin/fulfilments", Some(fulfil.clone()), Some("chp_nope")).await;
        assert_problem(&r, 401, "unauthorized");
        let r = app.request("POST", "/api/v1/plugin/fulfilments", Some(fulfil.clone()), None).await;
        assert_problem(&r, 401, "unauthorized");
        assert_eq!(app.get(&format!("/api/v1/orders/{order}")).await.body["status"], "sent_to_plugin");
        // Its own plugin may.
        let r = app.request("POST", "/api/v1/plugin/fulfilments", Some(fulfil), Some(&token)).await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.body);
        wait_order_status(&app, order, "synced").await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_plugins_product_data_is_shown_beside_the_product() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-PD").await;
        let (id, token, _) = create_plugin(&app).await;
        let data = json!([{"sku": "SKU-PD", "external_id": "FC-77", "weight_grams": 350, "length_mm": 200,
                           "width_mm": 100, "height_mm": 50}]);
        let r = app.request("PUT", "/api/v1/plugin/products", Some(data.clone()), Some(&token)).await;
        assert_eq!((r.status.as_u16(), r.body["created"].as_i64()), (200, Some(1)), "{}", r.body);
        let again = app.request("PUT", "/api/v1/plugin/products", Some(data), Some(&token)).await;
        assert_eq!(again.body["unchanged"], 1, "{}", again.body);
        let product = app.get("/api/v1/products/SKU-PD").await.body;
        assert_eq!(product["plugins"][0]["plugin_id"], id, "{product}");
        assert_eq!(product["plugins"][0]["data"]["external_id"], "FC-77", "{product}");
        assert_eq!(product["plugins"][0]["data"]["weight_grams"], 350, "{product}");
        let unknown = json!([{"sku": "NOPE", "weight_grams": 1}]);
        let r = app.request("PUT", "/api/v1/plugin/products", Some(unknown), Some(&token)).await;
        assert_problem(&r, 404, "unknown_sku");
        let r = app.request("PUT", "/api/v1/plugin/products", Some(json!([{"sku": "SKU-PD"}])), None).await;
        assert_problem(&r, 401, "unauthorized");
        app.stop().await;
    }
}

#[actix_web::test]
async fn an_order_cancelled_before_the_plugin_ships_it_is_not_shipped() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-C").await;
        app.set_stock("SKU-C", 5).await;
        let woo = Sim::start("woocommerce", None).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"SKU-C": 5}))).await;
        let channel = app.create_channel("woocommerce", &woo.url(), "s").await;
        // It would ship after a minute: long enough for the cancellation to arrive first.
        let (_, _, fc) = plugin_with_sim(&app, 60_000).await;
        let (sim_order, _) = woo.order(&[("SKU-C", 2)], true).await;
        let order = app.sync_until(channel, "the order", |o| o.len() == 1).await[0]["id"].as_i64().unwrap();
        wait_order_status(&app, order, "sent_to_plugin").await;
        woo.call("POST", &format!("/_sim/orders/{sim_order}/cancel"), None).await;
        app.sync_until(channel, "the cancellation", |o| o.iter().all(|o| o["status"] == "cancelled")).await;
        let received = eventually(30, &format!("{backend:?}: the centre told"), || async {
            let orders = plugin_orders(&fc).await;
            if orders.first().is_some_and(|o| o["status"] == "cancelled") {
                Ok(orders)
            } else {
                Err(format!("{orders:?}"))
            }
        })
        .await;
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(app.inventory("SKU-C").await["allocated"], 0);
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_fulfilment_callback_repeated_under_its_idempotency_key_ships_once() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-K").await;
        app.set_stock("SKU-K", 5).await;
        let woo = Sim::start("woocommerce", None).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"SKU-K": 5}))).await;
        let channel = app.create_channel("woocommerce", &woo.url(), "s").await;
        // The centre's first two callbacks are taken by Chorus but their answers never arrive:
        // it sends the same shipment three times under one Idempotency-Key.
        let (_, token, fc) = plugin_with_sim(&app, 0).await;
        fc.call("PUT", "/_sim/config", Some(json!({"lose_answers": 2}))).await;
        woo.order(&[("SKU-K", 2)], true).await;
        let order = app.sync_until(channel, "the order", |o| o.len() == 1).await[0]["id"].as_i64().unwrap();
        let synced = wait_order_status(&app, order, "synced").await;
        assert_eq!(synced["lines"][0]["shipped"], 2, "{backend:?}: {synced}");
        // Chorus took the first call; the centre hears so only from the third.
        let received = eventually(30, "the third answer", || async {
            let received = plugin_orders(&fc).await;
            if received.first().is_some_and(|o| o["status"] == "shipped") {
                Ok(received)
            } else {
                Err(format!("{received:?}"))
            }
        })
        .await;
        assert_eq!(fc.call("PUT", "/_sim/config", Some(json!({}))).await["lose_answers"], 0, "{backend:?}: both lost");
        let full = app.get(&format!("/api/v1/orders/{order}")).await.body;
        let fulfilments = full["fulfilments"].as_array().cloned().unwrap_or_default();
        assert_eq!(fulfilments.len(), 1, "{backend:?}: one fulfilment: {full}");
        let first = fulfilments[0]["id"].as_i64().unwrap();

        // The same key and body again: the first fulfilment, 200, nothing shipped twice.
        let webhook_id = received[0]["webhook_id"].as_str().unwrap().to_string();
        let key = format!("ship-{webhook_id}");
        let sent = &fulfilments[0];
        let body = json!({"order_id": order, "carrier": sent["carrier"], "tracking_number": sent["tracking_number"],
                          "tracking_url": sent["tracking_url"]});
        let path = "/api/v1/plugin/fulfilments";
        let again =
            app.request_with("POST", path, Some(body.clone()), Some(&token), &[("Idempotency-Key", &key)]).await;
        assert_eq!(
            (again.status.as_u16(), again.body["id"].as_i64()),
            (200, Some(first)),
            "{backend:?}: {}",
            again.body
        );
        // Another body under that key is refused; without a key the repeat is over-shipping.
        let other = json!({"order_id": order, "tracking_number": "OTHER"});
        let r = app.request_with("POST", path, Some(other), Some(&token), &[("Idempotency-Key", &key)]).await;
        assert_problem(&r, 409, "idempotency_key_reused");
        let r = app.request("POST", path, Some(body.clone()), Some(&token)).await;
        assert_eq!(r.status.as_u16(), 422, "{backend:?}: {}", r.body);
        // `external_id` in the body serves as the key; a header that disagrees with it is refused.
        let mut keyed = body.clone();
        keyed["external_id"] = json!(key);
        let r = app.request("POST", path, Some(keyed.clone()), Some(&token)).await;
        assert_eq!((r.status.as_u16(), r.body["id"].as_i64()), (200, Some(first)), "{backend:?}: {}", r.body);
        let r = app.request_with("POST", path, Some(keyed), Some(&token), &[("Idempotency-Key", "another")]).await;
        assert_problem(&r, 422, "invalid_value");
        let full = app.get(&format!("/api/v1/orders/{order}")).await.body;
        assert_eq!(full["fulfilments"].as_array().map(Vec::len), Some(1), "{backend:?}: {full}");
        app.stop().await;
    }
}
