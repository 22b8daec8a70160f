"""How many examples the Hypothesis tests try: their full counts scaled by FUZZ_SCALE.

The full counts (FUZZ_SCALE=1, more than 6,000 examples over the dashboard and the
sandbox) took about half the suite's time. Every run draws new examples (random seeds,
no example database), so the suite's default of a fifth still covers the full counts'
ground over a handful of CI runs; run FUZZ_SCALE=1 before a release or after changing
what the fuzz tests reach (list_state, the sandbox's query parsing, forms).
"""

import os

SCALE = float(os.environ.get("FUZZ_SCALE", "0.2"))


def examples(full: int) -> int:
    """The examples to try this run for a test whose full count is `full` (at least 10)."""
    return max(10, round(full * SCALE))
