//! What both simulators share at run time: the state behind the handlers (store, faults,
//! request count, webhook queue, Shopify's cost bucket) and the start-up of the HTTP server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::faults::{self, FaultQueue};
use super::store::{Kind, Store};
use super::webhook::{self, Delivery, Event};
use super::{shopify, tester, woocommerce, SimHandle, SimOptions};

/// Shopify's leaky bucket of query cost points.
#[derive(Debug)]
pub struct Bucket {
    available: f64,
    last: Instant,
}

impl Bucket {
    pub const MAXIMUM: f64 = 2000.0;
    pub const RESTORE_RATE: f64 = 100.0;

    fn new() -> Bucket {
        Bucket { available: Self::MAXIMUM, last: Instant::now() }
    }

    /// Points available now, after refilling for the time elapsed.
    pub fn refill(&mut self) -> f64 {
        let now = Instant::now();
        let secs = now.duration_since(self.last).as_secs_f64();
        self.available = (self.available + secs * Self::RESTORE_RATE).min(Self::MAXIMUM);
        self.last = now;
        self.available
    }

    pub fn charge(&mut self, points: f64) {
        self.available = (self.available - points).max(0.0);
    }
}

/// Everything a simulator's handlers reach through `web::Data<SimState>`.
pub struct SimState {
    pub kind: Kind,
    pub port: u16,
    pub token: Option<String>,
    pub key: Option<String>,
    pub secret: Option<String>,
    pub throttle: bool,
    /// Shopify: protected customer data (level 2) is served.
    pub customer_data: bool,
    /// Served over https: WooCommerce then reads HTTP Basic credentials (`is_ssl()`).
    pub tls: bool,
    store: Mutex<Store>,
    faults: Mutex<FaultQueue>,
    request_log: Mutex<Vec<Value>>,
    bucket: Mutex<Bucket>,
    requests: AtomicU64,
    webhook_secret: Option<String>,
    webhook_tx: Option<UnboundedSender<Delivery>>,
}

/// A poisoned lock only means another handler panicked; the data is still usable for a simulator.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SimState {
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.faults)
    }

    pub fn bucket(&self) -> MutexGuard<'_, Bucket> {
        lock(&self.bucket)
    }

    /// The latest API requests: when each arrived (wall clock, ms) and the fault status it got.
    pub fn request_log(&self) -> Vec<Value> {
        lock(&self.request_log).clone()
    }

    pub fn requests_served(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn webhook_secret(&self) -> Option<&str> {
        self.webhook_secret.as_deref()
    }

    /// Call first in every API (non-`/_sim/`) handler: counts the request and applies the next
    /// queued fault. `Some(response)` means answer with that instead.
    pub async fn api_gate(&self) -> Option<HttpResponse> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let applied = self.faults().take();
        {
            let mut log = lock(&self.request_log);
            if log.len() >= REQUEST_LOG_MAX {
                log.remove(0);
            }
            let at_ms = chrono::Utc::now().timestamp_millis();
            log.push(serde_json::json!({ "at_ms": at_ms, "fault_status": applied.as_ref().and_then(|a| a.status) }));
        }
        let applied = applied?;
        let body: fn(u16) -> Value = match self.kind {
            Kind::Shopify => shopify::error_body,
            Kind::WooCommerce => woocommerce::error_body,
        };
        faults::enact(applied, body).await
    }

    /// Queues the platform's webhooks for an order event, if a webhook URL is configured.
    pub fn notify(&self, order_id: u64, event: Event) {
        let Some(tx) = &self.webhook_tx else { return };
        let deliveries = {
            let store = self.store();
            let Some(order) = store.order(order_id) else { return };
            match self.kind {
                Kind::Shopify => shopify::webhooks(self, order, event),
                Kind::WooCommerce => woocommerce::webhooks(self, order, event),
            }
        };
        for d in deliveries {
            // The receiver only goes away with the server; nothing to do then.
            let _ = tx.send(d);
        }
    }
}

/// The simulators' own test certificate and key (`src/sim/tls`, valid for loopback only).
fn test_certificate() -> std::io::Result<openssl::ssl::SslAcceptorBuilder> {
    use openssl::ssl::{SslAcceptor, SslMethod};
    let build = || -> Result<openssl::ssl::SslAcceptorBuilder, openssl::error::ErrorStack> {
        let mut tls = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
        let certificate = openssl::x509::X509::from_pem(include_bytes!("tls/sim-cert.pem"))?;
        let key = openssl::pkey::PKey::private_key_from_pem(include_bytes!("tls/sim-key.pem"))?;
        tls.set_certificate(&certificate)?;
        tls.set_private_key(&key)?;
        Ok(tls)
    };
    build().map_err(std::io::Error::other)
}

/// API requests remembered for `GET /_sim/requests`.
const REQUEST_LOG_MAX: usize = 10_000;

/// Binds, builds the state, and spawns the server on the current actix System.
pub async fn start(kind: Kind, opts: SimOptions, routes: fn(&mut web::ServiceConfig)) -> std::io::Result<SimHandle> {
    let (listener, port, mut base_url) = super::bind(opts.bind)?;
    if opts.tls {
        base_url = base_url.replacen("http://", "https://", 1);
    }
    let webhook_tx = opts.webhook_url.clone().map(webhook::spawn_sender);
    let state = web::Data::new(SimState {
        kind,
        port,
        token: opts.token,
        key: opts.key,
        secret: opts.secret,
        throttle: opts.throttle,
        customer_data: opts.customer_data,
        tls: opts.tls,
        store: Mutex::new(Store::new(kind)),
        faults: Mutex::new(FaultQueue::default()),
        request_log: Mutex::new(Vec::new()),
        bucket: Mutex::new(Bucket::new()),
        requests: AtomicU64::new(0),
        webhook_secret: opts.webhook_secret,
        webhook_tx,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .configure(tester::routes)
            .configure(routes)
    })
    .workers(1)
    .disable_signals();
    let server =
        if opts.tls { server.listen_openssl(listener, test_certificate()?)? } else { server.listen(listener)? }.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(SimHandle { port, base_url, server: handle })
}
