import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def deploy_check(**env_overrides):
    # A production environment: none of the test run's own switches (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright in this process).
    inherited = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}}
    env = {
        **inherited,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "cases.example.com",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        **env_overrides,
    }
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_a_secret_key_and_allowed_hosts():
    secret_key = secrets.token_urlsafe(64)[:60]
    result = deploy_check(SECRET_KEY=secret_key)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in output and "ERRORS" not in output


def test_deploy_check_fails_with_the_default_secret_key_and_names_it():
    result = deploy_check(SECRET_KEY=None)
    assert result.returncode != 0
    assert "projects.E001" in result.stdout + result.stderr


def test_deploy_check_warns_when_the_cache_is_inside_each_process():
    result = deploy_check(SECRET_KEY=secrets.token_urlsafe(64)[:60], CACHE_URL=None)
    assert result.returncode != 0
    assert "projects.W001" in result.stdout + result.stderr
