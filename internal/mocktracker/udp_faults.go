package mocktracker

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// UDPFaults makes the UDP front ends of a Tracker misbehave. Set them with
// SetUDPFaults at any time; the zero value is a well-behaved tracker. The
// faults apply to every UDP front end of the Tracker.
type UDPFaults struct {
	// DropFirst drops the next DropFirst requests received (counted from
	// SetUDPFaults) without answering them.
	DropFirst int
	// DropRate drops this fraction (0..1) of the requests received, chosen
	// by a random source seeded with Seed.
	DropRate float64
	// DropActions, when set, limits DropFirst and DropRate to requests of
	// these actions (0 connect, 1 announce, 2 scrape).
	DropActions []uint32
	// Seed seeds DropRate's random source (the same seed drops the same
	// requests).
	Seed uint64
	// Duplicate sends every reply this many extra times.
	Duplicate int
	// Delay sends replies this long after the request arrived.
	Delay time.Duration
	// WrongTxID answers with a transaction ID that is not the request's.
	WrongTxID bool
	// ReplyFrom, when set, sends replies through this socket (another
	// port, or another address) instead of the one the request came in
	// on. It must be of the same family; the caller owns and closes it.
	ReplyFrom net.PacketConn
	// ConnIDTTL is how long a connection ID is accepted after it was
	// issued; older ones get the error reply "Connection ID missmatch."
	// (as opentracker words it). Default 2 minutes.
	ConnIDTTL time.Duration
	// ExpireConnIDs forgets every connection ID issued so far, once, when
	// the faults are set: the next announce or scrape with one of them is
	// refused as above.
	ExpireConnIDs bool
	// ErrorText answers every announce and scrape with an error reply
	// (action 3) carrying this text.
	ErrorText string
	// ConnectErrorText answers every connect with an error reply.
	ConnectErrorText string
	// Truncate cuts every reply to this many bytes (0: whole replies).
	Truncate int
	// Interval is sent in announce replies instead of the Tracker's.
	Interval time.Duration
}

// StaleConnIDText is the error text sent for an unknown or expired
// connection ID.
const StaleConnIDText = "Connection ID missmatch."

const defaultConnIDTTL = 2 * time.Minute

// UDPStats counts the requests the UDP front ends received, dropped ones
// included.
type UDPStats struct {
	Connect  int
	Announce int
	Scrape   int
	Other    int // unknown action or too short
	Dropped  int // dropped by DropFirst or DropRate
}

// UDPPacket is one request a UDP front end received, for assertions on
// timing (the Tracker's clock, virtual under testing/synctest).
type UDPPacket struct {
	Time    time.Time
	Action  uint32 // 0 connect, 1 announce, 2 scrape; others as received
	TxID    uint32
	ConnID  uint64 // for announce and scrape
	From    netip.AddrPort
	Dropped bool
}

// maxUDPLog bounds the packet log.
const maxUDPLog = 100000

// udpState is the UDP state of one Tracker, shared by its UDP front ends.
type udpState struct {
	mu          sync.Mutex
	faults      UDPFaults
	dropLeft    int
	rng         *rand.Rand
	connIDs     map[uint64]time.Time // issued connection IDs and when
	stats       UDPStats
	packets     []UDPPacket
	lastURLData string
}

func (t *Tracker) udp() *udpState {
	t.udpOnce.Do(func() {
		t.udpSt = &udpState{connIDs: make(map[uint64]time.Time), rng: rand.New(rand.NewPCG(1, 1))}
	})
	return t.udpSt
}

// SetUDPFaults replaces the UDP faults; see UDPFaults.
func (t *Tracker) SetUDPFaults(f UDPFaults) {
	st := t.udp()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.faults = f
	st.dropLeft = f.DropFirst
	st.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	if f.ExpireConnIDs {
		clear(st.connIDs)
	}
}

// UDPStats returns the request counters of the UDP front ends.
func (t *Tracker) UDPStats() UDPStats {
	st := t.udp()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.stats
}

// UDPPackets returns the requests received so far, in order (at most the
// first 100,000).
func (t *Tracker) UDPPackets() []UDPPacket {
	st := t.udp()
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]UDPPacket(nil), st.packets...)
}

// UDPSources returns the source addresses (ports dropped) of the logged UDP
// packets, each once, in order of first appearance: what a test of a bound
// local address or of a proxy's egress compares with the one it expects.
func (t *Tracker) UDPSources() []netip.Addr {
	var out []netip.Addr
	for _, p := range t.UDPPackets() {
		if a := p.From.Addr(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// LastURLData returns the BEP 41 URLData (path and query) of the last UDP
// announce, "" if it carried none.
func (t *Tracker) LastURLData() string {
	st := t.udp()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lastURLData
}
