//! `POST /api/v1/channels`: registers a marketplace (DESIGN §5 body).

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::*;
use crate::db::{self, channels::ChannelValues};
use crate::domain::channel::ChannelOptions;
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    name: String,
    kind: String,
    base_url: String,
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
