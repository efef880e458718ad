"""Audit of an existing test suite: which tests are hollow and which routes they really exercise.

``smells`` finds hollow tests statically (AST only, nothing is imported or run).
"""
