"""Demo data generators: plain modules, imported only by the demo data
(``res.company._relationship_demo_generate``)."""
