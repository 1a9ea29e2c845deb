"""``AsyncPager``: every item of a paged list, fetching one page at a time as the caller iterates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from ..pagination import AsyncFetch, Page, PageAt, Walk

T = TypeVar("T")


class AsyncPager(Generic[T]):
    """What a paged list operation returns: iterate it for every item across the pages, or walk the pages.

    ``async for customer in ching.customers.list(limit=50)`` yields each item once, in the API's order, asking
    for the next page only when the previous one is used up: memory holds one page. ``pages()`` yields each
    ``Page`` (its items, ``has_more``, ``next_cursor``); ``first_page()`` fetches only the first. Each page is
    one call of the operation, a safe GET: retried as any GET, under its own deadline, with the client's hooks
    and logs. Nothing is sent until iteration starts, and stopping (``break``, a cancellation) between pages
    leaves nothing behind. ``max_items`` caps the total (pages are then asked for no more than it needs).
    """

    __slots__ = ("_fetch", "_max_items", "_start")

    def __init__(self, fetch: AsyncFetch[T], start: PageAt, max_items: int | None) -> None:
        Walk(start, max_items)  # refuses a wrong max_items here, where the call is made
        self._fetch = fetch
        self._start = start
        self._max_items = max_items

    async def first_page(self) -> Page[T]:
        """The first page alone (whole: ``max_items`` limits iteration, not this page)."""
        return await self._fetch(PageAt(self._start.limit, self._start.starting_after, self._start.ending_before))

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Each page in turn, fetched when the one before is done with; ``max_items`` trims the last."""
        walk = Walk(self._start, self._max_items)
        at = walk.first()
        while at is not None:
            page = await self._fetch(at)
            kept = walk.take(page)
            at = walk.after(page)
            yield kept

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_items={self._max_items!r})"
