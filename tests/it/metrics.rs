//! Issue 19: `/metrics` scraped from a real server (format, request counters per group, the search
//! index lag going to 0, the token, not on the public listener) and `/healthz` as a readiness check
//! (503 while PostgreSQL refuses connections).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kumiki_tests::{postgres_base, sample_fields, TestApp};
use serde_json::json;

/// One sample line: name, the label text between the braces, value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: String,
    value: f64,
}

/// Parses a scrape, checking the format on the way: every sample line is `name{labels} value`
/// with well-formed labels, and its family has `# HELP` and `# TYPE` lines before it.
fn parse(text: &str) -> Vec<Sample> {
    let mut help = HashMap::new();
    let mut kinds: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').expect("HELP name text");
            assert!(!text.is_empty(), "{line}");
            help.insert(name.to_owned(), ());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(matches!(kind, "counter" | "gauge" | "histogram"), "{line}");
            kinds.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let name_end = line.find(['{', ' ']).expect("a name");
        let name = &line[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let (labels, rest) = if line[name_end..].starts_with('{') {
            let close = label_end(&line[name_end..]).unwrap_or_else(|| panic!("labels: {line}"));
            (
                &line[name_end + 1..name_end + close],
                &line[name_end + close + 1..],
            )
        } else {
            ("", &line[name_end..])
        };
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| kinds.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(help.contains_key(family), "no HELP before {line}");
        assert!(kinds.contains_key(family), "no TYPE before {line}");
        samples.push(Sample {
            name: name.to_owned(),
            labels: labels.to_owned(),
            value,
        });
    }
    samples
}

/// The index of the `}` closing a label set that starts at `{`, checking `k="v"` pairs.
fn label_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    loop {
        let eq = i + text[i..].find('=')?;
        let key = &text[i..eq];
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "label name {key:?}"
        );
        if bytes.get(eq + 1) != Some(&b'"') {
            return None;
        }
        let mut j = eq + 2;
        while bytes.get(j)? != &b'"' {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        match bytes.get(j + 1)? {
            b'}' => return Some(j + 1),
            b',' => i = j + 2,
            _ => return None,
        }
    }
}

fn scrape(app: &TestApp) -> Vec<Sample> {
    let resp = app.client.get(app.url("/metrics")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    parse(&resp.text().unwrap())
}

fn value(samples: &[Sample], name: &str, labels: &str) -> f64 {
    samples
        .iter()
        .find(|s| s.name == name && s.labels == labels)
        .unwrap_or_else(|| panic!("no {name}{{{labels}}}"))
        .value
}

#[test]
fn metrics_count_requests_and_show_the_index_lag() {
    let app = TestApp::spawn();
    let kintone = r#"group="kintone",status_class="2xx""#;
    let before = scrape(&app);
    let (s, _) = app.get("/k/v1/apps.json");
    assert_eq!(s, 200);
    let (s, _) = app.get("/k/v1/record.json?app=999999&id=1");
    assert!((400..500).contains(&s), "{s}");
    let after = scrape(&app);
    let requests = "kumiki_http_requests_total";
    assert!(value(&after, requests, kintone) >= value(&before, requests, kintone) + 1.0);
    let client_errors = r#"group="kintone",status_class="4xx""#;
    assert!(value(&after, requests, client_errors) >= 1.0);
    // The previous scrape itself counts in "other"; its latency in the histogram.
    assert!(value(&after, requests, r#"group="other",status_class="2xx""#) >= 1.0);
    let count = value(
        &after,
        "kumiki_http_request_duration_seconds_count",
        r#"group="kintone""#,
    );
    let inf = value(
        &after,
        "kumiki_http_request_duration_seconds_bucket",
        r#"group="kintone",le="+Inf""#,
    );
    assert!(count >= 2.0 && count == inf, "{count} {inf}");
    for name in [
        "kumiki_db_pool_connections",
        "kumiki_db_pool_idle",
        "kumiki_db_pool_max",
        "kumiki_script_pool_workers",
        "kumiki_script_pool_busy",
        "kumiki_database_up",
    ] {
        value(&after, name, "");
    }
    assert_eq!(value(&after, "kumiki_db_pool_max", ""), 4.0);
    assert_eq!(value(&after, "kumiki_database_up", ""), 1.0);
    for state in ["queued", "running", "failed"] {
        value(&after, "kumiki_jobs", &format!("state=\"{state}\""));
    }

    // Writes put rows in the change log; the lag is there and drops to 0 once indexed.
    let id = app.create_app("metrics", sample_fields());
    for i in 0..20 {
        app.add_record(id, json!({"Title": {"value": format!("rec {i}")}}));
    }
    let samples = scrape(&app);
    let lag = value(&samples, "kumiki_search_index_lag_rows", "");
    assert!(lag >= 0.0);
    value(&samples, "kumiki_search_index_lag_seconds", "");
    assert!(samples
        .iter()
        .any(|s| s.name == "kumiki_changelog_consumer_lag_rows" && s.labels.contains("search:")));
    app.wait_indexed(Duration::from_secs(30));
    let samples = scrape(&app);
    assert_eq!(value(&samples, "kumiki_search_index_lag_rows", ""), 0.0);
    assert_eq!(value(&samples, "kumiki_search_index_lag_seconds", ""), 0.0);
}

#[test]
fn metrics_need_the_token_and_the_allowlist_and_are_not_on_the_public_listener() {
    let app = TestApp::spawn_with(|s| {
        s.metrics_token = Some("scrape-secret-1".into());
        s.public_listen = Some("127.0.0.1:0".into());
    });
    let get = |auth: Option<&str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send().unwrap().status().as_u16()
    };
    assert_eq!(get(None), 401);
    assert_eq!(get(Some("Bearer wrong")), 401);
    assert_eq!(get(Some("Basic c2NyYXBlLXNlY3JldC0x")), 401);
    assert_eq!(get(Some("Bearer scrape-secret-1")), 200);
    // The kintone credentials of an administrator are not the token.
    let (s, _) = app.with_auth(app.auth.clone()).get("/metrics");
    assert_eq!(s, 401);
    let public = app.public_port.unwrap();
    let resp = app
        .client
        .get(format!("http://127.0.0.1:{public}/metrics"))
        .header("Authorization", "Bearer scrape-secret-1")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(!resp.text().unwrap().contains("kumiki_http_requests_total"));

    // Behind the IP allowlist, token or not; `/healthz` stays open to load balancers.
    let (s, b) = app.put(
        "/api/security/allowlist.json",
        json!({"enabled": true, "entries": ["127.0.0.1", "::1"]}),
    );
    assert_eq!(s, 200, "{b}");
    let outsider = reqwest::blocking::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let direct = |path: &str| format!("http://127.0.0.1:{}{path}", app.port);
    let resp = outsider
        .get(direct("/metrics"))
        .header("Authorization", "Bearer scrape-secret-1")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let resp = outsider.get(direct("/healthz")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[test]
fn healthz_answers_json_and_503_without_the_database() {
    let app = TestApp::spawn();
    let resp = app.client.get(app.url("/healthz")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body, json!({"status": "ok"}));
    // Cutting the database off is done on PostgreSQL (SQLite is a file the process holds open).
    let Some(base) = postgres_base() else {
        return;
    };
    let base = if base.ends_with('/') {
        base
    } else {
        format!("{base}/")
    };
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = |sql: &str| {
        use diesel::{Connection, RunQueryDsl};
        let mut c = diesel::PgConnection::establish(&format!("{base}postgres")).unwrap();
        diesel::sql_query(sql).execute(&mut c).unwrap();
    };
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    let started = Instant::now();
    let resp = app.client.get(app.url("/healthz")).send().unwrap();
    let took = started.elapsed();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(took < Duration::from_secs(4), "{took:?}");
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["status"], "unavailable", "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("database"),
        "{body}"
    );
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let started = Instant::now();
    loop {
        let resp = app.client.get(app.url("/healthz")).send().unwrap();
        if resp.status().as_u16() == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no recovery");
        std::thread::sleep(Duration::from_millis(200));
    }
}
