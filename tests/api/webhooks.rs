//! Webhooks: each event kind reaches a subscriber, signed so that an independent Standard
//! Webhooks check accepts it; store-scoped subscriptions get only their store's events; retries
//! keep the `webhook-id`; a 410 disables; private addresses are refused unless allowed; a
//! SIGKILL during a burst loses nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::helpers::*;

/// The Standard Webhooks check, written from the specification (not Chorus's signing code):
/// `v1,` + base64(HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}")).
fn signature_ok(secret: &str, arrival: &Value) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("secret is base64");
    let id = arrival["webhook_id"].as_str().unwrap_or_default();
    let ts = arrival["webhook_timestamp"].as_str().unwrap_or_default();
    let body = arrival["raw"].as_str().unwrap_or_default();
    let ts_num: i64 = ts.parse().unwrap_or(0);
    if (chrono::Utc::now().timestamp() - ts_num).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    arrival["webhook_signature"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn subscribe(app: &TestApp, url: &str, events: &[&str], channel: Option<i64>) -> (i64, String) {
    let mut body = json!({"url": url, "events": events});
    if let Some(c) = channel {
        body["channel_id"] = json!(c);
    }
    let r = app.post("/api/v1/webhooks", body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let secret = r.body["secret"].as_str().expect("secret shown once").to_string();
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 32, "{secret}");
    (r.body["id"].as_i64().unwrap(), secret)
}

async fn arrivals(receiver: &Sim) -> Vec<Value> {
    receiver.call("GET", "/_sim/received", None).await.as_array().cloned().unwrap_or_default()
}

/// Waits until the receiver has answered 2xx at least `n` times; returns every arrival.
async fn accepted(receiver: &Sim, n: usize, what: &str) -> Vec<Value> {
    eventually(30, what, || async {
        let got = arrivals(receiver).await;
        if got.iter().filter(|a| a["status"] == 200).count() >= n {
            Ok(got)
        } else {
            Err(format!("{got:?}"))
        }
    })
    .await
}

const ALL: [&str; 13] = chorus::domain::webhook::EVENT_KINDS;

#[actix_web::test]
async fn every_event_kind_reaches_its_subscribers_signed_and_scoped() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let everything = Sim::start("receiver", None).await;
        let scoped = Sim::start("receiver", None).await;
        let (_, secret) = subscribe(&app, &everything.handle.url("/hooks"), &ALL, None).await;

        // products.created / updated, inventory.updated
        app.create_product("W-1").await;
        app.create_product("W-2").await;
        assert_eq!(app.patch("/api/v1/products/W-1", json!({"title": "Widget"})).await.status.as_u16(), 200);
        app.set_stock("W-1", 3).await;
        app.set_stock("W-2", 5).await;
        // Two stores; channels.products.created when their catalogues are read.
        let shop = Sim::start("shopify", None).await;
        let woo = Sim::start("woocommerce", None).await;
        for sim in [&shop, &woo] {
            sim.call("PUT", "/_sim/stock", Some(json!({"W-1": 3, "W-2": 5}))).await;
        }
        let shop_id = app.create_channel("shopify", &shop.url(), "s").await;
        let woo_id = app.create_channel("woocommerce", &woo.url(), "s").await;
        let (_, scoped_secret) = subscribe(&app, &scoped.handle.url("/store"), &ALL, Some(woo_id)).await;
        eventually(30, "catalogues read", || async {
            let p = app.get("/api/v1/products/W-1").await.body;
            if p["channels"].as_array().map_or(0, |c| c.len()) == 2 {
                Ok(())
            } else {
                Err(format!("{p}"))
            }
        })
        .await;
        // channels.products.updated
        let path = format!("/api/v1/channels/{woo_id}/products/W-1");
        let cp = app.get(&path).await.body;
        let mut data = json!({"customs": {"hs_code": "950300"}});
        for key in ["listing_id", "variant_id", "inventory_item_id", "location_id"] {
            data[key] = cp[key].clone();
        }
        let r = app.put(&path, data).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        // orders.received (both stores), orders.on_hold (more than there is), orders.excluded
        shop.order(&[("W-2", 1)], true).await;
        woo.order(&[("W-1", 1)], true).await;
        woo.order(&[("W-1", 50)], true).await;
        app.sync_until(shop_id, "shopify order", |o| o.len() == 1).await;
        let woo_orders = app.sync_until(woo_id, "woo orders", |o| o.len() == 2).await;
        let held =
            woo_orders.iter().find(|o| o["status"] == "on_hold").expect("an order on hold")["id"].as_i64().unwrap();
        let fine =
            woo_orders.iter().find(|o| o["status"] == "imported").expect("an imported order")["id"].as_i64().unwrap();
        assert_eq!(app.post(&format!("/api/v1/orders/{held}/exclude"), json!({})).await.status.as_u16(), 200);
        // fulfillments.created / updated (synced), orders.updated
        let r = app.post(&format!("/api/v1/orders/{fine}/fulfilments"), json!({"tracking_number": "T-1"})).await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.body);
        app.wait_for(&format!("/api/v1/orders/{fine}"), 30, |o| o["status"] == "synced").await;
        // plugins.products.created / updated
        let p = app
            .post(
                "/api/v1/plugins",
                json!({"name": "FC", "orders_url": "http://127.0.0.1:9/", "routing": {"channels": [999]}}),
            )
            .await
            .body;
        let token = p["token"].as_str().unwrap().to_string();
        for weight in [100, 200] {
            let body = json!([{"sku": "W-1", "weight_grams": weight}]);
            let r = app.request("PUT", "/api/v1/plugin/products", Some(body), Some(&token)).await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        }

        let got = eventually(60, &format!("{backend:?}: every kind delivered"), || async {
            let got = arrivals(&everything).await;
            let kinds: BTreeSet<String> = got.iter().filter_map(|a| a["type"].as_str().map(str::to_string)).collect();
            let missing: Vec<&str> = ALL.iter().filter(|k| !kinds.contains(**k)).copied().collect();
            if missing.is_empty() {
                Ok(got)
            } else {
                Err(format!("missing {missing:?}"))
            }
        })
        .await;
        for a in &got {
            assert!(signature_ok(&secret, a), "{backend:?}: signature refused: {a}");
            assert_eq!(a["status"], 200);
            assert!(a["webhook_id"].as_str().is_some_and(|id| !id.is_empty()), "{a}");
        }
        let order_event = got.iter().find(|a| a["type"] == "orders.received").unwrap();
        assert!(order_event["body"]["data"]["lines"].is_array(), "a full snapshot: {order_event}");
        let inv = got.iter().find(|a| a["type"] == "inventory.updated").unwrap();
        assert!(inv["body"]["data"]["available"].is_i64(), "{inv}");
        // Events of one order arrive in the order they happened.
        let fine_events: Vec<i64> = got
            .iter()
            .filter(|a| a["body"]["data"]["id"] == fine || a["body"]["data"]["order_id"] == fine)
            .filter_map(|a| a["event_id"].as_i64())
            .collect();
        let mut sorted = fine_events.clone();
        sorted.sort();
        assert_eq!(fine_events, sorted, "{backend:?}: order {fine}'s events out of order");

        // The store-scoped subscriber: only WooCommerce's events, and all of them.
        let store_got = eventually(30, "scoped deliveries", || async {
            let got = arrivals(&scoped).await;
            let kinds: BTreeSet<&str> =
                got.iter().filter_map(|a| a["type"].as_str()).collect::<Vec<_>>().into_iter().collect();
            if ["orders.received", "orders.on_hold", "orders.excluded", "channels.products.updated"]
                .iter()
                .all(|k| kinds.contains(k))
            {
                Ok(got)
            } else {
                Err(format!("{kinds:?}"))
            }
        })
        .await;
        for a in &store_got {
            assert!(signature_ok(&scoped_secret, a), "{a}");
            // Stock changes belong to no store: the scoped subscriber takes those of its SKUs.
            if a["type"] == "inventory.updated" {
                assert!(["W-1", "W-2"].contains(&a["body"]["data"]["sku"].as_str().unwrap_or_default()), "{a}");
                continue;
            }
            let channel = a["body"]["data"]["channel_id"].as_i64();
            assert_eq!(channel, Some(woo_id), "{backend:?}: another store's event reached a scoped subscriber: {a}");
        }
        app.stop().await;
    }
}

fn quick_retries(db: &TestDb) -> chorus::config::Settings {
    let mut s = settings_for(db);
    s.webhooks.retry_schedule_secs = vec![1, 1, 1, 1];
    s
}

async fn deliveries(app: &TestApp, id: i64) -> Vec<Value> {
    app.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=100")).await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[actix_web::test]
async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_with_the_same_id() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_with(quick_retries(&db)).await;
        let receiver = Sim::start("receiver", None).await;
        receiver.call("PUT", "/_sim/config", Some(json!({"fail_first": 3, "fail_status": 503}))).await;
        let (id, _) = subscribe(&app, &receiver.handle.url("/"), &["products.created"], None).await;
        app.create_product("R-1").await;
        let got = accepted(&receiver, 1, &format!("{backend:?}: delivered on the 4th")).await;
        let statuses: Vec<i64> = got.iter().filter_map(|a| a["status"].as_i64()).collect();
        assert_eq!(statuses, vec![503, 503, 503, 200], "{backend:?}");
        let ids: BTreeSet<&str> = got.iter().filter_map(|a| a["webhook_id"].as_str()).collect();
        assert_eq!(ids.len(), 1, "{backend:?}: one webhook-id across attempts: {ids:?}");
        // The log shows each attempt, newest first, with its status and the answer.
        let log = eventually(10, "log written", || async {
            let log = deliveries(&app, id).await;
            if log.len() == 4 {
                Ok(log)
            } else {
                Err(format!("{log:?}"))
            }
        })
        .await;
        let attempts: Vec<(i64, i64)> =
            log.iter().map(|d| (d["attempt"].as_i64().unwrap(), d["status_code"].as_i64().unwrap())).collect();
        assert_eq!(attempts, vec![(4, 200), (3, 503), (2, 503), (1, 503)], "{log:?}");
        assert!(log[0]["response"].as_str().is_some_and(|r| r.contains("received")), "{log:?}");
        // Paged: two at a time.
        let first = app.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=2")).await.body;
        let next = first["next_cursor"].as_str().expect("a next page").to_string();
        let second = app.get(&format!("/api/v1/webhooks/{id}/deliveries?limit=2&cursor={next}")).await.body;
        assert_eq!(second["items"][0]["attempt"], 2, "{second}");
        // Replay and resend send it again, with the same id.
        let r = app.post(&format!("/api/v1/webhooks/{id}/replay"), json!({"since": "2000-01-01T00:00:00Z"})).await;
        assert_eq!((r.status.as_u16(), r.body["queued"].as_i64()), (202, Some(1)), "{}", r.body);
        let delivery = log[0]["id"].as_i64().unwrap();
        let r = app.post(&format!("/api/v1/webhooks/{id}/deliveries/{delivery}/resend"), json!({})).await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.body);
        let again = accepted(&receiver, 2, "sent again").await;
        let ok: Vec<&Value> = again.iter().filter(|a| a["status"] == 200).collect();
        assert!(ok.iter().all(|a| a["webhook_id"] == got[0]["webhook_id"]), "{ok:?}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_410_disables_the_subscription_and_says_so() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let receiver = Sim::start("receiver", None).await;
        receiver.call("PUT", "/_sim/config", Some(json!({"fail_first": 1, "fail_status": 410}))).await;
        let (id, _) = subscribe(&app, &receiver.handle.url("/"), &["products.created"], None).await;
        app.create_product("G-1").await;
        let sub = app.wait_for(&format!("/api/v1/webhooks/{id}"), 30, |s| s["enabled"] == false).await;
        assert!(sub["status"]["disabled_reason"].as_str().is_some_and(|r| r.contains("410")), "{sub}");
        app.create_product("G-2").await;
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(arrivals(&receiver).await.len(), 1, "nothing more goes to a disabled subscription");
        app.stop().await;
    }
}

#[actix_web::test]
async fn private_addresses_are_refused_unless_allowed() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut settings = settings_for(&db);
        settings.webhooks.allow_private_networks = false;
        let app = spawn_with(settings).await;
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "http://10.0.0.1/x",
            "http://[::1]:9/x",
            "http://169.254.169.254/latest",
            // IPv4 inside IPv6: compatible, SIIT, 6to4; site-local and discard-only.
            "http://[::127.0.0.1]/x",
            "http://[::ffff:0:127.0.0.1]/x",
            "http://[2002:7f00:1::1]/x",
            "http://[fec0::1]/x",
            "http://[100::1]/x",
            "http://[64:ff9b::a00:1]/x",
            // User info is never stored in a URL.
            "https://user:pass@example.com/hook",
        ] {
            let r = app.post("/api/v1/webhooks", json!({"url": url, "events": ["orders.received"]})).await;
            assert_problem(&r, 422, "invalid_value");
            assert_eq!(r.body["field"], "url", "{url}: {}", r.body);
        }
        // A channel's address follows the same rule, and must be https.
        for url in
            ["http://169.254.169.254", "https://[::ffff:10.0.0.1]", "http://shop.example", "https://u:p@shop.example"]
        {
            let r = app
                .post(
                    "/api/v1/channels",
                    json!({"name": "S", "kind": "shopify", "base_url": url,
                           "credentials": {"access_token": "shpat_x", "webhook_secret": "s"}}),
                )
                .await;
            assert_problem(&r, 422, "invalid_value");
            assert_eq!(r.body["field"], "base_url", "{url}: {}", r.body);
        }
        let r = app
            .post(
                "/api/v1/channels",
                json!({"name": "S", "kind": "shopify", "base_url": "https://shop.example",
                       "credentials": {"access_token": "shpat_x", "webhook_secret": "s"}}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.body);
        let channel = r.body["id"].as_i64().unwrap();
        // Moving it elsewhere takes the credentials for the new address with it.
        let r = app.patch(&format!("/api/v1/channels/{channel}"), json!({"base_url": "https://other.example"})).await;
        assert_problem(&r, 422, "invalid_value");
        assert_eq!(r.body["field"], "credentials", "{}", r.body);
        let moved = json!({"base_url": "https://other.example",
                           "credentials": {"access_token": "shpat_y", "webhook_secret": "s"}});
        assert_eq!(app.patch(&format!("/api/v1/channels/{channel}"), moved).await.status.as_u16(), 200);
        let r = app
            .post(
                "/api/v1/plugins",
                json!({"name": "FC", "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": "all"}}),
            )
            .await;
        assert_problem(&r, 422, "invalid_value");
        assert_eq!(r.body["field"], "orders_url", "{}", r.body);
        let r = app.post("/api/v1/webhooks", json!({"url": "ftp://example.com/", "events": ["orders.received"]})).await;
        assert_eq!(r.body["field"], "url");
        let r = app.post("/api/v1/webhooks", json!({"url": "https://example.com/", "events": ["orders.nope"]})).await;
        assert_eq!(r.body["field"], "events");
        app.stop().await;

        // Allowed (as the tests and the demo do): registered, and the secret never shown again.
        let app = spawn_app(&db).await;
        let (id, secret) = subscribe(&app, "http://127.0.0.1:9/hook", &["orders.received"], None).await;
        let shown = app.get(&format!("/api/v1/webhooks/{id}")).await.body;
        assert!(shown.get("secret").is_none() && !shown.to_string().contains(&secret), "{shown}");
        // Sealed at rest: the database holds neither the secret nor its base64 part.
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let stored =
            chorus::db::run(&pool, move |conn| Ok(chorus::db::webhooks::find(conn, id)?)).await.unwrap().unwrap();
        assert!(!stored.secret.contains(secret.trim_start_matches("whsec_")), "stored in the clear");
        let rotated = app.post(&format!("/api/v1/webhooks/{id}/rotate"), json!({})).await.body;
        assert!(rotated["secret"].as_str().is_some_and(|s| s != secret), "{rotated}");
        assert_eq!(app.delete(&format!("/api/v1/webhooks/{id}")).await.status.as_u16(), 204);
        assert_problem(&app.get(&format!("/api/v1/webhooks/{id}")).await, 404, "unknown_webhook");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_hanging_subscriber_does_not_hold_back_another() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let hanging = Sim::start("receiver", None).await;
        let healthy = Sim::start("receiver", None).await;
        // Longer than Chorus waits (15 s): every delivery to it times out.
        hanging.call("PUT", "/_sim/config", Some(json!({"delay_ms": 60_000}))).await;
        subscribe(&app, &hanging.handle.url("/"), &["products.created"], None).await;
        subscribe(&app, &healthy.handle.url("/"), &["products.created"], None).await;
        for i in 0..20 {
            app.create_product(&format!("H-{i:02}")).await;
        }
        eventually(30, &format!("{backend:?}: the healthy subscriber gets all 20"), || async {
            let s = healthy.call("GET", "/_sim/stats", None).await;
            if s["unique_accepted"] == 20 {
                Ok(())
            } else {
                Err(format!("{s}"))
            }
        })
        .await;
        let stuck = hanging.call("GET", "/_sim/stats", None).await;
        assert_eq!(stuck["accepted"], 0, "{backend:?}: the hanging one has answered nothing yet: {stuck}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_subscriber_failing_past_the_allowed_period_is_disabled() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let mut settings = quick_retries(&db);
        settings.webhooks.retry_schedule_secs = vec![1; 20];
        settings.webhooks.disable_after_secs = 2;
        let app = spawn_with(settings).await;
        let receiver = Sim::start("receiver", None).await;
        receiver.call("PUT", "/_sim/config", Some(json!({"fail_share": 1.0, "fail_status": 500}))).await;
        let (id, _) = subscribe(&app, &receiver.handle.url("/"), &["products.created"], None).await;
        app.create_product("F-1").await;
        let sub = app.wait_for(&format!("/api/v1/webhooks/{id}"), 60, |s| s["enabled"] == false).await;
        let reason = sub["status"]["disabled_reason"].as_str().unwrap_or_default();
        assert!(reason.contains("failing without a success"), "{sub}");
        assert!(sub["status"]["last_error"].as_str().is_some_and(|e| e.contains("500")), "{sub}");
        // Enabled again by the operator (the subscriber fixed), the event still arrives.
        receiver.call("PUT", "/_sim/config", Some(json!({"fail_share": 0.0}))).await;
        assert_eq!(app.patch(&format!("/api/v1/webhooks/{id}"), json!({"enabled": true})).await.status.as_u16(), 200);
        accepted(&receiver, 1, "delivered once re-enabled").await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn after_a_rotation_both_secrets_sign_for_a_while() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let receiver = Sim::start("receiver", None).await;
        let (id, old) = subscribe(&app, &receiver.handle.url("/"), &["products.created"], None).await;
        let rotated = app.post(&format!("/api/v1/webhooks/{id}/rotate"), json!({})).await.body;
        let new = rotated["secret"].as_str().expect("new secret shown once").to_string();
        assert_ne!(old, new);
        // A subscriber still checking with the old secret keeps accepting, as does one switched.
        receiver.call("PUT", "/_sim/config", Some(json!({"secret": old}))).await;
        app.create_product("ROT-1").await;
        let got = accepted(&receiver, 1, &format!("{backend:?}: delivered")).await;
        assert!(signature_ok(&old, &got[0]) && signature_ok(&new, &got[0]), "{}", got[0]);
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_store_scoped_subscription_gets_the_stock_changes_of_its_skus_only() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for sku in ["S-WOO", "S-SHOP", "S-BOTH"] {
            app.create_product(sku).await;
        }
        let shop = Sim::start("shopify", None).await;
        let woo = Sim::start("woocommerce", None).await;
        shop.call("PUT", "/_sim/stock", Some(json!({"S-SHOP": 0, "S-BOTH": 0}))).await;
        woo.call("PUT", "/_sim/stock", Some(json!({"S-WOO": 0, "S-BOTH": 0}))).await;
        let shop_id = app.create_channel("shopify", &shop.url(), "s").await;
        let woo_id = app.create_channel("woocommerce", &woo.url(), "s").await;
        for channel in [shop_id, woo_id] {
            let path = format!("/api/v1/channels/{channel}/products?linked=true");
            app.wait_for(&path, 60, |l| l["items"].as_array().map_or(0, Vec::len) == 2).await;
        }
        let scoped = Sim::start("receiver", None).await;
        let (_, secret) = subscribe(&app, &scoped.handle.url("/store"), &["inventory.updated"], Some(woo_id)).await;
        for (sku, quantity) in [("S-SHOP", 4), ("S-WOO", 5), ("S-BOTH", 6)] {
            assert_eq!(app.set_stock(sku, quantity).await.status.as_u16(), 200);
        }
        let got = eventually(30, "the store's stock changes", || async {
            let got = arrivals(&scoped).await;
            let skus: BTreeSet<String> =
                got.iter().filter_map(|a| a["body"]["data"]["sku"].as_str().map(str::to_string)).collect();
            if skus.contains("S-WOO") && skus.contains("S-BOTH") {
                Ok(got)
            } else {
                Err(format!("{skus:?}"))
            }
        })
        .await;
        // S-SHOP's change came first: had it been taken, it would have arrived before the others.
        for a in &got {
            assert!(signature_ok(&secret, a), "{a}");
            assert_eq!(a["type"], "inventory.updated", "{a}");
            assert_ne!(a["body"]["data"]["sku"], "S-SHOP", "{backend:?}: another store's SKU: {a}");
        }
        app.stop().await;
    }
}
