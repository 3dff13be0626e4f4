package sim

import (
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
)

// Tracker settings: every tracker asks for a 30-minute interval and (HTTP
// and WebSocket, which can say it) a 5-minute min interval.
const (
	trackerInterval    = 30 * time.Minute
	trackerMinInterval = 5 * time.Minute
	// maxSlowDelay is the longest reply delay of a "slow" epoch.
	maxSlowDelay = 20 * time.Second
	// retryInMinutes is the BEP 31 "retry in" of a "retry-in" epoch.
	retryInMinutes = 10
)

// mode is a tracker's behaviour during one fault epoch.
type mode uint8

const (
	healthy   mode = iota
	slow           // replies come late (UDP, HTTP; WS: healthy)
	lossy          // UDP drops 30% of requests; HTTP answers 503; WS drops sockets after 3 messages
	dead           // UDP drops everything; HTTP hangs; WS refuses and drops its sockets
	failing        // a "failure reason" (UDP: error reply)
	retryIn        // HTTP: failure with "retry in" 10 minutes (others: failing)
	gone           // HTTP 410; WS refuses with 410 and drops its sockets (UDP: dead)
	reconnect      // WS drops its sockets once; UDP forgets its connection IDs (HTTP: healthy)
	numModes
)

var modeNames = [...]string{"healthy", "slow", "lossy", "dead", "failing", "retry-in", "gone", "reconnect"}

func (m mode) String() string { return modeNames[m] }

// modeWeights is how often each mode is drawn for an epoch (of 100).
var modeWeights = [numModes]int{healthy: 52, slow: 10, lossy: 10, dead: 9, failing: 7, retryIn: 5, gone: 2, reconnect: 5}

// span is one epoch of a tracker's schedule, as applied.
type span struct {
	at   time.Time
	mode mode
}

// simTracker is one mock tracker with one front end, its announce log and
// its fault schedule.
type simTracker struct {
	name  string // "udp0", "http1", ...
	proto string // "udp", ProtoHTTP, ProtoWS
	url   string // announce URL (as events show it: nothing to redact)
	mt    *mocktracker.Tracker
	srv   *http.Server // the WS front end's server (nil otherwise)
	done  chan struct{}

	mu    sync.Mutex
	log   []entry
	spans []span
}

// stage says which of the tracker's hooks logged an entry.
type stage uint8

const (
	arrived      stage = iota // OnArrival: the request reached the tracker
	accepted                  // OnAnnounce: the swarm recorded it, the reply goes out
	socketClosed              // OnSocketClosed: a WebSocket closed, which counts as stopped
)

// entry is one line of a tracker's announce log.
type entry struct {
	mocktracker.Announce
	stage stage
}

func (st *simTracker) logger(s stage) func(mocktracker.Announce) {
	return func(a mocktracker.Announce) {
		a.Params = nil // not needed: keep the log small
		st.mu.Lock()
		st.log = append(st.log, entry{a, s})
		st.mu.Unlock()
	}
}

// modeAt returns the tracker's mode at t.
func (st *simTracker) modeAt(t time.Time) mode {
	m := healthy
	for _, s := range st.spans {
		if s.at.After(t) {
			break
		}
		m = s.mode
	}
	return m
}

// healthyDuring reports whether the tracker was healthy throughout [from, to].
func (st *simTracker) healthyDuring(from, to time.Time) bool {
	if st.modeAt(from) != healthy {
		return false
	}
	for _, s := range st.spans {
		if s.at.After(from) && !s.at.After(to) && s.mode != healthy {
			return false
		}
	}
	return true
}

// newTracker starts a tracker of protocol proto on n.
func newTracker(t *testing.T, n *memnet.Network, proto, name string) *simTracker {
	st := &simTracker{name: name, proto: proto, done: make(chan struct{})}
	st.mt = mocktracker.New(mocktracker.Config{
		Interval: trackerInterval, MinInterval: trackerMinInterval,
		OnArrival: st.logger(arrived), OnAnnounce: st.logger(accepted), OnSocketClosed: st.logger(socketClosed),
	})
	// The protocol names the URL's scheme; the tracker serves it on a
	// memnet socket of its own.
	var addr net.Addr
	if proto == "udp" {
		pc, err := n.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.mt.ServeUDP(pc); err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr()
		close(st.done)
	} else {
		l, err := n.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		switch proto {
		case "http":
			if err := st.mt.ServeHTTP(l); err != nil {
				t.Fatal(err)
			}
			close(st.done)
		case "ws":
			st.srv = &http.Server{Handler: st.mt.WSHandler()}
			go func() {
				defer close(st.done)
				st.srv.Serve(l)
			}()
		}
	}
	st.url = proto + "://" + addr.String() + "/announce"
	if got := transport.RedactString(st.url); got != st.url {
		t.Fatalf("URL %s shows as %s in events", st.url, got)
	}
	return st
}

// close stops the tracker and waits for its goroutines.
func (st *simTracker) close() {
	st.mt.Close() // drops WebSocket sockets and waits for their handlers
	if st.srv != nil {
		st.srv.Close()
	}
	<-st.done
}

// set applies mode m now and records it.
func (st *simTracker) set(m mode, rng *rand.Rand) {
	st.mu.Lock()
	st.spans = append(st.spans, span{at: time.Now(), mode: m})
	st.mu.Unlock()
	delay := time.Duration(1+rng.IntN(int(maxSlowDelay/time.Second))) * time.Second
	switch st.proto {
	case "udp":
		f := mocktracker.UDPFaults{Seed: rng.Uint64()}
		switch m {
		case slow:
			f.Delay = delay
		case lossy:
			f.DropRate = 0.3
		case dead, gone:
			f.DropRate = 1
		case failing, retryIn:
			f.ErrorText = "tracker busy"
		case reconnect:
			f.ExpireConnIDs = true
		}
		st.mt.SetUDPFaults(f)
	case "http":
		var f mocktracker.HTTPFaults
		switch m {
		case slow:
			f.Delay = delay
		case lossy:
			f.Status = http.StatusServiceUnavailable
		case dead:
			f.Delay = 24 * time.Hour // hangs until the client gives up
		case failing:
			f.FailureReason = "tracker busy"
		case retryIn:
			f.FailureReason, f.RetryIn = "come back later", "10"
		case gone:
			f.Status = http.StatusGone
		}
		st.mt.SetHTTPFaults(f)
	case "ws":
		var f mocktracker.WSFaults
		drop := false
		switch m {
		case lossy:
			f.DropAfter = 3
		case dead:
			f.Refuse, drop = true, true
		case failing, retryIn:
			f.FailureReason = "tracker busy"
		case gone:
			f.Refuse, f.RefuseStatus, drop = true, http.StatusGone, true
		case reconnect:
			drop = true
		}
		st.mt.SetWSFaults(f)
		if drop {
			st.mt.DropWSSockets()
		}
	}
}

// runSchedule drives st through seeded fault epochs from now until
// healthyFrom, then keeps it healthy. Epochs last 10 minutes to 3 hours;
// the first starts healthy.
func (st *simTracker) runSchedule(rng *rand.Rand, healthyFrom time.Time) {
	st.set(healthy, rng)
	for {
		d := 10*time.Minute + time.Duration(rng.Int64N(int64(170*time.Minute)))
		at := time.Now().Add(d)
		if !at.Before(healthyFrom) {
			time.Sleep(time.Until(healthyFrom))
			if st.modeAt(time.Now()) != healthy {
				st.set(healthy, rng)
			}
			return
		}
		time.Sleep(d)
		st.set(drawMode(rng), rng)
	}
}

func drawMode(rng *rand.Rand) mode {
	r := rng.IntN(100)
	for m, w := range modeWeights {
		if r < w {
			return mode(m)
		}
		r -= w
	}
	return healthy
}
