//! File upload and download: exact bytes, attachment to records, access checks.

use kumiki_tests::{sample_fields, Auth, TestApp};
use serde_json::json;

#[test]
fn uploaded_bytes_come_back_exactly() {
    let app = TestApp::spawn();
    let id = app.create_app("f", sample_fields());
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let key = app.upload("通知文書.pdf", "application/pdf", bytes.clone());
    let rid = app.add_record(id, json!({"Attachment": {"value": [{"fileKey": key}]}}));
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let file = &b["record"]["Attachment"]["value"][0];
    assert_eq!(file["name"], "通知文書.pdf");
    assert_eq!(file["size"], "70000");
    assert_eq!(file["contentType"], "application/pdf");
    let download_key = file["fileKey"].as_str().unwrap();
    let resp = app
        .client
        .get(app.url(&format!("/k/v1/file.json?fileKey={download_key}")))
        .header(
            "X-Cybozu-Authorization",
            "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
        )
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(resp.bytes().unwrap().to_vec(), bytes);

    let (s, b) = app.get("/k/v1/file.json?fileKey=doesnotexist");
    assert_eq!((s, b["code"].as_str()), (404, Some("GAIA_BL01")));
    let (s, b) = app.post(
        "/k/v1/record.json",
        json!({"app": id, "record": {"Attachment": {"value": [{"fileKey": "nope"}]}}}),
    );
    assert_eq!(s, 400, "{b}");

    // Clearing the field removes the attachment.
    let (s, _) = app.put(
        "/k/v1/record.json",
        json!({"app": id, "id": rid, "record": {"Attachment": {"value": []}}}),
    );
    assert_eq!(s, 200);
    let (s, _) = app.get(&format!("/k/v1/file.json?fileKey={download_key}"));
    assert_eq!(s, 404);
}

#[test]
fn a_token_of_another_app_cannot_download() {
    let app = TestApp::spawn();
    let a = app.create_app("a", sample_fields());
    let other = app.create_app("b", sample_fields());
    let key = app.upload("x.bin", "application/pdf", vec![1, 2, 3]);
    let rid = app.add_record(a, json!({"Attachment": {"value": [{"fileKey": key}]}}));
    let (_, b) = app.get(&format!("/k/v1/record.json?app={a}&id={rid}"));
    let download_key = b["record"]["Attachment"]["value"][0]["fileKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.token(other, "view");
    let (s, b) = app
        .with_auth(Auth::Tokens(token))
        .get(&format!("/k/v1/file.json?fileKey={download_key}"));
    assert_eq!(
        (s, b["code"].as_str()),
        (404, Some("GAIA_BL01")),
        "a hidden file answers like a missing one"
    );
}

/// `--files-dir`: attachments go to a directory of their own (shared by several nodes), not under
/// the node's data directory, and come back from there.
#[test]
fn attachments_live_in_the_files_dir() {
    let shared = tempfile::tempdir().unwrap();
    let shared_path = shared.path().to_path_buf();
    let app = TestApp::spawn_with(|s| s.files_dir = Some(shared_path));
    let id = app.create_app("f", sample_fields());
    let bytes = b"shared attachment".to_vec();
    let key = app.upload("shared.txt", "application/pdf", bytes.clone());
    let rid = app.add_record(id, json!({"Attachment": {"value": [{"fileKey": key}]}}));
    let stored: Vec<_> = walk(shared.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(std::fs::read(&stored[0]).unwrap(), bytes);
    assert!(
        walk(&app.data_dir.path().join("files")).is_empty(),
        "nothing under the data dir's files"
    );
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    let download_key = b["record"]["Attachment"]["value"][0]["fileKey"]
        .as_str()
        .unwrap();
    let resp = app
        .client
        .get(app.url(&format!("/k/v1/file.json?fileKey={download_key}")))
        .header(
            "X-Cybozu-Authorization",
            "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x",
        )
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().unwrap().to_vec(), bytes);
}

/// Every file below `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
