"""What staff may do and what it changes: one function per rule, below both fronts.

The chat steps (`handlers/`) and the web console's routes (`bot/web/`) parse their input,
call these functions and render the outcome; neither re-implements a check.
"""
