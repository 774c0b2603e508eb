use emovox_audio::{decode_file, DecodeOptions, Resampler};
fn lcg(s: &mut u64) -> f32 { *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((*s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0 }
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let y: Vec<f32> = if let Some(k) = path.strip_prefix("synth:") {
        let mut s = 1u64;
        let n = 32000;
        match k {
            "zero" => vec![0.0; n],
            "noise60" => (0..n).map(|_| lcg(&mut s) * 0.001 * 1.7).collect(),
            "noise30" => (0..n).map(|_| lcg(&mut s) * 0.03 * 1.7).collect(),
            "tone" => (0..n).map(|i| if (8000..24000).contains(&i) { 0.3 * (i as f32 * 2.0 * 3.14159 * 440.0 / 16000.0).sin() } else { 0.0 }).collect(),
            "buzz" => (0..n).map(|i| if (8000..24000).contains(&i) { (1..20).map(|h| 0.1 / h as f32 * (i as f32 * 2.0 * 3.14159 * 150.0 * h as f32 / 16000.0).sin()).sum() } else { 0.0 }).collect(),
            "click" => (0..n).map(|i| if (16000..16010).contains(&i) { 0.9 } else { 0.0 }).collect(),
            _ => panic!(),
        }
    } else {
    let clip = decode_file(path.as_ref(), &DecodeOptions::new()).unwrap();
    let mut r = Resampler::new(clip.sample_rate, 16000).unwrap();
    let mut y = Vec::new();
    r.process(&clip.samples, &mut y).unwrap();
    let mut y = y;
    if let Some(db) = std::env::args().nth(3) { let a = 10f32.powf(db.parse::<f32>().unwrap() / 20.0) * 1.7; let mut s = 5u64; for v in y.iter_mut() { *v += a * lcg(&mut s); } }
    y };
    let mut det = earshot::Detector::default();
    let vad = emovox_audio::vad::Vad::new(emovox_audio::vad::VadConfig::new()).unwrap();
    let probs = vad.frame_probabilities(&y, &mut vad.scratch());
    let every: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(1);
    for (i, f) in y.chunks_exact(256).enumerate() {
        let s = det.predict_f32(f);
        let e = f.iter().map(|v| v * v).sum::<f32>() / 256.0;
        let db = 10.0 * (e + 1e-12).log10();
        if i % every == 0 { println!("{:5.3} {:6.1} {:5.2} {:5.2} {}", i as f32 * 0.016, db, s, probs[i], "#".repeat((s * 40.0) as usize)); }
    }
}
