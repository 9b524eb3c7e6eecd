//! A JSON body extractor (whatever the Content-Type says, so a bare `curl -d` works) whose every failure is a problem+json: over the size limit → 413,
//! not JSON → 400 `malformed_json`, JSON of the wrong shape → 422 naming the field.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;

use super::AppState;
use crate::error::ApiError;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map(|s| s.max_body_bytes).unwrap_or(1 << 20);
        let deadline = state.map(|s| s.body_timeout).unwrap_or(std::time::Duration::from_secs(30));
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let buf = read_body(&mut payload, limit, deadline).await?;
            parse(&buf).map(Body)
        })
    }
}

/// Reads a request body up to `limit` bytes (413 beyond it), all of it within `deadline`
/// (408 after it: a client trickling a body holds nothing for long).
pub async fn read_body<S>(
    payload: &mut S,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<web::BytesMut, ApiError>
where
    S: futures::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    match actix_web::rt::time::timeout(deadline, read_within(payload, limit)).await {
        Ok(read) => read,
        Err(_) => Err(ApiError::RequestTimeout),
    }
}

async fn read_within<S>(payload: &mut S, limit: usize) -> Result<web::BytesMut, ApiError>
where
    S: futures::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            code: "unreadable_body",
            message: format!("the body could not be read: {e}"),
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Parses JSON, telling syntax errors (400) from shape errors (422, with the field's path).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_escaped_nul(bytes) {
        return Err(nul_refused("body"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(value) => {
            de.end().map_err(|e| malformed(&e))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." { missing_field(&inner.to_string()).unwrap_or(path) } else { path };
                    Err(ApiError::validation(field, inner.to_string()))
                }
                _ => Err(malformed(&inner)),
            }
        }
    }
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::BadRequest { code: "malformed_json", message: format!("the body is not valid JSON: {e}") }
}

/// serde reports a missing field at the parent's path; name the field itself.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

/// 422 `nul_character`: PostgreSQL cannot store U+0000 in text, so no backend is given one.
pub fn nul_refused(field: &str) -> ApiError {
    ApiError::Validation {
        code: "nul_character",
        field: field.into(),
        message: "text must not contain the NUL character (U+0000)".into(),
    }
}

/// Whether a JSON text has a `\u0000` escape inside a string (an unescaped NUL is not JSON at
/// all, and `\\u0000` is a backslash followed by text, not a NUL).
fn has_escaped_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000".as_slice()) {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_escape_is_found_and_an_escaped_backslash_is_not_one() {
        assert!(has_escaped_nul(br#"{"title": "a\u0000b"}"#));
        assert!(!has_escaped_nul(br#"{"title": "a\\u0000b"}"#));
        assert!(!has_escaped_nul(br#"{"title": "a\u00e9"}"#));
        assert!(has_escaped_nul(br#"{"t": "\\\u0000"}"#));
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Q {
        quantity: i64,
    }

    #[test]
    fn classifies_errors() {
        assert!(matches!(parse::<Q>(b"{"), Err(ApiError::BadRequest { code: "malformed_json", .. })));
        assert!(matches!(parse::<Q>(b"{\"quantity\":1} x"), Err(ApiError::BadRequest { .. })));
        match parse::<Q>(b"{\"quantity\":\"ten\"}") {
            Err(ApiError::Validation { field, .. }) => assert_eq!(field, "quantity"),
            other => panic!("{other:?}"),
        }
        match parse::<Q>(b"{}") {
            Err(ApiError::Validation { field, .. }) => assert_eq!(field, "quantity"),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse::<Q>(b"{\"quantity\":3}").unwrap().quantity, 3);
    }
}
