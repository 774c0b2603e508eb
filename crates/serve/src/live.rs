//! `GET /api/live`: a WebSocket that takes microphone audio and answers with the emotion of the
//! last model window about every second.
//!
//! Protocol: the client first sends a text message `{"sample_rate": 48000}`, then binary
//! messages of mono little-endian `f32` samples at that rate. The server answers with text
//! messages: a prediction (`{"label", "confidence", "scores", "t", "level_db"}`, `t` = seconds
//! received so far) each time another second of audio has arrived, `{"no_speech": true, "t",
//! "level_db"}` when the model finds no speech in the window, or `{"error": "..."}`.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::json;

use crate::{Error, State};

/// Seconds of new audio between predictions.
const EVERY: f64 = 1.0;
/// Largest message accepted, bytes (a second of 48 kHz f32 is 192 kB).
const MAX_MESSAGE: usize = 1 << 20;

pub(crate) async fn upgrade(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| session(state, socket))
}

async fn send_error(socket: &mut WebSocket, e: &Error) {
    let text = json!({ "error": e.to_string() }).to_string();
    let _ = socket.send(Message::Text(text.into())).await;
}

async fn session(state: Arc<State>, mut socket: WebSocket) {
    let mut rate: Option<u32> = None;
    let window = state.engine.live_seconds().max(0.5);
    let mut buf: Vec<f32> = Vec::new();
    let mut received = 0usize;
    let mut since_last = 0usize;
    let mut history = crate::LiveHistory::default();
    while let Some(Ok(msg)) = socket.recv().await {
        match msg {
            Message::Text(t) => {
                let r = serde_json::from_str::<serde_json::Value>(t.as_str())
                    .ok()
                    .and_then(|v| v.get("sample_rate").and_then(|r| r.as_u64()));
                match r {
                    Some(r) if (8_000..=192_000).contains(&r) => {
                        rate = Some(r as u32);
                        history = crate::LiveHistory::default();
                        buf.clear();
                        received = 0;
                        since_last = 0;
                    }
                    _ => {
                        let e = Error::BadRequest(
                            "send {\"sample_rate\": N} (8000 to 192000) before audio".into(),
                        );
                        send_error(&mut socket, &e).await;
                    }
                }
            }
            Message::Binary(b) => {
                let Some(r) = rate else {
                    let e = Error::BadRequest("send {\"sample_rate\": N} first".into());
                    send_error(&mut socket, &e).await;
                    continue;
                };
                if b.len() % 4 != 0 {
                    let e =
                        Error::BadRequest("audio messages are little-endian f32 samples".into());
                    send_error(&mut socket, &e).await;
                    continue;
                }
                buf.extend(
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .map(|v| {
                            if v.is_finite() {
                                v.clamp(-1.0, 1.0)
                            } else {
                                0.0
                            }
                        }),
                );
                received += b.len() / 4;
                since_last += b.len() / 4;
                let keep = (window * r as f64) as usize;
                if buf.len() > keep {
                    buf.drain(..buf.len() - keep);
                }
                if buf.len() < keep || (since_last as f64) < EVERY * r as f64 {
                    continue;
                }
                since_last = 0;
                let samples = buf.clone();
                let level = 10.0
                    * (samples.iter().map(|v| v * v).sum::<f32>() / samples.len() as f32)
                        .max(1e-10)
                        .log10();
                let t = received as f64 / r as f64;
                // The session's history goes to the worker and comes back with this window.
                let mut h = std::mem::take(&mut history);
                let (result, h) = match state
                    .run(move |engine| {
                        let p = engine.predict_live(&samples, r, &mut h);
                        Ok((p, h))
                    })
                    .await
                {
                    Ok((p, h)) => (p, h),
                    Err(e) => (Err(e), crate::LiveHistory::default()),
                };
                history = h;
                let reply = match result {
                    Ok(mut p) => {
                        if let Some(o) = p.as_object_mut() {
                            o.insert("t".into(), json!(t));
                            o.insert("level_db".into(), json!(level));
                        }
                        p
                    }
                    // A window without speech is a state of the session, not a failure.
                    Err(Error::NoSpeech(_)) => {
                        json!({ "no_speech": true, "t": t, "level_db": level })
                    }
                    Err(e) => json!({ "error": e.to_string() }),
                };
                if socket
                    .send(Message::Text(reply.to_string().into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
}
