//! The decoding layer's one pass over a text: the long runs of base64 characters, and the bytes
//! that start an escape (`\` and `%`). Every text blob of a history goes through it, so it
//! classifies 64 bytes at a time into bit masks (two table lookups per 32 bytes with AVX2) and
//! measures runs with word operations. A cheaper first test (some aligned block free of bytes
//! below `+`) was tried and dropped: in a real Django history 29% of 64-byte chunks hold an
//! aligned block of 16 base64 characters (paths, digests, lock files), so it rarely spared the
//! exact classification.

use std::ops::Range;

/// Whether `b` is in the standard or the URL-safe base64 alphabet (`A-Z a-z 0-9 + / - _`),
/// by the same tables the search uses.
#[inline]
pub fn is_base64(b: u8) -> bool {
    classes(b) & BASE64 != 0
}

/// The classes `b`'s two nibbles share (see [`LOW_CLASSES`]).
#[inline]
fn classes(b: u8) -> u8 {
    LOW_CLASSES[usize::from(b & 0x0f)] & HIGH_CLASSES[usize::from(b >> 4)]
}

/// The shortest run reported (24 bytes of decoded text): shorter runs are mostly names and
/// paths. Runs from 20 characters are looked for only next to a name of base64, by
/// the base64 decoder itself.
pub const MIN_RUN: usize = 32;

/// Calls `run` with every maximal run of at least [`MIN_RUN`] base64 characters, and `escape`
/// with the offset of every `\` and `%`, each in order.
pub fn runs_and_escapes(
    text: &[u8],
    mut run: impl FnMut(Range<usize>),
    mut escape: impl FnMut(usize),
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            #[allow(unsafe_code)]
            unsafe {
                search_avx2(text, &mut run, &mut escape)
            };
            return;
        }
    }
    search::<Portable, MIN_RUN>(text, &mut run, &mut escape);
}

/// [`search`] with the AVX2 classifier inlined into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn search_avx2(text: &[u8], run: &mut dyn FnMut(Range<usize>), escape: &mut dyn FnMut(usize)) {
    search::<Avx2, MIN_RUN>(text, run, escape);
}

/// How a chunk of 64 bytes is classified: one bit per byte.
trait Classify {
    /// Bits for base64 characters, and bits for `\` and `%`.
    fn classify(chunk: &[u8; 64]) -> (u64, u64);
}

/// The search itself, a chunk of 64 bytes at a time, each classified once. Word operations
/// find where a run of `MIN` starts in a chunk (or starts near its end and goes on into the
/// next), with no branch for the chunks that hold none; a run that goes on past its chunk is
/// followed a chunk at a time. (Looking for whole aligned blocks first measured slower: in a
/// real Django history 29% of chunks hold one, and each cost unpredictable branches.)
#[inline(always)]
fn search<C: Classify, const MIN: usize>(
    text: &[u8],
    run: &mut dyn FnMut(Range<usize>),
    escape: &mut dyn FnMut(usize),
) {
    let chunks = text.len().div_ceil(64);
    let full = text.len() / 64;
    let mut padded = [0u8; 64];
    padded[..text.len() % 64].copy_from_slice(&text[full * 64..]);
    // A method, not a closure: a closure would not inherit `search_avx2`'s AVX2, and the
    // classifier could then not be inlined into it (measured 12% slower on cached text).
    let chunks_of = Chunks::<C> {
        text,
        full,
        padded,
        classifier: std::marker::PhantomData,
    };
    let mut chunk = 0;
    let mut current = chunks_of.bits(0, escape);
    let mut next = chunks_of.bits(1, escape);
    // Bits of the current chunk below this one are consumed.
    let mut from_bit = 0u32;
    while chunk < chunks {
        let starts = run_starts::<MIN>(current, next) & (u64::MAX << from_bit);
        if starts == 0 {
            chunk += 1;
            from_bit = 0;
            current = next;
            next = chunks_of.bits(chunk + 1, escape);
            continue;
        }
        let bit = starts.trailing_zeros();
        let start = chunk * 64 + bit as usize;
        let in_chunk = (current >> bit).trailing_ones();
        if bit + in_chunk < 64 {
            run(start..start + in_chunk as usize);
            from_bit = bit + in_chunk;
            continue;
        }
        // The run goes on past this chunk: follow it.
        let mut after = chunk + 1;
        let mut bits = next;
        while bits == u64::MAX {
            after += 1;
            bits = chunks_of.bits(after, escape);
        }
        run(start..(after * 64 + bits.trailing_ones() as usize).min(text.len()));
        chunk = after;
        current = bits;
        next = chunks_of.bits(after + 1, escape);
        from_bit = bits.trailing_ones();
    }
}

/// A text's chunks of 64 bytes, the last partial one padded with NUL (neither base64 nor an
/// escape), classified by `C`.
struct Chunks<'t, C> {
    text: &'t [u8],
    /// Chunks that are whole.
    full: usize,
    padded: [u8; 64],
    classifier: std::marker::PhantomData<C>,
}

impl<C: Classify> Chunks<'_, C> {
    /// The base64 bits of chunk `chunk` (none past the end), after calling `escape` with the
    /// offset of each escape byte in it.
    #[inline(always)]
    fn bits(&self, chunk: usize, escape: &mut dyn FnMut(usize)) -> u64 {
        let bytes: &[u8; 64] = if chunk < self.full {
            self.text[chunk * 64..chunk * 64 + 64]
                .try_into()
                .unwrap_or(&self.padded)
        } else if chunk == self.full {
            &self.padded
        } else {
            return 0;
        };
        let (base64, mut escapes) = C::classify(bytes);
        while escapes != 0 {
            escape(chunk * 64 + escapes.trailing_zeros() as usize);
            escapes &= escapes - 1;
        }
        base64
    }
}

/// The bits of `current` where a run of at least `MIN` set bits starts, the run going on into
/// `next` (the following chunk) where it reaches the top.
#[inline(always)]
fn run_starts<const MIN: usize>(current: u64, next: u64) -> u64 {
    // Runs inside the chunk: a bit survives when the `MIN` bits from it up are set (bits past
    // the top shift in as clear, so a run reaching the top is cut there).
    let mut inside = current;
    let mut have = 1;
    while have < MIN {
        let step = (MIN - have).min(have);
        inside &= inside >> step;
        have += step;
    }
    // The run reaching the top, counted on into the next chunk.
    let top = current.leading_ones();
    let crossing = if top > 0 && (top + next.trailing_ones()) as usize >= MIN {
        1u64 << (64 - top)
    } else {
        0
    };
    inside | crossing
}

/// The alphabet as two nibble tables: a byte is base64 when the classes of its low and its high
/// nibble share one of the bits in [`BASE64`]. Class 1: high nibble 2, low B, D, F (`+ - /`);
/// 2: high 3, low 0-9; 4: high 4 or 6, low 1-F (`A-O a-o`); 8: high 5 or 7, low 0-A (`P-Z
/// p-z`); 16: high 5, low F (`_`). The escapes in [`ESCAPES`]: 32, high 5, low C (`\`); 64,
/// high 2, low 5 (`%`). Bytes from 0x80 have class 0 on both sides.
const LOW_CLASSES: [u8; 16] = [10, 14, 14, 14, 14, 78, 14, 14, 14, 14, 12, 5, 36, 5, 4, 21];
const HIGH_CLASSES: [u8; 16] = [0, 0, 65, 2, 4, 56, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0];
const BASE64: u8 = 0x1f;
const ESCAPES: u8 = 0x60;

/// A byte at a time, from the same tables: where AVX2 is missing, and for the tests.
struct Portable;

impl Classify for Portable {
    fn classify(chunk: &[u8; 64]) -> (u64, u64) {
        chunk
            .iter()
            .enumerate()
            .fold((0, 0), |(base64, escapes), (i, &b)| {
                let shared = classes(b);
                (
                    base64 | u64::from(shared & BASE64 != 0) << i,
                    escapes | u64::from(shared & ESCAPES != 0) << i,
                )
            })
    }
}

/// 32 bytes at a time: two table lookups give both classifications.
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    #[inline(always)]
    fn classify(chunk: &[u8; 64]) -> (u64, u64) {
        // SAFETY: this runs only inside `search_avx2`, whose caller checked for AVX2.
        #[allow(unsafe_code)]
        unsafe {
            classify_avx2(chunk)
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn classify_avx2(chunk: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
        _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
        _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16, _mm256_testz_si256,
        _mm_loadu_si128,
    };
    // SAFETY: both tables are 16 readable bytes and `chunk` is 64; the loads are unaligned.
    #[allow(unsafe_code)]
    let (low, high, halves) = unsafe {
        (
            _mm256_broadcastsi128_si256(_mm_loadu_si128(LOW_CLASSES.as_ptr().cast::<__m128i>())),
            _mm256_broadcastsi128_si256(_mm_loadu_si128(HIGH_CLASSES.as_ptr().cast::<__m128i>())),
            [
                _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>()),
                _mm256_loadu_si256(chunk.as_ptr().add(32).cast::<__m256i>()),
            ],
        )
    };
    // (No closures here: they would not inherit AVX2.)
    let mut shared = [_mm256_setzero_si256(); 2];
    for (classes, v) in shared.iter_mut().zip(halves) {
        // The shuffle reads a byte's low nibble and gives 0 for bytes from 0x80.
        let high_nibble = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f));
        *classes = _mm256_and_si256(
            _mm256_shuffle_epi8(low, v),
            _mm256_shuffle_epi8(high, high_nibble),
        );
    }
    let base64 = bits_of(shared, _mm256_set1_epi8(BASE64 as i8));
    let escapes = _mm256_set1_epi8(ESCAPES as i8);
    let either = _mm256_or_si256(shared[0], shared[1]);
    return if _mm256_testz_si256(either, escapes) == 1 {
        (base64, 0)
    } else {
        (base64, bits_of(shared, escapes))
    };

    /// One bit per byte whose class is among `wanted`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn bits_of(classes: [__m256i; 2], wanted: __m256i) -> u64 {
        let zero = _mm256_setzero_si256();
        let low = _mm256_movemask_epi8(_mm256_cmpeq_epi8(
            _mm256_and_si256(classes[0], wanted),
            zero,
        ));
        let high = _mm256_movemask_epi8(_mm256_cmpeq_epi8(
            _mm256_and_si256(classes[1], wanted),
            zero,
        ));
        !(u64::from(low as u32) | u64::from(high as u32) << 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Found = (Vec<Range<usize>>, Vec<usize>);

    /// The alphabet as the standard spells it, independent of the tables.
    fn alphabet(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
    }

    fn naive(text: &[u8], min: usize) -> Found {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if alphabet(text[i]) {
                let start = i;
                while i < text.len() && alphabet(text[i]) {
                    i += 1;
                }
                if i - start >= min {
                    runs.push(start..i);
                }
            } else {
                i += 1;
            }
        }
        let escapes = (0..text.len())
            .filter(|&i| matches!(text[i], b'\\' | b'%'))
            .collect();
        (runs, escapes)
    }

    /// What the search finds for runs of `MIN`, with the AVX2 and the portable classifier.
    fn fast<const MIN: usize>(text: &[u8]) -> Vec<Found> {
        let mut all = Vec::new();
        let mut portable = (Vec::new(), Vec::new());
        search::<Portable, MIN>(text, &mut |r| portable.0.push(r), &mut |e| {
            portable.1.push(e)
        });
        all.push(portable);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut avx2 = (Vec::new(), Vec::new());
            search::<Avx2, MIN>(text, &mut |r| avx2.0.push(r), &mut |e| avx2.1.push(e));
            all.push(avx2);
        }
        all
    }

    /// Every `MIN` the tests try, against the byte loop.
    fn check_all_mins(text: &[u8]) -> Result<(), TestCaseError> {
        for (min, found) in [
            (16, fast::<16>(text)),
            (20, fast::<20>(text)),
            (MIN_RUN, fast::<MIN_RUN>(text)),
            (33, fast::<33>(text)),
            (64, fast::<64>(text)),
        ] {
            let expected = naive(text, min);
            for found in found {
                prop_assert_eq!(&found, &expected, "min {}", min);
            }
        }
        Ok(())
    }

    #[test]
    fn every_byte_value_is_classified_as_the_alphabet_says() {
        let all: Vec<u8> = (0..=255u8).cycle().take(256 * 3).collect();
        let mut chunk = [0u8; 64];
        for block in all.chunks_exact(64) {
            chunk.copy_from_slice(block);
            let (bits, escapes) = Portable::classify(&chunk);
            for (i, &b) in block.iter().enumerate() {
                assert_eq!(bits >> i & 1 == 1, alphabet(b), "byte {b:#x}");
                assert_eq!(is_base64(b), alphabet(b), "byte {b:#x}");
                assert_eq!(escapes >> i & 1 == 1, b == b'\\' || b == b'%');
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                #[allow(unsafe_code)]
                let avx2 = unsafe { classify_avx2(&chunk) };
                assert_eq!(avx2, (bits, escapes));
            }
        }
    }

    #[test]
    fn runs_across_chunk_edges_and_at_the_end_are_whole() {
        let mut text = vec![b' '; 60];
        text.extend(std::iter::repeat_n(b'Q', 100));
        text.extend(b"\\n%");
        text.extend(std::iter::repeat_n(b'z', 300));
        text.extend(b"%2F");
        check_all_mins(&text).expect("as the byte loop");
        let mut found = Vec::new();
        runs_and_escapes(&text, |r| found.push(r), |_| {});
        assert_eq!(found, [60..160, 163..463]);
    }

    proptest! {
        #[test]
        fn the_fast_search_finds_exactly_what_a_byte_loop_finds(
            text in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'Z'), Just(b'7'), Just(b'/'), Just(b' '), Just(b'-'), Just(b'\\'), any::<u8>()], 0..700),
        ) {
            check_all_mins(&text)?;
        }

        #[test]
        fn long_runs_are_found_whatever_surrounds_them(
            before in 0usize..130, length in 16usize..300, after in 0usize..130,
        ) {
            let mut text = vec![b'.'; before];
            text.extend((0..length).map(|i| b"Az09+/_-"[i % 8]));
            text.extend(std::iter::repeat_n(b' ', after));
            check_all_mins(&text)?;
        }
    }
}
