"""Theano's ``theano.sandbox`` path (``rng_mrg.MRG_RandomStreams``)."""
