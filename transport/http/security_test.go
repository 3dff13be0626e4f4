package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// Issue 12: hostile HTTP trackers. Each test runs servers on loopback; the
// "other host" is 127.0.0.2 (loopback too), which logs every header it
// receives.

const secretPeerID = "-TK0001-PEERSECRET42"

// headerLog is a host that records every request header it receives.
type headerLog struct {
	mu      sync.Mutex
	headers []string // "Name: value" lines and the request URI
	hits    atomic.Int32
}

func (h *headerLog) handler(reply []byte) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		h.hits.Add(1)
		h.mu.Lock()
		h.headers = append(h.headers, "URI: "+r.RequestURI)
		for k, vs := range r.Header {
			for _, v := range vs {
				h.headers = append(h.headers, k+": "+v)
			}
		}
		h.mu.Unlock()
		w.Write(reply)
	})
}

// leaks returns the logged lines that carry a secret of the announce.
func (h *headerLog) leaks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, l := range h.headers {
		if strings.Contains(l, pathSecret) || strings.Contains(l, querySecret) || strings.Contains(l, "PEERSECRET") ||
			strings.Contains(l, "info_hash") || strings.Contains(l, "peer_id") || strings.HasPrefix(l, "Referer") {
			out = append(out, l)
		}
	}
	return out
}

// listenOn127002 listens on 127.0.0.2, or skips the test where this host
// cannot (loopback is 127.0.0.0/8 on Linux; some systems only have .1).
func listenOn127002(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	return ln
}

// otherHost starts the logging host on 127.0.0.2 (TLS when tlsOn).
func otherHost(t *testing.T, tlsOn bool) (*headerLog, string) {
	t.Helper()
	log := &headerLog{}
	srv := httptest.NewUnstartedServer(log.handler([]byte("d8:intervali60ee")))
	srv.Listener.Close()
	srv.Listener = listenOn127002(t)
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return log, srv.URL
}

// redirector starts the tracker on 127.0.0.1 that redirects every request
// to target + "/announce" (the Location carries no secret).
func redirector(t *testing.T, tlsOn bool, target string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		nethttp.Redirect(w, r, target+"/announce", nethttp.StatusFound)
	}))
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv.URL
}

// insecureClient trusts any certificate: the test servers' certificates do
// not name 127.0.0.2.
func insecureClient() *nethttp.Client {
	return &nethttp.Client{Transport: &nethttp.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func privateURL(t *testing.T, base string) *url.URL {
	t.Helper()
	u, err := url.Parse(base + "/" + pathSecret + "/announce?passkey=" + querySecret)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRedirectNoReferer: a redirect to another host never carries the
// announce URL (net/http's Referer did: passkey, info_hash and peer_id).
func TestRedirectNoReferer(t *testing.T) {
	tests := []struct {
		name           string
		fromTLS, toTLS bool
		cfg            Config
	}{
		{"http to http", false, false, Config{}},
		{"https to https", true, true, Config{}},
		{"http to https", false, true, Config{}},
		{"https to http, opted in", true, false, Config{AllowInsecureRedirects: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, target := otherHost(t, tt.toTLS)
			from := redirector(t, tt.fromTLS, target)
			cfg := tt.cfg
			cfg.Client = insecureClient()
			tr := New(cfg)
			defer tr.Close()
			defer cfg.Client.CloseIdleConnections()
			if _, err := tr.Announce(context.Background(), privateURL(t, from), announceReq(1, secretPeerID)); err != nil {
				t.Fatal(err)
			}
			if log.hits.Load() != 1 {
				t.Fatalf("%d requests reached the other host", log.hits.Load())
			}
			if l := log.leaks(); len(l) > 0 {
				t.Errorf("the other host received secrets: %q", l)
			}
		})
	}
}

// TestRedirectHTTPSToHTTPRefused: by default an https announce redirected to
// http fails with a typed error, and nothing reaches the http host.
func TestRedirectHTTPSToHTTPRefused(t *testing.T) {
	log, target := otherHost(t, false)
	from := redirector(t, true, target)
	client := insecureClient()
	defer client.CloseIdleConnections()
	tr := New(Config{Client: client})
	defer tr.Close()
	_, err := tr.Announce(context.Background(), privateURL(t, from), announceReq(1, secretPeerID))
	var ie *InsecureRedirectError
	if !errors.Is(err, ErrInsecureRedirect) || !errors.As(err, &ie) {
		t.Fatalf("err = %v, want ErrInsecureRedirect", err)
	}
	if strings.Contains(err.Error(), pathSecret) || strings.Contains(err.Error(), querySecret) || strings.Contains(err.Error(), target) {
		t.Errorf("error %q shows a URL it should not", err)
	}
	if log.hits.Load() != 0 {
		t.Errorf("%d requests reached the http host", log.hits.Load())
	}
}

// TestRedirectLoop: a tracker that redirects to itself forever costs six
// requests and ends in ErrTooManyRedirects; a larger MaxRedirects is
// lowered to 5.
func TestRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		hits.Add(1)
		nethttp.Redirect(w, r, r.URL.String(), nethttp.StatusFound)
	}))
	defer srv.Close()
	for _, max := range []int{0, 100} {
		hits.Store(0)
		tr := New(Config{MaxRedirects: max})
		_, err := tr.Announce(context.Background(), privateURL(t, srv.URL), announceReq(1, secretPeerID))
		tr.Close()
		if !errors.Is(err, ErrTooManyRedirects) {
			t.Fatalf("MaxRedirects %d: err = %v", max, err)
		}
		if n := hits.Load(); n != 6 {
			t.Errorf("MaxRedirects %d: %d requests, want 6 (the first and 5 redirects)", max, n)
		}
	}
}

// rawServer answers every request with the handler's bytes.
func rawServer(t *testing.T, h nethttp.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/announce"
}

func announceAt(t *testing.T, cfg Config, raw string) error {
	t.Helper()
	u, _ := url.Parse(raw)
	tr := New(cfg)
	defer tr.Close()
	_, err := tr.Announce(context.Background(), u, announceReq(1, secretPeerID))
	return err
}

// TestHostileReplies: what a hostile tracker can send, and the typed error
// (never a panic, never unbounded memory) trackerkit answers with.
func TestHostileReplies(t *testing.T) {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write([]byte("d8:intervali60e1:x"))
	zw.Write(bytes.Repeat([]byte{'0'}, 64<<20)) // 64 MiB of zeros, about 64 KiB compressed
	zw.Close()
	tests := []struct {
		name    string
		handler nethttp.HandlerFunc
		want    error
	}{
		{"gzip bomb", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz.Bytes())
		}, transport.ErrTooLarge},
		{"2^40 string length", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			w.Write([]byte("d8:intervali60e5:peers1099511627776:xxxxe"))
		}, transport.ErrMalformed},
		{"100k-deep nesting", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			w.Write([]byte("d8:intervali60e1:x" + strings.Repeat("l", 100000) + strings.Repeat("e", 100000) + "e"))
		}, transport.ErrMalformed},
		{"headers beyond 32 KiB", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			for i := range 40 {
				w.Header().Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("j", 1000))
			}
			w.Write([]byte("d8:intervali60ee"))
		}, transport.ErrTooLarge},
		{"endless body", func(w nethttp.ResponseWriter, r *nethttp.Request) {
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for range 64 { // 4 MiB, beyond the 1 MiB cap
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, transport.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := announceAt(t, Config{}, rawServer(t, tt.handler))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestTrickledBody: a body sent a byte at a time never ends on its own; the
// request timeout ends it with ErrTimeout.
func TestTrickledBody(t *testing.T) {
	done := make(chan struct{})
	defer close(done)
	raw := rawServer(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.WriteHeader(200)
		for {
			w.Write([]byte("d"))
			w.(nethttp.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	err := announceAt(t, Config{Timeout: 300 * time.Millisecond}, raw)
	if !errors.Is(err, transport.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

// TestIntervalClamped: an interval of 2^63 or more is the cap (the largest
// Duration, which the announcer lowers to Config.IntervalCap), zero or
// negative is 0 (raised to the floor): never a malformed reply retried 15 s
// later.
func TestIntervalClamped(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{
		{"9223372036854775808", time.Duration(maxSeconds) * time.Second},
		{"99999999999999999999999", time.Duration(maxSeconds) * time.Second},
		{"-5", 0},
		{"0", 0},
		{"-99999999999999999999999", 0},
	} {
		r, err := ParseAnnounce([]byte("d8:intervali" + tt.in + "ee"))
		if err != nil || r.Interval != tt.want {
			t.Errorf("interval %s: %v, %v; want %v", tt.in, r, err, tt.want)
		}
	}
}

// TestPeersPerReplyBounded: 30,000 dictionary peers (32 MB of memory once)
// or 100,000 compact ones yield MaxPeersPerReply peers, at a bounded cost.
func TestPeersPerReplyBounded(t *testing.T) {
	var dictPeers bytes.Buffer
	dictPeers.WriteString("d8:intervali60e5:peersl")
	for i := range 30000 {
		fmt.Fprintf(&dictPeers, "d2:ip%d:10.%d.%d.%d4:porti6881ee", len(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)), i>>16&255, i>>8&255, i&255)
	}
	dictPeers.WriteString("ee")
	compact := []byte("d8:intervali60e5:peers600000:" + strings.Repeat("\x0a\x00\x00\x01\x1a\xe1", 100000) + "e")
	for name, body := range map[string][]byte{"dict": dictPeers.Bytes(), "compact": compact} {
		r, err := ParseAnnounce(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(r.Peers) != MaxPeersPerReply {
			t.Errorf("%s: %d peers, want %d", name, len(r.Peers), MaxPeersPerReply)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ParseAnnounce(body)
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
			t.Errorf("%s: one reply allocated %d bytes", name, n)
		}
	}
}

// TestNoUnsolicitedResponsePrint: a tracker that sends more than its
// Content-Length leaves bytes on the connection; net/http would find them
// on the idle connection and print "Unsolicited response received on idle
// HTTP channel" through the standard logger, on stderr. A library prints
// nothing on its own: the default client's connections stop at the end of
// each reply (framedConn).
func TestNoUnsolicitedResponsePrint(t *testing.T) {
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	closed := make(chan struct{}, 16)
	raw := rawServer(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		conn, buf, err := w.(nethttp.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		const body = "d8:intervali60ee"
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%sEXTRA BYTES AFTER THE BODY", len(body), body)
		buf.Flush()
		io.Copy(io.Discard, conn) // until the client closes the connection
		closed <- struct{}{}
	})
	tr := New(Config{})
	defer tr.Close()
	u, _ := url.Parse(raw)
	for range 3 {
		if _, err := tr.Announce(context.Background(), u, announceReq(1, secretPeerID)); err != nil {
			t.Fatal(err)
		}
		select { // the client dropped the connection (after net/http's print, without the fix)
		case <-closed:
		case <-time.After(time.Minute):
			t.Fatal("the connection with extra bytes was kept")
		}
	}
	if strings.Contains(logged.String(), "Unsolicited") {
		t.Errorf("net/http printed: %s", logged.String())
	}
}

// TestFramedConnKeepsAlive: replies without extra bytes keep the
// connection alive, in both framings (Content-Length and chunked).
func TestFramedConnKeepsAlive(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		var conns atomic.Int32
		srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
			if chunked {
				w.Write([]byte("d8:interval"))
				w.(nethttp.Flusher).Flush()
			} else {
				w.Header().Set("Content-Length", "16")
				w.Write([]byte("d8:interval"))
			}
			w.Write([]byte("i60ee"))
		}))
		srv.Config.ConnState = func(_ net.Conn, s nethttp.ConnState) {
			if s == nethttp.StateNew {
				conns.Add(1)
			}
		}
		srv.Start()
		tr := New(Config{})
		u, _ := url.Parse(srv.URL + "/announce")
		for range 5 {
			if _, err := tr.Announce(context.Background(), u, announceReq(1, secretPeerID)); err != nil {
				t.Fatal(err)
			}
		}
		tr.Close()
		srv.Close()
		if n := conns.Load(); n != 1 {
			t.Errorf("chunked %v: %d connections for 5 announces, want 1", chunked, n)
		}
	}
}
