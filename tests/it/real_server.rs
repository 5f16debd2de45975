//! The real `kumiki` binary as a child process, for the tests that kill it with SIGKILL and start
//! it again on the same data (mail_kill, webhooks_durability, imports_kill, public_forms_kill, …),
//! and what those tests share around it: a deployed app to work on, and counting rows in the
//! database the killed server wrote. The binary comes from `KUMIKI_BIN`, else `kumiki` next to this
//! test's target directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::QueryableByName;
use kumiki_engine::db::Database;
use kumiki_tests::{kumiki_bin, PgDatabase};
use serde_json::{json, Value};

pub struct RealServer {
    child: Child,
    pub port: u16,
    /// How it was started, for [`RealServer::restart`].
    data: PathBuf,
    database_url: Option<String>,
    password: String,
    extra: Vec<String>,
}

/// The database a server on `data` uses: `pg` when given, else the SQLite file in `data`.
pub fn database_url(data: &Path, pg: Option<&PgDatabase>) -> String {
    match pg {
        Some(db) => db.url(),
        None => format!("sqlite://{}", data.join("kumiki.db").display()),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// One number from `sql` (test-made SQL, no input; the column is named `n`).
pub fn count(db: &Database, sql: &str) -> i64 {
    let mut conn = db.conn().unwrap();
    let mut b = conn.sql();
    b.push(sql);
    conn.load::<Count>(&b).unwrap()[0].n
}

/// Runs test-made SQL (no input).
pub fn execute(db: &Database, sql: &str) {
    let mut conn = db.conn().unwrap();
    conn.batch_execute(sql).unwrap();
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
        let database_url = pg.map(PgDatabase::url);
        Self::spawn(
            data.to_path_buf(),
            database_url,
            password.to_owned(),
            extra.to_vec(),
        )
    }

    fn spawn(
        data: PathBuf,
        database_url: Option<String>,
        password: String,
        extra: Vec<String>,
    ) -> RealServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(kumiki_bin());
        cmd.arg("--data-dir").arg(&data);
        if let Some(url) = &database_url {
            cmd.arg("--database-url").arg(url);
        }
        let child = cmd
            .args(["serve", "--no-examples", "--workers", "2", "--port"])
            .arg(port.to_string())
            .args(&extra)
            .env("KUMIKI_ADMIN_PASSWORD", &password)
            .env("KUMIKI_SEARCH_DICTIONARY", "off")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = RealServer {
            child,
            port,
            data,
            database_url,
            password,
            extra,
        };
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

    /// Kills the server (if it still runs) and starts it again on the same data, database and
    /// arguments, on a new port; returns once `/healthz` answers.
    pub fn restart(&mut self) {
        self.kill9();
        let again = Self::spawn(
            self.data.clone(),
            self.database_url.clone(),
            self.password.clone(),
            self.extra.clone(),
        );
        // The old child is already reaped; dropping it kills nothing else.
        *self = again;
    }

    /// A new app `name` with the form fields `properties`, deployed; returns its id once it is
    /// live (deploys run in the background in kintone's API).
    pub fn deployed_app(&self, admin: (&str, &str), name: &str, properties: Value) -> i64 {
        let (s, b) = self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app.json",
            admin,
            json!({ "name": name }),
        );
        assert_eq!(s, 200, "{b}");
        let app: i64 = b["app"].as_str().unwrap().parse().unwrap();
        let (s, b) = self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app/form/fields.json",
            admin,
            json!({ "app": app, "properties": properties }),
        );
        assert_eq!(s, 200, "{b}");
        self.deploy(admin, app);
        app
    }

    /// Deploys `app`'s preview settings; returns once they are live.
    pub fn deploy(&self, admin: (&str, &str), app: i64) {
        let (s, b) = self.call(
            reqwest::Method::POST,
            "/k/v1/preview/app/deploy.json",
            admin,
            json!({"apps": [{"app": app}]}),
        );
        assert_eq!(s, 200, "{b}");
        let started = Instant::now();
        loop {
            let (_, b) = self.call(
                reqwest::Method::GET,
                &format!("/k/v1/preview/app/deploy.json?apps[0]={app}"),
                admin,
                Value::Null,
            );
            if b["apps"][0]["status"] == "SUCCESS" {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "deploy: {b}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Uploads `bytes` as `name` through `/k/v1/file.json` as `user`; returns the file key.
    pub fn upload(&self, (user, password): (&str, &str), name: &str, bytes: Vec<u8>) -> String {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mime = match name.rsplit('.').next() {
            Some("csv") => "text/csv",
            Some("txt") => "text/plain",
            _ => "application/octet-stream",
        };
        let part = reqwest::blocking::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap();
        let form = reqwest::blocking::multipart::Form::new().part("file", part);
        let resp = reqwest::blocking::Client::new()
            .post(format!("http://127.0.0.1:{}/k/v1/file.json", self.port))
            .header("X-Cybozu-Authorization", auth)
            .multipart(form)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let v: Value = resp.json().unwrap();
        v["fileKey"].as_str().unwrap().to_owned()
    }

    /// The bytes of `path` as `user` (a file download), with the status.
    pub fn download(&self, (user, password): (&str, &str), path: &str) -> (u16, Vec<u8>) {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let resp = reqwest::blocking::Client::new()
            .get(format!("http://127.0.0.1:{}{path}", self.port))
            .header("X-Cybozu-Authorization", auth)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.bytes().unwrap().to_vec())
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
