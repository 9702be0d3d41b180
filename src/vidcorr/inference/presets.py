"""Each method's own test protocol, as far as this engine can run it: `propagation: {preset: NAME}`.

A preset is a set of propagation settings; settings given beside it override it. What the method's
test code does and this engine cannot is listed under `differs`, shown in the zoo table and in
docs/checkpoints.md. Sources: the anchors' test code at the commits named there.
"""

from __future__ import annotations

# MAST's memory and label handling, which the LIIR port keeps: frame 0, frame 5 once t > 5, and t-1, t-3, t-5
# with hard labels, raw dot products and no temperature
_MAST_MEMORY = {"temperature": 1.0, "normalize": False, "first_frame": True, "short_term": 5, "short_term_stride": 2,
                "keep_frames": [5], "memory_labels": "hard", "input_scale": 1.0}
# CRW's, VFS's and DINO's: frame 0 and the N previous frames with soft labels, cosine affinities
_CONTEXT = {"normalize": True, "first_frame": True, "short_term_stride": 1, "keep_frames": [],
            "memory_labels": "soft", "input_scale": 1.0, "compactness": False}

PRESETS: dict[str, dict] = {
    "mast": {  # zlai0/MAST benchmark.py --ref 0 (test R = 12)
        "settings": {**_MAST_MEMORY, "radius": 12, "long_term_radius": 12, "compactness": False,
                     "topk": 3125},  # every candidate of 5 windows of 25 x 25: MAST keeps them all
        "differs": [
            "references more than 15 frames back are searched by MAST in a dilated 25 x 25 window first and then "
            "in a window around the offset found; here in the window at the same place",
            "MAST takes a hard label map's every 4th pixel as the reference's label; here each 4 x 4 cell's mean",
            "MAST counts positions beyond the frame as candidates of logit 0 and label 0; here they are left out",
        ],
    },
    "liir": {  # shasha521/LIIR_pytorch evaluate_davis.py (R = 14); compact files add `compactness: true`
        "settings": {**_MAST_MEMORY, "radius": 14, "long_term_radius": 14,
                     "topk": 4205,  # every candidate of 5 windows of 29 x 29
                     "compactness": False, "compactness_form": "port", "compactness_k": 2, "compactness_sigma": 0.4247,
                     "compactness_threshold": 0.1},
        "differs": [
            "without --compact the port searches far references as MAST does (dilation 2 to 4); here in the window",
            "with --usemomen --compact the port multiplies foreground labels by 1.05; here not",
            "the port pads frames to a multiple of 4; here the encoder rounds its sizes up instead",
        ],
    },
    "crw": {  # ajabri/videowalk README: test.py --topk 10 --videoLen 20 --radius 12 --temperature 0.05 --cropSize -1
        "settings": {**_CONTEXT, "short_term": 20, "radius": 12, "long_term_radius": None, "topk": 10,
                     "temperature": 0.05},
        "differs": [
            "CRW's window is a disc (distance < 12 cells); here a square of radius 12",
            "CRW fills the context with 20 copies of frame 0 before frame 1, so early frames see it many times; here once",
            "CRW resizes the first mask bilinearly to the feature grid; here each cell's mean",
        ],
    },
    "vfs": {  # xvjiarui/VFS configs/r18_nc_*.py test_cfg (R50: neighbor_range 36, i.e. radius 18)
        "settings": {**_CONTEXT, "short_term": 20, "radius": 12, "long_term_radius": 12, "topk": 10,
                     "temperature": 0.07},
        "differs": [
            "VFS's window is a disc (diameter neighbor_range); here a square",
            "VFS holds frame 0 twice while t <= 20 (as the first frame and in the 20 preceding); here once",
            "VFS resizes the first mask by nearest neighbour; here each cell's mean",
            "VFS scales each class map to [0, 1] before the argmax; here the argmax of the maps",
        ],
    },
    "dino": {  # facebookresearch/dino eval_video_segmentation.py defaults
        "settings": {**_CONTEXT, "short_term": 7, "radius": 12, "long_term_radius": 12, "topk": 5,
                     "temperature": 0.1},
        "differs": [
            "DINO resizes frames to 480 x a multiple of 64 (854 -> 832); here to whole patches (854 -> 848 at /16 and /8)",
            "DINO resizes the first mask by nearest neighbour; here each patch's mean",
            "DINO scales each class map to [0, 1] before the argmax; here the argmax of the maps",
            "DINO keeps ties at the 5th affinity; here exactly 5 candidates",
        ],
    },
}


def expand(settings: dict) -> dict:
    """The settings with their `preset` (if any) filled in underneath them."""
    if "preset" not in settings:
        return dict(settings)
    rest = {k: v for k, v in settings.items() if k != "preset"}
    name = settings["preset"]
    if name not in PRESETS:
        raise ValueError(f"unknown propagation preset {name!r}; known: {', '.join(PRESETS)}")
    return {**PRESETS[name]["settings"], **rest}
