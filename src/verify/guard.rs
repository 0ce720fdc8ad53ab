//! The SSRF guard. A leaked URL can point anywhere, including the scanning machine's own network
//! and the cloud metadata service, so a host is resolved once, its address is checked, and the
//! connection goes to that checked address (never to a second resolution of the name).
//!
//! Every range of the IANA special-purpose address registries (IPv4 and IPv6) is classified, and
//! an IPv6 address that carries an IPv4 one (mapped, compatible, SIIT-translated, NAT64, 6to4,
//! Teredo) is judged by the IPv4 address it leads to: `64:ff9b::a9fe:a9fe` is the metadata
//! service, reached through a NAT64 gateway. Anything outside IPv6's global unicast space
//! (`2000::/3`) is reserved and refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Why an address may not be contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// A special-purpose kind of address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `0.0.0.0/8`, `::`: "this host", which the kernel turns into a local address.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918, unique local `fc00::/7`, deprecated site-local `fec0::/10`.
    Private,
    /// `100.64.0.0/10`, carrier-grade NAT.
    Shared,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// The cloud instance metadata services (AWS, GCP, Azure, Alibaba).
    CloudMetadata,
    /// IETF protocol assignments (`192.0.0.0/24`, `2001::/23`), anycast services, AMT.
    Protocol,
    /// `198.18.0.0/15`, `2001:2::/48`: network benchmarking.
    Benchmarking,
    /// `64:ff9b:1::/48`: a local-use NAT64 prefix, translated inside one network.
    LocalTranslation,
    /// TEST-NET-1/2/3, `2001:db8::/32`, `3fff::/20`: never routed.
    Documentation,
    /// AS112 DNS sinks: nothing to verify there.
    As112,
    /// `240.0.0.0/4`, the old 6to4 relay anycast, discard-only, ORCHID, SRv6 SIDs, and everything
    /// outside `2000::/3`.
    Reserved,
    /// Multicast.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
}

impl Special {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Special::Unspecified => "unspecified",
            Special::Loopback => "loopback",
            Special::Private => "private",
            Special::Shared => "shared address space",
            Special::LinkLocal => "link-local",
            Special::CloudMetadata => "cloud metadata",
            Special::Protocol => "IETF protocol assignment",
            Special::Benchmarking => "benchmarking",
            Special::LocalTranslation => "local NAT64",
            Special::Documentation => "documentation",
            Special::As112 => "AS112",
            Special::Reserved => "reserved",
            Special::Multicast => "multicast",
            Special::Broadcast => "broadcast",
        }
    }

    /// Whether `--verify-private` lets a check reach it: networks a user may run databases on.
    /// The rest hold no service a leaked credential belongs to, or one no check should touch
    /// (the metadata service hands out the machine's own credentials).
    pub fn allowed_when_private(self) -> bool {
        matches!(
            self,
            Special::Loopback
                | Special::Private
                | Special::Shared
                | Special::LinkLocal
                | Special::Protocol
                | Special::Benchmarking
                | Special::LocalTranslation
        )
    }
}

/// A restricted address: its kind, and the IPv6 form that carried an IPv4 address, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restricted {
    /// What it is (for an embedded address, what the IPv4 address is).
    pub kind: Special,
    /// `NAT64`, `6to4`, `Teredo`, `IPv4-mapped` ... when the IPv4 address came from inside an
    /// IPv6 one.
    pub via: Option<&'static str>,
}

/// Resolves `host:port` and returns the first address, unless it is special-purpose; with
/// `allow_private`, the kinds [`Special::allowed_when_private`] names are let through.
pub fn resolve(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, Refused> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = (host, port)
        .to_socket_addrs()
        .map_err(|e| Refused(format!("cannot resolve {host}: {e}")))?
        .next()
        .ok_or_else(|| Refused(format!("{host} has no address")))?;
    if let Some(restricted) = restricted(address.ip()) {
        if !allow_private || !restricted.kind.allowed_when_private() {
            let via = restricted
                .via
                .map(|v| format!(", through {v}"))
                .unwrap_or_default();
            let hint = if restricted.kind.allowed_when_private() {
                "; not contacted without --verify-private"
            } else {
                "; never contacted"
            };
            return Err(Refused(format!(
                "{host} resolves to {} ({}{via}){hint}",
                address.ip(),
                restricted.kind.name()
            )));
        }
    }
    Ok(address)
}

/// The kind of special-purpose address `ip` is, if it is one.
pub fn restricted(ip: IpAddr) -> Option<Restricted> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4).map(|kind| Restricted { kind, via: None }),
        IpAddr::V6(v6) => restricted_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn in_v6(ip: Ipv6Addr, net: &str, len: u32) -> bool {
    let Ok(net) = net.parse::<Ipv6Addr>() else {
        return false;
    };
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    (u128::from(ip) & mask) == (u128::from(net) & mask)
}

/// The IPv4 special-purpose registry, most specific first.
const V4: &[([u8; 4], u32, Special)] = &[
    ([169, 254, 169, 254], 32, Special::CloudMetadata),
    ([100, 100, 100, 200], 32, Special::CloudMetadata),
    ([0, 0, 0, 0], 8, Special::Unspecified),
    ([10, 0, 0, 0], 8, Special::Private),
    ([100, 64, 0, 0], 10, Special::Shared),
    ([127, 0, 0, 0], 8, Special::Loopback),
    ([169, 254, 0, 0], 16, Special::LinkLocal),
    ([172, 16, 0, 0], 12, Special::Private),
    ([192, 0, 0, 0], 24, Special::Protocol),
    ([192, 0, 2, 0], 24, Special::Documentation),
    ([192, 31, 196, 0], 24, Special::As112),
    ([192, 52, 193, 0], 24, Special::Protocol),
    ([192, 88, 99, 0], 24, Special::Reserved),
    ([192, 168, 0, 0], 16, Special::Private),
    ([192, 175, 48, 0], 24, Special::As112),
    ([198, 18, 0, 0], 15, Special::Benchmarking),
    ([198, 51, 100, 0], 24, Special::Documentation),
    ([203, 0, 113, 0], 24, Special::Documentation),
    ([224, 0, 0, 0], 4, Special::Multicast),
    ([255, 255, 255, 255], 32, Special::Broadcast),
    ([240, 0, 0, 0], 4, Special::Reserved),
];

fn special_v4(ip: Ipv4Addr) -> Option<Special> {
    V4.iter()
        .find(|(net, len, _)| in_v4(ip, *net, *len))
        .map(|(_, _, kind)| *kind)
}

/// The IPv6 special-purpose registry that carries no IPv4 address, most specific first.
const V6: &[(&str, u32, Special)] = &[
    ("::", 128, Special::Unspecified),
    ("::1", 128, Special::Loopback),
    ("64:ff9b:1::", 48, Special::LocalTranslation),
    ("100::", 64, Special::Reserved),
    ("2001:1::1", 128, Special::Protocol),
    ("2001:1::2", 128, Special::Protocol),
    ("2001:1::3", 128, Special::Protocol),
    ("2001:2::", 48, Special::Benchmarking),
    ("2001:3::", 32, Special::Protocol),
    ("2001:4:112::", 48, Special::As112),
    ("2001:10::", 28, Special::Reserved),
    ("2001:20::", 28, Special::Protocol),
    ("2001:30::", 28, Special::Protocol),
    ("2001:db8::", 32, Special::Documentation),
    ("2001::", 23, Special::Protocol),
    ("2620:4f:8000::", 48, Special::As112),
    ("3fff::", 20, Special::Documentation),
    ("5f00::", 16, Special::Reserved),
    ("fd00:ec2::254", 128, Special::CloudMetadata),
    ("fc00::", 7, Special::Private),
    ("fe80::", 10, Special::LinkLocal),
    ("fec0::", 10, Special::Private),
    ("ff00::", 8, Special::Multicast),
];

fn restricted_v6(ip: Ipv6Addr) -> Option<Restricted> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let embedded = |v4: Ipv4Addr, via: &'static str| {
        special_v4(v4).map(|kind| Restricted {
            kind,
            via: Some(via),
        })
    };
    let direct = |kind| Some(Restricted { kind, via: None });
    if ip.is_unspecified() {
        return direct(Special::Unspecified);
    }
    if ip.is_loopback() {
        return direct(Special::Loopback);
    }
    // Forms that carry an IPv4 address: judged by where they lead.
    if in_v6(ip, "::ffff:0:0", 96) {
        return embedded(low32, "IPv4-mapped");
    }
    if in_v6(ip, "::ffff:0:0:0", 96) {
        return embedded(low32, "IPv4-translated");
    }
    if in_v6(ip, "::", 96) {
        return embedded(low32, "IPv4-compatible").or(direct(Special::Reserved));
    }
    if in_v6(ip, "64:ff9b::", 96) {
        return embedded(low32, "NAT64");
    }
    if in_v6(ip, "2002::", 16) {
        let v4 = Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32);
        return embedded(v4, "6to4");
    }
    if in_v6(ip, "2001::", 32) {
        // Teredo: the server in bits 32-63, the client's address inverted in the last 32.
        let server = Ipv4Addr::from(((bits >> 64) & 0xffff_ffff) as u32);
        let client = Ipv4Addr::from(!((bits & 0xffff_ffff) as u32));
        return embedded(client, "Teredo").or_else(|| embedded(server, "Teredo"));
    }
    if let Some((_, _, kind)) = V6.iter().find(|(net, len, _)| in_v6(ip, net, *len)) {
        return direct(*kind);
    }
    if !in_v6(ip, "2000::", 3) {
        return direct(Special::Reserved);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<Special> {
        restricted(ip.parse().unwrap()).map(|r| r.kind)
    }

    /// One address in each range of the registries (and both edges of some), with its kind.
    #[test]
    fn every_special_purpose_range_is_classified() {
        use Special::*;
        for (ip, want) in [
            ("0.0.0.0", Unspecified),
            ("0.255.255.255", Unspecified),
            ("10.1.2.3", Private),
            ("100.64.0.1", Shared),
            ("100.127.255.254", Shared),
            ("100.100.100.200", CloudMetadata),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("169.254.1.1", LinkLocal),
            ("169.254.169.254", CloudMetadata),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.0.0.8", Protocol),
            ("192.0.0.170", Protocol),
            ("192.0.2.1", Documentation),
            ("192.31.196.1", As112),
            ("192.52.193.1", Protocol),
            ("192.88.99.1", Reserved),
            ("192.168.1.1", Private),
            ("192.175.48.1", As112),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("224.0.0.1", Multicast),
            ("239.255.255.255", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.254", Reserved),
            ("255.255.255.255", Broadcast),
            ("::", Unspecified),
            ("::1", Loopback),
            ("::ffff:10.0.0.1", Private),
            ("::ffff:0:127.0.0.1", Loopback),
            ("::127.0.0.1", Loopback),
            ("::2", Unspecified),
            ("::8.8.8.8", Reserved), // IPv4-compatible: deprecated, never routed
            ("64:ff9b::a9fe:a9fe", CloudMetadata),
            ("64:ff9b::10.0.0.1", Private),
            ("64:ff9b:1::1", LocalTranslation),
            ("100::1", Reserved),
            ("2001::ffff:ffff:80ff:fffe", Loopback), // Teredo, client 127.0.0.1
            ("2001:0:c000:201::f7f7:f7f7", Documentation), // Teredo, server 192.0.2.1
            ("2001:1::1", Protocol),
            ("2001:2::1", Benchmarking),
            ("2001:3::1", Protocol),
            ("2001:4:112::1", As112),
            ("2001:10::1", Reserved),
            ("2001:20::1", Protocol),
            ("2001:30::1", Protocol),
            ("2001:db8::1", Documentation),
            ("2001:100::1", Protocol),
            ("2002:7f00:1::", Loopback), // 6to4 of 127.0.0.1
            ("2002:a9fe:a9fe::1", CloudMetadata),
            ("2620:4f:8000::1", As112),
            ("3fff::1", Documentation),
            ("5f00::1", Reserved),
            ("fc00::1", Private),
            ("fd00:ec2::254", CloudMetadata),
            ("fe80::1", LinkLocal),
            ("fec0::1", Private),
            ("ff02::1", Multicast),
            ("4000::1", Reserved),
            ("8000::1", Reserved),
        ] {
            assert_eq!(kind(ip), Some(want), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_not_restricted() {
        for ip in [
            "52.94.236.248",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "198.20.0.1",
            "2600:1f18::1",
            "64:ff9b::808:808", // NAT64 of 8.8.8.8: how an IPv6-only network reaches it
            "2002:808:808::1",  // 6to4 of 8.8.8.8
        ] {
            assert_eq!(kind(ip), None, "{ip}");
        }
    }

    #[test]
    fn embedded_addresses_name_their_form() {
        let r = restricted("64:ff9b::a9fe:a9fe".parse().unwrap()).unwrap();
        assert_eq!(r.via, Some("NAT64"));
        let error = resolve("64:ff9b::a9fe:a9fe", 80, true).unwrap_err();
        assert!(
            error.0.contains("cloud metadata, through NAT64"),
            "{error:?}"
        );
    }

    #[test]
    fn private_networks_only_with_verify_private_and_never_the_rest() {
        assert!(resolve("127.0.0.1", 5432, false).is_err());
        assert!(resolve("127.0.0.1", 5432, true).is_ok());
        assert!(resolve("::127.0.0.1", 5432, false).is_err());
        assert!(resolve("fec0::1", 5432, false).is_err());
        for never in ["0.0.0.0", "169.254.169.254", "240.0.0.1", "192.0.2.1"] {
            assert!(resolve(never, 5432, true).is_err(), "{never}");
        }
    }
}
