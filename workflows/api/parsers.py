from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from workflows.errors import ValidationFailed
from workflows.json_values import json_parse, json_value_errors

from .error_bodies import PayloadTooLarge


class LimitedJSONParser(parsers.JSONParser):
    """JSON with a size limit that holds for chunked bodies too (Content-Length is checked
    earlier by the middleware). NaN is refused (JSON has none), and so is anything that could
not be stored or worked on (see `workflows.json_values`), each problem with its path."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        if not raw.strip():
            raise ParseError("Malformed JSON: the body is empty.")
        try:
            data = json_parse(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ParseError(f"Malformed JSON: {error}") from error
        errors = json_value_errors(data, "")
        if errors:
            raise ValidationFailed(errors)
        return data
