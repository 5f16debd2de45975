//! Departments: a tree by `parent_code`, ordered by `sort` then code among siblings.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use super::{check_code, check_name};
use crate::db::schema::departments;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::with_conn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub sort: i64,
}

/// A department in tree order with its depth (0 for a top-level one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    pub department: Department,
    pub depth: usize,
}

/// What `update_department` changes; `None` keeps a value. `parent: Some(None)` moves to the top.
#[derive(Debug, Clone, Default)]
pub struct DepartmentChanges {
    pub name: Option<String>,
    pub parent: Option<Option<String>>,
    pub sort: Option<i64>,
}

/// Every department, siblings in order.
pub fn list_departments(conn: &mut DbConn) -> EngineResult<Vec<Department>> {
    let all = with_conn!(conn, |c| departments::table
        .order((departments::sort.asc(), departments::code.asc()))
        .select(Department::as_select())
        .load(c))?;
    Ok(all)
}

pub fn find_department(conn: &mut DbConn, code: &str) -> EngineResult<Option<Department>> {
    let found = with_conn!(conn, |c| departments::table
        .find(code)
        .select(Department::as_select())
        .first(c)
        .optional())?;
    Ok(found)
}

/// The departments in pre-order (each parent before its children, siblings by `sort`, code).
pub fn department_tree(conn: &mut DbConn) -> EngineResult<Vec<TreeNode>> {
    Ok(tree_order(list_departments(conn)?))
}

/// Orders a flat list as a tree. Rows whose parent is missing are treated as top-level, and rows on
/// a cycle (which the engine never writes) are appended at depth 0 so that none is lost.
pub(crate) fn tree_order(mut all: Vec<Department>) -> Vec<TreeNode> {
    all.sort_by(|a, b| (a.sort, &a.code).cmp(&(b.sort, &b.code)));
    let codes: HashSet<&str> = all.iter().map(|d| d.code.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Department>> = HashMap::new();
    for d in &all {
        let parent = d.parent_code.as_deref().filter(|p| codes.contains(p));
        children.entry(parent).or_default().push(d);
    }
    let mut out = Vec::with_capacity(all.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(&Department, usize)> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|d| (*d, 0)).collect())
        .unwrap_or_default();
    while let Some((d, depth)) = stack.pop() {
        if !seen.insert(d.code.as_str()) {
            continue;
        }
        out.push(TreeNode {
            department: d.clone(),
            depth,
        });
        if let Some(kids) = children.get(&Some(d.code.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    for d in &all {
        if !seen.contains(d.code.as_str()) {
            out.push(TreeNode {
                department: d.clone(),
                depth: 0,
            });
        }
    }
    out
}

/// Whether making `new_parent` the parent of `code` would close a cycle: `new_parent` is `code`
/// itself or one of its descendants.
pub(crate) fn would_cycle(
    parents: &HashMap<String, Option<String>>,
    code: &str,
    new_parent: &str,
) -> bool {
    let mut at = Some(new_parent.to_owned());
    // Bounded by the number of departments, even if stored data already had a loop.
    for _ in 0..=parents.len() {
        match at {
            None => return false,
            Some(ref p) if p == code => return true,
            Some(p) => at = parents.get(&p).cloned().flatten(),
        }
    }
    true
}

/// `code` followed by every department below it (children, grandchildren, ...), each once.
pub fn with_descendants(all: &[Department], code: &str) -> Vec<String> {
    let mut out = vec![code.to_owned()];
    let mut seen: HashSet<String> = HashSet::from([code.to_owned()]);
    let mut i = 0;
    // Breadth first over the parent links; `seen` bounds it even if stored data had a loop.
    while i < out.len() {
        let parent = out[i].clone();
        for d in all {
            if d.parent_code.as_deref() == Some(parent.as_str()) && seen.insert(d.code.clone()) {
                out.push(d.code.clone());
            }
        }
        i += 1;
    }
    out
}

/// `codes` followed by all their ancestors, each once, in that order.
pub(crate) fn with_ancestors(all: &[Department], codes: &[String]) -> Vec<String> {
    let parents: HashMap<&str, Option<&str>> = all
        .iter()
        .map(|d| (d.code.as_str(), d.parent_code.as_deref()))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for c in codes {
        if seen.insert(c.clone()) {
            out.push(c.clone());
        }
    }
    for c in codes {
        let mut at = parents.get(c.as_str()).copied().flatten();
        let mut steps = 0;
        while let Some(p) = at {
            steps += 1;
            if steps > all.len() {
                break;
            }
            if seen.insert(p.to_owned()) {
                out.push(p.to_owned());
            }
            at = parents.get(p).copied().flatten();
        }
    }
    out
}

fn parent_map(conn: &mut DbConn) -> EngineResult<HashMap<String, Option<String>>> {
    Ok(list_departments(conn)?
        .into_iter()
        .map(|d| (d.code, d.parent_code))
        .collect())
}

fn no_such_department(key: &str) -> EngineError {
    UserError::invalid(key, "The department does not exist.").into()
}

/// Adds a department under `parent` (or at the top). A code in use is a validation error.
pub fn add_department(
    conn: &mut DbConn,
    code: &str,
    name: &str,
    parent: Option<&str>,
    sort: i64,
) -> EngineResult<Department> {
    check_code("code", code)?;
    check_name("name", name)?;
    if find_department(conn, code)?.is_some() {
        return Err(UserError::invalid("code", "This code is already used.").into());
    }
    if let Some(p) = parent {
        if find_department(conn, p)?.is_none() {
            return Err(no_such_department("parentCode"));
        }
    }
    let d = Department {
        code: code.to_owned(),
        name: name.trim().to_owned(),
        parent_code: parent.map(str::to_owned),
        sort,
    };
    with_conn!(conn, |c| diesel::insert_into(departments::table)
        .values((
            departments::code.eq(&d.code),
            departments::name.eq(&d.name),
            departments::parent_code.eq(&d.parent_code),
            departments::sort.eq(d.sort),
        ))
        .execute(c))?;
    Ok(d)
}

/// Renames, moves or reorders a department; returns it as it was before and after. Moving it under
/// itself or one of its descendants is refused.
pub fn update_department(
    conn: &mut DbConn,
    code: &str,
    changes: &DepartmentChanges,
) -> EngineResult<(Department, Department)> {
    let before = find_department(conn, code)?.ok_or_else(|| no_such_department("code"))?;
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        check_name("name", name)?;
        after.name = name.trim().to_owned();
    }
    if let Some(parent) = &changes.parent {
        if let Some(p) = parent {
            let parents = parent_map(conn)?;
            if !parents.contains_key(p) {
                return Err(no_such_department("parentCode"));
            }
            if would_cycle(&parents, code, p) {
                return Err(UserError::invalid(
                    "parentCode",
                    "A department cannot be moved under itself or one of its sub-departments.",
                )
                .into());
            }
        }
        after.parent_code = parent.clone();
    }
    if let Some(sort) = changes.sort {
        after.sort = sort;
    }
    with_conn!(conn, |c| diesel::update(departments::table.find(code))
        .set((
            departments::name.eq(&after.name),
            departments::parent_code.eq(&after.parent_code),
            departments::sort.eq(after.sort),
        ))
        .execute(c))?;
    Ok((before, after))
}

/// Deletes a department without sub-departments; its memberships go with it. Returns it.
pub fn delete_department(conn: &mut DbConn, code: &str) -> EngineResult<Department> {
    let d = find_department(conn, code)?.ok_or_else(|| no_such_department("code"))?;
    let children: i64 = with_conn!(conn, |c| departments::table
        .filter(departments::parent_code.eq(code))
        .count()
        .get_result(c))?;
    if children > 0 {
        return Err(UserError::invalid(
            "code",
            "Move or delete the sub-departments of this department first.",
        )
        .into());
    }
    super::members::remove_department_members(conn, code)?;
    with_conn!(conn, |c| diesel::delete(departments::table.find(code))
        .execute(c))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::super::testdb::{conn, TestResult};
    use super::*;

    fn dept(code: &str, parent: Option<&str>, sort: i64) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(Into::into),
            sort,
        }
    }

    #[test]
    fn cycles_are_detected() {
        let parents: HashMap<String, Option<String>> =
            [("a", None), ("b", Some("a")), ("c", Some("b")), ("x", None)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
                .collect();
        assert!(would_cycle(&parents, "a", "a"), "under itself");
        assert!(would_cycle(&parents, "a", "c"), "under a grandchild");
        assert!(would_cycle(&parents, "b", "c"), "under a child");
        assert!(!would_cycle(&parents, "c", "a"), "up the tree is fine");
        assert!(!would_cycle(&parents, "a", "x"), "under another root");
        // A loop already in the data ends the walk instead of spinning.
        let mut looped = parents.clone();
        looped.insert("x".into(), Some("y".into()));
        looped.insert("y".into(), Some("x".into()));
        assert!(would_cycle(&looped, "a", "x"));
    }

    #[test]
    fn tree_order_puts_parents_first_and_siblings_in_order() {
        let all = vec![
            dept("kikaku", Some("city"), 2),
            dept("jinji", Some("soumu"), 0),
            dept("soumu", Some("city"), 1),
            dept("city", None, 0),
            dept("orphan", Some("gone"), 0),
        ];
        let order: Vec<(String, usize)> = tree_order(all)
            .into_iter()
            .map(|n| (n.department.code, n.depth))
            .collect();
        assert_eq!(
            order,
            [
                ("city".to_owned(), 0),
                ("soumu".to_owned(), 1),
                ("jinji".to_owned(), 2),
                ("kikaku".to_owned(), 1),
                ("orphan".to_owned(), 0),
            ]
        );
    }

    #[test]
    fn moves_that_would_close_a_cycle_are_refused() -> TestResult {
        let (_dir, _db, mut c) = conn()?;
        add_department(&mut c, "city", "市", None, 0)?;
        add_department(&mut c, "soumu", "総務部", Some("city"), 0)?;
        add_department(&mut c, "jinji", "人事課", Some("soumu"), 0)?;
        let to = |p: &str| DepartmentChanges {
            parent: Some(Some(p.to_owned())),
            ..DepartmentChanges::default()
        };
        assert!(update_department(&mut c, "city", &to("jinji")).is_err());
        assert!(update_department(&mut c, "soumu", &to("soumu")).is_err());
        assert!(update_department(&mut c, "city", &to("nowhere")).is_err());
        let (_, moved) = update_department(&mut c, "jinji", &to("city"))?;
        assert_eq!(moved.parent_code.as_deref(), Some("city"));
        assert!(
            delete_department(&mut c, "city").is_err(),
            "has sub-departments"
        );
        delete_department(&mut c, "jinji")?;
        assert!(find_department(&mut c, "jinji")?.is_none());
        assert!(add_department(&mut c, "soumu", "again", None, 0).is_err());
        Ok(())
    }
}
