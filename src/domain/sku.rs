//! What a SKU may be: 1–64 printable characters, no surrounding white space.

/// Checks a SKU; the error says what is wrong in words an operator can act on.
pub fn validate(sku: &str) -> Result<(), String> {
    let len = sku.chars().count();
    if len == 0 {
        return Err("must not be empty".into());
    }
    if len > 64 {
        return Err(format!("is {len} characters long; at most 64 are allowed"));
    }
    if sku.chars().any(|c| c.is_control()) {
        return Err("must contain only printable characters".into());
    }
    if sku.trim() != sku {
        return Err("must not start or end with white space".into());
    }
    if sku.contains('/') {
        return Err("must not contain '/' (it appears in URL paths)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_ordinary_skus() {
        for sku in ["SKU-1", "a", "TSHIRT_RED_XL", "café-42", &"x".repeat(64)] {
            assert!(validate(sku).is_ok(), "{sku}");
        }
    }

    #[test]
    fn refuses_bad_skus() {
        for sku in ["", " x", "x ", "a\nb", "a/b", &"x".repeat(65), "\u{7}"] {
            assert!(validate(sku).is_err(), "{sku:?}");
        }
    }
}
