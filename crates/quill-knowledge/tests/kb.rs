//! The knowledge base end to end, with the real MiniLM model: ingest of every format, broken
//! files, incremental re-indexing, deletion, offsets, search modes, the library scope.

mod common;

use std::path::{Path, PathBuf};

use quill_knowledge::testdata::{build_bomb_docx, build_docx, build_pdf};
use quill_knowledge::{
    Knowledge, Mode, NoProgress, SearchOptions, SearchScope, Settings, chunk::slice_chars, library_items,
};
use quill_store::Db;

fn kb_in(dir: &Path) -> Knowledge {
    let db = Db::open(&dir.join("q.db")).unwrap();
    Knowledge::new(db, Settings::default()).unwrap().with_embedder(common::embedder())
}

fn write(p: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A folder with one good file of every format and four broken ones.
fn mixed_folder(root: &Path) -> PathBuf {
    let d = root.join("docs");
    write(
        &d.join("offer.md"),
        "# The Sprint\n\n## Price\n\nThe sprint costs $9,500, fixed. Half at signing.\n\n## Refunds\n\nFull refund within 14 days if the audit finds nothing.\n",
    );
    write(&d.join("notes.txt"), "Kettle notes\n\nBiscuit the rescue dog likes the kettle whistle.\n");
    write(
        &d.join("page.html"),
        "<html><head><title>Audit page</title><script>var tracking=1</script></head><body><nav>Home Blog</nav><main><h1>The Audit</h1><p>The audit takes two weeks and costs $2,500.</p></main><footer>copyright footer</footer></body></html>",
    );
    write(
        &d.join("guide.pdf"),
        build_pdf(&["Capacity guide", "Nobody is booked for more than 30 hours of project work."], false),
    );
    write(
        &d.join("sop.docx"),
        build_docx(
            &[
                (Some("Title"), "Onboarding SOP"),
                (Some("Heading2"), "Welcome email"),
                (None, "Send the welcome email within 4 hours of signature."),
            ],
            None,
        ),
    );
    write(&d.join("sub/deeper.md"), "# Deeper\n\nNested folders are walked too: zeppelin.\n");
    // Broken ones.
    write(&d.join("broken.pdf"), b"%PDF-1.7\nthis is not really a pdf at all");
    write(&d.join("locked.pdf"), build_pdf(&["secret"], true));
    write(&d.join("bomb.docx"), build_bomb_docx(8));
    write(&d.join("latin1.txt"), b"caf\xe9 cr\xe8me");
    // Ignored: hidden and unsupported files inside a folder.
    write(&d.join(".hidden.md"), "# hidden");
    write(&d.join("image.png"), [0u8, 1, 2]);
    d
}

fn names(v: &[PathBuf]) -> Vec<String> {
    let mut n: Vec<String> = v.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    n.sort();
    n
}

#[test]
fn mixed_folder_ingests_good_files_and_reports_broken_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = mixed_folder(tmp.path());
    let mut kb = kb_in(tmp.path());
    let r = kb.add_paths(std::slice::from_ref(&d), &mut NoProgress).unwrap();
    assert_eq!(names(&r.added), ["deeper.md", "guide.pdf", "notes.txt", "offer.md", "page.html", "sop.docx"]);
    let failed: Vec<(String, String)> = r
        .failed
        .iter()
        .map(|f| (f.path.file_name().unwrap().to_string_lossy().into_owned(), f.error.clone()))
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    let why = |n: &str| failed.iter().find(|f| f.0 == n).map(|f| f.1.clone()).unwrap_or_default();
    assert!(why("broken.pdf").contains("PDF could not be read"), "{failed:?}");
    assert!(why("locked.pdf").contains("encrypted"), "{failed:?}");
    assert!(why("bomb.docx").contains("refusing to unpack"), "{failed:?}");
    assert!(why("latin1.txt").contains("UTF-8"), "{failed:?}");
    assert!(r.embedded >= 6 && r.embedded == r.chunks, "{r:?}");

    let docs = kb.documents(SearchScope::Docs).unwrap();
    let title = |f: &str| docs.iter().find(|d| d.source.ends_with(f)).map(|d| d.title.clone()).unwrap();
    assert_eq!(title("offer.md"), "The Sprint");
    assert_eq!(title("page.html"), "Audit page");
    assert_eq!(title("sop.docx"), "Onboarding SOP");
    assert_eq!(title("guide.pdf"), "Capacity guide");
    assert!(docs.iter().all(|d| d.content_hash.len() == 64 && d.mtime.is_some() && d.embedded == d.chunks));

    // Every format is searchable; HTML furniture is not indexed.
    let bm25 = SearchOptions { mode: Mode::Bm25, ..SearchOptions::default() };
    for (q, file) in [
        ("zeppelin", "deeper.md"),
        ("welcome email", "sop.docx"),
        ("30 hours project work", "guide.pdf"),
        ("kettle whistle", "notes.txt"),
        ("two weeks audit", "page.html"),
    ] {
        let hits = kb.search(q, &bm25).unwrap();
        assert!(hits.first().is_some_and(|h| h.source.ends_with(file)), "{q}: {hits:?}");
    }
    assert!(kb.search("tracking copyright footer", &bm25).unwrap().is_empty());

    // Offsets slice the stored document text to exactly the chunk text.
    let conn = kb.db().conn();
    let mut stmt = conn.prepare("SELECT c.document_id, c.start_char, c.end_char, c.text FROM kb_chunks c").unwrap();
    let rows: Vec<(i64, i64, i64, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    for (doc, s, e, text) in rows {
        let full = kb.document_text(doc).unwrap().unwrap();
        assert_eq!(slice_chars(&full, s as usize, e as usize), text);
    }
    // Markdown offsets point into the file itself.
    let offer = std::fs::read_to_string(d.join("offer.md")).unwrap();
    let hit = &kb.search("refund", &bm25).unwrap()[0];
    assert_eq!(slice_chars(&offer, hit.start_char, hit.end_char), hit.text);
    assert_eq!(hit.heading_path, ["The Sprint", "Refunds"]);
}

#[test]
fn re_adding_reindexes_only_the_edited_file_and_drops_deleted_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("docs");
    let long_section = (0..40)
        .map(|i| format!("Sentence {i} about onboarding checklists and kickoff calls."))
        .collect::<Vec<_>>()
        .join(" ");
    write(
        &d.join("a.md"),
        format!("# A\n\n## One\n\n{long_section}\n\n## Two\n\nThe original second section mentions walrus.\n"),
    );
    write(&d.join("b.md"), "# B\n\nBeta file about invoices.\n");
    write(&d.join("c.txt"), "Gamma file about calendars.\n");
    let mut kb = kb_in(tmp.path());
    let first = kb.add_paths(std::slice::from_ref(&d), &mut NoProgress).unwrap();
    assert_eq!(first.added.len(), 3);
    let total_chunks = first.chunks;

    let again = kb.add_paths(std::slice::from_ref(&d), &mut NoProgress).unwrap();
    assert_eq!(
        (again.added.len(), again.updated.len(), again.unchanged.len(), again.embedded),
        (0, 0, 3, 0),
        "{again:?}"
    );

    // Edit one section of a.md: only a.md is re-read, and only its changed chunk is embedded.
    write(
        &d.join("a.md"),
        format!("# A\n\n## One\n\n{long_section}\n\n## Two\n\nThe edited second section mentions narwhal.\n"),
    );
    let edited = kb.add_paths(std::slice::from_ref(&d), &mut NoProgress).unwrap();
    assert_eq!(names(&edited.updated), ["a.md"]);
    assert_eq!(edited.unchanged.len(), 2);
    assert_eq!(edited.embedded, 1, "{edited:?}");
    assert!(edited.vectors_reused >= 1, "{edited:?}");
    let bm25 = SearchOptions { mode: Mode::Bm25, ..SearchOptions::default() };
    assert!(kb.search("walrus", &bm25).unwrap().is_empty());
    assert_eq!(kb.search("narwhal", &bm25).unwrap().len(), 1);

    // Delete a file: re-adding the folder drops it, its chunks, vectors and keyword entries.
    std::fs::remove_file(d.join("c.txt")).unwrap();
    let after = kb.add_paths(std::slice::from_ref(&d), &mut NoProgress).unwrap();
    assert_eq!(names(&after.removed), ["c.txt"]);
    assert!(kb.search("gamma calendars", &bm25).unwrap().is_empty());
    let s = kb.stats().unwrap();
    assert_eq!(s.documents.get("docs"), Some(&2));
    assert_eq!(s.embedded, s.chunks);
    assert!(s.chunks < total_chunks as i64);
    let fts_rows: i64 = kb.db().conn().query_row("SELECT count(*) FROM kb_chunks", [], |r| r.get(0)).unwrap();
    assert_eq!(fts_rows, s.chunks);

    // Removing by path and by id.
    let removed = kb.remove(&d.join("b.md").to_string_lossy()).unwrap();
    assert_eq!(removed.len(), 1);
    let id = kb.documents(SearchScope::Docs).unwrap()[0].id;
    assert_eq!(kb.remove(&id.to_string()).unwrap().len(), 1);
    assert!(kb.documents(SearchScope::All).unwrap().is_empty());
    let n: i64 = kb.db().conn().query_row("SELECT count(*) FROM kb_embeddings", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 0);
}

#[test]
fn hostile_queries_never_error_and_modes_agree_on_the_obvious() {
    let tmp = tempfile::tempdir().unwrap();
    let d = mixed_folder(tmp.path());
    let mut kb = kb_in(tmp.path());
    kb.add_paths(&[d], &mut NoProgress).unwrap();
    for q in [
        "what's the price?",
        "\"",
        "AND OR NOT",
        "title:price",
        "*",
        "NEAR(",
        "price^2",
        "-",
        "",
        "   ",
        "😀",
        "C++ (beginner)",
    ] {
        for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
            kb.search(q, &SearchOptions { mode, ..SearchOptions::default() })
                .unwrap_or_else(|e| panic!("{q:?} {mode:?}: {e}"));
        }
    }
    for mode in [Mode::Bm25, Mode::Dense, Mode::Hybrid] {
        let hits = kb
            .search("how much does the sprint cost", &SearchOptions { k: 3, mode, ..SearchOptions::default() })
            .unwrap();
        assert!(hits[0].text.contains("$9,500"), "{mode:?}: {hits:?}");
        assert_eq!(hits.iter().map(|h| h.n).collect::<Vec<_>>(), (1..=hits.len()).collect::<Vec<_>>());
        assert!(hits[0].citation().starts_with("[1] The Sprint › Price — "), "{}", hits[0].citation());
    }
    let hybrid = kb.search("sprint price", &SearchOptions::default()).unwrap();
    assert!(hybrid[0].bm25_rank.is_some() && hybrid[0].dense_rank.is_some());
    let mmr = kb.search("sprint price", &SearchOptions { mmr: Some(0.5), ..SearchOptions::default() }).unwrap();
    assert_eq!(mmr.len(), hybrid.len());
    assert_eq!(mmr[0].chunk_id, hybrid[0].chunk_id);
}

#[test]
fn library_entries_are_a_separate_scope_without_held_out_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let mut kb = kb_in(tmp.path());
    kb.add_text(
        "/notes/pricing.md",
        "Pricing",
        "# Pricing\n\nThe sprint costs $9,500.\n",
        quill_knowledge::Format::Markdown,
    )
    .unwrap();
    let conn = kb.db().conn();
    for (id, text) in [
        (1, "Your calendar is your strategy. Block the mornings."),
        (2, "Onboarding starts the minute the client says yes."),
        (3, "Held-out post about calendars and mornings."),
    ] {
        conn.execute(
            "INSERT INTO entries (id, kind, platform, text, content_hash, created_at, updated_at) VALUES (?1, 'post', 'linkedin', ?2, ?3, 'now', 'now')",
            rusqlite::params![id, text, format!("h{id}")],
        )
        .unwrap();
    }
    conn.execute("INSERT INTO entry_splits (entry_id, split, assigned_at) VALUES (3, 'test', 'now')", []).unwrap();
    let items = library_items(kb.db()).unwrap();
    assert_eq!(items.iter().map(|i| i.id).collect::<Vec<_>>(), [1, 2]);
    let r = kb.sync_library(&items, &mut NoProgress).unwrap();
    assert_eq!((r.indexed, r.removed), (2, 0));
    let lib = SearchOptions { scope: SearchScope::Library, ..SearchOptions::default() };
    let hits = kb.search("calendar mornings", &lib).unwrap();
    assert_eq!(hits[0].source, "library:1");
    assert!(hits.iter().all(|h| h.source.starts_with("library:")));
    assert!(
        kb.search("calendar mornings", &SearchOptions::default())
            .unwrap()
            .iter()
            .all(|h| !h.source.starts_with("library:"))
    );
    // An edit re-indexes that entry; a deleted entry leaves the index.
    let mut items2 = items.clone();
    items2[0].text = "Your calendar is your strategy. Protect Friday afternoons.".into();
    items2.pop();
    let r = kb.sync_library(&items2, &mut NoProgress).unwrap();
    assert_eq!((r.indexed, r.unchanged, r.removed, r.embedded), (1, 0, 1, 1));
    let all = kb.search("calendar", &SearchOptions { scope: SearchScope::All, ..SearchOptions::default() }).unwrap();
    assert!(all.iter().any(|h| h.text.contains("Friday afternoons")));
    assert!(!all.iter().any(|h| h.source == "library:2"));
}

#[test]
fn chunk_size_comes_from_the_knowledge_section() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = quill_store::Workspace::init(&tmp.path().join("ws"), Some("t")).unwrap();
    let cfg = ws.config_path();
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str("\n[knowledge]\nchunk_tokens = 40\noverlap_tokens = 10\n");
    std::fs::write(&cfg, text).unwrap();
    let ws = quill_store::Workspace::open(ws.root()).unwrap();
    let mut kb = Knowledge::open(&ws).unwrap().with_embedder(common::embedder());
    assert_eq!(kb.settings().chunk_tokens, 40);
    let body = (0..30).map(|i| format!("Sentence {i} is about the delivery calendar.")).collect::<Vec<_>>().join(" ");
    let n = kb.add_text("/t.md", "T", &body, quill_knowledge::Format::Text).unwrap();
    assert!(n >= 6, "{n}");
    let max: i64 = kb.db().conn().query_row("SELECT max(tokens) FROM kb_chunks", [], |r| r.get(0)).unwrap();
    assert!(max <= 40, "{max}");

    std::fs::write(&cfg, "[knowledge]\nchunk_tokens = 5\n").unwrap();
    let err = Knowledge::open(&quill_store::Workspace::open(ws.root()).unwrap()).unwrap_err();
    assert!(err.to_string().contains("chunk_tokens"), "{err}");
}

#[test]
fn keyword_scope_filter_survives_a_crowd_from_the_other_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let mut kb = kb_in(tmp.path());
    kb.add_text("/d/zebra.md", "Zebra", "A single document about a zebra crossing.", quill_knowledge::Format::Text)
        .unwrap();
    let items: Vec<quill_knowledge::LibraryItem> = (1..=230)
        .map(|i| quill_knowledge::LibraryItem {
            id: i,
            kind: "post".into(),
            platform: "x".into(),
            title: None,
            text: format!("zebra zebra zebra number {i}"),
        })
        .collect();
    kb.sync_library(&items, &mut NoProgress).unwrap();
    // 230 library chunks outrank the one document for "zebra"; the docs scope must still find it.
    let opts = SearchOptions { k: 1, mode: Mode::Bm25, candidates: 50, ..SearchOptions::default() };
    let hits = kb.search("zebra", &opts).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].source, "/d/zebra.md");
    let lib = kb.search("zebra", &SearchOptions { scope: SearchScope::Library, ..opts.clone() }).unwrap();
    assert!(lib[0].source.starts_with("library:"));
}
