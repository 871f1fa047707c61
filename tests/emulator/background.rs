//! A program run in the background of a test: stdout and stderr go to files the test reads
//! while it runs; the test signals it, polls it, waits for it with a deadline and describes
//! it in failure messages. It is reaped with `wait4(2)`, which also reports its peak RSS, so
//! std's `Child::wait` is never used. Dropping it SIGKILLs a process still running (or its
//! whole group, see [`BackgroundOptions::own_process_group`]) and reaps it.
//!
//! ```ignore
//! let mut command = sandbox.rolecreds();
//! command.args(["--role-arn", ROLE_DNS_EDITOR_ARN, "--watch"]);
//! let mut watcher = Background::spawn(command);
//! let wrote = watcher.wait_for_stderr("wrote profile", 1, Duration::from_secs(10));
//! watcher.signal(libc::SIGTERM);
//! let finished = watcher.finish(Duration::from_secs(5));
//! ```

use std::ffi::OsString;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the waiting methods look again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// [`Background::describe`] shows at most this many characters of each stream: the start
/// and the end, so that a flood of output cannot bury a failure message.
const DESCRIBE_CHARS: usize = 8_000;

/// How a background process ended, and what it printed.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// From spawn to exit.
    pub took: Duration,
    /// Peak resident set size, KiB (`ru_maxrss` from `wait4`).
    pub max_rss_kib: i64,
}

impl Finished {
    /// For failure messages: the status, how long it ran, its output.
    pub fn describe(&self) -> String {
        format!(
            "{:?} after {:?} (peak RSS {} KiB)\n  stdout: {:?}\n  stderr: {:?}",
            self.status,
            self.took,
            self.max_rss_kib,
            clip(&self.stdout),
            clip(&self.stderr)
        )
    }

    /// Asserts the process exited with `code` (not by a signal).
    pub fn assert_code(&self, code: i32) {
        assert_eq!(
            self.status.code(),
            Some(code),
            "expected exit {code}:\n{}",
            self.describe()
        );
    }
}

/// What a reaped process left: its status, when, and its peak RSS.
#[derive(Debug, Clone, Copy)]
struct Exit {
    status: ExitStatus,
    took: Duration,
    max_rss_kib: i64,
}

/// Options for [`BackgroundOptions::spawn`]; [`Background::spawn`] uses the defaults
/// (stdin from /dev/null, the test's own process group).
#[derive(Debug, Default)]
pub struct BackgroundOptions {
    stdin: Option<String>,
    own_process_group: bool,
}

impl BackgroundOptions {
    /// Standard input is `text` (from a file, so it ends where `text` does).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Runs the program in a process group of its own, so that dropping it also SIGKILLs
    /// every process it started (e.g. the child of `rolecreds exec`).
    pub fn own_process_group(mut self) -> Self {
        self.own_process_group = true;
        self
    }

    /// Starts `command` (its program and arguments as given) in the background. It dies with
    /// the spawning thread ([`super::die_with_parent`]), so it never outlives a test that died.
    pub fn spawn(self, mut command: Command) -> Background {
        let logs = tempfile::tempdir().expect("temp dir for a background process's output");
        let stdout = logs.path().join("stdout");
        let stderr = logs.path().join("stderr");
        let stdin = match &self.stdin {
            None => Stdio::null(),
            Some(text) => {
                let input = logs.path().join("stdin");
                std::fs::write(&input, text).expect("write stdin file");
                std::fs::File::open(&input).expect("open stdin file").into()
            }
        };
        super::die_with_parent(&mut command);
        if self.own_process_group {
            command.process_group(0);
        }
        let program = Path::new(command.get_program())
            .file_name()
            .unwrap_or(command.get_program())
            .to_owned();
        let args = command.get_args().map(OsString::from).collect();
        let child = command
            .stdin(stdin)
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.to_string_lossy()));
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        Background {
            _child: child,
            pid,
            own_process_group: self.own_process_group,
            exit: None,
            program,
            args,
            started: Instant::now(),
            _logs: logs,
            stdout,
            stderr,
        }
    }
}

/// A program running in the background; see the module documentation.
pub struct Background {
    /// Never waited on through std: [`Background::reap`] calls `wait4` on `pid`.
    _child: Child,
    pid: libc::pid_t,
    own_process_group: bool,
    /// Set once `wait4` has reaped the process (the pid may then be reused).
    exit: Option<Exit>,
    program: OsString,
    args: Vec<OsString>,
    started: Instant,
    _logs: tempfile::TempDir,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Background {
    /// Starts `command` with the default options (stdin from /dev/null).
    pub fn spawn(command: Command) -> Background {
        BackgroundOptions::default().spawn(command)
    }

    /// Options for a run that needs stdin or a process group of its own.
    pub fn options() -> BackgroundOptions {
        BackgroundOptions::default()
    }

    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Its stdout so far (lossy UTF-8).
    pub fn stdout(&self) -> String {
        read_lossy(&self.stdout)
    }

    /// Its stderr so far (lossy UTF-8).
    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr)
    }

    /// How many bytes it has written to stderr so far.
    pub fn stderr_len(&self) -> u64 {
        std::fs::metadata(&self.stderr).map_or(0, |m| m.len())
    }

    /// For failure messages: the command, whether it still runs or how it ended, its output
    /// so far (clipped).
    pub fn describe(&mut self) -> String {
        let state = match self.poll() {
            None => "still running".to_owned(),
            Some(exit) => format!(
                "{:?} after {:?} (peak RSS {} KiB)",
                exit.status, exit.took, exit.max_rss_kib
            ),
        };
        format!(
            "{} {:?}\n  {state}, {:?} after start\n  stdout: {:?}\n  stderr ({} bytes): {:?}",
            self.program.to_string_lossy(),
            self.args,
            self.started.elapsed(),
            clip(&self.stdout()),
            self.stderr_len(),
            clip(&self.stderr())
        )
    }

    /// Sends `signal` to the process (never to a reaped one, whose pid may be reused).
    pub fn signal(&self, signal: libc::c_int) {
        assert!(self.exit.is_none(), "signalling a reaped process");
        // SAFETY: kill(2) with the pid of our own unreaped child (so it cannot be reused).
        let result = unsafe { libc::kill(self.pid, signal) };
        assert_eq!(result, 0, "kill({}, {signal}) failed", self.pid);
    }

    pub fn is_running(&mut self) -> bool {
        self.poll().is_none()
    }

    /// Waits at most `timeout` for the process to exit; its status and how long this call
    /// waited for it.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<(ExitStatus, Duration)> {
        let start = Instant::now();
        loop {
            if let Some(exit) = self.poll() {
                return Some((exit.status, start.elapsed()));
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits for the process to end within `deadline`; panics (after killing it) if it hangs.
    pub fn finish(&mut self, deadline: Duration) -> Finished {
        if self.wait_exit(deadline).is_none() {
            let description = self.describe();
            self.kill();
            panic!("still running after {deadline:?}: it hung\n{description}");
        }
        self.finished().expect("reaped")
    }

    /// SIGTERM to a running process, then waits at most `within` for it to exit.
    pub fn stop(&mut self, within: Duration) -> Option<Finished> {
        if self.is_running() {
            self.signal(libc::SIGTERM);
        }
        self.wait_exit(within)?;
        self.finished()
    }

    /// Waits until stderr contains `needle` `times` times; false if `timeout` runs out or
    /// the process exits first.
    pub fn wait_for_stderr(&mut self, needle: &str, times: usize, timeout: Duration) -> bool {
        let start = Instant::now();
        loop {
            let running = self.is_running();
            if self.stderr().matches(needle).count() >= times {
                return true;
            }
            if !running || start.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Keeps watching for `period` while the process runs; false (at once) if it exits or
    /// `bad` becomes true.
    pub fn keeps_running_for(&mut self, period: Duration, mut bad: impl FnMut() -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < period {
            if !self.is_running() || bad() {
                return false;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        self.is_running()
    }

    /// How it ended and what it printed, once reaped.
    fn finished(&self) -> Option<Finished> {
        let exit = self.exit?;
        Some(Finished {
            status: exit.status,
            stdout: self.stdout(),
            stderr: self.stderr(),
            took: exit.took,
            max_rss_kib: exit.max_rss_kib,
        })
    }

    /// Reaps the process if it has exited, without waiting.
    fn poll(&mut self) -> Option<Exit> {
        self.reap(false)
    }

    /// Reaps the process (`wait4`, with WNOHANG unless `block`) and remembers how it ended.
    fn reap(&mut self, block: bool) -> Option<Exit> {
        if self.exit.is_none() {
            let mut status = 0;
            // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            let options = if block { 0 } else { libc::WNOHANG };
            // SAFETY: wait4 on our own unreaped child, with valid pointers to locals.
            let reaped = unsafe { libc::wait4(self.pid, &mut status, options, &mut usage) };
            assert!(
                reaped >= 0,
                "wait4({}) failed: {}",
                self.pid,
                std::io::Error::last_os_error()
            );
            if reaped == self.pid {
                self.exit = Some(Exit {
                    status: ExitStatus::from_raw(status),
                    took: self.started.elapsed(),
                    max_rss_kib: usage.ru_maxrss,
                });
            }
        }
        self.exit
    }

    /// SIGKILLs the process (or its whole group) and reaps it.
    fn kill(&mut self) {
        if self.own_process_group {
            // SAFETY: kill(2) on the process group this helper created (its id is our
            // child's pid, which cannot be reused while the group has members or the child
            // is unreaped).
            unsafe { libc::kill(-self.pid, libc::SIGKILL) };
        } else if self.exit.is_none() {
            // SAFETY: as in `signal`; the process is then reaped at once.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
        self.reap(true);
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// `text`, or its start and end around a note of how much was cut if it is longer than
/// [`DESCRIBE_CHARS`].
fn clip(text: &str) -> String {
    let count = text.chars().count();
    if count <= DESCRIBE_CHARS {
        return text.to_owned();
    }
    let half = DESCRIBE_CHARS / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(count - half).collect();
    format!("{head}[… {} characters cut …]{tail}", count - 2 * half)
}
