//! Who may do what. Every record, app and file operation asks `check_app` first, so later permission
//! levels (app/record/field rights for users, departments and groups; guest spaces) extend this one
//! function instead of being sprinkled over call sites.
//!
//! Today: an API token grants exactly its own rights on its own app; a signed-in user has every right
//! on every app (app/record/field ACLs arrive with the permissions issue).

use std::collections::HashMap;

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

/// The single permission check for app-level rights. A token without the right (or for another app)
/// gets `TokenNotPermitted`; a user without it gets `Forbidden`.
pub fn check_app(principal: &Principal, app: AppId, right: AppRight) -> Result<(), UserError> {
    match principal {
        Principal::User { .. } => Ok(()),
        Principal::Tokens(tokens) => match tokens.get(&app) {
            Some(rights) if rights.allows(right) => Ok(()),
            _ => Err(UserError::TokenNotPermitted),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_grant_only_their_rights_on_their_app() {
        let mut tokens = HashMap::new();
        tokens.insert(
            AppId(1),
            TokenRights {
                view: true,
                ..TokenRights::default()
            },
        );
        let p = Principal::Tokens(tokens);
        assert!(check_app(&p, AppId(1), AppRight::View).is_ok());
        assert_eq!(
            check_app(&p, AppId(1), AppRight::Add),
            Err(UserError::TokenNotPermitted)
        );
        assert_eq!(
            check_app(&p, AppId(2), AppRight::View),
            Err(UserError::TokenNotPermitted)
        );
        assert_eq!(p.acting_user(), "Administrator");
    }
}
