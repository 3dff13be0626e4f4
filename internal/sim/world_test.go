package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/memnet"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	httptr "github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// params size a run.
type params struct {
	seed     uint64
	sessions int           // torrent slots (one Session at a time each)
	duration time.Duration // simulated time
}

// Session lives: the mean time between a Session's actions, and between a
// Stop and the next Session of the same torrent.
const (
	meanAction = 3 * time.Hour
	meanGap    = time.Hour
	// healthyTail is how long before the end every tracker is healthy
	// again, so that the final Shutdown's stoppeds are all checked.
	healthyTail = 15 * time.Minute
)

// world is one simulation: trackers, transports, a Client and the slots.
type world struct {
	p        params
	start    time.Time
	end      time.Time
	trackers []*simTracker
	byURL    map[string]*simTracker
	client   *announcer.Client
	cfg      announcer.Config // as populated
	closers  []func() error   // the transports
	slots    []*slot
	byHash   map[transport.InfoHash]*slot
	baseline int // goroutines before the world was built

	shutdownErr  error
	shutdownTook time.Duration // Client.Shutdown, virtual
	closeTook    time.Duration // the transports' Close, virtual
	running      int           // Sessions still running at the end

	announces atomic.Int64 // actions done, for the figures
	updates   atomic.Int64
	completes atomic.Int64
	stops     atomic.Int64
}

// wsNoPeers hides the WebRTC transport's PeerSource: Sessions then make no
// WebRTC offers (whose ICE would need real sockets); the WebSocket tracker
// protocol is exercised whole.
type wsNoPeers struct{ transport.Transport }

func newWorld(t *testing.T, p params) *world {
	w := &world{p: p, start: time.Now(), byURL: map[string]*simTracker{}, byHash: map[transport.InfoHash]*slot{}}
	w.end = w.start.Add(p.duration)
	w.baseline, _ = bubbleGoroutines()
	n := memnet.New()
	for i := range 2 {
		for _, proto := range []string{"udp", "http", "ws"} {
			st := newTracker(t, n, proto, fmt.Sprintf("%s%d", proto, i))
			w.trackers = append(w.trackers, st)
			w.byURL[st.url] = st
		}
	}
	udpT := udp.New(udp.Config{ListenPacket: n.ListenPacket})
	httpT := httptr.New(httptr.Config{DialContext: n.DialContext})
	wsHTTP := &http.Transport{DialContext: n.DialContext, DisableKeepAlives: true}
	wsT := webrtc.New(webrtc.Config{DialOptions: &websocket.DialOptions{HTTPClient: &http.Client{Transport: wsHTTP}}})
	w.closers = []func() error{udpT.Close, httpT.Close, wsT.Close, func() error { wsHTTP.CloseIdleConnections(); return nil }}
	var id peer.ID
	copy(id[:], fmt.Sprintf("-TK0001-sim%09d", p.seed%1e9))
	c, err := announcer.NewClient(announcer.Config{
		PeerID: id,
		Transports: map[string]transport.Transport{
			"udp": udpT, "http": httpT, "ws": wsNoPeers{wsT}, "https": nil, "wss": nil,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.client, w.cfg = c, c.Config()
	for i := range p.sessions {
		s := newSlot(w, i)
		w.slots = append(w.slots, s)
		w.byHash[s.hash] = s
	}
	return w
}

// run plays the scenario to its end, shuts down and checks the goroutines.
func (w *world) run(t *testing.T) {
	var wg sync.WaitGroup
	for i, st := range w.trackers {
		rng := rand.New(rand.NewPCG(w.p.seed, uint64(1<<32+i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			st.runSchedule(rng, w.end.Add(-healthyTail))
		}()
	}
	for _, s := range w.slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.live(t)
		}()
	}
	wg.Wait()

	// The end: the trackers have been healthy for healthyTail; every
	// Session still running is stopped at once.
	time.Sleep(time.Until(w.end))
	now := time.Now()
	var running []*incarnation
	for _, s := range w.slots {
		if inc := s.current(); inc != nil && inc.stopAt.IsZero() {
			inc.stopAt = now
			running = append(running, inc)
		}
	}
	w.shutdownErr = w.client.Shutdown(context.Background()) // errors: stoppeds lost to trackers not healthy
	w.shutdownTook = time.Since(now)
	for _, inc := range running {
		inc.stopReturned = time.Now()
		<-inc.drained
	}
	w.stops.Add(int64(len(running)))
	w.running = len(running)
	closeStart := time.Now()
	for _, closeFn := range w.closers {
		closeFn()
	}
	w.closeTook = time.Since(closeStart)
	for _, st := range w.trackers {
		st.close()
	}
	// Goroutines on their way out get a few virtual seconds to go.
	n, stacks := bubbleGoroutines()
	for i := 0; i < 60 && n > w.baseline; i++ {
		synctest.Wait()
		time.Sleep(time.Second)
		n, stacks = bubbleGoroutines()
	}
	if n > w.baseline {
		t.Errorf("goroutines: %d in the bubble after the end, %d before the world was built\n%s", n, w.baseline, stacks)
	}
}

// bubbleGoroutines counts the goroutines of the calling synctest bubble
// (the runtime's own, outside it, come and go) and returns their stacks.
func bubbleGoroutines() (int, string) {
	buf := make([]byte, 1<<22)
	stacks := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(stacks, "\n\n") {
		if head, _, _ := strings.Cut(g, "\n"); strings.Contains(head, "synctest bubble") {
			n++
		}
	}
	return n, stacks
}
