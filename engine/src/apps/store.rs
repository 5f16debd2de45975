//! Storing apps and their two settings stages.
//!
//! Callers hold the transaction (`DbConn::write_transaction`) around these functions.
//!
//! Every settings write goes to the `preview` stage and bumps its revision; `deploy` copies preview to
//! live in one transaction, keeps the deployed definition as a numbered version, and brings stored
//! records in line (renamed field codes are rewritten, index rows of removed fields dropped).

use diesel::prelude::*;

use super::{AppDefinition, AppId};
use crate::db::schema::{app_settings, app_versions, apps, spaces};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::with_conn;

/// Stage names in `app_settings.stage`.
pub const PREVIEW: &str = "preview";
pub const LIVE: &str = "live";

/// An app's row: identity and bookkeeping, not its settings.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = apps)]
pub struct AppRow {
    pub id: i64,
    /// Read through `space()` for display; which path reaches the app is decided only by the acting
    /// context (`acting::ActingContext`) from `guest_space_of`.
    pub(crate) space_id: Option<i64>,
    pub(crate) thread_id: Option<i64>,
    pub creator: String,
    pub created_at: i64,
    pub modifier: String,
    pub modified_at: i64,
    pub next_record_id: i64,
    pub next_row_id: i64,
    pub live_version: i64,
    pub deploy_status: String,
}

/// One deployed version of an app.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = app_versions)]
pub struct AppVersion {
    pub app_id: i64,
    pub version: i64,
    pub definition: String,
    pub deployed_by: String,
    pub deployed_at: i64,
}

/// An app as record operations see it: its row and its live definition.
#[derive(Debug, Clone)]
pub struct LiveApp {
    pub row: AppRow,
    pub definition: AppDefinition,
    pub revision: i64,
    /// The rights of whoever opened it (`acting::ActingContext::open_app`; the server's own work
    /// opens with `ActingContext::system`). Record reads, writes and rendering consult it.
    pub access: std::sync::Arc<crate::acl::Access>,
}

impl LiveApp {
    pub fn id(&self) -> AppId {
        AppId(self.row.id)
    }
}

impl AppRow {
    pub fn find(conn: &mut DbConn, id: AppId) -> EngineResult<Option<AppRow>> {
        let row = with_conn!(conn, |c| apps::table
            .find(id.0)
            .select(AppRow::as_select())
            .first(c)
            .optional())?;
        Ok(row)
    }

    /// The space the app belongs to (display: `app.json`'s `spaceId`).
    pub fn space(&self) -> Option<i64> {
        self.space_id
    }

    /// The thread the app belongs to (display: `app.json`'s `threadId`).
    pub fn thread(&self) -> Option<i64> {
        self.thread_id
    }

    /// All apps in id order, for the server's own bookkeeping (the scheduler). Lists for a caller
    /// go through `ActingContext::visible_apps`.
    pub fn list(conn: &mut DbConn) -> EngineResult<Vec<AppRow>> {
        let rows = with_conn!(conn, |c| apps::table
            .order(apps::id.asc())
            .select(AppRow::as_select())
            .load(c))?;
        Ok(rows)
    }
}

/// Creates an app whose settings exist only in the preview stage until deployed.
pub fn create_app(
    conn: &mut DbConn,
    mut definition: AppDefinition,
    space_id: Option<i64>,
    thread_id: Option<i64>,
    user: &str,
) -> EngineResult<(AppId, i64)> {
    definition.assign_field_ids();
    // A new app is manageable only by its creator until its permissions are set.
    if definition.app_acl.is_none() {
        definition.app_acl = Some(super::creation::default_app_acl());
    }
    let json = serde_json::to_string(&definition)?;
    let now = chrono::Utc::now().timestamp();
    {
        let id: i64 = with_conn!(conn, |c| diesel::insert_into(apps::table)
            .values((
                apps::space_id.eq(space_id),
                apps::thread_id.eq(thread_id),
                apps::creator.eq(user),
                apps::created_at.eq(now),
                apps::modifier.eq(user),
                apps::modified_at.eq(now),
                apps::deploy_status.eq("SUCCESS"),
            ))
            .returning(apps::id)
            .get_result(c))?;
        with_conn!(conn, |c| diesel::insert_into(app_settings::table)
            .values((
                app_settings::app_id.eq(id),
                app_settings::stage.eq(PREVIEW),
                app_settings::revision.eq(1i64),
                app_settings::definition.eq(&json),
            ))
            .execute(c))?;
        // Whatever scripts a new app starts with (a package's) are its creator's.
        super::script_authors::stamp(conn, AppId(id), PREVIEW, user)?;
        Ok((AppId(id), 1))
    }
}

/// The definition of a stage and its revision, or None when the stage does not exist (an app that was
/// never deployed has no live stage).
pub fn load_definition(
    conn: &mut DbConn,
    app: AppId,
    stage: &str,
) -> EngineResult<Option<(AppDefinition, i64)>> {
    let row: Option<(i64, String)> = with_conn!(conn, |c| app_settings::table
        .filter(
            app_settings::app_id
                .eq(app.0)
                .and(app_settings::stage.eq(stage))
        )
        .select((app_settings::revision, app_settings::definition))
        .first(c)
        .optional())?;
    match row {
        None => Ok(None),
        Some((revision, json)) => Ok(Some((serde_json::from_str(&json)?, revision))),
    }
}

/// The guest space whose path reaches the app: its space when that space is a guest space, else
/// `None` (no space, or a space that is not a guest space). Read by the acting context only.
pub(crate) fn guest_space_of(conn: &mut DbConn, row: &AppRow) -> EngineResult<Option<i64>> {
    let Some(space) = row.space_id else {
        return Ok(None);
    };
    let is_guest: Option<bool> = with_conn!(conn, |c| spaces::table
        .find(space)
        .select(spaces::is_guest)
        .first(c)
        .optional())?;
    // A space id without its space row is treated as a guest space: the stricter reading.
    Ok(match is_guest {
        Some(false) => None,
        _ => Some(space),
    })
}

/// The live app with `principal`'s rights evaluated but NOT checked: for engine paths that check
/// the rights themselves (a lookup's source app, read with the writer's rights) or that act as the
/// system (`ActingContext::system`). `AppNotFound` when the app does not exist or was never deployed.
pub(crate) fn load_live_with_rights_of(
    conn: &mut DbConn,
    app: AppId,
    principal: &crate::acl::Principal,
    timezone: chrono_tz::Tz,
) -> EngineResult<LiveApp> {
    let row = AppRow::find(conn, app)?.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
    let (definition, revision) = load_definition(conn, app, LIVE)?
        .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
    let access = crate::acl::Access::for_definition(
        principal,
        app,
        &row.creator,
        Some(&definition),
        timezone,
    );
    Ok(LiveApp {
        row,
        definition,
        revision,
        access: std::sync::Arc::new(access),
    })
}

/// SQL condition on an `apps a` row: the app is not in a guest space (the rule of
/// `guest_space_of`, for queries that join apps).
pub(crate) const OUTSIDE_GUEST_SPACES_SQL: &str = "(a.space_id IS NULL OR EXISTS \
     (SELECT 1 FROM spaces s WHERE s.id = a.space_id AND NOT s.is_guest))";

/// Replaces the preview definition. `expected_revision` (absent or -1: no check) must be the current
/// preview revision. Returns the new revision.
pub fn save_preview(
    conn: &mut DbConn,
    app: AppId,
    expected_revision: Option<i64>,
    user: &str,
    change: impl FnOnce(&mut AppDefinition) -> EngineResult<()>,
) -> EngineResult<i64> {
    {
        if AppRow::find(conn, app)?.is_none() {
            return Err(UserError::AppNotFound(app.0.to_string()).into());
        }
        let (mut definition, revision) = load_definition(conn, app, PREVIEW)?
            .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        if let Some(expected) = expected_revision.filter(|r| *r != -1) {
            if expected != revision {
                return Err(UserError::SettingsRevisionConflict.into());
            }
        }
        let before = definition.clone();
        let scripts_before = definition.scripts.clone();
        change(&mut definition)?;
        definition.assign_field_ids();
        super::creation::follow_field_acl(&before, &mut definition);
        let json = serde_json::to_string(&definition)?;
        let new_revision = revision + 1;
        let now = chrono::Utc::now().timestamp();
        with_conn!(conn, |c| diesel::update(
            app_settings::table.filter(
                app_settings::app_id
                    .eq(app.0)
                    .and(app_settings::stage.eq(PREVIEW))
            )
        )
        .set((
            app_settings::revision.eq(new_revision),
            app_settings::definition.eq(&json)
        ))
        .execute(c))?;
        with_conn!(conn, |c| diesel::update(apps::table.find(app.0))
            .set((apps::modifier.eq(user), apps::modified_at.eq(now)))
            .execute(c))?;
        // Any path that changes the scripts (the scripts API, a rollback, ...) makes `user` their
        // last changer: the scripts then act within `user`'s rights.
        if definition.scripts != scripts_before {
            super::script_authors::stamp(conn, app, PREVIEW, user)?;
        }
        Ok(new_revision)
    }
}

/// Copies preview to live (or, with `revert`, live back to preview). `check` validates the preview
/// definition against stored data before anything is written; its error fails the deploy.
pub fn deploy(
    conn: &mut DbConn,
    app: AppId,
    expected_revision: Option<i64>,
    revert: bool,
    user: &str,
    check: impl FnOnce(&mut DbConn, &AppDefinition, Option<&AppDefinition>) -> EngineResult<()>,
) -> EngineResult<()> {
    {
        let row =
            AppRow::find(conn, app)?.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        let (preview, preview_revision) = load_definition(conn, app, PREVIEW)?
            .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        if let Some(expected) = expected_revision.filter(|r| *r != -1) {
            if expected != preview_revision {
                return Err(UserError::SettingsRevisionConflict.into());
            }
        }
        let live = load_definition(conn, app, LIVE)?;
        // Fields, charts or the process may change: charts kept current on write start over.
        crate::reports::rollup::drop_app(conn, app)?;
        if revert {
            // Discard pre-live changes: preview becomes the live definition again.
            let Some((live_def, _)) = live else {
                return Ok(());
            };
            let json = serde_json::to_string(&live_def)?;
            with_conn!(conn, |c| diesel::update(
                app_settings::table.filter(
                    app_settings::app_id
                        .eq(app.0)
                        .and(app_settings::stage.eq(PREVIEW))
                )
            )
            .set((
                app_settings::revision.eq(preview_revision + 1),
                app_settings::definition.eq(&json)
            ))
            .execute(c))?;
            super::script_authors::copy(conn, app, LIVE, PREVIEW)?;
            return Ok(());
        }
        // Apps under review deploy only approved pre-live settings (`review::check_gate`).
        crate::review::check_gate(
            conn,
            app,
            &preview,
            preview_revision,
            live.as_ref().map(|(d, _)| d),
        )?;
        // Every deploy path: a field permission must name a field, or the field it was meant
        // for would be open to everyone.
        super::creation::check_field_acl_codes(&preview)?;
        check(conn, &preview, live.as_ref().map(|(d, _)| d))?;
        if let Some((live_def, _)) = &live {
            super::migrate::check_type_changes(conn, app, live_def, &preview)?;
            super::migrate::apply_definition_change(conn, app, live_def, &preview)?;
        }
        crate::process::sync_on_deploy(conn, app, live.as_ref().map(|(d, _)| d), &preview)?;
        crate::records::gaps::on_deploy(conn, app, live.as_ref().map(|(d, _)| d), &preview)?;
        let json = serde_json::to_string(&preview)?;
        let now = chrono::Utc::now().timestamp();
        let version = row.live_version + 1;
        let updated = with_conn!(conn, |c| diesel::update(
            app_settings::table.filter(
                app_settings::app_id
                    .eq(app.0)
                    .and(app_settings::stage.eq(LIVE))
            )
        )
        .set((
            app_settings::revision.eq(preview_revision),
            app_settings::definition.eq(&json)
        ))
        .execute(c))?;
        if updated == 0 {
            with_conn!(conn, |c| diesel::insert_into(app_settings::table)
                .values((
                    app_settings::app_id.eq(app.0),
                    app_settings::stage.eq(LIVE),
                    app_settings::revision.eq(preview_revision),
                    app_settings::definition.eq(&json),
                ))
                .execute(c))?;
        }
        super::script_authors::copy(conn, app, PREVIEW, LIVE)?;
        with_conn!(conn, |c| diesel::insert_into(app_versions::table)
            .values((
                app_versions::app_id.eq(app.0),
                app_versions::version.eq(version),
                app_versions::definition.eq(&json),
                app_versions::deployed_by.eq(user),
                app_versions::deployed_at.eq(now),
            ))
            .execute(c))?;
        with_conn!(conn, |c| diesel::update(apps::table.find(app.0))
            .set((
                apps::live_version.eq(version),
                apps::deploy_status.eq("SUCCESS")
            ))
            .execute(c))?;
        // Fields, their permissions or the app's name may have changed: derived copies re-read it.
        let deployed = crate::records::changes::ChangeKind::AppDeployed;
        crate::records::changes::app_changed(conn, app, deployed, Some(user))
    }
}

/// Deployed versions of an app, newest first.
pub fn versions(conn: &mut DbConn, app: AppId) -> EngineResult<Vec<AppVersion>> {
    let rows = with_conn!(conn, |c| app_versions::table
        .filter(app_versions::app_id.eq(app.0))
        .order(app_versions::version.desc())
        .select(AppVersion::as_select())
        .load(c))?;
    Ok(rows)
}

/// Deletes an app with its records and settings.
pub fn delete_app(conn: &mut DbConn, app: AppId) -> EngineResult<()> {
    {
        crate::reports::rollup::drop_app(conn, app)?;
        crate::reports::snapshots::drop_app(conn, app)?;
        crate::records::gaps::forget(conn, app, None)?;
        for table in [
            "record_values_num",
            "record_values_text",
            "record_values_long",
            "record_comments",
            "record_history",
            "records",
            "cursors",
        ] {
            let mut b = conn.sql();
            b.push(&format!("DELETE FROM {table} WHERE app_id = "))
                .bind_int(app.0);
            conn.execute(&b)?;
        }
        let n = with_conn!(conn, |c| diesel::delete(apps::table.find(app.0)).execute(c))?;
        if n == 0 {
            return Err(EngineError::User(UserError::AppNotFound(app.0.to_string())));
        }
        // No caller passes an actor yet (only tests delete apps).
        let deleted = crate::records::changes::ChangeKind::AppDeleted;
        crate::records::changes::app_changed(conn, app, deleted, None)
    }
}
