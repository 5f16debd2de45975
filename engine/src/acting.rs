//! The acting context: who acts, through which channel and guest-space path, in which time zone and
//! at what time. It is the ONE way an app is opened for someone (it exists, it is reachable through
//! this path, and the app rights allow it; record and field rights attached), the one list of the
//! apps someone may see, the one builder of query contexts for a caller, and the writer of the
//! caller's audit rows.
//!
//! Every channel builds one: the kintone API and its `bulkRequest` and file calls (`Channel::Api`
//! with the guest-space id of the URL), the browser pages (`Channel::Page`), app scripts' host calls
//! (`Channel::Script`, through the path of the script's own app), scheduled scripts
//! (`Channel::Schedule`), the command line (`Channel::Cli`), the residents' pages of public forms
//! (`Channel::PublicForm`: the platform opens them as the system, the engine writes the record as
//! `Principal::PublicForm`, which reaches only the form's own app, lists no apps, enters no
//! spaces, sees no people and reaches no settings). Unrestricted access exists only through
//! [`ActingContext::system`]: grep for it to find every place that bypasses rights.
//!
//! The guest-space rule (kintone's): an app in a guest space is reached only through
//! `/k/guest/<that space>/...`; every other app (no space, or a space that is not a guest space) only
//! without a guest path. A wrong guest path is `Forbidden`; a guest-space app asked for without its
//! path is `GuestSpacePathRequired`.
//!
//! Pages (issue 13, guests): their URLs carry no guest-space path, so a page reaches an app through
//! the app's own path; the page's scripts call the API through that path (`kumiki.js`).
//!
//! The space rule (issue 13): an app attached to a private space or a guest space is reached only by
//! the space's members (`spaces::may_enter`); a guest user reaches nothing outside the guest spaces
//! they are members of, and only through those spaces' paths. API tokens reach their own app
//! wherever it is. Spaces themselves are entered through [`ActingContext::enter_space`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::acl::{check_app_access, Access, AppRight, Principal};
use crate::apps::{load_definition, AppDefinition, AppId, AppRow, LiveApp, LIVE};
use crate::audit::{self, AuditEvent};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::query::{QueryContext, TextMatcher};
use crate::records::Actor;

/// How the actor reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The kintone REST API (`/k/v1`, `/k/guest/<space>/v1`), its bulk requests and file calls, and
    /// Kumiki's `/api/...` calls in the same conventions.
    Api,
    /// The browser pages and their form posts.
    Page,
    /// The host calls of an app script run by a save, a process action or a test run.
    Script,
    /// A scheduled app script (durable job).
    Schedule,
    /// The `kumiki` command line.
    Cli,
    /// The server's own work (indexing, migrations of data, background jobs that act for no one).
    System,
    /// The residents' pages of a public form (issue 15, `/f/<slug>`).
    PublicForm,
}

impl Channel {
    /// The stable name written to audit rows and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Page => "page",
            Channel::Script => "script",
            Channel::Schedule => "schedule",
            Channel::Cli => "cli",
            Channel::System => "system",
            Channel::PublicForm => "public_form",
        }
    }
}

/// Who acts, through which channel and path, when and in which time zone.
#[derive(Debug, Clone)]
pub struct ActingContext {
    principal: Principal,
    channel: Channel,
    /// The guest space whose path this call came through (`/k/guest/<id>/...`); `None` otherwise.
    guest_space: Option<i64>,
    timezone: chrono_tz::Tz,
    /// The address the request came from, for audit rows; empty outside requests.
    peer: String,
    /// How the caller authenticated (`password`, `session`, `token`, ...), for audit rows.
    via: &'static str,
    /// A fixed clock (tests of date functions); `None` reads the real clock.
    clock: Option<DateTime<Utc>>,
    /// Whose rights also bound every app opened here (an app script's last changer): the actor
    /// gets only what both may (`limited_by`).
    limit: Option<Box<Principal>>,
}

/// An app someone may see in a list, with their rights on it.
#[derive(Debug, Clone)]
pub struct VisibleApp {
    pub row: AppRow,
    /// The live definition and its revision; `None` for an app never deployed.
    pub definition: Option<AppDefinition>,
    pub revision: i64,
    pub access: Access,
}

impl VisibleApp {
    /// The deployed app with these rights attached; `None` for an app never deployed.
    pub fn into_live(self) -> Option<LiveApp> {
        let definition = self.definition?;
        Some(LiveApp {
            row: self.row,
            definition,
            revision: self.revision,
            access: Arc::new(self.access),
        })
    }
}

/// Whose names an actor may see in directories and pickers (`ActingContext::visible_people`).
#[derive(Debug, Clone)]
pub struct VisiblePeople {
    /// Every host (non-guest) user, departments and groups.
    pub hosts: bool,
    /// Also these users (the members of the guest space of the path).
    pub members: Vec<String>,
}

impl VisiblePeople {
    /// Whether the user `code` (a guest or not) may be shown.
    pub fn allows(&self, code: &str, is_guest: bool) -> bool {
        (self.hosts && !is_guest) || self.members.iter().any(|m| m == code)
    }
}

impl ActingContext {
    /// `principal` acting through `channel`, outside any guest space.
    pub fn new(principal: Principal, channel: Channel, timezone: chrono_tz::Tz) -> ActingContext {
        ActingContext {
            principal,
            channel,
            guest_space: None,
            timezone,
            peer: String::new(),
            via: channel.as_str(),
            clock: None,
            limit: None,
        }
    }

    /// The server acting for no one, with every right on every app of every space. The only
    /// unrestricted context: use it for the server's own work, never on behalf of a caller.
    pub fn system(channel: Channel, timezone: chrono_tz::Tz) -> ActingContext {
        ActingContext::new(Principal::System, channel, timezone)
    }

    /// The same actor through the path of guest space `space` (`None`: the normal path).
    pub fn through_guest_space(mut self, space: Option<i64>) -> ActingContext {
        self.guest_space = space;
        self
    }

    /// The same actor acting through the path an app is reached by: a script's host calls reach
    /// what its own app reaches.
    pub fn through_path_of(self, conn: &mut DbConn, row: &AppRow) -> EngineResult<ActingContext> {
        let space = crate::apps::guest_space_of(conn, row)?;
        Ok(self.through_guest_space(space))
    }

    /// The same actor, bounded by `other`'s rights: every app opened or listed through this context
    /// carries only the rights both have (`acl::Access::limited_by`). App scripts act so, bounded
    /// by the person who last changed them (`apps::script_change`), so that a script cannot make
    /// a colleague's rights do what its author may not (issue 12, the confused deputy).
    pub fn limited_by(mut self, other: Principal) -> ActingContext {
        self.limit = Some(Box::new(other));
        self
    }

    /// The same actor without the bound of `limited_by` (to tell whose rights refused something).
    pub fn without_limit(mut self) -> ActingContext {
        self.limit = None;
        self
    }

    /// The principal bounding this context's rights, if any (`limited_by`).
    pub fn limit(&self) -> Option<&Principal> {
        self.limit.as_deref()
    }

    /// The same actor in another channel (a script run by an API call acts through `Script`).
    pub fn in_channel(mut self, channel: Channel) -> ActingContext {
        self.channel = channel;
        self
    }

    pub fn with_peer(mut self, peer: impl Into<String>, via: &'static str) -> ActingContext {
        self.peer = peer.into();
        self.via = via;
        self
    }

    /// A fixed "now" (date functions in tests and previews).
    pub fn at(mut self, now: DateTime<Utc>) -> ActingContext {
        self.clock = Some(now);
        self
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn guest_space(&self) -> Option<i64> {
        self.guest_space
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.timezone
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }

    pub fn via(&self) -> &'static str {
        self.via
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// The user code writes and `LOGINUSER()` stand for.
    pub fn user_code(&self) -> &str {
        self.principal.acting_user()
    }

    /// The writer of record changes (no scripts: the platform adds the script pool for saves that
    /// run app scripts).
    pub fn actor(&self) -> Actor {
        Actor::new(
            self.principal.acting_user(),
            self.principal.acting_name(),
            self.timezone,
        )
    }

    /// API tokens: an app none of the tokens covers is `TokenNotPermitted` whether it exists or
    /// not, so that a token cannot tell which app ids exist (kintone's GAIA_NO01 for both).
    fn check_token_covers(&self, app: AppId) -> EngineResult<()> {
        match &self.principal {
            Principal::Tokens(tokens) if !tokens.contains_key(&app) => {
                Err(UserError::TokenNotPermitted.into())
            }
            // A public form's visitor: any other app answers like a missing one, before it is
            // looked up, so that the answer never tells which ids exist.
            Principal::PublicForm { app: own, .. } if *own != app => {
                Err(UserError::AppNotFound(app.0.to_string()).into())
            }
            _ => Ok(()),
        }
    }

    /// The actor audit rows name: the user, or for API tokens `token:app<ids>` (the apps whose
    /// tokens were sent), never the Administrator account the token's record writes are
    /// attributed to.
    pub fn audit_actor(&self) -> String {
        match &self.principal {
            Principal::Tokens(tokens) => {
                let mut ids: Vec<i64> = tokens.keys().map(|a| a.0).collect();
                ids.sort_unstable();
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("token:app{}", ids.join("+"))
            }
            Principal::PublicForm { form, .. } => format!("public-form:{form}"),
            other => other.acting_user().to_owned(),
        }
    }

    /// Whether `row` is reachable through this context's path and, for an app in a space, whether
    /// the actor may enter that space (see the module comment).
    fn check_reach(&self, conn: &mut DbConn, row: &AppRow) -> EngineResult<()> {
        if matches!(self.principal, Principal::System) {
            return Ok(());
        }
        // A public form reaches its own app wherever the app is (no path, no space membership:
        // residents are nobody's members) and nothing else.
        if let Principal::PublicForm { app, .. } = &self.principal {
            if app.0 == row.id {
                return Ok(());
            }
            return Err(UserError::AppNotFound(row.id.to_string()).into());
        }
        let app_space = crate::apps::guest_space_of(conn, row)?;
        // Issue 13, guests (docs/guests.md G6): page URLs carry no guest-space path, so a page
        // reaches an app through the app's own path; the space rule below still admits only the
        // space's members (and keeps guests inside their guest spaces).
        let path = match (self.channel, self.guest_space) {
            (Channel::Page, None) => app_space,
            (_, path) => path,
        };
        match (app_space, path) {
            (None, None) => {}
            (Some(app), Some(path)) if app == path => {}
            (Some(_), None) => return Err(UserError::GuestSpacePathRequired.into()),
            _ => return Err(UserError::Forbidden.into()),
        }
        if self.principal.is_token() {
            return Ok(());
        }
        match row.space_id {
            None if self.principal.is_guest() => Err(UserError::Forbidden.into()),
            None => Ok(()),
            Some(id) => match crate::spaces::Space::find(conn, id)? {
                Some(space) if crate::spaces::may_enter(conn, &self.principal, &space)? => Ok(()),
                _ => Err(UserError::Forbidden.into()),
            },
        }
    }

    /// The space `id` for this actor: it exists, it is reached through the right path (a guest
    /// space only through its own `/k/guest/<id>/`, any other space only without a guest path), and
    /// the actor may enter it (`spaces::may_enter`). API tokens never enter spaces. A space the
    /// actor may not enter is `SpaceNotFound` when they may not know of it (private or guest space,
    /// or a guest asking), `Forbidden` otherwise.
    pub fn enter_space(&self, conn: &mut DbConn, id: i64) -> EngineResult<crate::spaces::Space> {
        if self.principal.is_token() {
            return Err(UserError::TokenNotPermitted.into());
        }
        if self.principal.is_public_form() {
            return Err(UserError::SpaceNotFound(id.to_string()).into());
        }
        let space = crate::spaces::Space::find(conn, id)?
            .ok_or_else(|| UserError::SpaceNotFound(id.to_string()))?;
        if !matches!(self.principal, Principal::System) {
            match (space.is_guest, self.guest_space) {
                (false, None) => {}
                (true, Some(path)) if path == space.id => {}
                (true, None) => return Err(UserError::GuestSpacePathRequired.into()),
                _ => return Err(UserError::Forbidden.into()),
            }
        }
        if !crate::spaces::may_enter(conn, &self.principal, &space)? {
            return Err(UserError::SpaceNotFound(id.to_string()).into());
        }
        Ok(space)
    }

    /// Issue 13, guests (docs/guests.md G3): a guest user acts only through the path of a guest
    /// space they are a member of. Every channel with a path in its URL calls this once before
    /// acting (the API, `/api`, and the file calls); pages have no such path and reach apps
    /// through the app's own path (`check_reach`), which keeps a guest inside its guest spaces.
    /// Anyone who is not a guest passes. A guest without a guest path, or through the path of a
    /// space it is not a member of, is `Forbidden`.
    pub fn admit_guest(&self, conn: &mut DbConn) -> EngineResult<()> {
        if !self.principal.is_guest() {
            return Ok(());
        }
        let Some(path) = self.guest_space else {
            return Err(UserError::Forbidden.into());
        };
        match crate::spaces::Space::find(conn, path)? {
            Some(space)
                if space.is_guest
                    && crate::spaces::membership(conn, &self.principal, path)?
                        != crate::spaces::Membership::None =>
            {
                Ok(())
            }
            _ => Err(UserError::Forbidden.into()),
        }
    }

    /// Issue 13, guests (docs/guests.md G5): whose names this actor may see in directories and
    /// pickers. Host users see every host user, and guests only in a guest space they reach (the
    /// members of the path's space); a guest sees only the members of the guest space whose path
    /// it came through, and no departments or groups.
    pub fn visible_people(&self, conn: &mut DbConn) -> EngineResult<VisiblePeople> {
        let mut members = Vec::new();
        if self.principal.is_public_form() {
            // Residents see nobody's names.
            return Ok(VisiblePeople {
                hosts: false,
                members,
            });
        }
        if let Some(path) = self.guest_space {
            if let Some(space) = crate::spaces::Space::find(conn, path)? {
                if crate::spaces::may_enter(conn, &self.principal, &space)? {
                    members = crate::spaces::member_user_codes(conn, path)?;
                }
            }
        }
        Ok(VisiblePeople {
            hosts: !self.principal.is_guest(),
            members,
        })
    }

    /// Issue 13, guests: the guest space whose path reaches `row`'s app (`None`: the normal path).
    /// Pages tell their scripts which API path to call with it.
    pub fn app_path(&self, conn: &mut DbConn, row: &AppRow) -> EngineResult<Option<i64>> {
        crate::apps::guest_space_of(conn, row)
    }

    /// The actor's standing in `space` (member, admin, none); the server is an admin everywhere.
    pub fn space_membership(
        &self,
        conn: &mut DbConn,
        space: i64,
    ) -> EngineResult<crate::spaces::Membership> {
        crate::spaces::membership(conn, &self.principal, space)
    }

    /// The actor's rights in `row`'s app, evaluated on its live definition (returned with its
    /// revision; `None` for an app never deployed). Checks nothing.
    fn evaluate(
        &self,
        conn: &mut DbConn,
        row: &AppRow,
    ) -> EngineResult<(Access, Option<(AppDefinition, i64)>)> {
        let id = AppId(row.id);
        let live = load_definition(conn, id, LIVE)?;
        let access = Access::for_definition(
            &self.principal,
            id,
            &row.creator,
            live.as_ref().map(|(d, _)| d),
            self.timezone,
        );
        let access = match &self.limit {
            None => access,
            Some(limit) => access.limited_by(Access::for_definition(
                limit,
                id,
                &row.creator,
                live.as_ref().map(|(d, _)| d),
                self.timezone,
            )),
        };
        Ok((access, live))
    }

    /// `row` reachable through this path and `right` granted: the rights and the live stage.
    fn checked(
        &self,
        conn: &mut DbConn,
        row: &AppRow,
        right: AppRight,
    ) -> EngineResult<(Access, Option<(AppDefinition, i64)>)> {
        self.check_reach(conn, row)?;
        let (access, live) = self.evaluate(conn, row)?;
        check_app_access(&access, right)?;
        Ok((access, live))
    }

    /// The app's row, when it exists, is reachable through this path and the actor has `right`
    /// (`acl::check_app_access`: an app they may neither view nor manage is `AppNotFound`).
    pub fn find_app(&self, conn: &mut DbConn, app: AppId, right: AppRight) -> EngineResult<AppRow> {
        self.check_token_covers(app)?;
        let row =
            AppRow::find(conn, app)?.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        self.checked(conn, &row, right)?;
        Ok(row)
    }

    /// The app whose review the actor may read, and whether they may also manage it: reviewers
    /// (`review::is_reviewer`) read the review of every app reachable through the normal path (not
    /// guest-space apps); others need the manage right.
    pub fn find_app_for_review(
        &self,
        conn: &mut DbConn,
        app: AppId,
    ) -> EngineResult<(AppRow, bool)> {
        match self.find_app(conn, app, AppRight::Manage) {
            Ok(row) => Ok((row, true)),
            Err(crate::EngineError::User(refused))
                if crate::review::is_reviewer(&self.principal) && self.guest_space.is_none() =>
            {
                let row = AppRow::find(conn, app)?
                    .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
                if crate::apps::guest_space_of(conn, &row)?.is_some() {
                    return Err(refused.into());
                }
                Ok((row, false))
            }
            Err(e) => Err(e),
        }
    }

    /// The live app, checked as `find_app` does, carrying the actor's rights (`LiveApp::access`)
    /// so that record reads, writes and rendering apply record and field permissions. An app never
    /// deployed is `AppNotFound` after the check.
    pub fn open_app(
        &self,
        conn: &mut DbConn,
        app: AppId,
        right: AppRight,
    ) -> EngineResult<LiveApp> {
        self.check_token_covers(app)?;
        let row =
            AppRow::find(conn, app)?.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        self.open_row(conn, row, right)
    }

    /// As `open_app`, for a row the caller already holds.
    pub fn open_row(
        &self,
        conn: &mut DbConn,
        row: AppRow,
        right: AppRight,
    ) -> EngineResult<LiveApp> {
        let (access, live) = self.checked(conn, &row, right)?;
        let (definition, revision) =
            live.ok_or_else(|| UserError::AppNotFound(row.id.to_string()))?;
        Ok(LiveApp {
            row,
            definition,
            revision,
            access: Arc::new(access),
        })
    }

    /// The app for its managers (script test runs, settings previews): live with the actor's
    /// rights, or, before the first deploy, the pre-live definition (there are no records yet).
    pub fn open_for_settings(&self, conn: &mut DbConn, app: AppId) -> EngineResult<LiveApp> {
        self.check_token_covers(app)?;
        if self.principal.is_public_form() {
            // A public form's visitor never reaches settings, not even of its own app.
            return Err(UserError::Forbidden.into());
        }
        let row =
            AppRow::find(conn, app)?.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
        // Never deployed: no permission lists are live yet, the default rights apply.
        let (access, live) = self.checked(conn, &row, AppRight::Manage)?;
        let (definition, revision) = match live {
            Some(live) => live,
            None => load_definition(conn, app, crate::apps::PREVIEW)?
                .ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?,
        };
        Ok(LiveApp {
            row,
            definition,
            revision,
            access: Arc::new(access),
        })
    }

    /// The actor's rights in an app reachable through this path (pages decide which buttons to
    /// show from them); `None` when the app does not exist or is not reachable here.
    pub fn app_access(&self, conn: &mut DbConn, app: AppId) -> EngineResult<Option<Access>> {
        let Some(row) = AppRow::find(conn, app)? else {
            return Ok(None);
        };
        match self.check_reach(conn, &row) {
            Ok(()) => {}
            Err(crate::EngineError::User(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(self.evaluate(conn, &row)?.0))
    }

    /// The apps reachable through this path that the actor may view or manage, in id order: what
    /// `apps.json`, the portal, the search and the admin lists show.
    pub fn visible_apps(&self, conn: &mut DbConn) -> EngineResult<Vec<VisibleApp>> {
        let mut out = Vec::new();
        if self.principal.is_public_form() {
            // Residents list no apps, not even the form's own.
            return Ok(out);
        }
        for row in AppRow::list(conn)? {
            if let Some(v) = self.visible_app(conn, row)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// As `visible_apps`, for the listed ids only (unknown ids are skipped).
    pub fn visible_apps_among(
        &self,
        conn: &mut DbConn,
        ids: &[i64],
    ) -> EngineResult<Vec<VisibleApp>> {
        let mut out = Vec::new();
        if self.principal.is_public_form() {
            return Ok(out);
        }
        for &id in ids {
            let Some(row) = AppRow::find(conn, AppId(id))? else {
                continue;
            };
            if let Some(v) = self.visible_app(conn, row)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    fn visible_app(&self, conn: &mut DbConn, row: AppRow) -> EngineResult<Option<VisibleApp>> {
        match self.check_reach(conn, &row) {
            Ok(()) => {}
            Err(crate::EngineError::User(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        let (access, live) = self.evaluate(conn, &row)?;
        let (definition, revision) = match live {
            Some((d, r)) => (Some(d), r),
            None => (None, 0),
        };
        if check_app_access(&access, AppRight::View).is_err()
            && check_app_access(&access, AppRight::Manage).is_err()
        {
            return Ok(None);
        }
        Ok(Some(VisibleApp {
            row,
            definition,
            revision,
            access,
        }))
    }

    /// The query context of this actor on `app`: `LOGINUSER()`, `PRIMARY_ORGANIZATION()`, the time
    /// zone and clock, and the app's record and field rights.
    pub fn query_context<'d>(
        &'d self,
        app: &'d LiveApp,
        text_matcher: Option<&'d dyn TextMatcher>,
    ) -> QueryContext<'d> {
        QueryContext {
            definition: &app.definition,
            login_user: self.principal.acting_user(),
            primary_organization: self.principal.primary_department(),
            timezone: self.timezone,
            now: self.now(),
            access: Some(&app.access),
            text_matcher,
        }
    }

    /// Appends a successful action of this actor to the audit log, in the caller's transaction.
    /// `detail` gets `via` (how the actor authenticated) and the channel when it is an object.
    pub fn audit(
        &self,
        conn: &mut DbConn,
        action: &str,
        target: &str,
        detail: Value,
    ) -> EngineResult<()> {
        let mut detail = detail;
        if let Value::Object(map) = &mut detail {
            map.insert("via".into(), Value::String(self.via.into()));
        }
        audit::record(
            conn,
            AuditEvent::success(&self.audit_actor(), &self.peer, action, target, detail),
        )
    }
}

/// The query context of a definition check that involves no caller (view filters, process
/// conditions, permission conditions, package imports): no user, no rights, the given time zone.
pub fn check_query_context(
    definition: &AppDefinition,
    timezone: chrono_tz::Tz,
) -> QueryContext<'_> {
    QueryContext {
        definition,
        login_user: "",
        primary_organization: None,
        timezone,
        now: Utc::now(),
        access: None,
        text_matcher: None,
    }
}

/// The query context of a condition evaluated for the holder of `access` without filtering by
/// their rights (record-permission conditions, process action conditions): their `LOGINUSER()`,
/// `PRIMARY_ORGANIZATION()` and time zone.
pub fn condition_context<'a>(
    definition: &'a AppDefinition,
    access: &'a Access,
) -> QueryContext<'a> {
    QueryContext {
        definition,
        login_user: &access.user,
        primary_organization: access.principal.primary_department(),
        timezone: access.timezone,
        now: Utc::now(),
        access: None,
        text_matcher: None,
    }
}

/// The one time-zone rule: the user's own zone when it names one, else the server's default.
pub fn user_timezone(user_setting: &str, server_default: chrono_tz::Tz) -> chrono_tz::Tz {
    user_setting.parse().unwrap_or(server_default)
}
