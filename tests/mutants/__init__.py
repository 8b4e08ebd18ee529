"""Faulty emitters: each breaks one behaviour of the reference emitter on purpose.

A conformance check is only trusted once a mutant that violates exactly its requirement
makes the suite report exactly that requirement id (see tests/test_mutants.py).
"""
