//! `kumiki app …`: import a package or bundle (upgrading an installed package when it is a newer
//! version), import kintone app files, export, and this installation's signing key.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::apps::AppId;
use kumiki_engine::audit::action;
use kumiki_engine::package_signing;
use kumiki_engine::packages::{export_bundle, has_roles, FileSource, ImportOptions, BUNDLE_FORMAT};

use crate::{cli_bundle, explain, open, Common};

#[derive(Subcommand)]
pub enum AppCommand {
    /// Import an app package (kumiki-app/1) or a bundle of apps (kumiki-apps/1); prints the new
    /// app ids, one a line (`key id` for a bundle).
    Import {
        file: PathBuf,
        /// Import the definition only, without records.
        #[arg(long)]
        no_records: bool,
        /// A bundle's role → local department/group/user code (`--map 担当課=soumu`); a role left
        /// out takes the local entity with the same code, if there is one.
        #[arg(long = "map", value_name = "ROLE=CODE")]
        map: Vec<String>,
        /// Import an older version of an installed package over the newer one.
        #[arg(long)]
        allow_downgrade: bool,
    },
    /// Import kintone app definitions from a folder of the REST API's JSON answers: one
    /// sub-folder per app named by its kintone app id (`12/form/fields.json`, `12/views.json`,
    /// …; docs/packages.md "kintone からの移行"); prints `appId newId` per app.
    ImportKintone {
        folder: PathBuf,
        /// A role (a kintone user, group or organization code) → local code; a role left out
        /// takes the local entity with the same code, if there is one.
        #[arg(long = "map", value_name = "ROLE=CODE")]
        map: Vec<String>,
    },
    /// Export an app as a package (`kumiki app export 3`), or several linked apps as one bundle
    /// (`kumiki app export --app 1 --app 2`), to stdout or --output.
    Export {
        app: Option<i64>,
        /// An app of a bundle (repeat for each app).
        #[arg(long = "app", id = "apps")]
        apps: Vec<i64>,
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long)]
        no_records: bool,
        /// Sign the package with this installation's key (docs/packages.md).
        #[arg(long)]
        sign: bool,
        /// A bundle's package id, so that importing a later version upgrades the installed apps
        /// (default with --package-version: derived from the app codes).
        #[arg(long)]
        package_id: Option<String>,
        /// A bundle's version (default with --package-id: the export time).
        #[arg(long)]
        package_version: Option<String>,
    },
    /// Show this installation's package signing key (to hand to other bodies); --name sets the
    /// body's name written into signatures, --rotate replaces the key.
    Key {
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        rotate: bool,
    },
}

/// Runs one `kumiki app` command.
pub fn run(common: &Common, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Import {
            file,
            no_records,
            map,
            allow_downgrade,
        } => {
            let (db, files) = open(common)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let package: serde_json::Value =
                serde_json::from_str(&text).context("the package is not valid JSON")?;
            let mut source = DirFiles(file.parent().map(PathBuf::from).unwrap_or_default());
            // The command line is the server's operator: it acts as the system, for no user.
            let acting = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
            // A single app naming roles is imported as a bundle is, with its roles mapped.
            let bundle_format =
                package.get("format").and_then(serde_json::Value::as_str) == Some(BUNDLE_FORMAT);
            if bundle_format || has_roles(&package) {
                let options = ImportOptions {
                    with_records: !no_records,
                    allow_downgrade,
                };
                let cli_bundle::Imported {
                    created,
                    status,
                    upgraded,
                } = cli_bundle::import(&db, &files, &package, &map, &acting, options)?;
                eprintln!("{}", signature_line(&status));
                // Standard output stays `key id` lines; the upgrade summary goes beside the status.
                if let Some(u) = upgraded {
                    eprintln!("{}", cli_bundle::upgrade_line(&u));
                }
                for (key, id) in created {
                    println!("{key} {}", id.0);
                }
                return Ok(());
            }
            let mut conn = db.conn()?;
            let (id, status) = conn
                .write_transaction(|c| {
                    package_signing::flows::import(
                        c,
                        &files,
                        &package,
                        &mut source,
                        &acting,
                        !no_records,
                    )
                })
                .map_err(explain)?;
            // The status goes to standard error so that standard output stays the app id.
            eprintln!("{}", signature_line(&status));
            println!("{}", id.0);
            Ok(())
        }
        AppCommand::ImportKintone { folder, map } => {
            let (db, files) = open(common)?;
            let acting = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo);
            cli_bundle::import_kintone(&db, &files, &folder, &map, &acting)
        }
        AppCommand::Export {
            app,
            apps,
            output,
            no_records,
            sign,
            package_id,
            package_version,
        } => {
            let (db, files) = open(common)?;
            if !apps.is_empty() {
                let ids: Vec<AppId> = app.into_iter().chain(apps).map(AppId).collect();
                let mut conn = db.conn()?;
                let acting = ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo)
                    .with_peer("cli", "cli");
                let bundle = conn.write_transaction(|c| {
                    let mut bundle = export_bundle(c, &files, &acting, &ids, !no_records)?;
                    kumiki_engine::packages::upgrade::set_identity(
                        &mut bundle,
                        package_id.as_deref(),
                        package_version.as_deref(),
                        acting.now(),
                    )?;
                    if sign {
                        package_signing::keys::sign_package(c, &acting, &mut bundle)?;
                    }
                    let list: Vec<String> = ids.iter().map(|a| a.0.to_string()).collect();
                    let detail = serde_json::json!({"withRecords": !no_records, "apps": list, "signed": sign});
                    let target = format!("apps:{}", list.join(","));
                    acting
                        .audit(c, action::APP_EXPORT, &target, detail)
                        .map(|()| bundle)
                })?;
                let text = serde_json::to_string_pretty(&bundle)?;
                match output {
                    Some(path) => std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?,
                    None => println!("{text}"),
                }
                return Ok(());
            }
            let app = app.context("name the app to export (or --app for each app of a bundle)")?;
            let mut conn = db.conn()?;
            let acting =
                ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo).with_peer("cli", "cli");
            let package = conn
                .write_transaction(|c| {
                    package_signing::flows::export(
                        c,
                        &files,
                        &acting,
                        AppId(app),
                        !no_records,
                        sign,
                    )
                })
                .map_err(explain)?;
            let text = serde_json::to_string_pretty(&package)?;
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => println!("{text}"),
            }
            Ok(())
        }
        AppCommand::Key { name, rotate } => {
            let (db, _) = open(common)?;
            let mut conn = db.conn()?;
            let acting =
                ActingContext::system(Channel::Cli, chrono_tz::Asia::Tokyo).with_peer("cli", "cli");
            let own = conn.write_transaction(|c| {
                if rotate {
                    package_signing::keys::rotate(c, &acting)?;
                }
                match &name {
                    Some(n) => package_signing::keys::set_signer_name(c, &acting, n),
                    None => package_signing::keys::own_key(c),
                }
            })?;
            println!("name: {}", own.name);
            println!("fingerprint: {}", own.fingerprint);
            println!("public key: {}", own.public_key);
            Ok(())
        }
    }
}

/// The signature status of an imported package as the CLI prints it (the page's words).
fn signature_line(status: &package_signing::trust::SignatureStatus) -> String {
    use package_signing::trust::SignatureStatus as S;
    match status {
        S::Unsigned => "署名なし (unsigned)".to_owned(),
        S::Trusted { name, .. } => format!("署名済み（信頼済み: {name}） (signed, trusted)"),
        S::Unknown {
            signer,
            fingerprint,
            ..
        } => format!("署名済み（未登録の鍵: {signer}・{fingerprint}） (signed by an unknown key)"),
        S::Invalid { .. } => "改ざんまたは署名不正 (tampered or invalid signature)".to_owned(),
    }
}

/// The files of a package read from its folder (`kumiki app import dir/app.json`).
struct DirFiles(PathBuf);

impl FileSource for DirFiles {
    fn read(&mut self, path: &str) -> Option<Vec<u8>> {
        let candidate = self.0.join(path);
        // Only files inside the package's folder.
        let base = self.0.canonicalize().ok()?;
        let resolved = candidate.canonicalize().ok()?;
        resolved
            .starts_with(&base)
            .then(|| std::fs::read(resolved).ok())
            .flatten()
    }
}
