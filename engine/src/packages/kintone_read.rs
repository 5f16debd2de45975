//! Reading a folder of kintone app files, or a .zip of one (docs/packages.md "kintone からの移行"):
//! one sub-folder per app, named by its kintone app id, holding the JSON answers of the API named
//! as their paths under `/k/v1/app/` (`12/form/fields.json`, `12/views.json`, `12/acl.json`,
//! `12/record/acl.json`, `12/app.json`, …). In a zip the folders may sit inside one top folder.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use serde_json::Value;

use super::bad_keyed;
use super::kintone_files::{normalize_path, AppFiles};
use crate::error::{EngineResult, Message};

/// Bounds for an uploaded zip (a folder of definitions is small; these stop a zip bomb).
const MAX_ENTRIES: usize = 5_000;
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

fn not_json(app: &str, path: &str, e: &serde_json::Error) -> crate::error::EngineError {
    bad_keyed(
        Message::keyed(
            "kintone.err.not_json",
            format!("App {app}: {path} is not JSON ({e})."),
        )
        .arg("app", app.to_owned())
        .arg("file", path.to_owned()),
    )
}

fn unreadable(what: String) -> crate::error::EngineError {
    bad_keyed(
        Message::keyed("kintone.err.unreadable", format!("{what} cannot be read."))
            .arg("what", what),
    )
}

/// Adds one file (`app` folder, `path` inside it) to `out`, parsed.
fn add(
    out: &mut BTreeMap<String, AppFiles>,
    app: &str,
    path: &str,
    bytes: &[u8],
) -> EngineResult<()> {
    let path = normalize_path(path);
    // A UTF-8 byte order mark is what some editors write; JSON itself has none.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| not_json(app, &path, &e))?;
    out.entry(app.to_owned()).or_default().insert(path, doc);
    Ok(())
}

/// Whether a folder name is a kintone app id.
fn is_app_id(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_digit())
}

/// Reads `dir`: each sub-folder named by an app id, every `.json` file below it.
pub fn read_folder(dir: &Path) -> EngineResult<BTreeMap<String, AppFiles>> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|_| unreadable(dir.display().to_string()))?;
    for entry in entries {
        let entry = entry.map_err(|_| unreadable(dir.display().to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_dir() || !is_app_id(&name) {
            continue;
        }
        let mut stack = vec![(entry.path(), String::new())];
        while let Some((folder, prefix)) = stack.pop() {
            let list =
                std::fs::read_dir(&folder).map_err(|_| unreadable(folder.display().to_string()))?;
            for item in list {
                let item = item.map_err(|_| unreadable(folder.display().to_string()))?;
                let file = item.file_name().to_string_lossy().into_owned();
                let rel = format!("{prefix}{file}");
                let path = item.path();
                if path.is_dir() {
                    stack.push((path, format!("{rel}/")));
                } else if file.ends_with(".json") {
                    let bytes =
                        std::fs::read(&path).map_err(|_| unreadable(path.display().to_string()))?;
                    add(&mut out, &name, &rel, &bytes)?;
                }
            }
        }
        out.entry(name).or_default();
    }
    Ok(out)
}

/// Whether `bytes` look like a zip file (its local header signature).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads a zip of such a folder: the first path segment that is an app id names the app.
pub fn read_zip(bytes: &[u8]) -> EngineResult<BTreeMap<String, AppFiles>> {
    let bad_zip = || unreadable("The zip file".to_owned());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad_zip())?;
    if archive.len() > MAX_ENTRIES {
        return Err(bad_zip());
    }
    let mut out = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| bad_zip())?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|_| bad_zip())?.replace('\\', "/");
        let segments: Vec<&str> = name.split('/').collect();
        let Some(at) = segments.iter().position(|s| is_app_id(s)) else {
            continue;
        };
        let rest = segments[at + 1..].join("/");
        // Only JSON files, and none of the metadata some archivers add (__MACOSX/, ._x.json).
        if !rest.ends_with(".json") || name.contains("__MACOSX") || rest.contains("/._") {
            continue;
        }
        let app = segments[at].to_owned();
        let room = MAX_UNPACKED_BYTES - total;
        let mut data = Vec::new();
        entry
            .take(room + 1)
            .read_to_end(&mut data)
            .map_err(|_| bad_zip())?;
        total += data.len() as u64;
        if total > MAX_UNPACKED_BYTES {
            return Err(bad_zip());
        }
        add(&mut out, &app, &rest, &data)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    #[test]
    fn a_zip_with_a_top_folder_is_read_by_app_id() {
        let mut buf = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut buf));
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("export/12/form/fields.json", options)
                .unwrap();
            zip.write_all(b"{\"properties\": {}}").unwrap();
            zip.start_file("export/12/app/views.json", options).unwrap();
            zip.write_all(b"{\"views\": {}}").unwrap();
            zip.start_file("export/readme.txt", options).unwrap();
            zip.write_all(b"x").unwrap();
            zip.finish().unwrap();
        }
        assert!(is_zip(&buf));
        let apps = read_zip(&buf).unwrap();
        let files: Vec<&String> = apps["12"].keys().collect();
        assert_eq!(files, ["form/fields.json", "views.json"]);
    }
}
