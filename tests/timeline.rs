//! Streaming emotion timelines on real audio from `../shared/datasets`: the decoder's pieces
//! give exactly the segments the whole recording gives, however the audio is cut, and the audio
//! held stays a few seconds even through a minute of unbroken speech.

mod common;

use std::path::Path;

use common::{datasets, temp_dir, write_wav};
use emovox::audio::vad::{Vad, VadConfig};
use emovox::audio::{decode_file, DecodeOptions};
use emovox::timeline::{Timeline, TimelineOptions, TimelineStream};
use emovox::Recognizer;

const RATE: u32 = 48_000;

/// About five minutes at 48 kHz from RAVDESS actors 21-24 (held out of the bundled model's
/// training): 36 clips with 1-2.5 s of silence between them, then 30 clips with their silence
/// trimmed, back to back (a long stretch of unbroken speech).
fn long_recording(d: &Path) -> Vec<f32> {
    let vad = Vad::new(VadConfig::new()).expect("vad");
    let mut scratch = vad.scratch();
    let mut y = vec![0.0f32; RATE as usize];
    let mut n = 0;
    for actor in 21..=24 {
        for (emotion, statement, rep) in (1..=8).flat_map(|e| [(e, 1, 1), (e, 2, 2)]) {
            let intensity = if emotion == 1 { 1 } else { 2 };
            let name =
                format!("ravdess/Actor_{actor}/03-01-{emotion:02}-{intensity:02}-{statement:02}-{rep:02}-{actor}.flac");
            let Ok(c) = decode_file(&d.join(&name), &DecodeOptions::new()) else {
                continue;
            };
            assert_eq!(c.sample_rate, RATE, "{name}");
            if n < 36 {
                y.extend_from_slice(&c.samples);
                let gap = 1.0 + 1.5 * ((n * 7) % 11) as f64 / 10.0;
                y.extend(std::iter::repeat_n(0.0, (gap * RATE as f64) as usize));
            } else if n < 66 {
                if let Ok(Some((a, b))) = vad.trim(&c.samples, RATE, &mut scratch) {
                    y.extend_from_slice(&c.samples[a..b]);
                }
            }
            n += 1;
        }
    }
    y.extend(std::iter::repeat_n(0.0, RATE as usize));
    y
}

#[test]
fn a_streamed_timeline_equals_the_whole_recording_s_however_it_is_cut() {
    let Some(d) = datasets("a_streamed_timeline_equals_the_whole_recording_s_however_it_is_cut")
    else {
        return;
    };
    let rec = Recognizer::from_default().expect("bundled model");
    let y = long_recording(&d);
    assert!(
        y.len() > 240 * RATE as usize,
        "{} s",
        y.len() / RATE as usize
    );
    let wav = temp_dir("timeline-stream").join("long.wav");
    write_wav(&wav, &y, RATE);
    let samples = decode_file(&wav, &DecodeOptions::new())
        .expect("decode")
        .samples;
    let opts = TimelineOptions::default();

    // The whole recording in one piece.
    let whole = Timeline::of_samples(&rec, &samples, RATE, &opts).expect("whole");
    assert!(whole.speech.len() >= 30, "{} regions", whole.speech.len());
    let longest = whole.speech.iter().map(|s| s.1 - s.0).fold(0.0, f64::max);
    assert!(longest > 15.0, "longest speech region {longest:.1} s");
    assert!(whole.labelled().count() >= 30);

    // Streamed from the file, as `emovox timeline` reads it: the decoder's pieces.
    let streamed = Timeline::of_file(&rec, &wav, &opts).expect("streamed");
    assert_eq!(streamed.speech, whole.speech);
    assert_eq!(streamed.windows, whole.windows);
    assert_eq!(streamed.segments, whole.segments);
    assert_eq!(streamed.duration, whole.duration);

    // Pieces of other sizes; the segments taken along the way are the timeline's, and the
    // audio held never grows with the speech.
    for size in [1_000, 7_919, 480_000] {
        let mut stream = TimelineStream::new(&rec, RATE, &opts).expect("stream");
        let (mut taken, mut held) = (Vec::new(), 0.0f64);
        for piece in samples.chunks(size) {
            stream.push(piece).expect("push");
            taken.extend(stream.take_segments());
            held = held.max(stream.buffered_seconds());
        }
        let t = stream.finish().expect("finish");
        assert_eq!(t.segments, whole.segments, "pieces of {size}");
        assert_eq!(t.windows, whole.windows, "pieces of {size}");
        assert_eq!(&t.segments[..taken.len()], &taken[..], "pieces of {size}");
        // A region's segments (and the silence before it) come when it closes: all but the
        // last region's came before the end.
        let last_region = t.speech.last().map_or(0.0, |r| r.0);
        let before = t.segments.iter().filter(|s| s.end < last_region).count();
        assert!(
            taken.len() >= before && before > t.segments.len() / 2,
            "segments came as the audio did: {} taken, {before} before the last region, of {}",
            taken.len(),
            t.segments.len()
        );
        let bound = 10.0 + size as f64 / RATE as f64;
        assert!(held <= bound, "pieces of {size}: held {held:.1} s of audio");
    }
}

/// Peak resident memory (VmHWM) of a running child, polled from /proc until it exits: the
/// child's output and its peak in MB.
fn run_measured(args: &[&std::ffi::OsStr]) -> (std::process::Output, f64) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_emovox"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run emovox");
    let status_path = format!("/proc/{}/status", child.id());
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).map(|_| s)
    });
    let mut peak_kb = 0u64;
    while child.try_wait().expect("wait").is_none() {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let stdout = reader.join().expect("reader").expect("read stdout");
    let mut o = child.wait_with_output().expect("output");
    o.stdout = stdout;
    (o, peak_kb as f64 / 1024.0)
}

/// Issue 18: a 3-hour FLAC of silence with a click a minute (1.7 MB) took 3.4 GB in `emovox
/// timeline`. It now streams in bounded memory, and `emovox predict`, which reads a clip whole,
/// refuses it by its length instead of decoding it all.
#[test]
fn r18_a_three_hour_flac_bomb_streams_in_bounded_memory_and_predict_refuses_it() {
    let dir = temp_dir("flac-bomb");
    let bomb = dir.join("bomb.flac");
    std::fs::write(
        &bomb,
        emovox::audio::hostile::flac_bomb(3.0 * 3600.0, 8_000),
    )
    .expect("write");
    let (o, peak) = run_measured(&[
        "timeline".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        bomb.as_os_str(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // All silence: the clicks are far shorter than speech.
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0].starts_with("0.000,10800.000,silence"), "{out}");
    // 3 hours at 8 kHz are 345 MB as samples, 1.4 GB resampled; a stream holds seconds.
    assert!(peak > 1.0 && peak < 150.0, "peak RSS {peak:.0} MB");

    let (o, peak) = run_measured(&["predict".as_ref(), bomb.as_os_str()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bomb.flac") && err.contains("longer than 600 s"),
        "{err}"
    );
    assert!(peak < 300.0, "peak RSS {peak:.0} MB");
}
