//! The one address rule for every URL Chorus calls (subscribers, plugins, channels): an address
//! must be globally reachable by the IANA special-purpose address registries
//! (<https://www.iana.org/assignments/iana-ipv4-special-registry>,
//! <https://www.iana.org/assignments/iana-ipv6-special-registry>), unless private networks are
//! allowed. IPv6 is allowed only inside global unicast (2000::/3) and outside the blocks the
//! registry marks not global; addresses that embed an IPv4 address (IPv4-mapped) are judged by
//! it, and those that can carry one to a translator (IPv4-compatible, SIIT, NAT64, 6to4,
//! Teredo) are refused outright, as they can reach a private IPv4 address through a gateway.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not globally reachable (IANA IPv4 special-purpose registry, plus
/// multicast and the reserved 240/4).
const V4_NOT_GLOBAL: &[([u8; 4], u8, &str)] = &[
    ([0, 0, 0, 0], 8, "this network"),
    ([10, 0, 0, 0], 8, "private"),
    ([100, 64, 0, 0], 10, "shared (CGNAT)"),
    ([127, 0, 0, 0], 8, "loopback"),
    ([169, 254, 0, 0], 16, "link-local"),
    ([172, 16, 0, 0], 12, "private"),
    ([192, 0, 0, 0], 24, "IETF protocol assignments"),
    ([192, 0, 2, 0], 24, "documentation"),
    ([192, 31, 196, 0], 24, "AS112"),
    ([192, 52, 193, 0], 24, "AMT"),
    ([192, 88, 99, 0], 24, "6to4 relay anycast"),
    ([192, 168, 0, 0], 16, "private"),
    ([192, 175, 48, 0], 24, "direct delegation AS112"),
    ([198, 18, 0, 0], 15, "benchmarking"),
    ([198, 51, 100, 0], 24, "documentation"),
    ([203, 0, 113, 0], 24, "documentation"),
    ([224, 0, 0, 0], 4, "multicast"),
    ([240, 0, 0, 0], 4, "reserved"),
];

/// IPv6 blocks inside 2000::/3 that are not globally reachable (IANA IPv6 special-purpose
/// registry), or that lead to IPv4 through a translator.
const V6_NOT_GLOBAL: &[([u16; 8], u8, &str)] = &[
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments (Teredo, benchmarking, ORCHID)"),
    ([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0], 32, "documentation"),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4"),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation"),
];

fn v4_in(ip: Ipv4Addr, net: [u8; 4], len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len)) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v6_in(ip: Ipv6Addr, net: [u16; 8], len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// Why `ip` is not a globally reachable address, or None when it is.
pub fn not_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_broadcast() {
                return Some("broadcast");
            }
            V4_NOT_GLOBAL.iter().find(|(net, len, _)| v4_in(v4, *net, *len)).map(|(_, _, why)| *why)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return not_global(IpAddr::V4(v4));
            }
            // Outside global unicast: loopback, unspecified, IPv4-compatible, SIIT, NAT64,
            // discard-only, unique local, site-local, link-local, multicast.
            if !v6_in(v6, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
                return Some("not IPv6 global unicast (loopback, IPv4-compatible or translated, local or multicast)");
            }
            V6_NOT_GLOBAL.iter().find(|(net, len, _)| v6_in(v6, *net, *len)).map(|(_, _, why)| *why)
        }
    }
}

/// Whether a URL Chorus calls may lead to `ip` (with private networks not allowed).
pub fn is_forbidden(ip: IpAddr) -> bool {
    not_global(ip).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_globally_reachable_addresses_pass() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "100::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:0:127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "ff02::1",
        ] {
            let ip: IpAddr = bad.parse().unwrap_or_else(|e| panic!("{bad}: {e}"));
            assert!(is_forbidden(ip), "{bad} passed");
        }
        for good in ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1"] {
            assert!(!is_forbidden(good.parse().unwrap()), "{good} was refused");
        }
    }

    #[test]
    fn prefixes_match_on_their_length_only() {
        assert!(v4_in(Ipv4Addr::new(172, 31, 255, 255), [172, 16, 0, 0], 12));
        assert!(!v4_in(Ipv4Addr::new(172, 32, 0, 0), [172, 16, 0, 0], 12));
        assert!(v6_in("2001:1ff::1".parse().unwrap(), [0x2001, 0, 0, 0, 0, 0, 0, 0], 23));
        assert!(!v6_in("2001:200::1".parse().unwrap(), [0x2001, 0, 0, 0, 0, 0, 0, 0], 23));
    }
}
