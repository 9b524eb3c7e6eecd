//! Real WooCommerce stores: variable products (stock lives on their variations), stores on
//! http (OAuth 1.0a) and https (Basic, or keys in the query string), a redirect to https, and
//! the store's own weight and dimension units.

use serde_json::{json, Value};

use crate::helpers::*;

async fn create_woo(app: &TestApp, url: &str, options: Value) -> i64 {
    let r = app
        .post(
            "/api/v1/channels",
            json!({"name": "woo", "kind": "woocommerce", "base_url": url, "poll_interval_secs": 3600,
                   "credentials": {"consumer_key": "ck_test", "consumer_secret": "cs_test"}, "options": options}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "create channel: {}", r.body);
    r.body["id"].as_i64().expect("channel id")
}

fn keyed(tls: bool) -> chorus::sim::SimOptions {
    chorus::sim::SimOptions { key: Some("ck_test".into()), secret: Some("cs_test".into()), tls, ..Default::default() }
}

async fn linked(app: &TestApp, channel: i64, n: usize) {
    eventually(120, "listings linked", || async move {
        let listed = app.get(&format!("/api/v1/channels/{channel}/products?linked=true&limit=1000")).await.body;
        let count = listed["items"].as_array().map_or(0, |a| a.len());
        if count >= n {
            Ok(())
        } else {
            Err(format!("{count} linked; {}", app.channel(channel).await["status"]))
        }
    })
    .await
}

#[actix_web::test]
async fn a_variable_products_variations_are_linked_pushed_in_batches_and_sold() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        // 150 sizes of one shirt: more than one batch (WooCommerce takes at most 100).
        let skus: Vec<String> = (1..=150).map(|n| format!("TEE-{n}")).collect();
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": 5})).collect();
        let r = app.put("/api/v1/inventory", json!({"items": items, "create_missing": true})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let sim = Sim::start_with("woocommerce", keyed(false)).await;
        let variations: serde_json::Map<String, Value> = skus.iter().map(|s| (s.clone(), json!(5))).collect();
        let made = sim.call("PUT", "/_sim/variable_products", Some(json!({"TEE": {"variations": variations}}))).await;
        let parent = made["TEE"]["id"].as_i64().expect("parent id");
        let channel = create_woo(&app, &sim.url(), json!({})).await;
        linked(&app, channel, 150).await;
        let data = app.get(&format!("/api/v1/channels/{channel}/products/TEE-7")).await.body;
        assert_eq!(data["listing_id"], parent.to_string(), "{backend:?}: {data}");
        assert_eq!(data["variant_id"], made["TEE"]["variations"]["TEE-7"].as_i64().expect("id").to_string());

        // Every figure changes: the pushes go through the variations batch, ≤ 100 a call.
        let before = sim.stock_calls().await.len();
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": 4})).collect();
        app.put("/api/v1/inventory", json!({"items": items})).await;
        eventually(60, "variations at 4", || async {
            let stock = sim.stock().await;
            let wrong = skus.iter().filter(|s| stock.get(*s) != Some(&4)).count();
            if wrong == 0 {
                Ok(())
            } else {
                Err(format!("{wrong} not yet; {}", app.channel(channel).await["status"]))
            }
        })
        .await;
        let calls = sim.stock_calls().await;
        let sizes: Vec<usize> = calls[before..].iter().map(|c| c["items"].as_array().map_or(0, |a| a.len())).collect();
        assert!(sizes.len() >= 2 && sizes.iter().all(|n| *n <= 100), "{backend:?}: batches {sizes:?}");

        // A sale of one size imports against that size.
        sim.order(&[("TEE-7", 2)], true).await;
        let orders = app.sync_until(channel, "the variation's order", |o| o.len() == 1).await;
        assert_eq!(orders[0]["status"], "imported", "{backend:?}: {}", orders[0]);
        assert_eq!(app.inventory("TEE-7").await["available"], 2);
        // The imported line carries the variation sold and its parent product.
        let order = app.get(&format!("/api/v1/orders/{}", orders[0]["id"])).await.body;
        let line = &order["lines"][0];
        assert_eq!(line["variant_id"], made["TEE"]["variations"]["TEE-7"].as_i64().expect("id").to_string(), "{order}");
        assert_eq!(line["product_id"], parent.to_string(), "{order}");
        let sim_orders = sim.call("GET", "/_sim/orders", None).await;
        assert_eq!(sim_orders[0]["lines"][0]["sku"], "TEE-7");
        app.assert_books_balance().await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn stores_on_http_and_https_are_each_reached_as_they_require() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    app.create_product("SKU-1").await;
    app.set_stock("SKU-1", 10).await;
    // http: OAuth 1.0a (the store ignores Basic there); https: Basic, and the query-string
    // fallback for servers that strip the Authorization header.
    let mut channels = Vec::new();
    for (tls, options) in [(false, json!({})), (true, json!({})), (true, json!({"query_string_auth": true}))] {
        let sim = Sim::start_with("woocommerce", keyed(tls)).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10}))).await;
        let channel = create_woo(&app, &sim.url(), options).await;
        channels.push((sim, channel));
    }
    for (sim, channel) in &channels {
        linked(&app, *channel, 1).await;
        sim.order(&[("SKU-1", 1)], true).await;
        app.sync_until(*channel, "the order", |o| o.len() == 1).await;
    }
    // Three sales: every store shows 7.
    for (sim, channel) in &channels {
        eventually(60, "the figure on each store", || async {
            let (stock, status) = (sim.stock().await, app.channel(*channel).await["status"].clone());
            if stock.get("SKU-1") == Some(&7) && status["last_error"].is_null() {
                Ok(())
            } else {
                Err(format!("{stock:?}; {status}"))
            }
        })
        .await;
    }
    app.assert_books_balance().await;
    app.stop().await;
}

/// An http listener that answers every request with a redirect to `to` + the request's path.
async fn redirector(to: String) -> (String, actix_web::dev::ServerHandle) {
    let server = actix_web::HttpServer::new(move || {
        let to = to.clone();
        actix_web::App::new().default_service(actix_web::web::to(move |req: actix_web::HttpRequest| {
            let location = format!("{to}{}", req.uri().path_and_query().map_or("", |p| p.as_str()));
            async move { actix_web::HttpResponse::MovedPermanently().insert_header(("Location", location)).finish() }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .expect("bind");
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://127.0.0.1:{port}"), handle)
}

#[actix_web::test]
async fn a_redirect_to_https_on_the_same_host_is_followed_and_another_host_is_an_error() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    app.create_product("SKU-1").await;
    app.set_stock("SKU-1", 3).await;
    let sim = Sim::start_with("woocommerce", keyed(true)).await;
    sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 9}))).await;
    let (upgrade, up) = redirector(sim.url()).await;
    let channel = create_woo(&app, &upgrade, json!({})).await;
    eventually(60, "the pushed figure through the redirect", || async {
        let stock = sim.stock().await;
        if stock.get("SKU-1") == Some(&3) {
            Ok(())
        } else {
            Err(format!("{stock:?}; {}", app.channel(channel).await["status"]))
        }
    })
    .await;
    // To another host (localhost is not 127.0.0.1): refused, and the status says why.
    let (elsewhere, away) = redirector(sim.url().replace("127.0.0.1", "localhost")).await;
    let other = create_woo(&app, &elsewhere, json!({})).await;
    app.sync(other).await;
    let status = app
        .wait_for(&format!("/api/v1/channels/{other}"), 60, |c| {
            c["status"]["last_error"].as_str().is_some_and(|e| e.contains("same host"))
        })
        .await;
    assert!(!status.to_string().contains("cs_test"), "no secret in the status: {status}");
    up.stop(true).await;
    away.stop(true).await;
    app.stop().await;
}

#[actix_web::test]
async fn a_store_in_pounds_and_inches_comes_out_in_grams_and_millimetres() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    app.create_product("SKU-1").await;
    let sim = Sim::start("woocommerce", None).await;
    sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 1}))).await;
    sim.call("PUT", "/_sim/settings", Some(json!({"weight_unit": "lbs", "dimension_unit": "in"}))).await;
    let channel = app.create_channel("woocommerce", &sim.url(), "s").await;
    linked(&app, channel, 1).await;
    let data = app.get(&format!("/api/v1/channels/{channel}/products/SKU-1")).await.body;
    // The simulated item is 0.25 kg and 30 × 20 × 2 cm, shown by the store as 0.5512 lbs
    // and 11.811 × 7.874 × 0.7874 in.
    assert_eq!(data["weight_grams"], 250, "{data}");
    assert_eq!(data["dimensions_mm"], json!({"length": 300, "width": 200, "height": 20}), "{data}");
    app.stop().await;
}

#[actix_web::test]
async fn prices_come_out_in_each_currencys_minor_unit() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    app.create_product("SKU-1").await;
    // The simulated item costs 600 minor units: ¥600, 0.600 KWD.
    for (currency, shown) in [("JPY", "600"), ("KWD", "0.600")] {
        let sim = Sim::start("woocommerce", None).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 1}))).await;
        sim.call("PUT", "/_sim/settings", Some(json!({"currency": currency}))).await;
        let listed = sim.call("GET", "/wp-json/wc/v3/products", None).await;
        assert_eq!(listed[0]["price"], shown, "{listed}");
        let channel = app.create_channel("woocommerce", &sim.url(), "s").await;
        linked(&app, channel, 1).await;
        let data = app.get(&format!("/api/v1/channels/{channel}/products/SKU-1")).await.body;
        assert_eq!(data["price"], json!({"amount_minor": 600, "currency": currency}), "{data}");
    }
    app.stop().await;
}
