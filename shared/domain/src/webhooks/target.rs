//! Where a delivery may go. In a deployment: `https` only, and never an address inside a
//! network (private, loopback, link-local — which holds the cloud's metadata service —,
//! carrier-grade NAT, unspecified, multicast, documentation), whether the URL names it or its
//! host name resolves to it: the check runs on the registered URL and again on every address
//! the name resolves to at delivery time, so a name re-pointed later (DNS rebinding) is refused
//! too. A local run allows plain `http` and loopback, for a receiver on the same machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTarget {
    #[error("is not a valid absolute URL")]
    NotAUrl,
    #[error("must use https")]
    NotHttps,
    #[error("must not carry credentials")]
    Credentials,
    #[error("must not point to a private, loopback or link-local address ({0})")]
    Internal(IpAddr),
}

/// Checks a URL's scheme and, when its host is an address literal, the address. A host name is
/// checked when it is resolved ([`check_ip`]).
pub fn check_url(url: &str, local: bool) -> Result<(), BadTarget> {
    let (scheme, rest) = url.split_once("://").ok_or(BadTarget::NotAUrl)?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if local => {}
        "http" => return Err(BadTarget::NotHttps),
        _ => return Err(BadTarget::NotAUrl),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(BadTarget::Credentials);
    }
    let host = host_of(authority).ok_or(BadTarget::NotAUrl)?;
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BadTarget::NotAUrl);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        check_ip(ip, local)?;
    } else if !local && is_local_name(host) {
        return Err(BadTarget::Internal(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    Ok(())
}

/// The host of an authority (`[v6]:port`, `name:port`).
fn host_of(authority: &str) -> Option<&str> {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split_once(']').map(|(h, _)| h);
    }
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h))
}

fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost") || host.ends_with(".internal")
}

/// Checks one address a delivery would connect to.
pub fn check_ip(ip: IpAddr, local: bool) -> Result<(), BadTarget> {
    if local && ip.is_loopback() {
        return Ok(());
    }
    let internal = match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    };
    if internal {
        Err(BadTarget::Internal(ip))
    } else {
        Ok(())
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        // Carrier-grade NAT (100.64.0.0/10), "this network" (0.0.0.0/8), benchmarking
        // (198.18.0.0/15), reserved (240.0.0.0/4).
        || (a == 100 && (64..128).contains(&b))
        || a == 0
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return internal_v4(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // Documentation (2001:db8::/32).
        || (s[0] == 0x2001 && s[1] == 0x0db8)
}
