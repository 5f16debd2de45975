//! Rebuild when embedded files change: `include_dir!` cannot tell cargo which files it read, so the
//! folders it embeds are declared here (cargo scans a directory for changes).
fn main() {
    for dir in ["templates", "static", "i18n", "../apps-examples"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
