"""Local stand-ins for the services the product talks to (test and demo infrastructure only).

The product never imports this package, and the emulators import nothing of ``backend``.
"""
