//! Inventory sources: where a quantity comes from (`api`, or `plugin:<id>`).

use std::fmt;
use std::str::FromStr;

use super::ids::PluginId;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Api,
    Plugin(PluginId),
}

/// A name that is not a source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a source; use \"api\" or \"plugin:<id>\"")]
pub struct UnknownSource(pub String);

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Api => f.write_str("api"),
            Source::Plugin(id) => write!(f, "plugin:{id}"),
        }
    }
}

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "api" {
            return Ok(Source::Api);
        }
        match s.strip_prefix("plugin:").map(str::parse::<i64>) {
            Some(Ok(id)) if id > 0 => Ok(Source::Plugin(PluginId(id))),
            _ => Err(UnknownSource(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Source;

    #[test]
    fn round_trips() {
        for s in ["api", "plugin:7"] {
            assert_eq!(s.parse::<Source>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn refuses_unknown_sources() {
        for s in ["", "API", "plugin:", "plugin:x", "plugin:-1", "warehouse"] {
            assert!(s.parse::<Source>().is_err(), "{s}");
        }
    }
}
