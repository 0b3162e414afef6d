"""Obvious bots: crawlers, headless browsers and HTTP tools, told by their User-Agent.

The patterns are crawler-user-agents' (a maintained list of about 1,500 signatures of
crawlers, spiders, headless browsers and HTTP libraries: Googlebot, GPTBot, HeadlessChrome,
curl, python-requests, Go-http-client and so on). A missing User-Agent, or one longer than
any browser sends, counts as a tool too: no browser sends either, and a long one would make
every pattern scan it.

Only anonymous views are judged (see ``booths.routes.count_visit``): a signed-in account
counts once a day whatever its client, so its User-Agent can inflate nothing.
"""

from __future__ import annotations

from functools import lru_cache

from crawleruseragents import is_crawler

# Browsers send 100 to 300 characters; a few extensions add some.
MAX_BROWSER_AGENT_CHARS = 512


def is_bot(agent: str) -> bool:
    """True for a User-Agent that no person's browser sends."""
    agent = agent.strip()
    if not agent or len(agent) > MAX_BROWSER_AGENT_CHARS:
        return True
    return _known_bot(agent)


@lru_cache(maxsize=2048)
def _known_bot(agent: str) -> bool:
    # About 0.35 ms a browser string against every pattern; most visitors repeat theirs.
    return bool(is_crawler(agent))
