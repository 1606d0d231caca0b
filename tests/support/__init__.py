"""Test support code (never imported by product code)."""
