//! Routes: the page, the JSON API, health and OpenAPI.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use emovox_audio::{decode_bytes, DecodeOptions};
use emovox_report::{AudioPlot, PlotKind};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::{Error, Result, State};

static INDEX_HTML: &str = include_str!("../assets/index.html");
static APP_JS: &str = include_str!("../assets/app.js");
static STYLE_CSS: &str = include_str!("../assets/style.css");
static FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
static OPENAPI_JSON: &str = include_str!("../assets/openapi.json");

/// Recordings longer than this (seconds) also get a timeline on the page.
const TIMELINE_SECONDS: f64 = 5.0;
/// Size of the waveform and spectrogram the page shows, pixels.
const PLOT_SIZE: (u32, u32) = (640, 300);

pub(crate) fn routes(state: Arc<State>) -> Router {
    // Multipart bodies are limited by axum's body limit; raw bodies by `read_body`.
    let limit = DefaultBodyLimit::max(state.opts.max_body.saturating_add(64 * 1024));
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/app.js",
            get(|| async { page(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/style.css",
            get(|| async { page(STYLE_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/favicon.svg",
            get(|| async { page(FAVICON_SVG, "image/svg+xml") }),
        )
        .route(
            "/openapi.json",
            get(|| async { page(OPENAPI_JSON, "application/json") }),
        )
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/api/model", get(model))
        .route("/api/predict", post(predict))
        .route("/api/timeline", post(timeline))
        .route("/api/analyze", post(analyze))
        .route("/api/live", get(crate::live::upgrade))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"error": "no such route"})),
            )
        })
        .layer(limit)
        .with_state(state)
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

type S = axum::extract::State<Arc<State>>;

async fn model(axum::extract::State(state): S) -> Json<Value> {
    let mut info = state.engine.model_info();
    if let Some(o) = info.as_object_mut() {
        o.entry("classes")
            .or_insert_with(|| json!(state.engine.classes()));
        o.insert("live_seconds".into(), json!(state.engine.live_seconds()));
        o.insert("server_version".into(), json!(env!("CARGO_PKG_VERSION")));
    }
    Json(info)
}

/// Files one adapted request may carry (`POST /api/predict?adapt=1`).
const MAX_FILES: usize = 200;

/// `POST /api/predict`: the emotion of one recording; with `?adapt=1` and a multipart body of
/// several `file` fields (one speaker's or one set-up's recordings), the emotion of each,
/// predicted together and adapted to them without labels (`emovox predict --adapt`):
/// `{"adapted": true, "predictions": [{"file", "label", ...} or {"file", "error"}, ...]}`, in
/// the order sent. A file that fails is reported in its place; the others are still answered.
/// `?self_train=1` (which implies `adapt`) also self-trains on them (`emovox predict --adapt
/// --self-train`; `"self_trained": true` in the answer), or is answered 400 by a model that
/// cannot.
async fn predict(axum::extract::State(state): S, req: Request) -> Result<Json<Value>> {
    let _admitted = state.admit()?;
    let self_train = flag(req.uri().query(), "self_train");
    if self_train || flag(req.uri().query(), "adapt") {
        return predict_together(&state, req, self_train).await;
    }
    let (bytes, hint) = read_audio(&state, req).await?;
    let out = state
        .run(move |engine| {
            let clip = decode_bytes(&bytes, hint.as_deref(), &engine.decode_options())?;
            engine.predict(&clip)
        })
        .await?;
    Ok(Json(out))
}

/// Whether the query sets the flag `name` (`name=1`, `name=true`, `name=yes` or a bare `name`).
fn flag(query: Option<&str>, name: &str) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, "1"));
            k == name && matches!(v, "1" | "true" | "yes")
        })
    })
}

async fn predict_together(
    state: &Arc<State>,
    req: Request,
    self_train: bool,
) -> Result<Json<Value>> {
    if self_train {
        state.engine.can_self_train()?;
    }
    let uploads = if is_multipart(req.headers()) {
        read_multipart(req, state.opts.max_body, MAX_FILES).await?
    } else {
        let (bytes, hint) = read_audio(state, req).await?;
        vec![Upload {
            name: None,
            bytes,
            hint,
        }]
    };
    let out = state
        .run(move |engine| {
            let opts = engine.decode_options();
            // Decode each file; the ones that decode are predicted together.
            let mut good = Vec::with_capacity(uploads.len());
            let mut decoded: Vec<Result<()>> = Vec::with_capacity(uploads.len());
            for u in &uploads {
                match decode_bytes(&u.bytes, u.hint.as_deref(), &opts) {
                    Ok(clip) => {
                        good.push(clip);
                        decoded.push(Ok(()));
                    }
                    Err(e) => decoded.push(Err(e.into())),
                }
            }
            let mut predicted = match self_train {
                true => engine.predict_self_trained(&good),
                false => engine.predict_together(&good),
            }
            .into_iter();
            let predictions: Vec<Value> = uploads
                .iter()
                .zip(decoded)
                .map(|(u, d)| {
                    let r = match d {
                        Ok(()) => predicted
                            .next()
                            .unwrap_or_else(|| Err(Error::Internal("no prediction".into()))),
                        Err(e) => Err(e),
                    };
                    let mut v = match r {
                        Ok(v) => v,
                        Err(e) => e.body(),
                    };
                    if let Some(o) = v.as_object_mut() {
                        o.insert("file".into(), json!(u.name));
                    }
                    v
                })
                .collect();
            let mut out = json!({ "adapted": true, "predictions": predictions });
            if self_train {
                out["self_trained"] = json!(true);
            }
            Ok(out)
        })
        .await?;
    Ok(Json(out))
}

/// `POST /api/timeline`: emotion over time.
async fn timeline(axum::extract::State(state): S, req: Request) -> Result<Json<Value>> {
    let _admitted = state.admit()?;
    let (bytes, hint) = read_audio(&state, req).await?;
    let max = state.opts.max_seconds;
    let out = state
        .run(move |engine| {
            let opts = DecodeOptions::new().max_seconds(Some(max));
            let clip = decode_bytes(&bytes, hint.as_deref(), &opts)?;
            drop(bytes);
            engine.timeline(&clip.samples, clip.sample_rate)
        })
        .await?;
    Ok(Json(out))
}

/// `POST /api/analyze`: everything the page shows about one recording.
async fn analyze(axum::extract::State(state): S, req: Request) -> Result<Json<Value>> {
    let _admitted = state.admit()?;
    let (bytes, hint) = read_audio(&state, req).await?;
    let max = state.opts.max_seconds;
    let out = state
        .run(move |engine| {
            let opts = DecodeOptions::new().max_seconds(Some(max));
            let clip = decode_bytes(&bytes, hint.as_deref(), &opts)?;
            drop(bytes);
            let prediction = engine.predict(&clip)?;
            let duration = clip.duration();
            let svg = |kind, title: &str| {
                AudioPlot::from_samples(kind, &clip.samples, clip.sample_rate, title)
                    .and_then(|p| p.to_svg(PLOT_SIZE))
                    .map_err(|e| Error::Internal(format!("drawing the {title}: {e}")))
            };
            let waveform = svg(PlotKind::Waveform, "Waveform")?;
            let spectrogram = svg(PlotKind::Spectrogram, "Spectrogram")?;
            let timeline = if duration > TIMELINE_SECONDS {
                Some(engine.timeline(&clip.samples, clip.sample_rate)?)
            } else {
                None
            };
            Ok(json!({
                "prediction": prediction,
                "duration": duration,
                "sample_rate": clip.sample_rate,
                "channels": clip.channels,
                "format": clip.format,
                "truncated": clip.truncated,
                "waveform_svg": waveform,
                "spectrogram_svg": spectrogram,
                "timeline": timeline,
            }))
        })
        .await?;
    Ok(Json(out))
}

/// The audio of a request, with an extension hint: a raw body (hint from `?filename=`/`?ext=`
/// or the content type) or the first file field of a `multipart/form-data` body.
async fn read_audio(state: &State, req: Request) -> Result<(Vec<u8>, Option<String>)> {
    let limit = state.opts.max_body;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.to_ascii_lowercase());
    if content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("multipart/form-data"))
    {
        let first = read_multipart(req, limit, 1).await?.into_iter().next();
        return first.map(|u| (u.bytes, u.hint)).ok_or_else(|| {
            Error::BadRequest(
                "multipart body has no file field: send the audio as field `file`".into(),
            )
        });
    }
    let query_hint = query_hint(req.uri().query());
    let type_hint = match content_type.as_deref() {
        Some(ct) => hint_of_content_type(ct)?,
        None => None,
    };
    check_length(req.headers(), limit)?;
    let bytes = read_body(req.into_body(), limit).await?;
    Ok((bytes, query_hint.or(type_hint)))
}

/// 413 at once when the declared length is over the limit.
fn check_length(headers: &HeaderMap, limit: usize) -> Result<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(Error::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// Reads a body frame by frame, refusing it as soon as it passes `limit` bytes.
async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::BadRequest(format!("reading the body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(Error::TooLarge { limit });
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// One file of a request.
struct Upload {
    /// Its file name, when the multipart field gives one.
    name: Option<String>,
    bytes: Vec<u8>,
    /// Extension hint (from the file name or the content type).
    hint: Option<String>,
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The file fields of a multipart body, at most `max_files` (more is a 400), at most `limit`
/// bytes in all.
async fn read_multipart(req: Request, limit: usize, max_files: usize) -> Result<Vec<Upload>> {
    check_length(req.headers(), limit.saturating_add(64 * 1024))?;
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|e| Error::BadRequest(e.body_text()))?;
    let multipart_err = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge { limit }
        } else {
            Error::BadRequest(format!("multipart body: {}", e.body_text()))
        }
    };
    let mut uploads = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_err)? {
        let is_file = field.file_name().is_some() || matches!(field.name(), Some("file" | "audio"));
        if !is_file {
            continue;
        }
        let hint = field
            .file_name()
            .and_then(extension)
            .or(match field.content_type() {
                Some(ct) => hint_of_content_type(&ct.to_ascii_lowercase())?,
                None => None,
            });
        if uploads.len() == max_files {
            if max_files == 1 {
                break;
            }
            return Err(Error::BadRequest(format!(
                "at most {max_files} files in one request"
            )));
        }
        let name = field.file_name().map(str::to_string);
        let mut out = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_err)? {
            if total + out.len() + chunk.len() > limit {
                return Err(Error::TooLarge { limit });
            }
            out.extend_from_slice(&chunk);
        }
        total += out.len();
        uploads.push(Upload {
            name,
            bytes: out,
            hint,
        });
    }
    if uploads.is_empty() {
        return Err(Error::BadRequest(
            "multipart body has no file field: send the audio as field `file`".into(),
        ));
    }
    Ok(uploads)
}

/// The lower-case extension of a file name, if it has one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()
        && !ext.is_empty()
        && ext.len() <= 5
        && ext.chars().all(|c| c.is_ascii_alphanumeric()))
    .then(|| ext.to_ascii_lowercase())
}

/// `?filename=clip.m4a` or `?ext=m4a`.
fn query_hint(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|kv| match kv.split_once('=') {
        Some(("filename", v)) => extension(v),
        Some(("ext", v)) => extension(&format!("x.{v}")),
        _ => None,
    })
}

/// The extension hint of a content type; 415 for types that are clearly not audio.
fn hint_of_content_type(ct: &str) -> Result<Option<String>> {
    let mime = ct.split(';').next().unwrap_or("").trim();
    let ext = match mime {
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "wav",
        "audio/mpeg" | "audio/mp3" => "mp3",
        "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/aac" | "video/mp4" => "m4a",
        "audio/ogg" | "application/ogg" | "audio/vorbis" => "ogg",
        "audio/opus" => "opus",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/aiff" | "audio/x-aiff" => "aiff",
        // Text, JSON, XML and images are clearly not audio; anything else (including curl's
        // default for --data-binary, application/x-www-form-urlencoded) is sniffed.
        m if m.starts_with("text/")
            || m.starts_with("image/")
            || m.starts_with("application/json")
            || m.ends_with("+json")
            || m.ends_with("xml") =>
        {
            return Err(Error::Unsupported(format!(
                "content type {m} is not audio: send the recording's bytes (audio/*, \
                 application/octet-stream) or multipart/form-data with a `file` field"
            )))
        }
        _ => return Ok(None),
    };
    Ok(Some(ext.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_come_from_names_queries_and_types() {
        assert_eq!(extension("happy.M4A").as_deref(), Some("m4a"));
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("noext"), None);
        assert_eq!(
            query_hint(Some("a=1&filename=x.opus")).as_deref(),
            Some("opus")
        );
        assert_eq!(query_hint(Some("ext=flac")).as_deref(), Some("flac"));
        assert_eq!(query_hint(None), None);
        assert_eq!(
            hint_of_content_type("audio/mpeg").unwrap().as_deref(),
            Some("mp3")
        );
        assert_eq!(hint_of_content_type("audio/webm").unwrap(), None);
        assert_eq!(
            hint_of_content_type("application/octet-stream").unwrap(),
            None
        );
        // curl --data-binary's default type: sniffed, not refused.
        assert_eq!(
            hint_of_content_type("application/x-www-form-urlencoded").unwrap(),
            None
        );
        assert_eq!(
            hint_of_content_type("text/plain")
                .unwrap_err()
                .status()
                .as_u16(),
            415
        );
        let e = hint_of_content_type("application/json").unwrap_err();
        assert_eq!(e.status().as_u16(), 415);
    }

    #[test]
    fn declared_lengths_over_the_limit_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("101"));
        assert!(matches!(
            check_length(&h, 100),
            Err(Error::TooLarge { limit: 100 })
        ));
        assert!(check_length(&h, 101).is_ok());
        assert!(check_length(&HeaderMap::new(), 1).is_ok());
    }
}
