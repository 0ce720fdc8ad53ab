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

/// A file named by `-o`, `--output` or `--replace-text`, written so that it never follows a
/// symbolic link and never leaves half a file behind.
///
/// A regular file (or a new path) is written to a temporary file beside it, mode 0600 (a report
/// holds secrets unless redacted), and renamed over it when complete: the rename replaces the
/// name, never what a link at that name points to, and a scan that fails midway leaves the old
/// file as it was. A link is refused, unless it leads to a device or a pipe (`-o /dev/stdout`):
/// a link planted in a shared directory must not turn a report, or the replace-text rules that
/// hold every secret in clear, into an overwrite of the victim's files.
pub struct OutputFile {
    inner: Inner,
}

enum Inner {
    Atomic {
        temp: tempfile::NamedTempFile,
        path: std::path::PathBuf,
    },
    Direct(std::fs::File),
}

impl OutputFile {
    /// Prepares to write `path`.
    pub fn create(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let direct = || -> anyhow::Result<Self> {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            Ok(OutputFile {
                inner: Inner::Direct(file),
            })
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::metadata(path).ok();
                if target.is_some_and(|t| !t.is_file() && !t.is_dir()) {
                    return direct();
                }
                anyhow::bail!(
                    "{} is a symbolic link: blobhound does not write through links (a link in a \
                     shared directory could point anywhere); remove it or name the file itself",
                    path.display()
                );
            }
            Ok(meta) if !meta.is_file() && !meta.is_dir() => return direct(),
            Ok(meta) if meta.is_dir() => anyhow::bail!("{} is a directory", path.display()),
            _ => {}
        }
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => std::path::Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".blobhound-")
            .tempfile_in(dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        Ok(OutputFile {
            inner: Inner::Atomic {
                temp,
                path: path.to_path_buf(),
            },
        })
    }

    /// Where to write.
    pub fn file(&mut self) -> &mut std::fs::File {
        match &mut self.inner {
            Inner::Atomic { temp, .. } => temp.as_file_mut(),
            Inner::Direct(file) => file,
        }
    }

    /// Puts the finished file in place.
    pub fn commit(self) -> std::io::Result<()> {
        match self.inner {
            Inner::Atomic { temp, path } => temp.persist(&path).map(|_| ()).map_err(|e| e.error),
            Inner::Direct(_) => Ok(()),
        }
    }
}
