package main

import (
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

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
