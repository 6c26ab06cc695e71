"""The portal tests' browser (tests/portal/browser.py)."""

from tests.portal.browser import chromium

__all__ = ["chromium"]
