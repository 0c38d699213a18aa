//! An incremental server-sent-events parser.
//!
//! Why our own: it is forty lines, and it must cope with bytes arriving in arbitrary pieces
//! (a UTF-8 character or a `\r\n` split across network reads), which is exactly where naive
//! line splitting goes wrong. It follows the WHATWG rules Quill needs: `data:` lines joined with
//! `\n`, `event:` names, `:` comments ignored, an event dispatched on a blank line, and `\n`,
//! `\r\n` or `\r` as line ends.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name (`message` when absent).
    pub event: String,
    /// The joined `data:` lines.
    pub data: String,
}

/// Feeds bytes in, takes events out.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: Vec<u8>,
    data: Option<String>,
    event: Option<String>,
    /// The previous chunk ended in `\r`: a `\n` at the start of the next one belongs to it.
    pending_cr: bool,
}

/// Largest line we buffer; a server that sends more without a newline is not speaking SSE.
pub const MAX_LINE: usize = 16 << 20;

impl SseParser {
    /// A fresh parser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes and returns the events they complete. Errors only when a line exceeds
    /// [`MAX_LINE`].
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut out = Vec::new();
        if self.pending_cr {
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
            self.pending_cr = false;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.buf);
                self.line(&line, &mut out);
                if b == b'\r' {
                    if i + 1 < bytes.len() {
                        if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    } else {
                        self.pending_cr = true;
                    }
                }
            } else {
                self.buf.push(b);
                if self.buf.len() > MAX_LINE {
                    return Err(format!("an event-stream line is longer than {MAX_LINE} bytes"));
                }
            }
            i += 1;
        }
        Ok(out)
    }

    /// Whether bytes of an unfinished event are buffered (used to tell a clean end from a cut).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.data.is_some()
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                let event = self.event.take().unwrap_or_else(|| "message".into());
                out.push(SseEvent { event, data });
            }
            self.event = None;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(p) => {
                let v = &text[p + 1..];
                (&text[..p], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.event = Some(value.to_string()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        chunks.iter().flat_map(|c| p.feed(c).unwrap()).collect()
    }

    #[test]
    fn basic_and_split() {
        let want = vec![
            SseEvent { event: "message".into(), data: "{\"a\":1}".into() },
            SseEvent { event: "message".into(), data: "[DONE]".into() },
        ];
        assert_eq!(all(&[b"data: {\"a\":1}\n\ndata: [DONE]\n\n"]), want);
        let whole = b"data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n";
        for cut in 0..whole.len() {
            assert_eq!(all(&[&whole[..cut], &whole[cut..]]), want, "cut at {cut}");
        }
    }

    #[test]
    fn multi_line_comments_and_event_names() {
        let ev = all(&[b": keep-alive\nevent: error\ndata: line1\ndata:line2\n\n"]);
        assert_eq!(ev, vec![SseEvent { event: "error".into(), data: "line1\nline2".into() }]);
    }

    #[test]
    fn utf8_split_across_reads() {
        let s = "data: héllo 👋\n\n".as_bytes();
        let ev = all(&[&s[..9], &s[9..15], &s[15..]]);
        assert_eq!(ev[0].data, "héllo 👋");
    }

    #[test]
    fn partial_is_visible() {
        let mut p = SseParser::new();
        p.feed(b"data: {\"a\"").unwrap();
        assert!(p.has_partial());
        p.feed(b"}\n\n").unwrap();
        assert!(!p.has_partial());
    }
}
