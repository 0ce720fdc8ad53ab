//! Numbers as people read them: counts with the right noun form and thousands separators,
//! sizes, and rates with at most one decimal. Every message that counts something goes through
//! here, so `1 blobs` or `97,524,209.7981/s` cannot come back one message at a time.

/// `n` with the noun in the form its number takes: `1 blob`, `2 blobs`, `1,380 refs`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// [`count`] with the verb that agrees: `1 object was`, `3 objects were`.
pub fn count_was(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!(
        "{} {}",
        count(n, one, many),
        if n == 1 { "was" } else { "were" }
    )
}

/// `n` with commas between groups of three digits: `1,380`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A size for a person: bytes, KiB, MiB or GiB with one decimal.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A rate for a person: `850 objects/s`, `12.3k objects/s`, `1.2M objects/s`, with at most one
/// decimal, from `done` things in `seconds`.
pub fn rate(done: u64, seconds: f64, unit: &str) -> String {
    if seconds <= 0.0 {
        return format!("- {unit}/s");
    }
    let per_second = done as f64 / seconds;
    if per_second >= 1e6 {
        format!("{:.1}M {unit}/s", per_second / 1e6)
    } else if per_second >= 1e4 {
        format!("{:.1}k {unit}/s", per_second / 1e3)
    } else {
        format!("{per_second:.0} {unit}/s")
    }
}

/// A byte rate for a person: `85.3 MB/s` (decimal megabytes, as disks and networks count).
pub fn byte_rate(bytes: u64, seconds: f64) -> String {
    if seconds <= 0.0 {
        return "- MB/s".to_string();
    }
    format!("{:.1} MB/s", bytes as f64 / seconds / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_the_form_their_number_needs() {
        assert_eq!(count(1u64, "blob", "blobs"), "1 blob");
        assert_eq!(count(0u64, "blob", "blobs"), "0 blobs");
        assert_eq!(count(1380u64, "ref", "refs"), "1,380 refs");
        assert_eq!(count(1u64, "entry", "entries"), "1 entry");
        assert_eq!(count_was(1u64, "object", "objects"), "1 object was");
        assert_eq!(count_was(3u64, "object", "objects"), "3 objects were");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    #[test]
    fn rates_have_at_most_one_decimal() {
        assert_eq!(rate(97_524_209, 1.0, "objects"), "97.5M objects/s");
        assert_eq!(rate(12_345, 1.0, "objects"), "12.3k objects/s");
        assert_eq!(rate(850, 1.0, "objects"), "850 objects/s");
        assert_eq!(rate(5, 0.0, "objects"), "- objects/s");
        assert_eq!(byte_rate(85_300_000, 1.0), "85.3 MB/s");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
