//! Users: accounts that sign in, with argon2id password hashes. Departments and groups are in `org`;
//! every record keeps user *codes* (login names), so later changes do not touch data. Users are never
//! deleted, only disabled (`is_active`), so their codes stay meaningful in records and the audit log.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, UserError};
use crate::with_conn;

/// The login name of the administrator account created on first start. API-token writes are
/// attributed to this user, as kintone does.
pub const ADMINISTRATOR: &str = "Administrator";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub code: String,
    pub name: String,
    #[diesel(column_name = password_hash)]
    password_hash: String,
    pub is_admin: bool,
    pub locale: String,
    pub timezone: String,
    pub created_at: i64,
    /// False once disabled: the user cannot sign in or use tokens, but their code stays in data.
    pub is_active: bool,
    /// Bumped whenever the user's credentials must all stop working ([`User::revoke_credentials`]):
    /// bearer JWTs carry the epoch they were issued under, cached password checks remember it.
    pub credentials_epoch: i64,
    /// A guest user (kintone's guests.json): an external person who reaches only the guest spaces
    /// they are a member of.
    pub is_guest: bool,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    code: &'a str,
    name: &'a str,
    password_hash: &'a str,
    is_admin: bool,
    locale: &'a str,
    timezone: &'a str,
    created_at: i64,
}

/// The stored hash of a user who has no password yet: not a PHC string, so no password verifies
/// (as `!` in /etc/shadow).
pub const NO_PASSWORD: &str = "!";

/// A login name of 1 to 128 characters.
fn check_code(code: &str) -> EngineResult<()> {
    if code.trim().is_empty() || code.chars().count() > 128 {
        return Err(
            UserError::invalid("code", "A login name of 1 to 128 characters is required.").into(),
        );
    }
    Ok(())
}

/// A login name no user has yet.
fn check_code_free(conn: &mut DbConn, code: &str) -> EngineResult<()> {
    if User::find_by_code(conn, code)?.is_some() {
        return Err(UserError::invalid("code", "This login name is already used.").into());
    }
    Ok(())
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> EngineResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Internal(format!("password hashing: {e}")))
}

impl User {
    /// Whether `password` matches. Deliberately slow (argon2id); callers cache successful checks.
    /// A user without a password ([`NO_PASSWORD`]) matches nothing, in the time a wrong password
    /// takes, so the answer's timing does not tell such an account apart.
    pub fn verify_password(&self, password: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(&self.password_hash) else {
            burn_password_check(password);
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }

    pub fn find_by_code(conn: &mut DbConn, code: &str) -> EngineResult<Option<User>> {
        let found = with_conn!(conn, |c| users::table
            .filter(users::code.eq(code))
            .select(User::as_select())
            .first(c)
            .optional())?;
        Ok(found)
    }

    /// Marks `code` as a guest user (or not). Guests reach only the guest spaces they are members of.
    pub fn set_guest(conn: &mut DbConn, code: &str, guest: bool) -> EngineResult<()> {
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::code.eq(code))
        )
        .set(users::is_guest.eq(guest))
        .execute(c))?;
        Ok(())
    }

    /// All users, by code.
    pub fn list(conn: &mut DbConn) -> EngineResult<Vec<User>> {
        let all = with_conn!(conn, |c| users::table
            .order(users::code.asc())
            .select(User::as_select())
            .load(c))?;
        Ok(all)
    }

    /// Creates a user. A code that exists already is a validation error.
    pub fn create(
        conn: &mut DbConn,
        code: &str,
        name: &str,
        password: &str,
        is_admin: bool,
    ) -> EngineResult<User> {
        check_code(code)?;
        if password.chars().count() < 8 {
            return Err(UserError::invalid(
                "password",
                "The password must be at least 8 characters.",
            )
            .into());
        }
        check_code_free(conn, code)?;
        let hash = hash_password(password)?;
        User::insert(conn, code, name, &hash, is_admin)
    }

    /// Creates a user who cannot sign in until an administrator sets a password
    /// ([`User::set_password`]): no password verifies (the stored hash is [`NO_PASSWORD`]). For
    /// accounts made on someone's behalf, such as the example survey's 51 contacts: a random
    /// password nobody is told would cost an Argon2 hash each and still be a secret to keep.
    pub fn create_without_password(
        conn: &mut DbConn,
        code: &str,
        name: &str,
        is_admin: bool,
    ) -> EngineResult<User> {
        check_code(code)?;
        check_code_free(conn, code)?;
        User::insert(conn, code, name, NO_PASSWORD, is_admin)
    }

    fn insert(
        conn: &mut DbConn,
        code: &str,
        name: &str,
        hash: &str,
        is_admin: bool,
    ) -> EngineResult<User> {
        let new = NewUser {
            code,
            name: if name.is_empty() { code } else { name },
            password_hash: hash,
            is_admin,
            locale: "ja",
            timezone: "Asia/Tokyo",
            created_at: chrono::Utc::now().timestamp(),
        };
        with_conn!(conn, |c| diesel::insert_into(users::table)
            .values(&new)
            .execute(c))?;
        User::find_by_code(conn, code)?
            .ok_or_else(|| EngineError::Internal("user vanished after insert".into()))
    }

    /// Sets the user's language (`ja` or `en`) and time zone (an IANA name).
    pub fn set_preferences(
        conn: &mut DbConn,
        code: &str,
        locale: &str,
        timezone: &str,
    ) -> EngineResult<()> {
        if !matches!(locale, "ja" | "en") {
            return Err(UserError::invalid("locale", "Choose ja or en.").into());
        }
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(UserError::invalid("timezone", "Choose a time zone from the list.").into());
        }
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::code.eq(code))
        )
        .set((users::locale.eq(locale), users::timezone.eq(timezone)))
        .execute(c))?;
        Ok(())
    }

    /// Changes the display name and the administrator flag (`None` keeps a value).
    pub fn update(
        conn: &mut DbConn,
        code: &str,
        name: Option<&str>,
        is_admin: Option<bool>,
    ) -> EngineResult<()> {
        if let Some(name) = name {
            if name.trim().is_empty() || name.chars().count() > 128 {
                return Err(UserError::invalid(
                    "name",
                    "A name of 1 to 128 characters is required.",
                )
                .into());
            }
            with_conn!(conn, |c| diesel::update(
                users::table.filter(users::code.eq(code))
            )
            .set(users::name.eq(name.trim()))
            .execute(c))?;
        }
        if let Some(is_admin) = is_admin {
            with_conn!(conn, |c| diesel::update(
                users::table.filter(users::code.eq(code))
            )
            .set(users::is_admin.eq(is_admin))
            .execute(c))?;
        }
        Ok(())
    }

    /// Enables or disables sign-in. Disabling revokes every credential of the user
    /// ([`User::revoke_credentials`]) and deletes their per-user API tokens, so re-enabling the user
    /// brings none of them back: they sign in again and an administrator issues new tokens.
    pub fn set_active(conn: &mut DbConn, code: &str, active: bool) -> EngineResult<()> {
        use crate::db::schema::user_tokens;
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::code.eq(code))
        )
        .set(users::is_active.eq(active))
        .execute(c))?;
        if !active {
            User::revoke_credentials(conn, code)?;
            with_conn!(conn, |c| diesel::delete(
                user_tokens::table.filter(user_tokens::user_code.eq(code))
            )
            .execute(c))?;
        }
        Ok(())
    }

    /// Sets a new password and revokes every credential issued before it
    /// ([`User::revoke_credentials`]): browser sessions, bearer JWTs and cached password checks.
    /// This is the one function for a password change — by an administrator (API, page, CLI) and by
    /// the user themselves — so the rule cannot be forgotten on one path. Per-user API tokens are
    /// kept (an administrator issued them for a program, not for the person's password).
    pub fn set_password(conn: &mut DbConn, code: &str, password: &str) -> EngineResult<()> {
        let hash = hash_password(password)?;
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::code.eq(code))
        )
        .set(users::password_hash.eq(&hash))
        .execute(c))?;
        User::revoke_credentials(conn, code)
    }

    /// Signs the user out everywhere: bumps their credentials epoch (every bearer JWT issued before
    /// stops working and cached password checks are forgotten, on every node) and deletes their
    /// browser sessions. Called by [`User::set_password`], [`User::set_active`] (disable) and the
    /// administrator's "sign out everywhere".
    pub fn revoke_credentials(conn: &mut DbConn, code: &str) -> EngineResult<()> {
        use crate::db::schema::sessions;
        with_conn!(conn, |c| diesel::update(
            users::table.filter(users::code.eq(code))
        )
        .set(users::credentials_epoch.eq(users::credentials_epoch + 1))
        .execute(c))?;
        with_conn!(conn, |c| diesel::delete(
            sessions::table.filter(sessions::user_code.eq(code))
        )
        .execute(c))?;
        Ok(())
    }
}

/// Runs one argon2id verification against a fixed hash, for unknown logins: the answer takes as long
/// as for a real user with a wrong password.
/// Whether `code` is a guest user; an unknown code is not (it has no rights anyway).
pub fn is_guest(conn: &mut DbConn, code: &str) -> EngineResult<bool> {
    let found: Option<bool> = with_conn!(conn, |c| users::table
        .filter(users::code.eq(code))
        .select(users::is_guest)
        .first(c)
        .optional())?;
    Ok(found.unwrap_or(false))
}

/// The display names of `codes` (one statement); a code without a user is left out.
pub fn display_names(
    conn: &mut DbConn,
    codes: &[String],
) -> EngineResult<std::collections::HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(String, String)> = with_conn!(conn, |c| users::table
        .filter(users::code.eq_any(codes))
        .select((users::code, users::name))
        .load(c))?;
    Ok(rows.into_iter().collect())
}

pub fn burn_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("kumiki-timing-dummy").ok());
    if let Some(parsed) = hash.as_deref().and_then(|h| PasswordHash::new(h).ok()) {
        let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
    }
}

/// Creates the `Administrator` account unless it exists. Returns the generated password when none was
/// given, so the caller can print it once.
pub fn ensure_administrator(
    conn: &mut DbConn,
    password: Option<&str>,
) -> EngineResult<Option<String>> {
    if User::find_by_code(conn, ADMINISTRATOR)?.is_some() {
        return Ok(None);
    }
    let generated = match password {
        Some(p) => {
            User::create(conn, ADMINISTRATOR, ADMINISTRATOR, p, true)?;
            None
        }
        None => {
            let p = random_password();
            User::create(conn, ADMINISTRATOR, ADMINISTRATOR, &p, true)?;
            Some(p)
        }
    };
    Ok(generated)
}

/// A random 20-character password from an unambiguous alphabet.
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
