//! Integration tests: one binary, a module per feature. Every test starts its own server and database
//! (see `kumiki_tests::TestApp`); the suite runs once on SQLite and once on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acting_matrix;
mod app_general;
mod apps;
mod auth;
// Issue 19: backup → wipe → restore.
mod backup;
mod bad_input;
mod builder_fixes;
// Issue 19: wake-ups across nodes (LISTEN/NOTIFY).
mod bulk;
mod change_listener;
// Issue 18: what a large bulkRequest writes, on both databases.
mod bulk_rows;
mod comments_cursors;
// Issue 19: kumiki.toml and JSON logs on the real binary; /metrics and /healthz.
mod config_file;
mod designer;
mod examples;
mod files;
// Issue 19: attachments in the database (`--files-store database`), on the real binary.
mod files_in_database;
mod jobs;
mod like_index;
mod like_width;
mod metrics;
// Issue 13 (mail).
mod mail;
mod mail_kill;
mod messages;
mod migrations;
mod organisation;
mod outbox;
// Issue 17: packages of several linked apps.
mod kintone_files;
mod package_signing;
mod package_upgrade;
mod package_upgrade_linked;
mod package_upgrade_page;
mod package_upgrade_review;
mod packages_bundle;
mod pages;
mod permissions;
mod process;
mod process_settings;
mod queries;
mod record_tools;
mod records;
mod review;
mod review_policy;
mod script_examples;
mod scripts;
mod search;
mod search_admin;
mod search_pages;
mod search_paths;
mod search_ranking;
mod security_auth;
mod security_durability;
mod security_edge;
mod security_files;
mod security_fuzz;
mod security_mfa;
mod security_rights;
mod security_rss;
mod security_scripts;
mod security_xss;
// Issue 13, spaces part.
mod spaces;
// Issue 13, threads part.
mod threads;
mod ui_api;
mod views_settings;
// Issue 13, guests.
mod guest_isolation;
mod guests;
// Issue 16: record imports (and a SIGKILL during one, on the real binary).
mod imports;
mod imports_kill;
// Issue 13: a rule's mail and a webhook from one record.
mod deliveries_e2e;
// Issue 13: the real binary for the SIGKILL tests of mail and webhooks.
mod real_server;
// Issue 13, notify.
// Issue 19: three nodes on one PostgreSQL.
mod nodes;
mod notify;
mod notify_rules;
// Issue 13 part "webhooks".
mod webhooks;
mod webhooks_durability;
// Issue 14: survey relay.
mod surveys;
mod surveys_kill;
mod surveys_relay;
// Issue 15, public forms: the staff side.
mod public_forms;
// Issue 15: public forms, the residents' side.
mod public_forms_kill;
mod public_forms_resident;
mod public_listener;
// Issue 16, charts: app/reports.json and report data.
mod report_rollups;
mod reports;
// Issue 16, export: records as CSV/XLSX.
mod exports;
// Issue 16, charts: the chart pages (SVG, table, CSV).
mod report_pages;
// Issue 16, periodic reports (定期レポート): snapshots and who sees them.
mod report_snapshots;
// Issue 16, dashboards.
mod dashboards;
// Issue 16, printing: print views of a record and a list, print templates.
mod package_import_page;
mod printing;
// Issue 17 part 5: the template gallery.
mod gallery;
