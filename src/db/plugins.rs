//! Queries over plugins (fulfilment centres): settings, routing, and the API token's digest.

use diesel::prelude::*;

use super::schema::plugins;
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = plugins)]
pub struct Plugin {
    pub id: i64,
    pub name: String,
    pub orders_url: String,
    /// JSON: `{"channels": [ids] | "all", "skus": [...]?}`.
    pub routing: String,
    pub token_sha256: String,
    /// Signs what Chorus sends the plugin; never leaves Chorus after creation or rotation.
    pub signing_secret: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Insertable, AsChangeset)]
#[diesel(table_name = plugins)]
pub struct PluginValues {
    pub name: String,
    pub orders_url: String,
    pub routing: String,
    pub enabled: bool,
    pub updated_at: i64,
}

pub fn insert(conn: &mut DbConn, v: &PluginValues, token_sha256: &str, secret: &str, now: i64) -> QueryResult<Plugin> {
    crate::per_backend!(conn, c => diesel::insert_into(plugins::table)
        .values((
            v,
            plugins::token_sha256.eq(token_sha256),
            plugins::signing_secret.eq(secret),
            plugins::created_at.eq(now),
        ))
        .returning(Plugin::as_returning())
        .get_result(c))
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Plugin>> {
    plugins::table.find(id).select(Plugin::as_select()).first(conn).optional()
}

pub fn by_token(conn: &mut DbConn, token_sha256: &str) -> QueryResult<Option<Plugin>> {
    plugins::table.filter(plugins::token_sha256.eq(token_sha256)).select(Plugin::as_select()).first(conn).optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Plugin>> {
    plugins::table.order(plugins::id).select(Plugin::as_select()).load(conn)
}

pub fn update(conn: &mut DbConn, id: i64, v: &PluginValues) -> QueryResult<Option<Plugin>> {
    diesel::update(plugins::table.find(id)).set(v).execute(conn)?;
    find(conn, id)
}

/// New credentials; the old token stops working at once.
pub fn rotate(conn: &mut DbConn, id: i64, token_sha256: &str, secret: &str, now: i64) -> QueryResult<bool> {
    let n = diesel::update(plugins::table.find(id))
        .set((plugins::token_sha256.eq(token_sha256), plugins::signing_secret.eq(secret), plugins::updated_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(plugins::table.find(id)).execute(conn)? == 1)
}
