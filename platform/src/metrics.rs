//! `GET /metrics`: this node in Prometheus' text exposition format (version 0.0.4), for a scraper
//! in the closed network. Served on the main listener only (never on `--public-listen`), behind
//! the IP allowlist, and with `--metrics-token` only to `Authorization: Bearer <token>`.
//!
//! Requests are counted by route group (a handful of path prefixes, [`Group`]) and status class,
//! with a latency histogram per group, in fixed arrays of atomics: the middleware [`track`] costs
//! a few relaxed increments and never allocates, and no label can grow with the paths clients
//! invent. The rest is read at scrape time: the search index's lag (`SearchService::status`, what
//! `/api/search/status.json` and `kumiki outbox list` report), the job queue (one `GROUP BY`),
//! the database and script pools. docs/operations.md "Health and metrics" explains each metric.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::state::{blocking, AppState};

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, in seconds (`+Inf` comes on top).
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How long the database part of a scrape may take; past it the scrape answers without it.
const DATABASE_DEADLINE: Duration = Duration::from_secs(5);

/// The route groups requests are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// kintone's REST API, `/k/v1/...`.
    Kintone,
    /// kintone's API through a guest space, `/k/guest/<space>/...`.
    Guest,
    /// Kumiki's own API, `/api/...`.
    Api,
    /// Attachments and file downloads: `file.json`, exports, CSV downloads.
    Files,
    /// The residents' public forms, `/f/...` and `/f-assets/...`.
    PublicForms,
    /// Embedded assets, `/static/...`.
    Static,
    /// Health checks and the metrics themselves.
    Other,
    /// Every other path: the browser pages (and their not-found page).
    Pages,
}

const GROUPS: [Group; 8] = [
    Group::Kintone,
    Group::Guest,
    Group::Api,
    Group::Files,
    Group::PublicForms,
    Group::Static,
    Group::Other,
    Group::Pages,
];

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Kintone => "kintone",
            Group::Guest => "guest",
            Group::Api => "api",
            Group::Files => "files",
            Group::PublicForms => "public_forms",
            Group::Static => "static",
            Group::Other => "other",
            Group::Pages => "pages",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The group of a request path, by prefix alone.
    pub fn of(path: &str) -> Group {
        let api_like = path.starts_with("/k/") || path.starts_with("/api/");
        if api_like
            && (path.ends_with("/file.json") || path.ends_with("/export") || path.ends_with(".csv"))
        {
            Group::Files
        } else if path.starts_with("/k/v1/") {
            Group::Kintone
        } else if path.starts_with("/k/guest/") {
            Group::Guest
        } else if path.starts_with("/api/") {
            Group::Api
        } else if path.starts_with("/f/") || path.starts_with("/f-assets/") {
            Group::PublicForms
        } else if path.starts_with("/static/") {
            Group::Static
        } else if matches!(path, "/healthz" | "/metrics" | "/favicon.ico")
            || path.starts_with("/k/")
        {
            Group::Other
        } else {
            Group::Pages
        }
    }
}

/// The status classes counted: 1xx to 5xx.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Request counters and latency histograms of this process, per group.
pub struct HttpMetrics {
    requests: [[AtomicU64; CLASSES.len()]; GROUPS.len()],
    /// Per group, the requests that fell in each bucket (not cumulative), `+Inf` last.
    buckets: [[AtomicU64; BUCKETS.len() + 1]; GROUPS.len()],
    /// Per group, the sum of the durations in microseconds.
    micros: [AtomicU64; GROUPS.len()],
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            requests: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            buckets: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            micros: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl HttpMetrics {
    /// Counts one answered request.
    pub fn observe(&self, group: Group, status: u16, took: Duration) {
        let g = group.index();
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[g][class].fetch_add(1, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(BUCKETS.len());
        self.buckets[g][bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.micros[g].fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut Exposition) {
        out.family(
            "kumiki_http_requests_total",
            "HTTP requests answered by this node, by route group and status class.",
            "counter",
        );
        for group in GROUPS {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.requests[group.index()][c].load(Ordering::Relaxed);
                out.sample(
                    "kumiki_http_requests_total",
                    &[("group", group.label()), ("status_class", class)],
                    n as f64,
                );
            }
        }
        out.family(
            "kumiki_http_request_duration_seconds",
            "Time until the response head was ready, by route group.",
            "histogram",
        );
        for group in GROUPS {
            let g = group.index();
            let mut cumulative = 0u64;
            for (b, le) in BUCKETS.iter().enumerate() {
                cumulative += self.buckets[g][b].load(Ordering::Relaxed);
                let le = le.to_string();
                out.sample(
                    "kumiki_http_request_duration_seconds_bucket",
                    &[("group", group.label()), ("le", &le)],
                    cumulative as f64,
                );
            }
            cumulative += self.buckets[g][BUCKETS.len()].load(Ordering::Relaxed);
            let labels = [("group", group.label())];
            out.sample(
                "kumiki_http_request_duration_seconds_bucket",
                &[("group", group.label()), ("le", "+Inf")],
                cumulative as f64,
            );
            let micros = self.micros[g].load(Ordering::Relaxed);
            out.sample(
                "kumiki_http_request_duration_seconds_sum",
                &labels,
                micros as f64 / 1e6,
            );
            out.sample(
                "kumiki_http_request_duration_seconds_count",
                &labels,
                cumulative as f64,
            );
        }
    }
}

/// The middleware counting every request (`App::wrap(from_fn(track))`, outermost, so refusals
/// by the edge count too).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| std::sync::Arc::clone(&s.metrics));
    let group = Group::of(req.path());
    let started = Instant::now();
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &result {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        metrics.observe(group, status.as_u16(), started.elapsed());
    }
    result.map(ServiceResponse::map_into_boxed_body)
}

/// What a scrape reads from the database.
struct Stored {
    index: kumiki_search::service::IndexStatus,
    jobs: Vec<(String, i64)>,
}

/// `GET /metrics`.
pub async fn endpoint(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(token) = &state.settings.metrics_token {
        if !bearer_matches(&req, token) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("a metrics token is required: Authorization: Bearer <token>\n");
        }
    }
    let st = state.clone();
    let read = blocking(move || {
        let mut conn = st.conn()?;
        let index = st.search.status(&mut conn)?;
        let jobs = kumiki_engine::jobs::count_by_state(&mut conn)?;
        Ok(Stored { index, jobs })
    });
    let stored = match actix_web::rt::time::timeout(DATABASE_DEADLINE, read).await {
        Ok(Ok(stored)) => Some(stored),
        Ok(Err(e)) => {
            tracing::warn!(error = %e.message, "metrics: cannot read the database");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: the database did not answer within 5 s");
            None
        }
    };
    let mut out = Exposition::default();
    out.family(
        "kumiki_build_info",
        "The running version of Kumiki.",
        "gauge",
    );
    out.sample(
        "kumiki_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
    state.metrics.render(&mut out);
    render_pools(&state, &mut out);
    out.gauge(
        "kumiki_database_up",
        "1 when this scrape could read the database (the metrics below need it), else 0.",
        if stored.is_some() { 1.0 } else { 0.0 },
    );
    if let Some(stored) = stored {
        render_stored(&stored, &mut out);
    }
    HttpResponse::Ok().content_type(CONTENT_TYPE).body(out.text)
}

fn render_pools(state: &AppState, out: &mut Exposition) {
    let pool = state.db.pool_state();
    out.gauge(
        "kumiki_db_pool_connections",
        "Database connections the pool holds open.",
        f64::from(pool.connections),
    );
    out.gauge(
        "kumiki_db_pool_idle",
        "Open database connections not in use.",
        f64::from(pool.idle),
    );
    out.gauge(
        "kumiki_db_pool_max",
        "The most database connections the pool opens.",
        f64::from(pool.max),
    );
    let (workers, busy) = state.scripts.pool_usage();
    out.gauge(
        "kumiki_script_pool_workers",
        "Threads that run app scripts.",
        workers as f64,
    );
    out.gauge(
        "kumiki_script_pool_busy",
        "Script threads running a script now.",
        busy as f64,
    );
}

fn render_stored(stored: &Stored, out: &mut Exposition) {
    let index = &stored.index;
    out.gauge(
        "kumiki_search_index_lag_rows",
        "Change-log rows this node's search index has not applied yet.",
        index.lag_rows as f64,
    );
    out.gauge(
        "kumiki_search_index_lag_seconds",
        "Age of the oldest change-log row this node's search index has not applied (0 when none).",
        index.lag_seconds as f64,
    );
    out.gauge(
        "kumiki_search_index_documents",
        "Documents in this node's search index.",
        index.documents as f64,
    );
    out.family(
        "kumiki_changelog_consumer_lag_rows",
        "Change-log rows each registered consumer has not handled (kumiki outbox list).",
        "gauge",
    );
    for c in &index.consumers {
        out.sample(
            "kumiki_changelog_consumer_lag_rows",
            &[("consumer", &c.name)],
            c.lag_rows as f64,
        );
    }
    out.family(
        "kumiki_changelog_consumer_lag_seconds",
        "Age of the oldest change-log row each consumer has not handled.",
        "gauge",
    );
    for c in &index.consumers {
        out.sample(
            "kumiki_changelog_consumer_lag_seconds",
            &[("consumer", &c.name)],
            c.lag_seconds as f64,
        );
    }
    out.family(
        "kumiki_jobs",
        "Durable jobs in the shared jobs table, by state (all nodes).",
        "gauge",
    );
    for state in ["queued", "running", "failed"] {
        let n = stored
            .jobs
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        out.sample("kumiki_jobs", &[("state", state)], n as f64);
    }
}

/// Whether the request carries `Authorization: Bearer <token>`. Compared through SHA-256 digests
/// folded without early exit, so the time taken tells nothing about the token.
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    let Some(given) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (Sha256::digest(given.trim()), Sha256::digest(token));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The text of a scrape: `# HELP` and `# TYPE` once per metric family, then its samples.
#[derive(Default)]
pub struct Exposition {
    pub text: String,
}

impl Exposition {
    pub fn family(&mut self, name: &str, help: &str, kind: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.text, "{k}=\"{v}\"");
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }

    /// A gauge family of one sample without labels.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help, "gauge");
        self.sample(name, &[], value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_in_their_groups() {
        let cases = [
            ("/k/v1/records.json", Group::Kintone),
            ("/k/guest/3/v1/record.json", Group::Guest),
            ("/k/v1/file.json", Group::Files),
            ("/k/guest/3/v1/file.json", Group::Files),
            ("/api/records/export", Group::Files),
            ("/api/audit.csv", Group::Files),
            ("/api/search/status.json", Group::Api),
            ("/f/survey-1", Group::PublicForms),
            ("/f-assets/form.js", Group::PublicForms),
            ("/static/app.css", Group::Static),
            ("/healthz", Group::Other),
            ("/metrics", Group::Other),
            ("/apps/3/records/1", Group::Pages),
            ("/", Group::Pages),
            ("/no/such/page", Group::Pages),
        ];
        for (path, group) in cases {
            assert_eq!(Group::of(path), group, "{path}");
        }
        for (i, g) in GROUPS.iter().enumerate() {
            assert_eq!(g.index(), i, "GROUPS is in declaration order");
        }
    }

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = HttpMetrics::default();
        m.observe(Group::Api, 200, Duration::from_millis(3));
        m.observe(Group::Api, 503, Duration::from_millis(300));
        m.observe(Group::Api, 200, Duration::from_secs(60));
        let mut out = Exposition::default();
        m.render(&mut out);
        let t = &out.text;
        assert!(t.contains("kumiki_http_requests_total{group=\"api\",status_class=\"2xx\"} 2\n"));
        assert!(t.contains("kumiki_http_requests_total{group=\"api\",status_class=\"5xx\"} 1\n"));
        assert!(t.contains("_bucket{group=\"api\",le=\"0.005\"} 1\n"));
        assert!(t.contains("_bucket{group=\"api\",le=\"0.5\"} 2\n"));
        assert!(t.contains("_bucket{group=\"api\",le=\"10\"} 2\n"));
        assert!(t.contains("_bucket{group=\"api\",le=\"+Inf\"} 3\n"));
        assert!(t.contains("kumiki_http_request_duration_seconds_count{group=\"api\"} 3\n"));
        let mut e = Exposition::default();
        e.sample("x", &[("consumer", "a\"b\\c\nd")], 1.0);
        assert_eq!(e.text, "x{consumer=\"a\\\"b\\\\c\\nd\"} 1\n");
    }
}
