//! The brief: what a creator wants written, as structured fields.
//!
//! The seed's point — "a lazy prompt produces lazy output" — is that a good prompt names the
//! platform, audience, tone, main point, required elements, what to avoid, a CTA and examples.
//! A brief makes those fields explicit so Quill can check them, choose examples for them, and
//! check the draft against them afterwards.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A writing brief, read from TOML or built from flags.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Brief {
    /// Platform preset key: linkedin, x, x_thread, newsletter, email, instagram, youtube, blog, other.
    pub platform: String,
    /// Who the piece is for.
    pub audience: String,
    /// How it should sound.
    pub tone: String,
    /// The one thing the reader should take away.
    pub main_point: String,
    /// Elements the draft must contain (checked afterwards).
    pub must_include: Vec<String>,
    /// Phrases, topics or habits to stay away from.
    pub avoid: Vec<String>,
    /// The call to action.
    pub cta: String,
    /// Length, free text ("150-220 words", "under 280 characters"); the preset's default if empty.
    pub length: String,
    /// Extra format instructions.
    pub format: String,
    /// How many variants to draft.
    pub variants: u32,
    /// How many examples from the library to show the model.
    pub examples: u32,
    /// Whether to ground the prompt in the knowledge base.
    pub knowledge: bool,
    /// How many knowledge passages at most.
    pub passages: u32,
    /// Anything else the writer should know.
    pub notes: String,
}

impl Default for Brief {
    fn default() -> Self {
        Self {
            platform: "linkedin".into(),
            audience: String::new(),
            tone: String::new(),
            main_point: String::new(),
            must_include: Vec::new(),
            avoid: Vec::new(),
            cta: String::new(),
            length: String::new(),
            format: String::new(),
            variants: 1,
            examples: 3,
            knowledge: true,
            passages: 4,
            notes: String::new(),
        }
    }
}

/// The platform keys a brief may name (the shipped presets).
pub const PLATFORMS: &[&str] =
    &["linkedin", "x", "x_thread", "newsletter", "email", "instagram", "youtube", "blog", "other"];

impl Brief {
    /// Reads a brief file; errors name the file, line and the fix.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.to_path_buf(), source: e })?;
        Self::parse(&text, path)
    }

    /// Parses brief text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let brief: Brief = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            message: format!(
                "{e}\n  hint: a brief has the fields platform, audience, tone, main_point, must_include = [..], avoid = [..], cta, length, format, variants, examples, knowledge, passages, notes"
            ),
        })?;
        brief.validate(path)?;
        Ok(brief)
    }

    /// Checks values that TOML types alone cannot.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let bad = |message: String| Err(Error::Parse { path: path.to_path_buf(), message });
        if !PLATFORMS.contains(&self.platform.as_str()) {
            return bad(format!("platform {:?} is not one of {}", self.platform, PLATFORMS.join(", ")));
        }
        if self.variants == 0 || self.variants > 20 {
            return bad(format!("variants = {} must be between 1 and 20", self.variants));
        }
        if self.examples > 20 {
            return bad(format!("examples = {} is more than the 20 a prompt can usefully hold", self.examples));
        }
        Ok(())
    }

    /// The library platform this brief's preset corresponds to (`x_thread` drafts are X content).
    pub fn library_platform(&self) -> &str {
        match self.platform.as_str() {
            "x_thread" => "x",
            p => p,
        }
    }

    /// Text to search the library and the knowledge base with.
    pub fn retrieval_query(&self) -> String {
        let mut parts = vec![self.main_point.as_str(), self.audience.as_str()];
        parts.extend(self.must_include.iter().map(String::as_str));
        parts.retain(|p| !p.trim().is_empty());
        parts.join(". ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_brief() {
        let b = Brief::parse(
            r#"platform = "linkedin"
audience = "agency owners"
tone = "direct"
main_point = "handoffs lose margin"
must_include = ["one number", "a question"]
avoid = ["leverage"]
cta = "book an audit"
variants = 2
"#,
            Path::new("b.toml"),
        )
        .unwrap();
        assert_eq!(b.variants, 2);
        assert_eq!(b.examples, 3);
        assert!(b.retrieval_query().contains("handoffs lose margin"));
    }

    #[test]
    fn unknown_field_names_line_and_fields() {
        let err = Brief::parse("platform = \"x\"\naudiance = \"typo\"\n", Path::new("b.toml")).unwrap_err().to_string();
        assert!(err.contains("b.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("audience"), "{err}");
    }

    #[test]
    fn unknown_platform_lists_choices() {
        let err = Brief::parse("platform = \"tiktok\"\n", Path::new("b.toml")).unwrap_err().to_string();
        assert!(err.contains("linkedin"), "{err}");
    }
}
