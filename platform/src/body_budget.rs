//! The memory that request bodies of the kintone API may take at once, across all requests.
//!
//! A body is read only after its caller authenticated (`routes::handle`), and only up to the body
//! limit; but four callers sending 60 MB each, and the JSON trees parsed from them (a small value
//! costs far more parsed than as text), would still take gigabytes. Every body therefore reserves
//! its bytes from this one budget while it is read, and then what parsing it will cost
//! ([`parse_cost`]), and gives them back when the call ends. A call that finds the budget spent
//! answers 429 (`GAIA_TO04`, as kintone does for too many concurrent calls) without reading further;
//! one whose cost exceeds the whole budget could never run and answers 413.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The shared budget (one per server).
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    used: AtomicUsize,
}

/// Bytes reserved by one request; returned when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

/// Why a reservation failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Other requests hold the budget now; retry later.
    Busy,
    /// More than the whole budget: it can never fit.
    TooLarge,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Arc<BodyBudget> {
        Arc::new(BodyBudget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// Bytes reserved now (tests, diagnostics).
    pub fn in_use(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// An empty reservation to grow.
    pub fn start(self: &Arc<Self>) -> Reservation {
        Reservation {
            budget: Arc::clone(self),
            bytes: 0,
        }
    }
}

impl Reservation {
    /// Reserves `more` bytes, all or nothing.
    pub fn grow(&mut self, more: usize) -> Result<(), Refusal> {
        let budget = &self.budget;
        if self.bytes.saturating_add(more) > budget.limit {
            return Err(Refusal::TooLarge);
        }
        let mut used = budget.used.load(Ordering::Relaxed);
        loop {
            let next = used.saturating_add(more);
            if next > budget.limit {
                return Err(Refusal::Busy);
            }
            match budget
                .used
                .compare_exchange_weak(used, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.bytes += more;
                    return Ok(());
                }
                Err(now) => used = now,
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// What parsing `body` as JSON will cost beyond its text: each value or member becomes a node of
/// about a hundred bytes (`serde_json::Value` with ordered maps), and strings are copied. The scan
/// is linear and allocates nothing.
pub fn parse_cost(body: &[u8]) -> usize {
    const PER_NODE: usize = 128;
    let mut nodes = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b',' | b'[' | b'{' | b':' => nodes += 1,
            _ => {}
        }
    }
    body.len().saturating_add(nodes.saturating_mul(PER_NODE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_share_one_budget() {
        let budget = BodyBudget::new(100);
        let mut a = budget.start();
        assert_eq!(a.grow(60), Ok(()));
        let mut b = budget.start();
        assert_eq!(b.grow(60), Err(Refusal::Busy));
        assert_eq!(b.grow(101), Err(Refusal::TooLarge));
        drop(a);
        assert_eq!(b.grow(60), Ok(()));
        assert_eq!(budget.in_use(), 60);
        drop(b);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn small_values_cost_more_parsed_than_as_text() {
        let tiny = b"[1,1,1,1]";
        assert!(parse_cost(tiny) > 4 * 128);
        // Commas inside strings are text, not nodes.
        assert!(parse_cost(br#"{"a":"x,,,,,,,,,,"}"#) < 4 * 128);
    }
}
