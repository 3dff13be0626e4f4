package announcer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
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
		s := e.session([][]string{{"http://a.test/announce"}, {"http://b.test/announce"}}, SessionOptions{TierMode: TiersStrict})
		s.Start(context.Background())
		synctest.Wait()
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
		s := e.session([][]string{{"http://a.test/announce", "udp://b.test:1"}, {"http://c.test/announce"}}, SessionOptions{TierMode: TiersAll})
		s.Start(context.Background())
		synctest.Wait()
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

// Requests to one tracker endpoint are limited; due workers queue for it
// without goroutines of their own, and a Session closed while queued sends
// nothing.
func TestPerTrackerLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{MaxAnnouncesPerTracker: 2})
		e.fake.setFaults("a.test", fault{delay: 10 * time.Second})
		var sessions []*Session
		for i := range 7 {
			s := e.session([][]string{{"http://a.test/announce?pk=" + string(rune('a'+i))}}, SessionOptions{})
			sessions = append(sessions, s)
		}
		t0 := time.Now()
		for _, s := range sessions {
			s.Start(context.Background())
		}
		other := e.session([][]string{{"udp://b.test:1"}}, SessionOptions{})
		other.Start(context.Background()) // another endpoint is not held up
		synctest.Wait()
		if c := e.fake.Calls("b.test:1"); len(c) != 1 || !c[0].Time.Equal(t0) {
			t.Fatalf("calls to another tracker: %+v", c)
		}
		sessions[6].Close() // queued: never announces
		time.Sleep(time.Minute)
		calls := e.fake.Calls("a.test")
		if len(calls) != 6 || e.fake.maxInflight["a.test"] != 2 {
			t.Fatalf("%d calls, %d at most in flight", len(calls), e.fake.maxInflight["a.test"])
		}
		for i, c := range calls {
			if want := time.Duration(i/2) * 10 * time.Second; c.Time.Sub(t0) != want {
				t.Errorf("call %d at %v, want %v", i, c.Time.Sub(t0), want)
			}
		}
	})
}
