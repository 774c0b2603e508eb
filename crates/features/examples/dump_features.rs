//! Per-clip features of audio files as CSV on stdout, without building the rest of the workspace.
//!
//! ```text
//! cargo run --release -p emovox-features --example dump_features -- \
//!     --pipeline prosody FILE... > out.csv
//! ```
//!
//! One row per file: `path` and the pipeline's values (named columns for `prosody` and
//! `handcrafted`, `c0..` otherwise; per-frame pipelines are flattened). Files are decoded with
//! `emovox_audio::decode_file` and resampled by the extractor. `--time` also prints to stderr how
//! long feature extraction alone took (decoding excluded), and clips per second; `--repeat N`
//! runs the extraction N times per clip for a steadier timing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use emovox_audio::decode_file;
use emovox_features::{Extractor, Features, PipelineConfig};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dump_features: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut spec = "prosody".to_string();
    let (mut time, mut repeat) = (false, 1usize);
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--pipeline" => spec = args.next().ok_or("--pipeline needs a spec")?,
            "--time" => time = true,
            "--repeat" => repeat = args.next().ok_or("--repeat needs a count")?.parse()?,
            "-h" | "--help" => {
                println!("usage: dump_features [--pipeline SPEC] [--time] [--repeat N] FILE...");
                return Ok(());
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        return Err(
            "no input files (usage: dump_features [--pipeline SPEC] [--time] FILE...)".into(),
        );
    }
    let config: PipelineConfig = spec.parse()?;
    let names = config.column_names();
    let mut ex = Extractor::new(config)?;
    let mut out = Features::default();
    let mut spent = Duration::ZERO;
    let mut header = false;
    for path in &files {
        let clip = decode_file(path, &ex.decode_options())?;
        let start = Instant::now();
        for _ in 0..repeat.max(1) {
            out = ex.process_decoded(&clip)?;
        }
        spent += start.elapsed();
        if !header {
            let names: Vec<String> = match &names {
                Some(n) => n.iter().map(|s| s.to_string()).collect(),
                None => (0..out.values.len()).map(|i| format!("c{i}")).collect(),
            };
            println!("path,{}", names.join(","));
            header = true;
        }
        let values: Vec<String> = out.values.iter().map(|v| v.to_string()).collect();
        println!("{},{}", path.display(), values.join(","));
    }
    if time {
        let n = (files.len() * repeat.max(1)) as f64;
        eprintln!(
            "{spec}: {} extractions in {:.3} s: {:.1} clips/s ({:.2} ms/clip)",
            n,
            spent.as_secs_f64(),
            n / spent.as_secs_f64(),
            1e3 * spent.as_secs_f64() / n
        );
    }
    Ok(())
}
