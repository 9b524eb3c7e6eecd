//! `PATCH /api/v1/channels/{id}`: any subset of the creation fields; credentials are
//! replaced whole when given.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::*;
use crate::db;
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelChanges {
    name: Option<String>,
    /// A new address needs `credentials` too: the stored ones are not sent to it.
    base_url: Option<String>,
    /// Replaces the stored credentials whole.
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    credentials: Option<Map<String, Value>>,
    poll_interval_secs: Option<i64>,
    import: Option<ImportFilter>,
    stock_buffer: Option<i64>,
    ships_from: Option<String>,
    enabled: Option<bool>,
    #[schema(value_type = Option<crate::http::openapi::ChannelOptions>)]
    options: Option<crate::domain::channel::ChannelOptions>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/channels/{id}",
    tag = "channels",
    operation_id = "update_channel",
    summary = "Change a channel",
    description = "Any subset of the creation fields but `kind`; credentials are replaced whole when given.",
    params(
        ("id" = String, Path, description = "The channel's id."),
    ),
    request_body = ChannelChanges,
    responses(
        (status = 200, description = "The channel.", body = ChannelView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is missing, of the wrong type or invalid, or a field is unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn update(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<ChannelChanges>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let c = body.0;
    // Everything given is checked before the change; the kind (fixed at creation) says which
    // credentials a channel needs.
    let stored = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?))
        .await?
        .ok_or_else(|| unknown_channel(id))?;
    let kind = stored.kind;
    let name = match c.name.as_deref() {
        Some(n) => {
            validate_name(n)?;
            Some(n.trim().to_string())
        }
        None => None,
    };
    let base_url = match c.base_url.as_deref() {
        Some(raw) => Some(validate_base_url(raw, state.webhooks.settings().allow_private_networks).await?),
        None => None,
    };
    // The stored credentials never follow the channel to a new address: a new address comes
    // with the credentials meant for it.
    if base_url.as_ref().is_some_and(|u| *u != stored.base_url) && c.credentials.is_none() {
        return Err(ApiError::validation(
            "credentials",
            "are required when base_url changes (the stored ones are not sent to a new address)",
        ));
    }
    let credentials = match &c.credentials {
        Some(creds) => Some(state.secrets.seal_values(&validate_credentials(stored_kind(&kind)?, creds)?)?),
        None => None,
    };
    if let Some(secs) = c.poll_interval_secs {
        validate_poll_interval(secs)?;
    }
    if let Some(buffer) = c.stock_buffer {
        validate_stock_buffer(buffer)?;
    }
    let ships_from = c.ships_from.as_deref().map(validate_ships_from).transpose()?;
    let options = match &c.options {
        Some(o) => Some(validate_options(stored_kind(&kind)?, o)?),
        None => None,
    };
    let changed = db::run(&state.pool, move |conn| {
        db::channels::change(conn, id, db::now_ms(), |v| {
            if let Some(name) = name {
                v.name = name;
            }
            if let Some(url) = base_url {
                v.base_url = url;
            }
            if let Some(sealed) = credentials {
                v.credentials = sealed;
            }
            if let Some(secs) = c.poll_interval_secs {
                v.poll_interval_secs = secs;
            }
            if let Some(import) = c.import {
                v.import_unpaid = import.unpaid;
                v.import_fulfilled = import.fulfilled;
                v.reserve_unpaid = import.reserve_unpaid;
            }
            if let Some(buffer) = c.stock_buffer {
                v.stock_buffer = buffer;
            }
            if let Some(ships_from) = ships_from {
                v.ships_from = ships_from;
            }
            if let Some(options) = options {
                v.options = options;
            }
            if let Some(enabled) = c.enabled {
                v.enabled = enabled;
            }
        })
    })
    .await?;
    let Some((channel, _)) = changed else { return Err(unknown_channel(id)) };
    if channel.enabled {
        state.channels.ensure(ChannelId(channel.id));
    } else {
        state.channels.retire(ChannelId(channel.id));
    }
    super::read::respond(&state, channel).await
}
