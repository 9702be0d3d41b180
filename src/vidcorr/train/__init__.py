"""Self-supervised training: warm-up (intra-video reconstruction) and the LIIR inter-video stage."""
