//! The copy of an answer by e-mail: durable jobs of kind `public_form.copy` (payload
//! `{to, subject, body}`, queued by the engine in the submit transaction), sent through the mail
//! module's `Mailer` on the mail job runner. Without SMTP no runner starts and the page does not
//! offer the copy. The Message-ID is the job's, so a copy resent after a crash can be dropped by
//! the receiver.

use std::sync::Arc;

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, Job};
use kumiki_engine::public_forms::COPY_MAIL_JOB;

use crate::jobs_runner::{unix_now, JobHandler, Outcome};
use crate::mail::Mailer;

/// The job handler of `public_form.copy`.
pub struct CopyMailJobs {
    mailer: Arc<Mailer>,
}

impl CopyMailJobs {
    pub fn new(mailer: Arc<Mailer>) -> CopyMailJobs {
        CopyMailJobs { mailer }
    }
}

impl JobHandler for CopyMailJobs {
    fn kinds(&self) -> &'static [&'static str] {
        &[COPY_MAIL_JOB]
    }

    fn run(&self, db: &Database, job: &Job, owner: &str) -> Outcome {
        let text = |name: &str| {
            job.payload
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let (to, subject, body) = (text("to"), text("subject"), text("body"));
        let finish = || -> Outcome {
            let done = db.conn().and_then(|mut conn| {
                conn.write_transaction(|c| jobs::complete(c, job.id, owner, unix_now()))
            });
            match done {
                Ok(true) => Outcome::Done,
                Ok(false) => Outcome::LeaseLost,
                Err(e) => Outcome::Failed(e.to_string()),
            }
        };
        if to.is_empty() {
            // Nothing to send to (the engine queues only valid addresses): done, not retried.
            return finish();
        }
        let message_id = self.mailer.message_id_of("pf-copy", job.id);
        match self.mailer.send(&to, &subject, body, message_id) {
            Ok(()) => finish(),
            Err(e) => Outcome::Failed(e),
        }
    }

    fn tick(&self, _db: &Database) {}

    fn gave_up(&self) {}

    fn stop(&self, _db: &Database) {}
}
