package announcer

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

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
