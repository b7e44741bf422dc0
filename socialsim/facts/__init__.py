"""Published evidence the model must reproduce: the facts, their virtual studies, the suite that runs them."""
