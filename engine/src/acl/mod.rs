//! Who may do what, at three levels evaluated top-down as kintone does: app → record → field.
//!
//! - `settings`: the permission lists in kintone's JSON shapes, stored in the app definition;
//! - `eval`: [`Access`], what one principal may do in one app (the model is documented there and in
//!   docs/api.md "Permissions");
//! - `sql`: record rights as one SQL expression, used by lists, counts, cursors and record checks.
//!
//! Every channel goes through `Access`: the platform attaches it to the `LiveApp` it hands out
//! (`Call::live_app`), and the record read/write/render paths of the engine consult `app.access`.
//! A `LiveApp` without an access (internal jobs, the CLI) is unrestricted.

use std::collections::HashMap;

pub mod eval;
pub mod settings;
pub mod sql;
#[cfg(test)]
mod tests;

pub use eval::{Access, AppRights, RecordRights, Who};
pub use settings::{
    Accessibility, AppAclEntry, Entity, EntityType, FieldAclEntity, FieldAclRule, RecordAclEntity,
    RecordAclRule, EVERYONE,
};

use crate::apps::AppId;
use crate::error::UserError;

/// A right on an app's records or settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRight {
    View,
    Add,
    Edit,
    Delete,
    Manage,
    Import,
    Export,
}

/// The rights an API token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenRights {
    pub view: bool,
    pub add: bool,
    pub edit: bool,
    pub delete: bool,
    pub manage: bool,
}

impl TokenRights {
    fn allows(&self, right: AppRight) -> bool {
        match right {
            AppRight::View => self.view,
            AppRight::Add => self.add,
            AppRight::Edit => self.edit,
            AppRight::Delete => self.delete,
            AppRight::Manage => self.manage,
            AppRight::Import => self.add,
            AppRight::Export => self.view,
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A signed-in user (password, session or bearer token).
    User {
        code: String,
        name: String,
        is_admin: bool,
        /// Department codes: the user's own and all their ancestors, so a right granted to a parent
        /// department "with sub-departments" applies (`org::principal_context`).
        departments: Vec<String>,
        /// The departments the user belongs to themselves (no ancestors), for entries without
        /// `includeSubs`.
        own_departments: Vec<String>,
        /// Group (role) codes.
        groups: Vec<String>,
    },
    /// One or more API tokens; each grants rights on one app. Writes are attributed to Administrator.
    Tokens(HashMap<AppId, TokenRights>),
}

impl Principal {
    /// The user code writes are attributed to.
    pub fn acting_user(&self) -> &str {
        match self {
            Principal::User { code, .. } => code,
            Principal::Tokens(_) => crate::users::ADMINISTRATOR,
        }
    }

    pub fn acting_name(&self) -> &str {
        match self {
            Principal::User { name, .. } => name,
            Principal::Tokens(_) => crate::users::ADMINISTRATOR,
        }
    }

    pub fn is_token(&self) -> bool {
        matches!(self, Principal::Tokens(_))
    }
}

/// The token part of the app check: a token without the right (or for another app) gets
/// `TokenNotPermitted`. Users pass here; their rights come from the app ACL (`check_app_access`).
pub fn check_app(principal: &Principal, app: AppId, right: AppRight) -> Result<(), UserError> {
    match principal {
        Principal::User { .. } => Ok(()),
        Principal::Tokens(tokens) => match tokens.get(&app) {
            Some(rights) if rights.allows(right) => Ok(()),
            _ => Err(UserError::TokenNotPermitted),
        },
    }
}

/// The single app-level check. Tokens: `TokenNotPermitted`. Users: an app they may neither view nor
/// manage answers `AppNotFound`, exactly like a missing app; another missing right is `Forbidden`.
pub fn check_app_access(access: &Access, right: AppRight) -> Result<(), UserError> {
    check_app(&access.principal, access.app, right)?;
    if access.rights.allows(right) {
        return Ok(());
    }
    if !access.rights.view && !access.rights.manage {
        return Err(UserError::AppNotFound(access.app.0.to_string()));
    }
    Err(UserError::Forbidden)
}

/// Opens the live app of `row` for `principal`: refused (`check_app_access`) unless they have
/// `right`, then carrying their evaluated record and field rights. The one way an app is opened for
/// someone: the API (`Call::live_app`), app scripts and search come through here; which space an app
/// may be reached from is the caller's rule. An app never deployed is `AppNotFound` after the check.
pub fn open_live_app(
    conn: &mut crate::db::DbConn,
    row: crate::apps::AppRow,
    principal: &Principal,
    right: AppRight,
    timezone: chrono_tz::Tz,
) -> crate::error::EngineResult<crate::apps::LiveApp> {
    let app = AppId(row.id);
    let live = crate::apps::load_definition(conn, app, crate::apps::LIVE)?;
    let access = Access::for_definition(
        principal,
        app,
        &row.creator,
        live.as_ref().map(|(d, _)| d),
        timezone,
    );
    check_app_access(&access, right)?;
    let (definition, revision) = live.ok_or_else(|| UserError::AppNotFound(app.0.to_string()))?;
    Ok(crate::apps::LiveApp {
        row,
        definition,
        revision,
        access: Some(std::sync::Arc::new(access)),
    })
}

/// The caller's access to an app from the database (its row and live definition); `None` when the
/// app does not exist. For callers outside the API's `Call` (the pages).
pub fn load_access(
    conn: &mut crate::db::DbConn,
    principal: &Principal,
    app: AppId,
    timezone: chrono_tz::Tz,
) -> crate::error::EngineResult<Option<Access>> {
    let Some(row) = crate::apps::AppRow::find(conn, app)? else {
        return Ok(None);
    };
    let live = crate::apps::load_definition(conn, app, crate::apps::LIVE)?;
    Ok(Some(Access::for_definition(
        principal,
        app,
        &row.creator,
        live.as_ref().map(|(d, _)| d),
        timezone,
    )))
}
