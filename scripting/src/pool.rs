//! A fixed number of dedicated worker threads for scripts, separate from actix's workers and from
//! the database threads, so a runaway script can hold at most one worker until its deadline while
//! requests keep being answered. Jobs are handed over through a rendezvous channel: a job is taken
//! only by an idle worker, and a caller that finds none within `wait` gets its job back (the save
//! fails with "busy") instead of queueing behind runaway scripts.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type Job = Box<dyn FnOnce() + Send + 'static>;

pub struct Pool {
    sender: SyncSender<Job>,
    wait: Duration,
    /// Worker threads that started.
    workers: usize,
    /// Workers running a job now (the server's metrics, `kumiki_script_pool_busy`).
    busy: Arc<AtomicUsize>,
}

/// Worker stacks: rhai recurses while evaluating, and call depth is limited, not frame size.
const STACK_BYTES: usize = 16 * 1024 * 1024;

impl Pool {
    /// Starts `workers` threads (at least one). They end when the pool is dropped.
    pub fn new(workers: usize, wait: Duration) -> Pool {
        let (sender, receiver) = sync_channel::<Job>(0);
        let receiver = Arc::new(Mutex::new(receiver));
        let busy = Arc::new(AtomicUsize::new(0));
        let mut started = 0;
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            let busy = Arc::clone(&busy);
            let spawned = std::thread::Builder::new()
                .name(format!("kumiki-script-{i}"))
                .stack_size(STACK_BYTES)
                .spawn(move || work(&receiver, &busy));
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!("cannot start a script worker: {e}"),
            }
        }
        Pool {
            sender,
            wait,
            workers: started,
            busy,
        }
    }

    /// The worker threads of the pool, and how many of them run a job now.
    pub fn usage(&self) -> (usize, usize) {
        (self.workers, self.busy.load(Ordering::Relaxed))
    }

    /// Hands `job` to an idle worker, waiting up to the pool's `wait`; gives it back when none
    /// became free.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let until = Instant::now() + self.wait;
        let mut job = job;
        loop {
            match self.sender.try_send(job) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(j)) => return Err(j),
                Err(TrySendError::Full(j)) => {
                    if Instant::now() >= until {
                        return Err(j);
                    }
                    job = j;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, busy: &AtomicUsize) {
    loop {
        let job = {
            let Ok(guard) = receiver.lock() else {
                return;
            };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        busy.fetch_add(1, Ordering::Relaxed);
        // A job reports its own panics; this keeps the worker alive whatever happens.
        let _ = catch_unwind(AssertUnwindSafe(job));
        busy.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn a_busy_pool_gives_the_job_back() {
        let pool = Pool::new(1, Duration::from_millis(50));
        let (release_tx, release_rx) = channel::<()>();
        let (started_tx, started_rx) = channel::<()>();
        let blocker: Job = Box::new(move || {
            let _ = started_tx.send(());
            let _ = release_rx.recv();
        });
        // The idle worker may be slow to reach `recv` on a loaded machine: retry (the job comes back).
        submit_within(&pool, blocker, Duration::from_secs(10));
        let _ = started_rx.recv();
        let started = Instant::now();
        assert!(pool.submit(Box::new(|| {})).is_err());
        assert!(started.elapsed() >= Duration::from_millis(50));
        let _ = release_tx.send(());
        submit_within(&pool, Box::new(|| {}), Duration::from_secs(10));
    }

    /// Submits `job`, trying again with the job given back until `limit` has passed.
    fn submit_within(pool: &Pool, job: Job, limit: Duration) {
        let until = Instant::now() + limit;
        let mut job = job;
        while let Err(back) = pool.submit(job) {
            assert!(
                Instant::now() < until,
                "no worker took the job within {limit:?}"
            );
            job = back;
        }
    }
}
