package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// TestBoardFollowsStateEvents checks the rows follow the Session's
// StateEvents (no polling), and keep a failure's state when the run ends.
func TestBoardFollowsStateEvents(t *testing.T) {
	const u = "udp://127.0.0.1:6969"
	next := t0.Add(time.Minute)
	for _, tt := range []struct {
		before   string
		state    announcer.State
		stopping bool
		want     string
		wantNext time.Time
	}{
		{stateWaiting, announcer.StateAnnouncing, false, stateAnnouncing, next},
		{stateAnnouncing, announcer.StateOK, false, stateOK, next},
		{stateOK, announcer.StateBackingOff, false, stateFailing, next},
		{stateFailing, announcer.StateSkipped, false, stateSkipped, next},
		{stateFailing, announcer.StateGaveUp, false, stateGaveUp, next},
		{stateOK, announcer.StateStopping, true, stateStopping, time.Time{}},
		{stateStopping, announcer.StateStopped, true, stateStopped, time.Time{}},
		{stateOK, announcer.StateStopped, true, stateStopped, time.Time{}},
		{stateFailing, announcer.StateStopped, true, stateFailing, time.Time{}},
		{stateGaveUp, announcer.StateStopped, true, stateGaveUp, time.Time{}},
		{stateWaiting, announcer.StateStopped, true, stateNotTried, time.Time{}},
	} {
		b := newBoard(t0, []string{u})
		b.row(u).State = tt.before
		if tt.stopping {
			b.markStopping()
		}
		b.apply(announcer.StateEvent{Time: t0, Tracker: u, Status: announcer.TrackerStatus{URL: u, State: tt.state, NextAnnounce: next, Failures: 2}}, func(s string) string { return s })
		r := b.row(u)
		if r.State != tt.want || !r.Next.Equal(tt.wantNext) || r.Failures != 2 {
			t.Errorf("%s + %s (stopping %v): state %q next %v, want %q %v", tt.before, tt.state, tt.stopping, r.State, r.Next, tt.want, tt.wantNext)
		}
	}
}

// TestBoardAttemptCutByStop: an attempt abandoned because the run ended is
// a tracker that did not answer in time, not one that refused us for good.
func TestBoardAttemptCutByStop(t *testing.T) {
	const u = "udp://127.0.0.1:6969"
	for _, tt := range []struct {
		stopping bool
		err      error
		want     string
	}{
		{true, context.DeadlineExceeded, stateFailing},
		{true, fmt.Errorf("announce: %w", context.Canceled), stateFailing},
		{true, errors.New("HTTP 410 Gone"), stateGaveUp},
		{false, context.DeadlineExceeded, stateGaveUp},
	} {
		b := newBoard(t0, []string{u})
		if tt.stopping {
			b.markStopping()
		}
		b.apply(announcer.ErrorEvent{Time: t0, Tracker: u, Err: tt.err, Failures: 1, GaveUp: true}, func(s string) string { return s })
		if got := b.row(u).State; got != tt.want {
			t.Errorf("stopping %v, %v: state %q, want %q", tt.stopping, tt.err, got, tt.want)
		}
	}
}

// TestBoardFamilies: a tracker announced over each family has one row per
// family; the first takes over the URL's waiting row.
func TestBoardFamilies(t *testing.T) {
	const u = "http://dual.test:1/announce"
	tests := []struct {
		name string
		evs  []announcer.Event
		want []string
	}{
		{"one family", []announcer.Event{announcer.UpdateEvent{Tracker: u, Interval: time.Minute}}, []string{u}},
		{"both", []announcer.Event{
			announcer.UpdateEvent{Tracker: u, Family: transport.FamilyIPv6, Interval: time.Minute},
			announcer.ErrorEvent{Tracker: u, Family: transport.FamilyIPv4, Failures: 1},
			announcer.UpdateEvent{Tracker: u, Family: transport.FamilyIPv6, Interval: time.Minute},
		}, []string{u + " [ipv6]", u + " [ipv4]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard(time.Now(), []string{u})
			for _, ev := range tt.evs {
				b.apply(ev, func(s string) string { return s })
			}
			var got []string
			for _, r := range b.rows {
				got = append(got, r.URL)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rows %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("rows %v, want %v", got, tt.want)
				}
			}
		})
	}
}
