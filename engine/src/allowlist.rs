//! The server-wide IP allowlist: when on, only clients whose address is in one of its ranges are
//! served at all (pages, API, files, administration); everyone else gets 403 from the edge of the
//! platform before any route runs. Off by default. Kept in `server_settings` (so every node of a
//! multi-node deployment shares it) and changed by an administrator in the browser; the command
//! line can switch it off again (`kumiki allowlist clear`) when an administrator locked themselves
//! out. The client address it is checked against is the one the platform resolves behind trusted
//! proxies (docs/security/edge.md).

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, UserError};
use crate::server_settings;

/// The `server_settings` row holding the allowlist as JSON.
pub const SETTING: &str = "ip_allowlist";

/// Most entries (kintone allows 2,900).
pub const MAX_ENTRIES: usize = 3_000;

/// The allowlist as stored: whether it is on, and its ranges as written (normalised).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowlist {
    pub enabled: bool,
    pub entries: Vec<String>,
}

/// An allowlist ready for matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    enabled: bool,
    nets: Vec<IpNet>,
}

impl Matcher {
    /// Whether a client at `ip` may be served. Off: everyone. On: addresses in a range; an
    /// unknown address (no peer) is refused.
    pub fn permits(&self, ip: Option<IpAddr>) -> bool {
        if !self.enabled {
            return true;
        }
        let Some(ip) = ip.map(|ip| ip.to_canonical()) else {
            return false;
        };
        self.nets.iter().any(|n| n.contains(&ip))
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

/// One entry: an address (`192.0.2.7`, a /32) or a CIDR range (`192.0.2.0/24`, `2001:db8::/32`).
pub fn parse_entry(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Some(net.trunc());
    }
    entry
        .parse::<IpAddr>()
        .ok()
        .map(|ip| IpNet::from(ip.to_canonical()))
}

fn invalid(key: &'static str, text: String, arg: Option<(&'static str, String)>) -> UserError {
    let mut message = Message::keyed(key, text);
    if let Some((name, value)) = arg {
        message = message.arg(name, value);
    }
    let mut errors = FieldErrors::new();
    errors.insert("entries".into(), vec![message]);
    UserError::Validation(errors)
}

impl Allowlist {
    /// Checks and normalises the entries (blank lines and `#` comments dropped, duplicates once).
    ///
    /// Errors: `Validation` on `entries` for an entry that is no address or range, for too many
    /// entries, and for an empty list that is switched on (it would refuse everyone).
    pub fn normalised(enabled: bool, entries: &[String]) -> Result<Allowlist, UserError> {
        let mut out: Vec<String> = Vec::new();
        for raw in entries {
            let entry = raw.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let Some(net) = parse_entry(entry) else {
                return Err(invalid(
                    "allowlist.invalid_entry",
                    format!("\"{entry}\" is not an IP address or CIDR range."),
                    Some(("entry", entry.to_owned())),
                ));
            };
            let text = net.to_string();
            if !out.contains(&text) {
                out.push(text);
            }
        }
        if out.len() > MAX_ENTRIES {
            return Err(invalid(
                "allowlist.too_many",
                format!("At most {MAX_ENTRIES} entries are allowed."),
                Some(("max", MAX_ENTRIES.to_string())),
            ));
        }
        if enabled && out.is_empty() {
            return Err(invalid(
                "allowlist.empty",
                "Enter at least one address to switch the allowlist on.".into(),
                None,
            ));
        }
        Ok(Allowlist {
            enabled,
            entries: out,
        })
    }

    pub fn matcher(&self) -> Matcher {
        Matcher {
            enabled: self.enabled,
            nets: self.entries.iter().filter_map(|e| parse_entry(e)).collect(),
        }
    }
}

/// The stored allowlist (off when never set or unreadable: a broken row must not lock everyone
/// out; it is logged).
pub fn load(conn: &mut DbConn) -> EngineResult<Allowlist> {
    let Some(text) = server_settings::get(conn, SETTING)? else {
        return Ok(Allowlist::default());
    };
    match serde_json::from_str(&text) {
        Ok(list) => Ok(list),
        Err(e) => {
            tracing::error!(error = %e, "the stored IP allowlist is unreadable; treating it as off");
            Ok(Allowlist::default())
        }
    }
}

/// Stores `list` (already checked by [`Allowlist::normalised`]); returns the previous one. Runs in
/// the caller's transaction; the caller writes the audit row.
pub fn save(conn: &mut DbConn, list: &Allowlist) -> EngineResult<Allowlist> {
    let old = load(conn)?;
    server_settings::set(conn, SETTING, &serde_json::to_string(list)?)?;
    Ok(old)
}

/// Switches the allowlist off, keeping its entries, and audits it as done by `actor` from `peer`:
/// the way back in for an administrator who shut themselves out (`kumiki allowlist clear`). Runs
/// in the caller's transaction; returns the list now stored.
pub fn clear(conn: &mut DbConn, actor: &str, peer: &str) -> EngineResult<Allowlist> {
    let list = Allowlist {
        enabled: false,
        ..load(conn)?
    };
    let old = save(conn, &list)?;
    let detail = serde_json::json!({
        "via": peer,
        "old": {"enabled": old.enabled, "entries": old.entries},
        "new": {"enabled": false, "entries": list.entries},
    });
    let event = crate::audit::AuditEvent::success(
        actor,
        peer,
        crate::audit::action::ALLOWLIST_UPDATE,
        "security:allowlist",
        detail,
    );
    crate::audit::record(conn, event)?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_checked_and_matched() -> Result<(), UserError> {
        let list = Allowlist::normalised(
            true,
            &[
                "192.0.2.0/24 # office".into(),
                "".into(),
                "198.51.100.7".into(),
                "192.0.2.9/24".into(),
            ],
        )?;
        assert_eq!(list.entries, vec!["192.0.2.0/24", "198.51.100.7/32"]);
        let m = list.matcher();
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert!(m.permits(ip("192.0.2.200")));
        assert!(m.permits(ip("::ffff:198.51.100.7")));
        assert!(!m.permits(ip("127.0.0.2")));
        assert!(!m.permits(None));
        assert!(Allowlist::normalised(true, &["10.0.0.0/33".into()]).is_err());
        assert!(Allowlist::normalised(true, &[]).is_err());
        assert!(Allowlist::default().matcher().permits(ip("127.0.0.2")));
        Ok(())
    }
}
