"""FIFO memory bank of inter-video negatives: a few feature points per frame from the momentum
encoder, tagged with their video so a query never meets a negative from its own video.

1,440 frames x 4 points x 256 float32 channels take 5.9 MB (whole feature maps would take ~0.5 GB).
"""

from __future__ import annotations

import torch


class MemoryBank:
    def __init__(self, frames: int, points: int, dim: int):
        self.frames, self.points, self.dim = frames, points, dim
        self.features = torch.zeros(frames * points, dim)
        self.videos = torch.full((frames * points,), -1, dtype=torch.long)
        self.ptr = 0
        self.filled = 0

    @property
    def capacity(self) -> int:
        return self.frames * self.points

    @property
    def nbytes(self) -> int:
        return self.features.element_size() * self.features.nelement() + self.videos.element_size() * self.videos.nelement()

    def push(self, features: torch.Tensor, videos: torch.Tensor) -> None:
        """Append (F, P, D) points of F frames with their (F,) video ids; the oldest are overwritten."""
        if self.capacity == 0:
            return
        feats = features.detach().reshape(-1, self.dim).to(self.features)
        vids = videos.to(torch.long).repeat_interleave(features.shape[1]).cpu()
        for start in range(0, feats.shape[0], self.capacity):
            chunk, vchunk = feats[start: start + self.capacity], vids[start: start + self.capacity]
            idx = (self.ptr + torch.arange(chunk.shape[0])) % self.capacity
            self.features[idx] = chunk.cpu()
            self.videos[idx] = vchunk
            self.ptr = int((self.ptr + chunk.shape[0]) % self.capacity)
            self.filled = min(self.capacity, self.filled + chunk.shape[0])

    def ordered(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All stored points, oldest first, and their video ids."""
        if self.filled < self.capacity:
            return self.features[: self.filled], self.videos[: self.filled]
        order = (self.ptr + torch.arange(self.capacity)) % self.capacity
        return self.features[order], self.videos[order]

    def negatives(self, video: int) -> torch.Tensor:
        """(K, D) stored points that come from any video but `video`."""
        feats, vids = self.ordered()
        return feats[vids != video]

    def state_dict(self) -> dict:
        return {"features": self.features.clone(), "videos": self.videos.clone(), "ptr": self.ptr, "filled": self.filled}

    def load_state_dict(self, state: dict) -> None:
        if state["features"].shape != self.features.shape:
            raise ValueError(f"memory bank of shape {tuple(state['features'].shape)} does not fit {tuple(self.features.shape)}")
        self.features.copy_(state["features"])
        self.videos.copy_(state["videos"])
        self.ptr, self.filled = int(state["ptr"]), int(state["filled"])
