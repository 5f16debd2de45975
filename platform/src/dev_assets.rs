//! Developer convenience: in debug builds, `KUMIKI_DEV_ASSETS=1` makes the server read its static
//! files, templates and message catalogs from the source tree (`platform/static`, `templates`,
//! `i18n`) instead of the copies embedded at compile time, so a page's script or template can be
//! changed and tried with a server restart instead of a rebuild. Release builds always serve the
//! embedded copies: this module compiles to "never" there.

use std::path::PathBuf;

/// The source folder `sub` of the platform crate when dev assets are on, else None.
pub fn source_dir(sub: &str) -> Option<PathBuf> {
    if !cfg!(debug_assertions) {
        return None;
    }
    match std::env::var("KUMIKI_DEV_ASSETS") {
        Ok(v) if v == "1" => Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(sub)),
        _ => None,
    }
}

/// Every file directly inside the source folder `sub` as (file name, bytes), when dev assets are on.
pub fn source_files(sub: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let dir = source_dir(sub)?;
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).ok()?.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let (Some(name), Ok(bytes)) = (
            path.file_name().and_then(|n| n.to_str()).map(str::to_owned),
            std::fs::read(&path),
        ) else {
            continue;
        };
        out.push((name, bytes));
    }
    Some(out)
}

/// One file of the source folder `sub` (a plain name, no folders), when dev assets are on.
pub fn source_file(sub: &str, name: &str) -> Option<Vec<u8>> {
    if name.contains('/') || name.contains('\\') || name.starts_with('.') {
        return None;
    }
    std::fs::read(source_dir(sub)?.join(name)).ok()
}
