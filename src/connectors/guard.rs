//! The one address guard every outbound connection goes through (channels, plugins,
//! subscribers): the host is resolved, each address judged by `domain::address`, and the
//! connection made only to a checked one, so a DNS answer that changes between a check and the
//! connect cannot lead inside the network.

/// The TCP connector that resolves through the address guard (for any awc client).
pub fn guarded_connector(allow_private: bool) -> actix_tls::connect::ConnectorService {
    let resolver = actix_tls::connect::Resolver::custom(GuardedResolver { allow_private });
    actix_tls::connect::Connector::new(resolver).service()
}

struct GuardedResolver {
    allow_private: bool,
}

impl actix_tls::connect::Resolve for GuardedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> futures::future::LocalBoxFuture<'a, Result<Vec<std::net::SocketAddr>, Box<dyn std::error::Error>>> {
        Box::pin(async move {
            let found = checked_addresses(host, port, self.allow_private).await?;
            Ok(found)
        })
    }
}

/// Why a host may not be connected to.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The name does not resolve (now): nothing is known about where it leads.
    #[error("cannot resolve {0}")]
    Unresolved(String),
    #[error("{host} resolves to {ip}, which is not a globally reachable address ({why}; webhooks.allow_private_networks is false)")]
    NotGlobal { host: String, ip: std::net::IpAddr, why: &'static str },
}

/// The addresses `host` resolves to, refused if any is not globally reachable (unless private
/// networks are allowed): a name that points partly inside the network is treated as pointing
/// inside.
pub async fn checked_addresses(
    host: &str,
    port: u16,
    allow_private: bool,
) -> Result<Vec<std::net::SocketAddr>, Refused> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<std::net::SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|e| Refused::Unresolved(format!("{host}: {e}")))?.collect();
    if found.is_empty() {
        return Err(Refused::Unresolved(host.to_string()));
    }
    if !allow_private {
        for a in &found {
            if let Some(why) = crate::domain::address::not_global(a.ip()) {
                return Err(Refused::NotGlobal { host: host.to_string(), ip: a.ip(), why });
            }
        }
    }
    Ok(found)
}

/// A URL whose host is a forbidden IP literal (names are checked by the client's resolver).
pub fn forbidden_literal(url: &str, allow_private: bool) -> Option<String> {
    if allow_private {
        return None;
    }
    let host = url::Url::parse(url).ok()?.host_str()?.trim_start_matches('[').trim_end_matches(']').to_string();
    let ip: std::net::IpAddr = host.parse().ok()?;
    crate::domain::address::not_global(ip).map(|why| {
        format!("{ip} is not a globally reachable address ({why}; webhooks.allow_private_networks is false)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_literals_are_caught_before_connecting() {
        assert!(forbidden_literal("http://127.0.0.1:9/x", false).is_some());
        assert!(forbidden_literal("http://[::1]:9/x", false).is_some());
        assert!(forbidden_literal("http://127.0.0.1:9/x", true).is_none());
        assert!(forbidden_literal("https://example.com/x", false).is_none());
    }
}
