//! What tells the decoding layer that a text holds something to decode, found in passes made
//! anyway: two literals in the prefilter's keyword pass (a Kubernetes `Secret` manifest; a text
//! that names base64), and the marks of escapes that hide text at the `\` and `%` bytes the
//! decoding layer's own pass reports (an escaped URL, JSON inside a JSON string, an escaped
//! PEM, `\u00` escapes, a percent-encoded URL inside another). Searching each blob for each of
//! them would cost a pass over every byte of the history per literal; as keywords of the
//! prefilter, the escape marks slowed its search by a tenth.

/// What a text was seen to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `%3A%2F%2F`: a URL percent-encoded inside another.
    PercentUrl,
    /// `kind: Secret`: a Kubernetes Secret, whose `data:` values are base64.
    KubernetesSecret,
    /// JSON escapes that hide text from the detectors.
    JsonEscapes,
    /// The word base64 (`DB_PASSWORD_B64=`, `base64.b64decode(`): shorter base64 values are
    /// decoded on that line too.
    Base64Named,
}

/// The literals the prefilter finds (lowercase; matched in any case).
pub const LITERALS: [(Trigger, &str); 3] = [
    (Trigger::KubernetesSecret, "kind: secret"),
    // `base64`, `_B64`, `b64decode`. Three bytes each, so searched in the prefilter's pass for
    // short keywords, where they cost nothing measurable; `base64` and `_b64` as keywords of
    // their own cost 7% of the keyword search on a real history.
    (Trigger::Base64Named, "e64"),
    (Trigger::Base64Named, "b64"),
];

/// Whether `text` is a JSON document (its first byte past white space opens an object, as a
/// notebook's does): every escape in it may hide text.
pub fn json_document(text: &[u8]) -> bool {
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// The trigger the `\` or `%` at `at` marks, if any: `:\/\/` (a URL whose slashes a JSON
/// writer escaped), `{\"` (JSON inside a JSON string: Kubernetes' last applied configuration,
/// Terraform state, serialized settings), `-----\n` (a PEM in a JSON string: service-account
/// keys), `\u00`, any escape in a JSON document, and `%3A%2F%2F` (a URL percent-encoded inside
/// another).
pub fn escape_at(text: &[u8], at: usize, json_document: bool) -> Option<Trigger> {
    let rest = &text[at..];
    let before = |n: usize| at.checked_sub(n).map(|from| &text[from..at]);
    match text[at] {
        b'\\' => (json_document
            || (before(1) == Some(b":") && rest.starts_with(b"\\/\\/"))
            || (before(1) == Some(b"{") && rest.starts_with(b"\\\""))
            || (before(5) == Some(b"-----") && rest.starts_with(b"\\n"))
            || rest.starts_with(b"\\u00"))
        .then_some(Trigger::JsonEscapes),
        b'%' => rest
            .get(..9)
            .is_some_and(|mark| mark.eq_ignore_ascii_case(b"%3a%2f%2f"))
            .then_some(Trigger::PercentUrl),
        _ => None,
    }
}

/// The names of base64 a text holds at most: past these, a text full of them (a lock file whose
/// digests spell `b64` by chance) gains nothing from more.
const MAX_NAMES: usize = 64;

/// The triggers seen in one text, and where it names base64.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triggers {
    seen: u8,
    names: Vec<usize>,
}

impl Triggers {
    /// Records `trigger`, seen at offset `at`.
    pub fn set_at(&mut self, trigger: Trigger, at: usize) {
        self.set(trigger);
        if trigger == Trigger::Base64Named && self.names.len() < MAX_NAMES {
            self.names.push(at);
        }
    }

    /// Records `trigger`.
    pub fn set(&mut self, trigger: Trigger) {
        self.seen |= 1 << trigger as u8;
    }

    /// Records the trigger the `\` or `%` at `at` marks, if any ([`escape_at`]); each is
    /// looked for only until it is seen, since the decoding layer reports every such byte.
    pub fn see_escape(&mut self, text: &[u8], at: usize, json_document: bool) {
        let could_mark = match text[at] {
            b'%' => Trigger::PercentUrl,
            _ => Trigger::JsonEscapes,
        };
        if self.has(could_mark) {
            return;
        }
        if let Some(trigger) = escape_at(text, at, json_document) {
            self.set(trigger);
        }
    }

    /// Whether `trigger` was seen.
    pub fn has(&self, trigger: Trigger) -> bool {
        self.seen & (1 << trigger as u8) != 0
    }

    /// Where the text names base64 (the first few places, in order).
    pub fn base64_names(&self) -> &[usize] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::{escape_at, json_document, Trigger, Triggers};
    use crate::detectors::DetectorSet;
    use crate::scan::Engine;

    #[test]
    fn literals_are_found_in_the_keyword_pass_in_any_case() {
        let engine = Engine::new(DetectorSet::builtin().expect("built-in")).expect("engine");
        let (_, seen) = engine.scan_text(b"apiVersion: v1\nKind: Secret\n");
        assert!(seen.has(Trigger::KubernetesSecret) && !seen.has(Trigger::Base64Named));
        for named in [
            &b"echo $ENV_FILE | base64 -d > .env\n"[..],
            b"DB_PASSWORD_B64: x\n",
        ] {
            assert!(engine.scan_text(named).1.has(Trigger::Base64Named));
        }
        let (_, seen) = engine.scan_text(b"print('a\\nb')\n");
        assert_eq!(seen, Triggers::default());
        let (_, seen) = engine.scan_text(b"x = 1\nDB_PASSWORD_B64=abc\n");
        assert_eq!(seen.base64_names(), [18]);
    }

    /// The triggers marked at the escape bytes of `text`.
    fn marked(text: &[u8]) -> Vec<Trigger> {
        let document = json_document(text);
        (0..text.len())
            .filter(|&at| matches!(text[at], b'\\' | b'%'))
            .filter_map(|at| escape_at(text, at, document))
            .collect()
    }

    #[test]
    fn every_escape_byte_of_a_text_can_be_offered_and_the_triggers_it_marks_are_kept() {
        let seen = |text: &[u8]| {
            let mut triggers = Triggers::default();
            for at in (0..text.len()).filter(|&at| matches!(text[at], b'\\' | b'%')) {
                triggers.see_escape(text, at, json_document(text));
            }
            triggers
        };
        let both = seen(br#"a = "C:\dir" url: "postgres:\/\/db" next=https%3A%2F%2Fx 50%"#);
        assert!(both.has(Trigger::JsonEscapes) && both.has(Trigger::PercentUrl));
        assert_eq!(seen(br#"print("a\nb"); s = "50%""#), Triggers::default());
    }

    #[test]
    fn escapes_that_hide_text_are_marked_and_ordinary_ones_are_not() {
        use Trigger::{JsonEscapes, PercentUrl};
        assert_eq!(marked(br#"url: "postgres:\/\/db\/shop""#), [JsonEscapes]);
        assert_eq!(marked(br#"cfg: "{\"DB_PASSWORD\": \"x\"}""#), [JsonEscapes]);
        assert_eq!(marked(br#"key: "-----BEGIN KEY-----\nMII""#), [JsonEscapes]);
        assert_eq!(marked(br#"name: "caf\u00e9""#), [JsonEscapes]);
        assert_eq!(marked(b"next=https%3A%2F%2Fshop%2Fx"), [PercentUrl]);
        // A notebook, or any JSON document: every escape counts.
        assert_eq!(marked(b"\n {\"source\": [\"a = 1\\n\"]}").len(), 1);
        assert!(marked(br#"print("a\nb"); s = "50%" "C:\dir""#).is_empty());
    }
}
