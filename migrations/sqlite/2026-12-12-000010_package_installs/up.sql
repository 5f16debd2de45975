-- Issue 17 part 3, upgrades (engine/src/packages/upgrade.rs): which app of which package (its
-- "package": {"id", "version"}) was installed here, with the definition as installed, so that a
-- newer version is imported as an upgrade of the same apps and local changes it would overwrite
-- can be told apart from the package's own. One row per app of a package.
CREATE TABLE package_installs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id TEXT NOT NULL,
    version TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    app_id BIGINT NOT NULL,
    definition TEXT NOT NULL,
    installed_at BIGINT NOT NULL,
    installed_by TEXT NOT NULL
);
CREATE UNIQUE INDEX package_installs_entry ON package_installs (package_id, entry_key);
