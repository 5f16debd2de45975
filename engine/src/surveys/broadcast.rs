//! Sending a survey and reminding its organisations.
//!
//! `send` does everything in the caller's ONE transaction: the survey becomes `open`, one answer
//! per organisation is inserted (`ON CONFLICT DO NOTHING` on `(survey_id, org_kind, org_code)`),
//! each organisation's contacts get a bell notice (`notifications::kind::SURVEY`, source key
//! `survey:<id>:sent`), the reminder jobs are planned (`jobs::enqueue`, kind `survey.remind`,
//! unique key `survey.remind:<id>:<days>`, run at due − days) and the audit row is written. A
//! killed send commits nothing; a replayed one finds the survey open and writes nothing.
//!
//! Reminders — manual (`remind`, source key `survey:<id>:remind:<n>`) or the job
//! (`run_reminder`, source key `survey:<id>:remind:<job key>`) — notify the contacts of every
//! answer that is neither submitted nor accepted, once per reminder.

use std::collections::HashSet;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::access;
use super::{
    add_event, refused, wrong_state, AnswerRow, SurveyRow, ACCEPTED, CLOSED, DRAFT, OPEN,
    REMIND_JOB, SPACE, SUBMITTED, UNOPENED,
};
use crate::acting::ActingContext;
use crate::db::schema::{survey_answers, survey_lists, surveys};
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::notifications::{self, kind, Notice};
use crate::with_conn;

/// Sends a draft (owners only); returns how many answers it has.
pub fn send(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<usize> {
    let survey = access::owned_survey(conn, acting, id)?;
    if survey.state != DRAFT {
        return Err(refused(
            "id",
            "surveys.err.alreadySent",
            "The survey has already been sent.",
        )
        .into());
    }
    let now = acting.now().timestamp();
    if survey.due_at <= now {
        return Err(refused(
            "dueAt",
            "surveys.err.duePast",
            "The due date and time has passed. Change it before sending.",
        )
        .into());
    }
    // The organisations, lists expanded, each once (the first mention's contacts win).
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut orgs: Vec<(String, String, Option<Vec<String>>)> = Vec::new();
    for r in survey.recipients_list() {
        if r.kind == "list" {
            let entries: Option<(String, String)> = match r.code.parse::<i64>() {
                Ok(list) => with_conn!(conn, |c| survey_lists::table
                    .find(list)
                    .select((survey_lists::owner, survey_lists::entries))
                    .first(c)
                    .optional())?,
                Err(_) => None,
            };
            if let Some((_, entries)) = entries {
                let entries: Vec<super::Organisation> =
                    serde_json::from_str(&entries).unwrap_or_default();
                for e in entries {
                    if seen.insert((e.kind.clone(), e.code.clone())) {
                        orgs.push((e.kind, e.code, None));
                    }
                }
            }
        } else if seen.insert((r.kind.clone(), r.code.clone())) {
            orgs.push((r.kind, r.code, r.contacts));
        }
    }
    if orgs.is_empty() {
        return Err(refused(
            "recipients",
            "surveys.err.noRecipients",
            "Choose at least one organisation to send the survey to.",
        )
        .into());
    }
    // Claim the draft first: a concurrent send of the same survey finds it open and stops.
    let claimed = with_conn!(conn, |c| diesel::update(
        surveys::table
            .filter(surveys::id.eq(id))
            .filter(surveys::state.eq(DRAFT))
    )
    .set((
        surveys::state.eq(OPEN),
        surveys::sent_at.eq(Some(now)),
        surveys::updated_at.eq(now),
    ))
    .execute(c))?;
    if claimed == 0 {
        return Err(wrong_state().into());
    }
    let resolved = super::store::organisations_of(
        conn,
        &orgs
            .iter()
            .map(|(k, c, _)| (k.clone(), c.clone()))
            .collect::<Vec<_>>(),
    )?;
    let mut rows: Vec<(String, String, String, String)> = Vec::with_capacity(orgs.len());
    for ((kind_, code, contacts), found) in orgs.into_iter().zip(resolved) {
        let Some((name, members, guests)) = found else {
            return Err(refused(
                "recipients",
                "surveys.err.unknownOrganisation",
                &format!("The organisation ({kind_}: {code}) does not exist."),
            )
            .into());
        };
        let contacts: Vec<String> = match contacts {
            Some(c) => c.into_iter().filter(|u| members.contains(u)).collect(),
            None if kind_ == SPACE && !guests.is_empty() => guests,
            None => members,
        };
        rows.push((kind_, code, name, serde_json::to_string(&contacts)?));
    }
    for chunk in rows.chunks(200) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(k, c, n, contacts)| {
                (
                    survey_answers::survey_id.eq(id),
                    survey_answers::org_kind.eq(k.clone()),
                    survey_answers::org_code.eq(c.clone()),
                    survey_answers::org_name.eq(n.clone()),
                    survey_answers::contacts.eq(contacts.clone()),
                    survey_answers::state.eq(UNOPENED),
                    survey_answers::return_comment.eq(""),
                    survey_answers::answer_values.eq("{}"),
                    survey_answers::sheet_rows.eq("[]"),
                    survey_answers::sheet_problems.eq("[]"),
                    survey_answers::revision.eq(1_i64),
                )
            })
            .collect();
        with_conn!(conn, |c| diesel::insert_into(survey_answers::table)
            .values(&values)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    let answers = AnswerRow::of_survey(conn, id)?;
    let body = crate::spaces::html::plain_text(&survey.body);
    let source = format!("survey:{id}:sent");
    let notices: Vec<(Vec<String>, Notice)> = answers
        .iter()
        .map(|a| {
            (
                a.contact_codes(),
                contact_notice(acting, &survey, a, &source, &body),
            )
        })
        .collect();
    notifications::notify_each(conn, &notices, now)?;
    for days in survey.reminder_days() {
        let run_at = survey.due_at - days * 86_400;
        if run_at <= now {
            continue;
        }
        let key = format!("{REMIND_JOB}:{id}:{days}");
        crate::jobs::enqueue(
            conn,
            &crate::jobs::NewJob {
                kind: REMIND_JOB,
                dedupe_key: &key,
                payload: &json!({"survey": id, "days": days}),
                run_at,
                max_attempts: 5,
            },
            now,
        )?;
    }
    acting.audit(
        conn,
        super::audit_action::SEND,
        &format!("survey:{id}"),
        json!({"title": survey.title, "answers": answers.len()}),
    )?;
    Ok(answers.len())
}

/// The bell notice of one answer to its contacts.
pub(crate) fn notify_contacts(
    conn: &mut DbConn,
    acting: &ActingContext,
    survey: &SurveyRow,
    answer: &AnswerRow,
    source_key: &str,
    body: &str,
    now: i64,
) -> EngineResult<usize> {
    notifications::notify(
        conn,
        &answer.contact_codes(),
        &contact_notice(acting, survey, answer, source_key, body),
        now,
    )
}

/// The notice to an answer's contacts, linking to the answer.
fn contact_notice(
    acting: &ActingContext,
    survey: &SurveyRow,
    answer: &AnswerRow,
    source_key: &str,
    body: &str,
) -> Notice {
    let space_id = if answer.org_kind == SPACE {
        answer.org_code.parse::<i64>().ok()
    } else {
        None
    };
    Notice {
        kind: kind::SURVEY,
        source_key: source_key.to_owned(),
        title: survey.title.clone(),
        body: body.to_owned(),
        link: format!("/surveys/answers/{}", answer.id),
        actor: actor_of(acting),
        space_id,
        ..Notice::default()
    }
}

/// The bell notice to the survey's owners about one answer.
pub(crate) fn notify_owners(
    conn: &mut DbConn,
    acting: &ActingContext,
    survey: &SurveyRow,
    answer: &AnswerRow,
    source_key: &str,
    body: &str,
    now: i64,
) -> EngineResult<usize> {
    notifications::notify(
        conn,
        &survey.owner_codes(),
        &Notice {
            kind: kind::SURVEY,
            source_key: source_key.to_owned(),
            title: format!("{} / {}", survey.title, answer.org_name),
            body: body.to_owned(),
            link: format!("/surveys/{}", survey.id),
            actor: actor_of(acting),
            ..Notice::default()
        },
        now,
    )
}

fn actor_of(acting: &ActingContext) -> String {
    match acting.principal() {
        crate::acl::Principal::User { code, .. } => code.clone(),
        _ => String::new(),
    }
}

/// Whether an answer still waits for its organisation.
fn unanswered(a: &AnswerRow) -> bool {
    !matches!(a.state.as_str(), SUBMITTED | ACCEPTED)
}

/// Reminds the organisations that have not answered (owners only; all of them, or those of
/// `only`); returns how many answers were reminded.
pub fn remind(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
    only: Option<&[i64]>,
) -> EngineResult<usize> {
    let survey = access::owned_survey(conn, acting, id)?;
    if survey.state != OPEN {
        return Err(not_open(&survey).into());
    }
    let now = acting.now().timestamp();
    let answers = AnswerRow::of_survey(conn, id)?;
    if let Some(only) = only {
        if let Some(bad) = only.iter().find(|a| !answers.iter().any(|x| x.id == **a)) {
            return Err(refused(
                "answers",
                "surveys.err.notAnAnswer",
                &format!("The answer (ID: {bad}) is not an answer of this survey."),
            )
            .into());
        }
    }
    let n = survey.reminders_sent + 1;
    with_conn!(conn, |c| diesel::update(surveys::table.find(id))
        .set(surveys::reminders_sent.eq(n))
        .execute(c))?;
    let actor = actor_of(acting);
    let mut reminded = 0;
    for a in answers
        .iter()
        .filter(|a| unanswered(a) && only.is_none_or(|o| o.contains(&a.id)))
    {
        notify_contacts(
            conn,
            acting,
            &survey,
            a,
            &format!("survey:{id}:remind:{n}"),
            &remind_text(&survey, a),
            now,
        )?;
        add_event(conn, a.id, now, &actor, "reminded", "")?;
        reminded += 1;
    }
    acting.audit(
        conn,
        super::audit_action::REMIND,
        &format!("survey:{id}"),
        json!({"answers": reminded}),
    )?;
    Ok(reminded)
}

fn remind_text(survey: &SurveyRow, a: &AnswerRow) -> String {
    format!("{} — {}", a.org_name, super::iso(a.due(survey)))
}

fn not_open(survey: &SurveyRow) -> crate::error::UserError {
    if survey.state == CLOSED {
        super::closed_error()
    } else {
        refused(
            "id",
            "surveys.err.notSent",
            "The survey has not been sent yet.",
        )
    }
}

/// Runs the reminder job `job_key` (payload `{survey, days}`): notifies the contacts of every
/// answer not submitted or accepted, once per job. Returns how many answers were reminded. A
/// closed or deleted survey reminds nobody.
pub fn run_reminder(
    conn: &mut DbConn,
    payload: &Value,
    job_key: &str,
    now: i64,
) -> EngineResult<usize> {
    let Some(id) = payload.get("survey").and_then(Value::as_i64) else {
        return Ok(0);
    };
    let Some(survey) = SurveyRow::find(conn, id)? else {
        return Ok(0);
    };
    if survey.state != OPEN {
        return Ok(0);
    }
    let acting = ActingContext::system(crate::acting::Channel::System, chrono_tz::UTC);
    let mut reminded = 0;
    for a in AnswerRow::of_survey(conn, id)?
        .iter()
        .filter(|a| unanswered(a))
    {
        let written = notify_contacts(
            conn,
            &acting,
            &survey,
            a,
            &format!("survey:{id}:remind:{job_key}"),
            &remind_text(&survey, a),
            now,
        )?;
        if written > 0 {
            add_event(conn, a.id, now, "", "reminded", "")?;
        }
        reminded += 1;
    }
    Ok(reminded)
}
