//! The `kumiki` command: `serve`, `migrate`, `user add`, `user set-password`, `app import`,
//! `app export`, `token add`, `index rebuild`, `index status`, `index build-dictionary`, `jobs list`.

mod cli_app;
mod cli_backup;
mod cli_bundle;
mod cli_config;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use kumiki_engine::acl::TokenRights;
use kumiki_engine::apps::AppId;
use kumiki_engine::audit::{action, AuditEvent};
use kumiki_engine::db::Database;
use kumiki_engine::records::FileStore;
use kumiki_engine::users::{User, ADMINISTRATOR};
use kumiki_platform::config_file::{FilesStore, LogFormat};
use kumiki_platform::{Application, Settings};

#[derive(Parser)]
#[command(
    name = "kumiki",
    version,
    about = "Kumiki (組木): kintone-compatible record apps, self-hosted"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// Configuration file (kumiki.toml; docs/kumiki.example.toml). Default: /etc/kumiki/kumiki.toml
    /// when it exists. Flags and KUMIKI_* variables override its keys.
    #[arg(long, global = true, env = "KUMIKI_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the embedded SQLite database and attachments live here.
    #[arg(
        long,
        global = true,
        env = "KUMIKI_DATA_DIR",
        default_value = "./kumiki-data"
    )]
    data_dir: PathBuf,
    /// Attachments directory; default <data-dir>/files. Several nodes on one PostgreSQL point this at
    /// one shared directory while each keeps its own --data-dir (its search index).
    #[arg(long, global = true, env = "KUMIKI_FILES_DIR")]
    files_dir: Option<PathBuf>,
    /// Where new attachments are stored: `directory` (under --files-dir) or `database` (in the
    /// database itself, which every node reaches). Files keep being read from where they were
    /// written, so switching keeps earlier attachments readable.
    #[arg(
        long,
        global = true,
        env = "KUMIKI_FILES_STORE",
        value_enum,
        default_value_t = FilesStore::Directory
    )]
    files_store: FilesStore,
    /// Database URL: postgres://user@host/db for PostgreSQL; default is SQLite in the data directory.
    #[arg(long, global = true, env = "KUMIKI_DATABASE_URL")]
    database_url: Option<String>,
    /// Dictionary for whole-word search ranking: `auto` (compile <data-dir>/dictionary/ipadic from
    /// Debian's mecab-ipadic when missing), `off`, or a compiled dictionary directory.
    #[arg(
        long,
        global = true,
        env = "KUMIKI_SEARCH_DICTIONARY",
        default_value = "auto"
    )]
    search_dictionary: String,
    /// Scan every upload with ClamAV through clamd's Unix socket (e.g. /run/clamav/clamd.ctl);
    /// infected files are refused, and so is every upload while clamd cannot be reached.
    #[arg(long, global = true, env = "KUMIKI_CLAMD_SOCKET")]
    clamd_socket: Option<PathBuf>,
    /// Log lines on standard error as text, or as one JSON object a line (with the request's id and
    /// app id). The level filter is RUST_LOG.
    #[arg(
        long,
        global = true,
        env = "KUMIKI_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
}

/// Issue 13 (mail): notification mail through SMTP (docs/notifications-mail.md).
#[derive(Args)]
struct MailArgs {
    /// SMTP server for notification mail: smtps://host:465, smtp://host:587?tls=required
    /// (STARTTLS), smtp://host:25 (a relay on the local network); user:password may be in the URL.
    /// Without it, mail is off.
    #[arg(long, env = "KUMIKI_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of notification mail, e.g. "Kumiki <kumiki@example.jp>".
    #[arg(long, env = "KUMIKI_SMTP_FROM")]
    smtp_from: Option<String>,
    /// SMTP password (when not in the URL; the user is the URL's, else the sender address).
    #[arg(long, env = "KUMIKI_SMTP_PASSWORD", hide_env_values = true)]
    smtp_password: Option<String>,
    /// Seconds one SMTP conversation may take.
    #[arg(long, env = "KUMIKI_SMTP_TIMEOUT", default_value_t = 10)]
    smtp_timeout: u64,
    /// The server's external base URL (https://kumiki.example.jp), for links in mails.
    #[arg(long, env = "KUMIKI_PUBLIC_URL")]
    public_url: Option<String>,
}

/// `kumiki serve`'s flags (each also a key of kumiki.toml).
#[derive(Args)]
struct ServeArgs {
    #[arg(long, env = "KUMIKI_HOST", default_value = "127.0.0.1")]
    host: String,
    #[arg(long, env = "KUMIKI_PORT", default_value_t = 8080)]
    port: u16,
    /// Do not load the example apps into an empty database.
    #[arg(long, env = "KUMIKI_NO_EXAMPLES", value_parser = clap::builder::BoolishValueParser::new())]
    no_examples: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "KUMIKI_WORKERS", default_value_t = 0)]
    workers: usize,
    /// Session cookies without the Secure flag (plain-HTTP intranets on a host other than localhost).
    #[arg(long, env = "KUMIKI_INSECURE_COOKIES", value_parser = clap::builder::BoolishValueParser::new())]
    insecure_cookies: bool,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose forwarding header names
    /// the client; the client's address is the right-most one that is not a trusted proxy.
    #[arg(long, env = "KUMIKI_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// The header the trusted proxies write: x-forwarded-for or forwarded (RFC 7239).
    #[arg(long, env = "KUMIKI_PROXY_HEADER", default_value = "x-forwarded-for")]
    proxy_header: String,
    /// Ignore the IP allowlist (to get back in after locking yourself out; see `allowlist clear`).
    #[arg(long, env = "KUMIKI_ALLOWLIST_OFF", value_parser = clap::builder::BoolishValueParser::new())]
    allowlist_off: bool,
    // Issue 13 (mail).
    #[command(flatten)]
    mail: MailArgs,
    /// Issue 15: also serve the public forms (and nothing else) on this host:port, e.g.
    /// 0.0.0.0:8443, so that only it faces the internet; the main listener keeps its allowlist.
    #[arg(long, env = "KUMIKI_PUBLIC_LISTEN")]
    public_listen: Option<String>,
    /// Require `Authorization: Bearer <token>` on GET /metrics (the IP allowlist applies anyway).
    #[arg(long, env = "KUMIKI_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations are applied at start).
    Serve(ServeArgs),
    /// The server-wide IP allowlist (set by administrators in the browser, /admin/allowlist).
    Allowlist {
        #[command(subcommand)]
        command: AllowlistCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import or export apps.
    App {
        #[command(subcommand)]
        command: cli_app::AppCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The full-text search index.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Background jobs (scheduled scripts).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The consumers of the change log (each node's search index, ...); see docs/operations.md.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Back up the database, the attachments and the signing key into a new directory, while the
    /// server runs (docs/operations.md "Backup and restore").
    Backup {
        /// A new or empty directory.
        dir: PathBuf,
    },
    /// Restore a backup made by `kumiki backup` into this data directory and database. Stop the
    /// server (every node) first; the search index rebuilds itself at the next start.
    Restore {
        dir: PathBuf,
        /// Replace a database that already holds data (everything in it is lost).
        #[arg(long)]
        replace: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain over the audit log (JSON report; exit status 1 when a row was changed,
    /// inserted or removed). Note the `head` hash elsewhere to notice later rewrites of the tail.
    Verify,
}

#[derive(Subcommand)]
enum AllowlistCommand {
    /// Print the allowlist (JSON).
    Show,
    /// Switch the allowlist off (its entries are kept), e.g. after an administrator locked themselves
    /// out; running servers apply it within seconds.
    Clear,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List jobs, newest first, with their state, attempts and last error (JSON).
    List {
        /// Only jobs in this state: queued, running, done or failed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List the consumers with their position and lag (JSON).
    List,
    /// Forget a consumer that is gone for good (the search index of a removed node), so the log is
    /// pruned past it. An index that comes back after being forgotten rebuilds itself if needed.
    Forget { name: String },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Rebuild the search index from the database. Run it with the server stopped (it refuses while
    /// a server holds the index).
    Rebuild,
    /// Show the index position, lag, size and files whose text could not be read (JSON).
    Status,
    /// Compile the IPADIC dictionary for whole-word ranking (the server also does this once at
    /// start when the seed is installed and the dictionary is missing).
    BuildDictionary {
        /// The MeCab IPADIC seed (Debian package mecab-ipadic).
        #[arg(long, default_value = kumiki_search::morph::DEBIAN_SEED)]
        seed: PathBuf,
        /// Output directory (default: <data-dir>/dictionary/ipadic).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password comes from --password or KUMIKI_USER_PASSWORD, or is generated.
    Add {
        login: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, env = "KUMIKI_USER_PASSWORD")]
        password: Option<String>,
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's password (e.g. a lost Administrator password). The new password is read from
    /// KUMIKI_NEW_PASSWORD or, when that is unset, from the first line of standard input — never
    /// from the command line, where other users of the machine could see it.
    SetPassword { login: String },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for an app; prints the token.
    Add {
        #[arg(long)]
        app: i64,
        /// Comma-separated rights: view,add,edit,delete,manage
        #[arg(long, default_value = "view")]
        rights: String,
    },
}

/// A refusal of the engine as the operator should read it: the field messages of a validation
/// error (e.g. a tampered package, a missing body name) instead of the generic summary.
fn explain(e: kumiki_engine::EngineError) -> anyhow::Error {
    match e {
        kumiki_engine::EngineError::User(kumiki_engine::UserError::Validation(errors)) => {
            let lines: Vec<String> = errors
                .iter()
                .flat_map(|(k, ms)| ms.iter().map(move |m| format!("{k}: {}", m.text())))
                .collect();
            anyhow::anyhow!(lines.join("\n"))
        }
        other => other.into(),
    }
}

fn settings_of(common: &Common) -> Settings {
    Settings {
        data_dir: common.data_dir.clone(),
        files_dir: common.files_dir.clone(),
        files_store: common.files_store.into(),
        database_url: common.database_url.clone(),
        admin_password: std::env::var("KUMIKI_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty()),
        search_dictionary: kumiki_search::morph::DictionarySetting::parse(
            &common.search_dictionary,
        ),
        clamd_socket: common.clamd_socket.clone(),
        ..Settings::default()
    }
}

/// The dictionary the server would use, without compiling one (offline index commands).
fn dictionary_of(common: &Common) -> anyhow::Result<Option<kumiki_search::morph::Morph>> {
    let settings = settings_of(common);
    kumiki_search::morph::resolve(&settings.search_dictionary, &settings.data_dir, false)
        .context("cannot load the search dictionary")
}

fn open(common: &Common) -> anyhow::Result<(Database, FileStore)> {
    let settings = settings_of(common);
    settings.validate().map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&settings.data_dir)?;
    let db = Database::connect(&settings.database_url(), 4)?;
    db.migrate()?;
    // Tokens from before hashing are hashed by whichever starts first, the server or a command.
    kumiki_engine::tokens::hash_plain_tokens(&mut db.conn()?)?;
    let files = settings.file_store()?;
    Ok((db, files))
}

/// The new password for `user set-password`: `KUMIKI_NEW_PASSWORD`, else the first line of standard
/// input (typed without echo when it is a terminal).
fn new_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if let Some(p) = std::env::var("KUMIKI_NEW_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
    {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    // Best effort: without `stty` the password is read with echo, as from a pipe.
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    let hidden = terminal && {
        eprint!("New password: ");
        std::io::stderr().flush()?;
        stty("-echo")
    };
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if hidden {
        stty("echo");
        eprintln!();
    }
    read.context("cannot read the new password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given: set KUMIKI_NEW_PASSWORD or pass it on standard input"
    );
    Ok(password)
}

/// Log lines on standard error in `format`, filtered by `RUST_LOG`.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,actix_server=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // The message at the top level and the request span's fields (`id`, `app_id`) under
        // `span`; the list of outer spans would only repeat it.
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn main() -> anyhow::Result<()> {
    // The text extractor's child process (kumiki_search::extract::child): before anything else, so
    // that nothing but its answer reaches standard output. Hidden from --help on purpose.
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(
            kumiki_search::extract::child::SUBCOMMAND,
        ))
    {
        std::process::exit(kumiki_search::extract::child_main());
    }
    // Flags, environment and kumiki.toml before anything is logged: the file may choose the log
    // format. A refused file exits with status 2, like a refused flag.
    let cli = match cli_config::parse() {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    init_logs(cli.common.log_format);
    match cli.command {
        Command::Serve(ServeArgs {
            host,
            port,
            no_examples,
            workers,
            insecure_cookies,
            trusted_proxies,
            proxy_header,
            allowlist_off,
            mail,
            public_listen,
            metrics_token,
        }) => {
            let settings = Settings {
                host,
                port,
                load_examples: !no_examples,
                insecure_cookies,
                workers,
                trusted_proxies: kumiki_platform::client_address::TrustedProxies::parse(
                    &trusted_proxies,
                )
                .map_err(anyhow::Error::msg)?,
                proxy_header: kumiki_platform::client_address::ProxyHeader::parse(&proxy_header)
                    .context("--proxy-header must be x-forwarded-for or forwarded")?,
                allowlist_off,
                public_url: mail.public_url.filter(|u| !u.is_empty()),
                smtp_url: mail.smtp_url,
                smtp_from: mail.smtp_from,
                smtp_password: mail.smtp_password,
                smtp_timeout: std::time::Duration::from_secs(mail.smtp_timeout),
                public_listen: public_listen.filter(|a| !a.is_empty()),
                metrics_token: metrics_token.filter(|t| !t.is_empty()),
                ..settings_of(&cli.common)
            };
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(settings).await?;
                if let Some(password) = &app.generated_admin_password {
                    println!("Created the administrator account.\n  login:    {ADMINISTRATOR}\n  password: {password}\n(shown once; set KUMIKI_ADMIN_PASSWORD to choose it yourself)");
                }
                println!("Kumiki is listening on http://localhost:{}/", app.port());
                if let Some(port) = app.public_port() {
                    println!("Public forms are served on port {port}");
                }
                app.run_until_stopped().await.context("server stopped with an error")
            })
        }
        Command::Index {
            command: IndexCommand::Rebuild,
        } => {
            let (db, _) = open(&cli.common)?;
            let settings = settings_of(&cli.common);
            let started = std::time::Instant::now();
            let seq = kumiki_search::service::rebuild(
                std::sync::Arc::new(db),
                &settings.data_dir,
                &settings.files_dir(),
                settings.extractor()?,
                dictionary_of(&cli.common)?,
            )
            .context("index rebuild failed")?;
            println!(
                "search index rebuilt up to change {seq} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Index {
            command: IndexCommand::Status,
        } => {
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            let status = kumiki_search::service::offline_status(
                &settings_of(&cli.common).data_dir,
                &mut conn,
                dictionary_of(&cli.common)?,
            )?;
            println!("{}", serde_json::to_string_pretty(&status)?);
            Ok(())
        }
        Command::Index {
            command: IndexCommand::BuildDictionary { seed, out },
        } => {
            let out = out.unwrap_or_else(|| {
                kumiki_search::morph::default_dir(&settings_of(&cli.common).data_dir)
            });
            let started = std::time::Instant::now();
            kumiki_search::morph::build_dictionary(&seed, &out)?;
            println!(
                "dictionary built in {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Jobs {
            command: JobsCommand::List { state, limit },
        } => {
            let state = match state.as_deref() {
                None => None,
                Some(s) => Some(kumiki_engine::jobs::JobState::parse(s).with_context(|| {
                    format!("unknown state {s:?}: use queued, running, done or failed")
                })?),
            };
            let (db, _) = open(&cli.common)?;
            let jobs = kumiki_engine::jobs::list(&mut db.conn()?, state, limit.clamp(1, 10_000))?;
            println!("{}", serde_json::to_string_pretty(&jobs)?);
            Ok(())
        }
        Command::Backup { dir } => {
            let settings = settings_of(&cli.common);
            settings.validate().map_err(anyhow::Error::msg)?;
            let manifest = cli_backup::backup(&settings, &dir).context("backup failed")?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
        Command::Restore { dir, replace } => {
            let settings = settings_of(&cli.common);
            settings.validate().map_err(anyhow::Error::msg)?;
            let manifest =
                cli_backup::restore(&settings, &dir, replace).context("restore failed")?;
            println!(
                "restored {} records and {} attachments from the backup of {} (schema {}); the \
                 search index rebuilds at the next start",
                manifest.records,
                manifest.files + manifest.files_in_database,
                manifest.created_at,
                manifest.schema_version
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (db, _) = open(&cli.common)?;
            let report = kumiki_engine::audit::verify_chain(&mut db.conn()?)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            anyhow::ensure!(
                report.ok(),
                "the audit log was changed: the hash of row {} does not match",
                report.broken_at.unwrap_or_default()
            );
            Ok(())
        }
        Command::Outbox { command } => {
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            match command {
                OutboxCommand::List => {
                    let consumers = kumiki_engine::records::changes::consumers(&mut conn)?;
                    println!("{}", serde_json::to_string_pretty(&consumers)?);
                }
                OutboxCommand::Forget { name } => {
                    let forgotten = kumiki_engine::records::changes::forget(&mut conn, &name)?;
                    anyhow::ensure!(forgotten, "no change-log consumer named {name}");
                    println!("forgot the change-log consumer {name}");
                }
            }
            Ok(())
        }
        Command::Allowlist { command } => {
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            let list = kumiki_engine::allowlist::load(&mut conn)?;
            match command {
                AllowlistCommand::Show => println!("{}", serde_json::to_string_pretty(&list)?),
                AllowlistCommand::Clear => {
                    let off = conn.write_transaction(|c| {
                        kumiki_engine::allowlist::clear(c, ADMINISTRATOR, "cli")
                    })?;
                    println!(
                        "the IP allowlist is off (its {} entries are kept)",
                        off.entries.len()
                    );
                }
            }
            Ok(())
        }
        Command::Migrate => {
            let (db, _) = open(&cli.common)?;
            drop(db);
            println!("migrations applied");
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    name,
                    password,
                    admin,
                },
        } => {
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (kumiki_engine::users::random_password(), true),
            };
            User::create(
                &mut conn,
                &login,
                name.as_deref().unwrap_or(&login),
                &password,
                admin,
            )?;
            if generated {
                println!("created user {login} with password {password}");
            } else {
                println!("created user {login}");
            }
            Ok(())
        }
        Command::User {
            command: UserCommand::SetPassword { login },
        } => {
            let password = new_password()?;
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            anyhow::ensure!(
                User::find_by_code(&mut conn, &login)?.is_some(),
                "no user with the login {login}"
            );
            anyhow::ensure!(
                password.chars().count() >= 8,
                "the password must be at least 8 characters"
            );
            conn.write_transaction(|c| {
                User::set_password(c, &login, &password)?;
                let target = format!("user:{login}");
                let detail = serde_json::json!({"via": "cli"});
                let event = AuditEvent::success(
                    ADMINISTRATOR,
                    "cli",
                    action::USER_PASSWORD,
                    &target,
                    detail,
                );
                kumiki_engine::audit::record(c, event)
            })?;
            println!("password of {login} changed");
            Ok(())
        }
        Command::App { command } => cli_app::run(&cli.common, command),
        Command::Token {
            command: TokenCommand::Add { app, rights },
        } => {
            let (db, _) = open(&cli.common)?;
            let mut conn = db.conn()?;
            let mut r = TokenRights::default();
            for right in rights.split(',').map(str::trim) {
                match right {
                    "view" => r.view = true,
                    "add" => r.add = true,
                    "edit" => r.edit = true,
                    "delete" => r.delete = true,
                    "manage" => r.manage = true,
                    other => {
                        anyhow::bail!("unknown right {other}; use view,add,edit,delete,manage")
                    }
                }
            }
            let token = conn.write_transaction(|c| {
                let token = kumiki_engine::tokens::create_token(c, AppId(app), r)?;
                let detail = serde_json::json!({"kind": "app", "id": kumiki_engine::tokens::app_token_id(&token), "via": "cli"});
                let target = format!("app:{app}");
                let event = AuditEvent::success(ADMINISTRATOR, "cli", action::TOKEN_CREATE, &target, detail);
                kumiki_engine::audit::record(c, event).map(|()| token)
            })?;
            println!("{token}");
            Ok(())
        }
    }
}
