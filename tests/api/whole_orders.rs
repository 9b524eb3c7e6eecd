//! Whole orders: customer, addresses, money and shipping come in from the channel, read back
//! exactly, and reach the fulfilment centre and the subscribers in the published shape.

use serde_json::{json, Value};

use crate::helpers::*;

const SCHEMA: &str = include_str!("../../src/views/order.v1.schema.json");

/// Every error `instance` has against the published order schema.
fn schema_errors(instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// A store of `kind` (polled, no webhooks) selling `sku` and `sku-B` (10 each, in Chorus too),
/// its prices in `currency`, linked as a channel.
async fn store_selling(app: &TestApp, kind: &str, sku: &str, currency: &str) -> (Sim, i64) {
    let skus = [sku.to_string(), format!("{sku}-B")];
    for s in &skus {
        app.create_product(s).await;
        app.set_stock(s, 10).await;
    }
    let store = Sim::start(kind, None).await;
    store.call("PUT", "/_sim/settings", Some(json!({"currency": currency}))).await;
    store.call("PUT", "/_sim/stock", Some(json!({&skus[0]: 10, &skus[1]: 10}))).await;
    let channel = app.create_channel(kind, &store.url(), "s").await;
    (store, channel)
}

/// The channel's number for the store's first order: WooCommerce's is the order's id, Shopify's
/// starts at 1001.
fn first_number(kind: &str, placed: &Value) -> String {
    match kind {
        "shopify" => "1001".to_string(),
        _ => placed["id"].as_i64().expect("sim order id").to_string(),
    }
}

const KINDS: [&str; 2] = ["woocommerce", "shopify"];

/// A receiver subscribed to `orders.received` from every store.
async fn orders_receiver(app: &TestApp) -> Sim {
    let receiver = Sim::start("receiver", None).await;
    let r = app.post("/api/v1/webhooks", json!({"url": receiver.handle.url("/"), "events": ["orders.received"]})).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    receiver
}

/// A fulfilment centre taking every order, too slow to ship any within a test.
async fn slow_plugin(app: &TestApp) -> (i64, Sim) {
    let fc = Sim::start("plugin", None).await;
    let routing = json!({"name": "FC", "orders_url": fc.handle.url("/orders"), "routing": {"channels": "all"}});
    let p = app.post("/api/v1/plugins", routing).await;
    assert_eq!(p.status.as_u16(), 201, "{}", p.body);
    let config = json!({"chorus_url": app.address, "token": p.body["token"], "secret": p.body["secret"], "ship_delay_ms": 600_000});
    fc.call("PUT", "/_sim/config", Some(config)).await;
    (p.body["id"].as_i64().expect("plugin id"), fc)
}

/// A paid order with a customer, two addresses, a discount, tax and a shipping line.
fn whole_order(sku: &str) -> Value {
    json!({
        "lines": [
            {"sku": sku, "quantity": 2, "price_minor": 1250, "discount_minor": 250, "tax_minor": 450},
            {"sku": format!("{sku}-B"), "quantity": 1, "price_minor": 999, "tax_minor": 200}
        ],
        "paid": true,
        "customer": {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0000"},
        "billing_address": {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines Ltd",
                            "address1": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH",
                            "country_code": "GB", "phone": "+44 20 7946 0000"},
        "shipping_address": {"first_name": "Charles", "last_name": "Babbage", "address1": "1 Dorset Street",
                             "address2": "Flat 2", "city": "London", "province_code": "LND", "zip": "W1U 4EG",
                             "country_code": "GB", "phone": "+44 20 7946 0001"},
        "shipping_line": {"title": "Royal Mail Tracked 24", "code": "flat_rate", "price_minor": 495, "tax_minor": 99},
        "note": "Leave with the porter"
    })
}

/// What `whole_order` reads back as, in any currency with the same minor amounts.
fn assert_whole(o: &Value, currency: &str, what: &str) {
    assert_eq!(o["currency"], currency, "{what}: {o}");
    assert_eq!(
        o["customer"],
        json!({"name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0000"}),
        "{what}"
    );
    assert_eq!(
        o["billing_address"],
        json!({"name": "Ada Lovelace", "company": "Analytical Engines Ltd", "address1": "12 St James's Square",
               "address2": null, "city": "London", "province_code": null, "postal_code": "SW1Y 4JH",
               "country_code": "GB", "phone": "+44 20 7946 0000"}),
        "{what}"
    );
    assert_eq!(
        o["shipping_address"],
        json!({"name": "Charles Babbage", "company": null, "address1": "1 Dorset Street", "address2": "Flat 2",
               "city": "London", "province_code": "LND", "postal_code": "W1U 4EG", "country_code": "GB",
               "phone": "+44 20 7946 0001"}),
        "{what}"
    );
    assert_eq!(o["note"], "Leave with the porter", "{what}");
    assert_eq!(
        o["shipping_lines"],
        json!([{"title": "Royal Mail Tracked 24", "code": "flat_rate", "price_minor": 495, "tax_minor": 99}]),
        "{what}"
    );
    // 2 × 1250 + 999 before the 250 discount; tax 450 + 200 + 99; 3499 − 250 + 495 + 749.
    assert_eq!(
        o["totals"],
        json!({"subtotal_minor": 3499, "discounts_minor": 250, "shipping_minor": 495, "tax_minor": 749,
               "total_minor": 4493, "paid_minor": 4493}),
        "{what}"
    );
    let lines = o["lines"].as_array().expect("lines");
    let a = lines.iter().find(|l| l["quantity"] == 2).expect("the first line");
    assert_eq!(
        (&a["unit_price_minor"], &a["discount_minor"], &a["tax_minor"], &a["total_minor"]),
        (&json!(1250), &json!(250), &json!(450), &json!(2250)),
        "{what}: {a}"
    );
    assert!(a["title"].as_str().is_some_and(|t| !t.is_empty()), "{what}: {a}");
    let b = lines.iter().find(|l| l["quantity"] == 1).expect("the second line");
    assert_eq!(
        (&b["unit_price_minor"], &b["discount_minor"], &b["tax_minor"], &b["total_minor"]),
        (&json!(999), &json!(0), &json!(200), &json!(999)),
        "{what}: {b}"
    );
}

#[actix_web::test]
async fn a_woocommerce_order_is_imported_whole_and_reaches_the_plugin_and_subscribers_in_the_published_shape() {
    imported_whole_and_sent_in_the_published_shape("woocommerce").await;
}

#[actix_web::test]
async fn a_shopify_order_is_imported_whole_and_reaches_the_plugin_and_subscribers_in_the_published_shape() {
    imported_whole_and_sent_in_the_published_shape("shopify").await;
}

async fn imported_whole_and_sent_in_the_published_shape(kind: &str) {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let receiver = orders_receiver(&app).await;
        let (_, fc) = slow_plugin(&app).await;

        let (woo, channel) = store_selling(&app, kind, "WO-A", "GBP").await;
        let placed = woo.call("POST", "/_sim/orders", Some(whole_order("WO-A"))).await;
        let number = first_number(kind, &placed);
        let listed = app.sync_until(channel, "the order", |o| o.len() == 1).await;
        let id = listed[0]["id"].as_i64().unwrap();
        let order = app.get(&format!("/api/v1/orders/{id}")).await.body;
        let backend = format!("{kind}, {backend:?}");
        assert_whole(&order, "GBP", &format!("{backend:?}: read back"));
        assert_eq!(order["number"], number.as_str(), "{backend:?}");
        assert_eq!(order["version"], 1, "{backend:?}");
        assert_eq!(schema_errors(&order), Vec::<String>::new(), "{backend:?}: the API's order");
        // The check has teeth: money as a string is refused.
        let mut wrong = order.clone();
        wrong["totals"]["total_minor"] = json!("44.93");
        assert!(!schema_errors(&wrong).is_empty(), "{backend:?}: the schema took a string amount");
        // The published schema is served as well.
        let served = app.request("GET", "/schemas/order.v1.json", None, None).await;
        assert_eq!(served.body["$id"], "https://chorus.dev/schemas/order.v1.json", "{backend:?}");

        // Found by the customer's email (any case) and by the channel's number.
        for query in
            ["customer_email=ada%40example.com", "customer_email=ADA%40EXAMPLE.COM", &format!("number={number}")]
        {
            let found = app.get(&format!("/api/v1/orders?{query}")).await.body;
            assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{backend:?} {query}: {found}");
        }
        let none = app.get("/api/v1/orders?customer_email=someone%40else.org").await.body;
        assert_eq!(none["items"].as_array().map(Vec::len), Some(0), "{backend:?}: {none}");

        // The fulfilment centre gets it whole.
        let sent = eventually(30, "the plugin's order", || async {
            let got = fc.call("GET", "/_sim/orders", None).await;
            got.as_array().and_then(|a| a.first()).map(|o| o["order"].clone()).ok_or_else(|| got.to_string())
        })
        .await;
        assert_whole(&sent, "GBP", &format!("{backend:?}: at the plugin"));
        assert_eq!(schema_errors(&sent), Vec::<String>::new(), "{backend:?}: the plugin's order");
        // And so does the subscriber.
        let snapshot = eventually(30, "orders.received delivered", || async {
            let got = receiver.call("GET", "/_sim/received", None).await;
            got.as_array()
                .and_then(|a| a.iter().find(|x| x["type"] == "orders.received"))
                .map(|x| x["body"]["data"].clone())
                .ok_or_else(|| got.to_string())
        })
        .await;
        assert_whole(&snapshot, "GBP", &format!("{backend:?}: at the subscriber"));
        assert_eq!(schema_errors(&snapshot), Vec::<String>::new(), "{backend:?}: the snapshot");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_yen_order_reads_back_to_the_yen() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for (n, kind) in KINDS.into_iter().enumerate() {
            let sku = format!("JP-{n}");
            let (store, channel) = store_selling(&app, kind, &sku, "JPY").await;
            // The same minor amounts: in yen they are whole yen (1250 is ¥1,250, not ¥12.50).
            store.call("POST", "/_sim/orders", Some(whole_order(&sku))).await;
            let listed = app.sync_until(channel, "the order", |o| o.len() == 1).await;
            let order = app.get(&format!("/api/v1/orders/{}", listed[0]["id"])).await.body;
            assert_whole(&order, "JPY", &format!("{kind}, {backend:?}"));
            assert_eq!(schema_errors(&order), Vec::<String>::new(), "{kind}, {backend:?}");
        }
        app.stop().await;
    }
}

/// Rows, per table, in which any column holds `needle` (any case): every table of the
/// database, found from its catalogue, every column read as text.
fn tables_holding(db: &TestDb, needle: &str) -> Vec<String> {
    use diesel::sql_types::{BigInt, Text};
    use diesel::{Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let pattern = format!("%{}%", needle.to_lowercase().replace('\'', "''"));
    let mut found = Vec::new();
    if let Some(path) = db.url.strip_prefix("sqlite://") {
        let mut conn = diesel::SqliteConnection::establish(path).expect("open the SQLite file");
        let tables: Vec<Name> =
            diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(&mut conn).expect("tables");
        for t in tables {
            let columns: Vec<Name> = diesel::sql_query(format!("SELECT name FROM pragma_table_info('{}')", t.name))
                .load(&mut conn)
                .expect("columns");
            let any = columns
                .iter()
                .map(|c| format!("lower(CAST(\"{}\" AS TEXT)) LIKE '{pattern}'", c.name))
                .collect::<Vec<_>>()
                .join(" OR ");
            let q = format!("SELECT count(*) AS n FROM \"{}\" WHERE {any}", t.name);
            let hits: Vec<Count> = diesel::sql_query(q).load(&mut conn).expect("search");
            if hits.first().is_some_and(|c| c.n > 0) {
                found.push(t.name);
            }
        }
    } else {
        let mut conn = diesel::PgConnection::establish(&db.url).expect("connect");
        let tables: Vec<Name> = diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .load(&mut conn)
        .expect("tables");
        for t in tables {
            let q = format!("SELECT count(*) AS n FROM \"{0}\" r WHERE lower(r::text) LIKE '{pattern}'", t.name);
            let hits: Vec<Count> = diesel::sql_query(q).load(&mut conn).expect("search");
            if hits.first().is_some_and(|c| c.n > 0) {
                found.push(t.name);
            }
        }
    }
    found
}

#[actix_web::test]
async fn after_a_redaction_no_customer_field_is_left_in_the_database() {
    for (backend, kind) in backends().into_iter().flat_map(|b| KINDS.map(|k| (b, k))) {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let receiver = orders_receiver(&app).await;
        let (woo, channel) = store_selling(&app, kind, "RD-A", "GBP").await;
        let backend = format!("{kind}, {backend:?}");
        woo.call("POST", "/_sim/orders", Some(whole_order("RD-A"))).await;
        // A second order by someone else, which stays as it is.
        let mut other = whole_order("RD-A");
        other["customer"] = json!({"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example"});
        other["billing_address"] =
            json!({"first_name": "Grace", "address1": "1 Arlington Ridge", "country_code": "US"});
        other["shipping_address"] =
            json!({"first_name": "Grace", "address1": "1 Arlington Ridge", "country_code": "US"});
        other["note"] = json!("Ring twice");
        let grace_on_channel = woo.call("POST", "/_sim/orders", Some(other)).await["id"].clone();
        let listed = app.sync_until(channel, "both orders", |o| o.len() == 2).await;
        eventually(30, "both snapshots delivered", || async {
            let n = receiver.call("GET", "/_sim/received", None).await.as_array().map_or(0, Vec::len);
            if n >= 2 {
                Ok(())
            } else {
                Err(format!("{n} delivered"))
            }
        })
        .await;
        let needles = ["ada@example.com", "Dorset Street", "St James", "Leave with the porter", "Lovelace"];
        for needle in needles {
            assert!(!tables_holding(&db, needle).is_empty(), "{backend:?}: {needle} is stored before the redaction");
        }

        // By the customer's email, on the channel: Ada's order only.
        let r =
            app.post(&format!("/api/v1/channels/{channel}/redact"), json!({"customer_email": "ADA@example.com"})).await;
        assert_eq!((r.status.as_u16(), &r.body["redacted"]), (200, &json!(1)), "{backend:?}: {}", r.body);
        let ada = r.body["order_ids"][0].as_i64().unwrap();
        for needle in needles {
            let left = tables_holding(&db, needle);
            if !left.is_empty() {
                let all = app.get("/api/v1/orders").await.body;
                panic!("{backend:?}: {needle} is left in {left:?}: {all}");
            }
        }
        let order = app.get(&format!("/api/v1/orders/{ada}")).await.body;
        assert!(order["customer"].is_null() && order["shipping_address"].is_null(), "{backend:?}: {order}");
        assert!(order["redacted_at"].is_string(), "{backend:?}: {order}");
        assert_eq!(order["totals"]["total_minor"], 4493, "{backend:?}: the figures stay");
        assert!(order["history"].as_array().unwrap().iter().any(|h| h["kind"] == "redacted"), "{backend:?}: {order}");
        let grace = listed.iter().map(|o| o["id"].as_i64().unwrap()).find(|id| *id != ada).unwrap();
        let kept = app.get(&format!("/api/v1/orders/{grace}")).await.body;
        assert_eq!(kept["customer"]["email"], "grace@navy.example", "{backend:?}: {kept}");

        // One order by id; a re-import does not bring it back.
        let r = app.post(&format!("/api/v1/orders/{grace}/redact"), json!({})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        assert!(r.body["customer"].is_null(), "{backend:?}: {}", r.body);
        assert_eq!(tables_holding(&db, "Arlington"), Vec::<String>::new(), "{backend:?}");
        // The channel changes the order (shipped in its admin): the re-import keeps it blank.
        woo.call("POST", &format!("/_sim/orders/{grace_on_channel}/fulfil"), Some(json!({}))).await;
        let r = app.post(&format!("/api/v1/channels/{channel}/sync"), json!({})).await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.body);
        app.wait_for(&format!("/api/v1/orders/{grace}"), 30, |o| o["fulfillment_status"] == "fulfilled").await;
        assert_eq!(tables_holding(&db, "Arlington"), Vec::<String>::new(), "{backend:?}: re-imported");
        assert!(app.get(&format!("/api/v1/orders/{grace}")).await.body["customer"].is_null(), "{backend:?}");
        let r = app.post("/api/v1/orders/999999/redact", json!({})).await;
        assert_problem(&r, 404, "unknown_order");
        let r = app.post(&format!("/api/v1/channels/{channel}/redact"), json!({"customer_email": "nobody"})).await;
        assert_problem(&r, 422, "invalid_value");
        app.stop().await;
    }
}

#[actix_web::test]
async fn an_address_change_on_the_channel_reaches_the_plugin_as_a_signed_update() {
    for (backend, kind) in backends().into_iter().flat_map(|b| KINDS.map(|k| (b, k))) {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let (plugin_id, fc) = slow_plugin(&app).await;
        let (woo, channel) = store_selling(&app, kind, "UP-A", "GBP").await;
        let backend = format!("{kind}, {backend:?}");
        let placed = woo.call("POST", "/_sim/orders", Some(whole_order("UP-A"))).await;
        let sim_id = placed["id"].as_i64().unwrap();
        let id = app.sync_until(channel, "the order", |o| o.len() == 1).await[0]["id"].as_i64().unwrap();
        app.wait_for(&format!("/api/v1/orders/{id}"), 30, |o| o["status"] == "sent_to_plugin").await;

        // The merchant changes the address in the shop's admin; the next read brings it in.
        let moved = json!({"address1": "221B Baker Street", "address2": "", "zip": "NW1 6XE"});
        woo.call("POST", &format!("/_sim/orders/{sim_id}/ship_to"), Some(moved)).await;
        let r = app.post(&format!("/api/v1/channels/{channel}/sync"), json!({})).await;
        assert_eq!(r.status.as_u16(), 202);
        let read = app
            .wait_for(&format!("/api/v1/orders/{id}"), 30, |o| o["shipping_address"]["address1"] == "221B Baker Street")
            .await;
        assert!(read["shipping_address"]["address2"].is_null(), "{backend:?}: {read}");
        let got = eventually(30, "the update at the plugin", || async {
            let orders = fc.call("GET", "/_sim/orders", None).await;
            let o = orders.as_array().and_then(|a| a.first()).cloned().unwrap_or_default();
            if o["updates"].as_array().is_some_and(|u| !u.is_empty()) {
                Ok(o)
            } else {
                Err(orders.to_string())
            }
        })
        .await;
        let updates = got["updates"].as_array().unwrap();
        assert_eq!(updates.len(), 1, "{backend:?}: one change, one update: {got}");
        let webhook_id = updates[0][0].as_str().unwrap();
        assert!(webhook_id.starts_with(&format!("msg_plugin{plugin_id}_order{id}_update")), "{webhook_id}");
        assert_eq!(updates[0][1], true, "{backend:?}: taken before shipping");
        assert_eq!(got["order"]["shipping_address"]["address1"], "221B Baker Street", "{backend:?}: {got}");
        assert_eq!(got["order"]["shipping_address"]["postal_code"], "NW1 6XE", "{backend:?}");
        assert_eq!(got["deliveries"], 1, "{backend:?}: the order itself was sent once");
        assert_eq!(fc.call("GET", "/_sim/requests", None).await["refused_signatures"], 0, "{backend:?}: signed");
        assert_eq!(schema_errors(&got["order"]), Vec::<String>::new(), "{backend:?}");

        // A re-read with nothing new tells the plugin nothing more (waited for: a poll after it).
        let polled = app.channel(channel).await["status"]["last_poll_at"].clone();
        let r = app.post(&format!("/api/v1/channels/{channel}/sync"), json!({})).await;
        assert_eq!(r.status.as_u16(), 202);
        app.wait_for(&format!("/api/v1/channels/{channel}"), 30, |c| {
            c["status"]["last_poll_at"] != polled && c["status"]["last_error"].is_null()
        })
        .await;
        let orders = fc.call("GET", "/_sim/orders", None).await;
        assert_eq!(orders[0]["updates"].as_array().map(Vec::len), Some(1), "{backend:?}: {orders}");
        app.stop().await;
    }
}

/// A Shopify shop selling `sku` and `sku-B` (10 each, in Chorus too), its order webhooks sent
/// to the app's first channel, linked as that channel.
async fn shop_selling(app: &TestApp, sku: &str, customer_data: bool) -> (Sim, i64) {
    for s in [sku.to_string(), format!("{sku}-B")] {
        app.create_product(&s).await;
        app.set_stock(&s, 10).await;
    }
    let opts = chorus::sim::SimOptions {
        webhook_url: Some(format!("{}/hooks/channels/1", app.address)),
        webhook_secret: Some("hook-secret".into()),
        customer_data,
        ..Default::default()
    };
    let shop = Sim::start_with("shopify", opts).await;
    shop.call("PUT", "/_sim/stock", Some(json!({sku: 10, format!("{sku}-B"): 10}))).await;
    let channel = app.create_channel("shopify", &shop.url(), "hook-secret").await;
    assert_eq!(channel, 1);
    (shop, channel)
}

/// The parts of an order view that come from the channel (not Chorus's own ids and times).
fn channel_facts(o: &Value) -> Value {
    let mut lines: Vec<Value> = o["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            json!([
                l["sku"],
                l["quantity"],
                l["title"],
                l["unit_price_minor"],
                l["discount_minor"],
                l["tax_minor"],
                l["total_minor"],
                l["product_id"],
                l["variant_id"]
            ])
        })
        .collect();
    lines.sort_by_key(|l| l.to_string());
    json!({
        "number": o["number"], "name": o["name"], "currency": o["currency"], "customer": o["customer"],
        "billing_address": o["billing_address"], "shipping_address": o["shipping_address"], "note": o["note"],
        "tags": o["tags"], "totals": o["totals"], "shipping_lines": o["shipping_lines"], "paid_at": o["paid_at"],
        "lines": lines,
    })
}

#[actix_web::test]
async fn a_shopify_order_reads_the_same_whole_by_webhook_and_by_poll() {
    for backend in backends() {
        // One app hears the shop's webhooks; another, on its own database, only polls it.
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let (shop, channel) = shop_selling(&app, "SH-A", true).await;
        let polled_db = TestDb::new(backend);
        let polling = spawn_app(&polled_db).await;
        let polled_channel = polling.create_channel("shopify", &shop.url(), "other-secret").await;

        let mut body = whole_order("SH-A");
        body["tags"] = json!(["vip", "wholesale"]);
        shop.call("POST", "/_sim/orders", Some(body)).await;
        // The shop's first order: `#1001`, number 1001.
        let number = "1001";

        let heard = eventually(30, "the order by webhook", || async {
            let orders = app.orders(&format!("&channel_id={channel}")).await;
            orders.first().and_then(|o| o["id"].as_i64()).ok_or_else(|| format!("{orders:?}"))
        })
        .await;
        let by_webhook = app.get(&format!("/api/v1/orders/{heard}")).await.body;
        let listed = polling.sync_until(polled_channel, "the order by poll", |o| o.len() == 1).await;
        let by_poll = polling.get(&format!("/api/v1/orders/{}", listed[0]["id"])).await.body;

        for (what, o) in [("webhook", &by_webhook), ("poll", &by_poll)] {
            let what = format!("{backend:?}, by {what}");
            assert_whole(o, "GBP", &what);
            assert_eq!(o["number"], number, "{what}");
            assert_eq!(o["tags"], json!(["vip", "wholesale"]), "{what}");
            assert!(o["paid_at"].is_string(), "{what}: a paid order says when: {o}");
            assert!(o["lines"].as_array().into_iter().flatten().all(|l| l["variant_id"].is_string()), "{what}: {o}");
            assert_eq!(schema_errors(o), Vec::<String>::new(), "{what}");
        }
        assert_eq!(channel_facts(&by_webhook), channel_facts(&by_poll), "{backend:?}: the two paths differ");

        // A poll of the webhook-fed channel reads the same again: nothing to change.
        app.poll_once(channel).await;
        let again = app.get(&format!("/api/v1/orders/{heard}")).await.body;
        assert_eq!(channel_facts(&again), channel_facts(&by_webhook), "{backend:?}: a poll changed the order");
        polling.stop().await;
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_shop_withholding_customer_data_still_imports_orders_without_it() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let (shop, channel) = shop_selling(&app, "SH-P", false).await;
        let placed = shop.call("POST", "/_sim/orders", Some(whole_order("SH-P"))).await;
        let external = format!("gid://shopify/Order/{}", placed["id"]);
        // By webhook, then re-read by poll: neither path fails on what Shopify withholds.
        let listed =
            app.sync_until(channel, "the order", |o| o.iter().any(|x| x["external_id"] == external.as_str())).await;
        let o = app.get(&format!("/api/v1/orders/{}", listed[0]["id"])).await.body;
        let what = format!("{backend:?}");
        for field in ["customer", "billing_address", "shipping_address"] {
            assert!(o[field].is_null(), "{what}: {field} was withheld by the shop: {o}");
        }
        assert!(o["lines"].as_array().into_iter().flatten().all(|l| l["allocated"] == l["quantity"]), "{what}: {o}");
        assert_eq!(o["totals"]["total_minor"], 4493, "{what}: the money is not protected: {o}");
        assert_eq!(o["note"], "Leave with the porter", "{what}");
        assert_eq!(schema_errors(&o), Vec::<String>::new(), "{what}");
        let channel_view = app.poll_once(channel).await;
        assert!(channel_view["status"]["last_error"].is_null(), "{what}: {channel_view}");
        let again = app.get(&format!("/api/v1/orders/{}", listed[0]["id"])).await.body;
        assert_eq!(channel_facts(&again), channel_facts(&o), "{what}: the poll read it differently");
        app.stop().await;
    }
}

/// A page of new orders goes in with multi-row inserts, and their events are rendered from what
/// was written rather than read back: each order's `orders.received` snapshot is exactly what
/// `GET /api/v1/orders/{id}` reads — the order's id, each line's id and order, the plugin it
/// was routed to.
#[actix_web::test]
async fn each_new_order_of_a_page_is_announced_as_it_reads_back() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let receiver = orders_receiver(&app).await;
        // A fulfilment centre that never answers: the orders stay routed to it, unsent.
        let routing = json!({"name": "FC", "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": "all"}});
        let p = app.post("/api/v1/plugins", routing).await;
        assert_eq!(p.status.as_u16(), 201, "{}", p.body);
        for (n, kind) in KINDS.into_iter().enumerate() {
            let sku = format!("PAGE-{n}");
            let skus = [sku.clone(), format!("{sku}-B"), format!("{sku}-C")];
            for s in &skus {
                app.create_product(s).await;
                app.set_stock(s, 50).await;
            }
            let store = Sim::start(kind, None).await;
            store.call("PUT", "/_sim/stock", Some(json!({&skus[0]: 50, &skus[1]: 50, &skus[2]: 50}))).await;
            // Placed before the channel exists, so its first poll reads them in one page.
            for lines in 1..=3 {
                let lines: Vec<Value> = skus[..lines].iter().map(|s| json!({"sku": s, "quantity": lines})).collect();
                store.call("POST", "/_sim/orders", Some(json!({"lines": lines, "paid": true}))).await;
            }
            let channel = app.create_channel(kind, &store.url(), "s").await;
            let listed = app.sync_until(channel, "three orders", |o| o.len() == 3).await;
            for order in listed {
                let id = order["id"].as_i64().expect("order id");
                let mut read = app.get(&format!("/api/v1/orders/{id}")).await.body;
                let mut announced = eventually(30, "orders.received delivered", || async {
                    let got = receiver.call("GET", "/_sim/received", None).await;
                    got.as_array()
                        .and_then(|a| {
                            a.iter().find(|x| x["type"] == "orders.received" && x["body"]["data"]["id"] == json!(id))
                        })
                        .map(|x| x["body"]["data"].clone())
                        .ok_or_else(|| got.to_string())
                })
                .await;
                for view in [&mut read, &mut announced] {
                    if let Some(o) = view.as_object_mut() {
                        o.remove("history");
                        o.remove("fulfilments");
                    }
                }
                assert_eq!(announced, read, "{kind}, {backend:?}: order {id}");
                assert_eq!(read["plugin_id"], p.body["id"], "{kind}, {backend:?}: routed");
                assert!(read["lines"].as_array().is_some_and(|l| !l.is_empty()), "{kind}, {backend:?}: {read}");
            }
        }
        app.stop().await;
    }
}
