//! End-to-end: `emovox index` and `emovox features --manifest` run as a user would, on the real
//! RAVDESS and TESS folders from `../shared/datasets`, and on SAVEE, CREMA-D, EmoDB and
//! folder-layout corpora generated here (short tones under those corpora's file names).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{datasets, emovox, read_csv, require, stderr, temp_dir, write_tone_wav, Need};

/// A manifest read back: header, and rows as column -> value maps.
fn manifest(path: &Path) -> Vec<BTreeMap<String, String>> {
    let (header, rows) = read_csv(path);
    rows.into_iter()
        .map(|r| header.iter().cloned().zip(r).collect())
        .collect()
}

fn count(rows: &[BTreeMap<String, String>], key: &[&str]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        let k: Vec<&str> = key.iter().map(|k| r[*k].as_str()).collect();
        *m.entry(k.join("/")).or_insert(0) += 1;
    }
    m
}

fn index(args: &[&str], out: &Path) -> (std::process::Output, Vec<BTreeMap<String, String>>) {
    let mut all = vec!["index"];
    all.extend_from_slice(args);
    all.extend(["--out", out.to_str().unwrap()]);
    let o = emovox(&all);
    let rows = if out.exists() {
        manifest(out)
    } else {
        Vec::new()
    };
    (o, rows)
}

#[test]
fn index_finds_every_ravdess_and_tess_clip_with_its_labels_and_speaker() {
    let Some(ds) = datasets("index_finds_every_ravdess_and_tess_clip_with_its_labels_and_speaker")
    else {
        return;
    };
    let dir = temp_dir("index-real");
    let out = dir.join("m.csv");
    let (rav, tess) = (ds.join("ravdess"), ds.join("tess"));
    let (o, rows) = index(
        &[
            rav.to_str().unwrap(),
            tess.to_str().unwrap(),
            "--split",
            "none",
        ],
        &out,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows.len(), 4240);
    let by_corpus = count(&rows, &["corpus"]);
    assert_eq!(by_corpus["ravdess"], 1440);
    assert_eq!(by_corpus["tess"], 2800);

    let rav_rows: Vec<_> = rows
        .iter()
        .filter(|r| r["corpus"] == "ravdess")
        .cloned()
        .collect();
    let emotions = count(&rav_rows, &["emotion"]);
    assert_eq!(emotions["neutral"], 96);
    for e in [
        "calm",
        "happy",
        "sad",
        "angry",
        "fearful",
        "disgust",
        "surprised",
    ] {
        assert_eq!(emotions[e], 192, "{e}");
    }
    let speakers = count(&rav_rows, &["speaker"]);
    assert_eq!(speakers.len(), 24);
    assert!(speakers.values().all(|&n| n == 60));
    assert_eq!(
        count(&rav_rows, &["sex"]),
        BTreeMap::from([("female".into(), 720), ("male".into(), 720)])
    );
    assert_eq!(count(&rav_rows, &["intensity"])["strong"], 672);
    // Actor_01 is male; file names agree with the folder they sit in.
    for r in &rav_rows {
        let path = PathBuf::from(&r["path"]);
        assert_eq!(
            path.parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap(),
            r["speaker"]
        );
    }

    let tess_rows: Vec<_> = rows
        .iter()
        .filter(|r| r["corpus"] == "tess")
        .cloned()
        .collect();
    let emotions = count(&tess_rows, &["emotion"]);
    assert_eq!(emotions.len(), 7);
    for e in [
        "angry",
        "disgust",
        "fear",
        "happy",
        "neutral",
        "pleasant_surprise",
        "sad",
    ] {
        assert_eq!(emotions[e], 400, "{e}");
    }
    assert_eq!(
        count(&tess_rows, &["speaker"]),
        BTreeMap::from([("OAF".into(), 1400), ("YAF".into(), 1400)])
    );
    // The released `OA_bite_neutral` slip is read as OAF.
    let slip = tess_rows
        .iter()
        .find(|r| r["path"].ends_with("OA_bite_neutral.flac"))
        .unwrap();
    assert_eq!(
        (slip["speaker"].as_str(), slip["word"].as_str()),
        ("OAF", "bite")
    );
    // Scheme `full`: shared names.
    assert_eq!(count(&tess_rows, &["label"])["surprised"], 400);
    assert_eq!(count(&tess_rows, &["label"])["fearful"], 400);
}

/// Issue 16: EMOVO (Italian) and TurEV-DB (Turkish) are detected per file from the shared
/// copies, with their speakers and emotions, and mapped into the shared vocabulary and seed4.
#[test]
fn index_reads_emovo_and_turev_with_speakers_and_labels() {
    let Some(ds) = datasets("index_reads_emovo_and_turev_with_speakers_and_labels") else {
        return;
    };
    let (emovo, turev) = (ds.join("emovo"), ds.join("turev"));
    assert!(
        emovo.is_dir() && turev.is_dir(),
        "the datasets folder has emovo/ and turev/"
    );
    let dir = temp_dir("index-emovo-turev");
    let out = dir.join("m.csv");
    let args = [
        emovo.to_str().unwrap(),
        turev.to_str().unwrap(),
        "--split",
        "none",
    ];
    let (o, rows) = index(&args, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(rows.len(), 588 + 1735);
    let by_corpus = count(&rows, &["corpus"]);
    assert_eq!((by_corpus["emovo"], by_corpus["turev"]), (588, 1735));

    let emovo_rows: Vec<_> = rows
        .iter()
        .filter(|r| r["corpus"] == "emovo")
        .cloned()
        .collect();
    let speakers = count(&emovo_rows, &["speaker"]);
    assert_eq!(
        speakers.keys().cloned().collect::<Vec<_>>(),
        ["f1", "f2", "f3", "m1", "m2", "m3"]
    );
    assert!(speakers.values().all(|&n| n == 98), "{speakers:?}");
    let labels = count(&emovo_rows, &["label"]);
    for e in [
        "neutral",
        "happy",
        "sad",
        "angry",
        "fearful",
        "disgust",
        "surprised",
    ] {
        assert_eq!(labels[e], 84, "{e}: {labels:?}");
    }
    assert_eq!(count(&emovo_rows, &["sex"])["female"], 294);

    let turev_rows: Vec<_> = rows
        .iter()
        .filter(|r| r["corpus"] == "turev")
        .cloned()
        .collect();
    let per = count(&turev_rows, &["speaker", "label"]);
    assert_eq!(per["1157/angry"], 77);
    assert_eq!(per["1157/sad"], 73);
    assert!(!per.contains_key("1157/calm") && !per.contains_key("1157/happy"));
    assert_eq!(per["7895/happy"], 29);
    assert_eq!(count(&turev_rows, &["speaker"]).len(), 6);
    let labels = count(&turev_rows, &["label"]);
    assert_eq!(
        labels,
        BTreeMap::from([
            ("angry".into(), 487),
            ("calm".into(), 408),
            ("happy".into(), 357),
            ("sad".into(), 483)
        ])
    );

    // seed4: calm -> neutral, joy -> happy, anger and sadness -> unpleasant (40 % of each
    // dropped, as the original did), fear and disgust excluded.
    let out4 = dir.join("m4.csv");
    let (o, rows4) = index(
        &[args[0], args[1], "--split", "none", "--scheme", "seed4"],
        &out4,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let l4 = count(&rows4, &["corpus", "label"]);
    assert_eq!(l4["emovo/neutral"], 84);
    assert_eq!(l4["emovo/happy"], 84);
    assert_eq!(l4["emovo/surprise"], 84);
    assert_eq!(l4["turev/neutral"], 408);
    assert_eq!(l4["turev/happy"], 357);
    assert!(!l4.contains_key("turev/surprise"));
    let fear = rows4
        .iter()
        .find(|r| r["path"].ends_with("pau-f1-b1.flac"))
        .unwrap();
    assert_eq!(fear["label"], "", "fear is excluded from seed4");
}

#[test]
fn seed4_scheme_gives_the_original_class_balance() {
    let Some(ds) = datasets("seed4_scheme_gives_the_original_class_balance") else {
        return;
    };
    let dir = temp_dir("seed4");
    let out = dir.join("m.csv");
    let (rav, tess) = (ds.join("ravdess"), ds.join("tess"));
    let args = [
        rav.to_str().unwrap(),
        tess.to_str().unwrap(),
        "--scheme",
        "seed4",
        "--split",
        "none",
        "--seed",
        "7",
    ];
    let (o, rows) = index(&args, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let labels = count(&rows, &["label"]);
    // neutral: RAVDESS 96 neutral + 192 calm + TESS 400; happy and surprise: 192 + 400;
    // unpleasant: 60 % of (192 + 400) sad plus 60 % of (192 + 400) angry, pandas' rounding
    // (round(0.4 * 592) = 237 dropped of each); fear and disgust dropped.
    assert_eq!(labels["neutral"], 688);
    assert_eq!(labels["happy"], 592);
    assert_eq!(labels["surprise"], 592);
    assert_eq!(labels["unpleasant"], 710);
    assert_eq!(labels[""], 4240 - 688 - 592 - 592 - 710);
    assert!(rows.iter().all(|r| r["scheme"] == "seed4"));
    let dropped = count(
        &rows
            .iter()
            .filter(|r| r["label"].is_empty())
            .cloned()
            .collect::<Vec<_>>(),
        &["emotion"],
    );
    assert_eq!(dropped["sad"] + dropped["angry"], 2 * 237);
    // The same seed drops the same clips; another seed, others.
    let again = dir.join("again.csv");
    let (_, rows2) = index(&args, &again);
    assert_eq!(rows, rows2);
    let other = dir.join("other.csv");
    let (_, rows3) = index(
        &[
            rav.to_str().unwrap(),
            tess.to_str().unwrap(),
            "--scheme",
            "seed4",
            "--seed",
            "8",
        ],
        &other,
    );
    let kept = |rs: &[BTreeMap<String, String>]| -> BTreeSet<String> {
        rs.iter()
            .filter(|r| !r["label"].is_empty())
            .map(|r| r["path"].clone())
            .collect()
    };
    assert_ne!(kept(&rows), kept(&rows3));
}

/// No speaker on both sides; every labelled clip split.
fn assert_speaker_disjoint(rows: &[BTreeMap<String, String>]) {
    let mut sides: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r["label"].is_empty()) {
        assert!(!r["split"].is_empty(), "{r:?}");
        sides
            .entry(format!("{}:{}", r["corpus"], r["speaker"]))
            .or_default()
            .insert(r["split"].clone());
    }
    for (speaker, s) in &sides {
        assert_eq!(s.len(), 1, "{speaker} is in {s:?}");
    }
}

#[test]
fn speaker_splits_never_put_a_speaker_on_both_sides() {
    let Some(ds) = datasets("speaker_splits_never_put_a_speaker_on_both_sides") else {
        return;
    };
    let dir = temp_dir("splits");
    let (rav, tess) = (ds.join("ravdess"), ds.join("tess"));
    let (rav, tess) = (rav.to_str().unwrap(), tess.to_str().unwrap());

    let (o, rows) = index(
        &[rav, tess, "--scheme", "seed4", "--split", "speaker"],
        &dir.join("s.csv"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_speaker_disjoint(&rows);
    let test_speakers: BTreeSet<_> = rows
        .iter()
        .filter(|r| r["split"] == "test")
        .map(|r| r["speaker"].clone())
        .collect();
    assert_eq!(
        test_speakers
            .iter()
            .filter(|s| s.starts_with("Actor_"))
            .count(),
        5,
        "{test_speakers:?}"
    );
    assert_eq!(
        test_speakers.iter().filter(|s| s.ends_with("AF")).count(),
        1,
        "{test_speakers:?}"
    );

    let (o, rows) = index(
        &[rav, tess, "--split", "speaker:Actor_03+Actor_04+YAF"],
        &dir.join("n.csv"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_speaker_disjoint(&rows);
    assert_eq!(
        rows.iter().filter(|r| r["split"] == "test").count(),
        120 + 1400
    );

    // RAVDESS's usual protocol: 6 folds of 4 actors.
    let (o, rows) = index(&[rav, "--split", "kfold-speaker:6"], &dir.join("k.csv"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_speaker_disjoint(&rows);
    let mut folds: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &rows {
        folds
            .entry(r["split"].clone())
            .or_default()
            .insert(r["speaker"].clone());
    }
    assert_eq!(
        folds.keys().cloned().collect::<Vec<_>>(),
        ["fold1", "fold2", "fold3", "fold4", "fold5", "fold6"]
    );
    assert!(folds.values().all(|s| s.len() == 4), "{folds:?}");

    let (o, _) = index(&[rav, "--split", "speaker:Actor_99"], &dir.join("bad.csv"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("\"Actor_99\""), "{}", stderr(&o));
}

#[test]
fn generated_savee_crema_d_emodb_and_folder_corpora_are_indexed_and_bad_names_reported() {
    let dir = temp_dir("generated");
    let root = dir.join("corpora");
    let good = [
        "savee/ALL/DC_a01.wav",
        "savee/ALL/JE_su15.wav",
        "savee/ALL/KL_n30.wav",
        "savee/AudioData/JK/sa03.wav",
        "crema/1001_DFA_ANG_XX.wav",
        "crema/1091_IEO_HAP_HI.wav",
        "emodb/wav/03a01Fa.wav",
        "emodb/wav/16b10Lb.wav",
        "mine/happy/take1.wav",
        "mine/sad/ann/take2.wav",
    ];
    let bad = [
        ("savee/ALL/DC_x01.wav", "emotion code \"x\""),
        ("savee/ALL/KL_a16.wav", "01..15"),
        ("crema/1001_DFA_BOR_XX.wav", "\"BOR\""),
        ("crema/1001_DFA_ANG.wav", "3 fields"),
        ("emodb/wav/03a01Xa.wav", "'X'"),
        ("emodb/wav/README.wav", "emodb naming"),
        ("mine/stray.wav", "not inside a label folder"),
    ];
    for p in good.iter().chain(bad.iter().map(|(p, _)| p)) {
        write_tone_wav(&root.join(p), 220.0, 0.6, 16_000);
    }
    let out = dir.join("m.csv");
    let dirs: Vec<String> = ["savee", "crema", "emodb", "mine"]
        .iter()
        .map(|d| root.join(d).display().to_string())
        .collect();
    let mut args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    args.extend(["--split", "none"]);
    let (o, rows) = index(&args, &out);
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "bad names make the exit code say so: {err}"
    );
    for (p, why) in bad {
        let line = err
            .lines()
            .find(|l| l.contains(p))
            .unwrap_or_else(|| panic!("{p} not reported:\n{err}"));
        assert!(line.contains(why), "{line}");
    }
    assert_eq!(rows.len(), good.len(), "good files are all kept");
    let got: BTreeMap<String, (String, String, String)> = rows
        .iter()
        .map(|r| {
            let name = PathBuf::from(&r["path"])
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            (
                name,
                (
                    r["corpus"].clone(),
                    r["speaker"].clone(),
                    r["label"].clone(),
                ),
            )
        })
        .collect();
    let want = |c: &str, s: &str, l: &str| (c.to_string(), s.to_string(), l.to_string());
    assert_eq!(got["DC_a01.wav"], want("savee", "DC", "angry"));
    assert_eq!(got["JE_su15.wav"], want("savee", "JE", "surprised"));
    assert_eq!(got["sa03.wav"], want("savee", "JK", "sad"));
    assert_eq!(got["1091_IEO_HAP_HI.wav"], want("crema-d", "1091", "happy"));
    assert_eq!(got["16b10Lb.wav"], want("emodb", "16", "boredom"));
    assert_eq!(got["take1.wav"], want("folder", "", "happy"));
    assert_eq!(got["take2.wav"], want("folder", "ann", "sad"));

    // A user's own scheme in TOML.
    let scheme = dir.join("valence.toml");
    std::fs::write(&scheme, "[map]\nhappy = \"positive\"\nsurprised = \"positive\"\nsad = \"negative\"\nangry = \"negative\"\n").unwrap();
    let out2 = dir.join("v.csv");
    let mut args: Vec<&str> = dirs.iter().map(String::as_str).collect();
    args.extend(["--scheme", scheme.to_str().unwrap(), "--split", "none"]);
    let (_, rows) = index(&args, &out2);
    let labels = count(&rows, &["label"]);
    assert_eq!(labels["positive"], 4);
    assert_eq!(labels["negative"], 4);
    assert!(rows.iter().all(|r| r["scheme"] == "valence"));

    // Forced corpus: everything must follow it.
    let (o, rows) = index(
        &[
            root.join("crema").to_str().unwrap(),
            "--corpus",
            "emodb",
            "--split",
            "none",
        ],
        &dir.join("f.csv"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(rows.is_empty());
    assert!(
        stderr(&o).contains("does not follow the emodb naming"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn features_from_a_manifest_augment_training_clips_only() {
    let Some(ds) = datasets("features_from_a_manifest_augment_training_clips_only") else {
        return;
    };
    let dir = temp_dir("manifest-features");
    // Four actors keep the debug-build test quick; Actor_02 is held out.
    let actors: Vec<String> = ["Actor_01", "Actor_02", "Actor_03", "Actor_04"]
        .iter()
        .map(|a| ds.join("ravdess").join(a).display().to_string())
        .collect();
    let m = dir.join("m.csv");
    let mut args: Vec<&str> = actors.iter().map(String::as_str).collect();
    args.extend(["--scheme", "seed4", "--split", "speaker:Actor_02"]);
    let (o, rows) = index(&args, &m);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled: Vec<_> = rows.iter().filter(|r| !r["label"].is_empty()).collect();
    let n_test = labelled.iter().filter(|r| r["split"] == "test").count();
    let n_train = labelled.len() - n_test;

    let out = dir.join("train.parquet");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--augment",
        "noise,noise+stretch+pitch",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = emovox::table::read_parquet(&out).expect("read back");
    assert_eq!(table.rows.len(), n_train * 3 + n_test);
    let meta = |r: &emovox::table::Row| r.meta.clone().expect("manifest columns");
    let test_paths: BTreeSet<PathBuf> = table
        .rows
        .iter()
        .filter(|r| meta(r).split == "test")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(test_paths.len(), n_test);
    for r in &table.rows {
        let m = meta(r);
        assert_eq!(r.features.shape(), [100, 13]);
        if !m.augment.is_empty() {
            assert_eq!(
                m.split, "train",
                "an augmented copy outside train: {:?}",
                r.path
            );
            assert!(
                !test_paths.contains(&r.path),
                "augmented copy of a test clip: {:?}",
                r.path
            );
        }
        if m.split == "test" {
            assert_eq!(m.speaker, "Actor_02");
        }
    }
    let aug = count(
        &table
            .rows
            .iter()
            .map(|r| BTreeMap::from([("a".to_string(), meta(r).augment)]))
            .collect::<Vec<_>>(),
        &["a"],
    );
    assert_eq!(aug["noise"], n_train);
    assert_eq!(aug["noise+stretch+pitch"], n_train);
    // Augmented copies differ from their clip; the run is reproducible.
    let first = &table.rows[0].path;
    let copies: Vec<_> = table.rows.iter().filter(|r| &r.path == first).collect();
    assert_eq!(copies.len(), 3);
    assert_ne!(copies[0].features, copies[1].features);
    assert_ne!(copies[1].features, copies[2].features);
    let out2 = dir.join("again.parquet");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--augment",
        "seed",
        "--out",
        out2.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        emovox::table::read_parquet(&out2).unwrap().rows,
        table.rows,
        "`seed` is noise,noise+stretch+pitch"
    );
}

#[test]
fn a_copy_without_speech_is_left_out_and_its_clip_kept() {
    let Some(ds) = datasets("a_copy_without_speech_is_left_out_and_its_clip_kept") else {
        return;
    };
    let dir = temp_dir("manifest-speechless");
    let actor = ds.join("ravdess/Actor_01").display().to_string();
    let m = dir.join("m.csv");
    let (o, rows) = index(&[&actor, "--scheme", "seed4", "--split", "none"], &m);
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = rows.iter().filter(|r| !r["label"].is_empty()).count();
    let out = dir.join("f.parquet");
    // 60 dB down, the speech detector finds nothing in most copies.
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--pipeline",
        "utterance",
        "--augment",
        "gain=-60",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = emovox::table::read_parquet(&out).expect("read back");
    let copies = table
        .rows
        .iter()
        .filter(|r| r.meta.as_ref().unwrap().augment == "gain=-60")
        .count();
    assert_eq!(table.rows.len() - copies, labelled, "every clip is kept");
    assert!(
        copies < labelled,
        "{copies} of {labelled} copies have speech"
    );
    let left_out = format!(
        "{} augmented cop{} left out: no speech found",
        labelled - copies,
        if labelled - copies == 1 { "y" } else { "ies" }
    );
    assert!(stderr(&o).contains(&left_out), "{}", stderr(&o));
}

#[test]
fn a_missing_file_in_a_manifest_is_reported_and_the_rest_extracted() {
    let dir = temp_dir("manifest-missing");
    let clip = dir.join("happy/a.wav");
    write_tone_wav(&clip, 300.0, 2.0, 16_000);
    let m = dir.join("m.csv");
    std::fs::write(&m, format!("path,corpus,emotion,label,split\n{},folder,happy,happy,train\ngone.wav,folder,sad,sad,test\n", clip.display()))
        .unwrap();
    let out = dir.join("f.csv");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--augment",
        "noise",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("gone.wav"), "{}", stderr(&o));
    let (header, rows) = read_csv(&out);
    assert_eq!(
        &header[..8],
        ["path", "corpus", "speaker", "emotion", "label", "split", "augment", "pipeline"]
    );
    assert_eq!(rows.len(), 2, "the good clip and its noised copy");
}

#[test]
fn features_table_opens_in_pandas_and_duckdb() {
    let Some(ds) = datasets("features_table_opens_in_pandas_and_duckdb") else {
        return;
    };
    let have = std::process::Command::new("python3")
        .args(["-c", "import pandas, pyarrow, duckdb"])
        .output();
    if !require(
        Need::Python,
        "features_table_opens_in_pandas_and_duckdb",
        have.as_ref().is_ok_and(|o| o.status.success()),
        "python3 lacks pandas/pyarrow/duckdb",
    ) {
        return;
    }
    let dir = temp_dir("pandas");
    let m = dir.join("m.csv");
    let (o, _) = index(
        &[
            ds.join("ravdess/Actor_05").to_str().unwrap(),
            "--scheme",
            "seed4",
            "--split",
            "random",
        ],
        &m,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.join("t.parquet");
    let o = emovox(&[
        "features",
        "--manifest",
        m.to_str().unwrap(),
        "--augment",
        "seed",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let script = r#"
import sys, json, numpy as np, pandas as pd, duckdb
df = pd.read_parquet(sys.argv[1])
x = np.stack([np.asarray(v, dtype=np.float32).reshape(s) for v, s in zip(df["values"], df["shape"])])
con = duckdb.connect()
by = con.execute("select split, augment, count(*) from read_parquet(?) group by all order by all", [sys.argv[1]]).fetchall()
n = con.execute("select count(*) from read_parquet(?) where len(values) = 1300", [sys.argv[1]]).fetchone()[0]
print(json.dumps({"rows": len(df), "shape": list(x.shape), "labels": sorted(df["label"].unique().tolist()),
                  "by": [list(r) for r in by], "full": n}))
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script, out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["rows"].as_u64().unwrap();
    assert_eq!(v["shape"], serde_json::json!([rows, 100, 13]));
    assert_eq!(v["full"].as_u64(), Some(rows));
    assert_eq!(
        v["labels"],
        serde_json::json!(["happy", "neutral", "surprise", "unpleasant"])
    );
    assert!(
        v["by"].to_string().contains("noise+stretch+pitch"),
        "{}",
        v["by"]
    );
}
