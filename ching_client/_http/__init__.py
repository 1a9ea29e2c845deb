"""The HTTP layer: the engines (httpx2, httpx), the clients' sharded pool that heals, its socket backends, deadlines
and the response body cap. It knows nothing of the clients, Ching or its API (`make lint` checks that)."""
