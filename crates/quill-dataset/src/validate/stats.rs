//! Distribution statistics computed exactly as NumPy computes them, so our numbers are the
//! notebook's numbers bit for bit.
//!
//! * mean: NumPy sums integers as float64 (exact below 2^53) and divides once by n.
//! * median: the middle value, or the float64 mean of the two middle values.
//! * quantile: NumPy's default `linear` method (Hyndman & Fan 7): virtual index `(n-1)·q`,
//!   `gamma = index − floor(index)`, and NumPy's `_lerp`, which switches to `b − (b−a)(1−γ)` when
//!   γ ≥ 0.5. Reproducing that switch is what makes `6.6000000000000005` come out, not `6.6`.
//!
//! The notebook prints `np.quantile(values, 0.1)` and `0.9` under the label "p5 / p95"; we
//! compute the same two numbers and call them what they are: p10 and p90.

use serde::Serialize;

/// min, max, mean, median, p10, p90 of a list of counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    /// Number of values.
    pub n: usize,
    /// Smallest value.
    pub min: u64,
    /// Largest value.
    pub max: u64,
    /// `np.mean`.
    pub mean: f64,
    /// `np.median`.
    pub median: f64,
    /// `np.quantile(values, 0.1)` — what the notebook labels "p5".
    pub p10: f64,
    /// `np.quantile(values, 0.9)` — what the notebook labels "p95".
    pub p90: f64,
}

impl Distribution {
    /// `None` for an empty list (where the notebook's `min([])` raises).
    pub fn of(values: &[u64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        let sum: u128 = v.iter().map(|&x| x as u128).sum();
        let mean = sum as f64 / n as f64;
        let median = if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] as f64 + v[n / 2] as f64) / 2.0 };
        Some(Self {
            n,
            min: v[0],
            max: v[n - 1],
            mean,
            median,
            p10: quantile_sorted(&v, 0.1),
            p90: quantile_sorted(&v, 0.9),
        })
    }
}

/// `np.quantile(sorted, q)` with the default linear method, for a non-empty sorted slice.
pub fn quantile_sorted(sorted: &[u64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n as i64 - 1) as f64 * q;
    let (prev, next) = if virtual_index >= (n - 1) as f64 {
        (n as i64 - 1, n as i64 - 1)
    } else if virtual_index < 0.0 {
        (0, 0)
    } else {
        let p = virtual_index.floor() as i64;
        (p, p + 1)
    };
    // NumPy computes gamma against the *adjusted* previous index (−1 above the bounds); the value
    // only matters when the two neighbours differ, and then no adjustment happened.
    let gamma = virtual_index - prev as f64;
    let a = sorted[prev as usize] as i64;
    let b = sorted[next as usize] as i64;
    let diff = (b - a) as f64;
    if gamma >= 0.5 { b as f64 - diff * (1.0 - gamma) } else { a as f64 + diff * gamma }
}

/// Python's `repr(float)` (what `print` shows for NumPy float64): shortest round-trip digits,
/// `.0` on whole numbers, exponent form outside 1e-4 ≤ |x| < 1e16.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let ax = x.abs();
    if ax != 0.0 && !(1e-4..1e16).contains(&ax) {
        // Rust: "1e16", "1.5e-5"; Python: "1e+16", "1.5e-05".
        let s = format!("{x:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = if let Some(d) = exp.strip_prefix('-') { ('-', d) } else { ('+', exp) };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    if x.fract() == 0.0 { format!("{x:.1}") } else { format!("{x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_the_notebooks_printed_toy_numbers() {
        // The cookbook's toy file: 5 examples with 2, 2, 3, 3 and 9 messages.
        let d = Distribution::of(&[3, 2, 9, 2, 3]).unwrap();
        assert_eq!((d.min, d.max), (2, 9));
        assert_eq!(py_float(d.mean), "3.8");
        assert_eq!(py_float(d.median), "3.0");
        assert_eq!(py_float(d.p10), "2.0");
        assert_eq!(py_float(d.p90), "6.6000000000000005");
    }

    #[test]
    fn single_value_and_even_median() {
        let d = Distribution::of(&[7]).unwrap();
        assert_eq!((d.mean, d.median, d.p10, d.p90), (7.0, 7.0, 7.0, 7.0));
        let d = Distribution::of(&[1, 2, 3, 4]).unwrap();
        assert_eq!(d.median, 2.5);
        assert!(Distribution::of(&[]).is_none());
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(1648.4), "1648.4");
        assert_eq!(py_float(4811.200000000001), "4811.200000000001");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(0.00001), "1e-05");
        assert_eq!(py_float(0.0), "0.0");
    }
}
