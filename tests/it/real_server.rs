//! The real `kumiki` binary as a child process, for the tests that kill it with SIGKILL and start
//! it again on the same data (mail_kill, webhooks_durability). The binary comes from `KUMIKI_BIN`,
//! else `kumiki` next to this test's target directory.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kumiki_tests::{kumiki_bin, PgDatabase};
use serde_json::Value;

pub struct RealServer {
    child: Child,
    pub port: u16,
}

impl RealServer {
    /// `kumiki serve --no-examples` on `data` (and on `pg` when given) with `extra` arguments and
    /// Administrator's password `password`; returns once `/healthz` answers.
    pub fn start(
        data: &Path,
        pg: Option<&PgDatabase>,
        password: &str,
        extra: &[String],
    ) -> RealServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(kumiki_bin());
        cmd.arg("--data-dir").arg(data);
        if let Some(db) = pg {
            cmd.arg("--database-url").arg(db.url());
        }
        let child = cmd
            .args(["serve", "--no-examples", "--workers", "2", "--port"])
            .arg(port.to_string())
            .args(extra)
            .env("KUMIKI_ADMIN_PASSWORD", password)
            .env("KUMIKI_SEARCH_DICTIONARY", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = RealServer { child, port };
        let started = Instant::now();
        while reqwest::blocking::get(format!("http://127.0.0.1:{port}/healthz")).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "no start");
            assert!(
                server.child.try_wait().unwrap().is_none(),
                "the server exited at start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// SIGKILL (`Child::kill` on Unix): no shutdown code runs.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A call with `X-Cybozu-Authorization` as `user`; the body is sent except on GET.
    pub fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        (user, password): (&str, &str),
        body: Value,
    ) -> (u16, Value) {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut req = reqwest::blocking::Client::new()
            .request(
                method.clone(),
                format!("http://127.0.0.1:{}{path}", self.port),
            )
            .header("X-Cybozu-Authorization", auth);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let resp = req.send().unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        self.kill9();
    }
}
