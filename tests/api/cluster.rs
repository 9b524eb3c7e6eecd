//! Several processes on one PostgreSQL database: three `chorus serve` processes share two
//! simulated shops, a fulfilment-centre plugin and a webhook receiver (each channel, the plugin
//! and the subscription owned by exactly one of them); the process owning the Shopify channel
//! and the subscription is SIGKILLed mid-storm while orders are being shipped, another takes
//! both over within the lease time, and once drained every order is imported once and shipped
//! once (one fulfilment per order on its shop), both shops show Chorus's figures, the stock
//! check is clean, and the receiver got every order's event (a repeat carrying the same id).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::crash::{free_port, start_chorus_with, Chorus, Remote};
use crate::helpers::*;

const SKUS: usize = 8;
const STOCK: i64 = 40;
/// Orders per shop in each half of the storm.
const ORDERS: usize = 8;

fn cluster_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CHORUS__CLUSTER__LEASE_TTL_MS", "4000"),
        ("CHORUS__CLUSTER__RENEW_MS", "1000"),
        // The one key every process shares, so each opens the channels' stored credentials.
        ("CHORUS__AUTH__SECRETS_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    ]
}

/// The live owner of each lease, from one process's cluster view: (kind, id) → process id.
async fn owners(remote: &Remote) -> Result<BTreeMap<(String, i64), String>, String> {
    let view = remote.call("GET", "/api/v1/cluster", None).await.ok_or("no cluster view")?;
    let mut out = BTreeMap::new();
    for p in view["processes"].as_array().cloned().unwrap_or_default().iter().filter(|p| p["live"] == true) {
        for l in p["leases"].as_array().cloned().unwrap_or_default() {
            let key = (l["kind"].as_str().unwrap_or_default().to_string(), l["id"].as_i64().unwrap_or_default());
            if let Some(before) = out.insert(key.clone(), p["id"].as_str().unwrap_or_default().to_string()) {
                return Err(format!("{key:?} held twice (by {before} too): {view}"));
            }
        }
    }
    Ok(out)
}

/// The process id behind each address, from the cluster view.
async fn process_ids(remote: &Remote) -> BTreeMap<String, String> {
    let view = remote.call("GET", "/api/v1/cluster", None).await.unwrap_or_default();
    view["processes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            (p["address"].as_str().unwrap_or_default().to_string(), p["id"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

async fn sell(shop: &Sim, skus: &[String], from: usize) {
    for n in from..from + ORDERS {
        shop.order(&[(skus[n % SKUS].as_str(), 1)], true).await;
    }
}

/// Subscribes the receiver to order events through `remote`, which claims the new subscription
/// as it creates it; tried again (bounded) should another process's keeper take it first.
/// Returns the subscription's id, held by `owner`.
async fn subscribe_on(remote: &Remote, watcher: &Remote, receiver: &Sim, owner: &str) -> i64 {
    for _ in 0..5 {
        let subscription = json!({"url": receiver.handle.url("/"), "events": ["orders.received"]});
        let created = remote.call("POST", "/api/v1/webhooks", Some(subscription)).await.expect("subscribed");
        let id = created["id"].as_i64().expect("subscription id");
        let held = eventually(30, "the subscription leased", || async move {
            owners(watcher).await?.get(&("subscription".into(), id)).cloned().ok_or_else(|| "not yet".to_string())
        })
        .await;
        if held == owner {
            return id;
        }
        remote.call("DELETE", &format!("/api/v1/webhooks/{id}"), None).await;
    }
    panic!("the subscription never stayed with the process that created it");
}

#[actix_web::test]
async fn three_processes_own_each_channel_once_and_take_over_from_a_killed_one() {
    if !backends().iter().any(|b| matches!(b, Backend::Postgres)) {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let skus: Vec<String> = (1..=SKUS).map(|i| format!("CL-{i}")).collect();
    let listed: serde_json::Map<String, Value> = skus.iter().map(|s| (s.clone(), json!(STOCK))).collect();
    let shopify = Sim::start("shopify", None).await;
    let woo = Sim::start("woocommerce", None).await;
    for shop in [&shopify, &woo] {
        shop.call("PUT", "/_sim/stock", Some(Value::Object(listed.clone()))).await;
    }

    let env = cluster_env();
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut processes: Vec<Option<Chorus>> = Vec::new();
    let remotes: Vec<Remote> = ports.iter().map(|p| Remote::new(*p)).collect();
    for (port, remote) in ports.iter().zip(&remotes) {
        processes.push(Some(start_chorus_with(&db, *port, &env)));
        remote.wait_healthy().await;
    }
    let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": STOCK})).collect();
    remotes[0]
        .call("PUT", "/api/v1/inventory", Some(json!({"items": items, "create_missing": true})))
        .await
        .expect("stock set");
    eprintln!("cluster test: three processes up");
    let shop_channel = remotes[0].create_channel("shopify", &shopify.url()).await;
    let woo_channel = remotes[1].create_channel("woocommerce", &woo.url()).await;
    // The fulfilment centre takes every channel's orders and ships each after a short while.
    let centre = Sim::start("plugin", None).await;
    let registered =
        json!({"name": "SimFC", "orders_url": centre.handle.url("/orders"), "routing": {"channels": "all"}});
    let plugin_created = remotes[2].call("POST", "/api/v1/plugins", Some(registered)).await.expect("plugin created");
    let plugin = plugin_created["id"].as_i64().expect("plugin id");

    // Three targets on three processes: one each, so the channels are on different processes.
    let watcher = &remotes[2];
    let spread = eventually(30, "the channels and the plugin leased once each, spread", || async move {
        let owners = owners(watcher).await?;
        let held: Vec<Option<String>> = [("channel", shop_channel), ("channel", woo_channel), ("plugin", plugin)]
            .into_iter()
            .map(|(kind, id)| owners.get(&(kind.into(), id)).cloned())
            .collect();
        match held.as_slice() {
            [Some(a), Some(b), Some(c)] if a != b && b != c && a != c => Ok((a.clone(), b.clone(), c.clone())),
            seen => Err(format!("{seen:?}")),
        }
    })
    .await;
    let ids = process_ids(&remotes[0]).await;
    let index_of =
        |owner: &str| ports.iter().position(|p| ids.get(&format!("127.0.0.1:{p}")).map(String::as_str) == Some(owner));
    let victim = index_of(&spread.0).expect("the Shopify channel's owner is one of the three");
    // The subscription is the victim's too (created there, within its share of two), so the
    // kill takes a channel and a subscription down together.
    let receiver = Sim::start("receiver", None).await;
    let subscription = subscribe_on(&remotes[victim], watcher, &receiver, &spread.0).await;
    // The centre calls back a process that survives (the WooCommerce channel's owner).
    let callback = index_of(&spread.1).expect("the WooCommerce channel's owner is one of the three");
    centre
        .call(
            "PUT",
            "/_sim/config",
            Some(json!({"chorus_url": format!("http://127.0.0.1:{}", ports[callback]),
                        "token": plugin_created["token"], "secret": plugin_created["secret"],
                        "ship_delay_ms": 300})),
        )
        .await;
    for channel in [shop_channel, woo_channel] {
        eventually(60, "listings linked", || async move {
            let listed = watcher
                .call("GET", &format!("/api/v1/channels/{channel}/products?linked=true&limit=100"), None)
                .await
                .unwrap_or_default();
            let n = listed["items"].as_array().map_or(0, Vec::len);
            if n == SKUS {
                Ok(())
            } else {
                Err(format!("{n} linked"))
            }
        })
        .await;
    }

    eprintln!("cluster test: channels, plugin and subscription spread; listings linked");
    // First half of the storm, imported through whichever process is asked.
    sell(&shopify, &skus, 0).await;
    sell(&woo, &skus, 3).await;
    for (i, channel) in [shop_channel, woo_channel].into_iter().enumerate() {
        remotes[i].call("POST", &format!("/api/v1/channels/{channel}/sync"), Some(json!({}))).await;
    }
    // Mid-storm: the first orders are at the centre, being shipped, when the owner dies.
    let centre_ref = &centre;
    eventually(30, "the first orders at the centre", || async move {
        let n = centre_ref.call("GET", "/_sim/orders", None).await.as_array().map_or(0, Vec::len);
        if n > 0 {
            Ok(())
        } else {
            Err("none yet".to_string())
        }
    })
    .await;

    // SIGKILL the owner of the Shopify channel and of the subscription.
    let mut killed = processes[victim].take().expect("running");
    killed.kill().expect("SIGKILL");
    let _ = killed.wait();
    let survivors: Vec<&Remote> = remotes.iter().enumerate().filter(|(i, _)| *i != victim).map(|(_, r)| r).collect();

    eprintln!("cluster test: owner of the Shopify channel and the subscription killed");
    sell(&shopify, &skus, ORDERS).await;
    sell(&woo, &skus, ORDERS + 3).await;
    survivors[0]
        .call("PUT", &format!("/api/v1/inventory/{}/sources/api", skus[0]), Some(json!({"quantity": STOCK + 5})))
        .await
        .expect("restock");

    // The channel and the subscription resume on live processes within the lease time and
    // detection (15 s).
    let (first, second, dead) = (survivors[0], survivors[1], &spread.0);
    let new_owner = eventually(15, "the Shopify channel and the subscription taken over", || async move {
        let owners = owners(first).await?;
        let channel = owners.get(&("channel".into(), shop_channel));
        let sub = owners.get(&("subscription".into(), subscription));
        match (channel, sub) {
            (Some(c), Some(s)) if c != dead && s != dead => Ok(c.clone()),
            seen => Err(format!("{seen:?}")),
        }
    })
    .await;
    assert_ne!(new_owner, spread.0);

    eprintln!("cluster test: taken over");
    // Drained: every order imported exactly once, the shops showing Chorus's figures.
    let expected_orders = 4 * ORDERS;
    eventually(90, "every order imported once", || async move {
        for channel in [shop_channel, woo_channel] {
            second.call("POST", &format!("/api/v1/channels/{channel}/sync"), Some(json!({}))).await;
        }
        let orders = first.call("GET", "/api/v1/orders?limit=1000", None).await.unwrap_or_default();
        let items = orders["items"].as_array().cloned().unwrap_or_default();
        let mut keys: Vec<String> = items.iter().map(|o| format!("{}/{}", o["channel_id"], o["external_id"])).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), items.len(), "an order imported twice: {orders}");
        if items.len() == expected_orders {
            Ok(())
        } else {
            Err(format!("{} orders", items.len()))
        }
    })
    .await;
    // Every order shipped by the centre and its fulfilment confirmed by its shop.
    let orders = eventually(90, "every order shipped and synced", || async move {
        let orders = first.call("GET", "/api/v1/orders?limit=1000", None).await.unwrap_or_default();
        let items = orders["items"].as_array().cloned().unwrap_or_default();
        let waiting: Vec<String> =
            items.iter().filter(|o| o["status"] != "synced").map(|o| format!("{} {}", o["id"], o["status"])).collect();
        if items.len() == expected_orders && waiting.is_empty() {
            return Ok(items);
        }
        // Where the first waiting orders stopped: their fulfilments (status, error) and history.
        let mut detail = Vec::new();
        for o in items.iter().filter(|o| o["status"] != "synced").take(3) {
            let read = first.call("GET", &format!("/api/v1/orders/{}", o["id"]), None).await.unwrap_or_default();
            detail.push(json!({"id": o["id"], "fulfilments": read["fulfilments"], "history": read["history"]}));
        }
        Err(format!("not synced: {waiting:?}; {}", Value::Array(detail)))
    })
    .await;
    // No fulfilment is duplicated on a shop: each order's tracking number appears there once.
    let held = [
        (shop_channel, shopify.call("GET", "/_sim/fulfilments", None).await),
        (woo_channel, woo.call("GET", "/_sim/fulfilments", None).await),
    ];
    for order in &orders {
        let id = order["id"].as_i64().expect("order id");
        assert_eq!(order["plugin_id"], plugin, "{order}");
        let tracking = format!("SIMFC{id:08}");
        for (channel, on_shop) in &held {
            let mentions =
                on_shop.as_array().map_or(0, |a| a.iter().filter(|f| f.to_string().contains(&tracking)).count());
            let want = usize::from(order["channel_id"] == *channel);
            assert_eq!(mentions, want, "order {id}'s fulfilment on channel {channel}: {on_shop}");
        }
    }
    let (skus_ref, shop_ref, woo_ref) = (&skus, &shopify, &woo);
    eventually(60, "both shops show Chorus's figures", || async move {
        let shops = [("shopify", shop_ref.stock().await), ("woocommerce", woo_ref.stock().await)];
        let mut wrong = Vec::new();
        for sku in skus_ref {
            let level = first.call("GET", &format!("/api/v1/inventory/{sku}"), None).await.unwrap_or_default();
            let available = level["available"].as_i64().unwrap_or(-1).max(0);
            for (name, stock) in &shops {
                let figure = stock.get(sku).copied();
                if figure != Some(available) {
                    wrong.push(format!("{name} {sku}: {figure:?} vs {available}"));
                }
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.join(", "))
        }
    })
    .await;
    // The receiver got every order's event; an event sent twice carried the same id.
    let receiver_ref = &receiver;
    let arrivals = eventually(60, "every order's event delivered", || async move {
        let got = receiver_ref.call("GET", "/_sim/received", None).await.as_array().cloned().unwrap_or_default();
        let delivered: BTreeSet<String> = got
            .iter()
            .filter(|a| a["status"] == 200 && a["type"] == "orders.received")
            .map(|a| a["body"]["data"]["id"].to_string())
            .collect();
        if delivered.len() == expected_orders {
            Ok(got)
        } else {
            Err(format!("{} of {expected_orders} orders' events", delivered.len()))
        }
    })
    .await;
    let mut ids_of_order: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in arrivals.iter().filter(|a| a["type"] == "orders.received") {
        let order = a["body"]["data"]["id"].to_string();
        ids_of_order.entry(order).or_default().insert(a["webhook_id"].as_str().unwrap_or_default().to_string());
    }
    assert!(ids_of_order.values().all(|ids| ids.len() == 1), "an event repeated under another id: {ids_of_order:?}");
    let check = survivors[1].call("GET", "/api/v1/admin/check", None).await.expect("check answers");
    assert_eq!(check["ok"], true, "{check}");
    // Every lease is held by a live process, none by the dead one.
    let owners = owners(survivors[0]).await.expect("cluster view");
    assert!(owners.values().all(|o| *o != spread.0), "{owners:?}");
}

/// The lease primitives on PostgreSQL: one owner at a time, a takeover only once expired, and a
/// fence from before a takeover refused inside a transaction.
#[actix_web::test]
async fn a_lease_is_taken_over_only_once_expired_and_the_old_fence_is_refused() {
    use chorus::db::cluster::{check, take, Fence};
    if !backends().iter().any(|b| matches!(b, Backend::Postgres)) {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
    chorus::db::run(&pool, |conn| {
        chorus::db::migrate(conn)?;
        let now = 1_000_000;
        assert_eq!(take(conn, "channel", 7, "a", now, 10_000)?, Some(1));
        assert_eq!(take(conn, "channel", 7, "b", now + 5_000, 10_000)?, None, "taken while a's lease runs");
        assert_eq!(take(conn, "channel", 7, "b", now + 10_000, 10_000)?, Some(2), "taken once expired");
        let old = Fence { kind: "channel", target_id: 7, owner: "a".into(), generation: 1 };
        let new = Fence { kind: "channel", target_id: 7, owner: "b".into(), generation: 2 };
        let refused = chorus::db::write_tx(conn, |conn| check(conn, &old));
        assert!(matches!(refused, Err(chorus::db::DbError::Fenced(_))), "{refused:?}");
        chorus::db::write_tx(conn, |conn| check(conn, &new))?;
        // Handed back: free at once for anyone, with a new token.
        assert_eq!(chorus::db::cluster::release(conn, "channel", 7, "b")?, 1);
        assert_eq!(take(conn, "channel", 7, "c", now + 10_001, 10_000)?, Some(3));
        Ok(())
    })
    .await
    .expect("lease queries");
}

/// A process paused past its lease (SIGSTOP) while its push is in flight: another takes the
/// channel over; once resumed (SIGCONT) the paused one confirms and overwrites nothing.
#[actix_web::test]
async fn a_process_paused_past_its_lease_confirms_nothing_after_it_resumes() {
    if !backends().iter().any(|b| matches!(b, Backend::Postgres)) {
        return;
    }
    let db = TestDb::new(Backend::Postgres);
    let woo = Sim::start("woocommerce", None).await;
    woo.call("PUT", "/_sim/stock", Some(json!({"P-1": 10}))).await;
    let env = cluster_env();
    let ports: Vec<u16> = (0..2).map(|_| free_port()).collect();
    let remotes: Vec<Remote> = ports.iter().map(|p| Remote::new(*p)).collect();
    let mut processes = Vec::new();
    for (port, remote) in ports.iter().zip(&remotes) {
        processes.push(start_chorus_with(&db, *port, &env));
        remote.wait_healthy().await;
    }
    remotes[0]
        .call(
            "PUT",
            "/api/v1/inventory",
            Some(json!({"items": [{"sku": "P-1", "quantity": 10}], "create_missing": true})),
        )
        .await
        .expect("stock set");
    let channel = remotes[0].create_channel("woocommerce", &woo.url()).await;
    let watcher = &remotes[1];
    let owner = eventually(30, "the channel leased and linked", || async move {
        let owners = owners(watcher).await?;
        let linked = watcher
            .call("GET", &format!("/api/v1/channels/{channel}/products?linked=true"), None)
            .await
            .and_then(|l| l["items"].as_array().map(Vec::len))
            .unwrap_or(0);
        match owners.get(&("channel".into(), channel)) {
            Some(owner) if linked == 1 => Ok(owner.clone()),
            seen => Err(format!("{seen:?}, {linked} linked")),
        }
    })
    .await;
    let ids = process_ids(&remotes[0]).await;
    let paused = ports.iter().position(|p| ids.get(&format!("127.0.0.1:{p}")) == Some(&owner)).expect("owner");
    let other = &remotes[1 - paused];

    // The owner's next calls to the shop hang for 3 s; it is paused while one is in flight
    // (short, so the pause stays well inside the client's 30 s timeout on a loaded machine).
    let before = woo.call("GET", "/_sim/requests", None).await["count"].as_u64().unwrap_or_default();
    woo.call("POST", "/_sim/faults", Some(json!([{"delay_ms": 3000, "remaining": 3}]))).await;
    remotes[paused]
        .call("PUT", "/api/v1/inventory/P-1/sources/api", Some(json!({"quantity": 7})))
        .await
        .expect("stock changed");
    let woo_ref = &woo;
    eventually(30, "the owner's push in flight", || async move {
        let n = woo_ref.call("GET", "/_sim/requests", None).await["count"].as_u64().unwrap_or_default();
        if n > before {
            Ok(())
        } else {
            Err(format!("{n} requests"))
        }
    })
    .await;
    let pid = processes[paused].id().to_string();
    let stopped = std::process::Command::new("kill").args(["-STOP", &pid]).status().expect("kill -STOP");
    assert!(stopped.success());

    // The other process takes the channel over and sends Chorus's figures itself.
    let old_owner = &owner;
    let new_owner = eventually(30, "the paused owner's channel taken over", || async move {
        match owners(other).await?.get(&("channel".into(), channel)) {
            Some(o) if o != old_owner => Ok(o.clone()),
            seen => Err(format!("{seen:?}")),
        }
    })
    .await;
    other
        .call("PUT", "/api/v1/inventory/P-1/sources/api", Some(json!({"quantity": 4})))
        .await
        .expect("stock changed again");
    let settled = || async move {
        let stock = woo_ref.stock().await.get("P-1").copied();
        let listing = other
            .call("GET", &format!("/api/v1/channels/{channel}/products"), None)
            .await
            .and_then(|l| l["items"][0]["channel_quantity"].as_i64());
        if stock == Some(4) && listing == Some(4) {
            Ok(())
        } else {
            Err(format!("shop {stock:?}, confirmed {listing:?}"))
        }
    };
    eventually(60, "the new owner's figure on the shop and confirmed", settled).await;

    // Resumed: its answers from the shop arrive now; it must confirm and overwrite nothing.
    let resumed = std::process::Command::new("kill").args(["-CONT", &pid]).status().expect("kill -CONT");
    assert!(resumed.success());
    let paused_remote = &remotes[paused];
    eventually(30, "the resumed process sees it lost the lease", || async move {
        let view = paused_remote.call("GET", "/api/v1/cluster", None).await.ok_or("no answer")?;
        let this = view["processes"].as_array().and_then(|ps| ps.iter().find(|p| p["this"] == true).cloned());
        match this {
            Some(p) if p["leases"].as_array().is_some_and(|l| l.is_empty()) => Ok(()),
            seen => Err(format!("{seen:?}")),
        }
    })
    .await;
    // What it had in flight came back and tried to write under its old lease: refused.
    eventually(40, "the resumed process's late confirmation refused", || async move {
        let metrics = paused_remote.text("/metrics").await.ok_or("no metrics")?;
        let refused: f64 = metrics
            .lines()
            .filter(|l| l.starts_with("chorus_fenced_writes_total{") && l.contains("kind=\"channel\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        if refused >= 1.0 {
            Ok(())
        } else {
            Err("no fenced write yet".to_string())
        }
    })
    .await;
    // Whatever the resumed process had in hand has been answered by now (the shop's delays are
    // spent); the channel is still the new owner's and Chorus's confirmed figure is the truth.
    for _ in 0..3 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1000)).await;
        eventually(1, "nothing overwritten", settled).await;
    }
    let owners = owners(other).await.expect("cluster view");
    assert_eq!(owners.get(&("channel".into(), channel)), Some(&new_owner));
    let check = other.call("GET", "/api/v1/admin/check", None).await.expect("check answers");
    assert_eq!(check["ok"], true, "{check}");
}
