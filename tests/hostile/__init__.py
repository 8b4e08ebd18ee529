"""The hostile and broken input corpus (see corpus.py); large inputs are built at test time."""
