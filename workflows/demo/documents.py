"""Sample documents for the demo, drawn by the project (Pillow), never downloaded: an identity
document as a PNG and a utility bill as a one-page PDF. Stored through the same service as an
upload, so they pass the same content checks."""

import io

from PIL import Image, ImageDraw

BACKGROUNDS = {"passport": (226, 236, 246), "utility_bill": (250, 250, 245)}


def _draw(kind: str, lines: list[str]) -> Image.Image:
    image = Image.new("RGB", (640, 420), BACKGROUNDS.get(kind, (255, 255, 255)))
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, 629, 409], outline=(40, 60, 90), width=3)
    if kind == "passport":
        draw.rectangle([30, 70, 200, 290], fill=(180, 190, 205), outline=(90, 100, 120))  # the photo
        draw.ellipse([75, 100, 155, 180], fill=(150, 160, 175))
        draw.rectangle([65, 190, 165, 280], fill=(150, 160, 175))
        x = 225
    else:
        x = 30
    draw.text((30, 25), "SAMPLE - NOT A REAL DOCUMENT", fill=(170, 30, 30))
    for number, line in enumerate(lines):
        draw.text((x, 80 + number * 28), line, fill=(20, 30, 50))
    return image


def passport_png(first: str, last: str, country: str, number: str) -> bytes:
    image = _draw("passport", [f"PASSPORT  {country}", f"Surname: {last.upper()}", f"Given names: {first}", f"Number: {number}", "Expires: 2031-04-30"])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def utility_bill_pdf(first: str, last: str, address: str) -> bytes:
    image = _draw("utility_bill", ["Harbour Energy Ltd - electricity bill", f"Customer: {first} {last}", f"Supply address: {address}", "Billing period: 2026-09-01 to 2026-09-30", "Amount due: 84.20"])
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=96)
    return buffer.getvalue()


def demo_documents(project, *, first: str, last: str, country: str, number: str, address: str) -> list[dict]:
    """The documents of a demo person, their pages stored as files of `project`."""
    from documents.services import file_store

    passport = file_store(project=project, content=passport_png(first, last, country, number), file_name=f"passport-{last.lower()}.png", created_by_label="demo")
    bill = file_store(project=project, content=utility_bill_pdf(first, last, address), file_name=f"utility-bill-{last.lower()}.pdf", created_by_label="demo")
    return [
        {
            "id": f"passport-{number}",
            "category": "identification",
            "type": "passport",
            "issuer": {"country": country},
            "version": 1,
            "properties": {"docNumber": number, "expiresAt": "2031-04-30"},
            "pages": [{"ballerineFileId": str(passport.pk), "type": "png", "fileName": passport.file_name, "metadata": {"side": "front", "pageNumber": "1"}}],
        },
        {
            "id": f"utility-bill-{number}",
            "category": "proof_of_address",
            "type": "utility_bill",
            "issuer": {"country": country},
            "version": 1,
            "properties": {"address": address},
            "pages": [{"ballerineFileId": str(bill.pk), "type": "pdf", "fileName": bill.file_name, "metadata": {"pageNumber": "1"}}],
        },
    ]
