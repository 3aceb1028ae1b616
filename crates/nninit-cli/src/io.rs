//! Files out: atomic writes (temp file + rename), `.npy` and `.safetensors` encoders, JSON
//! on stdout. Element → byte views go through `bytemuck` (no hand-written conversions).
//!
//! Every temporary path is a [`PrivateTempDir`]: registered while it exists, so that the
//! signal handler ([`install_signal_cleanup`]) removes it on SIGINT, SIGTERM or SIGHUP and
//! nothing partial is left behind.

use anyhow::{bail, Context, Result};
use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary directories that exist now (see [`PrivateTempDir`]).
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temp_dirs() -> MutexGuard<'static, Vec<PathBuf>> {
    // a panic elsewhere while holding the lock leaves a list that is still valid
    TEMP_DIRS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Installs the handler of SIGINT, SIGTERM and SIGHUP (signal-hook, on its own thread):
/// every registered [`PrivateTempDir`] is removed with its contents, then the process exits
/// with 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM), as a shell reports a
/// process killed by it. The handler keeps the registry locked until the exit, so no new
/// temporary directory can appear after the cleanup.
pub fn install_signal_cleanup() -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .context("cannot install the signal handler")?;
    std::thread::Builder::new()
        .name("nninit-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let dirs = temp_dirs();
                for d in dirs.iter() {
                    let _ = std::fs::remove_dir_all(d);
                }
                std::process::exit(128 + sig);
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// A private temporary directory: mode 0700, a random `.nninit-XXXXXX` name, created
/// exclusively (`tempfile`) in a given directory, so nobody else can plant a file or link in
/// it. While it exists it is registered for [`install_signal_cleanup`]; dropping it removes it
/// with everything in it. The one way this module makes temporary paths: a helper that
/// writes a file or a directory atomically creates one next to the target, writes inside it,
/// renames the result into place ([`std::fs::rename`] of a file inside it, or
/// [`PrivateTempDir::rename_to`] of the directory itself), then drops it.
pub struct PrivateTempDir {
    dir: Option<tempfile::TempDir>,
}

impl PrivateTempDir {
    /// Creates and registers a private temporary directory in `parent`.
    ///
    /// # Errors
    /// Those of creating a directory in `parent` (missing, not writable, ...).
    pub fn new_in(parent: &Path) -> std::io::Result<PrivateTempDir> {
        // created and registered under the lock: a signal cannot fall between the two
        let mut dirs = temp_dirs();
        let mut b = tempfile::Builder::new();
        b.prefix(".nninit-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            b.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = b.tempdir_in(parent)?;
        dirs.push(dir.path().to_path_buf());
        Ok(PrivateTempDir { dir: Some(dir) })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |d| d.path())
    }

    /// Renames the directory itself to `target` (an atomic directory write: the finished
    /// directory appears at once) and unregisters it. On error it stays registered, and is
    /// removed when dropped.
    pub fn rename_to(mut self, target: &Path) -> std::io::Result<()> {
        let mut dirs = temp_dirs();
        let path = self.path().to_path_buf();
        std::fs::rename(&path, target)?;
        dirs.retain(|d| *d != path);
        if let Some(d) = self.dir.take() {
            // renamed away: nothing of it is left to remove
            let _ = d.keep();
        }
        Ok(())
    }
}

impl Drop for PrivateTempDir {
    fn drop(&mut self) {
        let mut dirs = temp_dirs();
        if let Some(d) = self.dir.take() {
            let path = d.path().to_path_buf();
            // best effort: an error here must not turn a finished write into a failure
            drop(d);
            dirs.retain(|p| *p != path);
        }
    }
}

/// Prints `text` to stdout. A closed pipe (`nninit table | head`) ends the program quietly
/// with status 0 instead of panicking, as Unix tools do.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

/// Checks an output path before any work is done, so that a long run does not end by
/// failing to write (or by writing, say, SVG into `chart.png`): it must end in `.ext`
/// (case-insensitive) and its directory must exist.
pub fn check_output_path(path: &Path, flag: &str, ext: &str, what: &str) -> Result<()> {
    let ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext));
    if !ok {
        bail!(
            "{flag} {} must end in .{ext} (it writes {what})",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: directory {} does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory, then renames it,
/// so a reader never sees a partial file and a failure leaves nothing behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Follows `path` through symbolic links, so that writing "to a link" replaces the file it
/// points to and keeps the link. A dangling link gives the path it points to; a loop (more
/// than 40 links) is an error.
fn through_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read the link {}", p.display()))?;
                p = if t.is_absolute() {
                    t
                } else {
                    p.parent().unwrap_or(Path::new(".")).join(t)
                };
            }
            _ => return Ok(p),
        }
    }
    bail!(
        "cannot write {}: too many levels of symbolic links",
        path.display()
    )
}

/// [`write_atomic`] with the contents written by `write` (into a buffered temporary file;
/// renamed over the target only when `write` and the flush succeed).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    write_atomic_via(path, |tmp| -> Result<()> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(tmp)?);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    })
}

/// The core of the atomic writes: `write` creates and fills the file at the path it is given,
/// inside a private temporary directory (mode 0700, random name, created exclusively by
/// `tempfile`) next to the target, so nobody can plant a file or link there; the file is then
/// renamed over the target. On any error the directory and everything in it are removed and
/// the target is untouched. A path that is a symbolic link is written through (the link
/// stays, the file it points to is replaced); an existing target keeps its permissions, a
/// read-only one is refused.
pub fn write_atomic_via(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let target = through_links(path)?;
    if target.is_dir() {
        bail!("{} is a directory", path.display());
    }
    let existing = std::fs::metadata(&target).ok();
    if existing
        .as_ref()
        .is_some_and(|m| m.permissions().readonly())
    {
        bail!(
            "{} is read-only; not replaced (remove it or make it writable)",
            path.display()
        );
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmpdir = PrivateTempDir::new_in(dir).with_context(|| {
        format!(
            "cannot write {}: cannot create a temporary directory in {} (the file is \
             written there first, then renamed into place)",
            path.display(),
            dir.display()
        )
    })?;
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_os_string());
    let tmp = tmpdir.path().join(name);
    let result = write(&tmp).and_then(|()| {
        if let Some(m) = &existing {
            std::fs::set_permissions(&tmp, m.permissions())?;
        }
        std::fs::rename(&tmp, &target).context("rename")?;
        Ok(())
    });
    result.with_context(|| format!("cannot write {}", path.display()))?;
    // the file is in place: removing the now empty directory is best effort (an error here,
    // e.g. ENOMEM, must not report a successful write as failed)
    drop(tmpdir);
    Ok(())
}

/// Writes the directory `dir` atomically: `write` fills a private temporary directory (mode
/// 0700, random name `.nninit-XXXXXX`, created exclusively by `tempfile` next to `dir`, as
/// [`write_atomic_via`]'s), which is then renamed to `dir`. On any error the temporary
/// directory and everything in it are removed and `dir` is untouched. `dir` may be absent
/// or an empty directory (replaced); anything else is refused before `write` runs. The
/// finished directory gets the permissions of an ordinary new directory here (umask).
pub fn write_dir_atomic(dir: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot use {}", dir.display())),
        Ok(m) if m.is_dir() => {
            let mut entries = std::fs::read_dir(dir)
                .with_context(|| format!("cannot read the directory {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "{} exists and is not empty; give a new or empty directory (nothing is \
                     overwritten)",
                    dir.display()
                );
            }
        }
        Ok(_) => bail!(
            "{} exists and is not a directory; give a new or empty directory",
            dir.display()
        ),
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!(
            "cannot write {}: directory {} does not exist",
            dir.display(),
            parent.display()
        );
    }
    let tmpdir = PrivateTempDir::new_in(parent).with_context(|| {
        format!(
            "cannot write {}: cannot create a temporary directory in {} (the output is \
             written there first, then renamed into place)",
            dir.display(),
            parent.display()
        )
    })?;
    let result = write(tmpdir.path()).and_then(|()| {
        // the mode of a directory made by create_dir (0777 & !umask), not the private 0700
        let plain = tmpdir.path().join(".nninit-mode");
        std::fs::create_dir(&plain)?;
        let perms = std::fs::metadata(&plain)?.permissions();
        std::fs::remove_dir(&plain)?;
        std::fs::set_permissions(tmpdir.path(), perms)?;
        Ok(())
    });
    result.with_context(|| format!("cannot write {}", dir.display()))?;
    // renamed and unregistered; on error the drop removes it
    tmpdir
        .rename_to(dir)
        .with_context(|| format!("cannot write {}: rename", dir.display()))?;
    Ok(())
}

/// The NumPy `.npy` (format 1.0) encoding of a C-order little-endian array.
/// `descr` is the NumPy dtype string (`<f4`, `<f8`, `<f2`); `data` the raw little-endian bytes.
#[cfg(test)]
pub fn npy_bytes(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = npy_header(descr, shape);
    out.extend_from_slice(data);
    out
}

/// The `.npy` (format 1.0) header of a C-order little-endian array (the data follows it).
pub fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let shape_txt = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}");
    // magic(6) + version(2) + len(2) + header + '\n' must be a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// The little-endian bytes of `v`: a view of its memory on little-endian targets (no copy),
/// a byte-swapped copy on big-endian ones.
pub fn le_bytes<T: bytemuck::Pod>(v: &[T]) -> Cow<'_, [u8]> {
    let raw: &[u8] = bytemuck::cast_slice(v);
    if cfg!(target_endian = "little") {
        Cow::Borrowed(raw)
    } else {
        let mut out = raw.to_vec();
        for x in out.chunks_exact_mut(std::mem::size_of::<T>()) {
            x.reverse();
        }
        Cow::Owned(out)
    }
}

/// Writes `data` (row-major, shape `shape`) as a NumPy `.npy` file (format 1.0,
/// little-endian `descr` such as `<f4`), atomically, streaming from `data`.
pub fn write_npy<T: bytemuck::Pod>(
    path: &Path,
    descr: &str,
    shape: &[usize],
    data: &[T],
) -> Result<()> {
    const CHUNK: usize = 1 << 16;
    write_atomic_via(path, |tmp| {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(&npy_header(descr, shape))?;
        for chunk in data.chunks(CHUNK) {
            f.write_all(&le_bytes(chunk))?;
        }
        f.sync_all()?;
        Ok(())
    })
}

/// Writes one tensor `name` (row-major `data`, shape `shape`, safetensors dtype `dtype`) and
/// the string metadata `meta` as a `.safetensors` file, atomically, with the header's keys
/// sorted (the same tensor gives the same bytes on every run). The data is streamed from
/// `data` on little-endian targets (no copy).
pub fn write_safetensors<T: bytemuck::Pod>(
    path: &Path,
    name: &str,
    dtype: safetensors::Dtype,
    shape: &[usize],
    data: &[T],
    meta: std::collections::HashMap<String, String>,
) -> Result<()> {
    let bytes = le_bytes(data);
    let view = safetensors::tensor::TensorView::new(dtype, shape.to_vec(), &bytes)
        .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
    write_atomic_via(path, |tmp| {
        // the crate writes through its own 0600 temporary file (inside our private
        // directory): give the result the permissions an ordinary new file gets here
        // (umask), as the .npy path does
        let perms = std::fs::File::create(tmp)?.metadata()?.permissions();
        safetensors::tensor::serialize_to_file([(name, view)], Some(meta), tmp)
            .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
        std::fs::set_permissions(tmp, perms)?;
        canonical_header_in_place(tmp)
    })
}

/// Sorts the keys of the safetensors header of the file at `path` in place (same length; see
/// [`nninit_diag::weights::canonical_safetensors`]) and syncs the file.
fn canonical_header_in_place(path: &Path) -> Result<()> {
    use std::io::{Read, Seek};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)?;
    let n = usize::try_from(u64::from_le_bytes(len)).context("safetensors header length")?;
    let mut head = len.to_vec();
    head.resize(8 + n, 0);
    f.read_exact(&mut head[8..])?;
    let sorted = nninit_diag::weights::canonical_safetensors(head);
    f.seek(std::io::SeekFrom::Start(0))?;
    f.write_all(&sorted)?;
    f.sync_all()?;
    Ok(())
}

/// Prints `doc` as one line of JSON on stdout (streamed, no string copy). A closed pipe ends
/// the program quietly with status 0, as [`print_stdout`].
pub fn print_json_line<T: serde::Serialize>(doc: &T) -> Result<()> {
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    let r = serde_json::to_writer(&mut w, doc)
        .map_err(std::io::Error::from)
        .and_then(|()| w.write_all(b"\n"))
        .and_then(|()| w.flush());
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned() {
        let b = npy_bytes("<f4", &[2, 3], &[0u8; 24]);
        assert_eq!(&b[..6], b"\x93NUMPY");
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        assert_eq!(b.len(), 10 + hlen + 24);
        let h = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
        assert!(h.contains("'shape': (2, 3)"));
    }

    #[test]
    fn le_bytes_are_little_endian() {
        let v = [1.0f32, -2.5];
        let mut want = 1.0f32.to_le_bytes().to_vec();
        want.extend_from_slice(&(-2.5f32).to_le_bytes());
        assert_eq!(&*le_bytes(&v), &want[..]);
        let h = [half::bf16::from_f32(0.5)];
        assert_eq!(&*le_bytes(&h), &h[0].to_le_bytes()[..]);
    }

    #[test]
    fn private_temp_dirs_are_0700_registered_and_removed() {
        let base = tempfile::tempdir().unwrap();
        let t = PrivateTempDir::new_in(base.path()).unwrap();
        let p = t.path().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        assert!(temp_dirs().contains(&p));
        std::fs::write(p.join("partial"), b"1").unwrap();
        drop(t);
        assert!(!p.exists() && !temp_dirs().contains(&p));
        // a directory written in place, then renamed as a whole (atomic directory writes)
        let t = PrivateTempDir::new_in(base.path()).unwrap();
        let p = t.path().to_path_buf();
        std::fs::write(p.join("f"), b"1").unwrap();
        let target = base.path().join("done");
        t.rename_to(&target).unwrap();
        assert!(target.join("f").exists() && !p.exists() && !temp_dirs().contains(&p));
    }

    #[test]
    fn atomic_write_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("nninit-io-{}", std::process::id()));
        let missing = dir.join("no/such/dir/out.npy");
        assert!(write_atomic(&missing, b"x").is_err());
        assert!(!missing.exists());
    }
}
