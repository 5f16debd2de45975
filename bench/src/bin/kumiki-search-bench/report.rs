//! Measuring helpers: percentiles, process memory from `/proc/self/status`, sizes.

use std::time::Duration;

/// Latency percentiles of one case, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    pub runs: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(samples: &mut [Duration]) -> Latency {
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |p: f64| {
            let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len().max(1)) - 1;
            samples.get(i).copied().map_or(0.0, ms)
        };
        Latency {
            runs: samples.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: samples.last().copied().map_or(0.0, ms),
        }
    }
}

/// A `/proc/self/status` memory figure (`VmRSS`, `VmHWM`) in KiB; 0 when unreadable.
pub use kumiki_bench::inproc::proc_status_kb as rss_kib;

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Bytes of the files under `path` (recursively).
pub fn dir_size(path: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// CPU time (user + system) of the whole process so far, in seconds: `/proc/self/stat` fields 14
/// and 15, in clock ticks of 1/100 s (`CLK_TCK` is 100 on Linux).
pub fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // The command name (field 2) may hold spaces; count from the closing parenthesis.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}
