"""``reactor live``: the show loop and its helpers (pacing, stats, transitions, reload watching).

Import does no work; glfw/moderngl stay under ``reactor.render`` and sound devices under
``reactor.audio``.
"""
