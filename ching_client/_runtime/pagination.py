"""Lists, paged and capped: what the generated list operations return, and the bookkeeping of walking the pages.

An operation with ``x-ching-pagination`` in the spec returns a pager (``AsyncPager`` / ``Pager``, in
``_async/pages.py`` and its derived twin) that walks the pages with ``Walk`` and yields their items; each page
is one ``Page``. A list the API caps (a ``maxItems`` on its ``data``, Ching's "100 most recent") returns a
``CappedList``: a ``list`` that says, and logs, when it came back full and so may be missing items.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Generic, Literal, TypeAlias, TypeVar

from attrs import frozen

from .._exceptions import InvalidArgumentError
from .unset import UNSET, Unset

T = TypeVar("T")
logger = logging.getLogger("ching_client")
_warned: set[str] = set()  # the operations whose full list was logged as a WARNING
_lock = threading.Lock()


@frozen
class Pagination:
    """What ``x-ching-pagination`` says about one list operation (its wire names are the generated code's)."""

    #: Where the next page's cursor comes from: the last item's ``id`` (Stripe's way), or a field of the answer.
    cursor_from: Literal["last_item_id", "response_field"]


@frozen
class PageAt:
    """Which page to ask for: the values of the operation's page-size and cursor arguments (UNSET: not sent)."""

    limit: int | Unset = UNSET
    starting_after: str | Unset = UNSET
    ending_before: str | Unset = UNSET


class Page(Generic[T]):
    """One page of a list: its items, whether more exist, and the cursor of the page after it.

    Iterating a page gives its items; ``len(page)`` counts them. Pass ``next_cursor`` as the list's cursor
    argument (``starting_after=``) to resume later from the page after this one.
    """

    __slots__ = ("has_more", "items", "next_cursor", "previous_cursor")

    def __init__(
        self, items: Sequence[T], *, has_more: bool, next_cursor: str | None, previous_cursor: str | None = None
    ) -> None:
        #: The items of this page, in the order the API gave them.
        self.items: list[T] = list(items)
        #: Whether the API says more items follow this page.
        self.has_more: bool = has_more
        #: The cursor of the next page (the last item's id, or the token the answer carried); None at the end.
        self.next_cursor: str | None = next_cursor if has_more else None
        #: The first item's id, the cursor of the page before (``ending_before=``); None for token cursors.
        self.previous_cursor: str | None = previous_cursor

    @classmethod
    def read(
        cls, pagination: Pagination, items: Sequence[T], *, has_more: bool | None, token: object = None
    ) -> Page[T]:
        """The page an answer carries: ``token`` is the answer's cursor field (for ``response_field`` cursors)."""
        if pagination.cursor_from == "response_field":
            return cls(items, has_more=bool(has_more), next_cursor=token if isinstance(token, str) and token else None)
        ids = [getattr(item, "id", None) for item in items[:1]] + [getattr(item, "id", None) for item in items[-1:]]
        first, last = (ids[0], ids[-1]) if ids else (None, None)
        return cls(
            items,
            has_more=bool(has_more),
            next_cursor=last if isinstance(last, str) else None,
            previous_cursor=first if isinstance(first, str) else None,
        )

    def head(self, count: int) -> Page[T]:
        """This page with only its first ``count`` items (where ``max_items`` ends): more items follow, and the
        cursor after the last one kept is its id (unknown for token cursors, which name whole pages)."""
        if count >= len(self.items):
            return self
        kept = self.items[:count]
        last = getattr(kept[-1], "id", None) if kept and self.previous_cursor is not None else None
        return Page(kept, has_more=True, next_cursor=last if isinstance(last, str) else None)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Page(items={len(self.items)}, has_more={self.has_more}, next_cursor={self.next_cursor!r})"


class Walk:
    """Which page comes next, and how many items are still wanted: the pagers' bookkeeping, without I/O.

    Forward (the default) each page starts after the last one's ``next_cursor``; when the caller started with
    ``ending_before`` alone, pages go backwards, each ending before the previous one's first item.
    """

    __slots__ = ("_backwards", "_limit", "_remaining", "_start")

    def __init__(self, start: PageAt, max_items: int | None) -> None:
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0):
            raise InvalidArgumentError("max_items must be a whole number, 0 or more, or None", argument="max_items")
        self._start = start
        self._limit = start.limit
        self._remaining = max_items
        self._backwards = isinstance(start.ending_before, str) and isinstance(start.starting_after, Unset)

    def first(self) -> PageAt | None:
        """The first page to ask for; None when ``max_items=0`` asks for nothing."""
        if self._remaining == 0:
            return None
        return PageAt(self._page_size(), self._start.starting_after, self._start.ending_before)

    def take(self, page: Page[T]) -> Page[T]:
        """``page`` as handed out: whole, or its first items, as many as ``max_items`` still allows."""
        if self._remaining is None:
            return page
        kept = page.head(self._remaining)
        self._remaining -= len(kept.items)
        return kept

    def after(self, page: Page[T]) -> PageAt | None:
        """The page after ``page``; None when the list, or ``max_items``, is done."""
        if self._remaining == 0 or not page.has_more or not page.items:
            return None
        if self._backwards:
            return (
                None if page.previous_cursor is None else PageAt(self._page_size(), ending_before=page.previous_cursor)
            )
        return None if page.next_cursor is None else PageAt(self._page_size(), starting_after=page.next_cursor)

    def _page_size(self) -> int | Unset:
        """The caller's page size, lowered to what ``max_items`` still wants (no item is fetched to be dropped)."""
        if self._remaining is None or isinstance(self._limit, Unset):
            return self._limit
        return max(1, min(self._limit, self._remaining))


AsyncFetch: TypeAlias = Callable[[PageAt], Awaitable[Page[T]]]
"""How an async pager gets one page: a call of the list operation with the page's arguments."""
Fetch: TypeAlias = Callable[[PageAt], Page[T]]
"""How a sync pager gets one page."""


class CappedList(list[T]):
    """A list the API caps at ``cap`` items (Ching's "100 most recent"): a plain ``list``, that also says whether
    it came back full, so that the API may have left items out.

    ``may_be_truncated`` is True when the list holds exactly ``cap`` items: there may be more than the API shows.
    """

    #: The most items the API returns in this list, as the spec documents it (``maxItems``).
    cap: int
    #: True when the list came back with ``cap`` items: older items may exist that it does not show.
    may_be_truncated: bool

    def __init__(self, items: Sequence[T], *, cap: int) -> None:
        super().__init__(items)
        self.cap = cap
        self.may_be_truncated = len(items) >= cap


def capped(items: Sequence[T], *, cap: int, operation: str) -> CappedList[T]:
    """``items`` as a ``CappedList``. A full one is logged: a WARNING on ``ching_client`` the first time per
    operation and process (a job listing every minute says it once, as ``absent`` does for fields), DEBUG after."""
    found = CappedList(items, cap=cap)
    if found.may_be_truncated:
        with _lock:
            first = operation not in _warned
            _warned.add(operation)
        logger.log(
            logging.WARNING if first else logging.DEBUG,
            "%s returned %d items, the most the API returns in one list: more may exist that it does not show "
            "(the result's may_be_truncated is True). Look objects up by id (retrieve) or keep your own index "
            "of the ids you create; a later API version pages its lists, and the SDK then iterates all of them. "
            "(A WARNING once per operation, DEBUG after.)",
            operation,
            cap,
        )
    return found
