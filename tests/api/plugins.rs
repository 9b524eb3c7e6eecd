//! Plugins: registration with credentials shown once, token-scoped callbacks, and a plugin's
//! stock reports becoming a source whose totals reach the channels.

use serde_json::json;

use crate::helpers::*;

async fn create_plugin(app: &TestApp) -> (i64, String, String) {
    let r = app
        .post(
            "/api/v1/plugins",
            json!({"name": "3PL", "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": "all"}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let token = r.body["token"].as_str().expect("token shown once").to_string();
    let secret = r.body["secret"].as_str().expect("secret shown once").to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (r.body["id"].as_i64().unwrap(), token, secret)
}

#[actix_web::test]
async fn plugins_are_registered_with_credentials_shown_once_and_validated() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let (id, token, _) = create_plugin(&app).await;
        let shown = app.get(&format!("/api/v1/plugins/{id}")).await.body;
        assert!(shown.get("token").is_none() && shown.get("secret").is_none(), "{shown}");
        assert!(!shown.to_string().contains(&token));
        assert_eq!(shown["routing"], json!({"channels": "all"}));
        let listed = app.get("/api/v1/plugins").await.body;
        assert_eq!(listed["items"].as_array().map(|a| a.len()), Some(1));
        for (body, field) in [
            (json!({"name": "x", "orders_url": "ftp://x", "routing": {"channels": "all"}}), "orders_url"),
            (json!({"name": "x", "orders_url": "http://x", "routing": {"channels": "some"}}), "routing.channels"),
            (json!({"name": "", "orders_url": "http://x", "routing": {"channels": [1]}}), "name"),
        ] {
            let r = app.post("/api/v1/plugins", body).await;
            assert_problem(&r, 422, "invalid_value");
            assert_eq!(r.body["field"], field);
        }
        let patched = app.patch(&format!("/api/v1/plugins/{id}"), json!({"routing": {"channels": [1, 2]}})).await;
        assert_eq!(patched.body["routing"], json!({"channels": [1, 2]}), "{}", patched.body);
        assert_eq!(app.delete(&format!("/api/v1/plugins/{id}")).await.status.as_u16(), 204);
        assert_problem(&app.get(&format!("/api/v1/plugins/{id}")).await, 404, "unknown_plugin");
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_plugins_stock_report_is_a_source_and_reaches_the_channels() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("SKU-P").await;
        app.set_stock("SKU-P", 5).await;
        let sim = Sim::start("woocommerce", None).await;
        sim.call("PUT", "/_sim/stock", Some(json!({"SKU-P": 5}))).await;
        app.create_channel("woocommerce", &sim.url(), "s").await;
        let (id, token, _) = create_plugin(&app).await;
        let report = |q: i64, at: &str| json!([{"sku": "SKU-P", "quantity": q, "as_of": at}]);
        let put = |body: serde_json::Value, token: Option<String>| {
            let app = &app;
            async move { app.request("PUT", "/api/v1/plugin/inventory", Some(body), token.as_deref()).await }
        };
        let r = put(report(7, "2026-11-28T10:00:00Z"), Some(token.clone())).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        assert_eq!(r.body["changed"], 1);
        let inv = app.inventory("SKU-P").await;
        assert_eq!(inv["sources"], json!({"api": 5, format!("plugin:{id}"): 7}), "{inv}");
        assert_eq!(inv["on_hand"], 12);
        // An older report changes nothing.
        let r = put(report(1, "2026-11-28T09:00:00Z"), Some(token.clone())).await;
        assert_eq!(r.body["stale"], 1, "{}", r.body);
        assert_eq!(app.inventory("SKU-P").await["on_hand"], 12);
        // The channel gets the new total (api + plugin − allocated).
        eventually(30, "the channel at 12", || async {
            match sim.stock().await.get("SKU-P") {
                Some(12) => Ok(()),
                other => Err(format!("{backend:?}: {other:?}")),
            }
        })
        .await;
        // No token, a wrong one, the admin's: 401. A rotated-out token stops working.
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), None).await, 401, "unauthorized");
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some("chp_wrong".into())).await, 401, "unauthorized");
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some(TOKEN.into())).await, 401, "unauthorized");
        let rotated = app.post(&format!("/api/v1/plugins/{id}/rotate"), json!({})).await.body;
        let fresh = rotated["token"].as_str().expect("new token").to_string();
        assert_problem(&put(report(9, "2026-11-28T11:00:00Z"), Some(token)).await, 401, "unauthorized");
        assert_eq!(put(report(9, "2026-11-28T11:00:00Z"), Some(fresh)).await.status.as_u16(), 200);
        assert_eq!(app.inventory("SKU-P").await["on_hand"], 14);
        app.stop().await;
    }
}
