//! The corpora emovox knows, and how each names its files.
//!
//! Every corpus encodes its labels in its file names. [`Corpus::claim`] decides whether a file
//! name is *trying* to follow a corpus's convention (its shape) and, if so, reads it strictly:
//! a name that has the shape but a wrong field (emotion `09` in RAVDESS, speaker `XX` in TESS)
//! is an error that says which field and why, never a guess.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A corpus (or layout) whose naming emovox reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Corpus {
    /// RAVDESS, `03-01-EE-II-SS-RR-AA.wav` (Livingstone & Russo, 2018).
    Ravdess,
    /// Toronto emotional speech set, `OAF_bath_disgust.wav`.
    Tess,
    /// Surrey Audio-Visual Expressed Emotion, `DC_a01.wav` or `DC/a01.wav`.
    Savee,
    /// CREMA-D, `1001_DFA_ANG_XX.wav`.
    CremaD,
    /// Berlin Database of Emotional Speech, `03a01Fa.wav`.
    EmoDb,
    /// EMOVO, Italian (Costantini et al., 2014): `EMO-SPEAKER-SENTENCE`, e.g. `gio-f1-b1.wav`.
    Emovo,
    /// TurEV-DB, Turkish single words (Canpolat et al., 2020): `EMOTION/SPEAKER_CODE_WORD`, e.g.
    /// `Angry/1157_kz_acik.wav`.
    Turev,
    /// A user's own recordings, one folder per label: `DIR/happy/x.wav` or
    /// `DIR/happy/SPEAKER/x.wav`.
    Folder,
}

impl Corpus {
    /// Every corpus, in the order auto-detection tries them (the folder layout last).
    /// (TurEV-DB before CREMA-D: both start with a 4-digit speaker.)
    pub const ALL: [Corpus; 8] = [
        Corpus::Ravdess,
        Corpus::Tess,
        Corpus::Savee,
        Corpus::Turev,
        Corpus::CremaD,
        Corpus::EmoDb,
        Corpus::Emovo,
        Corpus::Folder,
    ];

    /// The name used on the command line and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Corpus::Ravdess => "ravdess",
            Corpus::Tess => "tess",
            Corpus::Savee => "savee",
            Corpus::CremaD => "crema-d",
            Corpus::EmoDb => "emodb",
            Corpus::Emovo => "emovo",
            Corpus::Turev => "turev",
            Corpus::Folder => "folder",
        }
    }

    /// The naming convention, as shown in error messages.
    pub fn convention(self) -> &'static str {
        match self {
            Corpus::Ravdess => {
                "MM-VV-EE-II-SS-RR-AA, seven 2-digit fields, e.g. 03-01-05-02-01-01-12"
            }
            Corpus::Tess => "SPEAKER_WORD_EMOTION with SPEAKER OAF or YAF, e.g. OAF_bath_disgust",
            Corpus::Savee => {
                "SPEAKER_EMOTIONNN (DC_a01) or SPEAKER/EMOTIONNN (DC/a01), speakers DC, JE, JK, KL"
            }
            Corpus::CremaD => "ACTOR_SENTENCE_EMOTION_LEVEL, e.g. 1001_DFA_ANG_XX",
            Corpus::EmoDb => "SSTTTEV: speaker, text, emotion letter, version, e.g. 03a01Fa",
            Corpus::Emovo => {
                "EMO-SPEAKER-SENTENCE, EMO one of neu, gio, tri, rab, pau, dis, sor, SPEAKER f1-f3 \
                 or m1-m3, e.g. gio-f1-b1"
            }
            Corpus::Turev => {
                "SPEAKER_CODE_WORD with CODE kz (angry), sk (calm), mt (happy), hl (sad), in a \
                 folder Angry, Calm, Happy or Sad, e.g. Angry/1157_kz_acik"
            }
            Corpus::Folder => "DIR/LABEL/file or DIR/LABEL/SPEAKER/file",
        }
    }

    /// Whether `path` has this corpus's file-name shape; if so, its fields read strictly (an
    /// error names the bad field). `root` is the folder the user gave (the folder layout reads
    /// labels relative to it).
    pub fn claim(self, path: &Path, root: &Path) -> Claim {
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            return Claim::NotMine;
        };
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|p| p.to_str())
            .unwrap_or("");
        match self {
            Corpus::Ravdess => ravdess(stem),
            Corpus::Tess => tess(stem),
            Corpus::Savee => savee(stem, parent),
            Corpus::CremaD => crema_d(stem),
            Corpus::EmoDb => emodb(stem),
            Corpus::Emovo => emovo(stem),
            Corpus::Turev => turev(stem, parent),
            Corpus::Folder => folder(path, root),
        }
        .map(|p| Clip {
            path: path.to_path_buf(),
            corpus: self,
            speaker: p.speaker,
            sex: p.sex,
            emotion: p.emotion,
            extra: p.extra,
        })
    }
}

impl Corpus {
    /// The first named corpus whose file-name shape `path` has, with its reading of the name
    /// (a clip, or why a name of that shape is invalid); `None` when no named corpus claims it.
    pub fn detect(path: &Path, root: &Path) -> Option<(Corpus, Claim)> {
        // Every corpus of ALL but the last, Folder, which any path fits.
        Corpus::ALL[..Corpus::ALL.len() - 1]
            .iter()
            .find_map(|&c| match c.claim(path, root) {
                Claim::NotMine => None,
                claim => Some((c, claim)),
            })
    }
}

impl fmt::Display for Corpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Corpus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let k: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Ok(match k.as_str() {
            "ravdess" => Corpus::Ravdess,
            "tess" => Corpus::Tess,
            "savee" => Corpus::Savee,
            "cremad" => Corpus::CremaD,
            "emodb" => Corpus::EmoDb,
            "emovo" => Corpus::Emovo,
            "turev" | "turevdb" => Corpus::Turev,
            "folder" | "folders" | "generic" => Corpus::Folder,
            _ => {
                return Err(format!(
                    "unknown corpus {s:?}; known: ravdess, tess, savee, crema-d, emodb, emovo, \
                     turev, folder"
                ))
            }
        })
    }
}

/// Speaker sex, where the corpus documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Female speaker.
    Female,
    /// Male speaker.
    Male,
}

impl Sex {
    /// `"female"` or `"male"`.
    pub fn name(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
        }
    }
}

impl FromStr for Sex {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "female" | "f" => Ok(Sex::Female),
            "male" | "m" => Ok(Sex::Male),
            _ => Err(format!("sex must be female or male, got {s:?}")),
        }
    }
}

/// One recording and what its corpus says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    /// The audio file.
    pub path: PathBuf,
    /// Which corpus it belongs to.
    pub corpus: Corpus,
    /// Speaker id within the corpus (`Actor_01`, `OAF`, `DC`, `1001`, `03`), if known.
    pub speaker: Option<String>,
    /// Speaker sex, if the corpus documents it.
    pub sex: Option<Sex>,
    /// The emotion in the corpus's own words (`fearful` in RAVDESS, `fear` in TESS, `ps` is
    /// TESS's `pleasant_surprise`...). [`canonical_emotion`] maps it to the shared vocabulary.
    pub emotion: String,
    /// The corpus's other fields (`intensity`, `statement`, `repetition`, `word`, `sentence`...).
    pub extra: BTreeMap<String, String>,
}

impl Clip {
    /// The emotion in emovox's shared vocabulary ([`VOCABULARY`]), or the lower-cased native
    /// name for a user's own label that is not in it.
    pub fn canonical_emotion(&self) -> String {
        canonical_emotion(&self.emotion)
    }

    /// `corpus:speaker`, unique across corpora; `None` without a speaker.
    pub fn speaker_key(&self) -> Option<String> {
        self.speaker
            .as_ref()
            .map(|s| format!("{}:{s}", self.corpus))
    }
}

/// The shared emotion vocabulary every corpus maps into (the `full` label scheme).
pub const VOCABULARY: [&str; 9] = [
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
    "boredom",
];

/// Maps an emotion name from any corpus (or a user's folder) to [`VOCABULARY`]; names it does
/// not know come back lower-cased.
pub fn canonical_emotion(native: &str) -> String {
    let k = native.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let c = match k.as_str() {
        "neutral" | "neu" => "neutral",
        "calm" => "calm",
        "happy" | "happiness" | "joy" | "hap" => "happy",
        "sad" | "sadness" => "sad",
        "angry" | "anger" | "ang" => "angry",
        "fear" | "fearful" | "anxiety" | "fea" => "fearful",
        "disgust" | "disgusted" | "dis" => "disgust",
        "surprise" | "surprised" | "ps" | "pleasant_surprise" | "pleasant_surprised" => "surprised",
        "boredom" | "bored" => "boredom",
        _ => return k,
    };
    c.to_string()
}

/// What [`Corpus::claim`] makes of a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The name does not have this corpus's shape.
    NotMine,
    /// It has the shape and its fields are valid.
    Clip(Clip),
    /// It has the shape but a field is wrong: why.
    Invalid(String),
}

/// Fields read from a name, before the path and corpus are attached.
struct Parsed {
    speaker: Option<String>,
    sex: Option<Sex>,
    emotion: String,
    extra: BTreeMap<String, String>,
}

/// Internal result of the per-corpus readers.
enum Read {
    NotMine,
    Ok(Parsed),
    Invalid(String),
}

impl Read {
    fn map(self, f: impl FnOnce(Parsed) -> Clip) -> Claim {
        match self {
            Read::NotMine => Claim::NotMine,
            Read::Ok(p) => Claim::Clip(f(p)),
            Read::Invalid(why) => Claim::Invalid(why),
        }
    }
}

fn extra<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// RAVDESS: `MM-VV-EE-II-SS-RR-AA` (modality, vocal channel, emotion, intensity, statement,
/// repetition, actor). Odd actors are male.
fn ravdess(stem: &str) -> Read {
    let fields: Vec<&str> = stem.split('-').collect();
    if fields.len() < 2 || !fields.iter().all(|f| f.len() == 2 && all_digits(f)) {
        return Read::NotMine;
    }
    if fields.len() != 7 {
        return Read::Invalid(format!("{} fields where RAVDESS has 7", fields.len()));
    }
    let n: Vec<u32> = fields.iter().map(|f| f.parse().unwrap_or(0)).collect();
    let pick = |what: &str, v: u32, names: &[&'static str]| -> Result<&'static str, String> {
        names
            .get((v as usize).wrapping_sub(1))
            .copied()
            .ok_or_else(|| format!("{what} code {v:02} is not 01..{:02}", names.len()))
    };
    let read = || -> Result<Parsed, String> {
        let modality = pick(
            "modality",
            n[0],
            &["audio-video", "video-only", "audio-only"],
        )?;
        let channel = pick("vocal channel", n[1], &["speech", "song"])?;
        let emotion = pick(
            "emotion",
            n[2],
            &[
                "neutral",
                "calm",
                "happy",
                "sad",
                "angry",
                "fearful",
                "disgust",
                "surprised",
            ],
        )?;
        let intensity = pick("intensity", n[3], &["normal", "strong"])?;
        if emotion == "neutral" && intensity == "strong" {
            return Err("neutral has no strong intensity in RAVDESS (field 4 must be 01)".into());
        }
        let statement = pick(
            "statement",
            n[4],
            &[
                "Kids are talking by the door",
                "Dogs are sitting by the door",
            ],
        )?;
        let repetition = pick("repetition", n[5], &["1", "2"])?;
        let actor = n[6];
        if !(1..=24).contains(&actor) {
            return Err(format!("actor {actor:02} is not 01..24"));
        }
        Ok(Parsed {
            speaker: Some(format!("Actor_{actor:02}")),
            sex: Some(if actor % 2 == 1 {
                Sex::Male
            } else {
                Sex::Female
            }),
            emotion: emotion.to_string(),
            extra: extra([
                ("modality", modality.to_string()),
                ("vocal_channel", channel.to_string()),
                ("intensity", intensity.to_string()),
                ("statement", statement.to_string()),
                ("repetition", repetition.to_string()),
            ]),
        })
    };
    match read() {
        Ok(p) => Read::Ok(p),
        Err(why) => Read::Invalid(why),
    }
}

/// TESS: `OAF_bath_disgust`, `YAF_dog_ps`; the release's `OA_bite_neutral` slip is read as OAF.
fn tess(stem: &str) -> Read {
    let Some((speaker, rest)) = stem.split_once('_') else {
        return Read::NotMine;
    };
    let speaker = match speaker {
        "OAF" | "OA" => "OAF",
        "YAF" | "YA" => "YAF",
        _ => return Read::NotMine,
    };
    let Some((word, emotion)) = rest.rsplit_once('_') else {
        return Read::Invalid("no emotion after the word (expected SPEAKER_WORD_EMOTION)".into());
    };
    const EMOTIONS: [&str; 7] = ["angry", "disgust", "fear", "happy", "neutral", "ps", "sad"];
    let emotion = emotion.to_ascii_lowercase();
    let emotion = match emotion.as_str() {
        "pleasant_surprise" | "pleasant_surprised" | "surprise" | "surprised" => "ps".to_string(),
        _ => emotion,
    };
    if !EMOTIONS.contains(&emotion.as_str()) {
        return Read::Invalid(format!(
            "emotion {emotion:?} is not one of {}",
            EMOTIONS.join(", ")
        ));
    }
    if word.is_empty() {
        return Read::Invalid("empty word".into());
    }
    let emotion = if emotion == "ps" {
        "pleasant_surprise".to_string()
    } else {
        emotion
    };
    Read::Ok(Parsed {
        speaker: Some(speaker.to_string()),
        sex: Some(Sex::Female),
        emotion,
        extra: extra([("word", word.to_string())]),
    })
}

const SAVEE_SPEAKERS: [&str; 4] = ["DC", "JE", "JK", "KL"];

/// SAVEE: `DC_a01` (as commonly redistributed) or `DC/a01` (as released, in `AudioData/DC/`).
fn savee(stem: &str, parent: &str) -> Read {
    let (speaker, code) = match stem.split_once('_') {
        Some((s, c)) if SAVEE_SPEAKERS.contains(&s) => (s, c),
        _ if SAVEE_SPEAKERS.contains(&parent) => {
            // Released layout: only claim names shaped like `a01` / `sa12`.
            let letters = stem.trim_end_matches(|c: char| c.is_ascii_digit());
            let digits = &stem[letters.len()..];
            if letters.is_empty()
                || letters.len() > 2
                || digits.len() != 2
                || !letters.bytes().all(|b| b.is_ascii_lowercase())
            {
                return Read::NotMine;
            }
            (parent, stem)
        }
        _ => return Read::NotMine,
    };
    let letters = code.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &code[letters.len()..];
    let (emotion, max) = match letters {
        "a" => ("anger", 15),
        "d" => ("disgust", 15),
        "f" => ("fear", 15),
        "h" => ("happiness", 15),
        "n" => ("neutral", 30),
        "sa" => ("sadness", 15),
        "su" => ("surprise", 15),
        _ => {
            return Read::Invalid(format!(
                "emotion code {letters:?} is not one of a, d, f, h, n, sa, su"
            ))
        }
    };
    let number: u32 = match (digits.len(), digits.parse()) {
        (2, Ok(n)) => n,
        _ => return Read::Invalid(format!("sentence number {digits:?} is not two digits")),
    };
    if !(1..=max).contains(&number) {
        return Read::Invalid(format!(
            "sentence number {number:02} is not 01..{max:02} for {emotion}"
        ));
    }
    Read::Ok(Parsed {
        speaker: Some(speaker.to_string()),
        sex: Some(Sex::Male),
        emotion: emotion.to_string(),
        extra: extra([("sentence", code.to_string())]),
    })
}

/// CREMA-D: `1001_DFA_ANG_XX` (actor 1001..1091, sentence, emotion, level).
fn crema_d(stem: &str) -> Read {
    let fields: Vec<&str> = stem.split('_').collect();
    if fields.len() < 2 || fields[0].len() != 4 || !all_digits(fields[0]) {
        return Read::NotMine;
    }
    if fields.len() != 4 {
        return Read::Invalid(format!("{} fields where CREMA-D has 4", fields.len()));
    }
    let actor: u32 = fields[0].parse().unwrap_or(0);
    if !(1001..=1091).contains(&actor) {
        return Read::Invalid(format!("actor {actor} is not 1001..1091"));
    }
    const SENTENCES: [&str; 12] = [
        "IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI",
    ];
    if !SENTENCES.contains(&fields[1]) {
        return Read::Invalid(format!(
            "sentence {:?} is not one of {}",
            fields[1],
            SENTENCES.join(", ")
        ));
    }
    let emotion = match fields[2] {
        "ANG" => "anger",
        "DIS" => "disgust",
        "FEA" => "fear",
        "HAP" => "happy",
        "NEU" => "neutral",
        "SAD" => "sad",
        e => {
            return Read::Invalid(format!(
                "emotion {e:?} is not one of ANG, DIS, FEA, HAP, NEU, SAD"
            ))
        }
    };
    let level = match fields[3] {
        "LO" => "low",
        "MD" => "medium",
        "HI" => "high",
        "XX" | "X" => "unspecified",
        l => return Read::Invalid(format!("level {l:?} is not one of LO, MD, HI, XX")),
    };
    Read::Ok(Parsed {
        speaker: Some(fields[0].to_string()),
        sex: None,
        emotion: emotion.to_string(),
        extra: extra([
            ("sentence", fields[1].to_string()),
            ("intensity", level.to_string()),
        ]),
    })
}

/// EmoDB: `03a01Fa` (speaker, text, emotion letter in German, version).
fn emodb(stem: &str) -> Read {
    let b = stem.as_bytes();
    let shaped = b.len() == 7
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_lowercase()
        && b[3].is_ascii_digit()
        && b[4].is_ascii_digit()
        && b[5].is_ascii_alphabetic()
        && b[6].is_ascii_lowercase();
    if !shaped {
        return Read::NotMine;
    }
    let speaker = &stem[0..2];
    let sex = match speaker {
        "03" | "10" | "11" | "12" | "15" => Sex::Male,
        "08" | "09" | "13" | "14" | "16" => Sex::Female,
        s => {
            return Read::Invalid(format!(
                "speaker {s} is not one of 03, 08, 09, 10, 11, 12, 13, 14, 15, 16"
            ))
        }
    };
    let text = &stem[2..5];
    let n: u32 = stem[3..5].parse().unwrap_or(0);
    let ok_text = match b[2] {
        b'a' => (1..=7).contains(&n),
        b'b' => (1..=10).contains(&n),
        _ => false,
    };
    if !ok_text {
        return Read::Invalid(format!("text {text} is not a01..a07 or b01..b10"));
    }
    let emotion = match b[5] {
        b'W' => "anger",
        b'L' => "boredom",
        b'E' => "disgust",
        b'A' => "fear",
        b'F' => "happiness",
        b'T' => "sadness",
        b'N' => "neutral",
        c => {
            return Read::Invalid(format!(
                "emotion letter {:?} is not one of W, L, E, A, F, T, N",
                c as char
            ))
        }
    };
    Read::Ok(Parsed {
        speaker: Some(speaker.to_string()),
        sex: Some(sex),
        emotion: emotion.to_string(),
        extra: extra([
            ("sentence", text.to_string()),
            ("version", stem[6..7].to_string()),
        ]),
    })
}

/// EMOVO: `gio-f1-b1` (emotion, speaker, sentence). Speakers f1-f3 are female, m1-m3 male.
fn emovo(stem: &str) -> Read {
    let fields: Vec<&str> = stem.split('-').collect();
    const CODES: [(&str, &str); 7] = [
        ("neu", "neutral"),
        ("gio", "joy"),
        ("tri", "sadness"),
        ("rab", "anger"),
        ("pau", "fear"),
        ("dis", "disgust"),
        ("sor", "surprise"),
    ];
    let speaker_shaped = |s: &str| {
        s.len() == 2 && matches!(s.as_bytes()[0], b'f' | b'm') && s.as_bytes()[1].is_ascii_digit()
    };
    // The shape: three fields, a three-letter code first and a speaker like f1/m3 second.
    if fields.len() != 3
        || fields[0].len() != 3
        || !fields[0].bytes().all(|b| b.is_ascii_lowercase())
        || !speaker_shaped(fields[1])
    {
        return Read::NotMine;
    }
    let Some(&(_, emotion)) = CODES.iter().find(|(c, _)| *c == fields[0]) else {
        return Read::Invalid(format!(
            "emotion code {:?} is not one of neu, gio, tri, rab, pau, dis, sor",
            fields[0]
        ));
    };
    let speaker = fields[1];
    if !matches!(speaker.as_bytes()[1], b'1'..=b'3') {
        return Read::Invalid(format!("speaker {speaker} is not f1-f3 or m1-m3"));
    }
    let sentence = fields[2];
    let letters = sentence.trim_end_matches(|c: char| c.is_ascii_digit());
    if letters.is_empty() || letters.len() == sentence.len() {
        return Read::Invalid(format!(
            "sentence {sentence:?} is not letters then a number (b1, l3, n5, d2)"
        ));
    }
    Read::Ok(Parsed {
        speaker: Some(speaker.to_string()),
        sex: Some(if speaker.starts_with('f') {
            Sex::Female
        } else {
            Sex::Male
        }),
        emotion: emotion.to_string(),
        extra: extra([("sentence", sentence.to_string())]),
    })
}

/// TurEV-DB: `1157_kz_acik` (speaker, emotion code, word) inside the emotion's folder.
fn turev(stem: &str, parent: &str) -> Read {
    let fields: Vec<&str> = stem.splitn(3, '_').collect();
    const CODES: [(&str, &str); 4] = [
        ("kz", "angry"),
        ("sk", "calm"),
        ("mt", "happy"),
        ("hl", "sad"),
    ];
    let [speaker, code, word] = fields.as_slice() else {
        return Read::NotMine;
    };
    if speaker.len() != 4 || !all_digits(speaker) || code.len() != 2 {
        return Read::NotMine;
    }
    let Some(&(_, emotion)) = CODES.iter().find(|(c, _)| c == code) else {
        return Read::NotMine;
    };
    if word.is_empty() {
        return Read::Invalid("empty word".into());
    }
    // The release's folders name the emotion; a clip filed under another one is a mistake.
    let folder = parent.to_ascii_lowercase();
    if CODES.iter().any(|(_, e)| *e == folder) && folder != emotion {
        return Read::Invalid(format!(
            "code {code} ({emotion}) disagrees with its folder {parent}"
        ));
    }
    Read::Ok(Parsed {
        speaker: Some(speaker.to_string()),
        sex: None,
        emotion: emotion.to_string(),
        extra: extra([("word", word.to_string())]),
    })
}

/// One folder per label under `root`: `root/LABEL/file` or `root/LABEL/SPEAKER/file`.
fn folder(path: &Path, root: &Path) -> Read {
    let Ok(rel) = path.strip_prefix(root) else {
        return Read::Invalid(format!("not under {}", root.display()));
    };
    let parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
    match parts.as_slice() {
        [label, _file] => Read::Ok(Parsed {
            speaker: None,
            sex: None,
            emotion: label.to_string(),
            extra: BTreeMap::new(),
        }),
        [label, speaker, _file] => Read::Ok(Parsed {
            speaker: Some(speaker.to_string()),
            sex: None,
            emotion: label.to_string(),
            extra: BTreeMap::new(),
        }),
        [_file] => Read::Invalid(format!(
            "not inside a label folder: put it in {}/LABEL/",
            root.display()
        )),
        _ => Read::Invalid(format!(
            "too deep for the folder layout ({}/LABEL/file or {}/LABEL/SPEAKER/file)",
            root.display(),
            root.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(c: Corpus, p: &str) -> Claim {
        c.claim(Path::new(p), Path::new("/data"))
    }

    fn clip(c: Corpus, p: &str) -> Clip {
        match claim(c, p) {
            Claim::Clip(clip) => clip,
            other => panic!("{p}: {other:?}"),
        }
    }

    fn invalid(c: Corpus, p: &str) -> String {
        match claim(c, p) {
            Claim::Invalid(why) => why,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn ravdess_fields() {
        let c = clip(Corpus::Ravdess, "/data/Actor_12/03-01-05-02-01-02-12.flac");
        assert_eq!(c.speaker.as_deref(), Some("Actor_12"));
        assert_eq!(c.sex, Some(Sex::Female));
        assert_eq!(c.emotion, "angry");
        assert_eq!(c.extra["intensity"], "strong");
        assert_eq!(c.extra["repetition"], "2");
        assert_eq!(c.extra["statement"], "Kids are talking by the door");
        assert_eq!(
            clip(Corpus::Ravdess, "/d/03-01-08-01-02-01-01.wav").sex,
            Some(Sex::Male)
        );
    }

    #[test]
    fn ravdess_bad_fields_are_named() {
        assert!(invalid(Corpus::Ravdess, "/d/03-01-09-01-01-01-01.wav").contains("emotion code 09"));
        assert!(invalid(Corpus::Ravdess, "/d/03-01-01-02-01-01-01.wav")
            .contains("neutral has no strong"));
        assert!(invalid(Corpus::Ravdess, "/d/03-01-01-01-01-01-25.wav").contains("actor 25"));
        assert!(invalid(Corpus::Ravdess, "/d/03-01-01-01-01-01.wav").contains("6 fields"));
        assert_eq!(
            claim(Corpus::Ravdess, "/d/OAF_bath_sad.wav"),
            Claim::NotMine
        );
    }

    #[test]
    fn tess_fields_and_the_released_slip() {
        let c = clip(Corpus::Tess, "/data/OAF_neutral/OA_bite_neutral.flac");
        assert_eq!(
            (c.speaker.as_deref(), c.emotion.as_str()),
            (Some("OAF"), "neutral")
        );
        assert_eq!(c.extra["word"], "bite");
        let c = clip(Corpus::Tess, "/d/YAF_dog_ps.wav");
        assert_eq!(
            (c.emotion.as_str(), c.canonical_emotion().as_str()),
            ("pleasant_surprise", "surprised")
        );
        assert!(invalid(Corpus::Tess, "/d/YAF_dog_bored.wav").contains("\"bored\""));
        assert!(invalid(Corpus::Tess, "/d/YAF_dog.wav").contains("no emotion"));
        assert_eq!(claim(Corpus::Tess, "/d/XAF_dog_sad.wav"), Claim::NotMine);
    }

    #[test]
    fn savee_both_layouts() {
        let c = clip(Corpus::Savee, "/d/ALL/JK_sa07.wav");
        assert_eq!(
            (c.speaker.as_deref(), c.emotion.as_str()),
            (Some("JK"), "sadness")
        );
        assert_eq!(c.canonical_emotion(), "sad");
        let c = clip(Corpus::Savee, "/d/AudioData/KL/n30.wav");
        assert_eq!(
            (c.speaker.as_deref(), c.emotion.as_str()),
            (Some("KL"), "neutral")
        );
        assert!(invalid(Corpus::Savee, "/d/DC_x01.wav").contains("emotion code \"x\""));
        assert!(invalid(Corpus::Savee, "/d/DC_a16.wav").contains("01..15"));
        assert_eq!(claim(Corpus::Savee, "/d/other/a01.wav"), Claim::NotMine);
    }

    #[test]
    fn crema_d_and_emodb() {
        let c = clip(Corpus::CremaD, "/d/1091_WSI_HAP_HI.wav");
        assert_eq!(
            (c.speaker.as_deref(), c.emotion.as_str()),
            (Some("1091"), "happy")
        );
        assert_eq!(c.extra["intensity"], "high");
        assert!(invalid(Corpus::CremaD, "/d/1001_DFA_XYZ_XX.wav").contains("\"XYZ\""));
        assert!(invalid(Corpus::CremaD, "/d/0999_DFA_ANG_XX.wav").contains("actor 999"));
        let c = clip(Corpus::EmoDb, "/d/16b10Lb.wav");
        assert_eq!(
            (c.speaker.as_deref(), c.emotion.as_str(), c.sex),
            (Some("16"), "boredom", Some(Sex::Female))
        );
        assert!(invalid(Corpus::EmoDb, "/d/03a01Xa.wav").contains("'X'"));
        assert!(invalid(Corpus::EmoDb, "/d/04a01Fa.wav").contains("speaker 04"));
    }

    #[test]
    fn emovo_fields() {
        let c = clip(Corpus::Emovo, "/data/emovo/f1/gio-f1-b1.flac");
        assert_eq!(c.speaker.as_deref(), Some("f1"));
        assert_eq!(c.sex, Some(Sex::Female));
        assert_eq!(c.emotion, "joy");
        assert_eq!(c.canonical_emotion(), "happy");
        assert_eq!(c.extra["sentence"], "b1");
        let c = clip(Corpus::Emovo, "/data/m3/sor-m3-n5.wav");
        assert_eq!(
            (c.sex, c.canonical_emotion().as_str()),
            (Some(Sex::Male), "surprised")
        );
        for (name, want) in [
            ("tri", "sad"),
            ("rab", "angry"),
            ("pau", "fearful"),
            ("neu", "neutral"),
            ("dis", "disgust"),
        ] {
            let c = clip(Corpus::Emovo, &format!("/d/{name}-m1-d2.wav"));
            assert_eq!(c.canonical_emotion(), want, "{name}");
        }
        assert!(invalid(Corpus::Emovo, "/d/xyz-f1-b1.wav").contains("emotion code"));
        assert!(invalid(Corpus::Emovo, "/d/gio-f7-b1.wav").contains("speaker f7"));
        assert!(invalid(Corpus::Emovo, "/d/gio-f1-11.wav").contains("sentence"));
        assert_eq!(
            claim(Corpus::Emovo, "/d/03-01-03-01-01-01-03.wav"),
            Claim::NotMine
        );
        assert_eq!(claim(Corpus::Emovo, "/d/notes-f1.wav"), Claim::NotMine);
    }

    #[test]
    fn turev_fields_and_folder_check() {
        let c = clip(Corpus::Turev, "/data/turev/Angry/1157_kz_acik.opus");
        assert_eq!(c.speaker.as_deref(), Some("1157"));
        assert_eq!(c.emotion, "angry");
        assert_eq!(c.extra["word"], "acik");
        let c = clip(Corpus::Turev, "/x/Calm/7895_sk_iki_kelime.wav");
        assert_eq!(
            (c.emotion.as_str(), c.extra["word"].as_str()),
            ("calm", "iki_kelime")
        );
        assert_eq!(clip(Corpus::Turev, "/x/any/1234_mt_a.wav").emotion, "happy");
        assert_eq!(
            clip(Corpus::Turev, "/x/Sad/1234_hl_bugu.wav").emotion,
            "sad"
        );
        assert!(invalid(Corpus::Turev, "/x/Happy/1234_kz_acik.wav").contains("disagrees"));
        // CREMA-D's names also start with four digits: not TurEV's.
        assert_eq!(
            claim(Corpus::Turev, "/x/1001_DFA_ANG_XX.wav"),
            Claim::NotMine
        );
        assert_eq!(claim(Corpus::Turev, "/x/1001_xx_word.wav"), Claim::NotMine);
    }

    #[test]
    fn folder_layout() {
        let c = clip(Corpus::Folder, "/data/happy/take1.wav");
        assert_eq!((c.emotion.as_str(), c.speaker.as_deref()), ("happy", None));
        let c = clip(Corpus::Folder, "/data/Anger/ann/take1.wav");
        assert_eq!(
            (c.canonical_emotion().as_str(), c.speaker.as_deref()),
            ("angry", Some("ann"))
        );
        assert!(invalid(Corpus::Folder, "/data/take1.wav").contains("not inside a label folder"));
    }

    #[test]
    fn corpus_names_round_trip() {
        for c in Corpus::ALL {
            assert_eq!(c.name().parse::<Corpus>(), Ok(c));
        }
        assert_eq!("CREMA_D".parse::<Corpus>(), Ok(Corpus::CremaD));
        assert!("timit".parse::<Corpus>().is_err());
    }
}
