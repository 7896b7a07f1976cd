"""Local fake servers for the internet services apoint talks to.

Each fake listens on 127.0.0.1, on a port in 18400-18499, and speaks enough
of its provider's protocol for the real client library to work against it.
"""
