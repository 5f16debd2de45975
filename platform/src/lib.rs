//! Kumiki's platform: the HTTP server speaking kintone's REST API, authentication, and the `kumiki`
//! command. Domain logic lives in `kumiki-engine`; this crate turns HTTP into engine calls and engine
//! results and errors into kintone's wire format.

pub mod auth;
pub mod body_budget;
pub mod client_address;
// Issue 19: kumiki.toml.
pub mod config_file;

pub mod dev_assets;
pub mod edge;
pub mod error;
pub mod examples;
pub mod examples_survey;
// Issue 17 part 5: the template gallery.
pub mod gallery;
// Issue 19: the readiness check for load balancers (`/healthz`).
pub mod health;
pub mod i18n;
// Issue 16: record imports run as durable jobs.
pub mod imports_runner;
pub mod jobs_runner;
// Issue 13, notify: the bell's producers (change-log consumer, reminder jobs).
pub mod notify_runner;
pub mod report_schedule;
// Issue 13 (mail): notification mail through SMTP.
pub mod mail;
// Issue 19: `/metrics` in Prometheus' text format, and the request counters behind it.
pub mod metrics;
pub mod pages;
pub mod params;
// Issue 18: planner statistics of the record tables on PostgreSQL.
pub mod pg_statistics;
// Issue 15: public forms, the residents' side.
pub mod public_forms;
pub mod request_id;
pub mod routes;
pub mod script_schedule;
pub mod settings;
pub mod startup;
pub mod state;
pub mod templates;
// Issue 13 part "webhooks".
pub mod webhooks;

pub use settings::Settings;
pub use startup::Application;

/// jemalloc as the allocator of the server (and of every binary linking this crate, the tests'
/// included): it counts the bytes each thread allocates and frees, which bounds the memory of a
/// script run (`kumiki_scripting::memory`, issue 12 finding 13), and gives freed memory back to the
/// system (`startup` turns on its background purging).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
