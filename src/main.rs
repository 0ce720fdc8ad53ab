//! The `blobhound` binary: parse arguments, run, map the outcome to an exit status.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(status) => status.into(),
        // A reader that stopped early (`blobhound scan | head`) is not an error.
        Err(error)
            if error.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            cli::Status::Clean.into()
        }
        Err(error) => {
            eprintln!("blobhound: error: {error:#}");
            cli::Status::Error.into()
        }
    }
}
