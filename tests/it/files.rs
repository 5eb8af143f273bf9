//! What the service and its commands leave on disk is private to their user,
//! whatever the umask they run under: the database holds names and phone
//! numbers.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::*;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The binary run under umask 000 (the loosest there is).
const LOOSE_UMASK: [&str; 3] = ["sh", "-c", "umask 000; exec \"$0\" \"$@\""];

#[test]
fn under_a_loose_umask_the_database_its_folders_and_its_backups_are_private() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.path().join("var").join("boxoffice").join("box.redb");
    let server = Server::start_wrapped(&db, &[], &LOOSE_UMASK);
    let (status, body) = call(
        &agent(),
        "POST",
        &server.url("/api/book-ticket"),
        Some(&booking("Asha", 2, SHOW)),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(mode(&db), 0o600, "the database");
    assert_eq!(
        mode(db.parent().unwrap()),
        0o700,
        "the folder created for it"
    );
    assert_eq!(mode(&dir.path().join("var")), 0o700, "and its parent");
    assert_eq!(
        mode(dir.path()),
        0o755,
        "a folder that existed is left alone"
    );

    let copy = dir.path().join("copy.redb");
    let output = std::process::Command::new(LOOSE_UMASK[0])
        .args(&LOOSE_UMASK[1..])
        .arg(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["backup", copy.to_str().unwrap(), "--database"])
        .arg(&db)
        .current_dir(dir.path())
        .env_remove("ROCKET_DB_PATH")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(mode(&copy), 0o600, "the backup");
    // The database alone is in its folder: no journal, and no socket (so a
    // share that cannot hold one, FUSE, CIFS or 9p, serves as well).
    let names: Vec<String> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["box.redb"]);
}

#[test]
fn a_database_locked_by_another_process_is_said_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("box.redb");
    let first = Server::start(&db, &[]);
    let output = boxoffice_command(&[], dir.path())
        .env("ROCKET_DB_PATH", &db)
        .env("ROCKET_PORT", "0")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = text(&output.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("locked by another process"), "{said}");
    drop(first);
}
