//! Outbound order webhooks from a simulator: signing, and one delivery task per simulator that
//! posts them in order, retrying a few times, without ever holding up the request that caused them.

use std::time::Duration;

use tokio::sync::mpsc;

/// What happened to an order, which decides the webhook topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Created,
    Paid,
    Cancelled,
    /// Any other change: shipped in the shop's admin, refunded, voided.
    Updated,
}

/// One webhook ready to post: the exact body bytes and its headers.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

/// Extra attempts after the first, and the pause between attempts.
const RETRIES: usize = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_secs(5);

/// `base64(HMAC-SHA256(key = secret bytes, body))`, as both Shopify and WooCommerce sign.
pub fn sign(secret: &str, body: &[u8]) -> String {
    crate::domain::signature::sign(secret.as_bytes(), body)
}

/// A random id shaped like a UUID (Shopify's `X-Shopify-Webhook-Id`).
pub fn random_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Starts the delivery task on the current actix arbiter; returns the queue to feed it.
pub fn spawn_sender(url: String) -> mpsc::UnboundedSender<Delivery> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Delivery>();
    actix_web::rt::spawn(async move {
        let client = awc::Client::builder().timeout(TIMEOUT).finish();
        while let Some(d) = rx.recv().await {
            deliver(&client, &url, d).await;
        }
    });
    tx
}

async fn deliver(client: &awc::Client, url: &str, d: Delivery) {
    for attempt in 0..=RETRIES {
        if attempt > 0 {
            actix_web::rt::time::sleep(RETRY_PAUSE).await;
        }
        let mut req = client.post(url).insert_header(("Content-Type", "application/json"));
        for (k, v) in &d.headers {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        match req.send_body(d.body.clone()).await {
            Ok(resp) if resp.status().is_success() => return,
            Ok(resp) => tracing::debug!(status = %resp.status(), attempt, url, "sim webhook refused"),
            Err(e) => tracing::debug!(error = %e, attempt, url, "sim webhook failed"),
        }
    }
    tracing::warn!(url, "sim webhook given up after {} attempts", RETRIES + 1);
}
