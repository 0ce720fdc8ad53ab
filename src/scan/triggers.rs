//! Literals that tell the decoding layer a text holds something to decode, found by the
//! prefilter in the pass it makes anyway: a percent-encoded URL (`%3A%2F%2F`), a Kubernetes
//! `Secret` manifest, and the marks of JSON escapes that hide text (an escaped URL, JSON inside
//! a JSON string, a notebook, an escaped PEM, `\u00` escapes). Searching each blob for them
//! separately would cost a pass over every byte of the history per literal.

/// What a text was seen to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `%3A%2F%2F`: a URL percent-encoded inside another.
    PercentUrl,
    /// `kind: Secret`: a Kubernetes Secret, whose `data:` values are base64.
    KubernetesSecret,
    /// JSON escapes that hide text from the detectors.
    JsonEscapes,
    /// The word base64 (`| base64 -d`, `DB_PASSWORD_B64`): shorter base64 values are decoded
    /// in this text too.
    Base64Named,
}

/// The literals (lowercase; matched in any case).
pub const LITERALS: [(Trigger, &str); 9] = [
    (Trigger::PercentUrl, "%3a%2f%2f"),
    (Trigger::KubernetesSecret, "kind: secret"),
    // `postgres:\/\/db`: a URL whose slashes a JSON writer escaped.
    (Trigger::JsonEscapes, ":\\/\\/"),
    // `"{\"DB_PASSWORD\": ...}"`: JSON inside a JSON string (Kubernetes' last applied
    // configuration, Terraform state, serialized settings).
    (Trigger::JsonEscapes, "{\\\""),
    // A Jupyter notebook's cells.
    (Trigger::JsonEscapes, "\"source\": ["),
    // `-----BEGIN PRIVATE KEY-----\nMII...`: a PEM in a JSON string (service-account keys).
    (Trigger::JsonEscapes, "-----\\n"),
    (Trigger::JsonEscapes, "\\u00"),
    (Trigger::Base64Named, "base64"),
    (Trigger::Base64Named, "_b64"),
];

/// The triggers seen in one text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Triggers(u8);

impl Triggers {
    /// Records `trigger`.
    pub fn set(&mut self, trigger: Trigger) {
        self.0 |= 1 << trigger as u8;
    }

    /// Whether `trigger` was seen.
    pub fn has(self, trigger: Trigger) -> bool {
        self.0 & (1 << trigger as u8) != 0
    }
}

#[cfg(test)]
mod tests {
    use crate::detectors::DetectorSet;
    use crate::scan::triggers::Trigger;
    use crate::scan::Engine;

    #[test]
    fn triggers_are_found_in_the_keyword_pass_in_any_case() {
        let engine = Engine::new(DetectorSet::builtin().expect("built-in")).expect("engine");
        let (_, seen) = engine.scan_text(br#"{"url": "postgres:\/\/db\/shop"}"#);
        assert!(seen.has(Trigger::JsonEscapes));
        assert!(!seen.has(Trigger::PercentUrl));
        let (_, seen) = engine.scan_text(b"apiVersion: v1\nKind: Secret\nnext=https%3A%2F%2Fx\n");
        assert!(seen.has(Trigger::KubernetesSecret) && seen.has(Trigger::PercentUrl));
        let (_, seen) = engine.scan_text(b"print('a\\nb')\n");
        assert_eq!(seen, Default::default());
    }
}
