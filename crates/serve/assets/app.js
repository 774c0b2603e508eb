// The emovox page: upload, record or stream audio; show what the server found.
"use strict";
const $ = (id) => document.getElementById(id);
const COLOURS = { happy: "#f2a900", neutral: "#8a94a6", surprise: "#2bb3c0", unpleasant: "#d1495b",
  angry: "#d1495b", sad: "#3b6fd6", fearful: "#8e5cc8", disgust: "#5f8f3a", calm: "#6cc1a0" };
const PALETTE = ["#4f46e5", "#f2a900", "#2bb3c0", "#d1495b", "#5f8f3a", "#8e5cc8", "#e07b39"];
const colour = (label, i) => COLOURS[label] || PALETTE[i % PALETTE.length];
let classes = [];

function status(text, error) {
  const s = $("status");
  s.textContent = text || "";
  s.className = "status" + (error ? " error" : "");
}

function drawBars(el, scores) {
  const best = scores.reduce((b, s, i) => (s.probability > scores[b].probability ? i : b), 0);
  el.replaceChildren(...scores.map((s, i) => {
    const row = document.createElement("div");
    row.className = "bar" + (i === best ? " best" : "");
    row.dataset.label = s.label;
    const pct = (100 * s.probability).toFixed(1);
    row.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
    row.querySelector(".name").textContent = s.label;
    const fill = row.querySelector(".fill");
    fill.style.width = pct + "%";
    fill.style.background = colour(s.label, classes.indexOf(s.label));
    row.querySelector(".pct").textContent = pct + "%";
    return row;
  }));
}

function svgImage(svg, alt) {
  const img = document.createElement("img");
  img.alt = alt;
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  return img;
}

function drawTimeline(t) {
  const box = $("timeline-box");
  if (!t || !t.segments || !t.segments.length) { box.hidden = true; return; }
  box.hidden = false;
  const strip = $("timeline");
  strip.replaceChildren(...t.segments.map((s) => {
    const d = document.createElement("div");
    d.style.flex = String(Math.max(s.end - s.start, 0.001));
    if (s.label) {
      d.style.background = colour(s.label, t.classes.indexOf(s.label));
      d.title = `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: ${s.label} (${(100 * s.confidence).toFixed(0)}%)`;
    } else {
      d.className = "silence";
      d.title = `${s.start.toFixed(1)}–${s.end.toFixed(1)} s: silence`;
    }
    return d;
  }));
  const legend = document.createElement("div");
  legend.className = "legend";
  legend.innerHTML = t.classes.map((c, i) => `<span><i style="background:${colour(c, i)}"></i>${c}</span>`).join("")
    + '<span><i class="silence" style="background:#e6e8ef"></i>silence</span>';
  $("timeline-axis").replaceChildren(
    Object.assign(document.createElement("span"), { textContent: "0 s" }),
    Object.assign(document.createElement("span"), { textContent: t.duration.toFixed(1) + " s" }));
  $("timeline-axis").after(legend);
  const old = legend.nextElementSibling;
  if (old && old.classList.contains("legend")) old.remove();
}

function show(r, name) {
  const p = r.prediction;
  $("label").textContent = p.label;
  $("confidence").textContent = (100 * p.confidence).toFixed(0) + "%";
  $("label").style.color = colour(p.label, classes.indexOf(p.label));
  drawBars($("bars"), p.scores);
  $("meta").textContent = `${name}: ${r.duration.toFixed(2)} s, ${r.sample_rate} Hz, ${r.format}` +
    (r.truncated ? " (file is cut short)" : "");
  $("waveform").replaceChildren(svgImage(r.waveform_svg, "waveform"));
  $("spectrogram").replaceChildren(svgImage(r.spectrogram_svg, "spectrogram"));
  drawTimeline(r.timeline);
  $("result").hidden = false;
  $("result").dataset.ready = "1";
}

async function analyze(blob, name) {
  $("result").dataset.ready = "";
  status(`Analysing ${name}…`);
  const q = name && name.includes(".") ? "?filename=" + encodeURIComponent(name) : "";
  try {
    const res = await fetch("/api/analyze" + q, {
      method: "POST", body: blob,
      headers: { "Content-Type": blob.type || "application/octet-stream" },
    });
    const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (!res.ok) { status(body.error || `HTTP ${res.status}`, true); return; }
    status("");
    show(body, name);
  } catch (e) {
    status("Could not reach the server: " + e.message, true);
  }
}

// Tabs.
document.querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => {
  document.querySelectorAll(".tabs button").forEach((o) => o.classList.toggle("active", o === b));
  document.querySelectorAll(".pane").forEach((p) => { p.hidden = p.id !== "pane-" + b.dataset.pane; });
  // The result card belongs to uploads and recordings; live mode shows its own.
  $("result").hidden = b.dataset.pane === "live" || $("result").dataset.ready !== "1";
}));

// Upload: choose or drop.
$("file").addEventListener("change", (e) => {
  const f = e.target.files[0];
  if (f) analyze(f, f.name);
});
const drop = $("drop");
["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => {
  const f = e.dataTransfer.files[0];
  if (f) analyze(f, f.name);
});

// Microphone capture: mono f32 chunks at the context's rate.
async function openMic(onChunk) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error("this browser cannot record here (the page needs https or localhost)");
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const ctx = new AudioContext();
  const src = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(4096, 1, 1);
  const mute = ctx.createGain();
  mute.gain.value = 0;
  proc.onaudioprocess = (e) => onChunk(new Float32Array(e.inputBuffer.getChannelData(0)));
  src.connect(proc); proc.connect(mute); mute.connect(ctx.destination);
  return { rate: ctx.sampleRate, close: () => { proc.disconnect(); stream.getTracks().forEach((t) => t.stop()); ctx.close(); } };
}

function wav(chunks, rate) {
  const n = chunks.reduce((a, c) => a + c.length, 0);
  const buf = new ArrayBuffer(44 + 2 * n);
  const v = new DataView(buf);
  const str = (o, s) => [...s].forEach((ch, i) => v.setUint8(o + i, ch.charCodeAt(0)));
  str(0, "RIFF"); v.setUint32(4, 36 + 2 * n, true); str(8, "WAVEfmt ");
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, 2 * rate, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  str(36, "data"); v.setUint32(40, 2 * n, true);
  let o = 44;
  for (const c of chunks) for (const x of c) { v.setInt16(o, Math.max(-1, Math.min(1, x)) * 32767, true); o += 2; }
  return new Blob([buf], { type: "audio/wav" });
}

// Record.
let rec = null;
$("rec-btn").addEventListener("click", async () => {
  const btn = $("rec-btn");
  if (rec) {
    const { mic, chunks, timer } = rec;
    rec = null;
    clearInterval(timer);
    mic.close();
    btn.innerHTML = "&#9679; Start recording"; btn.classList.remove("stop");
    $("rec-time").textContent = "";
    analyze(wav(chunks, mic.rate), "recording.wav");
    return;
  }
  try {
    const chunks = [];
    const mic = await openMic((c) => chunks.push(c));
    const t0 = Date.now();
    const timer = setInterval(() => { $("rec-time").textContent = ((Date.now() - t0) / 1000).toFixed(1) + " s"; }, 200);
    rec = { mic, chunks, timer };
    btn.innerHTML = "&#9632; Stop and analyse"; btn.classList.add("stop");
    status("Recording… speak for a few seconds.");
  } catch (e) {
    status("Microphone: " + e.message, true);
  }
});

// Live.
let live = null;
// The session's emotion over time: one cell per update (about a second), newest on the right,
// the last LIVE_HISTORY kept.
const LIVE_HISTORY = 120;
function liveHistory(m, label, quiet) {
  const strip = $("live-history");
  const cell = document.createElement("div");
  if (quiet) cell.className = "silence";
  else cell.style.background = colour(m.label, classes.indexOf(m.label));
  cell.title = `${(m.t || 0).toFixed(0)} s: ${label}`;
  strip.appendChild(cell);
  while (strip.children.length > LIVE_HISTORY) strip.removeChild(strip.firstChild);
}
function stopLive(msg) {
  if (!live) return;
  live.mic && live.mic.close();
  live.ws.close();
  live = null;
  $("live-btn").innerHTML = "&#9654; Start live"; $("live-btn").classList.remove("stop");
  status(msg || "");
}
$("live-btn").addEventListener("click", async () => {
  if (live) { stopLive(); return; }
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/api/live`);
  ws.binaryType = "arraybuffer";
  live = { ws, mic: null };
  $("live-history").replaceChildren();
  $("live-btn").innerHTML = "&#9632; Stop"; $("live-btn").classList.add("stop");
  $("live-label").textContent = "listening…";
  ws.onopen = async () => {
    try {
      const mic = await openMic((c) => { if (ws.readyState === 1) ws.send(c.buffer); });
      if (!live) { mic.close(); return; }
      live.mic = mic;
      ws.send(JSON.stringify({ sample_rate: mic.rate }));
      status("Live: listening to your microphone.");
    } catch (e) { stopLive("Microphone: " + e.message); $("status").className = "status error"; }
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.error) { status(m.error, true); return; }
    const el = $("live");
    el.dataset.updates = String(Number(el.dataset.updates) + 1);
    const quiet = m.no_speech || m.level_db < -50;
    const label = m.no_speech ? "(no speech)" : quiet ? "(silence)" : m.label;
    $("live-label").textContent = label;
    $("live-label").style.color = quiet ? "" : colour(m.label, classes.indexOf(m.label));
    liveHistory(m, label, quiet);
    if (!m.no_speech) drawBars($("live-bars"), m.scores);
  };
  ws.onclose = () => stopLive(live ? "Live connection closed." : "");
});

fetch("/api/model").then((r) => r.json()).then((m) => { classes = m.classes || []; }).catch(() => {});
