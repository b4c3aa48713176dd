"""A signed-in game page of a server that follows the peers' contract, for `make bench` with BENCH_PEER=1.

Signs in the black player of the seed's first game with the peers' loadgen client (--loadgen: its
common.py), fetches that game's page, writes the page's bytes to --out (the static twin the bench serves
next to it) and prints the Cookie header that fetched it, so wrk can ask for the same page. Runs with the
loadgen's python (aiohttp).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys

from yarl import URL


async def main(args: argparse.Namespace) -> None:
    import common  # the peers' loadgen client pieces

    games, passwords = common.load_seed(args.seed)
    if not games:
        sys.exit("peer_page: the seed has no games")
    game = games[0]
    player = common.Player(args.base, game["black"], passwords[game["black"]])
    try:
        await player.login()
        async with player.http.get(f"{player.base}/games/{game['id']}/") as response:
            if response.status != 200:
                sys.exit(f"peer_page: GET /games/{game['id']}/ answered {response.status}")
            body = await response.read()
        if b"ws-connect=" not in body:
            sys.exit("peer_page: the game page did not come back signed in")
        with open(args.out, "wb") as out:
            out.write(body)
        jar = player.http.cookie_jar.filter_cookies(URL(player.base))
        print("; ".join(f"{name}={morsel.value}" for name, morsel in jar.items()))
        print(f"/games/{game['id']}/")
    finally:
        await player.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loadgen", required=True, help="the peers' loadgen directory (common.py)")
    parser.add_argument("--base", required=True)
    parser.add_argument("--seed", required=True, help="seed JSON as `seed_bench` prints it")
    parser.add_argument("--out", required=True, help="where to write the page's bytes")
    arguments = parser.parse_args()
    sys.path.insert(0, os.path.abspath(arguments.loadgen))
    asyncio.run(main(arguments))
