//! The process's open-file limit. Every connection holds a file descriptor,
//! so the soft limit (often 1024 by default) caps how many clients can be
//! connected at once, far below what the hard limit allows. At start-up the
//! soft limit is raised to the hard one and the outcome is printed.

use std::io::Write;

/// The open-file limit before and after start-up raised it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFileLimit {
    pub before: Limit,
    pub after: Limit,
    pub hard: Limit,
}

/// A limit value; `None` is "unlimited".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(value) => value.fmt(f),
            None => f.write_str("unlimited"),
        }
    }
}

impl std::fmt::Display for OpenFileLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.before == self.after {
            write!(
                f,
                "open-file limit is {} (hard limit {})",
                self.after, self.hard
            )
        } else {
            write!(
                f,
                "open-file limit raised from {} to {} (hard limit {})",
                self.before, self.after, self.hard
            )
        }
    }
}

/// Why the soft limit could not be raised; the service runs on regardless.
#[derive(Debug)]
pub struct RaiseError {
    pub soft: Limit,
    pub hard: Limit,
    pub source: std::io::Error,
}

impl std::fmt::Display for RaiseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot raise the open-file limit from {} (hard limit {}): {}",
            self.soft, self.hard, self.source
        )
    }
}

impl std::error::Error for RaiseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Raises the soft open-file limit to the hard limit.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Result<OpenFileLimit, RaiseError> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

    let current = getrlimit(Resource::Nofile);
    let (before, hard) = (Limit(current.current), Limit(current.maximum));
    if before == hard {
        return Ok(OpenFileLimit {
            before,
            after: before,
            hard,
        });
    }
    // Linux refuses an unlimited soft limit for open files; its ceiling is
    // fs.nr_open.
    let target = hard.0.or_else(nr_open);
    let raised = Rlimit {
        current: target,
        maximum: current.maximum,
    };
    setrlimit(Resource::Nofile, raised).map_err(|error| RaiseError {
        soft: before,
        hard,
        source: error.into(),
    })?;
    Ok(OpenFileLimit {
        before,
        after: Limit(getrlimit(Resource::Nofile).current),
        hard,
    })
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Result<OpenFileLimit, RaiseError> {
    Err(RaiseError {
        soft: Limit(None),
        hard: Limit(None),
        source: std::io::ErrorKind::Unsupported.into(),
    })
}

#[cfg(unix)]
fn nr_open() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Raises the limit and says so in one line, on standard output when it
/// worked and as a warning on standard error when it did not, whatever the
/// log level: the operator learns how many connections the service can hold.
pub fn raise_and_report() {
    // A closed standard output or error must not stop the service.
    let _ = match raise_open_file_limit() {
        Ok(limit) => writeln!(std::io::stdout(), "boxoffice: {limit}"),
        Err(error) => writeln!(std::io::stderr(), "boxoffice: warning: {error}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raised_limit_names_both_values_and_the_hard_limit() {
        let limit = OpenFileLimit {
            before: Limit(Some(1024)),
            after: Limit(Some(8192)),
            hard: Limit(Some(8192)),
        };
        assert_eq!(
            limit.to_string(),
            "open-file limit raised from 1024 to 8192 (hard limit 8192)"
        );
    }

    #[test]
    fn an_unchanged_limit_says_what_it_is() {
        let limit = OpenFileLimit {
            before: Limit(Some(20000)),
            after: Limit(Some(20000)),
            hard: Limit(Some(20000)),
        };
        assert_eq!(
            limit.to_string(),
            "open-file limit is 20000 (hard limit 20000)"
        );
        let unlimited = Limit(None).to_string();
        assert_eq!(unlimited, "unlimited");
    }

    #[cfg(unix)]
    #[test]
    fn raising_leaves_the_soft_limit_at_the_hard_one() {
        let limit =
            raise_open_file_limit().expect("the soft limit may always rise to the hard one");
        if limit.hard.0.is_some() {
            assert_eq!(limit.after, limit.hard);
        }
    }
}
