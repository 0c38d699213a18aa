//! Importers against real-format fixtures, bad input, duplicates and export round trips.

use std::path::{Path, PathBuf};

use quill_library::{
    Error, ExportFormat, Filter, Format, ImportOptions, ImportReport, Kind, Platform, Polarity, export, import, list,
};
use quill_store::Db;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

fn db() -> Db {
    Db::open_in_memory().unwrap()
}

fn run(db: &mut Db, paths: &[PathBuf], opts: &ImportOptions) -> Result<ImportReport, Error> {
    import(db, paths, opts, &mut |_, _| {})
}

fn all(db: &Db) -> Vec<quill_library::Entry> {
    list(db, &Filter { include_deleted: true, ..Filter::default() }).unwrap()
}

fn count_rows(db: &Db, table: &str) -> i64 {
    db.conn().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn x_archive_real_format() {
    let mut db = db();
    let r = run(&mut db, &[fixture("x/tweets.js")], &ImportOptions::default()).unwrap();
    assert_eq!(r.files[0].format, Format::X);
    assert_eq!(r.added, 3, "{r:#?}");
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].message.contains("retweet 1765500000000000000 skipped"), "{}", r.notes[0]);
    let es = all(&db);
    let first = &es[0];
    assert_eq!(first.platform, Platform::X);
    assert_eq!(first.kind, Kind::Post);
    assert_eq!(
        first.text,
        "Intake & onboarding are the same system. Fix both at once #ops\n\nhttps://example.com/boring-stack"
    );
    assert_eq!(first.date.as_deref(), Some("2024-03-06T14:22:10Z"));
    assert_eq!(first.metrics["likes"], 42.0);
    assert_eq!(first.metrics["reposts"], 7.0);
    assert_eq!(first.external_id.as_deref(), Some("1765392811111111111"));
    assert_eq!(first.extra["url"], "https://x.com/i/web/status/1765392811111111111");
    assert_eq!(first.extra["hashtags"], serde_json::json!(["ops"]));
    assert!(first.source.as_deref().unwrap().ends_with("tweets.js:2"), "{:?}", first.source);
    let reply = &es[1];
    assert_eq!(reply.text, "@sam_builds Yes. 1 owner per handoff, and a date. That's it <3");
    assert_eq!(reply.extra["is_reply"], true);
    assert_eq!(reply.extra["reply_to"], "1765000000000000000");
    assert_eq!(reply.extra["reply_to_user"], "sam_builds");
    assert_eq!(reply.tags, ["reply"]);
    // The media link is the picture itself, not text the creator wrote.
    assert_eq!(es[2].text, "My whole tool stack fits on 1 slide.");

    let mut db2 = Db::open_in_memory().unwrap();
    let opts = ImportOptions { include_retweets: true, ..ImportOptions::default() };
    run(&mut db2, &[fixture("x/tweets.js")], &opts).unwrap();
    let rt = all(&db2).into_iter().find(|e| e.text.starts_with("RT @")).unwrap();
    assert_eq!(rt.extra["is_retweet"], true);
    assert_eq!(rt.tags, ["retweet"]);
}

#[test]
fn linkedin_shares_real_format() {
    let mut db = db();
    let r = run(&mut db, &[fixture("linkedin/Shares.csv")], &ImportOptions::default()).unwrap();
    assert_eq!(r.files[0].format, Format::Linkedin);
    assert_eq!(r.added, 2);
    assert_eq!(r.notes.len(), 1);
    assert_eq!(r.notes[0].line, Some(8), "the bare reshare is reported with its line: {}", r.notes[0]);
    let es = all(&db);
    assert_eq!(es[0].platform, Platform::Linkedin);
    assert_eq!(
        es[0].text,
        "Quick one.\nStop writing proposals for free.\n\nIf a prospect wants a \"detailed plan\" before they hire you, that plan is the work.\n\nRun lean. — M."
    );
    assert_eq!(es[0].date.as_deref(), Some("2024-01-18T08:31:02Z"));
    assert_eq!(es[0].external_id.as_deref(), Some("urn:li:share:7149637948284261407"));
    assert_eq!(es[0].extra["visibility"], "MEMBER_NETWORK");
    assert_eq!(es[1].text, "Your calendar is a strategy document, whether you wrote it or not. #ops");
    assert_eq!(es[1].external_id.as_deref(), Some("urn:li:ugcPost:7165700000000000000"));
    assert_eq!(es[1].extra["media_url"], "https://media.licdn.com/dms/image/abc");
}

#[test]
fn broken_quote_names_line_and_column_and_writes_nothing() {
    let mut db = db();
    let path = fixture("linkedin/Shares-broken.csv");
    let err = run(&mut db, std::slice::from_ref(&path), &ImportOptions::default()).unwrap_err();
    let Error::BadInput(problems) = &err else { panic!("{err}") };
    assert_eq!(problems.len(), 1, "{problems:?}");
    let msg = problems[0].to_string();
    assert!(msg.contains("Shares-broken.csv:14: ShareCommentary: unterminated quote"), "{msg}");
    assert!(err.to_string().contains("--skip-bad"), "{err}");
    assert_eq!(count_rows(&db, "entries"), 0);
    assert_eq!(count_rows(&db, "imports"), 0);

    let r = run(&mut db, &[path], &ImportOptions { skip_bad: true, ..ImportOptions::default() }).unwrap();
    assert_eq!(r.added, 13, "12 rows before the bad one and 1 after it");
    assert_eq!(r.bad.len(), 1);
    assert_eq!(r.bad[0].line, Some(14));
    assert!(all(&db).iter().any(|e| e.text == "Fine again after the broken row."));
}

#[test]
fn csv_auto_mapping_and_bad_rating() {
    let mut db = db();
    let path = fixture("csv/posts.csv");
    let err = run(&mut db, std::slice::from_ref(&path), &ImportOptions::default()).unwrap_err();
    let Error::BadInput(problems) = err else { panic!() };
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().ends_with("posts.csv:7: My Rating: rating 9 is not between 1 and 5"),
        "{}",
        problems[0]
    );
    assert_eq!(count_rows(&db, "entries"), 0, "a bad row leaves the database unchanged");

    let r = run(&mut db, &[path], &ImportOptions { skip_bad: true, ..ImportOptions::default() }).unwrap();
    assert_eq!(r.added, 5);
    assert_eq!(r.bad[0].line, Some(7));
    let es = all(&db);
    let first = &es[0];
    assert_eq!(first.platform, Platform::Linkedin);
    assert_eq!(first.metrics["likes"], 120.0);
    assert_eq!(first.metrics["comments"], 14.0);
    assert_eq!(first.tags, ["calendar", "meetings"]);
    assert_eq!(first.rating, Some(4));
    assert_eq!(first.date.as_deref(), Some("2024-01-09"));
    assert_eq!(first.extra["Campaign"], "q1");
    assert_eq!(es[2].text, "Your SOP is a promise to your future self.\nKeep it to 1 page.");
    assert!(es[2].source.as_deref().unwrap().ends_with("posts.csv:4"));
    assert_eq!(es[3].platform, Platform::X);
    let last = es.last().unwrap();
    assert_eq!((last.metrics["likes"], last.metrics["comments"]), (1200.0, 1004.0));
}

#[test]
fn csv_explicit_map() {
    let mut db = db();
    let path = fixture("csv/custom-headers.csv");
    let err = run(&mut db, std::slice::from_ref(&path), &ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("--map text=COLUMN"), "{err}");
    let map = ImportOptions::parse_map("text=Post copy, likes=Hearts ,date=When").unwrap();
    let opts = ImportOptions { map, platform: Some(Platform::Linkedin), ..ImportOptions::default() };
    run(&mut db, &[path], &opts).unwrap();
    let e = &all(&db)[0];
    assert_eq!(e.text, "A handoff without a date is a hope.");
    assert_eq!(e.metrics["likes"], 31.0);
    assert_eq!(e.date.as_deref(), Some("2024-05-01"));
    assert_eq!(e.platform, Platform::Linkedin);
    assert!(ImportOptions::parse_map("txt=Body").unwrap_err().to_string().contains("not a field"));
}

#[test]
fn markdown_single_multi_and_documents() {
    let mut db = db();
    let opts = ImportOptions { skip_bad: true, ..ImportOptions::default() };
    let r = run(&mut db, &[fixture("md")], &opts).unwrap();
    assert_eq!(r.added, 4, "{r:#?}");
    assert_eq!(r.skipped.len(), 1);
    assert!(r.skipped[0].path.ends_with("document.md") && r.skipped[0].reason.contains("document"), "{:?}", r.skipped);
    assert_eq!(r.bad.len(), 1);
    assert!(r.bad[0].file.ends_with("bad-front-matter.md") && r.bad[0].line.is_some(), "{}", r.bad[0]);
    let es = all(&db);
    let hooks: Vec<_> = es.iter().filter(|e| e.source.as_deref().unwrap_or("").contains("hooks.md")).collect();
    assert_eq!(hooks.len(), 3);
    assert_eq!((hooks[0].kind, hooks[0].platform, hooks[0].rating), (Kind::Hook, Platform::Linkedin, Some(5)));
    assert_eq!(hooks[1].text, "Your weekly status meeting is not a meeting.\nIt's a symptom.");
    assert_eq!(hooks[2].kind, Kind::Cta);
    assert!(hooks[2].source.as_deref().unwrap().ends_with("hooks.md:16"));
    let single = es.iter().find(|e| e.title.as_deref() == Some("Hire for handoffs")).unwrap();
    assert!(single.text.contains("\n---\n"), "a horizontal rule stays in the body: {}", single.text);
    assert_eq!(single.metrics["impressions"], 8200.0);
    assert_eq!(single.extra["campaign"], "spring");

    // Named explicitly, a document is imported as one entry.
    let mut db2 = Db::open_in_memory().unwrap();
    run(&mut db2, &[fixture("md/document.md")], &ImportOptions::default()).unwrap();
    let d = &all(&db2)[0];
    assert_eq!(d.title.as_deref(), Some("About me"));
    assert!(d.text.starts_with("I run a small"));
}

#[test]
fn plain_text_blocks() {
    let mut db = db();
    let opts = ImportOptions { kind: Some(Kind::Hook), platform: Some(Platform::Linkedin), ..ImportOptions::default() };
    let r = run(&mut db, &[fixture("misc/hooks.txt")], &opts).unwrap();
    assert_eq!(r.added, 3);
    let es = all(&db);
    assert_eq!(es[1].text, "Nobody reads a 14-page SOP.\nNot your team. Not you.");
    assert!(es[2].source.as_deref().unwrap().ends_with("hooks.txt:7"));
    assert!(es.iter().all(|e| e.kind == Kind::Hook && e.platform == Platform::Linkedin));
}

#[test]
fn jsonl_minimal_and_full() {
    let mut db = db();
    run(&mut db, &[fixture("misc/entries.jsonl")], &ImportOptions::default()).unwrap();
    let es = all(&db);
    assert_eq!(es.len(), 4);
    assert_eq!((es[0].kind, es[0].platform), (Kind::Post, Platform::Other));
    assert_eq!(es[1].text, "Body works as text too.");
    assert_eq!(es[1].metrics["likes"], 5.0);
    assert_eq!(es[1].extra["favourite_color"], "green");
    assert_eq!(es[2].before.as_deref(), Some("We leverage robust synergies."));
    assert_eq!(es[2].text, "We work together.");
    assert_eq!(es[3].polarity, Some(Polarity::Banned));
    assert!(es[3].source.as_deref().unwrap().ends_with("entries.jsonl:5"));

    let err = run(&mut db, &[fixture("misc/bad.jsonl")], &ImportOptions::default()).unwrap_err();
    let Error::BadInput(p) = err else { panic!() };
    let lines: Vec<_> = p.iter().map(|p| p.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4)], "{p:?}");
    assert!(p[1].to_string().contains("kind: kind `pots` is not one of"), "{}", p[1]);
}

#[test]
fn html_article() {
    let mut db = db();
    run(&mut db, &[fixture("misc/article.html")], &ImportOptions::default()).unwrap();
    let e = &all(&db)[0];
    assert_eq!(e.title.as_deref(), Some("The Boring Stack"));
    assert_eq!(e.platform, Platform::Blog);
    assert_eq!(e.date.as_deref(), Some("2024-04-02T09:00:00Z"));
    assert_eq!(
        e.text,
        "Five systems. Nothing fancy.\n\nIntake, onboarding, the delivery calendar,\nhandoffs and invoicing."
    );
}

#[test]
fn duplicates_exact_and_near_are_reported_not_doubled() {
    let mut db = db();
    run(&mut db, &[fixture("x/tweets.js")], &ImportOptions::default()).unwrap();
    let again = run(&mut db, &[fixture("x/tweets.js")], &ImportOptions::default()).unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(again.duplicates.len(), 3);
    assert!(again.duplicates.iter().all(|d| d.exact && d.of_id.is_some()));
    assert_eq!(all(&db).len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("near.jsonl");
    let a = "Most founders do not have a content problem. They have a calendar problem: nothing is scheduled, so nothing gets written, so nothing ships.";
    let b = a.replace("do not", "don't");
    std::fs::write(&p, format!("{}\n{}\n", serde_json::json!({"text": a}), serde_json::json!({"text": b}))).unwrap();
    let r = run(&mut db, std::slice::from_ref(&p), &ImportOptions::default()).unwrap();
    assert_eq!(r.added, 1);
    assert_eq!(r.duplicates.len(), 1);
    let d = &r.duplicates[0];
    assert!(!d.exact && d.similarity >= 0.85 && d.of.ends_with("near.jsonl:1"), "{d:?}");
    let forced = run(&mut db, &[p], &ImportOptions { allow_duplicates: true, ..ImportOptions::default() }).unwrap();
    assert_eq!(forced.added, 2);
    assert!(forced.duplicates.iter().all(|d| d.imported));
}

#[test]
fn dry_run_writes_nothing() {
    let mut db = db();
    let r =
        run(&mut db, &[fixture("x/tweets.js")], &ImportOptions { dry_run: true, ..ImportOptions::default() }).unwrap();
    assert_eq!((r.added, r.import_id, r.ids.len()), (3, None, 0));
    assert_eq!(count_rows(&db, "entries"), 0);
}

fn library_with_everything() -> Db {
    let mut db = db();
    let paths: Vec<PathBuf> =
        ["x/tweets.js", "linkedin/Shares.csv", "csv/posts.csv", "md/single.md", "md/hooks.md", "misc/entries.jsonl"]
            .iter()
            .map(|p| fixture(p))
            .collect();
    run(&mut db, &paths, &ImportOptions { skip_bad: true, ..ImportOptions::default() }).unwrap();
    quill_library::update(&mut db, 2, "edit", |e| {
        e.notes = Some("line one\nline \"two\", with comma".into());
        e.title = Some("A: title with colon".into());
        e.metrics.insert("word_count".into(), 12.5);
        Ok(())
    })
    .unwrap();
    quill_library::remove(&mut db, 3).unwrap();
    db
}

fn round_trip(format: ExportFormat) -> (Vec<quill_library::Entry>, Vec<quill_library::Entry>) {
    let db = library_with_everything();
    let before = all(&db);
    let mut buf = Vec::new();
    export(&before, format, &mut buf).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ext = match format {
        ExportFormat::Jsonl => "jsonl",
        ExportFormat::Csv => "csv",
        ExportFormat::Md => "md",
    };
    let path = dir.path().join(format!("export.{ext}"));
    quill_library::export_to_file(&before, format, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), buf);
    let mut fresh = Db::open_in_memory().unwrap();
    let r = run(&mut fresh, &[path], &ImportOptions::default()).unwrap();
    assert_eq!(r.added, before.len(), "{r:#?}");
    (before, all(&fresh))
}

#[test]
fn export_import_round_trips_every_field_jsonl() {
    let (before, after) = round_trip(ExportFormat::Jsonl);
    assert!(before.iter().any(|e| e.is_deleted()));
    assert_eq!(before, after);
}

#[test]
fn export_import_round_trips_every_field_csv() {
    let (before, after) = round_trip(ExportFormat::Csv);
    assert_eq!(before, after);
}

#[test]
fn export_import_round_trips_every_field_md() {
    let (before, after) = round_trip(ExportFormat::Md);
    assert_eq!(before, after);
}

#[test]
fn concurrent_importers_in_threads_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    drop(Db::open(&path).unwrap());
    let handles: Vec<_> = (0..2)
        .map(|k| {
            let (path, dir) = (path.clone(), dir.path().to_path_buf());
            std::thread::spawn(move || {
                let mut db = Db::open(&path).unwrap();
                for batch in 0..10 {
                    let f = dir.join(format!("w{k}-{batch}.txt"));
                    let text: Vec<String> = (0..5)
                        .map(|i| {
                            format!("writer {k} batch {batch} entry {i} unique words {}", k * 1000 + batch * 10 + i)
                        })
                        .collect();
                    std::fs::write(&f, text.join("\n\n")).unwrap();
                    run(&mut db, &[f], &ImportOptions { allow_duplicates: true, ..ImportOptions::default() }).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let db = Db::open(&path).unwrap();
    assert_eq!(all(&db).len(), 100);
    assert_eq!(count_rows(&db, "imports"), 20);
}

/// Bad input of any shape is an error or a skipped row, never a panic: every fixture cut at
/// many points, with stray quotes, fences and half entities appended.
#[test]
fn truncated_and_mangled_input_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("x/tweets.js", Format::X),
        ("linkedin/Shares.csv", Format::Linkedin),
        ("csv/posts.csv", Format::Csv),
        ("md/hooks.md", Format::Md),
        ("md/single.md", Format::Md),
        ("misc/entries.jsonl", Format::Jsonl),
        ("misc/article.html", Format::Html),
        ("misc/hooks.txt", Format::Txt),
    ];
    for (rel, format) in cases {
        let text = std::fs::read_to_string(fixture(rel)).unwrap();
        let mut db = Db::open_in_memory().unwrap();
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(13).collect();
        for (n, cut) in cuts.into_iter().enumerate() {
            let mut mangled = text[..cut].to_string();
            match n % 4 {
                1 => mangled.push('"'),
                2 => mangled.push_str("\n---\nkind: [\n&#xZZ; {hashtag|é"),
                3 => mangled.push_str("\"\",é\"x"),
                _ => {}
            }
            let f = dir.path().join(format!("case-{n}"));
            std::fs::write(&f, &mangled).unwrap();
            for skip_bad in [false, true] {
                let opts = ImportOptions { format, skip_bad, allow_duplicates: true, ..ImportOptions::default() };
                let _ = run(&mut db, std::slice::from_ref(&f), &opts);
            }
        }
    }
}

#[test]
fn quillignore_keeps_held_out_material_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let post = |kind: &str, text: &str| format!("---\nkind: {kind}\nplatform: linkedin\n---\n{text}\n");
    std::fs::create_dir_all(root.join("library/sub")).unwrap();
    std::fs::create_dir_all(root.join("heldout")).unwrap();
    std::fs::write(root.join("library/a.md"), post("post", "Kept.")).unwrap();
    std::fs::write(root.join("library/sub/b.draft.md"), post("post", "A draft.")).unwrap();
    std::fs::write(root.join("heldout/c.md"), post("post", "For evaluation only.")).unwrap();
    std::fs::write(root.join(".quillignore"), "# held out for evaluation\nheldout/\n*.draft.md\n").unwrap();
    let mut db = db();
    let r = run(&mut db, &[root.to_path_buf()], &ImportOptions::default()).unwrap();
    assert_eq!(r.added, 1);
    let skipped: Vec<_> =
        r.skipped.iter().map(|s| (s.path.rsplit('/').next().unwrap().to_string(), s.reason.clone())).collect();
    assert!(skipped.contains(&("heldout".into(), "listed in .quillignore".into())), "{skipped:?}");
    assert!(skipped.iter().any(|(p, _)| p == "b.draft.md"), "{skipped:?}");
    // Naming an ignored file explicitly still imports it.
    let r = run(&mut db, &[root.join("heldout/c.md")], &ImportOptions::default()).unwrap();
    assert_eq!(r.added, 1);
}
