//! The project's configuration file, `.blobhound.toml`: exclusions, allow lists, default options
//! and detector folders, so that a team silences its fixtures and vendored code once rather than
//! one line or one fingerprint at a time.
//!
//! A config read from the scanned repository is data, never code: nothing in it names a program
//! to run, every key is known (an unknown one is an error, so a typo never silently does
//! nothing), and the only files it can make blobhound read are detector folders inside the
//! repository itself ([`Config::detector_dirs`] refuses any that resolve outside it).
//!
//! Precedence, for every option: the command-line flag, then the config file, then the default.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::baseline::AllowList;
use crate::detectors::DetectorSet;
use crate::error::{Error, Result};
use crate::model::{Confidence, Finding, Fingerprinter};
use crate::report::exclude::{self, PathGlobs};
use crate::report::{Hidden, Report};

/// The file's name at a repository's root.
pub const FILE_NAME: &str = ".blobhound.toml";

/// A parsed config file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Gitignore-style globs of paths whose findings are not reported (archive members
    /// included): `tests/fixtures/`, `*.min.js`, `**/site-packages/`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Findings accepted on purpose.
    #[serde(default)]
    pub allow: Allow,
    /// Default options of `scan`, below any flag given.
    #[serde(default)]
    pub scan: ScanDefaults,
    /// Where the file was read from, for messages and to resolve `detectors`.
    #[serde(skip)]
    pub origin: Option<PathBuf>,
}

/// Findings accepted on purpose, by what they are or where they sit.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Allow {
    /// Fingerprints (`argon2id:…` or `hmac:…`), as `baseline create` writes them.
    #[serde(default)]
    pub fingerprints: Vec<String>,
    /// Detector ids whose findings are never reported.
    #[serde(default)]
    pub detectors: Vec<String>,
    /// Gitignore-style globs, as `exclude`, counted as allowed rather than excluded.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Defaults for `scan`'s options; a flag given on the command line wins.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanDefaults {
    /// The lowest confidence reported (`low`, `medium`, `high`).
    pub confidence: Option<Confidence>,
    /// Run only these detector ids.
    #[serde(default)]
    pub only: Vec<String>,
    /// Do not run these detector ids.
    #[serde(default)]
    pub skip: Vec<String>,
    /// Never print a whole secret.
    pub redact: Option<bool>,
    /// Folders of `*.toml` detector files, relative to the config file's folder.
    #[serde(default)]
    pub detectors: Vec<PathBuf>,
}

impl Config {
    /// Parses `text`, read from `origin`.
    pub fn parse(text: &str, origin: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: origin.to_path_buf(),
            message: e.message().to_string(),
        })?;
        config.origin = Some(origin.to_path_buf());
        // Checked now, so a bad glob is reported before a long scan.
        PathGlobs::new(&config.exclude).map_err(|message| Error::Config {
            path: origin.to_path_buf(),
            message: format!("exclude: {message}"),
        })?;
        PathGlobs::new(&config.allow.paths).map_err(|message| Error::Config {
            path: origin.to_path_buf(),
            message: format!("allow.paths: {message}"),
        })?;
        Ok(config)
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading the config {}", path.display()), e))?;
        Config::parse(&text, path)
    }

    /// The config at the root of the repository or directory `root`, if it has one.
    pub fn find(root: &Path) -> Result<Option<Config>> {
        let path = root.join(FILE_NAME);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => Err(Error::Config {
                path,
                message: "is a symbolic link; a repository's config must be a plain file (it \
                          could otherwise make blobhound read a file outside the repository)"
                    .to_string(),
            }),
            Ok(_) => Config::load(&path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(
                format!("reading the config {}", path.display()),
                e,
            )),
        }
    }

    /// Drops from `report` the findings that `extra_excludes` (`--exclude`) and this config's
    /// `exclude` and `allow` lists hide, recording in the report how many each hid; returns
    /// them (their secrets stay masked wherever a redacted report shows other text).
    pub fn hide(
        &self,
        extra_excludes: &[String],
        fingerprints: &Fingerprinter,
        report: &mut Report,
    ) -> Result<Vec<Finding>> {
        let origin = self
            .origin
            .clone()
            .unwrap_or_else(|| PathBuf::from("config"));
        let invalid = |what: &str, message: String| Error::Config {
            path: origin.clone(),
            message: format!("{what}: {message}"),
        };
        let patterns: Vec<String> = extra_excludes
            .iter()
            .chain(&self.exclude)
            .cloned()
            .collect();
        let excludes = PathGlobs::new(&patterns)
            .map_err(|message| Error::Usage(format!("--exclude {message}")))?;
        let allowed_paths =
            PathGlobs::new(&self.allow.paths).map_err(|m| invalid("allow.paths", m))?;
        let allowed = AllowList::from_entries(&self.allow.fingerprints, fingerprints)
            .map_err(|m| invalid("allow.fingerprints", m))?;
        let mut dropped = Vec::new();
        let mut hide = |report: &mut Report, filter: &str, hidden: Vec<Finding>, why: &str| {
            if !hidden.is_empty() {
                report
                    .hidden
                    .push(Hidden::new(filter, hidden.len() as u64, why));
                dropped.extend(hidden);
            }
        };
        let hidden = exclude::apply(&mut report.findings, &excludes);
        hide(
            report,
            "exclude",
            hidden,
            "only at excluded paths (--exclude, exclude)",
        );
        let hidden = exclude::apply(&mut report.findings, &allowed_paths);
        hide(
            report,
            "allow",
            hidden,
            "only at allowed paths (allow.paths)",
        );
        let (hidden, kept) = std::mem::take(&mut report.findings)
            .into_iter()
            .partition(|f| self.allow.detectors.contains(&f.detector));
        report.findings = kept;
        hide(
            report,
            "allow",
            hidden,
            "from allowed detectors (allow.detectors)",
        );
        let hidden = crate::baseline::apply(report, &allowed);
        hide(
            report,
            "allow",
            hidden,
            "with allowed fingerprints (allow.fingerprints)",
        );
        Ok(dropped)
    }

    /// The confidence floor of a run: the flag's, else this config's, else medium.
    pub fn min_confidence(&self, flag: Option<Confidence>) -> Confidence {
        flag.or(self.scan.confidence).unwrap_or(Confidence::Medium)
    }

    /// Adds to `set` the detectors of this config's folders (confined to the repository when
    /// the config came from it, see [`Config::detector_dirs`]), then those of `flag`'s folder
    /// (`--detectors`).
    pub fn add_detectors(
        &self,
        set: &mut DetectorSet,
        confine: bool,
        flag: Option<&Path>,
    ) -> Result<()> {
        for dir in self.detector_dirs(confine)? {
            set.extend_from_dir(&dir)?;
        }
        if let Some(dir) = flag {
            set.extend_from_dir(dir)?;
        }
        Ok(())
    }

    /// The detector folders, resolved against the config's folder. With `confine` (a config
    /// read from the scanned repository), each must resolve inside that folder.
    pub fn detector_dirs(&self, confine: bool) -> Result<Vec<PathBuf>> {
        let Some(origin) = &self.origin else {
            return Ok(Vec::new());
        };
        let base = origin.parent().unwrap_or(Path::new("."));
        let mut dirs = Vec::new();
        for dir in &self.scan.detectors {
            let joined = base.join(dir);
            if confine {
                let root = base
                    .canonicalize()
                    .map_err(|e| Error::io(format!("resolving {}", base.display()), e))?;
                let resolved = joined
                    .canonicalize()
                    .map_err(|e| Error::io(format!("resolving {}", joined.display()), e))?;
                if !resolved.starts_with(&root) {
                    return Err(Error::Config {
                        path: origin.clone(),
                        message: format!(
                            "scan.detectors: {} is outside the repository; a repository's config \
                             may only name folders inside it (use --detectors for others)",
                            dir.display()
                        ),
                    });
                }
                dirs.push(resolved);
            } else {
                dirs.push(joined);
            }
        }
        Ok(dirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses() {
        let config = Config::parse(
            r#"
exclude = ["tests/fixtures/", "*.min.js"]
[allow]
fingerprints = ["argon2id:00"]
detectors = ["generic-password"]
paths = ["docs/"]
[scan]
confidence = "high"
only = ["aws-access-key"]
redact = true
detectors = ["ci/detectors"]
"#,
            Path::new("repo/.blobhound.toml"),
        )
        .unwrap();
        assert_eq!(config.exclude, ["tests/fixtures/", "*.min.js"]);
        assert_eq!(config.allow.detectors, ["generic-password"]);
        assert_eq!(config.scan.confidence, Some(Confidence::High));
        assert_eq!(config.scan.redact, Some(true));
    }

    #[test]
    fn unknown_keys_and_bad_globs_are_errors_naming_the_file() {
        let err = Config::parse("exclud = []\n", Path::new("x/.blobhound.toml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("x/.blobhound.toml") && text.contains("exclud"),
            "{text}"
        );
        let err = Config::parse("exclude = [\"a[\"]\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("exclude"), "{err}");
        let err = Config::parse("[scan]\nrun = \"sh\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("run"), "{err}");
    }

    #[test]
    fn a_repository_config_cannot_name_a_folder_outside_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("inside")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        let origin = repo.join(FILE_NAME);
        let config = Config::parse("[scan]\ndetectors = [\"../outside\"]\n", &origin).unwrap();
        assert!(config.detector_dirs(true).is_err());
        assert_eq!(config.detector_dirs(false).unwrap().len(), 1);
        let config = Config::parse("[scan]\ndetectors = [\"inside\"]\n", &origin).unwrap();
        assert_eq!(config.detector_dirs(true).unwrap().len(), 1);
    }
}
