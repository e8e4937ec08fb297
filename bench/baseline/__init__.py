"""The benchmark's baseline: a minimal Django + DRF app, separate from the project (its own
settings, URLs, WSGI entry point and database), that checks a hashed bearer key with one
SELECT and stores the request body with one INSERT. bench/run.py runs it under gunicorn next
to the project and compares `run` and events against it."""
