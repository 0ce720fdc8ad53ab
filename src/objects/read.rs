//! Reading one object the same way in every mode: the header first, so that a blob over the size
//! limit is skipped by the size git records for it instead of being inflated (a 2 GiB file of
//! zeros compresses to a few MiB and would otherwise take 2 GiB of memory).

use gix::objs::{Exists, Find, FindHeader, Kind};
use gix::ObjectId;

/// Something that can say whether it has an object, read its header, and read it.
pub trait Objects: Find + FindHeader + Exists {}

impl<T: Find + FindHeader + Exists> Objects for T {}

/// What reading one object gave.
pub enum Fetched<'a> {
    /// The object, inflated.
    Object {
        /// Its kind.
        kind: Kind,
        /// Its bytes.
        data: &'a [u8],
    },
    /// A blob larger than the limit, left compressed.
    TooLarge {
        /// Its size according to its header.
        size: u64,
    },
    /// The object database does not have it.
    Missing,
    /// It is there but cannot be read.
    Corrupt(String),
}

/// Reads object `id` into `buf`, or only its header when it is a blob larger than `max_blob_size`.
pub fn fetch<'a>(
    objects: &dyn Objects,
    id: &ObjectId,
    max_blob_size: u64,
    buf: &'a mut Vec<u8>,
) -> Fetched<'a> {
    match objects.try_header(id) {
        Ok(Some(header)) if header.kind == Kind::Blob && header.size > max_blob_size => {
            return Fetched::TooLarge { size: header.size };
        }
        Ok(Some(_)) => {}
        Ok(None) => return Fetched::Missing,
        Err(e) => return Fetched::Corrupt(e.to_string()),
    }
    match objects.try_find(id, buf) {
        Ok(Some(data)) => Fetched::Object {
            kind: data.kind,
            data: data.data,
        },
        Ok(None) => Fetched::Missing,
        Err(e) => Fetched::Corrupt(e.to_string()),
    }
}

/// Reads objects from `first`, then from `second`: a push's quarantine, then the repository.
pub struct Layered<'a> {
    /// Searched first.
    pub first: &'a dyn Objects,
    /// Searched when `first` lacks the object.
    pub second: &'a dyn Objects,
}

impl Layered<'_> {
    fn pick(&self, id: &gix::oid) -> &dyn Objects {
        if self.first.exists(id) {
            self.first
        } else {
            self.second
        }
    }
}

impl Find for Layered<'_> {
    fn try_find<'a>(
        &self,
        id: &gix::oid,
        buffer: &'a mut Vec<u8>,
    ) -> gix::Result<Option<gix::objs::Data<'a>>> {
        self.pick(id).try_find(id, buffer)
    }
}

impl FindHeader for Layered<'_> {
    fn try_header(&self, id: &gix::oid) -> gix::Result<Option<gix::objs::Header>> {
        self.pick(id).try_header(id)
    }
}

impl Exists for Layered<'_> {
    fn exists(&self, id: &gix::oid) -> bool {
        self.first.exists(id) || self.second.exists(id)
    }
}
