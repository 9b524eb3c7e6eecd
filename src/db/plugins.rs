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
    pub orders_sent: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
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

/// Deletes the plugin and the orders still queued for it (they stay open in Chorus).
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    conn.transaction(|c| {
        super::outbox::clear_target(c, &target(id))?;
        Ok(diesel::delete(plugins::table.find(id)).execute(c)? == 1)
    })
}

/// The outbox kind of an order to send to a plugin; the payload is the order's id.
pub const PLUGIN_ORDER: &str = "plugin_order";

/// The outbox kind telling a plugin an order it was sent is cancelled; the payload is its id.
pub const PLUGIN_CANCEL: &str = "plugin_cancel";

/// The outbox kind telling a plugin an order it holds changed; the payload is
/// `<order id>:<the channel's change time, ms>`.
pub const PLUGIN_UPDATE: &str = "plugin_update";

/// Tells the order's plugin, if it has one, that the order changed (in the caller's
/// transaction); one entry per change of the channel's. Returns the plugin to wake.
pub fn queue_update(
    conn: &mut DbConn,
    plugin_id: Option<i64>,
    order_id: i64,
    changed_at: i64,
    now: i64,
) -> QueryResult<Option<i64>> {
    let Some(plugin) = plugin_id else { return Ok(None) };
    let key = format!("update:{order_id}:{changed_at}");
    super::outbox::queue(conn, &target(plugin), PLUGIN_UPDATE, &key, &format!("{order_id}:{changed_at}"), now)?;
    Ok(Some(plugin))
}

/// Tells the order's plugin, if it has one, that the order is off (cancelled on the channel or
/// excluded), in the caller's transaction; returns the plugin to wake.
pub fn queue_cancel(conn: &mut DbConn, plugin_id: Option<i64>, order_id: i64, now: i64) -> QueryResult<Option<i64>> {
    let Some(plugin) = plugin_id else { return Ok(None) };
    let key = format!("cancel:{order_id}");
    super::outbox::queue(conn, &target(plugin), PLUGIN_CANCEL, &key, &order_id.to_string(), now)?;
    Ok(Some(plugin))
}

/// The outbox target a plugin's actor drains.
pub fn target(plugin_id: i64) -> String {
    format!("plugin:{plugin_id}")
}

/// An order ready for a fulfilment centre: its id, channel and SKUs.
pub struct Routable<'a> {
    pub order_id: i64,
    pub channel_id: i64,
    pub skus: Vec<&'a str>,
}

/// Routes each order to the first enabled plugin that takes it (in the caller's transaction):
/// records the plugin on the order and queues the send, a statement per plugin and one for
/// the queue. Returns the plugin each routed order went to.
pub fn route_orders(
    conn: &mut DbConn,
    ready: &[Routable],
    now: i64,
) -> QueryResult<std::collections::HashMap<i64, i64>> {
    use super::schema::orders;
    let mut given = std::collections::HashMap::new();
    if ready.is_empty() {
        return Ok(given);
    }
    let enabled: Vec<(i64, String)> =
        plugins::table.filter(plugins::enabled.eq(true)).select((plugins::id, plugins::routing)).load(conn)?;
    let routings: Vec<(i64, crate::domain::routing::Routing)> =
        enabled.into_iter().filter_map(|(id, r)| Some((id, serde_json::from_str(&r).ok()?))).collect();
    if routings.is_empty() {
        return Ok(given);
    }
    let mut by_plugin: std::collections::BTreeMap<i64, Vec<i64>> = std::collections::BTreeMap::new();
    for order in ready {
        let Some(plugin) = crate::domain::routing::choose(&routings, order.channel_id, &order.skus) else { continue };
        by_plugin.entry(plugin).or_default().push(order.order_id);
        given.insert(order.order_id, plugin);
    }
    let mut entries = Vec::with_capacity(given.len());
    for (plugin, order_ids) in &by_plugin {
        for chunk in order_ids.chunks(super::CHUNK_ROWS) {
            diesel::update(orders::table.filter(orders::id.eq_any(chunk)))
                .set(orders::plugin_id.eq(*plugin))
                .execute(conn)?;
        }
        entries.extend(order_ids.iter().map(|id| (target(*plugin), id.to_string(), id.to_string())));
    }
    super::outbox::queue_many(conn, PLUGIN_ORDER, &entries, now)?;
    Ok(given)
}

/// After a 2xx from the plugin: the order is `sent_to_plugin` (if still just imported), the
/// entry leaves the outbox, and the plugin's counters move; one transaction.
pub fn mark_sent(
    conn: &mut DbConn,
    plugin_id: i64,
    entry: &super::outbox::Seen,
    order_id: i64,
    now: i64,
) -> QueryResult<()> {
    use super::schema::orders;
    conn.transaction(|c| {
        // The order before the entry, in the order an import takes them (`orders::lock`).
        super::orders::lock(c, &[order_id])?;
        if super::outbox::remove_delivered(c, std::slice::from_ref(entry))? == 0 {
            return Ok(());
        }
        let moved = diesel::update(orders::table.find(order_id).filter(orders::status.eq("imported")))
            .set((orders::status.eq("sent_to_plugin"), orders::updated_at.eq(now)))
            .execute(c)?;
        // Recorded even when the order moved on meanwhile (cancelled while in flight): the
        // plugin has it, so a cancellation must reach it too.
        super::orders::add_events(
            c,
            &[super::orders::NewHistoryEntry {
                order_id,
                at: now,
                kind: "sent_to_plugin".into(),
                detail: format!("accepted by plugin {plugin_id}"),
            }],
        )?;
        if moved == 1 {
            super::snapshots::emit_orders(c, &[(order_id, "orders.updated")], now)?;
        }
        diesel::update(plugins::table.find(plugin_id))
            .set((
                plugins::orders_sent.eq(plugins::orders_sent + 1),
                plugins::last_sent_at.eq(now),
                plugins::last_error.eq(None::<String>),
            ))
            .execute(c)?;
        Ok(())
    })
}

pub fn record_error(conn: &mut DbConn, plugin_id: i64, error: &str) -> QueryResult<()> {
    let error: String = error.chars().take(1000).collect();
    diesel::update(plugins::table.find(plugin_id)).set(plugins::last_error.eq(Some(error))).execute(conn)?;
    Ok(())
}
