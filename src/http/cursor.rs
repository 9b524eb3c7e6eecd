//! Opaque pagination cursors: the last key of a page, base64url-encoded.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::ApiError;

/// The page size asked for (`?limit=`), `default` when absent, refused outside 1..=`max`.
pub fn page_limit(requested: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = requested.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::validation("limit", format!("must be between 1 and {max}")))
    }
}

/// One page of a keyset-paged list: `rows` were read with `limit + 1` so that a row beyond the
/// page says there is more; the answer is `{items, next_cursor}`, the cursor naming the last
/// item's `key` (null on the last page).
pub fn page<T: serde::Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> actix_web::HttpResponse {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(|last| encode(&key(last))) } else { None };
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "items": rows, "next_cursor": next_cursor }))
}

pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode(cursor: &str) -> Result<String, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| ApiError::validation("cursor", "not a cursor this API gave out"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        assert_eq!(super::decode(&super::encode("SKU-1/é")).unwrap(), "SKU-1/é");
        assert!(super::decode("***").is_err());
    }
}
