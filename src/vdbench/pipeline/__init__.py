"""The eval pipeline: benchmark -> frames -> model -> predictions.json -> scorer ->
results.json. `config` says what to run, `session` owns a run's runtime, `predict` runs a
model over samples, `score` scores predictions, `run` ties them together and writes the run
folder."""
