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
