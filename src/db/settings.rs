//! Key/value settings Chorus keeps for itself (e.g. the generated admin token's hash).

use diesel::prelude::*;

use super::schema::settings;
use super::DbConn;

pub const ADMIN_TOKEN_HASH: &str = "admin_token_sha256";

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    settings::table.find(key).select(settings::value).first(conn).optional()
}

/// Stores `value` under `key` unless the key already has one; returns the value in force.
pub fn put_if_absent(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<String> {
    crate::per_backend!(conn, c => diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .on_conflict_do_nothing()
        .execute(c))?;
    settings::table.find(key).select(settings::value).first(conn)
}
