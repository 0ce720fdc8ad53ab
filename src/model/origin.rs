//! Where inside a blob a match was found when the blob had to be unpacked or decoded first: the
//! archive member, the decodings applied, the database cell. Reports, baselines and gates all
//! need to name that place, so it is a shared type.

use serde::{Deserialize, Serialize};

/// How the text holding a match was reached from its blob. The default (no member, no decoding,
/// no cell) is the blob's own text.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// The path inside the archive; members of nested archives are joined with `!`
    /// (`inner.zip!shop/.env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The decodings applied, outermost first (`["zip", "base64"]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoded: Vec<Decoding>,
    /// For a SQLite database: the cell. (A location's `column` is already the character
    /// column, so the cell is one object rather than flat `table`/`column` fields.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<Cell>,
}

impl Origin {
    /// Whether the match is in the blob's own text, as stored.
    pub fn is_plain(&self) -> bool {
        self.member.is_none() && self.decoded.is_empty() && self.cell.is_none()
    }

    /// This origin one step further: `decoding` applied, and, for an archive member, `member`
    /// appended to the member path.
    pub fn then(&self, decoding: Decoding, member: Option<&str>) -> Origin {
        let mut next = self.clone();
        next.decoded.push(decoding);
        if let Some(member) = member {
            next.member = Some(match &self.member {
                Some(outer) => format!("{outer}!{member}"),
                None => member.to_string(),
            });
        }
        next
    }

    /// `path` with the member (`backups/shop.zip!shop/.env`), for a person.
    pub fn member_path(&self, path: &str) -> String {
        match &self.member {
            Some(member) => format!("{path}!{member}"),
            None => path.to_string(),
        }
    }

    /// The decodings a person needs to be told about: those a member path or a cell does not
    /// already show (base64, escapes, compressed streams).
    pub fn hidden_decodings(&self) -> Vec<&'static str> {
        self.decoded
            .iter()
            .filter(|d| !matches!(d, Decoding::Zip | Decoding::Tar | Decoding::Sqlite))
            .map(|d| d.as_str())
            .collect()
    }
}

/// One decoding or unpacking step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decoding {
    /// Base64, standard or URL-safe.
    Base64,
    /// Percent-encoding (`%3A%2F%2F`).
    Percent,
    /// JSON string escapes (`\/`, `\"`, `\n`, `\u0041`), notebooks included.
    JsonEscape,
    /// UTF-16 text, either byte order.
    #[serde(rename = "utf-16")]
    Utf16,
    /// A zip archive (jar, whl, apk ...).
    Zip,
    /// A tar archive.
    Tar,
    /// A gzip stream.
    Gzip,
    /// A bzip2 stream.
    Bzip2,
    /// An xz stream.
    Xz,
    /// A zstd stream.
    Zstd,
    /// A zlib stream.
    Zlib,
    /// A SQLite database's cells.
    Sqlite,
}

impl Decoding {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Decoding::Base64 => "base64",
            Decoding::Percent => "percent",
            Decoding::JsonEscape => "json-escape",
            Decoding::Utf16 => "utf-16",
            Decoding::Zip => "zip",
            Decoding::Tar => "tar",
            Decoding::Gzip => "gzip",
            Decoding::Bzip2 => "bzip2",
            Decoding::Xz => "xz",
            Decoding::Zstd => "zstd",
            Decoding::Zlib => "zlib",
            Decoding::Sqlite => "sqlite",
        }
    }
}

/// A SQLite cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cell {
    /// The table.
    pub table: String,
    /// The column.
    pub column: String,
    /// The row's rowid (none for a table without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rowid: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_members_join_with_a_bang_and_decodings_accumulate() {
        let origin = Origin::default()
            .then(Decoding::Tar, Some("backup/inner.zip"))
            .then(Decoding::Zip, Some("shop/.env"));
        assert_eq!(origin.member.as_deref(), Some("backup/inner.zip!shop/.env"));
        assert_eq!(origin.decoded, [Decoding::Tar, Decoding::Zip]);
        assert_eq!(
            origin.member_path("backups/all.tar"),
            "backups/all.tar!backup/inner.zip!shop/.env"
        );
        assert!(origin.hidden_decodings().is_empty());
        assert!(Origin::default().is_plain());
    }
}
