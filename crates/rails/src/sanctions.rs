//! Sanctions screening against a list in OFAC's SDN CSV format: [`SanctionsList`] loads
//! `sdn.csv` (and `alt.csv` beside it, when there is one), names each loaded copy with a
//! version (a hash of the files' bytes) and implements [`Screening`].
//!
//! The files, as the Treasury publishes them: no header row; `-0-` for an empty field.
//! - `sdn.csv`: `ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
//!   GRT, Vess_flag, Vess_owner, Remarks`. Individuals are written `LAST, First`; `SDN_Type` is
//!   `individual`, `vessel`, `aircraft`, or `-0-` for an entity.
//! - `alt.csv`: `ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks`.
//!
//! Screened: the names and aliases of individuals and entities. Vessels and aircraft are
//! skipped: what is screened is a person's legal name.
//!
//! Matching is a chain of small pure functions (each tested below): [`normalise`] (case,
//! accents, punctuation, honorifics, the article `al`, Arabic script by
//! [`transliterate_arabic`]), [`NameForms`] (the name as written, its tokens sorted, and the
//! sorted consonant [`skeleton`]s, for Arabic script writes no short vowels), and [`score`]:
//! the best Jaro-Winkler similarity of the three forms, where the tokens of the two names must
//! correspond one to one (see [`score`] for why). A name scoring at or above the threshold
//! is a hit.
//!
//! Replacing the files takes effect without a restart: [`SanctionsList::reload`] reads them
//! again, and screening itself looks at the files' modification time and size at most every
//! [`RECHECK_INTERVAL`] and reloads when they changed. A reload that fails keeps the list
//! loaded before (and is logged); replace the files by renaming a complete copy over them.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::RailError;
use crate::identity::{Screening, ScreeningHit};

/// The score at or above which a name is a hit, unless another is given.
pub const DEFAULT_THRESHOLD: f64 = 0.90;

/// How often screening looks at the files for a change, at most.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(5);

/// Taken off a score that only the consonant skeletons reach: skeletons are short and lose
/// information, so an exact skeleton match scores 0.95, and a skeleton one letter off falls
/// below the default threshold.
pub const SKELETON_PENALTY: f64 = 0.05;

/// Taken off a score when the longer name has a token the shorter one lacks (a middle name):
/// Jaro-Winkler rewards a shared beginning, so without it "Ali Hassan" would hit every listed
/// "Ali Hassan …".
pub const MISSING_TOKEN_PENALTY: f64 = 0.05;

/// How alike two tokens must be (Jaro-Winkler) to stand for each other, when their skeletons
/// differ.
pub const TOKEN_FLOOR: f64 = 0.85;

/// Titles dropped from names (as written after [`normalise`] lowercased and transliterated
/// them: `shikh` and `haj` are الشيخ and الحاج).
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "sheikh", "shaikh", "shaykh", "sheik", "shikh",
    "haji", "hajji", "hajj", "haj", "alhajj",
];

/// The Arabic article, written apart (`al-Rashid`, `el Sayed`, and ال once transliterated):
/// dropped, as it is written, joined or left out at will.
const ARTICLES: &[&str] = &["al", "el"];

/// A sanctions list loaded from `sdn.csv` (and `alt.csv` beside it).
pub struct SanctionsList {
    sdn_path: PathBuf,
    alt_path: PathBuf,
    threshold: f64,
    recheck_interval: Duration,
    loaded: RwLock<Arc<Loaded>>,
    /// When screening last looked at the files.
    checked_at: Mutex<Instant>,
}

impl fmt::Debug for SanctionsList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loaded = self.current();
        f.debug_struct("SanctionsList")
            .field("sdn_path", &self.sdn_path)
            .field("threshold", &self.threshold)
            .field("version", &loaded.version)
            .field("entries", &loaded.entries.len())
            .finish()
    }
}

/// One reading of the files.
#[derive(Debug)]
struct Loaded {
    version: String,
    entries: Vec<Entry>,
    stamp: Stamp,
}

/// The files' modification times and sizes (`None` for a missing `alt.csv`): what screening
/// compares to notice a replaced file without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    sdn: (Option<SystemTime>, u64),
    alt: Option<(Option<SystemTime>, u64)>,
}

/// A listed individual or entity.
#[derive(Debug)]
struct Entry {
    /// Its name as listed (what a hit reports).
    name: String,
    /// Its name and aliases, ready to compare.
    names: Vec<NameForms>,
}

/// What `SDN_Type` says an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Individual,
    Entity,
    /// A vessel or an aircraft: not screened.
    Craft,
}

impl SanctionsList {
    /// Loads `sdn_path` (an `sdn.csv`) and the `alt.csv` in the same folder, if there is one;
    /// names scoring at or above `threshold` (0 to 1) are hits.
    pub fn open(sdn_path: impl Into<PathBuf>, threshold: f64) -> Result<SanctionsList, RailError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(RailError(format!("the sanctions threshold {threshold} is not between 0 and 1")));
        }
        let sdn_path = sdn_path.into();
        let alt_path = sdn_path.with_file_name("alt.csv");
        let loaded = load(&sdn_path, &alt_path)?;
        Ok(SanctionsList {
            sdn_path,
            alt_path,
            threshold,
            recheck_interval: RECHECK_INTERVAL,
            loaded: RwLock::new(Arc::new(loaded)),
            checked_at: Mutex::new(Instant::now()),
        })
    }

    /// The same list, looking at the files for a change at most every `interval` when screening
    /// (tests use zero).
    pub fn with_recheck_interval(mut self, interval: Duration) -> SanctionsList {
        self.recheck_interval = interval;
        self
    }

    /// Reads the files again; `true` when their contents changed (a new version). On an error
    /// the list loaded before stays.
    pub fn reload(&self) -> Result<bool, RailError> {
        let fresh = load(&self.sdn_path, &self.alt_path)?;
        let mut loaded = self.loaded.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let changed = fresh.version != loaded.version;
        *loaded = Arc::new(fresh);
        Ok(changed)
    }

    /// The loaded list's version: `sha256:` and the first 16 hex digits of the SHA-256 of
    /// `sdn.csv`'s bytes followed by `alt.csv`'s.
    pub fn list_version(&self) -> String {
        self.current().version.clone()
    }

    /// How many individuals and entities are screened.
    pub fn len(&self) -> usize {
        self.current().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn sdn_path(&self) -> &Path {
        &self.sdn_path
    }

    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The best match for `legal_name` at or above the threshold, after reloading the files if
    /// they changed (looked at most every recheck interval).
    pub fn best_match(&self, legal_name: &str) -> Option<ScreeningHit> {
        self.reload_if_changed();
        let loaded = self.current();
        let query = NameForms::of(legal_name);
        let (entry, score) = loaded
            .entries
            .iter()
            .map(|entry| (entry, entry.names.iter().map(|listed| score(&query, listed)).fold(0.0, f64::max)))
            .max_by(|(_, a), (_, b)| a.total_cmp(b))?;
        (score >= self.threshold).then(|| ScreeningHit {
            list_version: loaded.version.clone(),
            entry: entry.name.clone(),
            score,
        })
    }

    fn current(&self) -> Arc<Loaded> {
        self.loaded.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Reloads when the files' modification time or size changed since they were loaded, if
    /// the recheck interval has passed since the last look.
    fn reload_if_changed(&self) {
        {
            let mut checked_at = self.checked_at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if checked_at.elapsed() < self.recheck_interval {
                return;
            }
            *checked_at = Instant::now();
        }
        let unchanged = stamp(&self.sdn_path, &self.alt_path).is_ok_and(|now| now == self.current().stamp);
        if unchanged {
            return;
        }
        match self.reload() {
            Ok(changed) => {
                tracing::info!(path = %self.sdn_path.display(), version = %self.list_version(), changed, "sanctions list reloaded");
            }
            Err(error) => {
                tracing::warn!(%error, "the sanctions list could not be reloaded; screening with the one loaded before");
            }
        }
    }
}

impl Screening for SanctionsList {
    fn screen<'a>(&'a self, legal_name: &'a str) -> BoxFuture<'a, Result<Option<ScreeningHit>, RailError>> {
        Box::pin(async move { Ok(self.best_match(legal_name)) })
    }

    fn version(&self) -> Option<String> {
        Some(self.list_version())
    }
}

fn stamp(sdn_path: &Path, alt_path: &Path) -> io::Result<Stamp> {
    let of = |metadata: fs::Metadata| (metadata.modified().ok(), metadata.len());
    let sdn = of(fs::metadata(sdn_path)?);
    let alt = match fs::metadata(alt_path) {
        Ok(metadata) => Some(of(metadata)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    Ok(Stamp { sdn, alt })
}

fn load(sdn_path: &Path, alt_path: &Path) -> Result<Loaded, RailError> {
    let cannot = |path: &Path, error: &dyn fmt::Display| {
        RailError(format!("cannot read the sanctions list {}: {error}", path.display()))
    };
    // The stamp first: a file replaced while it is read is then read again at the next look.
    let stamp = stamp(sdn_path, alt_path).map_err(|error| cannot(sdn_path, &error))?;
    let sdn = fs::read(sdn_path).map_err(|error| cannot(sdn_path, &error))?;
    let alt = match fs::read(alt_path) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(cannot(alt_path, &error)),
    };
    let version = version_of(&sdn, alt.as_deref());
    let mut entries = parse_sdn(&sdn).map_err(|error| cannot(sdn_path, &error))?;
    if let Some(alt) = &alt {
        add_aliases(&mut entries, alt).map_err(|error| cannot(alt_path, &error))?;
    }
    let entries = entries.into_values().map(|(entry, _)| entry).collect();
    Ok(Loaded { version, entries, stamp })
}

/// `sha256:` and the first 16 hex digits of the SHA-256 of `sdn` followed by `alt`.
fn version_of(sdn: &[u8], alt: Option<&[u8]>) -> String {
    let mut hash = Sha256::new();
    hash.update(sdn);
    hash.update(alt.unwrap_or_default());
    let hex = data_encoding::HEXLOWER.encode(&hash.finalize());
    format!("sha256:{}", &hex[..16])
}

/// A field, trimmed; `None` for OFAC's `-0-` and for an empty one.
fn field(record: &csv::ByteRecord, index: usize) -> Option<String> {
    let text = String::from_utf8_lossy(record.get(index)?);
    let text = text.trim();
    (!text.is_empty() && text != "-0-").then(|| text.to_string())
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    // Flexible: the Treasury's files end with a lone end-of-file character (0x1A) on a line.
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes)
}

/// The screened entries of `sdn.csv` by `ent_num`, each with its kind (aliases are written the
/// way the entry is). Lines without a numeric `ent_num` are skipped.
fn parse_sdn(bytes: &[u8]) -> Result<HashMap<u64, (Entry, Kind)>, csv::Error> {
    let mut entries = HashMap::new();
    for record in reader(bytes).byte_records() {
        let record = record?;
        let (Some(ent_num), Some(name)) =
            (field(&record, 0).and_then(|n| n.parse::<u64>().ok()), field(&record, 1))
        else {
            continue;
        };
        let kind = match field(&record, 2).map(|kind| kind.to_ascii_lowercase()).as_deref() {
            Some("individual") => Kind::Individual,
            Some("vessel" | "aircraft") => Kind::Craft,
            _ => Kind::Entity,
        };
        if kind == Kind::Craft {
            continue;
        }
        let names = vec![NameForms::listed(&name, kind)];
        entries.insert(ent_num, (Entry { name, names }, kind));
    }
    Ok(entries)
}

/// Adds `alt.csv`'s aliases to the entries they belong to (those of unscreened entries are
/// skipped).
fn add_aliases(entries: &mut HashMap<u64, (Entry, Kind)>, bytes: &[u8]) -> Result<(), csv::Error> {
    for record in reader(bytes).byte_records() {
        let record = record?;
        let ent_num = field(&record, 0).and_then(|n| n.parse::<u64>().ok());
        if let (Some((entry, kind)), Some(alias)) =
            (ent_num.and_then(|n| entries.get_mut(&n)), field(&record, 3))
        {
            entry.names.push(NameForms::listed(&alias, *kind));
        }
    }
    Ok(())
}

/// `LAST, First Middle` as `First Middle LAST`; a name without a comma (or with nothing after
/// it) as it is.
pub fn last_first_to_first_last(name: &str) -> String {
    match name.split_once(',') {
        Some((last, first)) if !first.trim().is_empty() => format!("{} {}", first.trim(), last.trim()),
        _ => name.to_string(),
    }
}

/// Arabic script (and Persian letters) written in Latin letters, the rest left as it is.
///
/// One Latin letter or digraph per Arabic letter; short vowels are not written in Arabic, so
/// none appear (compare [`skeleton`]s). Tashkeel and the tatweel are dropped; alef in all its
/// forms, alef maqsura and ta marbuta are `a`; ayn is `a` too (Latin spellings write a vowel:
/// Ali, Omar); a lone hamza is dropped; waw and yeh are `w`, `y` at the start of a word and the
/// long vowels `u`, `i` inside one; the article ال at a word's start is `al` apart
/// (ال + رشيد: `al rshid`).
pub fn transliterate_arabic(text: &str) -> String {
    let chars: Vec<char> = text.chars().filter(|c| !is_tashkeel(*c)).collect();
    let mut out = String::with_capacity(text.len());
    let mut word_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let article = word_start
            && c == 'ا'
            && chars.get(i + 1) == Some(&'ل')
            && chars[i + 2..].iter().take(2).filter(|c| is_arabic_letter(**c)).count() == 2;
        if article {
            out.push_str("al ");
            i += 2;
            continue;
        }
        match arabic_letter(c, word_start) {
            Some(latin) => out.push_str(latin),
            None => out.push(c),
        }
        word_start = !(c.is_alphanumeric() || is_arabic_letter(c));
        i += 1;
    }
    out
}

/// The harakat, shadda, sukun, superscript alef, the Quranic marks and the tatweel.
fn is_tashkeel(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}')
}

fn is_arabic_letter(c: char) -> bool {
    arabic_letter(c, false).is_some()
}

fn arabic_letter(c: char, word_start: bool) -> Option<&'static str> {
    Some(match c {
        'ا' | 'أ' | 'إ' | 'آ' | 'ٱ' | 'ى' | 'ة' | 'ع' => "a",
        'ء' => "",
        'ب' => "b",
        'ت' => "t",
        'ث' => "th",
        'ج' => "j",
        'ح' | 'ه' => "h",
        'خ' => "kh",
        'د' | 'ض' => "d",
        'ذ' => "dh",
        'ر' => "r",
        'ز' | 'ظ' => "z",
        'س' | 'ص' => "s",
        'ش' => "sh",
        'ط' => "t",
        'غ' => "gh",
        'ف' => "f",
        'ق' => "q",
        'ك' | 'ک' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'و' | 'ؤ' if word_start => "w",
        'و' | 'ؤ' => "u",
        'ي' | 'ئ' | 'ی' if word_start => "y",
        'ي' | 'ئ' | 'ی' => "i",
        'پ' => "p",
        'چ' => "ch",
        'گ' => "g",
        'ژ' => "zh",
        _ => return None,
    })
}

/// A name as compared: lowercase ASCII where it can be (accents stripped through NFKD, Arabic
/// script transliterated, a few letters NFKD keeps folded: ß, ø, ł, æ…), every other
/// character that is not a letter or digit a space, titles and the article `al` dropped,
/// single spaces.
pub fn normalise(name: &str) -> String {
    let decomposed: String = name.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let mut folded = String::with_capacity(decomposed.len());
    for c in transliterate_arabic(&decomposed).chars().flat_map(char::to_lowercase) {
        match c {
            'ß' => folded.push_str("ss"),
            'æ' => folded.push_str("ae"),
            'œ' => folded.push_str("oe"),
            'þ' => folded.push_str("th"),
            'ø' => folded.push('o'),
            'ł' => folded.push('l'),
            'đ' | 'ð' => folded.push('d'),
            'ı' => folded.push('i'),
            c if c.is_alphanumeric() => folded.push(c),
            _ => folded.push(' '),
        }
    }
    folded
        .split_whitespace()
        .filter(|token| !HONORIFICS.contains(token) && !ARTICLES.contains(token))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A token's consonant skeleton: doubled letters written once, then the vowels (a e i o u,
/// and the half-vowels y and w) after the first letter dropped; a first letter that is a
/// vowel is written `a` (Omar and عمر, Issa and عيسى). "Mohammed", "Muhammad" and محمد are all
/// `mhmd`.
pub fn skeleton(token: &str) -> String {
    let mut chars = token.chars().collect::<Vec<_>>();
    chars.dedup();
    let mut out = String::with_capacity(chars.len());
    for (i, c) in chars.into_iter().enumerate() {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u');
        if i == 0 {
            out.push(if vowel { 'a' } else { c });
        } else if !vowel && !matches!(c, 'y' | 'w') {
            out.push(c);
        }
    }
    out
}

/// A name ready to compare: normalised as written, its tokens sorted, and its tokens'
/// skeletons sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameForms {
    pub full: String,
    pub sorted: String,
    pub skeleton: String,
    tokens: Vec<String>,
    token_skeletons: Vec<String>,
}

impl NameForms {
    /// A name as someone gives it (`LAST, First` is read as `First LAST`).
    pub fn of(name: &str) -> NameForms {
        NameForms::normalised(normalise(&last_first_to_first_last(name)))
    }

    /// A listed name: an individual's is written `LAST, First`; an entity's comma is its own.
    fn listed(name: &str, kind: Kind) -> NameForms {
        match kind {
            Kind::Individual => NameForms::of(name),
            Kind::Entity | Kind::Craft => NameForms::normalised(normalise(name)),
        }
    }

    fn normalised(full: String) -> NameForms {
        let tokens: Vec<String> = full.split(' ').filter(|t| !t.is_empty()).map(str::to_string).collect();
        let mut sorted_tokens = tokens.clone();
        sorted_tokens.sort();
        let token_skeletons: Vec<String> = tokens.iter().map(|token| skeleton(token)).collect();
        let mut sorted_skeletons = token_skeletons.clone();
        sorted_skeletons.sort();
        NameForms {
            sorted: sorted_tokens.join(" "),
            skeleton: sorted_skeletons.join(" "),
            full,
            tokens,
            token_skeletons,
        }
    }
}

/// How alike a name given (`query`) and a listed one are, 0 to 1.
///
/// Jaro-Winkler over whole names is generous: it rewards a shared beginning, so "Ali Hassan
/// Khan" scores 0.90 against "Ali Hassan Mahmoud". So the tokens must correspond first: each
/// token of the name with fewer tokens stands for a different token of the other (alike by
/// Jaro-Winkler at [`TOKEN_FLOOR`] or more, or with the same skeleton), and the other has at
/// most one token more (a middle name, costing [`MISSING_TOKEN_PENALTY`]) and only when the
/// shorter has two or more; otherwise the score is 0. Then the score is the best of the names
/// as written, with their tokens sorted (word order), and, when both have two tokens or more,
/// their skeletons less [`SKELETON_PENALTY`].
#[allow(clippy::float_arithmetic, reason = "a similarity, not money: penalties are subtracted from it")]
pub fn score(query: &NameForms, listed: &NameForms) -> f64 {
    let Some(missing_tokens) = unmatched_tokens(query, listed) else {
        return 0.0;
    };
    let mut best = strsim::jaro_winkler(&query.full, &listed.full)
        .max(strsim::jaro_winkler(&query.sorted, &listed.sorted));
    if query.tokens.len() >= 2 && listed.tokens.len() >= 2 {
        best = best.max(strsim::jaro_winkler(&query.skeleton, &listed.skeleton) - SKELETON_PENALTY);
    }
    (best - MISSING_TOKEN_PENALTY * missing_tokens as f64).max(0.0)
}

/// How many tokens of the longer name stand for none of the shorter's, when every token of the
/// shorter stands for one of the longer's and at most one is left (see [`score`]).
fn unmatched_tokens(a: &NameForms, b: &NameForms) -> Option<usize> {
    let (short, long) = if a.tokens.len() <= b.tokens.len() { (a, b) } else { (b, a) };
    let missing = long.tokens.len() - short.tokens.len();
    if short.tokens.is_empty() || missing > 1 || (missing == 1 && short.tokens.len() < 2) {
        return None;
    }
    let mut taken = vec![false; long.tokens.len()];
    for (token, token_skeleton) in short.tokens.iter().zip(&short.token_skeletons) {
        let best = (0..long.tokens.len())
            .filter(|&j| !taken[j])
            .map(|j| {
                (j, strsim::jaro_winkler(token, &long.tokens[j]), *token_skeleton == long.token_skeletons[j])
            })
            .filter(|&(_, similarity, same_skeleton)| similarity >= TOKEN_FLOOR || same_skeleton)
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        taken[best.0] = true;
    }
    Some(missing)
}

#[cfg(test)]
mod tests;
