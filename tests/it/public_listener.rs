//! Issue 15, the public listener (`--public-listen`): it serves the public forms and their assets
//! and nothing else — every route of the application, the pages of `platform/src/pages/mod.rs`
//! and the APIs of `platform/src/routes/mod.rs` read from their sources, answers the forms'
//! not-found page there — and it has no IP allowlist, while the main listener keeps serving
//! everything (the forms too) behind its allowlist.

use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::allowlist::{self, Allowlist};
use kumiki_engine::apps::AppId;
use kumiki_engine::db::Database;
use kumiki_engine::public_forms::{self as pf, FormSettings, FormUpdate};
use kumiki_tests::{page_client, TestApp};
use serde_json::json;

const PAGES: &str = include_str!("../../platform/src/pages/mod.rs");
const ROUTES: &str = include_str!("../../platform/src/routes/mod.rs");

/// The paths of every `.route("…")` in `source`, with their parameters filled in.
fn routes_of(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in source.split(".route(").skip(1) {
        let Some(start) = piece.find('"') else {
            continue;
        };
        let rest = &piece[start + 1..];
        let Some(end) = rest.find('"') else { continue };
        let path = &rest[..end];
        if !path.starts_with('/') {
            continue;
        }
        let mut filled = String::new();
        let mut chars = path.chars();
        while let Some(c) = chars.next() {
            if c != '{' {
                filled.push(c);
                continue;
            }
            let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
            filled.push_str(match name.as_str() {
                "file:.*" => "app.css",
                "api:.*" => "apps",
                "api:search" => "search",
                _ => "1",
            });
        }
        if !out.contains(&filled) {
            out.push(filled);
        }
    }
    out
}

fn published_form(app: &TestApp) -> pf::Form {
    let app_id = app.create_app(
        "受付",
        json!({"氏名": {"type": "SINGLE_LINE_TEXT", "code": "氏名", "label": "氏名"}}),
    );
    let db = Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let ctx = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
    let settings: FormSettings =
        serde_json::from_value(json!({"fields": [{"code": "氏名"}]})).unwrap();
    let form = pf::create_form(&mut conn, &ctx, AppId(app_id), "受付", settings).unwrap();
    pf::update_form(
        &mut conn,
        &ctx,
        form.id,
        FormUpdate {
            state: Some(pf::PUBLISHED.into()),
            ..FormUpdate::default()
        },
    )
    .unwrap()
}

#[test]
fn the_public_listener_serves_forms_and_nothing_else() {
    let app = TestApp::spawn_with(|s| s.public_listen = Some("127.0.0.1:0".into()));
    let public = app.public_port.expect("a public listener");
    assert_ne!(public, app.port);
    let form = published_form(&app);
    let client = page_client();
    let on = |port: u16, path: &str| format!("http://127.0.0.1:{port}{path}");

    let mut paths = routes_of(PAGES);
    paths.extend(routes_of(ROUTES));
    assert!(paths.len() > 60, "the route lists were read: {paths:?}");
    for extra in [
        "/k/v1/record.json",
        "/k/v1/apps.json",
        "/api/users.json",
        "/static/kumiki.js",
        "/nope",
    ] {
        paths.push(extra.to_owned());
    }
    for path in &paths {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let resp = client
                .request(method.clone(), on(public, path))
                .header("Authorization", "Basic QWRtaW5pc3RyYXRvcjp4")
                .header(
                    "X-Cybozu-Authorization",
                    "QWRtaW5pc3RyYXRvcjpwYXNzd29yZDEyMw==",
                )
                .send()
                .unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().unwrap();
            assert_eq!(status, 404, "{method} {path} on the public listener");
            assert!(
                body.contains("<body class=\"pf\">"),
                "{method} {path}: the forms' own page"
            );
        }
        // The main listener still serves it (whatever it answers, it is not the forms' 404).
        let resp = client.get(on(app.port, path)).send().unwrap();
        let body = resp.text().unwrap();
        assert!(
            !body.contains("<body class=\"pf\">"),
            "GET {path} on the main listener"
        );
    }

    let form_path = format!("/f/{}", form.slug);
    for port in [public, app.port] {
        let resp = client.get(on(port, &form_path)).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200, "the form on port {port}");
        let resp = client
            .get(on(port, "/f-assets/pf_form.css"))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    // A resident's post works on the public listener.
    let resp = client
        .post(on(public, &form_path))
        .header("Origin", on(public, ""))
        .form(&[("f.氏名", "住民"), ("step", "confirm")])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // An allowlist that excludes this client closes the main listener, not the public one.
    let db = Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    let list = Allowlist::normalised(true, &["10.0.0.0/8".to_owned()]).unwrap();
    allowlist::save(&mut conn, &list).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let main = client.get(on(app.port, &form_path)).send().unwrap();
    assert_eq!(main.status().as_u16(), 403);
    let public_resp = client.get(on(public, &form_path)).send().unwrap();
    assert_eq!(public_resp.status().as_u16(), 200);
}

#[test]
fn a_bad_public_address_stops_the_start() {
    let mut settings = kumiki_platform::Settings {
        public_listen: Some("no-port".into()),
        ..kumiki_platform::Settings::default()
    };
    assert!(settings.validate().is_err());
    settings.public_listen = Some("0.0.0.0:8443".into());
    assert!(settings.validate().is_ok());
}
