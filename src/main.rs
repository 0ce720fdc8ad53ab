//! The `blobhound` binary: parse arguments, run, map the outcome to an exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(status) => status.into(),
        Err(error) => {
            eprintln!("blobhound: error: {error:#}");
            cli::Status::Error.into()
        }
    }
}
