//! `kumiki jobs list`: an administrator sees failed jobs with their error; a bad state is refused.
//! Runs on SQLite (the CLI reads the same table on PostgreSQL through the same engine call).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use kumiki_engine::db::Database;
use kumiki_engine::jobs::{self, JobState, NewJob};
use serde_json::Value;

fn kumiki(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kumiki"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run kumiki")
}

#[test]
fn jobs_list_shows_failed_jobs_with_their_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(kumiki(dir.path(), &["migrate"]).status.success());
    let db = Database::connect(
        &format!("sqlite://{}", dir.path().join("kumiki.db").display()),
        1,
    )
    .unwrap();
    let mut conn = db.conn().unwrap();
    let payload = serde_json::json!({"app": 7});
    for key in ["fails", "waits"] {
        let job = NewJob {
            kind: "test.cli",
            dedupe_key: key,
            payload: &payload,
            run_at: 100,
            max_attempts: 1,
        };
        assert!(jobs::enqueue(&mut conn, &job, 100).unwrap());
    }
    let (claimed, _) = jobs::claim(&mut conn, "node-x", &["test.cli"], 100, 60, 1).unwrap();
    let failed = claimed[0].id;
    assert_eq!(
        jobs::fail(
            &mut conn,
            failed,
            "node-x",
            "the script \"x\" failed: boom",
            101
        )
        .unwrap(),
        Some(JobState::Failed)
    );

    let out = kumiki(dir.path(), &["jobs", "list", "--state", "failed"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], failed);
    assert_eq!(listed[0]["state"], "failed");
    assert_eq!(listed[0]["lastError"], "the script \"x\" failed: boom");
    assert_eq!(listed[0]["attempts"], 1);
    assert_eq!(listed[0]["payload"]["app"], 7);

    let out = kumiki(dir.path(), &["jobs", "list"]);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);

    let bad = kumiki(dir.path(), &["jobs", "list", "--state", "broken"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("queued, running, done or failed"));
}
