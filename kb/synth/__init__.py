"""Synthetic knowledge bases: any number of fictional studies shaped like the curated ones, for
benchmarks and tests at scale (`mmkb synth`)."""
