//! Performance scoring and library statistics.
//!
//! Raw engagement is not comparable across platforms (a LinkedIn post with 80 reactions may be a
//! flop while a tweet with 80 likes is a hit), so every score is the entry's engagement divided by
//! the median engagement of its platform: 1.0 is a typical post *for that platform*, 2.0 twice
//! that. Prompts weight few-shot examples by it and `stats` ranks top performers with it.

use std::collections::{BTreeMap, HashMap};

use quill_store::Db;
use serde::{Deserialize, Serialize};

use crate::store::{Filter, list};
use crate::{Entry, Kind, Platform, Result};

/// Metrics that count as engagement (summed). Reach metrics are not engagement: a post seen by
/// many and liked by few did not perform.
pub const ENGAGEMENT_METRICS: &[&str] =
    &["likes", "comments", "replies", "reposts", "shares", "quotes", "saves", "bookmarks", "clicks"];

/// Reach metrics, used as the basis only on a platform where no entry has any engagement metric
/// (for example newsletters tracked by opens alone).
pub const REACH_METRICS: &[&str] = &["impressions", "views", "opens", "reach"];

/// The sum of the entry's [`ENGAGEMENT_METRICS`], or `None` if it has none of them.
pub fn engagement(e: &Entry) -> Option<f64> {
    sum_of(e, ENGAGEMENT_METRICS)
}

fn sum_of(e: &Entry, names: &[&str]) -> Option<f64> {
    let vals: Vec<f64> = names.iter().filter_map(|n| e.metrics.get(*n).copied()).collect();
    (!vals.is_empty()).then(|| vals.iter().sum())
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Which number an entry is scored on, per platform: engagement where the platform has any,
/// else reach.
fn basis(entries: &[Entry]) -> HashMap<Platform, &'static [&'static str]> {
    let mut out: HashMap<Platform, &'static [&'static str]> = HashMap::new();
    for e in entries {
        if engagement(e).is_some() {
            out.insert(e.platform, ENGAGEMENT_METRICS);
        } else if sum_of(e, REACH_METRICS).is_some() {
            out.entry(e.platform).or_insert(REACH_METRICS);
        }
    }
    out
}

/// Per-entry performance: the entry's engagement divided by the median engagement of entries on
/// the same platform *within `entries`*; aligned with the input, `None` where an entry has no
/// metric to score on.
///
/// Where a platform's median is 0, scores are `(value + 1) / (median + 1)` so a post with any
/// engagement still ranks above one with none.
pub fn performance_scores(entries: &[Entry]) -> Vec<Option<f64>> {
    let basis = basis(entries);
    let value = |e: &Entry| basis.get(&e.platform).and_then(|b| sum_of(e, b));
    let mut per_platform: HashMap<Platform, Vec<f64>> = HashMap::new();
    for e in entries {
        if let Some(v) = value(e) {
            per_platform.entry(e.platform).or_default().push(v);
        }
    }
    let medians: HashMap<Platform, f64> =
        per_platform.into_iter().filter_map(|(p, mut v)| median(&mut v).map(|m| (p, m))).collect();
    entries
        .iter()
        .map(|e| {
            let v = value(e)?;
            let m = *medians.get(&e.platform)?;
            Some(if m > 0.0 { v / m } else { (v + 1.0) / (m + 1.0) })
        })
        .collect()
}

/// What `quill library stats` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Live (not deleted) entries.
    pub total: usize,
    /// Soft-deleted entries.
    pub deleted: usize,
    /// Live entries per kind (every kind listed, zeros included).
    pub by_kind: BTreeMap<Kind, usize>,
    /// Live entries per platform (every platform listed).
    pub by_platform: BTreeMap<Platform, usize>,
    /// Live entries per rating: `"1"`…`"5"` and `"unrated"`.
    pub ratings: BTreeMap<String, usize>,
    /// Phrases by polarity: `approved`, `banned`.
    pub phrases: BTreeMap<String, usize>,
    /// Earliest and latest publication date among live entries.
    pub date_range: Option<(String, String)>,
    /// Per platform with scored entries: the median and the top performers.
    pub performance: Vec<PlatformPerformance>,
}

/// One platform's performance summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformPerformance {
    /// The platform.
    pub platform: Platform,
    /// `engagement` (sum of [`ENGAGEMENT_METRICS`]) or `reach` (sum of [`REACH_METRICS`]).
    pub basis: String,
    /// How many entries had a value.
    pub scored: usize,
    /// The platform's median of that value (what a score of 1.0 means).
    pub median: f64,
    /// Best first.
    pub top: Vec<Performer>,
}

/// One top-performing entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performer {
    /// Entry id.
    pub id: i64,
    /// Its kind.
    pub kind: Kind,
    /// Publication date.
    pub date: Option<String>,
    /// The raw value scored (engagement or reach).
    pub value: f64,
    /// `value / median` of its platform.
    pub score: f64,
    /// First line of the text.
    pub preview: String,
}

/// Counts, rating spread and the `top_n` performers per platform over the live library.
pub fn stats(db: &Db, top_n: usize) -> Result<Stats> {
    let all = list(db, &Filter { include_deleted: true, ..Filter::default() })?;
    let (deleted, live): (Vec<Entry>, Vec<Entry>) = all.into_iter().partition(Entry::is_deleted);
    let mut by_kind: BTreeMap<Kind, usize> = Kind::ALL.iter().map(|k| (*k, 0)).collect();
    let mut by_platform: BTreeMap<Platform, usize> = Platform::ALL.iter().map(|p| (*p, 0)).collect();
    let mut ratings: BTreeMap<String, usize> =
        ["1", "2", "3", "4", "5", "unrated"].iter().map(|r| (r.to_string(), 0)).collect();
    let mut phrases: BTreeMap<String, usize> = [("approved".to_string(), 0), ("banned".to_string(), 0)].into();
    let mut dates: Vec<&str> = Vec::new();
    for e in &live {
        *by_kind.entry(e.kind).or_default() += 1;
        *by_platform.entry(e.platform).or_default() += 1;
        let r = e.rating.map(|r| r.to_string()).unwrap_or_else(|| "unrated".into());
        *ratings.entry(r).or_default() += 1;
        if let Some(p) = e.polarity {
            *phrases.entry(p.as_str().to_string()).or_default() += 1;
        }
        if let Some(d) = &e.date {
            dates.push(d);
        }
    }
    dates.sort_unstable();
    let date_range = match (dates.first(), dates.last()) {
        (Some(a), Some(b)) => Some((a.to_string(), b.to_string())),
        _ => None,
    };
    let bases = basis(&live);
    let scores = performance_scores(&live);
    let mut performance = Vec::new();
    for p in Platform::ALL {
        let Some(b) = bases.get(p) else { continue };
        let mut rows: Vec<(&Entry, f64, f64)> = live
            .iter()
            .zip(&scores)
            .filter(|(e, _)| e.platform == *p)
            .filter_map(|(e, s)| Some((e, sum_of(e, b)?, (*s)?)))
            .collect();
        let mut vals: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let med = median(&mut vals).unwrap_or(0.0);
        rows.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.id.cmp(&b.0.id)));
        performance.push(PlatformPerformance {
            platform: *p,
            basis: if std::ptr::eq(*b, ENGAGEMENT_METRICS) { "engagement" } else { "reach" }.into(),
            scored: rows.len(),
            median: med,
            top: rows
                .iter()
                .take(top_n)
                .map(|(e, v, s)| Performer {
                    id: e.id,
                    kind: e.kind,
                    date: e.date.clone(),
                    value: *v,
                    score: *s,
                    preview: e.preview(80),
                })
                .collect(),
        });
    }
    Ok(Stats {
        total: live.len(),
        deleted: deleted.len(),
        by_kind,
        by_platform,
        ratings,
        phrases,
        date_range,
        performance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewEntry, add};

    fn entry(p: Platform, metrics: &[(&str, f64)]) -> Entry {
        Entry {
            id: 0,
            kind: Kind::Post,
            platform: p,
            title: None,
            text: "t".into(),
            before: None,
            why: None,
            polarity: None,
            replacement: None,
            date: None,
            rating: None,
            tags: vec![],
            metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            source: None,
            notes: None,
            external_id: None,
            extra: Default::default(),
            created_at: String::new(),
            updated_at: String::new(),
            deleted_at: None,
        }
    }

    #[test]
    fn scores_are_relative_to_platform_median() {
        let es = vec![
            entry(Platform::Linkedin, &[("likes", 100.0), ("comments", 20.0)]), // 120
            entry(Platform::Linkedin, &[("likes", 200.0), ("comments", 40.0)]), // 240
            entry(Platform::Linkedin, &[("likes", 300.0), ("comments", 60.0)]), // 360, median 240
            entry(Platform::X, &[("likes", 5.0)]),
            entry(Platform::X, &[("likes", 10.0), ("impressions", 9999.0)]), // impressions ignored
            entry(Platform::X, &[("impressions", 500.0)]),                   // no engagement: unscored
            entry(Platform::Newsletter, &[("opens", 400.0)]),                // reach basis
            entry(Platform::Newsletter, &[("opens", 800.0)]),
        ];
        let s = performance_scores(&es);
        assert_eq!(s[0], Some(0.5));
        assert_eq!(s[2], Some(1.5));
        // X median of 5 and 10 is 7.5: the 10-like tweet scores like a strong LinkedIn post.
        assert!((s[4].unwrap() - 10.0 / 7.5).abs() < 1e-9);
        assert_eq!(s[5], None);
        assert!((s[7].unwrap() - 800.0 / 600.0).abs() < 1e-9);
    }

    #[test]
    fn zero_median_still_ranks() {
        let es = vec![
            entry(Platform::X, &[("likes", 0.0)]),
            entry(Platform::X, &[("likes", 0.0)]),
            entry(Platform::X, &[("likes", 3.0)]),
        ];
        assert_eq!(performance_scores(&es), [Some(1.0), Some(1.0), Some(4.0)]);
    }

    #[test]
    fn stats_counts_and_top() {
        let mut db = Db::open_in_memory().unwrap();
        for (p, likes, r) in
            [(Platform::X, 1.0, Some(5)), (Platform::X, 9.0, None), (Platform::Linkedin, 50.0, Some(3))]
        {
            add(
                &mut db,
                NewEntry {
                    metrics: [("likes".to_string(), likes)].into(),
                    rating: r,
                    date: Some("2024-05-01".into()),
                    ..NewEntry::new(Kind::Post, p, format!("{p} {likes}"))
                },
            )
            .unwrap();
        }
        let id = add(&mut db, NewEntry::new(Kind::Hook, Platform::X, "gone")).unwrap().id;
        crate::remove(&mut db, id).unwrap();
        let s = stats(&db, 1).unwrap();
        assert_eq!((s.total, s.deleted), (3, 1));
        assert_eq!(s.by_kind[&Kind::Post], 3);
        assert_eq!(s.by_kind[&Kind::Hook], 0);
        assert_eq!(s.ratings["unrated"], 1);
        let x = s.performance.iter().find(|p| p.platform == Platform::X).unwrap();
        assert_eq!(x.median, 5.0);
        assert_eq!(x.top[0].value, 9.0);
        assert!((x.top[0].score - 1.8).abs() < 1e-9);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["by_kind"]["post"], 3);
    }
}
