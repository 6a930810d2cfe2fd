//! File types recognised by their first bytes ("magic numbers"). The name, extension and
//! `Content-Type` a client claims are never trusted: what we store and serve is decided here,
//! so nobody can plant an HTML or SVG file in the publicly served upload folder.

use std::fmt;

use postiz_provider::MediaKind;

/// How many leading bytes [`sniff`] looks at; callers buffer this much before deciding.
pub const SNIFF_LEN: usize = 4100;

/// A media format we can recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    Webp,
    Avif,
    Bmp,
    Tiff,
    /// ISO base media file with an MP4 brand (`isom`, `mp41`, `mp42`, `avc1`, ...).
    Mp4,
    /// ISO base media file with the QuickTime brand (`qt  `), i.e. a `.mov`.
    QuickTime,
    /// Matroska with the `webm` doctype.
    Webm,
}

impl FileType {
    pub const ALL: [FileType; 10] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Gif,
        FileType::Webp,
        FileType::Avif,
        FileType::Bmp,
        FileType::Tiff,
        FileType::Mp4,
        FileType::QuickTime,
        FileType::Webm,
    ];

    /// What Postiz accepts (`CustomFileValidationPipe`): every image format and MP4 video.
    pub const POSTIZ_DEFAULT: [FileType; 8] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Gif,
        FileType::Webp,
        FileType::Avif,
        FileType::Bmp,
        FileType::Tiff,
        FileType::Mp4,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Gif => "image/gif",
            FileType::Webp => "image/webp",
            FileType::Avif => "image/avif",
            FileType::Bmp => "image/bmp",
            FileType::Tiff => "image/tiff",
            FileType::Mp4 => "video/mp4",
            FileType::QuickTime => "video/quicktime",
            FileType::Webm => "video/webm",
        }
    }

    /// The extension given to stored files (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Avif => "avif",
            FileType::Bmp => "bmp",
            FileType::Tiff => "tif",
            FileType::Mp4 => "mp4",
            FileType::QuickTime => "mov",
            FileType::Webm => "webm",
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            FileType::Mp4 | FileType::QuickTime | FileType::Webm => MediaKind::Video,
            _ => MediaKind::Image,
        }
    }

    /// Short name used in settings (`media.allowed_types`).
    pub fn name(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Gif => "gif",
            FileType::Webp => "webp",
            FileType::Avif => "avif",
            FileType::Bmp => "bmp",
            FileType::Tiff => "tiff",
            FileType::Mp4 => "mp4",
            FileType::QuickTime => "mov",
            FileType::Webm => "webm",
        }
    }

    /// Parses a settings name; also accepts the extension and the MIME type.
    pub fn parse(value: &str) -> Option<FileType> {
        let v = value.trim().to_ascii_lowercase();
        FileType::ALL.into_iter().find(|t| {
            t.name() == v
                || t.extension() == v
                || t.mime() == v
                || (v == "jpg" && *t == FileType::Jpeg)
                || (v == "quicktime" && *t == FileType::QuickTime)
                || (v == "tif" && *t == FileType::Tiff)
        })
    }

    /// A human label for messages.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Jpeg => "JPEG",
            FileType::Png => "PNG",
            FileType::Gif => "GIF",
            FileType::Webp => "WebP",
            FileType::Avif => "AVIF",
            FileType::Bmp => "BMP",
            FileType::Tiff => "TIFF",
            FileType::Mp4 => "MP4",
            FileType::QuickTime => "QuickTime (MOV)",
            FileType::Webm => "WebM",
        }
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// Recognises a file from its first bytes (pass at least [`SNIFF_LEN`] bytes when the file
/// is that long). `None` for anything we do not know.
pub fn sniff(head: &[u8]) -> Option<FileType> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileType::Jpeg);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Some(FileType::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(FileType::Gif);
    }
    if head.len() >= 16
        && &head[0..4] == b"RIFF"
        && &head[8..12] == b"WEBP"
        && &head[12..15] == b"VP8"
    {
        return Some(FileType::Webp);
    }
    if is_bmp(head) {
        return Some(FileType::Bmp);
    }
    if is_tiff(head) {
        return Some(FileType::Tiff);
    }
    if let Some(t) = iso_bmff(head) {
        return Some(t);
    }
    if is_webm(head) {
        return Some(FileType::Webm);
    }
    None
}

fn is_bmp(head: &[u8]) -> bool {
    // "BM" alone is too weak; the DIB header that follows has one of a few known sizes.
    if head.len() < 18 || &head[0..2] != b"BM" {
        return false;
    }
    let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
    matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

fn is_tiff(head: &[u8]) -> bool {
    if head.len() < 8 {
        return false;
    }
    let classic_or_big = head.starts_with(&[b'I', b'I', 0x2A, 0x00])
        || head.starts_with(&[b'M', b'M', 0x00, 0x2A])
        || head.starts_with(&[b'I', b'I', 0x2B, 0x00])
        || head.starts_with(&[b'M', b'M', 0x00, 0x2B]);
    // Camera raw files (Canon CR2) are TIFF containers too, but not images networks accept.
    let camera_raw = head.len() >= 10 && &head[8..10] == b"CR";
    classic_or_big && !camera_raw
}

/// Brands of ISO base media files that are plain MP4 video.
const MP4_BRANDS: &[&[u8; 4]] = &[
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41",
    b"mp42", b"mp71", b"avc1", b"dash", b"mmp4", b"MSNV", b"NDAS", b"NDSC", b"NDSH", b"NDSM",
    b"NDSP", b"NDSS", b"NDXC", b"NDXH", b"NDXM", b"NDXP", b"NDXS", b"F4V ", b"f4v ", b"M4V ",
    b"M4VH", b"M4VP", b"XAVC",
];

fn iso_bmff(head: &[u8]) -> Option<FileType> {
    if head.len() < 16 || &head[4..8] != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    // size, "ftyp", major brand, minor version, then compatible brands.
    if size < 16 || !size.is_multiple_of(4) {
        return None;
    }
    let major: &[u8] = &head[8..12];
    let compatible: Vec<&[u8]> = head[16..size.min(head.len())].chunks_exact(4).collect();
    let has = |brand: &[u8]| compatible.contains(&brand);
    match major {
        b"avif" | b"avis" => Some(FileType::Avif),
        b"mif1" | b"msf1" if has(b"avif") || has(b"avis") => Some(FileType::Avif),
        b"qt  " => Some(FileType::QuickTime),
        m if MP4_BRANDS.iter().any(|b| b.as_slice() == m) => Some(FileType::Mp4),
        _ => None,
    }
}

fn is_webm(head: &[u8]) -> bool {
    if !head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return false;
    }
    // Find the DocType element (0x4282) in the EBML header and read its value.
    let window = &head[..head.len().min(SNIFF_LEN)];
    let mut i = 4;
    while i + 2 < window.len() {
        if window[i] == 0x42 && window[i + 1] == 0x82 {
            let size_byte = window[i + 2];
            // One-byte EBML variable-size integer: the high bit is set and holds the length.
            if size_byte & 0x80 != 0 {
                let len = usize::from(size_byte & 0x7F);
                let start = i + 3;
                return window.get(start..start + len) == Some(b"webm".as_slice());
            }
            return false;
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut v = (size as u32).to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            v.extend_from_slice(*c);
        }
        v.extend_from_slice(&[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
        v
    }

    fn bmp(dib: u32) -> Vec<u8> {
        let mut v = b"BM".to_vec();
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&dib.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v
    }

    fn webm(doctype: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01];
        v.extend_from_slice(&[0x42, 0x82, 0x80 | doctype.len() as u8]);
        v.extend_from_slice(doctype);
        v.extend_from_slice(&[0x42, 0x87, 0x81, 0x04]);
        v
    }

    #[test]
    fn sniffing_table() {
        let cases: Vec<(&str, Vec<u8>, Option<FileType>)> = vec![
            (
                "jpeg",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F'],
                Some(FileType::Jpeg),
            ),
            (
                "jpeg exif",
                vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 0],
                Some(FileType::Jpeg),
            ),
            (
                "png",
                vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
                Some(FileType::Png),
            ),
            ("gif87", b"GIF87a\x01\x00".to_vec(), Some(FileType::Gif)),
            ("gif89", b"GIF89a\x01\x00".to_vec(), Some(FileType::Gif)),
            (
                "webp lossy",
                b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0".to_vec(),
                Some(FileType::Webp),
            ),
            (
                "webp lossless",
                b"RIFF\x24\0\0\0WEBPVP8L\x18\0\0\0".to_vec(),
                Some(FileType::Webp),
            ),
            (
                "wav is riff but not webp",
                b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0".to_vec(),
                None,
            ),
            (
                "avif",
                ftyp(b"avif", &[b"mif1", b"miaf"]),
                Some(FileType::Avif),
            ),
            (
                "avif via mif1",
                ftyp(b"mif1", &[b"avif", b"miaf"]),
                Some(FileType::Avif),
            ),
            ("heic is refused", ftyp(b"heic", &[b"mif1", b"heic"]), None),
            (
                "heif without avif is refused",
                ftyp(b"mif1", &[b"heic"]),
                None,
            ),
            ("bmp", bmp(40), Some(FileType::Bmp)),
            ("bmp v5", bmp(124), Some(FileType::Bmp)),
            (
                "BM text is not bmp",
                b"BMW is a car brand, not a bitmap".to_vec(),
                None,
            ),
            (
                "tiff le",
                b"II*\0\x08\0\0\0\0\0".to_vec(),
                Some(FileType::Tiff),
            ),
            (
                "tiff be",
                b"MM\0*\0\0\0\x08\0\0".to_vec(),
                Some(FileType::Tiff),
            ),
            (
                "canon raw is refused",
                b"II*\0\x10\0\0\0CR\x02\0".to_vec(),
                None,
            ),
            (
                "mp4 isom",
                ftyp(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]),
                Some(FileType::Mp4),
            ),
            (
                "mp4 mp42",
                ftyp(b"mp42", &[b"mp42", b"isom"]),
                Some(FileType::Mp4),
            ),
            (
                "m4v",
                ftyp(b"M4V ", &[b"M4V ", b"mp42"]),
                Some(FileType::Mp4),
            ),
            (
                "quicktime",
                ftyp(b"qt  ", &[b"qt  "]),
                Some(FileType::QuickTime),
            ),
            (
                "m4a audio is refused",
                ftyp(b"M4A ", &[b"M4A ", b"mp42"]),
                None,
            ),
            ("3gp is refused", ftyp(b"3gp4", &[b"3gp4"]), None),
            ("webm", webm(b"webm"), Some(FileType::Webm)),
            ("matroska is refused", webm(b"matroska"), None),
            (
                "html",
                b"<!DOCTYPE html><html><script>alert(1)</script>".to_vec(),
                None,
            ),
            (
                "svg",
                b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
                None,
            ),
            ("pdf", b"%PDF-1.7\n".to_vec(), None),
            ("zip", b"PK\x03\x04\x14\0\0\0".to_vec(), None),
            ("elf", b"\x7fELF\x02\x01\x01\0".to_vec(), None),
            ("empty", Vec::new(), None),
            ("truncated png", vec![0x89, b'P', b'N'], None),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(sniff(&bytes), expected, "{name}");
        }
    }

    #[test]
    fn kinds_mimes_and_extensions() {
        assert_eq!(FileType::Mp4.kind(), MediaKind::Video);
        assert_eq!(FileType::Webm.kind(), MediaKind::Video);
        assert_eq!(FileType::Png.kind(), MediaKind::Image);
        assert_eq!(FileType::Jpeg.extension(), "jpg");
        assert_eq!(FileType::Tiff.mime(), "image/tiff");
        assert_eq!(FileType::parse("JPG"), Some(FileType::Jpeg));
        assert_eq!(
            FileType::parse("video/quicktime"),
            Some(FileType::QuickTime)
        );
        assert_eq!(FileType::parse("mov"), Some(FileType::QuickTime));
        assert_eq!(FileType::parse("svg"), None);
        for t in FileType::ALL {
            assert_eq!(FileType::parse(t.name()), Some(t));
        }
        // The settings' names are exactly these types.
        use crate::settings::{DEFAULT_TYPES, TYPE_NAMES};
        assert_eq!(TYPE_NAMES.len(), FileType::ALL.len());
        for name in TYPE_NAMES {
            assert!(
                FileType::parse(name).is_some_and(|t| t.name() == *name),
                "{name}"
            );
        }
        let defaults: Vec<&str> = FileType::POSTIZ_DEFAULT.iter().map(|t| t.name()).collect();
        assert_eq!(defaults, DEFAULT_TYPES);
    }
}
