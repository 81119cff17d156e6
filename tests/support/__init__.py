"""Shared test helpers and fixtures, registered for every test folder by tests/conftest.py.

One home for what several test areas need: a free loopback port, the offline embedder, real index builds from
the shared corpus, the synthetic upstream, and in-process gateways under real uvicorn. A test folder whose
fixtures mean something else (e.g. reliability's tiny index, gateway processes instead of in-process apps)
overrides a fixture of the same name in its own conftest.py.
"""
