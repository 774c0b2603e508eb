//! The emotion timeline (voice-activity detection, windows, segments) on hostile sample
//! buffers and hostile files: never a panic, segments ordered and inside the recording.
#![no_main]

use std::sync::OnceLock;

use emovox::timeline::{Timeline, TimelineOptions};
use emovox::{Error, Recognizer};
use emovox_audio::{decode_bytes, hostile, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fn recognizer() -> &'static Recognizer {
    static REC: OnceLock<Recognizer> = OnceLock::new();
    REC.get_or_init(|| Recognizer::from_default().expect("the bundled model loads"))
}

fn check(r: emovox::Result<Timeline>, seconds: f64) {
    match r {
        Ok(t) => {
            let mut last = 0.0;
            for s in &t.segments {
                assert!(s.start >= last - 1e-9 && s.end >= s.start, "{s:?}");
                assert!(s.end <= seconds + 1.0, "{s:?} past {seconds}");
                last = s.end;
            }
        }
        Err(e) => assert!(!matches!(e.kind(), Error::Panicked(_)), "{e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let rec = recognizer();
    let opts = TimelineOptions::default();
    let (y, rate) = hostile::samples(data);
    let secs = y.len() as f64 / rate.max(1) as f64;
    check(Timeline::of_samples(rec, &y, rate, &opts), secs);
    let f = hostile::file(data);
    if let Ok(clip) = decode_bytes(&f.bytes, f.ext, &DecodeOptions::new()) {
        check(
            Timeline::of_samples(rec, &clip.samples, clip.sample_rate, &opts),
            clip.duration(),
        );
    }
});
