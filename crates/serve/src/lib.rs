//! emovox-serve: the emovox web app and HTTP API.
//!
//! # Overview
//!
//! One axum server ([`run`], or [`spawn`] for tests and benchmarks) serves:
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the page (HTML/CSS/JS embedded in the binary, no CDN): upload, record, live |
//! | `POST /api/predict` | the emotion of one recording (raw audio body, or multipart field `file`) |
//! | `POST /api/timeline` | emotion over time in a longer recording |
//! | `POST /api/analyze` | what the page shows: prediction, waveform and spectrogram (SVG), timeline |
//! | `GET /api/live` | WebSocket: stream PCM, get an emotion about every second |
//! | `GET /api/model` | classes, version and model card |
//! | `GET /healthz` | liveness |
//! | `GET /openapi.json` | the API, as OpenAPI 3.1 |
//!
//! Errors are JSON `{"error": "..."}` with the status saying whose fault it was ([`Error::status`]):
//! 400 bad audio, 413 over `--max-body`, 415 not an audio type we decode, 422 too short,
//! 503 overloaded. Bodies are read as a stream and refused once past the limit, so an oversized
//! upload is never buffered whole. At most [`Options::max_concurrency`] requests are admitted
//! at once (the rest get 503 at once), and decoding and inference run on blocking threads, at
//! most one per core.
//!
//! # The model
//!
//! This crate knows no model: it calls an [`Engine`], which `emovox` implements for its
//! `Recognizer` (so the root crate can depend on this one without a cycle).
//!
//! # Example
//!
//! ```
//! use emovox_serve::{spawn, Engine, Error, Options, Result};
//! use emovox_serve::audio::Decoded;
//! use serde_json::{json, Value};
//!
//! struct Always;
//! impl Engine for Always {
//!     fn classes(&self) -> Vec<String> { vec!["calm".into()] }
//!     fn model_info(&self) -> Value { json!({"classes": ["calm"]}) }
//!     fn live_seconds(&self) -> f64 { 1.5 }
//!     fn predict(&self, _: &Decoded) -> Result<Value> { self.predict_samples(&[], 0) }
//!     fn predict_samples(&self, _: &[f32], _: u32) -> Result<Value> {
//!         Ok(json!({"label": "calm", "confidence": 1.0, "scores": [{"label": "calm", "probability": 1.0}]}))
//!     }
//!     fn timeline(&self, _: &[f32], _: u32) -> Result<Value> { Err(Error::TooShort("no".into())) }
//! }
//!
//! let server = spawn(Always, Options { addr: "127.0.0.1:0".parse().unwrap(), ..Options::default() })?;
//! let mut s = std::net::TcpStream::connect(server.addr())?;
//! use std::io::{Read, Write};
//! s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut reply = String::new();
//! s.read_to_string(&mut reply)?;
//! assert!(reply.starts_with("HTTP/1.1 200"));
//! server.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod live;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub use emovox_audio as audio;

/// Everything that can go wrong serving a request or running the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not audio we can decode (corrupt, truncated beyond use, empty).
    #[error("{0}")]
    BadAudio(String),
    /// The body is not a format or codec this build decodes, or not audio at all.
    #[error("{0}")]
    Unsupported(String),
    /// The audio is too short for the model.
    #[error("{0}")]
    TooShort(String),
    /// The audio holds no speech (the model trims silence and found too little speech to read
    /// an emotion from): 422 with `"no_speech": true` in the body, never an emotion.
    #[error("{0}")]
    NoSpeech(String),
    /// The audio was read but could not be processed: code outside emovox panicked on it (the
    /// panic was caught; the server goes on).
    #[error("{0}")]
    Unprocessable(String),
    /// The body is larger than the limit.
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// Too many requests at once.
    #[error("server busy: {0} requests in flight; try again shortly")]
    Busy(usize),
    /// The request is malformed (bad multipart, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// The model or the server failed (not the client's fault).
    #[error("internal error: {0}")]
    Internal(String),
    /// Binding or serving the socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadAudio(_) | Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooShort(_) | Error::Unprocessable(_) | Error::NoSpeech(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) | Error::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl Error {
    /// The JSON body that reports this error: `{"error": "..."}`, with `"no_speech": true` for
    /// [`Error::NoSpeech`].
    pub fn body(&self) -> Value {
        match self {
            Error::NoSpeech(_) => {
                serde_json::json!({ "error": self.to_string(), "no_speech": true })
            }
            _ => serde_json::json!({ "error": self.to_string() }),
        }
    }
}

impl From<emovox_audio::Error> for Error {
    /// Unknown formats and codecs are 415; every other decoding failure is the body's fault, 400.
    fn from(e: emovox_audio::Error) -> Self {
        use emovox_audio::Error as A;
        match e {
            A::File { source, .. } => Error::from(*source),
            A::UnknownFormat(_) | A::UnsupportedCodec(_) => Error::Unsupported(e.to_string()),
            A::Empty => Error::BadAudio("the request body is empty: send audio".into()),
            A::InvalidParameter(_) | A::BufferSize { .. } => Error::Internal(e.to_string()),
            A::Panicked(_) => Error::Unprocessable(e.to_string()),
            e => Error::BadAudio(e.to_string()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("{self}");
        }
        (status, axum::Json(self.body())).into_response()
    }
}

/// The model behind the server. `emovox` implements it for `Recognizer`; predictions are JSON
/// objects `{"label", "confidence", "scores": [{"label", "probability"}]}`.
pub trait Engine: Send + Sync + 'static {
    /// Class names, in score order.
    fn classes(&self) -> Vec<String>;
    /// What `GET /api/model` answers: classes, version, card...
    fn model_info(&self) -> Value;
    /// Seconds of audio [`predict_samples`](Self::predict_samples) reads from the start of
    /// what it is given (the model's crop end): the live mode keeps the last this-many seconds.
    fn live_seconds(&self) -> f64;
    /// How to decode a body for [`predict`](Self::predict): enough of the stream for the model.
    fn decode_options(&self) -> audio::DecodeOptions {
        audio::DecodeOptions::new()
    }
    /// The emotion of a decoded recording (decoded with [`decode_options`](Self::decode_options),
    /// or whole).
    fn predict(&self, clip: &audio::Decoded) -> Result<Value>;
    /// The emotion of mono samples at `rate` Hz.
    fn predict_samples(&self, samples: &[f32], rate: u32) -> Result<Value>;
    /// The emotion timeline of mono samples at `rate` Hz.
    fn timeline(&self, samples: &[f32], rate: u32) -> Result<Value>;
    /// The emotions of several recordings of one speaker (or one recording set-up), predicted
    /// together and adapted to them without labels, as `emovox predict --adapt`: one result
    /// per clip, in order. Default: each clip alone.
    fn predict_together(&self, clips: &[audio::Decoded]) -> Vec<Result<Value>> {
        clips.iter().map(|c| self.predict(c)).collect()
    }
    /// [`predict_together`](Self::predict_together), then self-training: the model refitted
    /// on its surest answers for these clips answers them (`emovox predict --adapt
    /// --self-train`). Called only after [`can_self_train`](Self::can_self_train) said yes.
    /// Default: [`predict_together`](Self::predict_together).
    fn predict_self_trained(&self, clips: &[audio::Decoded]) -> Vec<Result<Value>> {
        self.predict_together(clips)
    }
    /// Whether [`predict_self_trained`](Self::predict_self_trained) can refit the model: a
    /// [`Error::BadRequest`] naming the reason if not (`?self_train=1` is answered 400).
    /// Default: not supported.
    fn can_self_train(&self) -> Result<()> {
        Err(Error::BadRequest(
            "this server's model cannot self-train".into(),
        ))
    }
    /// Live mode: the emotion of the latest window (`samples` at `rate` Hz), adapted to the
    /// speaker from the session's earlier windows, which the engine keeps in `history`.
    /// Default: [`predict_samples`](Self::predict_samples), no adaptation.
    fn predict_live(&self, samples: &[f32], rate: u32, history: &mut LiveHistory) -> Result<Value> {
        let _ = history;
        self.predict_samples(samples, rate)
    }
}

/// What a live session remembers of its earlier windows for [`Engine::predict_live`]: their
/// features (as the engine computes them), the latest last, at most [`LiveHistory::CAPACITY`].
#[derive(Debug, Default, Clone)]
pub struct LiveHistory {
    windows: std::collections::VecDeque<Vec<f32>>,
}

impl LiveHistory {
    /// Windows kept: about the last minute and a half of speech at one window a second.
    pub const CAPACITY: usize = 90;

    /// Adds a window's features, forgetting the oldest beyond [`CAPACITY`](Self::CAPACITY).
    pub fn push(&mut self, features: Vec<f32>) {
        if self.windows.len() == Self::CAPACITY {
            self.windows.pop_front();
        }
        self.windows.push_back(features);
    }

    /// The windows kept, oldest first.
    pub fn windows(&self) -> impl Iterator<Item = &Vec<f32>> {
        self.windows.iter()
    }

    /// How many windows are kept.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no window is kept yet.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// Largest request body, bytes. Default 20 MB.
    pub max_body: usize,
    /// Requests admitted at once (uploading, queued or running); more get 503. Default 64.
    pub max_concurrency: usize,
    /// Decoding/inference jobs running at once. Default: the number of cores.
    pub workers: usize,
    /// Longest recording `analyze` and `timeline` decode, seconds (the rest is ignored).
    /// Default 600.
    pub max_seconds: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body: 20 * 1024 * 1024,
            max_concurrency: 64,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_seconds: 600.0,
        }
    }
}

/// Shared state of the handlers.
struct State {
    engine: Arc<dyn Engine>,
    opts: Options,
    /// Admission: one permit per request in flight.
    admit: Arc<tokio::sync::Semaphore>,
    /// One permit per decoding/inference job.
    work: Arc<tokio::sync::Semaphore>,
}

impl State {
    /// Admits a request, or says the server is busy.
    fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit> {
        self.admit
            .clone()
            .try_acquire_owned()
            .map_err(|_| Error::Busy(self.opts.max_concurrency))
    }

    /// Runs `f` on a blocking thread once a worker is free.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&dyn Engine) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .work
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        let engine = self.engine.clone();
        // A panic that escapes the engine (the engine's own firewall turns panics on the input
        // into 422s) is the server's fault, 500, and this worker thread goes on serving.
        tokio::task::spawn_blocking(move || {
            emovox_audio::guard::catch_panic(|| f(engine.as_ref())).unwrap_or_else(|msg| {
                Err(Error::Internal(format!(
                    "the engine panicked (caught): {msg}"
                )))
            })
        })
        .await
        .map_err(|e| Error::Internal(format!("worker failed: {e}")))?
    }
}

/// The app: every route, with request logging.
pub fn router(engine: impl Engine, opts: Options) -> axum::Router {
    let state = Arc::new(State {
        engine: Arc::new(engine),
        admit: Arc::new(tokio::sync::Semaphore::new(opts.max_concurrency.max(1))),
        work: Arc::new(tokio::sync::Semaphore::new(opts.workers.max(1))),
        opts,
    });
    use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
    let level = tracing::Level::INFO;
    api::routes(state).layer(
        TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(level))
            .on_response(DefaultOnResponse::new().level(level)),
    )
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight and returns.
pub fn run(engine: impl Engine, opts: Options) -> Result<()> {
    let rt = runtime(opts.workers)?;
    rt.block_on(async move {
        let listener = bind(opts.addr).await?;
        tracing::info!(
            "emovox serve: listening on http://{}",
            listener.local_addr()?
        );
        eprintln!(
            "emovox: serving on http://{} (Ctrl-C to stop)",
            listener.local_addr()?
        );
        axum::serve(listener, router(engine, opts))
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        tracing::info!("emovox serve: stopped");
        Ok::<(), Error>(())
    })
}

/// The runtime: blocking threads are capped near the worker count (every blocking job waits for
/// a worker permit first), so a burst does not leave dozens of idle threads, each with its own
/// allocator arena.
fn runtime(workers: usize) -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("emovox-serve")
        .max_blocking_threads(workers.max(1) + 2)
        .build()?)
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("binding {addr}: {e}"),
        ))
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("emovox serve: shutting down");
}

/// A server running on a background thread (for tests and benchmarks).
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops it gracefully and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the server on a background thread (`opts.addr` with port 0 picks a free port).
pub fn spawn(engine: impl Engine, opts: Options) -> Result<Running> {
    let rt = runtime(opts.workers)?;
    let listener = rt.block_on(bind(opts.addr))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(engine, opts);
    let thread = std::thread::Builder::new()
        .name("emovox-serve".into())
        .spawn(move || {
            rt.block_on(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await;
            });
        })?;
    Ok(Running {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_errors_map_to_client_statuses() {
        use emovox_audio::Error as A;
        let s = |e: A| Error::from(e).status().as_u16();
        assert_eq!(s(A::UnknownFormat("x".into())), 415);
        assert_eq!(s(A::UnsupportedCodec("x".into())), 415);
        assert_eq!(s(A::Empty), 400);
        assert_eq!(s(A::Corrupt("x".into())), 400);
        assert_eq!(s(A::NoAudioTrack), 400);
        assert_eq!(
            s(A::File {
                path: "a.wav".into(),
                source: Box::new(A::UnknownFormat("x".into()))
            }),
            415
        );
        assert_eq!(Error::TooLarge { limit: 1 }.status().as_u16(), 413);
        assert_eq!(Error::Busy(1).status().as_u16(), 503);
        assert_eq!(Error::TooShort("x".into()).status().as_u16(), 422);
        assert_eq!(Error::NoSpeech("x".into()).status().as_u16(), 422);
        assert_eq!(s(A::Panicked("x".into())), 422);
        assert_eq!(
            s(A::SampleRange {
                peak: 3e38,
                count: 1,
                limit: 1.0
            }),
            400
        );
    }

    struct Answers;

    impl Engine for Answers {
        fn classes(&self) -> Vec<String> {
            vec!["x".into()]
        }
        fn model_info(&self) -> Value {
            Value::Null
        }
        fn live_seconds(&self) -> f64 {
            1.0
        }
        fn predict(&self, _: &audio::Decoded) -> Result<Value> {
            Ok(Value::Bool(true))
        }
        fn predict_samples(&self, _: &[f32], _: u32) -> Result<Value> {
            Ok(Value::Bool(true))
        }
        fn timeline(&self, _: &[f32], _: u32) -> Result<Value> {
            Ok(Value::Null)
        }
    }

    /// Issue 15: a panic in a worker answered `500 worker failed: task 5 panicked`. Now a panic
    /// that escapes the engine is a 500 that says so, its worker permit is given back, and the
    /// next job runs (one worker: the permit must have been released).
    #[test]
    fn r15_a_panic_in_a_job_is_an_error_and_the_worker_goes_on() {
        let state = Arc::new(State {
            engine: Arc::new(Answers),
            opts: Options::default(),
            admit: Arc::new(tokio::sync::Semaphore::new(4)),
            work: Arc::new(tokio::sync::Semaphore::new(1)),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let e = state
                .run(|_| -> Result<Value> { panic!("boom in a dependency") })
                .await
                .expect_err("a panic is an error");
            assert_eq!(e.status().as_u16(), 500);
            assert!(e.to_string().contains("boom in a dependency"), "{e}");
            for _ in 0..3 {
                let ok = state.run(|e| e.predict_samples(&[0.0], 16_000)).await;
                assert_eq!(ok.expect("served"), Value::Bool(true));
            }
        });
    }
}
