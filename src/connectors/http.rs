//! The HTTP both connectors speak: one client, the store-wide hold a 429 puts on every call,
//! the back-off between attempts, and what one answer means (a body, something to try again,
//! or a refusal).

use std::time::Duration;

use super::ConnectorError;

/// The outbound HTTP client of this thread, shared by every channel, plugin and subscriber
/// whose actor runs on it (they share an arbiter): TLS through OpenSSL, no redirects followed,
/// 30 s for a call unless the request says otherwise, and (unless private networks are
/// allowed) connections only to globally reachable addresses, checked on every connect after
/// the name is resolved. Sharing the client shares its connection pool: one pool per host,
/// whichever channel or subscriber asks, instead of one per client (an idle channel held its
/// own). The pool sets no limit of its own: each actor bounds its calls in flight (a channel's
/// turn, a plugin's one send at a time, a subscription's `webhooks.concurrency`), and a shared
/// limit would let one busy peer hold back every other.
pub fn http_client(allow_private: bool) -> awc::Client {
    let generation = TLS_GENERATION.load(std::sync::atomic::Ordering::Acquire);
    CLIENTS.with(|clients| {
        let mut clients = clients.borrow_mut();
        if let Some((_, _, client)) = clients.iter().find(|(a, g, _)| *a == allow_private && *g == generation) {
            return client.clone();
        }
        // A client built before `http.extra_ca_file` changed is not handed out again.
        clients.retain(|(_, g, _)| *g == generation);
        let connector =
            with_shared_tls(awc::Connector::new().connector(super::guard::guarded_connector(allow_private))).limit(0);
        let client =
            awc::Client::builder().connector(connector).timeout(Duration::from_secs(30)).disable_redirects().finish();
        clients.push((allow_private, generation, client.clone()));
        client
    })
}

thread_local! {
    /// This thread's clients, by `allow_private` and the TLS context they were built with.
    static CLIENTS: std::cell::RefCell<Vec<(bool, u64, awc::Client)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Bumped whenever the shared TLS context is replaced, so clients holding the old one retire.
static TLS_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// `connector` with the process's one TLS context: an OpenSSL context holds every trusted CA,
/// and a context per client (each channel's, each subscriber's) was most of what an idle
/// channel cost in memory. Without one (OpenSSL failed to build it), awc's own per client.
fn with_shared_tls<S, Io>(connector: awc::Connector<S>) -> awc::Connector<S>
where
    Io: actix_rt::net::ActixStream + std::fmt::Debug + 'static,
    S: actix_web::dev::Service<
            actix_tls::connect::ConnectInfo<awc::http::Uri>,
            Response = actix_tls::connect::Connection<awc::http::Uri, Io>,
            Error = actix_tls::connect::ConnectError,
        > + Clone
        + 'static,
{
    match shared_tls() {
        Ok(tls) => connector.openssl(tls),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the shared TLS context; this client builds its own");
            connector
        }
    }
}

/// The TLS context every outbound client shares: the system's CAs, and `http.extra_ca_file`'s
/// once set (the last application built wins).
static SHARED_TLS: std::sync::RwLock<Option<openssl::ssl::SslConnector>> = std::sync::RwLock::new(None);

fn shared_tls() -> Result<openssl::ssl::SslConnector, openssl::error::ErrorStack> {
    if let Some(tls) = SHARED_TLS.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return Ok(tls.clone());
    }
    let mut slot = SHARED_TLS.write().unwrap_or_else(|e| e.into_inner());
    if let Some(tls) = slot.as_ref() {
        return Ok(tls.clone());
    }
    // As awc's own default: HTTP/2 or HTTP/1.1.
    let mut builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    builder.set_alpn_protos(b"\x02h2\x08http/1.1")?;
    let tls = builder.build();
    *slot = Some(tls.clone());
    Ok(tls)
}

/// Trusts the CAs in `path` (PEM) for outbound https, besides the system's; checked here so
/// a bad file stops the start instead of every later call. `None`: the system's only.
pub fn trust_extra_cas(path: Option<std::path::PathBuf>) -> Result<(), openssl::error::ErrorStack> {
    let tls = path.as_deref().map(tls_trusting).transpose()?;
    *SHARED_TLS.write().unwrap_or_else(|e| e.into_inner()) = tls;
    TLS_GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    Ok(())
}

fn tls_trusting(path: &std::path::Path) -> Result<openssl::ssl::SslConnector, openssl::error::ErrorStack> {
    let mut tls = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    tls.set_alpn_protos(b"\x08http/1.1")?;
    tls.set_ca_file(path)?;
    Ok(tls.build())
}

/// `Retry-After` as seconds, which Shopify may send fractional ("2.0").
pub fn retry_after(headers: &awc::http::header::HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(600.0)))
        .unwrap_or(Duration::from_secs(1))
}

/// A store-wide "not before" time: a 429's `Retry-After` holds every call this connector
/// makes (polls, pushes, reads), not only the one that was refused, since marketplaces rate
/// limit per app and store.
#[derive(Clone, Default)]
pub struct RateGate(std::rc::Rc<std::cell::Cell<Option<std::time::Instant>>>);

impl RateGate {
    /// Waits until the store said calls may resume.
    pub async fn wait(&self) {
        if let Some(until) = self.0.get() {
            let now = std::time::Instant::now();
            if until > now {
                actix_web::rt::time::sleep(until - now).await;
            }
        }
    }

    /// Holds every call for `wait` from now (never shortens a longer hold).
    pub fn hold(&self, wait: Duration) {
        let until = std::time::Instant::now() + wait;
        if self.0.get().is_none_or(|u| u < until) {
            self.0.set(Some(until));
        }
    }
}

/// The pause before retry `attempt` after a transient failure: 200 ms doubling, capped at 6.4 s.
pub async fn backoff(attempt: u32) {
    actix_web::rt::time::sleep(Duration::from_millis(200 << attempt.min(5))).await;
}

/// How often a connector tries one call before giving up on this poll.
pub const ATTEMPTS: u32 = 6;

/// What one attempt at a marketplace call came to.
pub enum Answer {
    /// A 2xx: its body and headers.
    Body(Vec<u8>, awc::http::header::HeaderMap),
    /// Worth another attempt (a transport error, a 5xx, a 429 whose wait is already held).
    Retry(ConnectorError),
    /// The marketplace refused: trying again would not help.
    Refused(ConnectorError),
    /// A 3xx with a `Location`: the caller decides whether to follow it.
    Redirect(String),
}

/// Reads one attempt's answer (at most `limit` bytes of body) and says what it means: 401/403
/// refuse our credentials; a 429 holds every call of this connector for its `Retry-After`; a
/// transport error or 5xx waits out `backoff(attempt)`; any other non-2xx is refused with
/// its body. `platform` names the marketplace in the log; `call` is the attempt's transaction
/// record, completed here.
pub async fn read_answer(
    sent: Result<awc::ClientResponse, awc::error::SendRequestError>,
    gate: &RateGate,
    attempt: u32,
    limit: usize,
    platform: &str,
    call: crate::records::Call<'_>,
) -> Answer {
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => {
            call.done(None, Some(e.to_string()), b"");
            backoff(attempt).await;
            return Answer::Retry(ConnectorError::Transient(e.to_string()));
        }
    };
    let status = resp.status();
    let bytes = resp.body().limit(limit).await.unwrap_or_default().to_vec();
    call.done(Some(status.as_u16()), None, &bytes);
    match status.as_u16() {
        200..=299 => Answer::Body(bytes, resp.headers().clone()),
        401 | 403 => {
            Answer::Refused(ConnectorError::Unauthorized(String::from_utf8_lossy(&bytes).chars().take(300).collect()))
        }
        300..=399 => match resp.headers().get("location").and_then(|v| v.to_str().ok()) {
            Some(to) => Answer::Redirect(to.to_string()),
            None => Answer::Refused(ConnectorError::Permanent(format!("HTTP {status} without a Location"))),
        },
        429 => {
            let wait = retry_after(resp.headers());
            tracing::info!(?wait, platform, "the marketplace answered 429; waiting as told");
            gate.hold(wait);
            Answer::Retry(ConnectorError::RateLimited(wait))
        }
        500..=599 => {
            backoff(attempt).await;
            Answer::Retry(ConnectorError::Transient(format!("HTTP {status}")))
        }
        _ => Answer::Refused(ConnectorError::Permanent(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))),
    }
}
