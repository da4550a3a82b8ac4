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

/// Checks a URL's scheme and, when its host is an address, the address. The URL is read by
/// the WHATWG parser the HTTP client itself uses (`url`), so every spelling of an address —
/// `2130706433`, `0x7f.1`, `127.1`, `0177.0.0.1`, `[::127.0.0.1]` — is the address the client
/// would connect to, checked as such. A host name is checked when it is resolved
/// ([`check_ip`]).
pub fn check_url(raw: &str, local: bool) -> Result<(), BadTarget> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BadTarget::NotAUrl);
    }
    // The parser forgives what a person did not mean: `https:host` and `https:///path` (where
    // it would take `path` for the host) are refused as typed.
    match raw.split_once("://") {
        Some((_, rest)) if !rest.starts_with(['/', '\\']) => {}
        _ => return Err(BadTarget::NotAUrl),
    }
    let url = url::Url::parse(raw).map_err(|_| BadTarget::NotAUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => return Err(BadTarget::NotHttps),
        _ => return Err(BadTarget::NotAUrl),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BadTarget::Credentials);
    }
    match url.host() {
        None => Err(BadTarget::NotAUrl),
        Some(url::Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4), local),
        Some(url::Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6), local),
        Some(url::Host::Domain(name)) if !local && is_local_name(name) => {
            Err(BadTarget::Internal(IpAddr::V4(Ipv4Addr::LOCALHOST)))
        }
        Some(url::Host::Domain(_)) => Ok(()),
    }
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
    let [.., a, b, c, d] = ip.octets();
    // Forms that reach an IPv4 address in their last 32 bits: NAT64 (64:ff9b::/96) and the
    // deprecated IPv4-compatible form (::a.b.c.d); judged by that address.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[..6] == [0; 6] && !ip.is_loopback()) {
        return internal_v4(Ipv4Addr::new(a, b, c, d)) || ip.is_unspecified();
    }
    // 6to4 (2002::/16) carries its IPv4 address in bits 16-47.
    if s[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return internal_v4(Ipv4Addr::new(a, b, c, d));
    }
    // Local-use NAT64 (64:ff9b:1::/48, RFC 8215) and Teredo (2001::/32) lead into networks
    // whose addresses cannot be judged from here: refused whole.
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) || (s[0] == 0x2001 && s[1] == 0) {
        return true;
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // Documentation (2001:db8::/32).
        || (s[0] == 0x2001 && s[1] == 0x0db8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_internal_address_is_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0x7f000001/",
            "https://127.1/",
            "https://0177.0.0.1/",
            "https://2852039166/latest/meta-data",
            "https://169.254.169.254/",
            "https://0251.0376.0251.0376/",
            "https://10.1/",
            "https://0/",
            "https://[::1]/",
            "https://[::127.0.0.1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://[::ffff:a9fe:a9fe]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://[64:ff9b:1::1]/",
            "https://[2002:7f00:1::]/",
            "https://[2001:0:4136:e378::1]/",
            "https://[fe80::1]/",
            "https://[fd00::1]/",
            "https://[::]/",
            "https://localhost/",
            "https://api.localhost./",
            "https://metadata.google.internal/",
        ] {
            assert!(
                matches!(check_url(url, false), Err(BadTarget::Internal(_))),
                "{url}: {:?}",
                check_url(url, false)
            );
        }
    }

    #[test]
    fn public_addresses_and_names_pass_and_bad_urls_are_named() {
        for url in [
            "https://hooks.example.com/in?x=1",
            "https://93.184.216.34:8443/",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/",
            "https://[64:ff9b::5db8:d822]/",
        ] {
            assert_eq!(check_url(url, false), Ok(()), "{url}");
        }
        assert_eq!(
            check_url("http://hooks.example.com/", false),
            Err(BadTarget::NotHttps)
        );
        assert_eq!(
            check_url("ftp://hooks.example.com/", false),
            Err(BadTarget::NotAUrl)
        );
        assert_eq!(check_url("https://", false), Err(BadTarget::NotAUrl));
        assert_eq!(
            check_url("hooks.example.com/in", false),
            Err(BadTarget::NotAUrl)
        );
        assert_eq!(
            check_url("https://a b.example.com/", false),
            Err(BadTarget::NotAUrl)
        );
        assert_eq!(
            check_url("https://user:pw@hooks.example.com/", false),
            Err(BadTarget::Credentials)
        );
    }

    #[test]
    fn a_local_run_allows_plain_http_to_loopback_only() {
        assert_eq!(check_url("http://127.0.0.1:9000/hook", true), Ok(()));
        assert_eq!(check_url("http://localhost:9000/hook", true), Ok(()));
        assert!(check_url("http://169.254.169.254/", true).is_err());
        assert!(check_url("http://10.0.0.1/", true).is_err());
    }
}
