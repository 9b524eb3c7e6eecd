//! Inventory: sources, adjustments, bulk sets, concurrency, and the StockChanged broadcast.

use std::sync::{Arc, Mutex};

use actix::{Actor, Context, Handler};
use chorus::actors::inventory::{StockChanged, Subscribe};
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn sources_add_up_and_adjustments_apply() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-1").await;
        let fresh = app.inventory("SKU-1").await;
        assert_eq!(fresh, json!({"sku":"SKU-1","sources":{},"on_hand":0,"allocated":0,"available":0,"version":0}));

        let r = app.set_stock("SKU-1", 10).await;
        assert_eq!(r.status.as_u16(), 200, "{backend:?} {}", r.body);
        // A plugin's source (the source must name a plugin that exists).
        assert_eq!(app.create_plugin("FC").await.0, 1);
        let r = app.put("/api/v1/inventory/SKU-1/sources/plugin:1", json!({"quantity": 4})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let r = app.post("/api/v1/inventory/SKU-1/adjustments", json!({"source": "api", "delta": -3})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let inv = app.inventory("SKU-1").await;
        assert_eq!(inv["sources"], json!({"api": 7, "plugin:1": 4}), "{backend:?}");
        assert_eq!(inv["on_hand"], 11);
        assert_eq!(inv["allocated"], 0);
        assert_eq!(inv["available"], 11);
        assert_eq!(inv["version"], 3);

        // Setting the same figure again changes nothing, not even the version.
        app.set_stock("SKU-1", 7).await;
        assert_eq!(app.inventory("SKU-1").await["version"], 3);
        app.stop().await;
    }
}

#[actix_web::test]
async fn invalid_stock_changes_are_refused_and_change_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-1").await;
        app.set_stock("SKU-1", 2).await;
        assert_problem(&app.set_stock("SKU-1", -1).await, 422, "invalid_value");
        assert_problem(&app.set_stock("NOPE", 1).await, 404, "unknown_sku");
        let r = app.put("/api/v1/inventory/SKU-1/sources/warehouse", json!({"quantity": 1})).await;
        assert_problem(&r, 422, "invalid_source");
        let r = app.post("/api/v1/inventory/SKU-1/adjustments", json!({"delta": -3})).await;
        assert_problem(&r, 409, "negative_stock");
        let r = app.put("/api/v1/inventory/SKU-1/sources/api", json!({"quantity": "ten"})).await;
        assert_problem(&r, 422, "invalid_value");
        assert_eq!(r.body["field"], "quantity");
        let inv = app.inventory("SKU-1").await;
        assert_eq!(inv["on_hand"], 2, "{backend:?}");
        assert_eq!(inv["version"], 1);
        app.stop().await;
    }
}

#[actix_web::test]
async fn concurrent_adjustments_end_at_exact_totals() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let skus: Vec<String> = (0..5).map(|i| format!("C-{i}")).collect();
        for sku in &skus {
            app.create_product(sku).await;
        }
        let calls = (0..500).map(|i| {
            let path = format!("/api/v1/inventory/{}/adjustments", skus[i % 5]);
            let app = &app;
            async move { app.post(&path, json!({"source": "api", "delta": 1})).await }
        });
        let replies = futures::future::join_all(calls).await;
        assert!(replies.iter().all(|r| r.status.as_u16() == 200), "{backend:?}: some adjustments failed");
        for sku in &skus {
            let inv = app.inventory(sku).await;
            assert_eq!(inv["on_hand"], 100, "{backend:?} {sku}");
            assert_eq!(inv["sources"]["api"], 100);
            // Concurrent changes share transactions: one version step per commit, not per call.
            let version = inv["version"].as_i64().unwrap();
            assert!((1..=100).contains(&version), "{backend:?} {sku} version {version}");
        }
        app.stop().await;
        // And the database agrees after a restart (no cache involved).
        let app = spawn_app(&db).await;
        for sku in &skus {
            assert_eq!(app.inventory(sku).await["on_hand"], 100, "{backend:?} {sku} after restart");
        }
        app.stop().await;
    }
}

#[actix_web::test]
async fn bulk_set_takes_ten_thousand_skus_in_one_call() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let items: Vec<_> = (0..10_000).map(|i| json!({"sku": format!("B-{i:05}"), "quantity": i % 50})).collect();
        // Unknown SKUs are refused as a whole unless create_missing is set.
        let refused = app.put("/api/v1/inventory", json!({"source": "api", "items": items})).await;
        assert_problem(&refused, 404, "unknown_sku");
        assert_problem(&app.get("/api/v1/products/B-00001").await, 404, "unknown_sku");

        let r = app.put("/api/v1/inventory", json!({"source": "api", "items": items, "create_missing": true})).await;
        assert_eq!(r.status.as_u16(), 200, "{backend:?}: {}", r.body);
        assert_eq!(r.body["created"], 10_000);
        assert_eq!(r.body["changed"], 10_000, "every SKU gains an api source");
        assert_eq!(app.inventory("B-00049").await["on_hand"], 49);
        assert_eq!(app.inventory("B-09999").await["on_hand"], 9_999 % 50);

        let dup = app
            .put("/api/v1/inventory", json!({"items": [{"sku":"B-00001","quantity":1},{"sku":"B-00001","quantity":2}]}))
            .await;
        assert_problem(&dup, 422, "invalid_value");
        assert_eq!(dup.body["field"], "items[1].sku");
        app.stop().await;
    }
}

/// Collects what the InventoryActor broadcasts.
struct Recorder(Arc<Mutex<Vec<StockChanged>>>);
impl Actor for Recorder {
    type Context = Context<Self>;
}
impl Handler<StockChanged> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: StockChanged, _: &mut Context<Self>) {
        self.0.lock().unwrap().push(msg);
    }
}

#[actix_web::test]
async fn commits_are_broadcast_as_stock_changed() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder(seen.clone()).start();
        app.app_inventory.send(Subscribe(recorder.recipient())).await.unwrap();
        app.create_product("SKU-9").await;
        app.create_product("SKU-10").await;
        app.set_stock("SKU-9", 5).await;
        app.post("/api/v1/inventory/SKU-9/adjustments", json!({"delta": 2})).await;
        app.set_stock("SKU-9", 7).await; // no change: no event
                                         // Broadcasts follow commit order, so once SKU-10's event is in, SKU-9's are all in.
        app.set_stock("SKU-10", 1).await;
        for _ in 0..250 {
            if seen.lock().unwrap().iter().any(|e| e.sku == "SKU-10") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let events: Vec<StockChanged> = seen.lock().unwrap().iter().filter(|e| e.sku == "SKU-9").cloned().collect();
        let expected = vec![
            StockChanged { sku: "SKU-9".into(), on_hand: 5, allocated: 0, available: 5, version: 1 },
            StockChanged { sku: "SKU-9".into(), on_hand: 7, allocated: 0, available: 7, version: 2 },
        ];
        assert_eq!(events, expected, "{backend:?}");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_failing_order_message_does_not_fail_its_batch() {
    use chorus::actors::inventory::{AdjustQuantity, ImportOrders, InventoryError};
    use chorus::domain::order::{ChannelLine, ChannelOrder, Financial, Fulfillment, ImportFilter};
    use chorus::domain::source::Source;
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("A").await;
        app.set_stock("A", 5).await;
        let orphan = ChannelOrder {
            external_id: "X-1".into(),
            name: "#1".into(),
            financial: Financial::Paid,
            fulfillment: Fulfillment::Unfulfilled,
            cancelled_at: None,
            created_at: 0,
            updated_at: 0,
            reserved: true,
            lines: vec![ChannelLine {
                external_id: "1".into(),
                sku: Some("A".into()),
                quantity: 2,
                fulfilled: 0,
                returned: 0,
                written_off: 0,
                product_id: None,
                variant_id: None,
                details: Default::default(),
            }],
            details: Default::default(),
            personal: Default::default(),
        };
        // A channel that does not exist: the database refuses the order (foreign key).
        let import = app.app_inventory.send(ImportOrders {
            channel_id: chorus::domain::ids::ChannelId(999),
            policy: chorus::domain::import::Policy {
                filter: ImportFilter::default(),
                reserve_unpaid: true,
                tracked_since: 0,
            },
            ships_from: Source::Api,
            orders: vec![orphan],
            cursor: None,
            resend: false,
            fence: None,
        });
        let adjust = app.app_inventory.send(AdjustQuantity { sku: "A".into(), source: Source::Api, delta: 1 });
        let (import, adjust) = futures::join!(import, adjust);
        assert!(matches!(import.unwrap(), Err(InventoryError::Storage(_))), "{backend:?}");
        assert_eq!(adjust.unwrap().unwrap().on_hand, 6, "{backend:?}");
        let inv = app.inventory("A").await;
        assert_eq!((inv["on_hand"].as_i64(), inv["allocated"].as_i64()), (Some(6), Some(0)), "{backend:?}");
        app.stop().await;
        assert_allocation_invariant(&db).await;
    }
}
