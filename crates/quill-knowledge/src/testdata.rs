//! Tiny documents built in memory for tests, so no binary fixtures are checked in and each test
//! states exactly what its file contains.

use std::io::{Cursor, Write};

/// Builds a minimal DOCX in memory: used by tests here and in the integration tests, so no
/// binary fixtures have to be checked in.
pub fn build_docx(paragraphs: &[(Option<&str>, &str)], title: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    for (style, text) in paragraphs {
        body.push_str("<w:p>");
        if let Some(s) = style {
            body.push_str(&format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#));
        }
        let esc = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        body.push_str(&format!(r#"<w:r><w:t xml:space="preserve">{esc}</w:t></w:r></w:p>"#));
    }
    body.push_str("</w:body></w:document>");
    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let files: Vec<(&str, String)> = vec![
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#
                    .to_string(),
            ),
            ("word/document.xml", body),
        ];
        for (name, content) in files {
            // Writing into a Vec cannot fail.
            let _ = z.start_file(name, opts);
            let _ = z.write_all(content.as_bytes());
        }
        if let Some(t) = title {
            let _ = z.start_file("docProps/core.xml", opts);
            let _ = z.write_all(
                format!(r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="cp" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{t}</dc:title></cp:coreProperties>"#)
                    .as_bytes(),
            );
        }
        let _ = z.finish();
    }
    buf.into_inner()
}

/// A DOCX whose `word/document.xml` is padded with `pad_mb` MB of spaces: it compresses about
/// 1000×, which is what a zip bomb looks like.
pub fn build_bomb_docx(pad_mb: usize) -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let _ = z.start_file("word/document.xml", opts);
        let _ = z.write_all(
            br#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>boom</w:t></w:r></w:p>"#,
        );
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..pad_mb {
            let _ = z.write_all(&spaces);
        }
        let _ = z.write_all(b"</w:body></w:document>");
        let _ = z.finish();
    }
    buf.into_inner()
}

/// A one-page PDF (Helvetica, WinAnsi) whose text layer holds `lines`; `encrypted` adds an
/// `/Encrypt` dictionary with an unknown password.
pub fn build_pdf(lines: &[&str], encrypted: bool) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for l in lines {
        let esc = l.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
        content.push_str(&format!("({esc}) Tj T*\n"));
    }
    content.push_str("ET");
    let mut objs: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".into(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", content.len(), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    ];
    if encrypted {
        let o = "(".to_string() + &"A".repeat(32) + ")";
        let u = "(".to_string() + &"B".repeat(32) + ")";
        objs.push(format!("<< /Filter /Standard /V 1 /R 2 /O {o} /U {u} /P -44 >>"));
    }
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{}\nendobj\n", i + 1, o));
    }
    let xref = out.len();
    out.push_str(&format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    let enc = if encrypted {
        format!(
            " /Encrypt {} 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]",
            objs.len()
        )
    } else {
        String::new()
    };
    out.push_str(&format!("trailer\n<< /Size {} /Root 1 0 R{enc} >>\nstartxref\n{xref}\n%%EOF\n", objs.len() + 1));
    out.into_bytes()
}
