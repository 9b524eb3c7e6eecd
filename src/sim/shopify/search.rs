//! The order search syntax (`updated_at:>…`, statuses), sort keys and cursors, and SKU searches.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SortKey {
    Id,
    UpdatedAt,
    CreatedAt,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Eq => o == Ordering::Equal,
        }
    }
}

/// The parts of Shopify's search syntax the simulator understands; other terms are ignored.
#[derive(Debug, Default)]
pub(super) struct Search {
    updated: Vec<(Cmp, DateTime<Utc>)>,
    created: Vec<(Cmp, DateTime<Utc>)>,
    financial: Option<String>,
    fulfillment: Option<String>,
    status: Option<String>,
}

pub(super) fn tokens(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in q.chars() {
        match quote {
            Some(qc) if c == qc => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(super) fn parse_search(q: &str) -> Search {
    let mut s = Search::default();
    for tok in tokens(q) {
        let Some((key, value)) = tok.split_once(':') else { continue };
        let (cmp, value) = if let Some(v) = value.strip_prefix(">=") {
            (Cmp::Ge, v)
        } else if let Some(v) = value.strip_prefix("<=") {
            (Cmp::Le, v)
        } else if let Some(v) = value.strip_prefix('>') {
            (Cmp::Gt, v)
        } else if let Some(v) = value.strip_prefix('<') {
            (Cmp::Lt, v)
        } else {
            (Cmp::Eq, value)
        };
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        match key.to_ascii_lowercase().as_str() {
            "updated_at" => s.updated.extend(parse_time(value).map(|t| (cmp, t))),
            "created_at" => s.created.extend(parse_time(value).map(|t| (cmp, t))),
            "financial_status" => s.financial = Some(value.to_ascii_uppercase()),
            "fulfillment_status" => s.fulfillment = Some(value.to_ascii_lowercase()),
            "status" => s.status = Some(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    s
}

impl Search {
    pub(super) fn admits(&self, o: &Order) -> bool {
        let updated = to_second(o.updated_at);
        let created = to_second(o.created_at);
        if !self.updated.iter().all(|(c, t)| c.holds(updated.cmp(t))) {
            return false;
        }
        if !self.created.iter().all(|(c, t)| c.holds(created.cmp(t))) {
            return false;
        }
        if let Some(f) = &self.financial {
            if f != "ANY" && financial_status(o) != f {
                return false;
            }
        }
        if let Some(f) = &self.fulfillment {
            let want = match f.as_str() {
                "unfulfilled" | "unshipped" => "UNFULFILLED",
                "fulfilled" | "shipped" => "FULFILLED",
                "partial" => "PARTIALLY_FULFILLED",
                _ => "",
            };
            if !want.is_empty() && fulfillment_status(o) != want {
                return false;
            }
        }
        match self.status.as_deref() {
            Some("open") => !o.is_cancelled(),
            Some("cancelled") => o.is_cancelled(),
            _ => true,
        }
    }
}

pub(super) fn sort_key(o: &Order, key: SortKey) -> (i64, u64) {
    match key {
        SortKey::Id => (0, o.id),
        SortKey::UpdatedAt => (to_second(o.updated_at).timestamp(), o.id),
        SortKey::CreatedAt => (to_second(o.created_at).timestamp(), o.id),
    }
}

pub(super) fn encode_cursor(k: (i64, u64)) -> String {
    base64::engine::general_purpose::STANDARD.encode(json!({"last_id": k.1, "last_value": k.0}).to_string())
}

pub(super) fn decode_cursor(c: &str) -> Option<(i64, u64)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((v.get("last_value")?.as_i64()?, v.get("last_id")?.as_u64()?))
}

/// The SKUs a `productVariants` search names: `sku:X` terms (quoted or bare) joined by OR.
pub(super) fn sku_terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = q;
    while let Some(at) = rest.find("sku:") {
        rest = &rest[at + 4..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            out.push(value);
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_search_terms() {
        let s = parse_search(
            "updated_at:>='2026-01-01T00:00:00Z' financial_status:paid fulfillment_status:unfulfilled bogus:1",
        );
        assert_eq!(s.updated.len(), 1);
        assert_eq!(s.financial.as_deref(), Some("PAID"));
        assert_eq!(s.fulfillment.as_deref(), Some("unfulfilled"));
        let s = parse_search("updated_at:>2026-01-01T00:00:00Z");
        assert!(matches!(s.updated[0].0, Cmp::Gt));
    }

    #[test]
    fn reads_sku_searches() {
        assert_eq!(sku_terms(r#"sku:"A" OR sku:"B \"x\"" OR sku:C"#), vec!["A", "B \"x\"", "C"]);
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor((1_700_000_000, 42))), Some((1_700_000_000, 42)));
        assert_eq!(decode_cursor("not a cursor"), None);
    }
}
