"""One way of answering with a stored file, for the API and the pages alike: streamed (never
read whole), with single byte ranges, and with headers that keep the file from ever acting as a
page of our origin.

Headers, and why (tests/browser/test_document_serving.py checks them in Chromium 156):
- `X-Content-Type-Options: nosniff` and the Content-Type from the checked content: the browser
  never guesses a type.
- Images: `Content-Security-Policy: default-src 'none'; img-src 'self'; style-src 'unsafe-inline';
  frame-ancestors 'self'; sandbox`. Chromium draws the image alone or framed under it (the inline
  style is its own image-viewer page); `sandbox` gives that document an opaque origin.
- PDFs: `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'`, no `sandbox`.
  Chromium 156 showed the PDF in its viewer (alone, in an <iframe>, <embed> or <object> of our
  page) under every policy tried, `sandbox` included; what blocks its viewer is the `sandbox`
  attribute on the embedding <iframe>, so our pages must not put one on a PDF's frame. The CSP
  `sandbox` is left out all the same: older Chromium refused its viewer under it (crbug 413851,
  as public reports say), and `default-src 'none'` already forbids every script. `style-src
  'unsafe-inline'` is for the page Chromium makes around the viewer (older versions drew only a
  sliver of it without).
- `Content-Disposition: inline` only for PNG, JPEG, WebP and PDF (and a TIFF's PNG rendition);
  `attachment` for everything else, such as a TIFF original, with `sandbox` and no framing.
- Framing only by our own pages: `X-Frame-Options: SAMEORIGIN` and `frame-ancestors 'self'`
  (the site-wide X-Frame-Options is DENY; Django's middleware leaves a set header alone).
- `Cache-Control: private, max-age=0, must-revalidate` and an ETag (the content's sha256): a
  shared cache never keeps a file; the browser revalidates, and an unchanged file answers 304.
- `Cross-Origin-Resource-Policy: same-origin` (no other site may embed the bytes) and
  `Referrer-Policy: no-referrer`.
"""

import re

from django.http import FileResponse, HttpResponse
from django.utils.http import parse_etags, quote_etag

from workflows.api.error_bodies import error_response

from .content import MimeType
from .models import StoredFile
from .services import file_open

INLINE_TYPES = {MimeType.PNG, MimeType.JPEG, MimeType.WEBP, MimeType.PDF}
STREAM_BLOCK_BYTES = 64 * 1024

IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
PDF_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
ATTACHMENT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"

RANGE_PATTERN = re.compile(r"^bytes=(\d*)-(\d*)$")


class DocumentResponse(FileResponse):
    block_size = STREAM_BLOCK_BYTES


class RangeReader:
    """`length` bytes of an open file from `start`: what FileResponse streams for a 206."""

    def __init__(self, file, start: int, length: int):
        self.file = file
        self.remaining = length
        file.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        chunk = self.file.read(size)
        self.remaining -= len(chunk)
        return chunk

    def close(self):
        self.file.close()


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) of a single `bytes=` range; None to send the whole file (no header, a form
    we do not serve such as several ranges: RFC 9110 lets a server ignore Range); False when
    it cannot be satisfied."""
    match = RANGE_PATTERN.match(header.strip().replace(" ", "")) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        suffix = int(last)
        return (max(size - suffix, 0), size - 1) if suffix else False
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size or last < first:
        return False
    return first, last


def served_type(stored_file: StoredFile, rendition: bool) -> str:
    return MimeType.PNG.value if rendition else str(stored_file.mime_type)


def served_name(stored_file: StoredFile, rendition: bool) -> str:
    if not rendition:
        return stored_file.file_name
    stem = stored_file.file_name.rsplit(".", 1)[0] or "file"
    return f"{stem}.png"


def security_headers(response, mime_type: str, inline: bool):
    response["X-Content-Type-Options"] = "nosniff"
    if not inline:
        response["Content-Security-Policy"] = ATTACHMENT_CSP
        response["X-Frame-Options"] = "DENY"
    else:
        response["Content-Security-Policy"] = PDF_CSP if mime_type == MimeType.PDF else IMAGE_CSP
        response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, max-age=0, must-revalidate"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response


def file_response(request, stored_file: StoredFile, *, rendition: bool = False):
    """The file (or its PNG rendition, when it has one and it is asked for) as a streaming
    response: 200, 206 for a satisfiable single range, 416 otherwise, 304 when the ETag matches."""
    rendition = rendition and stored_file.has_rendition
    mime_type = served_type(stored_file, rendition)
    inline = mime_type in INLINE_TYPES
    etag = quote_etag(stored_file.sha256 + ("-png" if rendition else ""))

    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and (etag in parse_etags(if_none_match) or if_none_match.strip() == "*"):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return security_headers(response, mime_type, inline)

    file = file_open(stored_file, rendition=rendition)
    size = file.size
    wanted = byte_range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None  # the caller's part is of another version: send it whole
    name = served_name(stored_file, rendition)
    if wanted is False:
        file.close()
        # JSON, the API's error shape, on the pages too: only a viewer's range request gets it.
        response = error_response(416, f"The range is past the end of the file ({size} bytes).")
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = DocumentResponse(file, content_type=mime_type, as_attachment=not inline, filename=name)
        response["Content-Length"] = str(size)
    else:
        first, last = wanted
        response = DocumentResponse(
            RangeReader(file, first, last - first + 1), status=206, content_type=mime_type, as_attachment=not inline, filename=name
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    return security_headers(response, mime_type, inline)
