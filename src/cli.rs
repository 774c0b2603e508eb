//! The `emovox` command line: argument parsing and printing only; the work is in the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use emovox_audio::augment::{parse_copies, Chain};
use emovox_corpora::{Corpus, Manifest, Scheme, Split};
use emovox_features::PipelineConfig;
use emovox_report::PlotKind;

use crate::batch::{self, BatchOptions, Failure};
use crate::table::{self, Format};
use crate::timeline::{Timeline, TimelineOptions};
use crate::Recognizer;

/// Speech emotion recognition: decode any recording, extract librosa-identical features.
#[derive(Debug, Parser)]
#[command(name = "emovox", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug). `EMOVOX_LOG` takes a tracing filter.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show format, sample rate, channels, duration, peak and RMS of audio files.
    Info(InfoArgs),
    /// Extract features from files and folders, or from a manifest (with labels, splits and
    /// augmentation), into a Parquet, CSV or NPY table.
    Features(FeaturesArgs),
    /// Train an emotion model on a feature table made from a manifest.
    Train(TrainArgs),
    /// Score a trained model on a feature table's test split: report.json, report.txt, plots.
    Evaluate(EvaluateArgs),
    /// Index corpora (RAVDESS, TESS, SAVEE, CREMA-D, EmoDB, or one folder per label) into a
    /// manifest CSV with labels under a scheme and a train/test split.
    Index(IndexArgs),
    /// Analyse corpora: per-clip measures (duration, amplitudes, RMS, mel statistics) as
    /// per-corpus CSVs and one Parquet table, charts (SVG and PNG) and a self-contained
    /// index.html with findings.
    Analyze(AnalyzeArgs),
    /// Plot one recording: waveform, spectrogram (dB, log frequency), mel spectrogram or MFCC,
    /// as PNG or SVG.
    Plot(PlotArgs),
    /// List the named feature pipelines and their parameters.
    Pipelines,
    /// Predict the emotion of audio files (any format) or every file under folders, with the
    /// bundled model or `--model`.
    Predict(PredictArgs),
    /// Emotion over time in a long recording: find speech, slide a window, label segments.
    Timeline(TimelineArgs),
    /// Quantise a trained cnn-attn model to full-integer int8 for microcontrollers
    /// (`model.emt` for emovox-tiny), calibrated on a feature table's training rows, and compare
    /// float and int8 accuracy on its test split.
    Quantize(QuantizeArgs),
    /// Write a quantised model (`emovox quantize`) for devices: model.tflite (int8, TFLite
    /// Micro builtin ops) and its C array (model_data.cc/.h), model.emt and a Rust module
    /// embedding it for emovox-tiny; with --clips, the clips' samples, int8 inputs and the
    /// host's results for the firmware and LiteRT checks.
    Export(ExportArgs),
    /// Serve the web app and HTTP API (upload, record or stream audio; JSON API with OpenAPI at
    /// /openapi.json) until SIGTERM or Ctrl-C.
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
}

/// `emovox serve`.
#[cfg(feature = "serve")]
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (`0.0.0.0:8080` to accept other machines).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// A model folder from `emovox train`. Default: the bundled model.
    #[arg(short, long)]
    pub model: Option<PathBuf>,
    /// Largest upload, in MB (10^6 bytes); larger ones get 413.
    #[arg(long, default_value_t = 20.0)]
    pub max_body: f64,
    /// Requests admitted at once (uploading, queued or running); more get 503.
    #[arg(long, default_value_t = 64)]
    pub max_concurrency: usize,
    /// Decoding/inference jobs at once. Default: the number of cores.
    #[arg(long)]
    pub workers: Option<usize>,
}

/// `emovox export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The model folder (from `emovox train`, quantised with `emovox quantize`).
    pub run: PathBuf,
    /// The quantised model's folder. Default: RUN/int8.
    #[arg(long)]
    pub int8: Option<PathBuf>,
    /// Output folder.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Audio clips to embed for the firmware and LiteRT checks (clips.bin, inputs.npy,
    /// expected.json).
    #[arg(long, num_args = 1..)]
    pub clips: Vec<PathBuf>,
}

/// `emovox quantize`.
#[derive(Debug, clap::Args)]
pub struct QuantizeArgs {
    /// The model folder (from `emovox train`).
    pub run: PathBuf,
    /// Feature table (Parquet) made with the model's pipeline: its training rows calibrate the
    /// activation ranges, its test split is scored.
    #[arg(long)]
    pub calibrate: PathBuf,
    /// Training rows to calibrate on.
    #[arg(long, default_value_t = 1000)]
    pub calibration_rows: usize,
    /// Output folder for model.emt, calibration.json and report.json. Default: RUN/int8.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
}

/// Output format of `predict` and `timeline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A table for people.
    Table,
    /// JSON (`predict`: one object per line).
    Json,
    /// CSV with a header.
    Csv,
}

/// `emovox predict`.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// Audio files, or folders to walk (WAV, AIFF, FLAC, MP3, OGG, Opus, M4A, ...).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// A model folder from `emovox train` (model.json + model.bpk). Default: the bundled model.
    #[arg(short, long)]
    pub model: Option<PathBuf>,
    /// Print JSON Lines: one record per file, `{"file", "label", "confidence", "scores":
    /// [{"label", "probability"}]}`, or `{"file", "error"[, "no_speech": true]}` in its place
    /// (the HTTP API's and Python's shape).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV.
    #[arg(long)]
    pub csv: bool,
    /// Unsupervised adaptation: the inputs are one speaker's (or one recording set-up's)
    /// recordings, predicted together (no labels needed; the more clips, the better). The
    /// bundled model moves each feature's mean and spread over them to its training set's
    /// (`"adapt": "standardize"` in model.json; `mean`: the mean only); a model trained
    /// with --speaker-norm standardises them together. No effect on a model without an
    /// adaptation policy. (`--same-speaker` is the old name.)
    #[arg(long, alias = "same-speaker")]
    pub adapt: bool,
    /// With --adapt: self-training. After adapting, the model (svm or logistic, as the
    /// bundled one) is refitted on the surest 30 % of its own answers for each emotion over
    /// the inputs (an svm with its support vectors, a logistic regression held near its trained
    /// weights), and the refitted model gives the predictions (no labels needed). Leave one
    /// corpus out, bundled model: mean UAR 0.586 adapted, 0.598 self-trained (models/README.md). Needs at least 10 readable inputs (fewer are predicted
    /// adapted only).
    #[arg(long, requires = "adapt")]
    pub self_train: bool,
    /// Worker threads. Default: one per core.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `emovox timeline`.
#[derive(Debug, clap::Args)]
pub struct TimelineArgs {
    /// A recording (any format).
    pub file: PathBuf,
    /// A model folder from `emovox train`. Default: the bundled model.
    #[arg(short, long)]
    pub model: Option<PathBuf>,
    /// Window length, seconds. Default: what the model was trained on (its crop), or 3 s for
    /// a model that reads whole utterances (the bundled model).
    #[arg(long)]
    pub window: Option<f64>,
    /// Hop between windows, seconds. Default: a third of the window.
    #[arg(long)]
    pub hop: Option<f64>,
    /// Pauses shorter than this (seconds) do not split speech.
    #[arg(long, default_value_t = 0.3)]
    pub min_silence: f64,
    /// Speech shorter than this (seconds) is ignored (clicks, breaths).
    #[arg(long, default_value_t = 0.25)]
    pub min_speech: f64,
    /// Seconds before each speech onset that its first window includes.
    #[arg(long, default_value_t = 0.5)]
    pub lead: f64,
    /// How to print the segments.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Output,
    /// Also draw the timeline above the waveform (.png or .svg).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// No progress bar (shown on standard error for recordings over a minute).
    #[arg(long)]
    pub no_progress: bool,
}

/// `emovox analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Corpus folders (or audio files) as released, or manifest CSVs from `emovox index`.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output folder: `<CORPUS>_analysis.csv`, analysis.parquet, charts (.svg, .png), index.html.
    #[arg(short, long, default_value = "report")]
    pub out: PathBuf,
    /// Label scheme for the class counts: seed4, full, or a FILE.toml.
    #[arg(long, default_value = "seed4")]
    pub scheme: String,
    /// Seed for the scheme's random drops.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().seed)]
    pub seed: u64,
    /// Read every file of the folders as this corpus instead of detecting it.
    #[arg(long)]
    pub corpus: Option<Corpus>,
    /// Worker threads. Default: one per core.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `emovox plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// What to draw: waveform, spectrogram, mel or mfcc.
    pub kind: PlotKind,
    /// The recording (any format `emovox info` reads).
    pub file: PathBuf,
    /// Output image: .png or .svg.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Title above the plot. Default: the kind and the file's name.
    #[arg(long)]
    pub title: Option<String>,
}

/// `emovox info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Audio files (any format: WAV, AIFF, FLAC, MP3, OGG, Opus, M4A).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `emovox train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Feature table (Parquet) from `emovox features --manifest`.
    #[arg(long)]
    pub features: PathBuf,
    /// Model: lstm-seed (the original Keras network), cnn-attn (compact CNN with attention
    /// pooling, standardised inputs, ~100k parameters), svm (RBF support vector machine over
    /// one vector per clip; `svm:c=1`) or logistic (multinomial logistic regression over one
    /// vector per clip, the bundled model's; `logistic:c=0.001`).
    #[arg(short, long, default_value = "lstm-seed")]
    pub model: String,
    /// Output folder (model.json, model.bpk, history.csv, checkpoint/).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Rows of these splits train (comma-separated; e.g. fold1,fold2,... for k-fold).
    #[arg(long, default_value = "train", value_delimiter = ',')]
    pub train_splits: Vec<String>,
    /// Training settings.
    #[command(flatten)]
    pub opts: TrainOpts,
    /// Continue an interrupted run from its last checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// Worker threads. Default: one per core.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Training settings shared by `emovox train` and `emovox evaluate --kfold` (they become the
/// [`emovox_model::TrainConfig`] saved with the model). Every default is
/// `TrainConfig::default()`'s, read from the library, not repeated here.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainOpts {
    /// Passes over the training data.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Examples per step.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().batch_size)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().learning_rate)]
    pub lr: f64,
    /// Learning-rate schedule: constant, cosine, plateau.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().schedule)]
    pub schedule: emovox_model::LrSchedule,
    /// Weight the loss by inverse class frequency.
    #[arg(long)]
    pub class_weights: bool,
    /// Stop after this many epochs without a better validation loss (0: never).
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().patience)]
    pub patience: usize,
    /// Share of training clips held out for validation (with their augmented copies).
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().val_fraction)]
    pub val_fraction: f64,
    /// Seed for initialisation, shuffling, dropout and the validation hold-out.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().seed)]
    pub seed: u64,
    /// Train-time feature-axis warp: each training example's features (log-mel bands) are
    /// resampled by a random factor in [1-W, 1+W] (vocal-tract length perturbation). 0: off.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.freq_warp)]
    pub freq_warp: f64,
    /// Train-time random gain: each training example's frames (log-mel dB) are shifted by one
    /// random offset in [-DB, DB] (padding frames excluded). 0: off.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.gain_db)]
    pub gain_db: f64,
    /// SpecAugment: feature masks per training example, each up to --freq-mask-width columns.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.freq_masks)]
    pub freq_masks: usize,
    /// Largest feature-mask width (columns; 0: 8).
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.freq_mask_width)]
    pub freq_mask_width: usize,
    /// SpecAugment: time masks per training example, each up to --time-mask-width frames.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.time_masks)]
    pub time_masks: usize,
    /// Largest time-mask width (frames; 0: 10).
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.time_mask_width)]
    pub time_mask_width: usize,
    /// Mixup with Beta(A, A) weights between examples of a batch (e.g. 0.2). 0: off.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().augment.mixup)]
    pub mixup: f64,
    /// Speaker normalisation: standardise each speaker's frames over that speaker's own clips
    /// (per corpus, speaker and augmentation), in training and wherever the model later runs
    /// (evaluate: each test speaker's clips; predict: the clips given together, see
    /// `emovox predict --speaker`). Uses no labels of the speakers it adapts to.
    #[arg(long)]
    pub speaker_norm: bool,
    /// Speaker-balanced weights (logistic model): every training speaker weighs the same within
    /// each class, and the classes weigh the same, so a corpus of few speakers with many clips
    /// does not teach its voices as the emotion.
    #[arg(long)]
    pub balance_speakers: bool,
    /// How the saved model adapts to clips given together (`emovox predict --adapt`): none,
    /// mean (re-centre on the training mean) or standardize (move mean and spread to the
    /// training set's). Default: standardize for a logistic model, mean for other models over
    /// one vector per clip, none for frame models.
    #[arg(long)]
    pub adapt_policy: Option<emovox_model::Adapt>,
    /// Classes to train as the emotions they merge (logistic model; comma-separated, e.g.
    /// `unpleasant`): one output per emotion of the class's training clips (seed4's
    /// unpleasant: angry and sad), each weighing an equal share of the class, their
    /// probabilities summed back into it.
    #[arg(long, value_delimiter = ',', value_name = "CLASS")]
    pub split_class: Vec<String>,
}

impl TrainOpts {
    /// The training config these options describe.
    pub fn config(&self) -> Result<emovox_model::TrainConfig> {
        let augment = emovox_model::BatchAugment {
            freq_warp: self.freq_warp,
            gain_db: self.gain_db,
            freq_masks: self.freq_masks,
            freq_mask_width: self.freq_mask_width,
            time_masks: self.time_masks,
            time_mask_width: self.time_mask_width,
            mixup: self.mixup,
        };
        augment.validate().map_err(anyhow::Error::msg)?;
        Ok(emovox_model::TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            schedule: self.schedule,
            class_weights: self.class_weights,
            patience: self.patience,
            val_fraction: self.val_fraction,
            seed: self.seed,
            augment,
            speaker_norm: self.speaker_norm,
            balance_speakers: self.balance_speakers,
            adapt: self.adapt_policy,
            split_classes: self.split_class.clone(),
        })
    }
}

/// `emovox evaluate`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// The model folder (from `emovox train`). Not with --kfold or --loco.
    #[arg(required_unless_present_any = ["kfold", "loco"], conflicts_with_all = ["kfold", "loco"])]
    pub run: Option<PathBuf>,
    /// Leave one corpus out: for each corpus in the table, train --model on all the others
    /// (into --out/CORPUS; validation holds out whole speakers of the training corpora) and
    /// score the held-out corpus's clips: UAR over the classes it has, per-class recall, the
    /// mean and the worst fold. The measure of how a model does on recordings it never heard.
    #[arg(long, requires = "out", conflicts_with = "kfold")]
    pub loco: bool,
    /// Run the whole speaker-grouped cross-validation of --model over the table's
    /// fold1..foldK splits (`emovox index --split kfold-speaker:K`), training one model per fold
    /// into --out/foldN, and report mean +- std over folds.
    #[arg(long, requires = "out")]
    pub kfold: bool,
    /// Predict each speaker's clips together, adapted without labels as the model's policy
    /// says (as `emovox predict --adapt`), instead of one clip at a time. A model trained with
    /// --speaker-norm is always scored this way.
    #[arg(long)]
    pub adapt: bool,
    /// With --adapt: adapt each speaker's clips in random groups of this many (accuracy after
    /// a speaker's first N recordings). Default: all of a speaker's clips at once.
    #[arg(long, requires = "adapt", value_parser = clap::value_parser!(u64).range(1..))]
    pub adapt_clips: Option<u64>,
    /// With --adapt: read each group with the model self-trained on it (as `emovox predict
    /// --adapt --self-train`; an svm or logistic model, groups of at least 10 clips).
    #[arg(long, requires = "adapt")]
    pub self_train: bool,
    /// With --adapt: what is adapted together, `speaker` (each speaker's clips) or `corpus`
    /// (all of a corpus's clips: one recording set-up).
    #[arg(long, requires = "adapt", default_value = "speaker", value_parser = ["speaker", "corpus"])]
    pub adapt_by: String,
    /// With --kfold or --loco: the model to train.
    #[arg(short, long, default_value = "lstm-seed")]
    pub model: String,
    /// With --kfold or --loco: training settings for every fold.
    #[command(flatten)]
    pub opts: TrainOpts,
    /// Worker threads. Default: one per core.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Feature table (Parquet) from `emovox features --manifest`, made with the model's pipeline.
    #[arg(long)]
    pub features: PathBuf,
    /// Which split to score (its original rows; augmented copies are never scored unless
    /// --score-augmented asks).
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Score the held-out clips' augmented copies made by this chain instead of their
    /// originals (the table must have them: `emovox features --augment`), e.g. `telephone`:
    /// how the model does on recordings through that channel.
    #[arg(long)]
    pub score_augmented: Option<String>,
    /// With --kfold or --loco: train on the original clips and only the copies made by these
    /// chains (comma-separated, as `emovox features --augment` names them), or `none` for the
    /// originals alone. Default: every augmented copy in the table.
    #[arg(long)]
    pub train_augmented: Option<String>,
    /// Where to write report.json, report.txt and the plots. Default: the model folder.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
}

/// `emovox index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Folders (or files) of a corpus as released; each file's corpus is detected from its name.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output manifest CSV; `-` writes to standard output.
    #[arg(short, long, default_value = "manifest.csv")]
    pub out: PathBuf,
    /// Read every file as this corpus instead of detecting it: ravdess, tess, savee, crema-d,
    /// emodb, emovo, turev, folder (one folder per label: DIR/LABEL/file or
    /// DIR/LABEL/SPEAKER/file).
    #[arg(long)]
    pub corpus: Option<Corpus>,
    /// Label scheme: `seed4` (the original project's 4 classes), `full` (every emotion, shared
    /// names), or a FILE.toml of your own.
    #[arg(long, default_value = "full")]
    pub scheme: String,
    /// Split: `random[:TEST_SIZE]` (clip-level, the original's; leaks speakers),
    /// `speaker[:S1+S2...]` or `speaker:TEST_SIZE` (held-out speakers), `kfold-speaker[:K]`
    /// (speaker-grouped stratified folds), or `none`.
    #[arg(long, default_value = "speaker")]
    pub split: String,
    /// Seed for the scheme's random drops and the split.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().seed)]
    pub seed: u64,
}

/// `emovox features`.
#[derive(Debug, clap::Args)]
pub struct FeaturesArgs {
    /// Audio files, or folders to search recursively for audio.
    #[arg(required_unless_present = "manifest", conflicts_with = "manifest")]
    pub inputs: Vec<PathBuf>,
    /// A manifest from `emovox index`: extract its labelled clips, with labels and split columns.
    #[arg(short, long)]
    pub manifest: Option<PathBuf>,
    /// With --manifest: augmented copies of every non-test clip, comma-separated chains of
    /// noise[=SCALE], stretch[=RATE], pitch[=SEMITONES] and the recording channels telephone
    /// (300-3400 Hz), reverb[=RT60_SECONDS] (default 0.4), tilt[=DB_PER_OCTAVE] (default -3)
    /// and gain[=DB] (default -10), and crop[=MAX_SECONDS] (a random window of 0.3 s to MAX,
    /// default 0.8, of the clip's speech), joined by `+`, e.g. `noise,telephone+reverb=0.6`; `seed` is
    /// the original's two copies (exactly that). A copy in which no speech is found is left
    /// out (its clip is kept).
    #[arg(short, long, requires = "manifest", default_value = "none")]
    pub augment: String,
    /// Seed for the augmentation noise.
    #[arg(long, default_value_t = emovox_model::TrainConfig::default().seed)]
    pub seed: u64,
    /// Pipeline: a preset (seed, mfcc, mfcc-deltas, logmel, handcrafted), optionally with
    /// overrides, e.g. `mfcc:n_mfcc=20,frames=200`. See `emovox pipelines`.
    #[arg(short, long, default_value = "seed")]
    pub pipeline: String,
    /// Output file; `-` writes CSV to standard output.
    #[arg(short, long, default_value = "features.parquet")]
    pub out: PathBuf,
    /// Output format: parquet, csv or npy. Default: from the output's extension, else Parquet.
    #[arg(short, long)]
    pub format: Option<Format>,
    /// Worker threads. Default: one per core.
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// Parses the command line, runs it, and turns the outcome into an exit code: 0 when everything
/// worked, 1 when anything failed (after doing all that could be done), 2 for usage errors.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs its requests (info) by default.
    #[cfg(feature = "serve")]
    let verbose = match cli.command {
        Command::Serve(_) => cli.verbose.max(1),
        _ => cli.verbose,
    };
    #[cfg(not(feature = "serve"))]
    let verbose = cli.verbose;
    init_logging(verbose);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8) {
    // symphonia logs every failed probe as an error; the batch report already says what failed
    // and why, so its own logs only show from -vv on.
    const QUIET: &str = ",symphonia_core=off,symphonia_format_riff=off,symphonia_format_ogg=off,\
        symphonia_format_isomp4=off,symphonia_format_mkv=off,symphonia_format_caf=off,\
        symphonia_bundle_flac=off,symphonia_bundle_mp3=off,symphonia_codec_aac=off,\
        symphonia_codec_vorbis=off,symphonia_codec_pcm=off,symphonia_codec_adpcm=off";
    let default = match verbose {
        0 => format!("warn{QUIET}"),
        1 => format!("info{QUIET}"),
        _ => "debug".to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EMOVOX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Info(a) => info(a),
        Command::Features(a) => features(a),
        Command::Index(a) => index(a),
        Command::Train(a) => train(a),
        Command::Evaluate(a) => evaluate(a),
        Command::Analyze(a) => analyze(a),
        Command::Plot(a) => {
            crate::analyze::plot(a.kind, &a.file, &a.out, a.title.as_deref())?;
            eprintln!("{} -> {}", a.file.display(), a.out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Pipelines => {
            pipelines();
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict(a) => predict(a),
        Command::Timeline(a) => timeline(a),
        Command::Quantize(a) => quantize(a),
        Command::Export(a) => {
            let int8 = a.int8.unwrap_or_else(|| a.run.join("int8"));
            let r = crate::tinyml::export(&a.run, &int8, &a.out, &a.clips)?;
            for c in &r.clips {
                println!("{}\t{}\t{:?}", c.file, c.label, c.logits);
            }
            println!(
                "model.tflite {} bytes ({} operators, {} tensors, builtins only: {}); model.emt {} bytes",
                r.tflite_bytes,
                r.tflite.operators.len(),
                r.tflite.tensors,
                r.tflite.builtins_only,
                r.emt_bytes
            );
            println!("wrote {}", a.out.display());
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve(a),
    }
}

fn quantize(a: QuantizeArgs) -> Result<ExitCode> {
    let out = a.out.unwrap_or_else(|| a.run.join("int8"));
    let opts = crate::tinyml::QuantizeOptions {
        calibration_rows: a.calibration_rows,
        ..Default::default()
    };
    let (_, report) = crate::tinyml::quantize(&a.run, &a.calibrate, &out, &opts)?;
    print!("{}", crate::tinyml::text_report(&report));
    println!("wrote {}", out.join("model.emt").display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "serve")]
fn serve(a: ServeArgs) -> Result<ExitCode> {
    if !(a.max_body > 0.0 && a.max_body <= 4096.0) {
        bail!(
            "--max-body must be more than 0 and at most 4096 MB, got {}",
            a.max_body
        );
    }
    if a.max_concurrency == 0 || a.workers == Some(0) {
        bail!("--max-concurrency and --workers must be at least 1");
    }
    let mut opts = crate::serve::Options {
        addr: a.addr,
        max_body: (a.max_body * 1e6) as usize,
        max_concurrency: a.max_concurrency,
        ..Default::default()
    };
    if let Some(w) = a.workers {
        opts.workers = w;
    }
    crate::serve::serve(a.model.as_deref(), opts)?;
    Ok(ExitCode::SUCCESS)
}

fn report_failures(failures: &[Failure]) {
    if failures.is_empty() {
        return;
    }
    eprintln!("{} file(s) failed:", failures.len());
    for f in failures {
        eprintln!("  {}: {}", f.path.display(), f.reason);
    }
}

fn info(a: InfoArgs) -> Result<ExitCode> {
    use crate::info::FileInfo;
    let mut failures = Vec::new();
    if !a.json {
        println!("{}", FileInfo::HEADER);
    }
    for path in &a.files {
        match FileInfo::of(path) {
            Ok(i) if a.json => println!("{}", serde_json::to_string(&i)?),
            Ok(i) => println!("{}", i.row()),
            Err(e) => failures.push(Failure {
                path: path.clone(),
                reason: e.reason(),
            }),
        }
    }
    exit_after(&failures)
}

fn features(a: FeaturesArgs) -> Result<ExitCode> {
    let pipeline: PipelineConfig = a.pipeline.parse()?;
    let format = Format::for_output(a.format, &a.out)?;
    let opts = BatchOptions {
        jobs: a.jobs,
        progress: !a.no_progress,
    };
    let report = match &a.manifest {
        Some(m) => {
            let manifest = Manifest::load(m)?;
            let copies = parse_copies(&a.augment)?;
            batch::extract_manifest(&manifest, &pipeline, &copies, a.seed, &opts)?
        }
        None => batch::extract(&a.inputs, &pipeline, &opts)?,
    };
    table::write(&a.out, format, &pipeline, &report.rows)?;
    if a.out.as_os_str() != "-" {
        eprint!("{}", report.summary(&a.out, format, &pipeline));
    }
    exit_after(&report.failures)
}

fn index(a: IndexArgs) -> Result<ExitCode> {
    let scheme = Scheme::load(&a.scheme)?;
    let split = match a.split.as_str() {
        "none" => None,
        s => Some(s.parse::<Split>()?),
    };
    let (manifest, report) = Manifest::index(&a.inputs, a.corpus, &scheme, split.as_ref(), a.seed)?;
    if a.out.as_os_str() == "-" {
        manifest.write_csv(std::io::stdout().lock())?;
    } else {
        manifest
            .save(&a.out)
            .with_context(|| format!("writing {}", a.out.display()))?;
    }
    eprint!(
        "{}",
        manifest.summary(&report, &a.out.display().to_string())
    );
    exit_after(&report.failures)
}

/// Reports `failures` on standard error; the exit code says whether there were any.
fn exit_after(failures: &[Failure]) -> Result<ExitCode> {
    report_failures(failures);
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A progress bar per epoch.
struct EpochBar {
    show: bool,
    bar: Option<indicatif::ProgressBar>,
    epochs: usize,
}

impl emovox_model::Progress for EpochBar {
    fn epoch_start(&mut self, epoch: usize, steps: usize) {
        if !self.show {
            return;
        }
        let pb = indicatif::ProgressBar::new(steps as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "epoch {prefix} [{bar:30}] {pos}/{len} steps {elapsed_precise} {msg}",
        ) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_prefix(format!("{epoch}/{}", self.epochs));
        self.bar = Some(pb);
    }

    fn step(&mut self, loss: f64, accuracy: f64) {
        if let Some(pb) = &self.bar {
            pb.inc(1);
            pb.set_message(format!("loss {loss:.4} acc {accuracy:.3}"));
        }
    }

    fn epoch_end(&mut self, s: &emovox_model::EpochStats) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
        eprintln!(
            "epoch {:>3}/{}  loss {:.4}  acc {:.4}  val_loss {:.4}  val_acc {:.4}  lr {:.2e}  {:.1} s",
            s.epoch, self.epochs, s.loss, s.accuracy, s.val_loss, s.val_accuracy, s.lr, s.seconds
        );
    }
}

fn train(a: TrainArgs) -> Result<ExitCode> {
    let table = crate::train::load_table(&a.features)?;
    let cfg = a.opts.config()?;
    let mut bar = EpochBar {
        show: !a.no_progress,
        bar: None,
        epochs: cfg.epochs,
    };
    let history = batch::with_threads(a.jobs, || {
        crate::train::train(
            &table,
            &a.model,
            &a.train_splits,
            cfg,
            &a.out,
            a.resume,
            &mut bar,
        )
    })??;
    eprintln!("{}", crate::train::summary(&history, &a.out));
    Ok(ExitCode::SUCCESS)
}

fn evaluate(a: EvaluateArgs) -> Result<ExitCode> {
    // Chains as the table names them (`reverb=0.4` is written `reverb`), one name at a time: a
    // name that is not an emovox chain (copies made elsewhere, e.g. through a codec, and merged
    // into the table, as bench/codec_loco.sh does) is kept as written; `evaluate` checks that the
    // table has it.
    let canonical = |spec: &str| -> Result<Vec<String>> {
        if let Ok(chains) = parse_copies(spec) {
            return Ok(chains.iter().map(|c| c.to_string()).collect());
        }
        Ok(spec
            .split(',')
            .map(str::trim)
            .map(|c| {
                c.parse::<Chain>()
                    .map_or_else(|_| c.to_string(), |ch| ch.to_string())
            })
            .collect())
    };
    let augmented = match a.score_augmented.as_deref().map(canonical).transpose()? {
        Some(c) if c.len() == 1 => c.into_iter().next(),
        Some(c) => bail!("--score-augmented takes one chain, got {}", c.len()),
        None => None,
    };
    if a.train_augmented.is_some() && !(a.kfold || a.loco) {
        bail!("--train-augmented is for --kfold or --loco (a saved model was already trained)");
    }
    let scoring = crate::evaluate::Scoring {
        adapt: a.adapt,
        adapt_clips: a.adapt_clips.map(|k| k as usize),
        self_train: a.self_train,
        by_corpus: a.adapt_by == "corpus",
        augmented,
        train_augmented: a.train_augmented.as_deref().map(canonical).transpose()?,
    };
    if a.kfold || a.loco {
        let table = crate::train::load_table(&a.features)?;
        let out = a.out.clone().unwrap_or_else(|| PathBuf::from("runs/cv"));
        let cfg = a.opts.config()?;
        let mut bar = EpochBar {
            show: false,
            bar: None,
            epochs: cfg.epochs,
        };
        let r = batch::with_threads(a.jobs, || {
            if a.loco {
                crate::evaluate::leave_one_corpus_out(
                    &table, &a.model, cfg, &out, &mut bar, &scoring,
                )
            } else {
                crate::evaluate::cross_validate(&table, &a.model, cfg, &out, &mut bar, &scoring)
            }
        })??;
        print!("{}", crate::evaluate::cv_text(&r));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(run) = &a.run else {
        bail!("give a model folder, or --kfold or --loco")
    };
    let report = batch::with_threads(a.jobs, || {
        crate::evaluate::evaluate(run, &a.features, &a.split, a.out.as_deref(), &scoring)
    })??;
    print!("{}", crate::evaluate::text_report(&report));
    Ok(ExitCode::SUCCESS)
}

fn analyze(a: AnalyzeArgs) -> Result<ExitCode> {
    let opts = crate::analyze::AnalyzeOptions {
        scheme: a.scheme,
        seed: a.seed,
        corpus: a.corpus,
        batch: BatchOptions {
            jobs: a.jobs,
            progress: !a.no_progress,
        },
    };
    let r = crate::analyze::analyze(&a.inputs, &a.out, &opts)?;
    eprint!("{}", r.summary(&a.out));
    exit_after(&r.failures)
}

fn predict(a: PredictArgs) -> Result<ExitCode> {
    let rec = Recognizer::from_option(a.model.as_deref())?;
    if a.self_train {
        rec.saved().can_self_train()?;
    }
    let opts = BatchOptions {
        jobs: a.jobs,
        progress: !a.no_progress,
    };
    let report = crate::predict::predict_paths(&rec, &a.inputs, &opts, a.adapt, a.self_train)?;
    let output = if a.json {
        crate::predict::Output::JsonLines
    } else if a.csv {
        crate::predict::Output::Csv
    } else {
        crate::predict::Output::Table
    };
    let mut out = std::io::stdout().lock();
    crate::predict::write(&mut out, &report, rec.classes(), output)?;
    out.flush()?;
    drop(out);
    if let Some(summary) = report.summary() {
        eprintln!("{summary}");
    }
    let failures = report.failures();
    exit_after(&failures)
}

fn timeline(a: TimelineArgs) -> Result<ExitCode> {
    let rec = Recognizer::from_option(a.model.as_deref())?;
    let opts = TimelineOptions {
        window: a.window,
        hop: a.hop,
        min_silence: a.min_silence,
        min_speech: a.min_speech,
        lead: a.lead,
        ..TimelineOptions::default()
    };
    // The bar's length is what the container declares; the stream is read to its real end.
    let declared = emovox_audio::probe_file(&a.file)
        .ok()
        .and_then(|p| p.duration());
    let bar = match declared {
        Some(total) if total > 60.0 && !a.no_progress => {
            let pb = indicatif::ProgressBar::new(total.ceil() as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} s of audio, {msg} (ETA {eta})",
            ) {
                pb.set_style(style.progress_chars("=> "));
            }
            pb
        }
        _ => indicatif::ProgressBar::hidden(),
    };
    let mut segments = 0;
    let t = Timeline::of_file_with(&rec, &a.file, &opts, &mut |s| {
        segments += s.take_segments().count();
        bar.set_position(s.seconds() as u64);
        bar.set_message(format!("{segments} segments"));
        Ok(())
    });
    bar.finish_and_clear();
    let t = t?;
    let mut out = std::io::stdout().lock();
    match a.format {
        Output::Table => write!(out, "{}", t.table())?,
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&t)?)?,
        Output::Csv => t.write_csv(&mut out)?,
    }
    out.flush()?;
    if let Some(plot) = &a.plot {
        let name = a
            .file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        t.plot(plot, &format!("Emotion timeline: {name}"))?;
        eprintln!("wrote {}", plot.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn pipelines() {
    print!("{}", PipelineConfig::presets_table());
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
