"""Bundled example apps testboost is demonstrated and tested on."""
