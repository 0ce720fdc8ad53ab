//! JSON Web Tokens: a match is a token only if its header and payload decode to JSON and the
//! header names an algorithm. The claims that say whose token it is and how long it lasts
//! become fields, so the report can say where to revoke it; an expired token is lowered by the
//! shared quality judgement, like any other detector's.

use serde_json::Value;

use super::Candidate;
use crate::scan::jwt;

pub(super) fn apply(data: &[u8], candidate: &mut Candidate) -> bool {
    let Some(claims) = jwt::parse(&data[candidate.secret.clone()]) else {
        return false;
    };
    candidate
        .fields
        .insert("alg".into(), Value::String(claims.alg));
    if let Some(iss) = claims.iss {
        candidate.fields.insert("iss".into(), Value::String(iss));
    }
    if let Some(exp) = claims.exp {
        candidate.fields.insert("exp".into(), Value::from(exp));
    }
    true
}
