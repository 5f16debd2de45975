//! Who last changed an app's scripts, and when, per settings stage (`app_settings.scripts_changed_by`
//! / `_at`). App scripts act with the rights of this person as well as those of the user they run
//! for (the intersection, `acting::ActingContext::limited_by`), and scheduled scripts run as this
//! person: a script can never do more than the person who wrote it could (issue 12, the confused
//! deputy). The server stamps it whenever a change of the pre-live settings changes the scripts
//! (`save_preview`, `create_app`); deploy copies it to live and revert back. Nothing a client or a
//! package sends can set it.

use diesel::prelude::*;

use super::AppId;
use crate::db::schema::app_settings;
use crate::db::DbConn;
use crate::error::EngineResult;
use crate::with_conn;

/// The last change of a stage's scripts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptChange {
    /// The user code of who changed them.
    pub by: String,
    /// Unix seconds.
    pub at: i64,
}

/// The last change of `stage`'s scripts; `None` when the stage does not exist (or, for a row the
/// migration could not fill, nobody: scripts of such an app can reach no other app).
pub fn script_change(
    conn: &mut DbConn,
    app: AppId,
    stage: &str,
) -> EngineResult<Option<ScriptChange>> {
    let row: Option<(Option<String>, Option<i64>)> = with_conn!(conn, |c| app_settings::table
        .filter(
            app_settings::app_id
                .eq(app.0)
                .and(app_settings::stage.eq(stage))
        )
        .select((
            app_settings::scripts_changed_by,
            app_settings::scripts_changed_at
        ))
        .first(c)
        .optional())?;
    Ok(match row {
        Some((Some(by), at)) => Some(ScriptChange {
            by,
            at: at.unwrap_or_default(),
        }),
        _ => None,
    })
}

/// Stamps `stage`'s scripts as changed by `user` now.
pub(crate) fn stamp(conn: &mut DbConn, app: AppId, stage: &str, user: &str) -> EngineResult<()> {
    let now = chrono::Utc::now().timestamp();
    with_conn!(conn, |c| diesel::update(
        app_settings::table.filter(
            app_settings::app_id
                .eq(app.0)
                .and(app_settings::stage.eq(stage))
        )
    )
    .set((
        app_settings::scripts_changed_by.eq(Some(user)),
        app_settings::scripts_changed_at.eq(Some(now))
    ))
    .execute(c))?;
    Ok(())
}

/// Copies the last change from stage `from` to stage `to` (deploy: preview → live; revert back).
pub(crate) fn copy(conn: &mut DbConn, app: AppId, from: &str, to: &str) -> EngineResult<()> {
    let change = script_change(conn, app, from)?;
    let (by, at) = match change {
        Some(c) => (Some(c.by), Some(c.at)),
        None => (None, None),
    };
    with_conn!(conn, |c| diesel::update(
        app_settings::table.filter(
            app_settings::app_id
                .eq(app.0)
                .and(app_settings::stage.eq(to))
        )
    )
    .set((
        app_settings::scripts_changed_by.eq(by.as_deref()),
        app_settings::scripts_changed_at.eq(at)
    ))
    .execute(c))?;
    Ok(())
}
