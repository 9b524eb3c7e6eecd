//! `chorus demo` as a new user runs it: it starts, imports and pushes, and stops cleanly on
//! Ctrl-C (SIGINT), saying what it did.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

#[actix_web::test]
async fn the_demo_runs_and_stops_cleanly_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chorus"))
        .args(["demo", "--bind", "127.0.0.1:0", "--rate", "20"])
        .env("TMPDIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chorus demo starts");
    // Let it place and sync orders for a while (bounded), then press Ctrl-C.
    let db = dir.path().join(format!("chorus-demo-{}", child.id())).join("demo.db");
    let mut imported = 0;
    for _ in 0..300 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        if let Ok(n) = orders_in(&db) {
            imported = n;
            if imported >= 5 {
                break;
            }
        }
    }
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let mut stopped = false;
    for _ in 0..300 {
        if child.try_wait().expect("wait").is_some() {
            stopped = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    if !stopped {
        child.kill().ok();
    }
    let mut out = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut out).ok();
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).ok();
    assert!(stopped, "the demo did not stop on Ctrl-C; output:\n{out}\n{err}");
    assert!(imported >= 5, "orders were not imported: {imported}; output:\n{out}\n{err}");
    assert!(out.contains("Chorus API") && out.contains("shopify") && out.contains("woocommerce"), "{out}");
    assert!(out.contains("Console") && out.contains("sign in with the token"), "{out}");
    assert!(out.contains("Stopped."), "{out}\n{err}");
    assert!(child.wait().expect("exit status").success(), "{out}\n{err}");
}

/// Orders imported so far, read from the demo's own SQLite file through Chorus's pool.
fn orders_in(path: &std::path::Path) -> Result<i64, String> {
    if !path.exists() {
        return Err("no database yet".into());
    }
    let mut settings = chorus::config::Settings::defaults();
    settings.database.url = chorus::config::Secret::new(format!("sqlite://{}", path.display()));
    settings.database.pool_size = 1;
    let pool = chorus::db::build_pool(&settings.database).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    use diesel::prelude::*;
    chorus::db::schema::orders::table.count().get_result(&mut *conn).map_err(|e| e.to_string())
}
