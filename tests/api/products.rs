//! Products: CRUD, pagination, validation, auth.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn product_crud_round_trip() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let created = app.create_product("SKU-1").await;
        assert_eq!(created.body["sku"], "SKU-1");
        assert_eq!(created.body["title"], "Product SKU-1");

        let read = app.get("/api/v1/products/SKU-1").await;
        assert_eq!(read.status.as_u16(), 200, "{backend:?}");
        assert_eq!(read.body["title"], "Product SKU-1");
        assert_eq!(read.body["channels"], json!([]));

        let updated = app.patch("/api/v1/products/SKU-1", json!({"title": "Blue shirt"})).await;
        assert_eq!(updated.status.as_u16(), 200);
        assert_eq!(app.get("/api/v1/products/SKU-1").await.body["title"], "Blue shirt");

        let dup = app.post("/api/v1/products", json!({"sku": "SKU-1", "title": "again"})).await;
        assert_problem(&dup, 409, "sku_taken");

        assert_eq!(app.delete("/api/v1/products/SKU-1").await.status.as_u16(), 204);
        assert_problem(&app.get("/api/v1/products/SKU-1").await, 404, "unknown_sku");
        assert_problem(&app.delete("/api/v1/products/SKU-1").await, 404, "unknown_sku");
        assert_problem(&app.get("/api/v1/inventory/SKU-1").await, 404, "unknown_sku");
        app.stop().await;
    }
}

#[actix_web::test]
async fn products_paginate_with_a_cursor() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        for i in 0..7 {
            app.create_product(&format!("P-{i}")).await;
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/products?limit=3".to_string();
        for _ in 0..10 {
            let page = app.get(&path).await;
            assert_eq!(page.status.as_u16(), 200);
            for item in page.body["items"].as_array().unwrap() {
                seen.push(item["sku"].as_str().unwrap().to_string());
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/products?limit=3&cursor={c}"),
                None => break,
            }
        }
        let expected: Vec<String> = (0..7).map(|i| format!("P-{i}")).collect();
        assert_eq!(seen, expected, "{backend:?}");
        assert_problem(&app.get("/api/v1/products?limit=0").await, 422, "invalid_value");
        assert_problem(&app.get("/api/v1/products?cursor=%25%25").await, 422, "invalid_value");
        app.stop().await;
    }
}

#[actix_web::test]
async fn every_error_class_is_problem_json() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    // Malformed JSON → 400.
    let r = app.raw("POST", "/api/v1/products", b"{\"sku\": ".to_vec()).await;
    assert_problem(&r, 400, "malformed_json");
    // Wrong shape → 422 naming the field.
    let r = app.post("/api/v1/products", json!({"sku": "A"})).await;
    assert_problem(&r, 422, "invalid_value");
    assert_eq!(r.body["field"], "title");
    let r = app.post("/api/v1/products", json!({"sku": 5, "title": "x"})).await;
    assert_problem(&r, 422, "invalid_value");
    assert_eq!(r.body["field"], "sku");
    // Bad SKU → 422.
    for bad in ["", "has/slash", " padded", &"x".repeat(65)] {
        let r = app.post("/api/v1/products", json!({"sku": bad, "title": "x"})).await;
        assert_problem(&r, 422, "invalid_value");
        assert_eq!(r.body["field"], "sku");
    }
    // Unknown SKU → 404; unknown route → 404.
    assert_problem(&app.get("/api/v1/products/NOPE").await, 404, "unknown_sku");
    assert_problem(&app.get("/api/v1/nothing-here").await, 404, "not_found");
    // Body over the limit → 413.
    let big = format!("{{\"sku\":\"A\",\"title\":\"{}\"}}", "x".repeat(17 << 20));
    let r = app.raw("POST", "/api/v1/products", big.into_bytes()).await;
    assert_problem(&r, 413, "payload_too_large");
    app.stop().await;
}

#[actix_web::test]
async fn admin_api_needs_the_bearer_token() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    let none = app.request("GET", "/api/v1/products", None, None).await;
    assert_problem(&none, 401, "unauthorized");
    let wrong = app.request("GET", "/api/v1/products", None, Some("not-the-token")).await;
    assert_problem(&wrong, 401, "unauthorized");
    let create = app.request("POST", "/api/v1/products", Some(json!({"sku":"A","title":"a"})), None).await;
    assert_problem(&create, 401, "unauthorized");
    assert_problem(&app.get("/api/v1/products/A").await, 404, "unknown_sku");
    let health = app.request("GET", "/health", None, None).await;
    assert_eq!(health.status.as_u16(), 200);
    assert_eq!(health.body["database"], "sqlite");
    app.stop().await;
}
