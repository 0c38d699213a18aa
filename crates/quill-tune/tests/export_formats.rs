//! Export formats on the real model and the PyTorch reference adapter:
//! - PEFT: reading PyTorch's adapter (HF q/k layout) into GGUF order and writing it back gives
//!   PyTorch's tensors bit for bit (the q/k permutation round trip).
//! - GGUF LoRA: llama.cpp's keys and names, `B` kept in GGUF order, shapes in ggml order.
//! - Ollama: the TEMPLATE derived from SmolLM2's Jinja template reproduces it exactly, with the
//!   right stop words and default system prompt.

mod common;

use quill_llm::gguf::{GgufFile, GgufValue};
use quill_tune::adapter::{Adapter, permute_gguf_to_hf};
use quill_tune::config::ModelConfig;
use quill_tune::export::{self, BaseInfo, ChatFormat, Format};
use quill_tune::st;

#[test]
fn peft_round_trip_is_bit_exact_and_permutes_q_k() {
    let cfg = ModelConfig::from_path(&common::model_path()).unwrap();
    let src = common::torch_lora_dir().join("adapter_after_5_steps");
    let ad = Adapter::read_peft(&src, &cfg).unwrap();
    // Inside Quill, q/k B rows are in GGUF order: different from the file's for q and k only.
    let orig = st::read(&src.join("adapter_model.safetensors")).unwrap();
    let q_b = &orig.arrays["base_model.model.model.layers.3.self_attn.q_proj.lora_B.weight"];
    let v_b = &orig.arrays["base_model.model.model.layers.3.self_attn.v_proj.lora_B.weight"];
    let k_b = &orig.arrays["base_model.model.model.layers.3.self_attn.k_proj.lora_B.weight"];
    let ours_q = &ad.mats[&(3, quill_tune::Target::Q)].b;
    let ours_k = &ad.mats[&(3, quill_tune::Target::K)].b;
    assert_ne!(ours_q, &q_b.data);
    assert_eq!(&permute_gguf_to_hf(ours_q, 576, 8, 9), &q_b.data);
    assert_eq!(&permute_gguf_to_hf(ours_k, 192, 8, 3), &k_b.data);
    assert_eq!(&ad.mats[&(3, quill_tune::Target::V)].b, &v_b.data);

    let dir = tempfile::tempdir().unwrap();
    ad.write_peft(dir.path(), "SmolLM2-135M-Instruct.Q4_1.gguf").unwrap();
    let back = st::read(&dir.path().join("adapter_model.safetensors")).unwrap();
    assert_eq!(back.arrays.len(), orig.arrays.len());
    for (name, a) in &orig.arrays {
        assert_eq!(back.arrays.get(name), Some(a), "{name} differs after the round trip");
    }
    assert_eq!(back.metadata.get("format").map(String::as_str), Some("pt"));
    let cfg_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("adapter_config.json")).unwrap()).unwrap();
    assert_eq!(cfg_json["peft_type"], "LORA");
    assert_eq!(cfg_json["r"], 8);
    assert_eq!(cfg_json["lora_alpha"], 16.0);
    assert_eq!(cfg_json["target_modules"].as_array().unwrap().len(), 7);
    // And it reads back into the same adapter.
    assert_eq!(Adapter::read_peft(dir.path(), &cfg).unwrap(), ad);
}

#[test]
fn gguf_adapter_has_llama_cpp_layout() {
    let model = common::model_path();
    let cfg = ModelConfig::from_path(&model).unwrap();
    let ad = Adapter::read_peft(&common::torch_lora_dir().join("adapter_after_5_steps"), &cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.gguf");
    export::write_gguf(&ad, &p, "test").unwrap();
    let f = GgufFile::open(&p).unwrap();
    assert_eq!(f.get_str("general.type"), Some("adapter"));
    assert_eq!(f.get_str("adapter.type"), Some("lora"));
    assert_eq!(f.get_str("general.architecture"), Some("llama"));
    assert_eq!(f.get("adapter.lora.alpha"), Some(&GgufValue::F32(16.0)));
    assert_eq!(f.tensors().len(), 30 * 7 * 2);
    let (qa, _) = f.tensor("blk.3.attn_q.weight.lora_a").unwrap();
    assert_eq!(qa.dims, vec![576, 8]);
    let (qb, bytes) = f.tensor("blk.3.attn_q.weight.lora_b").unwrap();
    assert_eq!(qb.dims, vec![8, 576]);
    let vals: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(vals, ad.mats[&(3, quill_tune::Target::Q)].b, "B must stay in GGUF order");
    let (db, _) = f.tensor("blk.29.ffn_down.weight.lora_b").unwrap();
    assert_eq!(db.dims, vec![8, 576]);
    let (da, _) = f.tensor("blk.29.ffn_down.weight.lora_a").unwrap();
    assert_eq!(da.dims, vec![1536, 8]);
}

#[test]
fn ollama_template_reproduces_the_training_template() {
    let model = common::model_path();
    let (tok, tmpl) = quill_tune::run::load_chat(&model).unwrap();
    let fmt = ChatFormat::derive(&tmpl).unwrap();
    assert_eq!(fmt.user, ("<|im_start|>user\n".to_string(), "<|im_end|>\n".to_string()));
    assert_eq!(fmt.generation_prompt, "<|im_start|>assistant\n");
    assert!(fmt.default_system.as_deref().is_some_and(|s| s.contains("SmolLM")), "{:?}", fmt.default_system);
    assert!(export::verify_format(&fmt, &tmpl).unwrap().is_empty());
    assert_eq!(export::stop_words(&fmt, &tok), vec!["<|im_end|>".to_string(), "<|im_start|>".to_string()]);

    let cfg = ModelConfig::from_path(&model).unwrap();
    let ad = Adapter::read_peft(&common::torch_lora_dir().join("initial_adapter"), &cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let done = export::export(
        &ad,
        "maya",
        Format::All,
        dir.path(),
        &BaseInfo { path: &model, tokenizer: &tok, template: &tmpl },
    )
    .unwrap();
    assert!(done.template_mismatches.is_empty());
    let mf = std::fs::read_to_string(dir.path().join("Modelfile")).unwrap();
    assert!(mf.contains("\nADAPTER ./maya.gguf\n"), "{mf}");
    assert!(mf.contains("FROM /"), "{mf}");
    assert!(mf.contains("TEMPLATE \"\"\"{{ range .Messages }}{{ if eq .Role \"system\" }}<|im_start|>system\n{{ .Content }}<|im_end|>\n"), "{mf}");
    assert!(mf.contains("PARAMETER stop \"<|im_end|>\"") && mf.contains("PARAMETER stop \"<|im_start|>\""));
    assert!(mf.contains("SYSTEM \"\"\"You are a helpful AI assistant named SmolLM"), "{mf}");
    assert!(dir.path().join("maya.gguf").is_file());
    assert!(dir.path().join("peft/adapter_model.safetensors").is_file());
}
