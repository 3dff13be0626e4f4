package announcer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
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
		s2 := e.session([][]string{{"http://b.test/announce"}}, SessionOptions{Stats: func() Stats { return Stats{Left: 9} }})
		s2.Start(context.Background())
		synctest.Wait()
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
