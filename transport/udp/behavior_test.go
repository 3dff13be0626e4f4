package udp

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

func TestSharedConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{Delay: time.Second})
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				if _, err := e.tr.Announce(context.Background(), e.url, testRequest(byte(i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if st := e.tracker.UDPStats(); st.Connect != 1 || st.Announce != 50 {
			t.Fatalf("stats %+v, want 1 connect for 50 announces", st)
		}
		if d := time.Since(e.start); d != 2*time.Second {
			t.Fatalf("took %v, want 2s (connect + announce, each delayed 1s)", d)
		}
	})
}

func TestErrorReplies(t *testing.T) {
	tests := []struct {
		name         string
		faults       mocktracker.UDPFaults
		expireFirst  bool // forget the ID after a first announce
		wantReason   string
		wantConnects int
		wantAnnounce int
	}{
		{"failure text verbatim", mocktracker.UDPFaults{ErrorText: "torrent not registered"}, false, "torrent not registered", 1, 1},
		{"trailing NUL stripped once", mocktracker.UDPFaults{ErrorText: "bad\x00\x00"}, false, "bad\x00", 1, 1},
		{"connect refused", mocktracker.UDPFaults{ConnectErrorText: "go away"}, false, "go away", 1, 0},
		{"stale ID: one reconnect, success", mocktracker.UDPFaults{ExpireConnIDs: true}, true, "", 2, 3},
		{"stale ID twice: failure", mocktracker.UDPFaults{ErrorText: mocktracker.StaleConnIDText}, false, mocktracker.StaleConnIDText, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				if tt.expireFirst {
					e.mustAnnounce(t, testRequest(1))
				}
				e.tracker.SetUDPFaults(tt.faults)
				_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
				if tt.wantReason == "" {
					if err != nil {
						t.Fatal(err)
					}
				} else {
					var fe *transport.FailureError
					var te *transport.Error
					if !errors.As(err, &fe) || !errors.As(err, &te) || !errors.Is(err, transport.ErrTrackerFailure) {
						t.Fatalf("err = %v, want FailureError in *transport.Error", err)
					}
					if fe.Reason != tt.wantReason {
						t.Fatalf("reason %q, want %q", fe.Reason, tt.wantReason)
					}
				}
				if st := e.tracker.UDPStats(); st.Connect != tt.wantConnects || st.Announce != tt.wantAnnounce {
					t.Fatalf("stats %+v", st)
				}
				if time.Since(e.start) != 0 {
					t.Fatalf("took %v", time.Since(e.start))
				}
			})
		})
	}
}

func TestReplyFaults(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		// faults hold for the first 10 s, then the tracker behaves.
		faults  func(t *testing.T, e *memEnv) mocktracker.UDPFaults
		wantAt  time.Duration // when the announce succeeds
		wantErr error
	}{
		{"duplicate replies", Config{}, func(*testing.T, *memEnv) mocktracker.UDPFaults { return mocktracker.UDPFaults{Duplicate: 3} }, 0, nil},
		{"wrong txid ignored", Config{}, func(*testing.T, *memEnv) mocktracker.UDPFaults { return mocktracker.UDPFaults{WrongTxID: true} }, 15 * time.Second, nil},
		{"too short fails at once", Config{}, func(*testing.T, *memEnv) mocktracker.UDPFaults { return mocktracker.UDPFaults{Truncate: 12} }, 0, transport.ErrMalformed},
		{"reply from another port", Config{}, func(t *testing.T, e *memEnv) mocktracker.UDPFaults {
			return mocktracker.UDPFaults{ReplyFrom: e.otherPort(t)}
		}, 0, nil},
		{"strict: reply from another port ignored", Config{Strict: true}, func(t *testing.T, e *memEnv) mocktracker.UDPFaults {
			return mocktracker.UDPFaults{ReplyFrom: e.otherPort(t)}
		}, 15 * time.Second, nil},
		{"delayed reply", Config{}, func(*testing.T, *memEnv) mocktracker.UDPFaults { return mocktracker.UDPFaults{Delay: 5 * time.Second} }, 5 * time.Second, nil},
		{"partial peer is malformed", Config{}, func(*testing.T, *memEnv) mocktracker.UDPFaults {
			return mocktracker.UDPFaults{Truncate: 23}
		}, -1, transport.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, tt.cfg, "udp4")
				req := testRequest(1)
				addPeers(e.tracker, req.InfoHash, 2, false)
				// Connect first, then misbehave on the announce only.
				e.mustAnnounce(t, req)
				start := time.Now()
				e.tracker.SetUDPFaults(tt.faults(t, e))
				go func() {
					time.Sleep(10 * time.Second)
					e.tracker.SetUDPFaults(mocktracker.UDPFaults{})
				}()
				resp, err := e.tr.Announce(context.Background(), e.url, req)
				defer time.Sleep(time.Minute) // let delayed and duplicate replies land: ignored
				if checkErr(t, err, tt.wantErr) {
					return
				}
				if len(resp.Peers) != 2 {
					t.Fatalf("peers %v", resp.Peers)
				}
				if d := time.Since(start); d != tt.wantAt {
					t.Fatalf("answered after %v, want %v", d, tt.wantAt)
				}
			})
		})
	}
}

// otherPort opens a second in-memory socket the tracker can answer from.
func (e *memEnv) otherPort(t *testing.T) net.PacketConn {
	pc, err := e.net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func TestTransactionIDs(t *testing.T) {
	tr := New(Config{})
	defer tr.Close()
	s := newSocket(tr, nil, false)
	seq := []uint32{0, 7, 7, 0, 7, 9, 9, 3}
	s.randTxID = func() uint32 { v := seq[0]; seq = seq[1:]; return v }
	var got []uint32
	ps := make([]*pending, 3)
	for i := range ps {
		ps[i] = &pending{ch: make(chan result, 2)}
		if err := s.register(ps[i]); err != nil {
			t.Fatal(err)
		}
		got = append(got, ps[i].txid)
	}
	if got[0] != 7 || got[1] != 9 || got[2] != 3 {
		t.Fatalf("ids %v, want [7 9 3]: never zero, never an outstanding one", got)
	}
	s.unregister(ps[0])
	seq = []uint32{9, 7}
	p := &pending{ch: make(chan result, 2)}
	if err := s.register(p); err != nil || p.txid != 7 {
		t.Fatalf("id %d err %v: a released id may be drawn again", p.txid, err)
	}

	// The real source: many outstanding ids, all distinct and non-zero.
	s = newSocket(tr, nil, false)
	seen := make(map[uint32]bool)
	for range 10000 {
		p := &pending{ch: make(chan result, 2)}
		if err := s.register(p); err != nil {
			t.Fatal(err)
		}
		if p.txid == 0 || seen[p.txid] {
			t.Fatalf("txid %d reused or zero", p.txid)
		}
		seen[p.txid] = true
	}
}

// TestHostileDatagrams sends junk to the client's socket while a request is
// outstanding: nothing panics or blocks, and the request still succeeds.
func TestHostileDatagrams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{Delay: 10 * time.Second})
		done := make(chan error, 1)
		go func() {
			_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
			done <- err
		}()
		synctest.Wait()
		pkts := e.tracker.UDPPackets()
		if len(pkts) != 1 {
			t.Fatalf("%d packets", len(pkts))
		}
		client, txid := net.UDPAddrFromAddrPort(pkts[0].From), pkts[0].TxID
		rogue := e.otherPort(t)
		hdr := func(action, txid uint32, extra int) []byte {
			b := make([]byte, 8+extra)
			b[3], b[7] = byte(action), byte(txid)
			b[2], b[6] = byte(action>>8), byte(txid>>8)
			b[1], b[5] = byte(action>>16), byte(txid>>16)
			b[0], b[4] = byte(action>>24), byte(txid>>24)
			return b
		}
		junk := [][]byte{
			{}, {1}, make([]byte, 7),
			hdr(0, txid^1, 8),       // unknown txid
			hdr(9, txid, 100),       // unknown action
			hdr(1, txid, 100),       // announce reply to a connect
			hdr(0, txid^1, 65507-8), // huge
			hdr(2, 0, 12),           // txid zero
			hdr(3, txid^2, 5000),    // error for someone else
		}
		for _, b := range junk {
			if _, err := rogue.WriteTo(b, client); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		s, _ := e.tr.socket(false)
		if n := s.strays.Load(); n != int64(len(junk)) {
			t.Fatalf("%d strays, want %d", n, len(junk))
		}
	})
}

func TestManyPeers(t *testing.T) {
	tests := []struct {
		family string
		v6     bool
		n      int
	}{
		{"udp4", false, 400},
		{"udp6", true, 150},
		{"udp6", true, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, tt.family)
				req := testRequest(1)
				req.NumWant = int32(tt.n)
				addPeers(e.tracker, req.InfoHash, tt.n, tt.v6)
				resp, err := e.tr.Announce(context.Background(), e.url, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Peers) != tt.n {
					t.Fatalf("%d peers, want %d", len(resp.Peers), tt.n)
				}
				for _, p := range resp.Peers {
					if p.Addr.Addr().Is6() != tt.v6 {
						t.Fatalf("peer %v of the wrong family", p)
					}
				}
			})
		})
	}
}

func TestSkippedFamily(t *testing.T) {
	unreachable := &net.OpError{Op: "write", Net: "udp", Err: &osSyscallError{syscall.ENETUNREACH}}
	tests := []struct {
		name   string
		listen func(n *memEnv) func(string, string) (net.PacketConn, error)
		url    string
	}{
		{"no IPv6 socket", func(e *memEnv) func(string, string) (net.PacketConn, error) {
			e.net.DisableIPv6()
			return e.net.ListenPacket
		}, "udp://[::1]:6969/announce"},
		{"ENETUNREACH on send", func(e *memEnv) func(string, string) (net.PacketConn, error) {
			return func(network, addr string) (net.PacketConn, error) {
				pc, err := e.net.ListenPacket(network, addr)
				return failingConn{pc, unreachable}, err
			}
		}, "udp://[::1]:6969/announce"},
		{"EADDRNOTAVAIL on listen", func(e *memEnv) func(string, string) (net.PacketConn, error) {
			return func(network, addr string) (net.PacketConn, error) {
				return nil, &net.OpError{Op: "listen", Net: network, Err: syscall.EADDRNOTAVAIL}
			}
		}, "udp://127.0.0.1:6969/announce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				e.tr.Close()
				e.tr = New(Config{ListenPacket: tt.listen(e)})
				defer e.tr.Close()
				_, err := e.tr.Announce(context.Background(), mustURL(t, tt.url), testRequest(1))
				var te *transport.Error
				if !errors.Is(err, transport.ErrSkipped) || !errors.As(err, &te) {
					t.Fatalf("err = %v, want ErrSkipped", err)
				}
				if errors.Is(err, transport.ErrTimeout) {
					t.Fatal("skipped is not a timeout")
				}
			})
		})
	}
}

type osSyscallError struct{ errno syscall.Errno }

func (e *osSyscallError) Error() string { return "sendto: " + e.errno.Error() }
func (e *osSyscallError) Unwrap() error { return e.errno }

type failingConn struct {
	net.PacketConn
	err error
}

func (c failingConn) WriteTo([]byte, net.Addr) (int, error) { return 0, c.err }

type fakeResolver struct {
	mu      sync.Mutex
	lookups int
	addrs   map[string][]string
	delay   time.Duration
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netipAddr, error) {
	r.mu.Lock()
	r.lookups++
	r.mu.Unlock()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var out []netipAddr
	for _, s := range r.addrs[host] {
		out = append(out, mustAddr(s))
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (r *fakeResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups
}

func TestResolverCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		r := &fakeResolver{delay: time.Second, addrs: map[string][]string{
			// An IPv6 address this host cannot use comes first: skipped.
			"tracker.test": {"::1", e.url.Hostname()},
		}}
		e.net.DisableIPv6()
		e.tr.Close()
		e.tr = New(Config{ListenPacket: e.net.ListenPacket, Resolver: r})
		defer e.tr.Close()
		u := mustURL(t, "udp://tracker.test:"+e.url.Port()+"/announce")
		bad := mustURL(t, "udp://nowhere.test:1/announce")

		announce := func(u string) error {
			_, err := e.tr.Announce(context.Background(), mustURL(t, u), testRequest(1))
			return err
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if err := announce(u.String()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := r.count(); n != 1 {
			t.Fatalf("%d lookups for 10 concurrent announces", n)
		}
		time.Sleep(DefaultDNSCacheTTL - 2*time.Second)
		if err := announce(u.String()); err != nil || r.count() != 1 {
			t.Fatalf("err %v, %d lookups within the TTL", err, r.count())
		}
		time.Sleep(2 * time.Second)
		if err := announce(u.String()); err != nil || r.count() != 2 {
			t.Fatalf("err %v, %d lookups after the TTL", err, r.count())
		}
		for range 3 {
			var de *net.DNSError
			if err := announce(bad.String()); !errors.As(err, &de) {
				t.Fatalf("err = %v, want the DNS error", err)
			}
		}
		if n := r.count(); n != 3 {
			t.Fatalf("%d lookups, want 3 (failure cached)", n)
		}
		time.Sleep(DefaultDNSNegativeTTL)
		announce(bad.String())
		if n := r.count(); n != 4 {
			t.Fatalf("%d lookups, want 4 (negative TTL over)", n)
		}
	})
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{DropRate: 1, DropActions: []uint32{1}})
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
				errs <- err
			}()
		}
		go func() {
			_, err := e.tr.Announce(context.Background(), mustURL(t, "udp://127.0.0.1:1/x"), testRequest(1))
			errs <- err
		}()
		time.Sleep(20 * time.Second)
		if err := e.tr.Close(); err != nil {
			t.Fatal(err)
		}
		if err := e.tr.Close(); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := <-errs; !errors.Is(err, net.ErrClosed) {
				t.Fatalf("in-flight err = %v, want net.ErrClosed", err)
			}
		}
		if _, err := e.tr.Announce(context.Background(), e.url, testRequest(1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("after close: %v", err)
		}
	})
}

func TestBadURLsAndRedaction(t *testing.T) {
	tr := New(Config{ListenPacket: func(string, string) (net.PacketConn, error) {
		return nil, errors.New("no sockets in this test")
	}})
	defer tr.Close()
	tests := []struct {
		url     string
		wantErr error
	}{
		{"http://127.0.0.1:1/announce", ErrInvalidURL},
		{"udp://127.0.0.1/announce", ErrInvalidURL},
		{"udp://127.0.0.1:0/announce", ErrInvalidURL},
		{"udp://127.0.0.1:99999/announce", ErrInvalidURL},
		{"udp://:80/announce", ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u := mustURL(t, tt.url)
			_, err := tr.Announce(context.Background(), u, testRequest(1))
			var te *transport.Error
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &te) || te.Op != "announce" {
				t.Fatalf("err = %v", err)
			}
		})
	}
	u := mustURL(t, "udp://127.0.0.1:1/s3cr3t/announce?passkey=s3cr3t")
	_, err := tr.Scrape(context.Background(), u, &transport.ScrapeRequest{InfoHashes: make([]transport.InfoHash, 1)})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err %v leaks the passkey or is nil", err)
	}
}

func TestScrape(t *testing.T) {
	tests := []struct {
		name        string
		hashes      int
		wantPackets int
	}{
		{"none", 0, 0},
		{"one", 1, 1},
		{"74 in one packet", 74, 1},
		{"75 in two", 75, 2},
		{"200 in three", 200, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newMemEnv(t, Config{}, "udp4")
				if e.tr.MaxScrapeBatch() != 74 {
					t.Fatal("MaxScrapeBatch")
				}
				req := &transport.ScrapeRequest{}
				for i := range tt.hashes {
					var h transport.InfoHash
					h[0], h[1] = byte(i), byte(i>>8)
					req.InfoHashes = append(req.InfoHashes, h)
					addPeers(e.tracker, h, i%5, false)
				}
				resp, err := e.tr.Scrape(context.Background(), e.url, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Files) != tt.hashes || e.tracker.UDPStats().Scrape != tt.wantPackets {
					t.Fatalf("%d files, %d packets", len(resp.Files), e.tracker.UDPStats().Scrape)
				}
				for i, h := range req.InfoHashes {
					if st := resp.Files[h]; st.Incomplete != i%5 || st.Complete != 0 {
						t.Fatalf("hash %d: %+v", i, st)
					}
				}
			})
		})
	}
}

func TestIntervalFault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv(t, Config{}, "udp4")
		e.tracker.SetUDPFaults(mocktracker.UDPFaults{Interval: 42 * time.Second})
		resp, err := e.tr.Announce(context.Background(), e.url, testRequest(1))
		if err != nil || resp.Interval != 42*time.Second {
			t.Fatalf("%v %v", resp, err)
		}
	})
}
