//! One micro-batch as the training graph consumes it.
//!
//! Rows are `t` tokens long. Each token carries its position (RoPE), its segment (packed
//! examples attend only within their own segment), the id it must predict and the weight of
//! that prediction (0 for prompts, padding and `weight: 0` turns). Right padding needs no
//! attention mask at all in a causal model, so padding costs nothing but compute.

/// A `b × t` micro-batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Rows.
    pub b: usize,
    /// Tokens per row.
    pub t: usize,
    /// Input ids, `b*t`.
    pub tokens: Vec<u32>,
    /// RoPE positions, `b*t` (restart at 0 for each packed example).
    pub positions: Vec<u32>,
    /// Segment ids, `b*t`: attention is causal *and* within the same segment.
    pub segments: Vec<u32>,
    /// The id each position must predict (anything where the weight is 0).
    pub targets: Vec<u32>,
    /// Loss weight per position (0 = not trained on).
    pub weights: Vec<f32>,
}

impl Batch {
    /// A batch of plain rows: one segment per row, positions `0..t`, each token predicting the
    /// next one, every prediction weighted 1 (language-model pre-training style, as in the
    /// PyTorch reference run).
    pub fn plain_lm(rows: &[Vec<u32>]) -> Batch {
        let b = rows.len();
        let t = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut batch = Batch::empty(b, t);
        for (r, row) in rows.iter().enumerate() {
            for (i, &tok) in row.iter().enumerate() {
                let k = r * t + i;
                batch.tokens[k] = tok;
                batch.positions[k] = i as u32;
                if let Some(&next) = row.get(i + 1) {
                    batch.targets[k] = next;
                    batch.weights[k] = 1.0;
                }
            }
        }
        batch
    }

    /// An all-padding batch (token 0, weight 0), to be filled in.
    pub fn empty(b: usize, t: usize) -> Batch {
        Batch {
            b,
            t,
            tokens: vec![0; b * t],
            positions: (0..b * t).map(|k| (k % t.max(1)) as u32).collect(),
            segments: vec![0; b * t],
            targets: vec![0; b * t],
            weights: vec![0.0; b * t],
        }
    }

    /// Sum of the loss weights (the number of trained tokens when weights are 0/1).
    pub fn weight_sum(&self) -> f64 {
        self.weights.iter().map(|&w| w as f64).sum()
    }

    /// Tokens that go through the model, padding included.
    pub fn n_tokens(&self) -> usize {
        self.b * self.t
    }

    /// Whether every row has a single segment (no packed-example masking needed).
    pub fn single_segment_rows(&self) -> bool {
        (0..self.b).all(|r| {
            let row = &self.segments[r * self.t..(r + 1) * self.t];
            row.iter().all(|&s| s == row[0])
        })
    }
}
