// Command announce announces a torrent to its BitTorrent trackers with
// trackerkit and reports what they answer: peers, swarm sizes, warnings and
// errors, as a live view, plain log lines or JSON lines (-json).
//
//	go install ./examples/announce    # from a clone of trackerkit
//	announce [flags] TARGET
//	announce -demo
//
// TARGET is a .torrent file, a magnet URI or an info hash. See docs/cli.md
// for the flags, the JSON schema and the exit status, or run announce -h.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	// The first Ctrl-C (or SIGTERM) cancels ctx: run stops gracefully,
	// sending "stopped" within the library's stop deadline. A second one
	// exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	// A closed stdout pipe ("| head") makes writes fail instead of killing
	// the process, so run can still stop gracefully.
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		<-sigs
		cancel()
		<-sigs
		if isTerminal(os.Stdout) {
			os.Stdout.WriteString(ansiShowCursor + "\n") // the live view hid it
		}
		fmt.Fprintln(os.Stderr, "announce: interrupted twice, exiting without waiting")
		os.Exit(130)
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// Exit statuses.
const (
	exitAnswered = 0 // at least one tracker answered (or the demo ran)
	exitNoAnswer = 1 // no tracker answered
	exitUsage    = 2 // bad usage or bad TARGET
)

// run is the whole CLI: args without the program name; ctx ending asks for
// a graceful stop (the first Ctrl-C). It returns the exit status. Tests call
// it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout)
		return exitAnswered
	}
	if err != nil {
		fmt.Fprintf(stderr, "announce: %s (see announce -h)\n", oneLine(err.Error()))
		return exitUsage
	}
	if cfg.Version {
		bi, ok := debug.ReadBuildInfo()
		fmt.Fprint(stdout, versionText(bi, ok))
		return exitAnswered
	}
	if cfg.Demo {
		return runDemo(ctx, cfg, stdout, stderr)
	}
	target, err := loadTarget(cfg.Target)
	if err != nil {
		fmt.Fprintf(stderr, "announce: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	tiers, warnings := filterTrackers(addTrackers(target.Tiers, cfg.Trackers))
	if len(tiers) == 0 {
		msg := "TARGET lists no tracker"
		if len(warnings) > 0 {
			msg = "TARGET lists no usable tracker (" + warnings[0].String() + ")"
		}
		fmt.Fprintf(stderr, "announce: %s: add one with -tracker URL\n", oneLine(msg))
		return exitUsage
	}
	target.Tiers = tiers
	return announceTarget(ctx, cfg, target, warnings, stdout, stderr)
}

// oneLine keeps a message on one line and free of terminal escapes.
func oneLine(s string) string {
	return sanitize(strings.Join(strings.Fields(s), " "))
}
