//! The peer data set of `kumiki-bench` (docs/benchmarks.md): the 19-field app and its deterministic
//! records, plus the small API client and memory reading the benchmarks share. Record *i* depends only
//! on *i*, so every benchmark that generates it (the load, the import CSV) produces the same rows.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use reqwest::blocking::Client;
use serde_json::{json, Map, Value};

/// splitmix64: small, deterministic, good enough for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub struct Api {
    pub client: Client,
    pub base: String,
    pub auth: String,
}

impl Api {
    pub fn new(url: &str, password: &str) -> Result<Api> {
        Ok(Api {
            client: Client::builder()
                .timeout(Duration::from_secs(600))
                .pool_max_idle_per_host(4)
                .build()?,
            base: url.trim_end_matches('/').to_owned(),
            auth: base64::engine::general_purpose::STANDARD
                .encode(format!("Administrator:{password}")),
        })
    }

    pub fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("X-Cybozu-Authorization", &self.auth);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(b)?);
        }
        let resp = req.send()?;
        let status = resp.status();
        let bytes = resp.bytes()?;
        if !status.is_success() {
            bail!(
                "{path}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
            );
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    /// GET with a JSON body (kintone accepts both; this avoids URL-encoding queries).
    pub fn get(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(reqwest::Method::GET, path, Some(body))
    }
}

fn options(keys: &[&str]) -> Value {
    let mut m = Map::new();
    for (i, k) in keys.iter().enumerate() {
        m.insert((*k).to_owned(), json!({"label": k, "index": i.to_string()}));
    }
    Value::Object(m)
}

/// The 19 user fields of the benchmark app.
pub fn field_properties() -> Value {
    let f = |t: &str, code: &str| json!({"type": t, "code": code, "label": code});
    let mut props = Map::new();
    for (t, code) in [
        ("SINGLE_LINE_TEXT", "Text_a"),
        ("SINGLE_LINE_TEXT", "Text_b"),
        ("SINGLE_LINE_TEXT", "Text_c"),
        ("NUMBER", "Number_a"),
        ("NUMBER", "Number_b"),
        ("NUMBER", "Number_c"),
        ("NUMBER", "Number_d"),
        ("DATE", "Date_a"),
        ("DATE", "Date_b"),
        ("DATETIME", "Datetime_a"),
        ("TIME", "Time_a"),
        ("USER_SELECT", "User_a"),
        ("MULTI_LINE_TEXT", "Memo"),
    ] {
        props.insert(code.to_owned(), f(t, code));
    }
    let mut link = f("LINK", "Link_a");
    link["protocol"] = json!("WEB");
    props.insert("Link_a".into(), link);
    for (t, code, keys) in [
        ("DROP_DOWN", "Dropdown", &["A", "B", "C", "D", "E"][..]),
        ("RADIO_BUTTON", "Radio", &["X", "Y"][..]),
        ("CHECK_BOX", "Checkbox", &["P", "Q", "R"][..]),
        (
            "MULTI_SELECT",
            "Multi_select",
            &["M1", "M2", "M3", "M4"][..],
        ),
    ] {
        let mut p = f(t, code);
        p["options"] = options(keys);
        if t == "RADIO_BUTTON" {
            p["defaultValue"] = json!("X");
        }
        props.insert(code.to_owned(), p);
    }
    Value::Object(props)
}

/// `YYYY-MM-DD` of `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
pub fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

const WORDS: [&str; 8] = [
    "組木",
    "alpha",
    "請求書",
    "beta",
    "案件",
    "gamma",
    "顧客",
    "delta",
];
pub const DAY_2020: i64 = 18_262;

/// The long-text word of the `like` queries (issue 18).
pub const LIKE_WORD: &str = "業務改善";

/// Whether record `i`'s Memo holds [`LIKE_WORD`]: about 3% of the records, from a generator of its
/// own so that every other value of the data set stays what it was before the word was added.
pub fn memo_has_like_word(i: usize) -> bool {
    Rng(0x4C1C_E000_0000_0000 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).below(100) < 3
}

/// Record number `i` (0-based) of the data set.
pub fn record(i: usize) -> Value {
    let mut r = Rng(0x5EED_0000_0000_0000 ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let v = |s: String| json!({ "value": s });
    let subset = |r: &mut Rng, keys: &[&str]| -> Value {
        let bits = r.next_u64();
        Value::Array(
            keys.iter()
                .enumerate()
                .filter(|(k, _)| bits >> k & 1 == 1)
                .map(|(_, s)| json!(s))
                .collect(),
        )
    };
    let date_a = DAY_2020 + r.below(2500) as i64;
    let date_b = DAY_2020 + r.below(2500) as i64;
    let mut m = Map::new();
    m.insert(
        "Text_a".into(),
        v(format!("{} {}", WORDS[r.below(8) as usize], r.below(1000))),
    );
    m.insert("Text_b".into(), v(format!("item-{i:08}")));
    m.insert(
        "Text_c".into(),
        v(format!("user{}@example.com", r.below(50_000))),
    );
    m.insert("Number_a".into(), v(r.below(10_000).to_string()));
    m.insert("Number_b".into(), v(r.below(1_000_000).to_string()));
    m.insert("Number_c".into(), v(r.below(100).to_string()));
    m.insert(
        "Number_d".into(),
        v(format!("{}.{:02}", r.below(100_000), r.below(100))),
    );
    m.insert("Date_a".into(), v(civil(date_a)));
    m.insert("Date_b".into(), v(civil(date_b)));
    m.insert(
        "Datetime_a".into(),
        v(format!(
            "{}T{:02}:{:02}:00Z",
            civil(DAY_2020 + r.below(2500) as i64),
            r.below(24),
            r.below(60)
        )),
    );
    m.insert(
        "Time_a".into(),
        v(format!("{:02}:{:02}", r.below(24), r.below(60))),
    );
    m.insert(
        "User_a".into(),
        json!({"value": [{"code": "Administrator"}]}),
    );
    m.insert(
        "Memo".into(),
        v(format!(
            "{}件目の記録です。\n担当: {}\nメモ {} {}",
            i,
            WORDS[r.below(8) as usize],
            r.below(1_000_000),
            "日本語のテキストを少し長めに入れておきます。"
        ) + if memo_has_like_word(i) {
            "\n業務改善の提案あり。"
        } else {
            ""
        }),
    );
    m.insert("Link_a".into(), v(format!("https://example.com/items/{i}")));
    m.insert(
        "Dropdown".into(),
        v(["A", "B", "C", "D", "E"][r.below(5) as usize].to_owned()),
    );
    m.insert(
        "Radio".into(),
        v(["X", "Y"][r.below(2) as usize].to_owned()),
    );
    m.insert(
        "Checkbox".into(),
        json!({ "value": subset(&mut r, &["P", "Q", "R"]) }),
    );
    m.insert(
        "Multi_select".into(),
        json!({ "value": subset(&mut r, &["M1", "M2", "M3", "M4"]) }),
    );
    Value::Object(m)
}

pub fn create_app(api: &Api) -> Result<i64> {
    let created = api.post("/k/v1/preview/app.json", &json!({"name": "kumiki-bench"}))?;
    let app: i64 = created["app"]
        .as_str()
        .context("app id")?
        .parse()
        .context("app id")?;
    api.post(
        "/k/v1/preview/app/form/fields.json",
        &json!({"app": app, "properties": field_properties()}),
    )?;
    api.post(
        "/k/v1/preview/app/deploy.json",
        &json!({"apps": [{"app": app}]}),
    )?;
    for _ in 0..100 {
        let s = api.get("/k/v1/preview/app/deploy.json", &json!({"apps": [app]}))?;
        if s["apps"][0]["status"] == "SUCCESS" {
            return Ok(app);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("deploy of app {app} did not finish")
}

/// Two figures of `/proc/<pid>/status` (e.g. `"VmRSS:"`, `"VmHWM:"`), in KiB.
fn status_pair(pid: Option<u32>, keys: [&str; 2]) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb = |key: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((kb(keys[0])?, kb(keys[1])?))
}

/// (VmRSS, VmHWM) in KiB.
pub fn rss(pid: Option<u32>) -> Option<(u64, u64)> {
    status_pair(pid, ["VmRSS:", "VmHWM:"])
}

/// The resident memory split into what the process allocated (`RssAnon`: heaps, SQLite's page
/// caches, the search writer's buffer) and file pages it maps (`RssFile`: the binary and the search
/// index's memory-mapped segments, which the kernel can drop and re-read), in KiB.
pub fn rss_parts(pid: Option<u32>) -> Option<(u64, u64)> {
    status_pair(pid, ["RssAnon:", "RssFile:"])
}
