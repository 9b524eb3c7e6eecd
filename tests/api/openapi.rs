//! The OpenAPI document (`GET /api/openapi.json`): every route the source registers is described
//! with its methods, admin and plugin routes name their security, and the `Problem` schema
//! lists every error code the source can produce and matches what errors really look like.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::*;

const METHODS: [&str; 8] = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every (METHOD, path) the source registers: each `web::resource("PATH")` under `src/http`
/// with the methods of the next `allow("...")` after it (its `default_service`). Resources in
/// files directly in `src/http` are at the root, those under `plugin_api/` under
/// `/api/v1/plugin`, all others under `/api/v1`.
fn route_table() -> BTreeSet<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let relative = file.strip_prefix(&root).unwrap();
        let prefix = if relative.components().count() == 1 {
            ""
        } else if relative.starts_with("plugin_api") {
            "/api/v1/plugin"
        } else {
            "/api/v1"
        };
        const RESOURCE: &str = "web::resource(\"";
        const ALLOW: &str = "allow(\"";
        let mut rest = source.as_str();
        while let Some(at) = rest.find(RESOURCE) {
            let after = &rest[at + RESOURCE.len()..];
            let end = after.find('"').unwrap();
            let path = &after[..end];
            let tail = &after[end..];
            let allow = tail
                .find(ALLOW)
                .unwrap_or_else(|| panic!("{}: resource {path:?} has no allow(\"...\") after it", file.display()));
            let methods = &tail[allow + ALLOW.len()..];
            let methods = &methods[..methods.find('"').unwrap()];
            for method in methods.split(',') {
                routes.insert((method.trim().to_ascii_uppercase(), format!("{prefix}{path}")));
            }
            rest = tail;
        }
    }
    routes
}

async fn document(app: &TestApp) -> Value {
    let reply = app.request("GET", "/api/openapi.json", None, None).await;
    assert_eq!(reply.status.as_u16(), 200, "GET /api/openapi.json: {}", reply.body);
    assert!(reply.content_type.starts_with("application/json"), "content-type {}", reply.content_type);
    reply.body
}

fn security_names(operation: &Value) -> Vec<String> {
    operation["security"]
        .as_array()
        .map(|reqs| reqs.iter().filter_map(Value::as_object).flat_map(|req| req.keys().cloned()).collect())
        .unwrap_or_default()
}

#[actix_web::test]
async fn every_route_is_described() {
    let routes = route_table();
    assert!(routes.len() >= 40, "the route scan found only {} routes: {routes:?}", routes.len());
    assert!(routes.contains(&("GET".to_string(), "/api/openapi.json".to_string())), "{routes:?}");
    assert!(routes.contains(&("PUT".to_string(), "/api/v1/plugin/inventory".to_string())), "{routes:?}");
    assert!(routes.contains(&("GET".to_string(), "/api/v1/products/{sku}".to_string())), "{routes:?}");

    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    let doc = document(&app).await;

    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "openapi: {}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "Chorus");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object(), "no bearer scheme");
    assert!(doc["components"]["securitySchemes"]["plugin_bearer"].is_object(), "no plugin_bearer scheme");

    let missing: Vec<String> = routes
        .iter()
        .filter(|(method, path)| !doc["paths"][path.as_str()][method.to_ascii_lowercase()].is_object())
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(missing.is_empty(), "routes the OpenAPI document does not describe: {missing:#?}");

    let paths = doc["paths"].as_object().expect("paths");
    let mut stale = Vec::new();
    let mut unsecured = Vec::new();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            if !routes.contains(&(method.to_ascii_uppercase(), path.clone())) {
                stale.push(format!("{} {path}", method.to_ascii_uppercase()));
            }
            let id = operation["operationId"].as_str().unwrap_or_default().to_string();
            assert!(operation_ids.insert(id.clone()), "operationId {id:?} is used twice");
            let names = security_names(operation);
            let wanted = if path.starts_with("/api/v1/plugin/") {
                Some("plugin_bearer")
            } else if path.starts_with("/api/v1/") {
                Some("bearer")
            } else {
                None
            };
            if let Some(wanted) = wanted {
                if !names.iter().any(|n| n == wanted) {
                    unsecured.push(format!("{} {path} (security: {names:?})", method.to_ascii_uppercase()));
                }
            }
        }
    }
    assert!(stale.is_empty(), "operations described for routes the source does not register: {stale:#?}");
    assert!(unsecured.is_empty(), "operations without their security requirement: {unsecured:#?}");
    app.stop().await;
}

/// Every code the source gives an `ApiError`: `ApiError::not_found("…")` / `conflict("…")`,
/// `ApiError::Variant { code: "…" }`, and the codes `src/error.rs` names itself (`=> "…",`).
fn codes_in_source() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let calls = regex::Regex::new(r#"ApiError::(?:not_found|conflict)\(\s*"([a-z_]+)""#).unwrap();
    let variants =
        regex::Regex::new(r#"ApiError::(?:BadRequest|Validation|NotFound|Conflict|Status)\s*\{\s*code:\s*"([a-z_]+)""#)
            .unwrap();
    let arms = regex::Regex::new(r#"=>\s*"([a-z_]+)","#).unwrap();
    let mut codes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for re in [&calls, &variants] {
            codes.extend(re.captures_iter(&source).map(|c| c[1].to_string()));
        }
        if file.ends_with("src/error.rs") {
            codes.extend(arms.captures_iter(&source).map(|c| c[1].to_string()));
        }
    }
    codes
}

/// A real error answer has the `Problem` shape: only its properties, all the required ones, a
/// listed code.
fn assert_problem_shape(reply: &Reply, problem: &Value, listed: &BTreeSet<String>) {
    assert!(reply.content_type.starts_with("application/problem+json"), "content-type {}", reply.content_type);
    let body = reply.body.as_object().expect("a problem is an object");
    let properties = problem["properties"].as_object().expect("Problem has properties");
    for key in body.keys() {
        assert!(properties.contains_key(key), "the problem's {key:?} is not in the Problem schema: {}", reply.body);
    }
    for required in problem["required"].as_array().expect("Problem has required properties") {
        let required = required.as_str().unwrap();
        assert!(body.contains_key(required), "the problem lacks {required:?}: {}", reply.body);
    }
    let code = reply.body["code"].as_str().unwrap();
    assert!(listed.contains(code), "the problem's code {code:?} is not listed: {listed:?}");
}

#[actix_web::test]
async fn every_problem_code_is_listed() {
    let db = TestDb::new(Backend::Sqlite);
    let app = spawn_app(&db).await;
    let doc = document(&app).await;
    let problem = &doc["components"]["schemas"]["Problem"];
    assert!(problem.is_object(), "no Problem schema: {:#}", doc["components"]["schemas"]);
    let listed: BTreeSet<String> = problem["properties"]["code"]["enum"]
        .as_array()
        .expect("Problem.code is an enum")
        .iter()
        .map(|c| c.as_str().expect("codes are strings").to_string())
        .collect();
    assert!(!listed.is_empty(), "Problem.code lists no code");
    for code in ["not_found", "unauthorized", "invalid_value", "malformed_json", "busy", "internal", "unknown_sku"] {
        assert!(listed.contains(code), "Problem.code does not list {code:?}: {listed:?}");
    }

    let in_source = codes_in_source();
    assert!(in_source.len() >= 20, "the code scan found only {in_source:?}");
    let unlisted: Vec<&String> = in_source.difference(&listed).collect();
    assert!(unlisted.is_empty(), "codes the source produces that Problem.code does not list: {unlisted:?}");

    // Real answers match the schema.
    let unknown = app.get("/api/v1/products/NO-SUCH-SKU").await;
    assert_problem(&unknown, 404, "unknown_sku");
    assert_problem_shape(&unknown, problem, &listed);
    let unauthorized = app.request("GET", "/api/v1/products", None, None).await;
    assert_problem(&unauthorized, 401, "unauthorized");
    assert_problem_shape(&unauthorized, problem, &listed);
    let invalid = app.get("/api/v1/products?limit=0").await;
    assert_problem(&invalid, 422, "invalid_value");
    assert_eq!(invalid.body["field"], "limit");
    assert_problem_shape(&invalid, problem, &listed);
    app.stop().await;
}
