//! Rung 2: briefs, platform presets, structured prompt assembly, the prompt linter, drafts and the generation log.
