//! Files and folders the service and its commands create: private to their
//! user whatever the umask (the database holds names and phone numbers), and
//! never reached through a link planted at their name.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file's mode: its owner reads and writes it, nobody else.
pub const FILE_MODE: u32 = 0o600;
/// A folder's mode: its owner alone lists and enters it.
pub const FOLDER_MODE: u32 = 0o700;

/// `O_NOFOLLOW`: an open fails on a symbolic link rather than follow it.
pub const NO_FOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits().cast_signed();

/// Creates a new file at `path`, readable and writable by its owner alone.
/// It fails if anything is at that name already, a symbolic link included,
/// so a link planted there is never followed.
pub fn create_new(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(NO_FOLLOW)
        .open(path)?;
    // The umask may only take bits away; this puts back exactly 0600 (a
    // umask of 0277 would otherwise leave a file its owner cannot write).
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Creates `folder` and any parent it lacks; each folder created here is
/// private to its owner. Folders that exist already are left as they are.
pub fn create_folder(folder: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(folder);
    while let Some(path) = at.filter(|path| !path.as_os_str().is_empty()) {
        if path.exists() {
            break;
        }
        missing.push(path.to_owned());
        at = path.parent();
    }
    for path in missing.iter().rev() {
        match DirBuilder::new().mode(FOLDER_MODE).create(path) {
            Ok(()) => std::fs::set_permissions(path, Permissions::from_mode(FOLDER_MODE))?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A name for a file being written beside `to` before it is renamed into
/// place: hidden, and new each time, so two writers never share one and a
/// name left by a crash is never reused.
pub fn partial_beside(to: &Path) -> PathBuf {
    let name = to
        .file_name()
        .map_or_else(|| "copy".into(), |name| name.to_string_lossy().into_owned());
    to.with_file_name(format!(".{name}.{}.partial", ulid::Ulid::generate()))
}

/// The folder `path` is in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// Makes a rename or a creation in `folder` durable.
pub fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

/// Moves a finished file into place at `to` and makes that durable. A rename
/// replaces whatever is at `to` (a symbolic link itself, never its target).
pub fn move_into_place(partial: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(partial, to)?;
    sync_folder(folder_of(to))
}

/// `<database>.trust`: left by `boxoffice clock trust` for a running service,
/// which takes it (removes it) and trusts its wall clock.
pub fn trust_request_beside(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".trust");
    PathBuf::from(name)
}

/// The files the service keeps beside its database `<db>`: `<db>.<suffix>`
/// for each of these (and older releases' ones), which no backup or export
/// may be written over.
const SIDE_SUFFIXES: [&str; 5] = ["journal", "control", "probe", "lock", "trust"];

/// Whether `to` is the database at `database` or one of the files the
/// service keeps beside it (compared as the same file, or as the same name
/// in the same folder for files that do not exist yet).
pub fn is_database_or_beside(database: &Path, to: &Path) -> bool {
    if same_file(database, to) {
        return true;
    }
    let (Some(db_name), Some(to_name)) = (database.file_name(), to.file_name()) else {
        return false;
    };
    if !same_file(folder_of(database), folder_of(to)) {
        return false;
    }
    let (db_name, to_name) = (db_name.to_string_lossy(), to_name.to_string_lossy());
    if to_name == db_name {
        return true;
    }
    let Some(suffix) = to_name
        .strip_prefix(db_name.as_ref())
        .and_then(|rest| rest.strip_prefix('.'))
    else {
        return false;
    };
    SIDE_SUFFIXES.contains(&suffix) || is_upgrade_copy(suffix)
}

/// `v<N>.bak`: the copy an upgrade keeps of the file as it was.
fn is_upgrade_copy(suffix: &str) -> bool {
    suffix
        .strip_prefix('v')
        .and_then(|rest| rest.strip_suffix(".bak"))
        .is_some_and(|version| !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_private_whatever_the_umask_and_never_follows_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = create_new(&path).unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        assert!(
            create_new(&path).is_err(),
            "an existing file is never reused"
        );
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new(&link).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn folders_created_are_private_and_existing_ones_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        let deep = dir.path().join("a").join("b");
        create_folder(&deep).unwrap();
        for folder in [dir.path().join("a"), deep] {
            let mode = std::fs::metadata(&folder).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", folder.display());
        }
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn the_database_and_the_files_beside_it_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("box.redb");
        std::fs::write(&db, b"").unwrap();
        for name in [
            "box.redb",
            "box.redb.journal",
            "box.redb.control",
            "box.redb.probe",
            "box.redb.v2.bak",
        ] {
            assert!(is_database_or_beside(&db, &dir.path().join(name)), "{name}");
        }
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(is_database_or_beside(
            &db,
            &sub.join("..").join("box.redb.journal")
        ));
        for name in [
            "backup.redb",
            "box.redb.backup",
            "box.redb.vx.bak",
            "box.redbx",
        ] {
            assert!(
                !is_database_or_beside(&db, &dir.path().join(name)),
                "{name}"
            );
        }
        assert!(!is_database_or_beside(&db, &sub.join("box.redb")));
    }
}
