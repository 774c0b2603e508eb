//! Measures voice-activity detectors on real clips and on synthetic long recordings.
//!
//! ```text
//! cargo run --release -p emovox-audio --features opus --example vad_bench -- \
//!     [--datasets DIR] [--part clips|long|speed|all] [--actors 21,22,23,24] [--every N]
//! ```
//!
//! Candidates, all with the same region rules unless said (onset/offset 0.5/0.35, bridge 0.3 s,
//! min speech 0.1 s, pad 0.1 s):
//!
//! * `timeline`: the energy VAD `emovox::timeline::detect_speech` had before it moved to this
//!   crate's VAD (20 ms frames within 35 dB of the loudest and above -55 dBFS; bridge 0.3 s, min
//!   speech 0.25 s, no pad), copied here.
//! * `earshot`: earshot's score alone ([`VadMethod::Neural`], gate off, floor -120 dBFS).
//! * `energy`: [`VadMethod::Energy`] (level above the adaptive noise floor + periodicity).
//! * `earshot+gate`: [`VadMethod::Neural`] (earshot x energy gate).
//! * `hybrid`: the default [`VadConfig`] ([`VadMethod::Hybrid`]: earshot x energy gate, or a
//!   strongly periodic frame well above the noise floor).
//!
//! Reference speech of a clip: a careful energy trim (10 ms hops of 20 ms frames; threshold
//! `max(min(p10 + 25 dB, peak - 20 dB), peak - 35 dB)`; first to last run of at least 5 frames
//! above it).
//!
//! `clips`: per corpus, the share of clips where speech is found, the trimmed duration
//! (p5/p50/p95, seconds) and its median share of the clip, the median signed error of the trim's
//! start and end against the reference (seconds; the 0.1 s pad makes -0.1/+0.1 the aim), `cut%`:
//! clips whose trim loses more than 0.1 s of reference speech at either end, and `loose%`: clips
//! whose trim keeps more than 0.3 s beyond the reference at either end.
//!
//! `long`: recordings of 12 RAVDESS clips (actors `--actors`), each scaled to -26 dBFS RMS over
//! its reference speech, with 1-2.5 s of digital silence or near-silence (white noise at
//! -70 dBFS) between them, clean and with white or pink noise at
//! 20, 10 and 5 dB SNR (speech power over the reference speech). `hit` = share of reference
//! speech found, `fa` = share of non-speech called speech, both outside a 0.2 s collar around
//! reference boundaries (`fa_all`: without the collar); `clips` = share of clips overlapped by a
//! region; `spur/min` = regions touching no reference speech per minute.
//!
//! `speed`: real-time factor (processing time / audio time, one thread) on RAVDESS clips at
//! 48 kHz (resampling included) and on the long recordings at 16 kHz.
//!
//! # Results (2026-12-02, actors 21-24 for `long`; thresholds were tuned on actors 17-20)
//!
//! ```text
//! clips     method        found%  trim s p5/p50/p95  kept%  dstart   dend  cut% loose%
//! ravdess   timeline        99.6  1.16/1.66/2.44     45.0   +0.010  -0.040  25.3   0.7
//! (1440)    earshot        100.0  1.52/2.00/2.90     54.7   -0.048  +0.226  13.6  22.5
//!           energy         100.0  1.44/1.94/2.94     52.2   -0.098  +0.084   6.5   8.1
//!           earshot+gate   100.0  1.38/1.84/2.61     50.1   -0.046  +0.088  15.9   1.7
//!           hybrid         100.0  1.39/1.86/2.72     50.5   -0.050  +0.090  10.6   2.7
//! tess      hybrid         100.0  1.51/1.97/2.45     98.6   (clips cut tight: nothing to trim)
//! emovo     hybrid          99.8  1.33/2.22/4.72     85.5   -0.080  +0.146   1.4  10.6
//! turev     hybrid         100.0  0.59/0.80/1.01     84.9   -0.080  +0.138   0.3   1.9
//!
//! long      hit%/fa%  timeline    earshot     energy      earshot+gate  hybrid
//! clean               96.7/0.2    98.2/0.4    99.3/1.0    98.1/0.1      98.5/0.1
//! white 20 dB          100/100    97.9/0.3    97.1/0.0    96.4/0.0      96.4/0.0
//! white 10 dB          100/100    98.5/10.5   93.4/0.0    94.0/0.0      94.1/0.0
//! white 5 dB           100/100    99.3/59.8   89.4/0.0    92.0/0.0      92.0/0.0
//! pink 20 dB           100/100    97.9/0.3    97.8/0.3    97.5/0.0      97.6/0.0
//! pink 10 dB           100/100    98.1/1.3    94.9/0.2    96.7/0.1      96.7/0.1
//! pink 5 dB            100/100    98.8/14.9   90.9/0.2    96.6/1.0      96.6/1.0
//!
//! speed (RTF, one thread)  48 kHz clips  16 kHz long
//! timeline                 0.00006       0.00001
//! earshot / earshot+gate   0.0008-0.0009 0.0006-0.0007   (~1500x real time)
//! energy                   0.0007        0.0003
//! hybrid                   0.0012        0.0009          (~1000x real time)
//! ```
//!
//! In the long recordings every clip overlapped a region for every method (`clips` 100%); in
//! any noise `timeline` calls the whole recording speech. The reference is itself an energy trim: part of `cut%` on RAVDESS is breaths and
//! rustle before the sentence that the reference counts as speech. The one EMOVO clip with no
//! speech found (`tri-m1-d2`, sad, about -45 dBFS) is scored 0.2-0.5 by the network and not
//! voiced enough for the rescue.

use std::path::{Path, PathBuf};
use std::time::Instant;

use emovox_audio::vad::{Vad, VadConfig, VadMethod, VadScratch};
use emovox_audio::{decode_file, DecodeOptions, Resampler};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

const SR: usize = 16_000;

struct Cand {
    name: String,
    vad: Option<Vad>,
}

fn candidates(extra: &[(String, VadConfig)]) -> Vec<Cand> {
    let mut c = vec![
        Cand {
            name: "timeline".into(),
            vad: None,
        },
        Cand {
            name: "earshot".into(),
            vad: Some(
                Vad::new(
                    VadConfig::new()
                        .method(VadMethod::Neural)
                        .gate_db(0.0)
                        .floor_db(-120.0),
                )
                .expect("valid config"),
            ),
        },
        Cand {
            name: "energy".into(),
            vad: Some(Vad::new(VadConfig::new().method(VadMethod::Energy)).expect("valid config")),
        },
        Cand {
            name: "earshot+gate".into(),
            vad: Some(Vad::new(VadConfig::new().method(VadMethod::Neural)).expect("valid config")),
        },
        Cand {
            name: "hybrid".into(),
            vad: Some(Vad::new(VadConfig::new()).expect("valid config")),
        },
    ];
    for (name, cfg) in extra {
        c.push(Cand {
            name: name.clone(),
            vad: Some(Vad::new(*cfg).expect("valid config")),
        });
    }
    c
}

/// The energy VAD `emovox::timeline::detect_speech` had before it moved to this crate's VAD,
/// with its default options (kept here for comparison).
fn timeline_vad(y: &[f32], rate: usize) -> Vec<(usize, usize)> {
    let frame = (0.02 * rate as f64) as usize;
    let db: Vec<f32> = y
        .chunks(frame)
        .map(|c| {
            10.0 * (c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32)
                .max(1e-12)
                .log10()
        })
        .collect();
    let loudest = db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let thr = (loudest - 35.0).max(-55.0);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, &d) in db.iter().enumerate() {
        match (d >= thr, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, db.len()));
    }
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for r in runs {
        match merged.last_mut() {
            Some(last) if r.0 - last.1 < 15 => last.1 = r.1,
            _ => merged.push(r),
        }
    }
    merged
        .into_iter()
        .filter(|(a, b)| b - a >= 13)
        .map(|(a, b)| (a * frame, (b * frame).min(y.len())))
        .collect()
}

fn regions(c: &Cand, y: &[f32], rate: usize, scratch: &mut VadScratch) -> Vec<(usize, usize)> {
    match &c.vad {
        Some(v) => v.speech_regions(y, rate as u32, scratch).expect("vad runs"),
        None => timeline_vad(y, rate),
    }
}

/// The careful energy trim used as reference (16 kHz input).
fn reference_trim(y: &[f32]) -> Option<(usize, usize)> {
    let (win, hop) = (320, 160);
    if y.len() < win {
        return None;
    }
    let db: Vec<f32> = (0..=(y.len() - win) / hop)
        .map(|i| {
            let c = &y[i * hop..i * hop + win];
            10.0 * (c.iter().map(|v| v * v).sum::<f32>() / win as f32)
                .max(1e-12)
                .log10()
        })
        .collect();
    let mut sorted = db.clone();
    sorted.sort_by(f32::total_cmp);
    let p10 = sorted[sorted.len() / 10];
    let peak = sorted[sorted.len() - 1];
    let thr = (p10 + 25.0).min(peak - 20.0).max(peak - 35.0);
    let above: Vec<bool> = db.iter().map(|&d| d >= thr).collect();
    let ok = |i: usize| i + 5 <= above.len() && above[i..i + 5].iter().all(|&a| a);
    let first = (0..above.len()).find(|&i| ok(i))?;
    let last = (0..above.len()).rev().find(|&i| i >= 4 && ok(i - 4))?;
    Some((first * hop, (last * hop + win).min(y.len())))
}

fn list(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            list(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

fn to16k(path: &Path) -> Option<(Vec<f32>, Vec<f32>, u32)> {
    let clip = match decode_file(path, &DecodeOptions::new()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skip {e}");
            return None;
        }
    };
    let mut r = Resampler::new(clip.sample_rate, SR as u32).ok()?;
    let mut y = Vec::new();
    r.process(&clip.samples, &mut y).ok()?;
    Some((y, clip.samples, clip.sample_rate))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn clips_part(datasets: &Path, every: usize, cands: &[Cand]) {
    println!("## clips (every {every}th file)");
    println!(
        "{:<8} {:<14} {:>5} {:>7} {:>17} {:>6} {:>7} {:>7} {:>6} {:>6}",
        "corpus",
        "method",
        "n",
        "found%",
        "trim s p5/p50/p95",
        "kept%",
        "dstart",
        "dend",
        "cut%",
        "loose%"
    );
    for (corpus, ext) in [
        ("ravdess", "flac"),
        ("tess", "flac"),
        ("emovo", "flac"),
        ("turev", "opus"),
    ] {
        if ext == "opus" && !cfg!(feature = "opus") {
            println!("{corpus}: skipped (build with --features opus)");
            continue;
        }
        let mut files = Vec::new();
        list(&datasets.join(corpus), ext, &mut files);
        let mut paths = Vec::new();
        let mut clips = Vec::new();
        for p in files.into_iter().step_by(every.max(1)) {
            if let Some((y, _, _)) = to16k(&p) {
                paths.push(p);
                clips.push(y);
            }
        }
        let refs: Vec<Option<(usize, usize)>> = clips.iter().map(|y| reference_trim(y)).collect();
        let ref_found = refs.iter().filter(|r| r.is_some()).count();
        let total: f64 = clips.iter().map(|y| y.len() as f64 / SR as f64).sum();
        println!(
            "{corpus:<8} {:<14} {:>5} {:>7.1}   (mean clip {:.2} s)",
            "(reference)",
            clips.len(),
            100.0 * ref_found as f64 / clips.len().max(1) as f64,
            total / clips.len().max(1) as f64
        );
        for c in cands {
            let mut scratch = c.vad.as_ref().map_or_else(
                || Vad::new(VadConfig::new()).expect("valid").scratch(),
                |v| v.scratch(),
            );
            let (mut found, mut durs, mut kept) = (0, Vec::new(), Vec::new());
            let (mut ds, mut de, mut cut, mut loose) = (Vec::new(), Vec::new(), 0, 0);
            for ((y, r), path) in clips.iter().zip(&refs).zip(&paths) {
                let reg = regions(c, y, SR, &mut scratch);
                let (Some(a), Some(b)) = (reg.first(), reg.last()) else {
                    if std::env::var("VAD_BENCH_DEBUG").is_ok_and(|d| d == c.name) {
                        eprintln!("no speech: {}", path.display());
                    }
                    continue;
                };
                found += 1;
                let (s, e) = (a.0, b.1);
                durs.push((e - s) as f64 / SR as f64);
                kept.push((e - s) as f64 / y.len() as f64);
                if let Some((rs, re)) = r {
                    let es = (s as f64 - *rs as f64) / SR as f64;
                    let ee = (e as f64 - *re as f64) / SR as f64;
                    cut += usize::from(es > 0.1 || ee < -0.1);
                    if (es > 0.1 || ee < -0.1)
                        && std::env::var("VAD_BENCH_DEBUG").is_ok_and(|d| d == c.name)
                    {
                        eprintln!(
                            "cut {es:+.2} {ee:+.2} ref {:.2}-{:.2}: {}",
                            *rs as f64 / SR as f64,
                            *re as f64 / SR as f64,
                            path.display()
                        );
                    }
                    loose += usize::from(es < -0.3 || ee > 0.3);
                    ds.push(es);
                    de.push(ee);
                }
            }
            let n = ds.len().max(1) as f64;
            println!(
                "{corpus:<8} {:<14} {:>5} {:>7.1} {:>5.2}/{:>5.2}/{:>5.2} {:>6.1} {:>7.3} {:>7.3} {:>6.1} {:>6.1}",
                c.name,
                clips.len(),
                100.0 * found as f64 / clips.len().max(1) as f64,
                pct(&mut durs, 0.05),
                pct(&mut durs, 0.5),
                pct(&mut durs, 0.95),
                100.0 * pct(&mut kept, 0.5),
                pct(&mut ds, 0.5),
                pct(&mut de, 0.5),
                100.0 * cut as f64 / n,
                100.0 * loose as f64 / n,
            );
        }
    }
}

struct Recording {
    y: Vec<f32>,
    /// Reference speech, sample ranges.
    refs: Vec<(usize, usize)>,
}

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    loop {
        let u = 2.0 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) - 1.0;
        let v = 2.0 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return (u * (-2.0 * s.ln() / s).sqrt()) as f32;
        }
    }
}

fn white(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..n).map(|_| gauss(rng)).collect()
}

/// Pink (1/f) noise: Paul Kellet's refined filter on white noise.
fn pink(n: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut b = [0.0f32; 7];
    (0..n)
        .map(|_| {
            let w = gauss(rng);
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.153_852;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            out
        })
        .collect()
}

fn build_recordings(datasets: &Path, actors: &[u32], n_rec: usize) -> Vec<Recording> {
    let mut files = Vec::new();
    for a in actors {
        list(
            &datasets.join(format!("ravdess/Actor_{a:02}")),
            "flac",
            &mut files,
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut recs = Vec::new();
    for k in 0..n_rec {
        let mut y = Vec::new();
        let mut refs = Vec::new();
        for j in 0..12 {
            let path = &files[(rng.next_u64() % files.len() as u64) as usize];
            let Some((mut clip, _, _)) = to16k(path) else {
                continue;
            };
            // Every clip at the same active speech level (-26 dBFS RMS over its reference
            // speech), as one speaker in one recording, so the SNR holds for each clip.
            if let Some((a, b)) = reference_trim(&clip) {
                let rms = (clip[a..b].iter().map(|v| v * v).sum::<f32>() / (b - a) as f32).sqrt();
                let peak = clip.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                let g = (10f32.powf(-26.0 / 20.0) / rms.max(1e-9)).min(0.99 / peak.max(1e-9));
                clip.iter_mut().for_each(|v| *v *= g);
            }
            if std::env::var_os("VAD_BENCH_DEBUG").is_some() && k < 2 {
                eprintln!(
                    "{} {:.2} {:?}",
                    path.display(),
                    y.len() as f64 / SR as f64,
                    reference_trim(&clip)
                );
            }
            if let Some((a, b)) = reference_trim(&clip) {
                refs.push((y.len() + a, y.len() + b));
            }
            y.extend_from_slice(&clip);
            let gap = SR + (rng.next_u64() % (1.5 * SR as f64) as u64) as usize;
            if (j + k) % 2 == 0 {
                y.extend(std::iter::repeat_n(0.0, gap));
            } else {
                let amp = 10f32.powf(-70.0 / 20.0);
                y.extend(white(gap, &mut rng).into_iter().map(|v| v * amp));
            }
        }
        recs.push(Recording { y, refs });
    }
    recs
}

fn mix(rec: &Recording, kind: &str, snr_db: f32, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let noise = match kind {
        "white" => white(rec.y.len(), &mut rng),
        _ => pink(rec.y.len(), &mut rng),
    };
    let (mut ps, mut ns) = (0.0f64, 0usize);
    for &(a, b) in &rec.refs {
        ps += rec.y[a..b].iter().map(|v| (v * v) as f64).sum::<f64>();
        ns += b - a;
    }
    let speech = ps / ns.max(1) as f64;
    let pn = noise.iter().map(|v| (v * v) as f64).sum::<f64>() / noise.len() as f64;
    let g = (speech / 10f64.powf(snr_db as f64 / 10.0) / pn).sqrt() as f32;
    rec.y.iter().zip(&noise).map(|(s, n)| s + g * n).collect()
}

#[derive(Default)]
struct Score {
    hit: usize,
    speech: usize,
    fa: usize,
    nonspeech: usize,
    fa_all: usize,
    nonspeech_all: usize,
    clips_hit: usize,
    clips: usize,
    spurious: usize,
    seconds: f64,
}

fn score(rec: &Recording, det: &[(usize, usize)], s: &mut Score) {
    let n = rec.y.len();
    let collar = SR / 5;
    // 0 non-speech, 1 speech, 2 collar.
    let mut lab = vec![0u8; n];
    for &(a, b) in &rec.refs {
        lab[a..b].fill(1);
    }
    for &(a, b) in &rec.refs {
        for e in [a, b] {
            let lo = e.saturating_sub(collar);
            lab[lo..(e + collar).min(n)].fill(2);
        }
    }
    let mut on = vec![false; n];
    for &(a, b) in det {
        on[a..b.min(n)].fill(true);
    }
    let mut truth = vec![false; n];
    for &(a, b) in &rec.refs {
        truth[a..b].fill(true);
    }
    for i in 0..n {
        match lab[i] {
            1 => {
                s.speech += 1;
                s.hit += on[i] as usize;
            }
            0 => {
                s.nonspeech += 1;
                s.fa += on[i] as usize;
            }
            _ => {}
        }
        if !truth[i] {
            s.nonspeech_all += 1;
            s.fa_all += on[i] as usize;
        }
    }
    for &(a, b) in &rec.refs {
        s.clips += 1;
        s.clips_hit += det.iter().any(|&(c, d)| c < b && d > a) as usize;
    }
    s.spurious += det
        .iter()
        .filter(|&&(c, d)| !rec.refs.iter().any(|&(a, b)| c < b && d > a))
        .count();
    s.seconds += n as f64 / SR as f64;
}

fn long_part(datasets: &Path, actors: &[u32], cands: &[Cand]) {
    let recs = build_recordings(datasets, actors, 8);
    let total: f64 = recs.iter().map(|r| r.y.len() as f64 / SR as f64).sum();
    let speech: f64 = recs
        .iter()
        .flat_map(|r| r.refs.iter().map(|(a, b)| (b - a) as f64 / SR as f64))
        .sum();
    println!(
        "## long recordings: {} x 12 clips of actors {actors:?}, {total:.0} s, {:.0}% reference speech",
        recs.len(),
        100.0 * speech / total
    );
    println!(
        "{:<10} {:<14} {:>6} {:>6} {:>7} {:>6} {:>8}",
        "noise", "method", "hit%", "fa%", "fa_all%", "clips%", "spur/min"
    );
    let mut conds: Vec<(String, Option<(&str, f32)>)> = vec![("clean".into(), None)];
    for kind in ["white", "pink"] {
        for snr in [20.0, 10.0, 5.0] {
            conds.push((format!("{kind}{snr:.0}"), Some((kind, snr))));
        }
    }
    for (name, cond) in &conds {
        let ys: Vec<Vec<f32>> = recs
            .iter()
            .enumerate()
            .map(|(i, r)| match cond {
                None => r.y.clone(),
                Some((kind, snr)) => mix(r, kind, *snr, 7 + i as u64),
            })
            .collect();
        for c in cands {
            let mut scratch = Vad::new(VadConfig::new()).expect("valid").scratch();
            let mut s = Score::default();
            for (r, y) in recs.iter().zip(&ys) {
                let det = regions(c, y, SR, &mut scratch);
                if std::env::var("VAD_BENCH_DEBUG").is_ok_and(|d| d == c.name) {
                    let f = |v: &[(usize, usize)]| {
                        v.iter()
                            .map(|(a, b)| {
                                format!("{:.2}-{:.2}", *a as f64 / SR as f64, *b as f64 / SR as f64)
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    eprintln!("{name} ref: {}\n{name} det: {}", f(&r.refs), f(&det));
                }
                score(r, &det, &mut s);
            }
            println!(
                "{name:<10} {:<14} {:>6.1} {:>6.1} {:>7.1} {:>6.1} {:>8.2}",
                c.name,
                100.0 * s.hit as f64 / s.speech as f64,
                100.0 * s.fa as f64 / s.nonspeech as f64,
                100.0 * s.fa_all as f64 / s.nonspeech_all as f64,
                100.0 * s.clips_hit as f64 / s.clips as f64,
                s.spurious as f64 / (s.seconds / 60.0),
            );
        }
    }
}

fn speed_part(datasets: &Path, actors: &[u32], cands: &[Cand]) {
    let mut files = Vec::new();
    list(&datasets.join("ravdess/Actor_01"), "flac", &mut files);
    let clips: Vec<(Vec<f32>, u32)> = files
        .iter()
        .filter_map(|p| to16k(p).map(|(_, raw, rate)| (raw, rate)))
        .collect();
    let audio48: f64 = clips.iter().map(|(y, r)| y.len() as f64 / *r as f64).sum();
    let recs = build_recordings(datasets, actors, 2);
    let audio16: f64 = recs.iter().map(|r| r.y.len() as f64 / SR as f64).sum();
    println!(
        "## speed: {} RAVDESS clips at 48 kHz ({audio48:.0} s), {audio16:.0} s at 16 kHz",
        clips.len()
    );
    for c in cands {
        let mut scratch = c.vad.as_ref().map_or_else(
            || Vad::new(VadConfig::new()).expect("valid").scratch(),
            |v| v.scratch(),
        );
        // Best of three passes: the machine is shared.
        let (mut t48, mut t16) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..3 {
            let t = Instant::now();
            for (y, rate) in &clips {
                match &c.vad {
                    Some(v) => drop(v.speech_regions(y, *rate, &mut scratch)),
                    None => drop(timeline_vad(y, *rate as usize)),
                }
            }
            t48 = t48.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            for r in &recs {
                drop(regions(c, &r.y, SR, &mut scratch));
            }
            t16 = t16.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{:<14} RTF 48 kHz clips {:.5} ({:.2} ms/clip), 16 kHz {:.5} ({:.0}x real time)",
            c.name,
            t48 / audio48,
            1e3 * t48 / clips.len() as f64,
            t16 / audio16,
            audio16 / t16
        );
    }
}

fn main() {
    let mut datasets = std::env::var_os("EMOVOX_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    let mut part = "all".to_string();
    let mut actors = vec![21, 22, 23, 24];
    let mut every = 1;
    let mut extra: Vec<(String, VadConfig)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("a value after the flag");
        match a.as_str() {
            "--datasets" => datasets = PathBuf::from(val()),
            "--part" => part = val(),
            "--actors" => {
                actors = val()
                    .split(',')
                    .map(|s| s.parse().expect("actor number"))
                    .collect()
            }
            "--every" => every = val().parse().expect("a number"),
            // --try NAME:method=energy,gate=4,onset=0.5,offset=0.3,floor=-60
            "--try" => {
                let v = val();
                let (name, spec) = v.split_once(':').expect("NAME:key=value,...");
                let mut cfg = VadConfig::new();
                for kv in spec.split(',') {
                    let (k, x) = kv.split_once('=').expect("key=value");
                    let f: f32 = if k == "method" {
                        0.0
                    } else {
                        x.parse().expect("number")
                    };
                    cfg = match k {
                        "method" if x == "energy" => cfg.method(VadMethod::Energy),
                        "method" if x == "hybrid" => cfg.method(VadMethod::Hybrid),
                        "method" if x == "neural" => cfg.method(VadMethod::Neural),
                        "method" => panic!("method is hybrid, neural or energy"),
                        "gate" => cfg.gate_db(f),
                        "onset" => cfg.onset(f),
                        "offset" => cfg.offset(f),
                        "floor" => cfg.floor_db(f),
                        "min" => cfg.min_speech(f as f64),
                        "bridge" => cfg.bridge(f as f64),
                        "pad" => cfg.pad(f as f64),
                        _ => panic!("unknown key {k}"),
                    };
                }
                extra.push((name.to_string(), cfg));
            }
            "--only-extra" => part.push_str("+only-extra"),
            _ => panic!("unknown argument {a}"),
        }
    }
    let only_extra = part.ends_with("+only-extra");
    let part = part.trim_end_matches("+only-extra").to_string();
    let mut cands = candidates(&extra);
    if only_extra {
        let n = cands.len() - extra.len();
        cands.drain(..n);
    }
    if part == "clips" || part == "all" {
        clips_part(&datasets, every, &cands);
    }
    if part == "long" || part == "all" {
        long_part(&datasets, &actors, &cands);
    }
    if part == "speed" || part == "all" {
        speed_part(&datasets, &actors, &cands);
    }
}
