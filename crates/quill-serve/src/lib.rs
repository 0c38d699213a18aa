//! Serves a Quill model over the OpenAI-compatible wire format so other tools can use the creator's model.
