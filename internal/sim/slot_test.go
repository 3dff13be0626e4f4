package sim

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/transport"
)

// slot is one torrent: a sequence of Sessions (incarnations), one at a time.
type slot struct {
	w     *world
	index int
	hash  transport.InfoHash
	tiers [][]string
	rng   *rand.Rand
	left  atomic.Int64 // what the Stats func reports

	mu   sync.Mutex
	incs []*incarnation
}

// incarnation is one Session of a slot, and what it saw.
type incarnation struct {
	key          uint32
	start        time.Time
	leecher      bool      // Left > 0 at Start
	completeAt   time.Time // when Complete was called (zero: never)
	stopAt       time.Time // when Stop (or Shutdown) was called
	stopReturned time.Time
	drained      chan struct{} // closed when Events is closed

	mu     sync.Mutex
	events []announcer.Event
}

func (inc *incarnation) eventList() []announcer.Event {
	inc.mu.Lock()
	defer inc.mu.Unlock()
	return inc.events
}

// newSlot draws the torrent's tiers: one tier of a UDP and an HTTP tracker
// (failover inside a tier), one of a WebSocket tracker, and half the time a
// third tier of the other UDP or HTTP tracker.
func newSlot(w *world, i int) *slot {
	s := &slot{w: w, index: i, rng: rand.New(rand.NewPCG(w.p.seed, uint64(i)))}
	binary.BigEndian.PutUint64(s.hash[:], w.p.seed)
	binary.BigEndian.PutUint32(s.hash[8:], uint32(i))
	s.hash[19] = 0x51
	pick := func(proto string) *simTracker {
		var c []*simTracker
		for _, st := range w.trackers {
			if st.proto == proto {
				c = append(c, st)
			}
		}
		return c[s.rng.IntN(len(c))]
	}
	u, h := pick("udp"), pick("http")
	first := []string{u.url, h.url}
	if s.rng.IntN(2) == 0 {
		first[0], first[1] = first[1], first[0]
	}
	s.tiers = [][]string{first, {pick("ws").url}}
	if s.rng.IntN(2) == 0 {
		other := pick("udp")
		if s.rng.IntN(2) == 0 {
			other = pick("http")
		}
		if other != u && other != h {
			s.tiers = append(s.tiers, []string{other.url})
		}
	}
	if s.rng.IntN(10) < 7 {
		s.left.Store(1 << 30) // a leecher
	}
	return s
}

func (s *slot) current() *incarnation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.incs) == 0 {
		return nil
	}
	return s.incs[len(s.incs)-1]
}

// exp draws an exponential wait of the given mean.
func (s *slot) exp(mean time.Duration) time.Duration {
	return time.Duration(s.rng.ExpFloat64() * float64(mean))
}

// live runs the slot's Sessions until the end of the simulation; the last
// one is left running for the final Shutdown.
func (s *slot) live(t *testing.T) {
	w := s.w
	time.Sleep(time.Duration(s.rng.Int64N(int64(time.Hour)))) // staggered starts
	for n := 0; time.Now().Before(w.end.Add(-healthyTail)); n++ {
		inc := &incarnation{key: uint32(s.index)<<8 | uint32(n&0xff) | 1<<31, drained: make(chan struct{})}
		sess, err := w.client.NewSession(announcer.Torrent{InfoHash: s.hash, Tiers: s.tiers}, announcer.SessionOptions{
			Key:   inc.key,
			Stats: func() announcer.Stats { return announcer.Stats{Left: s.left.Load()} },
		})
		if err != nil {
			t.Errorf("slot %d: NewSession: %v", s.index, err)
			return
		}
		inc.start, inc.leecher = time.Now(), s.left.Load() > 0
		s.mu.Lock()
		s.incs = append(s.incs, inc)
		s.mu.Unlock()
		go func() {
			defer close(inc.drained)
			for ev := range sess.Events() {
				switch ev.(type) {
				case announcer.UpdateEvent, announcer.ErrorEvent:
					inc.mu.Lock()
					inc.events = append(inc.events, ev)
					inc.mu.Unlock()
				}
			}
		}()
		if err := sess.Start(context.Background()); err != nil {
			t.Errorf("slot %d: Start: %v", s.index, err)
		}
		for {
			d := s.exp(meanAction)
			if !time.Now().Add(d).Before(w.end.Add(-healthyTail)) {
				time.Sleep(time.Until(w.end.Add(-healthyTail)))
				return // running until Shutdown
			}
			time.Sleep(d)
			r := s.rng.IntN(100)
			if r < 40 {
				w.updates.Add(1)
				sess.Update(announcer.Stats{Left: s.left.Load()})
				continue
			}
			if r < 65 {
				if s.left.Load() > 0 {
					w.completes.Add(1)
					s.left.Store(0)
					inc.completeAt = time.Now()
					sess.Complete()
				}
				continue
			}
			break
		}
		w.stops.Add(1)
		inc.stopAt = time.Now()
		sess.Stop(context.Background()) // its error is a figure of the trackers' faults, not a failure
		inc.stopReturned = time.Now()
		<-inc.drained
		time.Sleep(min(s.exp(meanGap), max(time.Until(w.end.Add(-healthyTail)), 0)))
	}
}
