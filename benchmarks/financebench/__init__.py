"""FinanceBench evidence-page retrieval evaluation over the shared 10-K index."""
