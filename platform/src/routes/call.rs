//! The context of one kintone API call: the caller, their connection (inside the call's transaction),
//! the guest space of the URL, and the single place where an app is looked up and permission-checked.

use kumiki_engine::acl::{check_app_access, open_live_app, Access, AppRight};
use kumiki_engine::apps::{load_definition, AppId, AppRow, LiveApp, LIVE};
use kumiki_engine::db::DbConn;
use kumiki_engine::query::QueryContext;
use kumiki_engine::records::Actor;
use kumiki_engine::UserError;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub struct Call<'a> {
    pub state: &'a AppState,
    pub conn: &'a mut DbConn,
    pub caller: &'a Caller,
    /// `/k/guest/{space}/v1/...` requests carry the space id.
    pub guest_space: Option<i64>,
    /// Attachment files to remove from disk once the transaction has committed.
    pub removed_files: Vec<String>,
}

impl<'a> Call<'a> {
    pub fn actor(&self) -> Actor {
        Actor {
            code: self.caller.principal.acting_user().to_owned(),
            name: self.caller.principal.acting_name().to_owned(),
            timezone: self.caller.timezone,
            scripts: Some(self.state.scripts.context(self.caller.principal.clone())),
        }
    }

    /// Checks that the app exists and is reachable through this URL (guest space), then the right
    /// (the deployed app ACL, `acl::check_app_access`). Every app-scoped endpoint goes through here.
    pub fn app_row(&mut self, app: i64, right: AppRight) -> Result<AppRow, ApiError> {
        let row = AppRow::find(self.conn, AppId(app))?
            .ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
        self.check_space(&row)?;
        let live = load_definition(self.conn, AppId(app), LIVE)?;
        let access = Access::for_definition(
            &self.caller.principal,
            AppId(app),
            &row.creator,
            live.as_ref().map(|(d, _)| d),
            self.caller.timezone,
        );
        check_app_access(&access, right)?;
        Ok(row)
    }

    /// The live app, checked as `app_row` does, carrying the caller's rights (`LiveApp::access`) so
    /// that record reads, writes and rendering apply record and field permissions.
    pub fn live_app(&mut self, app: i64, right: AppRight) -> Result<LiveApp, ApiError> {
        let row = AppRow::find(self.conn, AppId(app))?
            .ok_or_else(|| UserError::AppNotFound(app.to_string()))?;
        self.check_space(&row)?;
        Ok(open_live_app(
            self.conn,
            row,
            &self.caller.principal,
            right,
            self.caller.timezone,
        )?)
    }

    fn check_space(&self, row: &AppRow) -> Result<(), ApiError> {
        // Spaces arrive in a later issue; an app's space_id marks it as living in a guest space when
        // that space is a guest space. Until spaces exist, apps have no space and a guest URL for them
        // is refused as kintone refuses a wrong space.
        match (row.space_id, self.guest_space) {
            (None, None) => Ok(()),
            (Some(app_space), Some(url_space)) if app_space == url_space => Ok(()),
            (Some(_), None) => Err(ApiError::guest_space_path_required()),
            _ => Err(ApiError::no_privilege()),
        }
    }

    /// Borrows only the caller (not the call), so the connection stays usable beside it.
    pub fn query_context<'d>(&self, app: &'d LiveApp) -> QueryContext<'d>
    where
        'a: 'd,
    {
        let caller: &'a Caller = self.caller;
        let state: &'a AppState = self.state;
        QueryContext {
            definition: &app.definition,
            login_user: caller.principal.acting_user(),
            primary_organization: None,
            timezone: caller.timezone,
            now: chrono::Utc::now(),
            access: app.access.as_deref(),
            text_matcher: Some(state.search.like_matcher()),
        }
    }
}
