package announcer

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// The promises of issue 11 (bounded attempts, failover, no lost stopped or
// completed), in virtual time.

// udpTrackers starts n mock UDP trackers on one in-memory network and a
// Client using the real UDP transport over it, with cfg.
func udpTrackers(t *testing.T, n int, cfg Config) ([]*mocktracker.Tracker, []string, *Client) {
	t.Helper()
	net := memnet.New()
	var mts []*mocktracker.Tracker
	var urls []string
	for range n {
		mt := mocktracker.New(mocktracker.Config{})
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := mt.ServeUDP(pc); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mt.Close() })
		mts = append(mts, mt)
		urls = append(urls, "udp://"+pc.LocalAddr().String()+"/announce")
	}
	tr := udp.New(udp.Config{ListenPacket: net.ListenPacket})
	cfg.Transports = map[string]transport.Transport{"udp": tr}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		tr.Close()
	})
	return mts, urls, c
}

func hashN(i int) transport.InfoHash {
	h := testHash
	h[18], h[19] = byte(i>>8), byte(i)
	return h
}

// Item 1: with [dead, live] in one tier and default settings, the live
// tracker's first reply reaches the Session 15 s in (Config.FailoverAfter),
// while the dead one is still being tried; the dead one's attempt ends at
// its bound (UDP 45 s, HTTP 30 s), the live one is moved to the front, and
// at Stop only the live one (which registered us) is sent "stopped".
func TestFailoverDeadFirst(t *testing.T) {
	t.Run("udp, 200 torrents", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			mts, urls, c := udpTrackers(t, 2, Config{})
			dead, live := mts[0], mts[1]
			dead.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1})
			t0 := time.Now()
			var sessions []*Session
			var cols []*collector
			for i := range 200 {
				s, err := c.NewSession(Torrent{InfoHash: hashN(i), Tiers: [][]string{{urls[0], urls[1]}}}, SessionOptions{KeepOrder: true})
				if err != nil {
					t.Fatal(err)
				}
				cols = append(cols, collect(s))
				sessions = append(sessions, s)
				s.Start(context.Background())
			}
			time.Sleep(time.Minute)
			for i, s := range sessions {
				st := s.Trackers() // in the torrent's order: dead, live
				if st[1].State != StateOK || !st[1].Started {
					t.Fatalf("session %d: live tracker not in use: %+v", i, st)
				}
				if front := s.workers[0].tiers[0][0]; front.url.redacted != transport.RedactString(urls[1]) {
					t.Fatalf("session %d: %s first in the tier, want the live one", i, front.url.redacted)
				}
				st[0], st[1] = st[1], st[0]
				if d := st[0].LastAnnounce.Sub(t0); d != DefaultFailoverAfter {
					t.Fatalf("session %d: live tracker answered after %v, want %v", i, d, DefaultFailoverAfter)
				}
				// The dead one's attempt timed out, or (queued behind the
				// first 64 for a slot of its host) is still on the wire.
				if st[1].Started || st[1].LastError != nil && !errors.Is(st[1].LastError, transport.ErrTimeout) {
					t.Fatalf("session %d: dead tracker %+v", i, st[1])
				}
			}
			// Some dead attempts are still on the wire (queued behind the first
			// 64): those are owed a stopped too, which the dead tracker never
			// acknowledges, so Shutdown's error is not checked.
			c.Shutdown(context.Background())
			for i, col := range cols {
				<-col.done
				ups := ofType[UpdateEvent](col.all())
				if len(ups) != 2 || ups[0].Event != transport.EventStarted || ups[1].Event != transport.EventStopped ||
					ups[0].Time.Sub(t0) > 20*time.Second {
					t.Fatalf("session %d: updates %+v", i, ups)
				}
				if n := len(live.Peers(hashN(i))); n != 0 {
					t.Fatalf("session %d: still registered on the live tracker", i)
				}
			}
			var deadAnnounces int
			for _, p := range dead.UDPPackets() {
				if p.Action == 1 {
					deadAnnounces++
				}
			}
			if deadAnnounces != 0 {
				t.Fatalf("%d announces reached the dead tracker, which never gave a connection ID", deadAnnounces)
			}
		})
	})
	for _, tt := range []struct {
		scheme string
		bound  time.Duration
	}{{"http", DefaultAttemptTimeout}, {"udp", DefaultUDPAttemptTimeout}} {
		t.Run(tt.scheme+", fake", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				dead, live := tt.scheme+"://dead.test:1/announce", tt.scheme+"://live.test:1/announce"
				e.fake.setFaults("dead.test:1", fault{hang: true})
				s := e.session([][]string{{dead, live}}, SessionOptions{})
				col := collect(s)
				t0 := time.Now()
				s.Start(context.Background())
				time.Sleep(time.Hour)
				calls := e.fake.Calls("live.test:1")
				if len(calls) == 0 || calls[0].Time.Sub(t0) != DefaultFailoverAfter || calls[0].Event != transport.EventStarted {
					t.Fatalf("live tracker calls %+v", calls)
				}
				// The hour's rounds go to the live tracker, now first.
				if d := e.fake.Calls("dead.test:1"); len(d) != 1 {
					t.Fatalf("dead tracker asked %d times, want once", len(d))
				}
				s.Stop(context.Background())
				<-col.done
				errs := ofType[ErrorEvent](col.all())
				if len(errs) != 1 || !errors.Is(errs[0].Err, transport.ErrTimeout) || errs[0].Time.Sub(t0) != tt.bound {
					t.Fatalf("errors %+v, want the dead tracker's timeout at %v", errs, tt.bound)
				}
				if d := e.fake.Calls("dead.test:1"); len(d) != 1 {
					t.Fatalf("dead tracker calls %v: it never registered us (its attempt timed out long before Stop)", events(d))
				}
			})
		})
	}
}

// Item 1: a slow first tracker that answers after the next one won becomes
// a standby that knows us: it is sent "stopped" too (no ghost "started").
func TestFailoverLateAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.fake.setFaults("slow.test", fault{delay: 20 * time.Second}, fault{})
		s := e.session([][]string{{"http://slow.test/announce", "http://fast.test/announce"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(30 * time.Second)
		st := s.Trackers() // slow, fast
		if st[1].State != StateOK {
			t.Fatalf("fast tracker %+v, want in use", st[1])
		}
		if st[0].State != StateIdle || !st[0].Started {
			t.Fatalf("late tracker %+v, want a standby that acknowledged started", st[0])
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"slow.test", "fast.test"} {
			if got := events(e.fake.Calls(h)); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventStopped}) {
				t.Errorf("%s: %v, want started, stopped", h, got)
			}
		}
	})
}
