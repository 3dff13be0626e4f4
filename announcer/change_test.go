package announcer

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

func urls(st []TrackerStatus) []string {
	var out []string
	for _, s := range st {
		out = append(out, s.URL)
	}
	return out
}

func callTimes(calls []call) []time.Duration {
	var out []time.Duration
	for _, c := range calls {
		out = append(out, c.Time.Sub(calls[0].Time))
	}
	return out
}

// SetTrackers: a removed tracker that knew us is sent stopped, an added one
// started; one that stays keeps its schedule.
func TestSetTrackers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		a, b, c := "http://a.test/announce", "http://b.test/announce", "http://c.test/announce"
		s := e.started([][]string{{a}, {b}}, SessionOptions{TierMode: TiersAll})
		time.Sleep(10 * time.Minute)
		if err := s.SetTrackers([][]string{{"HTTP://A.TEST/announce"}, {c}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := urls(s.Trackers()); !slices.Equal(got, []string{a, c}) {
			t.Errorf("trackers %v", got)
		}
		if got := events(e.fake.Calls("b.test")); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventStopped}) {
			t.Errorf("removed: %v", got)
		}
		if got := events(e.fake.Calls("c.test")); !slices.Equal(got, []transport.Event{transport.EventStarted}) {
			t.Errorf("added: %v", got)
		}
		time.Sleep(25 * time.Minute)
		if got := callTimes(e.fake.Calls("a.test")); !slices.Equal(got, []time.Duration{0, 30 * time.Minute}) {
			t.Errorf("kept tracker's announces at %v: its schedule should not change", got)
		}
		if err := s.SetTrackers([][]string{{""}}); !errors.Is(err, ErrNoTrackers) {
			t.Errorf("no URL: %v", err)
		}
		s.Stop(context.Background())
		for host, want := range map[string][]transport.Event{
			"a.test": {transport.EventStarted, transport.EventNone, transport.EventStopped},
			"b.test": {transport.EventStarted, transport.EventStopped},
			"c.test": {transport.EventStarted, transport.EventStopped},
		} {
			if got := events(e.fake.Calls(host)); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", host, got, want)
			}
		}
		if err := s.SetTrackers([][]string{{a}}); !errors.Is(err, ErrClosed) {
			t.Errorf("after Stop: %v", err)
		}
	})
}

// With tiers, an added URL in a tier that works is a backup (not announced);
// a new tier is announced at once. Before Start, SetTrackers only replaces
// the list.
func TestSetTrackersTiers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		a, b, c, d := "udp://a.test:1", "udp://b.test:1", "udp://c.test:1", "udp://d.test:1"
		s := e.session([][]string{{d}}, SessionOptions{})
		if err := s.SetTrackers([][]string{{a}}); err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		synctest.Wait()
		if err := s.SetTrackers([][]string{{a, b}, {c}, {"gopher://bad.test/announce"}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(e.fake.Calls("b.test:1")); n != 0 {
			t.Errorf("backup announced %d times", n)
		}
		if n := len(e.fake.Calls("d.test:1")); n != 0 {
			t.Errorf("replaced before Start, announced %d times", n)
		}
		if got := events(e.fake.Calls("c.test:1")); !slices.Equal(got, []transport.Event{transport.EventStarted}) {
			t.Errorf("new tier: %v", got)
		}
		st := s.Trackers()
		if len(st) != 4 || st[0].Tier != 0 || st[1].Tier != 0 || st[1].State != StateIdle || st[2].Tier != 1 || st[3].State != StateGaveUp {
			t.Errorf("status %+v", st)
		}
		s.Stop(context.Background())
	})
}

// SetTrackers on a hybrid torrent changes both hashes' trackers.
func TestSetTrackersHybrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		var v2 transport.InfoHashV2
		v2[0] = 0xee
		s, err := e.c.NewSession(Torrent{InfoHash: testHash, InfoHashV2: v2, Tiers: [][]string{{"udp://a.test:1"}}}, SessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Start(context.Background())
		synctest.Wait()
		if err := s.SetTrackers([][]string{{"udp://b.test:1"}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(s.Trackers()); n != 2 {
			t.Errorf("%d rows", n)
		}
		for _, host := range []string{"a.test:1", "b.test:1"} {
			hashes := map[transport.InfoHash]bool{}
			for _, c := range e.fake.Calls(host) {
				hashes[c.Hash] = true
			}
			if len(hashes) != 2 {
				t.Errorf("%s: hashes %v", host, hashes)
			}
		}
		if n := len(e.fake.Calls("a.test:1")); n != 4 {
			t.Errorf("a.test: %d calls, want started and stopped for both hashes", n)
		}
		s.Stop(context.Background())
	})
}

// SetPort: every tracker in use gets a fresh announce with the new port at
// once, then its schedule resumes.
func TestSetPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{Port: 6000})
		s := e.started([][]string{{"udp://a.test:1"}, {"udp://b.test:1"}}, SessionOptions{})
		time.Sleep(5 * time.Second) // well inside the min interval
		s.SetPort(7000)
		s.SetPort(7000) // the same port: nothing more
		synctest.Wait()
		time.Sleep(31 * time.Minute)
		for _, host := range []string{"a.test:1", "b.test:1"} {
			calls := e.fake.Calls(host)
			var ports []uint16
			for _, c := range calls {
				ports = append(ports, c.Port)
			}
			if !slices.Equal(ports, []uint16{6000, 7000, 7000}) || !slices.Equal(callTimes(calls), []time.Duration{0, 5 * time.Second, 5*time.Second + 30*time.Minute}) {
				t.Errorf("%s: ports %v at %v", host, ports, callTimes(calls))
			}
		}
		s.Stop(context.Background())
	})
}

// AnnounceTo forces one tracker, no sooner than its min interval; a backup
// is asked at once and stays a backup; URLs are matched as given or
// redacted.
func TestAnnounceTo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, mocktracker.Config{}, Config{})
		a, b := "http://a.test/announce", "http://b.test/announce"
		private := "https://p.test/announce?passkey=s3cret"
		s := e.session([][]string{{a, b}, {private}}, SessionOptions{})
		if err := s.AnnounceTo(a); !errors.Is(err, ErrClosed) {
			t.Errorf("before Start: %v", err)
		}
		s.Start(context.Background())
		synctest.Wait()
		time.Sleep(10 * time.Second)
		if err := s.AnnounceTo(a); err != nil {
			t.Fatal(err)
		}
		if err := s.AnnounceTo(b); err != nil {
			t.Fatal(err)
		}
		if err := s.AnnounceTo(transport.RedactString(private)); err != nil { // as TrackerStatus.URL shows it
			t.Fatalf("redacted form: %v", err)
		}
		if err := s.AnnounceTo("http://nope.test/announce"); !errors.Is(err, ErrUnknownTracker) {
			t.Errorf("unknown: %v", err)
		}
		synctest.Wait()
		if got := callTimes(e.fake.Calls("b.test")); !slices.Equal(got, []time.Duration{0}) {
			t.Errorf("backup announced at %v", got)
		}
		if st := s.Trackers()[1]; st.URL != b || st.State != StateIdle || !st.Started {
			t.Errorf("backup after its announce: %+v", st)
		}
		if err := s.AnnounceTo(b); err != nil { // answered 0s ago: held until its min interval
			t.Fatal(err)
		}
		time.Sleep(time.Minute + time.Second) // 1m11s: past the min intervals of the forced announces
		if got := callTimes(e.fake.Calls("b.test")); !slices.Equal(got, []time.Duration{0, time.Minute}) {
			t.Errorf("backup forced twice announced at %v, want at once, then after its min interval", got)
		}
		if got := callTimes(e.fake.Calls("a.test")); !slices.Equal(got, []time.Duration{0, time.Minute}) {
			t.Errorf("forced tracker announced at %v, want at its min interval (1m)", got)
		}
		if got := callTimes(e.fake.Calls("p.test")); !slices.Equal(got, []time.Duration{0, time.Minute}) {
			t.Errorf("private tracker announced at %v", got)
		}
		e.fake.setFaults("a.test", fault{delay: 10 * time.Second}, fault{})
		s.SetPort(7000) // a.test announces it at once, 10 s on the wire
		time.Sleep(time.Second)
		s.SetPort(7001) // during that round: another follows it
		time.Sleep(10 * time.Second)
		var ports []uint16
		for _, c := range e.fake.Calls("a.test") {
			ports = append(ports, c.Port)
		}
		if want := []uint16{DefaultPort, DefaultPort, 7000, 7001}; !slices.Equal(ports, want) {
			t.Errorf("ports %v, want %v (a round in flight during SetPort is followed by another)", ports, want)
		}
		s.Stop(context.Background())
		if got := events(e.fake.Calls("b.test")); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventNone, transport.EventStopped}) {
			t.Errorf("backup that knew us: %v", got)
		}
	})
}

// familiesFake says dual.test has both address families (dual-stack).
type familiesFake struct{ *fakeTransport }

func (f familiesFake) Families(_ context.Context, u *url.URL) ([]transport.Family, error) {
	if u.Hostname() == "dual.test" {
		return []transport.Family{transport.FamilyIPv6, transport.FamilyIPv4}, nil
	}
	return []transport.Family{transport.FamilyIPv4}, nil
}

// A dual-stack tracker that SetTrackers keeps keeps both families' rows and
// schedules: neither is sent stopped, neither started again.
func TestSetTrackersKeepsDualStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mt := mocktracker.New(mocktracker.Config{})
		fake := newFake(mt)
		e := newEnv(t, mocktracker.Config{}, Config{Transports: map[string]transport.Transport{"udp": familiesFake{fake}}})
		e.fake = fake
		s := e.started([][]string{{"udp://dual.test:1"}}, SessionOptions{})
		if n := len(s.Trackers()); n != 2 {
			t.Fatalf("%d rows before, want one per family", n)
		}
		if err := s.SetTrackers([][]string{{"udp://dual.test:1"}, {"udp://x.test:1"}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := len(s.Trackers()); n != 3 {
			t.Errorf("%d rows after, want the two families and x.test", n)
		}
		if got := events(fake.Calls("dual.test:1")); !slices.Equal(got, []transport.Event{transport.EventStarted, transport.EventStarted}) {
			t.Errorf("dual.test: %v, want one started per family and nothing else", got)
		}
		if err := s.AnnounceTo("udp://dual.test:1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute + time.Second) // past the min interval: the forced announces are done
		if n := len(fake.Calls("dual.test:1")); n != 4 {
			t.Errorf("AnnounceTo: %d calls, want one more per family", n)
		}
		s.Stop(context.Background())
		mt.Close()
	})
}
