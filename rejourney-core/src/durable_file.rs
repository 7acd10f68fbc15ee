//! Small files that must survive a kill and a power cut once written (the consent answer,
//! the purge marker): temp file, fsync, rename, fsync of the directory. Only for the
//! threads that own the disk (never the host's).

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` so that after it returns the file holds them, whatever happens
/// next. The temp file is `<name>.partial`, not `.tmp`: the spool shares its directory with
/// these files and deletes `*.tmp` when it opens it, which may be while this write runs.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = path.with_extension("partial");
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    sync_dir(dir)
}

/// Deletes `path` durably (the directory entry's removal is on disk when it returns). A file
/// already gone is not an error.
pub fn remove(path: &Path) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// A rename or deletion in `dir` is durable only once the directory is.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir).and_then(|d| d.sync_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_removes() {
        let d = std::env::temp_dir().join(format!(
            "rj-durable-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let p = d.join("marker");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert!(!p.with_extension("partial").exists());
        remove(&p).unwrap();
        assert!(!p.exists());
        remove(&p).unwrap();
    }
}
