//! The audit log: who did what, from which address, to what, and whether it worked. Sign-ins (success
//! and failure), organisation and permission changes, token creation and revocation, deploys, exports
//! and deletions are recorded, each in the same transaction as the change it records where there is
//! one (a rolled-back change leaves no audit row; a recorded change cannot lose its row).
//!
//! Append-only: this module has no update or delete function, and triggers in the migration refuse
//! `UPDATE` and `DELETE` (and `TRUNCATE` on PostgreSQL) on `audit_log`. Listing is filtered and paged,
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
    /// An upload went through the virus scanner (`detail.verdict`: clean, infected or failed).
    pub const FILE_SCAN: &str = "file.scan";

    /// Every action, for filter menus.
    pub const ALL: [&str; 27] = [
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
        FILE_SCAN,
    ];
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
    with_conn!(conn, |c| diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(at),
            audit_log::actor.eq(clip(event.actor)),
            audit_log::peer.eq(clip(event.peer)),
            audit_log::action.eq(clip(event.action)),
            audit_log::target.eq(clip(event.target)),
            audit_log::detail.eq(&detail),
            audit_log::outcome.eq(event.outcome.as_str()),
        ))
        .execute(c))?;
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
}
