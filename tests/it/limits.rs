//! The open-file limit: the real binary raises its soft limit to the hard one
//! at start-up and says so in one line on standard output.

use std::path::Path;

use crate::support::*;

const PRLIMIT: &str = "/usr/bin/prlimit";

#[test]
fn start_up_raises_the_soft_open_file_limit_to_the_hard_one() {
    assert!(
        Path::new(PRLIMIT).is_file(),
        "{PRLIMIT} is missing (util-linux has it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_wrapped(
        &dir.path().join("boxoffice.redb"),
        &[],
        &[PRLIMIT, "--nofile=1024:8192"],
    );
    let lines = server.output.lock().unwrap().clone();
    let limit_lines: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("open-file limit"))
        .collect();
    assert_eq!(
        limit_lines,
        ["boxoffice: open-file limit raised from 1024 to 8192 (hard limit 8192)"],
        "{lines:?}"
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("an open-file line in /proc/PID/limits");
    assert_eq!(
        open_files.split_whitespace().collect::<Vec<_>>(),
        ["Max", "open", "files", "8192", "8192", "files"]
    );
}
