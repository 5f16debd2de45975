//! The `kumiki` command: migrate, user add, token add, app import and export, and a refused database URL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn kumiki(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumiki"));
    cmd.arg("--data-dir").arg(data_dir);
    if let Ok(url) = std::env::var("KUMIKI_CLI_TEST_DATABASE_URL") {
        cmd.arg("--database-url").arg(url);
    }
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run kumiki")
}

fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn import_export_users_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    assert!(stdout(&kumiki(dir.path(), &["migrate"])).contains("migrations applied"));
    assert!(stdout(&kumiki(
        dir.path(),
        &["user", "add", "suzuki", "--password", "suzuki-password"]
    ))
    .contains("suzuki"));
    let dup = kumiki(
        dir.path(),
        &["user", "add", "suzuki", "--password", "suzuki-password"],
    );
    assert!(!dup.status.success(), "a login is used once");

    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../apps-examples/document-archive/app.json");
    let id = stdout(&kumiki(
        dir.path(),
        &["app", "import", package.to_str().unwrap()],
    ));
    assert_eq!(id, "1");
    let token = stdout(&kumiki(
        dir.path(),
        &["token", "add", "--app", "1", "--rights", "view,add"],
    ));
    assert!(token.len() >= 30);
    let bad = kumiki(
        dir.path(),
        &["token", "add", "--app", "1", "--rights", "fly"],
    );
    assert!(!bad.status.success());

    let out = dir.path().join("export.json");
    stdout(&kumiki(
        dir.path(),
        &["app", "export", "1", "--output", out.to_str().unwrap()],
    ));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(exported["format"], "kumiki-app/1");
    assert_eq!(exported["app"]["name"], "文書書庫");
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&package).unwrap()).unwrap();
    assert_eq!(
        exported["records"].as_array().unwrap().len(),
        original["records"].as_array().unwrap().len()
    );
    let with_file = exported["records"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| {
            r["添付ファイル"]["value"]
                .as_array()
                .filter(|f| !f.is_empty())
                .cloned()
        })
        .expect("an exported attachment");
    assert!(with_file[0]["contentBase64"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    // The export imports again, without its records when asked.
    let id2 = stdout(&kumiki(
        dir.path(),
        &["app", "import", out.to_str().unwrap(), "--no-records"],
    ));
    assert_eq!(id2, "2");
}

#[test]
fn a_bad_package_or_database_url_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, r#"{"format": "something-else"}"#).unwrap();
    let o = kumiki(dir.path(), &["app", "import", bogus.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Error"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_kumiki"))
        .args(["--database-url", "mysql://x", "migrate"])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("sqlite:// or postgres://"));
}

/// Runs `kumiki user set-password` with the new password from the environment or standard input.
fn set_password(
    data_dir: &std::path::Path,
    login: &str,
    env: Option<&str>,
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumiki"));
    cmd.arg("--data-dir").arg(data_dir);
    if let Ok(url) = std::env::var("KUMIKI_CLI_TEST_DATABASE_URL") {
        cmd.arg("--database-url").arg(url);
    }
    cmd.args(["user", "set-password", login])
        .env("RUST_LOG", "warn")
        .env_remove("KUMIKI_NEW_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Some(p) = env {
        cmd.env("KUMIKI_NEW_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("run kumiki");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Whether `login`/`password` is accepted by a server on `data_dir`.
fn signs_in(base: &str, login: &str, password: &str) -> bool {
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
    let r = reqwest::blocking::Client::new()
        .get(format!("{base}/k/v1/apps.json"))
        .header("X-Cybozu-Authorization", auth)
        .send()
        .unwrap();
    r.status().is_success()
}

#[test]
fn set_password_reads_the_password_from_the_environment_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // Unique per run: the PostgreSQL variant shares one database between the tests of this file.
    let login = format!("tanaka{}", std::process::id());
    stdout(&kumiki(dir.path(), &["migrate"]));
    stdout(&kumiki(
        dir.path(),
        &["user", "add", &login, "--password", "first-password-1"],
    ));

    let o = set_password(dir.path(), &login, Some("second-password-2"), "");
    assert!(stdout(&o).contains(&login));
    let o = set_password(dir.path(), &login, None, "third-password-3\n");
    assert!(stdout(&o).contains(&login));

    // Refused clearly, and nothing changes: an unknown login, a short or missing password.
    let o = set_password(dir.path(), "nobody-here", Some("long-enough-1"), "");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no user"));
    let o = set_password(dir.path(), &login, None, "short\n");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 8"));
    let o = set_password(dir.path(), &login, None, "");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("KUMIKI_NEW_PASSWORD"));

    // The server accepts the last password and no other.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kumiki"));
    cmd.arg("--data-dir").arg(dir.path());
    if let Ok(url) = std::env::var("KUMIKI_CLI_TEST_DATABASE_URL") {
        cmd.arg("--database-url").arg(url);
    }
    let mut server = cmd
        .args(["serve", "--port", "0", "--no-examples"])
        .env("RUST_LOG", "warn")
        .env("KUMIKI_ADMIN_PASSWORD", "admin-password-1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(server.stdout.take().unwrap());
    let base = loop {
        let mut line = String::new();
        use std::io::BufRead;
        assert!(out.read_line(&mut line).unwrap() > 0, "server stopped");
        if let Some(rest) = line.trim().strip_prefix("Kumiki is listening on ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    let third = signs_in(&base, &login, "third-password-3");
    let second = signs_in(&base, &login, "second-password-2");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(third, "the new password signs in");
    assert!(!second, "the previous password no longer does");
}
