//! THE access rule of surveys. Who may do what:
//! - the survey's **owners** (its creator and the user codes in `owners`) see and manage
//!   everything of the survey and its answers;
//! - the **members of an answer's organisation** open that answer and the request it answers:
//!   for a guest space, the space's members (a guest only through the path of that guest space,
//!   `/api/guest/<space>/...`; `ActingContext::admit_guest` already keeps a guest on its own
//!   spaces' paths); for a department, its direct members (never through a guest path);
//! - nobody else: `Forbidden` (kintone `CB_NO02`), also for an id that does not exist, so that a
//!   guessed id tells nothing.
//!
//! API tokens never reach surveys (`TokenNotPermitted`). Files attached to a survey follow the
//! survey (owners while a draft; owners and the members of any of its organisations once sent);
//! an uploaded answer sheet follows its answer.

use diesel::prelude::*;

use super::{AnswerRow, SurveyRow, DEPARTMENT, DRAFT, SPACE};
use crate::acl::Principal;
use crate::acting::{ActingContext, Channel};
use crate::db::schema::{space_members, survey_answer_files, survey_answers, survey_files};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::with_conn;

/// How the actor stands to a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyRole {
    /// Sees and manages everything.
    Owner,
    /// A member of the organisations of these answers (never empty).
    Member(Vec<i64>),
}

/// How the actor stands to one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRole {
    Owner,
    Member,
}

fn refuse_tokens(acting: &ActingContext) -> EngineResult<()> {
    if acting.principal().is_token() {
        return Err(UserError::TokenNotPermitted.into());
    }
    Ok(())
}

/// Whether the actor is one of the survey's owners (the server itself is).
pub fn is_owner(acting: &ActingContext, survey: &SurveyRow) -> bool {
    match acting.principal() {
        Principal::System => true,
        Principal::Tokens(_) | Principal::PublicForm { .. } => false,
        Principal::User { code, guest, .. } => {
            // A guest never owns a survey, whatever a list says; and owners act outside guest paths.
            !*guest && acting.guest_space().is_none() && survey.owner_codes().contains(code)
        }
    }
}

/// The guest spaces and departments whose organisation the actor is a member of, through this
/// context's path: `(space ids, department codes)`.
pub fn member_organisations(
    conn: &mut DbConn,
    acting: &ActingContext,
) -> EngineResult<(Vec<i64>, Vec<String>)> {
    let Principal::User {
        code,
        departments,
        own_departments,
        groups,
        guest,
        ..
    } = acting.principal()
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut names: Vec<String> = vec![code.clone()];
    names.extend(groups.iter().cloned());
    names.extend(departments.iter().cloned());
    let rows: Vec<(i64, String, String, bool)> = with_conn!(conn, |c| space_members::table
        .filter(space_members::code.eq_any(&names))
        .select((
            space_members::space_id,
            space_members::entity_type,
            space_members::code,
            space_members::include_subs,
        ))
        .load(c))?;
    let mut spaces: Vec<i64> = rows
        .into_iter()
        .filter(|(_, kind, c, subs)| match kind.as_str() {
            crate::spaces::USER => c == code,
            crate::spaces::GROUP => groups.contains(c),
            crate::spaces::ORGANIZATION if *subs => departments.contains(c),
            crate::spaces::ORGANIZATION => own_departments.contains(c),
            _ => false,
        })
        .map(|(space, ..)| space)
        .collect();
    spaces.sort_unstable();
    spaces.dedup();
    // The path rule: through a guest space's path, only that space's organisation; a guest
    // without a path (pages) reaches its own guest spaces, as pages reach apps (G6).
    let path = acting.guest_space();
    match path {
        Some(p) => spaces.retain(|s| *s == p),
        None if *guest && acting.channel() != Channel::Page => spaces.clear(),
        None => {}
    }
    let departments = if path.is_some() || *guest {
        Vec::new()
    } else {
        own_departments.clone()
    };
    Ok((spaces, departments))
}

/// Whether the actor is a member of the answer's organisation (through this context's path).
pub fn is_member(
    conn: &mut DbConn,
    acting: &ActingContext,
    answer: &AnswerRow,
) -> EngineResult<bool> {
    let (spaces, departments) = member_organisations(conn, acting)?;
    Ok(match answer.org_kind.as_str() {
        SPACE => answer
            .org_code
            .parse::<i64>()
            .is_ok_and(|s| spaces.contains(&s)),
        DEPARTMENT => departments.contains(&answer.org_code),
        _ => false,
    })
}

/// The survey `id` for one of its owners; anyone else (and a missing survey) is `Forbidden`.
pub fn owned_survey(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<SurveyRow> {
    refuse_tokens(acting)?;
    match SurveyRow::find(conn, id)? {
        Some(s) if is_owner(acting, &s) => Ok(s),
        _ => Err(UserError::Forbidden.into()),
    }
}

/// The survey `id` and how the actor stands to it. Members see a survey only once it is sent.
pub fn open_survey(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<(SurveyRow, SurveyRole)> {
    refuse_tokens(acting)?;
    let Some(survey) = SurveyRow::find(conn, id)? else {
        return Err(UserError::Forbidden.into());
    };
    if is_owner(acting, &survey) {
        return Ok((survey, SurveyRole::Owner));
    }
    if survey.state == DRAFT {
        return Err(UserError::Forbidden.into());
    }
    let ids = member_answers(conn, acting, id)?;
    if ids.is_empty() {
        return Err(UserError::Forbidden.into());
    }
    Ok((survey, SurveyRole::Member(ids)))
}

/// The ids of the survey's answers whose organisation the actor is a member of.
pub fn member_answers(
    conn: &mut DbConn,
    acting: &ActingContext,
    survey: i64,
) -> EngineResult<Vec<i64>> {
    let (spaces, departments) = member_organisations(conn, acting)?;
    let space_codes: Vec<String> = spaces.iter().map(i64::to_string).collect();
    let mut ids: Vec<i64> = Vec::new();
    if !space_codes.is_empty() {
        ids.extend(with_conn!(conn, |c| survey_answers::table
            .filter(survey_answers::survey_id.eq(survey))
            .filter(survey_answers::org_kind.eq(SPACE))
            .filter(survey_answers::org_code.eq_any(&space_codes))
            .select(survey_answers::id)
            .load::<i64>(c))?);
    }
    if !departments.is_empty() {
        ids.extend(with_conn!(conn, |c| survey_answers::table
            .filter(survey_answers::survey_id.eq(survey))
            .filter(survey_answers::org_kind.eq(DEPARTMENT))
            .filter(survey_answers::org_code.eq_any(&departments))
            .select(survey_answers::id)
            .load::<i64>(c))?);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The answer `id` with its survey, for its owners or its organisation's members; anyone else
/// (and a missing answer) is `Forbidden`.
pub fn open_answer(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<(SurveyRow, AnswerRow, AnswerRole)> {
    refuse_tokens(acting)?;
    let Some(answer) = AnswerRow::find(conn, id)? else {
        return Err(UserError::Forbidden.into());
    };
    let Some(survey) = SurveyRow::find(conn, answer.survey_id)? else {
        return Err(UserError::Forbidden.into());
    };
    if is_owner(acting, &survey) {
        return Ok((survey, answer, AnswerRole::Owner));
    }
    if is_member(conn, acting, &answer)? {
        return Ok((survey, answer, AnswerRole::Member));
    }
    Err(UserError::Forbidden.into())
}

/// The answer `id` for one of its survey's owners only.
pub fn owned_answer(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<(SurveyRow, AnswerRow)> {
    match open_answer(conn, acting, id)? {
        (s, a, AnswerRole::Owner) => Ok((s, a)),
        _ => Err(UserError::Forbidden.into()),
    }
}

/// The answer `id` for its organisation's members only (owners who are not members may look but
/// not answer).
pub fn answering(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<(SurveyRow, AnswerRow)> {
    let (s, a, _) = open_answer(conn, acting, id)?;
    if !is_member(conn, acting, &a)? {
        return Err(UserError::Forbidden.into());
    }
    Ok((s, a))
}

/// Whether the actor may download the survey file `key`: `None` when `key` is not a survey's
/// file (another rule decides), else `Some(allowed)`.
pub fn may_download(
    conn: &mut DbConn,
    acting: &ActingContext,
    key: &str,
) -> EngineResult<Option<bool>> {
    if acting.principal().is_token() {
        let attached = survey_of_file(conn, key)?.is_some() || answer_of_file(conn, key)?.is_some();
        return Ok(attached.then_some(false));
    }
    if let Some(survey) = survey_of_file(conn, key)? {
        let Some(row) = SurveyRow::find(conn, survey)? else {
            return Ok(Some(false));
        };
        if is_owner(acting, &row) {
            return Ok(Some(true));
        }
        if row.state == DRAFT {
            return Ok(Some(false));
        }
        return Ok(Some(!member_answers(conn, acting, survey)?.is_empty()));
    }
    if let Some(answer) = answer_of_file(conn, key)? {
        return Ok(Some(open_answer(conn, acting, answer).is_ok()));
    }
    Ok(None)
}

/// The survey a file is attached to (attachment or sheet template).
pub fn survey_of_file(conn: &mut DbConn, key: &str) -> EngineResult<Option<i64>> {
    Ok(with_conn!(conn, |c| survey_files::table
        .find(key)
        .select(survey_files::survey_id)
        .first(c)
        .optional())?)
}

/// The answer an uploaded answer sheet belongs to.
pub fn answer_of_file(conn: &mut DbConn, key: &str) -> EngineResult<Option<i64>> {
    Ok(with_conn!(conn, |c| survey_answer_files::table
        .find(key)
        .select(survey_answer_files::answer_id)
        .first(c)
        .optional())?)
}
