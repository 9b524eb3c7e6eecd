//! Fulfilment rules: which units of an order a fulfilment ships, and what is refused.

/// One order line as a fulfilment sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineState {
    pub id: i64,
    pub external_id: String,
    pub sku: String,
    /// Units not yet shipped (by the channel or through Chorus).
    pub remaining: i64,
}

/// A line asked for: by SKU or by line id, with a quantity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    pub sku: Option<String>,
    pub line_id: Option<i64>,
    pub quantity: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FulfilError {
    #[error("the fulfilment ships nothing")]
    Empty,
    #[error("line {0} is not on this order")]
    UnknownLine(String),
    #[error("{what}: {asked} asked, {left} left to fulfil")]
    TooMuch { what: String, asked: i64, left: i64 },
    #[error("{0}: quantity must be at least 1")]
    BadQuantity(String),
}

/// The (line id, SKU, quantity) a fulfilment ships. `None` asks for everything still
/// unfulfilled; a SKU asked for is taken from its lines in order.
pub fn plan(lines: &[LineState], requested: Option<&[Requested]>) -> Result<Vec<(i64, String, i64)>, FulfilError> {
    let mut left: Vec<i64> = lines.iter().map(|l| l.remaining.max(0)).collect();
    let mut out: Vec<(i64, String, i64)> = Vec::new();
    let take = |left: &mut Vec<i64>, i: usize, q: i64, out: &mut Vec<(i64, String, i64)>| {
        left[i] -= q;
        match out.iter_mut().find(|(id, _, _)| *id == lines[i].id) {
            Some(entry) => entry.2 += q,
            None => out.push((lines[i].id, lines[i].sku.clone(), q)),
        }
    };
    match requested {
        None => {
            for (i, l) in lines.iter().enumerate() {
                if l.remaining > 0 {
                    take(&mut left, i, l.remaining, &mut out);
                }
            }
        }
        Some(asked) => {
            for r in asked {
                let what = match (&r.line_id, &r.sku) {
                    (Some(id), _) => format!("line {id}"),
                    (None, Some(sku)) => format!("SKU {sku}"),
                    (None, None) => return Err(FulfilError::UnknownLine("(neither sku nor line_id)".into())),
                };
                if r.quantity < 1 {
                    return Err(FulfilError::BadQuantity(what));
                }
                let matching: Vec<usize> = (0..lines.len())
                    .filter(|&i| match (r.line_id, &r.sku) {
                        (Some(id), _) => lines[i].id == id,
                        (None, Some(sku)) => &lines[i].sku == sku,
                        _ => false,
                    })
                    .collect();
                if matching.is_empty() {
                    return Err(FulfilError::UnknownLine(what));
                }
                let available: i64 = matching.iter().map(|&i| left[i]).sum();
                if r.quantity > available {
                    return Err(FulfilError::TooMuch { what, asked: r.quantity, left: available });
                }
                let mut need = r.quantity;
                for i in matching {
                    let q = need.min(left[i]);
                    if q > 0 {
                        take(&mut left, i, q, &mut out);
                        need -= q;
                    }
                }
            }
        }
    }
    if out.is_empty() {
        return Err(FulfilError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<LineState> {
        vec![
            LineState { id: 1, external_id: "a".into(), sku: "A".into(), remaining: 2 },
            LineState { id: 2, external_id: "b".into(), sku: "B".into(), remaining: 1 },
            LineState { id: 3, external_id: "c".into(), sku: "A".into(), remaining: 1 },
        ]
    }

    fn ask(sku: &str, quantity: i64) -> Requested {
        Requested { sku: Some(sku.into()), line_id: None, quantity }
    }

    #[test]
    fn everything_left_when_nothing_is_named() {
        assert_eq!(plan(&lines(), None).unwrap(), vec![(1, "A".into(), 2), (2, "B".into(), 1), (3, "A".into(), 1)]);
    }

    #[test]
    fn a_sku_spreads_over_its_lines_and_never_beyond_what_is_left() {
        assert_eq!(plan(&lines(), Some(&[ask("A", 3)])).unwrap(), vec![(1, "A".into(), 2), (3, "A".into(), 1)]);
        assert_eq!(
            plan(&lines(), Some(&[ask("A", 2), ask("A", 2)])),
            Err(FulfilError::TooMuch { what: "SKU A".into(), asked: 2, left: 1 })
        );
    }

    #[test]
    fn refuses_unknown_lines_empty_and_zero() {
        assert!(matches!(plan(&lines(), Some(&[ask("Z", 1)])), Err(FulfilError::UnknownLine(_))));
        assert!(matches!(plan(&lines(), Some(&[ask("A", 0)])), Err(FulfilError::BadQuantity(_))));
        let done: Vec<LineState> = lines().into_iter().map(|l| LineState { remaining: 0, ..l }).collect();
        assert_eq!(plan(&done, None), Err(FulfilError::Empty));
        let by_id = Requested { sku: None, line_id: Some(2), quantity: 1 };
        assert_eq!(plan(&lines(), Some(&[by_id])).unwrap(), vec![(2, "B".into(), 1)]);
    }
}
