//! Query cost by Shopify's documented rules
//! (https://shopify.dev/docs/api/usage/rate-limits#cost-calculation), computed from the
//! validated document, never from the client's own formula: scalars and enums cost 0, an
//! object 1, a connection 2 plus `first` (or `last`) times one node, a list sized by `first`
//! that many objects, a mutation 10. The requested cost is what the selection could return;
//! the actual cost counts what the answer holds.

use apollo_compiler::executable::{Field, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::Node;
use serde_json::Value;

use super::document::{fields, schema, Prepared};
use super::MUTATION_COST;

/// Why a document cannot be costed: a connection without `first` or `last`.
pub type Fault = (String, &'static str);

/// The requested cost of the whole operation.
pub fn requested(p: &Prepared) -> Result<i64, Fault> {
    let root = p.root_fields();
    if p.is_mutation() {
        return Ok(MUTATION_COST * root.len() as i64);
    }
    root.into_iter().map(|f| field_cost(p, f)).sum()
}

/// The actual cost of `data`, the answer to the operation.
pub fn actual(p: &Prepared, data: &Value) -> i64 {
    let root = p.root_fields();
    if p.is_mutation() {
        return MUTATION_COST * root.len() as i64;
    }
    root.into_iter().map(|f| field_actual(p, f, &data[f.response_key().as_str()])).sum()
}

enum Kind {
    Leaf,
    Connection,
    /// A list whose size an argument sets (`refunds(first:)`).
    SizedList,
    Object,
}

fn kind(field: &Field) -> Kind {
    let inner = field.ty().inner_named_type();
    match schema().types.get(inner) {
        Some(ExtendedType::Scalar(_) | ExtendedType::Enum(_)) | None => Kind::Leaf,
        Some(_) if inner.as_str().ends_with("Connection") => Kind::Connection,
        Some(_) if field.ty().is_list() && field.definition.argument_by_name("first").is_some() => Kind::SizedList,
        Some(_) => Kind::Object,
    }
}

fn size(p: &Prepared, field: &Field) -> Option<i64> {
    p.arg(field, "first").or_else(|| p.arg(field, "last")).and_then(|v| v.as_i64()).map(|n| n.max(0))
}

fn children(p: &Prepared, set: &SelectionSet) -> Result<i64, Fault> {
    fields(set, &p.doc, &p.vars).into_iter().map(|f| field_cost(p, f)).sum()
}

/// One node of a connection: `nodes { … }` or `edges { node { … } }`, whichever costs more
/// (`pageInfo` and the edges themselves are part of the connection's 2).
fn node_cost(p: &Prepared, connection: &Field) -> Result<i64, Fault> {
    let mut most = 0;
    for f in fields(&connection.selection_set, &p.doc, &p.vars) {
        let cost = match f.name.as_str() {
            "nodes" => 1 + children(p, &f.selection_set)?,
            "edges" => fields(&f.selection_set, &p.doc, &p.vars)
                .into_iter()
                .filter(|e| e.name == "node")
                .map(|n| children(p, &n.selection_set).map(|c| 1 + c))
                .sum::<Result<i64, Fault>>()?,
            _ => 0,
        };
        most = most.max(cost);
    }
    Ok(most)
}

fn field_cost(p: &Prepared, field: &Node<Field>) -> Result<i64, Fault> {
    match kind(field) {
        Kind::Leaf => Ok(0),
        Kind::Connection => {
            let Some(n) = size(p, field) else {
                return Err((
                    format!("you must provide one of first or last ({})", field.response_key()),
                    "BAD_REQUEST",
                ));
            };
            Ok(2 + n * node_cost(p, field)?)
        }
        Kind::SizedList => Ok(size(p, field).unwrap_or(1) * (1 + children(p, &field.selection_set)?)),
        Kind::Object => Ok(1 + children(p, &field.selection_set)?),
    }
}

fn objects_actual(p: &Prepared, set: &SelectionSet, value: &Value) -> i64 {
    match value {
        Value::Array(items) => items.iter().map(|i| objects_actual(p, set, i)).sum(),
        Value::Object(_) => {
            1 + fields(set, &p.doc, &p.vars)
                .into_iter()
                .map(|f| field_actual(p, f, &value[f.response_key().as_str()]))
                .sum::<i64>()
        }
        _ => 0,
    }
}

fn field_actual(p: &Prepared, field: &Node<Field>, value: &Value) -> i64 {
    if value.is_null() {
        return 0;
    }
    match kind(field) {
        Kind::Leaf => 0,
        Kind::Connection => {
            let mut most = 0;
            for f in fields(&field.selection_set, &p.doc, &p.vars) {
                let here = &value[f.response_key().as_str()];
                let cost = match f.name.as_str() {
                    "nodes" => objects_actual(p, &f.selection_set, here),
                    "edges" => fields(&f.selection_set, &p.doc, &p.vars)
                        .into_iter()
                        .filter(|n| n.name == "node")
                        .map(|n| {
                            here.as_array()
                                .into_iter()
                                .flatten()
                                .map(|edge| objects_actual(p, &n.selection_set, &edge[n.response_key().as_str()]))
                                .sum::<i64>()
                        })
                        .sum(),
                    _ => 0,
                };
                most = most.max(cost);
            }
            2 + most
        }
        Kind::SizedList | Kind::Object => objects_actual(p, &field.selection_set, value),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map};

    use super::super::document::prepare;
    use super::*;

    fn cost(query: &str, vars: Value) -> i64 {
        let vars: Map<String, Value> = vars.as_object().cloned().unwrap_or_default();
        let p = prepare(query, None, &vars).unwrap_or_else(|e| panic!("{e:?}"));
        requested(&p).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn follows_the_documented_rules() {
        assert_eq!(cost("{ shop { currencyCode } }", json!({})), 1);
        assert_eq!(cost("{ productVariants(first: 10) { nodes { sku } } }", json!({})), 12);
        assert_eq!(cost("query($n: Int) { productVariants(first: $n) { edges { node { sku product { id } } } pageInfo { hasNextPage } } }", json!({"n": 5})), 12);
        // Nested connections multiply: 2 + 40 × (1 + 2 + 20 × 1).
        assert_eq!(
            cost("{ orders(first: 40) { nodes { id lineItems(first: 20) { nodes { id } } } } }", json!({})),
            922
        );
        // A list sized by `first`: 1 + 5 × (1 + (2 + 10 × (1 + 1))).
        assert_eq!(cost("{ order(id: \"gid://shopify/Order/1\") { refunds(first: 5) { refundLineItems(first: 10) { nodes { quantity lineItem { id } } } } } }", json!({})), 116);
        assert_eq!(cost("mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) { userErrors { code } } }", json!({"i": {"name": "available", "reason": "correction", "quantities": []}})), 10);
    }

    #[test]
    fn a_connection_needs_a_size() {
        let p = prepare("{ productVariants { nodes { sku } } }", None, &Map::new()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(requested(&p).is_err());
    }

    #[test]
    fn actual_counts_what_came_back() {
        let p =
            prepare("{ orders(first: 10) { nodes { id lineItems(first: 5) { nodes { id } } } } }", None, &Map::new())
                .unwrap_or_else(|e| panic!("{e:?}"));
        let data =
            json!({ "orders": { "nodes": [ { "id": "1", "lineItems": { "nodes": [ {"id": "a"}, {"id": "b"} ] } } ] } });
        assert_eq!(actual(&p, &data), 2 + (1 + 2 + 2));
    }
}
