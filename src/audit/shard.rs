//! `--shard K/N`: a deterministic share of a server's repositories, so that N machines (a
//! Kubernetes Indexed Job, a CI matrix, a Slurm array) each audit one share with no coordinator.
//! A repository's share follows from its name alone, so every worker agrees on it wherever it
//! runs and however discovery ordered what it found.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Share `index` of `count`, numbered from 0 (as `$JOB_COMPLETION_INDEX` is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which share, from 0 to `count - 1`.
    pub index: u64,
    /// How many shares.
    pub count: u64,
}

impl Shard {
    /// Parses `K/N`.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = |why: &str| Error::Usage(format!("--shard {text:?}: {why}"));
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| bad("give it as K/N, e.g. 0/4"))?;
        let number = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad("K and N must be whole numbers"))
        };
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 {
            return Err(bad("N must be at least 1"));
        }
        if index >= count {
            return Err(bad(&format!("shards are numbered from 0 to {}", count - 1)));
        }
        Ok(Shard { index, count })
    }

    /// Whether the repository called `name` is in this share.
    pub fn holds(&self, name: &str) -> bool {
        let digest = Sha256::digest(name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repository_is_in_exactly_one_share() {
        let shards: Vec<Shard> = (0..3).map(|k| Shard { index: k, count: 3 }).collect();
        let mut sizes = [0; 3];
        for i in 0..300 {
            let name = format!("team{}/svc{i}", i % 7);
            let holding: Vec<usize> = (0..3).filter(|&k| shards[k].holds(&name)).collect();
            assert_eq!(holding.len(), 1, "{name}");
            sizes[holding[0]] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 60), "{sizes:?}");
    }

    #[test]
    fn bad_shards_are_usage_errors() {
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }
}
