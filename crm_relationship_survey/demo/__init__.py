"""Demo data generators: plain modules, imported only by the demo data."""
