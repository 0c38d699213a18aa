//! Code-point classes and the GPT-2 byte↔unicode map, as llama.cpp's `unicode.cpp` uses them.
//!
//! llama.cpp classifies code points by Unicode general category (`\p{L}` letters, `\p{N}` numbers)
//! and the White_Space property. We take the category ranges from `regex-syntax`'s Unicode tables
//! (the same tables the regex engine uses), so the hand-written splitters and the regex-based ones
//! agree with each other.

use std::sync::OnceLock;

struct Classes {
    letters: Vec<(u32, u32)>,
    numbers: Vec<(u32, u32)>,
}

fn class_ranges(pattern: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class, HirKind};
    let Ok(hir) = regex_syntax::parse(pattern) else {
        return Vec::new();
    };
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect(),
        _ => Vec::new(),
    }
}

fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| Classes { letters: class_ranges(r"\p{L}"), numbers: class_ranges(r"\p{N}") })
}

fn in_ranges(ranges: &[(u32, u32)], c: u32) -> bool {
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `\p{L}`
pub fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    in_ranges(&classes().letters, c as u32)
}

/// `\p{N}`
pub fn is_number(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    in_ranges(&classes().numbers, c as u32)
}

/// `\s` (Unicode White_Space, llama.cpp's `unicode_set_whitespace`).
pub fn is_whitespace(c: char) -> bool {
    c.is_whitespace()
}

/// GPT-2's byte → printable code point map (`bytes_to_unicode`).
pub fn byte_to_char_table() -> &'static [char; 256] {
    static T: OnceLock<[char; 256]> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = ['\0'; 256];
        let mut n = 0u32;
        for b in 0..256u32 {
            let printable = (0x21..=0x7E).contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b);
            let cp = if printable {
                b
            } else {
                n += 1;
                255 + n
            };
            t[b as usize] = char::from_u32(cp).unwrap_or('\u{FFFD}');
        }
        t
    })
}

/// Inverse of [`byte_to_char_table`]: code point → byte, `None` for code points outside the map.
pub fn char_to_byte(c: char) -> Option<u8> {
    static T: OnceLock<std::collections::HashMap<char, u8>> = OnceLock::new();
    let t = T.get_or_init(|| byte_to_char_table().iter().enumerate().map(|(b, &c)| (c, b as u8)).collect());
    t.get(&c).copied()
}

/// Byte-level encoding of a word: every UTF-8 byte becomes its printable stand-in.
pub fn byte_encode(word: &str, out: &mut String) {
    let t = byte_to_char_table();
    out.clear();
    for &b in word.as_bytes() {
        out.push(t[b as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_match_unicode_categories() {
        assert!(is_letter('a') && is_letter('É') && is_letter('中') && is_letter('ß'));
        assert!(!is_letter('1') && !is_letter(' ') && !is_letter('🚀') && !is_letter('\u{200D}'));
        assert!(is_number('7') && is_number('٣') && is_number('½') && is_number('Ⅳ'));
        assert!(!is_number('a'));
        assert!(is_whitespace('\u{3000}') && is_whitespace('\n') && is_whitespace('\u{85}'));
        assert!(!is_whitespace('\u{200B}'));
    }

    #[test]
    fn byte_map_is_gpt2() {
        let t = byte_to_char_table();
        assert_eq!(t[b'A' as usize], 'A');
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(t[b as usize]), Some(b));
        }
    }
}
