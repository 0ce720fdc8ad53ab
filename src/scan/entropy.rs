//! Shannon entropy, the cheapest signal that separates random keys from words and placeholders.

/// Bits per byte of `data` (0.0 for empty input); a random 50-character Django key scores about 5.
pub fn shannon(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn repeated_byte_has_no_entropy() {
        assert_eq!(shannon(b"aaaaaaaa"), 0.0);
    }

    #[test]
    fn two_symbols_equally_often_give_one_bit() {
        assert!((shannon(b"abababab") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn distinct_bytes_give_log2_of_their_count() {
        assert!((shannon(b"abcdefgh") - 3.0).abs() < 1e-9);
    }
}
