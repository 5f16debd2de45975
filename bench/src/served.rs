//! A real `kumiki serve` for the benchmarks that measure over HTTP (`kumiki-forms-bench`,
//! `kumiki-import-bench`): a fresh data directory (SQLite, or a PostgreSQL URL), a free port on
//! loopback, Administrator's password from the environment, stopped when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use serde_json::Value;

pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kumiki serve` on an emptied `dir` and waits until it answers `/healthz`.
pub fn start(
    kumiki: &Path,
    dir: &Path,
    database_url: Option<&str>,
    password: &str,
) -> Result<Server> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = Command::new(kumiki);
    cmd.arg("--data-dir").arg(dir);
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let child = cmd
        .args(["serve", "--no-examples", "--insecure-cookies", "--port"])
        .arg(port.to_string())
        .env("KUMIKI_ADMIN_PASSWORD", password)
        .env("KUMIKI_SEARCH_DICTIONARY", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", kumiki.display()))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while reqwest::blocking::get(format!("{}/healthz", server.base)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// `X-Cybozu-Authorization` for Administrator.
pub fn admin_auth(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("Administrator:{password}"))
}

/// One API call as Administrator (JSON body except for GET); a non-2xx answer is an error.
pub fn call(
    base: &str,
    password: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Result<Value> {
    let mut req = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?
        .request(method.clone(), format!("{base}{path}"))
        .header("X-Cybozu-Authorization", admin_auth(password));
    if method != reqwest::Method::GET {
        req = req.json(&body);
    }
    let resp = req.send()?;
    let status = resp.status();
    let body: Value = resp.json().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {body}");
    }
    Ok(body)
}
