import json

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import PayloadTooLarge


class LimitedJSONParser(parsers.JSONParser):
    """JSON with a size limit that holds for chunked bodies too (Content-Length is checked
    earlier by the middleware). Duplicate keys and NaN are refused: JSON has neither."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        if not raw.strip():
            raise ParseError("Malformed JSON: the body is empty.")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise ParseError(f"Malformed JSON: {error}") from error


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")
