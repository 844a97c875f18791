"""The VidDiff method (ICLR 2025): proposer (LLM) -> frame localizer (CLIP + Viterbi) ->
frame differencer (VLM). The catalog names its factory, `model.viddiff_model`."""
