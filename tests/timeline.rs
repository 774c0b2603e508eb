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
        assert!(
            taken.len() + 8 >= t.segments.len(),
            "segments came as the audio did: {} of {}",
            taken.len(),
            t.segments.len()
        );
        let bound = 10.0 + size as f64 / RATE as f64;
        assert!(held <= bound, "pieces of {size}: held {held:.1} s of audio");
    }
}
