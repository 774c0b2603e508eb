//! The emotion timeline (voice-activity detection, windows, segments) on hostile sample
//! buffers and hostile files: never a panic, segments ordered and inside the recording, and the
//! streaming path (pieces of any size, the decoder's pieces) giving exactly the whole
//! recording's timeline.
#![no_main]

use std::sync::OnceLock;

use emovox::timeline::{Timeline, TimelineOptions, TimelineStream};
use emovox::{Error, Recognizer};
use emovox_audio::{decode_bytes, hostile, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fn recognizer() -> &'static Recognizer {
    static REC: OnceLock<Recognizer> = OnceLock::new();
    REC.get_or_init(|| Recognizer::from_default().expect("the bundled model loads"))
}

fn check(r: &emovox::Result<Timeline>, seconds: f64) {
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

/// Both worked with the same segments and windows, or both failed.
fn same(whole: &emovox::Result<Timeline>, streamed: &emovox::Result<Timeline>) {
    match (whole, streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.segments, b.segments);
            assert_eq!(a.windows, b.windows);
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("whole {:?}, streamed {:?}", a.as_ref().err(), b.as_ref().err()),
    }
}

fuzz_target!(|data: &[u8]| {
    let rec = recognizer();
    let opts = TimelineOptions::default();
    let (y, rate) = hostile::samples(data);
    let secs = y.len() as f64 / rate.max(1) as f64;
    let whole = Timeline::of_samples(rec, &y, rate, &opts);
    check(&whole, secs);
    // The same samples in pieces of a size the input picks.
    let piece = 1 + data.last().map_or(0, |&b| b as usize * 97);
    let streamed = (|| {
        let mut s = TimelineStream::new(rec, rate, &opts)?;
        for p in y.chunks(piece) {
            s.push(p)?;
            let _ = s.take_segments().count();
        }
        s.finish()
    })();
    same(&whole, &streamed);

    let f = hostile::file(data);
    if let Ok(clip) = decode_bytes(&f.bytes, f.ext, &DecodeOptions::new()) {
        let whole = Timeline::of_samples(rec, &clip.samples, clip.sample_rate, &opts);
        check(&whole, clip.duration());
        // Streamed from the bytes, as `emovox timeline` streams a file.
        let streamed = Timeline::of_bytes_with(rec, &f.bytes, f.ext, &opts, &mut |_| Ok(()));
        same(&whole, &streamed);
    }
});
