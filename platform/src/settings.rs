//! Server settings: defaults < `kumiki.toml` < environment (`KUMIKI_*`) < command-line flags, resolved
//! by clap and `config_file` into one struct that is validated at startup and passed as data (never a
//! global).

use std::path::PathBuf;

/// How long one read or write on the clamd socket may take.
const CLAMD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    pub data_dir: PathBuf,
    /// Attachments; None means `<data_dir>/files`. Nodes sharing one PostgreSQL share this directory
    /// and keep their own `data_dir` (each node's search index lives there).
    pub files_dir: Option<PathBuf>,
    /// Where new attachments put their bytes (`--files-store`): the directory or the database.
    pub files_store: kumiki_engine::records::FilesIn,
    /// `sqlite://...` or `postgres://...`; None means `sqlite://<data_dir>/kumiki.db`.
    pub database_url: Option<String>,
    /// Password for the `Administrator` account created on first start; generated when None.
    pub admin_password: Option<String>,
    /// Load `apps-examples` into an empty database.
    pub load_examples: bool,
    /// Largest accepted request body (JSON) in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted file upload in bytes.
    pub max_file_bytes: usize,
    /// Database connections in the pool.
    pub db_pool_size: u32,
    /// HTTP worker threads; 0 = one per core.
    pub workers: usize,
    /// Time zone for API-token callers and new users.
    pub default_timezone: chrono_tz::Tz,
    /// Leave the `Secure` flag off session cookies, for intranets served over plain HTTP on a host other
    /// than localhost (browsers drop Secure cookies there). Off by default. The cookies then also lose
    /// their `__Host-` prefix, which requires Secure.
    pub insecure_cookies: bool,
    /// Reverse proxies whose forwarding header names the client (`--trusted-proxies`); none by default.
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// The header those proxies write (`--proxy-header`, default `X-Forwarded-For`).
    pub proxy_header: crate::client_address::ProxyHeader,
    /// Ignore the IP allowlist (`--allowlist-off`): the way back in for an administrator who locked
    /// themselves out and cannot run `kumiki allowlist clear`.
    pub allowlist_off: bool,
    /// Request bodies of the kintone API held in memory at once, across all requests, counting
    /// what parsing them costs; beyond it calls answer 429 until others finish.
    pub max_inflight_body_bytes: usize,
    /// The dictionary for whole-word search ranking: `Auto` compiles `<data_dir>/dictionary/ipadic`
    /// from Debian's mecab-ipadic once when missing; `Off` searches on bigrams alone.
    pub search_dictionary: kumiki_search::morph::DictionarySetting,
    /// The program that extracts attachment text in a child process (`<program> extract-text`);
    /// None means this executable (the `kumiki` binary). Tests that run the server inside a test
    /// binary point it at a small helper binary.
    pub extractor: Option<PathBuf>,
    /// The Unix socket of a ClamAV daemon (`clamd`): when set, every upload is scanned before it is
    /// accepted, and refused when infected or when the scan fails (fail closed).
    pub clamd_socket: Option<PathBuf>,
    // Issue 13: the URL people reach this server at (`--public-url`, e.g.
    // `https://kumiki.example.lg.jp`), for record links in webhook payloads and e-mails. None: mails
    // carry paths only; webhooks use `http://<host>:<port>` (`public_base_url`).
    pub public_url: Option<String>,
    /// The first retry of a failed webhook delivery waits this long; each next one twice as long.
    pub webhook_retry_base_secs: i64,
    /// The SMTP server (`smtps://host:465`, `smtp://host:587?tls=required` for STARTTLS, plain
    /// `smtp://host:25` for a local relay; see `crate::mail`); None: mail is off.
    pub smtp_url: Option<String>,
    /// The sender address of mails (`Kumiki <kumiki@example.jp>`).
    pub smtp_from: Option<String>,
    /// The SMTP password, when not in the URL.
    pub smtp_password: Option<String>,
    /// How long one SMTP conversation may take.
    pub smtp_timeout: std::time::Duration,
    /// Issue 15: `host:port` of a second listener serving only the public forms
    /// (`--public-listen`); port 0 picks a free one (tests). None: no second listener (the main
    /// one serves the forms too).
    pub public_listen: Option<String>,
    /// Issue 19: when set, `GET /metrics` requires `Authorization: Bearer <token>`
    /// (`--metrics-token`). None: the IP allowlist alone guards it.
    pub metrics_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            host: "127.0.0.1".into(),
            port: 8080,
            data_dir: PathBuf::from("./kumiki-data"),
            files_dir: None,
            files_store: kumiki_engine::records::FilesIn::Directory,
            database_url: None,
            admin_password: None,
            load_examples: true,
            max_body_bytes: 64 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            db_pool_size: 16,
            workers: 0,
            default_timezone: chrono_tz::Asia::Tokyo,
            insecure_cookies: false,
            trusted_proxies: crate::client_address::TrustedProxies::default(),
            proxy_header: crate::client_address::ProxyHeader::default(),
            allowlist_off: false,
            max_inflight_body_bytes: 256 * 1024 * 1024,
            search_dictionary: kumiki_search::morph::DictionarySetting::Auto,
            extractor: None,
            clamd_socket: None,
            // Issue 13 part "webhooks".
            public_url: None,
            webhook_retry_base_secs: 10,
            smtp_url: None,
            smtp_from: None,
            smtp_password: None,
            smtp_timeout: std::time::Duration::from_secs(10),
            public_listen: None,
            metrics_token: None,
        }
    }
}

impl Settings {
    /// The attachments directory in effect.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }

    /// The attachment store these settings describe: the directory (created when missing), where
    /// new uploads go, and the virus scanner.
    pub fn file_store(&self) -> kumiki_engine::EngineResult<kumiki_engine::records::FileStore> {
        Ok(kumiki_engine::records::FileStore::new(self.files_dir())?
            .writing_to(self.files_store)
            .with_scanner(self.clamd()))
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("kumiki.db").display()),
        }
    }

    /// How attachment text is extracted: always in a child process (docs/security/files.md).
    pub fn extractor(&self) -> std::io::Result<kumiki_search::extract::Extractor> {
        let program = match &self.extractor {
            Some(p) => p.clone(),
            None => std::env::current_exe()?,
        };
        Ok(kumiki_search::extract::Extractor::kumiki(program))
    }

    /// The virus scanner uploads go through, if one is configured.
    pub fn clamd(&self) -> Option<kumiki_engine::records::scan::Clamd> {
        self.clamd_socket
            .as_ref()
            .map(|socket| kumiki_engine::records::scan::Clamd::new(socket, CLAMD_TIMEOUT))
    }

    /// Refuses settings that cannot work, with a message for the operator.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(url) = &self.database_url {
            let known = ["sqlite:", "postgres://", "postgresql://"];
            if !known.iter().any(|k| url.starts_with(k)) {
                return Err("--database-url must start with sqlite:// or postgres://".into());
            }
        }
        if let Some(p) = &self.admin_password {
            if p.chars().count() < 8 {
                return Err("KUMIKI_ADMIN_PASSWORD must be at least 8 characters".into());
            }
        }
        if self.max_body_bytes < 1024 {
            return Err("the body limit must be at least 1024 bytes".into());
        }
        if self.max_inflight_body_bytes < self.max_body_bytes {
            return Err("the in-flight body budget must be at least the body limit".into());
        }
        // Issue 13 part "webhooks".
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err("--public-url must start with http:// or https://".into());
            }
        }
        crate::mail::validate(self)?;
        if let Some(address) = &self.public_listen {
            let port_ok = address
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err("--public-listen must be host:port (e.g. 0.0.0.0:8443)".into());
            }
        }
        Ok(())
    }

    /// The public URL in effect, without a trailing slash (issue 13 part "webhooks").
    pub fn public_base_url(&self, port: u16) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let host = match self.host.as_str() {
                    "0.0.0.0" | "::" | "" => "localhost",
                    h => h,
                };
                format!("http://{host}:{port}")
            }
        }
    }
}
