package announcer

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func addrPeer(i int) peer.Peer {
	return peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}), uint16(7000+i))}
}

// Peers of one reply are emitted once each, with a warning and an update.
func TestReplyEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		for i := range 3 {
			e.mt.AddPeer(testHash, peer.ID{byte(i + 1)}, addrPeer(i).Addr, 0)
		}
		e.fake.extra["a.test"] = []peer.Peer{addrPeer(0), addrPeer(0), {Host: "h.test", Addr: netip.AddrPortFrom(netip.Addr{}, 1)}, {Host: "h.test", Addr: netip.AddrPortFrom(netip.Addr{}, 1)}}
		e.fake.warn["a.test"] = "be nice"
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{}) // a leecher of unknown size
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		s.Close()
		<-col.done
		evs := col.all()
		up := ofType[UpdateEvent](evs)
		if len(up) != 1 || up[0].Complete != 3 || up[0].Incomplete != 1 || up[0].Peers != 7 || up[0].Interval != 30*time.Minute {
			t.Fatalf("updates %+v", up)
		}
		if w := ofType[WarningEvent](evs); len(w) != 1 || w[0].Message != "be nice" {
			t.Fatalf("warnings %+v", w)
		}
		pes := ofType[PeerEvent](evs)
		if len(pes) != 1 || pes[0].Protocol != ProtocolHTTP || pes[0].Tracker != "http://a.test/announce" {
			t.Fatalf("peer events: %+v", pes)
		}
		if peers := pes[0].Peers; len(peers) != 4 { // 3 from the swarm (one duplicated by extra), one host
			t.Fatalf("%d peers: %+v", len(peers), peers)
		}
		seen := map[string]bool{}
		for _, p := range pes[0].Peers {
			if seen[p.String()] {
				t.Errorf("peer %v twice", p)
			}
			seen[p.String()] = true
		}
		if st := s.Trackers()[0]; st.Peers != 7 || st.Seeders != 3 || st.Warning != "be nice" {
			t.Errorf("status %+v", st)
		}
	})
}

type countingConn struct{ closed *atomic.Int32 }

func (c countingConn) Read([]byte) (int, error)  { return 0, io.EOF }
func (c countingConn) Write([]byte) (int, error) { return 0, io.EOF }
func (c countingConn) Close() error              { c.closed.Add(1); return nil }

// A consumer that never reads stalls nothing: announces go on, overflowing
// events are dropped (WebRTC connections closed), and after Close every
// goroutine exits and the channel closes.
func TestConsumerNeverReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{EventBuffer: 4})
		s := e.started([][]string{{"wss://w.test"}}, SessionOptions{})
		var closed atomic.Int32
		ps := peerSourceFake{e.fake}
		for i := range 10 {
			if !ps.deliver("w.test", peer.Peer{ID: peer.ID{byte(i + 1)}, Conn: countingConn{&closed}}) {
				t.Fatal("not subscribed")
			}
		}
		time.Sleep(5 * time.Hour)
		if n := len(e.fake.Calls("")); n < 6 {
			t.Fatalf("announces stalled: %d", n)
		}
		s.Close()
		if ps.deliver("w.test", peer.Peer{}) {
			t.Fatal("still subscribed after Close")
		}
		synctest.Wait() // the forwarder lingers, blocked on the channel
		time.Sleep(DefaultEventLinger)
		synctest.Wait()
		if _, ok := <-s.Events(); ok {
			t.Fatal("channel open after the linger time")
		}
		if n := closed.Load(); n != 10 {
			t.Fatalf("%d of 10 undelivered WebRTC connections closed", n)
		}
	})
}

// Overflow drops the newest events, counts them and says so when there is
// room again; PeerSource peers arrive as webrtc PeerEvents.
func TestDroppedEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{EventBuffer: 3})
		s := e.started([][]string{{"ws://w.test"}}, SessionOptions{})
		<-s.Events() // the update; the forwarder is idle again
		ps := peerSourceFake{e.fake}
		for i := range 8 {
			ps.deliver("w.test", peer.Peer{ID: peer.ID{byte(i + 1)}})
		}
		synctest.Wait()
		// The buffer holds 3 (one more may be in the forwarder's hands);
		// the newest are dropped, and a DroppedEvent with their count is
		// queued whenever room returns after drops. Delivered peers keep
		// their order; peers plus counts make 8.
		var delivered, dropped, notices int
		last := byte(0)
		for quiet := false; !quiet; {
			select {
			case ev := <-s.Events():
				switch ev := ev.(type) {
				case DroppedEvent:
					dropped += ev.Count
					notices++
				case PeerEvent:
					if len(ev.Peers) != 1 || ev.Peers[0].ID[0] <= last || ev.Protocol != ProtocolWebRTC {
						t.Fatalf("peer %+v after %d", ev, last)
					}
					last = ev.Peers[0].ID[0]
					delivered++
				default:
					t.Fatalf("unexpected %#v", ev)
				}
			case <-time.After(time.Second):
				quiet = true
			}
		}
		if delivered+dropped != 8 || delivered < 3 || notices == 0 {
			t.Fatalf("%d delivered, %d dropped in %d notices", delivered, dropped, notices)
		}
		ps.deliver("w.test", peer.Peer{ID: peer.ID{9}})
		if pe := (<-s.Events()).(PeerEvent); len(pe.Peers) != 1 || pe.Peers[0].ID[0] != 9 {
			t.Fatalf("after the drop notice: %+v", pe)
		}
		s.Close()
		if _, ok := <-s.Events(); ok {
			t.Fatal("event after Close with an empty buffer")
		}
	})
}

// distinctPeers keeps the first of each peer, returns the reply itself when
// nothing repeats, and closes a repeated WebRTC peer's connection.
func TestDistinctPeers(t *testing.T) {
	many := func(n int) []peer.Peer {
		out := make([]peer.Peer, n)
		for i := range out {
			out[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 6881)}
		}
		return out
	}
	host := func(h string, port uint16) peer.Peer {
		return peer.Peer{Host: h, Addr: netip.AddrPortFrom(netip.Addr{}, port)}
	}
	var closed atomic.Int32
	rtc := func(b byte) peer.Peer { return peer.Peer{ID: peer.ID{b}, Conn: countingConn{&closed}} }
	v6 := peer.Peer{Addr: netip.MustParseAddrPort("[2001:db8::1]:6881")}
	tests := []struct {
		name   string
		in     []peer.Peer
		want   int
		same   bool // the input slice is returned
		closes int32
	}{
		{"none", nil, 0, true, 0},
		{"one", many(1), 1, true, 0},
		{"distinct", many(50), 50, true, 0},
		{"distinct at table size", many(dedupTableMax), dedupTableMax, true, 0},
		{"distinct, large", many(300), 300, true, 0},
		{"repeat", append(many(5), many(2)...), 5, false, 0},
		{"repeat, large", append(many(300), many(300)...), 300, false, 0},
		{"hosts", []peer.Peer{host("a.test", 1), host("a.test", 2), host("a.test", 1), host("b.test", 1)}, 3, false, 0},
		{"same port, other families", []peer.Peer{many(1)[0], v6, v6}, 2, false, 0},
		{"webrtc by id", []peer.Peer{rtc(1), rtc(2), rtc(1)}, 2, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed.Store(0)
			got := distinctPeers(tt.in)
			if len(got) != tt.want {
				t.Fatalf("%d peers, want %d", len(got), tt.want)
			}
			if same := len(got) > 0 && &got[0] == &tt.in[0]; same != (tt.same && len(got) > 0) {
				t.Errorf("returned the input slice: %v", same)
			}
			seen := map[peerKey]bool{}
			for i := range got {
				k := keyOf(&got[i])
				if seen[k] {
					t.Errorf("%v twice", got[i])
				}
				seen[k] = true
			}
			if n := closed.Load(); n != tt.closes {
				t.Errorf("%d connections closed, want %d", n, tt.closes)
			}
		})
	}
}

func TestDistinctPeersAllocs(t *testing.T) {
	in := make([]peer.Peer, 50)
	for i := range in {
		in[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)}
	}
	if n := testing.AllocsPerRun(100, func() { distinctPeers(in) }); n != 0 {
		t.Fatalf("%v allocations for a reply without repeats", n)
	}
}

func BenchmarkDistinctPeers50(b *testing.B) {
	in := make([]peer.Peer, 50)
	for i := range in {
		in[i] = peer.Peer{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)}
	}
	b.ReportAllocs()
	for b.Loop() {
		distinctPeers(in)
	}
}

// Events buffered when the session ends are still delivered, then the
// channel closes, exactly once.
func TestEventsAfterStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.started([][]string{{"http://a.test/announce"}, {"udp://b.test:1"}}, SessionOptions{})
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		var ups []UpdateEvent
		for ev := range s.Events() {
			if u, ok := ev.(UpdateEvent); ok {
				ups = append(ups, u)
			}
		}
		if len(ups) != 4 {
			t.Fatalf("updates %+v", ups)
		}
		if ups[2].Event != transport.EventStopped || ups[3].Event != transport.EventStopped {
			t.Fatalf("updates %+v", ups)
		}
	})
}

// Session.Scrape: one ScrapeEvent per tracker that supports it.
func TestScrape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.mt.AddPeer(testHash, peer.ID{1}, addrPeer(1).Addr, 0)
		e.mt.AddPeer(testHash, peer.ID{2}, addrPeer(2).Addr, 5)
		s := e.session([][]string{{"http://a.test/announce"}, {"http://noscrape.test/x"}, {"udp://u.test:1"}, {"http://bad.test/announce"}}, SessionOptions{})
		e.fake.setFaults("bad.test", fault{err: &transport.StatusError{Code: 500}})
		col := collect(s)
		err := s.Scrape(context.Background())
		if !errors.Is(err, transport.ErrTemporary) {
			t.Fatalf("Scrape: %v", err)
		}
		s.Close()
		if err := s.Scrape(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("Scrape after Close: %v", err)
		}
		<-col.done
		sc := ofType[ScrapeEvent](col.all())
		if len(sc) != 2 {
			t.Fatalf("scrape events %+v", sc)
		}
		for _, ev := range sc {
			if ev.Stats.Complete != 1 || ev.Stats.Incomplete != 1 || ev.InfoHash != testHash {
				t.Errorf("scrape event %+v", ev)
			}
		}
		if errs := ofType[ErrorEvent](col.all()); len(errs) != 1 || errs[0].Failures != 0 || errs[0].GaveUp {
			t.Fatalf("error events %+v", errs)
		}
		s2 := e.session([][]string{{"http://noscrape.test/x"}}, SessionOptions{})
		if err := s2.Scrape(context.Background()); !errors.Is(err, transport.ErrUnsupported) {
			t.Fatalf("Scrape without support: %v", err)
		}
	})
}

// Client.Close abandons what a Session's consumer has not read. Of a
// Session that ended earlier it does not wait for the consumer: what the
// channel buffers stays readable, then it is closed. The forwarder of a
// Session whose consumer lags (a backlog of WebRTC peers) is abandoned: the
// backlog is discarded, its connections closed, the channel closed.
func TestClientCloseAbandons(t *testing.T) {
	tests := []struct {
		name      string
		tracker   string
		backlog   int // WebRTC peers delivered before Close
		maxEvents int // still readable after Client.Close
	}{
		{"events", "http://a.test/announce", 0, 1},
		{"backlog", "ws://w.test", 3 * eventChanCap, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, mocktracker.Config{}, Config{EventLinger: time.Hour})
				s := e.started([][]string{{tt.tracker}}, SessionOptions{})
				ps := peerSourceFake{e.fake}
				var closed atomic.Int32
				for i := range tt.backlog {
					ps.deliver("w.test", peer.Peer{ID: peer.ID{byte(i + 1)}, Conn: countingConn{&closed}})
				}
				s.Close()
				t0 := time.Now()
				e.c.Close()
				if d := time.Since(t0); d != 0 {
					t.Fatalf("Client.Close waited %v for an unread event", d)
				}
				n := 0
				for range s.Events() {
					n++
				}
				if n > tt.maxEvents || closed.Load() != int32(tt.backlog) {
					t.Fatalf("%d events read after Client.Close (want at most %d), %d connections closed", n, tt.maxEvents, closed.Load())
				}
			})
		})
	}
}

// BEP 24: the external IP reaches UpdateEvent and the snapshot, and the
// snapshot keeps it when a later reply does not say.
func TestExternalIP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		ip := netip.MustParseAddr("203.0.113.7")
		e.fake.extIP = ip
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		if got := s.Trackers()[0].ExternalIP; got != ip {
			t.Errorf("snapshot external IP %v", got)
		}
		e.fake.mu.Lock()
		e.fake.extIP = netip.Addr{}
		e.fake.mu.Unlock()
		time.Sleep(31 * time.Minute)
		if got := s.Trackers()[0].ExternalIP; got != ip {
			t.Errorf("snapshot external IP after a reply without one: %v", got)
		}
		s.Close()
		<-col.done
		up := ofType[UpdateEvent](col.all())
		if len(up) != 2 || up[0].ExternalIP != ip || up[1].ExternalIP.IsValid() {
			t.Fatalf("updates %+v", up)
		}
	})
}

// Session.Scrape says which trackers it passed over and why: no scrape URL
// (BEP 48, as the transport says), or given up (an unusable URL, a 410).
func TestScrapeSkipped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}, {"http://noscrape.test/x"}, {"gopher://g.test/announce"},
			{"http://gone.test/announce"}}, SessionOptions{})
		e.fake.setFaults("gone.test", fault{err: &transport.StatusError{Code: 410}})
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		if err := s.Scrape(context.Background()); err != nil {
			t.Fatalf("Scrape: %v", err)
		}
		s.Close()
		<-col.done
		got := map[string]SkipReason{}
		for _, ev := range ofType[ScrapeSkippedEvent](col.all()) {
			got[ev.Tracker] = ev.Reason
			if ev.Err == nil {
				t.Errorf("%s: no cause", ev.Tracker)
			}
			if ev.Reason == SkipNoScrape && !errors.Is(ev.Err, transport.ErrUnsupported) {
				t.Errorf("%s: cause %v", ev.Tracker, ev.Err)
			}
		}
		want := map[string]SkipReason{transport.RedactString("http://noscrape.test/x"): SkipNoScrape, "gopher://g.test/announce": SkipGaveUp,
			"http://gone.test/announce": SkipGaveUp}
		if !maps.Equal(got, want) {
			t.Errorf("skipped %v, want %v", got, want)
		}
		if n := len(ofType[ScrapeEvent](col.all())); n != 1 {
			t.Errorf("%d scrape events, want 1", n)
		}
		if SkipNoScrape.String() != "no scrape URL" || SkipGaveUp.String() != "gave up" || SkipReason(0).String() != "unknown" {
			t.Error("SkipReason strings")
		}
	})
}

// With StateEvents, each change of a tracker's state is an event carrying
// its snapshot, in order; RTT and SmoothedRTT follow the announces.
func TestStateEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.fake.setFaults("ok.test", fault{delay: 2 * time.Second}, fault{delay: 4 * time.Second}, fault{})
		e.fake.setFaults("bad.test", fault{err: &transport.StatusError{Code: 500}})
		e.fake.setFaults("gone.test", fault{err: &transport.StatusError{Code: 410}})
		s := e.session([][]string{{"http://ok.test/announce"}, {"http://bad.test/announce"}, {"http://gone.test/announce"}},
			SessionOptions{StateEvents: true, TierMode: TiersAll})
		col := collect(s)
		s.Start(context.Background())
		time.Sleep(40 * time.Minute) // two announces to ok.test
		s.Stop(context.Background())
		<-col.done
		byTracker := map[string][]StateEvent{}
		for _, ev := range ofType[StateEvent](col.all()) {
			if ev.Tracker != ev.Status.URL || ev.From == ev.Status.State {
				t.Errorf("event %+v", ev)
			}
			if n := len(byTracker[ev.Tracker]); n > 0 && byTracker[ev.Tracker][n-1].Status.State != ev.From {
				t.Errorf("%s: from %v after %v", ev.Tracker, ev.From, byTracker[ev.Tracker][n-1].Status.State)
			}
			byTracker[ev.Tracker] = append(byTracker[ev.Tracker], ev)
		}
		states := func(url string) []State {
			var out []State
			for _, ev := range byTracker[url] {
				out = append(out, ev.Status.State)
			}
			return out
		}
		if got, want := states("http://ok.test/announce"), []State{StateAnnouncing, StateOK, StateAnnouncing, StateOK, StateStopping, StateStopped}; !slices.Equal(got, want) {
			t.Errorf("ok.test states %v, want %v", got, want)
		}
		if got := states("http://gone.test/announce"); !slices.Equal(got, []State{StateAnnouncing, StateGaveUp}) {
			t.Errorf("gone.test states %v", got)
		}
		bad := states("http://bad.test/announce")
		if len(bad) < 4 || bad[0] != StateAnnouncing || bad[1] != StateBackingOff || bad[len(bad)-1] != StateStopped {
			t.Errorf("bad.test states %v", bad)
		}
		okEvents := byTracker["http://ok.test/announce"]
		if first := okEvents[1].Status; first.RTT != 2*time.Second || first.SmoothedRTT != 2*time.Second || first.Seeders != 0 || first.Leechers != 1 {
			t.Errorf("after the first announce: %+v", first)
		}
		if second := okEvents[3].Status; second.RTT != 4*time.Second || second.SmoothedRTT != 2250*time.Millisecond {
			t.Errorf("after the second announce: RTT %v, smoothed %v; want 4s, 2.25s", second.RTT, second.SmoothedRTT)
		}
		if bo := byTracker["http://bad.test/announce"][1].Status; bo.Failures != 1 || bo.NextAnnounce.IsZero() || bo.LastError == nil {
			t.Errorf("backing off snapshot %+v", bo)
		}
	})
}

// Without StateEvents (the default), no StateEvent is emitted.
func TestNoStateEventsByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce"}}, SessionOptions{})
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		s.Stop(context.Background())
		<-col.done
		if n := len(ofType[StateEvent](col.all())); n != 0 {
			t.Fatalf("%d state events", n)
		}
		if st := s.Trackers()[0]; st.RTT != 0 || st.State != StateStopped {
			t.Fatalf("status %+v", st)
		}
	})
}

// A WebSocket tracker whose connection is being re-established shows as
// "reconnecting" in a StateEvent, not as failing.
func TestStateEventReconnecting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		e.fake.setFaults("w.test", fault{err: &transport.ReconnectingError{At: time.Now().Add(10 * time.Second)}}, fault{})
		s := e.session([][]string{{"ws://w.test"}}, SessionOptions{StateEvents: true})
		col := collect(s)
		s.Start(context.Background())
		time.Sleep(11 * time.Second)
		s.Close()
		<-col.done
		var got []State
		for _, ev := range ofType[StateEvent](col.all()) {
			got = append(got, ev.Status.State)
		}
		want := []State{StateAnnouncing, StateReconnecting, StateAnnouncing, StateOK, StateStopped}
		if !slices.Equal(got, want) {
			t.Errorf("states %v, want %v", got, want)
		}
	})
}
