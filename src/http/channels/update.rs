//! `PATCH /api/v1/channels/{id}`: any subset of the creation fields; credentials are
//! replaced whole when given.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::*;
use crate::db::{self, channels::ChannelValues};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChanges {
    name: Option<String>,
    base_url: Option<String>,
    credentials: Option<Map<String, Value>>,
    poll_interval_secs: Option<i64>,
    import: Option<ImportFilter>,
    stock_buffer: Option<i64>,
    ships_from: Option<String>,
    enabled: Option<bool>,
}

#[tracing::instrument(skip(state, body))]
pub async fn update(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<ChannelChanges>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let changes = body.0;
    let current = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?))
        .await?
        .ok_or_else(|| unknown_channel(id))?;
    let (was_enabled, old_buffer) = (current.enabled, current.stock_buffer);
    let mut values = ChannelValues {
        name: current.name,
        kind: current.kind,
        base_url: current.base_url,
        credentials: current.credentials,
        poll_interval_secs: current.poll_interval_secs,
        import_unpaid: current.import_unpaid,
        import_fulfilled: current.import_fulfilled,
        stock_buffer: current.stock_buffer,
        enabled: current.enabled,
        updated_at: db::now_ms(),
        ships_from: current.ships_from,
        reserve_unpaid: current.reserve_unpaid,
    };
    if let Some(name) = changes.name {
        validate_name(&name)?;
        values.name = name.trim().to_string();
    }
    if let Some(url) = changes.base_url {
        values.base_url = validate_base_url(&url)?;
    }
    if let Some(creds) = changes.credentials {
        values.credentials = state.secrets.seal_values(&validate_credentials(stored_kind(&values.kind)?, &creds)?)?;
    }
    if let Some(secs) = changes.poll_interval_secs {
        validate_poll_interval(secs)?;
        values.poll_interval_secs = secs;
    }
    let mut widened = false;
    if let Some(import) = changes.import {
        widened = (import.unpaid && !values.import_unpaid) || (import.fulfilled && !values.import_fulfilled);
        widened |= import.reserve_unpaid && !values.reserve_unpaid;
        values.import_unpaid = import.unpaid;
        values.import_fulfilled = import.fulfilled;
        values.reserve_unpaid = import.reserve_unpaid;
    }
    if let Some(buffer) = changes.stock_buffer {
        validate_stock_buffer(buffer)?;
        values.stock_buffer = buffer;
    }
    if let Some(ships_from) = changes.ships_from {
        values.ships_from = validate_ships_from(&ships_from)?;
    }
    if let Some(enabled) = changes.enabled {
        values.enabled = enabled;
    }
    // A disabled channel was not queued pushes, and a new buffer changes every figure sent:
    // either way, every listing's figure goes out again.
    let requeue = values.enabled && (!was_enabled || values.stock_buffer != old_buffer);
    let updated = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let channel = db::channels::update(conn, id, &values)?;
            if widened {
                // Orders the old filter passed over lie behind the cursor: read them again.
                db::orders::reset_cursor(conn, id)?;
            }
            if requeue {
                db::outbox::queue_channel_listings(conn, id, None, values.updated_at)?;
            }
            Ok::<_, db::DbError>(channel)
        })
    })
    .await;
    match updated {
        Ok(channel) => {
            if channel.enabled {
                state.channels.ensure(channel.id);
            } else {
                state.channels.retire(channel.id);
            }
            super::read::respond(&state, channel).await
        }
        Err(e) if e.is_not_found() => Err(unknown_channel(id)),
        Err(e) => Err(e.into()),
    }
}
