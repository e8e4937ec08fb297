"""The content checks of documents.content: pure, on bytes."""

import io
import struct
import zlib

import pytest
from PIL import Image

from documents.content import ContentRefused, MimeType, check

from . import samples

LIMIT = 89_478_485


def refusal(data, max_pixels=LIMIT) -> str:
    with pytest.raises(ContentRefused) as refused:
        check(data, max_pixels=max_pixels)
    return refused.value.message


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims these dimensions (its pixel data is a few bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("make", "mime_type"),
    [
        (samples.png, MimeType.PNG),
        (samples.jpeg, MimeType.JPEG),
        (samples.webp, MimeType.WEBP),
        (samples.tiff, MimeType.TIFF),
        (samples.pdf, MimeType.PDF),
    ],
)
def test_each_accepted_type_is_recognised_from_its_content(make, mime_type):
    assert check(make(), max_pixels=LIMIT).mime_type == mime_type


def test_a_tiff_gets_a_png_rendition_of_the_same_size():
    rendition = check(samples.tiff(size=(41, 17)), max_pixels=LIMIT).rendition_png
    with Image.open(io.BytesIO(rendition)) as image:
        assert (image.format, image.size) == ("PNG", (41, 17))


def test_a_16_bit_grey_tiff_gets_an_8_bit_png_rendition():
    out = io.BytesIO()
    Image.new("I;16", (10, 10), 40000).save(out, format="TIFF")
    with Image.open(io.BytesIO(check(out.getvalue(), max_pixels=LIMIT).rendition_png)) as image:
        assert image.mode == "L"


def test_other_types_than_tiff_get_no_rendition():
    assert check(samples.png(), max_pixels=LIMIT).rendition_png is None


def test_a_jpeg_with_an_embedded_thumbnail_is_accepted():
    data = samples.jpeg_with_thumbnail()
    assert data.count(b"\xff\xd9") == 2  # the thumbnail's end of image, then the image's
    assert check(data, max_pixels=LIMIT).mime_type == MimeType.JPEG


def test_a_progressive_jpeg_is_accepted():
    assert check(samples.jpeg(progressive=True), max_pixels=LIMIT).mime_type == MimeType.JPEG


def test_html_named_like_a_png_is_refused_naming_the_accepted_types():
    assert "PDF, PNG, JPEG, WebP or TIFF" in refusal(samples.HTML_AS_PNG)


def test_svg_is_refused():
    assert "not accepted" in refusal(samples.SVG)


def test_gif_is_refused_by_name():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="GIF")
    assert "GIF" in refusal(out.getvalue())


def test_plain_text_is_refused():
    assert "not recognised" in refusal(b"just some words\n")


def test_an_empty_file_is_refused():
    assert refusal(b"") == "The file is empty."


def test_data_after_a_pngs_iend_is_refused():
    assert "after its end" in refusal(samples.png() + b"PK\x03\x04payload")


def test_a_payload_after_a_jpegs_end_is_refused():
    assert "after its end" in refusal(samples.jpeg() + b"PK\x03\x04" + b"\x00" * 200)


def test_a_payload_after_the_end_of_a_jpeg_with_a_thumbnail_is_refused():
    assert "after its end" in refusal(samples.jpeg_with_thumbnail() + b"\xff\xd8\xff\xe0hidden")


def test_data_after_a_webps_riff_length_is_refused():
    assert "after its end" in refusal(samples.webp() + b"trailing")


def test_a_truncated_png_is_refused():
    data = samples.png()
    assert "PNG" in refusal(data[: len(data) // 2])


def test_a_png_with_a_corrupt_crc_is_refused():
    data = bytearray(samples.png())
    data[29] ^= 0xFF  # inside IHDR's CRC
    assert "not a valid PNG" in refusal(bytes(data))


def test_markup_in_the_first_kilobyte_of_an_image_is_refused_in_any_case():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG", pnginfo=_text_chunk("comment", "<ScRiPt>alert(1)</sCrIpT>"))
    assert "markup" in refusal(out.getvalue())


def _text_chunk(key, value):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, value)
    return info


def test_html_before_a_pdf_header_is_refused():
    assert "before its %PDF header" in refusal(b"<p>hi</p>\n" + samples.pdf())


def test_html_after_a_pdfs_last_eof_is_refused():
    data = samples.pdf(pages=20)  # longer than the first KB, which is checked for markup anyway
    assert len(data) > 2048
    assert "after its last %%EOF" in refusal(data + b"\n<html><script>alert(1)</script></html>\n")


def test_white_space_after_a_pdfs_last_eof_is_accepted():
    assert check(samples.pdf() + b"\r\n \n\x00", max_pixels=LIMIT).mime_type == MimeType.PDF


def test_a_pdf_that_does_not_parse_is_refused():
    assert "not a valid PDF" in refusal(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    assert "pixels" in refusal(png_claiming(100_000, 100_000))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_just_over_a_low_pixel_limit_is_refused():
    # Pillow itself only warns between the limit and twice the limit: that band is refused too.
    assert "40x30 pixels, more than the 1,000 accepted" in refusal(samples.png(size=(40, 30)), max_pixels=1_000)


def test_an_image_at_the_pixel_limit_is_accepted():
    assert check(samples.png(size=(40, 30)), max_pixels=1_200).mime_type == MimeType.PNG
