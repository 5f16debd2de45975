//! The context of one kintone API call: the caller, their connection (inside the call's transaction)
//! and their acting context (`kumiki_engine::acting`), through which every app is opened.

use kumiki_engine::acl::AppRight;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::{AppId, AppRow, LiveApp};
use kumiki_engine::db::DbConn;
use kumiki_engine::query::QueryContext;
use kumiki_engine::records::Actor;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

pub struct Call<'a> {
    pub state: &'a AppState,
    pub conn: &'a mut DbConn,
    pub caller: &'a Caller,
    /// Who acts, through the API and the guest-space path of the URL (`/k/guest/{space}/v1/...`).
    pub acting: &'a ActingContext,
    /// Attachment files to remove from disk once the transaction has committed.
    pub removed_files: Vec<String>,
    /// Record reads of apps that log them (`audit::logs_record_views`): app, query, record ids.
    /// Written after the (read) transaction, so a GET never upgrades to a write lock.
    pub viewed: Vec<(i64, Option<String>, Vec<i64>)>,
}

impl<'a> Call<'a> {
    /// A call of `caller` acting as `acting` (`Caller::api_acting`).
    pub fn new(
        state: &'a AppState,
        conn: &'a mut DbConn,
        caller: &'a Caller,
        acting: &'a ActingContext,
    ) -> Call<'a> {
        Call {
            state,
            conn,
            caller,
            acting,
            removed_files: Vec::new(),
            viewed: Vec::new(),
        }
    }

    /// Notes a read of `ids` in `app` for the audit log when the app logs record views.
    pub fn note_view(&mut self, app: &LiveApp, query: Option<&str>, ids: Vec<i64>) {
        if kumiki_engine::audit::logs_record_views(&app.definition) {
            self.viewed
                .push((app.row.id, query.map(str::to_owned), ids));
        }
    }

    /// The guest space of the URL, if any.
    pub fn guest_space(&self) -> Option<i64> {
        self.acting.guest_space()
    }

    /// The writer of this call's changes, with the app scripts a save runs.
    pub fn actor(&self) -> Actor {
        Actor {
            scripts: Some(
                self.state
                    .scripts
                    .context(self.acting.clone().in_channel(Channel::Script)),
            ),
            ..self.acting.actor()
        }
    }

    /// The app's row when it exists, is reachable through this URL and the caller has `right`
    /// (`ActingContext::find_app`).
    pub fn app_row(&mut self, app: i64, right: AppRight) -> Result<AppRow, ApiError> {
        Ok(self.acting.find_app(self.conn, AppId(app), right)?)
    }

    /// The live app, checked as `app_row` does, carrying the caller's rights (`LiveApp::access`).
    pub fn live_app(&mut self, app: i64, right: AppRight) -> Result<LiveApp, ApiError> {
        Ok(self.acting.open_app(self.conn, AppId(app), right)?)
    }

    /// The caller's query context on `app`, with the full-text index for `like`. Borrows only the
    /// acting context and state (not the call), so the connection stays usable beside it.
    pub fn query_context<'d>(&self, app: &'d LiveApp) -> QueryContext<'d>
    where
        'a: 'd,
    {
        let acting: &'a ActingContext = self.acting;
        let state: &'a AppState = self.state;
        acting.query_context(app, Some(state.search.like_matcher()))
    }

    /// Appends a successful action of the caller to the audit log, in the call's transaction.
    pub fn audit(
        &mut self,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), ApiError> {
        Ok(self.acting.audit(self.conn, action, target, detail)?)
    }
}

impl Caller {
    /// The caller acting through `channel`, outside any guest space.
    pub fn acting(&self, channel: Channel) -> ActingContext {
        ActingContext::new(self.principal.clone(), channel, self.timezone)
            .with_peer(self.peer.clone(), self.via)
    }

    /// The caller acting through the API by the path of `guest_space` (None: `/k/v1`).
    pub fn api_acting(&self, guest_space: Option<i64>) -> ActingContext {
        self.acting(Channel::Api).through_guest_space(guest_space)
    }
}
