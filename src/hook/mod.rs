//! Git hooks: stop a leak before it spreads. The pre-receive hook runs on the server that receives
//! a push; the pre-commit hook on a developer's machine before a commit exists.

pub mod install;
pub mod pre_commit;
pub mod pre_receive;
