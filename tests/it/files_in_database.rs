//! Issue 19: attachments stored in the database itself (`--files-store database`), on the real
//! binary and on both databases: an upload is attached, downloaded whole (a file spanning several
//! chunks and a small one) and found by the text inside it, with nothing written under the
//! attachments directory but transient temporaries; a server switched back to `directory` still
//! serves them (reads follow the row) while its new uploads go to disk; deleting the record
//! deletes the bytes; backup and restore carry them inside the database copy. On PostgreSQL, two
//! nodes with no shared directory serve each other's uploads, which is what the setting is for.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_tests::PgDatabase;
use serde_json::{json, Value};

use super::backup::{kumiki, search_ids, stderr};
use super::real_server::{count, database_url, RealServer};

const PASSWORD: &str = "files-in-db-admin-password";
const ADMIN: (&str, &str) = ("Administrator", PASSWORD);
/// Only in the attached text file: a hit proves the indexer read the bytes from the database.
const WORD: &str = "避難経路点検表";
const DATABASE: [&str; 2] = ["--files-store", "database"];

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| (*s).to_owned()).collect()
}

/// 2.5 MiB that differ at every position a chunk boundary could fall on.
fn large_file() -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..(5 * 512 * 1024))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn small_file() -> Vec<u8> {
    format!("年次点検のお知らせ。{WORD}を添付します。").into_bytes()
}

fn new_app(server: &RealServer) -> i64 {
    server.deployed_app(
        ADMIN,
        "添付の保管",
        json!({
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "添付": {"type": "FILE", "code": "添付", "label": "添付"},
        }),
    )
}

/// A new record of `app` with the uploads `keys` attached; returns its id.
fn add_record(server: &RealServer, app: i64, title: &str, keys: &[String]) -> i64 {
    let files: Vec<Value> = keys.iter().map(|k| json!({"fileKey": k})).collect();
    let (s, b) = server.call(
        reqwest::Method::POST,
        "/k/v1/record.json",
        ADMIN,
        json!({"app": app, "record": {"件名": {"value": title}, "添付": {"value": files}}}),
    );
    assert_eq!(s, 200, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

/// The attachments of a record: (name, file key) in order.
fn attached(server: &RealServer, app: i64, id: i64) -> Vec<(String, String)> {
    let (s, b) = server.call(
        reqwest::Method::GET,
        &format!("/k/v1/record.json?app={app}&id={id}"),
        ADMIN,
        Value::Null,
    );
    assert_eq!(s, 200, "{b}");
    b["record"]["添付"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["fileKey"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn download(server: &RealServer, key: &str) -> Vec<u8> {
    let (s, bytes) = server.download(ADMIN, &format!("/k/v1/file.json?fileKey={key}"));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    bytes
}

/// Files under `dir` outside `incoming/`, and whether `incoming/` held any file.
fn files_under(dir: &Path) -> (Vec<PathBuf>, bool) {
    let mut stored = Vec::new();
    let mut transient = false;
    let mut todo = vec![(dir.to_path_buf(), false)];
    while let Some((d, in_incoming)) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                let incoming = in_incoming || p.file_name().is_some_and(|n| n == "incoming");
                todo.push((p, incoming));
            } else if in_incoming {
                transient = true;
            } else {
                stored.push(p);
            }
        }
    }
    (stored, transient)
}

/// Nothing stored under `dir`, and its temporaries gone (a download's copy goes when the
/// response is done, which the client may see a moment before).
fn nothing_stored_under(dir: &Path) {
    let started = Instant::now();
    loop {
        let (stored, transient) = files_under(dir);
        assert_eq!(stored, Vec::<PathBuf>::new());
        if !transient {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "temporaries left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn database_store_serves_finds_switches_deletes_and_restores() {
    let data = tempfile::tempdir().unwrap();
    let files_dir = data.path().join("files");
    let pg = PgDatabase::create();
    let url = database_url(data.path(), pg.as_ref());
    let server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &args(&DATABASE));
    let db = Database::connect(&url, 1).unwrap();
    let app = new_app(&server);
    let large = large_file();
    let small = small_file();
    let keys = vec![
        server.upload(ADMIN, "図面.bin", large.clone()),
        server.upload(ADMIN, "点検.txt", small.clone()),
    ];
    let first = add_record(&server, app, "年次点検", &keys);

    // The same bytes back, from the database: 3 chunks + 1.
    let files = attached(&server, app, first);
    assert_eq!(files.len(), 2);
    assert_eq!(download(&server, &files[0].1), large);
    assert_eq!(download(&server, &files[1].1), small);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM file_blobs"), 4);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) AS n FROM files WHERE storage_path LIKE 'db:%'"
        ),
        2
    );
    nothing_stored_under(&files_dir);
    // The indexer extracted the text from the database's bytes.
    assert_eq!(search_ids(&server, ADMIN, WORD, 1), vec![first]);

    // A backup while serving: the bytes are in the database copy, not in its files/.
    let place = tempfile::tempdir().unwrap();
    let backup = place.path().join("kumiki-backup");
    let out = kumiki(data.path(), &url, &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["files"], json!(0), "{manifest}");
    assert_eq!(manifest["filesInDatabase"], json!(2), "{manifest}");
    assert_eq!(manifest["filesMissing"], json!([]), "{manifest}");
    drop(server);

    // Switched back to the directory: the database files are still served (reads follow the
    // row), new uploads go to disk.
    let server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &[]);
    assert_eq!(download(&server, &files[0].1), large);
    let on_disk = b"written to the directory".to_vec();
    let key = server.upload(ADMIN, "新規.txt", on_disk.clone());
    let second = add_record(&server, app, "切替後", &[key]);
    let disk_key = attached(&server, app, second)[0].1.clone();
    assert_eq!(download(&server, &disk_key), on_disk);
    let (stored, _) = files_under(&files_dir);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].ends_with(&disk_key), "{stored:?}");

    // Deleting the record deletes its bytes from the database; the disk file stays.
    let (s, b) = server.call(
        reqwest::Method::DELETE,
        "/k/v1/records.json",
        ADMIN,
        json!({"app": app, "ids": [first]}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM file_blobs"), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM files"), 1);
    let (s, _) = server.download(ADMIN, &format!("/k/v1/file.json?fileKey={}", files[0].1));
    assert_ne!(s, 200);
    assert_eq!(download(&server, &disk_key), on_disk);
    drop(server);
    drop(db);

    // Restored: the database files come back with the database.
    let out = kumiki(
        data.path(),
        &url,
        &["restore", "--replace", backup.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let server = RealServer::start(data.path(), pg.as_ref(), PASSWORD, &args(&DATABASE));
    let restored = attached(&server, app, first);
    assert_eq!(restored, files);
    assert_eq!(download(&server, &restored[0].1), large);
    assert_eq!(download(&server, &restored[1].1), small);
    let db = Database::connect(&url, 1).unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) AS n FROM file_blobs"), 4);
    assert_eq!(search_ids(&server, ADMIN, WORD, 1), vec![first]);
}

#[test]
fn two_nodes_without_a_shared_directory_serve_each_others_uploads() {
    let Some(pg) = PgDatabase::create() else {
        eprintln!("two nodes need PostgreSQL: this test runs in the PostgreSQL pass");
        return;
    };
    // Each node its own data directory and its own attachments directory (<data-dir>/files).
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let a = RealServer::start(dirs[0].path(), Some(&pg), PASSWORD, &args(&DATABASE));
    std::fs::copy(
        dirs[0].path().join("jwt.key"),
        dirs[1].path().join("jwt.key"),
    )
    .unwrap();
    let b = RealServer::start(dirs[1].path(), Some(&pg), PASSWORD, &args(&DATABASE));
    let app = new_app(&a);
    let large = large_file();
    let small = small_file();
    let on_a = add_record(
        &a,
        app,
        "A で登録",
        &[a.upload(ADMIN, "図面.bin", large.clone())],
    );
    let on_b = add_record(
        &b,
        app,
        "B で登録",
        &[b.upload(ADMIN, "点検.txt", small.clone())],
    );
    assert_eq!(download(&b, &attached(&b, app, on_a)[0].1), large);
    assert_eq!(download(&a, &attached(&a, app, on_b)[0].1), small);
    // Each node's index reads the other's upload too.
    assert_eq!(search_ids(&a, ADMIN, WORD, 1), vec![on_b]);
    assert_eq!(search_ids(&b, ADMIN, WORD, 1), vec![on_b]);
    for d in &dirs {
        nothing_stored_under(&d.path().join("files"));
    }
}
