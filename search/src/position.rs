//! The indexer's position in the change log, with PostgreSQL's holes in mind: `seq` values are
//! taken before commit, so a row can become visible after higher ones (a hole that fills late), or
//! never (a rollback). The position `L` ("every row up to L is applied") stops below the first
//! hole; rows beyond it are applied anyway and remembered, so they are not applied twice while `L`
//! waits. A hole older than the timeout is taken for a rollback and passed; its range stays watched
//! for a while in case the transaction was only slow.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

pub struct LogPosition {
    position: i64,
    /// Rows above `position` already applied.
    applied_above: BTreeSet<i64>,
    /// First missing seq of a hole → when it was first seen.
    holes: HashMap<i64, Instant>,
    /// Holes passed as rollbacks: (lo, hi) → when.
    passed: BTreeMap<(i64, i64), Instant>,
    hole_timeout: Duration,
    watch_passed: Duration,
}

impl LogPosition {
    pub fn new(position: i64, hole_timeout: Duration, watch_passed: Duration) -> LogPosition {
        LogPosition {
            position,
            applied_above: BTreeSet::new(),
            holes: HashMap::new(),
            passed: BTreeMap::new(),
            hole_timeout,
            watch_passed,
        }
    }

    pub fn get(&self) -> i64 {
        self.position
    }

    /// Starts over at `position` (after a rebuild).
    pub fn reset(&mut self, position: i64) {
        self.position = position;
        self.applied_above.clear();
        self.holes.clear();
    }

    /// The newest applied row (at least the position).
    pub fn high(&self) -> i64 {
        self.applied_above
            .last()
            .copied()
            .unwrap_or(self.position)
            .max(self.position)
    }

    pub fn is_applied(&self, seq: i64) -> bool {
        seq <= self.position || self.applied_above.contains(&seq)
    }

    /// Passed holes still watched for a late commit.
    pub fn watched(&mut self, now: Instant) -> Vec<(i64, i64)> {
        let watch = self.watch_passed;
        self.passed
            .retain(|_, at| now.saturating_duration_since(*at) < watch);
        self.passed.keys().copied().collect()
    }

    /// A watched hole filled: stop watching it.
    pub fn unwatch(&mut self, range: (i64, i64)) {
        self.passed.remove(&range);
    }

    /// Records that these rows (every row present above the position, sorted by seq) are applied,
    /// and moves the position as far as no hole younger than the timeout stops it.
    pub fn advance(&mut self, present: &[i64], now: Instant) -> i64 {
        self.applied_above.extend(present.iter().copied());
        let mut position = self.position;
        for &seq in present {
            if seq <= position {
                continue;
            }
            if seq > position + 1 {
                let lo = position + 1;
                let first_seen = *self.holes.entry(lo).or_insert(now);
                if now.saturating_duration_since(first_seen) < self.hole_timeout {
                    break;
                }
                tracing::warn!(lo, hi = seq - 1, "change-log hole passed as a rollback");
                self.holes.remove(&lo);
                self.passed.insert((lo, seq - 1), now);
            }
            position = seq;
        }
        self.position = position;
        self.applied_above.retain(|s| *s > position);
        self.holes.retain(|s, _| *s > position);
        position
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> LogPosition {
        LogPosition::new(0, Duration::from_secs(10), Duration::from_secs(600))
    }

    #[test]
    fn rows_in_order_move_the_position() {
        let mut p = tracker();
        assert_eq!(p.advance(&[1, 2, 3], Instant::now()), 3);
        assert!(p.is_applied(2));
        assert_eq!(p.high(), 3);
    }

    #[test]
    fn a_hole_holds_the_position_until_it_fills() {
        let mut p = tracker();
        let t0 = Instant::now();
        assert_eq!(p.advance(&[2, 3], t0), 0);
        assert!(p.is_applied(3) && !p.is_applied(1));
        assert_eq!(p.high(), 3);
        // Seq 1 commits late: the window now holds 1, 2, 3.
        assert_eq!(p.advance(&[1, 2, 3], t0 + Duration::from_secs(1)), 3);
        assert!(p.watched(t0).is_empty());
    }

    #[test]
    fn an_old_hole_is_passed_and_watched() {
        let mut p = tracker();
        let t0 = Instant::now();
        assert_eq!(p.advance(&[3, 4], t0), 0);
        assert_eq!(p.advance(&[3, 4], t0 + Duration::from_secs(5)), 0);
        assert_eq!(p.advance(&[3, 4], t0 + Duration::from_secs(11)), 4);
        let later = t0 + Duration::from_secs(12);
        assert_eq!(p.watched(later), vec![(1, 2)]);
        p.unwatch((1, 2));
        assert!(p.watched(later).is_empty());
        // Watching ends after a while.
        let mut q = tracker();
        q.advance(&[2], t0);
        q.advance(&[2], t0 + Duration::from_secs(10));
        assert_eq!(q.watched(t0 + Duration::from_secs(11)), vec![(1, 1)]);
        assert!(q.watched(t0 + Duration::from_secs(700)).is_empty());
    }
}
