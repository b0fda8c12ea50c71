"""The credit ledger (purchases, quotes, holds, capture, refunds). Filled by the reflections issue."""
