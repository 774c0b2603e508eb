//! The web page in a real browser (Debian's chromium, driven through chromedriver's WebDriver
//! API over plain HTTP): upload `formats/happy.m4a`, record from the microphone and stream it
//! live, with chromium playing a real RAVDESS clip as the microphone. Saves screenshots as
//! `target/web-screenshot*.png`.
//!
//! Skipped (visibly) when chromium or chromedriver is missing, unless
//! `EMOVOX_REQUIRE_BROWSER=1` (as `.ci/run` sets), which makes their absence a failure.
#![cfg(feature = "serve")]

#[allow(dead_code)]
mod common;
use common::{require, Need};
mod web;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use emovox::serve::Options;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
/// W3C WebDriver's key for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn chromedriver() -> Option<PathBuf> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// chromium and chromedriver, or `None` with a visible SKIPPED line.
fn browser(test: &str) -> Option<PathBuf> {
    let driver = chromedriver().filter(|_| Path::new(CHROMIUM).exists());
    let ok = driver.is_some();
    let what =
        "chromium and chromium-driver are not installed (scripts/setup-system installs them)";
    require(Need::Browser, test, ok, what)
        .then_some(driver)
        .flatten()
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = web::request(
                self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                &[],
                &[],
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(exe: &Path, fake_mic: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(exe)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut d = Driver {
            child,
            addr,
            session: String::new(),
        };
        wait_for("chromedriver to listen", 30, || {
            std::net::TcpStream::connect(addr)
                .ok()
                .map(|_| web::get(addr, "/status").json())
                .filter(|s| s["value"]["ready"] == true)
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-dev-shm-usage",
                    "--window-size=500,1900",
                    "--autoplay-policy=no-user-gesture-required",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-audio-capture={}", fake_mic.display()),
                ],
                // A phone-sized screen (tall enough for the whole result in one screenshot).
                "mobileEmulation": {"deviceMetrics": {"width": 390, "height": 1900, "pixelRatio": 1.0}},
            },
        }}});
        let r = d.call("POST", "/session", Some(caps));
        d.session = r["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_string();
        d
    }

    /// One WebDriver command; returns its `value` (panics on a WebDriver error).
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let r = web::request(
            self.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        let j = r.json();
        assert_eq!(r.status, 200, "WebDriver {method} {path}: {j}");
        j["value"].clone()
    }

    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}/{what}", self.session), body)
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT].as_str().expect("element id").to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd("POST", &format!("element/{id}/click"), Some(json!({})));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    fn screenshot(&self, path: &Path) {
        let b64 = self.cmd("GET", "screenshot", None);
        let png = base64_decode(b64.as_str().expect("base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).expect("write screenshot");
        eprintln!("screenshot: {}", path.display());
    }
}

/// Polls `f` every 100 ms until it gives `Some`, failing after `secs` (a deadline for a hung
/// page, not a performance check).
fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A real RAVDESS clip (Actor 1, happy, strong) as the 16-bit WAV chromium plays as the
/// microphone.
fn fake_mic_wav(datasets: &Path) -> PathBuf {
    let src = datasets.join("ravdess/Actor_01/03-01-03-02-01-01-01.flac");
    let clip = emovox::audio::decode_file(&src, &emovox::audio::DecodeOptions::new())
        .expect("decode the RAVDESS clip");
    let out = common::temp_dir("fake-mic").join("mic.wav");
    common::write_wav(&out, &clip.samples, clip.sample_rate);
    out
}

/// What the result card shows: `[ready, label, bars, has waveform, has spectrogram, meta]`.
const RESULT: &str = "const r = document.getElementById('result');
    if (r.hidden || r.dataset.ready !== '1') return null;
    return [document.getElementById('label').textContent,
            document.querySelectorAll('#bars .bar .fill').length,
            [...document.querySelectorAll('#bars .bar .fill')].filter(f => parseFloat(f.style.width) > 0).length,
            !!document.querySelector('#waveform img'), !!document.querySelector('#spectrogram img'),
            document.getElementById('meta').textContent,
            document.getElementById('status').textContent];";

fn check_result(v: &Value, classes: &[String], what: &str) {
    let label = v[0].as_str().unwrap();
    assert!(
        classes.iter().any(|c| c == label),
        "{what}: label {label:?} not in {classes:?}"
    );
    assert_eq!(
        v[1].as_u64().unwrap() as usize,
        classes.len(),
        "{what}: one bar per class"
    );
    assert!(v[2].as_u64().unwrap() >= 1, "{what}: the bars have widths");
    assert_eq!(v[3], true, "{what}: waveform shown");
    assert_eq!(v[4], true, "{what}: spectrogram shown");
}

#[test]
fn the_page_predicts_uploads_recordings_and_live_audio_in_chromium() {
    let test = "the_page_predicts_uploads_recordings_and_live_audio_in_chromium";
    let Some(driver_exe) = browser(test) else {
        return;
    };
    let Some(datasets) = common::datasets(test) else {
        return;
    };
    let server = web::server(Options::default());
    let url = format!("http://{}/", server.addr());
    let classes: Vec<String> = web::get(server.addr(), "/api/model").json()["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let mic = fake_mic_wav(&datasets);
    let d = Driver::start(&driver_exe, &mic);
    let shots = target_dir();

    // Upload.
    d.cmd("POST", "url", Some(json!({"url": url})));
    let title = d.cmd("GET", "title", None);
    assert!(title.as_str().unwrap().contains("emovox"), "{title}");
    let input = d.element("#file");
    // chromedriver wants a canonical path.
    let m4a = datasets
        .join("formats/happy.m4a")
        .canonicalize()
        .expect("formats/happy.m4a");
    d.cmd(
        "POST",
        &format!("element/{input}/value"),
        Some(json!({"text": m4a.display().to_string()})),
    );
    let v = wait_for("the upload's result", 60, || {
        Some(d.js(RESULT)).filter(|v| !v.is_null())
    });
    check_result(&v, &classes, "upload");
    assert!(v[5].as_str().unwrap().contains("happy.m4a"), "{v}");
    // No horizontal scrolling on a phone-sized screen.
    let overflow = d.js("return document.documentElement.scrollWidth - window.innerWidth;");
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "the page is wider than the phone: {overflow}"
    );
    d.screenshot(&shots.join("web-screenshot.png"));

    // Record: a few seconds of the fake microphone, then stop and analyse.
    d.js("document.getElementById('result').dataset.ready = '';");
    d.click("#tab-record");
    d.click("#rec-btn");
    wait_for("three seconds of recording", 30, || {
        let t = d.js("return parseFloat(document.getElementById('rec-time').textContent) || 0;");
        (t.as_f64().unwrap_or(0.0) >= 3.0).then_some(())
    });
    d.click("#rec-btn");
    let v = wait_for("the recording's result", 60, || {
        Some(d.js(RESULT)).filter(|v| !v.is_null())
    });
    check_result(&v, &classes, "record");
    assert!(v[5].as_str().unwrap().contains("recording.wav"), "{v}");
    d.screenshot(&shots.join("web-screenshot-record.png"));

    // Live: the emotion updates as audio streams over the WebSocket.
    d.click("#tab-live");
    d.click("#live-btn");
    // Two updates, at least one with an emotion (a window without speech gets "(no speech)").
    let live = wait_for("two live updates", 60, || {
        let v = d.js("const l = document.getElementById('live');
             const bars = document.querySelectorAll('#live-bars .bar').length;
             return Number(l.dataset.updates) >= 2 && bars > 0
               ? [document.getElementById('live-label').textContent, bars,
                  document.getElementById('status').textContent,
                  document.querySelectorAll('#live-history div').length,
                  Number(l.dataset.updates)]
               : null;");
        Some(v).filter(|v| !v.is_null())
    });
    let label = live[0].as_str().unwrap();
    assert!(
        classes.iter().any(|c| c == label) || label == "(silence)" || label == "(no speech)",
        "live label {label:?}: {live}"
    );
    assert_eq!(live[1].as_u64().unwrap() as usize, classes.len(), "{live}");
    // The session's history: one cell per update so far.
    assert!(live[3].as_u64().unwrap() >= 2, "{live}");
    assert!(live[3].as_u64() <= live[4].as_u64(), "{live}");
    d.screenshot(&shots.join("web-screenshot-live.png"));
    d.click("#live-btn");
    drop(d);
    server.stop();
}
