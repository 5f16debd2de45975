//! The HTTP edge (issue 12, docs/security/edge.md): bodies are read only after authentication and
//! within a server-wide budget (finding 1), sign-in redirects stay on the site (10), the client
//! address behind trusted proxies (12), the server-wide IP allowlist, default headers, `__Host-`
//! cookies, Origin checks and GETs that write nothing (18), and size limits of queries (17).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use kumiki_tests::{
    cookie_value, page_client, sample_fields, url_encode, Auth, TestApp, ADMIN_PASSWORD,
};
use serde_json::{json, Value};

const SESSION: &str = "__Host-kumiki_session";

fn admin_header() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{ADMIN_PASSWORD}"))
}

/// Sends a request head announcing `length` bytes of body and then only `sent` of them; returns the
/// status line the server answers within `wait` (None when it waits for the rest).
fn head_only(
    app: &TestApp,
    path: &str,
    extra: &str,
    length: usize,
    wait: Duration,
) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n",
        app.port
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&[b' '; 1024]).unwrap();
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(n) if n > 0 => Some(
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => None,
    }
}

#[test]
fn anonymous_bodies_are_never_read() {
    let app = TestApp::spawn();
    let wait = Duration::from_secs(5);
    for path in [
        "/k/v1/records.json",
        "/api/app/diagram.svg",
        "/api/records/bulk_update.json",
    ] {
        let started = Instant::now();
        let status = head_only(&app, path, "", 60_000_000, wait);
        assert_eq!(
            status.as_deref(),
            Some("HTTP/1.1 401 Unauthorized"),
            "{path}: the server must answer before the 60 MB body arrives"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }
    // A wrong password is refused as early; a signed-in caller's body is read (and is too big).
    let bad = base64::engine::general_purpose::STANDARD.encode("Administrator:wrong-password");
    let status = head_only(
        &app,
        "/k/v1/records.json",
        &format!("X-Cybozu-Authorization: {bad}\r\n"),
        60_000_000,
        wait,
    );
    assert_eq!(status.as_deref(), Some("HTTP/1.1 401 Unauthorized"));
    let status = head_only(
        &app,
        "/k/v1/records.json",
        &format!("X-Cybozu-Authorization: {}\r\n", admin_header()),
        70_000_000,
        wait,
    );
    assert_eq!(status.as_deref(), Some("HTTP/1.1 413 Payload Too Large"));
}

/// `VmHWM`/`VmRSS` of this process in kB.
fn memory_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// Streams `length` bytes of a JSON array of ones (never held in memory) and returns the status.
fn stream_body(port: u16, auth: Option<String>, length: usize) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(20))).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let auth = auth
        .map(|a| format!("X-Cybozu-Authorization: {a}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /k/v1/records.json HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{auth}Connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).ok()?;
    let prefix = b"{\"app\":1,\"x\":[";
    let _ = s.write_all(prefix);
    let chunk: Vec<u8> = b"1,".repeat(32 * 1024);
    let mut sent = prefix.len();
    while sent + chunk.len() + 2 < length {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    // The rest, to exactly `length` bytes: `1`, blanks, `]}`.
    let rest = length.saturating_sub(sent).max(3);
    let mut tail = vec![b' '; rest];
    tail[0] = b'1';
    tail[rest - 2..].copy_from_slice(b"]}");
    let _ = s.write_all(&tail);
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok())
}

/// Run alone in its own process by [`memory_stays_bounded`], so that no other test's memory counts.
#[test]
#[ignore = "run by memory_stays_bounded in a process of its own"]
fn memory_probe() {
    if std::env::var("KUMIKI_EDGE_MEMORY_PROBE").is_err() {
        return;
    }
    let app = TestApp::spawn();
    let (s, _) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200);
    let before = memory_kb("VmHWM:");
    let port = app.port;
    let run = |auth: Option<String>| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let auth = auth.clone();
                std::thread::spawn(move || stream_body(port, auth, 60_000_000))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    };
    let started = Instant::now();
    let anonymous = run(None);
    let health_started = Instant::now();
    let (s, _) = app.get("/healthz");
    assert_eq!(s, 200);
    assert!(health_started.elapsed() < Duration::from_millis(500));
    println!("anonymous: {anonymous:?} in {:?}", started.elapsed());
    for status in &anonymous {
        assert!(matches!(status, None | Some(401)), "{anonymous:?}");
    }
    let after_anonymous = memory_kb("VmHWM:");
    let signed_in = run(Some(admin_header()));
    println!("signed in: {signed_in:?}");
    for status in &signed_in {
        // Read and refused as too costly to parse (413), or refused for the budget (429).
        assert!(matches!(status, None | Some(413 | 429)), "{signed_in:?}");
    }
    let peak = memory_kb("VmHWM:");
    println!(
        "VmHWM before {before} kB, after anonymous {after_anonymous} kB, after signed-in {peak} kB"
    );
    assert!(
        after_anonymous - before < 64 * 1024,
        "anonymous bodies took memory"
    );
    assert!(peak < 500 * 1024, "peak RSS {peak} kB");
    assert!(
        peak - before < 300 * 1024,
        "signed-in bodies took {} kB",
        peak - before
    );
}

#[test]
fn memory_stays_bounded() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "security_edge::memory_probe",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("KUMIKI_EDGE_MEMORY_PROBE", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

#[test]
fn sign_in_redirects_stay_on_the_site() {
    let app = TestApp::spawn();
    let c = page_client();
    let hostile = [
        "/\t/evil.example/login",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\r\nSet-Cookie: x=1",
        "/a\nb",
        "javascript:alert(1)",
        "/ /evil.example",
    ];
    for next in hostile {
        let encoded: String = url_encode(next);
        let resp = c
            .get(app.url(&format!("/login?next={encoded}")))
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{next:?}");
        let html = resp.text().unwrap();
        assert!(
            html.contains("name=\"next\" value=\"/\""),
            "{next:?} kept in the form"
        );
    }
    // Signed in, /login?next= redirects at once: only to this site.
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    for next in hostile {
        let resp = c
            .get(app.url(&format!("/login?next={}", url_encode(next))))
            .header("Cookie", &session)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 303, "{next:?}");
        assert_eq!(resp.headers()["location"], "/", "{next:?}");
    }
    let resp = c
        .get(app.url("/login?next=%2Fapps%2F1%3Fview%3D2"))
        .header("Cookie", &session)
        .send()
        .unwrap();
    assert_eq!(resp.headers()["location"], "/apps/1?view=2");
    // The sign-in form itself, posted with a hostile `next`.
    let page = c.get(app.url("/login")).send().unwrap();
    let login_cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
    let html = page.text().unwrap();
    let csrf = field_value(&html, "_csrf");
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", &login_cookie)
        .form(&[
            ("login", "Administrator"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", &csrf),
            ("next", "/\t/evil.example/login"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    assert_eq!(resp.headers()["location"], "/");
}

fn field_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_owned()
}

/// The newest audit entry for failed sign-ins of `login`.
fn last_failure_peer(app: &TestApp, login: &str) -> String {
    let (s, b) = app.get(&format!(
        "/api/audit.json?action=auth.signIn&target=user:{login}&limit=1"
    ));
    assert_eq!(s, 200, "{b}");
    b["entries"][0]["peer"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A wrong password for an existing user (unknown logins are masked in the audit log).
fn failed_password(app: &TestApp, login: &str, forwarded: &str) {
    app.user(login, "right-password-1");
    let header =
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:wrong-password-1"));
    let resp = app
        .client
        .get(app.url("/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", header)
        .header("X-Forwarded-For", forwarded)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[test]
fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // No trusted proxy: whatever the client claims, the audit log names the socket peer.
    let app = TestApp::spawn();
    failed_password(&app, "nobody1", "203.0.113.5");
    assert_eq!(last_failure_peer(&app, "nobody1"), "127.0.0.1");
    drop(app);
    // Behind a trusted proxy (this test's client): the right-most address the proxy did not
    // write itself — not the one the client put first.
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies =
            kumiki_platform::client_address::TrustedProxies::parse("127.0.0.1/32").unwrap();
    });
    failed_password(&app, "nobody2", "1.1.1.1, 198.51.100.7");
    assert_eq!(last_failure_peer(&app, "nobody2"), "198.51.100.7");
    failed_password(&app, "nobody3", "198.51.100.8, 127.0.0.1");
    assert_eq!(last_failure_peer(&app, "nobody3"), "198.51.100.8");
    // The lockout of an address locks that client only, not everyone behind the proxy.
    let c = page_client();
    let form_attempt = |login: &str, password: &str, client: &str| {
        let page = c
            .get(app.url("/login"))
            .header("X-Forwarded-For", client)
            .send()
            .unwrap();
        let cookie = cookie_value(&page, "__Host-kumiki_login_csrf").unwrap();
        let csrf = field_value(&page.text().unwrap(), "_csrf");
        c.post(app.url("/login"))
            .header("Cookie", cookie)
            .header("X-Forwarded-For", client)
            .form(&[
                ("login", login),
                ("password", password),
                ("_csrf", &csrf),
                ("next", "/"),
            ])
            .send()
            .unwrap()
    };
    for i in 0..20 {
        let resp = form_attempt(&format!("guess{i}"), "wrong-password-1", "198.51.100.66");
        assert_eq!(resp.status().as_u16(), 200);
    }
    let locked = form_attempt("Administrator", ADMIN_PASSWORD, "198.51.100.66");
    assert_eq!(
        locked.status().as_u16(),
        200,
        "the guessing address is locked"
    );
    let other = form_attempt("Administrator", ADMIN_PASSWORD, "198.51.100.67");
    assert_eq!(
        other.status().as_u16(),
        303,
        "a colleague behind the same proxy signs in"
    );
}

/// A client whose connections come from 127.0.0.2 (Linux routes all of 127/8 to loopback).
fn client_from(ip: [u8; 4]) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn direct(app: &TestApp, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", app.port)
}

#[test]
fn allowlist_refuses_every_route_and_can_be_cleared() {
    let app = TestApp::spawn();
    let (s, b) = app.get("/api/security/allowlist.json");
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["enabled"], false);
    // A list that would shut out the administrator saving it is refused.
    let (s, b) = app.put(
        "/api/security/allowlist.json",
        json!({"enabled": true, "entries": ["10.9.9.0/24"]}),
    );
    assert_eq!(s, 400, "{b}");
    let (s, b) = app.put(
        "/api/security/allowlist.json",
        json!({"enabled": true, "entries": ["not-an-address"]}),
    );
    assert_eq!((s, b["code"].as_str()), (400, Some("CB_VA01")), "{b}");
    // Colleagues may not change it.
    app.user("colleague", "colleague-pw-1");
    let (s, _) = app
        .with_auth(Auth::Password("colleague".into(), "colleague-pw-1".into()))
        .put(
            "/api/security/allowlist.json",
            json!({"enabled": false, "entries": []}),
        );
    assert_eq!(s, 403);
    let (s, b) = app.put(
        "/api/security/allowlist.json",
        json!({"enabled": true, "entries": ["127.0.0.1", "::1", "# the office", "192.0.2.0/24"]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["entries"],
        json!(["127.0.0.1/32", "::1/128", "192.0.2.0/24"])
    );
    let outsider = client_from([127, 0, 0, 2]);
    let auth = admin_header();
    for path in [
        "/k/v1/apps.json",
        "/api/audit.csv",
        "/k/v1/file.json?fileKey=x",
        "/",
        "/login",
        "/admin",
        "/static/app.css",
        "/no-such-page",
    ] {
        let resp = outsider
            .get(direct(&app, path))
            .header("X-Cybozu-Authorization", &auth)
            // A client not behind a trusted proxy cannot claim an allowed address.
            .header("X-Forwarded-For", "127.0.0.1")
            .header("Accept-Language", "ja")
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{path}");
        let body = resp.text().unwrap();
        if path.starts_with("/k/") || path.starts_with("/api/") {
            assert!(body.contains("CB_NO02"), "{path}: {body}");
        } else {
            assert!(
                body.contains("アクセスが許可されていません"),
                "{path}: {body}"
            );
        }
    }
    let resp = outsider.get(direct(&app, "/healthz")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200, "health checks pass");
    // The allowed address is served.
    let resp = client_from([127, 0, 0, 1])
        .get(direct(&app, "/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // Recovery from the command line (`kumiki allowlist clear` runs exactly this).
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.conn().unwrap();
    conn.write_transaction(|c| kumiki_engine::allowlist::clear(c, "Administrator", "cli"))
        .unwrap();
    let started = Instant::now();
    loop {
        let resp = outsider
            .get(direct(&app, "/k/v1/apps.json"))
            .header("X-Cybozu-Authorization", &auth)
            .send()
            .unwrap();
        if resp.status().as_u16() == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still refused");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (s, b) = app.get("/api/audit.json?action=security.allowlist.update");
    assert_eq!(s, 200);
    assert_eq!(b["entries"].as_array().unwrap().len(), 2, "{b}");
}

#[test]
fn allowlist_off_flag_overrides_the_stored_list() {
    let app = TestApp::spawn_with(|s| s.allowlist_off = true);
    let (s, b) = app.put(
        "/api/security/allowlist.json",
        json!({"enabled": true, "entries": ["127.0.0.1"]}),
    );
    assert_eq!(s, 200, "{b}");
    let resp = client_from([127, 0, 0, 2])
        .get(direct(&app, "/healthz"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = client_from([127, 0, 0, 2])
        .get(direct(&app, "/login"))
        .send()
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "--allowlist-off lets everyone in"
    );
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let (s, html) = app.page(&session, "/admin/allowlist");
    assert_eq!(s, 200);
    assert!(html.contains("data-testid=\"allowlist-overridden\""));
    assert!(html.contains("127.0.0.1/32"));
}

#[test]
fn responses_carry_safe_headers_and_host_cookies() {
    let app = TestApp::spawn();
    let c = page_client();
    let auth = admin_header();
    let api = c
        .get(app.url("/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", &auth)
        .send()
        .unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    let refused = c.get(app.url("/k/v1/apps.json")).send().unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff");
    let asset = c.get(app.url("/static/app.css")).send().unwrap();
    assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
    assert_ne!(
        asset
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "static assets stay cacheable"
    );
    let login = c.get(app.url("/login")).send().unwrap();
    let set_cookie = |resp: &reqwest::blocking::Response, name: &str| {
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    let csrf_cookie = set_cookie(&login, "__Host-kumiki_login_csrf");
    let html = login.text().unwrap();
    let resp = c
        .post(app.url("/login"))
        .header("Cookie", csrf_cookie.split(';').next().unwrap())
        .form(&[
            ("login", "Administrator"),
            ("password", ADMIN_PASSWORD),
            ("_csrf", &field_value(&html, "_csrf")),
            ("next", "/"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let session = set_cookie(&resp, SESSION);
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(
        !session.to_ascii_lowercase().contains("domain="),
        "{session}"
    );
    let cookie = session.split(';').next().unwrap().to_owned();
    // A signed-in page is not stored either.
    let page = c
        .get(app.url("/"))
        .header("Cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    // The plain name is not read: a cookie planted without the prefix signs no one in.
    let plain = cookie.replacen("__Host-", "", 1);
    let resp = c.get(app.url("/")).header("Cookie", plain).send().unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    // Plain-HTTP intranets (--insecure-cookies): no Secure, so no prefix either.
    let plain_app = TestApp::spawn_with(|s| s.insecure_cookies = true);
    let session = plain_app.sign_in_form("Administrator", ADMIN_PASSWORD);
    assert!(session.starts_with("kumiki_session="), "{session}");
    let (s, _) = plain_app.page(&session, "/");
    assert_eq!(s, 200);
}

/// The CSRF token of a signed-in page.
fn page_csrf(app: &TestApp, session: &str) -> String {
    let (_, html) = app.page(session, "/");
    field_value(&html, "_csrf")
}

#[test]
fn cookie_requests_from_other_sites_are_refused() {
    let app = TestApp::spawn();
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    let csrf = page_csrf(&app, &session);
    let c = page_client();
    let own = format!("http://localhost:{}", app.port);
    let create = |origin: Option<&str>, referer: Option<&str>| {
        let mut rb = c
            .post(app.url("/k/v1/preview/app.json"))
            .header("Cookie", &session)
            .header("X-CSRF-Token", &csrf)
            .json(&json!({"name": "from a page"}));
        if let Some(o) = origin {
            rb = rb.header("Origin", o);
        }
        if let Some(r) = referer {
            rb = rb.header("Referer", r);
        }
        let resp = rb.send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().unwrap())
    };
    assert_eq!(create(Some("http://evil.example"), None).0, 403);
    assert_eq!(create(Some("null"), None).0, 403);
    assert_eq!(create(None, Some("http://evil.example/page")).0, 403);
    let (s, b) = create(Some(&own), None);
    assert_eq!(s, 200, "{b}");
    let (s, b) = create(None, Some(&format!("{own}/apps/1")));
    assert_eq!(s, 200, "{b}");
    // Page forms: sign-out and the sign-in form itself.
    let resp = c
        .post(app.url("/logout"))
        .header("Cookie", &session)
        .header("Origin", "http://evil.example")
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let (s, _) = app.page(&session, "/");
    assert_eq!(s, 200, "still signed in");
    let resp = c
        .post(app.url("/login"))
        .header("Origin", "http://evil.example")
        .form(&[("login", "Administrator"), ("password", ADMIN_PASSWORD)])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // API clients with their own credentials (no cookie) are not browsers' business.
    let resp = c
        .post(app.url("/k/v1/preview/app.json"))
        .header("X-Cybozu-Authorization", admin_header())
        .header("Origin", "http://evil.example")
        .json(&json!({"name": "script"}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

/// Every table's rows, as text, per table (both backends).
fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    use diesel::{sql_query, Connection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut out = Vec::new();
    if app.database_url.starts_with("postgres") {
        let mut c = diesel::PgConnection::establish(&app.database_url).unwrap();
        let tables: Vec<Text> = sql_query(
            "SELECT table_name::text AS v FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .load(&mut c)
        .unwrap();
        for t in tables {
            let rows: Vec<Text> = sql_query(format!(
                "SELECT coalesce(string_agg(x::text, '|' ORDER BY x::text), '') AS v FROM \"{}\" x",
                t.v
            ))
            .load(&mut c)
            .unwrap();
            out.push((t.v, rows.into_iter().map(|r| r.v).collect()));
        }
    } else {
        let path = app.database_url.trim_start_matches("sqlite://");
        let mut c = diesel::SqliteConnection::establish(path).unwrap();
        let tables: Vec<Text> = sql_query(
            "SELECT name AS v FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY 1",
        )
        .load(&mut c)
        .unwrap();
        for t in tables {
            let columns: Vec<Text> = sql_query(format!(
                "SELECT name AS v FROM pragma_table_info('{}')",
                t.v
            ))
            .load(&mut c)
            .unwrap();
            let row = columns
                .iter()
                .map(|col| format!("quote(\"{}\")", col.v))
                .collect::<Vec<_>>()
                .join("||','||");
            let rows: Vec<Text> = sql_query(format!(
                "SELECT coalesce(group_concat(x, '|'), '') AS v FROM \
                 (SELECT {row} AS x FROM \"{}\" ORDER BY x)",
                t.v
            ))
            .load(&mut c)
            .unwrap();
            out.push((t.v, rows.into_iter().map(|r| r.v).collect()));
        }
    }
    out
}

/// Tables written by the server's own background work (the search indexer's position, the job
/// runner), whatever the requests do; and the audit log, which records reads (an export) by design.
const NOT_STATE: [&str; 3] = ["audit_log", "change_consumers", "jobs"];

#[test]
fn a_walk_of_get_routes_writes_nothing() {
    let app = TestApp::spawn();
    let id = app.create_app("walk", sample_fields());
    let rid = app.add_record(
        id,
        json!({"Text": {"value": "one"}, "Number": {"value": "3"}}),
    );
    let session = app.sign_in_form("Administrator", ADMIN_PASSWORD);
    app.wait_indexed(Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    let before = snapshot(&app);
    let pages = [
        "/".to_owned(),
        "/search?q=one".into(),
        "/settings".into(),
        "/guide".into(),
        "/review".into(),
        "/admin".into(),
        "/admin/users".into(),
        "/admin/departments".into(),
        "/admin/groups".into(),
        "/admin/tokens".into(),
        "/admin/audit".into(),
        "/admin/review".into(),
        "/admin/search".into(),
        "/admin/allowlist".into(),
        format!("/apps/{id}"),
        format!("/apps/{id}/calendar"),
        format!("/apps/{id}/records/new"),
        format!("/apps/{id}/records/{rid}"),
        format!("/apps/{id}/records/{rid}/edit"),
        format!("/apps/{id}/settings"),
        format!("/apps/{id}/general"),
        format!("/apps/{id}/permissions"),
        format!("/apps/{id}/views"),
        format!("/apps/{id}/process"),
        format!("/apps/{id}/scripts"),
        // Issue 13 part "webhooks".
        format!("/apps/{id}/webhooks"),
        format!("/apps/{id}/review"),
        format!("/apps/{id}/versions"),
        format!("/apps/{id}/icon.svg"),
        "/api/audit.csv".into(),
    ];
    for path in &pages {
        let (s, _) = app.page(&session, path);
        assert!(s < 400, "{path}: {s}");
    }
    for path in [
        "/k/v1/apps.json".to_owned(),
        format!("/k/v1/app.json?id={id}"),
        format!("/k/v1/records.json?app={id}&totalCount=true"),
        format!("/k/v1/record.json?app={id}&id={rid}"),
        format!("/k/v1/app/form/fields.json?app={id}"),
        format!("/k/v1/app/views.json?app={id}"),
        format!("/k/v1/record/comments.json?app={id}&record={rid}"),
        format!("/api/record/history.json?app={id}&id={rid}"),
        "/api/search.json?q=one".into(),
        "/api/audit.json".into(),
    ] {
        let (s, b) = app.get(&path);
        assert_eq!(s, 200, "{path}: {b}");
    }
    let after = snapshot(&app);
    for ((table, a), (_, b)) in before.iter().zip(&after) {
        if NOT_STATE.contains(&table.as_str()) {
            continue;
        }
        assert_eq!(a, b, "GET requests changed the table {table}");
    }
    // The visit the list page's script posts is what records "recently used apps".
    let csrf = page_csrf(&app, &session);
    let resp = page_client()
        .post(app.url("/api/app/visit.json"))
        .header("Cookie", &session)
        .header("X-CSRF-Token", csrf)
        .json(&json!({"app": id}))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let (_, portal) = app.page(&session, "/");
    assert!(portal.contains("walk"));
    let changed: Vec<_> = before
        .iter()
        .zip(&snapshot(&app))
        .filter(|((t, a), (_, b))| a != b && !NOT_STATE.contains(&t.as_str()))
        .map(|((t, _), _)| t.clone())
        .collect();
    assert_eq!(changed, vec!["user_recent_apps".to_owned()]);
}

fn query(app: &TestApp, id: i64, q: &str) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url("/k/v1/records.json"))
        .header("X-Cybozu-Authorization", admin_header())
        .header("X-HTTP-Method-Override", "GET")
        .json(&json!({"app": id, "query": q}))
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn huge_queries_answer_400_and_the_limits_work() {
    let app = TestApp::spawn();
    let id = app.create_app("queries", sample_fields());
    app.add_record(
        id,
        json!({"Text": {"value": "a"}, "Number": {"value": "1"}}),
    );
    let joined = |n: usize, term: &str, sep: &str| vec![term; n].join(sep);
    let ones = |n: usize| vec!["1"; n].join(",");
    let too_big = [
        ("3,000 or", joined(3_000, "Number = 1", " or ")),
        ("20,000 and", joined(20_000, "Number = 1", " and ")),
        ("40,000 in", format!("Number in ({})", ones(40_000))),
        (
            "5,000 sort keys",
            format!("order by {}", joined(5_000, "Number asc", ", ")),
        ),
        ("long like", format!("Text like \"{}\"", "_%".repeat(5_000))),
        (
            "300k characters",
            format!("Text like \"a\"{}", " ".repeat(300_000)),
        ),
    ];
    for (what, q) in &too_big {
        let (s, b) = query(&app, id, q);
        assert_eq!(s, 400, "{what}: {b}");
        assert_eq!(b["code"], "GAIA_QU03", "{what}: {b}");
    }
    // At the limits, both databases answer.
    let fine = [
        ("1,000 or", joined(1_000, "Number = 1", " or ")),
        ("300 and", joined(300, "Number >= 1", " and ")),
        ("1,000 and", joined(1_000, "Number >= 1", " and ")),
        ("10,000 in", format!("Number in ({})", ones(10_000))),
        (
            "mixed",
            format!(
                "({}) and Text in (\"a\") and ({})",
                joined(400, "Number = 1", " or "),
                joined(400, "Text like \"a\"", " or ")
            ),
        ),
        (
            "50 sort keys",
            format!("order by {}", joined(50, "Number asc", ", ")),
        ),
        ("1,000 like", format!("Text like \"{}\"", "_%".repeat(500))),
    ];
    for (what, q) in &fine {
        let t = Instant::now();
        let (s, b) = query(&app, id, q);
        // PostgreSQL planned a hundred AND-ed conditions for seconds, three hundred for hours.
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{what}: {:?}",
            t.elapsed()
        );
        assert_eq!(s, 200, "{what}: {b}");
    }
    let (_, b) = query(&app, id, &joined(1_000, "Number = 1", " or "));
    assert_eq!(b["records"].as_array().map(Vec::len), Some(1));
}
