//! How far an artifact's upload got, kept on disk beside it in the spool (a small sidecar
//! file), so a restart resumes at that stage instead of starting over: the backend's upload
//! relay ingests on the PUT, so an artifact presigned again after its PUT was stored (a new
//! batch id) would be ingested twice.
//!
//! Each stage is durable before the next step starts: presigned (URL, batch id and the key
//! used) before the PUT, uploaded before the complete call. A restart with a presigned stage
//! PUTs the same URL (the relay stores a repeated PUT once); with an uploaded stage it only
//! completes (same batch id, same key).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A sidecar larger than this is not ours (URLs are well under it).
const MAX_STAGE: u64 = 16 * 1024;

/// The persisted stage of one artifact's upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UploadStage {
    /// Fresh keys taken before this presign (the key is derived from it).
    pub(super) represigns: u32,
    pub(super) url: String,
    pub(super) batch_id: String,
    /// The PUT was answered 2xx: only the complete call is left.
    pub(super) uploaded: bool,
}

/// The stage file and its temp file of one artifact (from [`crate::spool::Spool::stage_paths`]).
#[derive(Debug, Clone)]
pub(super) struct StageFile {
    pub(super) path: PathBuf,
    pub(super) tmp: PathBuf,
}

impl StageFile {
    /// The stage an earlier attempt (this run's or an earlier one's) left; none if there is
    /// no file or it is unreadable (then the upload starts over, as it would have).
    pub(super) fn load(&self) -> Option<UploadStage> {
        let small = fs::metadata(&self.path).is_ok_and(|m| m.len() <= MAX_STAGE);
        if !small {
            return None;
        }
        fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Persists the stage crash-safely (temp file, fsync, rename, fsync of the directory)
    /// before the step it allows starts.
    pub(super) fn store(&self, stage: &UploadStage) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(stage).map_err(std::io::Error::other)?;
        let result = (|| {
            let mut f = File::create(&self.tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&self.tmp, &self.path)?;
            match self.path.parent() {
                Some(dir) => sync_dir(dir),
                None => Ok(()),
            }
        })();
        if result.is_err() {
            let _ = fs::remove_file(&self.tmp);
        }
        result
    }

    /// The stage is of no more use (re-presigning: the old URL is gone).
    pub(super) fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir).and_then(|d| d.sync_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_stage_loads_back_and_garbage_loads_as_none() {
        let dir = std::env::temp_dir().join(format!(
            "rj-stage-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        fs::create_dir_all(&dir).unwrap();
        let f = StageFile {
            path: dir.join("1.stage"),
            tmp: dir.join("1.stagetmp"),
        };
        assert_eq!(f.load(), None);
        let st = UploadStage {
            represigns: 2,
            url: "http://127.0.0.1/upload/b1".into(),
            batch_id: "b1".into(),
            uploaded: true,
        };
        f.store(&st).unwrap();
        assert_eq!(f.load(), Some(st));
        assert!(!f.tmp.exists());
        fs::write(&f.path, b"{not json").unwrap();
        assert_eq!(f.load(), None);
        f.remove();
        assert!(!f.path.exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
