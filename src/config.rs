//! Layered configuration: built-in defaults, then the file named by `CHORUS_CONFIG`, then
//! `CHORUS__SECTION__KEY` environment variables; validated once into typed settings.

use std::fmt;
use std::net::SocketAddr;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

/// The documented defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A value that must never reach a log line: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub inventory: InventorySettings,
    pub webhooks: WebhookSettings,
    pub orders: OrderSettings,
    pub log: LogSettings,
    pub cluster: ClusterSettings,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ClusterSettings {
    /// A lease not renewed for this long may be taken over by another process.
    pub lease_ttl_ms: u64,
    /// How often a process renews its leases and looks at its share.
    pub renew_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OrderSettings {
    /// Days after an order closes before its personal data is blanked; 0: never by itself.
    pub redact_after_days: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WebhookSettings {
    /// Let subscriber URLs resolve to loopback/private/reserved addresses (tests, demo).
    pub allow_private_networks: bool,
    /// Waits between attempts, in seconds; once spent, the event is given up for that subscriber.
    pub retry_schedule_secs: Vec<u64>,
    /// A subscription failing without a success for this long is disabled.
    pub disable_after_secs: u64,
    /// Deliveries in flight per subscription (events of one subject still go one at a time).
    pub concurrency: usize,
    /// Events (and delivery log entries) are kept this many days, for replays; older ones that
    /// every enabled subscription has passed are deleted.
    pub keep_days: u64,
    /// How often, at most, new events written outside a stock transaction (the API, another
    /// process) wait before the subscriptions are woken, in milliseconds.
    pub watch_interval_ms: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HttpSettings {
    pub bind: String,
    pub max_body_bytes: usize,
    /// Largest body a channel's order webhook may have (`POST /hooks/channels/{id}`).
    pub hook_max_body_bytes: usize,
    /// Webhook bodies read at once for one channel; beyond, 503 `busy` (the channel retries).
    pub hook_bodies_per_channel: usize,
    /// A client must have sent its request line and headers within this (ms), else 408.
    pub request_header_timeout_ms: u64,
    /// A client must have sent its whole body within this (ms) of the headers, else 408.
    pub body_timeout_ms: u64,
    /// A PEM file of certificate authorities to trust for outbound https (a private CA), on
    /// top of the system's; empty for none.
    #[serde(default)]
    pub extra_ca_file: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct DatabaseSettings {
    pub url: Secret,
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
    pub sqlite_synchronous: String,
    /// SQLite `mmap_size` in MiB; 0 reads the file through `pread` only.
    pub sqlite_mmap_mb: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthSettings {
    pub admin_token: Secret,
    /// Seals stored signing secrets (base64 of 32 bytes); empty: a key file is used.
    pub secrets_key: Secret,
}

#[derive(Clone, Debug, Deserialize)]
pub struct InventorySettings {
    pub max_batch: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    pub filter: String,
    pub format: String,
}

/// A configuration problem, reported as one line naming the key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        ConfigError { key: key.to_string(), message: message.into() }
    }
}

impl Settings {
    /// Loads defaults → `CHORUS_CONFIG` file → `CHORUS__…` environment, then validates.
    pub fn load() -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Ok(path) = std::env::var("CHORUS_CONFIG") {
            if !std::path::Path::new(&path).is_file() {
                return Err(ConfigError::new("CHORUS_CONFIG", format!("no such file: {path}")));
            }
            figment = figment.merge(Toml::file(path));
        }
        figment = figment.merge(Env::prefixed("CHORUS__").split("__"));
        Self::from_figment(figment)
    }

    /// The built-in defaults only (tests and tools start from these and override fields).
    pub fn defaults() -> Settings {
        Self::from_figment(Figment::from(Toml::string(DEFAULT_TOML)))
            .unwrap_or_else(|e| panic!("built-in config/default.toml is invalid: {e}"))
    }

    fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            let key = if key.is_empty() { "config".to_string() } else { key };
            ConfigError::new(&key, e.kind.to_string())
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types alone cannot; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.bind_addr()?;
        if self.http.max_body_bytes < 1024 {
            return Err(ConfigError::new("http.max_body_bytes", "must be at least 1024"));
        }
        if self.http.hook_max_body_bytes < 1024 {
            return Err(ConfigError::new("http.hook_max_body_bytes", "must be at least 1024"));
        }
        if self.http.hook_bodies_per_channel == 0 {
            return Err(ConfigError::new("http.hook_bodies_per_channel", "must be at least 1"));
        }
        for (key, ms) in [
            ("http.request_header_timeout_ms", self.http.request_header_timeout_ms),
            ("http.body_timeout_ms", self.http.body_timeout_ms),
        ] {
            if !(100..=600_000).contains(&ms) {
                return Err(ConfigError::new(key, "must be between 100 and 600000 (ms)"));
            }
        }
        DatabaseKind::from_url(self.database.url.expose())
            .map_err(|e| ConfigError::new("database.url", e.to_string()))?;
        if self.database.pool_size == 0 {
            return Err(ConfigError::new("database.pool_size", "must be at least 1"));
        }
        if !matches!(self.database.sqlite_synchronous.as_str(), "normal" | "full") {
            return Err(ConfigError::new(
                "database.sqlite_synchronous",
                format!("\"{}\" is not one of \"normal\", \"full\"", self.database.sqlite_synchronous),
            ));
        }
        if !(1_000..=600_000).contains(&self.cluster.lease_ttl_ms) {
            return Err(ConfigError::new("cluster.lease_ttl_ms", "must be between 1000 and 600000 (ms)"));
        }
        if self.cluster.renew_ms < 100 || self.cluster.renew_ms * 2 > self.cluster.lease_ttl_ms {
            return Err(ConfigError::new(
                "cluster.renew_ms",
                "must be at least 100 and at most half of cluster.lease_ttl_ms",
            ));
        }
        if self.inventory.max_batch == 0 {
            return Err(ConfigError::new("inventory.max_batch", "must be at least 1"));
        }
        if self.webhooks.retry_schedule_secs.is_empty() {
            return Err(ConfigError::new("webhooks.retry_schedule_secs", "needs at least one wait"));
        }
        if self.webhooks.retry_schedule_secs.iter().any(|s| *s > crate::domain::webhook::MAX_WAIT_SECS) {
            return Err(ConfigError::new(
                "webhooks.retry_schedule_secs",
                "each wait must be at most 30 days (2592000 s)",
            ));
        }
        if self.webhooks.concurrency == 0 {
            return Err(ConfigError::new("webhooks.concurrency", "must be at least 1"));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::new(
                "log.format",
                format!("\"{}\" is not one of \"text\", \"json\"", self.log.format),
            ));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.http.bind.parse().map_err(|_| {
            ConfigError::new("http.bind", format!("\"{}\" is not an address like 127.0.0.1:8080", self.http.bind))
        })
    }
}

/// Which database a URL names: the backend is chosen by its scheme alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

/// A database URL that names no backend Chorus can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("sqlite:// needs a file path, e.g. sqlite://data/chorus.db")]
    NoPath,
    #[error("unsupported scheme \"{0}\"; use sqlite://PATH or postgres://USER@HOST/DB")]
    Scheme(String),
}

impl DatabaseKind {
    /// Picks the backend from the URL scheme alone, so an unreachable PostgreSQL is reported
    /// as such rather than silently replaced by a new SQLite file.
    pub fn from_url(url: &str) -> Result<DatabaseKind, DatabaseUrlError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                Err(DatabaseUrlError::NoPath)
            } else {
                Ok(DatabaseKind::Sqlite)
            }
        } else {
            let scheme = url.split("://").next().unwrap_or(url);
            Err(DatabaseUrlError::Scheme(scheme.to_string()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DatabaseKind::Sqlite => "sqlite",
            DatabaseKind::Postgres => "postgres",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented() {
        let s = Settings::defaults();
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url.expose(), "sqlite://data/chorus.db");
        assert!(s.auth.admin_token.is_empty());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }

    #[test]
    fn bad_values_name_their_key() {
        let fig = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string("[http]\nbind = \"nowhere\""));
        let err = Settings::from_figment(fig).unwrap_err();
        assert_eq!(err.key, "http.bind");
        let fig = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string("[database]\npool_size = \"many\""));
        let err = Settings::from_figment(fig).unwrap_err();
        assert_eq!(err.key, "database.pool_size");
        let fig = Figment::from(Toml::string(DEFAULT_TOML)).merge(Toml::string("[database]\nurl = \"mysql://x\""));
        assert_eq!(Settings::from_figment(fig).unwrap_err().key, "database.url");
    }
}
