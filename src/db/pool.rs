//! The r2d2 pool: our own manager picks the backend by URL scheme and sets SQLite's pragmas.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::{DatabaseKind, DbConn, DbError};
use crate::config::DatabaseSettings;

pub type DbPool = r2d2::Pool<DbManager>;

#[derive(Debug)]
pub struct DbManager {
    kind: DatabaseKind,
    url: String,
    sqlite_pragmas: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl r2d2::ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<DbConn, ManagerError> {
        match self.kind {
            DatabaseKind::Postgres => {
                let mut conn = PgConnection::establish(&self.url)?;
                // A process paused or cut off mid-transaction (SIGSTOP, a partition) must not hold
                // its row locks for ever: the server ends such a session, and the other processes
                // go on. No transaction of ours waits on anything but the database.
                conn.batch_execute("SET idle_in_transaction_session_timeout = '10s'")?;
                Ok(DbConn::Pg(conn))
            }
            DatabaseKind::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)?;
                conn.batch_execute(&self.sqlite_pragmas)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ManagerError> {
        conn.batch_execute("SELECT 1").map_err(Into::into)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Builds the pool, creating the SQLite file's folder first; fails if no connection can be made.
pub fn build_pool(settings: &DatabaseSettings) -> Result<DbPool, DbError> {
    let url = settings.url.expose();
    let kind = DatabaseKind::from_url(url)?;
    let url = match kind {
        DatabaseKind::Postgres => {
            // One attempt up front, so an unreachable server is one clear line, not a minute of
            // pool retries.
            PgConnection::establish(url).map_err(|e| {
                DbError::Setup(format!("cannot connect to PostgreSQL: {}", e.to_string().trim().replace('\n', " ")))
            })?;
            url.to_string()
        }
        DatabaseKind::Sqlite => {
            let path = url.trim_start_matches("sqlite://");
            if let Some(dir) = Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DbError::Setup(format!("cannot create {}: {e}", dir.display())))?;
                }
            }
            // WAL is a property of the file: set it once, before the pool opens its connections
            // all at once (switching modes takes a lock they would otherwise contend for).
            let mut first =
                SqliteConnection::establish(path).map_err(|e| DbError::Setup(format!("cannot open {path}: {e}")))?;
            first
                .batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                    settings.busy_timeout_ms
                ))
                .map_err(|e| DbError::Setup(format!("cannot switch {path} to WAL: {e}")))?;
            path.to_string()
        }
    };
    let sqlite_pragmas = format!(
        // A 16 MB page cache per connection (SQLite's default is 2 MB): an import's inserts
        // touch the orders' and events' indexes all over, and each page missed is a read
        // from the file. The file is also mapped (`database.sqlite_mmap_mb`): a connection's
        // cache empties whenever another connection has written, and the pages it then reads
        // again come from the mapping instead of a `pread` copy each (measured in the README).
        // Statement journals (kept while a multi-row insert runs inside a transaction, so the
        // statement alone can be undone) stay in memory instead of spilling to a temporary file.
        // The write-ahead log is copied into the file by `db::checkpoint` beside the writers; a
        // committing connection does it only past 4,000 pages (16 MB), which bounds the log.
        "PRAGMA busy_timeout = {}; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -16384; PRAGMA mmap_size = {}; PRAGMA temp_store = MEMORY; \
         PRAGMA wal_autocheckpoint = {};",
        settings.busy_timeout_ms,
        settings.sqlite_synchronous.to_uppercase(),
        settings.sqlite_mmap_mb.saturating_mul(1 << 20),
        super::checkpoint::COMMITTER_PAGES
    );
    let manager = DbManager { kind, url, sqlite_pragmas };
    let pool = r2d2::Pool::builder()
        .max_size(settings.pool_size)
        // Failures reach whoever asked for a connection, and are logged there once.
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .connection_timeout(Duration::from_millis(settings.busy_timeout_ms.max(1000) * 2))
        .build(manager)?;
    Ok(pool)
}
