//! Renders the model's own chat template (`tokenizer.chat_template`, Jinja) with minijinja, set
//! up the way Hugging Face's `apply_chat_template` runs Jinja: `trim_blocks`, `lstrip_blocks`,
//! loop controls, Python string/dict methods (pycompat), `raise_exception`, `strftime_now`, and a
//! Python-compatible `tojson`. Models without a template get ChatML.

use crate::error::LlmError;
use crate::gguf::GgufFile;
use crate::tokenizer::Tokenizer;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};

/// One chat message. `role` is usually `system`, `user` or `assistant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        ChatMessage { role: role.into(), content: content.into() }
    }
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }
}

/// The ChatML template used when a model ships none.
pub const CHATML_TEMPLATE: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// A compiled chat template plus the special-token texts it may reference.
pub struct ChatTemplate {
    env: Environment<'static>,
    source: String,
    bos_token: String,
    eos_token: String,
    is_fallback: bool,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate").field("is_fallback", &self.is_fallback).field("len", &self.source.len()).finish()
    }
}

const NAME: &str = "chat";

impl ChatTemplate {
    /// Compiles `source`. `bos_token`/`eos_token` are the texts templates see as variables.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<Self, LlmError> {
        let mut env = Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .build()
                .map_err(|e| LlmError::Template(e.to_string()))?,
        );
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", |msg: String| -> Result<Value, Error> {
            Err(Error::new(ErrorKind::InvalidOperation, msg))
        });
        env.add_function("strftime_now", |fmt: String| -> String { chrono::Local::now().format(&fmt).to_string() });
        env.add_filter("tojson", tojson);
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| LlmError::Template(format!("cannot compile the model's chat template: {e}")))?;
        Ok(ChatTemplate {
            env,
            source: source.to_string(),
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
            is_fallback: false,
        })
    }

    /// ChatML (`<|im_start|>role\n…<|im_end|>\n`).
    pub fn chatml(bos_token: &str, eos_token: &str) -> Result<Self, LlmError> {
        let mut t = Self::new(CHATML_TEMPLATE, bos_token, eos_token)?;
        t.is_fallback = true;
        Ok(t)
    }

    /// The GGUF's `tokenizer.chat_template`, or ChatML when absent.
    pub fn from_gguf(f: &GgufFile, tok: &Tokenizer) -> Result<Self, LlmError> {
        let text = |id: Option<u32>| id.and_then(|i| tok.token_text(i)).unwrap_or("").to_string();
        let (bos, eos) = (text(tok.special().bos), text(tok.special().eos));
        match f.get_str("tokenizer.chat_template") {
            Some(src) => {
                Self::new(src, &bos, &eos).map_err(|e| LlmError::Template(format!("{}: {e}", f.path().display())))
            }
            None => Self::chatml(&bos, &eos),
        }
    }

    /// True when the model had no template and ChatML is used.
    pub fn is_fallback(&self) -> bool {
        self.is_fallback
    }
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Renders the conversation. With `add_generation_prompt`, the text ends where the
    /// assistant's reply begins.
    pub fn render(&self, messages: &[ChatMessage], add_generation_prompt: bool) -> Result<String, LlmError> {
        let tmpl = self.env.get_template(NAME).map_err(|e| LlmError::Template(e.to_string()))?;
        let ctx = minijinja::context! {
            messages => Value::from(minijinja::value::Serde(messages)),
            add_generation_prompt => add_generation_prompt,
            bos_token => self.bos_token.as_str(),
            eos_token => self.eos_token.as_str(),
        };
        tmpl.render(ctx).map_err(|e| LlmError::Template(format!("rendering failed: {e}")))
    }
}

/// Python's `json.dumps(x, ensure_ascii=False, indent=indent)`, which is what transformers'
/// `tojson` does. (minijinja's built-in escapes `<`, `>`, `&` and `'` for HTML, which would
/// change prompts.)
fn tojson(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    kwargs.assert_all_used()?;
    let json = serde_json::to_value(&value).map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let mut out = String::new();
    write_py_json(&json, indent, 0, &mut out);
    Ok(Value::from_safe_string(out))
}

fn write_py_json(v: &serde_json::Value, indent: Option<usize>, level: usize, out: &mut String) {
    use serde_json::Value as J;
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match v {
        J::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                write_py_json(x, indent, level + 1, out);
            }
            newline(out, level);
            out.push(']');
        }
        J::Object(m) if !m.is_empty() => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push_str(": ");
                write_py_json(x, indent, level + 1, out);
            }
            newline(out, level);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_fallback_renders() {
        let t = ChatTemplate::chatml("", "").unwrap();
        let s = t.render(&[ChatMessage::system("S"), ChatMessage::user("Hi")], true).unwrap();
        assert_eq!(s, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        let s = t.render(&[ChatMessage::user("Hi")], false).unwrap();
        assert_eq!(s, "<|im_start|>user\nHi<|im_end|>\n");
    }

    #[test]
    fn hf_style_features_work() {
        // trim_blocks/lstrip_blocks, loop controls, pycompat methods, raise_exception, tojson
        let src = "{{ bos_token }}{% for m in messages %}\n  {% if m.role == 'bad' %}{{ raise_exception('no bad roles') }}{% endif %}\n  {% if loop.index > 2 %}{% break %}{% endif %}\n{{ m.role|upper }}: {{ m.content.strip() }}|{{ m.content.startswith(' x') }}\n{% endfor %}{{ {'a': 1, 'b': [1, 2], 'c': '<é>'}|tojson }}|{{ strftime_now('%Y')|length }}";
        let t = ChatTemplate::new(src, "<s>", "</s>").unwrap();
        let s = t
            .render(&[ChatMessage::user(" x "), ChatMessage::assistant("y"), ChatMessage::user("never")], false)
            .unwrap();
        assert_eq!(s, "<s>USER: x|True\nASSISTANT: y|False\n{\"a\": 1, \"b\": [1, 2], \"c\": \"<é>\"}|4");
        let e = t.render(&[ChatMessage::new("bad", "")], false).unwrap_err();
        assert!(e.to_string().contains("no bad roles"), "{e}");
        let t = ChatTemplate::new("{{ messages|tojson(indent=2) }}", "", "").unwrap();
        assert_eq!(
            t.render(&[ChatMessage::user("hi")], false).unwrap(),
            "[\n  {\n    \"role\": \"user\",\n    \"content\": \"hi\"\n  }\n]"
        );
        assert!(ChatTemplate::new("{% for %}", "", "").is_err());
    }
}
