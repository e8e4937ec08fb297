"""Under `make run` (the development server) each request is logged once."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.servers import ROOT, free_port


def test_the_development_server_logs_each_request_once(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            for path in ("/api/v1/external/nowhere", "/api/v1/external/workflows"):
                for _ in range(100):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
                        break
                    except urllib.error.HTTPError:
                        break  # an answer (404, 401): what is logged
                    except OSError:
                        time.sleep(0.1)
            time.sleep(0.5)
        finally:
            process.terminate()
            process.wait(10)
    lines = log.read_text().splitlines()
    assert sum("/api/v1/external/nowhere" in line for line in lines) == 1, lines
    assert sum("/api/v1/external/workflows" in line for line in lines) == 1, lines
