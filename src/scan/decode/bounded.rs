//! Reading unpacked bytes within bounds. Every byte an archive or a compressed stream yields is
//! charged to the blob's allowance and to the scan's, and a stream that expands far more than
//! real files do is stopped after its first mebibyte: a bomb costs milliseconds, not memory.

use std::cell::Cell;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// Output a stream may produce before its compression ratio is judged.
const RATIO_GRACE: u64 = 1 << 20;
/// The compression ratio no real file reaches (deflate's own ceiling is about 1032:1; text, SQL
/// dumps and logs stay well below 100:1).
pub const MAX_RATIO: u64 = 250;
/// Bytes read at a time.
const CHUNK: usize = 64 * 1024;

/// What one blob may still unpack, and what the whole scan may.
pub struct Allowance<'a> {
    /// Bytes this blob may still unpack (a cell: nested archives charge it while their parent
    /// is being read).
    pub blob_left: Cell<u64>,
    /// Bytes the scan may still unpack, shared by every thread.
    pub scan_left: &'a AtomicU64,
}

/// Why unpacking stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The member or stream is larger than `limit`.
    TooLarge {
        /// The bound.
        limit: u64,
    },
    /// The blob's allowance ran out.
    BlobAllowance,
    /// The scan's allowance ran out.
    ScanAllowance,
    /// It expanded more than [`MAX_RATIO`] times.
    Ratio,
    /// The decoder failed (corrupt data, unsupported method).
    Corrupt(String),
}

impl Allowance<'_> {
    /// Takes `bytes` from both allowances, or says which one is short.
    pub fn charge(&self, bytes: u64) -> Result<(), Stop> {
        if bytes > self.blob_left.get() {
            return Err(Stop::BlobAllowance);
        }
        self.scan_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .map_err(|_| Stop::ScanAllowance)?;
        self.blob_left.set(self.blob_left.get() - bytes);
        Ok(())
    }
}

/// A reader that counts what its decoder consumed, for the ratio check.
pub struct Counting<'c, R> {
    inner: R,
    count: &'c Cell<u64>,
}

impl<'c, R> Counting<'c, R> {
    /// Counts bytes read from `inner` into `count`.
    pub fn new(inner: R, count: &'c Cell<u64>) -> Self {
        Counting { inner, count }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// What a bounded read produced: everything, or what came before it stopped (still worth
/// scanning: the head of a truncated dump holds secrets too) and why it stopped.
#[derive(Debug, PartialEq, Eq)]
pub struct Unpacked {
    /// The bytes read.
    pub data: Vec<u8>,
    /// Why reading stopped before the end, if it did.
    pub stop: Option<Stop>,
}

/// Reads all of `reader`, at most `limit` bytes, charging `allowance`; `compressed` says how many
/// input bytes produced the output so far (for the ratio check; `u64::MAX` for none).
pub fn read_all(
    mut reader: impl Read,
    limit: u64,
    compressed: &dyn Fn() -> u64,
    allowance: &Allowance<'_>,
) -> Unpacked {
    let mut data = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    let stop = loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(Stop::Corrupt(e.to_string())),
        };
        if data.len() as u64 + n as u64 > limit {
            break Some(Stop::TooLarge { limit });
        }
        if let Err(stop) = allowance.charge(n as u64) {
            break Some(stop);
        }
        data.extend_from_slice(&chunk[..n]);
        let produced = data.len() as u64;
        if produced > RATIO_GRACE && produced > compressed().max(1).saturating_mul(MAX_RATIO) {
            break Some(Stop::Ratio);
        }
    };
    Unpacked { data, stop }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_of_zeros_is_stopped_by_its_ratio_after_a_mebibyte() {
        let left = AtomicU64::new(u64::MAX);
        let allowance = Allowance {
            blob_left: Cell::new(u64::MAX),
            scan_left: &left,
        };
        let zeros = io::repeat(0).take(1 << 30);
        let got = read_all(zeros, u64::MAX, &|| 100, &allowance);
        assert_eq!(got.stop, Some(Stop::Ratio));
        assert!(u64::MAX - allowance.blob_left.get() < 2 << 20);
    }

    #[test]
    fn allowances_and_limits_stop_reading() {
        let left = AtomicU64::new(10);
        let allowance = Allowance {
            blob_left: Cell::new(100),
            scan_left: &left,
        };
        let data = vec![b'a'; 50];
        let stop = |limit| read_all(&data[..], limit, &|| 50, &allowance).stop;
        assert_eq!(stop(40), Some(Stop::TooLarge { limit: 40 }));
        assert_eq!(stop(100), Some(Stop::ScanAllowance));
        left.store(1000, Ordering::Relaxed);
        let all = read_all(&data[..], 100, &|| 50, &allowance);
        assert_eq!(
            all,
            Unpacked {
                data: data.clone(),
                stop: None
            }
        );
        assert_eq!(allowance.blob_left.get(), 50);
    }
}
