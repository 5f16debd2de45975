//! Signed app packages and the trust list (issue 17 part 4, docs/packages.md): a signed export
//! verifies as trusted once IT lists the key; another body's key is unknown; an unsigned package
//! says so; one changed byte of a field label is tampering, and the portal import refuses it with
//! nothing written; only system administrators manage the list; a bad key is a clear error.

use kumiki_tests::{page_client, Auth, TestApp, ADMIN_PASSWORD};
use serde_json::{json, Value};

const BODY: &str = "長野市 情報政策課";

fn app_with_fields(app: &TestApp) -> i64 {
    app.create_app(
        "備品管理",
        json!({"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "件名"}}),
    )
}

fn name_the_body(app: &TestApp) -> Value {
    let (s, b) = app.put("/api/packages/key.json", json!({"name": BODY}));
    assert_eq!(s, 200, "{b}");
    b["own"].clone()
}

fn export_signed(app: &TestApp, id: i64) -> Value {
    let (s, b) = app.get(&format!("/api/app/package.json?app={id}&sign=true"));
    assert_eq!(s, 200, "{b}");
    b
}

fn verify(app: &TestApp, package: &Value) -> Value {
    let (s, b) = app.post("/api/packages/verify.json", json!({ "package": package }));
    assert_eq!(s, 200, "{b}");
    b
}

fn app_count(app: &TestApp) -> usize {
    let (s, b) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200, "{b}");
    b["apps"].as_array().map(Vec::len).unwrap_or_default()
}

fn page_csrf(app: &TestApp, session: &str) -> String {
    let (_, html) = app.page(session, "/");
    let marker = "<script type=\"application/json\" id=\"kumiki-session\">\"";
    let start = html.find(marker).expect("session script") + marker.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

/// Uploads `package` through the portal's 「ファイルから作成」 form; the status and the body
/// (the redirect target, or the portal page with its message).
fn portal_import(app: &TestApp, package: &Value) -> (u16, String) {
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let csrf = page_csrf(app, &session);
    let part = reqwest::blocking::multipart::Part::bytes(
        serde_json::to_vec_pretty(package).expect("bytes"),
    )
    .file_name("package.json")
    .mime_str("application/json")
    .expect("mime");
    let form = reqwest::blocking::multipart::Form::new()
        .text("_csrf", csrf)
        .part("file", part);
    let resp = page_client()
        .post(app.url("/apps/import"))
        .header("Cookie", session)
        .header("Origin", app.base_url.clone())
        .multipart(form)
        .send()
        .expect("import");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.text().unwrap_or_default();
    (status, if status == 303 { location } else { body })
}

#[test]
fn a_signed_export_is_unknown_until_it_is_trusted_then_trusted_by_name() {
    let app = TestApp::spawn();
    let id = app_with_fields(&app);
    let own = name_the_body(&app);
    let package = export_signed(&app, id);
    assert_eq!(package["signature"]["algorithm"], "ed25519");
    assert_eq!(package["signature"]["signer"], BODY);
    assert_eq!(package["signature"]["keyId"], own["fingerprint"]);
    let status = verify(&app, &package);
    assert_eq!(status["status"], "unknown", "{status}");
    assert_eq!(status["signer"], BODY);
    assert_eq!(status["fingerprint"], own["fingerprint"]);
    // The package itself as the body works too.
    let (s, b) = app.post("/api/packages/verify.json", package.clone());
    assert_eq!((s, b["status"].as_str()), (200, Some("unknown")), "{b}");

    let (s, b) = app.post(
        "/api/packages/trust.json",
        json!({"name": "長野市（本庁）", "publicKey": own["publicKey"]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["key"]["fingerprint"], own["fingerprint"]);
    assert_eq!(b["key"]["addedBy"], "Administrator");
    let status = verify(&app, &package);
    assert_eq!(status["status"], "trusted", "{status}");
    assert_eq!(status["name"], "長野市（本庁）");
    // It survives a round trip through text and imports through the portal.
    let before = app_count(&app);
    let (s, location) = portal_import(&app, &package);
    assert_eq!(s, 303, "{location}");
    assert!(location.starts_with("/apps/"), "{location}");
    assert_eq!(app_count(&app), before + 1);

    // The list shows the key and this installation's own key; removing it makes it unknown again.
    let (s, b) = app.get("/api/packages/trust.json");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(b["own"]["name"], BODY);
    let (s, b) = app.delete(
        "/api/packages/trust.json",
        json!({"fingerprint": own["fingerprint"]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(verify(&app, &package)["status"], "unknown");
}

#[test]
fn another_bodys_key_is_unknown_and_can_be_added_from_its_package() {
    let app = TestApp::spawn();
    let id = app_with_fields(&app);
    let (_, mut package) = app.get(&format!("/api/app/package.json?app={id}"));
    assert!(package.get("signature").is_none(), "{package}");
    let other = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    kumiki_engine::package_signing::sign(
        &mut package,
        &other,
        "松本市 情報システム課",
        chrono::Utc::now(),
    )
    .expect("sign");
    let print = kumiki_engine::package_signing::fingerprint(&other.verifying_key());
    let status = verify(&app, &package);
    assert_eq!(
        (
            status["status"].as_str(),
            status["signer"].as_str(),
            status["fingerprint"].as_str()
        ),
        (
            Some("unknown"),
            Some("松本市 情報システム課"),
            Some(print.as_str())
        ),
        "{status}"
    );
    // An unknown key imports, its status shown (the page says so before; the import works).
    let (s, location) = portal_import(&app, &package);
    assert_eq!(s, 303, "{location}");
    // IT adds the signer straight from the package; then it is trusted under the claimed name.
    let (s, b) = app.post("/api/packages/trust.json", json!({"package": package}));
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["key"]["name"], "松本市 情報システム課");
    let status = verify(&app, &package);
    assert_eq!(status["status"], "trusted", "{status}");
    // The same key twice is refused with the name it is listed under.
    let (s, b) = app.post("/api/packages/trust.json", json!({"package": package}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert!(
        b["errors"]["publicKey"]["messages"][0]
            .as_str()
            .unwrap_or_default()
            .contains("松本市"),
        "{b}"
    );
}

#[test]
fn an_unsigned_package_says_so_and_imports() {
    let app = TestApp::spawn();
    let id = app_with_fields(&app);
    let (s, package) = app.get(&format!("/api/app/package.json?app={id}&sign=false"));
    assert_eq!(s, 200, "{package}");
    assert_eq!(verify(&app, &package), json!({"status": "unsigned"}));
    let (s, location) = portal_import(&app, &package);
    assert_eq!(s, 303, "{location}");
    // Signing needs the body's name first: a clear error, not a 500.
    let (s, b) = app.get(&format!("/api/app/package.json?app={id}&sign=true"));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    assert!(b["errors"]["sign"]["messages"][0].as_str().is_some(), "{b}");
}

#[test]
fn one_changed_byte_of_a_label_is_tampering_and_the_import_writes_nothing() {
    let app = TestApp::spawn();
    let id = app_with_fields(&app);
    let own = name_the_body(&app);
    let (s, b) = app.post(
        "/api/packages/trust.json",
        json!({"name": BODY, "publicKey": own["publicKey"]}),
    );
    assert_eq!(s, 200, "{b}");
    let package = export_signed(&app, id);
    // Change one byte of the label's UTF-8 text in the file as it travels.
    let text = serde_json::to_string_pretty(&package).expect("text");
    let tampered_text = text.replacen("\"件名\"", "\"件各\"", 1);
    assert_ne!(text, tampered_text);
    let tampered: Value = serde_json::from_str(&tampered_text).expect("still JSON");
    let status = verify(&app, &tampered);
    assert_eq!(status["status"], "invalid", "{status}");
    let before = app_count(&app);
    let (s, body) = portal_import(&app, &tampered);
    assert_eq!(s, 200, "the portal page again, not a redirect");
    assert!(
        body.contains("改ざんまたは署名不正"),
        "the refusal is explained"
    );
    assert_eq!(app_count(&app), before, "nothing written");
    // The untouched package still verifies.
    assert_eq!(verify(&app, &package)["status"], "trusted");
}

#[test]
fn only_system_administrators_manage_the_trust_list() {
    let app = TestApp::spawn();
    app.user("taro", "taro-password-1");
    let taro = app.with_auth(Auth::Password("taro".into(), "taro-password-1".into()));
    let own = name_the_body(&app);
    for (s, b) in [
        taro.get("/api/packages/trust.json"),
        taro.post(
            "/api/packages/trust.json",
            json!({"name": "x", "publicKey": own["publicKey"]}),
        ),
        taro.delete(
            "/api/packages/trust.json",
            json!({"fingerprint": own["fingerprint"]}),
        ),
        taro.put("/api/packages/key.json", json!({"name": "乗っ取り"})),
    ] {
        assert_eq!((s, b["code"].as_str()), (403, Some("CB_NO02")), "{b}");
    }
    // Anyone signed in may ask what a package's signature says.
    let (s, b) = taro.post(
        "/api/packages/verify.json",
        json!({"package": {"format": "kumiki-app/1"}}),
    );
    assert_eq!((s, b["status"].as_str()), (200, Some("unsigned")), "{b}");
    let (s, b) = app.get("/api/packages/trust.json");
    assert_eq!((s, &b["keys"]), (200, &json!([])), "{b}");
    assert_eq!(b["own"]["name"], BODY);
}

#[test]
fn bad_public_keys_and_names_are_clear_errors() {
    let app = TestApp::spawn();
    for (body, field) in [
        (
            json!({"name": "甲府市", "publicKey": "not a key"}),
            "publicKey",
        ),
        (
            json!({"name": "甲府市", "publicKey": "ed25519:AAAA"}),
            "publicKey",
        ),
        (json!({"name": "甲府市", "publicKey": ""}), "publicKey"),
        (json!({"name": "  ", "publicKey": "ed25519:AAAA"}), "name"),
        (json!({"package": {"format": "kumiki-app/1"}}), "package"),
    ] {
        let (s, b) = app.post("/api/packages/trust.json", body.clone());
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("CB_VA01")),
            "{body}: {b}"
        );
        assert!(
            b["errors"][field]["messages"][0].as_str().is_some(),
            "{body}: {b}"
        );
    }
    let (s, b) = app.delete("/api/packages/trust.json", json!({"fingerprint": "0000"}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    let (s, b) = app.put("/api/packages/key.json", json!({"name": ""}));
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    // A Japanese caller gets the Japanese message.
    let (s, text) = {
        let resp = app
            .client
            .post(app.url("/api/packages/trust.json"))
            .header("Accept-Language", "ja")
            .header(
                "X-Cybozu-Authorization",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("Administrator:{ADMIN_PASSWORD}"),
                ),
            )
            .json(&json!({"name": "甲府市", "publicKey": "hello"}))
            .send()
            .expect("post");
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    };
    assert_eq!(s, 400, "{text}");
    assert!(text.contains("ed25519"), "{text}");
    assert_eq!(app.get("/api/packages/trust.json").1["keys"], json!([]));
}
