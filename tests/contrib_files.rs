//! The files users copy rather than run: the systemd user unit in contrib/systemd and the
//! cron line in the README.
//!
//! - `systemd-analyze verify --user` accepts the unit as shipped (template and an instance),
//!   with no warning at all: it exits 0 on unknown keys and bad values, so any output fails.
//!   Without systemd-analyze the test is skipped, except under CI=true, where it fails
//!   (scripts/test-deps installs it).
//! - The unit's ExecStart, expanded as systemd would with contrib/systemd/example.env, is a
//!   command line rolecreds accepts, writes the instance's profile, refreshes on the
//!   ExecReload signal and exits 0 on systemd's stop signal (against moto, auth enforced).
//! - Every cron line in README.md has five valid time fields and a command rolecreds accepts.

// Unix only: it exercises Unix modes, signals or process groups (scripts/cross-check runs
// the Windows binary under Wine instead).
#![cfg(unix)]

mod emulator;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = "contrib/systemd/rolecreds@.service";
const EXAMPLE_ENV: &str = "contrib/systemd/example.env";
const INSTANCE: &str = "dns_editor_profile";

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// `Key=Value` settings of a unit file, per section, in order (comments and blanks skipped).
fn unit_settings(text: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut settings: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(
            !line.ends_with('\\'),
            "{UNIT}:{}: continuation lines are not expanded by this test",
            number + 1
        );
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{UNIT}:{}: not Key=Value: {line}", number + 1));
        settings
            .entry((section.clone(), key.trim().to_owned()))
            .or_default()
            .push(value.trim().to_owned());
    }
    settings
}

fn one<'a>(settings: &'a BTreeMap<(String, String), Vec<String>>, key: &str) -> &'a str {
    match settings.get(&("Service".to_owned(), key.to_owned())) {
        Some(values) if values.len() == 1 => &values[0],
        other => panic!("[Service] {key}= should be set once, found {other:?}"),
    }
}

/// An environment file as systemd reads it: `KEY=VALUE` lines, `#`/`;` comments, optional
/// surrounding quotes.
fn environment_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with(';'))
        .map(|line| {
            let (key, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("{EXAMPLE_ENV}: not KEY=VALUE: {line}"));
            assert!(
                !key.starts_with("export "),
                "{EXAMPLE_ENV}: systemd does not take `export`"
            );
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            (key.trim().to_owned(), unquoted.to_owned())
        })
        .collect()
}

/// The unit's ExecStart expanded for instance `instance` and home `home`, with the example
/// environment file: `$NAME` splits at whitespace (as systemd does for an unbraced variable
/// standing alone), `%h`, `%i` and `%%` are substituted. Anything else fails the test, so
/// the expansion here cannot silently differ from systemd's.
fn exec_start(home: &Path, instance: &str) -> Vec<String> {
    let settings = unit_settings(&read(UNIT));
    let environment = environment_file(&read(EXAMPLE_ENV));
    let line = one(&settings, "ExecStart");
    assert!(
        !line.contains(['"', '\'', '\\', '{']) && !line.starts_with(['-', '@', ':', '+', '!']),
        "this test expands a plain ExecStart only: {line}"
    );
    let mut argv = Vec::new();
    for word in line.split_whitespace() {
        if let Some(name) = word.strip_prefix('$') {
            let value = environment
                .get(name)
                .unwrap_or_else(|| panic!("{EXAMPLE_ENV} does not set {name}"));
            argv.extend(value.split_whitespace().map(str::to_owned));
            continue;
        }
        let expanded = word
            .replace("%%", "\u{0}")
            .replace("%h", &home.to_string_lossy())
            .replace("%i", instance);
        assert!(
            !expanded.contains(['%', '$']),
            "unexpanded specifier or variable in ExecStart word {word:?}"
        );
        argv.push(expanded.replace('\u{0}', "%"));
    }
    argv
}

/// systemd-analyze on PATH or where Debian puts it.
fn systemd_analyze() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join("systemd-analyze"))
        .find(|candidate| candidate.is_file())
}

fn has_program(name: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(name).is_file())
}

fn verify(analyze: &Path, home: &Path, runtime: &Path, man: Option<&Path>, unit: &Path) -> Output {
    let mut command = Command::new(analyze);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // %h is the user manager's $HOME: the sandbox, whose ~/.cargo/bin/rolecreds is
        // the binary under test, so the unit is verified exactly as shipped.
        .env("HOME", home)
        .env("XDG_RUNTIME_DIR", runtime)
        .arg("verify")
        .arg("--user");
    match man {
        // Documentation=man:rolecreds(1) resolves against the repository's man page.
        Some(man) => command.env("MANPATH", man),
        None => command.arg("--man=no"),
    };
    command.arg(unit).output().expect("run systemd-analyze")
}

fn verify_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// systemd-analyze, or `None` (the test skips) when it is missing outside CI; in CI a
/// missing systemd-analyze fails the test checking `unit`.
fn analyzer_for(unit: &str) -> Option<PathBuf> {
    let analyze = systemd_analyze();
    if analyze.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("systemd-analyze is needed to check {unit}: run scripts/test-deps");
        }
        eprintln!("SKIPPED: systemd-analyze is not installed (scripts/test-deps installs it)");
    }
    analyze
}

/// A home for a user unit under test: ~/.cargo/bin/rolecreds is the binary under test, and
/// ~/.config/rolecreds (returned) is where its .env files go.
fn unit_home(tmp: &Path) -> (PathBuf, PathBuf) {
    let home = tmp.join("home");
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rolecreds"), bin.join("rolecreds")).unwrap();
    let config = home.join(".config/rolecreds");
    std::fs::create_dir_all(&config).unwrap();
    (home, config)
}

#[test]
fn systemd_analyze_accepts_the_unit_without_a_warning() {
    let Some(analyze) = analyzer_for(UNIT) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (home, config) = unit_home(tmp.path());
    for instance in ["i", INSTANCE] {
        std::fs::copy(path(EXAMPLE_ENV), config.join(format!("{instance}.env"))).unwrap();
    }
    let runtime = tmp.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let man = has_program("man").then(|| {
        let man = tmp.path().join("man");
        std::fs::create_dir_all(man.join("man1")).unwrap();
        std::fs::copy(path("man/rolecreds.1"), man.join("man1/rolecreds.1")).unwrap();
        man
    });
    let units = tmp.path().join("units");
    std::fs::create_dir(&units).unwrap();
    let template = units.join("rolecreds@.service");
    let instance = units.join(format!("rolecreds@{INSTANCE}.service"));
    std::fs::copy(path(UNIT), &template).unwrap();
    std::fs::copy(path(UNIT), &instance).unwrap();

    for unit in [&template, &instance] {
        let output = verify(&analyze, &home, &runtime, man.as_deref(), unit);
        let said = verify_output(&output);
        assert!(
            output.status.success() && said.trim().is_empty(),
            "systemd-analyze verify --user {}: {}\n{said}",
            unit.display(),
            output.status
        );
    }

    // The check has teeth: a misspelt key and a bad value only warn, and are caught.
    let broken = units.join("broken@.service");
    let text = read(UNIT)
        .replace("UMask=0077", "UMask=0077\nUmask=0077")
        .replace("RestartSec=30s", "RestartSec=soon");
    std::fs::write(&broken, text).unwrap();
    let output = verify(&analyze, &home, &runtime, man.as_deref(), &broken);
    let said = verify_output(&output);
    assert!(
        said.contains("Umask") && said.contains("soon"),
        "systemd-analyze did not report the broken copy: {said}"
    );
}

/// The serve unit, as shipped, with its example .env: systemd-analyze has nothing to say, and
/// its ExecStart (expanded as systemd would) is a `serve` command line rolecreds accepts.
#[test]
fn systemd_analyze_accepts_the_serve_unit_and_its_command_line_parses() {
    const SERVE_UNIT: &str = "contrib/systemd/rolecreds-serve@.service";
    const SERVE_ENV: &str = "contrib/systemd/serve-example.env";
    let env = environment_file(&read(SERVE_ENV));
    let settings = unit_settings(&read(SERVE_UNIT));
    let exec_start = one(&settings, "ExecStart");
    let mut words: Vec<String> = Vec::new();
    for word in exec_start.split_whitespace() {
        match word {
            "$ROLECREDS_ARGS" => {
                words.extend(env["ROLECREDS_ARGS"].split_whitespace().map(String::from))
            }
            "${ROLECREDS_LISTEN}" => words.push(env["ROLECREDS_LISTEN"].clone()),
            other => words.push(other.replace("%t", "/run/user/1000").replace("%i", "dev")),
        }
    }
    assert_eq!(words[0], "%h/.cargo/bin/rolecreds", "{words:?}");
    assert_eq!(words[1], "serve", "{words:?}");
    // clap accepts the line: --help after it would print help; a bad flag would be exit 2.
    let output = Command::new(env!("CARGO_BIN_EXE_rolecreds"))
        .args(&words[1..])
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let Some(analyze) = analyzer_for(SERVE_UNIT) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (home, config) = unit_home(tmp.path());
    std::fs::copy(path(SERVE_ENV), config.join("serve-dev.env")).unwrap();
    let runtime = tmp.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let units = tmp.path().join("units");
    std::fs::create_dir(&units).unwrap();
    let instance = units.join("rolecreds-serve@dev.service");
    std::fs::copy(path(SERVE_UNIT), &instance).unwrap();
    let output = verify(&analyze, &home, &runtime, None, &instance);
    let said = verify_output(&output);
    assert!(
        output.status.success() && said.trim().is_empty(),
        "systemd-analyze verify --user {}: {}\n{said}",
        instance.display(),
        output.status
    );
}

#[test]
fn unit_settings_are_the_documented_ones() {
    let settings = unit_settings(&read(UNIT));
    let exec = one(&settings, "ExecStart");
    assert!(
        exec.starts_with("%h/.cargo/bin/rolecreds ")
            && exec.contains(" --profile-name %i ")
            && exec.contains(" --watch")
            && exec.contains(" --quiet"),
        "{exec}"
    );
    assert_eq!(one(&settings, "ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(
        one(&settings, "EnvironmentFile"),
        "%h/.config/rolecreds/%i.env"
    );
    assert_eq!(one(&settings, "UMask"), "0077");
    assert_eq!(one(&settings, "Restart"), "on-failure");
    // Sandboxing that would make the home directory read-only or hidden stops the writes.
    for key in [
        "ProtectHome",
        "ProtectSystem",
        "ReadOnlyPaths",
        "InaccessiblePaths",
    ] {
        assert!(
            !settings.contains_key(&("Service".to_owned(), key.to_owned())),
            "{key}= would stop rolecreds writing ~/.aws"
        );
    }
    assert!(
        settings.contains_key(&("Install".to_owned(), "WantedBy".to_owned())),
        "no [Install] WantedBy=: systemctl --user enable would not work"
    );
}

/// The exact command the unit runs, with the example settings, is accepted in full: it gets
/// past argument parsing to the refusal to overwrite long-term keys in the instance's
/// profile (exit 4), which comes before any network call.
#[test]
fn unit_command_line_parses_and_targets_the_instance_profile() {
    let sandbox = emulator::Sandbox::offline();
    let credentials = sandbox.credentials_file();
    std::fs::write(
        &credentials,
        format!("[{INSTANCE}]\naws_access_key_id=AKIAEXAMPLEEXAMPLE00\naws_secret_access_key=x\n"),
    )
    .unwrap();
    let argv = exec_start(sandbox.home(), INSTANCE);
    let output = sandbox
        .rolecreds()
        .args(&argv[1..])
        .output()
        .expect("run rolecreds");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{argv:?}: {stderr}");
    assert!(
        stderr.contains(&format!("profile {INSTANCE} holds long-term keys")),
        "{stderr}"
    );
}

fn profile_key(file: &Path, profile: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let header = format!("[{profile}]");
    text.lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix("aws_access_key_id="))
        .map(str::to_owned)
}

fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The unit's command against moto, run the way the unit runs it (UMask=0077): it writes the
/// instance's profile, `ExecReload` (SIGHUP) writes new credentials at once, and systemd's
/// stop (SIGTERM) ends it with status 0 and, under --quiet, nothing said.
#[test]
fn unit_command_refreshes_on_reload_and_stops_cleanly() {
    use std::os::unix::process::CommandExt as _;
    let moto = emulator::Moto::start();
    let sandbox = moto.sandbox();
    let argv = exec_start(sandbox.home(), INSTANCE);
    let mut command = sandbox.rolecreds();
    command
        .args(&argv[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: umask is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    let mut service = command.spawn().expect("start the unit's command");
    let credentials = sandbox.credentials_file();
    let deadline = Duration::from_secs(30);
    let mut first = None;
    wait_for("the first write", deadline, || {
        if let Ok(Some(status)) = service.try_wait() {
            panic!("the unit's command exited with {status}: {}", moto.log());
        }
        first = profile_key(&credentials, INSTANCE);
        first.is_some()
    });
    let first = first.unwrap();

    let reload = Command::new("/bin/kill")
        .args(["-HUP", &service.id().to_string()])
        .status()
        .expect("run /bin/kill as ExecReload does");
    assert!(reload.success());
    wait_for("the refresh after SIGHUP", deadline, || {
        profile_key(&credentials, INSTANCE).is_some_and(|key| key != first)
    });

    // SAFETY: plain kill(2) on the child we started and have not reaped.
    assert_eq!(
        unsafe { libc::kill(service.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = service.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = service.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        output.stdout.is_empty() && stderr.is_empty(),
        "--quiet said something: {stderr}"
    );
    for entry in std::fs::read_dir(credentials.parent().unwrap()).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "{} is accessible to others ({mode:o})",
            entry.path().display()
        );
    }
}

// ---- cron ----

/// One cron time field: `*`, numbers or names, ranges, lists, `*/n` and `a-b/n` steps.
fn cron_field_is_valid(field: &str, min: u32, max: u32, names: &[&str]) -> bool {
    let value = |text: &str| -> Option<u32> {
        if let Ok(number) = text.parse::<u32>() {
            return (min..=max).contains(&number).then_some(number);
        }
        names
            .iter()
            .position(|name| name.eq_ignore_ascii_case(text))
            .map(|index| index as u32 + min)
    };
    !field.is_empty()
        && field.split(',').all(|item| {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (item, None),
            };
            let step_ok = step.is_none_or(|s| s.parse::<u32>().is_ok_and(|s| s >= 1 && s <= max));
            let range_ok = match range.split_once('-') {
                _ if range == "*" => true,
                Some((low, high)) => {
                    matches!((value(low), value(high)), (Some(low), Some(high)) if low <= high)
                }
                // `5/10` is not a range: Vixie cron needs `*/10` or `5-59/10`.
                None => step.is_none() && value(range).is_some(),
            };
            step_ok && range_ok
        })
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Checks a crontab line; returns the command's words up to any shell operator.
fn check_cron_line(line: &str) -> Result<Vec<String>, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (command, fields_ok) = if words.first().is_some_and(|w| w.starts_with('@')) {
        let special = [
            "@reboot",
            "@yearly",
            "@annually",
            "@monthly",
            "@weekly",
            "@daily",
            "@midnight",
            "@hourly",
        ];
        (&words[1..], special.contains(&words[0]))
    } else if words.len() > 5 {
        let limits: [(u32, u32, &[&str]); 5] = [
            (0, 59, &[]),
            (0, 23, &[]),
            (1, 31, &[]),
            (1, 12, &MONTHS),
            (0, 7, &DAYS),
        ];
        let ok = words[..5]
            .iter()
            .zip(limits)
            .all(|(field, (min, max, names))| cron_field_is_valid(field, min, max, names));
        (&words[5..], ok)
    } else {
        return Err("fewer than 5 time fields and a command".into());
    };
    if !fields_ok {
        return Err(format!(
            "invalid time fields in {:?}",
            &words[..words.len() - command.len()]
        ));
    }
    let Some(program) = command.first() else {
        return Err("no command after the time fields".into());
    };
    if !program.starts_with('/') || !program.ends_with("/rolecreds") {
        return Err(format!(
            "cron's PATH is minimal (Debian: /usr/bin:/bin): give rolecreds' absolute path, \
             e.g. /usr/local/bin/rolecreds, not {program}"
        ));
    }
    if command.iter().any(|w| w.contains('%')) {
        return Err("an unescaped % ends the command in a crontab (it becomes a newline)".into());
    }
    let operators = [
        "|",
        "||",
        "&&",
        ";",
        ">",
        ">>",
        "2>",
        "2>&1",
        ">/dev/null",
        "2>/dev/null",
    ];
    let words: Vec<String> = command
        .iter()
        .take_while(|w| !operators.contains(w) && !w.starts_with('>') && !w.starts_with("2>"))
        .map(|w| (*w).to_owned())
        .collect();
    if words
        .iter()
        .any(|w| w.contains(['\'', '"', '$', '`', '\\']))
    {
        return Err("quoting or expansions: this test cannot run the command as sh would".into());
    }
    if words.iter().any(|w| w == "--watch") {
        return Err("--watch runs forever: a cron job should run once".into());
    }
    Ok(words)
}

/// The profile a rolecreds command line writes: --profile-name, else the account id.
fn profile_of(args: &[String]) -> String {
    let value = |names: &[&str]| {
        args.iter().enumerate().find_map(|(i, arg)| {
            names.iter().find_map(|name| {
                if arg == name {
                    args.get(i + 1).cloned()
                } else {
                    arg.strip_prefix(&format!("{name}=")).map(str::to_owned)
                }
            })
        })
    };
    value(&["--profile-name", "--profile_name"])
        .or_else(|| value(&["--account-id", "--account_id"]))
        .or_else(|| value(&["--role-arn"]).and_then(|arn| arn.split(':').nth(4).map(str::to_owned)))
        .expect("the cron line names a profile, an account or a role ARN")
}

/// The README's crontab lines: code lines (indented four spaces, or in a fence) naming
/// rolecreds whose first word is a minute field (`*/10`, `0,30`, `5`) or an `@` schedule.
fn readme_cron_lines(readme: &str) -> Vec<&str> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for line in readme.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !(in_fence || line.starts_with("    ") || line.starts_with('\t')) {
            continue;
        }
        let line = line.trim();
        let first = line.split_whitespace().next().unwrap_or_default();
        let minute = first.starts_with(|c: char| c == '*' || c.is_ascii_digit())
            && first
                .chars()
                .all(|c| c.is_ascii_digit() || "*/,-".contains(c));
        let special = first.len() > 1
            && first.starts_with('@')
            && first[1..].chars().all(|c| c.is_ascii_lowercase());
        if (minute || special) && line.contains("rolecreds") {
            lines.push(line);
        }
    }
    lines
}

#[test]
fn cron_field_checker_rejects_what_cron_rejects() {
    for good in [
        "*/10 * * * * /x/rolecreds",
        "0,30 8-18 * jan-dec mon-fri /x/rolecreds -q",
    ] {
        assert!(check_cron_line(good).is_ok(), "{good}");
    }
    for bad in [
        "*/10 * * * /x/rolecreds",
        "60 * * * * /x/rolecreds",
        "* 24 * * * /x/rolecreds",
        "* * 0 * * /x/rolecreds",
        "5/10 * * * * /x/rolecreds",
        "*/0 * * * * /x/rolecreds",
        "* * * * * rolecreds",
        "* * * * * /x/rolecreds --session-name %u",
        "* * * * * /x/rolecreds --watch",
    ] {
        assert!(check_cron_line(bad).is_err(), "{bad}");
    }
}

/// Every cron line in the README has valid time fields, and its command line is accepted in
/// full by rolecreds: run with cron's minimal PATH, it gets past argument parsing to the
/// refusal to overwrite long-term keys (exit 4), before any network call.
#[test]
fn readme_cron_lines_parse_and_rolecreds_accepts_them() {
    let readme = read("README.md");
    let lines = readme_cron_lines(&readme);
    assert!(!lines.is_empty(), "README.md shows no cron line");
    for line in lines {
        let words =
            check_cron_line(line).unwrap_or_else(|e| panic!("README cron line: {e}\n{line}"));
        let mut args = words[1..].to_vec();
        let sandbox = emulator::Sandbox::offline();
        let credentials = sandbox.credentials_file();
        if let Some(i) = args.iter().position(|a| a == "--credentials-file") {
            args[i + 1] = credentials.to_string_lossy().into_owned();
        }
        let profile = profile_of(&args);
        std::fs::write(
            &credentials,
            format!(
                "[{profile}]\naws_access_key_id=AKIAEXAMPLEEXAMPLE00\naws_secret_access_key=x\n"
            ),
        )
        .unwrap();
        let output = sandbox
            .rolecreds()
            .env("PATH", "/usr/bin:/bin")
            .args(&args)
            .output()
            .expect("run rolecreds");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(4),
            "README cron line not accepted by rolecreds:\n{line}\n{stderr}"
        );
        assert!(stderr.contains("holds long-term keys"), "{line}\n{stderr}");
    }
}
