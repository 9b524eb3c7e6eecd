//! Money: integer minor units plus an ISO 4217 currency code.

/// The ISO 4217 currency a code names, if it is one money is kept in: a code with minor units
/// (funds and special codes such as XAU have none). Data from the `iso_currency` crate.
fn currency(code: &str) -> Option<(iso_currency::Currency, u32)> {
    let c = iso_currency::Currency::from_code(code)?;
    let exponent = c.exponent()?;
    Some((c, u32::from(exponent)))
}

/// The number of decimals a currency's minor unit has (ISO 4217): JPY 0, GBP 2, KWD 3.
pub fn exponent(code: &str) -> Option<u32> {
    currency(code).map(|(_, e)| e)
}

/// A decimal amount as the channels write it ("19.99", "20", "0.5") in the currency's minor
/// units: JPY "600" is 600, GBP "6.00" is 600, KWD "0.600" is 600. None for an unknown
/// currency, a negative amount, or more decimals than the currency has.
pub fn parse_minor(amount: &str, currency_code: &str) -> Option<i64> {
    let places = exponent(currency_code)?;
    let amount = amount.trim();
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Trailing zeros beyond the minor unit carry nothing ("600.00" yen).
    let frac = frac.trim_end_matches('0');
    if frac.len() > places as usize {
        return None;
    }
    let minor: i64 = if places == 0 { 0 } else { format!("{frac:0<width$}", width = places as usize).parse().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(10i64.checked_pow(places)?)?.checked_add(minor)
}

/// A currency code that ISO 4217 does not list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an ISO 4217 currency code such as \"EUR\" or \"USD\"")]
pub struct UnknownCurrency(pub String);

pub fn validate_currency(code: &str) -> Result<(), UnknownCurrency> {
    match currency(code) {
        Some(_) => Ok(()),
        None => Err(UnknownCurrency(code.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_channel_amounts() {
        assert_eq!(parse_minor("19.99", "GBP"), Some(1999));
        assert_eq!(parse_minor("20", "EUR"), Some(2000));
        assert_eq!(parse_minor("0.5", "USD"), Some(50));
        assert_eq!(parse_minor("-1", "USD"), None);
        assert_eq!(parse_minor("1.234", "USD"), None);
        assert_eq!(parse_minor("", "USD"), None);
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(parse_minor("600", "JPY"), Some(600));
        assert_eq!(parse_minor("600.00", "JPY"), Some(600));
        assert_eq!(parse_minor("600.5", "JPY"), None);
        assert_eq!(parse_minor("0.600", "KWD"), Some(600));
        assert_eq!(parse_minor("1.5", "KWD"), Some(1500));
        assert_eq!(parse_minor("1", "XAU"), None, "gold has no minor unit");
        assert_eq!(parse_minor("1", "EUO"), None);
    }

    #[test]
    fn knows_common_codes_and_refuses_others() {
        assert!(validate_currency("EUR").is_ok());
        assert!(validate_currency("GBP").is_ok());
        assert!(validate_currency("eur").is_err());
        assert!(validate_currency("EUO").is_err());
    }
}
