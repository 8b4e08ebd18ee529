"""Registers the conformance plugin for runs from this folder."""

pytest_plugins = ["chfa_conformance.pytest_plugin"]
