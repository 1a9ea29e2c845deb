"""A response body read under a size cap, with gzip and deflate decoded under the same cap: no I/O.

httpx reads a whole body before returning it, and its decoders inflate each chunk without a bound:
one 64 KB chunk of a gzip bomb becomes 64 MB, and ``Content-Encoding: gzip, gzip`` multiplies that
again. The clients read the raw chunks themselves and feed them here, so memory stays within the
cap (``max_response_bytes``) plus one chunk, whatever the server sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # httpx's types stand for httpx2's too
    import httpx

_IDENTITY: Final = frozenset({"", "identity"})
_PIECE: Final = 256 * 1024
ACCEPT_ENCODING: Final = "gzip, deflate"
"""What the clients ask for: the encodings this module decodes."""


LIMIT_EXTENSION: Final = "ching.max_response_bytes"
"""Request extension: the cap, for a transport that reads bodies itself before returning (the sync shards)."""
OVER_LIMIT_EXTENSION: Final = "ching.over_limit"
ATTEMPT_SECONDS_EXTENSION: Final = "ching.attempt_seconds"
"""Not the body's, but read by the transports as the two above are: what is left of the call's deadline as an
attempt starts. The sync shards end every socket operation of the attempt then (``deadline.start_attempt``), whatever
its read timeout."""
"""Response extension such a transport sets when it stopped reading at the cap and kept nothing."""


class TooLarge(Exception):
    """The body passed the cap; the client turns this into ``APIResponseError``."""


class Undecodable(Exception):
    """The body is not valid for its ``Content-Encoding``."""


class _Inflater:
    """One gzip or deflate layer, inflating in pieces of at most ``_PIECE`` bytes, ``limit`` bytes in all."""

    def __init__(self, encoding: str, limit: int) -> None:
        # gzip: zlib reads the gzip header (16 + MAX_WBITS). deflate: zlib-wrapped as the RFC says,
        # with raw deflate (which some servers send) tried when the first chunk is not zlib, as httpx does.
        self._raw_fallback = encoding == "deflate"
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS if encoding == "deflate" else zlib.MAX_WBITS | 16)
        # A layer under another never legitimately gives out more than the decoded body's cap either.
        self._left = limit

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """The inflated bytes of ``data``, a piece at a time, so that no more than a piece is held at once."""
        while data:
            try:
                piece = self._inflate.decompress(data, _PIECE)
            except zlib.error as exc:
                if not self._raw_fallback:
                    raise Undecodable(str(exc)) from None
                self._raw_fallback = False
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            self._left -= len(piece)
            if self._left < 0:
                raise TooLarge
            yield piece
            data = self._inflate.unconsumed_tail

    def rest(self) -> bytes:
        """What the layer still holds once its input has ended."""
        try:
            piece = self._inflate.flush(_PIECE)
        except zlib.error as exc:
            raise Undecodable(str(exc)) from None
        self._left -= len(piece)
        if self._left < 0:
            raise TooLarge
        return piece


class BodyReader:
    """Collects a body's raw chunks; raises ``TooLarge`` as soon as the decoded size passes ``limit``."""

    __slots__ = ("_chunks", "_layers", "_limit", "_size")

    def __init__(self, encodings: list[str], limit: int) -> None:
        # Undone in reverse order: the encoding applied last (listed last) is the outermost.
        self._layers = [_Inflater(e, limit) for e in reversed(encodings)]
        self._limit = limit
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, raw: bytes) -> None:
        """Decode one raw chunk through every layer, keeping what comes out of the last."""
        self._push(0, raw)

    def finish(self) -> bytes:
        """The whole decoded body, once the last raw chunk was fed."""
        for index, layer in enumerate(self._layers):  # what a layer still holds goes through the layers after it
            self._push(index + 1, layer.rest())
        return b"".join(self._chunks)

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self._layers):
            self._keep(data)
            return
        for piece in self._layers[index].pieces(data):
            self._push(index + 1, piece)

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        self._size += len(data)
        if self._size > self._limit:
            raise TooLarge
        self._chunks.append(data)


def reader_for(response: httpx.Response, limit: int) -> BodyReader | None:
    """A reader for a response whose body must be streamed under the cap; None when ``aread()`` is safe.

    Reading whole is safe when nothing is left to read (an in-process transport built the response
    from bytes) or when the body is not encoded and declares a length within the cap (h11 never reads
    past a declared length). A declared length over the cap raises ``TooLarge`` before anything is read.
    """
    if response.extensions.get(OVER_LIMIT_EXTENSION):
        raise TooLarge
    if response.is_stream_consumed:
        if len(response.content) > limit:
            raise TooLarge
        return None
    headers = response.headers
    # One lookup each (several Content-Encoding lines come joined with commas): this runs on every call.
    encoding = headers.get("content-encoding")
    encodings = [e.strip().lower() for e in encoding.split(",")] if encoding is not None else []
    if all(e in _IDENTITY for e in encodings):
        length = headers.get("content-length")
        if length is not None and length.isdigit():
            if int(length) > limit:
                raise TooLarge
            return None
    # Encodings other than these two are not asked for (see ACCEPT_ENCODING) and, as httpx does, are
    # left as they are: such a body then fails to decode as JSON, an APIResponseError like any other.
    return BodyReader([e for e in encodings if e in ("gzip", "x-gzip", "deflate")], limit)
