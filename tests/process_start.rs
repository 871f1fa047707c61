//! What every run pays before and after its work: the shared libraries the binary loads (each
//! one is opened, mapped and relocated at every start, which is most of a one-shot edit's
//! time at 10 profiles), and a report line that cannot fail a run whose work is done.
#![cfg(unix)]

mod support;

use std::process::Stdio;
use support::*;

/// The `DT_NEEDED` names of an ELF64 little-endian executable, read from its dynamic section.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_pointer_width = "64",
    target_endian = "little"
))]
fn needed_libraries(path: &std::path::Path) -> Vec<String> {
    let elf = std::fs::read(path).expect("read the binary");
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    assert_eq!(&elf[..6], b"\x7fELF\x02\x01", "an ELF64 little-endian file");
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    let headers: Vec<usize> = (0..phnum).map(|i| phoff + i * phentsize).collect();
    let kind = |header: usize| u32::from_le_bytes(elf[header..header + 4].try_into().unwrap());
    // (virtual address, file offset, file size) of each PT_LOAD, to find the string table.
    let loads: Vec<(usize, usize, usize)> = headers
        .iter()
        .filter(|&&h| kind(h) == 1)
        .map(|&h| (u64_at(h + 0x10), u64_at(h + 0x08), u64_at(h + 0x20)))
        .collect();
    let dynamic = headers
        .iter()
        .find(|&&h| kind(h) == 2)
        .map(|&h| (u64_at(h + 0x08), u64_at(h + 0x20)))
        .expect("a dynamically linked binary has PT_DYNAMIC");
    let entries: Vec<(usize, usize)> = (dynamic.0..dynamic.0 + dynamic.1)
        .step_by(16)
        .map(|at| (u64_at(at), u64_at(at + 8)))
        .take_while(|&(tag, _)| tag != 0)
        .collect();
    let strtab_address = entries
        .iter()
        .find(|&&(tag, _)| tag == 5)
        .expect("DT_STRTAB")
        .1;
    let strtab = loads
        .iter()
        .find(|&&(vaddr, _, size)| (vaddr..vaddr + size).contains(&strtab_address))
        .map(|&(vaddr, offset, _)| strtab_address - vaddr + offset)
        .expect("the string table is in a loaded segment");
    entries
        .iter()
        .filter(|&&(tag, _)| tag == 1)
        .map(|&(_, name)| {
            let start = strtab + name;
            let end = start + elf[start..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8_lossy(&elf[start..end]).into_owned()
        })
        .collect()
}

/// The binary needs the C library and its loader only: the unwinder is linked in and the one
/// libm function is supplied (build.rs, src/main.rs). A dependency that starts calling another
/// libm function, or a toolchain without libgcc_eh.a, brings a library back and fails here.
#[cfg(all(
    target_os = "linux",
    target_env = "gnu",
    target_pointer_width = "64",
    target_endian = "little"
))]
#[test]
fn the_binary_loads_only_the_c_library() {
    let needed = needed_libraries(std::path::Path::new(BIN));
    assert!(
        needed.iter().any(|name| name.starts_with("libc.so")),
        "the reader found no libc among {needed:?}"
    );
    let others: Vec<&String> = needed
        .iter()
        .filter(|name| !name.starts_with("libc.so") && !name.starts_with("ld-linux"))
        .collect();
    assert!(
        others.is_empty(),
        "rolecreds loads {others:?} at every start as well as the C library (see build.rs; its \
         unwinder: {})",
        env!("ROLECREDS_UNWINDER")
    );
}

/// A report line written to a pipe whose reader is gone (`rolecreds import ... 2>&1 | true`
/// in a script) is lost, not fatal: the profile is written and the run succeeds. (eprintln!
/// panics on the EPIPE, and with panic=abort the run died of SIGABRT after its write.)
#[test]
fn a_closed_stderr_pipe_does_not_fail_a_finished_import() {
    let (_dir, path) = credentials_in_tempdir();
    let creds = Creds::for_index(1);
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut cmd = import_command(&path, "dev", &[]);
    cmd.stderr(Stdio::from(writer));
    let mut child = spawn(&mut cmd);
    feed(&mut child, &creds.json());
    let output = wait_with_deadline(child, RUN_DEADLINE);
    assert!(
        output.status.success(),
        "rolecreds failed with its stderr closed: {} (signal {:?})",
        output.status,
        signal_of(&output.status)
    );
    let written = std::fs::read_to_string(&path).expect("the credentials file");
    assert!(
        written.contains(&format!("aws_session_token={}", creds.token)),
        "the profile was not written:\n{written}"
    );
}
