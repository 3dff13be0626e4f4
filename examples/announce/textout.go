package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// output is where events go: -json lines, plain log lines, or the live view.
type output interface {
	// event shows one event; the board has already applied it.
	event(ev announcer.Event)
	// tick lets the live view refresh (countdowns); called a few times a
	// second while running.
	tick(now time.Time)
	// finish is called once at the end, after the last event.
	finish(now time.Time)
	// writeFailed reports that stdout stopped taking output (a closed
	// pipe): the run then stops gracefully.
	writeFailed() bool
}

var (
	_ output = (*jsonOutput)(nil)
	_ output = (*logOutput)(nil)
	_ output = (*liveOutput)(nil)
)

// isTerminal reports whether f is a terminal (golang.org/x/term). TERM=dumb
// opts out of the live view.
func isTerminal(f *os.File) bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// logTimeFormat is RFC 3339 to the second, local time: log lines are read
// by people and grepped by scripts.
const logTimeFormat = time.RFC3339

// logLine formats one event as a plain log line (no trailing newline).
// Text from the network is scrubbed of secrets and sanitized.
func logLine(ev announcer.Event, scrub func(string) string) string {
	clean := func(s string) string { return sanitize(scrub(s)) }
	ts := ev.When().Format(logTimeFormat)
	switch e := ev.(type) {
	case announcer.PeerEvent: // one line per peer of the reply
		lines := make([]string, len(e.Peers))
		for i, p := range e.Peers {
			lines[i] = fmt.Sprintf("%s peer    %s %s %s", ts, e.Tracker, orDash(sanitize(peerAddr(p))), e.Protocol)
			if c := peerClient(p.ID); c != "" {
				lines[i] += fmt.Sprintf(" client=%q", c)
			}
			if !p.ID.IsZero() {
				lines[i] += " id=" + p.ID.String()
			}
		}
		return strings.Join(lines, "\n")
	case announcer.UpdateEvent:
		ev := e.Event.String()
		if ev == "" {
			ev = "none"
		}
		return fmt.Sprintf("%s update  %s event=%s seeders=%s leechers=%s interval=%v peers=%d",
			ts, e.Tracker, ev, countText(e.Complete), countText(e.Incomplete), e.Interval, e.Peers) + familyText(e.Family)
	case announcer.ScrapeEvent:
		return fmt.Sprintf("%s scrape  %s info_hash=%s seeders=%s leechers=%s downloaded=%s",
			ts, e.Tracker, e.InfoHash, countText(e.Stats.Complete), countText(e.Stats.Incomplete), countText(e.Stats.Downloaded))
	case announcer.WarningEvent:
		return fmt.Sprintf("%s warning %s %s", ts, orDash(e.Tracker), clean(e.Message))
	case announcer.ErrorEvent:
		s := fmt.Sprintf("%s error   %s %s", ts, e.Tracker, clean(shortErrText(e.Err))) + familyText(e.Family)
		switch {
		case e.GaveUp:
			s += " (gave up)"
		case !e.NextTry.IsZero():
			s += fmt.Sprintf(" (retry in %v)", e.NextTry.Sub(e.Time).Round(time.Second))
		}
		return s
	case announcer.DroppedEvent:
		return fmt.Sprintf("%s warning - %s", ts, droppedMessage(e.Count))
	}
	return fmt.Sprintf("%s unknown event %T", ts, ev)
}

// familyText is " family=ipv6" for a tracker announced over each family.
func familyText(f transport.Family) string {
	if f == transport.FamilyAny {
		return ""
	}
	return " family=" + f.String()
}

func countText(n int) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

// plural is "1 peer", "2 peers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// infoHashLine names the torrent once, at the start of the plain output
// (log lines do not repeat it): "info hash: HEX (NAME)".
func infoHashLine(target *Target) string {
	s := "info hash: " + target.InfoHash.String()
	if !target.InfoHashV2.IsZero() { // BEP 52: announced under both, or the truncated v2 alone
		s += " (v2 " + target.InfoHashV2.String() + ")"
	}
	if target.Name != "" {
		s += " (" + sanitize(target.Name) + ")"
	}
	return s
}

// logOutput writes plain log lines, then a summary.
type logOutput struct {
	w     io.Writer
	b     *board
	scrub func(string) string
	err   error // first write error
}

func (o *logOutput) println(s string) {
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s+"\n")
	}
}

func (o *logOutput) event(ev announcer.Event) {
	if _, isState := ev.(announcer.StateEvent); isState {
		return // the update and error lines say what happened; state lines are for -json
	}
	o.println(logLine(ev, o.scrub))
}
func (o *logOutput) tick(time.Time)    {}
func (o *logOutput) writeFailed() bool { return o.err != nil }
func (o *logOutput) finish(now time.Time) {
	for _, l := range summaryLines(o.b, now) {
		o.println(l)
	}
}

// summaryLines is what a person reads at exit: how many trackers answered,
// how many peers were found, and one line per tracker.
func summaryLines(b *board, now time.Time) []string {
	answered := 0
	for _, r := range b.rows {
		if r.Answered {
			answered++
		}
	}
	lines := []string{fmt.Sprintf("summary: %d of %d trackers answered, %s found, ran %v",
		answered, len(b.rows), plural(len(b.peers), "peer"), now.Sub(b.start).Round(time.Second))}
	for _, r := range b.rows {
		s := fmt.Sprintf("  %-8s %s", r.State, r.URL)
		if r.Answered || len(r.Peers) > 0 {
			s += fmt.Sprintf(": seeders %s, leechers %s, %s", countText(r.Seeders), countText(r.Leechers), plural(len(r.Peers), "peer"))
			if r.Downloaded >= 0 {
				s += fmt.Sprintf(", downloaded %d", r.Downloaded)
			}
		}
		if r.LastError != "" {
			s += ": last error: " + sanitize(r.LastError)
		}
		lines = append(lines, s)
	}
	if b.dropped > 0 {
		lines = append(lines, "  "+droppedMessage(b.dropped))
	}
	return lines
}
