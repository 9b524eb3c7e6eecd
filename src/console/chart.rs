//! The sync-lag chart: an inline SVG drawn on the server (no script, no library).

use maud::{html, Markup};

const W: f64 = 600.0;
const H: f64 = 160.0;
const PAD: f64 = 28.0;

/// Samples (at ms, lag ms) between `from` and `to` as points over time, with the median and
/// worst lag written beside them.
pub fn sync_lag(samples: &[(i64, i64)], from: i64, to: i64) -> Markup {
    if samples.is_empty() {
        return html! { p.muted { "No stock pushed in the last hour." } };
    }
    let mut lags: Vec<i64> = samples.iter().map(|(_, l)| *l).collect();
    lags.sort_unstable();
    let p50 = lags[lags.len() / 2];
    let max = *lags.last().unwrap_or(&0);
    let top = (max.max(1) as f64 * 1.1).max(100.0);
    let span = (to - from).max(1) as f64;
    let x = |at: i64| PAD + (at - from).clamp(0, to - from) as f64 / span * (W - 2.0 * PAD);
    let y = |lag: i64| H - PAD - (lag as f64 / top) * (H - 2.0 * PAD);
    let points: String = samples.iter().map(|(at, lag)| format!("{:.1},{:.1} ", x(*at), y(*lag))).collect();
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label={ "sync lag: median " (ms(p50)) ", worst " (ms(max)) } {
            line x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) stroke="#d9dee4" {}
            line x1=(PAD) y1=(PAD) x2=(PAD) y2=(H - PAD) stroke="#d9dee4" {}
            text x="2" y=(PAD) font-size="11" fill="#5b6470" { (ms(top as i64)) }
            text x="2" y=(H - PAD) font-size="11" fill="#5b6470" { "0" }
            text x=(PAD) y=(H - 8.0) font-size="11" fill="#5b6470" { "−60 min" }
            text x=(W - PAD - 24.0) y=(H - 8.0) font-size="11" fill="#5b6470" { "now" }
            polyline points=(points) fill="none" stroke="#2f5bd3" stroke-width="1.5" {}
            @for (at, lag) in samples.iter().rev().take(300) {
                circle cx=(format!("{:.1}", x(*at))) cy=(format!("{:.1}", y(*lag))) r="2" fill="#2f5bd3" {}
            }
        }
        p.muted { "median " (ms(p50)) " · worst " (ms(max)) " · " (samples.len()) " pushes" }
    }
}

fn ms(v: i64) -> String {
    if v >= 10_000 {
        format!("{} s", v / 1000)
    } else if v >= 1000 {
        format!("{:.1} s", v as f64 / 1000.0)
    } else {
        format!("{v} ms")
    }
}
