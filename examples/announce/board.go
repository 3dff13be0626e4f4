package main

import (
	"context"
	"errors"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// board is what the CLI knows of each tracker, built from events: it feeds
// the live view, the summary and the exit status.
type board struct {
	start    time.Time
	rows     []*trackerRow
	byURL    map[string]*trackerRow // by redacted URL, as events carry it
	peers    map[string]struct{}    // every peer found, by address or ID
	dropped  int
	answered bool // some tracker answered an announce or a scrape
	stopping bool // the run is ending: stopped announces in flight
	ended    bool // the run is over
}

// trackerRow is one tracker's line.
type trackerRow struct {
	URL        string // redacted
	State      string // see the state* constants
	Failures   int
	Seeders    int // -1 unknown
	Leechers   int // -1 unknown
	Downloaded int // from scrape, -1 unknown
	Peers      map[string]struct{}
	Next       time.Time // next announce or retry; zero when none
	LastError  string    // last error or warning, scrubbed
	Answered   bool
}

const (
	stateWaiting    = "waiting"
	stateAnnouncing = "announcing"
	stateOK         = "ok"
	stateFailing    = "failing"
	stateSkipped    = "skipped"
	stateGaveUp     = "gave up"
	stateStopped    = "stopped"
	stateStopping   = "stopping"  // the stopped announce is in flight
	stateNotTried   = "not tried" // the run ended before its first announce
	stateIgnored    = "ignored"   // a URL the CLI cannot use (see filterTrackers)
)

// newBoard lists the trackers (redacted URLs) in tier order, so that rows
// keep a stable order before any of them answers.
func newBoard(start time.Time, trackers []string) *board {
	b := &board{start: start, byURL: make(map[string]*trackerRow), peers: make(map[string]struct{})}
	for _, u := range trackers {
		b.row(u)
	}
	return b
}

// rowFor returns the row of a tracker's family: a tracker announced over
// each family (dual-stack) has one row per family, "URL [ipv6]"; the first
// family takes over the row newBoard made for the URL.
func (b *board) rowFor(url string, f transport.Family) *trackerRow {
	if f == transport.FamilyAny {
		return b.row(url)
	}
	key := url + " [" + f.String() + "]"
	if r := b.byURL[key]; r != nil {
		return r
	}
	if r := b.byURL[url]; r != nil && !r.Answered && r.State == stateWaiting {
		delete(b.byURL, url)
		r.URL = key
		b.byURL[key] = r
		return r
	}
	return b.row(key)
}

func (b *board) row(url string) *trackerRow {
	r := b.byURL[url]
	if r == nil {
		r = &trackerRow{URL: url, State: stateWaiting, Seeders: -1, Leechers: -1, Downloaded: -1, Peers: make(map[string]struct{})}
		b.byURL[url] = r
		b.rows = append(b.rows, r)
	}
	return r
}

// apply records one event; scrub cleans messages of secrets.
func (b *board) apply(ev announcer.Event, scrub func(string) string) {
	switch e := ev.(type) {
	case announcer.PeerEvent:
		r := b.rowFor(e.Tracker, e.Family)
		for _, p := range e.Peers {
			key := peerAddr(p)
			if key == "" {
				key = "webrtc:" + p.ID.String()
			}
			b.peers[key] = struct{}{}
			r.Peers[key] = struct{}{}
		}
	case announcer.UpdateEvent:
		r := b.rowFor(e.Tracker, e.Family)
		r.Answered, b.answered = true, true
		r.Failures = 0
		if e.Event == transport.EventStopped {
			// The reply to "stopped" counts the swarm without us: keep the
			// counts seen while we were in it.
			r.State, r.Next = stateStopped, time.Time{}
			break
		}
		if e.Complete >= 0 {
			r.Seeders = e.Complete
		}
		if e.Incomplete >= 0 {
			r.Leechers = e.Incomplete
		}
		r.State, r.Next = stateOK, e.Time.Add(e.Interval)
	case announcer.ScrapeEvent:
		r := b.row(e.Tracker)
		r.Answered, b.answered = true, true
		if r.State == stateWaiting || r.State == stateFailing {
			r.State = stateOK
		}
		r.Seeders, r.Leechers, r.Downloaded = e.Stats.Complete, e.Stats.Incomplete, e.Stats.Downloaded
	case announcer.WarningEvent:
		if e.Tracker != "" {
			b.rowFor(e.Tracker, e.Family).LastError = "warning: " + scrub(e.Message)
		}
	case announcer.ErrorEvent:
		r := b.rowFor(e.Tracker, e.Family)
		r.LastError = scrub(shortErrText(e.Err))
		r.Failures = e.Failures
		switch {
		case e.GaveUp && b.stopping && endedByStop(e.Err):
			// The run ended with this attempt unanswered (-once's bound,
			// -duration, Ctrl-C): the tracker failed to answer in time, it
			// did not refuse us for good.
			r.State, r.Next = stateFailing, time.Time{}
			r.LastError = "no answer before the run ended"
		case e.GaveUp:
			r.State, r.Next = stateGaveUp, time.Time{}
		case e.Failures == 0:
			r.State, r.Next = stateSkipped, e.NextTry
		default:
			r.State, r.Next = stateFailing, e.NextTry
		}
	case announcer.StateEvent:
		b.applyState(e)
	case announcer.DroppedEvent:
		b.dropped += e.Count
	}
}

// applyState follows a tracker's state as the Session reports it
// (SessionOptions.StateEvents): an announce in flight, the stopped on its
// way, and the next announce as scheduled (the tracker's interval after the
// library's floor and cap), which events alone do not say. A tracker that
// failed, gave up or was skipped keeps that state when the Session ends, so
// that the summary says how it did, not that the run is over.
func (b *board) applyState(e announcer.StateEvent) {
	r := b.row(e.Tracker)
	st := e.Status
	if !b.stopping {
		r.Next = st.NextAnnounce
	}
	r.Failures = st.Failures
	if st.State != announcer.StateStopped {
		if s, ok := rowStates[st.State]; ok {
			r.State = s
		}
		return
	}
	switch r.State {
	case stateOK, stateAnnouncing, stateStopping:
		r.State = stateStopped
	case stateWaiting:
		r.State = stateNotTried
	}
}

// rowStates is the row state shown for each tracker state but
// announcer.StateStopped, which depends on how the tracker did (see
// applyState). A state not listed (StateReconnecting) leaves the row as it
// was.
var rowStates = map[announcer.State]string{
	announcer.StateIdle:       stateWaiting,
	announcer.StateAnnouncing: stateAnnouncing,
	announcer.StateOK:         stateOK,
	announcer.StateBackingOff: stateFailing,
	announcer.StateSkipped:    stateSkipped,
	announcer.StateGaveUp:     stateGaveUp,
	announcer.StateStopping:   stateStopping,
}

// endedByStop reports whether err is an attempt cut short by the Session
// stopping (its context ended), not a tracker's answer.
func endedByStop(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// exitStatus is the CLI's exit status once the run is over: 0 when some
// tracker answered, 1 when none did.
func (b *board) exitStatus() int {
	if b.answered {
		return 0
	}
	return 1
}

// markStopping records that the run is ending: nothing more is scheduled.
func (b *board) markStopping() {
	b.stopping = true
	for _, r := range b.rows {
		r.Next = time.Time{}
	}
}
