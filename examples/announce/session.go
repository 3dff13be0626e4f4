package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// tickEvery is how often the live view may redraw.
const tickEvery = 250 * time.Millisecond

// announceTarget runs one Session for target until the run ends (-once:
// every tracker tried once; -duration; ctx: Ctrl-C; -scrape: one scrape
// round), stops it gracefully and returns the exit status.
//
// The CLI announces to every tracker at once (announcer.TiersAll) rather
// than one tracker per tier: it is a tool for seeing what each tracker
// answers, so every row of its view should be live.
func announceTarget(ctx context.Context, cfg *Config, target *Target, warnings []droppedTracker, stdout, stderr io.Writer) int {
	return announceWith(ctx, cfg, target, warnings, nil, stdout, stderr)
}

// announceWith is announceTarget with extra transports by scheme (the demo
// passes a loopback-only WebRTC transport); the caller closes those.
func announceWith(ctx context.Context, cfg *Config, target *Target, warnings []droppedTracker, extra map[string]transport.Transport, stdout, stderr io.Writer) int {
	var raw []string
	for _, tier := range target.Tiers {
		raw = append(raw, tier...)
	}
	scrub := newScrubber(raw)
	redacted := make([]string, len(raw))
	for i, u := range raw {
		redacted[i] = displayURL(u)
	}

	if cfg.Timeout <= 0 { // a Config not from parseArgs (the demo's tests)
		c := *cfg
		c.Timeout = defaultTimeout
		cfg = &c
	}
	ccfg := announcer.Config{Port: cfg.Port, IntervalFloor: cfg.MinInterval, UserAgent: cfg.UserAgent,
		Proxy: cfg.Proxy, LocalAddr: cfg.Bind, AnnounceIP: cfg.AnnounceIP, Family: cfg.Family,
		AttemptTimeout: cfg.Timeout, UDPAttemptTimeout: cfg.Timeout, StopTimeout: stopTimeout(cfg.Timeout)}
	transports, closeTransports := cliTransports(ccfg.TransportOptions(), cfg.Timeout)
	defer closeTransports()
	for scheme, t := range extra {
		transports[scheme] = t
	}
	ccfg.Transports = transports
	if cfg.PeerIDSet {
		ccfg.PeerID = cfg.PeerID
	}
	if cfg.NumWantSet {
		ccfg.NumWant = cfg.NumWant
		if cfg.NumWant == 0 {
			ccfg.NumWant = announcer.NumWantNone // 0 is the library's default
		}
	}
	client, err := announcer.NewClient(ccfg)
	if err != nil {
		fmt.Fprintf(stderr, "announce: %s\n", oneLine(scrub(err.Error())))
		return exitUsage
	}
	defer client.Close()

	left := int64(announcer.LeftUnknown) // a leecher of unknown size (a magnet without metadata)
	switch {
	case cfg.LeftSet:
		left = cfg.Left
	case target.Size >= 0:
		left = target.Size
	}
	stats := announcer.Stats{Left: left}
	sess, err := client.NewSession(target.torrent(),
		announcer.SessionOptions{TierMode: announcer.TiersAll, Stats: func() announcer.Stats { return stats }, Params: cfg.Params,
			StateEvents: true}) // -json prints them as "state" lines
	if err != nil {
		fmt.Fprintf(stderr, "announce: %s\n", oneLine(scrub(err.Error())))
		return exitUsage
	}
	defer sess.Close()

	start := time.Now()
	b := newBoard(start, redacted)
	for _, w := range warnings {
		b.row(w.URL).State = stateIgnored
		b.row(w.URL).LastError = w.Reason
	}
	out := newOutput(cfg, b, target, stdout, scrub)
	for _, w := range warnings { // a warning line each (the live view shows the row)
		out.event(announcer.WarningEvent{Time: start, Tracker: w.URL, Message: w.String()})
	}

	tor := target.torrent()
	r := &runLoop{cfg: cfg, sess: sess, board: b, out: out, scrub: scrub,
		hybrid: tor.InfoHash != (transport.InfoHash{}) && !tor.InfoHashV2.IsZero()}
	var scrapeErr chan error
	if cfg.Scrape {
		// One scrape round; nothing is started, so closing the Session
		// afterwards sends nothing, and its event channel then closes.
		// The Session says which trackers it passes over (see skipped).
		scrapeErr = make(chan error, 1)
		r.stopping = true
		b.markStopping()
		go func() {
			// -timeout bounds the scrape round (each scrape is one
			// request per tracker, in parallel); -duration too.
			bound := cfg.Timeout
			if cfg.Duration > 0 {
				bound = min(bound, cfg.Duration)
			}
			ctx, cancel := context.WithTimeout(ctx, bound)
			defer cancel()
			err := sess.Scrape(ctx)
			scrapeErr <- err
			sess.Close()
		}()
	} else if err := sess.Start(context.WithoutCancel(ctx)); err != nil {
		fmt.Fprintf(stderr, "announce: %s\n", oneLine(scrub(err.Error())))
		return exitNoAnswer
	}
	r.loop(ctx)
	out.finish(time.Now())
	if r.stopErr != nil {
		if err := <-r.stopErr; err != nil {
			fmt.Fprintf(stderr, "announce: some trackers were not told we stopped: %s\n", oneLine(scrub(err.Error())))
		}
	}
	if scrapeErr != nil {
		if err := <-scrapeErr; errors.Is(err, transport.ErrUnsupported) && !b.answered {
			fmt.Fprintln(stderr, "announce: no tracker of TARGET supports scrape")
		}
	}
	return b.exitStatus()
}

// runLoop is the event loop of one run.
type runLoop struct {
	cfg      *Config
	sess     *announcer.Session
	board    *board
	out      output
	scrub    func(string) string
	drops    dropCoalescer // "events dropped" lines, at most one a second
	stopping bool          // Stop (or the scrape round) is under way
	stopErr  chan error    // Stop's result, once stop was called

	hybrid     bool             // BEP 52: two announces per URL (the board has one row per URL)
	sawWebRTC  bool             // a WebRTC peer arrived
	webRTCWait <-chan time.Time // -once is done, but waits for a WebRTC peer
}

// loop shows events until the Session's event channel closes.
func (r *runLoop) loop(ctx context.Context) {
	var deadline <-chan time.Time
	if r.cfg.Duration > 0 {
		timer := time.NewTimer(r.cfg.Duration)
		defer timer.Stop()
		deadline = timer.C
	}
	// -once: every attempt ends within -timeout (the library bounds it);
	// this is the backstop that keeps the documented bound (onceBound)
	// whatever a transport does: a second after -timeout the run stops, as
	// if every tracker had been tried.
	var onceDeadline <-chan time.Time
	if r.cfg.Once {
		timer := time.NewTimer(r.cfg.Timeout + onceGrace + r.cfg.webRTCWait)
		defer timer.Stop()
		onceDeadline = timer.C
	}
	ticker := time.NewTicker(tickEvery)
	defer ticker.Stop()
	done := ctx.Done()
	for {
		select {
		case ev, ok := <-r.sess.Events():
			if !ok {
				if de, show := r.drops.flush(time.Now()); show {
					r.out.event(de)
				}
				return
			}
			if de, isDrop := ev.(announcer.DroppedEvent); isDrop {
				// Counted at once, shown at most once a second.
				r.board.apply(ev, r.scrub)
				r.drops.add(de)
				if de, show := r.drops.due(time.Now()); show {
					r.out.event(de)
				}
				continue
			}
			if pe, isPeer := ev.(announcer.PeerEvent); isPeer {
				// The CLI only reports WebRTC peers; it owns and closes
				// their data channels.
				for _, p := range pe.Peers {
					if p.Conn != nil {
						p.Conn.Close()
					}
				}
			}
			if pe, isPeer := ev.(announcer.PeerEvent); isPeer && pe.Protocol == announcer.ProtocolWebRTC {
				r.sawWebRTC = true
			}
			if sk, isSkip := ev.(announcer.ScrapeSkippedEvent); isSkip {
				r.out.event(r.skipped(sk)) // the row is marked here: the warning is only shown
				continue
			}
			r.board.apply(ev, r.scrub)
			r.out.event(ev)
			switch {
			case r.out.writeFailed():
				r.stop()
			case r.cfg.Once && r.board.allTried() && (!r.hybrid || everyHashTried(r.sess.Trackers())):
				if r.sawWebRTC || r.cfg.webRTCWait == 0 {
					r.stop()
				} else if r.webRTCWait == nil && !r.stopping {
					r.webRTCWait = time.After(r.cfg.webRTCWait)
				}
			}
		case <-r.webRTCWait:
			r.stop()
		case <-onceDeadline:
			onceDeadline = nil
			r.stop()
		case <-deadline:
			deadline = nil
			r.stop()
		case <-done:
			done = nil
			r.stop()
		case now := <-ticker.C:
			if de, show := r.drops.due(now); show {
				r.out.event(de)
			}
			r.out.tick(now) // the rows follow StateEvents: nothing to poll
		}
	}
}

// stop begins the graceful stop once: "stopped" goes to every tracker that
// knew us, bounded by the library's stop deadline, while events keep being
// shown; the event channel closes when it is over.
func (r *runLoop) stop() {
	if r.stopping {
		return
	}
	r.stopping = true
	r.board.markStopping()
	r.stopErr = make(chan error, 1)
	go func() { r.stopErr <- r.sess.Stop(context.Background()) }() // bounded by Config.StopTimeout
}

const noScrapeMessage = `no scrape: the URL has no "announce" path segment to turn into "scrape" (BEP 48)`

// skipped marks the row of a tracker the Session did not scrape as ignored
// and returns the warning every output shows for it.
func (r *runLoop) skipped(e announcer.ScrapeSkippedEvent) announcer.WarningEvent {
	msg := noScrapeMessage
	if e.Reason != announcer.SkipNoScrape {
		msg = "no scrape: " + e.Reason.String()
		if e.Err != nil {
			msg += ": " + shortErrText(e.Err)
		}
	}
	msg = r.scrub(msg)
	row := r.board.row(e.Tracker)
	row.State, row.LastError = stateIgnored, msg
	return announcer.WarningEvent{Time: e.Time, Tracker: e.Tracker, Message: msg}
}

// newOutput picks the output: -json lines, the live view on a terminal, or
// plain log lines.
func newOutput(cfg *Config, b *board, target *Target, stdout io.Writer, scrub func(string) string) output {
	if cfg.JSON {
		return &jsonOutput{w: stdout, b: b, infoHash: target.InfoHash.String(), scrub: scrub}
	}
	if f, ok := stdout.(*os.File); ok && isTerminal(f) {
		return newLiveOutput(stdout, b, infoHashLine(target))
	}
	o := &logOutput{w: stdout, b: b, scrub: scrub}
	o.println(infoHashLine(target))
	return o
}

// everyHashTried reports whether every announce of the Session, both hashes
// of a hybrid's URLs included, has answered or failed at least once.
func everyHashTried(statuses []announcer.TrackerStatus) bool {
	for _, st := range statuses {
		if st.State == announcer.StateIdle || st.State == announcer.StateAnnouncing {
			return false
		}
	}
	return true
}

// allTried reports whether every tracker in use has answered or failed at
// least once (-once is then done).
func (b *board) allTried() bool {
	for _, r := range b.rows {
		if r.State == stateWaiting || r.State == stateAnnouncing {
			return false
		}
	}
	return true
}
