//! Code checks: the judgement a pattern alone cannot make.
//!
//! Each check lives in its own file with its own tests. A detector names at most one check (see
//! [`Check`]); the engine runs it on every regex match before the shared filters, and the check may move the secret
//! (an AWS key id becomes its paired secret key), fill fields, lower confidence, or drop the match.

mod aws_pair;
mod aws_secret_unpaired;
mod django_databases;
mod django_secret_key;
mod jwt;
mod secret_setting;
mod url_credentials;

use std::ops::Range;

use regex::bytes::Captures;

use crate::detectors::Check;
use crate::model::{Confidence, Fields};

/// A regex match on its way to becoming a finding.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Byte range of the secret in the blob.
    pub secret: Range<usize>,
    /// Byte range of the whole matched text in the blob.
    pub matched: Range<usize>,
    /// Fields from named groups and checks.
    pub fields: Fields,
    /// Confidence, starting at the detector's.
    pub confidence: Confidence,
    /// Leading bytes of the secret that the entropy floor ignores (a fixed, non-random prefix).
    pub entropy_skip: usize,
}

/// Runs `check` on a candidate; `false` drops it.
pub fn apply(check: Check, data: &[u8], caps: &Captures<'_>, candidate: &mut Candidate) -> bool {
    match check {
        Check::None => true,
        Check::UrlCredentials => url_credentials::apply(data, caps, candidate),
        Check::DjangoDatabases => django_databases::apply(data, candidate),
        Check::AwsPair => aws_pair::apply(data, candidate),
        Check::AwsSecretUnpaired => aws_secret_unpaired::apply(data, candidate),
        Check::DjangoSecretKey => django_secret_key::apply(data, candidate),
        Check::SecretSetting => secret_setting::apply(data, candidate),
        Check::Jwt => jwt::apply(data, candidate),
    }
}

/// The neighbourhood a check searches for a key's partner: `lines` lines either side of `range`,
/// at most `max_bytes` beyond it.
pub(crate) fn neighbourhood(
    data: &[u8],
    range: &Range<usize>,
    lines: usize,
    max_bytes: usize,
) -> Range<usize> {
    super::lines::around(data, range, lines, lines, max_bytes)
}

/// The value of a named capture group as text, if it took part in the match.
pub(crate) fn group_text(caps: &Captures<'_>, name: &str) -> Option<String> {
    caps.name(name)
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}
