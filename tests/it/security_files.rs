//! Issue 12, attachments (docs/security/files.md): uploads authenticate before their body is read
//! and stream to disk under the size limit; downloads are attachments a browser will not run;
//! file names never become paths; text extraction runs in a killed-on-timeout, memory-capped child
//! process, so PDF and zip bombs end as "not extracted" with a reason; the optional clamd scan
//! refuses infected files and fails closed. Both databases.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use kumiki_tests::{sample_fields, TestApp};
use serde_json::{json, Value};

/// `Administrator:admin-password-1`.
const ADMIN_AUTH: &str = "QWRtaW5pc3RyYXRvcjphZG1pbi1wYXNzd29yZC0x";

/// Sends the head of a multipart upload that announces `announced` bytes, then only `sent` bytes of
/// body, and returns the status line the server answers within `wait` (None if it does not).
fn partial_upload(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    announced: usize,
    sent: usize,
    wait: Duration,
) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n\
         Content-Length: {announced}\r\n"
    );
    if let Some(auth) = auth {
        head.push_str(&format!("X-Cybozu-Authorization: {auth}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut body =
        b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
            .to_vec();
    body.resize(sent, b'a');
    // The server may close the connection early: a failed write is fine.
    let _ = stream.write_all(&body);
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines()
        .next()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}

#[test]
fn an_upload_is_authenticated_before_its_body_is_read() {
    let app = TestApp::spawn();
    // 90 MB announced, 64 KB sent: the answer comes without the rest of the body.
    for (path, auth) in [
        ("/k/v1/file.json", None),
        ("/k/guest/1/v1/file.json", None),
        // Administrator:wrong
        ("/k/v1/file.json", Some("QWRtaW5pc3RyYXRvcjp3cm9uZw==")),
    ] {
        let status = partial_upload(
            &app,
            path,
            auth,
            90_000_000,
            64 * 1024,
            Duration::from_secs(10),
        );
        let status = status.unwrap_or_else(|| panic!("{path}: no answer before the body ended"));
        assert!(status.contains(" 401 "), "{path} {auth:?}: {status}");
    }
    // A signed-in upload announcing more than the limit is refused at once too.
    let status = partial_upload(
        &app,
        "/k/v1/file.json",
        Some(ADMIN_AUTH),
        200_000_000,
        64 * 1024,
        Duration::from_secs(10),
    )
    .expect("an answer before the body ended");
    assert!(status.contains(" 413 "), "{status}");
}

/// A request body that yields `len` bytes in small pieces, without a Content-Length (chunked).
fn chunked_upload(app: &TestApp, name: &str, len: usize) -> (u16, Value) {
    struct Gen(usize);
    impl Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.0).min(8192);
            buf[..n].fill(b'z');
            self.0 -= n;
            Ok(n)
        }
    }
    let part = reqwest::blocking::multipart::Part::reader(Gen(len))
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .unwrap();
    let form = reqwest::blocking::multipart::Form::new().part("file", part);
    let resp = app
        .client
        .post(app.url("/k/v1/file.json"))
        .header("X-Cybozu-Authorization", ADMIN_AUTH)
        .multipart(form)
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn an_upload_streams_to_disk_under_the_size_limit() {
    let limit = 1024 * 1024;
    let app = TestApp::spawn_with(|s| s.max_file_bytes = limit);
    let (s, b) = chunked_upload(&app, "exact.bin", limit);
    assert_eq!(s, 200, "{b}");
    let (s, b) = chunked_upload(&app, "over.bin", limit + 1);
    assert_eq!((s, b["code"].as_str()), (413, Some("CB_VA02")), "{b}");
    // The refused upload left nothing behind.
    let incoming = app.data_dir.path().join("files/incoming");
    let left: Vec<_> = std::fs::read_dir(&incoming)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

fn download(app: &TestApp, key: &str) -> reqwest::blocking::Response {
    app.client
        .get(app.url(&format!("/k/v1/file.json?fileKey={key}")))
        .header("X-Cybozu-Authorization", ADMIN_AUTH)
        .send()
        .unwrap()
}

fn header(resp: &reqwest::blocking::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

#[test]
fn downloads_are_attachments_a_browser_will_not_run() {
    let app = TestApp::spawn();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let html = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let cases = [
        // (name, declared type, bytes, type served)
        ("写真.png", "image/png", png.clone(), "image/png"),
        (
            "innocent.png",
            "image/png",
            html.clone(),
            "application/octet-stream",
        ),
        ("page.html", "text/html", html, "application/octet-stream"),
        ("logo.svg", "image/svg+xml", svg, "application/octet-stream"),
        (
            "報告書 2025.pdf",
            "application/pdf",
            b"%PDF-1.4\n".to_vec(),
            "application/pdf",
        ),
    ];
    for (name, declared, bytes, served) in cases {
        let key = app.upload(name, declared, bytes.clone());
        let resp = download(&app, &key);
        assert_eq!(resp.status().as_u16(), 200, "{name}");
        assert_eq!(header(&resp, "content-type"), served, "{name}");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff", "{name}");
        assert_eq!(
            header(&resp, "content-security-policy"),
            "sandbox",
            "{name}"
        );
        let disposition = header(&resp, "content-disposition");
        assert!(
            disposition.starts_with("attachment"),
            "{name}: {disposition}"
        );
        assert_eq!(resp.bytes().unwrap().to_vec(), bytes, "{name}: exact bytes");
        if name == "報告書 2025.pdf" {
            assert!(
                disposition.contains("filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8%202025.pdf"),
                "RFC 6266 filename*: {disposition}"
            );
            assert!(
                disposition.contains("filename=\"___ 2025.pdf\""),
                "an ASCII fallback: {disposition}"
            );
        }
    }
}

#[test]
fn a_path_in_a_file_name_is_not_a_path_on_disk() {
    let app = TestApp::spawn();
    let id = app.create_app("f", sample_fields());
    let key = app.upload("../../x", "text/plain", b"escape".to_vec());
    let meta = {
        let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
        kumiki_engine::records::file_meta(&mut db.conn().unwrap(), &key).unwrap()
    };
    assert_eq!(meta.storage_path, format!("{}/{key}", &key[..2]));
    let files_dir = app.data_dir.path().join("files");
    assert_eq!(
        std::fs::read(files_dir.join(&meta.storage_path)).unwrap(),
        b"escape"
    );
    assert!(!app.data_dir.path().join("x").exists());
    assert!(!app.data_dir.path().parent().unwrap().join("x").exists());
    let rid = app.add_record(id, json!({"Attachment": {"value": [{"fileKey": key}]}}));
    let (_, b) = app.get(&format!("/k/v1/record.json?app={id}&id={rid}"));
    assert_eq!(b["record"]["Attachment"]["value"][0]["name"], "x");
}

// ------------------------------------------------------------------ bombs

/// A one-page PDF whose content stream is `content`, FlateDecode-compressed when `deflated` holds
/// the compressed bytes instead.
fn pdf_with_stream(stream: &[u8], filter: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> /Contents 4 0 R >>"
            .to_vec(),
        {
            let mut o = format!("<< /Length {}{filter} >>\nstream\n", stream.len()).into_bytes();
            o.extend_from_slice(stream);
            o.extend_from_slice(b"\nendstream");
            o
        },
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A zlib stream that inflates to `mib` MiB of zeros, built from one compressed MiB repeated (each
/// piece ends byte-aligned and refers to nothing before it), so it costs little to make.
pub fn zlib_bomb(mib: u64) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
    encoder.flush().unwrap();
    let piece = encoder.get_ref().clone();
    let mut out = vec![0x78, 0xDA];
    for _ in 0..mib {
        out.extend_from_slice(&piece);
    }
    // An empty final block, then the Adler-32 of `mib` MiB of zeros.
    out.extend_from_slice(&[0x03, 0x00]);
    let total = mib << 20;
    let b = (total % 65521) as u32;
    out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    out
}

/// The PDF bomb: a content stream that inflates to 4 GiB.
pub fn flate_bomb_pdf() -> Vec<u8> {
    pdf_with_stream(&zlib_bomb(4096), " /Filter /FlateDecode")
}

/// A content stream of 1,000,000 nested `q` (save graphics state) operators.
pub fn nested_q_pdf() -> Vec<u8> {
    let mut content = "q ".repeat(1_000_000);
    content.push_str(&"Q ".repeat(1_000_000));
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(content.as_bytes()).unwrap();
    pdf_with_stream(&encoder.finish().unwrap(), " /Filter /FlateDecode")
}

fn search(app: &TestApp, q: &str) -> Value {
    let (s, b) = app.get(&format!(
        "/api/search.json?q={}",
        q.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
    ));
    assert_eq!(s, 200, "{b}");
    b
}

#[test]
fn pdf_bombs_end_as_not_extracted_with_a_reason() {
    let app = TestApp::spawn();
    let id = app.create_app("文書", sample_fields());
    let bomb = flate_bomb_pdf();
    assert!(bomb.len() < 8_000_000, "{}", bomb.len());
    let good = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../apps-examples/document-archive/files/r8-0002-1.pdf"
    ))
    .unwrap();
    let files = [
        ("flatebomb.pdf", bomb),
        ("nestedq.pdf", nested_q_pdf()),
        ("good.pdf", good),
    ];
    let started = Instant::now();
    for (name, bytes) in files {
        let key = app.upload(name, "application/pdf", bytes);
        app.add_record(
            id,
            json!({"Text": {"value": name}, "Attachment": {"value": [{"fileKey": key}]}}),
        );
    }
    app.wait_indexed(Duration::from_secs(120));
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "bounded: {:?}",
        started.elapsed()
    );
    let (_, status) = app.get("/api/search/status.json");
    let failed = status["failedFiles"].as_array().unwrap();
    let reason = |name: &str| {
        failed
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["error"].as_str().unwrap_or_default().to_owned())
    };
    let bomb_reason = reason("flatebomb.pdf").unwrap_or_else(|| panic!("{status}"));
    // Only the capped child process can say this (an in-process thread has no cap to hit).
    assert!(
        bomb_reason.contains("memory limit") && bomb_reason.contains("was stopped"),
        "{bomb_reason}"
    );
    // The nested `q` file either gives its (empty) text or is stopped the same way.
    if let Some(r) = reason("nestedq.pdf") {
        assert!(r.contains("memory limit") || r.contains("stopped"), "{r}");
    }
    assert_eq!(reason("good.pdf"), None, "{status}");
    // Found by name, and the good file's text is found through the child process.
    let hits = search(&app, "flatebomb");
    assert!(hits["total"].as_u64().unwrap_or(0) >= 1, "{hits}");
    let hits = search(&app, "good.pdf");
    assert!(hits["total"].as_u64().unwrap_or(0) >= 1, "{hits}");
    // Not retried: a later write to the record does not extract the file again.
    let (_, again) = app.get("/api/search/status.json");
    assert_eq!(again["failedFiles"], status["failedFiles"]);
}

/// A zip-based spreadsheet whose sheet inflates past the unpacked-size cap is refused before it is
/// parsed, with the reason.
#[test]
fn a_spreadsheet_zip_bomb_is_refused_before_it_expands() {
    let app = TestApp::spawn();
    let id = app.create_app("表", sample_fields());
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip_writer(&mut out);
        zip.0.start_file("xl/worksheets/sheet1.xml", zip.1).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..300 {
            zip.0.write_all(&zeros).unwrap();
        }
        zip.0.finish().unwrap();
    }
    let key = app.upload(
        "bomb.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        out.into_inner(),
    );
    app.add_record(id, json!({"Attachment": {"value": [{"fileKey": key}]}}));
    app.wait_indexed(Duration::from_secs(60));
    let (_, status) = app.get("/api/search/status.json");
    let failed = status["failedFiles"].as_array().unwrap();
    let f = failed
        .iter()
        .find(|f| f["name"] == "bomb.xlsx")
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        f["error"].as_str().unwrap().contains("unpacks to"),
        "{status}"
    );
}

fn zip_writer(
    out: &mut std::io::Cursor<Vec<u8>>,
) -> (
    zip::ZipWriter<&mut std::io::Cursor<Vec<u8>>>,
    zip::write::SimpleFileOptions,
) {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    (zip::ZipWriter::new(out), options)
}

// ------------------------------------------------------------------ virus scan

const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// A fake clamd on a Unix socket: speaks `zINSTREAM` and flags the EICAR test string.
fn fake_clamd(socket: &std::path::Path) -> std::thread::JoinHandle<()> {
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut command = [0u8; 10];
            if conn.read_exact(&mut command).is_err() || &command != b"zINSTREAM\0" {
                continue;
            }
            let mut data = Vec::new();
            loop {
                let mut len = [0u8; 4];
                if conn.read_exact(&mut len).is_err() {
                    break;
                }
                let len = u32::from_be_bytes(len) as usize;
                if len == 0 {
                    break;
                }
                let mut chunk = vec![0u8; len];
                if conn.read_exact(&mut chunk).is_err() {
                    break;
                }
                data.extend_from_slice(&chunk);
            }
            let infected = data.windows(EICAR.len()).any(|w| w == EICAR.as_bytes());
            let reply: &[u8] = if infected {
                b"stream: Eicar-Test-Signature FOUND\0"
            } else {
                b"stream: OK\0"
            };
            let _ = conn.write_all(reply);
        }
    })
}

fn scan_rows(app: &TestApp) -> Vec<kumiki_engine::audit::AuditEntry> {
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let filter = kumiki_engine::audit::AuditFilter {
        action: Some("file.scan".into()),
        ..Default::default()
    };
    kumiki_engine::audit::list(&mut db.conn().unwrap(), &filter, 100, 0).unwrap()
}

fn upload_raw(app: &TestApp, name: &str, bytes: &[u8], ja: bool) -> (u16, Value) {
    let part = reqwest::blocking::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str("text/plain")
        .unwrap();
    let mut rb = app
        .client
        .post(app.url("/k/v1/file.json"))
        .header("X-Cybozu-Authorization", ADMIN_AUTH)
        .multipart(reqwest::blocking::multipart::Form::new().part("file", part));
    if ja {
        rb = rb.header("Accept-Language", "ja");
    }
    let resp = rb.send().unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

#[test]
fn uploads_go_through_clamd_and_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("clamd.ctl");
    let _server = fake_clamd(&socket);
    let configured = socket.clone();
    let app = TestApp::spawn_with(move |s| s.clamd_socket = Some(configured));

    let (s, b) = upload_raw(&app, "clean.txt", b"an ordinary file", false);
    assert_eq!(s, 200, "{b}");
    let key = b["fileKey"].as_str().unwrap().to_owned();
    let db = kumiki_engine::db::Database::connect(&app.database_url, 1).unwrap();
    let meta = kumiki_engine::records::file_meta(&mut db.conn().unwrap(), &key).unwrap();
    assert_eq!(meta.scan_verdict.as_deref(), Some("clean"));

    let (s, b) = upload_raw(&app, "eicar.com.txt", EICAR.as_bytes(), false);
    assert_eq!((s, b["code"].as_str()), (400, Some("GAIA_VS01")), "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("Eicar-Test-Signature"),
        "{b}"
    );
    let (_, b) = upload_raw(&app, "eicar.com.txt", EICAR.as_bytes(), true);
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("ウイルスが検出された"),
        "{b}"
    );
    let rows = scan_rows(&app);
    let infected: Vec<_> = rows
        .iter()
        .filter(|r| r.detail["verdict"] == "infected")
        .collect();
    assert_eq!(infected.len(), 2, "{rows:?}");
    assert_eq!(infected[0].outcome, "failure");
    assert_eq!(infected[0].actor, "Administrator");
    assert_eq!(infected[0].detail["signature"], "Eicar-Test-Signature");
    assert_eq!(infected[0].detail["name"], "eicar.com.txt");
    let clean = rows
        .iter()
        .find(|r| r.detail["verdict"] == "clean")
        .unwrap();
    assert_eq!(clean.target, format!("file:{key}"));
    assert_eq!(clean.outcome, "success");
    // Nothing of the refused files reached the files directory.
    let stored: usize = walk(&app.data_dir.path().join("files"));
    assert_eq!(stored, 1, "only the clean file is stored");

    // clamd gone: every upload is refused (fail closed).
    std::fs::remove_file(&socket).unwrap();
    let (s, b) = upload_raw(&app, "clean2.txt", b"another ordinary file", false);
    assert_eq!((s, b["code"].as_str()), (503, Some("GAIA_VS02")), "{b}");
    let rows = scan_rows(&app);
    assert_eq!(rows[0].detail["verdict"], "failed", "{rows:?}");
    assert_eq!(rows[0].outcome, "failure");
}

/// Regular files under `dir`, recursively.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
