//! The one API error type. Every error leaves as `application/problem+json` with a stable
//! machine-readable `code` (and `field` for validation). Use:
//! - `Validation` for a well-formed request with a bad value (422),
//! - `BadRequest` for a body that is not the JSON we expect (400),
//! - `NotFound` / `Conflict` for the state of things (404 / 409),
//! - `Busy` when the database stays locked past its bound (503 `busy`, `Retry-After`): a
//!   long write elsewhere, never a 500,
//! - `Internal` for anything else: the cause chain is logged, the client learns nothing more.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::actors::inventory::InventoryError;
use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{field}: {message}")]
    Validation { code: &'static str, field: String, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the request body is larger than the {limit} bytes allowed")]
    PayloadTooLarge { limit: usize },
    #[error("missing or invalid bearer token")]
    Unauthorized,
    #[error("{message}")]
    Unavailable { message: String },
    #[error("the database is busy with another write; try again in a moment")]
    Busy,
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: &'static str },
    #[error("the request was not received in time")]
    RequestTimeout,
    /// An error answer produced outside the handlers (by the HTTP layer), kept with its status.
    #[error("{message}")]
    Status { status: StatusCode, code: &'static str, message: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation { code: "invalid_value", field: field.into(), message: message.into() }
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::NotFound { code, message: message.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict { code, message: message.into() }
    }
    /// The problem for an error status the HTTP layer answered by itself.
    pub fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            404 => "not_found",
            405 => "method_not_allowed",
            408 => "request_timeout",
            411 => "length_required",
            413 => "payload_too_large",
            414 => "uri_too_long",
            415 => "unsupported_media_type",
            431 => "header_fields_too_large",
            s if s >= 500 => "internal",
            _ => "client_error",
        };
        let reason = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
        ApiError::Status { status, code, message: format!("the request was refused: {reason}") }
    }

    pub fn unknown_sku(sku: &str) -> Self {
        ApiError::not_found("unknown_sku", format!("no product has SKU \"{sku}\""))
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Validation { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Busy => "busy",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::Status { code, .. } => code,
            ApiError::Internal(_) => "internal",
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable { .. } | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Status { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "an internal error occurred; the cause is in the server log".to_string()
            }
            other => other.to_string(),
        };
        let field = match self {
            ApiError::Validation { field, .. } => Some(field.as_str()),
            _ => None,
        };
        let code = self.code();
        let problem = Problem {
            kind: format!("https://chorus.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code,
            field,
        };
        let mut builder = HttpResponse::build(status);
        builder.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized => {
                builder.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::Busy => {
                builder.insert_header(("Retry-After", "1"));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                builder.insert_header(("Allow", *allow));
            }
            ApiError::RequestTimeout => {
                builder.insert_header(("Connection", "close"));
            }
            _ => {}
        }
        builder.json(problem)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) => ApiError::Unavailable { message: "the database is not reachable right now".into() },
            e if e.is_busy() => ApiError::Busy,
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<InventoryError> for ApiError {
    fn from(e: InventoryError) -> Self {
        match e {
            InventoryError::UnknownSku(skus) if skus.len() == 1 => ApiError::unknown_sku(&skus[0]),
            InventoryError::UnknownSku(skus) => {
                let shown: Vec<&str> = skus.iter().take(20).map(String::as_str).collect();
                let more = if skus.len() > shown.len() {
                    format!(" and {} more", skus.len() - shown.len())
                } else {
                    String::new()
                };
                ApiError::not_found(
                    "unknown_sku",
                    format!("no product has SKU {}{more}; nothing was applied", shown.join(", ")),
                )
            }
            InventoryError::Rule { sku, error: error @ crate::domain::stock::StockRuleError::TooLarge(_) } => {
                ApiError::validation("quantity", format!("{sku}: {error}; nothing was applied"))
            }
            InventoryError::Rule { sku, error } => {
                ApiError::conflict("negative_stock", format!("{sku}: {error}; nothing was applied"))
            }
            InventoryError::Storage(m) if crate::db::busy_message(&m) => ApiError::Busy,
            InventoryError::Storage(m) => ApiError::Internal(anyhow::anyhow!("stock transaction failed: {m}")),
            InventoryError::Fenced(m) => ApiError::Internal(anyhow::anyhow!("{m}")),
            InventoryError::Stopped => ApiError::Unavailable { message: "Chorus is shutting down".into() },
            InventoryError::OrderNotFound(id) => ApiError::not_found("unknown_order", format!("no order has id {id}")),
            InventoryError::OrderState(m) => ApiError::conflict("order_state", m),
            InventoryError::Fulfilment(m) => ApiError::validation("lines", m),
            InventoryError::Held { sku, allocated } => ApiError::conflict(
                "sku_allocated",
                format!("SKU \"{sku}\" is held by open orders ({allocated} allocated); cancel or fulfil them first"),
            ),
            InventoryError::ChannelNotFound(id) => {
                ApiError::not_found("unknown_channel", format!("no channel has id {id}"))
            }
            InventoryError::IdempotencyKeyReused(key) => ApiError::conflict(
                "idempotency_key_reused",
                format!("idempotency key {key:?} was already used for a different fulfilment request"),
            ),
            InventoryError::ChannelHasOpenOrders { channel_id, open } => ApiError::conflict(
                "channel_has_open_orders",
                format!(
                    "channel {channel_id} has {open} open orders holding stock; exclude them, or disable the channel instead"
                ),
            ),
        }
    }
}

impl From<crate::secrets::SecretError> for ApiError {
    fn from(e: crate::secrets::SecretError) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("sealing a secret"))
    }
}

impl From<actix::MailboxError> for ApiError {
    fn from(e: actix::MailboxError) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("actor mailbox"))
    }
}
