//! The loss curves as a small hand-written SVG: training loss as a polyline, validation loss
//! as a second polyline with dots, axes with a few labels. No plotting dependency for one chart
//! a creator opens in a browser.

use crate::checkpoint::LogPoint;

const W: f64 = 720.0;
const H: f64 = 360.0;
const ML: f64 = 56.0;
const MR: f64 = 16.0;
const MT: f64 = 28.0;
const MB: f64 = 40.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders the curves of `history` with a title.
pub fn loss_svg(history: &[LogPoint], title: &str) -> String {
    let train: Vec<(f64, f64)> =
        history.iter().filter(|p| p.loss.is_finite()).map(|p| (p.step as f64, p.loss as f64)).collect();
    let val: Vec<(f64, f64)> = history.iter().filter_map(|p| p.val_loss.map(|v| (p.step as f64, v))).collect();
    let all: Vec<f64> = train.iter().chain(&val).map(|p| p.1).collect();
    let (mut lo, mut hi) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    if hi - lo < 1e-6 {
        hi = lo + 1.0;
    }
    lo = (lo - 0.05 * (hi - lo)).max(0.0);
    let max_step = history.last().map(|p| p.step as f64).unwrap_or(1.0).max(1.0);
    let x = |s: f64| ML + (s / max_step) * (W - ML - MR);
    let y = |v: f64| MT + (1.0 - (v - lo) / (hi - lo)) * (H - MT - MB);
    let poly =
        |pts: &[(f64, f64)]| pts.iter().map(|&(s, v)| format!("{:.1},{:.1}", x(s), y(v))).collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    out.push_str(&format!("<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n"));
    out.push_str(&format!("<text x=\"{ML}\" y=\"18\" font-size=\"14\">{}</text>\n", esc(title)));
    // Axes and grid.
    out.push_str(&format!(
        "<line x1=\"{ML}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n<line x1=\"{ML}\" y1=\"{MT}\" x2=\"{ML}\" y2=\"{}\" stroke=\"#333\"/>\n",
        H - MB,
        W - MR,
        H - MB,
        H - MB
    ));
    for i in 0..=4 {
        let v = lo + (hi - lo) * i as f64 / 4.0;
        let yy = y(v);
        out.push_str(&format!(
            "<line x1=\"{ML}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2}</text>\n",
            W - MR,
            ML - 6.0,
            yy + 4.0
        ));
        let s = max_step * i as f64 / 4.0;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            x(s),
            H - MB + 16.0,
            s.round() as u64
        ));
    }
    out.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">step</text>\n",
        (ML + W - MR) / 2.0,
        H - 6.0
    ));
    if !train.is_empty() {
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"{}\"/>\n",
            poly(&train)
        ));
    }
    if !val.is_empty() {
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"{}\"/>\n",
            poly(&val)
        ));
        for &(s, v) in &val {
            out.push_str(&format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#d62728\"/>\n", x(s), y(v)));
        }
    }
    // Legend.
    let lx = W - MR - 170.0;
    out.push_str(&format!(
        "<line x1=\"{lx}\" y1=\"16\" x2=\"{}\" y2=\"16\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{}\" y=\"20\">train loss</text>\n",
        lx + 20.0,
        lx + 25.0
    ));
    out.push_str(&format!(
        "<line x1=\"{}\" y1=\"16\" x2=\"{}\" y2=\"16\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"{}\" y=\"20\">validation</text>\n",
        lx + 90.0,
        lx + 110.0,
        lx + 115.0
    ));
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_both_curves_and_escapes_title() {
        let h: Vec<LogPoint> = (1..=10)
            .map(|s| LogPoint {
                step: s,
                loss: 3.0 - s as f32 * 0.2,
                lr: 1e-4,
                grad_norm: 1.0,
                val_loss: (s % 5 == 0).then_some(2.5),
            })
            .collect();
        let svg = loss_svg(&h, "run <a&b>");
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("run &lt;a&amp;b&gt;"));
        assert!(loss_svg(&[], "empty").contains("</svg>"));
    }
}
