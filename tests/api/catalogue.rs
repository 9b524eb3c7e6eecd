//! Catalogue read: when a channel is added, its listings are linked to products by SKU and
//! what the channel says about them is stored as channel product data.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn a_new_channel_links_its_listings_by_sku() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let app = spawn_app(&db).await;
            for sku in ["SKU-1", "SKU-2"] {
                app.create_product(sku).await;
            }
            let sim = Sim::start(kind, None).await;
            // SKU-3 is listed on the channel but unknown to Chorus: it is not linked.
            sim.call("PUT", "/_sim/stock", Some(json!({"SKU-1": 5, "SKU-2": 0, "SKU-3": 1}))).await;
            let id = app.create_channel(kind, &sim.url(), "s").await;
            let path = |sku: &str| format!("/api/v1/channels/{id}/products/{sku}");
            let mut found = None;
            for _ in 0..200 {
                let r = app.get(&path("SKU-2")).await;
                if r.status.as_u16() == 200 {
                    found = Some(r.body);
                    break;
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            let data = found.unwrap_or_else(|| panic!("{backend:?} {kind}: listings were not linked"));
            assert_eq!(data["weight_grams"], 250, "{backend:?} {kind}: {data}");
            assert_eq!(data["price"], json!({"amount_minor": 600, "currency": "GBP"}), "{backend:?} {kind}: {data}");
            match kind {
                "shopify" => {
                    assert!(data["inventory_item_id"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("gid://shopify/InventoryItem/")));
                    assert_eq!(data["location_id"], "gid://shopify/Location/1");
                }
                _ => {
                    assert!(data["listing_id"].as_str().is_some(), "{data}");
                    assert_eq!(data["dimensions_mm"], json!({"length": 300, "width": 200, "height": 20}));
                }
            }
            assert_eq!(app.get(&path("SKU-1")).await.status.as_u16(), 200);
            assert_problem(&app.get(&path("SKU-3")).await, 404, "unknown_channel_product");
            let listed = app.get(&format!("/api/v1/channels/{id}/products?limit=1&linked=true")).await.body;
            assert_eq!(listed["items"][0]["sku"], "SKU-1", "{listed}");
            let next = listed["next_cursor"].as_str().expect("a second page");
            let rest = app.get(&format!("/api/v1/channels/{id}/products?limit=1&linked=true&cursor={next}")).await.body;
            assert_eq!(rest["items"][0]["sku"], "SKU-2");
            assert!(rest["next_cursor"].is_null());
            // The listing Chorus cannot link is shown as such, beside the linked ones.
            let all = app.get(&format!("/api/v1/channels/{id}/products")).await.body;
            let shown: Vec<(&str, bool)> = all["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["sku"].as_str().unwrap(), i["linked"].as_bool().unwrap()))
                .collect();
            assert_eq!(shown, vec![("SKU-1", true), ("SKU-2", true), ("SKU-3", false)], "{backend:?} {kind}");
            let unlinked = app.get(&format!("/api/v1/channels/{id}/products?linked=false")).await.body;
            assert_eq!(unlinked["items"][0]["channel_quantity"], 1, "{unlinked}");
            // Each link is an event for the webhook flow, with the listing's data.
            let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
            let events =
                chorus::db::run(&pool, |conn| Ok(chorus::db::events::of_kind(conn, "channels.products.created", 100)?))
                    .await
                    .expect("events");
            let mut skus: Vec<String> = events
                .iter()
                .map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).unwrap()["sku"].as_str().unwrap().into())
                .collect();
            skus.sort();
            assert_eq!(skus, vec!["SKU-1", "SKU-2"], "{backend:?} {kind}");
            // Once the product exists, the waiting listing links and gets Chorus's figure.
            app.create_product("SKU-3").await;
            assert_eq!(app.get(&path("SKU-3")).await.status.as_u16(), 200, "{backend:?} {kind}: SKU-3 linked");
            app.set_stock("SKU-3", 4).await;
            eventually(30, "SKU-3's figure on the channel", || async {
                match sim.stock().await.get("SKU-3") {
                    Some(4) => Ok(()),
                    other => Err(format!("{backend:?} {kind}: {other:?}")),
                }
            })
            .await;
            app.stop().await;
        }
    }
}
