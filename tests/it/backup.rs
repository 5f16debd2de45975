//! Issue 19: `kumiki backup` and `kumiki restore`, run as an operator would: a backup of a running
//! server, the data directory and the database wiped (a new directory, a new empty database), the
//! backup restored, and the same records, attachments and search results after the next start. On
//! both databases. Also what must be refused: a restore under a running server, into a database that
//! holds data (without `--replace`), of the other kind of database, from a directory that is no
//! backup, and a backup into a directory that is not empty.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kumiki_tests::{kumiki_bin, url_encode, PgDatabase};
use serde_json::{json, Value};

use super::real_server::{database_url, RealServer};

const PASSWORD: &str = "backup-admin-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);
const RECORDS: usize = 24;
const WORD: &str = "防災訓練";

/// `kumiki --data-dir <data> --database-url <url> <args>`.
pub(crate) fn kumiki(data: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(kumiki_bin())
        .arg("--data-dir")
        .arg(data)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every record of `app` in id order, as the API answers them.
fn all_records(server: &RealServer, app: i64) -> Vec<Value> {
    let (s, b) = server.call(
        reqwest::Method::GET,
        &format!(
            "/k/v1/records.json?app={app}&query={}",
            url_encode("order by $id asc limit 500")
        ),
        ADMIN,
        Value::Null,
    );
    assert_eq!(s, 200, "{b}");
    b["records"].as_array().unwrap().clone()
}

/// Record ids of the search hits for `q` as `who` sees them, sorted, once the index holds
/// `expected` of them.
pub(crate) fn search_ids(
    server: &RealServer,
    who: (&str, &str),
    q: &str,
    expected: usize,
) -> Vec<i64> {
    let started = Instant::now();
    loop {
        let (s, b) = server.call(
            reqwest::Method::GET,
            &format!("/api/search.json?q={}&size=100", url_encode(q)),
            who,
            Value::Null,
        );
        assert_eq!(s, 200, "{b}");
        let mut ids: Vec<i64> = b["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["record"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() == expected {
            return ids;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "search for {q}: {} hits, expected {expected}: {b}",
            ids.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The attachments of the records: (file name, bytes) in record order.
fn attachments(server: &RealServer, records: &[Value]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for r in records {
        for f in r["添付"]["value"].as_array().unwrap() {
            let key = f["fileKey"].as_str().unwrap();
            let (s, bytes) = server.download(ADMIN, &format!("/k/v1/file.json?fileKey={key}"));
            assert_eq!(s, 200);
            out.push((f["name"].as_str().unwrap().to_owned(), bytes));
        }
    }
    out
}

#[test]
fn backup_then_wipe_then_restore_gives_the_same_records_files_and_search() {
    let data = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let url = database_url(data.path(), pg.as_ref());
    let server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    let app = server.deployed_app(
        ADMIN,
        "防災台帳",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        }),
    );
    for i in 0..RECORDS {
        let files = if i % 3 == 0 {
            let body = format!("第{i}回 {WORD} の報告書。避難所の開設手順。").into_bytes();
            json!([{"fileKey": server.upload(ADMIN, &format!("報告{i}.txt"), body)}])
        } else {
            json!([])
        };
        let (s, b) = server.call(
            reqwest::Method::POST,
            "/k/v1/record.json",
            ADMIN,
            json!({"app": app, "record": {
                "件名": {"value": format!("{WORD}の記録 {i}")},
                "添付": {"value": files},
            }}),
        );
        assert_eq!(s, 200, "{b}");
    }
    let records = all_records(&server, app);
    assert_eq!(records.len(), RECORDS);
    let files = attachments(&server, &records);
    assert_eq!(files.len(), RECORDS / 3);
    let found = search_ids(&server, ADMIN, WORD, RECORDS);

    // The backup, while the server serves.
    let place = tempfile::tempdir().unwrap();
    let backup = place.path().join("kumiki-backup");
    let out = kumiki(data.path(), &url, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["records"], json!(RECORDS), "{manifest}");
    assert_eq!(manifest["files"], json!(RECORDS / 3), "{manifest}");
    assert_eq!(manifest["filesMissing"], json!([]), "{manifest}");
    assert_eq!(manifest["signingKey"], json!(true), "{manifest}");
    assert!(backup.join("kumiki-backup.json").exists());
    // Not into a directory that holds something.
    let out = kumiki(data.path(), &url, &["backup", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));

    // Written after the backup: not in what is restored.
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/k/v1/record.json",
        ADMIN,
        json!({"app": app, "record": {"件名": {"value": "バックアップ後の追記"}}}),
    );
    assert_eq!(s, 200, "{b}");
    // Refused while a server holds the data directory.
    let out = kumiki(
        data.path(),
        &url,
        &["restore", "--replace", backup.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("server is running"),
        "{}",
        stderr(&out)
    );
    drop(server);

    // In place, over the data written since (the undo of a mistake): only with --replace.
    let out = kumiki(data.path(), &url, &["restore", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    let out = kumiki(
        data.path(),
        &url,
        &["restore", "--replace", backup.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    assert_eq!(all_records(&server, app), records);
    assert_eq!(search_ids(&server, ADMIN, WORD, RECORDS), found);
    assert_eq!(
        search_ids(&server, ADMIN, "バックアップ後", 0),
        Vec::<i64>::new()
    );
    drop(server);

    // The wipe: a new data directory and a new, empty database.
    let data2 = tempfile::tempdir().unwrap();
    let pg2 = PgDatabase::create();
    let url2 = database_url(data2.path(), pg2.as_ref());
    // A directory that is not a finished backup, and the other kind of database: refused.
    let out = kumiki(
        data2.path(),
        &url2,
        &["restore", place.path().to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a finished Kumiki backup"),
        "{}",
        stderr(&out)
    );
    if pg.is_some() {
        let other = tempfile::tempdir().unwrap();
        let sqlite = database_url(other.path(), None);
        let out = kumiki(
            other.path(),
            &sqlite,
            &["restore", backup.to_str().unwrap()],
        );
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("cannot be restored into sqlite"),
            "{}",
            stderr(&out)
        );
    }
    let out = kumiki(data2.path(), &url2, &["restore", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Once restored, the database holds data: a second restore needs --replace.
    let out = kumiki(data2.path(), &url2, &["restore", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds data"),
        "{}",
        stderr(&out)
    );
    let out = kumiki(
        data2.path(),
        &url2,
        &["restore", "--replace", backup.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // The same records (values, ids, revisions), files and search results; the old password
    // signs in (the users came back) and the signing key matches the database.
    let server = RealServer::start(data2.path(), pg2.as_ref(), PASSWORD, &[]);
    assert_eq!(all_records(&server, app), records);
    assert_eq!(attachments(&server, &records), files);
    assert_eq!(search_ids(&server, ADMIN, WORD, RECORDS), found);
    assert_eq!(
        search_ids(&server, ADMIN, "バックアップ後", 0),
        Vec::<i64>::new()
    );
    // Work goes on: a new record gets a new id and is found.
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/k/v1/record.json",
        ADMIN,
        json!({"app": app, "record": {"件名": {"value": "復元後の新しい記録"}}}),
    );
    assert_eq!(s, 200, "{b}");
    let new_id: i64 = b["id"].as_str().unwrap().parse().unwrap();
    assert!(new_id > found[found.len() - 1]);
    assert_eq!(search_ids(&server, ADMIN, "復元後", 1), vec![new_id]);

    // The audit log says who restored what, and its hash chain still holds.
    let (s, csv) = server.download(ADMIN, "/api/audit.csv");
    assert_eq!(s, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("system.backup"), "{csv}");
    assert!(csv.contains("system.restore"), "{csv}");
    drop(server);
    let out = kumiki(data2.path(), &url2, &["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
