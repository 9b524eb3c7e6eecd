//! `DELETE /api/v1/channels/{id}`: refused while the channel's open orders hold stock; the
//! check and the delete are one stock transaction (the InventoryActor's), so no import can land
//! between them.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};

use super::parse_id;
use crate::actors::inventory::DeleteChannel;
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    delete,
    path = "/api/v1/channels/{id}",
    tag = "channels",
    operation_id = "delete_channel",
    summary = "Delete a channel",
    description = "Refused while the channel's open orders hold stock (exclude them, or disable the channel instead).",
    params(
        ("id" = String, Path, description = "The channel's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The channel's open orders hold stock (`channel_has_open_orders`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    state.inventory.send(DeleteChannel { channel_id: ChannelId(id) }).await??;
    state.channels.retire(ChannelId(id));
    Ok(HttpResponse::NoContent().finish())
}
