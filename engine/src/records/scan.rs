//! The optional virus scan of uploads through a local ClamAV daemon (`clamd`, Debian's
//! `clamav-daemon`), over its Unix socket with the `INSTREAM` command: the bytes are streamed in
//! length-prefixed chunks and clamd answers `stream: OK`, `stream: <signature> FOUND`, or an
//! error. Nothing leaves the machine; the signatures are whatever `freshclam` (or an offline
//! mirror on a closed network) keeps up to date.
//!
//! Fail closed: when a scanner is configured and the scan cannot be completed (clamd not running,
//! a timeout, a file over clamd's `StreamMaxLength`), the upload is refused, never accepted
//! unscanned.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the scanner said about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature clamd named (e.g. `Eicar-Test-Signature`).
    Infected(String),
    /// Why no verdict could be had (for the audit log and the server log, not for the uploader).
    Failed(String),
}

impl Verdict {
    /// The word stored with the file and in the audit row: `clean`, `infected` or `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Infected(_) => "infected",
            Verdict::Failed(_) => "failed",
        }
    }
}

/// A clamd reachable on a Unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clamd {
    socket: PathBuf,
    timeout: Duration,
}

/// Bytes per `INSTREAM` chunk.
const CHUNK: usize = 64 * 1024;
/// Longest answer read from clamd.
const MAX_REPLY: u64 = 4096;

impl Clamd {
    /// A scanner on `socket`; each read or write on the socket may take up to `timeout`.
    pub fn new(socket: impl Into<PathBuf>, timeout: Duration) -> Clamd {
        Clamd {
            socket: socket.into(),
            timeout,
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Scans the file at `path`. Never fails: a scan that cannot be done is [`Verdict::Failed`].
    pub fn scan_file(&self, path: &Path) -> Verdict {
        match std::fs::File::open(path) {
            Ok(file) => self.scan(file),
            Err(e) => Verdict::Failed(format!("cannot read the upload: {e}")),
        }
    }

    /// Scans what `content` reads.
    pub fn scan(&self, content: impl Read) -> Verdict {
        match self.instream(content) {
            Ok(reply) => parse_reply(&reply),
            Err(e) => Verdict::Failed(format!(
                "clamd at {} did not answer: {e}",
                self.socket.display()
            )),
        }
    }

    fn instream(&self, mut content: impl Read) -> std::io::Result<String> {
        let mut stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        // `z` framing: the command and the reply end with NUL.
        stream.write_all(b"zINSTREAM\0")?;
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = content.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let len = u32::try_from(n).map_err(std::io::Error::other)?;
            stream.write_all(&len.to_be_bytes())?;
            if let Some(chunk) = buf.get(..n) {
                stream.write_all(chunk)?;
            }
        }
        stream.write_all(&0u32.to_be_bytes())?;
        stream.flush()?;
        let mut reply = Vec::new();
        // clamd may close the socket early (size limit exceeded) and still have answered.
        stream.take(MAX_REPLY).read_to_end(&mut reply)?;
        let end = reply.iter().position(|b| *b == 0).unwrap_or(reply.len());
        Ok(String::from_utf8_lossy(reply.get(..end).unwrap_or(&[]))
            .trim()
            .to_owned())
    }
}

/// `stream: OK`, `stream: Eicar-Test-Signature FOUND`, `INSTREAM size limit exceeded. ERROR`, ...
fn parse_reply(reply: &str) -> Verdict {
    let body = reply.strip_prefix("stream:").unwrap_or(reply).trim();
    if body == "OK" {
        Verdict::Clean
    } else if let Some(signature) = body.strip_suffix("FOUND") {
        Verdict::Infected(signature.trim().to_owned())
    } else if body.is_empty() {
        Verdict::Failed("clamd closed the connection without a verdict".to_owned())
    } else {
        Verdict::Failed(format!("clamd answered: {body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(parse_reply("stream: OK"), Verdict::Clean);
        assert_eq!(
            parse_reply("stream: Eicar-Test-Signature FOUND"),
            Verdict::Infected("Eicar-Test-Signature".to_owned())
        );
        assert!(matches!(
            parse_reply("INSTREAM size limit exceeded. ERROR"),
            Verdict::Failed(_)
        ));
        assert!(matches!(parse_reply(""), Verdict::Failed(_)));
    }

    #[test]
    fn an_absent_daemon_fails_closed() {
        let clamd = Clamd::new("/nonexistent/clamd.ctl", Duration::from_secs(1));
        assert!(matches!(clamd.scan(&b"x"[..]), Verdict::Failed(_)));
    }
}
