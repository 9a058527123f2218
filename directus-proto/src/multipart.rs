//! `multipart/form-data` bodies, built in order: Directus reads the metadata fields of a file
//! from the parts *before* it, and forgets them after it (measured on 12.4: a `title` sent after
//! the file is ignored and the file lands in the root folder).
//!
//! [`Form`] writes a whole body in memory ([`Form::finish`]), or everything up to a file's
//! content ([`Form::finish_streaming`]): a driver then sends the preamble, streams the file from
//! disk, and sends the epilogue, without holding the file in memory.
//!
//! ```
//! use directus_proto::multipart::{Boundary, Form};
//!
//! let mut form = Form::new(Boundary::new("XyZ").unwrap());
//! form.text("title", "A pixel").unwrap();
//! form.file("file", "pixel.png", "image/png", b"PNG").unwrap();
//! assert_eq!(form.content_type(), "multipart/form-data; boundary=XyZ");
//! assert_eq!(
//!     String::from_utf8(form.finish()).unwrap(),
//!     "--XyZ\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\nA pixel\r\n\
//!      --XyZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"pixel.png\"\r\n\
//!      content-type: image/png\r\n\r\nPNG\r\n--XyZ--\r\n"
//! );
//! ```

use http::HeaderValue;

use crate::{Error, media};

/// The boundary between the parts of a body.
///
/// [`Boundary::random`] makes one from 128 random bits the caller draws for every request (the
/// drivers do); [`Boundary::new`] takes a given one (golden tests, custom transports).
///
/// Why random: a body held in memory is checked against its boundary ([`Form::text`],
/// [`Form::file`]), but the content of a streamed upload is not seen before it is sent. Were
/// its boundary predictable (derived from the file, or a counter), a file whose bytes hold
/// `--boundary` could add parts (fields, other files) that the server would read.
///
/// ```
/// use directus_proto::multipart::Boundary;
///
/// assert_eq!(Boundary::new("abc").unwrap().as_str(), "abc");
/// let a = Boundary::random(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
/// assert_eq!(a.as_str(), "directus-rs-0123456789abcdef0123456789abcdef");
/// assert_ne!(a, Boundary::random(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Boundary(String);

impl Boundary {
    /// A given boundary, as RFC 2046 allows: 1 to 70 characters among letters, digits, space
    /// and `'()+_,-./:=?`, not ending with a space. One that needs it is quoted in the
    /// `Content-Type` ([`Form::content_type`]).
    ///
    /// ```
    /// # use directus_proto::multipart::Boundary;
    /// assert!(Boundary::new("----form-1").is_ok());
    /// assert!(Boundary::new("a b,c").is_ok());
    /// assert!(Boundary::new("").is_err());
    /// assert!(Boundary::new("ends ").is_err());
    /// assert!(Boundary::new("a\r\nb").is_err());
    /// assert!(Boundary::new("a\"b").is_err());
    /// assert!(Boundary::new("x".repeat(71)).is_err());
    /// ```
    pub fn new(text: impl Into<String>) -> Result<Self, Error> {
        let text = text.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
        if text.is_empty() || text.len() > 70 {
            return Err(Error::invalid(format!(
                "a multipart boundary has 1 to 70 characters, not {}",
                text.len()
            )));
        }
        if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
            return Err(Error::invalid(format!(
                "{bad:?} may not be in a multipart boundary (A-Z a-z 0-9 '()+_,-./:=? and space)"
            )));
        }
        if text.ends_with(' ') {
            return Err(Error::invalid(
                "a multipart boundary may not end with a space",
            ));
        }
        Ok(Boundary(text))
    }

    /// A boundary from 128 random bits: `directus-rs-` and 32 hex digits. Draw fresh bits for
    /// every request, from a source nobody else can predict.
    ///
    /// ```
    /// # use directus_proto::multipart::Boundary;
    /// let b = Boundary::random(u128::MAX);
    /// assert_eq!(b.as_str().len(), "directus-rs-".len() + 32);
    /// assert!(Boundary::new(b.as_str()).is_ok());
    /// ```
    pub fn random(bits: u128) -> Self {
        Boundary(format!("directus-rs-{bits:032x}"))
    }

    /// The boundary's text.
    ///
    /// ```
    /// # use directus_proto::multipart::Boundary;
    /// assert_eq!(Boundary::new("b1").unwrap().as_str(), "b1");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The boundary as a `Content-Type` parameter value: as is when it is a token, quoted
    /// otherwise (RFC 2045: `( ) , / : = ?` and space are not token characters).
    fn parameter(&self) -> String {
        if self.0.chars().any(|c| "(),/:=? ".contains(c)) {
            format!("\"{}\"", self.0)
        } else {
            self.0.clone()
        }
    }
}

/// A `multipart/form-data` body being written, part after part, in the order given.
///
/// Names and file names are quoted strings: `"` and `\` are backslash-escaped (Directus's
/// multipart reader, busboy, unescapes them: measured on 12.4), CR and LF, which cannot be
/// escaped in a header, are sent as `%0D` and `%0A`. Non-ASCII file names are sent as UTF-8,
/// which Directus reads as such.
///
/// ```
/// use directus_proto::multipart::{Boundary, Form};
///
/// let mut form = Form::new(Boundary::new("b").unwrap());
/// form.text("title", "First")?.file("file", "a.txt", "text/plain", b"A")?;
/// form.text("title", "Second")?.file("file", "b.txt", "text/plain", b"B")?;
/// let body = String::from_utf8(form.finish()).unwrap();
/// assert!(body.find("First").unwrap() < body.find("a.txt").unwrap());
/// assert!(body.ends_with("\r\n--b--\r\n"));
/// # Ok::<(), directus_proto::Error>(())
/// ```
#[derive(Debug)]
pub struct Form {
    boundary: Boundary,
    body: Vec<u8>,
}

impl Form {
    /// An empty form with this boundary.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let form = Form::new(Boundary::new("b").unwrap());
    /// assert_eq!(form.boundary().as_str(), "b");
    /// ```
    pub fn new(boundary: Boundary) -> Self {
        Form {
            boundary,
            body: Vec::new(),
        }
    }

    /// The boundary.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// assert_eq!(Form::new(Boundary::new("q").unwrap()).boundary().as_str(), "q");
    /// ```
    pub fn boundary(&self) -> &Boundary {
        &self.boundary
    }

    /// The request's `Content-Type`: `multipart/form-data; boundary=...`, the boundary quoted
    /// when it needs it.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let form = Form::new(Boundary::new("q").unwrap());
    /// assert_eq!(form.content_type(), "multipart/form-data; boundary=q");
    /// let form = Form::new(Boundary::new("a,b").unwrap());
    /// assert_eq!(form.content_type(), "multipart/form-data; boundary=\"a,b\"");
    /// ```
    pub fn content_type(&self) -> HeaderValue {
        // The boundary's characters are all visible ASCII or space: the value is always valid.
        HeaderValue::from_str(&format!(
            "multipart/form-data; boundary={}",
            self.boundary.parameter()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("multipart/form-data"))
    }

    fn delimiter(&mut self) {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.0.as_bytes());
        self.body.extend_from_slice(b"\r\n");
    }

    fn contains_boundary(&self, bytes: &[u8]) -> bool {
        let needle = format!("--{}", self.boundary.0);
        let needle = needle.as_bytes();
        bytes.len() >= needle.len() && bytes.windows(needle.len()).any(|w| w == needle)
    }

    /// Adds a text field, or refuses a value that contains the boundary's delimiter.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let mut form = Form::new(Boundary::new("b").unwrap());
    /// form.text("folder", "2545f45f").unwrap();
    /// assert!(form.text("title", "x\r\n--b\r\n").is_err());
    /// assert!(String::from_utf8(form.finish()).unwrap().contains("name=\"folder\"\r\n\r\n2545f45f\r\n"));
    /// ```
    pub fn text(&mut self, name: &str, value: &str) -> Result<&mut Self, Error> {
        if self.contains_boundary(value.as_bytes()) {
            return Err(Error::invalid(format!(
                "the value of field {name:?} contains the multipart boundary"
            )));
        }
        self.delimiter();
        self.body.extend_from_slice(
            format!(
                "content-disposition: form-data; name=\"{}\"\r\n\r\n",
                quote(name)
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(value.as_bytes());
        self.body.extend_from_slice(b"\r\n");
        Ok(self)
    }

    /// Adds a file part with its content. The file name must not be empty (Directus refuses a
    /// file part without one) and the media type must be `type/subtype`.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let mut form = Form::new(Boundary::new("b").unwrap());
    /// assert!(form.file("file", "", "text/plain", b"x").is_err());
    /// assert!(form.file("file", "a.txt", "text", b"x").is_err());
    /// assert!(form.file("file", "a.txt", "text/plain", b"x").is_ok());
    /// ```
    pub fn file(
        &mut self,
        name: &str,
        file_name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<&mut Self, Error> {
        if self.contains_boundary(content) {
            return Err(Error::invalid(format!(
                "the content of {file_name:?} contains the multipart boundary"
            )));
        }
        self.file_header(name, file_name, media_type)?;
        self.body.extend_from_slice(content);
        self.body.extend_from_slice(b"\r\n");
        Ok(self)
    }

    fn file_header(&mut self, name: &str, file_name: &str, media_type: &str) -> Result<(), Error> {
        if file_name.is_empty() {
            return Err(Error::invalid("a file part needs a file name"));
        }
        let media_type = media::check(media_type)?;
        self.delimiter();
        self.body.extend_from_slice(
            format!(
                "content-disposition: form-data; name=\"{}\"; filename=\"{}\"\r\ncontent-type: {media_type}\r\n\r\n",
                quote(name),
                quote(file_name)
            )
            .as_bytes(),
        );
        Ok(())
    }

    /// The whole body.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let form = Form::new(Boundary::new("b").unwrap());
    /// assert_eq!(form.finish(), b"--b--\r\n");
    /// ```
    pub fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(b"--");
        self.body.extend_from_slice(self.boundary.0.as_bytes());
        self.body.extend_from_slice(b"--\r\n");
        self.body
    }

    /// Ends the form with the headers of one last file part whose content the driver streams:
    /// the body is [`Streaming::preamble`], then the file's `file_len` bytes, then
    /// [`Streaming::epilogue`].
    ///
    /// The content is not seen here, so it is not checked against the boundary: use a
    /// [`Boundary::random`] one, from fresh randomness.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let mut form = Form::new(Boundary::new("b").unwrap());
    /// form.text("title", "Big").unwrap();
    /// let streaming = form.finish_streaming("file", "big.bin", "application/octet-stream", Some(3)).unwrap();
    /// let mut body = streaming.preamble().to_vec();
    /// body.extend_from_slice(b"abc");
    /// body.extend_from_slice(streaming.epilogue());
    /// assert_eq!(streaming.content_length(), Some(body.len() as u64));
    /// ```
    pub fn finish_streaming(
        mut self,
        name: &str,
        file_name: &str,
        media_type: &str,
        file_len: Option<u64>,
    ) -> Result<Streaming, Error> {
        let content_type = self.content_type();
        self.file_header(name, file_name, media_type)?;
        let epilogue = format!("\r\n--{}--\r\n", self.boundary.0).into_bytes();
        let content_length = file_len.map(|n| self.body.len() as u64 + n + epilogue.len() as u64);
        Ok(Streaming {
            preamble: self.body,
            epilogue,
            content_type,
            content_length,
        })
    }
}

/// A multipart body whose last file is streamed by the driver: the preamble, the file's bytes,
/// the epilogue.
///
/// ```
/// use directus_proto::multipart::{Boundary, Form};
///
/// let form = Form::new(Boundary::new("b").unwrap());
/// let s = form.finish_streaming("file", "a.txt", "text/plain", None).unwrap();
/// assert_eq!(s.epilogue(), b"\r\n--b--\r\n");
/// assert_eq!(s.content_length(), None);
/// assert_eq!(s.content_type(), "multipart/form-data; boundary=b");
/// ```
#[derive(Clone, Debug)]
pub struct Streaming {
    preamble: Vec<u8>,
    epilogue: Vec<u8>,
    content_type: HeaderValue,
    content_length: Option<u64>,
}

impl Streaming {
    /// What goes before the file's bytes: the fields, earlier files, and the file's headers.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let s = Form::new(Boundary::new("b").unwrap())
    ///     .finish_streaming("file", "a.txt", "text/plain", None).unwrap();
    /// assert!(s.preamble().ends_with(b"content-type: text/plain\r\n\r\n"));
    /// ```
    pub fn preamble(&self) -> &[u8] {
        &self.preamble
    }

    /// What goes after the file's bytes: the closing delimiter.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let s = Form::new(Boundary::new("z").unwrap())
    ///     .finish_streaming("file", "a.txt", "text/plain", None).unwrap();
    /// assert_eq!(s.epilogue(), b"\r\n--z--\r\n");
    /// ```
    pub fn epilogue(&self) -> &[u8] {
        &self.epilogue
    }

    /// The request's `Content-Type`.
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let s = Form::new(Boundary::new("z").unwrap())
    ///     .finish_streaming("file", "a.txt", "text/plain", None).unwrap();
    /// assert_eq!(s.content_type(), "multipart/form-data; boundary=z");
    /// ```
    pub fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }

    /// The body's total length, when the file's length was given (for `Content-Length`).
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let s = Form::new(Boundary::new("z").unwrap())
    ///     .finish_streaming("file", "a.txt", "text/plain", Some(10)).unwrap();
    /// assert_eq!(s.content_length(), Some((s.preamble().len() + 10 + s.epilogue().len()) as u64));
    /// ```
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The whole body with `content` in place of the streamed file (tests, small files).
    ///
    /// ```
    /// # use directus_proto::multipart::{Boundary, Form};
    /// let s = Form::new(Boundary::new("z").unwrap())
    ///     .finish_streaming("file", "a.txt", "text/plain", Some(2)).unwrap();
    /// assert_eq!(s.assemble(b"hi").len() as u64, s.content_length().unwrap());
    /// ```
    pub fn assemble(&self, content: &[u8]) -> Vec<u8> {
        let mut body =
            Vec::with_capacity(self.preamble.len() + content.len() + self.epilogue.len());
        body.extend_from_slice(&self.preamble);
        body.extend_from_slice(content);
        body.extend_from_slice(&self.epilogue);
        body
    }
}

/// A name or file name inside a quoted header parameter.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_body_with_metadata_before_each_file() {
        let mut form = Form::new(Boundary::new("BOUNDARY").unwrap());
        form.text("title", "A pixel")
            .unwrap()
            .text("folder", "2545f45f-22b2-4f17-b98d-f210b7d88a34")
            .unwrap();
        form.file("file", "pixel.png", "image/png", b"\x89PNG")
            .unwrap();
        form.text("title", "Notes").unwrap();
        form.file("file", "notes.txt", "text/plain", b"hello\n")
            .unwrap();
        let expected = b"--BOUNDARY\r\n\
content-disposition: form-data; name=\"title\"\r\n\r\nA pixel\r\n\
--BOUNDARY\r\n\
content-disposition: form-data; name=\"folder\"\r\n\r\n2545f45f-22b2-4f17-b98d-f210b7d88a34\r\n\
--BOUNDARY\r\n\
content-disposition: form-data; name=\"file\"; filename=\"pixel.png\"\r\n\
content-type: image/png\r\n\r\n\x89PNG\r\n\
--BOUNDARY\r\n\
content-disposition: form-data; name=\"title\"\r\n\r\nNotes\r\n\
--BOUNDARY\r\n\
content-disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n\
content-type: text/plain\r\n\r\nhello\n\r\n\
--BOUNDARY--\r\n";
        assert_eq!(form.finish(), expected.to_vec());
    }

    #[test]
    fn streaming_is_the_same_bytes_as_in_memory() {
        let content = vec![7u8; 1000];
        let mut a = Form::new(Boundary::new("s").unwrap());
        a.text("title", "T").unwrap();
        a.file("file", "x.bin", "application/octet-stream", &content)
            .unwrap();
        let mut b = Form::new(Boundary::new("s").unwrap());
        b.text("title", "T").unwrap();
        let streaming = b
            .finish_streaming("file", "x.bin", "application/octet-stream", Some(1000))
            .unwrap();
        let whole = a.finish();
        assert_eq!(streaming.assemble(&content), whole);
        assert_eq!(streaming.content_length(), Some(whole.len() as u64));
    }

    #[test]
    fn quoting_and_boundary_collisions() {
        let mut form = Form::new(Boundary::new("b").unwrap());
        form.file("fi\"le", "a\"b\r\n\\.txt", "text/plain", b"x")
            .unwrap();
        let body = String::from_utf8(form.finish()).unwrap();
        assert!(body.contains(r#"name="fi\"le"; filename="a\"b%0D%0A\\.txt""#));
        let mut form = Form::new(Boundary::new("b").unwrap());
        assert!(
            form.file("file", "a", "text/plain", b"..\r\n--b--")
                .is_err()
        );
        assert!(form.text("t", "--b").is_err());
    }

    #[test]
    fn random_boundaries_are_valid_and_follow_the_bits() {
        for bits in [0, 1, u128::MAX, 0xdead_beef << 64] {
            let b = Boundary::random(bits);
            assert_eq!(Boundary::new(b.as_str()).unwrap(), b);
            assert_eq!(u128::from_str_radix(&b.as_str()[12..], 16).unwrap(), bits);
        }
        assert_ne!(Boundary::random(1), Boundary::random(2));
    }

    #[test]
    fn boundaries_that_need_it_are_quoted() {
        for (text, expected) in [
            ("plain-_.+'", "plain-_.+'"),
            ("a,b", "\"a,b\""),
            ("a b", "\"a b\""),
            ("x=y?", "\"x=y?\""),
            ("(c)/d:e", "\"(c)/d:e\""),
        ] {
            let form = Form::new(Boundary::new(text).unwrap());
            assert_eq!(
                form.content_type(),
                format!("multipart/form-data; boundary={expected}").as_str()
            );
        }
    }
}
