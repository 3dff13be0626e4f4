package announcer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.populate()
	tests := []struct {
		name     string
		got, def any
	}{
		{"Port", c.Port, uint16(DefaultPort)},
		{"NumWant", c.NumWant, DefaultNumWant},
		{"UserAgent", c.UserAgent, DefaultUserAgent},
		{"IntervalFloor", c.IntervalFloor, DefaultIntervalFloor},
		{"IntervalCap", c.IntervalCap, DefaultIntervalCap},
		{"RetryMin", c.RetryMin, DefaultRetryMin},
		{"RetryMax", c.RetryMax, DefaultRetryMax},
		{"StopTimeout", c.StopTimeout, DefaultStopTimeout},
		{"MaxAnnouncesPerTracker", c.MaxAnnouncesPerTracker, DefaultMaxPerTracker},
		{"MaxConcurrentAnnounces", c.MaxConcurrentAnnounces, 0},
		{"EventBuffer", c.EventBuffer, DefaultEventBuffer},
		{"EventLinger", c.EventLinger, DefaultEventLinger},
	}
	for _, tt := range tests {
		if tt.got != tt.def {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.def)
		}
	}
	if !strings.HasPrefix(string(c.PeerID[:]), PeerIDPrefix) || c.Logger == nil {
		t.Errorf("peer id %q, logger %v", c.PeerID[:], c.Logger)
	}
	var d Config
	d.populate()
	if d.PeerID == c.PeerID {
		t.Error("two clients, one peer id")
	}
	odd := Config{IntervalFloor: time.Hour, IntervalCap: time.Minute, RetryMin: time.Hour, RetryMax: time.Second}
	odd.populate()
	if odd.IntervalCap != time.Hour || odd.RetryMax != time.Hour {
		t.Errorf("inconsistent bounds kept: %+v", odd)
	}
}

// Session options override the Client's; Update's totals are reported; a
// Stats func wins over them.
func TestSessionOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{Port: 1234, NumWant: -5})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{Key: 77, Port: 999, NumWant: 20})
		s.Update(Stats{Left: 5, Uploaded: 1}) // before Start: recorded, no announce
		s.Start(context.Background())
		synctest.Wait()
		s2 := e.started([][]string{{"http://b.test/announce"}}, SessionOptions{Stats: func() Stats { return Stats{Left: 9} }})
		s2.Update(Stats{Left: 1})
		time.Sleep(time.Minute)
		synctest.Wait()
		a, b := e.fake.Calls("a.test")[0], e.fake.Calls("b.test")
		if a.Key != 77 || a.Port != 999 || a.NumWant != 20 || a.Left != 5 {
			t.Errorf("a: %+v", a)
		}
		if b[0].Port != 1234 || b[0].NumWant != transport.NumWantDefault || b[0].Key == 0 || b[1].Left != 9 {
			t.Errorf("b: %+v", b)
		}
		e.c.Close()
	})
}

func TestTransportFor(t *testing.T) {
	fake := newFake(nil)
	c := newClient(t, Config{Transports: map[string]transport.Transport{"HTTP": fake, "udp": nil}})
	if tr, err := c.TransportFor(&url.URL{Scheme: "http", Host: "x"}); err != nil || tr != fake {
		t.Fatalf("http: %v %v", tr, err)
	}
	_, err := c.TransportFor(&url.URL{Scheme: "gopher", Host: "x", Path: "/s3cret/announce"})
	var se *SchemeError
	if !errors.As(err, &se) || !errors.Is(err, transport.ErrUnsupported) || se.Scheme != "gopher" || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("gopher: %v", err)
	}
	if _, err := c.TransportFor(&url.URL{Scheme: "udp", Host: "x"}); err == nil {
		t.Fatal("udp mapped to nil still served")
	}
}

// Log lines carry redacted URLs only.
func TestLogsRedacted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e := newEnv(t, mocktracker.Config{}, Config{Logger: log})
		s := e.session([][]string{{"http://a.test/s3cret/announce?pk=s3cret"}, {"http://b.test/announce?pk=s3cret"}}, SessionOptions{})
		e.fake.setFaults("b.test", fault{err: &transport.StatusError{Code: 410}})
		s.Start(context.Background())
		synctest.Wait()
		s.Stop(context.Background())
		if !strings.Contains(buf.String(), "given up") || strings.Contains(buf.String(), "s3cret") {
			t.Fatalf("log:\n%s", buf.String())
		}
	})
}

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

// NumWant: 0 is the default, NumWantNone asks for no peers, negative leaves
// the number to the tracker; stopped always asks for 0.
func TestNumWant(t *testing.T) {
	tests := []struct {
		name            string
		client, session int
		want            int32
	}{
		{"defaults", 0, 0, DefaultNumWant},
		{"client none", NumWantNone, 0, 0},
		{"session none", 0, NumWantNone, 0},
		{"session none over client", 30, NumWantNone, 0},
		{"session over client none", NumWantNone, 7, 7},
		{"tracker's default", NumWantTracker, 0, transport.NumWantDefault},
		{"any negative is the tracker's", -5, 0, transport.NumWantDefault},
		{"capped", 0, 1 << 30, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{NumWant: tt.client})
				s := e.started([][]string{{"udp://t.test:1"}}, SessionOptions{NumWant: tt.session})
				s.Stop(context.Background())
				calls := e.fake.Calls("t.test:1")
				if len(calls) != 2 || calls[0].NumWant != tt.want || calls[1].NumWant != 0 {
					t.Fatalf("calls %+v, want numwant %d then 0", calls, tt.want)
				}
			})
		})
	}
}

// A Session told nothing about its stats is a leecher of unknown size, so
// the tracker does not count it as a seeder, and it owes completed.
func TestZeroSessionIsLeecherOfUnknownSize(t *testing.T) {
	tests := []struct {
		name     string
		opts     SessionOptions
		update   *Stats
		wantLeft int64
		leecher  bool
	}{
		{"no stats", SessionOptions{}, nil, LeftUnknown, true},
		{"magnet without metadata", SessionOptions{Stats: func() Stats { return Stats{Left: LeftUnknown} }}, nil, LeftUnknown, true},
		{"explicit seeder", SessionOptions{Stats: func() Stats { return Stats{} }}, nil, 0, false},
		{"update before start", SessionOptions{}, &Stats{Left: 100}, 100, true},
		{"update seeder", SessionOptions{}, &Stats{Left: 0}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{})
				s := e.session([][]string{{"http://a.test/announce"}}, tt.opts)
				if tt.update != nil {
					s.Update(*tt.update)
				}
				s.Start(context.Background())
				synctest.Wait()
				st := s.Trackers()[0]
				if tt.leecher != (st.Leechers == 1) || tt.leecher == (st.Seeders == 1) {
					t.Errorf("tracker counts seeders %d leechers %d, want leecher %v", st.Seeders, st.Leechers, tt.leecher)
				}
				s.Complete()
				time.Sleep(time.Hour)
				s.Stop(context.Background())
				calls := e.fake.Calls("a.test")
				if calls[0].Left != tt.wantLeft {
					t.Errorf("left %d, want %d", calls[0].Left, tt.wantLeft)
				}
				if got := slices.Contains(events(calls), transport.EventCompleted); got != tt.leecher {
					t.Errorf("completed sent %v, want %v (events %v)", got, tt.leecher, events(calls))
				}
			})
		})
	}
}

// SessionOptions.PeerID is sent instead of the Client's, including in the
// stopped announce; without it the Client's is.
func TestSessionPeerID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clientID := peer.ID{'c', 'l', 'i'}
		own := peer.ID{'o', 'w', 'n'}
		e := newEnv(t, mocktracker.Config{}, Config{PeerID: clientID})
		s1 := e.session([][]string{{"udp://one.test:1"}}, SessionOptions{PeerID: own})
		s2 := e.session([][]string{{"udp://two.test:1"}}, SessionOptions{})
		for _, s := range []*Session{s1, s2} {
			s.Start(context.Background())
		}
		synctest.Wait()
		for _, s := range []*Session{s1, s2} {
			s.Stop(context.Background())
		}
		for host, want := range map[string]peer.ID{"one.test:1": own, "two.test:1": clientID} {
			calls := e.fake.Calls(host)
			if len(calls) != 2 {
				t.Fatalf("%s: calls %+v", host, calls)
			}
			for _, c := range calls {
				if c.PeerID != want {
					t.Errorf("%s %v: peer ID %q, want %q", host, c.Event, c.PeerID[:3], want[:3])
				}
			}
		}
	})
}

// Custom parameters: static ones on every announce, ParamsFunc called at
// each announce and replacing static values name by name.
func TestCustomParams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		var n atomic.Int32
		static := url.Values{"a": {"1"}, "b": {"static"}}
		s1 := e.session([][]string{{"http://one.test/announce"}}, SessionOptions{Params: static})
		s2 := e.session([][]string{{"http://two.test/announce"}}, SessionOptions{Params: static,
			ParamsFunc: func() url.Values { return url.Values{"b": {string(rune('0' + n.Add(1)))}} }})
		s3 := e.session([][]string{{"http://three.test/announce"}}, SessionOptions{})
		for _, s := range []*Session{s1, s2, s3} {
			s.Start(context.Background())
		}
		synctest.Wait()
		time.Sleep(31 * time.Minute)
		for _, s := range []*Session{s1, s2, s3} {
			s.Stop(context.Background())
		}
		for _, c := range e.fake.Calls("one.test") {
			if c.Params.Get("a") != "1" || c.Params.Get("b") != "static" {
				t.Errorf("static: %v %v", c.Event, c.Params)
			}
		}
		var got []string
		for _, c := range e.fake.Calls("two.test") {
			if c.Params.Get("a") != "1" {
				t.Errorf("func merged: %v", c.Params)
			}
			got = append(got, c.Params.Get("b"))
		}
		if want := []string{"1", "2", "3"}; !slices.Equal(got, want) {
			t.Errorf("ParamsFunc values %v, want %v (one call per announce)", got, want)
		}
		if static.Get("b") != "static" {
			t.Error("the caller's Params were modified")
		}
		for _, c := range e.fake.Calls("three.test") {
			if c.Params != nil {
				t.Errorf("no params: %v", c.Params)
			}
		}
	})
}
