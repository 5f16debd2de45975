//! Per-app webhooks (kintone's Webhook app setting): each app has a list of receivers, each with a
//! name, a URL, the events it wants (`ADD_RECORD`, `UPDATE_RECORD`, `DELETE_RECORD`,
//! `UPDATE_STATUS`, `ADD_RECORD_COMMENT`), an on/off switch and a secret that signs every delivery.
//!
//! Only app managers (`AppRight::Manage`) read or change them; every change is audited
//! (`webhook.update`), and so is every reading of a secret (`webhook.secret.view`): the secret lets its
//! holder forge deliveries. Deliveries themselves are made by the change-log consumer in
//! [`deliveries`] and sent by the platform (`platform/src/webhooks.rs`).
//!
//! A URL must be `http` or `https` and must not point at this server itself (a webhook that calls
//! the server's own API would loop); other private addresses are allowed on purpose — in a closed
//! government network the receivers live there ([`UrlRule`], docs/webhooks.md).

pub mod deliveries;

use std::collections::HashSet;
use std::net::IpAddr;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::acl::AppRight;
use crate::acting::ActingContext;
use crate::apps::AppId;
use crate::db::schema::webhooks;
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, UserError};
use crate::with_conn;

/// kintone's event names, in its settings screen's order.
pub const EVENTS: [&str; 5] = [
    "ADD_RECORD",
    "UPDATE_RECORD",
    "DELETE_RECORD",
    "UPDATE_STATUS",
    "ADD_RECORD_COMMENT",
];
/// Webhooks per app (kintone allows 20... per app is a sane bound for the sender too).
pub const MAX_WEBHOOKS: usize = 20;
const MAX_NAME_CHARS: usize = 64;
const MAX_URL_CHARS: usize = 2000;

/// One webhook as its managers see it (the secret is read separately, audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub events: Vec<String>,
}

/// One webhook as sent to `save`: without `id` it is new.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub events: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Where this server itself listens, so that webhooks never call it: its bind address and port, and
/// the host and port of its public URL.
#[derive(Debug, Clone, Default)]
pub struct UrlRule {
    /// (host, port) pairs that are this server; a loopback or unspecified host with one of these
    /// ports is this server too.
    pub own: Vec<(String, u16)>,
}

impl UrlRule {
    /// The rule for a server bound to `host:port` and reached at `public_url` (if any).
    pub fn new(host: &str, port: u16, public_url: Option<&str>) -> UrlRule {
        let mut own = vec![(normal_host(host), port)];
        if let Some(p) = public_url.and_then(|u| parse_url(u).ok()) {
            own.push((p.host, p.port));
        }
        UrlRule { own }
    }

    /// Whether `host:port` is this server: one of its own names with its port, or a loopback or
    /// unspecified address (or `localhost`) with one of its ports.
    pub fn is_self(&self, host: &str, port: u16) -> bool {
        let host = normal_host(host);
        let local = is_local_name(&host);
        self.own
            .iter()
            .any(|(h, p)| *p == port && (h == &host || local))
    }

    /// Whether a resolved address with `port` is this server: a loopback or unspecified address on
    /// one of its ports, or one of its own addresses.
    pub fn is_self_addr(&self, ip: IpAddr, port: u16) -> bool {
        self.own.iter().any(|(h, p)| {
            *p == port
                && (ip.is_loopback()
                    || ip.is_unspecified()
                    || h.parse::<IpAddr>().is_ok_and(|own| own == ip))
        })
    }
}

fn host_is_ip(h: &str) -> bool {
    h.parse::<IpAddr>().is_ok()
}

/// Loopback and "any" names and addresses: `localhost`, `*.localhost`, 127/8, ::1, 0.0.0.0, ::.
fn is_local_name(h: &str) -> bool {
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

fn normal_host(h: &str) -> String {
    h.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// The parts of a webhook URL that the rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

/// Parses `scheme://host[:port][/...]`; only http and https, no user name or password in it.
pub fn parse_url(url: &str) -> Result<ParsedUrl, &'static str> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("Enter a URL starting with http:// or https://.")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err("Enter a URL starting with http:// or https://."),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The URL must not contain spaces.");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("The URL must not contain a user name or password.");
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("Enter a valid host name.")?;
        (h.to_owned(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (authority.to_owned(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| "Enter a valid port number.")?,
        None => default_port,
    };
    let host = normal_host(&host);
    let valid = !host.is_empty()
        && (host_is_ip(&host)
            || host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_'));
    if !valid || port == 0 {
        return Err("Enter a valid host name.");
    }
    Ok(ParsedUrl { scheme, host, port })
}

/// Checks a webhook URL against the scheme rule and `rule` (the server itself is refused).
pub fn check_url(url: &str, rule: &UrlRule) -> Result<ParsedUrl, Message> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("Enter a URL of at most {MAX_URL_CHARS} characters.").into());
    }
    let parsed = parse_url(url).map_err(Message::from)?;
    if rule.is_self(&parsed.host, parsed.port) {
        return Err("The URL points at this server itself; a webhook cannot call it.".into());
    }
    Ok(parsed)
}

/// A new random secret: 40 letters and digits.
pub fn new_secret() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

type Row = (i64, String, String, bool, String);

fn of_row((id, name, url, enabled, events): Row) -> Webhook {
    Webhook {
        id: id.to_string(),
        name,
        url,
        enabled,
        // Written by `save` only; an unreadable list means none.
        events: serde_json::from_str(&events).unwrap_or_default(),
    }
}

fn rows(conn: &mut DbConn, app: AppId) -> EngineResult<Vec<Webhook>> {
    let rows: Vec<Row> = with_conn!(conn, |c| webhooks::table
        .filter(webhooks::app_id.eq(app.0))
        .order(webhooks::id.asc())
        .select((
            webhooks::id,
            webhooks::name,
            webhooks::url,
            webhooks::enabled,
            webhooks::events
        ))
        .load(c))?;
    Ok(rows.into_iter().map(of_row).collect())
}

/// The app's webhooks. Errors: the app is not found or the actor may not manage it.
pub fn list(acting: &ActingContext, conn: &mut DbConn, app: AppId) -> EngineResult<Vec<Webhook>> {
    acting.find_app(conn, app, AppRight::Manage)?;
    rows(conn, app)
}

/// Replaces the app's webhooks with `inputs` (an item with the `id` of an existing webhook updates it
/// and keeps its secret; one without `id` is new and gets a secret; webhooks left out are deleted with
/// their delivery log). All or nothing: any bad item is `CB_VA01` keyed `webhooks[i].<member>`.
/// Audited as `webhook.update`.
pub fn save(
    acting: &ActingContext,
    conn: &mut DbConn,
    app: AppId,
    inputs: &[WebhookInput],
    rule: &UrlRule,
) -> EngineResult<Vec<Webhook>> {
    acting.find_app(conn, app, AppRight::Manage)?;
    let existing: HashSet<i64> = rows(conn, app)?
        .iter()
        .filter_map(|w| w.id.parse().ok())
        .collect();
    let mut errors = FieldErrors::new();
    if inputs.len() > MAX_WEBHOOKS {
        errors.insert(
            "webhooks".into(),
            vec![format!("An app can have at most {MAX_WEBHOOKS} webhooks.").into()],
        );
    }
    let mut kept = HashSet::new();
    let mut checked: Vec<(Option<i64>, &WebhookInput, Vec<String>)> = Vec::new();
    for (i, w) in inputs.iter().enumerate() {
        let id = match &w.id {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => {
                let n = match v {
                    serde_json::Value::String(s) => s.parse::<i64>().ok(),
                    serde_json::Value::Number(n) => n.as_i64(),
                    _ => None,
                };
                match n.filter(|n| existing.contains(n) && kept.insert(*n)) {
                    Some(n) => Some(n),
                    None => {
                        errors.insert(
                            format!("webhooks[{i}].id"),
                            vec!["No webhook of this app has this id.".into()],
                        );
                        None
                    }
                }
            }
        };
        let name = w.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            errors.insert(
                format!("webhooks[{i}].name"),
                vec![format!("Enter a name of 1 to {MAX_NAME_CHARS} characters.").into()],
            );
        }
        if let Err(m) = check_url(w.url.trim(), rule) {
            errors.insert(format!("webhooks[{i}].url"), vec![m]);
        }
        let mut events = Vec::new();
        for e in &w.events {
            if !EVENTS.contains(&e.as_str()) {
                errors.insert(
                    format!("webhooks[{i}].events"),
                    vec![format!("Unknown event \"{e}\"; use {}.", EVENTS.join(", ")).into()],
                );
            } else if !events.contains(e) {
                events.push(e.clone());
            }
        }
        if events.is_empty() && !errors.contains_key(&format!("webhooks[{i}].events")) {
            errors.insert(
                format!("webhooks[{i}].events"),
                vec!["Choose at least one event.".into()],
            );
        }
        checked.push((id, w, events));
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    let now = chrono::Utc::now().timestamp();
    let gone: Vec<i64> = existing.difference(&kept).copied().collect();
    if !gone.is_empty() {
        with_conn!(conn, |c| diesel::delete(
            crate::db::schema::webhook_deliveries::table
                .filter(crate::db::schema::webhook_deliveries::webhook_id.eq_any(&gone))
        )
        .execute(c))?;
        with_conn!(conn, |c| diesel::delete(
            webhooks::table.filter(webhooks::id.eq_any(&gone))
        )
        .execute(c))?;
    }
    for (id, w, events) in &checked {
        let events = serde_json::to_string(events)?;
        let (name, url) = (w.name.trim(), w.url.trim());
        match id {
            Some(id) => {
                with_conn!(conn, |c| diesel::update(webhooks::table.find(*id))
                    .set((
                        webhooks::name.eq(name),
                        webhooks::url.eq(url),
                        webhooks::enabled.eq(w.enabled),
                        webhooks::events.eq(&events),
                        webhooks::updated_at.eq(now),
                    ))
                    .execute(c))?;
            }
            None => {
                with_conn!(conn, |c| diesel::insert_into(webhooks::table)
                    .values((
                        webhooks::app_id.eq(app.0),
                        webhooks::name.eq(name),
                        webhooks::url.eq(url),
                        webhooks::enabled.eq(w.enabled),
                        webhooks::events.eq(&events),
                        webhooks::secret.eq(new_secret()),
                        webhooks::created_at.eq(now),
                        webhooks::updated_at.eq(now),
                    ))
                    .execute(c))?;
            }
        }
    }
    let saved = rows(conn, app)?;
    acting.audit(
        conn,
        crate::audit::action::WEBHOOK_UPDATE,
        &format!("app:{}", app.0),
        json!({"app": app.0, "webhooks": saved}),
    )?;
    Ok(saved)
}

/// The id of webhook `id` of `app`, checked to exist there.
fn webhook_of(conn: &mut DbConn, app: AppId, id: i64) -> EngineResult<i64> {
    let found: Option<i64> = with_conn!(conn, |c| webhooks::table
        .filter(webhooks::id.eq(id).and(webhooks::app_id.eq(app.0)))
        .select(webhooks::id)
        .first(c)
        .optional())?;
    found.ok_or_else(|| UserError::invalid("id", "No webhook of this app has this id.").into())
}

/// The secret of webhook `id` of `app`; with `regenerate` a new one first (deliveries already queued
/// keep being signed with the secret in effect when they are sent). Audited as `webhook.secret.view`
/// (and `webhook.secret.regenerate`).
pub fn secret(
    acting: &ActingContext,
    conn: &mut DbConn,
    app: AppId,
    id: i64,
    regenerate: bool,
) -> EngineResult<String> {
    acting.find_app(conn, app, AppRight::Manage)?;
    let id = webhook_of(conn, app, id)?;
    let target = format!("app:{}", app.0);
    if regenerate {
        with_conn!(conn, |c| diesel::update(webhooks::table.find(id))
            .set((
                webhooks::secret.eq(new_secret()),
                webhooks::updated_at.eq(chrono::Utc::now().timestamp()),
            ))
            .execute(c))?;
        acting.audit(
            conn,
            crate::audit::action::WEBHOOK_SECRET_REGENERATE,
            &target,
            json!({"app": app.0, "webhook": id}),
        )?;
    }
    let secret: String = with_conn!(conn, |c| webhooks::table
        .find(id)
        .select(webhooks::secret)
        .first(c))?;
    acting.audit(
        conn,
        crate::audit::action::WEBHOOK_SECRET_VIEW,
        &target,
        json!({"app": app.0, "webhook": id}),
    )?;
    Ok(secret)
}

/// The delivery log of `app` (of one webhook when `webhook` is given), newest first.
pub fn delivery_log(
    acting: &ActingContext,
    conn: &mut DbConn,
    app: AppId,
    webhook: Option<i64>,
    limit: i64,
) -> EngineResult<Vec<deliveries::Delivery>> {
    acting.find_app(conn, app, AppRight::Manage)?;
    if let Some(id) = webhook {
        webhook_of(conn, app, id)?;
    }
    deliveries::log(conn, app, webhook, limit)
}

/// Queues a test delivery to webhook `id` (whether enabled or not): kintone's `ADD_RECORD` shape with
/// a sample record, `"test": true`. Returns its delivery id.
pub fn send_test(
    acting: &ActingContext,
    conn: &mut DbConn,
    app: AppId,
    id: i64,
    base_url: &str,
) -> EngineResult<String> {
    let name = acting
        .open_app(conn, app, AppRight::Manage)?
        .definition
        .name;
    let id = webhook_of(conn, app, id)?;
    let delivery_id = uuid::Uuid::new_v4().to_string();
    let payload = json!({
        "id": delivery_id,
        "type": "ADD_RECORD",
        "app": {"id": app.0.to_string(), "name": name},
        "record": {
            "$id": {"type": "__ID__", "value": "0"},
            "$revision": {"type": "__REVISION__", "value": "1"},
        },
        "recordTitle": "",
        "url": format!("{}/apps/{}", base_url.trim_end_matches('/'), app.0),
        "test": true,
    });
    deliveries::insert(conn, id, app.0, None, "ADD_RECORD", &delivery_id, &payload)?;
    Ok(delivery_id)
}

/// The `X-Kumiki-Signature` of a delivery: hex HMAC-SHA256 over `"<timestamp>.<body>"` with the
/// webhook's secret. A receiver recomputes it and compares (in constant time), and refuses old
/// timestamps, so a captured delivery cannot be replayed later.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    type HmacSha256 = Hmac<sha2::Sha256>;
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        // Unreachable: HMAC takes keys of any length.
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_and_not_this_server() {
        let rule = UrlRule::new("127.0.0.1", 8080, Some("https://kumiki.example.lg.jp"));
        assert!(check_url("https://hooks.example.lg.jp/in", &rule).is_ok());
        // Private receivers are legitimate in a closed network.
        assert!(check_url("http://10.1.2.3:9000/hook", &rule).is_ok());
        assert!(check_url("http://localhost:9000/hook", &rule).is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "http://localhost:8080/k/v1/record.json",
            "http://127.0.0.2:8080/",
            "http://[::1]:8080/",
            "http://0.0.0.0:8080/",
            "https://kumiki.example.lg.jp/api",
            "https://KUMIKI.example.lg.jp./api",
            "http://user:pw@example.com/",
            "http://exa mple.com/",
            "http://:80/",
        ] {
            assert!(check_url(bad, &rule).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: python3 hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            sign("key", 1, "{}"),
            "1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }
}
