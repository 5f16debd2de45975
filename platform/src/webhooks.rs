//! The webhook sender: one thread per node that (1) feeds the change-log consumer `webhooks`
//! (`kumiki_engine::webhooks::deliveries::consume`), which turns changes into delivery rows in the
//! transaction that advances its position, and (2) claims due deliveries under a lease and POSTs
//! them, a few at once.
//!
//! - **A hanging receiver holds nothing for long**: connecting may take 5 s and the whole request
//!   10 s; the lease (`LEASE_SECS`) is well above that, so a live node never loses a row it is sending.
//! - **No redirects**: a receiver that answers 3xx has not received the delivery (and following one
//!   could lead the server to an address the URL rule refused); it counts as a failed attempt.
//! - **Retries** back off exponentially (`deliveries::backoff`) up to `deliveries::MAX_ATTEMPTS`.
//! - **Crash-safe**: a row claimed by a node killed mid-send is due again when its lease ends and is
//!   sent again with the same delivery id and body.
//! - Headers: `X-Kumiki-Delivery` (the delivery id, the same on every attempt), `X-Kumiki-Timestamp`
//!   (unix seconds of this attempt) and `X-Kumiki-Signature` (`webhooks::sign`).

use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use kumiki_engine::db::Database;
use kumiki_engine::webhooks::deliveries::{self, Attempt, Claimed};
use kumiki_engine::webhooks::{sign, UrlRule};

/// How long a claim holds a delivery: above the 10 s request limit with a wide margin.
pub const LEASE_SECS: i64 = 30;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once (each on its own short-lived thread).
const PARALLEL: i64 = 8;
/// How often the thread looks at the log and the queue when nothing woke it.
const POLL: Duration = Duration::from_millis(300);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Finished deliveries stay in the log for 30 days.
const KEEP_SECS: i64 = 30 * 86_400;

/// What the sender thread needs, fixed at start (after the listener is bound: the rule needs the
/// real port).
pub struct SenderConfig {
    pub rule: UrlRule,
    /// The public URL for record links, without a trailing slash.
    pub base_url: String,
    pub retry_base_secs: i64,
}

/// The webhook service of this node: the URL rule the API checks against and the sender thread,
/// which stops when this is dropped.
#[derive(Default)]
pub struct Webhooks {
    config: Mutex<Option<Arc<SenderConfig>>>,
    stop: Arc<AtomicBool>,
    wake: Arc<(Mutex<bool>, Condvar)>,
}

impl Webhooks {
    /// Registers the consumer (at the current end of the log for a new one) and starts the thread.
    pub fn start(&self, db: Arc<Database>, config: SenderConfig) -> anyhow::Result<()> {
        let mut conn = db.conn()?;
        deliveries::register(&mut conn)?;
        drop(conn);
        let config = Arc::new(config);
        if let Ok(mut c) = self.config.lock() {
            *c = Some(Arc::clone(&config));
        }
        let (stop, wake) = (Arc::clone(&self.stop), Arc::clone(&self.wake));
        std::thread::Builder::new()
            .name("kumiki-webhooks".into())
            .spawn(move || run(&db, &config, &stop, &wake))?;
        Ok(())
    }

    /// The rule and base URL in effect (defaults before `start`).
    pub fn config(&self) -> Arc<SenderConfig> {
        self.config
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or_else(|| {
                Arc::new(SenderConfig {
                    rule: UrlRule::default(),
                    base_url: String::new(),
                    retry_base_secs: 10,
                })
            })
    }

    /// Makes the thread look now (after a commit that wrote changes or queued a test delivery).
    pub fn wake(&self) {
        let (lock, cv) = &*self.wake;
        if let Ok(mut woken) = lock.lock() {
            *woken = true;
            cv.notify_one();
        }
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake();
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Host, process and a random part, as the job runner names nodes.
fn owner() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "webhooks:{}:{}",
        std::process::id(),
        random.get(..8).unwrap_or("")
    )
}

fn run(db: &Database, config: &SenderConfig, stop: &AtomicBool, wake: &(Mutex<bool>, Condvar)) {
    let client = match reqwest::blocking::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Kumiki-Webhook/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the webhook sender");
            return;
        }
    };
    let owner = owner();
    let mut last_prune: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = step(db, config, &client, &owner, stop) {
            tracing::error!(error = %e, "webhook sender");
        }
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            if let Err(e) = db
                .conn()
                .and_then(|mut c| deliveries::prune(&mut c, unix_now() - KEEP_SECS))
            {
                tracing::error!(error = %e, "webhook log pruning");
            }
        }
        let (lock, cv) = wake;
        if let Ok(woken) = lock.lock() {
            if let Ok((mut woken, _)) = cv.wait_timeout_while(woken, POLL, |w| !*w) {
                *woken = false;
            }
        }
    }
}

/// Consumes the log, then sends due deliveries until none is due.
fn step(
    db: &Database,
    config: &SenderConfig,
    client: &reqwest::blocking::Client,
    owner: &str,
    stop: &AtomicBool,
) -> kumiki_engine::EngineResult<()> {
    let mut conn = db.conn()?;
    // A few rounds at most, so a burst of changes does not starve sending.
    for _ in 0..10 {
        match deliveries::consume(&mut conn, &config.base_url, unix_now())? {
            Some(0) => break,
            Some(_) => {}
            None => {
                // Forgotten by an administrator (`kumiki outbox forget`): start again from now.
                tracing::warn!("the webhooks consumer was forgotten; registering it again");
                deliveries::register(&mut conn)?;
                break;
            }
        }
    }
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let claimed = deliveries::claim(&mut conn, owner, unix_now(), LEASE_SECS, PARALLEL)?;
        if claimed.is_empty() {
            return Ok(());
        }
        let attempts: Vec<(Claimed, Attempt)> = std::thread::scope(|s| {
            let handles: Vec<_> = claimed
                .into_iter()
                .map(|c| {
                    s.spawn(move || {
                        let a = send(client, &config.rule, &c);
                        (c, a)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        for (c, a) in attempts {
            let state =
                deliveries::finish(&mut conn, &c, owner, &a, unix_now(), config.retry_base_secs)?;
            match state {
                Some(s) if s == deliveries::state::DELIVERED => {
                    tracing::debug!(delivery = %c.delivery_id, attempt = c.attempt, "webhook delivered");
                }
                Some(s) => {
                    tracing::warn!(delivery = %c.delivery_id, attempt = c.attempt, state = s, error = a.error.as_deref().unwrap_or(""), "webhook delivery failed");
                }
                None => {
                    tracing::warn!(delivery = %c.delivery_id, "webhook delivery taken over by another node");
                }
            }
        }
    }
}

/// One attempt: POST the stored body, signed.
fn send(client: &reqwest::blocking::Client, rule: &UrlRule, c: &Claimed) -> Attempt {
    let failed = |error: String| Attempt {
        ok: false,
        response_code: None,
        error: Some(error),
    };
    let url = match reqwest::Url::parse(&c.url) {
        Ok(u) => u,
        Err(e) => return failed(format!("bad URL: {e}")),
    };
    // The URL was checked when saved; a name may since resolve to this server itself.
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return failed("bad URL: no host".into());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if rule.is_self(host, port)
        || (host, port)
            .to_socket_addrs()
            .is_ok_and(|mut addrs| addrs.any(|a| rule.is_self_addr(a.ip(), port)))
    {
        return failed("refused: the URL points at this server itself".into());
    }
    let timestamp = unix_now();
    let signature = sign(&c.secret, timestamp, &c.payload);
    let response = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Kumiki-Delivery", &c.delivery_id)
        .header("X-Kumiki-Timestamp", timestamp.to_string())
        .header("X-Kumiki-Signature", signature)
        .body(c.payload.clone())
        .send();
    match response {
        Ok(r) => {
            let status = r.status();
            let code = Some(i64::from(status.as_u16()));
            if status.is_success() {
                Attempt {
                    ok: true,
                    response_code: code,
                    error: None,
                }
            } else {
                Attempt {
                    ok: false,
                    response_code: code,
                    error: Some(format!("HTTP {status}")),
                }
            }
        }
        Err(e) if e.is_timeout() => failed(format!("timed out: {e}")),
        Err(e) if e.is_connect() => failed(format!("cannot connect: {e}")),
        Err(e) => failed(e.to_string()),
    }
}
