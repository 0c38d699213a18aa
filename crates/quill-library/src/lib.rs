//! Rung 1: the creator's voice and example library — entries, history, importers, export and stats.
