//! Issue 19: kumiki.toml on the real `kumiki` binary — every flag of `kumiki --help` and
//! `kumiki serve --help` has a key in docs/kumiki.example.toml; the file sits between the defaults
//! and the environment; refused files stop with status 2 and say where; `--log-format json` makes
//! every log line a JSON object carrying the request's id.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kumiki_tests::{kumiki_bin, PgDatabase};
use serde_json::Value;

/// The example shipped in docs/.
fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/kumiki.example.toml");
    std::fs::read_to_string(path).unwrap()
}

/// `kumiki <args>` with a clean configuration environment (no KUMIKI_* from the caller).
fn kumiki(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(kumiki_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("KUMIKI_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args)
        .envs(env.iter().copied())
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .output()
        .unwrap()
}

/// The long flags a help text lists (`--data-dir` → `data_dir`), without help/version/config.
fn flags_of(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().find(|w| w.starts_with("--")))
        .map(|w| {
            w.trim_start_matches("--")
                .trim_end_matches(',')
                .replace('-', "_")
        })
        .filter(|f| !matches!(f.as_str(), "help" | "version" | "config"))
        .collect()
}

#[test]
fn every_flag_has_a_key_in_the_example() {
    let example = example();
    let keys: Vec<&str> = example
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim()))
        .collect();
    let mut flags = Vec::new();
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let out = kumiki(args, &[]);
        assert!(out.status.success());
        flags.extend(flags_of(&String::from_utf8_lossy(&out.stdout)));
    }
    assert!(flags.contains(&"data_dir".to_owned()), "{flags:?}");
    assert!(flags.contains(&"smtp_url".to_owned()), "{flags:?}");
    assert!(flags.contains(&"metrics_token".to_owned()), "{flags:?}");
    for flag in &flags {
        assert!(
            keys.contains(&flag.as_str()),
            "--{} has no key in docs/kumiki.example.toml",
            flag.replace('_', "-")
        );
    }
    // As shipped, everything commented out, the example is a valid (empty) configuration.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kumiki.toml");
    std::fs::write(&file, example).unwrap();
    let data = dir.path().join("data");
    let out = kumiki(
        &[
            "--config",
            file.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "migrate",
        ],
        &[],
    );
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn the_file_sits_between_the_defaults_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let file = dir.path().join("kumiki.toml");
    let from_file = dir.path().join("from-file");
    let mut text = format!(
        "# the data dir\ndata_dir = {:?}\n",
        from_file.to_str().unwrap()
    );
    if let Some(db) = &pg {
        text.push_str(&format!("database_url = {:?}\n", db.url()));
    }
    std::fs::write(&file, text).unwrap();
    let config = file.to_str().unwrap();

    // The file beats the default (./kumiki-data).
    let out = kumiki(&["--config", config, "migrate"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(from_file.is_dir());

    // KUMIKI_CONFIG names the file too; the environment beats the file.
    let from_env = dir.path().join("from-env");
    let out = kumiki(
        &["migrate"],
        &[
            ("KUMIKI_CONFIG", config),
            ("KUMIKI_DATA_DIR", from_env.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(from_env.is_dir());

    // A flag beats both, also after the subcommand.
    let from_flag = dir.path().join("from-flag");
    let out = kumiki(
        &[
            "--config",
            config,
            "migrate",
            "--data-dir",
            from_flag.to_str().unwrap(),
        ],
        &[("KUMIKI_DATA_DIR", from_env.to_str().unwrap())],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(from_flag.is_dir());
    if pg.is_none() {
        assert!(from_file.join("kumiki.db").exists());
        assert!(from_env.join("kumiki.db").exists());
        assert!(from_flag.join("kumiki.db").exists());
    }
}

#[test]
fn refused_files_stop_with_status_2_and_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |text: &str| {
        let file = dir.path().join("kumiki.toml");
        std::fs::write(&file, text).unwrap();
        let out = kumiki(
            &[
                "--config",
                file.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
                "migrate",
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains("kumiki.toml: "), "{stderr}");
        stderr
    };
    let e = run("data_dir = \"/tmp/x\"\n\nprot = 8080\n");
    assert!(
        e.contains("unknown key \"prot\" at line 3; known keys: "),
        "{e}"
    );
    assert!(e.contains("port"), "{e}");
    let e = run("port = \"eighty\"\n");
    assert!(e.contains("key \"port\" at line 1: invalid type"), "{e}");
    let e = run("no_examples = 1\n");
    assert!(e.contains("key \"no_examples\" at line 1"), "{e}");
    let e = run("log_format = \"xml\"\n");
    assert!(e.contains("key \"log_format\" at line 1"), "{e}");
    let e = run("[serve]\nport = 8080\n");
    assert!(e.contains("unknown key \"serve\""), "{e}");
    let e = run("port = = 1\n");
    assert!(e.contains("invalid TOML at line 1"), "{e}");
    assert!(!data.exists(), "nothing ran on a refused configuration");

    // An explicit file that does not exist is an error; a bad --log-format too.
    let missing = dir.path().join("missing.toml");
    let out = kumiki(&["--config", missing.to_str().unwrap(), "migrate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing.toml: cannot read"), "{stderr}");
    let out = kumiki(&["--log-format", "xml", "migrate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("possible values: text, json"), "{stderr}");
}

/// `serve` takes its port from the file and writes JSON log lines with `--log-format json` (the
/// flag beating the file's `text`); the line of a refused request carries its `X-Request-Id` and
/// app id.
#[test]
fn json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = dir.path().join("data");
    let mut text = format!(
        "data_dir = {:?}\nport = {port}\nlog_format = \"text\"\nno_examples = true\nworkers = 2\n",
        data.to_str().unwrap()
    );
    if let Some(db) = &pg {
        text.push_str(&format!("database_url = {:?}\n", db.url()));
    }
    let file = dir.path().join("kumiki.toml");
    std::fs::write(&file, text).unwrap();
    let mut cmd = Command::new(kumiki_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("KUMIKI_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .args([
            "--config",
            file.to_str().unwrap(),
            "--log-format",
            "json",
            "serve",
        ])
        .env("KUMIKI_ADMIN_PASSWORD", "admin-password-1")
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(r) = reqwest::blocking::get(format!("{base}/healthz")) {
            assert_eq!(r.status().as_u16(), 200);
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(started.elapsed() < Duration::from_secs(60), "no start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A page post from another site: refused at the edge, which logs it inside the request span.
    let resp = reqwest::blocking::Client::new()
        .post(format!("{base}/apps/7/views"))
        .header("Origin", "http://evil.example")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<Value> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 2, "{stderr}");
    for line in &lines {
        for key in ["timestamp", "level", "target", "message"] {
            assert!(line.get(key).is_some(), "no {key}: {line}");
        }
    }
    let refused = lines
        .iter()
        .find(|l| l["span"]["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no line with request id {id}: {stderr}"));
    assert_eq!(refused["span"]["name"], "request", "{refused}");
    assert_eq!(refused["span"]["app_id"], 7, "{refused}");
    assert_eq!(refused["level"], "INFO", "{refused}");
}

/// The environment's on/off values are read as operators write them (`1`, `yes`, `on`, `0`, `no`,
/// `off`, `true`, `false`), not only `true`/`false`: `KUMIKI_NO_EXAMPLES=1` keeps an empty database
/// empty, `KUMIKI_NO_EXAMPLES=0` loads the examples. (The server then stops: its port is taken,
/// which it finds out only after preparing the database.)
#[test]
fn on_off_settings_read_1_and_0_from_the_environment() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let apps_in = |value: &str| -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = kumiki(
            &["serve", "--port", &port],
            &[
                ("KUMIKI_DATA_DIR", data.to_str().unwrap()),
                ("KUMIKI_NO_EXAMPLES", value),
                ("KUMIKI_ADMIN_PASSWORD", "admin-password-1"),
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains("cannot listen"), "{value}: {stderr}");
        let db = kumiki_engine::db::Database::connect(
            &format!("sqlite://{}", data.join("kumiki.db").display()),
            1,
        )
        .unwrap();
        let mut conn = db.conn().unwrap();
        let mut b = conn.sql();
        b.push("SELECT COUNT(*) AS n FROM apps");
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        conn.load::<Count>(&b).unwrap()[0].n
    };
    for on in ["1", "yes", "on", "true"] {
        assert_eq!(apps_in(on), 0, "KUMIKI_NO_EXAMPLES={on}");
    }
    assert!(apps_in("0") > 0, "KUMIKI_NO_EXAMPLES=0 loads the examples");
    let dir = tempfile::tempdir().unwrap();
    let out = kumiki(
        &["serve", "--port", &port],
        &[
            ("KUMIKI_DATA_DIR", dir.path().to_str().unwrap()),
            ("KUMIKI_NO_EXAMPLES", "perhaps"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    drop(taken);
}
