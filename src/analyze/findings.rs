//! The findings written on the page: sentences computed from the data.

use super::*;

pub(super) fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

/// Findings computed from the data, one sentence each.
pub(super) fn findings(views: &[CorpusView], scheme: &str) -> Vec<String> {
    let mut f = Vec::new();
    for v in views {
        let name = display_name(v.corpus);
        let counts: Vec<f64> = v.by_emotion.iter().map(|r| r.len() as f64).collect();
        let speakers: BTreeSet<&str> = v
            .rows
            .iter()
            .filter_map(|r| r.clip.speaker.as_deref())
            .collect();
        let mut s = format!(
            "{name}: {} clips, {} emotions, {} speakers.",
            v.rows.len(),
            v.emotions.len(),
            speakers.len()
        );
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&counts) {
            if hi == lo {
                let _ = write!(s, " Balanced: every emotion has {hi:.0} clips.");
            } else {
                let modal = mode(&counts);
                let odd: Vec<String> = v
                    .emotions
                    .iter()
                    .zip(&counts)
                    .filter(|(_, &c)| c != modal)
                    .map(|(e, c)| format!("{e} ({c:.0})"))
                    .collect();
                if odd.len() <= 2 {
                    let _ = write!(
                        s,
                        " Nearly balanced: {modal:.0} clips per emotion except {}.",
                        odd.join(", ")
                    );
                } else {
                    let _ = write!(
                        s,
                        " Most clips: {hi_e} ({hi:.0}); fewest: {lo_e} ({lo:.0})."
                    );
                }
            }
        }
        f.push(s);
        let rms = v.per_emotion(|m| m.rms);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&rms) {
            f.push(format!(
                "{name}: the loudest emotion is {hi_e} (mean RMS {hi:.4}), the quietest {lo_e} \
                 ({lo:.4}): {:.1} dB apart.",
                db(hi / lo.max(1e-12))
            ));
        }
        let peak = v.per_emotion(|m| m.max_amplitude.max(-m.min_amplitude));
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&peak) {
            f.push(format!(
                "{name}: the highest average peak amplitude is {hi_e}'s ({hi:.3}), the lowest \
                 {lo_e}'s ({lo:.3})."
            ));
        }
        let dur = v.per_emotion(|m| m.duration_s);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&dur) {
            f.push(format!(
                "{name}: {hi_e} clips are the longest on average ({hi:.2} s), {lo_e} the \
                 shortest ({lo:.2} s); all clips average {:.2} s.",
                mean(v.rows.iter().map(|r| r.measures.duration_s))
            ));
        }
        let mel = v.per_emotion(|m| m.mel_db_mean);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&mel) {
            f.push(format!(
                "{name}: the mel spectrogram is highest on average for {hi_e} ({hi:.1} dB) and \
                 lowest for {lo_e} ({lo:.1} dB)."
            ));
        }
        let clipped = v
            .rows
            .iter()
            .filter(|r| r.measures.max_amplitude.max(-r.measures.min_amplitude) >= 0.99)
            .count();
        if clipped > 0 {
            f.push(format!(
                "{name}: {clipped} clip(s) reach 99% of full scale or more (possible clipping)."
            ));
        }
        let rates: BTreeSet<u32> = v.rows.iter().map(|r| r.measures.sample_rate).collect();
        let rates: Vec<String> = rates.iter().map(|r| format!("{r} Hz")).collect();
        let stereo = v.rows.iter().filter(|r| r.measures.channels > 1).count();
        let mut s = format!("{name}: sample rate {}", rates.join(", "));
        if stereo > 0 {
            let _ = write!(
                s,
                "; {stereo} clip(s) have more than one channel (mixed to mono)"
            );
        }
        s.push('.');
        f.push(s);
        if v.corpus == Corpus::Ravdess {
            let level = |l: &str| {
                mean(
                    v.rows
                        .iter()
                        .filter(|r| r.clip.extra.get("intensity").map(String::as_str) == Some(l))
                        .map(|r| r.measures.rms),
                )
            };
            let (n, st) = (level("normal"), level("strong"));
            if n.is_finite() && st.is_finite() {
                f.push(format!(
                    "RAVDESS: strong-intensity clips are {:.1} dB louder than normal-intensity \
                     ones (mean RMS {st:.4} vs {n:.4}).",
                    db(st / n.max(1e-12))
                ));
            }
        }
    }
    if views.len() > 1 {
        let loud: Vec<(String, f64)> = views
            .iter()
            .map(|v| {
                (
                    display_name(v.corpus),
                    mean(v.rows.iter().map(|r| r.measures.rms)),
                )
            })
            .collect();
        if let (Some(hi), Some(lo)) = (
            loud.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            loud.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        ) {
            f.push(format!(
                "Across corpora: {} is recorded {:.1} dB louder than {} on average (mean RMS \
                 {:.4} vs {:.4}); compare levels within a corpus, or normalise.",
                hi.0,
                db(hi.1 / lo.1.max(1e-12)),
                lo.0,
                hi.1,
                lo.1
            ));
        }
    }
    let all: usize = views.iter().map(|v| v.rows.len()).sum();
    let kept: usize = views
        .iter()
        .map(|v| v.rows.iter().filter(|r| r.label.is_some()).count())
        .sum();
    let classes: BTreeSet<&str> = views
        .iter()
        .flat_map(|v| v.rows.iter().filter_map(|r| r.label.as_deref()))
        .collect();
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    for v in views {
        for r in v.rows.iter().filter(|r| r.label.is_none()) {
            excluded.insert(r.clip.canonical_emotion());
        }
    }
    let mut s = format!(
        "Label scheme {scheme}: {kept} of {all} clips kept in {} classes ({})",
        classes.len(),
        classes.iter().copied().collect::<Vec<_>>().join(", ")
    );
    if all > kept {
        let ex: Vec<String> = excluded.into_iter().collect();
        let _ = write!(s, "; {} excluded ({})", all - kept, ex.join(", "));
    }
    s.push('.');
    f.push(s);
    f
}

/// The most common value.
pub(super) fn mode(v: &[f64]) -> f64 {
    let mut best = (f64::NAN, 0);
    for &x in v {
        let n = v.iter().filter(|&&y| y == x).count();
        if n > best.1 {
            best = (x, n);
        }
    }
    best.0
}
