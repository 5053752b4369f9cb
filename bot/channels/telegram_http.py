"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

Every pupil message costs two Bot API calls on the reply's path (the getUpdates that brings
it, the sendMessage that answers it). With httpx each took about 0.7 ms of CPU more than with
aiohttp, which the bot already uses for its web server and the Rasa client (see the README,
"Speed"). PTB supports its own transports through `BaseRequest`; this one keeps HTTPXRequest's
behaviour: the same default connect, read and pool timeouts, form-encoded parameters,
multipart for files, proxies from the environment, `TimedOut` and `NetworkError` for failures.
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp session (keep-alive, at most `pool_size` connections)."""

    def __init__(self, pool_size: int = 256, *, connect_timeout: float = 5.0,
                 read_timeout: float = 5.0, pool_timeout: float = 1.0) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call names none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (in the running event loop)."""
        if self._session is None or self._session.closed:
            # trust_env=False: with it aiohttp looks up the proxy and reads ~/.netrc in a
            # worker thread on every request; `_proxy` reads the environment once per host
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size), trust_env=False)

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one Bot API request; returns the status code and the body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = _value(read_timeout, self._read_timeout)
        connect = _value(connect_timeout, self._connect_timeout)
        pool = _value(pool_timeout, self._pool_timeout)
        # aiohttp has no write timeout: `write_timeout` is accepted and not used. The pool wait
        # plus the connect bound getting a connection; `read` bounds each wait for the answer.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_form(fields, files), timeout=timeout,
                headers={"User-Agent": self.USER_AGENT}, proxy=self._proxy(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # The class name only: an aiohttp message may quote the URL, which holds the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


    def _proxy(self, url: str) -> str | None:
        """The proxy the environment (HTTPS_PROXY, NO_PROXY, ...) names for the URL's host,
        looked up once per scheme and host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxies:
            bypass = bool(parts.hostname) and urllib.request.proxy_bypass(parts.hostname or "")
            self._proxies[key] = None if bypass else urllib.request.getproxies().get(parts.scheme)
        return self._proxies[key]


def _value(given: ODVInput[float], default: float) -> float | None:
    return default if isinstance(given, DefaultValue) else given


def _form(fields: dict[str, str] | None, files: dict[str, Any] | None
          ) -> aiohttp.FormData | dict[str, str] | None:
    """Form-encoded parameters, or multipart when files go along (as HTTPXRequest sends them)."""
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
