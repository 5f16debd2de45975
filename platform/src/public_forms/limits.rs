//! Rate limits of the residents' pages, in memory on each node (issue 15 "abuse without third
//! parties"): posts per address per form and per form, each per minute (`FormSettings.limits`,
//! 0 = no limit), and the proof-of-work challenges already spent. A node restart forgets them,
//! which costs a flood at most one more minute; several nodes each allow the limit (documented in
//! docs/public-forms.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Windows kept at most; beyond it, windows of past minutes are dropped first.
const MAX_ENTRIES: usize = 100_000;

/// A window's key: the form, and the address (`None`: the whole form).
type WindowKey = (i64, Option<IpAddr>);
/// A window: its minute and the posts counted in it.
type Window = (i64, u32);

/// One node's counters.
#[derive(Default)]
pub struct RateLimits {
    /// `(form, address)` → (minute, posts in it); address `None` counts the whole form.
    windows: Mutex<HashMap<WindowKey, Window>>,
    /// Spent challenges → their expiry.
    spent: Mutex<HashMap<String, i64>>,
}

/// Which limit a post ran into.
#[derive(Debug, PartialEq, Eq)]
pub enum Limited {
    Address,
    Form,
}

impl RateLimits {
    /// Counts one post to `form` from `address` at `now` (epoch seconds); refuses it when the
    /// address or the form has used its posts of this minute. A refused post is not counted
    /// against the form, so one flooding address does not lock everyone else out.
    pub fn hit(
        &self,
        form: i64,
        address: Option<IpAddr>,
        per_address: u32,
        per_form: u32,
        now: i64,
    ) -> Result<(), Limited> {
        let minute = now.div_euclid(60);
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock (a panic elsewhere) must not stop residents from answering.
            return Ok(());
        };
        if windows.len() > MAX_ENTRIES {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let count = |w: Option<&Window>| match w {
            Some((m, n)) if *m == minute => *n,
            _ => 0,
        };
        if per_address > 0 {
            if let Some(a) = address {
                if count(windows.get(&(form, Some(a)))) >= per_address {
                    return Err(Limited::Address);
                }
            }
        }
        if per_form > 0 && count(windows.get(&(form, None))) >= per_form {
            return Err(Limited::Form);
        }
        let mut bump = |key: WindowKey| {
            let entry = windows.entry(key).or_insert((minute, 0));
            if entry.0 != minute {
                *entry = (minute, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        };
        if let Some(a) = address {
            bump((form, Some(a)));
        }
        bump((form, None));
        Ok(())
    }

    /// Marks `challenge` spent; false when it already was (a replayed proof of work).
    pub fn spend_challenge(&self, challenge: &str, expires: i64, now: i64) -> bool {
        let Ok(mut spent) = self.spent.lock() else {
            return true;
        };
        if spent.len() > MAX_ENTRIES {
            spent.retain(|_, e| *e >= now);
        }
        spent.insert(challenge.to_owned(), expires).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_per_form_per_minute() {
        let l = RateLimits::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let now = 6000;
        assert_eq!(l.hit(1, Some(a), 2, 3, now), Ok(()));
        assert_eq!(l.hit(1, Some(a), 2, 3, now), Ok(()));
        assert_eq!(l.hit(1, Some(a), 2, 3, now), Err(Limited::Address));
        // Another form is counted apart.
        assert_eq!(l.hit(2, Some(a), 2, 3, now), Ok(()));
        assert_eq!(l.hit(1, Some(b), 2, 3, now), Ok(()));
        assert_eq!(l.hit(1, Some(b), 2, 3, now), Err(Limited::Form));
        // The next minute starts afresh; 0 is no limit.
        assert_eq!(l.hit(1, Some(a), 2, 3, now + 60), Ok(()));
        for _ in 0..10 {
            assert_eq!(l.hit(3, Some(a), 0, 0, now), Ok(()));
        }
    }

    #[test]
    fn a_challenge_is_spent_once() {
        let l = RateLimits::default();
        assert!(l.spend_challenge("c", 10, 0));
        assert!(!l.spend_challenge("c", 10, 0));
    }
}
