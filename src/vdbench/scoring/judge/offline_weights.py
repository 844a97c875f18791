"""Weights of the offline judge's match model (offline.FEATURES; the embedding products'
weights are in offline_products.json), fitted on development data (the dev half of the
gold set and gold/dev_extra_v1.json) by `python -m vdbench.scoring.judge.train_offline`
(do not edit by hand)."""

WEIGHTS: dict = {
    'embedding': {
        'weights': [0.3229, 0.3531, 1.5523, 1.0971, 0.631, -0.4361,
                    -0.1647, -1.1637],
        'bias': -8.1213,
        'threshold': -3.5,
        'l2': 100.0,
    },
    'lexical': {
        'weights': [1.3575, 1.1418, 1.0925, 1.0063, 0.376, -0.2949,
                    -0.1082, -0.414],
        'bias': -2.8626,
        'threshold': -1.75,
        'l2': 1000.0,
    },
}
