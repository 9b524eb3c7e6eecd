//! The console driven by a real browser: headless Chromium through WebDriver (chromedriver),
//! against a running sandbox (Chorus with a simulated Shopify and WooCommerce shop), on both
//! backends. Screenshots of each page are saved under the test's temp directory (or
//! `CHORUS_SCREENSHOTS`). Without chromedriver the test says so and passes, unless
//! `CHORUS_BROWSER_TESTS=required` (as `.ci/run` sets), where its absence fails.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chorus::sandbox::{Sandbox, SandboxOptions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{backends, TestDb};

fn chromedriver() -> Option<String> {
    let found = std::env::var("CHROMEDRIVER").ok().or_else(|| {
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
    });
    if found.is_none() {
        assert!(
            std::env::var("CHORUS_BROWSER_TESTS").as_deref() != Ok("required"),
            "CHORUS_BROWSER_TESTS=required but no chromedriver (apt-get install chromium chromium-driver)"
        );
        eprintln!("console browser test skipped: no chromedriver (apt-get install chromium chromium-driver)");
    }
    found
}

/// chromedriver on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(path: &str) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    Driver { child, port }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    let mut options = json!({"args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000", format!("--user-data-dir={}", profile.display()),
    ]});
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    caps.insert("goog:chromeOptions".into(), options);
    let url = format!("http://127.0.0.1:{}", driver.port);
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
            return c;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn shot(c: &Client, dir: &std::path::Path, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
}

/// Waits (bounded) until the page in front of the browser shows what `ready` looks for.
async fn until_source(c: &Client, what: &str, ready: impl Fn(&str) -> bool) {
    let mut last = String::new();
    for _ in 0..100 {
        last = c.source().await.unwrap_or_default();
        if ready(&last) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not seen; page:\n{last}");
}

/// Reloads `url` until `ready(page source)` holds (bounded: 60 s).
async fn until(c: &Client, url: &str, what: &str, ready: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..120 {
        c.goto(url).await.expect("page loads");
        last = c.source().await.expect("page source");
        if ready(&last) {
            return last;
        }
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{what}: not seen at {url} within a minute; last page:\n{last}");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.expect("click");
}

/// Waits (bounded) until the browser is on a page whose path is `path`.
async fn landed_on(c: &Client, path: &str) {
    for _ in 0..100 {
        if c.current_url().await.is_ok_and(|u| u.path() == path) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not on {path} but {:?}:\n{}", c.current_url().await.ok(), c.source().await.unwrap_or_default());
}

/// The order Chorus imported for a simulator order, once it has.
async fn order_of(sandbox: &Sandbox, channel: i64, external: u64) -> Value {
    for _ in 0..120 {
        let page = sandbox
            .api("GET", &format!("/api/v1/orders?channel_id={channel}&limit=1000"), Value::Null)
            .await
            .expect("orders");
        if let Some(o) = page["items"].as_array().into_iter().flatten().find(|o| {
            // Shopify's orders are named by GID (gid://shopify/Order/N), WooCommerce's by number.
            o["external_id"].as_str().is_some_and(|e| e == external.to_string() || e.ends_with(&format!("/{external}")))
        }) {
            return o.clone();
        }
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    }
    let all = sandbox.api("GET", "/api/v1/orders?limit=1000", Value::Null).await;
    panic!("order {external} was not imported: {all:?}");
}

#[actix_web::test]
async fn an_operator_runs_the_day_from_the_console_in_a_real_browser() {
    let Some(driver_path) = chromedriver() else { return };
    for backend in backends() {
        let db = TestDb::new(backend);
        let dir = tempfile::tempdir().expect("temp dir");
        let shots = std::env::var("CHORUS_SCREENSHOTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| dir.path().to_path_buf());
        std::fs::create_dir_all(&shots).expect("screenshot dir");
        let sandbox = Sandbox::start(SandboxOptions {
            database_url: db.url.clone(),
            bind: "127.0.0.1:0".into(),
            skus: 4,
            stock: 10,
            throttle: false,
            fulfilment_centre: false,
            receiver: false,
            ..SandboxOptions::default()
        })
        .await
        .expect("sandbox starts");
        let driver = start_driver(&driver_path);
        let c = browser(&driver, &dir.path().join("profile")).await;
        let base = sandbox.url.clone();

        // Signed out, every page leads to the sign-in form; a wrong token is refused.
        c.goto(&format!("{base}/orders")).await.expect("goto");
        assert!(c.current_url().await.expect("url").path().ends_with("/sign-in"));
        c.find(Locator::Css("#token")).await.expect("token field").send_keys("not-the-token").await.expect("type");
        click(&c, "form.card button[type=submit]").await;
        until_source(&c, "the refusal", |p| p.contains("not the admin token")).await;
        shot(&c, &shots, "sign-in").await;
        c.find(Locator::Css("#token")).await.expect("token field").send_keys(&sandbox.admin_token).await.expect("type");
        click(&c, "form.card button[type=submit]").await;
        landed_on(&c, "/").await;
        let cookies = c.get_all_cookies().await.expect("cookies");
        let session = cookies.iter().find(|k| k.name() == "chorus_session").expect("a session cookie");
        assert_eq!(session.http_only(), Some(true));
        assert_eq!(format!("{:?}", session.same_site()), "Some(Strict)");

        // Both channels healthy on the overview.
        until(&c, &format!("{base}/"), "both channels healthy", |p| p.matches("badge ok\">healthy").count() == 2).await;
        shot(&c, &shots, "overview").await;
        c.set_window_size(390, 844).await.expect("phone width");
        c.goto(&format!("{base}/")).await.expect("goto");
        shot(&c, &shots, "overview-390px").await;
        let scroll_width: Value = c.execute("return document.documentElement.scrollWidth", vec![]).await.expect("js");
        assert!(scroll_width.as_i64().is_some_and(|w| w <= 390), "the page is wider than a phone: {scroll_width}");
        c.set_window_size(1280, 1000).await.expect("desktop width");

        // An order placed on the Shopify simulator shows up.
        let shopify = sandbox.channels.iter().position(|ch| ch.kind == "shopify").expect("a shopify channel");
        let shopify_id = sandbox.channels[shopify].id;
        let sku = sandbox.skus[0].clone();
        let placed = sandbox.place_order(shopify, &sku, 1).await.expect("order placed");
        let order = order_of(&sandbox, shopify_id, placed).await;
        let order_id = order["id"].as_i64().expect("order id");
        let row = format!("data-order=\"{order_id}\"");
        until(&c, &format!("{base}/orders?channel_id={shopify_id}"), "the order in the list", |p| p.contains(&row))
            .await;
        shot(&c, &shots, "orders").await;

        // An order for a SKU Chorus does not know goes on hold; once the SKU exists, releasing
        // it from its page takes it off the hold list.
        let ghost = sandbox.place_order(shopify, "GHOST-1", 1).await.expect("order placed");
        let held = order_of(&sandbox, shopify_id, ghost).await;
        let held_id = held["id"].as_i64().expect("id");
        let held_row = format!("data-order=\"{held_id}\"");
        until(&c, &format!("{base}/orders?status=on_hold"), "the order on hold", |p| p.contains(&held_row)).await;
        sandbox.api("POST", "/api/v1/products", json!({"sku": "GHOST-1", "title": "Ghost"})).await.expect("product");
        sandbox.api("PUT", "/api/v1/inventory/GHOST-1/sources/api", json!({"quantity": 5})).await.expect("stock");
        c.goto(&format!("{base}/orders/{held_id}")).await.expect("order page");
        shot(&c, &shots, "order-on-hold").await;
        click(&c, "#release").await;
        landed_on(&c, &format!("/orders/{held_id}")).await;
        let hold_list = c.goto(&format!("{base}/orders?status=on_hold")).await.map(|_| ());
        hold_list.expect("hold list");
        assert!(!c.source().await.expect("source").contains(&held_row), "the released order is still on hold");
        let released = sandbox.api("GET", &format!("/api/v1/orders/{held_id}"), Value::Null).await.expect("order");
        assert_eq!(released["status"], "imported", "{released}");

        // A SKU's page shows the figure each channel confirmed.
        sandbox
            .api("PUT", &format!("/api/v1/inventory/{sku}/sources/api"), json!({"quantity": 7}))
            .await
            .expect("stock");
        let available = sandbox.api("GET", &format!("/api/v1/inventory/{sku}"), Value::Null).await.expect("stock")
            ["available"]
            .as_i64()
            .expect("available");
        let confirmed_cell = format!("<td class=\"confirmed\">{available}</td>");
        until(&c, &format!("{base}/stock/{sku}"), "every channel's confirmed figure", |p| {
            p.matches(&confirmed_cell).count() == sandbox.channels.len()
        })
        .await;
        shot(&c, &shots, "stock").await;
        for ch in 0..sandbox.channels.len() {
            assert_eq!(sandbox.sim_stock(ch, &sku).await.expect("sim stock"), Some(available));
        }

        // A fulfilment the shop refuses is failed; it is retried from the transaction records.
        sandbox
            .sim_call(shopify, "POST", "/_sim/faults", Some(json!({"status": 400, "count": 3})))
            .await
            .expect("faults");
        let f = sandbox
            .api("POST", &format!("/api/v1/orders/{order_id}/fulfilments"), json!({"tracking_number": "TRK-CONSOLE"}))
            .await
            .expect("fulfilment");
        let fid = f["id"].as_i64().expect("fulfilment id");
        let retry = format!("action=\"/fulfilments/{fid}/retry\"");
        until(&c, &format!("{base}/transactions?failed=1"), "the failed fulfilment's call", |p| p.contains(&retry))
            .await;
        shot(&c, &shots, "transactions").await;
        sandbox.sim_call(shopify, "DELETE", "/_sim/faults", None).await.expect("faults cleared");
        click(&c, &format!("form[{retry}] button")).await;
        landed_on(&c, "/transactions").await;
        let mut status = Value::Null;
        for _ in 0..120 {
            status = sandbox.api("GET", &format!("/api/v1/fulfilments/{fid}"), Value::Null).await.expect("fulfilment")
                ["status"]
                .clone();
            if status == "synced" {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(status, "synced", "the retried fulfilment");

        // Webhooks page renders; sign out ends the session.
        c.goto(&format!("{base}/webhooks")).await.expect("webhooks");
        shot(&c, &shots, "webhooks").await;
        click(&c, "form.signout button").await;
        landed_on(&c, "/sign-in").await;
        c.goto(&format!("{base}/")).await.expect("goto");
        assert!(c.current_url().await.expect("url").path().ends_with("/sign-in"), "still signed in after signing out");
        for name in
            ["sign-in", "overview", "overview-390px", "orders", "order-on-hold", "stock", "transactions", "webhooks"]
        {
            assert!(shots.join(format!("{name}.png")).metadata().is_ok_and(|m| m.len() > 1000), "screenshot {name}");
        }
        c.close().await.expect("browser closes");
        sandbox.stop().await;
    }
}

/// The console's sign-in, cookie, CSRF and sign-out over plain HTTP (no browser needed).
#[actix_web::test]
async fn console_sessions_are_httponly_strict_csrf_checked_and_end_on_sign_out() {
    use crate::helpers::{spawn_app, TOKEN};
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let client = awc::Client::builder().disable_redirects().finish();
        let url = |p: &str| format!("{}{p}", app.address);
        // Signed out: a page sends you to sign in.
        let r = client.get(url("/orders")).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/sign-in"));
        // The form's own CSRF cookie must come back with the form.
        let form = client.get(url("/sign-in")).send().await.expect("answer");
        let sign_in_cookie = form.cookie("chorus_sign_in").expect("sign-in cookie");
        let csrf = sign_in_cookie.value().to_string();
        let r = client.post(url("/sign-in")).send_form(&[("token", TOKEN), ("csrf", &csrf)]).await.expect("answer");
        assert_eq!(r.status().as_u16(), 403, "a sign-in without its cookie is refused (form shown again)");
        let r = client
            .post(url("/sign-in"))
            .cookie(sign_in_cookie.clone())
            .send_form(&[("token", "wrong"), ("csrf", &csrf)])
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), 401);
        let r = client
            .post(url("/sign-in"))
            .cookie(sign_in_cookie.clone())
            .send_form(&[("token", TOKEN), ("csrf", &csrf)])
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), 303, "{backend:?}");
        let session = r.cookie("chorus_session").expect("session cookie");
        assert_eq!(session.http_only(), Some(true));
        assert_eq!(session.same_site(), Some(actix_web::cookie::SameSite::Strict));
        assert_ne!(session.secure(), Some(true), "plain http: not Secure");
        // Behind a proxy that says the console is reached over https, the cookie is Secure.
        let proxied = client
            .post(url("/sign-in"))
            .insert_header(("x-forwarded-proto", "https"))
            .cookie(sign_in_cookie.clone())
            .send_form(&[("token", TOKEN), ("csrf", &csrf)])
            .await
            .expect("answer");
        assert_eq!(proxied.cookie("chorus_session").and_then(|c| c.secure()), Some(true));
        let session = actix_web::cookie::Cookie::new("chorus_session", session.value().to_string());
        let mut page = client.get(url("/")).cookie(session.clone()).send().await.expect("answer");
        assert_eq!(page.status().as_u16(), 200);
        assert_eq!(page.headers().get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"));
        let html = String::from_utf8_lossy(&page.body().await.expect("body")).into_owned();
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf field")
            .to_string();
        // The session's cookie does not open the API: that still wants the bearer token.
        let r = client.get(url("/api/v1/orders")).cookie(session.clone()).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 401);
        // An action without the form's CSRF token does nothing.
        let r = client
            .post(url("/sign-out"))
            .cookie(session.clone())
            .send_form(&[("csrf", "forged")])
            .await
            .expect("answer");
        assert_eq!(r.status().as_u16(), 422);
        let r = client.get(url("/")).cookie(session.clone()).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 200, "still signed in after a forged sign-out");
        // An unknown order is a page, not JSON.
        let mut r = client.get(url("/orders/999")).cookie(session.clone()).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 404);
        assert!(r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html")));
        assert!(String::from_utf8_lossy(&r.body().await.expect("body")).contains("no order has id 999"));
        // Signing out ends the session on the server: the old cookie opens nothing.
        let r =
            client.post(url("/sign-out")).cookie(session.clone()).send_form(&[("csrf", &csrf)]).await.expect("answer");
        assert_eq!(r.status().as_u16(), 303);
        let r = client.get(url("/")).cookie(session).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 303, "the old session cookie still works after sign-out");
        app.stop().await;
    }
}
