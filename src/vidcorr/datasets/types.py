"""The dataset types a config may name and what scores each, stated without the readers (and their
imaging stack), so that planning and config validation import light. A reader takes its `scorer`
from here; the options each type accepts are in config.schema.yaml."""

SCORER = {  # type -> metric (vidcorr.metrics.SCORERS); "server": only a challenge server scores it
    "davis": "davis",
    "ytvos": "server",
    "vip": "vip",
    "jhmdb": "jhmdb",
    "videos": None,  # raw videos, unlabelled: decoded by the frames stage, read from its frame folders
}
