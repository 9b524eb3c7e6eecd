//! Storage: migrations in lockstep on both backends, data surviving a restart, the admin
//! token generated once, `/health` naming the backend.

use serde_json::json;

use crate::helpers::*;

fn migration_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migration_folders_move_in_lockstep() {
    let sqlite = migration_names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    let postgres = migration_names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

#[actix_web::test]
async fn migrations_apply_to_an_empty_database_on_each_backend() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let applied = chorus::db::run(&pool, chorus::db::migrate).await.expect("migrates");
        assert_eq!(applied.len(), migration_names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).len());
        let again = chorus::db::run(&pool, chorus::db::migrate).await.expect("migrates again");
        assert!(again.is_empty(), "{backend:?}: second run applied {again:?}");
    }
}

#[actix_web::test]
async fn restart_keeps_products_and_stock() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        app.create_product("KEEP-1").await;
        app.set_stock("KEEP-1", 12).await;
        assert_eq!(app.create_plugin("FC").await.0, 1);
        let r = app.put("/api/v1/inventory/KEEP-1/sources/plugin:1", json!({"quantity": 3})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        app.stop().await;

        let app = spawn_app(&db).await;
        let inv = app.inventory("KEEP-1").await;
        assert_eq!(inv["sources"], json!({"api": 12, "plugin:1": 3}), "{backend:?}");
        assert_eq!(inv["on_hand"], 15);
        assert_eq!(inv["version"], 2);
        assert_eq!(app.get("/api/v1/products/KEEP-1").await.body["title"], "Product KEEP-1");
        app.stop().await;
    }
}

/// SQLite: what Chorus writes reaches the database file itself while it runs, not only its
/// write-ahead log, though no commit took the log past the committing connection's threshold
/// (the background checkpointer, `db::checkpoint`). Read with `immutable=1`, which ignores the log.
#[actix_web::test]
async fn sqlite_writes_reach_the_database_file_while_chorus_runs() {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};

    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    app.create_product("FILE-1").await;
    app.set_stock("FILE-1", 7).await;
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let in_file = eventually(10, "FILE-1 in the database file", || {
        let path = path.clone();
        async move {
            // The file alone: no log, no locks (a read racing a copy may fail; it is tried again).
            let mut file =
                diesel::SqliteConnection::establish(&format!("file:{path}?immutable=1")).map_err(|e| e.to_string())?;
            let found: Found = diesel::sql_query("SELECT on_hand AS n FROM stock_levels WHERE sku = ?")
                .bind::<Text, _>("FILE-1")
                .get_result(&mut file)
                .map_err(|e| e.to_string())?;
            if found.n == 7 {
                Ok(found.n)
            } else {
                Err(format!("on hand {}", found.n))
            }
        }
    })
    .await;
    assert_eq!(in_file, 7);
    // Chorus, reading through the log as always, agrees.
    assert_eq!(app.inventory("FILE-1").await["on_hand"], 7);
    app.stop().await;
}

#[actix_web::test]
async fn health_names_the_backend() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let app = spawn_app(&db).await;
        let health = app.request("GET", "/health", None, None).await;
        assert_eq!(health.status.as_u16(), 200);
        let expected = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(health.body["database"], expected);
        app.stop().await;
    }
}

#[actix_web::test]
async fn a_generated_admin_token_is_made_once_and_works() {
    let db = TestDb::new(Backend::Sqlite);
    let mut settings = settings_for(&db);
    settings.auth.admin_token = chorus::config::Secret::new("");
    let first = spawn_with(settings.clone()).await;
    let token = first.generated_token.clone().expect("a token is generated");
    first.stop().await;
    let second = spawn_with(settings.clone()).await;
    assert!(second.generated_token.is_none(), "the token is generated only once");
    second.stop().await;

    let app = spawn_with(settings).await;
    let ok = app.request("GET", "/api/v1/products", None, Some(&token)).await;
    assert_eq!(ok.status.as_u16(), 200);
    let wrong = app.request("GET", "/api/v1/products", None, Some("chorus_wrong")).await;
    assert_problem(&wrong, 401, "unauthorized");
    app.stop().await;
}

/// On PostgreSQL an event's id is taken before its transaction commits, so a lower id can
/// commit after a higher one. The webhook readers follow `seq`, given only to committed events:
/// an event committed late is read after, never skipped.
#[test]
fn an_event_committed_late_is_not_skipped_by_a_reader() {
    use chorus::db::events;
    use diesel::Connection;
    let Some(backend) = backends().into_iter().find(|b| *b == Backend::Postgres) else { return };
    let db = TestDb::new(backend);
    let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
    chorus::db::migrate(&mut pool.get().expect("conn")).expect("migrates");
    let kinds = vec!["inventory.updated".to_string()];
    let (opened, open_rx) = std::sync::mpsc::channel::<()>();
    let (commit, commit_rx) = std::sync::mpsc::channel::<()>();
    let late_pool = pool.clone();
    let late = std::thread::spawn(move || {
        let mut conn = late_pool.get().expect("conn");
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            events::record(c, "inventory.updated", None, "sku:LATE", &json!({"sku": "LATE"}), 1)?;
            opened.send(()).ok();
            commit_rx.recv().ok();
            Ok(())
        })
        .expect("late transaction commits");
    });
    open_rx.recv().expect("the late transaction holds its event");
    let mut conn = pool.get().expect("conn");
    events::record(&mut conn, "inventory.updated", None, "sku:EARLY", &json!({"sku": "EARLY"}), 2).unwrap();
    events::sequence(&mut conn).unwrap();
    let first = events::after(&mut conn, 0, &kinds, None, 100).unwrap();
    assert_eq!(first.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(), vec!["sku:EARLY"]);
    let cursor = first[0].seq.unwrap();
    commit.send(()).unwrap();
    late.join().unwrap();
    events::sequence(&mut conn).unwrap();
    let next = events::after(&mut conn, cursor, &kinds, None, 100).unwrap();
    assert_eq!(
        next.iter().map(|e| e.subject.as_str()).collect::<Vec<_>>(),
        vec!["sku:LATE"],
        "the late event was skipped"
    );
    assert!(next[0].id < first[0].id, "the late event has the lower id");
}

/// Old events go once every enabled subscription has passed them; one still behind keeps them.
#[test]
fn old_events_are_pruned_only_once_every_subscription_has_passed_them() {
    use chorus::db::{events, webhooks};
    for backend in backends() {
        let db = TestDb::new(backend);
        let pool = chorus::db::build_pool(&settings_for(&db).database).expect("pool");
        let mut conn = pool.get().expect("conn");
        chorus::db::migrate(&mut conn).expect("migrates");
        let values = webhooks::SubscriptionValues {
            url: "http://127.0.0.1:9/".into(),
            events: r#"["inventory.updated"]"#.into(),
            channel_id: None,
            enabled: true,
            disabled_reason: None,
            updated_at: 0,
        };
        let behind = webhooks::insert(&mut conn, &values, "s", 0).unwrap();
        for i in 0..3 {
            events::record(&mut conn, "inventory.updated", None, &format!("sku:{i}"), &json!({}), 1_000).unwrap();
        }
        events::sequence(&mut conn).unwrap();
        assert_eq!(events::prune(&mut conn, 2_000, 100).unwrap(), 0, "{backend:?}: a subscription has not passed them");
        assert_eq!(
            events::after(&mut conn, behind.event_cursor, &["inventory.updated".into()], None, 10).unwrap().len(),
            3
        );
        // Once it has (or is gone), they go; newer ones stay.
        assert!(webhooks::delete(&mut conn, behind.id).unwrap());
        events::record(&mut conn, "inventory.updated", None, "sku:new", &json!({}), 5_000).unwrap();
        events::sequence(&mut conn).unwrap();
        assert_eq!(events::prune(&mut conn, 2_000, 100).unwrap(), 3, "{backend:?}");
        assert_eq!(events::after(&mut conn, 0, &["inventory.updated".into()], None, 10).unwrap().len(), 1);
    }
}
