//! Link-time settings for the rolecreds binaries only (no crate is rebuilt for them).
//!
//! On Linux with glibc, pack the executable's ~34,000 relative relocations as DT_RELR
//! (binutils 2.38+, glibc 2.36+): the loader applies them in a fraction of the time and the
//! 800 KB relocation table shrinks to a few KB, which is most of a one-shot run's start-up
//! (`scripts/bench-edit` at 10 profiles). Other targets link as before.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
