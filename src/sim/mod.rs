//! Simulated marketplaces (Shopify Admin GraphQL, WooCommerce REST v3) speaking the real
//! protocols on loopback, a simulated fulfilment centre (plugin) and a webhook receiver, for `chorus demo`, the tests and the benchmarks. A tester drives them
//! through `/_sim/` (see `tester`); each runs in-process inside the current actix System.

pub mod faults;
pub mod plugin;
pub mod receiver;
pub mod server;
pub mod shopify;
pub mod shopify_fulfil;
pub mod signed;
pub mod store;
pub mod tester;
pub mod webhook;
pub mod whole;
pub mod woo_auth;
pub mod woo_fulfil;
pub mod woo_products;
pub mod woocommerce;

use std::fmt;

/// What a simulator answers when it refuses a request (a test's bad input, an API call the
/// platform would refuse): the message its error body carries.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Refusal(message.to_string())
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal(message)
    }
}

impl From<Refusal> for String {
    fn from(refusal: Refusal) -> Self {
        refusal.0
    }
}
use std::net::SocketAddr;

/// A running simulator.
pub struct SimHandle {
    pub port: u16,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub server: actix_web::dev::ServerHandle,
}

impl SimHandle {
    /// `base_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Stops the simulator, letting requests in flight finish.
    pub async fn stop(&self) {
        self.server.stop(true).await;
    }
}

/// Binds a simulator's listener; returns it with its port and the base URL to reach it at
/// (loopback when bound to an unspecified address).
pub fn bind(addr: SocketAddr) -> std::io::Result<(std::net::TcpListener, u16, String)> {
    use std::net::{IpAddr, Ipv4Addr};
    let listener = std::net::TcpListener::bind(addr)?;
    let addr = listener.local_addr()?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST).to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Ok((listener, addr.port(), format!("http://{host}:{}", addr.port())))
}

/// How a simulator starts.
#[derive(Clone)]
pub struct SimOptions {
    pub bind: SocketAddr,
    /// Where to send signed order webhooks.
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
    /// Shopify: the `X-Shopify-Access-Token` required, if any.
    pub token: Option<String>,
    /// WooCommerce: the consumer key and secret required, if any.
    pub key: Option<String>,
    pub secret: Option<String>,
    /// Shopify's cost throttle (bucket 2,000 points, 100/s).
    pub throttle: bool,
    /// Serve https with the test certificate in `src/sim/tls` (loopback only) instead of http.
    pub tls: bool,
    /// Shopify: the app is approved for protected customer data (level 2: names, addresses,
    /// email, phone). When not, the simulator withholds them as Shopify does.
    pub customer_data: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            webhook_url: None,
            webhook_secret: None,
            token: None,
            key: None,
            secret: None,
            throttle: true,
            tls: false,
            customer_data: true,
        }
    }
}

impl fmt::Debug for SimOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |s: &Option<String>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("SimOptions")
            .field("bind", &self.bind)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &redact(&self.webhook_secret))
            .field("token", &redact(&self.token))
            .field("key", &self.key)
            .field("secret", &redact(&self.secret))
            .field("throttle", &self.throttle)
            .field("customer_data", &self.customer_data)
            .finish()
    }
}

/// For the CLI (`chorus sim <shopify|woocommerce|plugin|receiver> --bind ADDR`): starts one simulator and runs
/// until Ctrl-C.
pub async fn run_forever(kind: &str, opts: SimOptions) -> anyhow::Result<()> {
    let handle = match kind {
        "shopify" => shopify::start(opts).await?,
        "woocommerce" | "woo" => woocommerce::start(opts).await?,
        "plugin" => plugin::start(opts).await?,
        "receiver" => receiver::start(opts).await?,
        other => anyhow::bail!("unknown simulator {other:?} (expected shopify, woocommerce, plugin or receiver)"),
    };
    tracing::info!(kind, url = %handle.base_url, "simulator listening");
    println!("{kind} simulator listening on {}", handle.base_url);
    tokio::signal::ctrl_c().await?;
    handle.stop().await;
    Ok(())
}
