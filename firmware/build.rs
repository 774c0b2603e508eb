//! Puts `memory.x` on the linker path; `EMOVOX_FIRMWARE_DATA` names the folder with the
//! generated `model.emt` and `clips.bin` (default `data/`).
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let _ = std::fs::copy("memory.x", out.join("memory.x"));
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    let data = std::env::var("EMOVOX_FIRMWARE_DATA").unwrap_or_else(|_| "data".into());
    let data = std::fs::canonicalize(&data).unwrap_or_else(|_| PathBuf::from(&data));
    println!("cargo:rustc-env=EMOVOX_FIRMWARE_DATA={}", data.display());
    println!("cargo:rerun-if-env-changed=EMOVOX_FIRMWARE_DATA");
    println!("cargo:rerun-if-changed={}", data.display());
}
