"""Published evidence the model must reproduce: the facts, their virtual studies, and the suite that runs them."""
