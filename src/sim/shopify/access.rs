//! Protected customer data: what Shopify withholds, field by field, from an app that is not
//! approved for level 2 (names, addresses, email, phone): the field answers null and the
//! response carries an `ACCESS_DENIED` error with its path, beside the rest of the data.

use apollo_compiler::executable::SelectionSet;
use serde_json::{json, Value};

use super::document::{fields, Prepared};
use super::whole::{PROTECTED_CUSTOMER_FIELDS, PROTECTED_ORDER_FIELDS};

fn protected(ty: &str, field: &str) -> bool {
    match ty {
        "Order" => PROTECTED_ORDER_FIELDS.contains(&field),
        "Customer" => PROTECTED_CUSTOMER_FIELDS.contains(&field),
        _ => false,
    }
}

fn denied(field: &str, path: &[Value]) -> Value {
    json!({
        "message": format!(
            "This app is not approved to use the {field} field. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details."
        ),
        "path": path,
        "extensions": { "code": "ACCESS_DENIED" },
    })
}

/// Nulls the protected fields of `value` (the answer to `set`) and records an error for each.
/// Returns true when a withheld field cannot be null, so the object holding it must be.
pub fn withhold(
    p: &Prepared,
    set: &SelectionSet,
    value: &mut Value,
    path: &mut Vec<Value>,
    errors: &mut Vec<Value>,
) -> bool {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(json!(i));
                if withhold(p, set, item, path, errors) {
                    *item = Value::Null;
                }
                path.pop();
            }
            false
        }
        Value::Object(obj) => {
            let mut null_self = false;
            for f in fields(set, &p.doc, &p.vars) {
                let key = f.response_key().to_string();
                let Some(v) = obj.get_mut(&key) else { continue };
                path.push(json!(key));
                if protected(set.ty.as_str(), f.name.as_str()) {
                    if !v.is_null() {
                        *v = Value::Null;
                        if !errors.iter().any(|e| e["path"] == json!(path)) {
                            errors.push(denied(f.name.as_str(), path));
                        }
                        null_self |= f.ty().is_non_null();
                    }
                } else if !f.selection_set.selections.is_empty() && withhold(p, &f.selection_set, v, path, errors) {
                    *v = Value::Null;
                }
                path.pop();
            }
            null_self
        }
        _ => false,
    }
}
