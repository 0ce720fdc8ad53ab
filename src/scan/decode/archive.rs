//! Archives and compressed streams, opened in memory from the blob's bytes: nothing is written
//! to disk, and every member is read within the bounds of [`super::bounded`]. Members come out
//! as bytes with their paths; what could not be read comes out with the reason.

use std::cell::Cell;
use std::io::{Cursor, Read};

use super::bounded::{read_all, Allowance, Counting, Stop, Unpacked};
use super::sniff::Packed;

/// What an archive may hold.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The largest member read (the same bound as for a blob).
    pub max_member_size: u64,
    /// The most members read from one archive.
    pub max_members: u64,
}

/// A piece of an archive: a member's bytes (what was read of it), or a member that could not be
/// read at all.
#[derive(Debug)]
pub enum Part {
    /// A member (its path; a compressed stream has none), its bytes, and why reading stopped
    /// early, if it did.
    Member {
        /// The path inside the archive.
        path: Option<String>,
        /// What was read.
        unpacked: Unpacked,
    },
    /// A member (or the whole archive) that was not read.
    Unread {
        /// The member's path, when known.
        path: Option<String>,
        /// Why.
        stop: Stop,
        /// Its size, when the archive declares it.
        size: Option<u64>,
    },
    /// More members than [`Bounds::max_members`]: the rest were not read.
    TooManyMembers {
        /// How many the archive holds, when it says.
        total: Option<u64>,
    },
}

/// Opens `data` as `format` and hands over each member in order.
pub fn open(
    format: Packed,
    data: &[u8],
    bounds: Bounds,
    allowance: &Allowance<'_>,
    each: &mut dyn FnMut(Part),
) {
    match format {
        Packed::Zip => zip(data, bounds, allowance, each),
        Packed::Tar => tar(data, bounds, allowance, each),
        Packed::Gzip => stream(data, allowance, each, gzip),
        Packed::Zlib => stream(data, allowance, each, zlib),
        Packed::Bzip2 => stream(data, allowance, each, bzip2),
        Packed::Xz => stream(data, allowance, each, xz),
        Packed::Zstd => stream(data, allowance, each, zstd),
        // Databases are read cell by cell (`super::sqlite`), not as a byte stream.
        Packed::Sqlite => {}
    }
}

type Decoder<'a> = Box<dyn Read + 'a>;
type Input<'a> = Counting<'a, &'a [u8]>;

fn gzip(input: Input<'_>) -> Result<Decoder<'_>, String> {
    Ok(Box::new(flate2::read::MultiGzDecoder::new(input)))
}

fn zlib(input: Input<'_>) -> Result<Decoder<'_>, String> {
    Ok(Box::new(flate2::read::ZlibDecoder::new(input)))
}

fn bzip2(input: Input<'_>) -> Result<Decoder<'_>, String> {
    Ok(Box::new(bzip2::read::MultiBzDecoder::new(input)))
}

fn xz(input: Input<'_>) -> Result<Decoder<'_>, String> {
    // A hostile header may ask for a dictionary of gigabytes; 64 MiB covers `xz -9`.
    Ok(Box::new(lzma_rust2::XzReader::new_mem_limit(
        input,
        true,
        64 * 1024,
    )))
}

fn zstd(input: Input<'_>) -> Result<Decoder<'_>, String> {
    match ruzstd::decoding::StreamingDecoder::new(input) {
        Ok(decoder) => Ok(Box::new(decoder)),
        Err(e) => Err(format!("zstd: {e}")),
    }
}

/// A compressed stream: one member without a path, whose expansion ratio is watched.
fn stream(
    data: &[u8],
    allowance: &Allowance<'_>,
    each: &mut dyn FnMut(Part),
    decoder: fn(Input<'_>) -> Result<Decoder<'_>, String>,
) {
    let consumed = Cell::new(0);
    let opened = decoder(Counting::new(data, &consumed));
    match opened {
        Ok(reader) => {
            let unpacked = read_all(reader, u64::MAX, &|| consumed.get(), allowance);
            each(Part::Member {
                path: None,
                unpacked,
            });
        }
        Err(message) => each(Part::Unread {
            path: None,
            stop: Stop::Corrupt(message),
            size: None,
        }),
    };
}

fn zip(data: &[u8], bounds: Bounds, allowance: &Allowance<'_>, each: &mut dyn FnMut(Part)) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(archive) => archive,
        Err(e) => {
            return each(Part::Unread {
                path: None,
                stop: Stop::Corrupt(format!("zip: {e}")),
                size: None,
            })
        }
    };
    let total = archive.len() as u64;
    for index in 0..archive.len() {
        if index as u64 >= bounds.max_members {
            return each(Part::TooManyMembers { total: Some(total) });
        }
        let name = archive
            .name_for_index(index)
            .and_then(|n| n.ok())
            .map(|n| n.into_owned());
        let mut member = match archive.by_index(index) {
            Ok(member) => member,
            Err(e) => {
                let path = name;
                each(Part::Unread {
                    path,
                    stop: Stop::Corrupt(format!("zip: {e}")),
                    size: None,
                });
                continue;
            }
        };
        if member.is_dir() || member.is_symlink() {
            continue;
        }
        let path = Some(
            member
                .name()
                .map_or_else(|_| format!("member {index}"), |n| n.into_owned()),
        );
        let size = member.size();
        if size > bounds.max_member_size {
            each(Part::Unread {
                path,
                stop: Stop::TooLarge {
                    limit: bounds.max_member_size,
                },
                size: Some(size),
            });
            continue;
        }
        let compressed = member.compressed_size();
        let unpacked = read_all(
            &mut member,
            bounds.max_member_size,
            &|| compressed,
            allowance,
        );
        let spent = matches!(
            unpacked.stop,
            Some(Stop::BlobAllowance | Stop::ScanAllowance)
        );
        each(Part::Member { path, unpacked });
        if spent {
            return;
        }
    }
}

fn tar(data: &[u8], bounds: Bounds, allowance: &Allowance<'_>, each: &mut dyn FnMut(Part)) {
    let mut archive = tar::Archive::new(Cursor::new(data));
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => {
            return each(Part::Unread {
                path: None,
                stop: Stop::Corrupt(format!("tar: {e}")),
                size: None,
            })
        }
    };
    let mut count = 0u64;
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                return each(Part::Unread {
                    path: None,
                    stop: Stop::Corrupt(format!("tar: {e}")),
                    size: None,
                })
            }
        };
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        count += 1;
        if count > bounds.max_members {
            return each(Part::TooManyMembers { total: None });
        }
        let path = Some(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
        let size = entry.size();
        if size > bounds.max_member_size {
            each(Part::Unread {
                path,
                stop: Stop::TooLarge {
                    limit: bounds.max_member_size,
                },
                size: Some(size),
            });
            continue;
        }
        let unpacked = read_all(&mut entry, bounds.max_member_size, &|| u64::MAX, allowance);
        let spent = matches!(
            unpacked.stop,
            Some(Stop::BlobAllowance | Stop::ScanAllowance)
        );
        each(Part::Member { path, unpacked });
        if spent {
            return;
        }
    }
}
