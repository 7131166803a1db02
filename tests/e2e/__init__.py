"""Browser end-to-end tests (a package, so its conftest is imported as e2e.conftest, not as `conftest`)."""
