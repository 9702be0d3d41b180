"""The propagation methods that need no checkpoint, named without the engine so that planning
imports light."""

BASELINES = ("copy-first", "lab")  # copy the first frame's labels; match raw Lab colour
