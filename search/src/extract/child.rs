//! Extraction in a child process, so that a hostile file (a PDF or zip bomb, a million nested
//! graphics states) can cost at most the child's memory cap and time limit, never the server.
//!
//! The parent ([`extract_file`]) starts the extractor program (the `kumiki` binary itself with the
//! hidden `extract-text` subcommand), lowers the child's limits with `prlimit` before handing it any
//! work, writes one JSON [`ChildRequest`] (the file's path, name, content type and the limits) on its
//! standard input, and reads one JSON answer from its standard output, at most [`max_output_bytes`].
//! The child ([`child_main`]) sets the same limits on itself first thing, reads the file and runs the
//! extractors of this module on a thread with a large stack under `catch_unwind`.
//!
//! Enforced, not hoped for:
//! - memory: `RLIMIT_DATA` (heap and anonymous mappings) at `ExtractLimits::max_memory_bytes`, and
//!   `RLIMIT_AS` somewhat above it; an allocation past it fails and the child aborts;
//! - time: the parent kills the child (SIGKILL) at `ExtractLimits::timeout`, and `RLIMIT_CPU` is a
//!   second stop should the parent die; no core dumps (`RLIMIT_CORE` = 0);
//! - concurrency: at most [`MAX_CHILDREN`] children per server process; others wait their turn;
//! - output: an answer longer than the text cap allows is cut off and counts as a crash.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{detect, run_contained, ExtractError, ExtractLimits, Extracted, FileKind};

/// How the indexer extracts text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extractor {
    /// In a child process: `program` followed by `args` (e.g. `kumiki` and `["extract-text"]`).
    Process {
        program: PathBuf,
        args: Vec<OsString>,
    },
    /// On a thread of this process, with no memory cap and no way to stop a stuck extractor. Only
    /// for tests of this crate and benchmarks; a server never uses it.
    InProcess,
}

impl Extractor {
    /// The `kumiki` binary at `program`, run as `program extract-text`.
    pub fn kumiki(program: impl Into<PathBuf>) -> Extractor {
        Extractor::Process {
            program: program.into(),
            args: vec![OsString::from(SUBCOMMAND)],
        }
    }
}

/// The hidden subcommand of `kumiki` that runs [`child_main`].
pub const SUBCOMMAND: &str = "extract-text";

/// Children running at once per process; further extractions wait.
pub const MAX_CHILDREN: usize = 2;

/// What the parent sends the child on its standard input.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildRequest {
    pub path: PathBuf,
    pub name: String,
    pub content_type: String,
    pub limits: ExtractLimits,
}

/// What the child writes on its standard output.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum ChildAnswer {
    Text(Extracted),
    Failed(ExtractError),
}

/// The longest answer read from a child: every char of the capped text escaped (`\uXXXX`), plus room
/// for the envelope.
pub fn max_output_bytes(limits: &ExtractLimits) -> usize {
    limits
        .max_text_chars
        .saturating_mul(12)
        .saturating_add(64 * 1024)
}

/// Extracts the text of the file at `path` the way `extractor` says. `name` and `content_type` are
/// what the uploader said. Never panics; blocks for at most about `limits.timeout` plus the wait for
/// a free child slot. A file of a type without text answers [`ExtractError::Unsupported`] without
/// starting a child.
pub fn extract_file(
    extractor: &Extractor,
    path: &Path,
    name: &str,
    content_type: &str,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    let (program, args) = match extractor {
        Extractor::InProcess => {
            let bytes = std::fs::read(path).map_err(|e| unreadable(&e))?;
            return super::extract_text(name, content_type, bytes, limits);
        }
        Extractor::Process { program, args } => (program, args),
    };
    let mut head = Vec::with_capacity(1024);
    let size = {
        let mut file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
        let size = file.metadata().map_err(|e| unreadable(&e))?.len();
        Read::by_ref(&mut file)
            .take(1024)
            .read_to_end(&mut head)
            .map_err(|e| unreadable(&e))?;
        size
    };
    if detect(name, content_type, &head) == FileKind::Unsupported {
        return Err(ExtractError::Unsupported);
    }
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    let _slot = Slot::take();
    let request = ChildRequest {
        path: path.to_path_buf(),
        name: name.to_owned(),
        content_type: content_type.to_owned(),
        limits: limits.clone(),
    };
    run_child(program, args, &request)
}

fn unreadable(e: &std::io::Error) -> ExtractError {
    ExtractError::Unavailable(format!("the file cannot be read: {e}"))
}

/// One of the [`MAX_CHILDREN`] slots, held while a child runs.
struct Slot;

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl Slot {
    fn take() -> Slot {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= MAX_CHILDREN {
            running = FREED.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        *running = running.saturating_sub(1);
        FREED.notify_one();
    }
}

/// How often the parent looks whether the child ended.
const POLL: Duration = Duration::from_millis(10);
/// Most bytes of the child's standard error kept (to tell an exhausted memory cap from a crash).
const MAX_STDERR: u64 = 8 * 1024;

fn run_child(
    program: &Path,
    args: &[OsString],
    request: &ChildRequest,
) -> Result<Extracted, ExtractError> {
    let limits = &request.limits;
    let mut child = Command::new(program)
        .args(args)
        // Nothing of the server's environment (database URL, passwords) reaches the child.
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            ExtractError::Unavailable(format!(
                "cannot start the extractor {}: {e}",
                program.display()
            ))
        })?;
    // The child blocks on its standard input until the request below arrives, so these limits are
    // in force before it touches the file (it sets them again on itself, for other parents).
    if let Err(e) = limit_process(Some(rustix::process::Pid::from_child(&child)), limits) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ExtractError::Unavailable(format!(
            "cannot limit the extractor's memory: {e}"
        )));
    }
    let max_output = max_output_bytes(limits);
    let stdout = child.stdout.take().map(|out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = out.take(max_output as u64 + 1).read_to_end(&mut buf);
            (buf, read.is_ok())
        })
    });
    let stderr = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.take(MAX_STDERR).read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    });
    if let Some(mut stdin) = child.stdin.take() {
        let written = serde_json::to_vec(request)
            .map_err(std::io::Error::other)
            .and_then(|bytes| stdin.write_all(&bytes));
        if let Err(e) = written {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ExtractError::Unavailable(format!(
                "cannot talk to the extractor: {e}"
            )));
        }
        // Dropping stdin closes it: the child reads to the end.
    }
    let deadline = Instant::now() + limits.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                // Killed, not abandoned: the memory and the CPU it held are freed at once.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ExtractError::Crashed(format!(
                    "cannot wait for the extractor: {e}"
                )));
            }
        }
    };
    let (output, _) = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let errors = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let Some(status) = status else {
        return Err(ExtractError::TimedOut(limits.timeout));
    };
    answer_of(status, &output, &errors, limits)
}

fn answer_of(
    status: ExitStatus,
    output: &[u8],
    errors: &str,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    use std::os::unix::process::ExitStatusExt;
    // Rust's allocator reports a refused allocation like this before it aborts.
    if errors.contains("memory allocation of") || errors.contains("out of memory") {
        return Err(ExtractError::OutOfMemory {
            limit: limits.max_memory_bytes,
        });
    }
    if output.len() > max_output_bytes(limits) {
        return Err(ExtractError::Crashed(
            "the extractor wrote more than the text limit allows".to_owned(),
        ));
    }
    if status.success() {
        return match serde_json::from_slice::<ChildAnswer>(output) {
            Ok(ChildAnswer::Text(extracted)) => Ok(extracted),
            Ok(ChildAnswer::Failed(error)) => Err(error),
            Err(e) => Err(ExtractError::Crashed(format!(
                "the extractor's answer is unreadable: {e}"
            ))),
        };
    }
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        _ => "an unknown status".to_owned(),
    };
    let last_line = errors.lines().rev().find(|l| !l.trim().is_empty());
    Err(ExtractError::Crashed(match last_line {
        Some(line) => format!("{how}: {}", line.trim()),
        None => how,
    }))
}

/// Room above the data cap for the program's own mappings (code, libraries, thread stacks).
const ADDRESS_SPACE_SLACK: u64 = 512 * 1024 * 1024;

/// Sets the memory, CPU and core-dump limits of `pid` (None: this process).
fn limit_process(pid: Option<rustix::process::Pid>, limits: &ExtractLimits) -> std::io::Result<()> {
    use rustix::process::{prlimit, Resource, Rlimit};
    let fixed = |n: u64| Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    let cpu_seconds = limits.timeout.as_secs().saturating_add(2);
    for (resource, value) in [
        (Resource::Data, limits.max_memory_bytes),
        (
            Resource::As,
            limits.max_memory_bytes.saturating_add(ADDRESS_SPACE_SLACK),
        ),
        (Resource::Cpu, cpu_seconds),
        (Resource::Core, 0),
    ] {
        prlimit(pid, resource, fixed(value))?;
    }
    Ok(())
}

/// The child's side: reads one [`ChildRequest`] from standard input, limits itself, extracts, and
/// writes one answer on standard output. Returns the exit code (0 whenever an answer was written,
/// failures included).
pub fn child_main() -> i32 {
    let mut input = Vec::new();
    if std::io::stdin()
        .lock()
        .take(1024 * 1024)
        .read_to_end(&mut input)
        .is_err()
    {
        return 2;
    }
    let request: ChildRequest = match serde_json::from_slice(&input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("extract-text: unreadable request: {e}");
            return 2;
        }
    };
    drop(input);
    if let Err(e) = limit_process(None, &request.limits) {
        eprintln!("extract-text: cannot limit memory: {e}");
        return 3;
    }
    let answer = match std::fs::read(&request.path) {
        Ok(bytes) => {
            match run_contained(&request.name, &request.content_type, bytes, &request.limits) {
                Ok(extracted) => ChildAnswer::Text(extracted),
                Err(error) => ChildAnswer::Failed(error),
            }
        }
        Err(e) => ChildAnswer::Failed(unreadable(&e)),
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &answer)
        .map_err(std::io::Error::from)
        .and_then(|()| out.flush());
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("extract-text: cannot write the answer: {e}");
            4
        }
    }
}
