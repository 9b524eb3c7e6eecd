//! What a SKU may be: 1–64 printable characters, no surrounding white space.

/// What is wrong with a SKU, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("must not be empty")]
    Empty,
    #[error("is {0} characters long; at most 64 are allowed")]
    TooLong(usize),
    #[error("must contain only printable characters")]
    NotPrintable,
    #[error("must not start or end with white space")]
    Padded,
    #[error("must not contain '/' (it appears in URL paths)")]
    Slash,
}

/// Checks a SKU.
pub fn validate(sku: &str) -> Result<(), SkuError> {
    let len = sku.chars().count();
    if len == 0 {
        return Err(SkuError::Empty);
    }
    if len > 64 {
        return Err(SkuError::TooLong(len));
    }
    if sku.chars().any(|c| c.is_control()) {
        return Err(SkuError::NotPrintable);
    }
    if sku.trim() != sku {
        return Err(SkuError::Padded);
    }
    if sku.contains('/') {
        return Err(SkuError::Slash);
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
