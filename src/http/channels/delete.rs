//! `DELETE /api/v1/channels/{id}`: refused while the channel's open orders hold stock; the
//! check and the delete are one stock transaction (the InventoryActor's), so no import can land
//! between them.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};

use super::parse_id;
use crate::actors::inventory::DeleteChannel;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    state.inventory.send(DeleteChannel { channel_id: ChannelId(id) }).await??;
    state.channels.retire(ChannelId(id));
    Ok(HttpResponse::NoContent().finish())
}
