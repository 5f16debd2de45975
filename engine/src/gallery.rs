//! Issue 17 part 5, the local gallery: app packages (`kumiki-app/1`) that IT added from files, shown
//! beside the templates shipped in the binary (the platform's `gallery` module) to every user who may
//! create apps.
//!
//! Guarantees:
//! - only a signed-in administrator adds or removes a package (`Forbidden` for anyone else, API
//!   tokens included); every change is audited (`gallery.package.add`, `gallery.package.remove`);
//! - a package is stored only when `packages::definition_of` accepts it, so what the gallery offers
//!   always creates an app; a refused upload writes nothing;
//! - listing is open to every signed-in user who is not a guest (creating an app from a package is
//!   `packages::import_package`, which checks the right to create apps).

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Value};

use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};

/// Audit action names.
pub mod action {
    /// An administrator added a package to the local gallery.
    pub const PACKAGE_ADD: &str = "gallery.package.add";
    /// An administrator removed a package from the local gallery.
    pub const PACKAGE_REMOVE: &str = "gallery.package.remove";
}

/// Longest name of a local package, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Most packages in the local gallery.
pub const MAX_PACKAGES: i64 = 200;

/// One package of the local gallery.
#[derive(Debug, Clone)]
pub struct LocalPackage {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub package: Value,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    package: String,
    #[diesel(sql_type = Text)]
    created_by: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
}

impl Row {
    fn into_package(self) -> LocalPackage {
        LocalPackage {
            id: self.id,
            name: self.name,
            description: self.description,
            // Stored only after `definition_of` accepted it; unreadable text would be a fault of the
            // database, shown as an empty package that `definition_of` refuses with a clear message.
            package: serde_json::from_str(&self.package).unwrap_or(Value::Null),
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

const COLUMNS: &str = "id, name, description, package, created_by, created_at";

fn may_see(acting: &ActingContext) -> bool {
    matches!(
        acting.principal(),
        Principal::User { guest: false, .. } | Principal::System
    )
}

fn is_admin(acting: &ActingContext) -> bool {
    matches!(acting.principal(), Principal::User { is_admin: true, .. })
}

/// The local gallery, oldest first.
///
/// Errors: `Forbidden` for guests, API tokens and public-form visitors.
pub fn list(conn: &mut DbConn, acting: &ActingContext) -> EngineResult<Vec<LocalPackage>> {
    if !may_see(acting) {
        return Err(UserError::Forbidden.into());
    }
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT {COLUMNS} FROM gallery_packages ORDER BY id"
    ));
    let rows: Vec<Row> = conn.load(&b)?;
    Ok(rows.into_iter().map(Row::into_package).collect())
}

/// One package of the local gallery, `None` when there is no such id.
///
/// Errors: as [`list`].
pub fn find(
    conn: &mut DbConn,
    acting: &ActingContext,
    id: i64,
) -> EngineResult<Option<LocalPackage>> {
    if !may_see(acting) {
        return Err(UserError::Forbidden.into());
    }
    let mut b = conn.sql();
    b.push(&format!(
        "SELECT {COLUMNS} FROM gallery_packages WHERE id = "
    ))
    .bind_int(id);
    let rows: Vec<Row> = conn.load(&b)?;
    Ok(rows.into_iter().next().map(Row::into_package))
}

/// Adds `package` to the local gallery under `name` (the app's name when blank) with
/// `description` (the app's when blank). Returns the new id.
///
/// Errors: `Forbidden` unless the caller is a signed-in administrator; `Validation` on `package`
/// for what `packages::definition_of` refuses (with its message), on `name` or `description` when
/// too long, and when the gallery is full.
pub fn add(
    conn: &mut DbConn,
    acting: &ActingContext,
    name: &str,
    description: &str,
    package: &Value,
) -> EngineResult<i64> {
    if !is_admin(acting) {
        return Err(UserError::Forbidden.into());
    }
    let def = crate::packages::definition_of(package)?;
    let name = match name.trim() {
        "" => def.name.clone(),
        n => n.to_owned(),
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(UserError::invalid(
            "name",
            format!("Enter at most {MAX_NAME_CHARS} characters."),
        )
        .into());
    }
    let description = match description.trim() {
        "" => def.description.clone(),
        d => d.to_owned(),
    };
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(UserError::invalid(
            "description",
            format!("Enter at most {MAX_DESCRIPTION_CHARS} characters."),
        )
        .into());
    }
    let mut b = conn.sql();
    b.push("SELECT COUNT(*) AS n FROM gallery_packages");
    let count: Vec<crate::db::IntRow> = conn.load(&b)?;
    if count.first().map(|r| r.n).unwrap_or(0) >= MAX_PACKAGES {
        return Err(UserError::invalid(
            "package",
            format!("The local gallery holds at most {MAX_PACKAGES} packages."),
        )
        .into());
    }
    let text = serde_json::to_string(package)
        .map_err(|e| EngineError::Internal(format!("package to text: {e}")))?;
    let mut b = conn.sql();
    b.push("INSERT INTO gallery_packages (name, description, package, created_by, created_at) VALUES (")
        .bind_text(&name)
        .push(", ")
        .bind_text(&description)
        .push(", ")
        .bind_text(&text)
        .push(", ")
        .bind_text(acting.principal().acting_user())
        .push(", ")
        .bind_int(acting.now().timestamp())
        .push(") RETURNING id AS n");
    let ids: Vec<crate::db::IntRow> = conn.load(&b)?;
    let id = ids
        .first()
        .map(|r| r.n)
        .ok_or_else(|| EngineError::Internal("insert returned no id".into()))?;
    acting.audit(
        conn,
        action::PACKAGE_ADD,
        &format!("gallery:{id}"),
        json!({"name": name, "app": def.name, "fields": def.properties.len()}),
    )?;
    Ok(id)
}

/// Removes package `id` from the local gallery (apps made from it stay).
///
/// Errors: `Forbidden` unless the caller is a signed-in administrator; `Validation` on `id` when
/// there is no such package.
pub fn remove(conn: &mut DbConn, acting: &ActingContext, id: i64) -> EngineResult<()> {
    if !is_admin(acting) {
        return Err(UserError::Forbidden.into());
    }
    let Some(old) = find(conn, acting, id)? else {
        return Err(UserError::invalid("id", "The package does not exist.").into());
    };
    let mut b = conn.sql();
    b.push("DELETE FROM gallery_packages WHERE id = ")
        .bind_int(id);
    conn.execute(&b)?;
    acting.audit(
        conn,
        action::PACKAGE_REMOVE,
        &format!("gallery:{id}"),
        json!({"name": old.name}),
    )?;
    Ok(())
}
