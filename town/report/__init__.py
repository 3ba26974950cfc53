"""Measures of a saved run, as the paper measured its town: who knows whom, how tracked facts
spread, who came to an event, how believable the agents are, what the model was asked; and the
report, with pictures, that puts them side by side with the paper's figures."""
