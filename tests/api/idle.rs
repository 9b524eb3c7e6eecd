//! An idle Chorus leaves its database alone: subscriptions and channels are woken by what
//! happens (a commit, an event), not by polling the database many times a second.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use serde_json::json;

use crate::helpers::*;

/// Queries run so far, by the database URL their connection was opened on.
fn counts() -> &'static Mutex<HashMap<String, u64>> {
    static COUNTS: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    COUNTS.get_or_init(Default::default)
}

/// Queries run so far, by database URL and the query's first words, so that a failure names
/// what kept the database busy.
fn texts() -> &'static Mutex<HashMap<(String, String), u64>> {
    static TEXTS: OnceLock<Mutex<HashMap<(String, String), u64>>> = OnceLock::new();
    TEXTS.get_or_init(Default::default)
}

/// Counts every query of each connection opened once it is installed; other tests' databases
/// are counted under their own URLs and never read.
#[derive(Default)]
struct QueryCounter {
    url: Option<String>,
}

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => self.url = Some(url.to_string()),
            InstrumentationEvent::StartQuery { query, .. } => {
                if let (Some(url), Ok(mut counts)) = (&self.url, counts().lock()) {
                    *counts.entry(url.clone()).or_default() += 1;
                }
                if let (Some(url), Ok(mut texts)) = (&self.url, texts().lock()) {
                    let text: String = query.to_string().chars().take(90).collect();
                    *texts.entry((url.clone(), text)).or_default() += 1;
                }
            }
            _ => {}
        }
    }
}

/// The queries run on `url` so far, most frequent first.
fn texts_on(url: &str) -> Vec<(String, u64)> {
    let wanted = url.strip_prefix("sqlite://").unwrap_or(url);
    let mut all: Vec<(String, u64)> = texts()
        .lock()
        .map(|t| {
            t.iter()
                .filter(|((u, _), _)| u.as_str() == wanted || u.as_str() == url)
                .map(|((_, q), n)| (q.clone(), *n))
                .collect()
        })
        .unwrap_or_default();
    all.sort_by_key(|e| std::cmp::Reverse(e.1));
    all
}

fn queries_on(url: &str) -> u64 {
    let wanted = url.strip_prefix("sqlite://").unwrap_or(url);
    counts()
        .lock()
        .map(|c| c.iter().filter(|(u, _)| u.as_str() == wanted || u.as_str() == url).map(|(_, n)| *n).sum())
        .unwrap_or(0)
}

#[actix_web::test]
async fn an_idle_chorus_with_100_subscriptions_and_10_channels_makes_few_queries_and_still_delivers() {
    set_default_instrumentation(|| Some(Box::new(QueryCounter::default()))).expect("instrumentation installed");
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let r = app
            .put("/api/v1/inventory", json!({"items": [{"sku": "IDLE-1", "quantity": 5}], "create_missing": true}))
            .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let receiver = Sim::start("receiver", None).await;
        for _ in 0..100 {
            let r = app
                .post("/api/v1/webhooks", json!({"url": receiver.handle.url("/"), "events": ["inventory.updated"]}))
                .await;
            assert_eq!(r.status.as_u16(), 201, "{}", r.body);
        }
        let shop = Sim::start("shopify", None).await;
        shop.call("PUT", "/_sim/stock", Some(json!({"IDLE-1": 5}))).await;
        let mut channels = Vec::new();
        for _ in 0..10 {
            channels.push(app.create_channel("shopify", &shop.url(), "s").await);
        }
        for id in &channels {
            eventually(60, "channel's first poll", || async {
                let c = app.channel(*id).await;
                if c["status"]["last_success_at"].is_string() {
                    Ok(())
                } else {
                    Err(c["status"].to_string())
                }
            })
            .await;
        }
        // Start-up work (catalogue reads, the figure checks a few seconds after them, the first
        // delivery rounds) comes in bursts: wait for five quiet seconds in a row (at most 60 s).
        let mut quiet = 0;
        for _ in 0..60 {
            let at = queries_on(&db.url);
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
            quiet = if queries_on(&db.url) - at < 50 { quiet + 1 } else { 0 };
            if quiet == 5 {
                break;
            }
        }
        assert!(queries_on(&db.url) > 0, "{backend:?}: the counter sees this app's queries");
        // A steady poll shows in every window; a late start-up burst on a loaded machine (CI
        // runs the other tests beside this one) in one only: three 10-s windows, the quietest
        // counts, and a failure names the queries of the last one.
        let window = Duration::from_secs(10);
        let mut quietest = f64::MAX;
        let mut busiest = Vec::new();
        for _ in 0..3 {
            let before = queries_on(&db.url);
            let texts_before: HashMap<String, u64> = texts_on(&db.url).into_iter().collect();
            actix_web::rt::time::sleep(window).await;
            let per_sec = (queries_on(&db.url) - before) as f64 / window.as_secs_f64();
            println!("idle on {backend:?}: {per_sec:.1} database queries/s with 100 subscriptions and 10 channels");
            quietest = quietest.min(per_sec);
            if quietest < 50.0 {
                break;
            }
            let mut ran: Vec<(u64, String)> = texts_on(&db.url)
                .into_iter()
                .map(|(q, n)| (n - texts_before.get(&q).copied().unwrap_or(0), q))
                .filter(|(n, _)| *n > 0)
                .collect();
            ran.sort_by_key(|e| std::cmp::Reverse(e.0));
            busiest = ran.into_iter().take(8).map(|(n, q)| format!("{n} × {q}")).collect();
        }
        assert!(
            quietest < 50.0,
            "{backend:?}: an idle Chorus ran {quietest:.1} queries/s at least; in the last window:\n{}",
            busiest.join("\n")
        );

        // A stock change still reaches every subscriber and the channels.
        let delivered_before = receiver.call("GET", "/_sim/received", None).await.as_array().map_or(0, |a| a.len());
        assert_eq!(app.set_stock("IDLE-1", 3).await.status.as_u16(), 200);
        eventually(60, "every subscription told", || async {
            let n = receiver.call("GET", "/_sim/received", None).await.as_array().map_or(0, |a| a.len());
            if n >= delivered_before + 100 {
                Ok(())
            } else {
                Err(format!("{} new deliveries", n - delivered_before))
            }
        })
        .await;
        eventually(60, "the shop shows the new figure", || async {
            let stock = shop.stock().await;
            if stock.get("IDLE-1") == Some(&3) {
                Ok(())
            } else {
                Err(format!("{stock:?}"))
            }
        })
        .await;
        app.stop().await;
    }
}
