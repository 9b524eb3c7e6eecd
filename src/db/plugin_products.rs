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

/// What a plugin's product report came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Reported {
    /// Created, updated and unchanged counts.
    Saved { created: usize, updated: usize, unchanged: usize },
    /// These SKUs have no product; nothing was saved.
    UnknownSkus(Vec<String>),
}

/// Saves a plugin's report of many products in one write transaction, all or nothing: a SKU
/// without a product refuses the whole report.
pub fn save_many(
    conn: &mut DbConn,
    plugin_id: i64,
    items: &[(String, Value)],
    now: i64,
) -> Result<Reported, super::DbError> {
    super::write_tx(conn, |c| {
        let skus: Vec<&str> = items.iter().map(|(sku, _)| sku.as_str()).collect();
        let known = super::products::existing(c, &skus)?;
        let unknown: Vec<String> =
            skus.iter().filter(|s| !known.iter().any(|k| k == *s)).map(|s| s.to_string()).collect();
        if !unknown.is_empty() {
            return Ok(Reported::UnknownSkus(unknown));
        }
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for (sku, data) in items {
            match save(c, plugin_id, sku, data, now)? {
                Saved::Created => created += 1,
                Saved::Updated => updated += 1,
                Saved::Unchanged => unchanged += 1,
            }
        }
        Ok(Reported::Saved { created, updated, unchanged })
    })
}
