//! What a scan leaves out or stops at: the flags every scanning subcommand shares (`scan`,
//! `baseline create`, the hooks), defined once.

use blobhound::collect::Limits;
use blobhound::scan::decode::DecodeLimits;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Blobs and archive members larger than this are not scanned (e.g. 500K, 64M, 1G); a gate
    /// then fails.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_blob_size: u64,
    /// Do not open archives, compressed files and databases, nor decode base64, escaped or
    /// percent-encoded values.
    #[arg(long)]
    no_decode: bool,
    /// Open and decode at most this many levels deep (a zip in a gzip'd tarball is three).
    #[arg(long, value_name = "N", default_value = "8")]
    max_depth: u32,
    /// Read at most this many members of one archive.
    #[arg(long, value_name = "N", default_value = "100000")]
    max_members: u64,
    /// Unpack and decode at most this much from one blob.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    max_unpacked: u64,
    /// Unpack and decode at most this much in the whole scan.
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_size)]
    max_unpacked_total: u64,
}

impl LimitArgs {
    /// The limits, scanning binary blobs as bytes or not.
    pub fn limits(&self, scan_binary: bool) -> Limits {
        Limits {
            max_blob_size: self.max_blob_size,
            scan_binary,
            decode: DecodeLimits {
                enabled: !self.no_decode,
                max_depth: self.max_depth,
                max_members: self.max_members,
                max_member_size: self.max_blob_size,
                max_unpacked: self.max_unpacked,
                max_unpacked_total: self.max_unpacked_total,
            },
        }
    }
}

/// Parses a size such as `500K`, `64M`, `1G` or `1024`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let upper = trimmed.to_ascii_uppercase();
    let upper = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, multiplier) = match upper.chars().last() {
        Some('K') => (&upper[..upper.len() - 1], 1u64 << 10),
        Some('M') => (&upper[..upper.len() - 1], 1 << 20),
        Some('G') => (&upper[..upper.len() - 1], 1 << 30),
        _ => (upper, 1),
    };
    number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{text:?} is not a size like 500K, 64M or 1G"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("500K"), Ok(500 * 1024));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert!(parse_size("lots").is_err());
    }
}
