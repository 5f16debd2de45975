//! App review before go-live (scenario 5): an app whose settings say `requireReview: true`, or that
//! the server-wide `policy` covers (every app, or the apps of chosen departments), deploys only
//! pre-live settings that an IT reviewer approved.
//!
//! Guarantees:
//! - a submission names one pre-live revision and keeps the definition as submitted; it is PENDING
//!   until a reviewer approves or rejects it, once, with a comment;
//! - `check_gate` (called by `apps::deploy`, so by every channel) refuses a deploy when the live or
//!   the pre-live definition requires review or the policy covers the app, unless an APPROVED submission holds exactly the current pre-live
//!   revision and definition: a change after approval needs a new approval;
//! - reviewers are system administrators and members of the group `it-reviewers`; API tokens never
//!   review;
//! - approving does not deploy (as kintone, deploying stays its own action); every deployed version
//!   stays in `app_versions` for `diff` and rollback.
//!
//! `diff` compares two definitions section by section, `readable` says the same as sentences (message
//! keys with arguments) for people, `names` resolves users, departments and groups to their names,
//! `diagram` draws the process as SVG, `policy` holds the server-wide policy, and `restore` computes
//! a record's values at an earlier revision from its history.

pub mod diagram;
pub mod diff;
pub mod names;
pub mod policy;
pub mod queue;
pub mod readable;
mod readable_acl;
mod readable_process;
pub mod restore;

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use serde_json::Value;

use crate::acl::Principal;
use crate::apps::{load_definition, AppDefinition, AppId, AppRow, LIVE, PREVIEW};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};

/// Members of this group review apps (besides system administrators).
pub const REVIEWER_GROUP: &str = "it-reviewers";

/// The member of `AppDefinition::settings` that turns review on.
pub const REQUIRE_REVIEW: &str = "requireReview";

/// Whether a definition asks for review before deploy.
pub fn requires_review(def: &AppDefinition) -> bool {
    def.settings
        .get(REQUIRE_REVIEW)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Why an app needs review before its changes go live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Neither its settings nor the policy ask for review.
    None,
    /// Its own settings (`requireReview`, live or pre-live) ask for review.
    App,
    /// The server-wide policy covers it.
    Policy,
}

impl Requirement {
    pub fn required(self) -> bool {
        self != Requirement::None
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::None => "none",
            Requirement::App => "app",
            Requirement::Policy => "policy",
        }
    }
}

/// Whether (and why) deploying `app` needs an approved submission: its pre-live or live settings
/// ask for it, or the server-wide policy covers it.
pub fn requirement(
    conn: &mut DbConn,
    app: AppId,
    preview: &AppDefinition,
    live: Option<&AppDefinition>,
) -> EngineResult<Requirement> {
    if requires_review(preview) || live.is_some_and(requires_review) {
        return Ok(Requirement::App);
    }
    let p = policy::load(conn)?;
    if policy::covers(conn, &p, app)? {
        return Ok(Requirement::Policy);
    }
    Ok(Requirement::None)
}

/// Whether the caller may approve or reject submissions.
pub fn is_reviewer(principal: &Principal) -> bool {
    match principal {
        Principal::User {
            is_admin, groups, ..
        } => *is_admin || groups.iter().any(|g| g == REVIEWER_GROUP),
        Principal::Tokens(_) | Principal::System | Principal::PublicForm { .. } => false,
    }
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Pending,
    Approved,
    Rejected,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "PENDING",
            ReviewState::Approved => "APPROVED",
            ReviewState::Rejected => "REJECTED",
        }
    }

    fn parse(s: &str) -> ReviewState {
        match s {
            "APPROVED" => ReviewState::Approved,
            "REJECTED" => ReviewState::Rejected,
            _ => ReviewState::Pending,
        }
    }
}

/// One request to review a pre-live revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub id: i64,
    pub app: AppId,
    /// The pre-live revision submitted.
    pub revision: i64,
    /// The pre-live definition as submitted.
    pub definition: AppDefinition,
    pub submitter: String,
    pub comment: String,
    /// Unix seconds.
    pub submitted_at: i64,
    pub state: ReviewState,
    pub reviewer: Option<String>,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<i64>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    app_id: i64,
    #[diesel(sql_type = BigInt)]
    revision: i64,
    #[diesel(sql_type = Text)]
    definition: String,
    #[diesel(sql_type = Text)]
    submitter: String,
    #[diesel(sql_type = Text)]
    comment: String,
    #[diesel(sql_type = BigInt)]
    submitted_at: i64,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Text>)]
    reviewer: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    review_comment: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    reviewed_at: Option<i64>,
}

impl Row {
    fn into_submission(self) -> EngineResult<Submission> {
        Ok(Submission {
            id: self.id,
            app: AppId(self.app_id),
            revision: self.revision,
            definition: serde_json::from_str(&self.definition)?,
            submitter: self.submitter,
            comment: self.comment,
            submitted_at: self.submitted_at,
            state: ReviewState::parse(&self.state),
            reviewer: self.reviewer,
            review_comment: self.review_comment,
            reviewed_at: self.reviewed_at,
        })
    }
}

const COLUMNS: &str = "SELECT id, app_id, revision, definition, submitter, comment, submitted_at, \
                       state, reviewer, review_comment, reviewed_at FROM app_reviews WHERE app_id = ";

/// Longest comment kept.
const MAX_COMMENT: usize = 2000;

fn check_comment(comment: &str) -> Result<(), UserError> {
    if comment.chars().count() > MAX_COMMENT {
        return Err(UserError::invalid(
            "comment",
            format!("Enter at most {MAX_COMMENT} characters."),
        ));
    }
    Ok(())
}

fn preview_of(conn: &mut DbConn, app: AppId) -> EngineResult<(AppDefinition, i64)> {
    if AppRow::find(conn, app)?.is_none() {
        return Err(UserError::AppNotFound(app.0.to_string()).into());
    }
    Ok(load_definition(conn, app, PREVIEW)?
        .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?)
}

/// Submits the current pre-live settings for review. Refused when they equal the live settings
/// (nothing to review) and when this revision already waits for review.
pub fn submit(
    conn: &mut DbConn,
    app: AppId,
    submitter: &str,
    comment: &str,
) -> EngineResult<Submission> {
    check_comment(comment)?;
    let (preview, revision) = preview_of(conn, app)?;
    if let Some((live, _)) = load_definition(conn, app, LIVE)? {
        if live == preview {
            return Err(UserError::invalid(
                "app",
                "The pre-live settings are the same as the live settings: there is nothing to review.",
            )
            .into());
        }
    }
    if list(conn, app)?
        .iter()
        .any(|s| s.state == ReviewState::Pending && s.revision == revision)
    {
        return Err(UserError::ReviewPending.into());
    }
    let json = serde_json::to_string(&preview)?;
    let now = chrono::Utc::now().timestamp();
    let mut b = conn.sql();
    b.push("INSERT INTO app_reviews (app_id, revision, definition, submitter, comment, submitted_at, state) VALUES (")
        .bind_int(app.0)
        .push(", ")
        .bind_int(revision)
        .push(", ")
        .bind_text(&json)
        .push(", ")
        .bind_text(submitter)
        .push(", ")
        .bind_text(comment)
        .push(", ")
        .bind_int(now)
        .push(", 'PENDING') RETURNING id AS n");
    let rows: Vec<crate::db::IntRow> = conn.load(&b)?;
    let id = rows
        .first()
        .map(|r| r.n)
        .ok_or_else(|| crate::EngineError::Internal("insert returned no id".into()))?;
    // Issue 13, notify: the reviewers' bell, in the submission's transaction.
    crate::notifications::producers::review_requested(conn, app, id, submitter, comment, now)?;
    get(conn, app, id)
}

/// An app's submissions, newest first.
pub fn list(conn: &mut DbConn, app: AppId) -> EngineResult<Vec<Submission>> {
    let mut b = conn.sql();
    b.push(COLUMNS).bind_int(app.0).push(" ORDER BY id DESC");
    let rows: Vec<Row> = conn.load(&b)?;
    rows.into_iter().map(Row::into_submission).collect()
}

/// One submission of an app, or `SubmissionNotFound`.
pub fn get(conn: &mut DbConn, app: AppId, id: i64) -> EngineResult<Submission> {
    let mut b = conn.sql();
    b.push(COLUMNS)
        .bind_int(app.0)
        .push(" AND id = ")
        .bind_int(id);
    let rows: Vec<Row> = conn.load(&b)?;
    rows.into_iter()
        .next()
        .ok_or_else(|| UserError::SubmissionNotFound(id.to_string()).into())
        .and_then(Row::into_submission)
}

/// Approves or rejects a pending submission. The caller checks that `reviewer` may review. A
/// rejection needs a comment (what to change); a submission whose pre-live settings changed since is
/// `ReviewOutdated` and can only be submitted again.
pub fn decide(
    conn: &mut DbConn,
    app: AppId,
    id: i64,
    reviewer: &str,
    approve: bool,
    comment: &str,
) -> EngineResult<Submission> {
    check_comment(comment)?;
    let submission = get(conn, app, id)?;
    if submission.state != ReviewState::Pending {
        return Err(UserError::ReviewAlreadyDecided.into());
    }
    let (preview, revision) = preview_of(conn, app)?;
    if approve && (revision != submission.revision || preview != submission.definition) {
        return Err(UserError::ReviewOutdated.into());
    }
    if !approve && comment.trim().is_empty() {
        return Err(UserError::invalid("comment", "Say what should change when rejecting.").into());
    }
    let state = if approve {
        ReviewState::Approved
    } else {
        ReviewState::Rejected
    };
    let mut b = conn.sql();
    b.push("UPDATE app_reviews SET state = ")
        .bind_text(state.as_str())
        .push(", reviewer = ")
        .bind_text(reviewer)
        .push(", review_comment = ")
        .bind_text(comment)
        .push(", reviewed_at = ")
        .bind_int(chrono::Utc::now().timestamp())
        .push(" WHERE app_id = ")
        .bind_int(app.0)
        .push(" AND id = ")
        .bind_int(id)
        .push(" AND state = 'PENDING'");
    if conn.execute(&b)? != 1 {
        return Err(UserError::ReviewAlreadyDecided.into());
    }
    let decided = get(conn, app, id)?;
    // Issue 13, notify: the submitter's bell, in the decision's transaction.
    let now = decided
        .reviewed_at
        .unwrap_or_else(|| chrono::Utc::now().timestamp());
    crate::notifications::producers::review_decided(conn, &decided, now)?;
    Ok(decided)
}

/// The deploy gate: when `preview` or `live` requires review or the server-wide policy covers the
/// app, the pre-live revision being deployed must have an APPROVED submission whose definition is
/// the one being deployed.
pub fn check_gate(
    conn: &mut DbConn,
    app: AppId,
    preview: &AppDefinition,
    preview_revision: i64,
    live: Option<&AppDefinition>,
) -> EngineResult<()> {
    if !requirement(conn, app, preview, live)?.required() {
        return Ok(());
    }
    let mut b = conn.sql();
    b.push(COLUMNS)
        .bind_int(app.0)
        .push(" AND revision = ")
        .bind_int(preview_revision)
        .push(" AND state = 'APPROVED' ORDER BY id DESC");
    let rows: Vec<Row> = conn.load(&b)?;
    for row in rows {
        if row.into_submission()?.definition == *preview {
            return Ok(());
        }
    }
    Err(UserError::ReviewRequired(preview_revision).into())
}

/// Whether an approved submission covers the current pre-live settings (for pages: "ready to
/// deploy").
pub fn approved_for_current(conn: &mut DbConn, app: AppId) -> EngineResult<bool> {
    let (preview, revision) = preview_of(conn, app)?;
    Ok(list(conn, app)?.iter().any(|s| {
        s.state == ReviewState::Approved && s.revision == revision && s.definition == preview
    }))
}

/// The latest PENDING submission of every app outside guest spaces (what reviewers have to do),
/// oldest first.
pub fn queue(conn: &mut DbConn) -> EngineResult<Vec<Submission>> {
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT r.id, r.app_id, r.revision, r.definition, r.submitter, r.comment, r.submitted_at, \
         r.state, r.reviewer, r.review_comment, r.reviewed_at FROM app_reviews r \
         JOIN apps a ON a.id = r.app_id \
         WHERE r.state = 'PENDING' AND {outside} AND r.id = \
         (SELECT MAX(p.id) FROM app_reviews p WHERE p.app_id = r.app_id AND p.state = 'PENDING') \
         ORDER BY r.submitted_at, r.id",
        outside = crate::apps::OUTSIDE_GUEST_SPACES_SQL
    ));
    let rows: Vec<Row> = conn.load(&b)?;
    rows.into_iter().map(Row::into_submission).collect()
}

/// How many apps outside guest spaces wait for review: one COUNT over the `(state, app_id)` index
/// (cheap enough for every page a reviewer opens).
pub fn pending_count(conn: &mut DbConn) -> EngineResult<i64> {
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT COUNT(DISTINCT r.app_id) AS n FROM app_reviews r JOIN apps a ON a.id = r.app_id \
         WHERE r.state = 'PENDING' AND {outside}",
        outside = crate::apps::OUTSIDE_GUEST_SPACES_SQL
    ));
    let rows: Vec<crate::db::IntRow> = conn.load(&b)?;
    Ok(rows.first().map(|r| r.n).unwrap_or(0))
}
