"""Messages between parties and the verifiable record of them (:mod:`.ledger`)."""
