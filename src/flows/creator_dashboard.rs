//! The creator dashboard's decisions (`pages::creator`): the tip presets typed as a list and
//! checked as the server checks them, and a supporter's name as the creator may know it.

use purse_api::tips::MAX_PRESETS;
use purse_api::{Amount, TipItem};

use crate::text::{Text, t};

/// "1, 5, 10" → `["1.00", "5.00", "10.00"]`: 1 to 6 different amounts by API.md's rule, in the
/// order the server will keep (ascending).
pub fn parse_presets(text: &str) -> Result<Vec<String>, &'static str> {
    let mut amounts = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        let amount = Amount::parse(part, "USD").map_err(|_| t(Text::CreatorPresetsFormat))?;
        amounts.push(amount);
    }
    amounts.sort_by_key(|a| a.to_minor());
    let distinct = amounts.windows(2).all(|pair| pair[0].to_minor() != pair[1].to_minor());
    if amounts.is_empty() || amounts.len() > MAX_PRESETS || !distinct {
        return Err(t(Text::CreatorPresetsFormat));
    }
    Ok(amounts.into_iter().map(|a| a.money().amount_string()).collect())
}

/// The presets as a creator types them: `1.00, 5.00, 10.00`.
pub fn presets_text(presets: &[String]) -> String {
    presets.join(", ")
}

/// Who sent a tip, as the creator may know it.
pub fn supporter_name(item: &TipItem) -> String {
    item.supporter.as_ref().map_or_else(|| t(Text::Anonymous).to_string(), |p| p.display_name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tips_count;

    #[test]
    fn presets_are_typed_as_a_list_and_checked_like_the_server_does() {
        assert_eq!(parse_presets("10, 2.5 1"), Ok(vec!["1.00".into(), "2.50".into(), "10.00".into()]));
        for bad in ["", " , ", "1, 1.00", "1,2,3,4,5,6,7", "1.001", "0", "five"] {
            assert!(parse_presets(bad).is_err(), "{bad:?}");
        }
        assert_eq!(presets_text(&["1.00".into(), "5.00".into()]), "1.00, 5.00");
        assert_eq!(
            (tips_count(1), tips_count(0), tips_count(3)),
            ("1 tip".into(), "0 tips".into(), "3 tips".into())
        );
    }
}
