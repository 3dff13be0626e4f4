package main

import (
	"time"

	"github.com/trackerkit/trackerkit/announcer"
)

// dropEvery is how often at most the CLI shows an "events dropped" line: a
// flood of replies (30,000 peers once printed 753 such lines) becomes one
// line a second with the sum.
const dropEvery = time.Second

// dropCoalescer sums DroppedEvents and lets one through per dropEvery.
type dropCoalescer struct {
	pending int
	last    time.Time // when the last line was let through
}

// add counts a DroppedEvent.
func (d *dropCoalescer) add(e announcer.DroppedEvent) { d.pending += e.Count }

// due returns the event to show now, if any: the drops counted since the
// last line, once dropEvery has passed (the first at once).
func (d *dropCoalescer) due(now time.Time) (announcer.DroppedEvent, bool) {
	if d.pending == 0 || (!d.last.IsZero() && now.Sub(d.last) < dropEvery) {
		return announcer.DroppedEvent{}, false
	}
	return d.flush(now)
}

// flush returns what is pending whatever the time (the run is over).
func (d *dropCoalescer) flush(now time.Time) (announcer.DroppedEvent, bool) {
	if d.pending == 0 {
		return announcer.DroppedEvent{}, false
	}
	e := announcer.DroppedEvent{Time: now, Count: d.pending}
	d.pending, d.last = 0, now
	return e, true
}
