//! The example apps of `apps-examples/`, embedded in the binary and loaded into an empty database so a
//! new installation has something real to look at.

use include_dir::{include_dir, Dir};
use kumiki_engine::acting::{ActingContext, Channel};
use kumiki_engine::db::DbConn;
use kumiki_engine::packages::{import_package, FileSource};
use kumiki_engine::records::FileStore;
use kumiki_engine::EngineResult;

static EXAMPLES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../apps-examples");

/// Example folders in load order (the survey app gets app id 1; the document intake register, whose
/// scripts copy approved documents into the archive, comes after the archive; the case-management app
/// of scenario 4, issue 16, last so the earlier ids stay as they were).
pub const EXAMPLE_APPS: [&str; 5] = [
    "survey-requests",
    "staff-roster",
    "document-archive",
    "document-intake",
    "case-requests",
];

/// The embedded `apps-examples/` folder (the gallery's templates live in it too).
pub fn examples_dir() -> &'static Dir<'static> {
    &EXAMPLES
}

/// Reads files an example package names by path from the embedded folder.
pub struct EmbeddedFiles<'a> {
    dir: &'a Dir<'a>,
}

/// The file source of one example, if it exists.
pub fn embedded_files(name: &str) -> Option<EmbeddedFiles<'static>> {
    EXAMPLES.get_dir(name).map(|dir| EmbeddedFiles { dir })
}

impl FileSource for EmbeddedFiles<'_> {
    fn read(&mut self, path: &str) -> Option<Vec<u8>> {
        let full = self.dir.path().join(path);
        self.dir.get_file(&full).map(|f| f.contents().to_vec())
    }
}

/// The package JSON of one example.
pub fn example_package(name: &str) -> Option<serde_json::Value> {
    let dir = EXAMPLES.get_dir(name)?;
    let file = dir.get_file(dir.path().join("app.json"))?;
    serde_json::from_slice(file.contents()).ok()
}

/// Loads every example with its records when the database has no apps yet, then the example survey
/// (`examples_survey`). Returns how many apps loaded.
pub fn load_examples_if_empty(
    conn: &mut DbConn,
    files: &FileStore,
    timezone: chrono_tz::Tz,
) -> EngineResult<usize> {
    if !kumiki_engine::apps::AppRow::list(conn)?.is_empty() {
        return Ok(0);
    }
    // The server's own start-up work: the examples belong to Administrator, as in kintone.
    let acting = ActingContext::system(Channel::System, timezone);
    let mut loaded = 0;
    for name in EXAMPLE_APPS {
        let Some(dir) = EXAMPLES.get_dir(name) else {
            continue;
        };
        let Some(package) = example_package(name) else {
            tracing::warn!(example = name, "example app has no readable app.json");
            continue;
        };
        let mut source = EmbeddedFiles { dir };
        conn.write_transaction(|conn| {
            import_package(conn, files, &package, &mut source, &acting, true)
        })?;
        loaded += 1;
    }
    // The example survey (issue 14) after the apps, in one transaction: all of it or none.
    conn.write_transaction(|conn| crate::examples_survey::load(conn, files, timezone))?;
    Ok(loaded)
}
