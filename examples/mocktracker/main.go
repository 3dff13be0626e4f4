// Command mocktracker runs a BitTorrent tracker on loopback for integration
// tests in any language: HTTP (BEP 3), UDP (BEP 15) and WebTorrent WebSocket
// front ends serving one set of swarms, with the faults of
// announcer/announcertest behind flags.
//
//	go run ./examples/mocktracker -json -interval 1m -peer HASH,127.0.0.2:6881
//
// It prints its announce URLs, then (with -json) one JSON line per announce
// and scrape received, and stops cleanly on SIGINT or SIGTERM. See
// docs/mocktracker.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0 // stopped by a signal (or -duration) after serving
	exitError = 1 // a front end could not listen
	exitUsage = 2 // bad flags
)

// run is the command: it serves until ctx ends (the signal) and returns the
// exit status. Tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if err != nil {
		if err == errHelp {
			printUsage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "mocktracker: %v (see mocktracker -h)\n", err)
		return exitUsage
	}
	out := newOutput(stdout, cfg.JSON)
	trk, err := start(cfg, out)
	if err != nil {
		fmt.Fprintf(stderr, "mocktracker: %v\n", err)
		return exitError
	}
	out.listening(trk.HTTPURL(), trk.UDPURL(), trk.WSURL())
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	<-ctx.Done()
	// Close waits for every front end: no line is written after "stopped".
	trk.Close()
	out.stopped()
	return exitOK
}
