package http

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

const (
	pathSecret  = "PATHSECRET42"
	querySecret = "QUERYSECRET42"
)

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// loopbackHosts are the addresses the loopback tests run on; [::1] is
// skipped on hosts without IPv6.
var loopbackHosts = []string{"127.0.0.1", "::1"}

// setup starts a mock tracker on host and returns it, its listener and an
// announce URL with a passkey in the path and in the query.
func setup(t *testing.T, host string) (*mocktracker.Tracker, *countingListener, *url.URL) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		if host == "::1" {
			t.Skipf("no IPv6 loopback: %v", err)
		}
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	tr := mocktracker.New(mocktracker.Config{Interval: 30 * time.Minute, MinInterval: time.Minute})
	t.Cleanup(func() { tr.Close() })
	if err := tr.ServeHTTP(cl); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse("http://" + l.Addr().String() + "/" + pathSecret + "/announce?passkey=" + querySecret)
	if err != nil {
		t.Fatal(err)
	}
	return tr, cl, u
}

func newTransport(t *testing.T, cfg Config) *Transport {
	t.Helper()
	tp := New(cfg)
	t.Cleanup(func() { tp.Close() })
	return tp
}

func announceReq(infoHash byte, peerID string) *transport.AnnounceRequest {
	r := &transport.AnnounceRequest{
		InfoHash: transport.InfoHash{infoHash}, Port: 6881, Left: 100,
		Event: transport.EventStarted, NumWant: transport.NumWantDefault, Key: 0xdeadbeef,
	}
	copy(r.PeerID[:], peerID)
	return r
}

func TestLoopbackAnnounce(t *testing.T) {
	for _, host := range loopbackHosts {
		t.Run(host, func(t *testing.T) {
			tr, _, u := setup(t, host)
			h := transport.InfoHash{1}
			tr.AddPeer(h, id("-XX0001-seed-v4-0001"), ap("192.0.2.1:1001"), 0)
			tr.AddPeer(h, id("-XX0001-leech-v6-001"), ap("[2001:db8::1]:1002"), 5)
			tp := newTransport(t, Config{})

			resp, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Interval != 30*time.Minute || resp.MinInterval != time.Minute || resp.Complete != 1 || resp.Incomplete != 2 {
				t.Errorf("reply %+v", resp)
			}
			got := map[netip.AddrPort]bool{}
			for _, p := range resp.Peers {
				got[p.Addr] = true
			}
			if len(resp.Peers) != 2 || !got[ap("192.0.2.1:1001")] || !got[ap("[2001:db8::1]:1002")] {
				t.Errorf("peers %v", resp.Peers)
			}
			// The tracker recorded us at the request's source address.
			want := netip.AddrPortFrom(netip.MustParseAddr(host), 6881)
			found := false
			for _, p := range tr.Peers(h) {
				found = found || p.Addr == want
			}
			if !found {
				t.Errorf("tracker does not list %v: %v", want, tr.Peers(h))
			}
			// The passkeys reached the tracker untouched.
			last := tr.LastHTTPRequest()
			if last.URL.EscapedPath() != "/"+pathSecret+"/announce" || !strings.HasPrefix(last.URL.RawQuery, "passkey="+querySecret+"&info_hash=%01%00") {
				t.Errorf("tracker saw %s?%s", last.URL.EscapedPath(), last.URL.RawQuery)
			}
			if ua := last.Header.Get("User-Agent"); ua != DefaultUserAgent {
				t.Errorf("User-Agent %q", ua)
			}
		})
	}
}

func TestLoopbackScrape(t *testing.T) {
	for _, host := range loopbackHosts {
		t.Run(host, func(t *testing.T) {
			tr, _, u := setup(t, host)
			a, b, unknown := transport.InfoHash{0x81}, transport.InfoHash{'i'}, transport.InfoHash{9}
			tr.AddPeer(a, id("-XX0001-000000000001"), ap("192.0.2.1:1"), 0)
			tr.AddPeer(b, id("-XX0001-000000000002"), ap("192.0.2.2:2"), 1)
			tp := newTransport(t, Config{})
			resp, err := tp.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{a, b, unknown}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[transport.InfoHash]transport.ScrapeStats{a: {Complete: 1}, b: {Incomplete: 1}}
			if len(resp.Files) != 2 || resp.Files[a] != want[a] || resp.Files[b] != want[b] {
				t.Errorf("files %+v", resp.Files)
			}
			last := tr.LastHTTPRequest()
			if last.URL.EscapedPath() != "/"+pathSecret+"/scrape" || strings.Count(last.URL.RawQuery, "info_hash=") != 3 ||
				!strings.HasPrefix(last.URL.RawQuery, "passkey="+querySecret+"&info_hash=%81") {
				t.Errorf("tracker saw %s?%s", last.URL.EscapedPath(), last.URL.RawQuery)
			}
		})
	}
}

// TestLoopbackFaults runs each fault of the mock tracker against announce
// (or scrape) and checks the reply or the typed error.
func TestLoopbackFaults(t *testing.T) {
	type check func(t *testing.T, resp *transport.AnnounceResponse, err error)
	wantErr := func(target error, as any) check {
		return func(t *testing.T, _ *transport.AnnounceResponse, err error) {
			if target != nil && !errors.Is(err, target) {
				t.Errorf("%v does not match %v", err, target)
			}
			if as != nil && !errors.As(err, as) {
				t.Errorf("%v is not a %T", err, as)
			}
		}
	}
	ok := func(f func(*transport.AnnounceResponse) bool) check {
		return func(t *testing.T, resp *transport.AnnounceResponse, err error) {
			if err != nil {
				t.Fatal(err)
			}
			if !f(resp) {
				t.Errorf("reply %+v", resp)
			}
		}
	}
	tests := []struct {
		name   string
		faults mocktracker.HTTPFaults
		cfg    Config
		scrape bool
		check  check
	}{
		{"failure reason with retry in", mocktracker.HTTPFaults{FailureReason: "busy", RetryIn: "30"}, Config{}, false,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var fe *transport.FailureError
				if !errors.As(err, &fe) || fe.Reason != "busy" || fe.RetryIn != 30*time.Minute || errors.Is(err, transport.ErrPermanent) {
					t.Errorf("got %v", err)
				}
			}},
		{"failure reason retry never", mocktracker.HTTPFaults{FailureReason: "banned", RetryIn: "never"}, Config{}, false,
			wantErr(transport.ErrPermanent, new(*transport.FailureError))},
		{"failure reason with garbage retry in", mocktracker.HTTPFaults{FailureReason: "x", RetryIn: "soon"}, Config{}, false,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var fe *transport.FailureError
				if !errors.As(err, &fe) || fe.RetryIn != 0 || fe.RetryNever {
					t.Errorf("got %v", err)
				}
			}},
		{"scrape failure reason", mocktracker.HTTPFaults{FailureReason: "no scrape"}, Config{}, true,
			wantErr(transport.ErrTrackerFailure, new(*transport.FailureError))},
		{"warning message", mocktracker.HTTPFaults{Warning: "slow down"}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.Warning == "slow down" && r.Interval > 0 })},
		{"503", mocktracker.HTTPFaults{Status: 503}, Config{}, false, func(t *testing.T, _ *transport.AnnounceResponse, err error) {
			var se *transport.StatusError
			if !errors.As(err, &se) || se.Code != 503 || !errors.Is(err, transport.ErrTemporary) || errors.Is(err, transport.ErrPermanent) {
				t.Errorf("got %v", err)
			}
		}},
		{"410 gone", mocktracker.HTTPFaults{Status: 410}, Config{}, false, wantErr(transport.ErrPermanent, new(*transport.StatusError))},
		{"400 with failure reason prefers the reason", mocktracker.HTTPFaults{Status: 400, FailureReason: "unregistered torrent"}, Config{}, false,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var fe *transport.FailureError
				if !errors.As(err, &fe) || fe.Reason != "unregistered torrent" || errors.As(err, new(*transport.StatusError)) {
					t.Errorf("got %v", err)
				}
			}},
		{"scrape 414", mocktracker.HTTPFaults{ScrapeStatus: 414}, Config{}, true, func(t *testing.T, _ *transport.AnnounceResponse, err error) {
			var se *transport.StatusError
			if !errors.As(err, &se) || se.Code != 414 {
				t.Errorf("got %v", err)
			}
		}},
		{"oversize body", mocktracker.HTTPFaults{OversizeBody: 2 << 20}, Config{}, false, wantErr(transport.ErrTooLarge, new(*transport.TooLargeError))},
		{"oversize body, small limit", mocktracker.HTTPFaults{OversizeBody: 600}, Config{MaxReplyBytes: 512}, false,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var tl *transport.TooLargeError
				if !errors.As(err, &tl) || tl.Limit != 512 {
					t.Errorf("got %v", err)
				}
			}},
		{"body just under the limit", mocktracker.HTTPFaults{OversizeBody: 400}, Config{MaxReplyBytes: 512}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.Interval > 0 })},
		{"gzip bomb capped after decompression", mocktracker.HTTPFaults{OversizeBody: 4 << 20, Gzip: true}, Config{}, false,
			wantErr(transport.ErrTooLarge, new(*transport.TooLargeError))},
		{"garbage body", mocktracker.HTTPFaults{GarbageBody: true}, Config{}, false, wantErr(transport.ErrMalformed, new(*SyntaxError))},
		{"truncated body", mocktracker.HTTPFaults{TruncateBody: true}, Config{}, false, wantErr(transport.ErrMalformed, new(*transport.MalformedError))},
		{"truncated scrape body", mocktracker.HTTPFaults{TruncateBody: true}, Config{}, true, wantErr(transport.ErrMalformed, nil)},
		{"5 redirects followed", mocktracker.HTTPFaults{RedirectHops: 5}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.Interval == 30*time.Minute })},
		{"6 redirects refused", mocktracker.HTTPFaults{RedirectHops: 6}, Config{}, false,
			func(t *testing.T, _ *transport.AnnounceResponse, err error) {
				var re *RedirectError
				if !errors.As(err, &re) || re.Limit != 5 || !errors.Is(err, ErrTooManyRedirects) {
					t.Errorf("got %v", err)
				}
			}},
		{"redirects disabled", mocktracker.HTTPFaults{RedirectHops: 1}, Config{MaxRedirects: -1}, false, wantErr(ErrTooManyRedirects, nil)},
		{"interval override", mocktracker.HTTPFaults{Interval: 90 * time.Second, MinInterval: 45 * time.Second}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool {
				return r.Interval == 90*time.Second && r.MinInterval == 45*time.Second
			})},
		{"tracker id", mocktracker.HTTPFaults{TrackerID: "t-1"}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.TrackerID == "t-1" })},
		{"external ip v4", mocktracker.HTTPFaults{ExternalIP: netip.MustParseAddr("198.51.100.7")}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.ExternalIP == netip.MustParseAddr("198.51.100.7") })},
		{"external ip v6", mocktracker.HTTPFaults{ExternalIP: netip.MustParseAddr("2001:db8::7")}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.ExternalIP == netip.MustParseAddr("2001:db8::7") })},
		{"gzip reply", mocktracker.HTTPFaults{Gzip: true, Warning: "zipped"}, Config{}, false,
			ok(func(r *transport.AnnounceResponse) bool { return r.Warning == "zipped" })},
		{"gzip scrape", mocktracker.HTTPFaults{Gzip: true}, Config{}, true, ok(func(*transport.AnnounceResponse) bool { return true })},
	}
	tr, _, u := setup(t, "127.0.0.1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr.SetHTTPFaults(tt.faults)
			defer tr.SetHTTPFaults(mocktracker.HTTPFaults{})
			tp := newTransport(t, tt.cfg)
			var resp *transport.AnnounceResponse
			var err error
			op := "announce"
			if tt.scrape {
				op = "scrape"
				var sr *transport.ScrapeResponse
				sr, err = tp.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{{1}}})
				if err == nil {
					if sr == nil || sr.Files == nil {
						t.Fatal("nil scrape reply")
					}
					resp = &transport.AnnounceResponse{}
				}
			} else {
				resp, err = tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl"))
			}
			if err != nil {
				checkTransportError(t, err, op)
			}
			tt.check(t, resp, err)
		})
	}
}

// checkTransportError asserts the shape every returned error has: a
// *transport.Error with the operation and the redacted URL, and no secret.
func checkTransportError(t *testing.T, err error, op string) {
	t.Helper()
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("%v (%T) is not a *transport.Error", err, err)
	}
	if te.Op != op || !strings.Contains(te.URL, "/REDACTED~") || !strings.Contains(te.URL, "passkey=REDACTED~") {
		t.Errorf("Op %q URL %q", te.Op, te.URL)
	}
	if s := err.Error(); strings.Contains(s, pathSecret) || strings.Contains(s, querySecret) {
		t.Errorf("error leaks a passkey: %s", s)
	}
	if errors.As(err, new(*url.Error)) {
		t.Errorf("error wraps a *url.Error: %v", err)
	}
}

func TestLoopbackTrackerIDEcho(t *testing.T) {
	tr, _, u := setup(t, "127.0.0.1")
	tr.SetHTTPFaults(mocktracker.HTTPFaults{TrackerID: "abc 1"})
	tp := newTransport(t, Config{})
	req := announceReq(1, "-TK0001-abcdefghijkl")
	resp, err := tp.Announce(context.Background(), u, req)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tr.LastHTTPRequest().URL.RawQuery, "trackerid") {
		t.Error("trackerid sent before the tracker gave one")
	}
	req.TrackerID, req.Event = resp.TrackerID, transport.EventNone
	if _, err := tp.Announce(context.Background(), u, req); err != nil {
		t.Fatal(err)
	}
	if q := tr.LastHTTPRequest().URL.RawQuery; !strings.HasSuffix(q, "&trackerid=abc%201") || strings.Contains(q, "event=") {
		t.Errorf("second announce query %s", q)
	}
}

func TestLoopbackKeepAlive(t *testing.T) {
	for _, host := range loopbackHosts {
		t.Run(host, func(t *testing.T) {
			tr, cl, u := setup(t, host)
			tp := newTransport(t, Config{})
			for i := range 5 {
				if _, err := tp.Announce(context.Background(), u, announceReq(byte(i), "-TK0001-abcdefghijkl")); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tp.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{{1}}}); err != nil {
				t.Fatal(err)
			}
			if n := cl.accepted.Load(); n != 1 || tr.HTTPRequests() != 6 {
				t.Errorf("%d connections for %d requests, want 1", n, tr.HTTPRequests())
			}
		})
	}
}

func TestLoopbackContext(t *testing.T) {
	tr, _, u := setup(t, "127.0.0.1")
	tr.SetHTTPFaults(mocktracker.HTTPFaults{Delay: time.Hour})
	tp := newTransport(t, Config{})

	t.Run("cancel during a slow reply", func(t *testing.T) {
		before := tr.HTTPRequests()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		watcher := make(chan struct{})
		go func() { // cancel once the tracker holds the request
			defer close(watcher)
			for tr.HTTPRequests() == before && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := tp.Announce(ctx, u, announceReq(1, "-TK0001-abcdefghijkl"))
		cancel()
		<-watcher
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		checkTransportError(t, err, "announce")
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := tp.Scrape(ctx, u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{{1}}})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want context.DeadlineExceeded", err)
		}
		checkTransportError(t, err, "scrape")
	})
	t.Run("config timeout", func(t *testing.T) {
		tp := newTransport(t, Config{Timeout: 50 * time.Millisecond})
		_, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl"))
		if !errors.Is(err, transport.ErrTimeout) || errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want transport.ErrTimeout", err)
		}
		checkTransportError(t, err, "announce")
	})
	t.Run("caller deadline wins over config timeout", func(t *testing.T) {
		tp := newTransport(t, Config{Timeout: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := tp.Announce(ctx, u, announceReq(1, "-TK0001-abcdefghijkl"))
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, transport.ErrTimeout) {
			t.Fatalf("got %v, want context.DeadlineExceeded only", err)
		}
	})
}

func TestLoopbackLogsRedacted(t *testing.T) {
	tr, _, u := setup(t, "127.0.0.1")
	var logs bytes.Buffer
	tp := newTransport(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if _, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl")); err != nil {
		t.Fatal(err)
	}
	tr.SetHTTPFaults(mocktracker.HTTPFaults{Status: 500})
	if _, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl")); err == nil {
		t.Fatal("no error for a 500")
	}
	if s := logs.String(); !strings.Contains(s, "REDACTED") || strings.Contains(s, pathSecret) || strings.Contains(s, querySecret) {
		t.Errorf("logs:\n%s", s)
	}
}

func TestUserClient(t *testing.T) {
	_, _, u := setup(t, "127.0.0.1")
	var userChecks atomic.Int32
	rt := &nethttp.Transport{}
	defer rt.CloseIdleConnections()
	client := &nethttp.Client{Transport: rt, CheckRedirect: func(*nethttp.Request, []*nethttp.Request) error {
		userChecks.Add(1)
		return nil
	}}
	before := *client
	tp := newTransport(t, Config{Client: client, UserAgent: "custom/1"})
	tr2, _, u2 := setup(t, "127.0.0.1")
	tr2.SetHTTPFaults(mocktracker.HTTPFaults{RedirectHops: 2})
	for _, target := range []*url.URL{u, u2} {
		if _, err := tp.Announce(context.Background(), target, announceReq(1, "-TK0001-abcdefghijkl")); err != nil {
			t.Fatal(err)
		}
	}
	if userChecks.Load() != 2 {
		t.Errorf("user CheckRedirect called %d times, want 2", userChecks.Load())
	}
	if client.Transport != before.Transport || client.Jar != before.Jar || client.Timeout != before.Timeout ||
		client.CheckRedirect == nil || userChecks.Load() != 2 {
		t.Error("the user's client was modified")
	}
	if ua := tr2.LastHTTPRequest().Header.Get("User-Agent"); ua != "custom/1" {
		t.Errorf("User-Agent %q", ua)
	}
}

func TestRequestErrors(t *testing.T) {
	// A dialer that fails as the kernel would; nothing is sent anywhere.
	skipDial := func(errno syscall.Errno) *nethttp.Client {
		return &nethttp.Client{Transport: &nethttp.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp6", Err: os.NewSyscallError("connect", errno)}
		}}}
	}
	u, _ := url.Parse("http://[2001:db8::1]:6969/" + pathSecret + "/announce?passkey=" + querySecret)
	tests := []struct {
		name    string
		client  *nethttp.Client
		url     *url.URL
		skipped bool
		target  error
	}{
		{"ENETUNREACH is skipped", skipDial(syscall.ENETUNREACH), u, true, nil},
		{"EADDRNOTAVAIL is skipped", skipDial(syscall.EADDRNOTAVAIL), u, true, nil},
		{"ECONNREFUSED is not skipped", skipDial(syscall.ECONNREFUSED), u, false, nil},
		{"unsupported scheme", nil, mustURL("udp://127.0.0.1:1/" + pathSecret + "/announce?passkey=" + querySecret), false, transport.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp := newTransport(t, Config{Client: tt.client})
			_, err := tp.Announce(context.Background(), tt.url, announceReq(1, "-TK0001-abcdefghijkl"))
			checkTransportError(t, err, "announce")
			if errors.Is(err, transport.ErrSkipped) != tt.skipped {
				t.Errorf("%v: skipped = %v, want %v", err, !tt.skipped, tt.skipped)
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("%v does not match %v", err, tt.target)
			}
		})
	}
	t.Run("scrape without announce segment", func(t *testing.T) {
		tp := newTransport(t, Config{})
		_, err := tp.Scrape(context.Background(), mustURL("http://127.0.0.1:1/"+pathSecret+"?passkey="+querySecret), &transport.ScrapeRequest{})
		if !errors.Is(err, transport.ErrUnsupported) || strings.Contains(err.Error(), pathSecret) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("closed transport", func(t *testing.T) {
		tp := New(Config{})
		tp.Close()
		tp.Close()
		_, err := tp.Announce(context.Background(), u, announceReq(1, "-TK0001-abcdefghijkl"))
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("got %v", err)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
