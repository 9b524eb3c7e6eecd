//! Stock truth through a merchant's real day, on both backends and both channel kinds: orders
//! shipped in the channel's own admin, unpaid orders the channel reserves, refunds with and
//! without restock, and lines out of bounds — each followed by the invariant check.

use serde_json::{json, Value};

use crate::helpers::*;

fn find<'a>(orders: &'a [Value], external: &str) -> Option<&'a Value> {
    orders.iter().find(|o| o["external_id"] == external)
}

fn status_of(orders: &[Value], external: &str) -> String {
    find(orders, external).and_then(|o| o["status"].as_str()).unwrap_or("missing").to_string()
}

/// The inventory figures of a SKU: (on_hand, allocated, available).
async fn figures(app: &TestApp, sku: &str) -> (i64, i64, i64) {
    let i = app.inventory(sku).await;
    (i["on_hand"].as_i64().unwrap_or(-1), i["allocated"].as_i64().unwrap_or(-1), i["available"].as_i64().unwrap_or(-1))
}

/// A fresh app on `backend` with these products in stock, and one `kind` shop listing them at
/// the same figures, connected as a channel with webhook secret `secret`.
async fn one_shop(backend: Backend, kind: &str, stock: &[(&str, i64)], secret: &str) -> (TestDb, TestApp, Sim, i64) {
    let db = TestDb::new(backend);
    let app = spawn_app(&db).await;
    for (sku, n) in stock {
        app.create_product(sku).await;
        app.set_stock(sku, *n).await;
    }
    let sim = Sim::start(kind, None).await;
    let listed: serde_json::Map<String, Value> = stock.iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
    sim.call("PUT", "/_sim/stock", Some(Value::Object(listed))).await;
    let id = app.create_channel(kind, &sim.url(), secret).await;
    (db, app, sim, id)
}

/// The end of every test: the API's check and the stored books both balance.
async fn books_balance(app: TestApp, db: &TestDb) {
    app.assert_books_balance().await;
    app.stop().await;
    assert_allocation_invariant(db).await;
}

/// Waits until the order, by external id, has `status` after syncing the channel.
async fn until_status(app: &TestApp, channel: i64, external: &str, status: &str) -> Value {
    let orders =
        app.sync_until(channel, &format!("order {external} {status}"), |o| status_of(o, external) == status).await;
    find(&orders, external).cloned().unwrap_or(Value::Null)
}

/// Waits until the channel's history shows `kind` for the order (a change that keeps its status).
async fn until_event(app: &TestApp, channel: i64, order_id: i64, kind: &str, times: usize) {
    for round in 0..300 {
        if round % 10 == 0 {
            app.sync(channel).await;
        }
        let order = app.get(&format!("/api/v1/orders/{order_id}")).await.body;
        let seen = order["history"].as_array().map_or(0, |h| h.iter().filter(|e| e["kind"] == kind).count());
        if seen >= times {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let order = app.get(&format!("/api/v1/orders/{order_id}")).await.body;
    panic!("order {order_id} never recorded {kind} ×{times}: {order:#}");
}

#[actix_web::test]
async fn orders_shipped_on_the_channel_take_on_hand_and_leave_available_still() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let (db, app, sim, id) = one_shop(backend, kind, &[("A", 10), ("B", 10)], "s").await;
            let (sim_id, ext) = sim.order(&[("A", 3), ("B", 2)], true).await;
            until_status(&app, id, &ext, "imported").await;
            assert_eq!(figures(&app, "A").await, (10, 3, 7), "{backend:?} {kind}");

            if kind == "shopify" {
                // A partial shipment in Shopify's admin: line by line.
                sim.call(
                    "POST",
                    &format!("/_sim/orders/{sim_id}/fulfil"),
                    Some(json!({"lines": [{"sku": "A", "quantity": 1}]})),
                )
                .await;
                let order_id = find(&app.orders("").await, &ext).map(|o| o["id"].as_i64().unwrap_or(0)).unwrap_or(0);
                until_event(&app, id, order_id, "shipped_on_channel", 1).await;
                assert_eq!(figures(&app, "A").await, (9, 2, 7), "{backend:?}: partial shipment");
                assert_eq!(figures(&app, "B").await, (10, 2, 8));
            }
            sim.call("POST", &format!("/_sim/orders/{sim_id}/fulfil"), None).await;
            let order = until_status(&app, id, &ext, "fulfilled_on_channel").await;
            assert_eq!(figures(&app, "A").await, (7, 0, 7), "{backend:?} {kind}: shipped on the channel");
            assert_eq!(figures(&app, "B").await, (8, 0, 8));
            let detail = app.get(&format!("/api/v1/orders/{}", order["id"])).await.body;
            let a = detail["lines"].as_array().and_then(|l| l.iter().find(|l| l["sku"] == "A")).cloned();
            assert_eq!(a.map(|l| l["shipped_on_channel"].clone()), Some(json!(3)), "{detail}");
            // A later absolute report from the source simply replaces it.
            app.set_stock("A", 5).await;
            assert_eq!(figures(&app, "A").await, (5, 0, 5));
            // The channel ends with Chorus's figure.
            let want = figures(&app, "B").await.2;
            eventually(60, "the channel's figure of B", || async {
                let s = sim.stock().await;
                if s.get("B") == Some(&want) {
                    Ok(())
                } else {
                    Err(format!("{s:?}"))
                }
            })
            .await;
            books_balance(app, &db).await;
        }
    }
}

#[actix_web::test]
async fn unpaid_orders_the_channel_reserves_allocate_then_import_once_or_release() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let (db, app, sim, id) = one_shop(backend, kind, &[("A", 10)], "s").await;
            // Shopify commits stock for every order; WooCommerce for `on-hold` (bank transfer).
            let mut body = json!({"lines": [{"sku": "A", "quantity": 2}], "paid": false});
            if kind == "woocommerce" {
                body["status"] = json!("on-hold");
            }
            let created = sim.call("POST", "/_sim/orders", Some(body.clone())).await;
            let sim_id = created["id"].as_i64().unwrap_or(0);
            let ext = created["gid"].as_str().map(str::to_string).unwrap_or_else(|| sim_id.to_string());
            until_status(&app, id, &ext, "awaiting_payment").await;
            assert_eq!(figures(&app, "A").await, (10, 2, 8), "{backend:?} {kind}: reserved at once");
            assert_eq!(app.channel(id).await["status"]["orders_imported"], 0, "not counted as imported");

            sim.call("POST", &format!("/_sim/orders/{sim_id}/pay"), None).await;
            until_status(&app, id, &ext, "imported").await;
            assert_eq!(figures(&app, "A").await, (10, 2, 8), "{backend:?} {kind}: no double count once paid");
            assert_eq!(app.channel(id).await["status"]["orders_imported"], 1);

            // Another unpaid one, voided: released.
            let created = sim.call("POST", "/_sim/orders", Some(body)).await;
            let sim_id = created["id"].as_i64().unwrap_or(0);
            let ext = created["gid"].as_str().map(str::to_string).unwrap_or_else(|| sim_id.to_string());
            until_status(&app, id, &ext, "awaiting_payment").await;
            assert_eq!(figures(&app, "A").await, (10, 4, 6));
            // The channel comes to show what is really left. (Seen once under CI load: Shopify
            // showing 8 with 6 left right after this import, noted on issue 12; so this waits.)
            eventually(60, "the channel showing what is left", || async {
                let left = sim.stock().await.get("A").copied().unwrap_or(0);
                if left <= 6 {
                    Ok(())
                } else {
                    Err(format!("{backend:?} {kind}: the channel shows {left} with 6 left"))
                }
            })
            .await;
            sim.call("POST", &format!("/_sim/orders/{sim_id}/void"), None).await;
            until_status(&app, id, &ext, "cancelled").await;
            assert_eq!(figures(&app, "A").await, (10, 2, 8), "{backend:?} {kind}: voided releases");

            if kind == "woocommerce" {
                // `pending` is not reserved by WooCommerce, so not by Chorus either.
                let (_, pending) = sim.order(&[("A", 1)], false).await;
                let (_, marker) = sim.order(&[("A", 1)], true).await;
                let orders = app.sync_until(id, "the marker", |o| status_of(o, &marker) == "imported").await;
                assert_eq!(status_of(&orders, &pending), "missing");
            }
            books_balance(app, &db).await;
        }
    }
}

#[actix_web::test]
async fn unpaid_reservation_can_be_turned_off() {
    let db = TestDb::new(backends()[0]);
    let app = spawn_app(&db).await;
    app.create_product("A").await;
    app.set_stock("A", 10).await;
    let sim = Sim::start("shopify", None).await;
    sim.call("PUT", "/_sim/stock", Some(json!({"A": 10}))).await;
    let r = app
        .post(
            "/api/v1/channels",
            json!({"name": "no reservation", "kind": "shopify", "base_url": sim.url(),
                   "credentials": {"access_token": "shpat_test"}, "import": {"reserve_unpaid": false}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["import"]["reserve_unpaid"], false);
    let id = r.body["id"].as_i64().unwrap_or(0);
    let (_, unpaid) = sim.order(&[("A", 2)], false).await;
    let (_, marker) = sim.order(&[("A", 1)], true).await;
    let orders = app.sync_until(id, "the marker", |o| status_of(o, &marker) == "imported").await;
    assert_eq!(status_of(&orders, &unpaid), "missing");
    assert_eq!(figures(&app, "A").await, (10, 1, 9));
    let bad = app.patch(&format!("/api/v1/channels/{id}"), json!({"ships_from": "warehouse"})).await;
    assert_problem(&bad, 422, "invalid_value");
    app.stop().await;
}

#[actix_web::test]
async fn refunds_follow_the_channels_restock_decision() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let (db, app, sim, id) = one_shop(backend, kind, &[("A", 10), ("M", 100)], "s").await;

            // Shipped, then one unit returned and restocked: it comes back to on_hand.
            let (sim_id, ext) = sim.order(&[("A", 3)], true).await;
            until_status(&app, id, &ext, "imported").await;
            sim.call("POST", &format!("/_sim/orders/{sim_id}/fulfil"), None).await;
            let order = until_status(&app, id, &ext, "fulfilled_on_channel").await;
            let order_id = order["id"].as_i64().unwrap_or(0);
            assert_eq!(figures(&app, "A").await, (7, 0, 7), "{backend:?} {kind}");
            let one = json!({"lines": [{"sku": "A", "quantity": 1}], "restock": true});
            sim.call("POST", &format!("/_sim/orders/{sim_id}/refund"), Some(one)).await;
            until_event(&app, id, order_id, "returned", 1).await;
            assert_eq!(figures(&app, "A").await, (8, 0, 8), "{backend:?} {kind}: a return puts it back");
            // Refunded without restock: nothing moves.
            let kept = json!({"lines": [{"sku": "A", "quantity": 1}], "restock": false});
            sim.call("POST", &format!("/_sim/orders/{sim_id}/refund"), Some(kept)).await;
            // A later order is the barrier: once it is in, the refund has been read too.
            let (_, marker) = sim.order(&[("M", 1)], true).await;
            until_status(&app, id, &marker, "imported").await;
            assert_eq!(figures(&app, "A").await, (8, 0, 8), "{backend:?} {kind}: no restock, no change");

            // Refunded before shipping with restock: the allocation is released.
            let (sim_id, ext) = sim.order(&[("A", 2)], true).await;
            let order = until_status(&app, id, &ext, "imported").await;
            let order_id = order["id"].as_i64().unwrap_or(0);
            assert_eq!(figures(&app, "A").await, (8, 2, 6));
            let one = json!({"lines": [{"sku": "A", "quantity": 1}], "restock": true});
            sim.call("POST", &format!("/_sim/orders/{sim_id}/refund"), Some(one)).await;
            until_event(&app, id, order_id, "updated", 1).await;
            assert_eq!(figures(&app, "A").await, (8, 1, 7), "{backend:?} {kind}: unshipped refund releases");
            if kind == "shopify" {
                // Cancelled without restock: the unit stays out of stock on both sides.
                sim.call("POST", &format!("/_sim/orders/{sim_id}/cancel"), Some(json!({"restock": false}))).await;
                until_status(&app, id, &ext, "cancelled").await;
                assert_eq!(figures(&app, "A").await, (7, 0, 7), "{backend:?}: cancelled without restock");
            }
            books_balance(app, &db).await;
        }
    }
}

#[actix_web::test]
async fn a_signed_line_of_i64_max_holds_the_order_and_moves_nothing() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let (db, app, _sim, id) = one_shop(backend, kind, &[("A", 10)], "hook-secret").await;
            let (sig, topic_header, topic, body) = match kind {
                "shopify" => (
                    "X-Shopify-Hmac-Sha256",
                    "X-Shopify-Topic",
                    "orders/create",
                    json!({"id": 77, "name": "#77", "financial_status": "paid", "cancelled_at": null,
                           "created_at": "2099-01-01T00:00:00+00:00", "updated_at": "2099-01-01T00:00:00+00:00",
                           "line_items": [{"id": 1, "sku": "A", "quantity": i64::MAX, "current_quantity": i64::MAX,
                                           "fulfillable_quantity": i64::MAX}]}),
                ),
                _ => (
                    "X-WC-Webhook-Signature",
                    "X-WC-Webhook-Topic",
                    "order.created",
                    json!({"id": 77, "number": "77", "status": "processing",
                           "date_created_gmt": "2099-01-01T00:00:00", "date_modified_gmt": "2099-01-01T00:00:00",
                           "line_items": [{"id": 1, "sku": "A", "quantity": i64::MAX}]}),
                ),
            };
            let client = awc::Client::default();
            for n in 0..2 {
                let bytes = body.to_string().into_bytes();
                let signature = chorus::domain::signature::sign(b"hook-secret", &bytes);
                let resp = client
                    .post(format!("{}/hooks/channels/{id}", app.address))
                    .insert_header((sig, signature))
                    .insert_header((topic_header, topic))
                    .insert_header(("X-Shopify-Webhook-Id", format!("w{n}")))
                    .insert_header(("X-WC-Webhook-Delivery-ID", format!("d{n}")))
                    .send_body(bytes)
                    .await
                    .expect("hook answers");
                assert_eq!(resp.status().as_u16(), 200, "{backend:?} {kind}");
            }
            let orders = app.orders("").await;
            assert_eq!(orders.len(), 1, "{backend:?} {kind}: {orders:?}");
            assert_eq!(orders[0]["status"], "on_hold");
            assert_eq!(orders[0]["hold_reason"], "invalid_quantity");
            assert_eq!(figures(&app, "A").await, (10, 0, 10), "{backend:?} {kind}: no figure moved");
            // An API quantity out of bounds is a 422 naming the field.
            let r = app.put("/api/v1/inventory/A/sources/api", json!({"quantity": 1_000_000_001i64})).await;
            assert_problem(&r, 422, "invalid_value");
            books_balance(app, &db).await;
        }
    }
}

#[actix_web::test]
async fn chorus_check_reports_a_broken_figure_and_exits_non_zero() {
    use diesel::prelude::*;
    let db = TestDb::new(backends()[0]);
    let app = spawn_app(&db).await;
    app.create_product("A").await;
    app.set_stock("A", 10).await;
    app.stop().await;
    let run = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chorus"));
        cmd.arg("check");
        cmd.env("CHORUS__DATABASE__URL", &db.url);
        cmd.output().expect("chorus check runs")
    };
    let healthy = run();
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));
    assert!(String::from_utf8_lossy(&healthy.stdout).contains("no violation"));
    // Break the books behind Chorus's back: the check names the SKU.
    let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
    chorus::db::run(&pool, |conn| {
        use chorus::db::schema::stock_levels::dsl::*;
        Ok(diesel::update(stock_levels.filter(sku.eq("A"))).set(allocated.eq(3i64)).execute(conn)?)
    })
    .await
    .expect("update");
    let broken = run();
    assert!(!broken.status.success());
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(out.contains("\"check\":\"allocated\"") && out.contains("\"sku\":\"A\""), "{out}");
}

#[actix_web::test]
async fn a_deleted_product_is_pushed_a_zero_and_a_channel_with_open_orders_stays() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for sku in ["A", "B"] {
            app.create_product(sku).await;
            app.set_stock(sku, 5).await;
        }
        let sim = Sim::start("woocommerce", None).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"A": 5, "B": 5}))).await;
        let id = app.create_channel("woocommerce", &sim.url(), "s").await;
        let (_, ext) = sim.order(&[("B", 1)], true).await;
        until_status(&app, id, &ext, "imported").await;
        // B is held by an open order: neither it nor its channel can go.
        assert_problem(&app.delete("/api/v1/products/B").await, 409, "sku_allocated");
        assert_problem(&app.delete(&format!("/api/v1/channels/{id}")).await, 409, "channel_has_open_orders");
        // A goes, and the channel stops selling it.
        app.set_stock("A", 4).await;
        eventually(60, "A at 4 on the channel", || async {
            let s = sim.stock().await;
            if s.get("A") == Some(&4) {
                Ok(())
            } else {
                Err(format!("{s:?}"))
            }
        })
        .await;
        assert_eq!(app.delete("/api/v1/products/A").await.status, 204, "{backend:?}");
        eventually(60, "A at 0 on the channel", || async {
            let s = sim.stock().await;
            if s.get("A") == Some(&0) {
                Ok(())
            } else {
                Err(format!("{s:?}"))
            }
        })
        .await;
        let unlinked = app.get(&format!("/api/v1/channels/{id}/products?linked=false")).await.body;
        assert!(unlinked.to_string().contains("\"A\""), "{backend:?}: the listing stays known: {unlinked}");
        books_balance(app, &db).await;
    }
}

/// Both sides' orders, for a storm whose figures disagree.
async fn diagnose(app: &TestApp, sims: &[(&str, Sim, i64)]) -> String {
    let mut out = String::new();
    for (kind, sim, _) in sims {
        for o in sim.call("GET", "/_sim/orders", None).await.as_array().cloned().unwrap_or_default() {
            out.push_str(&format!(
                "\n{kind} sim {} paid={} cancelled={} lines={}",
                o["id"], o["paid"], o["cancelled"], o["lines"]
            ));
        }
    }
    for o in app.orders("").await {
        let d = app.get(&format!("/api/v1/orders/{}", o["id"])).await.body;
        out.push_str(&format!(
            "\nchorus {} {} {} lines={}",
            d["channel_id"], d["external_id"], d["status"], d["lines"]
        ));
    }
    out
}

/// A tester call that may be refused (a random action on an order in the wrong state): the
/// status, without asserting.
async fn try_call(client: &awc::Client, sim: &Sim, path: &str, body: Value) -> u16 {
    match client.post(format!("{}{}", sim.url(), path)).send_json(&body).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

#[actix_web::test]
async fn a_randomized_storm_of_a_merchants_day_leaves_every_figure_explainable() {
    use rand::{Rng, SeedableRng};
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus: Vec<String> = (1..=6).map(|i| format!("S{i}")).collect();
        let start = 40i64;
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": start})).collect();
        let r = app.put("/api/v1/inventory", json!({"items": items, "create_missing": true})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let listed: serde_json::Map<String, Value> = skus.iter().map(|s| (s.clone(), json!(start))).collect();
        let mut sims = Vec::new();
        for kind in ["shopify", "woocommerce"] {
            let sim = Sim::start(kind, None).await;
            sim.call("PUT", "/_sim/stock", Some(Value::Object(listed.clone()))).await;
            let id = app.create_channel(kind, &sim.url(), "s").await;
            sims.push((kind, sim, id));
        }
        let client = awc::Client::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let mut placed: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
        for round in 0..120usize {
            let side = rng.gen_range(0..2usize);
            let (kind, sim, id) = (&sims[side].0, &sims[side].1, sims[side].2);
            let sku = &skus[rng.gen_range(0..skus.len())];
            let pick = |rng: &mut rand::rngs::StdRng, placed: &Vec<i64>| {
                placed.get(rng.gen_range(0..placed.len().max(1))).copied()
            };
            match rng.gen_range(0..10) {
                0..=3 => {
                    let (o, _) = sim.order(&[(sku, rng.gen_range(1..4))], true).await;
                    placed[side].push(o);
                }
                4 => {
                    let mut body = json!({"lines": [{"sku": sku, "quantity": rng.gen_range(1..3)}], "paid": false});
                    if *kind == "woocommerce" {
                        body["status"] = json!("on-hold");
                    }
                    let o = sim.call("POST", "/_sim/orders", Some(body)).await["id"].as_i64().unwrap_or(0);
                    placed[side].push(o);
                }
                5 => {
                    if let Some(o) = pick(&mut rng, &placed[side]) {
                        let action = if rng.gen_bool(0.7) { "pay" } else { "void" };
                        try_call(&client, sim, &format!("/_sim/orders/{o}/{action}"), json!({})).await;
                    }
                }
                6 | 7 => {
                    if let Some(o) = pick(&mut rng, &placed[side]) {
                        try_call(&client, sim, &format!("/_sim/orders/{o}/fulfil"), json!({})).await;
                    }
                }
                8 => {
                    if let Some(o) = pick(&mut rng, &placed[side]) {
                        let body = json!({"restock": rng.gen_bool(0.5)});
                        try_call(&client, sim, &format!("/_sim/orders/{o}/refund"), body).await;
                    }
                }
                _ => {
                    if let Some(o) = pick(&mut rng, &placed[side]) {
                        let body = json!({"restock": rng.gen_bool(0.5)});
                        try_call(&client, sim, &format!("/_sim/orders/{o}/cancel"), body).await;
                    }
                }
            }
            if round % 6 == 0 {
                app.sync(id).await;
            }
        }
        // What the shops say happened: units gone for good, and units they hold for open orders.
        let mut gone: std::collections::BTreeMap<String, i64> = Default::default();
        let mut held: std::collections::BTreeMap<String, i64> = Default::default();
        for (_, sim, _) in &sims {
            for o in sim.call("GET", "/_sim/orders", None).await.as_array().cloned().unwrap_or_default() {
                for l in o["lines"].as_array().cloned().unwrap_or_default() {
                    let sku = l["sku"].as_str().unwrap_or_default().to_string();
                    *gone.entry(sku.clone()).or_default() += l["gone"].as_i64().unwrap_or(0);
                    *held.entry(sku).or_default() += l["held"].as_i64().unwrap_or(0);
                }
            }
        }
        // WooCommerce shows no per-line refunded quantity on the order, so an unrestocked refund
        // of unshipped units may sit in Chorus as allocated rather than gone until the order
        // ships: the split may differ there, `available` may not.
        let want: std::collections::BTreeMap<String, i64> = skus
            .iter()
            .map(|s| (s.clone(), start - gone.get(s).copied().unwrap_or(0) - held.get(s).copied().unwrap_or(0)))
            .collect();
        let mut round = 0u32;
        let app_owned = app;
        let (app, sims_ref, want_ref) = (&app_owned, &sims, &want);
        let settled = async {
            for _ in 0..1200 {
                let mut seen = std::collections::BTreeMap::new();
                for sku in want_ref.keys() {
                    seen.insert(sku.clone(), figures(app, sku).await.2);
                }
                if &seen == want_ref {
                    return true;
                }
                if round % 20 == 0 {
                    for (_, _, id) in sims_ref {
                        app.sync(*id).await;
                    }
                }
                round += 1;
                actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            false
        }
        .await;
        if !settled {
            std::fs::write(std::env::temp_dir().join("chorus_storm_diagnosis.txt"), diagnose(app, sims_ref).await).ok();
        }
        eventually(180, "Chorus's figures explain the shops' day, and every shop shows them", || {
            round += 1;
            let sync_now = round % 20 == 1;
            async move {
                if sync_now {
                    for (_, _, id) in sims_ref {
                        app.sync(*id).await;
                    }
                }
                let mut seen = std::collections::BTreeMap::new();
                for sku in want_ref.keys() {
                    seen.insert(sku.clone(), figures(app, sku).await.2);
                }
                if &seen != want_ref {
                    return Err(format!("{backend:?}: want available {want_ref:?}, Chorus {seen:?}"));
                }
                for (kind, sim, id) in sims_ref {
                    let stock = sim.stock().await;
                    let depth = app.channel(*id).await["status"]["queue_depth"].clone();
                    for (sku, available) in want_ref {
                        if stock.get(sku) != Some(&(*available).max(0)) || depth != 0 {
                            return Err(format!(
                                "{backend:?} {kind}: shop {stock:?}, depth {depth}, want {want_ref:?}"
                            ));
                        }
                    }
                }
                Ok(())
            }
        })
        .await;
        books_balance(app_owned, &db).await;
    }
}

#[actix_web::test]
async fn two_thousand_alternating_orders_each_reach_the_other_channel() {
    for backend in backends() {
        let db = TestDb::new(backend);
        // The propagation benchmark's loop: each sale's figure must arrive at the other shop
        // (it fails naming the order whose figure never did).
        let by_direction = chorus::bench::propagation(&db.url, 2_000, false).await.expect("every figure arrives");
        assert_eq!(by_direction[0].len() + by_direction[1].len(), 2_000, "{backend:?}");
    }
}
