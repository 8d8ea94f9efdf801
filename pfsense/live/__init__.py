"""Serving a sensor live: the acquisition loop, sessions and routines, the status snapshot,
the fan-out of events to stream clients, frames, and the device's own cues."""
