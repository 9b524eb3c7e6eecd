//! `/api/v1/channels`: the marketplaces Chorus keeps in step, and their product data.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod list;
pub mod products;
pub(crate) mod read;
pub(crate) mod redact;
pub(crate) mod sync;
pub(crate) mod update;

use crate::domain::channel::ChannelKind;
use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::channels::Channel;
use crate::db::orders::ChannelStateRow;
use crate::error::{ApiError, ApiResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/channels")
            .get(list::list)
            .post(create::create)
            .default_service(crate::http::allow("GET, POST")),
    )
    .service(
        web::resource("/channels/{id}")
            .get(read::read)
            .patch(update::update)
            .delete(delete::delete)
            .default_service(crate::http::allow("GET, PATCH, DELETE")),
    )
    .service(web::resource("/channels/{id}/sync").post(sync::sync).default_service(crate::http::allow("POST")))
    .service(web::resource("/channels/{id}/redact").post(redact::redact).default_service(crate::http::allow("POST")))
    .service(web::resource("/channels/{id}/products").get(products::list).default_service(crate::http::allow("GET")))
    .service(
        web::resource("/channels/{id}/products/{sku}")
            .get(products::read)
            .put(products::put)
            .default_service(crate::http::allow("GET, PUT")),
    );
}

#[derive(Debug, Deserialize, Serialize, Clone, Copy, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportFilter {
    #[serde(default)]
    pub unpaid: bool,
    #[serde(default)]
    pub fulfilled: bool,
    /// Unpaid orders the channel already reserves stock for allocate in Chorus too.
    #[serde(default = "reserve_by_default")]
    pub reserve_unpaid: bool,
}

fn reserve_by_default() -> bool {
    true
}

impl Default for ImportFilter {
    fn default() -> Self {
        ImportFilter { unpaid: false, fulfilled: false, reserve_unpaid: true }
    }
}

/// `ships_from`: the source units shipped on the channel itself come off.
pub fn validate_ships_from(raw: &str) -> ApiResult<String> {
    raw.parse::<crate::domain::source::Source>()
        .map(|s| s.to_string())
        .map_err(|e| ApiError::validation("ships_from", e.to_string()))
}

/// `options`: checked against what the channel's kind reads, stored as JSON.
pub fn validate_options(kind: ChannelKind, options: &crate::domain::channel::ChannelOptions) -> ApiResult<String> {
    options.check(kind).map_err(|(field, reason)| ApiError::validation(field, reason))?;
    serde_json::to_string(options).map_err(|e| ApiError::Internal(e.into()))
}

/// A channel as the API shows it: credentials are never echoed, only which keys are set.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    id: i64,
    name: String,
    kind: String,
    base_url: String,
    credentials_set: Vec<String>,
    poll_interval_secs: i64,
    import: ImportFilter,
    stock_buffer: i64,
    ships_from: String,
    #[schema(value_type = crate::http::openapi::ChannelOptions)]
    options: crate::domain::channel::ChannelOptions,
    enabled: bool,
    created_at: String,
    updated_at: String,
    status: ChannelStatus,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelStatus {
    running: bool,
    last_poll_at: Option<String>,
    last_success_at: Option<String>,
    last_error: Option<String>,
    orders_imported: i64,
    cursor: Option<String>,
    /// Stock pushes (and fulfilments) waiting to go out.
    queue_depth: i64,
    /// When the oldest entry still waiting was written, and how long ago (seconds): a figure
    /// the channel cannot confirm stays visible here, never silently parked.
    oldest_pending_at: Option<String>,
    oldest_pending_age_secs: Option<i64>,
    last_push_at: Option<String>,
    last_push_error: Option<String>,
    /// Figures the channel confirmed since it was added.
    pushes_sent: i64,
    /// Shopify: the location whose stock the channel manages (`{"id", "name"}`), once read.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Value>,
}

impl ChannelView {
    pub fn new(c: Channel, state: ChannelStateRow, queue: crate::db::outbox::Queue, running: bool) -> Self {
        let credentials_set = serde_json::from_str::<Map<String, Value>>(&c.credentials)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let options = c.options();
        ChannelView {
            id: c.id,
            name: c.name,
            kind: c.kind,
            base_url: c.base_url,
            credentials_set,
            poll_interval_secs: c.poll_interval_secs,
            import: ImportFilter {
                unpaid: c.import_unpaid,
                fulfilled: c.import_fulfilled,
                reserve_unpaid: c.reserve_unpaid,
            },
            stock_buffer: c.stock_buffer,
            options,
            ships_from: c.ships_from,
            enabled: c.enabled,
            created_at: super::time(c.created_at),
            updated_at: super::time(c.updated_at),
            status: ChannelStatus {
                running,
                last_poll_at: state.last_poll_at.map(super::time),
                last_success_at: state.last_success_at.map(super::time),
                last_error: state.last_error,
                orders_imported: state.orders_imported,
                cursor: state.cursor_updated_at.map(super::time),
                queue_depth: queue.depth,
                oldest_pending_at: queue.oldest_at.map(super::time),
                oldest_pending_age_secs: queue.oldest_at.map(|at| ((crate::db::now_ms() - at) / 1000).max(0)),
                last_push_at: state.last_push_at.map(super::time),
                last_push_error: state.last_push_error,
                pushes_sent: state.pushes_sent,
                location: state.location.as_deref().and_then(|l| serde_json::from_str(l).ok()),
            },
        }
    }
}

/// A stored channel's kind; one this version does not know is an internal error, not a guess.
pub fn stored_kind(kind: &str) -> ApiResult<ChannelKind> {
    ChannelKind::parse(kind).map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("stored channel kind")))
}

/// The kind named in a request, or a 422 naming the field.
pub fn validate_kind(kind: &str) -> ApiResult<ChannelKind> {
    ChannelKind::parse(kind).map_err(|e| ApiError::validation("kind", e.to_string()))
}

pub fn validate_name(name: &str) -> ApiResult<()> {
    match name.trim().chars().count() {
        0 => Err(ApiError::validation("name", "must not be empty")),
        n if n > 200 => Err(ApiError::validation("name", "at most 200 characters")),
        _ => Ok(()),
    }
}

/// A channel's address: the one address rule, and https (real marketplaces are) unless
/// private networks are allowed (simulators, a store on the LAN).
pub async fn validate_base_url(raw: &str, allow_private: bool) -> ApiResult<String> {
    let url = crate::http::outbound_url("base_url", raw, allow_private, crate::http::Resolve::IfPossible).await?;
    if url.scheme() != "https" && !allow_private {
        return Err(ApiError::validation("base_url", "must be https:// (webhooks.allow_private_networks is false)"));
    }
    Ok(raw.trim().trim_end_matches('/').to_string())
}

/// Credentials are a flat object of non-empty strings holding at least the kind's keys.
pub fn validate_credentials(kind: ChannelKind, creds: &Map<String, Value>) -> ApiResult<String> {
    for (key, value) in creds {
        if value.as_str().is_none_or(|s| s.is_empty()) {
            return Err(ApiError::validation(format!("credentials.{key}"), "must be a non-empty string"));
        }
    }
    for key in kind.required_credentials() {
        if !creds.contains_key(*key) {
            return Err(ApiError::validation(format!("credentials.{key}"), format!("is required for {kind}")));
        }
    }
    serde_json::to_string(creds).map_err(|e| ApiError::Internal(e.into()))
}

pub fn validate_poll_interval(secs: i64) -> ApiResult<()> {
    if (1..=86_400).contains(&secs) {
        Ok(())
    } else {
        Err(ApiError::validation("poll_interval_secs", "must be between 1 and 86400"))
    }
}

pub fn validate_stock_buffer(buffer: i64) -> ApiResult<()> {
    if buffer >= 0 {
        Ok(())
    } else {
        Err(ApiError::validation("stock_buffer", "must not be negative"))
    }
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    crate::http::path_id(raw, |raw| ApiError::not_found("unknown_channel", format!("no channel has id {raw}")))
}

pub fn unknown_channel(id: i64) -> ApiError {
    ApiError::not_found("unknown_channel", format!("no channel has id {id}"))
}
