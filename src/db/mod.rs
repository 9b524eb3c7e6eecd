//! Storage: the connection enum over SQLite and PostgreSQL, the pool, migrations, and the
//! helper that runs diesel work on the blocking pool. Queries live in one module per aggregate.

pub mod channel_products;
pub mod channels;
pub mod check;
pub mod checkpoint;
pub mod cluster;
pub mod events;
pub mod figures;
pub mod fulfilments;
pub mod inventory;
pub mod orders;
pub mod outbox;
pub mod plugin_products;
pub mod plugins;
pub mod pool;
pub mod prepared;
pub mod products;
pub mod redaction;
pub mod schema;
pub mod settings;
pub mod snapshots;
pub mod transactions;
pub mod unlinked;
pub mod views;
pub mod webhooks;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use pool::{build_pool, DbPool};

diesel::define_sql_function! {
    /// SQL's `lower`, on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// One connection type for both backends; the variant is chosen by the URL scheme.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same code against whichever backend `conn` is, for the few statements diesel's
/// multi-backend query builder cannot express (upserts, `RETURNING`, `FOR UPDATE`).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Runs an insert (with or without `ON CONFLICT`) over `rows` as multi-row statements on both
/// backends: the row types are marked `treat_none_as_default_value = false` (None inserts
/// NULL, as no column they fill has a default), which is what lets diesel batch on SQLite; its
/// chunks stay under SQLite's bound-variable limit. Short statements keep SQLite's write lock
/// short for everyone else.
#[macro_export]
macro_rules! upsert_rows {
    ($conn:expr, $rows:expr, |$v:ident| $stmt:expr) => {{
        match $conn {
            $crate::db::DbConn::Pg(c) => {
                for $v in $rows.chunks($crate::db::CHUNK_ROWS) {
                    $stmt.execute(c)?;
                }
            }
            $crate::db::DbConn::Sqlite(c) => {
                for $v in $rows.chunks($crate::db::CHUNK_ROWS / 8) {
                    $stmt.execute(c)?;
                }
            }
        }
    }};
}

/// Runs a multi-row `INSERT … RETURNING …` over `$rows` a chunk at a time and appends what
/// each chunk returns to `$out` (in no promised order: match rows by their keys).
#[macro_export]
macro_rules! returning_rows {
    ($conn:expr, $rows:expr, $out:expr, |$v:ident| $stmt:expr) => {{
        let size = match $conn {
            $crate::db::DbConn::Pg(_) => $crate::db::CHUNK_ROWS,
            $crate::db::DbConn::Sqlite(_) => $crate::db::CHUNK_ROWS / 8,
        };
        for $v in $rows.chunks(size) {
            let part: Vec<_> = match $conn {
                $crate::db::DbConn::Pg(c) => $stmt.get_results(c)?,
                $crate::db::DbConn::Sqlite(c) => $stmt.get_results(c)?,
            };
            $out.extend(part);
        }
    }};
}

pub use crate::config::DatabaseKind;

/// What can go wrong below the HTTP layer when touching the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database task did not finish: {0}")]
    Join(#[source] actix_web::rt::task::JoinError),
    #[error("migration failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("{0}")]
    Setup(String),
    /// The process lost the lease of what it was writing for (another process owns it now).
    #[error("fenced: {0}")]
    Fenced(String),
    #[error(transparent)]
    Url(#[from] crate::config::DatabaseUrlError),
}

impl DbError {
    /// A failure that says nothing about the work itself and may pass if it is tried again: a
    /// PostgreSQL deadlock or serialization failure, SQLite's write lock still held after the
    /// busy timeout, or no pooled connection free in time.
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Pool(_) => true,
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => busy_message(info.message()),
            _ => false,
        }
    }

    /// The database stayed locked (another write held it) past its bound: the request may be
    /// answered 503 `busy`, never 500.
    pub fn is_busy(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
            DbError::Query(Error::DatabaseError(_, info)) => busy_message(info.message()),
            _ => false,
        }
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
        )
    }
}

/// A database message that says a lock was not had in time: PostgreSQL's deadlock or lock
/// timeout, SQLite's write lock still held after the busy timeout.
pub fn busy_message(message: &str) -> bool {
    message.contains("deadlock detected")
        || message.contains("lock timeout")
        || message.contains("could not obtain lock")
        || message.contains("database is locked")
        || message.contains("database table is locked")
}

/// Runs `f` with a pooled connection on the blocking pool, never on an arbiter thread. The
/// future owns what it needs, so actors can hold it across awaits.
pub fn run<T, F>(pool: &DbPool, f: F) -> impl std::future::Future<Output = Result<T, DbError>> + 'static
where
    F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    async move {
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(DbError::Join)?
    }
}

/// A write transaction. On SQLite it begins `IMMEDIATE`, taking the write lock up front so a
/// transaction that reads before it writes cannot fail to upgrade under concurrency.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => Tm::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => match Tm::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Tm::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = Tm::rollback_transaction(conn);
            Err(e)
        }
    }
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration for this connection's backend; returns the names applied.
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        DbConn::Pg(c) => {
            // Processes started together on one empty database take turns: without the lock,
            // all but one would fail on the first migration's CREATE TYPE/TABLE.
            diesel::sql_query("SELECT pg_advisory_lock(727002)").execute(c)?;
            let applied =
                c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect());
            diesel::sql_query("SELECT pg_advisory_unlock(727002)").execute(c)?;
            applied
        }
        DbConn::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect())
        }
    };
    applied.map_err(DbError::Migration)
}

impl DbConn {
    pub fn kind(&self) -> DatabaseKind {
        match self {
            DbConn::Pg(_) => DatabaseKind::Postgres,
            DbConn::Sqlite(_) => DatabaseKind::Sqlite,
        }
    }
}

/// An entity as JSON for an event payload or an outbox body; a failure is the transaction's
/// error, never a `null` payload.
pub fn to_json<T: serde::Serialize>(value: &T) -> diesel::QueryResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Rows per multi-row statement: keeps binds under SQLite's 32,766 and PostgreSQL's 65,535.
pub const CHUNK_ROWS: usize = 1000;

#[cfg(test)]
mod tests {
    use super::DbError;
    use diesel::result::{DatabaseErrorKind, Error};

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DbError {
        DbError::Query(Error::DatabaseError(kind, Box::new(message.to_string())))
    }

    #[test]
    fn locks_and_deadlocks_are_transient_and_broken_rules_are_not() {
        assert!(database_error(DatabaseErrorKind::Unknown, "database is locked").is_transient());
        assert!(database_error(DatabaseErrorKind::Unknown, "deadlock detected").is_transient());
        assert!(database_error(DatabaseErrorKind::SerializationFailure, "could not serialize").is_transient());
        assert!(!database_error(DatabaseErrorKind::UniqueViolation, "duplicate key").is_transient());
        assert!(!database_error(DatabaseErrorKind::CheckViolation, "violates check").is_transient());
        assert!(!DbError::Query(Error::NotFound).is_transient());
    }
}
