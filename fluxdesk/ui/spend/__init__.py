"""The Spend tab: the month against the budget, by day and model, the ledger and the credits balance."""
