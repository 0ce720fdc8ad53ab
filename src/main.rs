//! The `blobhound` binary: parse arguments, run, map the outcome to an exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        // Each command settles a closed pipe itself (the verdict stands); what reaches here
        // is an error, whatever the output it interrupted.
        Ok(status) => status.into(),
        Err(error) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "blobhound: error: {error:#}");
            cli::Status::Error.into()
        }
    }
}
