//! A GraphQL request read as Shopify reads it: parsed and validated against the simulator's
//! schema (`schema.graphql`, from the Admin API reference) by apollo-compiler, with refusals in
//! the shape graphql-ruby (which serves the Admin API) gives them; and the helpers resolvers
//! use to read arguments and directives of a validated document.

use std::sync::OnceLock;

use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ast, ExecutableDocument, Node, Schema};
use regex::Regex;
use serde_json::{json, Map, Value};

const SCHEMA_SDL: &str = include_str!("schema.graphql");

/// The simulator's schema, validated once.
pub fn schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| match Schema::parse_and_validate(SCHEMA_SDL, "schema.graphql") {
        Ok(schema) => schema,
        // The schema is compiled in and checked by a unit test: this cannot fail at run time.
        Err(e) => panic!("the Shopify simulator's schema is invalid: {}", e.errors),
    })
}

/// A request whose document passed validation: the operation to run and its coerced variables.
pub struct Prepared {
    pub doc: Valid<ExecutableDocument>,
    pub operation_name: Option<String>,
    pub vars: Map<String, Value>,
}

impl Prepared {
    pub fn operation(&self) -> &Node<Operation> {
        // `prepare` checked that the operation exists.
        match self.doc.operations.get(self.operation_name.as_deref()) {
            Ok(op) => op,
            Err(_) => unreachable!("prepare checked the operation"),
        }
    }

    pub fn is_mutation(&self) -> bool {
        self.operation().operation_type == ast::OperationType::Mutation
    }

    /// The root fields the operation selects, fragments flattened.
    pub fn root_fields(&self) -> Vec<&Node<Field>> {
        fields(&self.operation().selection_set, &self.doc, &self.vars)
    }

    /// A field's argument (given, or its default), variables substituted; `None` when absent or null.
    pub fn arg(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.argument_by_name(name).ok()?;
        Some(value_json(value, &self.vars)).filter(|v| !v.is_null())
    }

    /// An argument of the shallowest field called `name` below `field` (`orders { nodes {
    /// lineItems } }`, not the line items of a fulfillment order further down).
    pub fn nested_arg(&self, field: &Field, name: &str, argument: &str) -> Option<Value> {
        self.find(&field.selection_set, name).and_then(|f| self.arg(f, argument))
    }

    /// The shallowest field called `name` in `set`, breadth first.
    pub fn find<'a>(&'a self, set: &'a SelectionSet, name: &str) -> Option<&'a Node<Field>> {
        let mut level = fields(set, &self.doc, &self.vars);
        while !level.is_empty() {
            if let Some(found) = level.iter().find(|f| f.name == name) {
                return Some(found);
            }
            level = level.into_iter().flat_map(|f| fields(&f.selection_set, &self.doc, &self.vars)).collect();
        }
        None
    }

    /// An argument of a directive on a field, variables substituted.
    pub fn directive_arg(&self, field: &Field, directive: &str, argument: &str) -> Option<Value> {
        let d = field.directives.get(directive)?;
        let value = d.specified_argument_by_name(argument)?;
        Some(value_json(value, &self.vars)).filter(|v| !v.is_null())
    }

    /// Whether the request supplied variable `name` (even as null).
    pub fn has_variable(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
}

/// Parses and validates `query`, picks the operation and coerces the variables; `Err` holds the
/// `errors` of a refusal (no data), as Shopify answers with HTTP 200.
pub fn prepare(query: &str, operation_name: Option<&str>, vars: &Map<String, Value>) -> Result<Prepared, Vec<Value>> {
    let doc = ExecutableDocument::parse_and_validate(schema(), query, "query.graphql")
        .map_err(|e| e.errors.iter().map(|d| diagnostic_error(d.error, d.to_json())).collect::<Vec<_>>())?;
    let operation = doc.operations.get(operation_name).map_err(|_| {
        let message = match operation_name {
            Some(name) => format!("No operation named \"{name}\""),
            None => "An operation name is required".to_string(),
        };
        vec![json!({ "message": message, "extensions": { "code": "OPERATION_NOT_FOUND" } })]
    })?;
    let raw: JsonMap = vars.iter().map(|(k, v)| (k.as_str().into(), JsonValue::from(v.clone()))).collect();
    let coerced = apollo_compiler::request::coerce_variable_values(schema(), operation, &raw).map_err(|e| {
        vec![json!({
            "message": format!("Variable input is invalid: {}", e.message()),
            "extensions": { "code": "INVALID_VARIABLE" },
        })]
    })?;
    let vars = serde_json::to_value(&*coerced)
        .ok()
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    let operation_name = operation.name.as_ref().map(|n| n.to_string());
    Ok(Prepared { doc, operation_name, vars })
}

/// A validation diagnostic as graphql-ruby words and codes it (the codes are its static
/// validation rules': `undefinedField`, `argumentNotAccepted`, …); syntax errors carry only a
/// message and locations, as graphql-ruby's ParseError does.
fn diagnostic_error(error: &apollo_compiler::validation::DiagnosticData, base: impl serde::Serialize) -> Value {
    let mut out = serde_json::to_value(base).unwrap_or_else(|_| json!({ "message": error.to_string() }));
    let compat = error.unstable_compat_message().unwrap_or_else(|| error.to_string());
    let quoted = |i: usize| -> Option<String> {
        let re = Regex::new(r#""([^"]*)""#).ok()?;
        let found = re.captures_iter(&compat).nth(i).and_then(|c| c.get(1)).map(|m| m.as_str().to_string());
        found
    };
    let (message, extensions) = match error.unstable_error_name() {
        None => return out,
        Some("UndefinedField") => {
            let (field, ty) = (quoted(0).unwrap_or_default(), quoted(1).unwrap_or_default());
            (
                format!("Field '{field}' doesn't exist on type '{ty}'"),
                json!({ "code": "undefinedField", "typeName": ty, "fieldName": field }),
            )
        }
        Some("UndefinedArgument") => {
            let (arg, on) = (quoted(0).unwrap_or_default(), quoted(1).unwrap_or_default());
            let field = on.rsplit('.').next().unwrap_or_default().to_string();
            (
                format!("Field '{field}' doesn't accept argument '{arg}'"),
                json!({ "code": "argumentNotAccepted", "name": field, "typeName": "Field", "argumentName": arg }),
            )
        }
        Some("RequiredArgument") => {
            let (field, arg) = (quoted(0).unwrap_or_default(), quoted(1).unwrap_or_default());
            (
                format!("Field '{field}' is missing required arguments: {arg}"),
                json!({ "code": "missingRequiredArguments", "className": "Field", "name": field, "arguments": arg }),
            )
        }
        Some("UndefinedVariable") => {
            let var = quoted(0).unwrap_or_default();
            let name = var.trim_start_matches('$').to_string();
            (
                format!("Variable ${name} is used but not declared"),
                json!({ "code": "variableNotDefined", "variableName": name }),
            )
        }
        Some("UnusedVariable") => {
            let name = quoted(0).unwrap_or_default().trim_start_matches('$').to_string();
            (
                format!("Variable ${name} is declared but not used"),
                json!({ "code": "variableNotUsed", "variableName": name }),
            )
        }
        Some(name) => {
            let code = match name {
                "UndefinedDefinition" => "undefinedType",
                "UndefinedDirective" => "undefinedDirective",
                "UndefinedFragment" => "undefinedFragment",
                "UnusedFragment" => "useAndDefineFragment",
                "UndefinedEnumValue"
                | "UnsupportedValueType"
                | "IntCoercionError"
                | "FloatCoercionError"
                | "UndefinedInputValue"
                | "RequiredField" => "argumentLiteralsIncompatible",
                "MissingSubselection" | "SubselectionOnScalarType" | "SubselectionOnEnumType" => "selectionMismatch",
                "DisallowedVariableUsage" => "variableMismatch",
                "UniqueArgument" => "argumentNotUnique",
                "UniqueVariable" => "variableNotUnique",
                "UnsupportedLocation" => "directiveCannotBeApplied",
                _ => "validationError",
            };
            (compat.clone(), json!({ "code": code }))
        }
    };
    out["message"] = json!(message);
    out["extensions"] = extensions;
    out
}

/// The fields of a selection set, inline fragments and fragment spreads flattened, `@skip`
/// and `@include` honoured.
pub fn fields<'a>(
    set: &'a SelectionSet,
    doc: &'a ExecutableDocument,
    vars: &Map<String, Value>,
) -> Vec<&'a Node<Field>> {
    let mut out = Vec::new();
    for selection in &set.selections {
        if !included(selection.directives(), vars) {
            continue;
        }
        match selection {
            Selection::Field(f) => out.push(f),
            Selection::InlineFragment(inline) => out.extend(fields(&inline.selection_set, doc, vars)),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.fragment_name) {
                    out.extend(fields(&fragment.selection_set, doc, vars));
                }
            }
        }
    }
    out
}

fn included(directives: &ast::DirectiveList, vars: &Map<String, Value>) -> bool {
    let flag = |name: &str| {
        directives
            .get(name)
            .and_then(|d| d.specified_argument_by_name("if"))
            .map(|v| value_json(v, vars) == Value::Bool(true))
    };
    flag("skip") != Some(true) && flag("include") != Some(false)
}

/// A GraphQL value as JSON, variables substituted (an unsupplied variable is null).
pub fn value_json(value: &ast::Value, vars: &Map<String, Value>) -> Value {
    match value {
        ast::Value::Null => Value::Null,
        ast::Value::Enum(name) => json!(name.as_str()),
        ast::Value::Variable(name) => vars.get(name.as_str()).cloned().unwrap_or(Value::Null),
        ast::Value::String(s) => json!(s),
        ast::Value::Float(f) => f.try_to_f64().map_or(Value::Null, |f| json!(f)),
        ast::Value::Int(i) => i.as_str().parse::<i64>().map_or(Value::Null, |i| json!(i)),
        ast::Value::Boolean(b) => json!(b),
        ast::Value::List(items) => Value::Array(items.iter().map(|v| value_json(v, vars)).collect()),
        ast::Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.to_string(), value_json(v, vars))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(query: &str) -> Value {
        match prepare(query, None, &Map::new()) {
            Ok(_) => panic!("accepted: {query}"),
            Err(errors) => errors[0].clone(),
        }
    }

    #[test]
    fn the_schema_is_valid() {
        assert!(schema().types.contains_key("QueryRoot"));
    }

    #[test]
    fn refuses_as_graphql_ruby_does() {
        let e = refusal("{ productVariants(first: 1) { nodes { sku colour } } }");
        assert_eq!(e["extensions"]["code"], "undefinedField");
        assert_eq!(e["extensions"]["fieldName"], "colour");
        assert_eq!(e["message"], "Field 'colour' doesn't exist on type 'ProductVariant'");
        assert!(e["locations"][0]["line"].is_number());
        let e = refusal("{ productVariants(first: 1, colour: 2) { nodes { sku } } }");
        assert_eq!(e["extensions"]["code"], "argumentNotAccepted");
        assert_eq!(e["extensions"]["argumentName"], "colour");
        assert_eq!(refusal("{ order { id } }")["extensions"]["code"], "missingRequiredArguments");
        assert_eq!(
            refusal("query { productVariants(first: $n) { nodes { sku } } }")["extensions"]["code"],
            "variableNotDefined"
        );
        let e = refusal("{ productVariants(first: 1) { nodes { sku }");
        assert!(e.get("extensions").is_none() && e["locations"].is_array(), "{e}");
        assert_eq!(
            refusal("{ orders(first: 1, sortKey: SIZE) { nodes { id } } }")["extensions"]["code"],
            "argumentLiteralsIncompatible"
        );
    }

    #[test]
    fn picks_the_named_operation_and_reads_arguments() {
        let doc = "query A($n: Int!) { productVariants(first: $n) { nodes { inventoryItem { inventoryLevel(locationId: \"gid://shopify/Location/2\") { id } } } } }\nquery B { shop { name } }";
        let vars: Map<String, Value> = json!({"n": 3}).as_object().cloned().unwrap_or_default();
        let p = prepare(doc, Some("A"), &vars).unwrap_or_else(|e| panic!("{e:?}"));
        let root = p.root_fields();
        assert_eq!(root.len(), 1);
        assert_eq!(p.arg(root[0], "first"), Some(json!(3)));
        assert_eq!(p.arg(root[0], "sortKey"), Some(json!("ID")), "the schema's default");
        assert_eq!(p.nested_arg(root[0], "inventoryLevel", "locationId"), Some(json!("gid://shopify/Location/2")));
        assert!(prepare(doc, None, &vars).is_err(), "two operations need a name");
        let e = prepare("query A($n: Int!) { productVariants(first: $n) { nodes { id } } }", None, &Map::new());
        assert!(e.is_err_and(|e| e[0]["extensions"]["code"] == "INVALID_VARIABLE"));
    }
}
