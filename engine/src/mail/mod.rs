//! E-mail delivery of in-app notifications (issue 13; docs/notifications-mail.md).
//!
//! - **Preferences** ([`Preference`]): each user chooses `none` (the default), `each` (one mail per
//!   notification) or `digest` (one mail a day at an hour of their time zone), and the address mails
//!   go to (users have no address column; a guest's login name is an address and serves when none is
//!   set).
//! - **Planning** ([`planner`]): reads new rows of `notifications` in id order from a stored position
//!   and writes `mail_deliveries` rows plus one durable job (`mail.deliver`) per row in the
//!   transaction that advances the position, so a crash plans every mail exactly once.
//! - **Sending** is the platform's job handler (SMTP is I/O the engine knows nothing of): it reads a
//!   delivery, sends it with a Message-ID derived from the delivery id, and marks it sent in the
//!   transaction that completes its job. A crash between sending and that commit resends the mail
//!   with the same Message-ID, which the receiver can use to drop the duplicate.

pub mod planner;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{mail_deliveries, mail_preferences, notifications, users};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, UserError};
use crate::notifications::Notification;
use crate::with_conn;

/// The durable job kind of one delivery (payload `{"delivery": id}`).
pub const JOB_KIND: &str = "mail.deliver";

/// What a user wants mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    None,
    Each,
    Digest,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::None => "none",
            Mode::Each => "each",
            Mode::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::None, Mode::Each, Mode::Digest]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A user's mail preference as stored (or the default when nothing is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preference {
    pub mode: Mode,
    /// 0–23, in the user's time zone.
    pub digest_hour: i64,
    /// The address set for the user (may be empty).
    pub email: String,
}

impl Default for Preference {
    fn default() -> Self {
        Preference {
            mode: Mode::None,
            digest_hour: DEFAULT_DIGEST_HOUR,
            email: String::new(),
        }
    }
}

pub const DEFAULT_DIGEST_HOUR: i64 = 8;
const MAX_EMAIL_CHARS: usize = 254;

/// The stored preference of `user` (the default when none).
pub fn preference(conn: &mut DbConn, user: &str) -> EngineResult<Preference> {
    let row: Option<(String, i64, String)> = with_conn!(conn, |c| mail_preferences::table
        .find(user)
        .select((
            mail_preferences::mode,
            mail_preferences::digest_hour,
            mail_preferences::email
        ))
        .first(c)
        .optional())?;
    Ok(row
        .map(|(mode, digest_hour, email)| Preference {
            mode: Mode::parse(&mode).unwrap_or(Mode::None),
            digest_hour,
            email,
        })
        .unwrap_or_default())
}

/// Whether `address` looks like one mailbox (`local@domain`, no spaces or angle brackets): enough to
/// refuse typing mistakes; the SMTP server has the last word.
pub fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    address.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c))
}

fn invalid(field: &str, key: &'static str, text: &str) -> UserError {
    let mut errors = FieldErrors::new();
    errors.insert(field.to_owned(), vec![Message::keyed(key, text)]);
    UserError::Validation(errors)
}

/// Stores `pref` for `user` after checking it: the hour is 0–23, the address (when given) one
/// mailbox. Returns the stored preference.
pub fn set_preference(
    conn: &mut DbConn,
    user: &str,
    pref: &Preference,
    now: i64,
) -> EngineResult<Preference> {
    if !(0..24).contains(&pref.digest_hour) {
        return Err(invalid("digestHour", "mail.error.hour", "The hour must be 0 to 23.").into());
    }
    let email = pref.email.trim().to_owned();
    if !email.is_empty() && !valid_address(&email) {
        return Err(invalid("email", "mail.error.address", "Not an e-mail address.").into());
    }
    let values = (
        mail_preferences::user_code.eq(user),
        mail_preferences::mode.eq(pref.mode.as_str()),
        mail_preferences::digest_hour.eq(pref.digest_hour),
        mail_preferences::email.eq(&email),
        mail_preferences::updated_at.eq(now),
    );
    with_conn!(conn, |c| diesel::insert_into(mail_preferences::table)
        .values(values)
        .on_conflict(mail_preferences::user_code)
        .do_update()
        .set((
            mail_preferences::mode.eq(pref.mode.as_str()),
            mail_preferences::digest_hour.eq(pref.digest_hour),
            mail_preferences::email.eq(&email),
            mail_preferences::updated_at.eq(now),
        ))
        .execute(c))?;
    Ok(Preference {
        email,
        ..pref.clone()
    })
}

/// Sets only the address of `user`, keeping their choice (administrators on /admin/users).
pub fn set_email(conn: &mut DbConn, user: &str, email: &str, now: i64) -> EngineResult<()> {
    let current = preference(conn, user)?;
    set_preference(
        conn,
        user,
        &Preference {
            email: email.to_owned(),
            ..current
        },
        now,
    )?;
    Ok(())
}

/// The addresses set for users (code → address), for the administrators' user list.
pub fn addresses(conn: &mut DbConn) -> EngineResult<Vec<(String, String)>> {
    Ok(with_conn!(conn, |c| mail_preferences::table
        .filter(mail_preferences::email.ne(""))
        .select((mail_preferences::user_code, mail_preferences::email))
        .load(c))?)
}

/// The address mails for `user` go to: the stored one, else the login name of a guest (guests sign
/// in with their address), else none.
pub fn address_of(
    conn: &mut DbConn,
    user: &str,
    pref: &Preference,
) -> EngineResult<Option<String>> {
    if !pref.email.is_empty() {
        return Ok(Some(pref.email.clone()));
    }
    let guest: Option<bool> = with_conn!(conn, |c| users::table
        .filter(users::code.eq(user))
        .select(users::is_guest)
        .first(c)
        .optional())?;
    Ok((guest == Some(true) && valid_address(user)).then(|| user.to_owned()))
}

/// Where a delivery is.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    /// Not sent on purpose (the user has no address any more, or chose none).
    pub const SKIPPED: &str = "skipped";
    /// Gave up after the job's last attempt.
    pub const FAILED: &str = "failed";
}

/// One planned mail.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = mail_deliveries)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub id: i64,
    pub dedupe_key: String,
    pub user_code: String,
    pub mode: String,
    pub notification_ids: String,
    pub send_at: i64,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub to_address: String,
    pub subject: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl Delivery {
    /// The notifications this mail tells of.
    pub fn notification_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.notification_ids).unwrap_or_default()
    }
}

pub fn delivery(conn: &mut DbConn, id: i64) -> EngineResult<Option<Delivery>> {
    Ok(with_conn!(conn, |c| mail_deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(c)
        .optional())?)
}

/// The newest deliveries, for administrators.
pub fn recent(conn: &mut DbConn, limit: i64) -> EngineResult<Vec<Delivery>> {
    Ok(with_conn!(conn, |c| mail_deliveries::table
        .order(mail_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(c))?)
}

/// How many deliveries are in each state.
pub fn counts(conn: &mut DbConn) -> EngineResult<Vec<(String, i64)>> {
    Ok(with_conn!(conn, |c| mail_deliveries::table
        .group_by(mail_deliveries::state)
        .select((mail_deliveries::state, diesel::dsl::count_star()))
        .load(c))?)
}

/// The notifications of a delivery, oldest first.
pub fn notifications_of(conn: &mut DbConn, ids: &[i64]) -> EngineResult<Vec<Notification>> {
    Ok(with_conn!(conn, |c| notifications::table
        .filter(notifications::id.eq_any(ids))
        .order(notifications::id.asc())
        .select(Notification::as_select())
        .load(c))?)
}

/// Records the outcome of sending delivery `id` (call it in the transaction that completes its
/// job): `state`, the address and subject used, the attempt count and error.
pub fn record_outcome(
    conn: &mut DbConn,
    id: i64,
    outcome: &Outcome<'_>,
    now: i64,
) -> EngineResult<()> {
    let sent_at = (outcome.state == state::SENT).then_some(now);
    with_conn!(conn, |c| diesel::update(mail_deliveries::table.find(id))
        .set((
            mail_deliveries::state.eq(outcome.state),
            mail_deliveries::attempts.eq(outcome.attempts),
            mail_deliveries::last_error.eq(outcome.error),
            mail_deliveries::to_address.eq(outcome.to),
            mail_deliveries::subject.eq(outcome.subject),
            mail_deliveries::sent_at.eq(sent_at),
        ))
        .execute(c))?;
    Ok(())
}

/// What one attempt at a delivery came to.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub state: &'static str,
    pub attempts: i64,
    pub error: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked() {
        assert!(valid_address("a.b@example.jp"));
        assert!(!valid_address("a b@example.jp"));
        assert!(!valid_address("ab@example"));
        assert!(!valid_address("@example.jp"));
        assert!(!valid_address("a@b.jp>, c@d.jp"));
        assert!(!valid_address("nobody"));
    }

    #[test]
    fn modes_round_trip() {
        for m in [Mode::None, Mode::Each, Mode::Digest] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("weekly"), None);
    }
}
