#!/usr/bin/env python
"""Document figures, in-process through the whole stack (the test client, every middleware), on
a scratch SQLite database and a temporary storage directory:

1. upload throughput of POST /api/v1/external/storage, in MiB/s, for a JPEG of about 17 MiB
   (random pixels, which do not compress) and a PDF of about 12 MiB (10 pages, each a scan-like
   JPEG): the multipart body parsed to a temporary file, copied and hashed, Pillow's verify and
   full decode (or pypdf reading every page), then the storage write and the row;
2. the peak memory (tracemalloc) while serving a 20 MiB file to the end, and while serving a
   1 MiB range of it; then the serving rate without tracemalloc (which slows Python down).

Usage: .venv/bin/python bench/documents.py [--rounds 3]
"""

import argparse
import io
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="casework-bench-documents-"))
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(scratch / "media"),
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 60,
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "ACCESS_LOG_LEVEL": "WARNING",
            "API_THROTTLE_BURST": "100000",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.test import Client

    from documents.content import MimeType
    from documents.models import StoredFile
    from documents.services import documents_storage
    from projects.models import Project
    from projects.services import api_key_create, membership_set
    from tests.documents import samples

    call_command("migrate", verbosity=0)
    project = Project.objects.create(slug="bench", name="Bench")
    _, raw_key = api_key_create(project=project, name="bench")
    api = Client(headers={"Authorization": f"Bearer {raw_key}"})

    jpeg = samples.noise_jpeg(17.5)
    pdf = scanned_pdf(pages=10, megabytes_per_page=1.2)
    print(f"upload: JPEG {len(jpeg) / MIB:.1f} MiB, PDF {len(pdf) / MIB:.1f} MiB (10 pages), {args.rounds} rounds each")
    for name, data, file_name in (("JPEG", jpeg, "noise.jpg"), ("PDF", pdf, "statement.pdf")):
        times = []
        for _ in range(args.rounds):
            body = io.BytesIO(data)
            body.name = file_name
            started = time.perf_counter()
            response = api.post("/api/v1/external/storage", {"file": body})
            times.append(time.perf_counter() - started)
            assert response.status_code == 201, response.content[:300]
        best = min(times)
        print(f"  {name}: best {best * 1000:.0f} ms = {len(data) / MIB / best:.1f} MiB/s (median {sorted(times)[len(times) // 2] * 1000:.0f} ms)")

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="x" * 20)
    membership_set(project=project, user=user, role="viewer")
    browser = Client()
    browser.force_login(user)
    size = 20 * MIB
    path = documents_storage().save(f"documents/{project.pk}/bench-20mib", ContentFile(os.urandom(size)))
    stored = StoredFile.objects.create(
        project=project, file_name="big.pdf", mime_type=MimeType.PDF, size=size, sha256="0" * 64, storage_path=path
    )
    for label, headers, expected in (("whole 20 MiB", {}, size), ("1 MiB range", {"Range": f"bytes={MIB}-{2 * MIB - 1}"}, MIB)):
        tracemalloc.start()
        started = time.perf_counter()
        response = browser.get(f"/files/{stored.pk}/", headers=headers)
        served = sum(len(block) for block in response.streaming_content)
        response.close()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert served == expected
        print(f"serving {label}: status {response.status_code}, peak Python memory {peak / 1024:.0f} KiB")
    started = time.perf_counter()
    response = browser.get(f"/files/{stored.pk}/")
    served = sum(len(block) for block in response.streaming_content)
    response.close()
    print(f"serving whole 20 MiB without tracemalloc: {served / MIB / (time.perf_counter() - started):.0f} MiB/s")


def scanned_pdf(pages: int, megabytes_per_page: float) -> bytes:
    """A PDF whose pages are noise JPEGs, as a scanned statement is (Pillow writes it)."""
    from PIL import Image

    side = int((megabytes_per_page * MIB / 1.2) ** 0.5)
    images = [Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], quality=95)
    return out.getvalue()


if __name__ == "__main__":
    main()
