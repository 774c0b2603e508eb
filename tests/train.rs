//! End-to-end: `emovox train`, `--resume` after a kill, and `emovox evaluate`, on small generated
//! corpora (tones of two pitches under a one-folder-per-label layout).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{emovox, read_csv, stderr, stdout, temp_dir, write_tone_wav};

/// A labelled feature table of `per_class` clips per class: "low" (tones of 150-250 Hz) and
/// "high" (700-900 Hz), split at random (a quarter of each class tests).
fn table(dir: &Path, per_class: usize) -> PathBuf {
    table_with(dir, per_class, "seed")
}

/// [`table`] with the features of `pipeline`.
fn table_with(dir: &Path, per_class: usize, pipeline: &str) -> PathBuf {
    let data = dir.join("data");
    for i in 0..per_class {
        let f = i as f32 / per_class as f32;
        write_tone_wav(
            &data.join(format!("low/l{i}.wav")),
            150.0 + 100.0 * f,
            2.0,
            16_000,
        );
        write_tone_wav(
            &data.join(format!("high/h{i}.wav")),
            700.0 + 200.0 * f,
            2.0,
            16_000,
        );
    }
    features_of(dir, &data, &[], pipeline)
}

/// Indexes the folders under `data` (a quarter of the clips for testing; `index_args` added)
/// and extracts the features of `pipeline` into `dir/t.parquet`.
fn features_of(dir: &Path, data: &Path, index_args: &[&str], pipeline: &str) -> PathBuf {
    let m = dir.join("m.csv");
    let mut args = vec![
        "index",
        data.to_str().unwrap(),
        "--split",
        "random:0.25",
        "--out",
        m.to_str().unwrap(),
    ];
    args.extend_from_slice(index_args);
    let o = emovox(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = dir.join("t.parquet");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--pipeline",
        pipeline,
        "--out",
        t.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    t
}
/// The JSON file at `path`.
fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An `svm` (with `extra` training flags) trained on [`table_with`]'s tones, `per_class` of
/// each, `logmel-stats` features: `(table, run)`.
fn svm_on_tones(name: &str, per_class: usize, extra: &[&str]) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let t = table_with(&dir, per_class, "logmel-stats");
    let run = dir.join("run");
    let (ts, rs) = (t.display().to_string(), run.display().to_string());
    let mut args = vec!["train", "--features", &ts, "--model", "svm"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--val-fraction", "0", "--out", &rs, "--no-progress"]);
    let o = emovox(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    (t, run)
}

fn history(run: &Path) -> Vec<Vec<f64>> {
    let (header, rows) = read_csv(&run.join("history.csv"));
    assert_eq!(
        header,
        [
            "epoch",
            "loss",
            "accuracy",
            "val_loss",
            "val_accuracy",
            "lr",
            "seconds"
        ]
    );
    rows.iter()
        .map(|r| r.iter().map(|c| c.parse().unwrap_or(f64::NAN)).collect())
        .collect()
}

#[test]
fn a_tiny_training_run_converges_and_evaluates() {
    let dir = temp_dir("train-tiny");
    let t = table(&dir, 8);
    let run = dir.join("run");
    let o = emovox(&[
        "train",
        "--features",
        t.to_str().unwrap(),
        "--model",
        "lstm-seed",
        "--epochs",
        "40",
        "--lr",
        "0.003",
        "--val-fraction",
        "0",
        "--out",
        run.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let h = history(&run);
    assert_eq!(h.len(), 40);
    let (first, last) = (&h[0], &h[h.len() - 1]);
    assert!(
        last[1] < first[1] * 0.5,
        "loss falls: {} -> {}",
        first[1],
        last[1]
    );
    assert_eq!(last[2], 1.0, "train accuracy reaches 100 %: {h:?}");

    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("precision    recall  f1-score   support"),
        "{out}"
    );
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["overall"]["n"], 4, "a quarter of 16 clips test");
    for f in ["confusion", "loss", "accuracy", "weights"] {
        for ext in ["png", "svg"] {
            assert!(run.join(format!("{f}.{ext}")).is_file(), "{f}.{ext}");
        }
    }
    // The saved model carries its pipeline and classes.
    let model = read_json(&run.join("model.json"));
    assert_eq!(model["format"], "emovox-model");
    assert_eq!(model["classes"], serde_json::json!(["high", "low"]));
    assert_eq!(model["pipeline"]["n_mfcc"], 13);
    // Self-training refits an SVM; this network says so instead of answering.
    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
        "--adapt",
        "--self-train",
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("self-training refits an svm or logistic model; this one is lstm-seed"),
        "{}",
        stderr(&o)
    );
}

/// The bundled model's classifier from the command line: `train --model logistic:c=...` fits in
/// one solve, saves its C and shape, evaluates, and self-trains on the clips it scores together.
#[test]
fn a_logistic_regression_trains_evaluates_and_self_trains() {
    let dir = temp_dir("train-logistic");
    let t = table_with(&dir, 12, "logmel-stats");
    let run = dir.join("run");
    let o = emovox(&[
        "train",
        "--features",
        t.to_str().unwrap(),
        "--model",
        "logistic:c=0.01",
        "--class-weights",
        "--val-fraction",
        "0",
        "--out",
        run.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = read_json(&run.join("model.json"));
    assert_eq!(model["model"]["kind"], "logistic", "{}", model["model"]);
    assert_eq!(model["model"]["c"], 0.01);
    assert_eq!(model["model"]["n_features"], 512);
    assert_eq!(history(&run).len(), 1, "one exact solve, one history row");
    for extra in [
        &[][..],
        &["--split", "train", "--adapt", "--self-train"][..],
    ] {
        let mut args = vec![
            "evaluate",
            run.to_str().unwrap(),
            "--features",
            t.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = emovox(&args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        let report = read_json(&run.join("report.json"));
        assert_eq!(
            report["overall"]["accuracy"],
            1.0,
            "{extra:?}: {}",
            stdout(&o)
        );
    }
    let o = emovox(&[
        "train",
        "--features",
        t.to_str().unwrap(),
        "--model",
        "logistic:c=-1",
        "--out",
        dir.join("bad").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("logistic:c=-1"), "{}", stderr(&o));
    // The adaptation policy: standardize by default for a logistic model, or as asked; the
    // bundled recipe's speaker-balanced weights are saved with it.
    assert_eq!(model["adapt"], "standardize", "{model}");
    assert_eq!(model["train"]["balance_speakers"], false);
    let balanced = dir.join("balanced");
    let o = emovox(&[
        "train",
        "--features",
        t.to_str().unwrap(),
        "--model",
        "logistic:c=0.01",
        "--balance-speakers",
        "--adapt-policy",
        "mean",
        "--val-fraction",
        "0",
        "--out",
        balanced.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = read_json(&balanced.join("model.json"));
    assert_eq!(model["adapt"], "mean", "{model}");
    assert_eq!(model["train"]["balance_speakers"], true);
    let o = emovox(&[
        "evaluate",
        balanced.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
        "--adapt",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Other models have no speaker-balanced weights: a clear error, not a silent ignore.
    let refused = dir.join("refused");
    for (model, why) in [
        (
            "svm",
            "speaker-balanced weights are for the logistic model, not svm",
        ),
        ("logistic", "unknown adaptation \"zscore\""),
    ] {
        let mut args = vec![
            "train",
            "--features",
            t.to_str().unwrap(),
            "--model",
            model,
            "--out",
            refused.to_str().unwrap(),
            "--no-progress",
        ];
        args.extend_from_slice(if model == "svm" {
            &["--balance-speakers"][..]
        } else {
            &["--adapt-policy", "zscore"][..]
        });
        let o = emovox(&args);
        assert!(!o.status.success(), "{model}");
        assert!(stderr(&o).contains(why), "{model}: {}", stderr(&o));
    }
}

/// `train --split-class unpleasant`: a class the scheme merges from two emotions is learnt as
/// both (one output each, saved with the model), and every answer is in the scheme's classes.
#[test]
fn a_class_split_into_its_emotions_trains_predicts_and_reports_its_class() {
    let dir = temp_dir("train-split-class");
    let data = dir.join("data");
    for i in 0..10 {
        let f = i as f32 / 10.0;
        for (emotion, hz) in [("sad", 150.0), ("angry", 400.0), ("happy", 800.0)] {
            write_tone_wav(
                &data.join(format!("{emotion}/{emotion}{i}.wav")),
                hz + 60.0 * f,
                1.0,
                16_000,
            );
        }
    }
    let scheme = dir.join("valence.toml");
    std::fs::write(
        &scheme,
        "[map]\nsad = \"unpleasant\"\nangry = \"unpleasant\"\nhappy = \"happy\"\n",
    )
    .unwrap();
    let t = features_of(
        &dir,
        &data,
        &["--scheme", scheme.to_str().unwrap()],
        "logmel-stats",
    );
    let run = dir.join("run");
    let train = |model: &str, extra: &[&str], out: &Path| {
        let mut args = vec![
            "train",
            "--features",
            t.to_str().unwrap(),
            "--model",
            model,
            "--class-weights",
            "--val-fraction",
            "0",
            "--out",
            out.to_str().unwrap(),
            "--no-progress",
        ];
        args.extend_from_slice(extra);
        emovox(&args)
    };
    let o = train("logistic:c=0.01", &["--split-class", "unpleasant"], &run);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = read_json(&run.join("model.json"));
    assert_eq!(model["classes"], serde_json::json!(["happy", "unpleasant"]));
    assert_eq!(
        model["outputs"],
        serde_json::json!([
            {"class": 0, "emotion": ""},
            {"class": 1, "emotion": "angry"},
            {"class": 1, "emotion": "sad"}
        ]),
        "{model}"
    );
    assert_eq!(model["model"]["n_classes"], 3);
    assert_eq!(
        model["train"]["split_classes"],
        serde_json::json!(["unpleasant"])
    );
    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["overall"]["accuracy"], 1.0, "{}", stdout(&o));
    // A prediction names the scheme's classes, the split class's outputs summed into it.
    let o = emovox(&[
        "predict",
        "--model",
        run.to_str().unwrap(),
        "--json",
        data.join("sad/sad3.wav").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line["label"], "unpleasant", "{line}");
    let scores = line["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 2, "{line}");
    let total: f64 = scores
        .iter()
        .map(|s| s["probability"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-4, "{line}");
    // Only the logistic model splits classes, and only classes the table has.
    for (model, class, why) in [
        (
            "svm",
            "unpleasant",
            "classes split into their emotions are for the logistic model, not svm",
        ),
        (
            "logistic",
            "angry",
            "cannot split class \"angry\" into its emotions: it is not one of the classes",
        ),
    ] {
        let o = train(model, &["--split-class", class], &dir.join("refused"));
        assert!(!o.status.success(), "{model} {class}");
        assert!(stderr(&o).contains(why), "{model}: {}", stderr(&o));
    }
}

#[test]
fn an_svm_self_trains_on_the_clips_it_scores_together() {
    let (t, run) = svm_on_tones("train-self", 12, &[]);
    let model = read_json(&run.join("model.json"));
    let n = model["model"]["n_support"].as_u64().unwrap();
    let labels = model["model"]["support_labels"].as_array().unwrap();
    assert!(n > 0 && labels.len() as u64 == n, "{}", model["model"]);
    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
        "--split",
        "train",
        "--adapt",
        "--self-train",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = read_json(&run.join("report.json"));
    assert!(report["overall"]["n"].as_u64().unwrap() >= 10, "{report}");
    assert_eq!(report["overall"]["accuracy"], 1.0, "{}", stdout(&o));
    // All of a corpus's clips as one group (one recording set-up) scores the same clips.
    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
        "--split",
        "train",
        "--adapt",
        "--adapt-by",
        "corpus",
        "--self-train",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again = read_json(&run.join("report.json"));
    assert_eq!(again["overall"]["n"], report["overall"]["n"]);
    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
        "--adapt-by",
        "corpus",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--adapt-by needs --adapt: {}",
        stderr(&o)
    );
}

#[test]
fn training_killed_mid_run_resumes_and_finishes() {
    let dir = temp_dir("train-resume");
    let t = table(&dir, 24);
    let run = dir.join("run");
    let args = |resume: bool| {
        let mut a = vec![
            "train".to_string(),
            "--features".into(),
            t.display().to_string(),
            "--epochs".into(),
            "60".into(),
            "--out".into(),
            run.display().to_string(),
            "--no-progress".into(),
            "--batch-size".into(),
            "4".into(),
        ];
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_emovox"))
        .args(args(false))
        .spawn()
        .expect("start training");
    // Kill it once at least two epochs are checkpointed (or give up waiting after 120 s).
    let state = run.join("checkpoint/state.json");
    let start = Instant::now();
    loop {
        let epochs = std::fs::read_to_string(&state)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["epoch"].as_u64())
            .unwrap_or(0);
        if epochs >= 2 || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let done_before = history(&run).len();
    assert!(
        done_before >= 2,
        "checkpointed epochs before the kill: {done_before}"
    );
    if status.success() {
        eprintln!("note: training finished before it could be killed; resume is then a no-op");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_emovox"))
        .args(args(true))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let h = history(&run);
    let epochs: Vec<usize> = h.iter().map(|r| r[0] as usize).collect();
    assert_eq!(
        epochs,
        (1..=60).collect::<Vec<_>>(),
        "every epoch exactly once"
    );
    // The resumed part started where the checkpoint left off: it ran only the remaining epochs.
    let ran = String::from_utf8_lossy(&o.stderr).matches("epoch ").count();
    assert_eq!(
        ran,
        60 - done_before,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(run.join("model.json").is_file() && run.join("model.bpk").is_file());
}

#[test]
fn training_on_a_table_without_labels_is_a_clear_error() {
    let dir = temp_dir("train-nolabels");
    let clip = dir.join("a.wav");
    write_tone_wav(&clip, 300.0, 2.0, 16_000);
    let t = dir.join("t.parquet");
    assert!(emovox(&[
        "features",
        clip.to_str().unwrap(),
        "--out",
        t.to_str().unwrap(),
        "--no-progress"
    ])
    .status
    .success());
    let o = emovox(&[
        "train",
        "--features",
        t.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("has no labels"), "{}", stderr(&o));
}

/// Tones of two classes ("low", "high") by three speakers, indexed into three speaker folds,
/// and their feature table with `augment` copies: `(folder, table)`.
fn kfold_table(name: &str, augment: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let data = dir.join("data");
    for s in 0..3 {
        for i in 0..4 {
            let f = (s * 4 + i) as f32 / 12.0;
            write_tone_wav(
                &data.join(format!("low/spk{s}/l{i}.wav")),
                150.0 + 100.0 * f,
                2.0,
                16_000,
            );
            write_tone_wav(
                &data.join(format!("high/spk{s}/h{i}.wav")),
                700.0 + 200.0 * f,
                2.0,
                16_000,
            );
        }
    }
    let m = dir.join("m.csv");
    let o = emovox(&[
        "index",
        data.to_str().unwrap(),
        "--split",
        "kfold-speaker:3",
        "--out",
        m.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = dir.join("t.parquet");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--augment",
        augment,
        "--out",
        t.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, t)
}

#[test]
fn kfold_evaluation_trains_one_model_per_speaker_fold() {
    let (dir, t) = kfold_table("train-kfold", "noise");
    let cv = dir.join("cv");
    let o = emovox(&[
        "evaluate",
        "--kfold",
        "--features",
        t.to_str().unwrap(),
        "--epochs",
        "3",
        "--out",
        cv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("mean +- std"), "{}", stdout(&o));
    let r = read_json(&cv.join("cv_report.json"));
    let folds = r["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    // Each fold scores exactly its own speaker's 8 original clips.
    assert!(folds.iter().all(|f| f["metrics"]["n"] == 8), "{folds:?}");
    for k in 1..=3 {
        assert!(cv.join(format!("fold{k}/model.json")).is_file());
    }
}

#[test]
fn cross_validation_chooses_the_copies_it_trains_on_and_can_score_them() {
    let (dir, t) = kfold_table("train-copies", "noise=0.05,telephone+reverb=0.3");
    let cv = |extra: &[&str]| {
        let out = dir.join("cv");
        let mut args = vec![
            "evaluate",
            "--kfold",
            "--features",
            t.to_str().unwrap(),
            "--epochs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = emovox(&args);
        let report = std::fs::read_to_string(out.join("cv_report.json"))
            .ok()
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok());
        (o, report)
    };
    // Every copy trains by default: the two other speakers' 16 clips and their 32 copies.
    let (o, _) = cv(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("training on 48 rows"), "{}", stderr(&o));
    // Originals alone, scored through the channel: each fold scores its speaker's 8 copies.
    let (o, r) = cv(&[
        "--train-augmented",
        "none",
        "--score-augmented",
        "telephone+reverb=0.3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("training on 16 rows"), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("scored through telephone+reverb=0.3, trained on copies: none"),
        "{}",
        stdout(&o)
    );
    let r = r.unwrap();
    assert!(
        r["folds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["metrics"]["n"] == 8),
        "{r}"
    );
    assert_eq!(r["scored_augmented"], "telephone+reverb=0.3");
    // One chain's copies (named as --augment spells it).
    let (o, _) = cv(&["--train-augmented", "noise=0.05"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("training on 32 rows"), "{}", stderr(&o));
    // A chain the table does not have is a clear error, not an empty fold.
    let (o, _) = cv(&["--score-augmented", "telephone"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no copies augmented with \"telephone\""),
        "{}",
        stderr(&o)
    );
    // A name emovox's augmentations do not make (copies made elsewhere, through a codec, and
    // merged into the table) is looked up in the table as written.
    let (o, _) = cv(&["--train-augmented", "opus=12k"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no copies augmented with \"opus=12k\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_speaker_normalised_svm_fits_evaluates_and_predicts_a_speakers_clips_together() {
    let (t, run) = svm_on_tones("train-svm", 8, &["--speaker-norm"]);
    let dir = run.parent().unwrap().to_path_buf();
    let h = history(&run);
    assert_eq!(h.len(), 1, "an SVM is fitted once: {h:?}");
    assert_eq!(h[0][2], 1.0, "it separates its training tones: {h:?}");
    let model = read_json(&run.join("model.json"));
    assert_eq!(model["model"]["kind"], "svm");
    assert!(model["model"]["n_support"].as_u64().unwrap() > 0);
    assert_eq!(model["train"]["speaker_norm"], true);

    let o = emovox(&[
        "evaluate",
        run.to_str().unwrap(),
        "--features",
        t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = read_json(&run.join("report.json"));
    assert_eq!(report["overall"]["n"], 4);
    assert_eq!(report["overall"]["accuracy"], 1.0, "{}", stdout(&o));

    // One clip alone cannot be speaker-normalised: a clear error, not a meaningless answer.
    let data = dir.join("data");
    let o = emovox(&[
        "predict",
        data.to_str().unwrap(),
        "--model",
        run.to_str().unwrap(),
        "--csv",
        "--no-progress",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--adapt"), "{}", stderr(&o));
    // All of the "speaker's" clips together: every tone gets its folder's label.
    let o = emovox(&[
        "predict",
        data.to_str().unwrap(),
        "--model",
        run.to_str().unwrap(),
        "--adapt",
        "--csv",
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 16, "{out}");
    for r in rows {
        let label = if r.contains("/low/") { "low" } else { "high" };
        assert!(r.contains(&format!(",{label},")), "{r}");
    }
}
