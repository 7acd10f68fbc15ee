//! The on-disk spool: every artifact (frame bundle, hierarchy snapshot, event batch, session
//! end, fault) is persisted here before its first upload attempt and removed only after the
//! backend confirmed it. A crash, a kill or a reboot loses nothing that reached the spool.
//!
//! One file per artifact, written crash-safely (temp file, fsync, rename, fsync of the
//! directory). File layout: `RJSPOOL1` magic, u32 BE header length, header JSON
//! ([`ArtifactMeta`]), u64 BE body length, u32 BE CRC-32 of the body, body. A file that fails
//! any check is moved to `quarantine/` and counted, never a crash. The spool has a byte quota:
//! past it the oldest artifacts are evicted and counted.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::artifact::{ArtifactKind, ArtifactMeta};

const MAGIC: &[u8; 8] = b"RJSPOOL1";
const EXT: &str = "rjs";
/// The sidecar of an artifact's upload stage (`upload::stage`), and its temp file.
const STAGE_EXT: &str = "stage";
const STAGE_TMP_EXT: &str = "stagetmp";
/// Ids at or above this are not ours (we count up from 1): such a file is quarantined.
const MAX_ID: u64 = 1 << 53;
/// Headers are small JSON; anything larger is corruption.
const MAX_HEADER: usize = 64 * 1024;
/// Quarantined files kept for inspection; older ones are deleted.
const MAX_QUARANTINED: usize = 20;

/// Limits of the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpoolLimits {
    /// Most bytes of artifacts on disk (bodies and headers).
    pub quota_bytes: u64,
    /// Most artifacts on disk.
    pub max_files: usize,
}

impl Default for SpoolLimits {
    fn default() -> Self {
        Self {
            quota_bytes: 50 * 1024 * 1024,
            max_files: 2_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("artifact of {size} bytes exceeds the spool quota of {quota}")]
    TooLarge { size: u64, quota: u64 },
    #[error("spool entry {0} is corrupt and was quarantined")]
    Corrupt(u64),
    #[error("no spool entry {0}")]
    Missing(u64),
    /// The spool was cleared (opt-out) while this artifact was being written: it is gone.
    #[error("the spool was cleared during the write")]
    Cleared,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An artifact on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolEntry {
    pub id: u64,
    pub meta: ArtifactMeta,
    pub file_bytes: u64,
}

/// What [`Spool::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    pub resumed: usize,
    pub quarantined: usize,
    pub temp_files_removed: usize,
}

/// Counters the spool keeps (reported through telemetry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpoolCounters {
    pub written: u64,
    pub removed: u64,
    pub evicted: u64,
    pub evicted_bytes: u64,
    pub quarantined: u64,
    pub write_errors: u64,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    limits: SpoolLimits,
    entries: BTreeMap<u64, SpoolEntry>,
    total_bytes: u64,
    next_id: u64,
    /// Writes reserved and not finished: their bytes and files count against the limits.
    pending_bytes: u64,
    pending_files: usize,
    /// Bumped by [`Spool::clear`]: a write reserved before it is deleted when it finishes.
    generation: u64,
    pub counters: SpoolCounters,
}

/// A stalled disk for the workspace's tests and benches (`test-hooks` feature, compiled
/// out of every other build): every spool write (and open) under a stalled directory sleeps
/// first; a held directory's writes or deletions wait until it is released (a disk that
/// answers nothing, for as long as a test needs, with no timing in the test).
#[cfg(feature = "test-hooks")]
pub mod test_hooks;

/// A write reserved by [`Spool::begin_put`]: its id and bytes are counted, its file is
/// written by [`PendingPut::write`] without the spool (so without the lock that guards it:
/// readers of the spool never wait on the disk), and it joins the spool at
/// [`Spool::finish_put`].
#[derive(Debug)]
pub struct PendingPut {
    id: u64,
    size: u64,
    dir: PathBuf,
    path: PathBuf,
    header: Vec<u8>,
    meta: ArtifactMeta,
    generation: u64,
}

impl PendingPut {
    pub fn meta(&self) -> &ArtifactMeta {
        &self.meta
    }

    /// Writes the file crash-safely: temp file, fsync, rename, fsync of the directory.
    pub fn write(&self, body: &[u8]) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        let result = (|| {
            let mut f = File::create(&tmp)?;
            #[cfg(feature = "test-hooks")]
            test_hooks::stall(&self.dir);
            if body.len() as u64 + (MAGIC.len() + 4 + self.header.len() + 8 + 4) as u64 != self.size
            {
                return Err(std::io::Error::other("body is not the reserved size"));
            }
            let mut crc = flate2::Crc::new();
            crc.update(body);
            f.write_all(MAGIC)?;
            f.write_all(&(self.header.len() as u32).to_be_bytes())?;
            f.write_all(&self.header)?;
            f.write_all(&(body.len() as u64).to_be_bytes())?;
            f.write_all(&crc.sum().to_be_bytes())?;
            f.write_all(body)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // The rename is durable only once the directory entry is.
            File::open(&self.dir).and_then(|d| d.sync_all())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl Spool {
    /// Opens (creating) the spool at `dir` and indexes what earlier runs left. Leftover temp
    /// files are removed; corrupt files are quarantined.
    pub fn open(
        dir: impl Into<PathBuf>,
        limits: SpoolLimits,
    ) -> Result<(Self, OpenReport), SpoolError> {
        let mut spool = Self::empty_at(dir, limits)?;
        #[cfg(feature = "test-hooks")]
        test_hooks::stall(&spool.dir);
        let mut report = OpenReport::default();
        let listing = fs::read_dir(&spool.dir).map_err(io(&spool.dir))?;
        let mut names: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        let mut stages = Vec::new();
        for path in names {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
                // Ids are counted up from 1; a name near u64::MAX was not written by us and
                // would overflow the next id.
                .filter(|id| *id < MAX_ID);
            match (ext, id) {
                (STAGE_EXT, Some(id)) => stages.push((id, path)),
                ("tmp" | STAGE_TMP_EXT, _) => {
                    let _ = fs::remove_file(&path);
                    report.temp_files_removed += 1;
                }
                (EXT, Some(id)) => match read_file(&path, false) {
                    Ok((meta, file_bytes, _)) => {
                        spool.total_bytes = spool.total_bytes.saturating_add(file_bytes);
                        spool.next_id = spool.next_id.max(id.saturating_add(1));
                        spool.entries.insert(
                            id,
                            SpoolEntry {
                                id,
                                meta,
                                file_bytes,
                            },
                        );
                        report.resumed += 1;
                    }
                    Err(_) => {
                        spool.quarantine(&path);
                        report.quarantined += 1;
                    }
                },
                (EXT, None) => {
                    spool.quarantine(&path);
                    report.quarantined += 1;
                }
                _ => {}
            }
        }
        // A stage whose artifact is gone (delivered or dropped, and the process died
        // before deleting the sidecar) is of no use.
        for (id, path) in stages {
            if !spool.entries.contains_key(&id) {
                let _ = fs::remove_file(path);
            }
        }
        spool.enforce_limits(0);
        Ok((spool, report))
    }

    /// A spool at `dir` that has read nothing of it yet (the directory is created, so an
    /// unusable path is still an error here): the client holds one while the spooler thread
    /// runs [`Spool::open`], so the launch thread never waits on reading what earlier runs
    /// left. Only for a spool nothing writes to before it is replaced (ids start at 1).
    pub fn empty_at(dir: impl Into<PathBuf>, limits: SpoolLimits) -> Result<Self, SpoolError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        Ok(Self {
            dir,
            limits,
            entries: BTreeMap::new(),
            total_bytes: 0,
            next_id: 1,
            pending_bytes: 0,
            pending_files: 0,
            generation: 0,
            counters: SpoolCounters::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Entries oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &SpoolEntry> {
        self.entries.values()
    }

    pub fn oldest(&self) -> Option<&SpoolEntry> {
        self.entries.values().next()
    }

    fn path_of(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:016}.{EXT}"))
    }

    /// The sidecar file of artifact `id`'s upload stage, and its temp file (written by the
    /// upload thread; deleted with the artifact, and as an orphan on open).
    pub fn stage_paths(&self, id: u64) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{id:016}.{STAGE_EXT}")),
            self.dir.join(format!("{id:016}.{STAGE_TMP_EXT}")),
        )
    }

    /// Persists an artifact durably and returns its id. Makes room by evicting the oldest
    /// artifacts if the quota requires it (each eviction counted). Writes while the spool is
    /// borrowed; a thread sharing the spool uses [`Spool::begin_put`] and writes unlocked.
    pub fn put(&mut self, meta: &ArtifactMeta, body: &[u8]) -> Result<u64, SpoolError> {
        let pending = self.begin_put(meta, body.len())?;
        let written = pending.write(body);
        self.finish_put(pending, written)
    }

    /// Reserves room and an id for an artifact of `body_len` bytes, evicting the oldest
    /// artifacts if the quota requires it (each eviction counted).
    pub fn begin_put(
        &mut self,
        meta: &ArtifactMeta,
        body_len: usize,
    ) -> Result<PendingPut, SpoolError> {
        let header = serde_json::to_vec(meta).map_err(|e| SpoolError::Io {
            path: self.dir.clone(),
            source: e.into(),
        })?;
        let size = (MAGIC.len() + 4 + header.len() + 8 + 4 + body_len) as u64;
        if size > self.limits.quota_bytes {
            self.counters.write_errors += 1;
            return Err(SpoolError::TooLarge {
                size,
                quota: self.limits.quota_bytes,
            });
        }
        self.enforce_limits(size);
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.pending_bytes = self.pending_bytes.saturating_add(size);
        self.pending_files += 1;
        Ok(PendingPut {
            id,
            size,
            dir: self.dir.clone(),
            path: self.path_of(id),
            header,
            meta: meta.clone(),
            generation: self.generation,
        })
    }

    /// Settles a reserved write: the artifact joins the spool if its file was written (and
    /// the spool was not cleared meanwhile); returns its id.
    pub fn finish_put(
        &mut self,
        pending: PendingPut,
        written: std::io::Result<()>,
    ) -> Result<u64, SpoolError> {
        self.pending_bytes = self.pending_bytes.saturating_sub(pending.size);
        self.pending_files = self.pending_files.saturating_sub(1);
        if let Err(source) = written {
            self.counters.write_errors += 1;
            return Err(SpoolError::Io {
                path: pending.path,
                source,
            });
        }
        if pending.generation != self.generation {
            let _ = fs::remove_file(&pending.path);
            return Err(SpoolError::Cleared);
        }
        let PendingPut { id, size, meta, .. } = pending;
        self.entries.insert(
            id,
            SpoolEntry {
                id,
                meta,
                file_bytes: size,
            },
        );
        self.total_bytes = self.total_bytes.saturating_add(size);
        self.counters.written += 1;
        Ok(id)
    }

    /// Reads an artifact's body, verifying its checksum. A corrupt file is quarantined.
    pub fn read(&mut self, id: u64) -> Result<(ArtifactMeta, Vec<u8>), SpoolError> {
        if !self.entries.contains_key(&id) {
            return Err(SpoolError::Missing(id));
        }
        let path = self.path_of(id);
        match read_file(&path, true) {
            Ok((meta, _, Some(body))) => Ok((meta, body)),
            _ => {
                self.forget(id);
                self.quarantine(&path);
                Err(SpoolError::Corrupt(id))
            }
        }
    }

    /// Deletes an artifact (after the backend confirmed it, or when dropping it on purpose).
    pub fn remove(&mut self, id: u64) {
        if self.delete(id) {
            self.counters.removed += 1;
        }
    }

    fn delete(&mut self, id: u64) -> bool {
        let known = self.forget(id);
        if known {
            #[cfg(feature = "test-hooks")]
            test_hooks::stall_delete(&self.dir);
            let _ = fs::remove_file(self.path_of(id));
            let _ = fs::remove_file(self.stage_paths(id).0);
        }
        known
    }

    /// Deletes every artifact (opt-out), and those being written when they finish.
    pub fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        let ids: Vec<u64> = self.entries.keys().copied().collect();
        for id in ids {
            self.remove(id);
        }
    }

    /// Forgets every artifact at once, in memory only, and returns the files to delete
    /// (artifacts and stage sidecars): the caller deletes them without the spool's lock, so
    /// readers of the spool never wait on those deletions. Writes reserved before it are
    /// deleted when they finish, as after [`Spool::clear`].
    pub fn take_all(&mut self) -> Vec<PathBuf> {
        self.generation = self.generation.wrapping_add(1);
        self.take_where(|_| true)
    }

    /// [`Spool::take_all`] for the artifacts `pick` chooses (no generation bump: only a
    /// caller that writes nothing meanwhile, the spooler, may use it for one session).
    pub fn take_where(&mut self, pick: impl Fn(&ArtifactMeta) -> bool) -> Vec<PathBuf> {
        let ids: Vec<u64> = self
            .entries
            .values()
            .filter(|e| pick(&e.meta))
            .map(|e| e.id)
            .collect();
        let mut files = Vec::with_capacity(ids.len() * 2);
        for id in ids {
            if self.forget(id) {
                self.counters.removed += 1;
                files.push(self.path_of(id));
                files.push(self.stage_paths(id).0);
            }
        }
        files
    }

    fn forget(&mut self, id: u64) -> bool {
        match self.entries.remove(&id) {
            Some(e) => {
                self.total_bytes = self.total_bytes.saturating_sub(e.file_bytes);
                true
            }
            None => false,
        }
    }

    /// Evicts oldest entries until `incoming` more bytes and one more file fit.
    fn enforce_limits(&mut self, incoming: u64) {
        let need_file = u64::from(incoming > 0);
        let pending_files = self.pending_files as u64;
        while let Some((&id, e)) = self.entries.iter().next() {
            let used = self.total_bytes.saturating_add(self.pending_bytes);
            let over_bytes = used.saturating_add(incoming) > self.limits.quota_bytes;
            let files = self.entries.len() as u64 + pending_files + need_file;
            let over_files = files > self.limits.max_files as u64;
            if !over_bytes && !over_files {
                break;
            }
            self.counters.evicted += 1;
            self.counters.evicted_bytes += e.file_bytes;
            self.delete(id);
        }
    }

    fn quarantine(&mut self, path: &Path) {
        self.counters.quarantined += 1;
        let qdir = self.dir.join("quarantine");
        let moved = fs::create_dir_all(&qdir)
            .and_then(|_| fs::rename(path, qdir.join(path.file_name().unwrap_or_default())));
        if moved.is_err() {
            let _ = fs::remove_file(path);
        }
        // Keep the quarantine bounded too.
        if let Ok(rd) = fs::read_dir(&qdir) {
            let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            let excess = files.len().saturating_sub(MAX_QUARANTINED);
            for f in files.into_iter().take(excess) {
                let _ = fs::remove_file(f);
            }
        }
    }
}

/// Reads and checks one spool file; with `body`, also reads and checksums the body.
fn read_file(
    path: &Path,
    body: bool,
) -> Result<(ArtifactMeta, u64, Option<Vec<u8>>), &'static str> {
    let mut f = File::open(path).map_err(|_| "open")?;
    let file_len = f.metadata().map_err(|_| "metadata")?.len();
    let mut magic = [0u8; 8];
    f.read_exact(&mut magic).map_err(|_| "short magic")?;
    if &magic != MAGIC {
        return Err("bad magic");
    }
    let mut u32buf = [0u8; 4];
    f.read_exact(&mut u32buf)
        .map_err(|_| "short header length")?;
    let header_len = u32::from_be_bytes(u32buf) as usize;
    if header_len > MAX_HEADER {
        return Err("header too large");
    }
    let mut header = vec![0u8; header_len];
    f.read_exact(&mut header).map_err(|_| "short header")?;
    let meta: ArtifactMeta = serde_json::from_slice(&header).map_err(|_| "bad header")?;
    let mut u64buf = [0u8; 8];
    f.read_exact(&mut u64buf).map_err(|_| "short body length")?;
    let body_len = u64::from_be_bytes(u64buf);
    f.read_exact(&mut u32buf).map_err(|_| "short checksum")?;
    let expected = ((MAGIC.len() + 4 + header_len + 8 + 4) as u64).checked_add(body_len);
    if expected != Some(file_len) {
        return Err("length mismatch");
    }
    if !body {
        return Ok((meta, file_len, None));
    }
    let mut data = Vec::with_capacity(body_len as usize);
    f.read_to_end(&mut data).map_err(|_| "short body")?;
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    if crc.sum() != u32::from_be_bytes(u32buf) {
        return Err("checksum mismatch");
    }
    Ok((meta, file_len, Some(data)))
}

#[cfg(test)]
mod tests;
