//! The OpenAPI 3.1 description of the HTTP API, generated from the handlers' annotations (utoipa).
//!
//! Every handler carries `#[utoipa::path]` and `ApiDoc` lists them all; `GET /api/openapi.json`
//! serves the document. Request bodies are described by the structs the handlers parse; answers
//! built from types outside `http` and `views` (the actors', the domain's) or with `json!` are
//! described here by doc-only structs named as the API shows them. `Problem` is the one error
//! shape, its `code` listing every stable code `ApiError` produces.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ApiError;

/// Every `code` an error answer can carry (see `crate::error`): the ones `ApiError` names
/// itself, the HTTP layer's (`ApiError::for_status`) and those the handlers give.
pub const PROBLEM_CODES: &[&str] = &[
    // `ApiError` itself and the HTTP layer.
    "bad_request",
    "nul_character",
    "unauthorized",
    "not_found",
    "method_not_allowed",
    "request_timeout",
    "length_required",
    "payload_too_large",
    "uri_too_long",
    "unsupported_media_type",
    "header_fields_too_large",
    "client_error",
    "unavailable",
    "busy",
    "internal",
    // Bodies and queries.
    "malformed_json",
    "unreadable_body",
    "invalid_value",
    "invalid_query",
    "invalid_source",
    // Unknown entities.
    "unknown_sku",
    "unknown_channel",
    "unknown_channel_product",
    "unknown_order",
    "unknown_fulfilment",
    "unknown_plugin",
    "unknown_webhook",
    "unknown_delivery",
    // The state of things.
    "sku_taken",
    "sku_allocated",
    "negative_stock",
    "order_state",
    "fulfilment_state",
    "channel_disabled",
    "channel_has_open_orders",
    "idempotency_key_reused",
];

fn problem_code() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .description(Some("Stable and machine-readable: what went wrong, independent of the wording of `detail`."))
        .enum_values(Some(PROBLEM_CODES.iter().copied()))
        .build()
}

/// An error, as every error leaves Chorus: `application/problem+json` (RFC 9457) with a stable
/// `code`. A 401 comes with `WWW-Authenticate: Bearer`, a 405 with `Allow`, a 503 `busy` with
/// `Retry-After`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `https://chorus.dev/problems/{code}`.
    #[schema(rename = "type")]
    kind: String,
    /// The status's reason phrase, e.g. `Not Found`.
    title: String,
    /// The HTTP status, repeated.
    status: u16,
    /// What went wrong, for a person; internal errors say no more than that the cause is logged.
    detail: String,
    #[schema(schema_with = problem_code)]
    code: String,
    /// The request value at fault, on 422 validation errors only: `sku`, `items[3].quantity`,
    /// `credentials.api_key`, `query`, a header name.
    #[schema(required = false)]
    field: String,
}

/// The security schemes the operations name: `bearer` (the admin token) and `plugin_bearer`
/// (a plugin's own API token).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(utoipa::openapi::Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The admin token, `Authorization: Bearer <token>`: `auth.admin_token` in the \
                         configuration, or the one generated and printed once at the first start. \
                         Compared by SHA-256 digest in constant time. Grants `/api/v1/*` (except \
                         `/api/v1/plugin/*`) and `/metrics`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "plugin_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("chp_<48 hex digits>")
                    .description(Some(
                        "A fulfilment-centre plugin's own API token, `Authorization: Bearer chp_…`, \
                         shown once when the plugin is created (`POST /api/v1/plugins`) or its \
                         credentials rotated (`POST /api/v1/plugins/{id}/rotate`). Looked up by its \
                         SHA-256 digest; the plugin must be enabled. It identifies the plugin and \
                         scopes every call to it (its stock source `plugin:<id>`, the orders routed \
                         to it). Valid for `/api/v1/plugin/*` only; the admin token is not accepted \
                         there.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus",
        version = env!("CARGO_PKG_VERSION"),
        description = "Keeps a merchant's sales channels in step: orders, stock, fulfilments, plugins, \
                       webhooks. Every error is `application/problem+json` (see `Problem`)."
    ),
    paths(
        super::health::health,
        super::schemas::order_v1,
        openapi_json,
        metrics_doc,
        super::hooks::channel_webhook,
        super::products::list::list,
        super::products::create::create,
        super::products::read::read,
        super::products::update::update,
        super::products::delete::delete,
        super::inventory::bulk_set::bulk_set,
        super::inventory::read::read,
        super::inventory::set_source::set_source,
        super::inventory::adjust::adjust,
        super::channels::list::list,
        super::channels::create::create,
        super::channels::read::read,
        super::channels::update::update,
        super::channels::delete::delete,
        super::channels::sync::sync,
        super::channels::redact::redact,
        super::channels::products::list,
        super::channels::products::read,
        super::channels::products::put,
        super::orders::list::list,
        super::orders::read::read,
        super::orders::action::release,
        super::orders::action::exclude,
        super::orders::redact::redact,
        super::fulfilments::create::create,
        super::fulfilments::read::read,
        super::fulfilments::retry::retry,
        super::plugins::manage::list,
        super::plugins::create::create,
        super::plugins::manage::read,
        super::plugins::manage::update,
        super::plugins::manage::delete,
        super::plugins::manage::rotate,
        super::webhooks::manage::list,
        super::webhooks::create::create,
        super::webhooks::manage::read,
        super::webhooks::manage::update,
        super::webhooks::manage::delete,
        super::webhooks::manage::rotate,
        super::webhooks::deliveries::list,
        super::webhooks::deliveries::resend,
        super::webhooks::deliveries::replay,
        super::admin::check::check,
        super::admin::cluster::cluster,
        super::plugin_api::inventory::put,
        super::plugin_api::fulfilments::create,
        super::plugin_api::products::put,
    ),
    components(schemas(Problem)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "system", description = "Health, published schemas, this document, metrics, and the marketplaces' signed webhooks."),
        (name = "products", description = "The catalogue Chorus keeps stock for."),
        (name = "inventory", description = "Per-SKU stock by source: single changes and bulk sets."),
        (name = "channels", description = "The marketplaces Chorus keeps in step, and their product data."),
        (name = "orders", description = "Imported orders: lines, status, hold reason, history."),
        (name = "fulfilments", description = "Shipping an order's units and following each fulfilment to its channel."),
        (name = "plugins", description = "Fulfilment-centre plugins: where their orders go and their credentials."),
        (name = "webhooks", description = "Subscriptions of other systems to Chorus's events, and their delivery log."),
        (name = "admin", description = "Operators' tools."),
        (name = "plugin_api", description = "What a plugin calls back with, authenticated by its own token."),
    )
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`: no auth; this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    operation_id = "openapi",
    summary = "This OpenAPI document",
    description = "The OpenAPI 3.1 description of every route, generated from the handlers. No authentication.",
    responses(
        (status = 200, description = "The OpenAPI document.", body = serde_json::Value, content_type = "application/json"),
        (status = 500, description = "The document could not be rendered (`internal`).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn openapi_json() -> HttpResponse {
    static DOCUMENT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(|| match ApiDoc::openapi().to_json() {
        Ok(json) => Some(json),
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document could not be rendered");
            None
        }
    });
    match document {
        Some(json) => HttpResponse::Ok().content_type("application/json").body(json.as_str()),
        None => actix_web::ResponseError::error_response(&ApiError::Internal(anyhow::anyhow!(
            "the OpenAPI document could not be rendered"
        ))),
    }
}

/// `GET /metrics` (served by `crate::http::metrics`), described here.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    operation_id = "metrics",
    summary = "Prometheus metrics",
    description = "Every metric in Prometheus's text exposition format (0.0.4): HTTP requests by route, \
                   imports, stock pushes, queues. Needs the admin token.",
    responses(
        (status = 200, description = "The metrics, in Prometheus's text format.", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy (`busy`, with `Retry-After`).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn metrics_doc() {}

// ---------------------------------------------------------------------------------------------
// Doc-only shapes: answers the handlers build with `json!` or from types outside `http`/`views`.
// ---------------------------------------------------------------------------------------------

/// `GET /health`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer (with status 503).
    status: String,
    /// The database backend's name, e.g. `sqlite` or `postgres`.
    database: String,
    /// Chorus's version; given when the status is `ok`.
    #[schema(required = false)]
    version: String,
}

/// `GET /api/v1/admin/check`: the stock invariants, checked.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct StockCheck {
    /// True when no invariant is violated.
    ok: bool,
    skus_checked: usize,
    violations: Vec<Violation>,
}

/// `GET /api/v1/cluster`: the processes sharing the database and their leases.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClusterView {
    /// False on SQLite (one process owns everything).
    leasing: bool,
    lease_ttl_ms: u64,
    renew_ms: u64,
    processes: Vec<ClusterProcess>,
    /// Leases no live process holds (about to be taken).
    unowned: Vec<ClusterLease>,
}

/// One process sharing the database.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClusterProcess {
    /// Host, process id and a random part; fresh on every start.
    id: String,
    /// The address it serves on.
    address: String,
    /// True for the process that answered.
    this: bool,
    /// False once its heartbeat has run out (shown for ten minutes).
    live: bool,
    started_at: String,
    renewed_at: String,
    leases: Vec<ClusterLease>,
}

/// A lease on a channel, plugin or webhook subscription.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClusterLease {
    /// `channel`, `plugin` or `subscription`.
    kind: String,
    id: i64,
    /// The fencing token: it grows on every change of owner.
    generation: i64,
    renewed_at: Option<String>,
    expires_at: Option<String>,
}

/// One broken stock invariant.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Violation {
    /// `on_hand`, `allocated`, `line`, `cache` or `pending_push`.
    check: String,
    sku: String,
    #[schema(required = false)]
    order_id: i64,
    #[schema(required = false)]
    channel_id: i64,
    expected: i64,
    found: i64,
    detail: String,
}

/// The answer to a channel's webhook. One of: `{"ping": "ok"}` (a WooCommerce ping),
/// `{"duplicate": true}` (this webhook id was seen already), `{"accepted": true}` (the channel
/// polls now), or `{"accepted": true, "imported": {…}}` (the order it carried was imported).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HookAnswer {
    #[schema(required = false)]
    ping: String,
    #[schema(required = false)]
    duplicate: bool,
    #[schema(required = false)]
    accepted: bool,
    #[schema(required = false)]
    imported: ImportOutcome,
}

/// What importing a batch of orders did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportOutcome {
    new: usize,
    updated: usize,
    unchanged: usize,
    /// Not imported: outside the channel's import filter.
    skipped: usize,
    on_hold: usize,
    /// Unpaid orders the channel reserves stock for: allocated, not yet workable.
    awaiting_payment: usize,
    /// First seen already shipped on the channel.
    fulfilled_on_channel: usize,
}

/// `POST /api/v1/channels/{id}/sync`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SyncStarted {
    channel_id: i64,
    /// `started`.
    sync: String,
}

/// `POST /api/v1/channels/{id}/redact`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomerRedacted {
    /// How many orders were redacted.
    redacted: usize,
    order_ids: Vec<i64>,
}

/// An order's status after `release` or `exclude`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderOutcome {
    /// `imported`, `on_hold`, `partially_fulfilled`, `synced`, `excluded` or `cancelled`.
    status: String,
    /// Why the order is on hold, if it is.
    hold_reason: Option<String>,
}

/// `PUT /api/v1/inventory`: what the bulk set did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BulkOutcome {
    /// SKUs whose quantity changed.
    changed: usize,
    /// SKUs already at the figure sent.
    unchanged: usize,
    /// SKUs whose report was older than the one already applied.
    stale: usize,
    /// Products created because `create_missing` was set.
    created: usize,
}

/// `PUT /api/v1/plugin/inventory`: what the plugin's report did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PluginStockOutcome {
    changed: usize,
    unchanged: usize,
    /// Levels older than the one already applied for their SKU: ignored.
    stale: usize,
}

/// `PUT /api/v1/plugin/products`: what the plugin's report did.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PluginProductsOutcome {
    created: usize,
    updated: usize,
    unchanged: usize,
}

/// Events queued for delivery again.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Queued {
    queued: usize,
}

/// One delivery attempt of an event to a subscriber.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Delivery {
    id: i64,
    event_id: i64,
    /// The `webhook-id` header sent (kept when an event is re-sent).
    webhook_id: String,
    attempt: i32,
    /// When it was attempted (RFC 3339).
    at: String,
    /// The subscriber's status code; null when no answer came.
    status_code: Option<i32>,
    duration_ms: i64,
    error: Option<String>,
    /// The start of the subscriber's answer.
    response: String,
}

/// `GET /api/v1/products/{sku}`: the product with its channel and plugin product data.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductDetail {
    sku: String,
    title: String,
    created_at: String,
    updated_at: String,
    channels: Vec<super::channels::products::ChannelProductView>,
    plugins: Vec<PluginProductEntry>,
}

/// A plugin's own data for a SKU (`PUT /api/v1/plugin/products`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PluginProductEntry {
    plugin_id: i64,
    /// What the plugin reported: `external_id`, `title`, `barcode`, `weight_grams`, `length_mm`,
    /// `width_mm`, `height_mm`, `hs_code`, `country_of_origin` (those it gave).
    #[schema(value_type = Object)]
    data: serde_json::Value,
    updated_at: String,
}

/// A channel's product data as a GET shows it, beside `channel_id`, `sku` and the rest: the
/// fields of `ChannelProductData`, without its ban on other properties.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChannelProductFields {
    listing_id: Option<String>,
    variant_id: Option<String>,
    inventory_item_id: Option<String>,
    location_id: Option<String>,
    image_url: Option<String>,
    price: Option<super::channels::products::Money>,
    weight_grams: Option<i64>,
    dimensions_mm: Option<super::channels::products::Dimensions>,
    customs: super::channels::products::Customs,
}

/// A channel's options; which apply depends on its kind.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChannelOptions {
    /// Shopify: the location whose stock the channel manages, by id (`gid://shopify/Location/…` or
    /// the number alone) or name; unset, the shop's primary location.
    #[schema(required = false)]
    location: String,
    /// WooCommerce over https: send the consumer key and secret in the query string instead of
    /// the `Authorization` header, for servers that strip the header.
    #[schema(required = false)]
    query_string_auth: bool,
    /// For comparisons (`chorus bench oversell`), not for shops: behave like a polling-cadence
    /// system — import every this many milliseconds (100 to 86,400,000), send every figure again
    /// after each import, and overwrite the channel's figures without a compare and without
    /// importing its sales first.
    #[schema(required = false, minimum = 100, maximum = 86400000)]
    cadence_ms: u64,
}

/// Which orders a plugin takes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Routing {
    /// `"all"`, or a list of channel ids.
    channels: serde_json::Value,
    /// Only orders with these SKUs, when given.
    #[schema(required = false)]
    skus: Vec<String>,
}

/// A page of products.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductPage {
    items: Vec<super::products::ProductView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// A page of a channel's listings.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChannelProductPage {
    items: Vec<super::channels::products::ChannelProductView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// A page of orders (without lines and history).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderPage {
    items: Vec<crate::views::orders::OrderView>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// A page of delivery attempts, newest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeliveryPage {
    items: Vec<Delivery>,
    /// Pass as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// Every channel.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChannelList {
    items: Vec<super::channels::ChannelView>,
}

/// Every plugin.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PluginList {
    items: Vec<super::plugins::PluginView>,
}

/// Every webhook subscription.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SubscriptionList {
    items: Vec<super::webhooks::SubscriptionView>,
}
