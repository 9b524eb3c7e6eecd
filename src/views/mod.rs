//! The JSON shapes shared by the HTTP API, the event snapshots and the orders sent to plugins:
//! one shape for each entity, so a subscriber or a plugin sees what `GET` returns. Plain data;
//! `db::views` builds them from rows.

pub mod fulfilments;
pub mod orders;

/// Times leave Chorus as RFC 3339 UTC strings.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}
