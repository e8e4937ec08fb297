"""What a stored file may be: its type taken from its content, and the whole of it parsing as
that type (SPEC section 11). Pure: every function works on bytes (or an mmap of them) and
raises ContentRefused; nothing here touches the database or the storage.

A file is refused unless it is exactly one thing: no markup a browser could take for a page in
its first KB, nothing before a PDF's header or after its last %%EOF, nothing after an image's
end (PNG's IEND, JPEG's final EOI found by walking its segments, WebP's RIFF length)."""

import io
import struct
from dataclasses import dataclass

from django.db.models import TextChoices
from PIL import Image, ImageSequence
from pypdf import PdfReader


class MimeType(TextChoices):
    PDF = "application/pdf", "PDF"
    PNG = "image/png", "PNG"
    JPEG = "image/jpeg", "JPEG"
    WEBP = "image/webp", "WebP"
    TIFF = "image/tiff", "TIFF"


ACCEPTED_TYPES_TEXT = "PDF, PNG, JPEG, WebP or TIFF"
# Markup that makes a browser, or anything that sniffs, see a page: refused in the first KB of
# any file, whatever it claims to be. (`<?xml` is not here: JPEG's XMP metadata starts with it.)
MARKUP_HEAD_BYTES = 1024
MARKUP_SIGNS = (b"<html", b"<script", b"<svg", b"<body", b"<iframe", b"<!doctype html")
# What PDF counts as white space (ISO 32000-1, 7.2.2): all that may follow the last %%EOF.
PDF_WHITESPACE = b" \t\r\n\f\x00"
PDF_TAIL_BYTES = 64 * 1024
# Every frame of an image and every page of a PDF is read; files with more are refused.
MAX_FRAMES = 100
MAX_PDF_PAGES = 2000

PILLOW_FORMATS = {MimeType.PNG: "PNG", MimeType.JPEG: "JPEG", MimeType.WEBP: "WEBP", MimeType.TIFF: "TIFF"}

# Types we recognise only to name them in the refusal.
REFUSED_SIGNATURES = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)


class ContentRefused(Exception):
    """The file is not one of the accepted types, or not entirely one."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedContent:
    mime_type: str
    rendition_png: bytes | None = None  # TIFF only: what browsers are shown


def not_accepted(what: str) -> ContentRefused:
    return ContentRefused(f"This file is {what}, which is not accepted: upload a {ACCEPTED_TYPES_TEXT} file.")


def sniff(head: bytes) -> str:
    """The accepted type the first bytes announce; ContentRefused for anything else."""
    if head.startswith(b"%PDF-"):
        return MimeType.PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MimeType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return MimeType.JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MimeType.WEBP
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return MimeType.TIFF
    if b"%PDF-" in head[:MARKUP_HEAD_BYTES]:
        raise ContentRefused("This PDF has something before its %PDF header, which is not accepted.")
    for signature, what in REFUSED_SIGNATURES:
        if head.startswith(signature):
            raise not_accepted(what)
    lowered = head[:MARKUP_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"<"):
        raise not_accepted("markup (HTML, SVG or XML)")
    if head.startswith(b"RIFF"):
        raise not_accepted("a RIFF file (audio or video) other than WebP")
    raise not_accepted("of a type that is not recognised")


def refuse_markup(head: bytes) -> None:
    lowered = head[:MARKUP_HEAD_BYTES].lower()
    for sign in MARKUP_SIGNS:
        if sign in lowered:
            raise ContentRefused(f"This file contains HTML or SVG markup ({sign.decode()}...) and is not accepted.")


def check(data, *, max_pixels: int) -> CheckedContent:
    """Checks the whole file (bytes or an mmap); returns its type and, for TIFF, a PNG rendition."""
    if not len(data):
        raise ContentRefused("The file is empty.")
    head = bytes(data[:MARKUP_HEAD_BYTES])
    mime_type = sniff(head)
    refuse_markup(head)
    if mime_type == MimeType.PDF:
        pdf_check_tail(data)
        pdf_check_pages(data)
        return CheckedContent(mime_type)
    image_end_check(mime_type, data)
    rendition = image_check(mime_type, data, max_pixels=max_pixels)
    return CheckedContent(mime_type, rendition)


# --- Where an image really ends ---------------------------------------------------------------


def image_end_check(mime_type: str, data) -> None:
    end = {MimeType.PNG: png_end, MimeType.JPEG: jpeg_end, MimeType.WEBP: webp_end}.get(mime_type)
    # TIFF has no end marker (its parts sit at offsets anywhere); it is never shown as itself,
    # only through the PNG rendition, so bytes hidden in it never reach a browser as a page.
    if end is None:
        return
    size = end(data)
    if size < len(data):
        raise ContentRefused(f"This {MimeType(mime_type).label} image has {len(data) - size} bytes after its end, which is not accepted.")


def png_end(data) -> int:
    """The offset just past the IEND chunk, walking the chunks by their lengths."""
    position = 8
    while True:
        header = bytes(data[position : position + 8])
        if len(header) < 8:
            raise ContentRefused("This PNG image is truncated (it has no IEND chunk).")
        length, kind = struct.unpack(">I4s", header)
        position += 12 + length
        if kind == b"IEND":
            return position


JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0-7 carry no length


def jpeg_end(data) -> int:
    """The offset just past the EOI that ends the image. Segments are skipped by their lengths,
    so a thumbnail's SOI/EOI inside an APP1 (EXIF) segment is never taken for the end; inside
    entropy-coded data only a 0xFF followed by a marker other than a stuffed 0x00 or RSTn counts."""
    size = len(data)
    position = 2
    while True:
        while position < size and data[position] == 0xFF and position + 1 < size and data[position + 1] == 0xFF:
            position += 1  # fill bytes
        if position + 2 > size or data[position] != 0xFF:
            raise ContentRefused("This JPEG image is malformed or truncated (no end of image found).")
        marker = data[position + 1]
        if marker == 0xD9:
            return position + 2
        if marker in JPEG_STANDALONE:
            position += 2
            continue
        if position + 4 > size:
            raise ContentRefused("This JPEG image is truncated.")
        (length,) = struct.unpack(">H", bytes(data[position + 2 : position + 4]))
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            position = jpeg_scan_end(data, position)


def jpeg_scan_end(data, position: int) -> int:
    size = len(data)
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= size:
            raise ContentRefused("This JPEG image is truncated (its scan data has no end).")
        following = data[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        elif following == 0xFF:
            position += 1
        else:
            return position


def webp_end(data) -> int:
    if len(data) < 12:
        raise ContentRefused("This WebP image is truncated.")
    (riff_size,) = struct.unpack("<I", bytes(data[4:8]))
    return 8 + riff_size + (riff_size & 1)


# --- Images: Pillow decodes every frame ------------------------------------------------------


def image_check(mime_type: str, data, *, max_pixels: int) -> bytes | None:
    pillow_format = PILLOW_FORMATS[mime_type]
    # Pillow's own bomb check (at open) reads this module-level limit, but above it only warns,
    # up to twice the limit: the size is checked here too, before anything is decoded.
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            image_check_pixels(image, max_pixels)
            image.verify()
        with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
            return image_load_frames(image, mime_type, max_pixels)
    except ContentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ContentRefused(f"This image has more than {max_pixels:,} pixels, which is not accepted.") from None
    except Exception as error:  # Pillow raises many kinds (SyntaxError, OSError, struct.error...)
        raise ContentRefused(f"This file is not a valid {MimeType(mime_type).label} image ({type(error).__name__}: {error}).") from None


def image_check_pixels(image, max_pixels: int) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise ContentRefused("This image has no pixels.")
    if width * height > max_pixels:
        raise ContentRefused(f"This image has {width}x{height} pixels, more than the {max_pixels:,} accepted.")


def image_load_frames(image, mime_type: str, max_pixels: int) -> bytes | None:
    first = None
    for number, frame in enumerate(ImageSequence.Iterator(image)):
        if number >= MAX_FRAMES:
            raise ContentRefused(f"This image has more than {MAX_FRAMES} frames or pages, which is not accepted.")
        image_check_pixels(frame, max_pixels)
        frame.load()
        if number == 0 and mime_type == MimeType.TIFF:
            first = png_rendition(frame)
    return first


def png_rendition(frame) -> bytes:
    """The first page as PNG, in a mode PNG can hold (16-bit grey, CMYK, float become 8-bit)."""
    if frame.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        if frame.mode.startswith("I") or frame.mode == "F":
            frame = frame.convert("I").point(lambda value: value / 256).convert("L")
        else:
            frame = frame.convert("RGBA" if "A" in frame.mode else "RGB")
    out = io.BytesIO()
    frame.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- PDF ----------------------------------------------------------------------------------


def pdf_check_tail(data) -> None:
    tail = bytes(data[-PDF_TAIL_BYTES:]).rstrip(PDF_WHITESPACE)
    if not tail.endswith(b"%%EOF"):
        if b"%%EOF" in tail:
            raise ContentRefused("This PDF has data after its last %%EOF, which is not accepted.")
        raise ContentRefused("This PDF is truncated or malformed: it does not end with %%EOF.")


def pdf_check_pages(data) -> None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ContentRefused("This PDF is password-protected, which is not accepted.")
        pages = reader.pages
        if not len(pages):
            raise ContentRefused("This PDF has no pages.")
        if len(pages) > MAX_PDF_PAGES:
            raise ContentRefused(f"This PDF has more than {MAX_PDF_PAGES} pages, which is not accepted.")
        for page in pages:
            page.mediabox  # noqa: B018 - reading it checks the page's geometry resolves
            contents = page.get_contents()
            if contents is not None:
                contents.get_data()
    except ContentRefused:
        raise
    except Exception as error:  # pypdf raises its PyPdfError and also ValueError, KeyError, ...
        raise ContentRefused(f"This file is not a valid PDF ({type(error).__name__}: {error}).") from None
