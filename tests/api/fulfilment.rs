//! Fulfilment: created through the API, the stock moves in one transaction (on-hand and
//! allocation fall together, so no channel figure moves), and the fulfilment reaches the
//! channel the order came from, once, ending Synced.

use serde_json::{json, Value};

use crate::helpers::*;

/// An app, a channel of `kind` with SKU-1 and SKU-2 at 10, and one imported order for
/// SKU-1 ×2 and SKU-2 ×1. Returns the Chorus order id.
async fn imported_order(app: &TestApp, sim: &Sim, kind: &str) -> (i64, i64) {
    for sku in ["SKU-1", "SKU-2"] {
        app.create_product(sku).await;
        app.set_stock(sku, 10).await;
    }
    sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10, "SKU-2": 10}))).await;
    let channel = app.create_channel(kind, &sim.url(), "s").await;
    sim.order(&[("SKU-1", 2), ("SKU-2", 1)], true).await;
    let orders = app.sync_until(channel, "the order", |o| o.len() == 1).await;
    (channel, orders[0]["id"].as_i64().expect("order id"))
}

async fn fulfil(app: &TestApp, order: i64, body: Value) -> Reply {
    app.post(&format!("/api/v1/orders/{order}/fulfilments"), body).await
}

async fn wait_status(app: &TestApp, order: i64, want: &str) -> Value {
    app.wait_for(&format!("/api/v1/orders/{order}"), 30, |o| o["status"] == want).await
}

/// What the channel holds for fulfilments: Shopify fulfillments or WooCommerce notes.
async fn on_channel(sim: &Sim) -> Vec<Value> {
    sim.call("GET", "/_sim/fulfilments", None).await.as_array().cloned().unwrap_or_default()
}

/// Waits until the channel has nothing queued (its first stock pushes went out).
async fn wait_queue_empty(app: &TestApp, channel: i64) {
    eventually(30, "queue empty", || async {
        let depth = app.channel(channel).await["status"]["queue_depth"].clone();
        if depth == 0 {
            Ok(())
        } else {
            Err(format!("{depth}"))
        }
    })
    .await
}

fn mentions(entries: &[Value], tracking: &str) -> usize {
    entries.iter().filter(|e| e.to_string().contains(tracking)).count()
}

#[actix_web::test]
async fn a_full_fulfilment_ends_synced_on_the_channel_and_stock_stays_right() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            let sim = Sim::start(kind, None).await;
            let (_, order) = imported_order(&app, &sim, kind).await;
            let channel_figures = eventually(30, &format!("{backend:?} {kind}: figures pushed"), || async {
                let stock = sim.stock().await;
                if stock.get("SKU-1") == Some(&8) && stock.get("SKU-2") == Some(&9) {
                    Ok(stock)
                } else {
                    Err(format!("{stock:?} after {:?}; {}", sim.stock_calls().await, app.channel(1).await["status"]))
                }
            })
            .await;
            let r = fulfil(
                &app,
                order,
                json!({"carrier": "DHL", "tracking_number": "TRK-1",
                "tracking_url": "https://track.example/TRK-1"}),
            )
            .await;
            assert_eq!(r.status.as_u16(), 202, "{backend:?} {kind}: {}", r.body);
            // The channel's actor may already have picked it up by the time the answer is written.
            assert!(["pending", "sent", "synced"].contains(&r.body["status"].as_str().unwrap_or("")), "{}", r.body);
            let id = r.body["id"].as_i64().unwrap();
            let o = wait_status(&app, order, "synced").await;
            assert_eq!(o["fulfilments"][0]["status"], "synced", "{o}");
            let f = app.get(&format!("/api/v1/fulfilments/{id}")).await.body;
            assert_eq!(
                (f["status"].as_str(), f["lines"].as_array().map(|l| l.len())),
                (Some("synced"), Some(2)),
                "{f}"
            );
            let held = on_channel(&sim).await;
            assert_eq!(mentions(&held, "TRK-1"), 1, "{backend:?} {kind}: {held:?}");
            let sim_order = &sim.call("GET", "/_sim/orders", None).await[0];
            assert!(
                sim_order["lines"].as_array().unwrap().iter().all(|l| l["fulfilled"] == l["quantity"]),
                "{backend:?} {kind}: {sim_order}"
            );
            for (sku, on_hand) in [("SKU-1", 8), ("SKU-2", 9)] {
                let inv = app.inventory(sku).await;
                assert_eq!((inv["on_hand"].as_i64(), inv["allocated"].as_i64()), (Some(on_hand), Some(0)), "{inv}");
                assert_eq!(inv["available"].as_i64(), Some(on_hand), "{inv}");
            }
            let calls = sim.stock_calls().await;
            assert_eq!(
                sim.stock().await,
                channel_figures,
                "{backend:?} {kind}: the channel's figures moved: {calls:?}"
            );
            assert_allocation_invariant(&db).await;
            app.stop().await;
        }
    }
}

#[actix_web::test]
async fn two_partial_fulfilments_end_synced_with_both_on_the_channel() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            let sim = Sim::start(kind, None).await;
            let (_, order) = imported_order(&app, &sim, kind).await;
            let r =
                fulfil(&app, order, json!({"lines": [{"sku": "SKU-1", "quantity": 1}], "tracking_number": "TRK-A"}))
                    .await;
            assert_eq!(r.status.as_u16(), 202, "{}", r.body);
            let first = r.body["id"].as_i64().unwrap();
            app.wait_for(&format!("/api/v1/fulfilments/{first}"), 30, |f| f["status"] == "synced").await;
            let o = app.get(&format!("/api/v1/orders/{order}")).await.body;
            assert_eq!(o["status"], "partially_fulfilled", "{backend:?} {kind}: {o}");
            let r = fulfil(&app, order, json!({"tracking_number": "TRK-B"})).await;
            assert_eq!(r.status.as_u16(), 202, "{}", r.body);
            assert_eq!(r.body["lines"].as_array().map(|l| l.len()), Some(2), "the rest: {}", r.body);
            wait_status(&app, order, "synced").await;
            let held = on_channel(&sim).await;
            assert_eq!((mentions(&held, "TRK-A"), mentions(&held, "TRK-B")), (1, 1), "{backend:?} {kind}: {held:?}");
            let inv = app.inventory("SKU-1").await;
            assert_eq!((inv["on_hand"].as_i64(), inv["allocated"].as_i64()), (Some(8), Some(0)), "{inv}");
            app.stop().await;
        }
    }
}

#[actix_web::test]
async fn an_over_fulfilment_is_refused_and_changes_nothing() {
    for (backend, kind) in backends().into_iter().flat_map(|b| [(b, "shopify"), (b, "woocommerce")]) {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let sim = Sim::start(kind, None).await;
        let (_, order) = imported_order(&app, &sim, kind).await;
        let before = (app.inventory("SKU-1").await, app.get(&format!("/api/v1/orders/{order}")).await.body);
        let r = fulfil(&app, order, json!({"lines": [{"sku": "SKU-1", "quantity": 3}]})).await;
        assert_problem(&r, 422, "invalid_value");
        assert!(r.body["detail"].as_str().unwrap_or_default().contains("2 left"), "{}", r.body);
        for (body, code) in [
            (json!({"lines": [{"sku": "NOPE", "quantity": 1}]}), "invalid_value"),
            (json!({"lines": []}), "invalid_value"),
            (json!({"lines": [{"quantity": 1}]}), "invalid_value"),
        ] {
            assert_problem(&fulfil(&app, order, body).await, 422, code);
        }
        assert_problem(&fulfil(&app, 999_999, json!({})).await, 404, "unknown_order");
        let after = (app.inventory("SKU-1").await, app.get(&format!("/api/v1/orders/{order}")).await.body);
        assert_eq!(before, after, "{backend:?} {kind}: nothing changed");
        assert_eq!(on_channel(&sim).await, Vec::<Value>::new(), "{backend:?} {kind}: nothing sent");
        assert_eq!(after.1["fulfilments"], json!([]));
        // An excluded order cannot be fulfilled.
        assert_eq!(app.post(&format!("/api/v1/orders/{order}/exclude"), json!({})).await.status.as_u16(), 200);
        assert_problem(&fulfil(&app, order, json!({})).await, 409, "order_state");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_channel_failing_three_times_then_accepting_ends_with_one_fulfilment() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            let sim = Sim::start(kind, None).await;
            let (channel, order) = imported_order(&app, &sim, kind).await;
            // Let the first stock pushes settle, so the faults hit the fulfilment.
            wait_queue_empty(&app, channel).await;
            sim.call("POST", "/_sim/faults", Some(json!({"status": 500, "count": 3}))).await;
            let r = fulfil(&app, order, json!({"tracking_number": "TRK-3"})).await;
            assert_eq!(r.status.as_u16(), 202, "{}", r.body);
            wait_status(&app, order, "synced").await;
            assert_eq!(mentions(&on_channel(&sim).await, "TRK-3"), 1, "{backend:?} {kind}");
            app.stop().await;
        }
    }
}

#[actix_web::test]
async fn a_refused_fulfilment_is_failed_with_the_channels_message_and_can_be_retried() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            let sim = Sim::start(kind, None).await;
            let (channel, order) = imported_order(&app, &sim, kind).await;
            wait_queue_empty(&app, channel).await;
            // A 400 is a refusal, not a hiccup: no retry until the operator asks. (Three, in case
            // a poll of the channel takes one first; the rest are cleared once it has failed.)
            sim.call("POST", "/_sim/faults", Some(json!({"status": 400, "count": 3}))).await;
            let r = fulfil(&app, order, json!({"tracking_number": "TRK-R"})).await;
            let id = r.body["id"].as_i64().expect("fulfilment id");
            let failed = eventually(30, "failed", || async {
                let f = app.get(&format!("/api/v1/fulfilments/{id}")).await.body;
                if f["status"] == "failed" {
                    Ok(f)
                } else {
                    Err(format!("{f}"))
                }
            })
            .await;
            assert!(failed["last_error"].as_str().is_some_and(|e| e.contains("400")), "{backend:?} {kind}: {failed}");
            sim.call("DELETE", "/_sim/faults", None).await;
            assert_problem(
                &app.post(&format!("/api/v1/fulfilments/{}/retry", id + 1000), json!({})).await,
                404,
                "unknown_fulfilment",
            );
            let r = app.post(&format!("/api/v1/fulfilments/{id}/retry"), json!({})).await;
            assert_eq!(r.status.as_u16(), 202, "{}", r.body);
            wait_status(&app, order, "synced").await;
            assert_eq!(mentions(&on_channel(&sim).await, "TRK-R"), 1, "{backend:?} {kind}");
            let again = app.post(&format!("/api/v1/fulfilments/{id}/retry"), json!({})).await;
            assert_problem(&again, 409, "fulfilment_state");
            app.stop().await;
        }
    }
}

/// An order held locked by a transaction of its own, as an import or a confirmation in flight
/// holds it, after writing `status` in it (PostgreSQL).
struct HeldOrder {
    pid: i32,
    go: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl HeldOrder {
    async fn take(pool: &chorus::db::DbPool, order: i64, status: &'static str) -> HeldOrder {
        use chorus::db::{orders, DbConn};
        use diesel::{Connection, RunQueryDsl};
        let (pid_tx, pid_rx) = std::sync::mpsc::channel::<i32>();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let pool = pool.clone();
        let thread = std::thread::spawn(move || {
            let mut conn = pool.get().expect("conn");
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                orders::lock(c, &[order])?;
                orders::set_status(c, order, status, None, chorus::db::now_ms())?;
                let DbConn::Pg(pg) = &mut **c else { unreachable!("PostgreSQL") };
                let pid = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("pg_backend_pid()"))
                    .get_result(pg)?;
                pid_tx.send(pid).ok();
                go_rx.recv().ok();
                Ok(())
            })
            .expect("the holder commits");
        });
        let pid = eventually(30, "the order held", || async { pid_rx.try_recv().map_err(|e| e.to_string()) }).await;
        HeldOrder { pid, go, thread }
    }

    /// Waits (bounded) until another session waits for this one's locks; panics if none does.
    async fn wait_for_a_waiter(&self, pool: &chorus::db::DbPool, what: &str) {
        use diesel::RunQueryDsl;
        let query = format!("(SELECT count(*) FROM pg_stat_activity WHERE {} = ANY(pg_blocking_pids(pid)))", self.pid);
        eventually(30, what, || async {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let chorus::db::DbConn::Pg(pg) = &mut *conn else { unreachable!("PostgreSQL") };
            let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&query))
                .get_result(pg)
                .map_err(|e| e.to_string())?;
            if waiting > 0 {
                Ok(())
            } else {
                Err("nobody waits".to_string())
            }
        })
        .await
    }

    fn commit(self) {
        self.go.send(()).expect("the holder goes on");
        self.thread.join().expect("holder thread");
    }
}

/// A Shopify order for SKU-1 ×2 and SKU-2 ×1, imported by a running app on PostgreSQL, with a
/// pool of its own on the app's database: what the order-lock tests start from.
struct PgOrder {
    app: TestApp,
    sim: Sim,
    pool: chorus::db::DbPool,
    channel: i64,
    /// The simulator's id of the order.
    sim_id: i64,
    /// Chorus's.
    order: i64,
    /// Last, so the database goes after the app.
    _db: TestDb,
}

/// None without PostgreSQL: the races these tests show need two transactions at once.
async fn pg_order() -> Option<PgOrder> {
    let backend = backends().into_iter().find(|b| *b == Backend::Postgres)?;
    let db = TestDb::new(backend);
    let app = spawn_app(&db).await;
    let sim = Sim::start("shopify", None).await;
    for sku in ["SKU-1", "SKU-2"] {
        app.create_product(sku).await;
        app.set_stock(sku, 10).await;
    }
    sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 10, "SKU-2": 10}))).await;
    let channel = app.create_channel("shopify", &sim.url(), "s").await;
    let (sim_id, _) = sim.order(&[("SKU-1", 2), ("SKU-2", 1)], true).await;
    let order = app.sync_until(channel, "the order", |o| o.len() == 1).await[0]["id"].as_i64().expect("order id");
    let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
    Some(PgOrder { app, sim, pool, channel, sim_id, order, _db: db })
}

/// On PostgreSQL an import and a channel's confirmation of a fulfilment run in different
/// transactions at once. An import that read the order just before the confirmation settled it
/// wrote `partially_fulfilled` back over `synced`, and the order stayed so for good. The import
/// now locks the orders it reads, after the stock: it waits, then reads what was settled.
#[actix_web::test]
async fn an_import_of_an_order_being_settled_reads_it_once_settled() {
    let Some(PgOrder { app, sim, pool, channel, sim_id, order, _db }) = pg_order().await else { return };
    let r = fulfil(&app, order, json!({"tracking_number": "TRK-LOCK"})).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    wait_status(&app, order, "synced").await;
    // As the channel's actor finds it: every line shipped, the fulfilment just confirmed, the
    // order about to be settled by the transaction held below.
    let now = chorus::db::now_ms();
    chorus::db::orders::set_status(&mut pool.get().expect("conn"), order, "partially_fulfilled", None, now)
        .expect("reset");
    let settling = HeldOrder::take(&pool, order, "synced").await;
    // Meanwhile the merchant changes the address in the shop's admin, and Chorus imports it.
    let moved = json!({"address1": "221B Baker Street"});
    sim.call("POST", &format!("/_sim/orders/{sim_id}/ship_to"), Some(moved)).await;
    let r = app.post(&format!("/api/v1/channels/{channel}/sync"), json!({})).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    settling.wait_for_a_waiter(&pool, "the import waiting for the order").await;
    settling.commit();
    let read = app
        .wait_for(&format!("/api/v1/orders/{order}"), 30, |o| o["shipping_address"]["address1"] == "221B Baker Street")
        .await;
    assert_eq!(read["status"], "synced", "the import wrote its old status over the settlement: {read}");
    app.stop().await;
}

/// The other way round: a channel confirming a fulfilment while an import holds the order (here
/// bringing in the channel's cancellation) waits, then settles what the import wrote: a
/// cancelled order stays cancelled, not `synced` from a status read before the import.
#[actix_web::test]
async fn a_fulfilment_confirmed_while_an_import_holds_its_order_settles_what_the_import_wrote() {
    let Some(PgOrder { app, sim, pool, channel, order, _db, .. }) = pg_order().await else { return };
    wait_queue_empty(&app, channel).await;
    // The channel refuses for now, so the fulfilment waits, queued.
    sim.call("POST", "/_sim/faults", Some(json!({"status": 500, "count": 1000}))).await;
    let r = fulfil(&app, order, json!({"tracking_number": "TRK-HELD"})).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    let id = r.body["id"].as_i64().expect("fulfilment id");
    app.wait_for(&format!("/api/v1/fulfilments/{id}"), 30, |f| f["attempts"].as_i64().unwrap_or(0) > 0).await;
    let importing = HeldOrder::take(&pool, order, "cancelled").await;
    sim.call("DELETE", "/_sim/faults", None).await;
    importing.wait_for_a_waiter(&pool, "the confirmation waiting for the order").await;
    importing.commit();
    app.wait_for(&format!("/api/v1/fulfilments/{id}"), 30, |f| f["status"] == "synced").await;
    let read = app.get(&format!("/api/v1/orders/{order}")).await.body;
    assert_eq!(read["status"], "cancelled", "the confirmation settled a status read before the import: {read}");
    app.stop().await;
}
