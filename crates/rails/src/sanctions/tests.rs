//! The matching functions one by one, then [`SanctionsList`] on files: the shipped fictional
//! list, aliases, versions and reloading.

use std::io::Write;
use std::path::PathBuf;

use super::*;

/// The fictional list the server ships.
const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/data/sanctions/sdn.csv");

fn hits(query: &str, listed: &str) -> (bool, f64) {
    let score = score(&NameForms::of(query), &NameForms::of(listed));
    (score >= DEFAULT_THRESHOLD, score)
}

/// Asserts whether each `query` hits its `listed` name (an individual's, `LAST, First`) at the
/// default threshold.
fn check(cases: &[(&str, &str, bool)]) {
    for (query, listed, expected) in cases {
        let (hit, score) = hits(query, listed);
        assert_eq!(hit, *expected, "{query:?} against {listed:?} scored {score:.3}");
    }
}

#[test]
fn normalise_folds_case_accents_punctuation_titles_and_the_article() {
    for (name, expected) in [
        ("José Müller", "jose muller"),
        ("  JOHN   o'BRIEN-smith ", "john o brien smith"),
        ("Dr. Ahmed al-Sayed", "ahmed sayed"),
        ("Sheikh Haji Omar El Masri", "omar masri"),
        ("Mr Mrs Ms Prof Shaikh Omar", "omar"),
        ("Al-Hajj Yusuf", "yusuf"),
        ("Straße Łukasz Øster", "strasse lukasz oster"),
        ("Zoë Saldaña", "zoe saldana"),
        ("سمير حداد", "smir hdad"),
        ("", ""),
    ] {
        assert_eq!(normalise(name), expected, "{name:?}");
    }
}

#[test]
fn transliterate_arabic_writes_one_latin_letter_or_digraph_per_letter() {
    for (arabic, latin) in [
        ("محمد", "mhmd"),
        ("مُحَمَّد", "mhmd"),                           // tashkeel and shadda dropped
        ("فاطمة", "fatma"),                         // ta marbuta
        ("أحمد إبراهيم آمنة", "ahmd abrahim amna"), // alef forms
        ("مؤمن", "mumn"),                           // hamza on waw
        ("الرشيد", "al rshid"),                     // the article, apart
        ("يوسف وليد", "yusf wlid"),                 // waw and yeh: consonants first, long vowels inside
        ("خالد شريف", "khald shrif"),               // digraphs
        ("عمر", "amr"),                             // ayn
        ("مصطفى", "mstfa"),                         // alef maqsura
        ("Omar عمر", "Omar amr"),                   // Latin left as it is
    ] {
        assert_eq!(transliterate_arabic(arabic), latin, "{arabic}");
    }
}

#[test]
fn skeleton_keeps_the_consonants_once_and_a_first_vowel_as_a() {
    for (token, expected) in [
        ("mohammed", "mhmd"),
        ("muhammad", "mhmd"),
        ("mhmd", "mhmd"),
        ("haddad", "hdd"),
        ("hdad", "hdd"),
        ("omar", "amr"),
        ("amr", "amr"),
        ("youssef", "ysf"),
        ("yusf", "ysf"),
        ("marwan", "mrn"),
        ("a", "a"),
    ] {
        assert_eq!(skeleton(token), expected, "{token}");
    }
}

#[test]
fn last_first_is_read_first_last() {
    for (name, expected) in [
        ("AL-RASHID, Tariq Mahmoud", "Tariq Mahmoud AL-RASHID"),
        ("Smith, John", "John Smith"),
        ("John Smith", "John Smith"),
        ("NORTHWIND,", "NORTHWIND,"),
    ] {
        assert_eq!(last_first_to_first_last(name), expected);
    }
}

#[test]
fn spelling_variants_hit() {
    check(&[
        ("Mohammed Nabil Qadiri", "QADIRI, Muhammad Nabil", true),
        ("Muhammad Karimi", "KARIMI, Mohammed", true),
        ("Youssef Ibrahim al-Fahdi", "AL-FAHDI, Yusuf Ibrahim", true),
        ("Khaled Umar Zahrani", "ZAHRANI, Khalid Omar", true),
        ("Tareq Rashed", "AL-RASHID, Tariq", true),
    ]);
}

#[test]
fn word_order_and_last_first_do_not_matter() {
    check(&[
        ("Smith, John", "John Smith", true),
        ("John Smith", "SMITH, John", true),
        ("Smith John", "SMITH, John", true),
        ("Ibrahim Yusuf al-Fahdi", "AL-FAHDI, Yusuf Ibrahim", true),
    ]);
}

#[test]
fn accents_and_case_do_not_matter() {
    check(&[
        ("José Müller", "MULLER, Jose", true),
        ("Jose Muller", "MÜLLER, José", true),
        ("JOSÉ ANSELMO MÜLLER", "MÜLLER, José Anselmo", true),
    ]);
}

#[test]
fn arabic_script_hits_its_latin_entry() {
    check(&[
        ("سمير حداد", "HADDAD, Samir", true),
        ("طارق الرشيد", "AL-RASHID, Tariq", true),
        ("محمد نبيل قادري", "QADIRI, Muhammad Nabil", true),
        ("يوسف إبراهيم الفهدي", "AL-FAHDI, Yusuf Ibrahim", true),
        // The same letters, another name.
        ("سمير حداد", "HADDAD, Omar", false),
    ]);
}

#[test]
fn honorifics_do_not_matter() {
    check(&[
        ("Dr. Samir Haddad", "HADDAD, Samir", true),
        ("Sheikh Khalid Omar Zahrani", "ZAHRANI, Khalid Omar", true),
        ("Mr. Darius Karimov", "KARIMOV, Darius", true),
        ("الشيخ سمير حداد", "HADDAD, Samir", true),
    ]);
}

#[test]
fn common_names_near_a_listed_one_do_not_hit() {
    check(&[
        // Full-string Jaro-Winkler scores this 0.90: the shared beginning.
        ("Ali Hassan Khan", "MAHMOUD, Ali Hassan", false),
        ("Hassan Ali Khan", "MAHMOUD, Ali Hassan", false),
        // A listed name with a token more.
        ("Ali Hassan", "MAHMOUD, Ali Hassan", false),
        ("Maria Garcia", "GARCIA RIOS, Mariana Estela", false),
        ("Maria Garcia", "GARCIA, Marco", false),
        ("Mohammed", "QADIRI, Muhammad Nabil", false),
        ("Mohammed Ali", "QADIRI, Muhammad Nabil", false),
        ("Samir Hamdan", "HADDAD, Samir", false),
        ("Samir Hamdi", "HADDAD, Samir", false),
        ("Darius Karimzadeh", "KARIMOV, Darius", false),
        ("Darius Karimi", "KARIMOV, Dariusz Petr", false),
        ("Omar Farouk", "ZAHRANI, Khalid Omar", false),
    ]);
}

#[test]
fn a_near_miss_scores_high_but_below_the_threshold() {
    // A name without the listed middle name: the one kind of near miss Jaro-Winkler leaves
    // below 0.90 (the shipped list catches "Tariq al-Rashid" by an alias).
    for (query, listed) in [
        ("Layla Darwish", "DARWISH, Layla Munir"),
        ("Irina Volkov", "VOLKOVA, Irina Pavlovna"),
        ("Tariq al-Rashid", "AL-RASHID, Tariq Mahmoud"),
    ] {
        let (hit, score) = hits(query, listed);
        assert!(!hit && score > 0.80, "{query:?} against {listed:?} scored {score:.3}");
    }
}

#[test]
fn a_truly_close_name_hits() {
    check(&[("Maria Garcia", "GARCIA, Marina", true), ("Darius Karimov", "KARIMOV, Dariush", true)]);
}

#[test]
fn names_with_nothing_left_match_nothing() {
    check(&[("Dr. Mr.", "HADDAD, Samir", false), ("", "HADDAD, Samir", false), ("!!", "", false)]);
}

/// A folder holding `sdn.csv` (and `alt.csv` when given).
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(sdn: &str, alt: Option<&str>) -> Files {
        let files = Files { dir: tempfile::tempdir().unwrap() };
        files.write("sdn.csv", sdn);
        if let Some(alt) = alt {
            files.write("alt.csv", alt);
        }
        files
    }

    fn sdn(&self) -> PathBuf {
        self.dir.path().join("sdn.csv")
    }

    fn write(&self, name: &str, text: &str) {
        // As an operator should: a complete copy renamed over the old one.
        let part = self.dir.path().join(format!("{name}.part"));
        fs::File::create(&part).unwrap().write_all(text.as_bytes()).unwrap();
        fs::rename(&part, self.dir.path().join(name)).unwrap();
    }
}

const SDN: &str = "1,\"HADDAD, Samir\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
2,\"NORTHWIND SHIPPING LLC\",-0- ,\"IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
3,\"MV KAREEM STAR\",\"vessel\",\"IRAN\",-0- ,\"9999\",\"Tanker\",-0- ,-0- ,-0- ,-0- ,-0- \r\n\
\u{1a}\r\n";
const ALT: &str = "1,101,\"aka\",\"AL-BARQ, Abu Samir\",-0- \r\n2,102,\"fka\",\"BOREAS MARITIME\",-0- \r\n\
3,103,\"aka\",\"KAREEM STAR\",-0- \r\n";

#[test]
fn the_shipped_list_loads_and_hits_its_test_entries() {
    let list = SanctionsList::open(SHIPPED, DEFAULT_THRESHOLD).unwrap();
    assert!(list.len() >= 30, "{} entries", list.len());
    for (name, entry) in [
        ("Tariq al-Rashid", Some("AL-RASHID, Tariq Mahmoud")),
        ("Tareq al Rashed", Some("AL-RASHID, Tariq Mahmoud")),
        ("Tariq Mahmoud Al Rashid", Some("AL-RASHID, Tariq Mahmoud")),
        ("سمير حداد", Some("HADDAD, Samir")),
        ("Samir Haddad", Some("HADDAD, Samir")),
        ("Northwind Maritime LLC", Some("NORTHWIND SHIPPING LLC")),
        ("Omar Farouk", None),
        ("Ali Hassan Khan", None),
        ("Maria Garcia", None),
        // A vessel is not screened.
        ("MV Northwind Star", None),
    ] {
        let hit = list.best_match(name);
        assert_eq!(hit.as_ref().map(|hit| hit.entry.as_str()), entry, "{name:?}: {hit:?}");
        if let Some(hit) = hit {
            assert_eq!(hit.list_version, list.list_version());
            assert!(hit.score >= DEFAULT_THRESHOLD && hit.score <= 1.0, "{hit:?}");
        }
    }
}

#[test]
fn aliases_from_alt_csv_hit_as_their_entry_and_vessels_are_skipped() {
    let files = Files::new(SDN, Some(ALT));
    let list = SanctionsList::open(files.sdn(), DEFAULT_THRESHOLD).unwrap();
    assert_eq!(list.len(), 2, "the vessel and the end-of-file line are skipped");
    for (name, entry) in [
        ("Abu Samir al-Barq", Some("HADDAD, Samir")),
        ("Boreas Maritime", Some("NORTHWIND SHIPPING LLC")),
        ("Kareem Star", None),
    ] {
        assert_eq!(list.best_match(name).map(|hit| hit.entry), entry.map(str::to_string), "{name:?}");
    }
}

#[test]
fn the_version_names_the_contents_and_reload_reads_them_again() {
    let files = Files::new(SDN, None);
    let list = SanctionsList::open(files.sdn(), DEFAULT_THRESHOLD).unwrap();
    let without_alt = list.list_version();
    assert!(without_alt.starts_with("sha256:") && without_alt.len() == 7 + 16, "{without_alt}");
    assert_eq!(Screening::version(&list), Some(without_alt.clone()));
    assert_eq!(list.best_match("Boreas Maritime"), None);
    assert!(!list.reload().unwrap(), "the same files: the same version");

    files.write("alt.csv", ALT);
    assert!(list.reload().unwrap(), "alt.csv is part of the version");
    let with_alt = list.list_version();
    assert_ne!(with_alt, without_alt);
    assert!(list.best_match("Boreas Maritime").is_some());

    // The same bytes in a new folder: the same version.
    let again = Files::new(SDN, Some(ALT));
    assert_eq!(SanctionsList::open(again.sdn(), DEFAULT_THRESHOLD).unwrap().list_version(), with_alt);
}

#[test]
fn screening_reloads_a_replaced_file_after_the_recheck_interval() {
    let files = Files::new(SDN, None);
    let list = SanctionsList::open(files.sdn(), DEFAULT_THRESHOLD).unwrap();
    let first = list.list_version();
    let extra = "4,\"KARIMOV, Darius\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    files.write("sdn.csv", &format!("{SDN}{extra}"));
    // Within the interval (5 s): the list loaded before.
    assert_eq!(list.best_match("Darius Karimov"), None);
    assert_eq!(list.list_version(), first);

    let list = list.with_recheck_interval(Duration::ZERO);
    let hit = list.best_match("Darius Karimov").expect("the new entry");
    assert_ne!(hit.list_version, first);
    assert_eq!(hit.list_version, list.list_version());
}

#[test]
fn a_file_that_cannot_be_read_is_named_and_a_failed_reload_keeps_the_list() {
    let files = Files::new(SDN, None);
    let missing = files.dir.path().join("nowhere/sdn.csv");
    let error = SanctionsList::open(&missing, DEFAULT_THRESHOLD).unwrap_err();
    assert!(error.0.contains("nowhere/sdn.csv"), "{error}");
    assert!(SanctionsList::open(files.sdn(), 1.5).is_err(), "a threshold above 1");

    let list =
        SanctionsList::open(files.sdn(), DEFAULT_THRESHOLD).unwrap().with_recheck_interval(Duration::ZERO);
    let version = list.list_version();
    fs::remove_file(files.sdn()).unwrap();
    assert!(list.reload().is_err());
    assert_eq!(list.best_match("Samir Haddad").map(|hit| hit.list_version), Some(version));
}

#[test]
fn a_threshold_of_one_hits_only_the_same_name() {
    let list = SanctionsList::open(SHIPPED, 1.0).unwrap();
    assert!(list.best_match("samir HADDAD").is_some());
    assert!(list.best_match("Sameer Hadad").is_none());
}

#[test]
fn no_screening_has_no_version() {
    assert_eq!(crate::identity::NoScreening.version(), None);
}
