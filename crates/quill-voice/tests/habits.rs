//! The habit detector on the sample creator: her own held-out posts come out near 1 with nothing
//! flagged; a batch that repeats one of her signature phrases is flagged; generic AI posts are
//! flagged for what they add.

mod common;

use common::{creator_generic, creator_heldout, creator_library};
use quill_voice::habits::{HabitKind, HabitOptions, detect_habits};

fn library() -> Vec<String> {
    creator_library().into_iter().map(|p| p.body).collect()
}

#[test]
fn own_heldout_posts_are_near_one_and_unflagged() {
    let lib = library();
    let cre: Vec<&str> = lib.iter().map(String::as_str).collect();
    let held: Vec<String> = creator_heldout().into_iter().map(|p| p.body).collect();
    let batch: Vec<&str> = held.iter().map(String::as_str).collect();
    let r = detect_habits(&cre, &batch, &HabitOptions::default());
    println!(
        "held-out amplification {:.3} over {} signature items; {} tested",
        r.amplification, r.signature_items, r.tested
    );
    assert!((0.75..=1.25).contains(&r.amplification), "amplification {:.3} for her own posts", r.amplification);
    assert!(r.habits.is_empty(), "{:#?}", r.habits);
}

#[test]
fn a_repeated_signature_phrase_is_flagged() {
    let lib = library();
    let cre: Vec<&str> = lib.iter().map(String::as_str).collect();
    let held: Vec<String> = creator_heldout().into_iter().map(|p| p.body).collect();
    // Her own posts, each given her "Here's the thing" opener and the sign-off: a model that
    // learned her two most recognisable tics and now uses them every time.
    let amplified: Vec<String> = held
        .iter()
        .map(|b| {
            let body = b.trim_end().trim_end_matches("Run lean. — M.").trim_end();
            format!("Here's the thing.\n{body}\n\nRun lean. — M.")
        })
        .collect();
    let batch: Vec<&str> = amplified.iter().map(String::as_str).collect();
    let base = detect_habits(&cre, &held.iter().map(String::as_str).collect::<Vec<_>>(), &HabitOptions::default());
    let r = detect_habits(&cre, &batch, &HabitOptions::default());
    for h in &r.habits {
        println!("{:?} {} (p={:.2e}, q={:.2e})", h.kind, h.message, h.p_value, h.q_value);
    }
    println!("amplification {:.3} (her own held-out: {:.3})", r.amplification, base.amplification);
    assert!(
        r.habits.iter().any(|h| h.kind == HabitKind::Opener && h.item == "here's the thing ."),
        "the repeated opener must be flagged: {:#?}",
        r.habits
    );
    assert!(r.amplification > base.amplification + 0.05, "{:.3} vs {:.3}", r.amplification, base.amplification);
}

#[test]
fn generic_posts_are_flagged_for_what_they_add() {
    let lib = library();
    let cre: Vec<&str> = lib.iter().map(String::as_str).collect();
    let generic: Vec<String> = creator_generic().into_iter().map(|p| p.body).collect();
    let r = detect_habits(&cre, &generic.iter().map(String::as_str).collect::<Vec<_>>(), &HabitOptions::default());
    let items: Vec<&str> = r.habits.iter().map(|h| h.item.as_str()).collect();
    assert!(items.contains(&"hashtags") && items.contains(&"game-changer"), "{items:#?}");
    assert!(r.amplification < 0.8, "generic text should not amplify her habits: {:.3}", r.amplification);
}
