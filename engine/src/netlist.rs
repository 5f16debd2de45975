//! Address allowlists of API tokens: a list of IPv4/IPv6 addresses and CIDR blocks (`ipnet`), one per
//! line or comma-separated. An empty list allows every address; a non-empty list allows only the
//! addresses it names. Lists are checked against the client address the platform computed
//! (`Credentials.peer`, which honours the trusted-proxy setting).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::error::{EngineResult, UserError};

/// Parses a list; an entry that is neither an address nor a CIDR block is a validation error on
/// `field`. Returns the entries in a normal form (one per line), which is what is stored.
pub fn normalise(field: &str, text: &str) -> EngineResult<String> {
    let mut out = Vec::new();
    for entry in text
        .split([',', '\n', '\r', ' '])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let net = parse_entry(entry).ok_or_else(|| {
            UserError::invalid(
                field,
                "Enter IP addresses or CIDR blocks (e.g. 192.0.2.10, 10.0.0.0/8), one per line.",
            )
        })?;
        out.push(net.to_string());
    }
    if out.len() > 100 {
        return Err(UserError::invalid(field, "Enter at most 100 addresses.").into());
    }
    Ok(out.join("\n"))
}

fn parse_entry(entry: &str) -> Option<IpNet> {
    if let Ok(net) = entry.parse::<IpNet>() {
        return Some(net.trunc());
    }
    entry.parse::<IpAddr>().ok().map(IpNet::from)
}

/// The entries of a stored list.
pub fn entries(stored: &str) -> Vec<String> {
    stored
        .lines()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `peer` may use a credential restricted to `stored`. An empty list allows everyone; an
/// address that cannot be parsed is never allowed by a non-empty list (fail closed). IPv4-mapped IPv6
/// peers (`::ffff:192.0.2.1`) match their IPv4 entries.
pub fn allows(stored: &str, peer: &str) -> bool {
    let list = entries(stored);
    if list.is_empty() {
        return true;
    }
    let Ok(ip) = peer.trim().parse::<IpAddr>() else {
        return false;
    };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    list.iter()
        .filter_map(|e| parse_entry(e))
        .any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_allow_what_they_name_and_nothing_else() -> EngineResult<()> {
        let stored = normalise("allowedIps", "192.0.2.10, 10.1.0.0/16\n2001:db8::/32")?;
        assert_eq!(stored, "192.0.2.10/32\n10.1.0.0/16\n2001:db8::/32");
        assert!(allows(&stored, "192.0.2.10"));
        assert!(allows(&stored, "10.1.200.3"));
        assert!(allows(&stored, "::ffff:10.1.0.1"));
        assert!(allows(&stored, "2001:db8::5"));
        assert!(!allows(&stored, "192.0.2.11"));
        assert!(!allows(&stored, "127.0.0.1"));
        assert!(!allows(&stored, "not an address"));
        assert!(allows("", "127.0.0.2"));
        assert!(normalise("allowedIps", "10.0.0.0/33").is_err());
        assert!(normalise("allowedIps", "example.com").is_err());
        Ok(())
    }
}
