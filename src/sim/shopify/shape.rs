//! The answer has the shape of the query: a resolver's full object is cut down to the fields
//! selected, under their aliases, with `__typename` where asked.

use apollo_compiler::executable::SelectionSet;
use serde_json::{Map, Value};

use super::document::{fields, Prepared};

/// `full` (an object, a list of them, or a leaf) reduced to `set`.
pub fn project(p: &Prepared, set: &SelectionSet, full: &Value) -> Value {
    match full {
        Value::Array(items) => Value::Array(items.iter().map(|i| project(p, set, i)).collect()),
        Value::Object(obj) if !set.selections.is_empty() => {
            let mut out = Map::new();
            for f in fields(set, &p.doc, &p.vars) {
                let value = if f.name == "__typename" {
                    Value::String(set.ty.to_string())
                } else {
                    project(p, &f.selection_set, obj.get(f.name.as_str()).unwrap_or(&Value::Null))
                };
                let key = f.response_key().to_string();
                match out.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        out.insert(key, value);
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The same response key selected twice (`nodes { id } nodes { sku }`): one merged value.
fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (x, y) in a.iter_mut().zip(b) {
                merge(x, y);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::document::prepare;
    use super::*;

    #[test]
    fn keeps_only_what_was_asked_under_aliases() {
        let p = prepare(
            "{ v: productVariants(first: 2) { nodes { code: sku __typename ... on ProductVariant { id } } nodes { price } } }",
            None,
            &Map::new(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let root = p.root_fields()[0];
        let full =
            json!({ "nodes": [ { "id": "1", "sku": "A", "price": "1.00", "inventoryQuantity": 4 } ], "edges": [] });
        assert_eq!(
            project(&p, &root.selection_set, &full),
            json!({ "nodes": [ { "code": "A", "__typename": "ProductVariant", "id": "1", "price": "1.00" } ] })
        );
    }
}
