//! Authentication and API tokens: each failure has kintone's code, and tokens grant only their rights.

use kumiki_tests::{sample_fields, Auth, TestApp};
use serde_json::json;

#[test]
fn credentials_are_checked_with_kintone_codes() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let path = format!("/k/v1/records.json?app={id}");
    let (s, b) = app.with_auth(Auth::None).get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")));
    let (s, b) = app
        .with_auth(Auth::Password("Administrator".into(), "wrong".into()))
        .get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    assert!(b["message"]
        .as_str()
        .unwrap()
        .starts_with("Password authentication failed."));
    let (s, b) = app
        .with_auth(Auth::Password("nobody".into(), "whatever1".into()))
        .get(&path);
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
    let (s, b) = app.with_auth(Auth::Tokens("not-a-token".into())).get(&path);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_IA02")));
}

#[test]
fn tokens_grant_their_rights_on_their_app_only() {
    let app = TestApp::spawn();
    let a = app.create_app("a", sample_fields());
    let b_app = app.create_app("b", sample_fields());
    let view = app.token(a, "view");
    let add = app.token(a, "view,add");
    let other = app.token(b_app, "view,add,edit,delete");
    let viewer = app.with_auth(Auth::Tokens(view.clone()));
    let (s, _) = viewer.get(&format!("/k/v1/records.json?app={a}"));
    assert_eq!(s, 200);
    let (s, b) = viewer.post("/k/v1/record.json", json!({"app": a, "record": {}}));
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")));
    let (s, b) = viewer.get(&format!("/k/v1/records.json?app={b_app}"));
    assert_eq!((s, b["code"].as_str()), (403, Some("GAIA_NO01")));
    let (s, b) = app
        .with_auth(Auth::Tokens(add.clone()))
        .post("/k/v1/record.json", json!({"app": a, "record": {}}));
    assert_eq!(s, 200, "{b}");
    let rid = b["id"].as_str().unwrap();
    let (_, b) = app.get(&format!("/k/v1/record.json?app={a}&id={rid}"));
    assert_eq!(
        b["record"]["Created_by"]["value"]["code"], "Administrator",
        "token writes act as Administrator"
    );
    let (s, b) = app
        .with_auth(Auth::Tokens(format!("{view},{add}")))
        .get(&format!("/k/v1/records.json?app={a}"));
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_DA03")));
    let (s, _) = app
        .with_auth(Auth::Tokens(format!("{view},{other}")))
        .get(&format!("/k/v1/records.json?app={b_app}"));
    assert_eq!(s, 200, "tokens of several apps combine");
    let (s, b) = viewer.get("/k/v1/apps.json");
    assert_eq!(
        (s, b["code"].as_str()),
        (403, Some("GAIA_NO01")),
        "apps.json refuses tokens"
    );
}

#[test]
fn bearer_tokens_from_the_login_endpoint() {
    let app = TestApp::spawn();
    app.user("sato", "sato-password");
    let (s, b) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "sato", "password": "sato-password"}),
    );
    assert_eq!(s, 200, "{b}");
    let token = b["token"].as_str().unwrap().to_owned();
    let (s, b) = app.with_auth(Auth::Bearer(token)).get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .with_auth(Auth::Bearer("forged.jwt.value".into()))
        .get("/k/v1/apps.json");
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_AU01")));
    let (s, b) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "sato", "password": "nope"}),
    );
    assert_eq!((s, b["code"].as_str()), (401, Some("CB_WA01")));
}

#[test]
fn guest_space_paths_do_not_reach_ordinary_apps() {
    let app = TestApp::spawn();
    let id = app.create_app("a", sample_fields());
    let (s, b) = app.get(&format!("/k/guest/5/v1/records.json?app={id}"));
    assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")));
}

#[test]
fn forged_expired_and_foreign_bearer_tokens_are_refused_alike() {
    use base64::Engine as _;
    let app = TestApp::spawn();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sign = |claims: serde_json::Value, key: &[u8]| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key),
        )
        .unwrap()
    };
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let good = json!({"sub": "Administrator", "iat": now, "exp": now + 600, "iss": "kumiki", "aud": "kumiki-api"});
    let (_, b) = app.with_auth(Auth::None).post(
        "/api/auth/token",
        json!({"login": "Administrator", "password": kumiki_tests::ADMIN_PASSWORD}),
    );
    let real = b["token"].as_str().unwrap().to_owned();
    let mut tampered = real.clone();
    tampered.pop();
    tampered.push(if real.ends_with('A') { 'B' } else { 'A' });
    // The signing key lives in a file of the data directory (issue 12 #16).
    let secret = std::fs::read_to_string(app.data_dir.path().join("jwt.key"))
        .unwrap()
        .trim()
        .to_owned();
    let mut expired = good.clone();
    expired["exp"] = json!(now - 1);
    let mut other_audience = good.clone();
    other_audience["aud"] = json!("invite");
    let mut string_exp = good.clone();
    string_exp["exp"] = json!("never");
    let forged = [
        sign(expired, secret.as_bytes()),
        sign(other_audience, secret.as_bytes()),
        sign(string_exp, secret.as_bytes()),
        sign(good.clone(), b"not-the-server-secret"),
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&good)
        ),
        tampered,
        real.split('.').take(2).collect::<Vec<_>>().join("."),
        "".into(),
    ];
    let mut bodies = Vec::new();
    for token in forged {
        let (s, b) = app
            .with_auth(Auth::Bearer(token.clone()))
            .get("/k/v1/apps.json");
        assert_eq!(
            (s, b["code"].as_str()),
            (401, Some("CB_AU01")),
            "token {token}"
        );
        bodies.push(b["message"].clone());
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one generic answer for every rejection"
    );
    let (s, _) = app.with_auth(Auth::Bearer(real)).get("/k/v1/apps.json");
    assert_eq!(s, 200);
}

#[test]
fn passwords_are_stored_as_argon2id() {
    let app = TestApp::spawn();
    app.user(
        "tanaka",
        "長いパスワード、日本語でも大丈夫です。".repeat(4).as_str(),
    );
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let hash: String = kumiki_engine::with_conn!(&mut conn, |c| {
        use diesel::prelude::*;
        kumiki_engine::db::schema::users::table
            .filter(kumiki_engine::db::schema::users::code.eq("tanaka"))
            .select(kumiki_engine::db::schema::users::password_hash)
            .first::<String>(c)
            .unwrap()
    });
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let (s, _) = app
        .with_auth(Auth::Password(
            "tanaka".into(),
            "長いパスワード、日本語でも大丈夫です。".repeat(4),
        ))
        .get("/k/v1/apps.json");
    assert_eq!(s, 200, "a long Japanese passphrase round-trips");
}
