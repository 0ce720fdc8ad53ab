//! The value-quality judgement every detector shares: does a matched value look like a secret a
//! machine made, or like something a person typed to fill a required setting?
//!
//! Real Django histories are full of the second kind, and each used to be reported HIGH: words
//! run together (`Summer2024!`, `some-secret-key`), filler (`abcdefgh`, `12345678`,
//! `jlsfadjlasdjf` from the home row), and defaults (a password equal to its user or database,
//! `postgres`, `bitnami`). Such a value is not dropped: it may still be the secret a deployment
//! used, so it is lowered to LOW, reported with `--confidence low`, and the report says why.
//! A value drawn at random (a generated Django key, a token) passes untouched; the tests hold
//! both kinds.
//!
//! Whether a value sits only in example, sample or documentation files is the other half of the
//! judgement; paths are known only once a blob is placed in history, so that part is
//! [`sample_path`], which the report applies.

use serde_json::Value;

use crate::model::Fields;

/// Why a value was lowered to LOW confidence.
pub type Reason = &'static str;

/// Words people type as stand-ins, beside the English dictionary.
const PROGRAMMING_WORDS: &str = include_str!("../../data/programming-words.txt");

/// Proper nouns and adjectives (languages, days, months ...) the dictionary leaves out.
const PROPER_WORDS: &str = include_str!("../../data/proper-words.txt");

/// Passwords shipped as defaults by images, installers and tutorials.
const DEFAULTS: &[&str] = &[
    "admin",
    "administrator",
    "bitnami",
    "changeit",
    "changeme",
    "default",
    "django",
    "docker",
    "guest",
    "letmein",
    "master",
    "mongo",
    "mysql",
    "oracle",
    "pass",
    "passw0rd",
    "password",
    "postgres",
    "postgresql",
    "qwerty",
    "rabbitmq",
    "redis",
    "root",
    "secret",
    "superuser",
    "test",
    "toor",
    "vagrant",
];

/// Values longer than this (PEM bodies, JSON key files) are judged by their detector alone.
const LONGEST_JUDGED: usize = 128;

/// Why `value` looks typed rather than generated, if it does. `fields` are the finding's other
/// values (user, database, host), which a default password often repeats.
pub fn judge(value: &[u8], fields: &Fields) -> Option<Reason> {
    if value.starts_with(b"eyJ")
        && super::jwt::parse(value).is_some_and(|claims| claims.expired_at(super::jwt::now()))
    {
        return Some("an expired token (its exp claim is in the past)");
    }
    let Ok(text) = std::str::from_utf8(value) else {
        return None;
    };
    if text.len() > LONGEST_JUDGED || text.contains('\n') || text.is_empty() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let bare = strip_decoration(&lower);
    for name in [
        "username", "user", "database", "name", "host", "scheme", "engine",
    ] {
        if let Some(Value::String(other)) = fields.get(name) {
            let other = other.to_ascii_lowercase();
            let other = other.rsplit(['.', '/']).next().unwrap_or(&other);
            if !other.is_empty() && (lower == other || bare == other) {
                return Some(match name {
                    "username" | "user" => "a default: the same as its user name",
                    "database" | "name" => "a default: the same as its database name",
                    "host" => "a default: the same as its host",
                    _ => "a default: the same as its engine",
                });
            }
        }
    }
    if DEFAULTS.contains(&lower.as_str()) || DEFAULTS.contains(&bare) {
        return Some("a well-known default");
    }
    if is_sequence(&lower) {
        return Some("a sequence or a repetition");
    }
    if is_keyboard_mashing(&lower) {
        return Some("keyboard mashing (one row of the keyboard)");
    }
    if is_words(text) || is_words(&unleet(text)) {
        return Some("dictionary words");
    }
    None
}

/// `lower` without what people add to a word to pass a password rule: trailing digits (a year,
/// `123`) and one trailing symbol.
fn strip_decoration(lower: &str) -> &str {
    let trimmed = lower.trim_end_matches(|c: char| c.is_ascii_punctuation());
    let trimmed = if lower.len() - trimmed.len() <= 1 {
        trimmed
    } else {
        lower
    };
    let digits = trimmed.len() - trimmed.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits <= 4 {
        &trimmed[..trimmed.len() - digits]
    } else {
        trimmed
    }
}

/// Runs of the alphabet or of digits (`abcdefgh`, `12345678`, `98765`), or a short unit repeated
/// (`abcabcabc`, `121212`).
fn is_sequence(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    if bytes.len() < 6 {
        return false;
    }
    for unit in 1..=(bytes.len() / 2).min(4) {
        if bytes.chunks(unit).all(|c| c == &bytes[..c.len()]) {
            return true;
        }
    }
    let stepping = bytes
        .windows(2)
        .filter(|w| {
            w[0].is_ascii_alphanumeric()
                && (w[1] == w[0].wrapping_add(1) || w[1] == w[0].wrapping_sub(1))
        })
        .count();
    stepping * 10 >= (bytes.len() - 1) * 8
}

/// Letters from one row of the keyboard only (`asdfjkl`, `qwertyuiop`), or a long run of letters
/// that never touches one of the three rows (`falsjdferwerouwreop...`): how people fill a field in
/// a hurry. A random value of eight letters is almost never confined to one row, and one of twenty
/// lowercase letters misses a whole row about once in four hundred thousand.
fn is_keyboard_mashing(lower: &str) -> bool {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let within = |row: &str, pred: fn(bool) -> bool| {
        lower.bytes().all(|b| pred(row.as_bytes().contains(&b)))
    };
    let one_row = lower.len() >= 8 && ROWS.iter().any(|row| within(row, |inside| inside));
    let letters_only = lower.bytes().all(|b| b.is_ascii_lowercase());
    let misses_a_row =
        letters_only && lower.len() >= 20 && ROWS.iter().any(|row| within(row, |inside| !inside));
    // Mashing with a few digits and symbols typed in between: judged by its letters, when they
    // are most of it.
    let letters: String = lower.chars().filter(char::is_ascii_lowercase).collect();
    let mostly_letters = letters.len() >= 20 && letters.len() * 10 >= lower.len() * 6;
    (one_row || misses_a_row)
        || (mostly_letters && letters.len() < lower.len() && is_keyboard_mashing(&letters))
}

/// One to three words (four or more when they are a stand-in's vocabulary: `some random secret
/// key`), run together, in camel case or joined by `-`, `_` or `.`, with at most a short
/// decoration of digits and symbols: a phrase a person typed. Every letter must belong to a word.
fn is_words(text: &str) -> bool {
    let letters = text.bytes().filter(u8::is_ascii_alphabetic).count();
    let others = text.len() - letters;
    if letters < 4 || others > 6 || !text.is_ascii() {
        return false;
    }
    let mut words = 0;
    let mut standins = 0;
    for run in text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|r| !r.is_empty())
    {
        let lowered = run.to_ascii_lowercase();
        let Some(found) = segment(&lowered) else {
            return false;
        };
        words += found.len();
        standins += found.iter().filter(|w| is_programming_word(w)).count();
    }
    (1..=3).contains(&words) || (words <= 6 && standins * 2 >= words)
}

/// `text` with the symbols and digits people put in for letters read back as letters
/// (`super$ecret`, `p@ssw0rd`, `s3cr3t`), for the word test only.
fn unleet(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '$' | '5' => 's',
            '@' | '4' => 'a',
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '7' => 't',
            other => other,
        })
        .collect()
}

/// The fewest dictionary words that make up `run` exactly, if any do.
fn segment(run: &str) -> Option<Vec<&str>> {
    let n = run.len();
    // best[i]: fewest words covering run[..i], and where the last one starts.
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    best[0] = Some((0, 0));
    for end in 1..=n {
        for start in end.saturating_sub(20)..end {
            let Some((count, _)) = best[start] else {
                continue;
            };
            if is_word(&run[start..end]) && best[end].is_none_or(|(c, _)| count + 1 < c) {
                best[end] = Some((count + 1, start));
            }
        }
    }
    best[n]?;
    let mut words = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start) = best[end]?;
        words.push(&run[start..end]);
        end = start;
    }
    words.reverse();
    Some(words)
}

/// A dictionary word: four letters or more from the English list, or any word of the
/// programming or proper-noun lists (short English words would make random letters look like
/// words).
fn is_word(word: &str) -> bool {
    is_programming_word(word) || (word.len() >= 4 && wordnik_list::word_exists(word))
}

fn is_programming_word(word: &str) -> bool {
    static WORDS: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    WORDS
        .get_or_init(|| {
            PROGRAMMING_WORDS
                .lines()
                .chain(PROPER_WORDS.lines())
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        })
        .contains(word)
}

/// Whether `path` is inside third-party code committed with the project (a virtualenv's
/// `site-packages`, `node_modules`, `vendor/`): the values there are the libraries' own test
/// fixtures, not the project's credentials.
pub fn vendored_path(path: &str) -> bool {
    path.split('/').any(|dir| {
        matches!(
            dir,
            "site-packages" | "dist-packages" | "node_modules" | "bower_components" | "vendor"
        )
    })
}

/// Whether `path` is a test file or sits in a test directory (`tests/`, `test_views.py`,
/// `auth_tests.py`, `login.spec.ts`): a password assigned there is a fixture for a test user or
/// database. Only generic assignments are judged by it; a token of a real format pasted into a
/// test is still a leak.
pub fn test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = name.split('.').next().unwrap_or(name);
    let in_tests = lower.split('/').rev().skip(1).any(|dir| {
        matches!(
            dir,
            "test"
                | "tests"
                | "testing"
                | "spec"
                | "specs"
                | "fixtures"
                | "__tests__"
                | "stories"
                | "storybook"
        )
    });
    in_tests
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "tests"
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains(".stories.")
}

/// Whether `path` is an example, sample, template or documentation file, whose values are meant
/// to be replaced (`.env.example`, `settings.py.sample`, `sample_env`, `docs/`, `README.md`).
pub fn sample_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower
        .rsplit('/')
        .next()
        .unwrap_or(&lower)
        .trim_start_matches('.');
    let markers = ["example", "sample", "template", "dist", "tmpl", "skeleton"];
    let named = markers.iter().any(|m| {
        name.ends_with(&format!(".{m}"))
            || name.starts_with(&format!("{m}."))
            || name.starts_with(&format!("{m}_"))
            || name.contains(&format!(".{m}."))
            || name.contains(&format!("_{m}"))
            || name.contains(&format!("-{m}"))
            || name.starts_with(&format!("{m}-"))
    });
    let docs = lower.split('/').rev().skip(1).any(|dir| {
        matches!(
            dir,
            "doc" | "docs" | "documentation" | "example" | "examples"
        )
    });
    let prose = [".md", ".rst", ".txt", ".adoc"]
        .iter()
        .any(|e| name.ends_with(e));
    named || docs || prose
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(value: &str) -> Option<Reason> {
        judge(value.as_bytes(), &Fields::new())
    }

    #[test]
    fn typed_values_are_judged_so() {
        for (value, why) in [
            ("Summer2024!", "dictionary words"),
            ("some-secret-key", "dictionary words"),
            ("someRandOmSecrEtKey23", "dictionary words"),
            ("wrongpassword", "dictionary words"),
            ("fallback_secret_key", "dictionary words"),
            ("correcthorse", "dictionary words"),
            ("spanish-inquisition", "dictionary words"),
            ("MondayMorning42", "dictionary words"),
            ("abcdefghijkl", "a sequence or a repetition"),
            ("1234567890", "a sequence or a repetition"),
            ("abcabcabcabc", "a sequence or a repetition"),
            (
                "jlsfadjlasdjflajsdflasjdf",
                "keyboard mashing (one row of the keyboard)",
            ),
            (
                "falsjdferwerouwreopuaoperjaosjfoajsfljas",
                "keyboard mashing (one row of the keyboard)",
            ),
            ("herokudefault", "dictionary words"),
            ("super$ecret", "dictionary words"),
            ("s3cureEmAilP@ss", "dictionary words"),
            (
                "jlsfadjlasdjflajsdflasjdfaflasjfdljaslfj5334343#22ljlflads@@2fjlasjflasjf8933af",
                "keyboard mashing (one row of the keyboard)",
            ),
            ("bitnami", "a well-known default"),
            ("postgres123", "a well-known default"),
        ] {
            assert_eq!(reason(value), Some(why), "{value}");
        }
    }

    #[test]
    fn generated_values_keep_their_confidence() {
        for value in [
            "xK9#mQ2$vL7@nR4!pT8&wZ1^",
            "3f8a9c2e7b1d4f6a",
            "wUb47SmecqWuMSt275VU",
            "qpi3&#7d^4npst+lux7*_5h8*kdop0#2)hhfhl#*y-l-kgsyp4",
            "Tr0ub4dor&3",
            "hK2mP9xQ4rL7",
            "correct-horse-battery-staple",
        ] {
            assert_eq!(reason(value), None, "{value}");
        }
    }

    #[test]
    fn a_password_repeating_its_user_or_database_is_a_default() {
        let fields: Fields = serde_json::from_value(serde_json::json!({
            "username": "shop", "database": "saleor", "host": "db.example.com"
        }))
        .unwrap();
        assert_eq!(
            judge(b"saleor", &fields),
            Some("a default: the same as its database name")
        );
        assert_eq!(
            judge(b"Shop2024", &fields),
            Some("a default: the same as its user name")
        );
        assert_eq!(judge(b"wUb47SmecqWuMSt275VU", &fields), None);
    }

    #[test]
    fn example_and_documentation_files_are_samples() {
        for path in [
            ".env.example",
            "settings.py.sample",
            "sample_env",
            ".sample_env",
            "docker/env.dist",
            "docs/install.py",
            "README.md",
            "config/settings.template",
            "local_settings.example.py",
        ] {
            assert!(sample_path(path), "{path}");
        }
        for path in [
            "settings.py",
            ".env",
            "deploy/prod.env",
            "app/sampler.py",
            "backend.env",
        ] {
            assert!(!sample_path(path), "{path}");
        }
        assert!(vendored_path(
            "env/lib/python3.7/site-packages/psycopg2/tests/test_connection.py"
        ));
        assert!(!vendored_path("shop/packages/settings.py"));
        for path in [
            "tests/api/test_account.py",
            "oscar/apps/customer/tests.py",
            "a/auth_tests.py",
            "web/login.spec.ts",
        ] {
            assert!(test_path(path), "{path}");
        }
        assert!(test_path("dashboard/storybook/stories/KeyDialog.tsx"));
        assert!(!test_path("shop/contest/settings.py"));
    }
}
