package announcer

import (
	"context"
	"errors"
	"maps"
	"net/netip"
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
				s := e.session([][]string{{"udp://t.test:1"}}, SessionOptions{NumWant: tt.session})
				s.Start(context.Background())
				synctest.Wait()
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

// BEP 52: a hybrid torrent is announced under its v1 hash and its truncated
// v2 hash, each with its own schedule and status row; a peer in both swarms
// reaches the Session once per round. A v2-only torrent announces its
// truncated v2 hash.
func TestHybridTorrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		var v2 transport.InfoHashV2
		for i := range v2 {
			v2[i] = byte(0xc0 + i)
		}
		short := v2.Truncated()
		p := func(i int) netip.AddrPort {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 6881)
		}
		e.mt.AddPeer(testHash, peer.ID{1}, p(1), 0)
		e.mt.AddPeer(testHash, peer.ID{2}, p(2), 0)
		e.mt.AddPeer(short, peer.ID{2}, p(2), 0)
		e.mt.AddPeer(short, peer.ID{3}, p(3), 0)
		s, err := e.c.NewSession(Torrent{InfoHash: testHash, InfoHashV2: v2, Tiers: [][]string{{"udp://t.test:1"}}}, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if s.InfoHash() != testHash {
			t.Errorf("InfoHash %v", s.InfoHash())
		}
		col := collect(s)
		s.Start(context.Background())
		synctest.Wait()
		rows := s.Trackers()
		if len(rows) != 2 || rows[0].InfoHash != testHash || rows[1].InfoHash != short || rows[0].URL != rows[1].URL ||
			rows[0].State != StateOK || rows[1].State != StateOK {
			t.Fatalf("rows %+v", rows)
		}
		time.Sleep(31 * time.Minute)
		s.Stop(context.Background())
		<-col.done
		byHash := map[transport.InfoHash][]transport.Event{}
		for _, c := range e.fake.Calls("t.test:1") {
			byHash[c.Hash] = append(byHash[c.Hash], c.Event)
		}
		want := []transport.Event{transport.EventStarted, transport.EventNone, transport.EventStopped}
		if !slices.Equal(byHash[testHash], want) || !slices.Equal(byHash[short], want) || len(byHash) != 2 {
			t.Errorf("announces by hash %v", byHash)
		}
		var peers []string
		for _, ev := range ofType[PeerEvent](col.all()) {
			for _, pp := range ev.Peers {
				peers = append(peers, pp.Addr.String())
			}
		}
		slices.Sort(peers)
		wantPeers := []string{"10.0.0.1:6881", "10.0.0.1:6881", "10.0.0.2:6881", "10.0.0.2:6881", "10.0.0.3:6881", "10.0.0.3:6881"}
		if !slices.Equal(peers, wantPeers) {
			t.Errorf("peers %v, want each once per round (two rounds)", peers)
		}
		updates := map[transport.InfoHash]int{}
		for _, u := range ofType[UpdateEvent](col.all()) {
			updates[u.InfoHash]++
		}
		if updates[testHash] != 3 || updates[short] != 3 {
			t.Errorf("updates by hash %v", updates)
		}

		v2only, err := e.c.NewSession(Torrent{InfoHashV2: v2, Tiers: [][]string{{"udp://v2.test:1"}}}, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v2only.InfoHash() != short {
			t.Errorf("v2-only InfoHash %v, want %v", v2only.InfoHash(), short)
		}
		v2only.Start(context.Background())
		synctest.Wait()
		v2only.Stop(context.Background())
		for _, c := range e.fake.Calls("v2.test:1") {
			if c.Hash != short {
				t.Errorf("v2-only announced %v", c.Hash)
			}
		}
		if rows := v2only.Trackers(); len(rows) != 1 {
			t.Errorf("v2-only rows %+v", rows)
		}
	})
}

func TestInfoHashV2(t *testing.T) {
	h, err := transport.ParseInfoHashV2("c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
	if err != nil || h[0] != 0xc0 || h[31] != 0xdf || h.IsZero() || h.Truncated()[19] != 0xd3 || len(h.String()) != 64 {
		t.Fatalf("%v %v", h, err)
	}
	for _, bad := range []string{"", "c0", strings.Repeat("zz", 32), strings.Repeat("ab", 20)} {
		if _, err := transport.ParseInfoHashV2(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
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
