package main

import (
	"context"
	"fmt"
	"io"
)

// announceTarget runs the announces for target. Not wired yet: the
// announcer (Client, Session) is not on main.
func announceTarget(ctx context.Context, cfg *Config, target *Target, warnings []droppedTracker, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "announce: not available yet: the announcer is not wired in")
	return exitNoAnswer
}

// runDemo runs the embedded mock tracker demo. Not wired yet.
func runDemo(ctx context.Context, cfg *Config, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "announce: -demo not available yet")
	return exitNoAnswer
}
