//! The one integration-test binary: the real `blobhound` binary against fixture repositories that
//! `testrepos/` builds with real git. A module per topic.

mod accuracy;
mod advise;
mod audit;
mod audit_state;
mod broken_repos;
mod cli;
mod config;
mod detectors;
mod exits;
mod filters;
mod fixtures;
mod gate;
mod history;
mod hooks;
mod introduced;
mod leaks;
mod messages;
mod packed;
mod properties;
mod quality;
mod remote;
mod sandbox;
mod scale;
mod schema;
mod servers;
mod unread;
mod verify;
