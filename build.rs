//! Link-time settings that shorten a one-shot run's start-up on Linux with glibc (no crate is
//! rebuilt for them; other targets link as before). At 10 profiles, `scripts/bench-edit`
//! measures mostly process start-up, and these are its parts the binary controls:
//!
//! - DT_RELR (binutils 2.38+, glibc 2.36+): the executable's relative relocations are packed,
//!   so the loader applies them in a fraction of the time and the 800 KB relocation table
//!   shrinks to a few KB.
//! - The unwinder linked in (libgcc_eh, as `gcc -static-libgcc` does) instead of loading
//!   libgcc_s.so: one shared library fewer to open, map and relocate, measured at 0.075 ms of
//!   CPU per run. rustc asks for `-lgcc_s` by name, so a directory holding `libgcc_s.a` (a
//!   copy of the toolchain's libgcc_eh.a) goes on the binaries' search path, ahead of the
//!   system directories that hold libgcc_s.so. Without a
//!   libgcc_eh.a (no gcc), or when cross-compiling, the shared library is used as before;
//!   `tests/process_start.rs` fails then, so a lost optimisation is seen.
//!
//! (libm is the other library the floor does not load: `src/main.rs` supplies its one
//! function.)

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || env != "gnu" {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    // `cc` is the host's compiler: its libgcc_eh.a fits a native build only.
    if std::env::var("TARGET").ok() != std::env::var("HOST").ok() {
        println!("cargo:rustc-env=ROLECREDS_UNWINDER=shared (cross-compiled)");
        return;
    }
    match static_unwinder_dir() {
        // For the binaries only, like DT_RELR: tests and examples link as std does.
        Ok(dir) => {
            println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
            println!("cargo:rustc-env=ROLECREDS_UNWINDER=static");
        }
        Err(why) => {
            println!("cargo:warning=linking the shared libgcc_s: {why}");
            println!("cargo:rustc-env=ROLECREDS_UNWINDER=shared ({why})");
        }
    }
}

/// A directory in OUT_DIR whose `libgcc_s.a` is the C toolchain's libgcc_eh.a.
fn static_unwinder_dir() -> Result<PathBuf, String> {
    let compiler = cc::Build::new()
        .try_get_compiler()
        .map_err(|e| format!("no C compiler: {e}"))?;
    let output = compiler
        .to_command()
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", compiler.path()))?;
    // gcc (and clang, through the gcc installation it uses) prints the bare name back when it
    // has no such file.
    let archive = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !output.status.success() || !archive.is_absolute() || !archive.is_file() {
        return Err(format!("{:?} knows no libgcc_eh.a", compiler.path()));
    }
    let dir = Path::new(&std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("unwinder");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let copy = dir.join("libgcc_s.a");
    std::fs::copy(&archive, &copy)
        .map_err(|e| format!("cannot copy {}: {e}", archive.display()))?;
    // A gcc upgrade replaces the archive: copy it again then.
    println!("cargo:rerun-if-changed={}", archive.display());
    Ok(dir)
}
