"""Helpers the tests share: factories, and job functions for worker tests."""
