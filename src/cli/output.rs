//! Writing to standard output and standard error without letting a closed pipe or a full disk
//! change a verdict. A reader that stopped early (`blobhound scan | head`) is not an error, but
//! the findings were still found, so the status stays what the scan decided; a message that
//! cannot reach stderr (closed by the caller) is dropped, never a panic, and a hook's verdict
//! does not depend on it.

use std::io::Write;

use super::Status;

/// Writes a line to standard error, ignoring failure (`eprintln!` would panic).
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use note;

/// The status a command ends with once its output was written: `status` when the write succeeded
/// or the reader went away (a broken pipe), an error otherwise (a full disk loses the report,
/// which must not pass for success).
pub fn settle(written: std::io::Result<()>, status: Status) -> anyhow::Result<Status> {
    match written {
        Ok(()) => Ok(status),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(status),
        Err(e) => Err(anyhow::Error::new(e).context("writing the output")),
    }
}

/// Writes `text` to standard output and flushes it, for commands that print a listing.
pub fn print(text: &str, status: Status) -> anyhow::Result<Status> {
    let mut out = std::io::stdout().lock();
    settle(
        out.write_all(text.as_bytes()).and_then(|()| out.flush()),
        status,
    )
}
