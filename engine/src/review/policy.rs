//! The server-wide review policy (set by administrators): no app, every app, or the apps of chosen
//! departments must pass review before their changes go live. It adds to an app's own
//! `requireReview` setting; it never switches review off for an app that asks for it.
//!
//! An app's department is its creator's primary department (`apps.creator` → `user_departments`):
//! Kumiki has no separate owner department, and the creator is the department user who builds the
//! app. A chosen department covers its sub-departments, so choosing 総務部 covers 総務課. An app
//! whose creator has no department (an administrator's app, for example) falls only under "every
//! app".
//!
//! Stored as JSON in `server_settings` (`review.policy`), shared by every node.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::apps::{AppId, AppRow};
use crate::db::DbConn;
use crate::error::{EngineResult, UserError};
use crate::org::{list_departments, primary_department};

/// The `server_settings` row holding the policy.
const SETTING: &str = "review.policy";

/// Which apps the policy covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyMode {
    /// Only apps whose settings ask for review.
    #[default]
    Off,
    /// Every app.
    All,
    /// Apps whose department is one of `departments` or below one of them.
    Departments,
}

impl PolicyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMode::Off => "off",
            PolicyMode::All => "all",
            PolicyMode::Departments => "departments",
        }
    }

    /// Parses `off`, `all` or `departments`.
    pub fn parse(s: &str) -> Option<PolicyMode> {
        match s {
            "off" => Some(PolicyMode::Off),
            "all" => Some(PolicyMode::All),
            "departments" => Some(PolicyMode::Departments),
            _ => None,
        }
    }
}

/// The server-wide review policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReviewPolicy {
    pub mode: PolicyMode,
    /// Department codes (used when `mode` is `Departments`), in the order chosen.
    #[serde(default)]
    pub departments: Vec<String>,
}

/// The current policy (`Off` when never set or unreadable — an unreadable value is logged).
pub fn load(conn: &mut DbConn) -> EngineResult<ReviewPolicy> {
    let Some(text) = crate::server_settings::get(conn, SETTING)? else {
        return Ok(ReviewPolicy::default());
    };
    match serde_json::from_str(&text) {
        Ok(p) => Ok(p),
        Err(e) => {
            tracing::error!(error = %e, "stored review policy is not valid; treating it as off");
            Ok(ReviewPolicy::default())
        }
    }
}

/// Checks and stores a policy; returns (old, new). Unknown departments are a validation error
/// naming their position (`departments[i]`); `departments` mode needs at least one department.
/// The caller checks that the actor is an administrator and writes the audit row.
pub fn save(conn: &mut DbConn, policy: ReviewPolicy) -> EngineResult<(ReviewPolicy, ReviewPolicy)> {
    let mut policy = policy;
    let known: HashMap<String, Option<String>> = list_departments(conn)?
        .into_iter()
        .map(|d| (d.code, d.parent_code))
        .collect();
    let mut seen = Vec::new();
    for (i, code) in policy.departments.iter().enumerate() {
        if !known.contains_key(code) {
            return Err(UserError::invalid(
                format!("departments[{i}]"),
                format!("The department \"{code}\" does not exist."),
            )
            .into());
        }
        if !seen.contains(code) {
            seen.push(code.clone());
        }
    }
    policy.departments = seen;
    if policy.mode == PolicyMode::Departments && policy.departments.is_empty() {
        return Err(UserError::invalid(
            "departments",
            "Choose at least one department, or choose another mode.",
        )
        .into());
    }
    let old = load(conn)?;
    let json = serde_json::to_string(&policy)?;
    crate::server_settings::set(conn, SETTING, &json)?;
    Ok((old, policy))
}

/// The department an app belongs to for the policy: its creator's primary department.
pub fn app_department(conn: &mut DbConn, app: AppId) -> EngineResult<Option<String>> {
    let Some(row) = AppRow::find(conn, app)? else {
        return Ok(None);
    };
    primary_department(conn, &row.creator)
}

/// Whether the policy requires review of `app`.
pub fn covers(conn: &mut DbConn, policy: &ReviewPolicy, app: AppId) -> EngineResult<bool> {
    match policy.mode {
        PolicyMode::Off => Ok(false),
        PolicyMode::All => Ok(true),
        PolicyMode::Departments => {
            let Some(department) = app_department(conn, app)? else {
                return Ok(false);
            };
            let parents: HashMap<String, Option<String>> = list_departments(conn)?
                .into_iter()
                .map(|d| (d.code, d.parent_code))
                .collect();
            Ok(within(&department, &policy.departments, &parents))
        }
    }
}

/// Whether the policy would require review of a new app made by someone whose primary department
/// is `department` (an import plan's answer before any app exists).
pub fn covers_department(
    conn: &mut DbConn,
    policy: &ReviewPolicy,
    department: Option<&str>,
) -> EngineResult<bool> {
    match policy.mode {
        PolicyMode::Off => Ok(false),
        PolicyMode::All => Ok(true),
        PolicyMode::Departments => {
            let Some(department) = department else {
                return Ok(false);
            };
            let parents: HashMap<String, Option<String>> = list_departments(conn)?
                .into_iter()
                .map(|d| (d.code, d.parent_code))
                .collect();
            Ok(within(department, &policy.departments, &parents))
        }
    }
}

/// Whether `department` or one of its ancestors is in `chosen` (the tree has no cycles, but the
/// walk is bounded anyway).
fn within(department: &str, chosen: &[String], parents: &HashMap<String, Option<String>>) -> bool {
    let mut current = Some(department.to_owned());
    for _ in 0..=parents.len() {
        let Some(code) = current else {
            return false;
        };
        if chosen.contains(&code) {
            return true;
        }
        current = parents.get(&code).cloned().flatten();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_department_covers_its_sub_departments() {
        let parents: HashMap<String, Option<String>> = [
            ("somu-bu".to_owned(), None),
            ("somu-ka".to_owned(), Some("somu-bu".to_owned())),
            ("kikaku".to_owned(), None),
        ]
        .into_iter()
        .collect();
        let chosen = vec!["somu-bu".to_owned()];
        assert!(within("somu-ka", &chosen, &parents));
        assert!(within("somu-bu", &chosen, &parents));
        assert!(!within("kikaku", &chosen, &parents));
        assert!(!within("unknown", &chosen, &parents));
    }

    #[test]
    fn modes_round_trip() {
        for m in [PolicyMode::Off, PolicyMode::All, PolicyMode::Departments] {
            assert_eq!(PolicyMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(PolicyMode::parse("some"), None);
    }
}
