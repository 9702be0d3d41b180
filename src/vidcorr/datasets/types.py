"""The dataset types a config may name, each type's reader and what scores it, stated without the
readers (and their imaging stack), so that planning and config validation import light. A reader
takes its `scorer` from here; the options each type accepts are in config.schema.yaml."""

READER = {  # type -> its reader, "module.Class" under vidcorr.datasets (datasets/registry.py opens it)
    "davis": "davis.DavisReader",
    "ytvos": "ytvos.YouTubeVOSReader",
    "vip": "vip.VIPReader",
    "jhmdb": "jhmdb.JHMDBReader",
    "videos": "frame_folders.FrameFolderReader",  # read from the frame folders the frames stage wrote
}

SCORER = {  # type -> metric (vidcorr.metrics.SCORERS); "server": only a challenge server scores it
    "davis": "davis",
    "ytvos": "server",
    "vip": "vip",
    "jhmdb": "jhmdb",
    "videos": None,  # raw videos, unlabelled: decoded by the frames stage, read from its frame folders
}
