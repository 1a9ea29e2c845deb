# Derived from ching_client/_runtime/_async/pages.py by generator/unasync.py. Do not edit: change the async source.
"""``Pager``: every item of a paged list, fetching one page at a time as the caller iterates."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from ..pagination import Fetch, Page, PageAt, Walk

T = TypeVar("T")


class Pager(Generic[T]):
    """What a paged list operation returns: iterate it for every item across the pages, or walk the pages.

    ``for customer in ching.customers.list(limit=50)`` yields each item once, in the API's order, asking
    for the next page only when the previous one is used up: memory holds one page. ``pages()`` yields each
    ``Page`` (its items, ``has_more``, ``next_cursor``); ``first_page()`` fetches only the first. Each page is
    one call of the operation, a safe GET: retried as any GET, under its own deadline, with the client's hooks
    and logs. Nothing is sent until iteration starts, and stopping (``break``, a cancellation) between pages
    leaves nothing behind. ``max_items`` caps the total (pages are then asked for no more than it needs).
    """

    __slots__ = ("_fetch", "_max_items", "_start")

    def __init__(self, fetch: Fetch[T], start: PageAt, max_items: int | None) -> None:
        Walk(start, max_items)  # refuses a wrong max_items here, where the call is made
        self._fetch = fetch
        self._start = start
        self._max_items = max_items

    def first_page(self) -> Page[T]:
        """The first page alone (whole: ``max_items`` limits iteration, not this page)."""
        return self._fetch(PageAt(self._start.limit, self._start.starting_after, self._start.ending_before))

    def pages(self) -> Iterator[Page[T]]:
        """Each page in turn, fetched when the one before is done with; ``max_items`` trims the last."""
        walk = Walk(self._start, self._max_items)
        at = walk.first()
        while at is not None:
            page = self._fetch(at)
            kept = walk.take(page)
            at = walk.after(page)
            yield kept

    def _items(self) -> Iterator[T]:
        for page in self.pages():
            for item in page.items:
                yield item

    def __iter__(self) -> Iterator[T]:
        return self._items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_items={self._max_items!r})"
