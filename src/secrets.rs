//! Secrets at rest: channel credentials and the signing secrets of plugins and webhook
//! subscriptions must be readable by Chorus (it calls and signs with them) but not by whoever reads the database or a dump of it, so they
//! are sealed with XChaCha20-Poly1305 under a key kept outside the database: `auth.secrets_key`
//! (base64 of 32 bytes), or else a key file Chorus creates on first start beside the SQLite
//! database (`data/secrets.key` for PostgreSQL; several instances sharing one PostgreSQL must be
//! given the same `auth.secrets_key`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// Stored values start with this; anything else is a value stored before sealing existed.
const PREFIX: &str = "sealed:v1:";

#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> Self {
        SecretBox { cipher: Arc::new(XChaCha20Poly1305::new(key.into())) }
    }

    /// The configured key, or the key file (created with a fresh key if absent).
    pub fn load(configured: &str, database_url: &str) -> anyhow::Result<Self> {
        if !configured.trim().is_empty() {
            let key = decode_key(configured.trim()).context("auth.secrets_key")?;
            return Ok(Self::from_key(&key));
        }
        let path = key_file(database_url);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let key =
                decode_key(text.trim()).with_context(|| format!("{} is not a key Chorus wrote", path.display()))?;
            return Ok(Self::from_key(&key));
        }
        let key: [u8; 32] = rand::random();
        write_new_key(&path, &STANDARD.encode(key))?;
        tracing::info!(path = %path.display(), "generated the key that seals stored secrets; back it up with the database");
        // Another process may have written one first: use whatever is there now.
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Self::from_key(&decode_key(text.trim())?))
    }

    pub fn seal(&self, plain: &str) -> Result<String, SecretError> {
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self.cipher.encrypt(nonce, plain.as_bytes()).map_err(|_| SecretError::Seal)?;
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// The plain value; a value stored before sealing comes back as it is.
    pub fn open(&self, stored: &str) -> Result<String, SecretError> {
        let Some(b64) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_string()) };
        let bytes = STANDARD.decode(b64).map_err(|_| SecretError::NotBase64)?;
        if bytes.len() < 24 {
            return Err(SecretError::Truncated);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), sealed).map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SecretError::NotText)
    }
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    #[error("the secret could not be sealed")]
    Seal,
    #[error("sealed secret is not base64")]
    NotBase64,
    #[error("sealed secret is truncated")]
    Truncated,
    #[error("cannot open a stored secret: auth.secrets_key (or the key file) is not the one it was sealed with")]
    WrongKey,
    #[error("sealed secret is not text")]
    NotText,
    #[error("stored credentials are unreadable: {0}")]
    Unreadable(#[source] std::sync::Arc<serde_json::Error>),
}

impl SecretBox {
    /// A JSON object with each string value sealed (the keys stay readable: the API shows which
    /// credentials are set without opening them).
    pub fn seal_values(&self, json: &str) -> Result<String, SecretError> {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
            return self.seal(json);
        };
        let sealed = map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, serde_json::Value::String(self.seal(&s)?))),
                other => Ok((k, other)),
            })
            .collect::<Result<serde_json::Map<String, serde_json::Value>, SecretError>>()?;
        Ok(serde_json::Value::Object(sealed).to_string())
    }

    /// The object [`seal_values`](Self::seal_values) made, opened (plain values pass through).
    pub fn open_values(&self, stored: &str) -> Result<serde_json::Map<String, serde_json::Value>, SecretError> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(stored).map_err(|e| SecretError::Unreadable(std::sync::Arc::new(e)))?;
        map.into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k, serde_json::Value::String(self.open(&s)?))),
                other => Ok((k, other)),
            })
            .collect()
    }
}

fn decode_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(text).context("not base64")?;
    <[u8; 32]>::try_from(bytes).map_err(|_| anyhow::anyhow!("must be 32 bytes (base64)"))
}

/// Beside the SQLite file; `data/secrets.key` for PostgreSQL.
fn key_file(database_url: &str) -> PathBuf {
    match database_url.strip_prefix("sqlite://") {
        Some(path) => Path::new(path).parent().unwrap_or(Path::new(".")).join("secrets.key"),
        None => PathBuf::from("data/secrets.key"),
    }
}

/// Publishes the key atomically: written in full to a private temporary file, then linked to
/// `path` only if no key is there yet (another process starting at the same time may win).
fn write_new_key(path: &Path, encoded: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", rand::random::<u64>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(encoded.as_bytes()).and_then(|_| f.sync_all()))
        .with_context(|| format!("cannot write {}", tmp.display()));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_another_key() {
        let a = SecretBox::from_key(&[7; 32]);
        let sealed = a.seal("whsec_abc").unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("whsec_abc"));
        assert_ne!(sealed, a.seal("whsec_abc").unwrap(), "a fresh nonce each time");
        assert_eq!(a.open(&sealed).unwrap(), "whsec_abc");
        assert!(SecretBox::from_key(&[8; 32]).open(&sealed).is_err());
        assert_eq!(a.open("whsec_plain").unwrap(), "whsec_plain");
    }

    #[test]
    fn credential_values_are_sealed_and_keys_kept() {
        let b = SecretBox::from_key(&[9; 32]);
        let sealed = b.seal_values(r#"{"access_token":"shpat_x","webhook_secret":"w"}"#).unwrap();
        assert!(sealed.contains("access_token") && !sealed.contains("shpat_x"), "{sealed}");
        let opened = b.open_values(&sealed).unwrap();
        assert_eq!(opened["access_token"], "shpat_x");
        assert_eq!(b.open_values(r#"{"a":"plain"}"#).unwrap()["a"], "plain");
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("chorus-key-{}", rand::random::<u64>()));
        let url = format!("sqlite://{}/chorus.db", dir.display());
        let first = SecretBox::load("", &url).unwrap();
        let sealed = first.seal("s").unwrap();
        let again = SecretBox::load("", &url).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "s");
        let _ = std::fs::remove_dir_all(dir);
    }
}
