//! Queries over plugin product data: what a fulfilment centre reports about the SKUs it holds
//! (its own ids, dimensions, weight), kept per (plugin, SKU) beside the channel product data.

use diesel::prelude::*;
use serde_json::Value;

use super::schema::plugin_products;
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = plugin_products)]
pub struct PluginProduct {
    pub plugin_id: i64,
    pub sku: String,
    /// JSON object of the reported fields.
    pub data: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    Created,
    Updated,
    Unchanged,
}

/// Inserts or replaces the plugin's data for a SKU, recording `plugins.products.created` or
/// `plugins.products.updated` in the caller's transaction (nothing when the data is the same).
pub fn save(conn: &mut DbConn, plugin_id: i64, sku: &str, data: &Value, now: i64) -> QueryResult<Saved> {
    let text = data.to_string();
    let old: Option<PluginProduct> =
        plugin_products::table.find((plugin_id, sku)).select(PluginProduct::as_select()).first(conn).optional()?;
    let saved = match &old {
        Some(o) if o.data == text => return Ok(Saved::Unchanged),
        Some(_) => {
            diesel::update(plugin_products::table.find((plugin_id, sku)))
                .set((plugin_products::data.eq(&text), plugin_products::updated_at.eq(now)))
                .execute(conn)?;
            Saved::Updated
        }
        None => {
            diesel::insert_into(plugin_products::table)
                .values((
                    plugin_products::plugin_id.eq(plugin_id),
                    plugin_products::sku.eq(sku),
                    plugin_products::data.eq(&text),
                    plugin_products::created_at.eq(now),
                    plugin_products::updated_at.eq(now),
                ))
                .execute(conn)?;
            Saved::Created
        }
    };
    let kind = if saved == Saved::Created { "plugins.products.created" } else { "plugins.products.updated" };
    let payload = serde_json::json!({ "plugin_id": plugin_id, "sku": sku, "data": data });
    super::events::record(conn, kind, None, &format!("plugin:{plugin_id}/sku:{sku}"), &payload, now)?;
    Ok(saved)
}

pub fn list_for_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Vec<PluginProduct>> {
    plugin_products::table
        .filter(plugin_products::sku.eq(sku))
        .order(plugin_products::plugin_id)
        .select(PluginProduct::as_select())
        .load(conn)
}
