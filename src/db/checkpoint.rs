//! SQLite's write-ahead log copied into the database file beside the writers, not by them.
//!
//! By default the connection whose commit takes the log past 1,000 pages copies it into the
//! file, with two `fsync`s, before its caller hears of the commit: during an import, a stall
//! of several milliseconds every few pages, with the InventoryActor (the one writer) waiting.
//! [`passive`] copies the log as it grows, from a task of its own (`PASSIVE`: it waits for no
//! one and no one waits for it). The log can only start over from its beginning once it has
//! been copied whole, which a copy made while the writer goes on seldom reaches; so the
//! committing connection still checkpoints, past [`COMMITTER_PAGES`]: it then finds nearly
//! everything copied already, and the log never grows past about that size.

use diesel::prelude::*;
use diesel::sql_types::Integer;

use super::DbConn;

/// `wal_autocheckpoint`: the log's length (in pages of 4 KiB) past which a committing
/// connection checkpoints itself, and so about the longest the log grows.
pub const COMMITTER_PAGES: u32 = 4000;

/// How far a checkpoint got, as SQLite reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, QueryableByName)]
pub struct Progress {
    /// Pages in the log.
    #[diesel(sql_type = Integer)]
    pub log: i32,
    /// Pages of it now in the database file.
    #[diesel(sql_type = Integer)]
    pub checkpointed: i32,
}

/// Copies what it can of the log into the database file without waiting for any reader or
/// writer; None on PostgreSQL, which has no such log to copy.
pub fn passive(conn: &mut DbConn) -> QueryResult<Option<Progress>> {
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c).map(Some),
        DbConn::Pg(_) => Ok(None),
    }
}
