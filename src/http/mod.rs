//! The HTTP API: `/health`, and the admin API under `/api/v1`, one small file per endpoint.

pub(crate) mod admin;
pub mod auth;
pub mod channels;
pub mod cursor;
pub mod extract;
pub mod fulfilments;
pub mod health;
pub mod hooks;
pub mod inventory;
pub mod metrics;
pub mod openapi;
pub mod orders;
pub mod plugin_api;
pub mod plugins;
pub mod products;
pub mod schemas;
pub mod sessions;
pub mod webhooks;

use actix::Addr;
use actix_web::web;

use crate::actors::inventory::{InventoryActor, StockCache};
use crate::db::{DatabaseKind, DbPool};
use crate::error::{ApiError, ApiResult};

/// What every handler can reach, handed over as `web::Data<AppState>`.
pub struct AppState {
    pub pool: DbPool,
    pub backend: DatabaseKind,
    pub inventory: Addr<InventoryActor>,
    pub stock_cache: StockCache,
    pub channels: crate::actors::registry::ChannelRegistry,
    pub plugins: crate::actors::plugin::registry::PluginRegistry,
    pub webhooks: crate::actors::webhook::registry::WebhookRegistry,
    pub secrets: crate::secrets::SecretBox,
    pub admin_token_sha256: [u8; 32],
    pub max_body_bytes: usize,
    /// How long a client has to send its whole body once its headers are in.
    pub body_timeout: std::time::Duration,
    pub hooks: HookLimits,
    /// The console's signed-in sessions.
    pub console: sessions::Sessions,
    /// This process's place among the processes sharing the database.
    pub cluster: crate::actors::cluster::Cluster,
}

/// What a channel's webhook may cost before it is known to be genuine: a body limit of its
/// own and a bound on bodies read at once per channel.
pub struct HookLimits {
    pub max_body_bytes: usize,
    per_channel: usize,
    gates: dashmap::DashMap<i64, std::sync::Arc<tokio::sync::Semaphore>>,
}

impl HookLimits {
    pub fn new(max_body_bytes: usize, per_channel: usize) -> HookLimits {
        HookLimits { max_body_bytes, per_channel: per_channel.max(1), gates: Default::default() }
    }

    /// A place among the channel's bodies in flight, if one is free (held until dropped). Only
    /// asked for channels that exist, so the map stays as small as the channel table.
    pub fn permit(&self, channel: i64) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let gate = self
            .gates
            .entry(channel)
            .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(self.per_channel)))
            .clone();
        gate.try_acquire_owned().ok()
    }
}

/// Any error answer that is not problem+json already (one the HTTP layer made by itself) is
/// rewritten as one with the same status, so clients meet one error shape everywhere.
pub fn problem_for_bare_errors<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    use actix_web::middleware::ErrorHandlerResponse;
    // The console answers its own errors as pages; everything else is problem+json.
    let is_problem = res.headers().get(actix_web::http::header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/problem+json") || v.as_bytes().starts_with(b"text/html")
    });
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let answer = actix_web::ResponseError::error_response(&ApiError::for_status(status));
    Ok(ErrorHandlerResponse::Response(actix_web::dev::ServiceResponse::new(req, answer).map_into_right_body()))
}

/// Refuses a path or query carrying an encoded NUL (`%00`) before any handler sees it: no
/// identifier or filter can contain one, and PostgreSQL would refuse it as text.
pub async fn refuse_nul(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let uri = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or_default();
    if uri.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0') {
        return Err(extract::nul_refused("path").into());
    }
    next.call(req).await
}

/// Whether a URL's host must resolve when it is registered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// Subscribers and plugins: a name that does not resolve is refused.
    Required,
    /// Channels: a marketplace's name may not resolve from here yet; what it resolves to is
    /// judged at every connection.
    IfPossible,
}

/// The one rule for every URL Chorus calls (subscribers, plugins, channels' `base_url`):
/// http(s) with a host and no user info, and no address that is not globally reachable
/// (IANA registries, `domain::address`) unless `webhooks.allow_private_networks` is on. The
/// same check runs again at every connection, after resolving.
pub async fn outbound_url(field: &str, raw: &str, allow_private: bool, resolve: Resolve) -> ApiResult<url::Url> {
    let url = url::Url::parse(raw.trim()).map_err(|e| ApiError::validation(field, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::validation(field, "must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::validation(
            field,
            "must not carry a user name or password; put credentials where they are sealed",
        ));
    }
    let Some(host) = url.host_str() else { return Err(ApiError::validation(field, "has no host")) };
    if let Some(why) = crate::connectors::guard::forbidden_literal(url.as_str(), allow_private) {
        return Err(ApiError::validation(field, why));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    match crate::connectors::guard::checked_addresses(host, port, allow_private).await {
        Ok(_) => Ok(url),
        Err(crate::connectors::guard::Refused::Unresolved(_)) if resolve == Resolve::IfPossible => Ok(url),
        Err(e) => Err(ApiError::validation(field, e.to_string())),
    }
}

/// A resource's answer to a method it does not serve: 405 problem+json with `Allow`.
pub fn allow(methods: &'static str) -> actix_web::Route {
    web::route().to(move |req: actix_web::HttpRequest| async move {
        Err::<actix_web::HttpResponse, ApiError>(ApiError::MethodNotAllowed {
            method: req.method().to_string(),
            allow: methods,
        })
    })
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::not_found("not_found", format!("no such resource: {err}")).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError::Validation { code: "invalid_query", field: "query".into(), message: err.to_string() }.into()
    }))
    .service(web::resource("/health").get(health::health).default_service(allow("GET")))
    .service(web::resource("/schemas/order.v1.json").get(schemas::order_v1).default_service(allow("GET")))
    .service(web::resource("/api/openapi.json").get(openapi::openapi_json).default_service(allow("GET")))
    .service(
        web::resource("/metrics")
            .wrap(actix_web::middleware::from_fn(auth::require_admin))
            .get(metrics::metrics)
            .default_service(allow("GET")),
    )
    .service(web::resource("/hooks/channels/{id}").post(hooks::channel_webhook).default_service(allow("POST")))
    // Registered before the admin scope, which would otherwise claim its paths.
    .service(
        web::scope("/api/v1/plugin")
            .wrap(actix_web::middleware::from_fn(plugin_api::require_plugin))
            .configure(plugin_api::routes),
    )
    .service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(auth::require_admin))
            .configure(products::routes)
            .configure(inventory::routes)
            .configure(channels::routes)
            .configure(orders::routes)
            .configure(fulfilments::routes)
            .configure(plugins::routes)
            .configure(webhooks::routes)
            .configure(admin::routes),
    )
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("not_found", "no such resource or method"))
}

pub use crate::views::time;

/// An id from the path; one that is not a number is as unknown as a missing one, answered with
/// the entity's own 404 so clients see one shape.
pub fn path_id(raw: &str, unknown: impl FnOnce(&str) -> ApiError) -> ApiResult<i64> {
    raw.parse().map_err(|_| unknown(raw))
}
