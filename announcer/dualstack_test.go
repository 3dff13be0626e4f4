package announcer

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"testing"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/internal/proxytest"
	"github.com/trackerkit/trackerkit/transport"
)

// dualLookup makes "dual.test" resolve to ::1 and 127.0.0.1.
func dualLookup(_ context.Context, host string) ([]netip.Addr, error) {
	if host != "dual.test" {
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
}

// newDualHTTP serves one mock tracker on 127.0.0.1:p and [::1]:p,
// recording each request.
func newDualHTTP(t *testing.T) (*proxytest.Recorder, string) {
	mt := loopbackTracker(t)
	l4 := proxytest.Listen(t, "127.0.0.1:0")
	port := l4.Addr().(*net.TCPAddr).Port
	l6, err := net.Listen("tcp", "[::1]:"+strconv.Itoa(port))
	if err != nil {
		l4.Close()
		t.Skipf("no [::1]:%d: %v", port, err)
	}
	return proxytest.NewRecorder(t, mt.HTTPHandler(), l4, l6), "http://dual.test:" + strconv.Itoa(port) + "/announce"
}

func dualUDP(t *testing.T) (*mocktracker.Tracker, string) {
	mt := loopbackTracker(t)
	u4, err := mt.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := url.Parse(u4)
	if _, err := mt.ListenUDP("[::1]:" + p.Port()); err != nil {
		t.Skipf("no [::1]:%s: %v", p.Port(), err)
	}
	return mt, "udp://dual.test:" + p.Port() + "/announce"
}

// TestDualStack: a tracker whose name has an IPv4 and an IPv6 address is
// announced over each, with the same key and peer ID, each family its own
// row and events, and stopped on each; SingleStack and Family turn it off.
func TestDualStack(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []transport.Family // rows, in order
	}{
		{"default: both families", Config{}, []transport.Family{transport.FamilyIPv6, transport.FamilyIPv4}},
		{"single stack", Config{SingleStack: true}, []transport.Family{transport.FamilyAny}},
		{"IPv4 only", Config{Family: transport.FamilyIPv4}, []transport.Family{transport.FamilyAny}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web, httpURL := newDualHTTP(t)
			mt, udpURL := dualUDP(t)
			cfg := tt.cfg
			cfg.LookupHost, cfg.StopTimeout = dualLookup, patience
			c := newClient(t, cfg)
			s, _ := c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{{httpURL}, {udpURL}}}, SessionOptions{})
			s.Start(context.Background())
			type row struct {
				url string
				f   transport.Family
			}
			updates := make(map[row]bool)
			for len(updates) < 2*len(tt.want) {
				ev := waitFor(t, s, func(ev Event) bool { _, ok := ev.(UpdateEvent); return ok }).(UpdateEvent)
				updates[row{ev.Tracker, ev.Family}] = true
			}
			for _, u := range []string{httpURL, udpURL} {
				for _, f := range tt.want {
					if !updates[row{u, f}] {
						t.Fatalf("no update for %s over %q: %v", u, f, updates)
					}
				}
			}
			rows := s.Trackers()
			if len(rows) != 2*len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(rows), 2*len(tt.want), rows)
			}
			if err := s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			stopped := make(map[row]bool)
			for len(stopped) < 2*len(tt.want) {
				ev := waitFor(t, s, isUpdate(transport.EventStopped)).(UpdateEvent)
				stopped[row{ev.Tracker, ev.Family}] = true
			}

			seen := make(map[transport.Family][]url.Values)
			for _, r := range web.Requests() {
				seen[transport.FamilyOf(r.Source)] = append(seen[transport.FamilyOf(r.Source)], r.Query)
			}
			var key, id string
			for f, qs := range seen {
				if tt.cfg.Family == transport.FamilyIPv4 && f != transport.FamilyIPv4 {
					t.Fatalf("announced over %q with Family IPv4", f)
				}
				if len(tt.want) == 2 && (len(qs) != 2 || qs[0].Get("event") != "started" || qs[1].Get("event") != "stopped") {
					t.Fatalf("%q: %v", f, qs)
				}
				for _, q := range qs {
					if key == "" {
						key, id = q.Get("key"), q.Get("peer_id")
					}
					if q.Get("key") != key || q.Get("peer_id") != id {
						t.Fatalf("key/peer_id differ between families: %v", seen)
					}
				}
			}
			if len(tt.want) == 2 && len(seen) != 2 {
				t.Fatalf("HTTP tracker seen over %d families", len(seen))
			}
			fams := make(map[transport.Family]int)
			for _, p := range mt.UDPPackets() {
				if p.Action == 1 {
					fams[transport.FamilyOf(p.From.Addr())]++
				}
			}
			if len(tt.want) == 2 && (fams[transport.FamilyIPv4] != 2 || fams[transport.FamilyIPv6] != 2) {
				t.Fatalf("UDP announces by family %v, want started and stopped on each", fams)
			}
		})
	}
}
