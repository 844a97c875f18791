"""Weights of the offline judge's match model (offline.FEATURES), fitted on development data
(the dev half of the gold set and gold/dev_extra_v1.json) by `python -m
vdbench.scoring.judge.train_offline` (do not edit by hand)."""

WEIGHTS: dict = {
    'embedding': {
        'weights': [2.5461, 2.5952, 2.6622, 2.5251, 0.5033, -0.9059,
                    -0.2772, -0.4596],
        'bias': -6.3117,
        'threshold': -2.75,
        'l2': 3.0,
    },
    'lexical': {
        'weights': [1.5999, 2.0207, 1.7425, 1.4769, 0.62, -0.9248,
                    -0.1693, -0.1439],
        'bias': -3.6092,
        'threshold': -1.75,
        'l2': 10.0,
    },
}
