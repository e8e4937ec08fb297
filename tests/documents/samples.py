"""Sample files made here, with Pillow and pypdf: nothing is downloaded."""

import io

from PIL import Image
from pypdf import PdfWriter


def image_bytes(image_format: str, size=(40, 30), colour=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=image_format, **save)
    return out.getvalue()


def png(size=(40, 30)) -> bytes:
    return image_bytes("PNG", size)


def jpeg(size=(40, 30), **save) -> bytes:
    return image_bytes("JPEG", size, **save)


def webp(size=(40, 30)) -> bytes:
    return image_bytes("WEBP", size)


def tiff(size=(40, 30)) -> bytes:
    return image_bytes("TIFF", size)


def jpeg_with_thumbnail() -> bytes:
    """A JPEG whose EXIF (APP1) segment holds a whole JPEG thumbnail, SOI to EOI."""
    thumbnail = jpeg((8, 8))
    exif = Image.Exif()
    exif[0x010E] = "a scan"  # ImageDescription
    # A thumbnail in EXIF's IFD1: Pillow writes what it is given under these tags.
    payload = exif.tobytes() + thumbnail
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(out, format="JPEG", exif=payload)
    return out.getvalue()


def pdf(pages=1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def noise_jpeg(megabytes: float) -> bytes:
    """A JPEG of random pixels of about this many MiB (noise does not compress)."""
    import os

    side = int((megabytes * 1024 * 1024 / 1.2) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


HTML_AS_PNG = b"<html><body><script>alert(document.domain)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
