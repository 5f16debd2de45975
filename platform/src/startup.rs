//! Building the application: open and migrate the database, create the administrator, load the
//! examples, bind the listener. `Application::build` binds before it returns, so tests can ask for
//! port 0 and read the real port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use kumiki_engine::db::Database;
use kumiki_engine::{server_settings, users};

use crate::settings::Settings;
use crate::state::{AppState, PasswordCache};

pub struct Application {
    port: u16,
    server: Server,
    /// Issue 15: the public listener (`--public-listen`) and its port.
    public: Option<(u16, Server)>,
    /// The administrator password generated on first start, to be shown once.
    pub generated_admin_password: Option<String>,
    pub state: AppState,
}

/// Opens the database, applies migrations and prepares shared state; no listener yet.
pub fn prepare_state(settings: &Settings) -> anyhow::Result<(AppState, Option<String>)> {
    settings.validate().map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let db = Database::connect(&settings.database_url(), settings.db_pool_size)?;
    db.migrate()?;
    let mut conn = db.conn()?;
    let generated = users::ensure_administrator(&mut conn, settings.admin_password.as_deref())?;
    let secret = load_signing_key(&mut conn, &settings.data_dir)?;
    let hashed = kumiki_engine::tokens::hash_plain_tokens(&mut conn)?;
    if hashed > 0 {
        tracing::info!(tokens = hashed, "app API tokens are now stored hashed");
    }
    let files = settings.file_store()?;
    // Temporary files a stopped process left in `incoming/`; a day old, so that no upload or
    // export of another node sharing the directory is still being written.
    match files.remove_stale_temporary_files(STALE_TEMPORARY_FILES) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed stale temporary files"),
        Err(e) => tracing::warn!(error = %e, "cannot clean the temporary files"),
    }
    if let Some(clamd) = files.scanner() {
        tracing::info!(socket = %clamd.socket().display(), "uploads are scanned by clamd");
    }
    if settings.load_examples {
        let n =
            crate::examples::load_examples_if_empty(&mut conn, &files, settings.default_timezone)?;
        if n > 0 {
            tracing::info!(apps = n, "loaded the example apps");
        }
    }
    drop(conn);
    let db = Arc::new(db);
    let morph =
        kumiki_search::morph::resolve(&settings.search_dictionary, &settings.data_dir, true)
            .context("cannot load the search dictionary")?;
    let search = kumiki_search::SearchService::start(
        Arc::clone(&db),
        &settings.data_dir,
        &settings.files_dir(),
        settings.extractor()?,
        morph,
    )
    .context("cannot open the search index")?;
    let search = Arc::new(search);
    // Issue 13 part "webhooks": started in `Application::build` once the port is known.
    let webhooks = Arc::new(crate::webhooks::Webhooks::default());
    // Issue 19: on PostgreSQL the writes of the other nodes wake this node's indexer and sender.
    let change_listener = {
        let (search, webhooks) = (Arc::clone(&search), Arc::clone(&webhooks));
        kumiki_engine::db::listen::ChangeListener::start(&db, move || {
            search.notify();
            webhooks.wake();
        })?
    };
    // Memory freed after a burst (a script stopped at its memory budget) goes back to the system.
    kumiki_scripting::memory::purge_in_background();
    let scripts = kumiki_scripting::ScriptRuntime::new(
        kumiki_scripting::ScriptLimits::default(),
        crate::script_schedule::script_workers(),
    );
    let script_schedule = Arc::new(crate::script_schedule::ScriptSchedule::start(
        Arc::clone(&db),
        Arc::clone(&scripts),
        settings.default_timezone,
    ));
    // Issue 13, notify: the bell's producers.
    let notify = Arc::new(crate::notify_runner::NotifyRunner::start(
        Arc::clone(&db),
        settings.default_timezone,
    ));
    // Issue 16: periodic reports (定期レポート).
    let report_schedule = Arc::new(crate::report_schedule::ReportSchedule::start(
        Arc::clone(&db),
        settings.default_timezone,
    ));
    // Issue 16: record imports.
    let imports = Arc::new(crate::imports_runner::ImportService::start(
        Arc::clone(&db),
        files.clone(),
        Arc::clone(&scripts),
        settings.default_timezone,
    ));
    // Issue 13 (mail).
    let mail = Arc::new(crate::mail::MailService::start(Arc::clone(&db), settings)?);
    // Issue 18: PostgreSQL plans on current statistics right after a bulk import.
    let pg_statistics = Arc::new(crate::pg_statistics::PgStatistics::start(Arc::clone(&db)));
    let state = AppState {
        report_schedule,
        mail,
        script_schedule,
        scripts,
        db,
        files,
        settings: Arc::new(settings.clone()),
        jwt_secret: Arc::new(secret.into_bytes()),
        password_cache: Arc::new(PasswordCache::default()),
        templates: Arc::new(crate::templates::registry().map_err(anyhow::Error::msg)?),
        search,
        allowlist: Arc::new(crate::edge::AllowlistCache::default()),
        body_budget: crate::body_budget::BodyBudget::new(settings.max_inflight_body_bytes),
        notify,
        imports,
        webhooks,
        change_listener: Arc::new(change_listener),
        public_forms: Arc::new(crate::public_forms::PublicForms::default()),
        pg_statistics,
        metrics: Arc::new(crate::metrics::HttpMetrics::default()),
    };
    if settings.allowlist_off {
        tracing::warn!("--allowlist-off: the IP allowlist is ignored; every address is served");
    }
    Ok((state, generated))
}

/// How long a temporary file under `<files-dir>/incoming/` may stay untouched before a start
/// removes it.
const STALE_TEMPORARY_FILES: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The file in the data directory that holds the key signing bearer JWTs, session cookies and CSRF
/// tokens.
pub const SIGNING_KEY_FILE: &str = "jwt.key";

/// The signing key: read from `<data_dir>/jwt.key`; on first start moved there from the database
/// (where versions before issue 12 kept it, so every backup carried it) and deleted from the database,
/// or created. The file is written with mode 0600. The database keeps only the key's SHA-256
/// fingerprint, so a node started with another key (or none, next to a database that had one) refuses
/// to start instead of signing everyone out: copy the file to every node.
fn load_signing_key(
    conn: &mut kumiki_engine::db::DbConn,
    data_dir: &std::path::Path,
) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    const FINGERPRINT: &str = "jwt_key_fingerprint";
    let path = data_dir.join(SIGNING_KEY_FILE);
    let fingerprint = |key: &str| -> String {
        Sha256::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let known = server_settings::get(conn, FINGERPRINT)?;
    let key = if path.exists() {
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the signing key {}", path.display()))?
            .trim()
            .to_owned()
    } else {
        let from_db = server_settings::get(conn, "jwt_secret")?;
        if from_db.is_none() && known.is_some() {
            anyhow::bail!(
                "the signing key file {} is missing, but this database was used with one: copy {} from \
                 the data directory of the node that created it (docs/operations.md)",
                path.display(),
                SIGNING_KEY_FILE
            );
        }
        let key = from_db.unwrap_or_else(|| {
            format!(
                "{}{}{}",
                users::random_password(),
                users::random_password(),
                users::random_password()
            )
        });
        write_private_file(&path, &key)
            .with_context(|| format!("cannot write the signing key {}", path.display()))?;
        key
    };
    if key.len() < 20 {
        anyhow::bail!("the signing key in {} is too short", path.display());
    }
    let mine = fingerprint(&key);
    match known {
        Some(k) if k != mine => anyhow::bail!(
            "the signing key {} is not the one this database was used with: copy {} from another node",
            path.display(),
            SIGNING_KEY_FILE
        ),
        Some(_) => {}
        None => server_settings::set(conn, FINGERPRINT, &mine)?,
    }
    // The key now lives only in the file; backups of the database no longer carry it.
    server_settings::delete(conn, "jwt_secret")?;
    Ok(key)
}

/// Creates `path` with `contents`, readable and writable by the owner only.
fn write_private_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let (state, generated) = prepare_state(&settings)?;
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        // Issue 13 part "webhooks": the URL rule needs the real port.
        state.webhooks.start(
            Arc::clone(&state.db),
            crate::webhooks::SenderConfig {
                rule: kumiki_engine::webhooks::UrlRule::new(
                    &settings.host,
                    port,
                    settings.public_url.as_deref(),
                ),
                base_url: settings.public_base_url(port),
                retry_base_secs: settings.webhook_retry_base_secs,
            },
        )?;
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                // Innermost of the three: it runs inside the request's span (its log lines carry
                // the request id) and sees every route, the fallback included.
                .wrap(actix_web::middleware::from_fn(crate::edge::edge))
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(
                    crate::request_id::request_span,
                ))
                // Issue 19: outermost, so every answer is counted, refusals included.
                .wrap(actix_web::middleware::from_fn(crate::metrics::track))
                .configure(crate::routes::configure)
                // Issue 15: the residents' form pages are on the main listener too.
                .configure(crate::public_forms::configure)
                .configure(crate::pages::configure)
                .default_service(web::to(crate::pages::fallback))
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let public = match &settings.public_listen {
            Some(address) => Some(public_listener(&state, address, settings.workers)?),
            None => None,
        };
        Ok(Application {
            port,
            public,
            server: server.run(),
            generated_admin_password: generated,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the public listener, when `--public-listen` started one.
    pub fn public_port(&self) -> Option<u16> {
        self.public.as_ref().map(|(port, _)| *port)
    }

    /// A handle that stops the server (tests, graceful shutdown).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Runs until the main server stops; the public listener stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some((_, public)) = self.public else {
            return self.server.await;
        };
        let public_handle = public.handle();
        let public_task = actix_web::rt::spawn(public);
        let result = self.server.await;
        public_handle.stop(true).await;
        let _ = public_task.await;
        result
    }
}

/// Issue 15: the public listener of `--public-listen`: the residents' form pages and their assets,
/// nothing else (every other path is the forms' not-found page), and no IP allowlist, so that a
/// body can expose only this port to the internet while the main one stays in its closed network.
fn public_listener(
    state: &AppState,
    address: &str,
    workers: usize,
) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(address)
        .with_context(|| format!("--public-listen: cannot listen on {address}"))?;
    let port = listener.local_addr()?.port();
    let data = web::Data::new(state.clone());
    let marker = web::Data::new(crate::edge::PublicListener);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(marker.clone())
            .wrap(actix_web::middleware::from_fn(crate::edge::edge))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(
                crate::request_id::request_span,
            ))
            // Issue 19: the forms' requests count in the main listener's `/metrics`, which this
            // listener never serves.
            .wrap(actix_web::middleware::from_fn(crate::metrics::track))
            .configure(crate::public_forms::configure)
            .default_service(web::to(crate::public_forms::public_fallback))
    })
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    tracing::info!(port, "public forms are served on the public listener");
    Ok((port, server.run()))
}
