//! Signed outbound delivery (Standard Webhooks), shared by the plugin and webhook actors: one
//! POST of a JSON body with `webhook-id`, `webhook-timestamp` and `webhook-signature`, no
//! redirects followed, a bounded wait, and an account of what happened.

use std::time::{Duration, Instant};

use crate::domain::standard_webhooks;

/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a receiver's answer is kept.
pub const RESPONSE_KEPT: usize = 4096;

/// What one delivery attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The receiver's status; None when no answer came (refused, timed out, reset).
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the receiver's answer (up to 4 KB, lossily decoded).
    pub response: String,
    /// The receiver's `Retry-After`, on 429 and 503.
    pub retry_after: Option<Duration>,
}

impl Attempt {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A short account for logs and status fields.
    pub fn describe(&self) -> String {
        match (self.status, &self.error) {
            (_, Some(e)) => e.clone(),
            (Some(s), None) => format!("HTTP {s}"),
            (None, None) => "no answer".into(),
        }
    }
}

/// POSTs `body` to `url` under message id `id`, signed with each of `secrets` (more than one
/// during a rotation: the header carries them space-separated), recording the call with `tap`.
/// `client` is the thread's shared one (`connectors::http::http_client`, which connects only
/// to addresses the guard allows); the delivery's own wait, [`TIMEOUT`], is set on the request.
pub async fn post_signed(
    client: &awc::Client,
    tap: &crate::records::Tap,
    url: &str,
    secrets: &[&str],
    id: &str,
    body: &[u8],
) -> Attempt {
    let call = tap.call(format!("POST {} ({id})", url.split('?').next().unwrap_or_default()));
    let timestamp = chrono::Utc::now().timestamp();
    let signature: Vec<String> = secrets.iter().map(|s| standard_webhooks::sign(s, id, timestamp, body)).collect();
    let signature = signature.join(" ");
    let started = Instant::now();
    let sent = client
        .post(url)
        .timeout(TIMEOUT)
        .insert_header(("content-type", "application/json"))
        .insert_header(("webhook-id", id))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .insert_header(("user-agent", concat!("Chorus/", env!("CARGO_PKG_VERSION"))))
        .send_body(body.to_vec())
        .await;
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => {
            call.done(None, Some(e.to_string()), b"");
            return Attempt {
                status: None,
                duration_ms: started.elapsed().as_millis() as i64,
                error: Some(e.to_string()),
                response: String::new(),
                retry_after: None,
            };
        }
    };
    let status = resp.status().as_u16();
    let retry_after = matches!(status, 429 | 503)
        .then(|| resp.headers().contains_key("retry-after").then(|| crate::connectors::retry_after(resp.headers())))
        .flatten();
    // The answer is read only as far as it is kept: a receiver cannot make us hold megabytes.
    let bytes = resp.body().limit(1 << 20).await.map(|b| b.to_vec()).unwrap_or_default();
    call.done(Some(status), None, &bytes);
    let kept = &bytes[..bytes.len().min(RESPONSE_KEPT)];
    Attempt {
        status: Some(status),
        duration_ms: started.elapsed().as_millis() as i64,
        error: None,
        response: String::from_utf8_lossy(kept).into_owned(),
        retry_after,
    }
}
