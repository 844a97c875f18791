"""The generator of the mini benchmark bundled with vdbench (src/vdbench/data/mini).

The videos are drawn, not filmed: every annotated difference is one parameter of the rendered
motion (squat depth, dribble height, somersault count...). For a labelled key the generator gives
the video labelled a or b the value that makes the description more true; "c" means both videos
use the same value. So every a/b label is true of the pixels, and a model that compares the frames
at the paper's frame rates can score well.

Layout = the hub's: data/test-00000-of-00001.parquet plus videos/<domain>/..., with video paths in
the rows relative to the mini folder. Fitness videos are folders of JPEG frames (8 fps, like
HuMMan); the other domains are H.264 .mp4 files (mpeg4 when libx264 is missing).

retrieval_frames convention: an index i is frame i of the trimmed clip counted at fps_original,
i.e. original frame frames_trim.start + i (so its time is i / fps_original). In a clip trimmed
with step > 1 the indices are multiples of the step, so they name frames the clip keeps.

Modules: spec (what an action is), figures (the stick figure and 2-D helpers), one module per
domain with its actions (fitness, ballsports, diving, music, surgery), render (action + parameters
-> frames), write (frame folders, mp4, thumbnails, parquet) and build (the sample list, main).
Deterministic: same seed, same bytes (see write.write_mp4 for what that takes from libx264).
"""
