//! Sign-in hardening: a TOTP second factor (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one
//! step of drift either way) with ten single-use recovery codes, the password policy, a user's own
//! password change, the forced change after an administrator set a password, and the server-wide
//! security settings (who must use TOTP, the inactivity timeout of sessions).
//!
//! Guarantees: a TOTP code is accepted at most once (the last accepted step is stored and an update
//! only succeeds for a later step, so two concurrent sign-ins with one code cannot both pass); a
//! recovery code is accepted at most once (marked used by a conditional update); recovery codes are
//! stored only as SHA-256 hashes (they carry 50 random bits, so a slow hash adds nothing). What a
//! user must do before anything else is [`obligation`]; sessions check it on every request.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::acting::ActingContext;
use crate::audit::action;
use crate::db::schema::{user_recovery_codes, users};
use crate::db::DbConn;
use crate::error::{EngineError, EngineResult, Message, UserError};
use crate::users::User;
use crate::{server_settings, with_conn};

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Recovery codes handed out at enrolment and at each regeneration.
pub const RECOVERY_CODES: usize = 10;
/// The shortest password accepted (ASVS 6.2.1).
pub const PASSWORD_MIN: usize = 8;
/// The longest password accepted (ASVS 6.2.9 asks at least 64; argon2 bounds the cost of long ones).
pub const PASSWORD_MAX: usize = 256;

// ---- TOTP ----

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (what authenticator apps expect in `otpauth://` URIs).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32 (case-insensitive, spaces and padding ignored); None on a foreign character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let up = c.to_ascii_uppercase();
        let v = BASE32.iter().position(|&b| char::from(b) == up)?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A new random 160-bit secret (RFC 4226 recommends 160 bits), base32.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

/// The 6-digit code of `step` (RFC 4226 dynamic truncation over HMAC-SHA-1).
pub fn code_at(secret: &[u8], step: i64) -> Option<u32> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let slice: [u8; 4] = digest.get(offset..offset + 4)?.try_into().ok()?;
    Some((u32::from_be_bytes(slice) & 0x7fff_ffff) % 1_000_000)
}

/// The step of `code` within one step of `now` (oldest first), if it matches.
pub fn matching_step(secret_b32: &str, code: &str, now: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let secret = base32_decode(secret_b32)?;
    let current = now.div_euclid(STEP_SECONDS);
    // Compare every candidate, so the time taken does not say which step matched.
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        if code_at(&secret, step) == Some(wanted) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, login: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(login),
        enc(issuer)
    )
}

// ---- state of a user ----

/// A user's second-factor and password state.
#[derive(Debug, Clone, Default)]
pub struct MfaState {
    pub totp_enabled: bool,
    /// The secret while enrolling (not yet confirmed) or after; shown only while enrolling.
    pub secret: Option<String>,
    pub last_step: i64,
    pub must_change_password: bool,
    /// Unused recovery codes left.
    pub recovery_left: i64,
}

/// The state of `user` (defaults for an unknown user).
pub fn state(conn: &mut DbConn, user: &str) -> EngineResult<MfaState> {
    let row: Option<(Option<String>, bool, i64, bool)> = with_conn!(conn, |c| users::table
        .filter(users::code.eq(user))
        .select((
            users::totp_secret,
            users::totp_enabled,
            users::totp_last_step,
            users::must_change_password
        ))
        .first(c)
        .optional())?;
    let Some((secret, totp_enabled, last_step, must_change_password)) = row else {
        return Ok(MfaState::default());
    };
    let recovery_left: i64 = with_conn!(conn, |c| user_recovery_codes::table
        .filter(
            user_recovery_codes::user_code
                .eq(user)
                .and(user_recovery_codes::used_at.is_null())
        )
        .count()
        .get_result(c))?;
    Ok(MfaState {
        totp_enabled,
        secret,
        last_step,
        must_change_password,
        recovery_left,
    })
}

/// What a signed-in user must do before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obligation {
    None,
    /// An administrator set the password: the user chooses a new one.
    ChangePassword,
    /// The server requires TOTP of this user and they have not enrolled.
    EnrolTotp,
}

/// The obligation of `user` now (password change first, then enrolment).
pub fn obligation(conn: &mut DbConn, user: &User) -> EngineResult<Obligation> {
    let s = settings(conn)?;
    obligation_with(conn, user, &s)
}

/// [`obligation`] with the settings already read.
pub fn obligation_with(
    conn: &mut DbConn,
    user: &User,
    settings: &SecuritySettings,
) -> EngineResult<Obligation> {
    let st = state(conn, &user.code)?;
    if st.must_change_password {
        return Ok(Obligation::ChangePassword);
    }
    if !st.totp_enabled && settings.totp_required_for(user.is_admin) {
        return Ok(Obligation::EnrolTotp);
    }
    Ok(Obligation::None)
}

/// Whether the user may authenticate with a password alone on the API (`X-Cybozu-Authorization`,
/// `/api/auth/token`): not once TOTP is on, as in kintone; such users use API tokens or sessions.
pub fn password_only_allowed(conn: &mut DbConn, user: &str) -> EngineResult<bool> {
    Ok(!state(conn, user)?.totp_enabled)
}

// ---- use cases ----

/// Whether the acting principal is a signed-in administrator (not a token, not the system).
fn is_admin(ctx: &ActingContext) -> bool {
    matches!(
        ctx.principal(),
        crate::acl::Principal::User { is_admin: true, .. }
    )
}

fn audit_mfa(ctx: &ActingContext, conn: &mut DbConn, user: &str, change: &str) -> EngineResult<()> {
    ctx.audit(
        conn,
        action::USER_MFA,
        &format!("user:{user}"),
        serde_json::json!({ "change": change }),
    )
}

/// Starts (or restarts) enrolment of the acting user: a new secret, not yet in force. Refused while
/// TOTP is on (disable first), so a stolen session cannot silently replace the second factor.
pub fn start_enrolment(ctx: &ActingContext, conn: &mut DbConn) -> EngineResult<String> {
    let user = ctx.user_code().to_owned();
    if state(conn, &user)?.totp_enabled {
        return Err(UserError::invalid(
            "code",
            Message::keyed("mfa.err.already", "Two-step verification is already on."),
        )
        .into());
    }
    let secret = new_secret();
    with_conn!(conn, |c| diesel::update(
        users::table.filter(users::code.eq(&user))
    )
    .set((
        users::totp_secret.eq(Some(&secret)),
        users::totp_last_step.eq(0),
    ))
    .execute(c))?;
    Ok(secret)
}

fn bad_code() -> EngineError {
    UserError::invalid(
        "code",
        Message::keyed("mfa.err.code", "The code is not correct."),
    )
    .into()
}

/// Takes a TOTP step: succeeds only for a step later than the last accepted one (single use, and
/// safe against two concurrent uses of one code).
fn take_step(conn: &mut DbConn, user: &str, step: i64) -> EngineResult<bool> {
    let n = with_conn!(conn, |c| diesel::update(
        users::table.filter(users::code.eq(user).and(users::totp_last_step.lt(step)))
    )
    .set(users::totp_last_step.eq(step))
    .execute(c))?;
    Ok(n == 1)
}

/// Confirms enrolment with a code from the app: TOTP is on and ten recovery codes are returned
/// (shown once; only their hashes are kept).
pub fn confirm_enrolment(
    ctx: &ActingContext,
    conn: &mut DbConn,
    code: &str,
) -> EngineResult<Vec<String>> {
    let user = ctx.user_code().to_owned();
    let st = state(conn, &user)?;
    let secret = st
        .secret
        .filter(|_| !st.totp_enabled)
        .ok_or_else(bad_code)?;
    let step = matching_step(&secret, code, ctx.now().timestamp()).ok_or_else(bad_code)?;
    if !take_step(conn, &user, step)? {
        return Err(bad_code());
    }
    with_conn!(conn, |c| diesel::update(
        users::table.filter(users::code.eq(&user))
    )
    .set(users::totp_enabled.eq(true))
    .execute(c))?;
    let codes = replace_recovery_codes(conn, &user)?;
    audit_mfa(ctx, conn, &user, "enable")?;
    Ok(codes)
}

fn hash_recovery(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut h = Sha256::new();
    h.update(b"kumiki-recovery:");
    h.update(normal.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn replace_recovery_codes(conn: &mut DbConn, user: &str) -> EngineResult<Vec<String>> {
    use rand::Rng;
    // No 0/o, 1/l/i: codes are typed from paper.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    with_conn!(conn, |c| diesel::delete(
        user_recovery_codes::table.filter(user_recovery_codes::user_code.eq(user))
    )
    .execute(c))?;
    let mut rng = rand::rngs::OsRng;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = (0..10)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        let code = format!("{}-{}", &raw[..5], &raw[5..]);
        let hash = hash_recovery(&code);
        with_conn!(conn, |c| diesel::insert_into(user_recovery_codes::table)
            .values((
                user_recovery_codes::user_code.eq(user),
                user_recovery_codes::code_hash.eq(&hash),
            ))
            .execute(c))?;
        codes.push(code);
    }
    Ok(codes)
}

/// Checks a second-factor answer of `user` at sign-in: a TOTP code (once) or a recovery code (once).
/// False for a wrong, reused or expired code; the caller counts it as a sign-in failure.
pub fn verify_second_factor(
    conn: &mut DbConn,
    user: &str,
    answer: &str,
    now: i64,
) -> EngineResult<bool> {
    let st = state(conn, user)?;
    if !st.totp_enabled {
        return Ok(false);
    }
    let answer = answer.trim();
    if answer.len() == 6 && answer.bytes().all(|b| b.is_ascii_digit()) {
        let Some(secret) = st.secret else {
            return Ok(false);
        };
        return match matching_step(&secret, answer, now) {
            Some(step) => take_step(conn, user, step),
            None => Ok(false),
        };
    }
    let hash = hash_recovery(answer);
    let used = with_conn!(conn, |c| diesel::update(
        user_recovery_codes::table.filter(
            user_recovery_codes::user_code
                .eq(user)
                .and(user_recovery_codes::code_hash.eq(&hash))
                .and(user_recovery_codes::used_at.is_null())
        )
    )
    .set(user_recovery_codes::used_at.eq(Some(now)))
    .execute(c))?;
    Ok(used == 1)
}

fn clear_totp(conn: &mut DbConn, user: &str) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::update(
        users::table.filter(users::code.eq(user))
    )
    .set((
        users::totp_enabled.eq(false),
        users::totp_secret.eq(None::<String>),
        // The next secret is new: its codes cannot replay the old one's.
        users::totp_last_step.eq(0),
    ))
    .execute(c))?;
    with_conn!(conn, |c| diesel::delete(
        user_recovery_codes::table.filter(user_recovery_codes::user_code.eq(user))
    )
    .execute(c))?;
    Ok(())
}

fn wrong_password() -> EngineError {
    UserError::invalid(
        "password",
        Message::keyed("mfa.err.password", "The password is not correct."),
    )
    .into()
}

/// Turns TOTP off for the acting user; needs the password and a current code (or a recovery code).
pub fn disable(
    ctx: &ActingContext,
    conn: &mut DbConn,
    password: &str,
    code: &str,
) -> EngineResult<()> {
    let user = ctx.user_code().to_owned();
    let found = User::find_by_code(conn, &user)?.ok_or_else(wrong_password)?;
    if !found.verify_password(password) {
        return Err(wrong_password());
    }
    if !verify_second_factor(conn, &user, code, ctx.now().timestamp())? {
        return Err(bad_code());
    }
    clear_totp(conn, &user)?;
    audit_mfa(ctx, conn, &user, "disable")
}

/// New recovery codes for the acting user (the old ones stop working); needs a current code.
pub fn regenerate_recovery_codes(
    ctx: &ActingContext,
    conn: &mut DbConn,
    code: &str,
) -> EngineResult<Vec<String>> {
    let user = ctx.user_code().to_owned();
    if !verify_second_factor(conn, &user, code, ctx.now().timestamp())? {
        return Err(bad_code());
    }
    let codes = replace_recovery_codes(conn, &user)?;
    audit_mfa(ctx, conn, &user, "recoveryCodes")?;
    Ok(codes)
}

/// An administrator turns TOTP off for `user` (a lost phone); audited. The user enrols again, at the
/// next sign-in when the server requires it.
pub fn admin_reset(ctx: &ActingContext, conn: &mut DbConn, user: &str) -> EngineResult<()> {
    if !is_admin(ctx) {
        return Err(UserError::Forbidden.into());
    }
    if User::find_by_code(conn, user)?.is_none() {
        return Err(UserError::invalid("code", "No such user.").into());
    }
    clear_totp(conn, user)?;
    audit_mfa(ctx, conn, user, "adminReset")
}

// ---- passwords ----

/// Checks a new password against the policy (ASVS 6.2: length only, no composition rules).
pub fn check_password_policy(login: &str, password: &str) -> Result<(), Message> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(Message::keyed(
            "password.err.short",
            format!("The password must be at least {PASSWORD_MIN} characters."),
        )
        .arg("min", PASSWORD_MIN.to_string()));
    }
    if n > PASSWORD_MAX {
        return Err(Message::keyed(
            "password.err.long",
            format!("The password must be at most {PASSWORD_MAX} characters."),
        )
        .arg("max", PASSWORD_MAX.to_string()));
    }
    if password.trim().eq_ignore_ascii_case(login.trim()) {
        return Err(Message::keyed(
            "password.err.login",
            "The password must not be the login name.",
        ));
    }
    Ok(())
}

/// The acting user changes their own password: the current one is required and the new one must
/// meet the policy and differ from the current one. Clears a forced change.
pub fn change_own_password(
    ctx: &ActingContext,
    conn: &mut DbConn,
    current: &str,
    new: &str,
) -> EngineResult<()> {
    let user = ctx.user_code().to_owned();
    let found = User::find_by_code(conn, &user)?
        .ok_or_else(|| UserError::invalid("current", "No such user."))?;
    if !found.verify_password(current) {
        return Err(UserError::invalid(
            "current",
            Message::keyed(
                "password.err.current",
                "The current password is not correct.",
            ),
        )
        .into());
    }
    check_password_policy(&user, new).map_err(|m| UserError::invalid("new", m))?;
    if new == current {
        return Err(UserError::invalid(
            "new",
            Message::keyed(
                "password.err.same",
                "Choose a password different from the current one.",
            ),
        )
        .into());
    }
    // The credential-revoking password change of the auth work replaces this call (issue 12).
    User::set_password(conn, &user, new)?;
    set_must_change(conn, &user, false)?;
    ctx.audit(
        conn,
        action::USER_PASSWORD,
        &format!("user:{user}"),
        serde_json::json!({ "self": true }),
    )
}

/// Marks that `user` must choose a new password at the next sign-in (after an administrator set it).
pub fn set_must_change(conn: &mut DbConn, user: &str, must: bool) -> EngineResult<()> {
    with_conn!(conn, |c| diesel::update(
        users::table.filter(users::code.eq(user))
    )
    .set(users::must_change_password.eq(must))
    .execute(c))?;
    Ok(())
}

// ---- server settings ----

/// Who must sign in with TOTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpRequired {
    Nobody,
    Administrators,
    Everyone,
}

impl TotpRequired {
    pub fn as_str(self) -> &'static str {
        match self {
            TotpRequired::Nobody => "nobody",
            TotpRequired::Administrators => "admins",
            TotpRequired::Everyone => "everyone",
        }
    }

    pub fn parse(s: &str) -> Option<TotpRequired> {
        match s {
            "nobody" => Some(TotpRequired::Nobody),
            "admins" => Some(TotpRequired::Administrators),
            "everyone" => Some(TotpRequired::Everyone),
            _ => None,
        }
    }
}

/// Server-wide sign-in settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecuritySettings {
    pub totp_required: TotpRequired,
    /// Minutes without a request after which a session ends.
    pub idle_minutes: i64,
}

/// The default inactivity timeout (ASVS 7.3.1 leaves the number to the risk; 30 minutes is common).
pub const DEFAULT_IDLE_MINUTES: i64 = 30;
/// The longest inactivity timeout accepted: the session's absolute lifetime (12 hours).
pub const MAX_IDLE_MINUTES: i64 = 12 * 60;

const KEY_TOTP: &str = "security.totp_required";
const KEY_IDLE: &str = "security.idle_minutes";

impl SecuritySettings {
    pub fn totp_required_for(&self, is_admin: bool) -> bool {
        match self.totp_required {
            TotpRequired::Nobody => false,
            TotpRequired::Administrators => is_admin,
            TotpRequired::Everyone => true,
        }
    }
}

/// The stored settings, defaults where unset.
pub fn settings(conn: &mut DbConn) -> EngineResult<SecuritySettings> {
    let totp_required = server_settings::get(conn, KEY_TOTP)?
        .and_then(|v| TotpRequired::parse(&v))
        .unwrap_or(TotpRequired::Nobody);
    let idle_minutes = server_settings::get(conn, KEY_IDLE)?
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|m| (1..=MAX_IDLE_MINUTES).contains(m))
        .unwrap_or(DEFAULT_IDLE_MINUTES);
    Ok(SecuritySettings {
        totp_required,
        idle_minutes,
    })
}

/// An administrator changes the settings; audited.
pub fn save_settings(
    ctx: &ActingContext,
    conn: &mut DbConn,
    new: SecuritySettings,
) -> EngineResult<()> {
    if !is_admin(ctx) {
        return Err(UserError::Forbidden.into());
    }
    if !(1..=MAX_IDLE_MINUTES).contains(&new.idle_minutes) {
        return Err(UserError::invalid(
            "idleMinutes",
            Message::keyed(
                "security.err.idle",
                format!("Enter minutes from 1 to {MAX_IDLE_MINUTES}."),
            )
            .arg("max", MAX_IDLE_MINUTES.to_string()),
        )
        .into());
    }
    let old = settings(conn)?;
    server_settings::set(conn, KEY_TOTP, new.totp_required.as_str())?;
    server_settings::set(conn, KEY_IDLE, &new.idle_minutes.to_string())?;
    ctx.audit(
        conn,
        action::SECURITY_SETTINGS_UPDATE,
        "server",
        serde_json::json!({
            "totpRequired": {"old": old.totp_required.as_str(), "new": new.totp_required.as_str()},
            "idleMinutes": {"old": old.idle_minutes, "new": new.idle_minutes},
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vectors() -> Result<(), String> {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", last 6 digits.
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(code_at(secret, t / STEP_SECONDS), Some(want), "t={t}");
        }
        let b32 = base32_encode(secret);
        assert_eq!(base32_decode(&b32).as_deref(), Some(&secret[..]));
        assert_eq!(matching_step(&b32, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(&b32, "287082", 59 + 90), None);
        Ok(())
    }

    #[test]
    fn policy() {
        assert!(check_password_policy("sato", "short").is_err());
        assert!(check_password_policy("satosato", "SatoSato").is_err());
        assert!(check_password_policy("sato", &"x".repeat(257)).is_err());
        assert!(check_password_policy("sato", "correct horse").is_ok());
    }
}
