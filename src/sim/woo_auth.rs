//! WooCommerce simulator, authentication as `WC_REST_Authentication` does it: over https the
//! consumer key and secret as HTTP Basic or in the query string; OAuth 1.0a (one-legged,
//! HMAC-SHA1 or HMAC-SHA256, parameters in the query string) over either scheme, with a
//! 15-minute timestamp window and single-use nonces. Basic over plain http authenticates
//! nobody, as on a real store.

use actix_web::HttpRequest;
use base64::Engine as _;
use hmac::{Hmac, Mac};

use super::server::SimState;

/// Why a request that tried to authenticate was refused (`woocommerce_rest_authentication_error`).
pub struct Refused(pub &'static str);

/// How long a timestamp stays valid, either way, and a nonce stays used.
const WINDOW_SECS: i64 = 15 * 60;

/// `Ok(true)`: authenticated; `Ok(false)`: no credentials the store reads (the endpoint then
/// refuses as it refuses anyone); `Err`: credentials given and wrong.
///
/// A simulator started without `--key`/`--secret` runs open: a request without credentials is
/// let in, credentials are checked for their form only.
pub fn check(state: &SimState, req: &HttpRequest, pairs: &[(String, String)]) -> Result<bool, Refused> {
    let open = state.key.is_none() && state.secret.is_none();
    let basic = basic_credentials(req);
    let in_query = param(pairs, "consumer_key").zip(param(pairs, "consumer_secret"));
    if state.tls {
        if let Some((key, secret)) = basic.clone().or(in_query.map(|(k, s)| (k.to_string(), s.to_string()))) {
            if state.key.as_deref().is_some_and(|k| k != key) {
                return Err(Refused("Consumer key is invalid."));
            }
            if state.secret.as_deref().is_some_and(|s| s != secret) {
                return Err(Refused("Consumer secret is invalid."));
            }
            return Ok(true);
        }
    }
    if param(pairs, "oauth_signature").is_some() {
        return oauth(state, req, pairs).map(|()| true);
    }
    // Basic over http: WooCommerce does not read it, so the request is anonymous.
    let tried = basic.is_some() || in_query.is_some();
    Ok(open && !tried)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    req.headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(k, s)| (k.to_string(), s.to_string())))
}

fn oauth(state: &SimState, req: &HttpRequest, pairs: &[(String, String)]) -> Result<(), Refused> {
    let required =
        ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"];
    if required.iter().any(|k| param(pairs, k).is_none_or(str::is_empty)) {
        return Err(Refused("Invalid signature - missing OAuth parameters."));
    }
    let key = param(pairs, "oauth_consumer_key").unwrap_or_default();
    if state.key.as_deref().is_some_and(|k| k != key) {
        return Err(Refused("Consumer Key is invalid."));
    }
    let method = param(pairs, "oauth_signature_method").unwrap_or_default();
    if method != "HMAC-SHA1" && method != "HMAC-SHA256" {
        return Err(Refused("Invalid signature - signature method is invalid."));
    }
    if let Some(secret) = &state.secret {
        let scheme = if state.tls { "https" } else { "http" };
        let base = format!("{scheme}://{}{}", req.connection_info().host(), req.path());
        let expected = signature(req.method().as_str(), &base, pairs, secret, method == "HMAC-SHA256");
        if param(pairs, "oauth_signature") != Some(expected.as_str()) {
            return Err(Refused("Invalid signature - provided signature does not match."));
        }
    }
    let now = chrono::Utc::now().timestamp();
    let timestamp = param(pairs, "oauth_timestamp").and_then(|t| t.parse::<i64>().ok()).unwrap_or(0);
    if timestamp.abs_diff(now) > WINDOW_SECS.unsigned_abs() {
        return Err(Refused("Invalid timestamp."));
    }
    let nonce = param(pairs, "oauth_nonce").unwrap_or_default().to_string();
    let mut store = state.store();
    store.nonces.retain(|_, at| *at >= now - WINDOW_SECS);
    if store.nonces.contains_key(&nonce) {
        return Err(Refused("Invalid nonce - nonce has already been used."));
    }
    store.nonces.insert(nonce, timestamp);
    Ok(())
}

/// RFC 3986 percent-encoding, as `rawurlencode`.
fn pct(s: &str) -> String {
    urlencoding::encode(s).into_owned()
}

/// The signature WooCommerce expects: parameters sorted, each key and value RFC 3986-encoded,
/// each `key=value` encoded again and joined with `%26`, after `METHOD&enc(base URL)&`; keyed
/// with the consumer secret and `&`.
fn signature(method: &str, base: &str, pairs: &[(String, String)], secret: &str, sha256: bool) -> String {
    // PHP's $_GET: a key given twice keeps its last value (the official Python client sends
    // its query parameters twice, once signed in the URL and once more by `requests`).
    let params: std::collections::BTreeMap<&str, &str> =
        pairs.iter().filter(|(k, _)| k != "oauth_signature").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let joined: Vec<String> = params.iter().map(|(k, v)| pct(&format!("{}={}", pct(k), pct(v)))).collect();
    let text = format!("{}&{}&{}", method.to_uppercase(), pct(base), joined.join("%26"));
    let key = format!("{secret}&");
    let digest = if sha256 {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}
