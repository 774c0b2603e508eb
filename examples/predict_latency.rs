//! Latency of one prediction after the model is loaded: decode, resample, features, network.
//!
//!     cargo run --release --example predict_latency -- FILE [RUNS] [MODEL_DIR]
//!
//! Prints the median and 90th percentile over RUNS (default 200) calls of
//! `Recognizer::predict_file`, and the same split into stages. Run with `RAYON_NUM_THREADS=1`
//! (as `bench/predict.py` does) for one core.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(
        args.next()
            .ok_or("usage: predict_latency FILE [RUNS] [MODEL_DIR]")?,
    );
    let runs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let model = args.next().map(PathBuf::from);
    let t0 = Instant::now();
    let rec = emovox::Recognizer::from_option(model.as_deref())?;
    let load_ms = t0.elapsed().as_secs_f64() * 1e3;
    let p = rec.predict_file(&file)?; // warm-up: plans the resampler for this rate
    let (mut total, mut feats, mut net) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let q = rec.predict_file(&file)?;
        total.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(q, p, "predictions are deterministic");
        let t = Instant::now();
        let f = rec.features_of_file(&file)?;
        feats.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        rec.predict_features(std::slice::from_ref(&f))?;
        net.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let stat = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[v.len() * 9 / 10])
    };
    let (m, p90) = stat(&mut total);
    let (fm, _) = stat(&mut feats);
    let (nm, _) = stat(&mut net);
    println!(
        "model load {load_ms:.1} ms; {runs} runs of predict_file({})",
        file.display()
    );
    println!("median {m:.3} ms  p90 {p90:.3} ms  (decode+features {fm:.3} ms, network {nm:.3} ms)");
    println!("-> {} {:.2}", p.label, p.confidence);
    Ok(())
}
