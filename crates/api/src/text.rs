//! Person-written text: the one cleaning rule every field a person (or a merchant) writes for
//! others to read takes on input, server side, and the browser previews. Notes and tip
//! messages, display names, merchant and key names, checkout descriptions, goal titles and bank
//! holder names all go through [`clean_text`]; only the lines allowed and the bounds differ.
//!
//! What is removed, and why:
//! - Unicode bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C):
//!   they make `exe.jpg` read as `gpj.exe` or a reversed name read as a real one.
//! - Invisible format characters (Unicode's default-ignorable code points: zero-width space,
//!   word joiner and invisible operators, soft hyphen, the byte-order mark, Hangul fillers,
//!   tag characters, interlinear annotation marks…): they hide text and make two names that
//!   look the same differ.
//! - Control characters, except a note's line breaks.
//!
//! What is kept because a script needs it: the zero-width joiner and non-joiner (U+200D,
//! U+200C) *between two non-ASCII visible characters*, where Persian, Arabic and Indic scripts
//! and emoji sequences (👨‍👩‍👧) use them; beside ASCII, a space, the start or the end they join
//! nothing and are removed. Variation selectors (emoji or text presentation, CJK variants,
//! Mongolian free variation selectors) are kept right after a visible character and removed
//! anywhere else. Tag characters are removed outright, so the subdivision flags of England,
//! Scotland and Wales show as a plain black flag: a fair price for closing a way to hide text.
//!
//! Whitespace is normalised: every space-like character becomes a plain space, runs of spaces
//! become one, and the ends are trimmed. One-line fields turn line breaks into spaces; notes
//! keep `\n` (a `\r\n` becomes `\n`, U+2028/U+2029 become `\n`).

/// Whether line breaks are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// A name, a title, a description: line breaks become spaces.
    One,
    /// A note or a message: line breaks stay `\n`.
    Many,
}

/// Why a cleaned text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("nothing is left once hidden characters and spaces are removed")]
    Empty,
    #[error("it has more than {0} characters")]
    TooLong(usize),
}

/// Characters that are always removed: bidi controls, invisible format characters, and
/// controls other than the line breaks and tabs [`clean_text`] turns into `\n` or a space.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                    // soft hyphen
        | '\u{034F}'                  // combining grapheme joiner
        | '\u{061C}'                  // Arabic letter mark
        | '\u{115F}' | '\u{1160}'     // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'     // Khmer inherent vowels (invisible)
        | '\u{180E}'                  // Mongolian vowel separator
        | '\u{200B}'                  // zero-width space
        | '\u{200E}' | '\u{200F}'     // LRM, RLM
        | '\u{202A}'..='\u{202E}'     // LRE, RLE, PDF, LRO, RLO
        | '\u{2060}'..='\u{206F}'     // word joiner, invisible operators, LRI, RLI, FSI, PDI, deprecated formats
        | '\u{3164}' | '\u{FFA0}'     // Hangul fillers
        | '\u{FEFF}'                  // zero-width no-break space (BOM)
        | '\u{FFF0}'..='\u{FFFB}'     // unassigned specials, interlinear annotation
        | '\u{1BCA0}'..='\u{1BCA3}'   // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'   // musical symbol formats
        | '\u{E0000}'..='\u{E00FF}'   // tag characters
        | '\u{E01F0}'..='\u{E0FFF}'   // unassigned default-ignorables
    ) || (c.is_control() && !matches!(c, '\n' | '\t' | '\u{0085}'))
}

/// Zero-width joiner and non-joiner: kept only between two non-ASCII visible characters.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Variation selectors (and Mongolian free variation selectors): kept only right after a
/// visible character.
fn is_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}')
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

/// A visible character a joiner may stand beside: not ASCII, not a space, not itself a
/// joiner, selector or hidden character.
fn joins(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !is_joiner(c) && !is_selector(c) && !is_hidden(c)
}

/// `raw` cleaned by the one rule (see the module's header). The result may be empty.
pub fn clean_text(raw: &str, lines: Lines) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let last = out.chars().next_back();
        if is_line_break(c) {
            match lines {
                Lines::Many => {
                    if last == Some(' ') {
                        out.pop();
                    }
                    out.push('\n');
                }
                Lines::One => push_space(&mut out),
            }
        } else if is_joiner(c) {
            let next = chars.peek().copied();
            // After an emoji's presentation selector too (👁️‍🗨️).
            if last.is_some_and(|l| joins(l) || is_selector(l)) && next.is_some_and(joins) {
                out.push(c);
            }
        } else if is_selector(c) {
            if last.is_some_and(|l| !l.is_whitespace() && !is_joiner(l) && !is_selector(l)) {
                out.push(c);
            }
        } else if is_hidden(c) {
            // Removed.
        } else if c.is_whitespace() {
            if last != Some('\n') {
                push_space(&mut out);
            }
        } else {
            out.push(c);
        }
    }
    out.trim_matches([' ', '\n']).to_string()
}

/// A space, unless the text so far is empty or already ends with one.
fn push_space(out: &mut String) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
}

/// `raw` cleaned, then held to 1 to `max_chars` characters (counted after cleaning).
pub fn clean_bounded(raw: &str, lines: Lines, max_chars: usize) -> Result<String, TextError> {
    let cleaned = clean_text(raw, lines);
    if cleaned.is_empty() {
        return Err(TextError::Empty);
    }
    if cleaned.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lines: Lines, cases: &[(&str, &str)]) {
        for (raw, expected) in cases {
            assert_eq!(clean_text(raw, lines), *expected, "{raw:?} ({lines:?})");
        }
    }

    #[test]
    fn bidi_controls_are_removed_from_every_kind_of_text() {
        let cases = [
            // The RLO trick: "Bob Okafor\u{202E}gpj.exe" reads as "Bob Okaforexe.jpg".
            ("Bob Okafor\u{202E}gpj.exe", "Bob Okaforgpj.exe"),
            ("\u{202D}Souq Books\u{202C}", "Souq Books"),
            ("a\u{2066}b\u{2067}c\u{2068}d\u{2069}e", "abcde"),
            ("\u{200E}left\u{200F}right\u{061C}", "leftright"),
            ("x\u{202A}y\u{202B}z", "xyz"),
        ];
        check(Lines::One, &cases);
        check(Lines::Many, &cases);
    }

    #[test]
    fn invisible_and_control_characters_are_removed() {
        check(
            Lines::One,
            &[
                ("B\u{200B}ob", "Bob"),
                ("\u{FEFF}Bob\u{2060}", "Bob"),
                ("so\u{00AD}ft", "soft"),
                ("\u{3164}", ""),
                ("\u{115F}\u{1160}\u{FFA0}", ""),
                ("a\u{7}b\u{0}c\u{1B}[31md", "abc[31md"),
                ("tag\u{E0041}\u{E0042}\u{E007F}s", "tags"),
                ("note\u{FFF9}hidden\u{FFFB}", "notehidden"),
                ("\u{2062}\u{2063}\u{2064}", ""),
            ],
        );
    }

    #[test]
    fn joiners_stay_only_where_a_script_or_an_emoji_needs_them() {
        check(
            Lines::One,
            &[
                // Persian: "می‌خواهم" needs its ZWNJ.
                ("می\u{200C}خواهم", "می\u{200C}خواهم"),
                // An emoji family is three people joined.
                ("👨\u{200D}👩\u{200D}👧", "👨\u{200D}👩\u{200D}👧"),
                // Devanagari half forms.
                ("क्\u{200D}ष", "क्\u{200D}ष"),
                // Beside ASCII, at the ends, beside a space or doubled: removed.
                ("B\u{200D}ob", "Bob"),
                ("\u{200C}Bob\u{200D}", "Bob"),
                ("👨\u{200D} 👩", "👨 👩"),
                ("👨\u{200D}\u{200D}👩", "👨\u{200D}👩"),
                ("\u{200D}", ""),
            ],
        );
    }

    #[test]
    fn variation_selectors_stay_after_a_visible_character() {
        check(
            Lines::One,
            &[
                ("❤\u{FE0F}", "❤\u{FE0F}"),
                ("1\u{FE0F}\u{20E3}", "1\u{FE0F}\u{20E3}"),
                ("👁\u{FE0F}\u{200D}🗨\u{FE0F}", "👁\u{FE0F}\u{200D}🗨\u{FE0F}"),
                ("\u{FE0F}Bob", "Bob"),
                ("a \u{FE0F}b", "a b"),
                ("a\u{FE0F}\u{FE0F}\u{FE0F}", "a\u{FE0F}"),
            ],
        );
    }

    #[test]
    fn whitespace_is_normalised_and_notes_keep_their_lines() {
        check(
            Lines::One,
            &[
                ("  Alice   Doe  ", "Alice Doe"),
                ("Alice\tDoe", "Alice Doe"),
                ("Alice\nDoe\r\n", "Alice Doe"),
                ("Alice\u{00A0}\u{3000}Doe", "Alice Doe"),
                ("Alice\u{2028}Doe", "Alice Doe"),
                ("   ", ""),
                ("لينا", "لينا"),
            ],
        );
        check(
            Lines::Many,
            &[
                ("line one\nline two\u{7}", "line one\nline two"),
                ("line one \r\n  line two", "line one\nline two"),
                ("a\u{2029}b", "a\nb"),
                ("\n\n  lunch 🍕  \n", "lunch 🍕"),
                ("شكرا على الغداء", "شكرا على الغداء"),
            ],
        );
    }

    #[test]
    fn bounds_count_characters_after_cleaning() {
        assert_eq!(clean_bounded(" \u{200B} ", Lines::One, 5), Err(TextError::Empty));
        assert_eq!(clean_bounded("abcdef", Lines::One, 5), Err(TextError::TooLong(5)));
        assert_eq!(clean_bounded("ab\u{202E}cde", Lines::One, 5).as_deref(), Ok("abcde"));
        assert_eq!(clean_bounded("ééééé", Lines::One, 5).as_deref(), Ok("ééééé"));
    }
}
