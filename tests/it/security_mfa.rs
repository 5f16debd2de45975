//! Sign-in hardening (issue 12, "what a government reviewer will ask for"): TOTP at sign-in with
//! single-use codes and recovery codes, wrong codes counting towards the lockout, no password-only
//! API for TOTP users, the forced password change after an administrator set the password (pages
//! and the API from that session refuse until done), the password policy's Japanese messages, the
//! TOTP requirement setting, the administrator's TOTP reset (audited) and the sliding inactivity
//! timeout of sessions.

use base64::Engine as _;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use kumiki_engine::mfa;
use kumiki_tests::{cookie_value, page_client, TestApp, ADMIN_PASSWORD};
use serde_json::json;

/// Runs SQL on the test's database (the server's threads write too: wait for SQLite's lock).
fn sql(app: &TestApp, statement: &str) {
    let q = diesel::sql_query(statement);
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let mut c = SqliteConnection::establish(path).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 10000")
            .execute(&mut c)
            .unwrap();
        q.execute(&mut c).unwrap();
    } else {
        q.execute(&mut PgConnection::establish(&app.database_url).unwrap())
            .unwrap();
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The current 30-second step, waiting first when it ends within 5 seconds (so a test's codes for
/// step-1, step and step+1 all stay within the server's window while the test runs).
fn fresh_step() -> i64 {
    if now() % 30 >= 25 {
        std::thread::sleep(std::time::Duration::from_secs(6));
    }
    now() / 30
}

fn code(secret: &str, step: i64) -> String {
    let bytes = mfa::base32_decode(secret).unwrap();
    format!("{:06}", mfa::code_at(&bytes, step).unwrap())
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn location(resp: &reqwest::blocking::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A form post with a session cookie and the page's CSRF token: (status, Location, body).
fn post_form(
    app: &TestApp,
    session: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, html) = app.page(session, "/account/password");
    let csrf = hidden_csrf(&html);
    let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    all.extend_from_slice(fields);
    let resp = page_client()
        .post(app.url(path))
        .header("Cookie", session)
        .form(&all)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let loc = location(&resp);
    (status, loc, resp.text().unwrap())
}

/// The first step of the sign-in form: Ok(session) when no code is asked, Err(cookies) with the
/// cookies of the code step (login CSRF and the pending token) otherwise.
fn password_step(app: &TestApp, login: &str, password: &str) -> Result<String, (String, String)> {
    let c = page_client();
    let page = c.get(app.url("/login")).send().unwrap();
    let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
    let csrf = hidden_csrf(&page.text().unwrap());
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", &login_cookie)
        .form(&[
            ("login", login),
            ("password", password),
            ("_csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .unwrap();
    if let Some(session) = cookie_value(&resp, "__Host-kumiki_session") {
        return Ok(session);
    }
    let pending = cookie_value(&resp, "__Host-kumiki_mfa_pending").unwrap_or_default();
    let login_cookie = cookie_value(&resp, "__Host-kumiki_login_csrf").unwrap_or(login_cookie);
    let html = resp.text().unwrap();
    Err((format!("{login_cookie}; {pending}"), html))
}

/// The code step: Ok(session) or Err((cookies, html)) of the page asking again.
fn code_step(
    app: &TestApp,
    cookies: &str,
    html: &str,
    answer: &str,
) -> Result<String, (String, String)> {
    let csrf = hidden_csrf(html);
    let resp = page_client()
        .post(app.url("/login/code"))
        .header("Cookie", cookies)
        .form(&[("code", answer), ("_csrf", &csrf), ("next", "/")])
        .send()
        .unwrap();
    if let Some(s) = cookie_value(&resp, "__Host-kumiki_session") {
        return Ok(s);
    }
    // Each page sets a new form token; the pending token is renewed too.
    let mut jar: Vec<String> = cookies.split("; ").map(str::to_owned).collect();
    for name in ["__Host-kumiki_login_csrf", "__Host-kumiki_mfa_pending"] {
        if let Some(v) = cookie_value(&resp, name) {
            jar.retain(|c| !c.starts_with(&format!("{name}=")));
            jar.push(v);
        }
    }
    Err((jar.join("; "), resp.text().unwrap()))
}

/// Enrols `login` (signed in as `session`) confirming with the code of `step`; returns the secret
/// and the recovery codes shown.
fn enrol(app: &TestApp, session: &str, step: i64) -> (String, Vec<String>) {
    let (s, _, _) = post_form(app, session, "/account/totp/start", &[]);
    assert_eq!(s, 200);
    let (_, html) = app.page(session, "/account/security");
    assert!(
        html.contains("data:image/svg+xml;base64,"),
        "a local QR code"
    );
    let marker = "data-testid=\"totp-secret\">";
    let start = html.find(marker).unwrap() + marker.len();
    let secret: String = html[start..start + html[start..].find('<').unwrap()]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (s, _, html) = post_form(
        app,
        session,
        "/account/totp/confirm",
        &[("code", &code(&secret, step))],
    );
    assert_eq!(s, 200);
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|p| p[..p.find('<').unwrap()].to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes: {html}");
    (secret, codes)
}

fn api_status(app: &TestApp, session: &str, path: &str) -> u16 {
    page_client()
        .get(app.url(path))
        .header("Cookie", session)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn totp_sign_in_takes_each_code_once_and_each_recovery_code_once() {
    let app = TestApp::spawn();
    app.user("sato", "sato-password-1");
    let session = app.sign_in_form("sato", "sato-password-1");
    let step = fresh_step();
    let (secret, recovery) = enrol(&app, &session, step - 1);

    // The password alone no longer signs in: the code step comes, with no session.
    let (cookies, html) = password_step(&app, "sato", "sato-password-1").unwrap_err();
    assert!(html.contains("確認コード"), "{html}");
    // The code just used for enrolment is spent.
    let (cookies, html) = code_step(&app, &cookies, &html, &code(&secret, step - 1))
        .expect_err("the enrolment code worked again");
    assert!(html.contains("すでに使われています"), "{html}");
    let session2 = code_step(&app, &cookies, &html, &code(&secret, step)).unwrap();
    assert_eq!(app.page(&session2, "/").0, 200);
    // The same code again: refused.
    let (cookies, html) = password_step(&app, "sato", "sato-password-1").unwrap_err();
    assert!(code_step(&app, &cookies, &html, &code(&secret, step)).is_err());
    // A recovery code works once.
    let (cookies, html) = password_step(&app, "sato", "sato-password-1").unwrap_err();
    assert!(code_step(&app, &cookies, &html, &recovery[0].to_uppercase()).is_ok());
    let (cookies, html) = password_step(&app, "sato", "sato-password-1").unwrap_err();
    let (cookies, html) = code_step(&app, &cookies, &html, &recovery[0]).unwrap_err();
    assert!(code_step(&app, &cookies, &html, &recovery[1]).is_ok());
    // Without the pending cookie there is no code step.
    let (_, html) = password_step(&app, "sato", "sato-password-1").unwrap_err();
    assert!(code_step(&app, "", &html, &recovery[2]).is_err());

    // No password-only API for a TOTP user (kintone does the same): header and token exchange.
    let basic = base64::engine::general_purpose::STANDARD.encode("sato:sato-password-1");
    let resp = app
        .client
        .get(app.url("/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", basic)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let resp = app
        .client
        .post(app.url("/api/auth/token"))
        .json(&json!({"login": "sato", "password": "sato-password-1"}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Sessions still reach the API.
    assert_eq!(api_status(&app, &session2, "/k/v1/apps.json"), 200);

    // Disabling needs the password and a code.
    let (_, _, html) = post_form(
        &app,
        &session2,
        "/account/totp/disable",
        &[("password", "wrong-password"), ("code", &recovery[3])],
    );
    assert!(html.contains("パスワードが正しくありません"), "{html}");
    let (_, _, html) = post_form(
        &app,
        &session2,
        "/account/totp/disable",
        &[("password", "sato-password-1"), ("code", &recovery[4])],
    );
    assert!(html.contains("data-testid=\"totp-off\""), "{html}");
    assert!(password_step(&app, "sato", "sato-password-1").is_ok());
}

#[test]
fn wrong_codes_count_as_sign_in_failures_and_lock() {
    let app = TestApp::spawn();
    app.user("ito", "ito-password-1");
    let session = app.sign_in_form("ito", "ito-password-1");
    let step = fresh_step();
    let (secret, _) = enrol(&app, &session, step - 1);
    let (mut cookies, mut html) = password_step(&app, "ito", "ito-password-1").unwrap_err();
    for _ in 0..mfa_lockout() {
        (cookies, html) = code_step(&app, &cookies, &html, "000000").unwrap_err();
    }
    let (_, html) = code_step(&app, &cookies, &html, &code(&secret, step)).unwrap_err();
    assert!(html.contains("ロック"), "locked: {html}");
    // The password too is locked now.
    let (_, html) = password_step(&app, "ito", "ito-password-1").unwrap_err();
    assert!(html.contains("ロック"), "{html}");
    // Every wrong code is in the audit log.
    let (s, b) = app.get("/api/audit.json?action=auth.signIn");
    assert_eq!(s, 200, "{b}");
    let failures = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["method"] == "totp")
        .count();
    assert_eq!(failures as i64, mfa_lockout(), "{b}");
}

fn mfa_lockout() -> i64 {
    kumiki_engine::sessions::LOCKOUT_FAILURES
}

#[test]
fn a_password_set_by_an_administrator_must_be_changed_before_anything_else() {
    let app = TestApp::spawn();
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "suzuki", "name": "鈴木", "password": "initial-pass-1"}),
    );
    assert_eq!(s, 200, "{b}");
    let session = app.sign_in_form("suzuki", "initial-pass-1");
    let (s, _) = app.page(&session, "/");
    assert_eq!(s, 303);
    let resp = page_client()
        .get(app.url("/apps/1"))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert!(location(&resp).starts_with("/account/password"), "{resp:?}");
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 401);
    let (s, html) = app.page(&session, "/account/password");
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"forced-change\""));

    // The policy, in Japanese beside the field.
    let try_change = |current: &str, new: &str, confirm: &str| {
        post_form(
            &app,
            &session,
            "/account/password",
            &[("current", current), ("new", new), ("confirm", confirm)],
        )
    };
    let (_, _, html) = try_change("initial-pass-1", "short", "short");
    assert!(
        html.contains("パスワードは8文字以上にしてください。"),
        "{html}"
    );
    let long = "x".repeat(mfa::PASSWORD_MAX + 1);
    let (_, _, html) = try_change("initial-pass-1", &long, &long);
    assert!(html.contains("文字以下にしてください。"), "{html}");
    let (_, _, html) = try_change("initial-pass-1", "suzuki", "suzuki");
    assert!(html.contains("8文字以上"), "{html}");
    let (_, _, html) = try_change(
        "wrong-current",
        "a long new passphrase",
        "a long new passphrase",
    );
    assert!(
        html.contains("現在のパスワードが正しくありません。"),
        "{html}"
    );
    let (_, _, html) = try_change(
        "initial-pass-1",
        "a long new passphrase",
        "another one here",
    );
    assert!(
        html.contains("確認用のパスワードが一致しません。"),
        "{html}"
    );
    let (_, _, html) = try_change("initial-pass-1", "initial-pass-1", "initial-pass-1");
    assert!(html.contains("現在のパスワードとは違う"), "{html}");
    // 128 characters, spaces and no composition rules are fine.
    let good = "長い文章のパスワード ".repeat(12);
    let (s, loc, _) = try_change("initial-pass-1", &good, &good);
    assert_eq!((s, loc.as_str()), (303, "/"));
    // The change ended every session of the user, this one too (User::set_password); the
    // browser that made it was given a new one, which opens pages and the API at once.
    assert_ne!(app.page(&session, "/").0, 200);
    let session = password_step(&app, "suzuki", &good).expect("signed in with the new password");
    assert_eq!(app.page(&session, "/").0, 200);
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 200);
    assert!(password_step(&app, "suzuki", &good).is_ok());

    // A login name as password is refused.
    let (s, _) = app.post(
        "/api/org/users.json",
        json!({"code": "takahashi-long", "password": "initial-pass-2"}),
    );
    assert_eq!(s, 200);
    let t = app.sign_in_form("takahashi-long", "initial-pass-2");
    let (_, _, html) = post_form(
        &app,
        &t,
        "/account/password",
        &[
            ("current", "initial-pass-2"),
            ("new", "Takahashi-Long"),
            ("confirm", "Takahashi-Long"),
        ],
    );
    assert!(
        html.contains("ログイン名と同じパスワードは使えません。"),
        "{html}"
    );

    // An administrator's reset sets the obligation again.
    let (s, b) = app.put(
        "/api/org/users.json",
        json!({"code": "suzuki", "password": "reset-by-admin-1"}),
    );
    assert_eq!(s, 200, "{b}");
    let session = app.sign_in_form("suzuki", "reset-by-admin-1");
    assert_eq!(app.page(&session, "/").0, 303);
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 401);
}

#[test]
fn sessions_end_after_the_inactivity_timeout_and_activity_moves_it_on() {
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    assert_eq!(app.page(&session, "/").0, 200);
    // 29 minutes idle (default timeout 30): still alive, and the request moves the timeout on.
    sql(
        &app,
        &format!("UPDATE sessions SET last_seen_at = {}", now() - 29 * 60),
    );
    assert_eq!(app.page(&session, "/").0, 200);
    // Two more minutes pass: alive only because that request moved the timeout on.
    sql(
        &app,
        "UPDATE sessions SET last_seen_at = last_seen_at - 120",
    );
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 200);
    // 31 minutes idle: gone, for pages and the API.
    sql(
        &app,
        &format!("UPDATE sessions SET last_seen_at = {}", now() - 31 * 60),
    );
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 401);
    let (s, _) = app.page(&session, "/");
    assert_eq!(s, 303);

    // The administrator sets 5 minutes; 6 idle minutes end a session. Bad input is explained.
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, _, html) = post_form(
        &app,
        &session,
        "/admin/security",
        &[("totp_required", "nobody"), ("idle_minutes", "0")],
    );
    assert_eq!(s, 200);
    assert!(
        html.contains("1から720までの分数を入力してください。"),
        "{html}"
    );
    let (s, loc, _) = post_form(
        &app,
        &session,
        "/admin/security",
        &[("totp_required", "nobody"), ("idle_minutes", "5")],
    );
    assert_eq!((s, loc.as_str()), (303, "/admin/security?saved=1"));
    sql(
        &app,
        &format!("UPDATE sessions SET last_seen_at = {}", now() - 6 * 60),
    );
    assert_eq!(app.page(&session, "/").0, 303);
    let (_, b) = app.get("/api/audit.json?action=security.settings.update");
    assert_eq!(b["entries"][0]["detail"]["idleMinutes"]["new"], 5, "{b}");
}

#[test]
fn required_totp_comes_first_and_an_administrator_can_reset_it() {
    let app = TestApp::spawn();
    app.user("kato", "kato-password-1");
    let session = app.sign_in_form("kato", "kato-password-1");
    let step = fresh_step();
    enrol(&app, &session, step - 1);
    assert!(password_step(&app, "kato", "kato-password-1").is_err());

    // Lost phone: the administrator resets kato's TOTP; audited.
    let admin = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (_, html) = app.page(&admin, "/admin/security");
    assert!(html.contains("data-testid=\"reset-totp-kato\""), "{html}");
    let (s, loc, _) = post_form(
        &app,
        &admin,
        "/admin/security/reset-totp",
        &[("code", "kato")],
    );
    assert_eq!((s, loc.as_str()), (303, "/admin/security?reset=kato"));
    let (s, b) = app.get("/api/audit.json?action=user.mfa&target=user:kato");
    assert_eq!(s, 200, "{b}");
    let changes: Vec<&str> = b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"]["change"].as_str())
        .collect();
    assert_eq!(changes, ["adminReset", "enable"], "{b}");
    let session = password_step(&app, "kato", "kato-password-1").unwrap();

    // TOTP required for everyone: enrolment comes before any page or the API.
    let (s, _, _) = post_form(
        &app,
        &admin,
        "/admin/security",
        &[("totp_required", "everyone"), ("idle_minutes", "30")],
    );
    assert_eq!(s, 303);
    assert_eq!(app.page(&admin, "/").0, 303, "the administrator too");
    let resp = page_client()
        .get(app.url("/"))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert!(location(&resp).starts_with("/account/security"));
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 401);
    let (_, html) = app.page(&session, "/account/security");
    assert!(html.contains("data-testid=\"totp-required\""));
    let step = fresh_step();
    enrol(&app, &session, step - 1);
    assert_eq!(app.page(&session, "/").0, 200);
    assert_eq!(api_status(&app, &session, "/k/v1/apps.json"), 200);

    // Someone who is not an administrator cannot reset anyone's TOTP.
    let (s, _, _) = post_form(
        &app,
        &session,
        "/admin/security/reset-totp",
        &[("code", "kato")],
    );
    assert_eq!(s, 404);
    assert!(password_step(&app, "kato", "kato-password-1").is_err());
}
