//! NumPy `.npy` (format 1.0) headers, written exactly as `numpy.lib.format` writes them.

/// `\x93NUMPY` and version 1.0.
const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Magic (6 bytes), version (2) and the header's length (2) of a version 1.0 header.
const PREAMBLE_LEN: usize = 10;
/// NumPy pads headers so that data starts on a 64-byte boundary.
const ALIGN: usize = 64;
/// NumPy leaves room for the length of the first axis to grow to this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// The complete header of a C-order 1-D array of `len` elements of type `descr` (e.g. `|u1`, `<u8`).
pub fn header(descr: &str, len: usize) -> Vec<u8> {
    let shape = format!("({len},)");
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let digits = len.to_string().len();
    dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    // The preamble, the dict and its '\n', padded to ALIGN.
    let unpadded = PREAMBLE_LEN + dict.len() + 1;
    let pad = (ALIGN - unpadded % ALIGN) % ALIGN;
    dict.push_str(&" ".repeat(pad));
    dict.push('\n');
    let mut out = Vec::with_capacity(PREAMBLE_LEN + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// A parsed header: element type, element count, and where the data starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// The dtype string, e.g. `|u1`.
    pub descr: &'a str,
    /// Elements along the single axis.
    pub len: usize,
    /// Byte offset of the data.
    pub data_offset: usize,
}

/// The start of every header NumPy writes for a 1-D `uint8` array (version 1.0), up to the length.
const U8_PREFIX: &[u8] = b"{'descr': '|u1', 'fortran_order': False, 'shape': (";

/// Parses the header of a 1-D, C-order `.npy` array (versions 1, 2 and 3).
pub fn parse_header(bytes: &[u8]) -> Result<Header<'_>, String> {
    if let Some(header) = parse_u8_fast(bytes) {
        return Ok(header);
    }
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy array (bad magic)".into());
    }
    let (dict_len, dict_start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let dict = bytes
        .get(dict_start..dict_start + dict_len)
        .ok_or("header longer than the array")?;
    let dict = std::str::from_utf8(dict).map_err(|_| "header is not text")?;
    let descr = dict_value(dict, "descr")
        .map(|v| v.trim_matches(|c| c == '\'' || c == '"'))
        .ok_or("header has no descr")?;
    if dict_value(dict, "fortran_order").map(str::trim) == Some("True") {
        return Err("Fortran-ordered arrays are not log entries".into());
    }
    let shape = dict_value(dict, "shape").ok_or("header has no shape")?;
    let dims: Vec<&str> = shape
        .trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let len = match dims.as_slice() {
        [n] => n.parse().map_err(|_| format!("bad shape {shape}"))?,
        _ => return Err(format!("expected a 1-D array, shape is {shape}")),
    };
    Ok(Header {
        descr,
        len,
        data_offset: dict_start + dict_len,
    })
}

/// The header NumPy writes for 1-D `uint8` arrays (every log entry), read without a general parse.
fn parse_u8_fast(bytes: &[u8]) -> Option<Header<'static>> {
    let (preamble, rest) = bytes.split_at_checked(PREAMBLE_LEN)?;
    if &preamble[..6] != MAGIC || preamble[6] != 1 {
        return None;
    }
    let dict_len = u16::from_le_bytes([preamble[8], preamble[9]]) as usize;
    let rest = rest.get(..dict_len)?.strip_prefix(U8_PREFIX)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (len, after) = rest.split_at(digits);
    if !after.starts_with(b",)") {
        return None;
    }
    let len = std::str::from_utf8(len).ok()?.parse().ok()?;
    Some(Header {
        descr: "|u1",
        len,
        data_offset: PREAMBLE_LEN + dict_len,
    })
}

/// The raw text of `key`'s value in a Python dict literal such as NumPy writes.
fn dict_value<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let at = dict.match_indices(key).find(|(i, _)| {
        let before = dict[..*i].chars().next_back();
        let after = dict[i + key.len()..].chars().next();
        matches!(before, Some('\'' | '"')) && before == after
    })?;
    let rest = dict[at.0 + key.len() + 1..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_version_1_padded_to_128_bytes() {
        // numpy's own bytes are compared in the end-to-end tests (tests/cli_run.rs); here the layout.
        let h = header("|u1", 9);
        assert_eq!(h.len(), 128);
        let text = std::str::from_utf8(&h[10..]).expect("ascii");
        assert!(text.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (9,), }"));
        assert!(text.ends_with(" \n"));
        let parsed = parse_header(&h).expect("parse");
        assert_eq!((parsed.descr, parsed.len, parsed.data_offset), ("|u1", 9, 128));
    }

    #[test]
    fn the_general_parser_reads_other_headers() {
        let h = header("<u8", 3);
        let parsed = parse_header(&h).expect("parse");
        assert_eq!((parsed.descr, parsed.len), ("<u8", 3));
        // Version 2.0 header with keys in another order, as other writers may produce.
        let dict = b"{'shape': (5,), 'fortran_order': False, 'descr': '|u1'}\n";
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        v2.extend_from_slice(dict);
        let parsed = parse_header(&v2).expect("parse v2");
        assert_eq!(
            (parsed.descr, parsed.len, parsed.data_offset),
            ("|u1", 5, 12 + dict.len())
        );
        assert!(parse_header(b"\x93NUMPY\x01\x00\x05\x00{'sh").is_err());
    }

    fn v1(dict: &str) -> Vec<u8> {
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h
    }

    #[test]
    fn headers_align_the_data_to_64_bytes_whatever_the_length() {
        for len in [0usize, 9, 10, 99_999, 1 << 40] {
            for descr in ["|u1", "<u8"] {
                let h = header(descr, len);
                assert_eq!(h.len() % 64, 0, "{descr} x {len}");
                assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
                assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize, h.len() - 10);
                assert_eq!(h.last(), Some(&b'\n'));
                let parsed = parse_header(&h).expect("parse");
                assert_eq!((parsed.descr, parsed.len, parsed.data_offset), (descr, len, h.len()));
            }
        }
        // Room for the length to grow to 21 digits: a 1-digit and a 5-digit length take the same header.
        assert_eq!(header("|u1", 9).len(), header("|u1", 99_999).len());
    }

    #[test]
    fn bad_headers_are_named() {
        let err = |bytes: &[u8]| parse_header(bytes).expect_err("bad header");
        assert_eq!(err(b"\x93NUMPX\x01\x00\x00\x00"), "not a .npy array (bad magic)");
        assert_eq!(err(b"\x93NUMPY"), "not a .npy array (bad magic)");
        assert_eq!(err(b"\x93NUMPY\x04\x00\x00\x00"), "unsupported .npy version 4");
        assert_eq!(
            err(b"\x93NUMPY\x02\x00\x00\x00"),
            "unsupported .npy version 2",
            "v2 needs 12 bytes"
        );
        assert_eq!(err(&v1("{'shape': (3,), }")), "header has no descr");
        assert_eq!(err(&v1("{'descr': '|u1', }")), "header has no shape");
        assert_eq!(
            err(&v1("{'descr': '|u1', 'fortran_order': True, 'shape': (3,), }")),
            "Fortran-ordered arrays are not log entries"
        );
        assert_eq!(
            err(&v1("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }")),
            "expected a 1-D array, shape is (2, 3)"
        );
        assert_eq!(
            err(&v1("{'descr': '|u1', 'fortran_order': False, 'shape': (), }")),
            "expected a 1-D array, shape is ()"
        );
        assert_eq!(
            err(&v1("{'descr': '|u1', 'fortran_order': False, 'shape': (x,), }")),
            "bad shape (x,)"
        );
        let mut cut = v1("{'descr': '|u1', 'shape': (3,), }");
        cut[8] = 200;
        assert_eq!(err(&cut), "header longer than the array");
        let mut binary = v1("{'descr': '|u1', 'shape': (3,)}");
        binary[12] = 0xFF;
        assert_eq!(err(&binary), "header is not text");
    }

    #[test]
    fn version_3_and_double_quotes_parse_too() {
        let dict = b"{\"descr\": \"<u1\", \"fortran_order\": False, \"shape\": (7,)}\n";
        let mut v3 = b"\x93NUMPY\x03\x00".to_vec();
        v3.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        v3.extend_from_slice(dict);
        let parsed = parse_header(&v3).expect("v3");
        assert_eq!(
            (parsed.descr, parsed.len, parsed.data_offset),
            ("<u1", 7, 12 + dict.len())
        );
    }

    #[test]
    fn a_key_inside_another_name_is_not_that_key() {
        // 'shape' inside 'xshape' or 'shapes' must not be read as the shape.
        let h = v1("{'xshape': (9,), 'shapes': (8,), 'descr': '|u2', 'shape': (4,), }");
        let parsed = parse_header(&h).expect("parse");
        assert_eq!((parsed.descr, parsed.len), ("|u2", 4));
    }

    #[test]
    fn the_fast_path_reads_only_what_numpy_writes_for_uint8() {
        let h = header("|u1", 12);
        assert_eq!(parse_u8_fast(&h).map(|p| (p.len, p.data_offset)), Some((12, h.len())));
        assert_eq!(
            parse_u8_fast(&header("<u8", 12)),
            None,
            "another dtype takes the general parser"
        );
        assert_eq!(
            parse_u8_fast(&v1("{'descr': '|u1', 'fortran_order': False, 'shape': (,), }")),
            None
        );
        assert_eq!(
            parse_u8_fast(&v1("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4), }")),
            None
        );
        let mut v2 = header("|u1", 12);
        v2[6] = 2;
        assert_eq!(parse_u8_fast(&v2), None);
    }
}
