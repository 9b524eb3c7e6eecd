//! The oversell benchmark's accounting on a tiny storm, on both backends: the units it calls
//! oversold are the units of the orders Chorus holds for `insufficient_stock`, and what the
//! channels sold is what Chorus imported — each read back through Chorus's own API.

use std::time::Duration;

use chorus::bench::oversell::{run_mode, Mode};
use chorus::domain::storm::{self, StormShape};

use crate::helpers::{backends, spawn_app, TestDb};

#[actix_web::test]
async fn the_oversell_bench_accounts_for_every_unit() {
    // Little stock and heavy demand, so a two-minute cadence leaves shops selling stale figures.
    let shape = StormShape {
        channels: 2,
        skus: 6,
        minutes: 4.0,
        stock: (1, 2),
        demand: 3.0,
        cancel_share: 0.0,
        restocks_per_hour: 45.0,
        ..StormShape::default()
    };
    let storm = storm::generate(&shape, 7);
    assert!(storm.sales() > 10, "the storm has sales to replay");
    for backend in backends() {
        for mode in [Mode::Poll(Duration::from_secs(120)), Mode::Chorus] {
            let db = TestDb::new(backend);
            let r = run_mode(&db.url, &storm, &["shopify", "woocommerce"], mode, 60.0, 0)
                .await
                .unwrap_or_else(|e| panic!("{backend:?} {mode:?}: the bench runs and drains: {e:#}"));
            let what = format!("{backend:?} {}", r.mode);
            assert!(r.violations.is_empty(), "{what}: the invariant check passes: {:?}", r.violations);
            assert_eq!(r.accepted + r.refused, storm.sales(), "{what}: every sale was tried");
            assert!(r.accepted > 0 && r.refused > 0, "{what}: shops took sales and refused some: {r:?}");

            // The same database read back through the API of a Chorus started on it.
            let app = spawn_app(&db).await;
            let held = app.orders("&status=on_hold&hold_reason=insufficient_stock").await;
            let all = app.orders("").await;
            let mut held_units = 0;
            for o in &held {
                held_units += units(&app, o).await;
            }
            let mut imported_units = 0;
            let mut open = 0;
            for o in all.iter().filter(|o| o["status"] != "cancelled") {
                imported_units += units(&app, o).await;
                open += 1;
            }
            assert_eq!(r.oversold_units, held_units, "{what}: oversold units are the held orders' units");
            assert_eq!(r.oversold_orders, held.len() as i64, "{what}: oversold orders are the held orders");
            assert_eq!(r.channel_units, imported_units, "{what}: the channels sold what Chorus imported");
            assert_eq!(r.accepted - r.cancelled, open, "{what}: one order in Chorus per sale");
            if matches!(mode, Mode::Poll(_)) {
                assert!(r.oversold_units > 0, "{what}: a two-minute cadence oversells this storm: {r:?}");
            }
            app.stop().await;
        }
    }
}

/// The units ordered on an order of the list (its lines are on the order's own page).
async fn units(app: &crate::helpers::TestApp, order: &serde_json::Value) -> i64 {
    let page = app.get(&format!("/api/v1/orders/{}", order["id"])).await;
    assert_eq!(page.status.as_u16(), 200, "order page: {}", page.body);
    page.body["lines"].as_array().expect("lines").iter().map(|l| l["quantity"].as_i64().expect("quantity")).sum()
}
