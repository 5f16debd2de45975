//! Sending notification mail through the configured SMTP server (issue 13;
//! docs/notifications-mail.md). The engine plans deliveries (`kumiki_engine::mail::planner`); this
//! module runs them as durable jobs on a job runner of their own:
//!
//! - `tick` plans new notifications (every second);
//! - `run` sends one delivery with the Message-ID `<kumiki-mail-<id>@<sender's domain>>` and then,
//!   in one transaction, completes the job and marks the delivery sent. A node killed between the
//!   two sends the mail again after the lease with the same Message-ID (receivers drop it);
//! - a failed send is retried with the job table's backoff; the delivery row shows the attempts and
//!   the last error, and `failed` after the last attempt.
//!
//! Without `--smtp-url` mail is off: nothing is planned and the pages say so. SMTP goes over
//! rustls (`smtps://`, or `smtp://...?tls=required` for STARTTLS); plain `smtp://` is for a relay
//! on the local network.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job};
use kumiki_engine::mail::{self, planner, state, Delivery, Mode, Outcome as MailOutcome};
use kumiki_engine::notifications::Notification;
use kumiki_engine::users::User;
use kumiki_engine::EngineResult;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use serde::Serialize;

use crate::jobs_runner::{unix_now, JobHandler, JobsRunner, Outcome, CLAIM_BATCH};
use crate::settings::Settings;

const PLAN_EVERY: Duration = Duration::from_secs(1);

/// Refuses mail settings that cannot work (called by `Settings::validate`).
pub fn validate(settings: &Settings) -> Result<(), String> {
    if let Some(url) = &settings.public_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("--public-url must start with http:// or https://".into());
        }
    }
    let Some(url) = &settings.smtp_url else {
        return Ok(());
    };
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err("--smtp-url must start with smtp:// or smtps://".into());
    }
    SmtpTransport::from_url(url).map_err(|e| format!("--smtp-url: {e}"))?;
    match &settings.smtp_from {
        None => Err("--smtp-from is required with --smtp-url".into()),
        Some(from) => from
            .parse::<Mailbox>()
            .map(|_| ())
            .map_err(|e| format!("--smtp-from: {e}")),
    }?;
    if settings.smtp_timeout.is_zero() {
        return Err("--smtp-timeout must be at least 1 second".into());
    }
    Ok(())
}

/// What the administrators' page shows of the mail settings (never the password).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailStatus {
    pub enabled: bool,
    /// `smtp://host:port` without user or password.
    pub server: String,
    pub from: String,
    pub public_url: String,
    pub timeout_secs: u64,
}

/// One configured SMTP server and sender.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The domain of Message-IDs (the sender's).
    domain: String,
    public_url: String,
}

impl Mailer {
    fn new(settings: &Settings) -> Result<Option<Mailer>, String> {
        let (Some(url), Some(from)) = (&settings.smtp_url, &settings.smtp_from) else {
            return Ok(None);
        };
        let from: Mailbox = from.parse().map_err(|e| format!("--smtp-from: {e}"))?;
        let mut builder = SmtpTransport::from_url(url)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(settings.smtp_timeout));
        if let Some(password) = &settings.smtp_password {
            // The user named in the URL, else the sender's address.
            let user = url_user(url).unwrap_or_else(|| from.email.to_string());
            builder = builder.credentials(Credentials::new(user, password.clone()));
        }
        Ok(Some(Mailer {
            transport: builder.build(),
            domain: from.email.domain().to_owned(),
            from,
            public_url: settings
                .public_url
                .clone()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
        }))
    }

    /// Sends one plain-text mail.
    pub fn send(
        &self,
        to: &str,
        subject: &str,
        body: String,
        message_id: String,
    ) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("address {to:?}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The Message-ID of delivery `id`: the same on every attempt, so a receiver can drop a mail
    /// resent after a crash.
    pub fn message_id(&self, id: i64) -> String {
        format!("<kumiki-mail-{id}@{}>", self.domain)
    }

    /// The Message-ID of job `id` of another kind of mail (issue 15: `pf-copy`, the copy of a
    /// public form's answer), the same on every attempt.
    pub fn message_id_of(&self, kind: &str, id: i64) -> String {
        format!("<kumiki-{kind}-{id}@{}>", self.domain)
    }

    /// A link in a mail: the server's external URL before a path.
    fn link(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.public_url)
        } else {
            path.to_owned()
        }
    }
}

/// The user named in an SMTP URL (`smtp://user@host`), if any.
fn url_user(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let user = userinfo.split(':').next()?;
    (!user.is_empty()).then(|| user.to_owned())
}

fn server_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let tls = url.contains("tls=required");
    format!("{scheme}://{host}{}", if tls { " (STARTTLS)" } else { "" })
}

/// Mail: the sender and the runner of deliveries; stops with the last `AppState`.
pub struct MailService {
    mailer: Option<Arc<Mailer>>,
    status: MailStatus,
    _runner: Option<JobsRunner>,
}

impl MailService {
    /// Starts delivering when SMTP is configured.
    pub fn start(db: Arc<Database>, settings: &Settings) -> anyhow::Result<MailService> {
        let mailer = Mailer::new(settings)
            .map_err(anyhow::Error::msg)?
            .map(Arc::new);
        let status = MailStatus {
            enabled: mailer.is_some(),
            server: settings
                .smtp_url
                .as_deref()
                .map(server_of)
                .unwrap_or_default(),
            from: settings.smtp_from.clone().unwrap_or_default(),
            public_url: settings.public_url.clone().unwrap_or_default(),
            timeout_secs: settings.smtp_timeout.as_secs(),
        };
        let runner = mailer.as_ref().map(|m| {
            tracing::info!(server = %status.server, "notification mail is on");
            let handler: Arc<dyn JobHandler> = Arc::new(MailJobs {
                mailer: Arc::clone(m),
                tz: settings.default_timezone,
                last_plan: Mutex::new(None),
            });
            // Issue 15: the copies of public form answers go out on the same runner.
            let copies: Arc<dyn JobHandler> = Arc::new(
                crate::public_forms::copy_mail::CopyMailJobs::new(Arc::clone(m)),
            );
            // Claims run one after another: the last of a batch must finish within the lease.
            let timeout = i64::try_from(settings.smtp_timeout.as_secs()).unwrap_or(60);
            JobsRunner::start_with_lease(db, vec![handler, copies], CLAIM_BATCH * (timeout + 1) + 5)
        });
        Ok(MailService {
            mailer,
            status,
            _runner: runner,
        })
    }

    pub fn status(&self) -> &MailStatus {
        &self.status
    }

    pub fn enabled(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends a test mail to `to` now (not durable: the administrator sees the outcome).
    pub fn send_test(&self, to: &str, lang_ja: bool) -> Result<(), String> {
        let Some(m) = &self.mailer else {
            return Err("mail is off".into());
        };
        let (subject, body) = if lang_ja {
            (
                "[Kumiki] テストメール",
                "Kumiki からのテストメールです。通知メールはこのサーバーから届きます。\n",
            )
        } else {
            (
                "[Kumiki] Test mail",
                "This is a test mail from Kumiki. Notification mail comes from this server.\n",
            )
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        m.send(
            to,
            subject,
            format!("{body}\n{}\n", m.public_url),
            format!("<kumiki-test-{id}@{}>", m.domain),
        )
    }
}

/// The job handler of `mail.deliver`.
struct MailJobs {
    mailer: Arc<Mailer>,
    tz: chrono_tz::Tz,
    last_plan: Mutex<Option<Instant>>,
}

impl JobHandler for MailJobs {
    fn kinds(&self) -> &'static [&'static str] {
        &[mail::JOB_KIND]
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        match self.deliver(db, job, owner) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }

    fn tick(&self, db: &Database) {
        let Ok(mut last) = self.last_plan.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < PLAN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(e) = plan(db, self.tz) {
            tracing::error!(error = %e, "mail planner");
        }
    }

    fn gave_up(&self) {}

    fn stop(&self, _db: &Database) {}
}

/// Plans until no new notification is left (at most a few batches per tick).
fn plan(db: &Database, tz: chrono_tz::Tz) -> EngineResult<()> {
    let mut conn = db.conn()?;
    for _ in 0..10 {
        if planner::plan_batch(&mut conn, unix_now(), tz)? == 0 {
            break;
        }
    }
    Ok(())
}

impl MailJobs {
    fn deliver(&self, db: &Database, job: &Job, owner: &str) -> EngineResult<Outcome> {
        let id = job
            .payload
            .get("delivery")
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        let mut conn = db.conn()?;
        let Some(delivery) = mail::delivery(&mut conn, id)? else {
            return finish(&mut conn, job, owner, None);
        };
        if delivery.state != state::PENDING {
            return finish(&mut conn, job, owner, None);
        }
        let pref = mail::preference(&mut conn, &delivery.user_code)?;
        let user = User::find_by_code(&mut conn, &delivery.user_code)?;
        let address = mail::address_of(&mut conn, &delivery.user_code, &pref)?;
        let (Some(user), Some(to), false) = (user, address, pref.mode == Mode::None) else {
            let skipped = MailOutcome {
                state: state::SKIPPED,
                attempts: job.attempts,
                error: Some("no address, or mail switched off"),
                to: "",
                subject: "",
            };
            return finish(&mut conn, job, owner, Some((id, skipped)));
        };
        let notices = mail::notifications_of(&mut conn, &delivery.notification_ids())?;
        drop(conn);
        let ja = user.locale != "en";
        let (subject, body) = render(&self.mailer, &delivery, &notices, ja);
        let sent = self
            .mailer
            .send(&to, &subject, body, self.mailer.message_id(id));
        let mut conn = db.conn()?;
        match sent {
            Ok(()) => {
                let outcome = MailOutcome {
                    state: state::SENT,
                    attempts: job.attempts,
                    error: None,
                    to: &to,
                    subject: &subject,
                };
                finish(&mut conn, job, owner, Some((id, outcome)))
            }
            Err(error) => {
                let last = job.attempts >= job.max_attempts;
                let outcome = MailOutcome {
                    state: if last { state::FAILED } else { state::PENDING },
                    attempts: job.attempts,
                    error: Some(&error),
                    to: &to,
                    subject: &subject,
                };
                conn.write_transaction(|c| mail::record_outcome(c, id, &outcome, unix_now()))?;
                Ok(Outcome::Failed(error))
            }
        }
    }
}

/// Completes `job` and records the delivery's outcome in one transaction.
fn finish(
    conn: &mut kumiki_engine::db::DbConn,
    job: &Job,
    owner: &str,
    outcome: Option<(i64, MailOutcome<'_>)>,
) -> EngineResult<Outcome> {
    conn.write_transaction(|c| {
        let now = unix_now();
        if !jobs::complete(c, job.id, owner, now)? {
            return Ok(Outcome::LeaseLost);
        }
        if let Some((id, outcome)) = &outcome {
            mail::record_outcome(c, *id, outcome, now)?;
        }
        Ok(Outcome::Done)
    })
}

/// The subject and plain-text body of a delivery, in Japanese or English.
fn render(m: &Mailer, d: &Delivery, notices: &[Notification], ja: bool) -> (String, String) {
    let settings_link = m.link("/account/notifications");
    let footer = if ja {
        format!("\n-- \nKumiki からの通知メールです。配信の設定: {settings_link}\n")
    } else {
        format!("\n-- \nNotification mail from Kumiki. Mail settings: {settings_link}\n")
    };
    let item = |n: &Notification| {
        let mut text = n.title.clone();
        if !n.body.is_empty() {
            text.push_str("\n\n");
            text.push_str(&n.body);
        }
        if !n.link.is_empty() {
            text.push_str("\n\n");
            text.push_str(&m.link(&n.link));
        }
        text
    };
    if d.mode == Mode::Each.as_str() {
        let title = notices.first().map(|n| n.title.as_str()).unwrap_or("");
        let body = notices.iter().map(item).collect::<Vec<_>>().join("\n\n");
        return (format!("[Kumiki] {title}"), format!("{body}\n{footer}"));
    }
    let count = notices.len();
    let subject = if ja {
        format!("[Kumiki] 通知のまとめ（{count} 件）")
    } else {
        format!("[Kumiki] Notification digest ({count})")
    };
    let items = notices
        .iter()
        .map(|n| format!("■ {}", item(n)))
        .collect::<Vec<_>>()
        .join("\n\n");
    (subject, format!("{items}\n{footer}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_shown_without_credentials() {
        assert_eq!(
            server_of("smtp://u:secret@mail.example.jp:587?tls=required"),
            "smtp://mail.example.jp:587 (STARTTLS)"
        );
        assert_eq!(
            server_of("smtps://mail.example.jp"),
            "smtps://mail.example.jp"
        );
        assert_eq!(
            url_user("smtp://u:secret@mail.example.jp:587").as_deref(),
            Some("u")
        );
        assert_eq!(url_user("smtp://mail.example.jp:587"), None);
    }
}
