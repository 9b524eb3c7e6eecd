//! `POST /api/v1/channels`: registers a marketplace (DESIGN §5 body).

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::*;
use crate::db::{self, channels::ChannelValues};
use crate::domain::channel::ChannelOptions;
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    name: String,
    /// `shopify` or `woocommerce`.
    kind: String,
    base_url: String,
    /// Non-empty strings, at least the keys the kind needs (and `webhook_secret` for signed
    /// webhooks); sealed at rest and never shown again.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    credentials: Map<String, Value>,
    #[serde(default = "default_poll")]
    poll_interval_secs: i64,
    #[serde(default)]
    import: ImportFilter,
    #[serde(default)]
    stock_buffer: i64,
    #[serde(default = "api")]
    ships_from: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    #[schema(value_type = crate::http::openapi::ChannelOptions)]
    options: ChannelOptions,
}

fn default_poll() -> i64 {
    180
}
fn api() -> String {
    "api".into()
}
fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/api/v1/channels",
    tag = "channels",
    operation_id = "create_channel",
    summary = "Add a channel",
    description = "Registers a marketplace; an enabled one starts polling at once.",
    request_body = NewChannel,
    responses(
        (status = 201, description = "The channel.", body = ChannelView, headers(("Location" = String, description = "`/api/v1/channels/{id}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is missing, of the wrong type or invalid, or a field is unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body), fields(kind = %body.0.kind))]
pub async fn create(state: web::Data<AppState>, body: Body<NewChannel>) -> ApiResult<HttpResponse> {
    let b = body.0;
    validate_name(&b.name)?;
    let kind = validate_kind(&b.kind)?;
    let base_url = validate_base_url(&b.base_url, state.webhooks.settings().allow_private_networks).await?;
    let credentials = state.secrets.seal_values(&validate_credentials(kind, &b.credentials)?)?;
    validate_poll_interval(b.poll_interval_secs)?;
    validate_stock_buffer(b.stock_buffer)?;
    let ships_from = validate_ships_from(&b.ships_from)?;
    let options = validate_options(kind, &b.options)?;
    let now = db::now_ms();
    let values = ChannelValues {
        name: b.name.trim().to_string(),
        kind: kind.name().to_string(),
        base_url,
        credentials,
        poll_interval_secs: b.poll_interval_secs,
        import_unpaid: b.import.unpaid,
        import_fulfilled: b.import.fulfilled,
        stock_buffer: b.stock_buffer,
        enabled: b.enabled,
        updated_at: now,
        ships_from,
        reserve_unpaid: b.import.reserve_unpaid,
        options,
    };
    let channel = db::run(&state.pool, move |conn| Ok(db::channels::insert(conn, &values, now)?)).await?;
    tracing::info!(channel_id = channel.id, "channel created");
    if channel.enabled {
        state.channels.ensure(ChannelId(channel.id));
    }
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/channels/{}", channel.id)))
        .json(ChannelView::new(channel, Default::default(), Default::default(), true)))
}
