//! `DELETE /api/v1/channels/{id}`: refused while the channel's open orders hold stock.

use actix_web::{web, HttpResponse};

use super::{parse_id, unknown_channel};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let open = db::run(&state.pool, move |conn| Ok(db::channels::open_orders(conn, id)?)).await?;
    if open > 0 {
        return Err(ApiError::conflict(
            "channel_has_open_orders",
            format!("channel {id} has {open} open orders holding stock; exclude them, or disable the channel instead"),
        ));
    }
    let deleted = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            db::channels::delete(conn, id)?;
            db::outbox::clear_target(conn, &db::outbox::channel_target(id))?;
            Ok::<_, db::DbError>(())
        })
    });
    match deleted.await {
        Ok(()) => {
            state.channels.retire(id);
            Ok(HttpResponse::NoContent().finish())
        }
        Err(e) if e.is_not_found() => Err(unknown_channel(id)),
        Err(e) => Err(e.into()),
    }
}
