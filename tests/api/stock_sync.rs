//! Stock sync: every committed change to `available` reaches every channel listing the SKU,
//! coalesced, in batches within each API's limits, paced as the channel asks, never
//! overwriting a sale Chorus has not imported.

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;

/// Chorus with `skus` at `quantity` each, and both simulators listing them (at `quantity`).
async fn two_channels(app: &TestApp, skus: &[String], quantity: i64, opts: chorus::sim::SimOptions) -> [(Sim, i64); 2] {
    let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": quantity})).collect();
    let r = app.put("/api/v1/inventory", json!({"items": items, "create_missing": true})).await;
    assert_eq!(r.status.as_u16(), 200, "bulk set: {}", r.body);
    let listed: serde_json::Map<String, Value> = skus.iter().map(|s| (s.clone(), json!(quantity))).collect();
    let mut out = Vec::new();
    for kind in ["shopify", "woocommerce"] {
        let sim = Sim::start_with(kind, opts.clone()).await;
        sim.call("PUT", "/_sim/stock", Some(Value::Object(listed.clone()))).await;
        let id = app.create_channel(kind, &sim.url(), "s").await;
        out.push((sim, id));
    }
    let [a, b]: [(Sim, i64); 2] = out.try_into().unwrap_or_else(|_| unreachable!());
    for (_, id) in [&a, &b] {
        wait_linked(app, *id, skus.len()).await;
    }
    [a, b]
}

async fn wait_linked(app: &TestApp, channel: i64, n: usize) {
    // Bounded generously: linking 5,000 listings on a loaded 2-core machine takes a while.
    eventually(240, "listings linked", || async move {
        let listed = app.get(&format!("/api/v1/channels/{channel}/products?linked=true&limit=1000")).await.body;
        let count = listed["items"].as_array().map_or(0, |a| a.len());
        if count >= n.min(1000) {
            Ok(())
        } else {
            Err(format!("{count} linked"))
        }
    })
    .await
}

/// Waits until the channel's queue is empty and the simulator shows `expected` for each SKU.
async fn wait_figures(app: &TestApp, sim: &Sim, channel: i64, expected: &BTreeMap<String, i64>, what: &str) {
    eventually(90, what, || async move {
        let status = app.channel(channel).await["status"].clone();
        let stock = sim.stock().await;
        let wrong: Vec<String> = expected
            .iter()
            .filter(|(sku, q)| stock.get(*sku) != Some(q))
            .take(5)
            .map(|(sku, q)| format!("{sku}: want {q}, sim {:?}", stock.get(sku)))
            .collect();
        if wrong.is_empty() && status["queue_depth"] == 0 {
            Ok(())
        } else {
            Err(format!("{wrong:?}; status {status}"))
        }
    })
    .await
}

/// What Chorus says each SKU's channel figure should be (buffer 0): `available`, floored at 0.
async fn pushed_figures(app: &TestApp, skus: &[String]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for sku in skus {
        let inv = app.inventory(sku).await;
        out.insert(sku.clone(), inv["available"].as_i64().unwrap_or_default().max(0));
    }
    out
}

fn skus(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("SKU-{i:05}")).collect()
}

#[actix_web::test]
async fn an_order_on_one_channel_changes_the_figure_on_the_other() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(3);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 10, Default::default()).await;
        let sku = skus[0].clone();
        // Sold on Shopify: WooCommerce must come down to 7, and Shopify (which took its own
        // stock) agrees with Chorus without a stale compare.
        shopify.order(&[(&sku, 3)], true).await;
        app.sync_until(shop_id, "the Shopify order", |o| o.len() == 1).await;
        let want: BTreeMap<String, i64> = [(sku.clone(), 7)].into();
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 7")).await;
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify at 7")).await;
        // Sold on WooCommerce: Shopify follows.
        woo.order(&[(&sku, 2)], true).await;
        app.sync_until(woo_id, "the WooCommerce order", |o| o.len() == 1).await;
        let want: BTreeMap<String, i64> = [(sku.clone(), 5)].into();
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify at 5")).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 5")).await;
        let status = app.channel(shop_id).await["status"].clone();
        assert!(status["pushes_sent"].as_i64().unwrap_or(0) >= 1, "{status}");
        assert!(status["last_push_at"].is_string() && status["last_push_error"].is_null(), "{status}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_burst_of_changes_to_one_sku_goes_out_as_a_few_pushes_of_the_last_figure() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(1);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 5000, Default::default()).await;
        let want: BTreeMap<String, i64> = [(skus[0].clone(), 5000)].into();
        wait_figures(&app, &shopify, shop_id, &want, "first figure").await;
        let before = (shopify.stock_calls().await.len(), woo.stock_calls().await.len());
        let path = format!("/api/v1/inventory/{}/adjustments", skus[0]);
        let changes = (0..1000).map(|_| app.post(&path, json!({"source": "api", "delta": -1})));
        for r in join_all(changes).await {
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        }
        let want: BTreeMap<String, i64> = [(skus[0].clone(), 4000)].into();
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify at 4000")).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 4000")).await;
        let pushes = (shopify.stock_calls().await.len() - before.0, woo.stock_calls().await.len() - before.1);
        assert!(pushes.0 >= 1 && pushes.0 <= 50 && pushes.1 >= 1 && pushes.1 <= 50, "{backend:?}: {pushes:?}");
        let last = shopify.stock_calls().await.last().cloned().unwrap_or_default();
        assert_eq!(last["items"][0]["quantity"], 4000, "{last}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn five_thousand_skus_go_out_in_batches_within_each_api_limit() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(5000);
        // The cost throttle would make reading a 5,000-listing catalogue take minutes.
        let opts = chorus::sim::SimOptions { throttle: false, ..Default::default() };
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 0, opts).await;
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": 7})).collect();
        let r = app.put("/api/v1/inventory", json!({"items": items})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let want: BTreeMap<String, i64> = skus.iter().map(|s| (s.clone(), 7)).collect();
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify at 7")).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 7")).await;
        for (sim, limit, name) in [(&shopify, 250, "Shopify"), (&woo, 100, "WooCommerce")] {
            let calls = sim.stock_calls().await;
            let sizes: Vec<usize> = calls.iter().map(|c| c["items"].as_array().map_or(0, |a| a.len())).collect();
            assert!(sizes.iter().all(|n| *n <= limit), "{backend:?} {name}: {sizes:?}");
            let seven: usize = calls
                .iter()
                .flat_map(|c| c["items"].as_array().cloned().unwrap_or_default())
                .filter(|i| i["quantity"] == 7)
                .count();
            assert!(seven >= 5000, "{backend:?} {name}: {seven} figures of 7 sent");
            assert!(calls.len() >= 5000 / limit, "{backend:?} {name}: batched into {} calls", calls.len());
        }
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_channel_answering_429_is_paced_as_told_and_loses_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(20);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 3, Default::default()).await;
        wait_figures(&app, &woo, woo_id, &pushed_figures(&app, &skus).await, "first figures").await;
        for sim in [&shopify, &woo] {
            sim.call("POST", "/_sim/faults", Some(json!({"status": 429, "retry_after": "1", "count": 3}))).await;
        }
        let items: Vec<Value> = skus.iter().enumerate().map(|(i, s)| json!({"sku": s, "quantity": i + 40})).collect();
        let set = app.put("/api/v1/inventory", json!({"items": items})).await;
        assert_eq!(set.status.as_u16(), 200, "{backend:?}: {}", set.body);
        let want = pushed_figures(&app, &skus).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce after 429s")).await;
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify after 429s")).await;
        for sim in [&shopify, &woo] {
            let log = sim.call("GET", "/_sim/requests", None).await["recent"].as_array().cloned().unwrap_or_default();
            let throttled: Vec<usize> = (0..log.len()).filter(|i| log[*i]["fault_status"] == 429).collect();
            assert_eq!(throttled.len(), 3, "{backend:?}: {log:?}");
            for i in throttled {
                let next = log.get(i + 1).expect("a request after the 429");
                let gap = next["at_ms"].as_i64().unwrap() - log[i]["at_ms"].as_i64().unwrap();
                assert!(gap >= 950, "{backend:?}: asked to wait 1 s, came back after {gap} ms");
            }
        }
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_stale_compare_on_shopify_leads_to_an_import_and_a_corrected_push() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(2);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 10, Default::default()).await;
        let sku = skus[0].clone();
        wait_figures(&app, &shopify, shop_id, &[(sku.clone(), 10)].into(), "first figure").await;
        // A sale on Shopify that Chorus has not imported (no webhook, hourly poll)...
        shopify.order(&[(&sku, 2)], true).await;
        assert_eq!(app.orders(&format!("&channel_id={shop_id}")).await.len(), 0);
        // ...then the merchant adds stock: the push compares against 10, Shopify has 8.
        assert_eq!(app.set_stock(&sku, 30).await.status.as_u16(), 200);
        let want: BTreeMap<String, i64> = [(sku.clone(), 28)].into();
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify corrected to 28")).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 28")).await;
        let orders = app.orders(&format!("&channel_id={shop_id}")).await;
        assert_eq!(orders.len(), 1, "{backend:?}: the unseen sale was imported");
        // Nothing was ever set to 30 on Shopify: the stale push applied nothing.
        let calls = shopify.stock_calls().await;
        assert!(calls.iter().all(|c| c["items"][0]["quantity"] != 30), "{calls:?}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn after_a_storm_every_channel_shows_the_pushed_figure() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(8);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 20, Default::default()).await;
        let mut placed = [Vec::new(), Vec::new()];
        for round in 0..60usize {
            let sku = &skus[round % skus.len()];
            let other = &skus[(round * 7 + 3) % skus.len()];
            let side = round % 2;
            let sim = if side == 0 { &shopify } else { &woo };
            let (id, _) = sim.order(&[(sku, 1 + (round % 3) as i64), (other, 1)], true).await;
            placed[side].push(id);
            if round % 5 == 4 {
                // Cancel an earlier order on the same channel: it restocks there and in Chorus.
                let victim = placed[side][round / 10];
                sim.call("POST", &format!("/_sim/orders/{victim}/cancel"), None).await;
            }
            if round % 7 == 0 {
                app.set_stock(other, 10 + round as i64).await;
            }
            if round % 4 == 0 {
                app.sync(if side == 0 { shop_id } else { woo_id }).await;
            }
        }
        // Import everything (an order cancelled before Chorus saw it is never imported), then
        // the figures settle.
        for (sim, id) in [(&shopify, shop_id), (&woo, woo_id)] {
            let orders = sim.call("GET", "/_sim/orders", None).await.as_array().cloned().unwrap_or_default();
            let live = orders.iter().filter(|o| o["cancelled"] == false).count();
            app.sync_until(id, "every order", |o| o.iter().filter(|o| o["status"] != "cancelled").count() == live)
                .await;
        }
        for (sim, id) in [(&shopify, shop_id), (&woo, woo_id)] {
            let mut round = 0u32;
            let (app, skus) = (&app, &skus);
            eventually(180, "figures settle", || {
                round += 1;
                let sync_now = round % 20 == 1;
                async move {
                    // Poll the channel about once a second, not at every look: each poll spends
                    // Shopify's cost budget, which the pushes need too.
                    if sync_now {
                        app.sync(id).await;
                    }
                    let want = pushed_figures(app, skus).await;
                    let stock = sim.stock().await;
                    let depth = app.channel(id).await["status"]["queue_depth"].clone();
                    let all = want.iter().all(|(s, q)| stock.get(s) == Some(q));
                    if all && depth == 0 {
                        Ok(())
                    } else {
                        Err(format!("{backend:?} channel {id}: want {want:?}, sim {stock:?}, depth {depth}"))
                    }
                }
            })
            .await;
        }
        assert_allocation_invariant(&db).await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_hanging_channel_delays_only_its_own_pushes() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus = skus(2);
        let [(shopify, shop_id), (woo, woo_id)] = two_channels(&app, &skus, 6, Default::default()).await;
        wait_figures(&app, &woo, woo_id, &pushed_figures(&app, &skus).await, "first figures").await;
        // WooCommerce hangs for 5 s on every call; Shopify must not wait for it.
        woo.call("POST", "/_sim/faults", Some(json!({"delay_ms": 5000, "count": 20}))).await;
        assert_eq!(app.set_stock(&skus[0], 9).await.status.as_u16(), 200);
        let want: BTreeMap<String, i64> = [(skus[0].clone(), 9)].into();
        wait_figures(&app, &shopify, shop_id, &want, &format!("{backend:?}: Shopify at 9")).await;
        let woo_status = app.channel(woo_id).await["status"].clone();
        assert_eq!(woo_status["queue_depth"], 1, "{backend:?}: WooCommerce's push is still waiting: {woo_status}");
        assert_eq!(woo.stock().await.get(&skus[0]), Some(&6), "{backend:?}");
        // Once it answers again, its figure follows and nothing was lost.
        woo.call("DELETE", "/_sim/faults", None).await;
        wait_figures(&app, &woo, woo_id, &want, &format!("{backend:?}: WooCommerce at 9")).await;
        app.stop().await;
    }
}
