//! Channels as data, and channel product data per channel and SKU.

use serde_json::json;

use crate::helpers::*;

fn shopify_channel() -> serde_json::Value {
    json!({
        "name": "UK Shopify", "kind": "shopify", "base_url": "https://shop.example",
        "credentials": {"access_token": "shpat_secret", "webhook_secret": "whsec_x"},
        "poll_interval_secs": 180, "import": {"unpaid": false, "fulfilled": false}, "stock_buffer": 0
    })
}

#[actix_web::test]
async fn channels_never_echo_credentials() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let created = app.post("/api/v1/channels", shopify_channel()).await;
        assert_eq!(created.status.as_u16(), 201, "{backend:?} {}", created.body);
        let id = created.body["id"].as_i64().unwrap();
        let text = created.body.to_string();
        assert!(!text.contains("shpat_secret") && !text.contains("whsec_x"), "{text}");
        assert_eq!(created.body["credentials_set"], json!(["access_token", "webhook_secret"]));

        // Sealed at rest too: the database holds the names of the credentials, not their values.
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let stored =
            chorus::db::run(&pool, move |conn| Ok(chorus::db::channels::find(conn, id)?)).await.unwrap().unwrap();
        assert!(stored.credentials.contains("access_token"), "{}", stored.credentials);
        assert!(!stored.credentials.contains("shpat_secret") && !stored.credentials.contains("whsec_x"));

        let read = app.get(&format!("/api/v1/channels/{id}")).await;
        assert_eq!(read.body["name"], "UK Shopify");
        assert!(!read.body.to_string().contains("shpat_secret"));
        let listed = app.get("/api/v1/channels").await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

        let patched = app.patch(&format!("/api/v1/channels/{id}"), json!({"stock_buffer": 2, "enabled": false})).await;
        assert_eq!(patched.status.as_u16(), 200, "{}", patched.body);
        assert_eq!(patched.body["stock_buffer"], 2);
        assert_eq!(patched.body["enabled"], false);

        let woo_missing = app
            .post("/api/v1/channels", json!({"name":"W","kind":"woocommerce","base_url":"https://w.example","credentials":{"consumer_key":"ck"}}))
            .await;
        assert_problem(&woo_missing, 422, "invalid_value");
        assert_eq!(woo_missing.body["field"], "credentials.consumer_secret");
        let bad_kind = app
            .post("/api/v1/channels", json!({"name":"A","kind":"amazon","base_url":"https://a","credentials":{}}))
            .await;
        assert_eq!(bad_kind.body["field"], "kind");

        assert_eq!(app.delete(&format!("/api/v1/channels/{id}")).await.status.as_u16(), 204);
        assert_problem(&app.get(&format!("/api/v1/channels/{id}")).await, 404, "unknown_channel");
        assert_problem(&app.get("/api/v1/channels/abc").await, 404, "unknown_channel");
        app.stop().await;
    }
}

#[actix_web::test]
async fn channel_product_data_is_stored_and_shown_beside_the_product() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let id = app.post("/api/v1/channels", shopify_channel()).await.body["id"].as_i64().unwrap();
        app.create_product("SKU-1").await;
        let data = json!({
            "listing_id": "gid://shopify/Product/1", "variant_id": "gid://shopify/ProductVariant/2",
            "inventory_item_id": "gid://shopify/InventoryItem/3", "location_id": "gid://shopify/Location/4",
            "image_url": "https://cdn.example/1.jpg",
            "price": {"amount_minor": 1999, "currency": "GBP"},
            "weight_grams": 250, "dimensions_mm": {"length": 300, "width": 200, "height": 20},
            "customs": {"hs_code": "6109.10", "country_of_origin": "PT", "description": "cotton t-shirt",
                        "declared_value": {"amount_minor": 800, "currency": "GBP"}}
        });
        let path = format!("/api/v1/channels/{id}/products/SKU-1");
        let put = app.put(&path, data.clone()).await;
        assert_eq!(put.status.as_u16(), 201, "{backend:?} {}", put.body);
        let again = app.put(&path, data.clone()).await;
        assert_eq!(again.status.as_u16(), 200);
        let read = app.get(&path).await;
        for key in ["listing_id", "price", "dimensions_mm", "customs", "weight_grams", "image_url"] {
            assert_eq!(read.body[key], data[key], "{backend:?} {key}");
        }
        let product = app.get("/api/v1/products/SKU-1").await;
        assert_eq!(product.body["channels"][0]["channel_id"], id);
        assert_eq!(product.body["channels"][0]["customs"]["hs_code"], "6109.10");

        let bad = app.put(&path, json!({"price": {"amount_minor": 5, "currency": "EUO"}})).await;
        assert_problem(&bad, 422, "invalid_value");
        assert_eq!(bad.body["field"], "price.currency");
        assert_problem(&app.put(&format!("/api/v1/channels/{id}/products/NOPE"), json!({})).await, 404, "unknown_sku");
        assert_problem(&app.put("/api/v1/channels/999/products/SKU-1", json!({})).await, 404, "unknown_channel");
        app.stop().await;
    }
}

#[actix_web::test]
async fn concurrent_changes_to_one_channel_all_land() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let mut body = shopify_channel();
        body["enabled"] = json!(false);
        let created = app.post("/api/v1/channels", body).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.body);
        let id = created.body["id"].as_i64().expect("channel id");
        let path = format!("/api/v1/channels/{id}");
        // Twenty changes to different fields at once: each read-modify-write is one
        // transaction, so none overwrites another with what it read before.
        let changes: Vec<serde_json::Value> = (0..20)
            .map(|i| match i % 4 {
                0 => json!({"name": format!("renamed {i}")}),
                1 => json!({"stock_buffer": i}),
                2 => json!({"poll_interval_secs": 600 + i}),
                _ => json!({"ships_from": "api"}),
            })
            .collect();
        let replies = futures::future::join_all(changes.iter().map(|c| app.patch(&path, c.clone()))).await;
        assert!(
            replies.iter().all(|r| r.status.as_u16() == 200),
            "{backend:?}: {:?}",
            replies.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        // The last change of each field's group is not known (they raced), but every field
        // holds one of the values sent for it, never the creation value.
        let shown = app.get(&path).await.body;
        assert!(shown["name"].as_str().is_some_and(|n| n.starts_with("renamed ")), "{backend:?}: {shown}");
        assert!(shown["stock_buffer"].as_i64().is_some_and(|b| b % 4 == 1), "{backend:?}: {shown}");
        assert!(shown["poll_interval_secs"].as_i64().is_some_and(|s| s >= 600), "{backend:?}: {shown}");
        app.stop().await;
    }
}
