"""Generic ballots: a window, a threshold or majority rule, one vote per voter, a tally.

Ideas (proposals) and panels use it through `voting.services`; the outcome rules are pure
functions in `voting.rules`. See docs/voting.md.
"""
