//! Opening a repository for reading only: isolated from the user's and system configuration (a
//! scanned repository's config must not run anything), no index refresh, no lock files, and a
//! delta-base cache sized for reading history newest first.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Memory for decoded delta bases during the history walk, per thread. Trees are read newest first,
/// so the base a delta needs was almost always decoded just before: 8 MiB was as fast as 32 MiB on
/// the synthetic and real repositories measured, and slightly faster on the synthetic one.
const DELTA_BASE_CACHE_BYTES: usize = 8 * 1024 * 1024;

/// A repository found for a scan target.
pub struct Found {
    /// The repository.
    pub repo: gix::Repository,
    /// The directory the target names inside the repository's working tree, when the target is
    /// a subdirectory of it rather than the repository itself.
    pub subdirectory: Option<PathBuf>,
}

/// Opens `path` as a repository if it is one; `None` for anything that is not a repository.
/// Only the path itself is considered (no search upwards), and nothing is written.
pub fn open(path: &Path) -> Result<Option<gix::Repository>> {
    let looks_like_repo = path.join(".git").exists()
        || (path.join("HEAD").is_file() && path.join("objects").is_dir());
    if !looks_like_repo {
        return Ok(None);
    }
    open_git_dir(path).map(Some)
}

/// Finds the repository `path` belongs to the way git does: `path` itself, or the nearest parent
/// with a `.git`, stopping at `GIT_CEILING_DIRECTORIES`. `None` when `path` is in no repository.
pub fn discover(path: &Path) -> Result<Option<Found>> {
    if let Some(repo) = open(path)? {
        return Ok(Some(Found {
            repo,
            subdirectory: None,
        }));
    }
    let Ok(absolute) = path.canonicalize() else {
        return Ok(None);
    };
    // As git does, a ceiling that is not above `path` is ignored rather than an error.
    let options = gix::discover::upwards::Options {
        match_ceiling_dir_or_error: false,
        ..Default::default()
    }
    .apply_environment();
    let Ok((found, _trust)) = gix::discover::upwards_opts(&absolute, options) else {
        return Ok(None);
    };
    let (_git_dir, work_dir) = found.into_repository_and_work_tree_directories();
    // Inside a bare repository's own directories there is no working tree to be a subdirectory of.
    let Some(work_dir) = work_dir else {
        return Ok(None);
    };
    let Some(repo) = open(&work_dir)? else {
        return Ok(None);
    };
    let root = work_dir.canonicalize().unwrap_or(work_dir);
    let subdirectory = absolute
        .strip_prefix(&root)
        .ok()
        .filter(|rest| !rest.as_os_str().is_empty())
        .map(Path::to_path_buf);
    Ok(Some(Found { repo, subdirectory }))
}

fn open_git_dir(path: &Path) -> Result<gix::Repository> {
    match gix::open_opts(path, gix::open::Options::isolated()) {
        Ok(mut repo) => {
            // The history walk reads each tree once, so caching whole objects buys nothing, but
            // trees are stored as deltas against each other: cache delta bases, by hash (gix's
            // default static cache scans linearly, which cost 14% of a 40,000-commit walk).
            repo.object_cache_size(None);
            cache_delta_bases(&mut repo.objects);
            Ok(repo)
        }
        Err(e) => Err(Error::OpenRepository {
            path: path.to_path_buf(),
            hint: sha256_repository(path).then_some(
                "it uses SHA-256 object ids (extensions.objectFormat = sha256), which blobhound \
                 does not read yet",
            ),
            source: Box::new(e),
        }),
    }
}

/// Whether the repository at `path` (a work tree or a git directory) declares SHA-256 object ids,
/// which gix opens only with a feature blobhound does not build with.
fn sha256_repository(path: &Path) -> bool {
    [path.join("config"), path.join(".git").join("config")]
        .iter()
        .filter_map(|config| std::fs::read_to_string(config).ok())
        .any(|text| {
            text.lines().any(|line| {
                let line = line.trim().to_ascii_lowercase().replace(' ', "");
                line == "objectformat=sha256"
            })
        })
}

/// Gives `objects` a delta-base cache keyed by hash. Every object database blobhound reads
/// through gets one (a push's quarantine too: its trees are deltas of each other, and without a
/// cache each read rebuilt its whole chain, which made a 20,000-commit push 3.5x slower).
pub fn cache_delta_bases(objects: &mut gix::odb::Handle) {
    objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            DELTA_BASE_CACHE_BYTES,
        ))
    });
}

/// Whether the repository is a partial clone (objects were left on the server on purpose).
pub fn is_partial_clone(repo: &gix::Repository) -> bool {
    let config = repo.config_snapshot();
    config.string("extensions.partialClone").is_some()
        || config.boolean("remote.origin.promisor").unwrap_or(false)
}
