//! The receiving side of Standard Webhooks, shared by the simulated fulfilment centre and the
//! webhook receiver: reads `webhook-id`, `webhook-timestamp` and `webhook-signature` and checks
//! them against the secret, as a subscriber would.

use actix_web::HttpRequest;

use crate::domain::standard_webhooks;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    MissingHeaders,
    BadTimestamp,
    BadSignature,
}

impl Refusal {
    pub fn as_str(&self) -> &'static str {
        match self {
            Refusal::MissingHeaders => "missing webhook-id, webhook-timestamp or webhook-signature",
            Refusal::BadTimestamp => "webhook-timestamp is not a Unix time within 5 minutes of now",
            Refusal::BadSignature => "webhook-signature does not match",
        }
    }
}

/// The message's `webhook-id` when its signature checks out.
pub fn verify(req: &HttpRequest, body: &[u8], secret: &str) -> Result<String, Refusal> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(id), Some(ts), Some(sig)) =
        (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"))
    else {
        return Err(Refusal::MissingHeaders);
    };
    let ts: i64 = ts.trim().parse().map_err(|_| Refusal::BadTimestamp)?;
    let now = chrono::Utc::now().timestamp();
    if now.abs_diff(ts) > standard_webhooks::TOLERANCE_SECS.unsigned_abs() {
        return Err(Refusal::BadTimestamp);
    }
    if standard_webhooks::verify(secret, &id, ts, body, &sig, now) {
        Ok(id)
    } else {
        Err(Refusal::BadSignature)
    }
}
