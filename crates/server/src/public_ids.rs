//! Public ids and cursors: what the API calls the server's rows.
//!
//! An activity id is its ledger transfer id, encrypted with a 64-bit Feistel permutation
//! keyed by a secret every instance shares: `tr_` + 13 base32 characters. No lookup table, no
//! sequence to enumerate, and a tampered id decodes to a transfer nobody owns (so `404`).
//! The permutation is tweaked by the id's type (its prefix is in every round), so row 1 of
//! requests (`rq_…`) and row 1 of cards (`card_…`) have unrelated bodies, and a body moved
//! under another prefix names an unrelated row (so `404`), never the same row number of
//! another table. (Ids issued before this tweak no longer decode: a breaking change, see
//! ARCHITECTURE.md.)
//! A page cursor is a ledger timestamp with an HMAC, so a tampered cursor is recognised.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const ROUNDS: u8 = 4;

/// Encodes and decodes ids and cursors with the database's secrets.
#[derive(Clone, Debug)]
pub struct PublicIds {
    id_key: [u8; 32],
    cursor_key: [u8; 32],
}

impl PublicIds {
    pub fn new(id_key: [u8; 32], cursor_key: [u8; 32]) -> PublicIds {
        PublicIds { id_key, cursor_key }
    }

    /// One round's function: the key, the id's type (its prefix, length first so no prefix is
    /// another's beginning), the round and the half.
    fn round(&self, prefix: &str, round: u8, half: u32) -> u32 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.id_key).unwrap_or_else(|_| unreachable!());
        mac.update(&[u8::try_from(prefix.len()).unwrap_or(u8::MAX)]);
        mac.update(prefix.as_bytes());
        mac.update(&[round]);
        mac.update(&half.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }

    fn permute(&self, prefix: &str, value: u64) -> u64 {
        let (mut left, mut right) = ((value >> 32) as u32, value as u32);
        for round in 0..ROUNDS {
            (left, right) = (right, left ^ self.round(prefix, round, right));
        }
        (u64::from(left) << 32) | u64::from(right)
    }

    fn unpermute(&self, prefix: &str, value: u64) -> u64 {
        let (mut left, mut right) = ((value >> 32) as u32, value as u32);
        for round in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.round(prefix, round, left), left);
        }
        (u64::from(left) << 32) | u64::from(right)
    }

    /// `prefix_` and the encrypted id.
    pub fn encode(&self, prefix: &str, id: i64) -> String {
        let bytes = self.permute(prefix, id.cast_unsigned()).to_be_bytes();
        format!("{prefix}_{}", data_encoding::BASE32_DNSSEC.encode(&bytes))
    }

    /// The id behind `text`, if it is one of ours with this prefix.
    pub fn decode(&self, prefix: &str, text: &str) -> Option<i64> {
        let body = text.strip_prefix(prefix)?.strip_prefix('_')?;
        let bytes = data_encoding::BASE32_DNSSEC.decode(body.as_bytes()).ok()?;
        let bytes: [u8; 8] = bytes.try_into().ok()?;
        let id = self.unpermute(prefix, u64::from_be_bytes(bytes)).cast_signed();
        (id > 0).then_some(id)
    }

    fn cursor_mac(&self, position: i64) -> [u8; 8] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.cursor_key).unwrap_or_else(|_| unreachable!());
        mac.update(&position.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        let mut tag = [0u8; 8];
        tag.copy_from_slice(&digest[..8]);
        tag
    }

    /// An opaque cursor for `position` (a ledger timestamp).
    pub fn cursor(&self, position: i64) -> String {
        let mut bytes = position.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.cursor_mac(position));
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position behind a cursor we issued; `None` for anything else.
    pub fn read_cursor(&self, cursor: &str) -> Option<i64> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
        let (position, tag) = bytes.split_at_checked(8)?;
        let position = i64::from_be_bytes(position.try_into().ok()?);
        (tag == self.cursor_mac(position)).then_some(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> PublicIds {
        PublicIds::new([7; 32], [9; 32])
    }

    #[test]
    fn ids_round_trip_and_reveal_nothing_obvious() {
        let ids = ids();
        for id in [1, 2, 3, 1_000, 123_456_789, i64::MAX] {
            let text = ids.encode("tr", id);
            assert!(text.starts_with("tr_") && text.len() == 3 + 13, "{text}");
            assert_eq!(ids.decode("tr", &text), Some(id), "{text}");
        }
        // Neighbours look nothing alike.
        let (one, two) = (ids.encode("tr", 1), ids.encode("tr", 2));
        assert_ne!(one[3..6], two[3..6]);
        // Another key reads another id.
        assert_ne!(PublicIds::new([8; 32], [9; 32]).decode("tr", &one), Some(1));
    }

    #[test]
    fn foreign_or_broken_ids_are_refused() {
        let ids = ids();
        let good = ids.encode("tr", 42);
        for bad in ["", "tr_", "tr_!!!", "dep_aaaaaaaaaaaaa", &good[..good.len() - 1], &format!("{good}0")] {
            assert_eq!(ids.decode("tr", bad), None, "{bad:?}");
        }
        assert_eq!(ids.decode("rq", &good), None, "the prefix is part of the id");
    }

    #[test]
    fn each_type_of_id_has_its_own_body_for_the_same_row() {
        let ids = ids();
        let prefixes = ["tr", "tip", "rq", "card", "ba", "we", "key", "dep", "wd", "re"];
        for row in [1, 2, 42, 1_000_000] {
            let bodies: Vec<String> =
                prefixes.iter().map(|p| ids.encode(p, row)[p.len() + 1..].to_string()).collect();
            for (i, body) in bodies.iter().enumerate() {
                assert!(!bodies[i + 1..].contains(body), "{} shares {body} for row {row}", prefixes[i]);
                // Each still decodes to its row under its own prefix, and to another row (or
                // none) under any other.
                assert_eq!(ids.decode(prefixes[i], &format!("{}_{body}", prefixes[i])), Some(row));
                for other in prefixes.iter().filter(|p| **p != prefixes[i]) {
                    assert_ne!(ids.decode(other, &format!("{other}_{body}")), Some(row), "{other}_{body}");
                }
            }
        }
    }

    #[test]
    fn cursors_detect_tampering() {
        let ids = ids();
        let cursor = ids.cursor(1_700_000_000_123_456_789);
        assert_eq!(ids.read_cursor(&cursor), Some(1_700_000_000_123_456_789));
        let mut tampered = cursor.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(ids.read_cursor(&String::from_utf8(tampered).unwrap_or_default()), None);
        assert_eq!(ids.read_cursor("garbage"), None);
        assert_eq!(ids.read_cursor(""), None);
    }
}
