//! The voice score validated as a measurement: author attribution on held-out texts.
//!
//! Every author (the sample creator and the 8 others in `examples/authors`) gets a profile from
//! their older posts; each newer post is scored against every profile and must score highest
//! against its own author. A second setting confounds topic on purpose: each post is held out
//! of its own author's profile while every *other* profile keeps its post on the same topic, so
//! a score that leans on topic words is pulled toward the wrong author. The numbers printed here
//! are the ones reported in `docs/benchmarks/voice.md`.

mod common;

use common::{Post, Tally, authors, creator_generic, creator_heldout, creator_library};
use quill_voice::profile::{Profile, ProfileText, build_profile, weight_for};
use quill_voice::score::{VoiceScore, score};

fn profile_of(posts: &[&Post]) -> Profile {
    let texts: Vec<ProfileText<'_>> = posts
        .iter()
        .map(|p| ProfileText { text: &p.body, weight: weight_for(p.rating, None), embedding: None })
        .collect();
    build_profile(&texts).expect("profile builds")
}

/// How many of each author's posts (oldest first) train the profile in the time split.
const TRAIN: usize = 8;

#[test]
fn attribution_time_split() {
    let authors = authors();
    assert!(authors.len() >= 8, "expected 8 authors in examples/authors");
    let library = creator_library();
    let heldout = creator_heldout();
    let mut names = vec!["creator".to_string()];
    let mut profiles = vec![profile_of(&library.iter().collect::<Vec<_>>())];
    let mut tests: Vec<(usize, &Post)> = heldout.iter().map(|p| (0, p)).collect();
    for (i, (name, posts)) in authors.iter().enumerate() {
        assert!(posts.len() > TRAIN, "{name} has only {} posts", posts.len());
        names.push(name.clone());
        profiles.push(profile_of(&posts[..TRAIN].iter().collect::<Vec<_>>()));
        tests.extend(posts[TRAIN..].iter().map(|p| (i + 1, p)));
    }
    let mut tally = Tally::default();
    let mut short = Tally::default();
    for (truth, post) in &tests {
        let scores: Vec<VoiceScore> = profiles.iter().map(|p| score(p, &post.body, None)).collect();
        let label =
            format!("{}/{}", names[*truth], post.path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default());
        tally.add(*truth, &scores, &label, &names);
        // The same texts cut to their first half (about 60-90 words): harder, reported too.
        let lines: Vec<&str> = post.body.lines().collect();
        let half = lines[..lines.len().div_ceil(2)].join("\n");
        let scores: Vec<VoiceScore> = profiles.iter().map(|p| score(p, &half, None)).collect();
        short.add(*truth, &scores, &label, &names);
    }
    tally.print(&format!("time split ({} authors, first {TRAIN} posts train)", names.len()));
    short.print("time split, first half of each held-out text");
    assert!(tally.accuracy("combined") >= 0.85, "top-1 attribution {:.3} < 0.85", tally.accuracy("combined"));
}

#[test]
fn attribution_topic_confounded() {
    // Every author writes the same 12 topics in the same order, so post k of one author shares
    // its topic with post k of every other author.
    let authors = authors();
    let full: Vec<Profile> = authors.iter().map(|(_, posts)| profile_of(&posts.iter().collect::<Vec<_>>())).collect();
    let names: Vec<String> = authors.iter().map(|(n, _)| n.clone()).collect();
    let mut tally = Tally::default();
    for (a, (name, posts)) in authors.iter().enumerate() {
        for k in 0..posts.len() {
            let rest: Vec<&Post> = posts.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, p)| p).collect();
            let own = profile_of(&rest);
            let scores: Vec<VoiceScore> = full
                .iter()
                .enumerate()
                .map(|(b, p)| if b == a { score(&own, &posts[k].body, None) } else { score(p, &posts[k].body, None) })
                .collect();
            tally.add(a, &scores, &format!("{name}#{k}"), &names);
        }
    }
    tally.print("topic-confounded leave-one-out (8 authors)");
    assert!(
        tally.accuracy("combined") >= 0.85,
        "topic-confounded attribution {:.3} < 0.85",
        tally.accuracy("combined")
    );
}

#[test]
fn generic_text_scores_below_the_creators_heldout_posts() {
    let library = creator_library();
    let profile = profile_of(&library.iter().collect::<Vec<_>>());
    let own: Vec<f64> = creator_heldout().iter().map(|p| score(&profile, &p.body, None).score).collect();
    let generic: Vec<(String, VoiceScore)> =
        creator_generic().iter().map(|p| (p.path.display().to_string(), score(&profile, &p.body, None))).collect();
    println!("held-out scores: {own:.1?}");
    for (path, s) in &generic {
        println!(
            "generic {:.1} {path}\n  reasons: {:?}",
            s.score,
            s.reasons.iter().map(|r| &r.message).collect::<Vec<_>>()
        );
    }
    let min_own = own.iter().copied().fold(f64::INFINITY, f64::min);
    let max_generic = generic.iter().map(|g| g.1.score).fold(f64::NEG_INFINITY, f64::max);
    assert!(
        max_generic < min_own,
        "a generic post scored {max_generic:.1}, above the lowest held-out post {min_own:.1}"
    );
    let mean_own = own.iter().sum::<f64>() / own.len() as f64;
    assert!(mean_own >= 50.0, "the creator's own held-out posts average {mean_own:.1}; they should read as hers");
    // The reasons name what is wrong in plain words.
    let all: Vec<&str> = generic.iter().flat_map(|g| g.1.reasons.iter().map(|r| r.message.as_str())).collect();
    assert!(all.iter().any(|r| r.contains("which you never use")), "{all:#?}");
    assert!(all.iter().any(|r| r.contains("sentences average") || r.contains("reading grade")), "{all:#?}");
}
