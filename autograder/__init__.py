"""rnn-week autograder: grades untrusted student notebooks against hidden pytest suites.

Pipeline (one module per stage): config -> notebook -> sandbox/worker -> plugin (pytest) ->
scoring -> report; batch and cli drive it.
"""
