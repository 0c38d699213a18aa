//! Rung 6b: LoRA fine-tuning on CPU, with adapters exported for PEFT, llama.cpp and Ollama.
