//! A small gzip reader (RFC 1952 around RFC 1951 inflate, after zlib's `puff.c`), so the test
//! data can ship compressed without adding a dependency to the workspace. Test-only: panics on
//! malformed input.

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    count: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> u32 {
        let mut val = self.buf;
        while self.count < n {
            let byte = *self.data.get(self.pos).expect("deflate stream ends early") as u32;
            self.pos += 1;
            val |= byte << self.count;
            self.count += 8;
        }
        self.buf = if n >= 32 { 0 } else { val >> n };
        self.count -= n;
        if n >= 32 { val } else { val & ((1u32 << n) - 1) }
    }
}

struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Huffman { count, symbol }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> u16 {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.need(1) as i32;
            let count = self.count[len] as i32;
            if code - count < first {
                return self.symbol[(index + (code - first)) as usize];
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        panic!("bad Huffman code");
    }
}

const LBASE: [u16; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEXT: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DEXT: [u8; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

fn codes(bits: &mut Bits<'_>, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) {
    loop {
        let sym = lit.decode(bits) as usize;
        match sym {
            0..=255 => out.push(sym as u8),
            256 => return,
            _ => {
                let i = sym - 257;
                let len = LBASE[i] as usize + bits.need(LEXT[i] as u32) as usize;
                let d = dist.decode(bits) as usize;
                let back = DBASE[d] as usize + bits.need(DEXT[d] as u32) as usize;
                assert!(back <= out.len(), "distance too far back");
                let start = out.len() - back;
                for k in 0..len {
                    out.push(out[start + k]);
                }
            }
        }
    }
}

/// Inflates a raw deflate stream.
pub fn inflate(data: &[u8]) -> Vec<u8> {
    let mut bits = Bits { data, pos: 0, buf: 0, count: 0 };
    let mut out = Vec::with_capacity(data.len() * 3);
    loop {
        let last = bits.need(1);
        match bits.need(2) {
            0 => {
                bits.buf = 0;
                bits.count = 0;
                let p = bits.pos;
                let len = u16::from_le_bytes([data[p], data[p + 1]]) as usize;
                assert_eq!(len as u16, !u16::from_le_bytes([data[p + 2], data[p + 3]]), "stored block length");
                out.extend_from_slice(&data[p + 4..p + 4 + len]);
                bits.pos = p + 4 + len;
            }
            1 => {
                let mut l = [8u8; 288];
                l[144..256].fill(9);
                l[256..280].fill(7);
                codes(&mut bits, &mut out, &Huffman::new(&l), &Huffman::new(&[5u8; 30]));
            }
            2 => {
                let nlen = bits.need(5) as usize + 257;
                let ndist = bits.need(5) as usize + 1;
                let ncode = bits.need(4) as usize + 4;
                const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
                let mut cl = [0u8; 19];
                for &o in ORDER.iter().take(ncode) {
                    cl[o] = bits.need(3) as u8;
                }
                let lencode = Huffman::new(&cl);
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = lencode.decode(&mut bits);
                    let (value, repeat) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => (lengths[i.checked_sub(1).expect("repeat with no previous length")], 3 + bits.need(2)),
                        17 => (0, 3 + bits.need(3)),
                        _ => (0, 11 + bits.need(7)),
                    };
                    for _ in 0..repeat {
                        lengths[i] = value;
                        i += 1;
                    }
                }
                let lit = Huffman::new(&lengths[..nlen]);
                let dist = Huffman::new(&lengths[nlen..]);
                codes(&mut bits, &mut out, &lit, &dist);
            }
            _ => panic!("invalid deflate block type"),
        }
        if last == 1 {
            return out;
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (n, t) in table.iter_mut().enumerate() {
        let mut c = n as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *t = c;
    }
    !data.iter().fold(!0u32, |c, &b| table[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8))
}

/// Decompresses a `.gz` file's bytes (one member), checking its CRC and length.
pub fn gunzip(data: &[u8]) -> Vec<u8> {
    assert!(data.len() >= 18 && data[..3] == [0x1f, 0x8b, 8], "not a gzip file");
    let flags = data[3];
    let mut pos = 10;
    if flags & 4 != 0 {
        pos += 2 + u16::from_le_bytes([data[pos], data[pos + 1]]) as usize;
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            pos += data[pos..].iter().position(|&b| b == 0).expect("unterminated gzip header field") + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    let tail = &data[data.len() - 8..];
    let out = inflate(&data[pos..data.len() - 8]);
    assert_eq!(crc32(&out), u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]), "gzip CRC mismatch");
    assert_eq!(out.len() as u32, u32::from_le_bytes([tail[4], tail[5], tail[6], tail[7]]), "gzip length mismatch");
    out
}
