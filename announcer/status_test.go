package announcer

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
)

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{StateIdle.String(), "idle"},
		{StateAnnouncing.String(), "announcing"},
		{StateOK.String(), "ok"},
		{StateBackingOff.String(), "backing off"},
		{StateSkipped.String(), "skipped"},
		{StateGaveUp.String(), "gave up"},
		{StateStopping.String(), "stopping"},
		{StateStopped.String(), "stopped"},
		{State(99).String(), "unknown"},
		{TiersParallel.String(), "parallel"},
		{TiersStrict.String(), "strict"},
		{TiersAll.String(), "all"},
		{TierMode(9).String(), "unknown"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// MaxConcurrentAnnounces bounds requests across trackers.
func TestGlobalLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{MaxConcurrentAnnounces: 1})
		for _, h := range []string{"a.test", "b.test", "c.test"} {
			e.fake.setFaults(h, fault{delay: time.Second})
		}
		t0 := time.Now()
		s := e.session([][]string{{"http://a.test/announce"}, {"http://b.test/announce"}, {"http://c.test/announce"}}, SessionOptions{})
		if s.InfoHash() != testHash || e.c.Config().MaxConcurrentAnnounces != 1 {
			t.Fatal("accessors")
		}
		s.Start(context.Background())
		time.Sleep(5 * time.Second)
		for _, st := range s.Trackers() {
			if st.State != StateOK {
				t.Fatalf("state %v", st.State)
			}
		}
		var ends []time.Duration
		for _, st := range s.Trackers() {
			ends = append(ends, st.LastAnnounce.Sub(t0))
		}
		seen := map[time.Duration]bool{}
		for _, d := range ends {
			seen[d] = true
		}
		if !seen[time.Second] || !seen[2*time.Second] || !seen[3*time.Second] {
			t.Fatalf("answers at %v, want one per second", ends)
		}
		s.Close()
	})
}

// acquire never keeps a slot when it fails.
func TestAcquireReleases(t *testing.T) {
	for _, cfg := range []Config{{MaxAnnouncesPerTracker: 1}, {MaxAnnouncesPerTracker: 1, MaxConcurrentAnnounces: 1}, {MaxAnnouncesPerTracker: -1}} {
		c, _ := NewClient(cfg)
		tu, err := c.internURL("http://a.test/announce")
		if err != nil {
			t.Fatal(err)
		}
		done, cancel := context.WithCancel(context.Background())
		cancel()
		for range 3 {
			if err := c.acquireSlot(done, tu); err == nil {
				t.Fatalf("%+v: acquire with an ended context succeeded", cfg)
			}
		}
		if err := c.acquireSlot(context.Background(), tu); err != nil {
			t.Fatalf("%+v: a slot leaked: %v", cfg, err)
		}
		c.releaseSlot(tu)
		c.Close()
	}
}
