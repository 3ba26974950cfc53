"""generative-town: a town of generative agents."""

import os

# pytmx imports pygame when it is installed; keep its greeting out of headless output.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
