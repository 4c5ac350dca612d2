//! Where the suite's scratch work goes: the copies of the repository, Terraform's data
//! directories, BATS's temporary directories, Prometheus's storage. A run creates and
//! deletes tens of thousands of small files; on ext4, creating files right after deleting
//! others sends the kernel through a slow search for a free inode, which cost more CPU than
//! the suite's own work (warm run on the 2-core machine, idle: 37.8 s wall and 24 s of system
//! time with scratch in /tmp on ext4, 28.4 s and 11 s on /dev/shm). So when the user has not
//! chosen `TMPDIR`, the runner points it at a memory-backed file system the machine has,
//! provided it is writable, allows executing files (the suite puts stand-in commands on
//! PATH there) and has room ([`MIN_FREE`]; a run of this repository peaks near 250 MB).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rustix::fs::StatVfsMountFlags;

/// The free space a memory-backed scratch directory must have.
pub(crate) const MIN_FREE: u64 = 2 << 30;

/// The directory the run should use as `TMPDIR`: `/dev/shm` when `tmpdir` (the user's
/// `TMPDIR`) is unset and /dev/shm is fit for scratch work, else `None` (the system's
/// choice stands).
pub fn tmpfs_scratch(tmpdir: Option<&OsStr>) -> Option<PathBuf> {
    if tmpdir.is_some_and(|t| !t.is_empty()) {
        return None;
    }
    let shm = Path::new("/dev/shm");
    fit_for_scratch(shm).then(|| shm.to_path_buf())
}

/// A directory we may create files in, execute them from, with [`MIN_FREE`] bytes free.
fn fit_for_scratch(dir: &Path) -> bool {
    let Ok(stat) = rustix::fs::statvfs(dir) else {
        return false;
    };
    let free = stat.f_bavail.saturating_mul(stat.f_frsize);
    let flags = stat.f_flag;
    let usable = !flags.contains(StatVfsMountFlags::NOEXEC)
        && !flags.contains(StatVfsMountFlags::RDONLY)
        && free >= MIN_FREE;
    usable
        && tempfile::Builder::new()
            .prefix("homelab-spec-probe-")
            .tempdir_in(dir)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tmpdir_the_user_chose_stands() {
        assert_eq!(tmpfs_scratch(Some(OsStr::new("/var/tmp"))), None);
    }

    #[test]
    fn a_directory_that_does_not_exist_is_not_fit() {
        assert!(!fit_for_scratch(Path::new("/no/such/directory")));
    }

    #[test]
    fn a_directory_without_room_or_write_access_is_not_fit() {
        // /proc is mounted read-only for creating files and has no free blocks.
        assert!(!fit_for_scratch(Path::new("/proc")));
    }
}
