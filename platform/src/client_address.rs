//! The client's address: the one value the sign-in lockout, the audit log and the IP allowlist use
//! (docs/security/edge.md "Client address").
//!
//! Without trusted proxies it is the socket peer. With `--trusted-proxies <CIDR,...>` a request whose
//! peer is one of them may name the client in the header those proxies write (`X-Forwarded-For` by
//! default, or RFC 7239 `Forwarded`, `--proxy-header`): the list is read from the right, skipping
//! trusted proxies, and the first address that is not one is the client. Everything left of it was
//! written by the client and is ignored, so a client cannot choose its own address: a request that
//! does not come from a trusted proxy is judged by its peer whatever headers it sends.
//!
//! The address is resolved once per request by the edge middleware (`crate::edge`) and kept in the
//! request's extensions; [`client_address`] reads it there.

use std::net::{IpAddr, SocketAddr};

use actix_web::{HttpMessage, HttpRequest};
use ipnet::IpNet;

/// The reverse proxies whose forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a list of addresses or CIDR ranges separated by commas or spaces
    /// (`10.0.0.5, 192.168.0.0/24, fd00::/8`); an empty list trusts no proxy.
    ///
    /// Errors: a message naming the entry that is neither.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            nets.push(parse_net(entry).ok_or_else(|| {
                format!("--trusted-proxies: {entry:?} is not an IP address or CIDR range")
            })?);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// An address (`10.0.0.5` = `10.0.0.5/32`) or a CIDR range.
pub fn parse_net(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Some(net.trunc());
    }
    entry
        .parse::<IpAddr>()
        .ok()
        .map(|ip| IpNet::from(ip.to_canonical()))
}

/// Which header the trusted proxies write the client into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, Apache, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

impl ProxyHeader {
    pub fn parse(s: &str) -> Option<ProxyHeader> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Some(ProxyHeader::XForwardedFor),
            "forwarded" => Some(ProxyHeader::Forwarded),
            _ => None,
        }
    }
}

/// The resolved address of a request, kept in its extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

/// The client's address as text (empty when unknown), for the lockout and the audit log.
pub fn client_address(req: &HttpRequest) -> String {
    client_ip(req).map(|ip| ip.to_string()).unwrap_or_default()
}

/// The client's address of a request the edge middleware has seen; the socket peer otherwise.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    if let Some(ClientAddress(ip)) = req.extensions().get::<ClientAddress>() {
        return *ip;
    }
    req.peer_addr().map(|a| a.ip().to_canonical())
}

/// The client of a request from `peer` carrying the header `values` (in order, one per header
/// line), per the rules of this module.
pub fn resolve(
    peer: Option<IpAddr>,
    header: ProxyHeader,
    values: &[&str],
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let hops: Vec<Option<IpAddr>> = match header {
        ProxyHeader::XForwardedFor => values
            .iter()
            .flat_map(|v| v.split(','))
            .map(parse_hop)
            .collect(),
        ProxyHeader::Forwarded => values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| parse_hop(v))
            })
            .collect(),
    };
    let mut current = peer;
    for hop in hops.iter().rev() {
        match hop {
            // A hop we cannot read (`unknown`, an obfuscated name, garbage): the nearest proxy we
            // trust is the best we know.
            None => return Some(current),
            Some(ip) => {
                current = ip.to_canonical();
                if !trusted.contains(current) {
                    return Some(current);
                }
            }
        }
    }
    Some(current)
}

/// One hop: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `"[2001:db8::1]:4711"`.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_matches('"');
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    let inner = t.strip_prefix('[')?.split(']').next()?;
    inner.parse::<IpAddr>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_sends() -> Result<(), String> {
        let trusted = TrustedProxies::parse("10.0.0.0/8")?;
        let got = resolve(
            ip("192.0.2.9"),
            ProxyHeader::XForwardedFor,
            &["203.0.113.1"],
            &trusted,
        );
        assert_eq!(got, ip("192.0.2.9"));
        Ok(())
    }

    #[test]
    fn rightmost_untrusted_hop_behind_trusted_proxies() -> Result<(), String> {
        let trusted = TrustedProxies::parse("10.0.0.1, 10.0.0.2")?;
        // The client wrote "1.1.1.1" itself; the first proxy appended the real peer 198.51.100.7.
        let values = ["1.1.1.1, 198.51.100.7", "10.0.0.1"];
        let got = resolve(
            ip("10.0.0.2"),
            ProxyHeader::XForwardedFor,
            &values,
            &trusted,
        );
        assert_eq!(got, ip("198.51.100.7"));
        Ok(())
    }

    #[test]
    fn forwarded_header_and_unreadable_hops() -> Result<(), String> {
        let trusted = TrustedProxies::parse("10.0.0.0/8")?;
        let values = ["for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\";by=10.0.0.3"];
        let got = resolve(ip("10.0.0.3"), ProxyHeader::Forwarded, &values, &trusted);
        assert_eq!(got, ip("2001:db8::1"));
        let got = resolve(
            ip("10.0.0.3"),
            ProxyHeader::Forwarded,
            &["for=unknown"],
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.3"));
        // Only proxies: the left-most one.
        let got = resolve(
            ip("10.0.0.3"),
            ProxyHeader::XForwardedFor,
            &["10.0.0.9"],
            &trusted,
        );
        assert_eq!(got, ip("10.0.0.9"));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        Ok(())
    }
}
