"""Logging filters: expected refusals in one line, real errors with their traceback."""

import logging


class OneLineRefusals(logging.Filter):
    """A 4xx answer (a page that is not there, a permission someone lacks, a bad request) is an
    expected refusal: Django logs it with the exception's traceback, which buries real errors.
    Keep its one-line message; 5xx records (and records without a status) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
