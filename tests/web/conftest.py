"""Fixtures the page tests share: the demo site of test_pages_status (one per module)."""

from tests.web.test_pages_status import demo  # noqa: F401
