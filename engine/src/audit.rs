//! The audit log: who did what, from which address, to what, and whether it worked. Sign-ins (success
//! and failure), organisation and permission changes, token creation and revocation, deploys, exports
//! and deletions are recorded, each in the same transaction as the change it records where there is
//! one (a rolled-back change leaves no audit row; a recorded change cannot lose its row).
//!
//! Append-only: this module has no update or delete function, and triggers in the migration refuse
//! `UPDATE` and `DELETE` (and `TRUNCATE` on PostgreSQL) on `audit_log`. Tamper-evident: each row
//! carries a SHA-256 over the previous row's hash and its own content (`chain`), so whoever can drop
//! the triggers still cannot change, remove or insert a row without [`verify_chain`] (`kumiki audit
//! verify`, the admin audit page) noticing, unless they rewrite every later hash too — which the head
//! hash, noted down elsewhere, shows. Repeated failures are bounded ([`record_throttled`]). Listing is filtered and paged,
//! newest first; `to_csv` renders rows for spreadsheet programs (RFC 4180 quoting, and cells that a
//! spreadsheet would run as a formula are prefixed with `'`).

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::schema::audit_log;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// Action names, `area.verb`.
pub mod action {
    pub const SIGN_IN: &str = "auth.signIn";
    pub const USER_ADD: &str = "user.add";
    pub const USER_UPDATE: &str = "user.update";
    pub const USER_DISABLE: &str = "user.disable";
    pub const USER_ENABLE: &str = "user.enable";
    pub const USER_PASSWORD: &str = "user.password";
    pub const DEPARTMENT_ADD: &str = "department.add";
    pub const DEPARTMENT_UPDATE: &str = "department.update";
    pub const DEPARTMENT_DELETE: &str = "department.delete";
    pub const GROUP_ADD: &str = "group.add";
    pub const GROUP_UPDATE: &str = "group.update";
    pub const GROUP_DELETE: &str = "group.delete";
    pub const MEMBERSHIP_UPDATE: &str = "membership.update";
    pub const TOKEN_CREATE: &str = "token.create";
    pub const TOKEN_REVOKE: &str = "token.revoke";
    pub const APP_DEPLOY: &str = "app.deploy";
    pub const APP_EXPORT: &str = "app.export";
    pub const RECORDS_DELETE: &str = "records.delete";
    pub const AUDIT_EXPORT: &str = "audit.export";
    pub const APP_REVIEW_SUBMIT: &str = "app.review.submit";
    pub const APP_REVIEW_APPROVE: &str = "app.review.approve";
    pub const APP_REVIEW_REJECT: &str = "app.review.reject";
    pub const APP_ROLLBACK: &str = "app.rollback";
    pub const RECORD_RESTORE: &str = "record.restore";
    /// App, record or field permissions changed (pre-live; they go live with the next deploy).
    pub const PERMISSION_UPDATE: &str = "permission.update";
    /// The server-wide review policy changed (`review::policy`).
    pub const REVIEW_POLICY_UPDATE: &str = "review.policy.update";
    /// A signed-in caller was refused (kintone `GAIA_NO01`/`CB_NO02`-type answers): who, which API,
    /// which app.
    pub const ACCESS_DENIED: &str = "access.denied";
    /// A bearer JWT, per-user token or app API token was refused (unknown, expired, revoked, or used
    /// from an address it does not allow).
    pub const TOKEN_FAILURE: &str = "auth.token";
    /// A bearer JWT was revoked by its holder (`POST /api/auth/logout`).
    pub const SIGN_OUT: &str = "auth.signOut";
    /// An administrator signed a user out everywhere.
    pub const USER_SIGN_OUT_EVERYWHERE: &str = "user.signOutEverywhere";
    /// Records were read in an app whose "record view log" setting is on.
    pub const RECORD_VIEW: &str = "record.view";
    /// Who may create apps changed (`apps::AppCreationPolicy`).
    pub const APP_CREATION_UPDATE: &str = "app.creation.update";

    /// A user's second factor changed (`mfa`: enable, disable, recoveryCodes, adminReset).
    pub const USER_MFA: &str = "user.mfa";
    /// The server-wide sign-in settings changed (`mfa::save_settings`).
    pub const SECURITY_SETTINGS_UPDATE: &str = "security.settings.update";

    /// The server-wide IP allowlist changed (`allowlist`; from the browser or `kumiki allowlist`).
    pub const ALLOWLIST_UPDATE: &str = "security.allowlist.update";

    /// An upload went through the virus scanner (`detail.verdict`: clean, infected or failed).
    pub const FILE_SCAN: &str = "file.scan";

    // Issue 13 part "webhooks" (`crate::webhooks`).
    /// An app's webhooks changed (added, edited, removed).
    pub const WEBHOOK_UPDATE: &str = "webhook.update";
    /// A webhook's signing secret was shown to a manager.
    pub const WEBHOOK_SECRET_VIEW: &str = "webhook.secret.view";
    /// A webhook's signing secret was replaced.
    pub const WEBHOOK_SECRET_REGENERATE: &str = "webhook.secret.regenerate";
    // Issue 13 (mail).
    /// A user changed their notification mail choice or address.
    pub const MAIL_PREFERENCES_UPDATE: &str = "mail.preferences.update";
    /// An administrator set a user's mail address.
    pub const MAIL_ADDRESS_UPDATE: &str = "mail.address.update";
    /// An administrator sent a test mail (`detail.sent`, `detail.error`).
    pub const MAIL_TEST: &str = "mail.test";
    /// Issue 19: an operator started a backup (`kumiki backup`; detail: its directory). Written
    /// before the copy is taken, so the backup holds it.
    pub const SYSTEM_BACKUP: &str = "system.backup";
    /// Issue 19: the database was restored from a backup (`kumiki restore`; detail: the backup's
    /// time, schema version and counts). The first row after the restored history.
    pub const SYSTEM_RESTORE: &str = "system.restore";

    /// Every action, for filter menus.
    pub const ALL: &[&str] = &[
        SIGN_IN,
        USER_ADD,
        USER_UPDATE,
        USER_DISABLE,
        USER_ENABLE,
        USER_PASSWORD,
        DEPARTMENT_ADD,
        DEPARTMENT_UPDATE,
        DEPARTMENT_DELETE,
        GROUP_ADD,
        GROUP_UPDATE,
        GROUP_DELETE,
        MEMBERSHIP_UPDATE,
        TOKEN_CREATE,
        TOKEN_REVOKE,
        APP_DEPLOY,
        APP_EXPORT,
        RECORDS_DELETE,
        AUDIT_EXPORT,
        APP_REVIEW_SUBMIT,
        APP_REVIEW_APPROVE,
        APP_REVIEW_REJECT,
        APP_ROLLBACK,
        RECORD_RESTORE,
        PERMISSION_UPDATE,
        REVIEW_POLICY_UPDATE,
        ACCESS_DENIED,
        TOKEN_FAILURE,
        SIGN_OUT,
        USER_SIGN_OUT_EVERYWHERE,
        RECORD_VIEW,
        APP_CREATION_UPDATE,
        USER_MFA,
        SECURITY_SETTINGS_UPDATE,
        ALLOWLIST_UPDATE,
        FILE_SCAN,
        // Issue 13 part "webhooks".
        WEBHOOK_UPDATE,
        WEBHOOK_SECRET_VIEW,
        WEBHOOK_SECRET_REGENERATE,
        // Issue 13 (mail).
        MAIL_PREFERENCES_UPDATE,
        MAIL_ADDRESS_UPDATE,
        MAIL_TEST,
        SYSTEM_BACKUP,
        SYSTEM_RESTORE,
        // Issue 13: spaces, threads and guests keep their action names beside their use cases.
        crate::spaces::store::action::SPACE_CREATE,
        crate::spaces::store::action::SPACE_UPDATE,
        crate::spaces::store::action::SPACE_DELETE,
        crate::spaces::store::action::SPACE_MEMBERS,
        crate::spaces::store::action::SPACE_THREAD,
        crate::spaces::store::action::APP_MOVE,
        crate::spaces::posts::AUDIT_EDIT,
        crate::spaces::posts::AUDIT_DELETE,
        crate::guests::action::GUEST_ADD,
        crate::guests::action::GUEST_DELETE,
        // Issue 17 part 4: signed packages and the trust list.
        crate::package_signing::keys::action::SIGNER_NAME,
        crate::package_signing::keys::action::KEY_ROTATE,
        crate::package_signing::trust::action::TRUST_ADD,
        crate::package_signing::trust::action::TRUST_REMOVE,
        // Issue 17 part 5, the local gallery.
        crate::gallery::action::PACKAGE_ADD,
        crate::gallery::action::PACKAGE_REMOVE,
    ];
}

/// The app setting (`app/settings.json` member, general settings page) that writes a
/// [`action::RECORD_VIEW`] row for every record read of the app. Off by default: most apps do not
/// need it and it writes a row per read; apps holding 特定個人情報 turn it on (docs/security/auth.md).
pub const RECORD_VIEW_SETTING: &str = "auditRecordViews";

/// Whether `def` asks for record-view rows.
pub fn logs_record_views(def: &crate::apps::AppDefinition) -> bool {
    def.settings
        .get(RECORD_VIEW_SETTING)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Records one read of records of `app` by `acting` (a single record or a list: one row per call,
/// with the query and how many records were returned, and their ids up to 100).
pub fn record_view(
    conn: &mut DbConn,
    acting: &crate::acting::ActingContext,
    app: i64,
    query: Option<&str>,
    ids: &[i64],
) -> EngineResult<()> {
    let shown: Vec<i64> = ids.iter().take(100).copied().collect();
    acting.audit(
        conn,
        action::RECORD_VIEW,
        &format!("app:{app}"),
        serde_json::json!({"query": query, "count": ids.len(), "ids": shown}),
    )
}

/// Whether the recorded action took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// One event to record. `target` names what was acted on (`user:<code>`, `app:<id>`,
/// `department:<code>`, `group:<code>`, ...); `detail` is a JSON object.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub peer: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub detail: Value,
    pub outcome: Outcome,
}

impl<'a> AuditEvent<'a> {
    pub fn success(
        actor: &'a str,
        peer: &'a str,
        action: &'a str,
        target: &'a str,
        detail: Value,
    ) -> Self {
        AuditEvent {
            actor,
            peer,
            action,
            target,
            detail,
            outcome: Outcome::Success,
        }
    }

    pub fn failure(
        actor: &'a str,
        peer: &'a str,
        action: &'a str,
        target: &'a str,
        detail: Value,
    ) -> Self {
        AuditEvent {
            outcome: Outcome::Failure,
            ..AuditEvent::success(actor, peer, action, target, detail)
        }
    }
}

/// Longest actor, peer and target kept (a failed sign-in's login name is whatever was typed).
const MAX_TEXT: usize = 256;
/// Longest detail JSON kept; longer details are replaced by a note saying so.
const MAX_DETAIL: usize = 16 * 1024;

fn clip(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

/// Appends one event. Call it on the connection (and so in the transaction) of the change it records.
pub fn record(conn: &mut DbConn, event: AuditEvent<'_>) -> EngineResult<()> {
    let mut detail = match &event.detail {
        Value::Null => "{}".to_owned(),
        v => v.to_string(),
    };
    if detail.len() > MAX_DETAIL {
        detail = serde_json::json!({"truncated": true, "bytes": detail.len()}).to_string();
    }
    let at = chrono::Utc::now().timestamp();
    let (actor, peer, action, target) = (
        clip(event.actor),
        clip(event.peer),
        clip(event.action),
        clip(event.target),
    );
    let outcome = event.outcome.as_str();
    with_chain_lock(conn, |conn| {
        let prev: Option<Option<String>> = with_conn!(conn, |c| audit_log::table
            .filter(audit_log::chain.is_not_null())
            .order(audit_log::id.desc())
            .select(audit_log::chain)
            .first(c)
            .optional())?;
        let prev = prev.flatten().unwrap_or_default();
        let chain = chain_hash(&prev, at, &actor, &peer, &action, &target, &detail, outcome);
        with_conn!(conn, |c| diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(at),
                audit_log::actor.eq(&actor),
                audit_log::peer.eq(&peer),
                audit_log::action.eq(&action),
                audit_log::target.eq(&target),
                audit_log::detail.eq(&detail),
                audit_log::outcome.eq(outcome),
                audit_log::chain.eq(&chain),
            ))
            .execute(c))?;
        Ok(())
    })
}

/// The hash of one row: SHA-256 (hex) over a JSON array of the previous row's hash and the row's
/// stored content, so that no field boundary is ambiguous.
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev: &str,
    at: i64,
    actor: &str,
    peer: &str,
    action: &str,
    target: &str,
    detail: &str,
    outcome: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let content =
        serde_json::json!([prev, at, actor, peer, action, target, detail, outcome]).to_string();
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `f` so that no other writer appends between its read of the last hash and its insert: on
/// SQLite in the caller's write transaction or a `BEGIN IMMEDIATE` of its own; on PostgreSQL under a
/// transaction-scoped advisory lock (in the caller's transaction, or one of its own).
fn with_chain_lock(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> EngineResult<()>,
) -> EngineResult<()> {
    const LOCK: &str = "SELECT pg_advisory_xact_lock(7243012)";
    match conn.dialect() {
        crate::db::Dialect::Sqlite => {
            // BEGIN fails inside a transaction: then the caller's transaction holds (or takes) the
            // write lock, which SQLite allows to one writer at a time.
            if conn.batch_execute("BEGIN IMMEDIATE").is_err() {
                return f(conn);
            }
            match f(conn) {
                Ok(()) => conn.batch_execute("COMMIT"),
                Err(e) => {
                    let _ = conn.batch_execute("ROLLBACK");
                    Err(e)
                }
            }
        }
        crate::db::Dialect::Postgres => {
            // A savepoint only works inside a transaction block: that tells the two cases apart.
            if conn.batch_execute("SAVEPOINT kumiki_audit").is_err() {
                return conn.write_transaction(|c| {
                    c.batch_execute(LOCK)?;
                    f(c)
                });
            }
            let result = conn.batch_execute(LOCK).and_then(|()| f(conn));
            match result {
                Ok(()) => conn.batch_execute("RELEASE SAVEPOINT kumiki_audit"),
                Err(e) => {
                    let _ = conn.batch_execute("ROLLBACK TO SAVEPOINT kumiki_audit");
                    Err(e)
                }
            }
        }
    }
}

/// What [`verify_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// Rows checked (with a hash).
    pub rows: i64,
    /// Rows written before the chain existed (no hash), all before the first chained row.
    pub legacy_rows: i64,
    /// The id of the first row whose hash does not match (changed, inserted, or after a removed row).
    pub broken_at: Option<i64>,
    /// The hash of the last row: note it elsewhere to notice later rewrites of the whole tail.
    pub head: Option<String>,
}

impl ChainReport {
    pub fn ok(&self) -> bool {
        self.broken_at.is_none()
    }
}

type ChainRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// Recomputes every row's hash in id order and reports the first mismatch.
pub fn verify_chain(conn: &mut DbConn) -> EngineResult<ChainReport> {
    let mut report = ChainReport {
        rows: 0,
        legacy_rows: 0,
        broken_at: None,
        head: None,
    };
    let mut prev = String::new();
    let mut after = i64::MIN;
    loop {
        let rows: Vec<ChainRow> = with_conn!(conn, |c| audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(1000)
            .select((
                audit_log::id,
                audit_log::at,
                audit_log::actor,
                audit_log::peer,
                audit_log::action,
                audit_log::target,
                audit_log::detail,
                audit_log::outcome,
                audit_log::chain,
            ))
            .load(c))?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, at, actor, peer, action, target, detail, outcome, chain) in rows {
            let Some(chain) = chain else {
                if report.rows == 0 {
                    report.legacy_rows += 1;
                    continue;
                }
                report.broken_at = Some(id);
                return Ok(report);
            };
            let expected = chain_hash(
                &prev, at, &actor, &peer, &action, &target, &detail, &outcome,
            );
            if expected != chain {
                report.broken_at = Some(id);
                return Ok(report);
            }
            report.rows += 1;
            prev = chain;
        }
    }
    report.head = (!prev.is_empty()).then_some(prev);
    Ok(report)
}

/// Failures of one kind from one actor and address that are written in full within a window.
pub const THROTTLE_ROWS: i64 = 5;
/// The window of [`THROTTLE_ROWS`] (the lockout's window).
pub const THROTTLE_WINDOW_SECONDS: i64 = crate::sessions::LOCKOUT_WINDOW_SECONDS;

/// Records a failure that an attacker can repeat at will (wrong passwords, bad tokens, refusals):
/// the first [`THROTTLE_ROWS`] per action, actor, address and target within [`THROTTLE_WINDOW_SECONDS`] are
/// written as they come; the rest are only counted, and once the window is over one summary row
/// (`detail.summary = true`, `count` = all events of the window) is written — by the next throttled
/// event of anyone, so the log cannot be flooded and still says how much happened.
pub fn record_throttled(conn: &mut DbConn, event: AuditEvent<'_>) -> EngineResult<()> {
    use crate::db::schema::audit_throttle as t;
    let now = chrono::Utc::now().timestamp();
    flush_throttled(conn, now)?;
    // A JSON array: no separator can be forged, and PostgreSQL text holds no NUL bytes.
    let key = serde_json::json!([
        event.action,
        clip(event.actor),
        clip(event.peer),
        clip(event.target)
    ])
    .to_string();
    with_conn!(conn, |c| diesel::insert_into(t::table)
        .values((
            t::key.eq(&key),
            t::window_start.eq(now),
            t::count.eq(0_i64),
            t::actor.eq(clip(event.actor)),
            t::peer.eq(clip(event.peer)),
            t::action.eq(clip(event.action)),
            t::target.eq(clip(event.target)),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    with_conn!(conn, |c| diesel::update(t::table.find(&key))
        .set(t::count.eq(t::count + 1))
        .execute(c))?;
    let count: i64 = with_conn!(conn, |c| t::table
        .find(&key)
        .select(t::count)
        .first(c)
        .optional())?
    .unwrap_or(1);
    if count <= THROTTLE_ROWS {
        record(conn, event)?;
    }
    Ok(())
}

/// Writes the summary rows of windows that are over and forgets them.
pub fn flush_throttled(conn: &mut DbConn, now: i64) -> EngineResult<()> {
    use crate::db::schema::audit_throttle as t;
    type Due = (String, i64, i64, String, String, String, String);
    let due: Vec<Due> = with_conn!(conn, |c| t::table
        .filter(t::window_start.le(now - THROTTLE_WINDOW_SECONDS))
        .select((
            t::key,
            t::window_start,
            t::count,
            t::actor,
            t::peer,
            t::action,
            t::target
        ))
        .load(c))?;
    for (key, window_start, count, actor, peer, action, target) in due {
        if count > THROTTLE_ROWS {
            record(
                conn,
                AuditEvent::failure(
                    &actor,
                    &peer,
                    &action,
                    &target,
                    serde_json::json!({
                        "summary": true,
                        "count": count,
                        "notLogged": count - THROTTLE_ROWS,
                        "windowStart": window_start,
                        "windowSeconds": THROTTLE_WINDOW_SECONDS,
                    }),
                ),
            )?;
        }
        with_conn!(conn, |c| diesel::delete(t::table.find(&key)).execute(c))?;
    }
    Ok(())
}

/// A recorded event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds, UTC.
    pub at: i64,
    pub actor: String,
    pub peer: String,
    pub action: String,
    pub target: String,
    pub detail: Value,
    pub outcome: String,
}

type Row = (i64, i64, String, String, String, String, String, String);

fn entry((id, at, actor, peer, action, target, detail, outcome): Row) -> AuditEntry {
    AuditEntry {
        id,
        at,
        actor,
        peer,
        action,
        target,
        detail: serde_json::from_str(&detail).unwrap_or(Value::String(detail)),
        outcome,
    }
}

/// Which events to list. Text filters match exactly; `from` is inclusive and `to` exclusive (Unix
/// seconds).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
}

/// Events matching `filter`, newest first, skipping `offset` and returning at most `limit`.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> EngineResult<Vec<AuditEntry>> {
    let rows: Vec<Row> = with_conn!(conn, |c| {
        let mut q = audit_log::table.into_boxed();
        if let Some(from) = filter.from {
            q = q.filter(audit_log::at.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(audit_log::at.lt(to));
        }
        if let Some(actor) = &filter.actor {
            q = q.filter(audit_log::actor.eq(actor));
        }
        if let Some(action) = &filter.action {
            q = q.filter(audit_log::action.eq(action));
        }
        if let Some(target) = &filter.target {
            q = q.filter(audit_log::target.eq(target));
        }
        if let Some(outcome) = &filter.outcome {
            q = q.filter(audit_log::outcome.eq(outcome));
        }
        q.order(audit_log::id.desc())
            .limit(limit.max(0))
            .offset(offset.max(0))
            .select((
                audit_log::id,
                audit_log::at,
                audit_log::actor,
                audit_log::peer,
                audit_log::action,
                audit_log::target,
                audit_log::detail,
                audit_log::outcome,
            ))
            .load(c)
    })?;
    Ok(rows.into_iter().map(entry).collect())
}

/// One CSV cell: quoted when it holds a comma, quote or line break (quotes doubled); a cell that
/// starts like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` so that opening
/// the file never runs what someone typed as a login name.
pub fn csv_cell(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The header and rows as CSV (UTF-8 with a byte-order mark so that Excel reads it as UTF-8, CRLF line
/// ends). Times are written in `tz` with their offset.
pub fn to_csv(entries: &[AuditEntry], tz: chrono_tz::Tz) -> String {
    let mut out = String::from("\u{feff}id,at,actor,peer,action,target,outcome,detail\r\n");
    for e in entries {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .map(|t| t.with_timezone(&tz).to_rfc3339())
            .unwrap_or_default();
        let detail = e.detail.to_string();
        let cells = [
            e.id.to_string(),
            at,
            e.actor.clone(),
            e.peer.clone(),
            e.action.clone(),
            e.target.clone(),
            e.outcome.clone(),
            detail,
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use serde_json::json;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("田中"), "田中");
    }

    #[test]
    fn csv_has_bom_header_and_crlf_rows() {
        let e = AuditEntry {
            id: 7,
            at: 0,
            actor: "tanaka".into(),
            peer: "10.0.0.1".into(),
            action: action::SIGN_IN.into(),
            target: "user:tanaka".into(),
            detail: json!({"method": "form"}),
            outcome: "failure".into(),
        };
        let csv = to_csv(&[e], chrono_tz::Asia::Tokyo);
        assert!(csv.starts_with("\u{feff}id,at,"));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[1],
            "7,1970-01-01T09:00:00+09:00,tanaka,10.0.0.1,auth.signIn,user:tanaka,failure,\"{\"\"method\"\":\"\"form\"\"}\""
        );
    }

    #[test]
    fn rows_are_appended_filtered_and_never_changed() -> TestResult {
        let dir = tempfile::tempdir()?;
        let db = Database::connect(
            &format!("sqlite://{}", dir.path().join("a.db").display()),
            1,
        )?;
        db.migrate()?;
        let mut conn = db.conn()?;
        record(
            &mut conn,
            AuditEvent::failure(
                "mallory",
                "10.0.0.9",
                action::SIGN_IN,
                "user:mallory",
                json!({}),
            ),
        )?;
        record(
            &mut conn,
            AuditEvent::success(
                "Administrator",
                "::1",
                action::APP_DEPLOY,
                "app:1",
                Value::Null,
            ),
        )?;
        let all = list(&mut conn, &AuditFilter::default(), 10, 0)?;
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].action, action::APP_DEPLOY, "newest first");
        let failures = list(
            &mut conn,
            &AuditFilter {
                outcome: Some("failure".into()),
                actor: Some("mallory".into()),
                ..AuditFilter::default()
            },
            10,
            0,
        )?;
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].peer, "10.0.0.9");
        // The triggers refuse any change, whatever SQL the application's connection sends.
        assert!(conn
            .batch_execute("UPDATE audit_log SET actor = 'someone else'")
            .is_err());
        assert!(conn.batch_execute("DELETE FROM audit_log").is_err());
        assert_eq!(list(&mut conn, &AuditFilter::default(), 10, 0)?, all);
        Ok(())
    }

    #[test]
    fn repeated_failures_are_bounded_then_summed_up_and_chained() -> TestResult {
        let dir = tempfile::tempdir()?;
        let db = Database::connect(
            &format!("sqlite://{}", dir.path().join("a.db").display()),
            1,
        )?;
        db.migrate()?;
        let mut conn = db.conn()?;
        for _ in 0..12 {
            record_throttled(
                &mut conn,
                AuditEvent::failure(
                    "?abcd1234",
                    "10.0.0.9",
                    action::SIGN_IN,
                    "user:?abcd1234",
                    json!({}),
                ),
            )?;
        }
        assert_eq!(list(&mut conn, &AuditFilter::default(), 100, 0)?.len(), 5);
        let later = chrono::Utc::now().timestamp() + THROTTLE_WINDOW_SECONDS + 1;
        flush_throttled(&mut conn, later)?;
        let all = list(&mut conn, &AuditFilter::default(), 100, 0)?;
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].detail["summary"], json!(true));
        assert_eq!(all[0].detail["count"], json!(12));
        let report = verify_chain(&mut conn)?;
        assert!(report.ok() && report.rows == 6, "{report:?}");
        Ok(())
    }
}
