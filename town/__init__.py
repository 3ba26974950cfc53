"""generative-town: a town of generative agents."""
