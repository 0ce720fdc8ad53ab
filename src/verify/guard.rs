//! The SSRF guard. A leaked URL can point anywhere, including the scanning machine's own network
//! and the cloud metadata service, so a host is resolved once, its address is checked, and the
//! connection goes to that checked address (never to a second resolution of the name).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Why an address may not be contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Resolves `host:port` and returns the first address, unless it is loopback, private,
/// link-local, multicast, unspecified or a cloud metadata address and `allow_private` is off.
pub fn resolve(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, Refused> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = (host, port)
        .to_socket_addrs()
        .map_err(|e| Refused(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| Refused(format!("{host} has no address")))?;
    if let Some(kind) = restricted(address.ip()) {
        if !allow_private || kind == "unspecified" {
            return Err(Refused(format!(
                "{host} resolves to {} ({kind}); not contacted without --verify-private",
                address.ip()
            )));
        }
    }
    Ok(address)
}

/// The kind of restricted address `ip` is, if it is one.
pub fn restricted(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => restricted_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return restricted_v4(v4);
            }
            restricted_v6(v6)
        }
    }
}

fn restricted_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() || ip.is_broadcast() {
        Some("multicast")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else {
        None
    }
}

fn restricted_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Some("cloud metadata")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("private")
    } else if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_restricted() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "224.0.0.1",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(restricted(ip.parse().unwrap()).is_some(), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_not() {
        for ip in ["52.94.236.248", "8.8.8.8", "2600:1f18::1"] {
            assert_eq!(restricted(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn loopback_is_refused_unless_allowed() {
        assert!(resolve("127.0.0.1", 5432, false).is_err());
        assert!(resolve("127.0.0.1", 5432, true).is_ok());
        assert!(
            resolve("0.0.0.0", 5432, true).is_err(),
            "never the unspecified address"
        );
    }
}
