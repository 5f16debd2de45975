//! Who may do what, at three levels evaluated top-down as kintone does: app → record → field.
//!
//! - `settings`: the permission lists in kintone's JSON shapes, stored in the app definition;
//! - `eval`: [`Access`], what one principal may do in one app (the model is documented there and in
//!   docs/api.md "Permissions");
//! - `sql`: record rights as one SQL expression, used by lists, counts, cursors and record checks.
//!
//! Every channel goes through `Access`: the acting context (`acting::ActingContext::open_app`)
//! attaches it to every `LiveApp`, and the record read/write/render paths of the engine consult
//! `app.access`. The server's own work holds the unrestricted access of `Principal::System`.

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
        /// The primary department (what `PRIMARY_ORGANIZATION()` stands for).
        primary_department: Option<String>,
        /// A guest user (kintone's guests): reaches only apps, threads and members of the guest
        /// spaces they belong to, only through those spaces' paths (`acting::ActingContext`).
        guest: bool,
    },
    /// One or more API tokens; each grants rights on one app. Writes are attributed to Administrator.
    Tokens(HashMap<AppId, TokenRights>),
    /// The server itself, acting for no one: every right. Only `acting::ActingContext::system`
    /// makes one.
    System,
    /// A resident answering public form `form` (issue 15, `crate::public_forms`): may add records
    /// to `app` only; with `record` (an editable per-recipient link) also view and edit that one
    /// record. Nothing on any other app, no settings, no people, no spaces. Only
    /// `public_forms::submit` makes one.
    PublicForm {
        form: i64,
        app: AppId,
        record: Option<i64>,
    },
}

impl Principal {
    /// A user as permission checks see them: departments with their ancestors, groups and the
    /// primary department from `org`. Every channel builds its users' principals here.
    pub fn for_user(
        conn: &mut crate::db::DbConn,
        code: &str,
        name: &str,
        is_admin: bool,
    ) -> crate::error::EngineResult<Principal> {
        let ctx = crate::org::principal_context(conn, code)?;
        Ok(Principal::User {
            code: code.to_owned(),
            name: name.to_owned(),
            is_admin,
            departments: ctx.departments,
            own_departments: ctx.own_departments,
            groups: ctx.groups,
            primary_department: ctx.primary_department,
            guest: ctx.guest,
        })
    }

    /// Whether this is a guest user (see `Principal::User::guest`).
    pub fn is_guest(&self) -> bool {
        matches!(self, Principal::User { guest: true, .. })
    }

    /// The user code writes are attributed to.
    pub fn acting_user(&self) -> &str {
        match self {
            Principal::User { code, .. } => code,
            Principal::Tokens(_) | Principal::System => crate::users::ADMINISTRATOR,
            Principal::PublicForm { .. } => crate::public_forms::PUBLIC_FORM_USER,
        }
    }

    pub fn acting_name(&self) -> &str {
        match self {
            Principal::User { name, .. } => name,
            Principal::Tokens(_) | Principal::System => crate::users::ADMINISTRATOR,
            Principal::PublicForm { .. } => crate::public_forms::PUBLIC_FORM_NAME,
        }
    }

    /// The user's primary department, if any.
    pub fn primary_department(&self) -> Option<&str> {
        match self {
            Principal::User {
                primary_department, ..
            } => primary_department.as_deref(),
            Principal::Tokens(_) | Principal::System | Principal::PublicForm { .. } => None,
        }
    }

    /// Whether this is a public-form visitor (`Principal::PublicForm`).
    pub fn is_public_form(&self) -> bool {
        matches!(self, Principal::PublicForm { .. })
    }

    pub fn is_token(&self) -> bool {
        matches!(self, Principal::Tokens(_))
    }

    /// Whether this caller may put files into the upload area: users may; API tokens only when
    /// one of them may add or edit records (a view-only token has nothing to attach files to).
    pub fn may_upload(&self) -> bool {
        match self {
            Principal::Tokens(tokens) => tokens.values().any(|t| t.add || t.edit),
            Principal::User { .. } | Principal::System => true,
            // The platform stores a resident's uploads itself (as `PUBLIC_FORM_USER`), never
            // through the upload API.
            Principal::PublicForm { .. } => false,
        }
    }
}

/// The token part of the app check: a token without the right (or for another app) gets
/// `TokenNotPermitted`. Users pass here; their rights come from the app ACL (`check_app_access`).
pub fn check_app(principal: &Principal, app: AppId, right: AppRight) -> Result<(), UserError> {
    match principal {
        Principal::User { .. } | Principal::System => Ok(()),
        // A public form reaches its own app only; another app does not exist for it.
        Principal::PublicForm { app: own, .. } if *own == app => Ok(()),
        Principal::PublicForm { .. } => Err(UserError::AppNotFound(app.0.to_string())),
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
