package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	nethttp "net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

const okReply = "d8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e"

// closingServer answers announces and closes every connection, as
// opentracker does; reply says what to answer to a path.
func closingServer(t *testing.T, closeConns bool, reply func(w nethttp.ResponseWriter, r *nethttp.Request)) (*httptest.Server, *atomic.Int32) {
	var reqs atomic.Int32
	srv := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		reqs.Add(1)
		if closeConns {
			w.Header().Set("Connection", "close")
		}
		reply(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &reqs
}

func announceN(t *testing.T, tr *Transport, u *url.URL, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := tr.Announce(context.Background(), u, &transport.AnnounceRequest{Port: 1}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// A host that closes every connection is found out and served by the lean
// path, which keeps the pooled path's rules; a keep-alive host keeps the
// pool.
func TestClosingHosts(t *testing.T) {
	gz := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(okReply))
		zw.Close()
		return b.Bytes()
	}()
	tests := []struct {
		name    string
		path    string
		wantErr error // nil: the announce succeeds with one peer
	}{
		{"plain", "/announce", nil},
		{"gzip", "/gzip/announce", nil},
		{"redirect followed by the pooled path", "/redirect/announce", nil},
		{"failure reason with 400", "/refuse/announce", transport.ErrTrackerFailure},
		{"server error", "/broken/announce", transport.ErrTemporary},
		{"too large", "/large/announce", transport.ErrTooLarge},
	}
	srv, _ := closingServer(t, true, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/gzip/"):
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gz)
		case strings.HasPrefix(r.URL.Path, "/redirect/"):
			nethttp.Redirect(w, r, "/announce?"+r.URL.RawQuery, nethttp.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/refuse/"):
			w.WriteHeader(400)
			w.Write([]byte("d14:failure reason4:nopee"))
		case strings.HasPrefix(r.URL.Path, "/broken/"):
			w.WriteHeader(500)
		case strings.HasPrefix(r.URL.Path, "/large/"):
			w.Write(bytes.Repeat([]byte("x"), 2000))
		default:
			w.Write([]byte(okReply))
		}
	})
	tr := New(Config{MaxReplyBytes: 1000})
	defer tr.Close()
	base, _ := url.Parse(srv.URL + "/announce")
	announceN(t, tr, base, int(closingAfter(0))+8)
	if st := tr.hosts.classify(base).state.Load(); st != hostCloses {
		t.Fatalf("host class %d, want closing", st)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(srv.URL + tt.path + "?passkey=s3cret")
			resp, err := tr.Announce(context.Background(), u, &transport.AnnounceRequest{Port: 1})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the passkey leaked: %v", err)
				}
				return
			}
			if err != nil || len(resp.Peers) != 1 {
				t.Fatalf("resp %+v, err %v", resp, err)
			}
		})
	}

	keep, _ := closingServer(t, false, func(w nethttp.ResponseWriter, r *nethttp.Request) { w.Write([]byte(okReply)) })
	ku, _ := url.Parse(keep.URL + "/announce")
	for range closingAfter(0) { // one after the other: each reuses the first's connection
		announceN(t, tr, ku, 1)
	}
	if st := tr.hosts.classify(ku).state.Load(); st != hostKeepsAlive {
		t.Fatalf("keep-alive host class %d", st)
	}
}

// The lean path honours the context.
func TestClosingHostCancel(t *testing.T) {
	block := make(chan struct{})
	srv, _ := closingServer(t, true, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Query().Get("port") == "2" {
			<-block
		}
		w.Write([]byte(okReply))
	})
	defer close(block)
	tr := New(Config{})
	defer tr.Close()
	u, _ := url.Parse(srv.URL + "/announce")
	announceN(t, tr, u, int(closingAfter(0))+1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := tr.Announce(ctx, u, &transport.AnnounceRequest{Port: 2})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}
