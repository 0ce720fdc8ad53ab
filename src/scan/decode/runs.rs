//! Finding long runs of base64 characters fast. Every text blob of a history is searched for
//! base64 values, so this is on the hot path of a full scan: it classifies 64 bytes at a time
//! into a bit mask (SSE2 on x86-64, a portable loop elsewhere) and only looks at bytes one by one
//! inside a run that is already known to be long enough.

use std::ops::Range;

/// Whether `b` is in the standard or the URL-safe base64 alphabet (`A-Z a-z 0-9 + / - _`).
#[inline]
pub fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Calls `found` with every maximal run of at least `min` (16 to 64) base64 characters.
pub fn base64_runs(text: &[u8], min: usize, mut found: impl FnMut(Range<usize>)) {
    let min = min.clamp(16, 64);
    let blocks = text.len().div_ceil(64);
    let mut block = 0;
    let mut current = mask(text, 0);
    let mut next = mask(text, 1);
    // Bits of the current block below this one are already consumed.
    let mut from_bit = 0u32;
    while block < blocks {
        let starts = run_starts(current, next, min) & (u64::MAX << from_bit);
        if starts == 0 {
            block += 1;
            from_bit = 0;
            current = next;
            next = mask(text, block + 1);
            continue;
        }
        let bit = starts.trailing_zeros();
        let start = block * 64 + bit as usize;
        let in_block = (current >> bit).trailing_ones();
        let mut end = start + in_block as usize;
        if bit + in_block == 64 {
            // The run goes on past this block: follow it a block at a time.
            let mut after = block + 1;
            let mut bits = next;
            while bits == u64::MAX {
                after += 1;
                bits = mask(text, after);
            }
            end = after * 64 + bits.trailing_ones() as usize;
        }
        let end = end.min(text.len());
        found(start..end);
        let end_block = end / 64;
        from_bit = (end % 64) as u32;
        if end_block != block {
            current = if end_block == block + 1 {
                next
            } else {
                mask(text, end_block)
            };
            next = mask(text, end_block + 1);
            block = end_block;
        }
    }
}

/// The bits of `current` where a run of at least `min` set bits starts, the run going on into
/// `next` (the following block) where it reaches the top. Word operations only: this runs for
/// every 64 bytes of every text.
#[inline]
fn run_starts(current: u64, next: u64, min: usize) -> u64 {
    // Runs inside the block: a bit survives when the `min` bits from it up are set (bits past
    // the top shift in as clear, so a run reaching the top is cut there).
    let mut inside = current & (current >> 1);
    inside &= inside >> 2;
    inside &= inside >> 4;
    inside &= inside >> 8;
    let mut have = 16;
    while have < min {
        let step = (min - have).min(have);
        inside &= inside >> step;
        have += step;
    }
    // The run reaching the top, counted on into the next block.
    let top = current.leading_ones();
    let crossing = if top > 0 && (top + next.trailing_ones()) as usize >= min {
        1u64 << (64 - top)
    } else {
        0
    };
    inside | crossing
}

/// One bit per byte of block `block` of `text` (bit `i` for byte `64 * block + i`), set for base64
/// characters; bytes past the end are clear.
fn mask(text: &[u8], block: usize) -> u64 {
    let start = block * 64;
    match text.get(start..start + 64) {
        Some(chunk) => mask64(chunk.try_into().unwrap_or(&[0; 64])),
        None => text.get(start..).map_or(0, |tail| {
            tail.iter()
                .enumerate()
                .fold(0, |m, (i, &b)| m | (u64::from(is_base64(b)) << i))
        }),
    }
}

#[cfg(target_arch = "x86_64")]
fn mask64(chunk: &[u8; 64]) -> u64 {
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        #[allow(unsafe_code)]
        unsafe {
            mask64_avx2(chunk)
        }
    } else {
        mask64_sse2(chunk)
    }
}

/// [`mask64`] 32 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mask64_avx2(chunk: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m256i, _mm256_andnot_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
    };
    let mut bits = 0u64;
    for (lane, part) in chunk.chunks_exact(32).enumerate() {
        // SAFETY: `part` is exactly 32 readable bytes and the load is unaligned.
        #[allow(unsafe_code)]
        let v = unsafe { _mm256_loadu_si256(part.as_ptr().cast::<__m256i>()) };
        let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        let letter = _mm256_andnot_si256(
            _mm256_cmpgt_epi8(_mm256_set1_epi8(0x61), folded),
            _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7b), folded),
        );
        let range = _mm256_andnot_si256(
            _mm256_cmpgt_epi8(_mm256_set1_epi8(0x2b), v),
            _mm256_cmpgt_epi8(_mm256_set1_epi8(0x3a), v),
        );
        let punct = _mm256_or_si256(
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x2c)),
            _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x2e)),
        );
        let underscore = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x5f));
        let hit = _mm256_or_si256(
            _mm256_or_si256(letter, underscore),
            _mm256_andnot_si256(punct, range),
        );
        bits |= u64::from(_mm256_movemask_epi8(hit) as u32) << (lane * 32);
    }
    bits
}

/// [`mask64`] 16 bytes at a time, with the SSE2 every x86-64 has.
#[cfg(target_arch = "x86_64")]
fn mask64_sse2(chunk: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut bits = 0u64;
    for (lane, part) in chunk.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline, so these instructions always exist;
        // `part` is exactly 16 readable bytes and the load is unaligned.
        #[allow(unsafe_code)]
        let lane_bits = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let letter = _mm_andnot_si128(
                _mm_cmplt_epi8(folded, _mm_set1_epi8(0x61)),
                _mm_cmplt_epi8(folded, _mm_set1_epi8(0x7b)),
            );
            // '+' (0x2b) to '9' (0x39), less ',' and '.'; and '_'.
            let range = _mm_andnot_si128(
                _mm_cmplt_epi8(v, _mm_set1_epi8(0x2b)),
                _mm_cmpgt_epi8(_mm_set1_epi8(0x3a), v),
            );
            let punct = _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2c)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2e)),
            );
            let underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x5f));
            let hit = _mm_or_si128(
                _mm_or_si128(letter, underscore),
                _mm_andnot_si128(punct, range),
            );
            _mm_movemask_epi8(hit) as u32 as u64
        };
        bits |= lane_bits << (lane * 16);
    }
    bits
}

#[cfg(not(target_arch = "x86_64"))]
fn mask64(chunk: &[u8; 64]) -> u64 {
    chunk
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | (u64::from(is_base64(b)) << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(text: &[u8], min: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if is_base64(text[i]) {
                let start = i;
                while i < text.len() && is_base64(text[i]) {
                    i += 1;
                }
                if i - start >= min {
                    out.push(start..i);
                }
            } else {
                i += 1;
            }
        }
        out
    }

    fn fast(text: &[u8], min: usize) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        base64_runs(text, min, |r| out.push(r));
        out
    }

    #[test]
    fn every_byte_value_is_classified_as_the_alphabet_says() {
        let all: Vec<u8> = (0..=255u8).cycle().take(256 * 3).collect();
        let mut chunk = [0u8; 64];
        for block in all.chunks_exact(64) {
            chunk.copy_from_slice(block);
            let bits = mask64(&chunk);
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(bits >> i & 1 == 1, is_base64(b), "byte {b:#x}");
            }
            #[cfg(target_arch = "x86_64")]
            assert_eq!(mask64_sse2(&chunk), bits);
        }
    }

    #[test]
    fn runs_across_block_edges_and_at_the_end_are_whole() {
        let mut text = vec![b' '; 60];
        text.extend(std::iter::repeat_n(b'Q', 100));
        text.push(b'\n');
        text.extend(std::iter::repeat_n(b'z', 30));
        assert_eq!(fast(&text, 20), naive(&text, 20));
        assert_eq!(fast(&text, 20), [60..160, 161..191]);
    }

    proptest! {
        #[test]
        fn the_fast_search_finds_exactly_the_runs_a_byte_loop_finds(
            text in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'Z'), Just(b'7'), Just(b'/'), Just(b' '), Just(b'-'), any::<u8>()], 0..700),
            min in 16usize..40,
        ) {
            prop_assert_eq!(fast(&text, min), naive(&text, min));
        }
    }
}
