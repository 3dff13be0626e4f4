package announcer

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func hosts(calls []call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Host
	}
	return out
}

// TiersParallel: every tier at once, one tracker at a time inside a tier,
// failing over in order and moving the one that answered to the front.
func TestTiersParallel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"http://a.test/announce", "http://b.test/announce", "http://c.test/announce"}, {"http://d.test/announce"}}, SessionOptions{})
		e.fake.setFaults("a.test", fault{err: &transport.StatusError{Code: 503}})
		s.Start(context.Background())
		synctest.Wait()
		got := hosts(e.fake.Calls(""))
		slices.Sort(got)
		if !slices.Equal(got, []string{"a.test", "b.test", "d.test"}) {
			t.Fatalf("first round %v", got)
		}
		// a recovers, but b answered and is now first: a stays a backup.
		e.fake.setFaults("a.test")
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		got = hosts(e.fake.Calls("")[3:])
		slices.Sort(got)
		if !slices.Equal(got, []string{"b.test", "d.test"}) {
			t.Fatalf("second round %v", got)
		}
		st := s.Trackers()
		if st[0].State != StateBackingOff || st[1].State != StateOK || st[2].State != StateIdle || st[3].State != StateOK {
			t.Fatalf("states %v %v %v %v", st[0].State, st[1].State, st[2].State, st[3].State)
		}
		// b and c fail: the tier goes on to a (whose backoff is over), then
		// to c only when a fails too.
		e.fake.setFaults("b.test", fault{err: &transport.StatusError{Code: 503}})
		s.Announce()
		time.Sleep(31 * time.Minute)
		synctest.Wait()
		calls := e.fake.Calls("")[5:]
		var tier0 []string
		for _, c := range calls {
			if c.Host != "d.test" {
				tier0 = append(tier0, c.Host)
			}
		}
		if !slices.Equal(tier0[:2], []string{"b.test", "a.test"}) {
			t.Fatalf("failover %v", tier0)
		}
		s.Stop(context.Background())
		stopped := map[string]bool{}
		for _, c := range e.fake.Calls("") {
			if c.Event == transport.EventStopped {
				stopped[c.Host] = true
			}
		}
		if len(stopped) != 3 || stopped["c.test"] { // a, b, d acknowledged started; c was never used
			t.Fatalf("stopped sent to %v, want a, b, d", stopped)
		}
	})
}

// TiersStrict: one tracker at a time across tiers, next tier only after the
// whole tier failed, back to the first tier at the next announce.
func TestTiersStrict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{RetryMin: time.Minute})
		s := e.started([][]string{{"http://a.test/announce"}, {"http://b.test/announce"}}, SessionOptions{TierMode: TiersStrict})
		if got := hosts(e.fake.Calls("")); !slices.Equal(got, []string{"a.test"}) {
			t.Fatalf("calls %v", got)
		}
		e.fake.setFaults("a.test", fault{err: &transport.StatusError{Code: 503}}, fault{})
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if got := hosts(e.fake.Calls("")); !slices.Equal(got, []string{"a.test", "a.test", "b.test"}) {
			t.Fatalf("calls %v", got)
		}
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if got := hosts(e.fake.Calls("")); !slices.Equal(got, []string{"a.test", "a.test", "b.test", "a.test"}) {
			t.Fatalf("calls %v: the next announce must start from the first tier", got)
		}
		if ev := e.fake.Calls("b.test")[0].Event; ev != transport.EventStarted {
			t.Fatalf("b got %v", ev)
		}
		s.Close()
	})
}

// TiersAll: every URL at once.
func TestTiersAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.started([][]string{{"http://a.test/announce", "udp://b.test:1"}, {"http://c.test/announce"}}, SessionOptions{TierMode: TiersAll})
		got := hosts(e.fake.Calls(""))
		slices.Sort(got)
		if !slices.Equal(got, []string{"a.test", "b.test:1", "c.test"}) {
			t.Fatalf("calls %v", got)
		}
		s.Close()
	})
}

// Duplicates are merged, empty tiers dropped, unusable URLs given up
// without failing the others, and secrets never shown.
func TestBuildTrackers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{
			{"http://A.test/announce", "http://a.test/announce", " http://a.test/announce "},
			{},
			{"http://a.test/announce", "dht://x.test/s3cret/announce", "http://[bad/s3cret"},
			{"udp://b.test:1"},
		}, SessionOptions{})
		col := collect(s)
		st := s.Trackers()
		if len(st) != 4 {
			t.Fatalf("%d trackers: %+v", len(st), st)
		}
		wantTier := []int{0, 1, 1, 2}
		for i, x := range st {
			if x.Tier != wantTier[i] {
				t.Errorf("tracker %d tier %d, want %d", i, x.Tier, wantTier[i])
			}
		}
		if st[1].State != StateGaveUp || st[2].State != StateGaveUp || st[1].Protocol != "dht" {
			t.Fatalf("unusable URLs: %+v", st[1:3])
		}
		var se *SchemeError
		if !errors.As(st[1].LastError, &se) || !errors.Is(st[1].LastError, transport.ErrUnsupported) {
			t.Fatalf("scheme error %v", st[1].LastError)
		}
		var ue *URLError
		if !errors.As(st[2].LastError, &ue) || !errors.Is(st[2].LastError, transport.ErrUnsupported) {
			t.Fatalf("URL error %v", st[2].LastError)
		}
		s.Start(context.Background())
		synctest.Wait()
		if got := hosts(e.fake.Calls("")); len(got) != 2 {
			t.Fatalf("calls %v", got)
		}
		s.Close()
		<-col.done
		errs := ofType[ErrorEvent](col.all())
		if len(errs) != 2 || !errs[0].GaveUp || !errs[1].GaveUp {
			t.Fatalf("error events %+v", errs)
		}
		for _, ev := range errs {
			if strings.Contains(ev.Tracker+ev.Err.Error(), "s3cret") {
				t.Errorf("secret shown: %q %q", ev.Tracker, ev.Err)
			}
		}
		for _, x := range s.Trackers() {
			if strings.Contains(x.URL, "s3cret") || (x.LastError != nil && strings.Contains(x.LastError.Error(), "s3cret")) {
				t.Errorf("secret shown: %+v", x)
			}
		}
		if _, err := e.c.NewSession(Torrent{Tiers: [][]string{{}, {" "}}}, SessionOptions{}); !errors.Is(err, ErrNoTrackers) {
			t.Fatalf("no trackers: %v", err)
		}
	})
}

// A port out of range makes the URL unusable: given up at once, never
// retried (udp://host:99999 was retried forever, issue 12).
func TestPortOutOfRangeGivenUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		s := e.session([][]string{{"udp://b.test:99999"}, {"http://c.test:0/announce"}, {"udp://d.test:1"}}, SessionOptions{TierMode: TiersAll})
		col := collect(s)
		st := s.Trackers()
		for _, x := range st[:2] {
			var ue *URLError
			if x.State != StateGaveUp || !errors.As(x.LastError, &ue) || !errors.Is(x.LastError, transport.ErrUnsupported) {
				t.Errorf("%s: state %v, error %v", x.URL, x.State, x.LastError)
			}
		}
		s.Start(context.Background())
		synctest.Wait()
		if got := hosts(e.fake.Calls("")); len(got) != 1 {
			t.Errorf("calls %v, want only the usable URL", got)
		}
		s.Close()
		<-col.done
	})
}

// Each tier is shuffled once unless KeepOrder.
func TestTierShuffle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		urls := []string{"http://a.test/announce", "http://b.test/announce", "http://c.test/announce"}
		firsts := map[string]int{}
		for range 60 {
			s, err := e.c.NewSession(Torrent{InfoHash: testHash, Tiers: [][]string{slices.Clone(urls)}}, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s.Start(context.Background())
			synctest.Wait()
			s.Close()
		}
		for _, c := range e.fake.Calls("") {
			firsts[c.Host]++
		}
		if len(firsts) != 3 {
			t.Fatalf("first trackers %v: not shuffled", firsts)
		}
		if len(e.c.urls) != 0 {
			t.Fatalf("interned URLs not released: %d", len(e.c.urls))
		}
	})
}

// Issue 11 item 1: with [dead, live] in one tier and default settings, the
// live tracker's first reply reaches the Session 15 s in
// (Config.FailoverAfter), while the dead one is still being tried; the dead
// one's attempt ends at its bound (UDP 45 s, HTTP 30 s), the live one is
// moved to the front, and at Stop only the live one (which registered us)
// is sent "stopped".
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
				stopAt := time.Now()
				s.Stop(context.Background())
				<-col.done
				errs := ofType[ErrorEvent](col.all())
				if len(errs) == 0 || !errors.Is(errs[0].Err, transport.ErrTimeout) || errs[0].Time.Sub(t0) != tt.bound {
					t.Fatalf("errors %+v, want the dead tracker's timeout at %v", errs, tt.bound)
				}
				for _, ev := range errs[1:] {
					if ev.Time.Before(stopAt) {
						t.Fatalf("errors %+v, want only the timeout before Stop", errs)
					}
				}
				// Its started was sent and never answered: it may have
				// registered us, so Stop sends it a stopped too.
				if d := events(e.fake.Calls("dead.test:1")); len(d) < 2 || d[0] != transport.EventStarted || d[1] != transport.EventStopped {
					t.Fatalf("dead tracker calls %v, want started, then stopped at Stop", d)
				}
			})
		})
	}
}

// Issue 11 item 1: a slow first tracker that answers after the next one won
// becomes a standby that knows us: it is sent "stopped" too (no ghost
// "started").
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

// Failover honours the min interval of a standby that answered: a tracker
// whose late answer came 55 s before the one in use fails is not asked
// again (a plain announce) before its min interval has passed since.
func TestFailoverHonoursStandbyMinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{Interval: 10 * time.Minute, MinInterval: 5 * time.Minute}, Config{})
		e.fake.mu.Lock()
		e.fake.interval["b.test"] = time.Minute
		e.fake.mu.Unlock()
		// a answers its started late (after the failover to b, which wins);
		// b fails its next announce.
		e.fake.setFaults("a.test", fault{delay: 20 * time.Second}, fault{})
		e.fake.setFaults("b.test", fault{}, fault{err: &transport.StatusError{Code: 503}})
		s := e.session([][]string{{"http://a.test/announce", "http://b.test/announce"}}, SessionOptions{})
		s.Start(context.Background())
		time.Sleep(10 * time.Minute)
		calls := announces(e.fake.Calls("a.test"))
		if len(calls) < 2 {
			t.Fatalf("a: %d announces, want the started and a later one", len(calls))
		}
		answered := calls[0].Time.Add(20 * time.Second)
		if d := calls[1].Time.Sub(answered); d < 5*time.Minute {
			t.Errorf("a asked again %v after it answered, before its 5m min interval (events %v)", d, events(calls))
		}
		s.Close()
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
