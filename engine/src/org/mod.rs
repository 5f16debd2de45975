//! The organisation: departments (a tree), groups (roles), who belongs where (with each user's primary
//! department), and per-user API tokens. Codes are permanent, because records store them
//! (ORGANIZATION_SELECT, GROUP_SELECT values); names, parents and order may change.
//!
//! Guarantees: the department tree never has a cycle (a move under itself or a descendant is refused);
//! a department with sub-departments cannot be deleted; a user has at most one primary department, and
//! it is one of their departments. `principal_context` gives what permission checks need: the user's
//! departments with all their ancestors (so a right granted to a parent department including
//! sub-departments applies) and their groups.

pub mod departments;
pub mod groups;
pub mod members;
pub mod user_tokens;

pub use departments::{
    add_department, delete_department, department_tree, find_department, list_departments,
    update_department, Department, DepartmentChanges, TreeNode,
};
pub use groups::{add_group, delete_group, find_group, list_groups, update_group, Group};
pub use members::{
    members_of_department, members_of_group, primary_department, set_user_departments,
    set_user_groups, user_departments, user_groups,
};
pub use user_tokens::{
    create_user_token, list_user_tokens, resolve_user_token, resolve_user_token_from,
    revoke_user_token, UserToken, UserTokenProblem, USER_TOKEN_PREFIX,
};

use crate::db::DbConn;
use crate::error::{EngineResult, UserError};

/// What permission checks know about a user beyond their code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalContext {
    /// The user's departments first (primary first), then every ancestor, each once.
    pub departments: Vec<String>,
    /// The user's own departments (primary first), without ancestors.
    pub own_departments: Vec<String>,
    pub groups: Vec<String>,
    pub primary_department: Option<String>,
    /// A guest user (`users.is_guest`): reaches only the guest spaces they are a member of.
    pub guest: bool,
}

/// The departments (with ancestors) and groups of `user`, for `acl::Principal::User`.
pub fn principal_context(conn: &mut DbConn, user: &str) -> EngineResult<PrincipalContext> {
    let own = user_departments(conn, user)?;
    let primary = own.iter().find(|(_, p)| *p).map(|(c, _)| c.clone());
    let direct: Vec<String> = own.into_iter().map(|(c, _)| c).collect();
    let departments = if direct.is_empty() {
        Vec::new()
    } else {
        let all = list_departments(conn)?;
        departments::with_ancestors(&all, &direct)
    };
    Ok(PrincipalContext {
        own_departments: direct,
        departments,
        groups: user_groups(conn, user)?,
        primary_department: primary,
        guest: crate::users::is_guest(conn, user)?,
    })
}

/// Checks a department or group code: 1 to 100 characters, no spaces at either end, no control
/// characters, no commas (codes are listed comma-separated in CSV and query strings).
pub(crate) fn check_code(key: &str, code: &str) -> Result<(), UserError> {
    let n = code.chars().count();
    if n == 0 || n > 100 || code.trim() != code || code.chars().any(|c| c.is_control() || c == ',')
    {
        return Err(UserError::invalid(
            key,
            "A code of 1 to 100 characters without commas or surrounding spaces is required.",
        ));
    }
    Ok(())
}

/// Checks a display name: 1 to 100 characters after trimming.
pub(crate) fn check_name(key: &str, name: &str) -> Result<(), UserError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        return Err(UserError::invalid(
            key,
            "A name of 1 to 100 characters is required.",
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testdb {
    use crate::db::{Database, DbConn};

    pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

    /// A migrated SQLite database in a temporary directory (kept alive by the returned guard).
    pub fn conn() -> TestResult<(tempfile::TempDir, Database, DbConn)> {
        let dir = tempfile::tempdir()?;
        let db = Database::connect(
            &format!("sqlite://{}", dir.path().join("org.db").display()),
            1,
        )?;
        db.migrate()?;
        let conn = db.conn()?;
        Ok((dir, db, conn))
    }
}

#[cfg(test)]
mod tests {
    use super::testdb::{conn, TestResult};
    use super::*;
    use crate::users::User;

    #[test]
    fn the_principal_sees_ancestors_and_groups() -> TestResult {
        let (_dir, _db, mut c) = conn()?;
        User::create(&mut c, "tanaka", "田中", "password-1", false)?;
        add_department(&mut c, "city", "市役所", None, 0)?;
        add_department(&mut c, "soumu", "総務部", Some("city"), 0)?;
        add_department(&mut c, "jinji", "人事課", Some("soumu"), 0)?;
        add_department(&mut c, "kikaku", "企画課", Some("city"), 1)?;
        add_group(&mut c, "approvers", "承認者")?;
        set_user_departments(
            &mut c,
            "tanaka",
            &["kikaku".into(), "jinji".into()],
            Some("jinji"),
        )?;
        set_user_groups(&mut c, "tanaka", &["approvers".into()])?;
        let ctx = principal_context(&mut c, "tanaka")?;
        assert_eq!(ctx.primary_department.as_deref(), Some("jinji"));
        assert_eq!(ctx.departments, ["jinji", "kikaku", "soumu", "city"]);
        assert_eq!(ctx.groups, ["approvers"]);
        Ok(())
    }

    #[test]
    fn codes_are_checked() {
        assert!(check_code("code", "soumu").is_ok());
        assert!(check_code("code", "総務部").is_ok());
        assert!(check_code("code", "").is_err());
        assert!(check_code("code", " x").is_err());
        assert!(check_code("code", "a,b").is_err());
        assert!(check_name("name", "  ").is_err());
    }
}
