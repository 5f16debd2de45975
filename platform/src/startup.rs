//! Building the application: open and migrate the database, create the administrator, load the
//! examples, bind the listener. `Application::build` binds before it returns, so tests can ask for
//! port 0 and read the real port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use kumiki_engine::db::Database;
use kumiki_engine::records::FileStore;
use kumiki_engine::{server_settings, users};

use crate::settings::Settings;
use crate::state::{AppState, PasswordCache};

pub struct Application {
    port: u16,
    server: Server,
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
    let secret = server_settings::get_or_create(&mut conn, "jwt_secret", users::random_password)?;
    let files = FileStore::new(settings.files_dir())?;
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
        morph,
    )
    .context("cannot open the search index")?;
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
    let state = AppState {
        script_schedule,
        scripts,
        db,
        files,
        settings: Arc::new(settings.clone()),
        jwt_secret: Arc::new(secret.into_bytes()),
        password_cache: Arc::new(PasswordCache::default()),
        templates: Arc::new(crate::templates::registry().map_err(anyhow::Error::msg)?),
        search: Arc::new(search),
    };
    Ok((state, generated))
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let (state, generated) = prepare_state(&settings)?;
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(
                    crate::request_id::request_span,
                ))
                .configure(crate::routes::configure)
                .configure(crate::pages::configure)
                .default_service(web::to(crate::pages::fallback))
        })
        .listen(listener)?;
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Application {
            port,
            server: server.run(),
            generated_admin_password: generated,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (tests, graceful shutdown).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
