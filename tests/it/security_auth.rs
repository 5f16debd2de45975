//! Issue 12, authentication, credentials and the audit log (docs/security/auth.md): the API lockout
//! and per-address limit (#5, plan T3), credentials that end with a password change, disable, logout
//! or "sign out everywhere" (#11), bounded, masked and chained audit rows, refusal rows and record-view
//! rows (#15), the signing key file and hashed app tokens (#16), per-token IP allowlists, the JWT
//! rejection suite (plan T1) and the argon2id parameters (plan T4). Brute-force clients bind to other
//! loopback addresses (127.0.0.2, ...) so the administrator's own calls from 127.0.0.1 stay usable.

use std::net::IpAddr;

use base64::Engine as _;
use kumiki_engine::audit::{self, AuditEntry, AuditFilter};
use kumiki_tests::{Auth, TestApp, ADMIN_PASSWORD};
use reqwest::blocking::Client;
use serde_json::{json, Value};

fn from(ip: &str) -> Client {
    Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn v4(app: &TestApp, path: &str) -> String {
    format!("http://127.0.0.1:{}{}", app.port, path)
}

fn x_auth(login: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
}

/// `GET /k/v1/apps.json` with a password header from `client`: status, Retry-After, body.
fn with_password(
    app: &TestApp,
    client: &Client,
    login: &str,
    password: &str,
) -> (u16, Option<String>, Value) {
    let r = client
        .get(v4(app, "/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", x_auth(login, password))
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("Retry-After")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, r.json().unwrap_or(Value::Null))
}

fn token_call(app: &TestApp, client: &Client, login: &str, password: &str) -> (u16, Value) {
    let r = client
        .post(v4(app, "/api/auth/token"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

fn without_id(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("id");
    }
    v
}

fn audit_rows(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    audit::list(&mut db.conn().unwrap(), &filter, 10_000, 0).unwrap()
}

fn signing_key(app: &TestApp) -> String {
    std::fs::read_to_string(app.data_dir.path().join("jwt.key"))
        .unwrap()
        .trim()
        .to_owned()
}

fn bearer(app: &TestApp, login: &str, password: &str) -> String {
    let (s, b) = token_call(app, &app.client, login, password);
    assert_eq!(s, 200, "{b}");
    b["token"].as_str().unwrap().to_owned()
}

/// Signs in through the form; the status (303 on success, 200 with an error otherwise).
fn form_sign_in(app: &TestApp, login: &str, password: &str) -> u16 {
    let c = kumiki_tests::page_client();
    let page = c.get(app.url("/login")).send().unwrap();
    let cookie = kumiki_tests::cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
    let html = page.text().unwrap();
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let r = c
        .post(app.url("/login"))
        .header("Cookie", cookie)
        .form(&[("login", login), ("password", password), ("_csrf", csrf)])
        .send()
        .unwrap();
    r.status().as_u16()
}

// ---- #5, T3: one lockout for every password path, a per-address limit ----

#[test]
fn the_api_shares_the_sign_in_lockout() {
    let app = TestApp::spawn();
    app.user("sato", "right-password-1");
    let c = from("127.0.0.2");
    for _ in 0..5 {
        let (s, _, b) = with_password(&app, &c, "sato", "wrong-password");
        assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    }
    // Locked: the right password is refused on every path, with a kintone-style 429.
    let (s, retry, b) = with_password(&app, &c, "sato", "right-password-1");
    assert_eq!((s, b["code"].as_str()), (429, Some("CB_TM01")), "{b}");
    assert!(retry.unwrap().parse::<i64>().unwrap() > 0);
    assert!(b["message"].is_string() && b["id"].is_string());
    let (s, b) = token_call(&app, &c, "sato", "right-password-1");
    assert_eq!((s, b["code"].as_str()), (429, Some("CB_TM01")));
    // The login is locked from another address too.
    let (s, _, _) = with_password(&app, &from("127.0.0.3"), "sato", "right-password-1");
    assert_eq!(s, 429);
    // And on the sign-in form (200 with the locked message instead of the 303 of a sign-in).
    assert_eq!(form_sign_in(&app, "sato", "right-password-1"), 200);
    // Wrong attempts were audited, under the user's code.
    let rows = audit_rows(&app, "auth.signIn");
    assert!(rows
        .iter()
        .any(|r| r.actor == "sato" && r.outcome == "failure"));
}

#[test]
fn an_account_locked_on_the_form_cannot_use_the_api() {
    let app = TestApp::spawn();
    app.user("ito", "right-password-1");
    // Five failed form sign-ins (the form answers 200 with an error).
    for _ in 0..5 {
        assert_eq!(form_sign_in(&app, "ito", "nope-nope"), 200);
    }
    let (s, _, _) = with_password(&app, &from("127.0.0.4"), "ito", "right-password-1");
    assert_eq!(s, 429);
    let (s, _) = token_call(&app, &from("127.0.0.4"), "ito", "right-password-1");
    assert_eq!(s, 429);
}

#[test]
fn unknown_logins_and_wrong_passwords_answer_alike() {
    let app = TestApp::spawn();
    app.user("kato", "right-password-1");
    let c = from("127.0.0.5");
    let t0 = std::time::Instant::now();
    let (s1, _, wrong) = with_password(&app, &c, "kato", "wrong-password");
    let t_wrong = t0.elapsed();
    let t0 = std::time::Instant::now();
    let (s2, _, unknown) = with_password(&app, &c, "no-such-user", "wrong-password");
    let t_unknown = t0.elapsed();
    assert_eq!((s1, without_id(wrong)), (s2, without_id(unknown)));
    let (s1, wrong) = token_call(&app, &c, "kato", "wrong-password");
    let (s2, unknown) = token_call(&app, &c, "no-such-user-2", "wrong-password");
    assert_eq!((s1, without_id(wrong)), (s2, without_id(unknown)));
    // Both run argon2id: neither answer is an order of magnitude faster.
    let (fast, slow) = if t_wrong < t_unknown {
        (t_wrong, t_unknown)
    } else {
        (t_unknown, t_wrong)
    };
    assert!(
        slow < fast * 10 + std::time::Duration::from_millis(200),
        "{t_wrong:?} vs {t_unknown:?}"
    );
}

#[test]
fn brute_force_from_several_accounts_and_addresses_is_limited() {
    let app = TestApp::spawn();
    for u in ["u1", "u2", "u3", "u4", "u5"] {
        app.user(u, "right-password-1");
    }
    // Four guesses on each of five accounts from one address: no login lock, but 20 failures lock
    // the address (per-address limit) for every account.
    let attacker = from("127.0.0.6");
    for u in ["u1", "u2", "u3", "u4", "u5"] {
        for _ in 0..4 {
            let (s, _, _) = with_password(&app, &attacker, u, "guess-guess");
            assert_eq!(s, 401);
        }
    }
    let (s, retry, b) = with_password(&app, &attacker, "u1", "right-password-1");
    assert_eq!((s, b["code"].as_str()), (429, Some("CB_TM01")));
    assert!(retry.is_some());
    let (s, _) = token_call(&app, &attacker, "u2", "right-password-1");
    assert_eq!(s, 429);
    // Another address still works: no account was locked (4 failures each).
    let (s, _, _) = with_password(&app, &from("127.0.0.7"), "u1", "right-password-1");
    assert_eq!(s, 200);
    // A second address adds the fifth failure of u3, which locks that account everywhere.
    let (s, _, _) = with_password(&app, &from("127.0.0.8"), "u3", "guess-guess");
    assert_eq!(s, 401, "the fifth failure of u3");
    let (s, _, _) = with_password(&app, &from("127.0.0.9"), "u3", "right-password-1");
    assert_eq!(
        s, 429,
        "u3 is locked after five failures from two addresses"
    );
}

// ---- #11: credentials end with a password change, disable, logout, sign out everywhere ----

#[test]
fn a_password_change_ends_earlier_credentials_at_once() {
    let app = TestApp::spawn();
    app.user("mori", "old-password-1");
    let old = Auth::Password("mori".into(), "old-password-1".into());
    assert_eq!(app.with_auth(old.clone()).get("/k/v1/apps.json").0, 200);
    let jwt = bearer(&app, "mori", "old-password-1");
    let cookie = app.sign_in_form("mori", "old-password-1");
    assert_eq!(app.page(&cookie, "/").0, 200);
    let (s, b) = app.put(
        "/api/org/users.json",
        json!({"code": "mori", "password": "new-password-2"}),
    );
    assert_eq!(s, 200, "{b}");
    // The old password fails at once (no 60 s cache), the JWT and the session cookie too.
    let (s, b) = app.with_auth(old).get("/k/v1/apps.json");
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    let (s, b) = app.with_auth(Auth::Bearer(jwt)).get("/k/v1/apps.json");
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")));
    assert_eq!(app.page(&cookie, "/").0, 303, "the session ended");
    let new = Auth::Password("mori".into(), "new-password-2".into());
    assert_eq!(app.with_auth(new).get("/k/v1/apps.json").0, 200);
    assert!(!audit_rows(&app, "auth.token").is_empty());
}

#[test]
fn a_jwt_from_before_a_disable_stays_dead_after_re_enable() {
    let app = TestApp::spawn();
    app.user("abe", "password-abe-1");
    let jwt = bearer(&app, "abe", "password-abe-1");
    assert_eq!(
        app.with_auth(Auth::Bearer(jwt.clone()))
            .get("/k/v1/apps.json")
            .0,
        200
    );
    assert_eq!(
        app.post("/api/org/users/disable.json", json!({"code": "abe"}))
            .0,
        200
    );
    assert_eq!(
        app.post("/api/org/users/enable.json", json!({"code": "abe"}))
            .0,
        200
    );
    let (s, _) = app.with_auth(Auth::Bearer(jwt)).get("/k/v1/apps.json");
    assert_eq!(s, 401);
    let fresh = bearer(&app, "abe", "password-abe-1");
    assert_eq!(
        app.with_auth(Auth::Bearer(fresh)).get("/k/v1/apps.json").0,
        200
    );
}

#[test]
fn bearer_tokens_are_revocable_and_admins_sign_users_out_everywhere() {
    let app = TestApp::spawn();
    app.user("ueda", "password-ueda-1");
    let a = bearer(&app, "ueda", "password-ueda-1");
    let b = bearer(&app, "ueda", "password-ueda-1");
    let r = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("Authorization", format!("Bearer {a}"))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(app.with_auth(Auth::Bearer(a)).get("/k/v1/apps.json").0, 401);
    assert_eq!(
        app.with_auth(Auth::Bearer(b.clone()))
            .get("/k/v1/apps.json")
            .0,
        200,
        "only the token that signed out"
    );
    let cookie = app.sign_in_form("ueda", "password-ueda-1");
    let (s, body) = app.post("/api/org/users/signout.json", json!({"code": "ueda"}));
    assert_eq!(s, 200, "{body}");
    assert_eq!(app.with_auth(Auth::Bearer(b)).get("/k/v1/apps.json").0, 401);
    assert_eq!(app.page(&cookie, "/").0, 303);
    assert_eq!(audit_rows(&app, "user.signOutEverywhere").len(), 1);
    assert_eq!(audit_rows(&app, "auth.signOut").len(), 1);
    // Only administrators may.
    let (s, _) = app
        .with_auth(Auth::Password("ueda".into(), "password-ueda-1".into()))
        .post(
            "/api/org/users/signout.json",
            json!({"code": "Administrator"}),
        );
    assert_eq!(s, 403);
}

// ---- T1: the JWT rejection suite ----

#[test]
fn forged_stale_and_foreign_jwts_are_refused_alike_and_audited() {
    let app = TestApp::spawn();
    app.user("jwt-user", "password-jwt-1");
    let key = signing_key(&app);
    let now = chrono_now();
    let sign = |claims: Value, key: &[u8], alg: jsonwebtoken::Algorithm| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .unwrap()
    };
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let good = json!({"sub": "jwt-user", "iat": now, "exp": now + 600, "iss": "kumiki",
                      "aud": "kumiki-api", "jti": "t1-good", "epc": 0});
    let hs = jsonwebtoken::Algorithm::HS256;
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let before_logout = bearer(&app, "jwt-user", "password-jwt-1");
    app.client
        .post(app.url("/api/auth/logout"))
        .header("Authorization", format!("Bearer {before_logout}"))
        .send()
        .unwrap();
    let before_change = bearer(&app, "jwt-user", "password-jwt-1");
    let (s, _) = app.put(
        "/api/org/users.json",
        json!({"code": "jwt-user", "password": "password-jwt-2"}),
    );
    assert_eq!(s, 200);
    let real = bearer(&app, "jwt-user", "password-jwt-2");
    let mut tampered = real.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let session_cookie = app.sign_in_form("jwt-user", "password-jwt-2");
    let session_jwt = session_cookie.split_once('=').unwrap().1.to_owned();
    let forged = [
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good)
            ),
        ),
        ("wrong key", sign(good.clone(), b"not-the-server-key", hs)),
        (
            "HS512",
            sign(good.clone(), key.as_bytes(), jsonwebtoken::Algorithm::HS512),
        ),
        (
            "expired",
            sign(with("exp", json!(now - 61)), key.as_bytes(), hs),
        ),
        (
            "just expired",
            sign(with("exp", json!(now - 1)), key.as_bytes(), hs),
        ),
        (
            "string exp",
            sign(with("exp", json!("99999999999")), key.as_bytes(), hs),
        ),
        (
            "future nbf",
            sign(with("nbf", json!(now + 3600)), key.as_bytes(), hs),
        ),
        (
            "string nbf",
            sign(with("nbf", json!("0")), key.as_bytes(), hs),
        ),
        (
            "wrong purpose",
            sign(with("aud", json!("kumiki-session")), key.as_bytes(), hs),
        ),
        ("session cookie", session_jwt),
        ("old epoch", sign(good.clone(), key.as_bytes(), hs)),
        ("before logout", before_logout),
        ("before password change", before_change),
        ("tampered", tampered),
        (
            "unsigned",
            real.split('.').take(2).collect::<Vec<_>>().join("."),
        ),
        ("empty", String::new()),
    ];
    let before = audit_rows(&app, "auth.token").len();
    let mut bodies = Vec::new();
    for (name, token) in &forged {
        let c = from(&format!("127.0.1.{}", bodies.len() + 1));
        let r = c
            .get(v4(&app, "/k/v1/apps.json"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .unwrap();
        let s = r.status().as_u16();
        let b: Value = r.json().unwrap();
        assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")), "{name}");
        bodies.push(without_id(b));
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "one generic body");
    // Each rejection left an audit row (the empty header is no bearer at all).
    let rows = audit_rows(&app, "auth.token").len() - before;
    assert!(
        rows >= forged.len() - 1,
        "{rows} rows for {} tokens",
        forged.len()
    );
    assert_eq!(
        app.with_auth(Auth::Bearer(real)).get("/k/v1/apps.json").0,
        200
    );
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn jsonwebtoken_is_recent_and_insecure_decode_is_banned() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let marker = "name = \"jsonwebtoken\"\nversion = \"";
    let at = lock.find(marker).unwrap() + marker.len();
    let version: Vec<u64> = lock[at..at + lock[at..].find('"').unwrap()]
        .split('.')
        .map(|p| p.parse().unwrap())
        .collect();
    assert!(
        version >= vec![10, 3, 0],
        "jsonwebtoken {version:?} < 10.3.0 (CVE-2026-25537)"
    );
    let clippy = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    assert!(clippy.contains("jsonwebtoken::dangerous::insecure_decode"));
}

// ---- T4: argon2id ----

#[test]
fn argon2id_parameters_and_a_long_japanese_passphrase() {
    let app = TestApp::spawn();
    let phrase: String = "日本語の長い合言葉".chars().cycle().take(128).collect();
    assert_eq!(phrase.chars().count(), 128);
    let (s, b) = app.post(
        "/api/org/users.json",
        json!({"code": "nagai", "name": "長井", "password": phrase}),
    );
    assert_eq!(s, 200, "{b}");
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let hash: String = kumiki_engine::with_conn!(&mut conn, |c| {
        use diesel::prelude::*;
        use kumiki_engine::db::schema::users;
        users::table
            .filter(users::code.eq("nagai"))
            .select(users::password_hash)
            .first::<String>(c)
            .unwrap()
    });
    let params = hash.split('$').nth(3).unwrap();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    let m: u32 = params
        .split(',')
        .find_map(|p| p.strip_prefix("m="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(params.contains("t=2") && m >= 19_456, "{params}");
    assert_eq!(token_call(&app, &app.client, "nagai", &phrase).0, 200);
    let cut: String = phrase.chars().take(127).collect();
    assert_eq!(token_call(&app, &app.client, "nagai", &cut).0, 401);
}

// ---- #15: the audit log ----

#[test]
fn failed_sign_ins_are_bounded_and_typed_passwords_are_not_logged() {
    let app = TestApp::spawn();
    let typed = "MyS3cret-Passw0rd";
    // A password typed into the login box, thirty times (through four paths and addresses).
    for i in 0..30 {
        let c = from(&format!("127.0.2.{}", i % 2 + 1));
        let _ = with_password(&app, &c, typed, "x");
        let _ = token_call(&app, &c, typed, "x");
    }
    let rows = audit_rows(&app, "auth.signIn");
    assert!(!rows.is_empty());
    // At most five rows per login, address (and path's target) within the window.
    assert!(rows.len() <= 2 * 5, "{} rows", rows.len());
    for r in &rows {
        let text = format!("{} {} {}", r.actor, r.target, r.detail);
        assert!(!text.contains(typed), "{text}");
        assert!(r.actor.starts_with('?'), "{}", r.actor);
    }
}

#[test]
fn refused_authorisations_and_token_failures_are_audited() {
    let app = TestApp::spawn();
    app.user("suzuki", "password-suzuki-1");
    let suzuki = app.with_auth(Auth::Password("suzuki".into(), "password-suzuki-1".into()));
    let (s, _) = suzuki.get("/api/org/users.json");
    assert_eq!(s, 403);
    let appid = app.create_app("Register", kumiki_tests::sample_fields());
    app.deploy(appid);
    let full = |code: &str| {
        json!({"entity": {"type": "USER", "code": code}, "appEditable": true,
               "recordViewable": true, "recordAddable": true, "recordEditable": true,
               "recordDeletable": true, "recordImportable": true, "recordExportable": true})
    };
    let view_only = json!({"entity": {"type": "USER", "code": "suzuki"}, "appEditable": false,
        "recordViewable": true, "recordAddable": false, "recordEditable": false,
        "recordDeletable": false, "recordImportable": false, "recordExportable": false});
    let (s, b) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": appid, "rights": [full("Administrator"), view_only]}),
    );
    assert_eq!(s, 200, "{b}");
    app.deploy(appid);
    let (s, b) = suzuki.post(
        "/k/v1/record.json",
        json!({"app": appid, "record": {"Text": {"value": "x"}}}),
    );
    assert_eq!(s, 403, "{b}");
    // An app the caller may not see answers "not found", and is logged as refused.
    let hidden = app.create_app("Hidden", kumiki_tests::sample_fields());
    let (s, _) = app.put(
        "/k/v1/preview/app/acl.json",
        json!({"app": hidden, "rights": [full("Administrator")]}),
    );
    assert_eq!(s, 200);
    app.deploy(hidden);
    let (s, _) = suzuki.get(&format!("/k/v1/records.json?app={hidden}"));
    assert_eq!(s, 404);
    let rows = audit_rows(&app, "access.denied");
    assert!(rows.iter().any(|r| r.actor == "suzuki"
        && r.target == "api:kumiki/org/users"
        && r.outcome == "failure"));
    for a in [appid, hidden] {
        assert!(
            rows.iter()
                .any(|r| r.actor == "suzuki" && r.target == format!("app:{a}")),
            "{rows:?}"
        );
    }
    // Token failures.
    let (s, _) = app
        .with_auth(Auth::Tokens("not-a-token".into()))
        .get(&format!("/k/v1/records.json?app={appid}"));
    assert_eq!(s, 400);
    let (s, _) = app
        .with_auth(Auth::Bearer("kmk_wrong".into()))
        .get("/k/v1/apps.json");
    assert_eq!(s, 401);
    let rows = audit_rows(&app, "auth.token");
    assert!(rows.iter().any(|r| r.target == "apiToken"));
    assert!(rows.iter().any(|r| r.target == "userToken"));
    assert!(rows
        .iter()
        .all(|r| !r.detail.to_string().contains("not-a-token")));
}

#[test]
fn the_audit_chain_verifies_and_shows_tampering() {
    let app = TestApp::spawn();
    app.user("chain", "password-chain-1");
    let _ = app.post("/api/org/users/disable.json", json!({"code": "chain"}));
    let _ = app.post("/api/org/users/enable.json", json!({"code": "chain"}));
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let report = audit::verify_chain(&mut conn).unwrap();
    assert!(report.ok() && report.rows >= 2, "{report:?}");
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/admin/audit");
    assert_eq!(s, 200);
    assert!(html.contains("data-chain=\"ok\""));
    // Whoever drops the triggers can change a row, but not unnoticed.
    let drop = match conn.dialect() {
        kumiki_engine::db::Dialect::Sqlite => "DROP TRIGGER audit_log_no_update",
        kumiki_engine::db::Dialect::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    conn.batch_execute(drop).unwrap();
    conn.batch_execute("UPDATE audit_log SET actor = 'someone-else' WHERE action = 'user.disable'")
        .unwrap();
    let report = audit::verify_chain(&mut conn).unwrap();
    assert!(report.broken_at.is_some(), "{report:?}");
    let (_, html) = app.page(&session, "/admin/audit");
    assert!(html.contains("data-chain=\"broken\""));
}

#[test]
fn record_views_are_logged_for_apps_that_ask() {
    let app = TestApp::spawn();
    let logged = app.create_app("Residents", kumiki_tests::sample_fields());
    let plain = app.create_app("Plain", kumiki_tests::sample_fields());
    let (s, b) = app.put(
        "/k/v1/preview/app/settings.json",
        json!({"app": logged, "auditRecordViews": true}),
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.get(&format!("/k/v1/preview/app/settings.json?app={logged}"));
    assert_eq!((s, &b["auditRecordViews"]), (200, &json!(true)));
    app.deploy(logged);
    app.deploy(plain);
    let id = app.add_record(logged, json!({"Text": {"value": "a"}}));
    app.add_record(plain, json!({"Text": {"value": "b"}}));
    assert_eq!(
        app.get(&format!("/k/v1/record.json?app={logged}&id={id}"))
            .0,
        200
    );
    let q = "Text = \"a\"";
    let (s, _) = app.get(&format!(
        "/k/v1/records.json?app={logged}&query={}",
        q.replace(' ', "%20").replace('"', "%22")
    ));
    assert_eq!(s, 200);
    assert_eq!(app.get(&format!("/k/v1/records.json?app={plain}")).0, 200);
    let rows = audit_rows(&app, "record.view");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.target == format!("app:{logged}")));
    let list = rows.iter().find(|r| r.detail["query"] == json!(q)).unwrap();
    assert_eq!(list.detail["count"], json!(1));
    assert_eq!(list.actor, "Administrator");
}

// ---- #16: the signing key file and hashed app tokens ----

#[test]
fn the_signing_key_moves_from_the_database_to_a_private_file() {
    let url = std::cell::RefCell::new(String::new());
    let app = TestApp::spawn_with(|settings| {
        // An old database: the key still in server_settings.
        let db = kumiki_engine::db::Database::connect(settings.database_url.as_deref().unwrap(), 1)
            .unwrap();
        db.migrate().unwrap();
        let mut conn = db.conn().unwrap();
        kumiki_engine::server_settings::set(&mut conn, "jwt_secret", "old-secret-from-the-db-0123")
            .unwrap();
        *url.borrow_mut() = settings.database_url.clone().unwrap();
    });
    assert_eq!(signing_key(&app), "old-secret-from-the-db-0123");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir.path().join("jwt.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let db = kumiki_engine::db::Database::connect(&url.borrow(), 1).unwrap();
    let mut conn = db.conn().unwrap();
    assert_eq!(
        kumiki_engine::server_settings::get(&mut conn, "jwt_secret").unwrap(),
        None
    );
    let jwt = bearer(&app, "Administrator", ADMIN_PASSWORD);
    assert_eq!(
        app.with_auth(Auth::Bearer(jwt)).get("/k/v1/apps.json").0,
        200
    );
}

#[test]
fn app_tokens_are_stored_hashed_and_listed_by_prefix() {
    let app = TestApp::spawn();
    let appid = app.create_app("Tokens", kumiki_tests::sample_fields());
    app.deploy(appid);
    let (s, b) = app.post(
        "/api/tokens/app.json",
        json!({"app": appid, "rights": {"view": true}}),
    );
    assert_eq!(s, 200, "{b}");
    let token = b["token"].as_str().unwrap().to_owned();
    assert_eq!(b["prefix"].as_str().unwrap(), &token[..4]);
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let stored: Vec<String> = kumiki_engine::with_conn!(&mut conn, |c| {
        use diesel::prelude::*;
        use kumiki_engine::db::schema::api_tokens;
        api_tokens::table
            .select(api_tokens::token)
            .load::<String>(c)
            .unwrap()
    });
    assert_eq!(stored, vec![kumiki_engine::tokens::token_hash(&token)]);
    let (_, list) = app.get(&format!("/api/tokens/app.json?app={appid}"));
    assert_eq!(list["tokens"][0]["prefix"], json!(&token[..4]));
    assert!(!list.to_string().contains(&token));
    let tok = app.with_auth(Auth::Tokens(token.clone()));
    assert_eq!(tok.get(&format!("/k/v1/records.json?app={appid}")).0, 200);
    // A token stored in plain text by an older version is hashed and keeps working.
    let plain = "LegacyPlainToken0123456789abcd";
    kumiki_engine::with_conn!(&mut conn, |c| {
        use diesel::prelude::*;
        use kumiki_engine::db::schema::api_tokens;
        diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::token.eq(plain),
                api_tokens::app_id.eq(appid),
                api_tokens::can_view.eq(true),
                api_tokens::can_add.eq(false),
                api_tokens::can_edit.eq(false),
                api_tokens::can_delete.eq(false),
                api_tokens::can_manage.eq(false),
                api_tokens::created_at.eq(0_i64),
            ))
            .execute(c)
            .unwrap()
    });
    assert_eq!(
        kumiki_engine::tokens::hash_plain_tokens(&mut conn).unwrap(),
        1
    );
    let legacy = app.with_auth(Auth::Tokens(plain.into()));
    assert_eq!(
        legacy.get(&format!("/k/v1/records.json?app={appid}")).0,
        200
    );
    let (_, list) = app.get(&format!("/api/tokens/app.json?app={appid}"));
    assert!(!list.to_string().contains(plain));
}

// ---- Per-token IP allowlists ----

#[test]
fn tokens_with_an_allowlist_work_only_from_there() {
    let app = TestApp::spawn();
    let appid = app.create_app("Allow", kumiki_tests::sample_fields());
    app.deploy(appid);
    let (s, b) = app.post(
        "/api/tokens/app.json",
        json!({"app": appid, "rights": {"view": true}, "allowedIps": ["127.0.3.0/24"]}),
    );
    assert_eq!(s, 200, "{b}");
    let token = b["token"].as_str().unwrap().to_owned();
    let get = |ip: &str, header: (&str, String)| {
        let r = from(ip)
            .get(v4(&app, &format!("/k/v1/records.json?app={appid}")))
            .header(header.0, header.1)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    assert_eq!(
        get("127.0.3.9", ("X-Cybozu-API-Token", token.clone())).0,
        200
    );
    let (s, b) = get("127.0.4.9", ("X-Cybozu-API-Token", token.clone()));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_IP01")), "{b}");
    let (s, b) = app.post(
        "/api/tokens/user.json",
        json!({"user": "Administrator", "name": "batch", "allowedIps": "127.0.5.1\n::1"}),
    );
    assert_eq!(s, 200, "{b}");
    let user_token = b["token"].as_str().unwrap().to_owned();
    let auth = ("Authorization", format!("Bearer {user_token}"));
    assert_eq!(get("127.0.5.1", auth.clone()).0, 200);
    assert_eq!(get("127.0.5.2", auth).0, 403);
    let rows = audit_rows(&app, "auth.token");
    assert!(rows
        .iter()
        .any(|r| r.detail["reason"] == "addressNotAllowed" && r.peer == "127.0.4.9"));
    let (s, b) = app.post(
        "/api/tokens/app.json",
        json!({"app": appid, "rights": {"view": true}, "allowedIps": ["not-an-ip"]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")));
    let (_, list) = app.get(&format!("/api/tokens/app.json?app={appid}"));
    assert_eq!(list["tokens"][0]["allowedIps"], json!(["127.0.3.0/24"]));
}
