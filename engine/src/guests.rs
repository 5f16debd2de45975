//! Guest users (kintone's ゲストユーザー): external people who sign in with their e-mail address and
//! reach only the guest spaces they are members of (docs/guests.md, rules G1..G9).
//!
//! What this module guarantees:
//! - Only system administrators add and delete guests (kintone's `guests.json` requires the kintone
//!   administrator). A guest's login name is an e-mail address; its password meets the server's
//!   password policy (`mfa::check_password_policy`); a guest is never an administrator.
//! - A whole call is checked before anything is written: one bad entry refuses all of them.
//! - Deleting a guest removes it from every space and ends its sessions. Users are never deleted in
//!   Kumiki (their codes stay meaningful in records and the audit log), so a deleted guest is an
//!   inactive user row with `is_guest`; adding the same address again brings it back with the new
//!   password and profile.
//! - The guest members of a guest space are set by that space's administrators only, through the
//!   space's own guest path (`space/guests.json`); host members are left as they are.

use diesel::prelude::*;
use serde::Serialize;

use crate::acl::Principal;
use crate::acting::ActingContext;
use crate::db::schema::{guest_profiles, space_members, spaces, users};
use crate::db::DbConn;
use crate::error::{EngineResult, FieldErrors, Message, UserError};
use crate::spaces::{Membership, Space, SpaceMember, USER};
use crate::users::User;
use crate::with_conn;

/// Audit actions of this module.
pub mod action {
    pub const GUEST_ADD: &str = "guest.add";
    pub const GUEST_DELETE: &str = "guest.delete";
    pub const SPACE_GUESTS_UPDATE: &str = "space.guests.update";
}

/// At most this many guests per call (kintone's limit for `guests.json`).
pub const MAX_GUESTS_PER_CALL: usize = 100;

/// One guest of a `guests.json` POST, as kintone's clients send it.
#[derive(Debug, Clone, Default)]
pub struct NewGuest {
    /// The e-mail address, the guest's login name.
    pub code: String,
    pub password: String,
    pub timezone: String,
    /// `auto` (default), `ja`, `en` or `zh`.
    pub locale: Option<String>,
    pub image: Option<String>,
    pub name: String,
    pub sur_name: String,
    pub given_name: String,
    pub sur_name_reading: String,
    pub given_name_reading: String,
    pub company: String,
    pub division: String,
    pub phone: String,
    pub call_to: String,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = guest_profiles)]
struct ProfileRow<'a> {
    code: &'a str,
    sur_name: &'a str,
    given_name: &'a str,
    sur_name_reading: &'a str,
    given_name_reading: &'a str,
    company: &'a str,
    division: &'a str,
    phone: &'a str,
    call_to: &'a str,
    locale: &'a str,
    image: &'a str,
    created_by: &'a str,
    created_at: i64,
}

/// A guest as the administrators' list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GuestSummary {
    pub code: String,
    pub name: String,
    pub company: String,
    pub division: String,
    pub active: bool,
    /// The guest spaces the guest is a member of: (id, name).
    pub spaces: Vec<(i64, String)>,
}

/// Whether `code` is an e-mail address as a login name: one `@`, a local part, a domain with a dot,
/// no spaces or control characters, at most 128 characters (the login name limit).
pub fn is_email(code: &str) -> bool {
    let Some((local, domain)) = code.split_once('@') else {
        return false;
    };
    code.chars().count() <= 128
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && code.chars().all(|c| c.is_ascii_graphic())
}

fn require_system_admin(ctx: &ActingContext) -> EngineResult<()> {
    match ctx.principal() {
        Principal::System => Ok(()),
        Principal::User {
            is_admin: true,
            guest: false,
            ..
        } => Ok(()),
        _ => Err(UserError::Forbidden.into()),
    }
}

fn push(errors: &mut FieldErrors, key: String, message: impl Into<Message>) {
    errors.entry(key).or_default().push(message.into());
}

fn check_len(errors: &mut FieldErrors, key: String, value: &str, max: usize) {
    if value.chars().count() > max {
        push(errors, key, format!("Enter no more than {max} characters."));
    }
}

/// Checks every guest of a call; the errors are keyed `guests[<i>].<member>` as kintone does.
fn check_new_guests(conn: &mut DbConn, guests: &[NewGuest]) -> EngineResult<FieldErrors> {
    let mut errors = FieldErrors::new();
    if guests.is_empty() {
        push(&mut errors, "guests".into(), "Required field.");
    }
    if guests.len() > MAX_GUESTS_PER_CALL {
        push(
            &mut errors,
            "guests".into(),
            format!("Specify no more than {MAX_GUESTS_PER_CALL} guests."),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for (i, g) in guests.iter().enumerate() {
        let key = |m: &str| format!("guests[{i}].{m}");
        if !is_email(&g.code) {
            push(
                &mut errors,
                key("code"),
                "Specify an e-mail address as the login name of a guest.",
            );
        } else if !seen.insert(g.code.to_ascii_lowercase()) {
            push(
                &mut errors,
                key("code"),
                "The same guest is specified more than once.",
            );
        } else if let Some(existing) = User::find_by_code(conn, &g.code)? {
            // A deleted guest (inactive) may be added again; anyone else is a duplicate.
            if !existing.is_guest || existing.is_active {
                push(&mut errors, key("code"), "This login name is already used.");
            }
        }
        if let Err(m) = crate::mfa::check_password_policy(&g.code, &g.password) {
            push(&mut errors, key("password"), m);
        }
        if g.timezone.parse::<chrono_tz::Tz>().is_err() {
            push(
                &mut errors,
                key("timezone"),
                "Specify a time zone such as Asia/Tokyo.",
            );
        }
        if let Some(l) = &g.locale {
            if !matches!(l.as_str(), "auto" | "ja" | "en" | "zh") {
                push(&mut errors, key("locale"), "Specify auto, ja, en or zh.");
            }
        }
        let name_len = g.name.trim().chars().count();
        if name_len == 0 || name_len > 128 {
            push(
                &mut errors,
                key("name"),
                "A name of 1 to 128 characters is required.",
            );
        }
        check_len(&mut errors, key("surNameReading"), &g.sur_name_reading, 64);
        check_len(
            &mut errors,
            key("givenNameReading"),
            &g.given_name_reading,
            64,
        );
        check_len(&mut errors, key("surName"), &g.sur_name, 64);
        check_len(&mut errors, key("givenName"), &g.given_name, 64);
        check_len(&mut errors, key("company"), &g.company, 100);
        check_len(&mut errors, key("division"), &g.division, 100);
        check_len(&mut errors, key("phone"), &g.phone, 100);
        check_len(&mut errors, key("callto"), &g.call_to, 256);
        if let Some(image) = &g.image {
            check_len(&mut errors, key("image"), image, 256);
        }
    }
    Ok(errors)
}

/// kintone's `POST guests.json`: creates the guest users (system administrators only). All or
/// nothing: any bad entry refuses the whole call with `guests[<i>].<member>` errors.
pub fn add_guests(ctx: &ActingContext, conn: &mut DbConn, guests: &[NewGuest]) -> EngineResult<()> {
    require_system_admin(ctx)?;
    let errors = check_new_guests(conn, guests)?;
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    let now = ctx.now().timestamp();
    for g in guests {
        let name = g.name.trim();
        let existing = User::find_by_code(conn, &g.code)?;
        if existing.is_some() {
            User::update(conn, &g.code, Some(name), Some(false))?;
            User::set_password(conn, &g.code, &g.password)?;
            User::set_active(conn, &g.code, true)?;
        } else {
            User::create(conn, &g.code, name, &g.password, false)?;
        }
        User::set_guest(conn, &g.code, true)?;
        let locale = g.locale.as_deref().unwrap_or("auto");
        // Pages speak ja or en; `auto` and `zh` read Japanese until the guest chooses.
        let page_locale = if locale == "en" { "en" } else { "ja" };
        User::set_preferences(conn, &g.code, page_locale, &g.timezone)?;
        // The guest chose nothing yet, but the administrator knows this password.
        crate::mfa::set_must_change(conn, &g.code, false)?;
        let row = ProfileRow {
            code: &g.code,
            sur_name: &g.sur_name,
            given_name: &g.given_name,
            sur_name_reading: &g.sur_name_reading,
            given_name_reading: &g.given_name_reading,
            company: &g.company,
            division: &g.division,
            phone: &g.phone,
            call_to: &g.call_to,
            locale,
            image: g.image.as_deref().unwrap_or_default(),
            created_by: ctx.user_code(),
            created_at: now,
        };
        with_conn!(conn, |c| diesel::delete(
            guest_profiles::table.filter(guest_profiles::code.eq(&g.code))
        )
        .execute(c))?;
        with_conn!(conn, |c| diesel::insert_into(guest_profiles::table)
            .values(&row)
            .execute(c))?;
        ctx.audit(
            conn,
            action::GUEST_ADD,
            &format!("user:{}", g.code),
            serde_json::json!({"name": name, "company": g.company}),
        )?;
    }
    Ok(())
}

/// kintone's `DELETE guests.json`: removes the guests (system administrators only): they leave
/// every space, their sessions and tokens end, and they can no longer sign in. Every code must be a
/// guest (a host user is never deleted this way); all or nothing.
pub fn delete_guests(ctx: &ActingContext, conn: &mut DbConn, codes: &[String]) -> EngineResult<()> {
    require_system_admin(ctx)?;
    let mut errors = FieldErrors::new();
    if codes.is_empty() {
        push(&mut errors, "guests".into(), "Required field.");
    }
    if codes.len() > MAX_GUESTS_PER_CALL {
        push(
            &mut errors,
            "guests".into(),
            format!("Specify no more than {MAX_GUESTS_PER_CALL} guests."),
        );
    }
    for (i, code) in codes.iter().enumerate() {
        match User::find_by_code(conn, code)? {
            Some(u) if u.is_guest && u.is_active => {}
            _ => push(
                &mut errors,
                format!("guests[{i}]"),
                "The specified guest user does not exist.",
            ),
        }
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    for code in codes {
        with_conn!(conn, |c| diesel::delete(
            space_members::table
                .filter(space_members::entity_type.eq(USER))
                .filter(space_members::code.eq(code))
        )
        .execute(c))?;
        with_conn!(conn, |c| diesel::delete(
            guest_profiles::table.filter(guest_profiles::code.eq(code))
        )
        .execute(c))?;
        User::set_active(conn, code, false)?;
        ctx.audit(
            conn,
            action::GUEST_DELETE,
            &format!("user:{code}"),
            serde_json::json!({}),
        )?;
    }
    Ok(())
}

/// kintone's `PUT space/guests.json` (through `/k/guest/<id>/v1/` only): sets the guest members of
/// guest space `space` to `codes`, leaving its host members alone. The space's administrators only;
/// every code must be a guest user. The path rule is `ActingContext::enter_space`'s: the normal
/// path is `GAIA_IL23`, another space's path `CB_NO02`.
pub fn set_space_guests(
    ctx: &ActingContext,
    conn: &mut DbConn,
    space: i64,
    codes: &[String],
) -> EngineResult<()> {
    let found = ctx.enter_space(conn, space)?;
    if !found.is_guest {
        return Err(UserError::invalid("id", "The specified space is not a guest space.").into());
    }
    if ctx.space_membership(conn, space)? != Membership::Admin {
        return Err(UserError::Forbidden.into());
    }
    let mut errors = FieldErrors::new();
    let mut wanted: Vec<&String> = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match User::find_by_code(conn, code)? {
            Some(u) if u.is_guest && u.is_active => {
                if !wanted.contains(&code) {
                    wanted.push(code);
                }
            }
            _ => push(
                &mut errors,
                format!("guests[{i}]"),
                "The specified guest user does not exist.",
            ),
        }
    }
    if !errors.is_empty() {
        return Err(UserError::Validation(errors).into());
    }
    let guest_codes: Vec<String> = with_conn!(conn, |c| users::table
        .filter(users::is_guest.eq(true))
        .select(users::code)
        .load(c))?;
    with_conn!(conn, |c| diesel::delete(
        space_members::table
            .filter(space_members::space_id.eq(space))
            .filter(space_members::entity_type.eq(USER))
            .filter(space_members::code.eq_any(&guest_codes))
    )
    .execute(c))?;
    let rows: Vec<SpaceMember> = wanted
        .iter()
        .map(|code| SpaceMember {
            space_id: space,
            entity_type: USER.into(),
            code: (*code).clone(),
            is_admin: false,
            include_subs: false,
        })
        .collect();
    // One row at a time: diesel's SQLite batch insert opens its own transaction, and this runs
    // inside the call's.
    for row in &rows {
        with_conn!(conn, |c| diesel::insert_into(space_members::table)
            .values(row)
            .execute(c))?;
    }
    ctx.audit(
        conn,
        action::SPACE_GUESTS_UPDATE,
        &format!("space:{space}"),
        serde_json::json!({"guests": wanted}),
    )?;
    Ok(())
}

/// The guest spaces `principal` is a member of, by id (the guest portal's list).
pub fn guest_spaces_of(conn: &mut DbConn, principal: &Principal) -> EngineResult<Vec<Space>> {
    let ids: Vec<i64> = with_conn!(conn, |c| spaces::table
        .filter(spaces::is_guest.eq(true))
        .order(spaces::id.asc())
        .select(spaces::id)
        .load(c))?;
    let mut out = Vec::new();
    for id in ids {
        if crate::spaces::membership(conn, principal, id)? != Membership::None {
            if let Some(space) = Space::find(conn, id)? {
                out.push(space);
            }
        }
    }
    Ok(out)
}

/// Every guest user with profile and guest spaces, by code (system administrators only).
pub fn list_guests(ctx: &ActingContext, conn: &mut DbConn) -> EngineResult<Vec<GuestSummary>> {
    require_system_admin(ctx)?;
    let mut out = Vec::new();
    for u in User::list(conn)?.into_iter().filter(|u| u.is_guest) {
        let profile: Option<(String, String)> = with_conn!(conn, |c| guest_profiles::table
            .find(&u.code)
            .select((guest_profiles::company, guest_profiles::division))
            .first(c)
            .optional())?;
        let (company, division) = profile.unwrap_or_default();
        let member_of: Vec<i64> = with_conn!(conn, |c| space_members::table
            .filter(space_members::entity_type.eq(USER))
            .filter(space_members::code.eq(&u.code))
            .select(space_members::space_id)
            .load(c))?;
        let mut spaces_of = Vec::new();
        for id in member_of {
            if let Some(s) = Space::find(conn, id)? {
                if s.is_guest {
                    spaces_of.push((s.id, s.name));
                }
            }
        }
        spaces_of.sort();
        out.push(GuestSummary {
            code: u.code,
            name: u.name,
            company,
            division,
            active: u.is_active,
            spaces: spaces_of,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::is_email;

    #[test]
    fn e_mail_codes() {
        assert!(is_email("yamada@example.com"));
        assert!(is_email("a.b+c@sub.example.co.jp"));
        assert!(!is_email("yamada"));
        assert!(!is_email("yamada@localhost"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("a@@example.com"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@example..com"));
        assert!(!is_email(&format!("{}@example.com", "x".repeat(130))));
    }
}
