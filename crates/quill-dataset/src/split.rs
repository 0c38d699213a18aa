//! Deterministic, stratified train / validation / test split, and the held-out test split stored
//! in the workspace (`entry_splits`).
//!
//! Within each stratum (platform × kind) examples are ordered by `SHA-256(seed, content key)`, so
//! the same seed and the same library give the same split in any workspace, whatever the entry
//! ids. Shares are allocated across strata with a running total (each stratum gets its share ± 1
//! and the overall counts are exact), so small strata still reach the held-out set over a
//! library.
//!
//! A test assignment is sticky: an entry once held out stays held out in later builds (unless
//! `--resplit`), because a test example that moves into training is leaked for every evaluation
//! already run on it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// Which split an example is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data.
    Train,
    /// Validation data (loss during training).
    Validation,
    /// Held out for evaluation; never trained on, never a few-shot example.
    Test,
}

impl Split {
    /// All three, in file order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    /// Lowercase name (also the `entry_splits.split` value and the file stem).
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

/// Split shares and seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Seed of the ordering.
    pub seed: u64,
    /// Share for validation (0–1).
    pub validation: f64,
    /// Share for test (0–1).
    pub test: f64,
}

/// What the splitter needs to know about one example.
#[derive(Debug, Clone)]
pub struct Item {
    /// `platform/kind`.
    pub stratum: String,
    /// Stable content key.
    pub key: String,
    /// Already held out as test (sticky).
    pub sticky_test: bool,
}

/// The seeded order key of a content key.
pub fn order_key(seed: u64, key: &str, copy: u32) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(key.as_bytes());
    h.update(copy.to_le_bytes());
    h.finalize().into()
}

/// Assigns a split to every item.
pub fn assign(items: &[Item], cfg: Config) -> Vec<Split> {
    let mut strata: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        strata.entry(it.stratum.as_str()).or_default().push(i);
    }
    let keys: Vec<[u8; 32]> = items.iter().map(|it| order_key(cfg.seed, &it.key, 0)).collect();
    let mut out = vec![Split::Train; items.len()];
    let (mut seen, mut test_given, mut val_given) = (0usize, 0usize, 0usize);
    for idx in strata.values_mut() {
        idx.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then(items[a].key.cmp(&items[b].key)));
        seen += idx.len();
        let test_target = (seen as f64 * cfg.test).round() as usize;
        let val_target = (seen as f64 * cfg.validation).round() as usize;
        let mut test_n = test_target.saturating_sub(test_given);
        let mut val_n = val_target.saturating_sub(val_given);
        for &i in idx.iter().filter(|&&i| items[i].sticky_test) {
            out[i] = Split::Test;
            test_given += 1;
            test_n = test_n.saturating_sub(1);
        }
        for &i in idx.iter().filter(|&&i| !items[i].sticky_test) {
            if test_n > 0 {
                out[i] = Split::Test;
                test_n -= 1;
                test_given += 1;
            } else if val_n > 0 {
                out[i] = Split::Validation;
                val_n -= 1;
                val_given += 1;
            }
        }
    }
    out
}

/// Entries the workspace holds out as test.
pub fn stored_test_ids(db: &quill_store::Db) -> Result<std::collections::HashSet<i64>> {
    let mut st = db.conn().prepare("SELECT entry_id FROM entry_splits WHERE split = 'test'")?;
    let rows = st.query_map([], |r| r.get::<_, i64>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Stores the splits of library entries in one transaction; `resplit` first forgets every
/// stored split. Rows whose split did not change keep their `assigned_at`.
pub fn store(db: &mut quill_store::Db, splits: &HashMap<i64, Split>, resplit: bool) -> Result<()> {
    let now = quill_store::now_rfc3339();
    let mut ids: Vec<(&i64, &Split)> = splits.iter().collect();
    ids.sort();
    db.write(|tx| -> Result<()> {
        if resplit {
            tx.execute("DELETE FROM entry_splits", [])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO entry_splits (entry_id, split, assigned_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(entry_id) DO UPDATE SET split = excluded.split, assigned_at = excluded.assigned_at
             WHERE entry_splits.split != excluded.split",
        )?;
        for (id, s) in ids {
            st.execute(rusqlite::params![id, s.as_str(), now])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize, stratum: &str) -> Vec<Item> {
        (0..n).map(|i| Item { stratum: stratum.into(), key: format!("{stratum}-{i}"), sticky_test: false }).collect()
    }

    #[test]
    fn deterministic_proportional_and_seed_dependent() {
        let mut all = items(40, "linkedin/post");
        all.extend(items(20, "x/post"));
        all.extend(items(3, "linkedin/rewrite"));
        let cfg = Config { seed: 7, validation: 0.1, test: 0.1 };
        let a = assign(&all, cfg);
        assert_eq!(a, assign(&all, cfg));
        let count = |s: Split| a.iter().filter(|x| **x == s).count();
        assert_eq!((count(Split::Test), count(Split::Validation)), (6, 6));
        // Each large stratum gets its share.
        let x_test = all.iter().zip(&a).filter(|(i, s)| i.stratum == "x/post" && **s == Split::Test).count();
        assert_eq!(x_test, 2);
        let b = assign(&all, Config { seed: 8, ..cfg });
        assert_ne!(a, b);
    }

    #[test]
    fn test_assignments_are_sticky() {
        let mut all = items(20, "linkedin/post");
        all[3].sticky_test = true;
        all[4].sticky_test = true;
        let a = assign(&all, Config { seed: 1, validation: 0.0, test: 0.1 });
        assert_eq!(a[3], Split::Test);
        assert_eq!(a[4], Split::Test);
        assert_eq!(a.iter().filter(|s| **s == Split::Test).count(), 2);
    }
}
